/* train_fashion.c — train a small CNN on Fashion-MNIST with mxrt.
 *
 * A user's own training program, built against the installed library
 * (see ../README.md). It shows the three things most programs need
 * beyond the built-in pieces:
 *   1. a custom data provider (mx_provider_vtbl) reading the gzipped IDX
 *      files itself with zlib;
 *   2. custom callbacks: one per epoch that prints the epoch's figures and
 *      can stop at a target accuracy, one per batch for --max-batches;
 *   3. the FeedForward flow: symbol -> model -> fit -> checkpoint ->
 *      predict on the test set.
 *
 *   train_fashion [--data-dir DIR] [--epochs N] [--limit N] [--batch-size N]
 *                 [--prefix PREFIX] [--max-batches N] [--target-accuracy A]
 *                 [--verbose] [--help]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <mx/mx.h>

#define SIDE 28
#define PIXELS (SIDE * SIDE)

static const char *prog = "train_fashion";

/* ---- 1. A data provider of our own ------------------------------------
 * mxrt only ever sees the `struct mx_provider` header, so it must come
 * first; everything after it is ours. Images stay as bytes (47 MB for the
 * training set instead of 188 MB of floats) and are scaled to [0, 1] as
 * each batch is copied into the executor's input buffer. */
typedef struct fashion_provider {
    mx_provider base;      /* must be first: mxrt casts to it */
    uint8_t *images;       /* n x 784 bytes */
    uint8_t *labels;       /* n class numbers 0..9 */
    long n;                /* samples */
    long *order;           /* this epoch's sample order */
    long pos;              /* next position in order */
    int shuffle;           /* reshuffle at every reset */
    mx_rng rng;            /* seeded once: the same orders on every run */
    mx_io_desc data, label;
} fashion_provider;

static long be32(const unsigned char *b)
{
    return ((long)b[0] << 24) | ((long)b[1] << 16) | ((long)b[2] << 8) | (long)b[3];
}

/* Reads the first count items (count <= 0: all) of a gzipped IDX file:
 * a big-endian header (magic 0x0000080N for N dimensions of bytes, then N
 * 32-bit sizes), then the items, item_bytes each (28x28 for images). */
static uint8_t *read_idx_gz(const char *path, long magic, long count, long item_bytes, long *n_out)
{
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s: cannot open%s%s\n", prog, path, errno ? ": " : "", errno ? strerror(errno) : "");
        return NULL;
    }
    int ndim = (int)(magic & 0xff), hbytes = 4 + 4 * ndim;
    unsigned char head[16] = {0};
    long item = 1;
    if (gzread(f, head, (unsigned)hbytes) == hbytes && be32(head) == magic)
        for (int d = 1; d < ndim; d++) item *= be32(head + 4 + 4 * d);
    if (item != item_bytes || be32(head) != magic) {
        fprintf(stderr, "%s: %s: not an IDX file of the expected kind\n", prog, path);
        gzclose(f);
        return NULL;
    }
    long n = be32(head + 4);
    if (count > 0 && count < n) n = count;
    size_t bytes = (size_t)n * (size_t)item_bytes;
    uint8_t *buf = malloc(bytes ? bytes : 1);
    if (!buf || gzread(f, buf, (unsigned)bytes) != (int)bytes) {
        fprintf(stderr, "%s: %s: truncated or unreadable\n", prog, path);
        free(buf);
        buf = NULL;
    }
    gzclose(f);
    *n_out = n;
    return buf;
}

static int fp_one(const mx_provider *p) { (void)p; return 1; }
static mx_io_desc fp_data_desc(const mx_provider *p, int i) { (void)i; return ((const fashion_provider *)p)->data; }
static mx_io_desc fp_label_desc(const mx_provider *p, int i) { (void)i; return ((const fashion_provider *)p)->label; }
static long fp_num_samples(const mx_provider *p) { return ((const fashion_provider *)p)->n; }

/* A new epoch: Fisher-Yates over the sample indices. */
static mx_status fp_reset(mx_provider *p)
{
    fashion_provider *f = (fashion_provider *)p;
    for (long i = 0; i < f->n; i++) f->order[i] = i;
    for (long i = f->n - 1; f->shuffle && i > 0; i--) {
        long j = (long)mx_rng_below(&f->rng, (uint64_t)i + 1), t = f->order[i];
        f->order[i] = f->order[j];
        f->order[j] = t;
    }
    f->pos = 0;
    return MX_OK;
}

/* Writes one batch into mxrt's buffers (NULL means "not wanted": predict
 * passes no label buffer). The last batch is padded with zeros and
 * b->count says how many samples are real. */
static int fp_next(mx_provider *p, mx_batch *b)
{
    fashion_provider *f = (fashion_provider *)p;
    if (f->pos >= f->n) return 0;
    int bs = p->batch_size, got = 0;
    for (; got < bs && f->pos < f->n; got++, f->pos++) {
        long s = f->order[f->pos];
        if (b->data[0])
            for (int k = 0; k < PIXELS; k++) b->data[0][got * PIXELS + k] = f->images[s * PIXELS + k] / 255.0f;
        if (b->label[0]) b->label[0][got] = (float)f->labels[s];
    }
    if (b->data[0]) memset(b->data[0] + got * PIXELS, 0, sizeof(float) * (size_t)(bs - got) * PIXELS);
    if (b->label[0]) memset(b->label[0] + got, 0, sizeof(float) * (size_t)(bs - got));
    b->count = got;
    return 1;
}

static void fp_free(mx_provider *p)
{
    fashion_provider *f = (fashion_provider *)p;
    if (!f) return; /* (the vtable's free need not take NULL; ours does) */
    free(f->images);
    free(f->labels);
    free(f->order);
    free(f);
}

/* set_epoch (for exact resume) is optional; we do not resume. */
static const mx_provider_vtbl fashion_vtbl = {fp_one, fp_data_desc, fp_one, fp_label_desc, fp_num_samples,
                                              fp_reset, fp_next, fp_free, NULL};

/* "train" or "t10k" of dir; limit 0 = every sample. */
static fashion_provider *fashion_open(const char *dir, const char *set, long limit, int batch, int shuffle)
{
    char ipath[4096], lpath[4096];
    snprintf(ipath, sizeof ipath, "%s/%s-images-idx3-ubyte.gz", dir, set);
    snprintf(lpath, sizeof lpath, "%s/%s-labels-idx1-ubyte.gz", dir, set);
    fashion_provider *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    long nl = 0;
    f->images = read_idx_gz(ipath, 0x00000803, limit, PIXELS, &f->n);
    f->labels = f->images ? read_idx_gz(lpath, 0x00000801, limit, 1, &nl) : NULL;
    int ok = f->labels && nl == f->n;
    if (f->labels && nl != f->n) fprintf(stderr, "%s: %s: %ld labels for %ld images\n", prog, lpath, nl, f->n);
    for (long i = 0; ok && i < nl; i++)
        if (f->labels[i] > 9) { /* a bad label would index past the 10 outputs */
            fprintf(stderr, "%s: %s: label %d of item %ld outside 0..9\n", prog, lpath, f->labels[i], i);
            ok = 0;
        }
    if (!ok || !(f->order = malloc(sizeof(long) * (size_t)(f->n ? f->n : 1)))) {
        fp_free(&f->base);
        return NULL;
    }
    f->base.v = &fashion_vtbl;
    f->base.batch_size = batch;
    f->shuffle = shuffle;
    mx_rng_seed(&f->rng, 2024); /* fixed seed: reproducible runs */
    /* The names fit binds by: the network's input variable and the label
     * SoftmaxOutput named "softmax" creates ("softmax_label"). */
    f->data = (mx_io_desc){"data", mx_shape_make(4, batch, 1, SIDE, SIDE)};
    f->label = (mx_io_desc){"softmax_label", mx_shape_make(1, batch)};
    fp_reset(&f->base);
    return f;
}

/* ---- 2. Callbacks of our own -------------------------------------------
 * fit calls an epoch callback after the epoch's summary with the epoch's
 * training metric in info; returning non-zero stops training. */
typedef struct progress {
    double target;      /* stop once training accuracy reaches it (0: never) */
    long max_batches;   /* stop after this many batches in all (0: never) */
    int epochs_done;    /* for the checkpoint's file name */
    double seconds;     /* training time so far */
} progress;

static int on_epoch(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)m;
    progress *p = ctx;
    p->epochs_done = info->epoch;
    p->seconds += info->epoch_seconds;
    double acc = info->n_train > 0 ? info->train_values[0] : 0.0;
    printf("epoch %d/%d: train %s %.4f, %ld samples in %.1f s (%.1f s in all)\n", info->epoch, info->n_epoch,
           info->n_train > 0 ? info->train_names[0] : "accuracy", acc, info->samples, info->epoch_seconds, p->seconds);
    if (p->target > 0 && acc >= p->target) {
        printf("target accuracy %.4f reached: stopping\n", p->target);
        return 1;
    }
    return 0;
}

/* A batch callback: info->iter counts batches since training began. The
 * epoch ends after this batch and on_epoch still runs for it. */
static int on_batch(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)m;
    const progress *p = ctx;
    if (p->max_batches > 0 && info->iter >= p->max_batches) {
        printf("--max-batches %ld reached: stopping\n", p->max_batches);
        return 1;
    }
    return 0;
}

/* ---- Command line -------------------------------------------------------- */
static void usage(void)
{
    printf("usage: %s [options]\n"
           "Trains a small CNN on Fashion-MNIST, saves PREFIX-symbol.json and PREFIX-NNNN.params\n"
           "and prints the accuracy on the 10k test images.\n"
           "  --data-dir DIR        the four *-ubyte.gz files (/usr/share/datasets/fashion-mnist)\n"
           "  --epochs N            training epochs (2)\n"
           "  --limit N             train on the first N samples only (0 = all 60000)\n"
           "  --batch-size N        samples per batch (100)\n"
           "  --prefix PREFIX       checkpoint prefix (fashion_cnn)\n"
           "  --max-batches N       stop after N batches in all (0 = no limit)\n"
           "  --target-accuracy A   stop after an epoch with training accuracy >= A\n"
           "  --verbose             show mxrt's own log lines\n"
           "MX_NUM_THREADS sets the number of CPU threads (default: one per core).\n", prog);
}

/* Integer value s of flag in [lo, hi]; -1 (message printed) if bad. */
static long int_arg(const char *flag, const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "%s: %s: bad value '%s' (expected %ld..%ld)\n", prog, flag, s, lo, hi);
        return -1;
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *dir = "/usr/share/datasets/fashion-mnist", *prefix = "fashion_cnn";
    long epochs = 2, limit = 0, batch = 100, v;
    int verbose = 0;
    progress prog_state = {0, 0, 0, 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(); return 0; }
        if (!strcmp(a, "--verbose")) { verbose = 1; continue; }
        static const char *const valued[] = {"--data-dir", "--prefix", "--epochs", "--limit", "--batch-size",
                                             "--max-batches", "--target-accuracy"};
        int known = 0;
        for (size_t k = 0; k < sizeof valued / sizeof *valued; k++) known |= !strcmp(a, valued[k]);
        if (!known) {
            fprintf(stderr, "%s: %s: %s (try --help)\n", prog, a, a[0] == '-' ? "unknown flag" : "unexpected argument");
            return 2;
        }
        if (!val) { fprintf(stderr, "%s: %s: missing value\n", prog, a); return 2; }
        i++; /* every other flag takes a value */
        if (!strcmp(a, "--data-dir")) dir = val;
        else if (!strcmp(a, "--prefix")) prefix = val;
        else if (!strcmp(a, "--epochs")) { if ((epochs = int_arg(a, val, 1, 10000)) < 0) return 2; }
        else if (!strcmp(a, "--limit")) { if ((limit = int_arg(a, val, 0, 60000)) < 0) return 2; }
        else if (!strcmp(a, "--batch-size")) { if ((batch = int_arg(a, val, 1, 10000)) < 0) return 2; }
        else if (!strcmp(a, "--max-batches")) {
            if ((v = int_arg(a, val, 0, 1L << 30)) < 0) return 2;
            prog_state.max_batches = v;
        } else {
            char *end;
            prog_state.target = strtod(val, &end);
            if (end == val || *end || !(prog_state.target >= 0 && prog_state.target <= 1)) {
                fprintf(stderr, "%s: %s: bad value '%s' (expected 0..1)\n", prog, a, val);
                return 2;
            }
        }
    }
    mx_log_set_quiet(!verbose); /* our callback prints the figures that matter */
    mx_random_seed(42);         /* the initializer draws from the global generator */

    fashion_provider *train = fashion_open(dir, "train", limit, (int)batch, 1);
    fashion_provider *test = train ? fashion_open(dir, "t10k", 0, (int)batch, 0) : NULL;
    if (!test) {
        fp_free((mx_provider *)train); /* (NULL is fine) */
        return 1;
    }
    printf("data: %ld training and %ld test images from %s\n", train->n, test->n, dir);

    /* ---- 3. The network: conv-relu-pool twice, then two FC layers. ---- */
    mx_sym *data = mx_var("data");
    mx_sym *net = mx_chain(data,
        "Convolution    name=conv1 kernel=(5,5) num_filter=8",   /* 28 -> 24 */
        "Activation     name=relu1 act_type=relu",
        "Pooling        name=pool1 pool_type=max kernel=(2,2) stride=(2,2)", /* -> 12 */
        "Convolution    name=conv2 kernel=(5,5) num_filter=16",  /* -> 8 */
        "Activation     name=relu2 act_type=relu",
        "Pooling        name=pool2 pool_type=max kernel=(2,2) stride=(2,2)", /* -> 4 */
        "Flatten        name=flatten",                           /* 16*4*4 = 256 */
        "FullyConnected name=fc1 num_hidden=64",
        "Activation     name=relu3 act_type=relu",
        "FullyConnected name=fc2 num_hidden=10",
        "SoftmaxOutput  name=softmax", NULL);
    mx_sym_free(data); /* mx_chain does not consume its input */

    /* SGD with momentum; Xavier keeps the relu layers' activations in range
     * from the start (the default U(-0.01, 0.01) trains much slower). */
    mx_optimizer_opts oo = mx_optimizer_defaults(MX_OPT_SGD);
    oo.lr = 0.05f;
    oo.momentum = 0.9f;
    oo.weight_decay = 1e-4f;
    mx_initializer init = mx_init_xavier(MX_XAVIER_UNIFORM, MX_XAVIER_AVG, 3.0f);
    mx_optimizer *opt = net ? mx_optimizer_create(&oo) : NULL;
    mx_model *model = opt ? mx_model_create(net, NULL, 0) : NULL; /* NULL, 0: one CPU context */
    mx_callback *cbs[2] = {mx_every_n_epoch(on_epoch, &prog_state, 1, 0),
                           mx_every_n_batch(on_batch, &prog_state, 1, 0)};
    int rc = 0;
    if (!model || !cbs[0] || !cbs[1]) {
        fprintf(stderr, "%s: setup: %s\n", prog, mx_last_error());
        rc = 1;
    }

    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = (int)epochs;
    fo.initializer = &init;
    fo.callbacks = cbs;
    fo.ncallbacks = 2; /* eval_metric NULL: Accuracy */
    if (!rc && mx_model_fit(model, opt, &train->base, &fo) != MX_OK) {
        fprintf(stderr, "%s: training: %s\n", prog, mx_last_error());
        rc = 1;
    }

    /* Checkpoint in MXNet's format: what ../infer (or MXNet) loads. It also
     * writes PREFIX-NNNN.states, which mx_model_resume needs to continue. */
    if (!rc && mx_checkpoint_save(model, prefix, prog_state.epochs_done) != MX_OK) {
        fprintf(stderr, "%s: checkpoint: %s\n", prog, mx_last_error());
        rc = 1;
    }
    if (!rc) printf("saved %s-symbol.json and %s-%04d.params\n", prefix, prefix, prog_state.epochs_done);

    /* Test accuracy: predict gives the softmax output (N, 10) over the
     * provider's real samples; the labels are in our own provider. */
    mx_nd *probs = NULL;
    if (!rc && mx_model_predict(model, &test->base, &probs) != MX_OK) {
        fprintf(stderr, "%s: predict: %s\n", prog, mx_last_error());
        rc = 1;
    }
    if (!rc) {
        const float *p = mx_nd_data(probs);
        long correct = 0;
        for (long i = 0; i < test->n; i++) {
            int best = 0;
            for (int c = 1; c < 10; c++)
                if (p[i * 10 + c] > p[i * 10 + best]) best = c;
            correct += best == test->labels[i];
        }
        printf("test accuracy %.4f on %ld images\n", (double)correct / (double)test->n, test->n);
    }

    mx_nd_free(probs);
    mx_callback_free(cbs[0]);
    mx_callback_free(cbs[1]);
    mx_model_free(model);
    mx_optimizer_free(opt);
    mx_sym_free(net);
    fp_free(&train->base);
    fp_free(&test->base);
    return rc;
}
