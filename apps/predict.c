/* predict.c — runs any checkpoint MXNet or mxrt wrote (PREFIX-symbol.json
 * + PREFIX-EPOCH.params) on inputs from a file, with no Python:
 *
 *   predict PREFIX EPOCH --shape data=1,1,28,28 --input t10k-images-idx3-ubyte
 *           [--scale 0.00392157] [--mean M --std S] [--top-k 5] [--output out.csv]
 *   predict PREFIX [EPOCH] --list [--shape data=…]   arguments, outputs, aux states
 *   predict FILE.json --list [--shape data=…]        (a symbol file alone)
 *
 * Inputs are IDX (uint8 images, raw or .gz), PGM, CSV (one sample a row)
 * or raw little-endian float32; each value becomes (x·scale − mean) / std,
 * as Gluon's ToTensor + Normalize. The model runs through FeedForward's
 * predict (any context: --context gpu). Errors name the file, the node,
 * the flag. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app_args.h"
#include "mx/mx.h"
#include "mx/pgm.h"

static const char *prog = "predict";

#define MAX_SHAPES 8

typedef struct opts {
    const char *prefix, *epoch_text, *input, *format, *output, *labels, *context;
    int epoch, top_k, list, batch, threads, quiet;
    float scale, mean, std;
    int nshape;
    const char *shape_text[MAX_SHAPES];
    char shape_name[MAX_SHAPES][128];
    mx_shape shape[MAX_SHAPES];
} opts;

static int fail(const char *what)
{
    fprintf(stderr, "%s: %s%s%s\n", prog, what, *mx_last_error() ? ": " : "", mx_last_error());
    return mx_last_status() == MX_ENOTSUP ? 3 : 1;
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "%s: %s%s%s (see --help)\n", prog, msg, arg ? " " : "", arg ? arg : "");
    return 2;
}

/* Takes PREFIX [EPOCH] and every "--shape NAME=DIMS" out of argv (app_args
 * reads one value per flag and no positional arguments). An argument is
 * positional unless it is the value of the flag before it. */
static int take_positional(opts *o, int *argc, char **argv)
{
    static const char *const no_value[] = {"--list", "--quiet", "--help", "-h", "--version", NULL};
    int out = 1, npos = 0;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--shape") || !strncmp(a, "--shape=", 8)) {
            const char *v = a[7] == '=' ? a + 8 : i + 1 < *argc ? argv[++i] : NULL;
            if (!v) return usage_error("--shape needs NAME=D1,D2,...", NULL);
            if (o->nshape == MAX_SHAPES) return usage_error("--shape: more than 8 inputs", NULL);
            o->shape_text[o->nshape++] = v;
            continue;
        }
        if (!strncmp(a, "--", 2) || !strcmp(a, "-h")) {
            argv[out++] = argv[i];
            int takes = !strchr(a, '=');
            for (int k = 0; no_value[k]; k++) takes &= strcmp(a, no_value[k]) != 0;
            if (takes && i + 1 < *argc) argv[out++] = argv[++i]; /* its value */
            continue;
        }
        if (npos == 0) o->prefix = a;
        else if (npos == 1) o->epoch_text = a;
        else return usage_error("unexpected argument", a);
        npos++;
    }
    *argc = out;
    return 0;
}

static int parse_shapes(opts *o)
{
    for (int i = 0; i < o->nshape; i++) {
        const char *t = o->shape_text[i], *eq = strchr(t, '=');
        if (!eq || eq == t || (size_t)(eq - t) >= sizeof o->shape_name[i])
            return usage_error("--shape: expected NAME=D1,D2,..., got", t);
        memcpy(o->shape_name[i], t, (size_t)(eq - t));
        o->shape_name[i][eq - t] = '\0';
        if (mx_shape_parse(eq + 1, &o->shape[i]) != 0 || o->shape[i].ndim < 1)
            return usage_error("--shape: bad dimensions in", t);
        for (int d = 0; d < o->shape[i].ndim; d++)
            if (o->shape[i].dims[d] < 1 || o->shape[i].dims[d] > (1 << 30))
                return usage_error("--shape: dimensions must be 1..2^30 in", t);
    }
    return 0;
}

static int parse(opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->format = "auto";
    o->context = "cpu";
    o->top_k = 1;
    o->scale = 1.0f;
    o->std = 1.0f;
    int rc = take_positional(o, &argc, argv);
    if (rc) return rc;
    app_arg args[] = {
        {"input", APP_STRING, &o->input, 0, 0, "the samples: IDX (raw or .gz), PGM, CSV or raw float32"},
        {"format", APP_STRING, &o->format, 0, 0, "auto (from the name), idx, pgm, csv or raw"},
        {"scale", APP_FLOAT, &o->scale, -1e9, 1e9, "each value x becomes (x*scale - mean) / std"},
        {"mean", APP_FLOAT, &o->mean, -1e9, 1e9, "subtracted after scaling"},
        {"std", APP_FLOAT, &o->std, 1e-12, 1e9, "divides after the mean"},
        {"batch", APP_INT, &o->batch, 0, 1 << 20, "samples per forward pass (0: the --shape's first dim)"},
        {"top-k", APP_INT, &o->top_k, 0, 1000, "classes printed per sample, by output 0 (0: none)"},
        {"output", APP_STRING, &o->output, 0, 0, "write output 0 of every sample to FILE as CSV (atomically)"},
        {"labels", APP_STRING, &o->labels, 0, 0, "IDX labels: print the accuracy of the top class"},
        {"context", APP_STRING, &o->context, 0, 0, "cpu, or gpu / gpu:N"},
        {"threads", APP_INT, &o->threads, 0, 1024, "CPU threads, 0 = one per core (MX_NUM_THREADS)"},
        {"list", APP_FLAG, &o->list, 0, 0, "print the arguments, outputs and aux states (shapes with --shape)"},
        {"quiet", APP_FLAG, &o->quiet, 0, 0, "print only the accuracy line"},
    };
    rc = app_parse_args(prog,
                        "Runs a checkpoint (PREFIX-symbol.json, PREFIX-EPOCH.params, as MXNet or mxrt wrote it) on\n"
                        "the samples of --input: predict PREFIX EPOCH --shape data=N,C,H,W --input FILE.\n"
                        "--shape NAME=D1,D2,... (repeatable) gives an input's shape, batch first.",
                        args, (int)(sizeof args / sizeof args[0]), argc, argv);
    if (rc) return rc > 0 ? -1 : 2;
    if (!o->prefix) return usage_error("missing PREFIX (the checkpoint's prefix)", NULL);
    if (o->epoch_text) {
        char *end;
        errno = 0;
        long e = strtol(o->epoch_text, &end, 10);
        if (*end || errno || e < 0 || e > 9999) return usage_error("EPOCH must be 0..9999, got", o->epoch_text);
        o->epoch = (int)e;
    } else if (!o->list) {
        return usage_error("missing EPOCH (the checkpoint's epoch number)", NULL);
    }
    if ((rc = parse_shapes(o))) return rc;
    if (!o->list) {
        if (!o->input) return usage_error("--input is required (or --list)", NULL);
        if (o->nshape != 1) return usage_error("give one --shape NAME=... for the input (the model's data)", NULL);
    }
    return 0;
}

static const char *shape_str(const mx_shape *s, char *buf, int cap)
{
    if (s->ndim == 0) return "(unknown)";
    return mx_shape_str(s, buf, cap);
}

/* --list: names and shapes, from --shape where given, else from the params. */
static int list_model(const opts *o)
{
    char path[4200];
    /* a symbol file itself (save_000800.json) as well as a prefix */
    size_t len = strlen(o->prefix);
    snprintf(path, sizeof path, len > 5 && !strcmp(o->prefix + len - 5, ".json") ? "%s" : "%s-symbol.json", o->prefix);
    mx_sym *sym = mx_sym_load_json(path);
    if (!sym) return fail("symbol");
    mx_nd_list params = {0};
    if (o->epoch_text) {
        snprintf(path, sizeof path, "%s-%04d.params", o->prefix, o->epoch);
        if (mx_nd_load(path, &params) != MX_OK) { mx_sym_free(sym); return fail("params"); }
    }
    const char *const *args;
    int nargs = mx_list_arguments(sym, &args);
    const char *outs[256], *aux[256];
    int nout = mx_list_outputs(sym, outs, 256), naux = mx_list_auxiliary_states(sym, aux, 256);
    mx_shape *as = calloc((size_t)nargs + 1, sizeof *as), os[256], xs[256];
    if (!as) { mx_sym_free(sym); mx_nd_list_free(&params); return fail("out of memory"); }
    int inferred = 0;
    if (o->nshape) {
        const char *names[MAX_SHAPES];
        for (int i = 0; i < o->nshape; i++) names[i] = o->shape_name[i];
        if (mx_infer_shape(sym, o->nshape, names, o->shape, as, nout <= 256 ? os : NULL, naux <= 256 ? xs : NULL) != MX_OK) {
            free(as);
            mx_sym_free(sym);
            mx_nd_list_free(&params);
            return fail("--shape");
        }
        inferred = 1;
    }
    char buf[160], key[300];
    printf("arguments (%d):\n", nargs);
    for (int i = 0; i < nargs; i++) {
        snprintf(key, sizeof key, "arg:%s", args[i]);
        int p = params.n ? mx_nd_list_find(&params, key) : -1;
        mx_shape s = inferred ? as[i] : p >= 0 ? mx_nd_shape(params.arrays[p]) : (mx_shape){0};
        printf("  %-40s %-20s %s\n", args[i], shape_str(&s, buf, sizeof buf),
               p >= 0 ? "parameter" : params.n ? "input" : "");
    }
    printf("outputs (%d):\n", nout);
    for (int i = 0; i < nout && i < 256; i++) printf("  %-40s %s\n", outs[i], inferred ? shape_str(&os[i], buf, sizeof buf) : "");
    printf("auxiliary states (%d):\n", naux);
    for (int i = 0; i < naux && i < 256; i++) {
        snprintf(key, sizeof key, "aux:%s", aux[i]);
        int p = params.n ? mx_nd_list_find(&params, key) : -1;
        mx_shape s = inferred ? xs[i] : p >= 0 ? mx_nd_shape(params.arrays[p]) : (mx_shape){0};
        printf("  %-40s %s\n", aux[i], shape_str(&s, buf, sizeof buf));
    }
    free(as);
    mx_sym_free(sym);
    mx_nd_list_free(&params);
    return 0;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && !strcmp(s + n - m, tail);
}

/* The samples of --input as float32, n of them, each of size values. */
static int read_input(const opts *o, size_t size, float **out, size_t *n)
{
    const char *f = o->format, *in = o->input;
    if (!strcmp(f, "auto")) {
        f = ends_with(in, ".pgm") ? "pgm" : ends_with(in, ".csv") ? "csv"
          : ends_with(in, ".raw") || ends_with(in, ".f32") || ends_with(in, ".bin") ? "raw" : "idx";
    }
    float *x = NULL;
    if (!strcmp(f, "idx")) {
        mx_idx idx;
        if (mx_idx_load(in, &idx) != MX_OK) return fail("--input");
        size_t item = idx.size / (size_t)idx.dims[0];
        if (item != size) {
            mx_idx_free(&idx);
            fprintf(stderr, "%s: --input %s: items of %zu values, the input shape needs %zu\n", prog, in, item, size);
            return 2;
        }
        *n = (size_t)idx.dims[0];
        if (!(x = malloc(idx.size * sizeof *x))) { mx_idx_free(&idx); return fail("out of memory"); }
        for (size_t i = 0; i < idx.size; i++) x[i] = idx.data[i];
        mx_idx_free(&idx);
    } else if (!strcmp(f, "pgm")) {
        const mx_shape *s = &o->shape[0];
        if (s->ndim < 2 || size != (size_t)(s->dims[s->ndim - 1] * s->dims[s->ndim - 2])) {
            fprintf(stderr, "%s: --input %s: a PGM is one (H, W) greymap; --shape must end in H,W with one channel\n",
                    prog, in);
            return 2;
        }
        uint8_t *px = malloc(size);
        if (!px || !(x = malloc(size * sizeof *x))) { free(px); return fail("out of memory"); }
        if (mx_pgm_load(in, (int)s->dims[s->ndim - 1], (int)s->dims[s->ndim - 2], px) != MX_OK) {
            free(px);
            free(x);
            return fail("--input");
        }
        for (size_t i = 0; i < size; i++) x[i] = px[i];
        free(px);
        *n = 1;
    } else if (!strcmp(f, "csv")) {
        mx_csv c;
        if (mx_csv_load(in, size, &c) != MX_OK) return fail("--input");
        x = c.data;
        *n = c.rows;
    } else if (!strcmp(f, "raw")) {
        FILE *fp = fopen(in, "rb");
        if (!fp) {
            fprintf(stderr, "%s: --input %s: cannot open: %s\n", prog, in, strerror(errno));
            return 1;
        }
        fseek(fp, 0, SEEK_END);
        long bytes = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        if (bytes <= 0 || (size_t)bytes % (size * sizeof(float))) {
            fclose(fp);
            fprintf(stderr, "%s: --input %s: %ld bytes is not a whole number of float32 samples of %zu values\n",
                    prog, in, bytes, size);
            return 2;
        }
        *n = (size_t)bytes / (size * sizeof(float));
        if (!(x = malloc((size_t)bytes))) { fclose(fp); return fail("out of memory"); }
        size_t got = fread(x, 1, (size_t)bytes, fp);
        fclose(fp);
        if (got != (size_t)bytes) {
            free(x);
            fprintf(stderr, "%s: --input %s: read failed\n", prog, in);
            return 1;
        }
    } else {
        return usage_error("--format: expected auto, idx, pgm, csv or raw, got", f);
    }
    if (*n == 0) {
        free(x);
        fprintf(stderr, "%s: --input %s: no samples\n", prog, in);
        return 2;
    }
    for (size_t i = 0; i < *n * size; i++) x[i] = (x[i] * o->scale - o->mean) / o->std;
    *out = x;
    return 0;
}

/* Output 0 of every sample as CSV, atomically: a temporary file beside
 * path, flushed to disk, renamed over it, the folder synced; a failure at
 * any point leaves path as it was. */
static int write_csv(const char *path, const float *y, size_t n, size_t cols)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    /* mkstemp makes 0600: give the file the mode a plain fopen would */
    mode_t mask = umask(0);
    umask(mask);
    if (fd >= 0) fchmod(fd, 0666 & ~mask);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "%s: --output %s: cannot write: %s\n", prog, path, strerror(errno));
        if (fd >= 0) { close(fd); remove(tmp); }
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < cols; c++) fprintf(f, "%.9g%c", (double)y[i * cols + c], c + 1 < cols ? ',' : '\n');
    int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        fprintf(stderr, "%s: --output %s: write failed: %s\n", prog, path, strerror(errno));
        return 1;
    }
    /* the rename itself, on disk */
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
    int dfd = open(slash ? dir : ".", O_RDONLY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    opts o;
    int rc = parse(&o, argc, argv);
    if (rc) return rc < 0 ? 0 : rc;
    if (o.list) return list_model(&o);
    mx_ctx ctx[1];
    int nctx = 0;
    if (mx_ctx_parse(o.context, ctx, 1, &nctx) != MX_OK || nctx != 1) return usage_error("--context: bad value", o.context);
    if (mx_ctx_check(ctx[0]) != MX_OK) return fail("--context");
    if (mx_engine_set_default(o.threads, MX_BIND_CORE) != MX_OK) return fail("--threads");
    mx_log_set_quiet(1);
    const mx_shape *s = &o.shape[0];
    size_t size = mx_shape_tail(s, 1);
    float *x = NULL;
    size_t n = 0;
    if ((rc = read_input(&o, size, &x, &n))) return rc;
    uint8_t *lab = NULL;
    mx_idx labels = {0};
    if (o.labels) {
        if (mx_idx_load(o.labels, &labels) != MX_OK) { free(x); return fail("--labels"); }
        if (labels.ndim != 1 || (size_t)labels.dims[0] != n) {
            fprintf(stderr, "%s: --labels %s: %lld labels for %zu samples\n", prog, o.labels,
                    (long long)labels.dims[0], n);
            free(x);
            mx_idx_free(&labels);
            return 2;
        }
        lab = labels.data;
    }
    mx_model *model = mx_model_load(o.prefix, o.epoch, ctx, 1);
    if (!model) { free(x); mx_idx_free(&labels); return fail("checkpoint"); }
    mx_shape all = *s;
    all.dims[0] = (int64_t)n;
    mx_nd *data = mx_nd_wrap(all, x);
    int batch = o.batch ? o.batch : (int)s->dims[0];
    mx_array_provider_opts po = {.batch_size = batch};
    const char *name = o.shape_name[0];
    mx_provider *p = data ? mx_array_provider(1, &name, &data, 0, NULL, NULL, &po) : NULL;
    mx_nd *y = NULL;
    double t0 = now_seconds();
    if (!p || mx_model_predict(model, p, &y) != MX_OK) {
        rc = fail(p ? "predict" : "input");
    } else {
        double secs = now_seconds() - t0;
        size_t cols = mx_nd_size(y) / n;
        const float *out = mx_nd_data(y);
        long right = 0;
        char *used = o.top_k ? calloc(cols, 1) : NULL; /* the classes printed for a sample */
        for (size_t i = 0; i < n; i++) {
            const float *row = out + i * cols;
            size_t best = 0;
            for (size_t c = 1; c < cols; c++) if (row[c] > row[best]) best = c;
            if (lab) right += best == lab[i];
            if (o.quiet || !o.top_k) continue;
            if (!used) continue;
            printf("%zu:", i);
            /* top-k by selection: k is small */
            memset(used, 0, cols);
            for (int k = 0; k < o.top_k && (size_t)k < cols; k++) {
                size_t m = cols;
                for (size_t c = 0; c < cols; c++)
                    if (!used[c] && (m == cols || row[c] > row[m])) m = c;
                used[m] = 1;
                printf(" %zu %.6f", m, (double)row[m]);
            }
            printf("\n");
        }
        if (o.top_k && !used) {
            fprintf(stderr, "%s: out of memory for --top-k\n", prog);
            rc = 1;
        }
        free(used);
        if (!o.quiet)
            fprintf(stderr, "%s: %zu samples in %.3f s (%.0f samples/s, batch %d, %s)\n", prog, n, secs,
                    secs > 0 ? (double)n / secs : 0.0, batch, o.context);
        if (lab) printf("accuracy = %.4f (%ld of %zu)\n", (double)right / (double)n, right, n);
        if (o.output) rc = write_csv(o.output, out, n, cols);
        if (fflush(stdout) != 0) rc = 1;
    }
    mx_nd_free(y);
    mx_provider_free(p);
    mx_nd_free(data);
    mx_model_free(model);
    mx_idx_free(&labels);
    free(x);
    return rc;
}
