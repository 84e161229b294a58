/* mnist_infer.c — MNIST classification for embedded boards: a checkpoint
 * (prefix-symbol.json + prefix-NNNN.params, from mnist_mlp or mnist_lenet)
 * runs on one buffer sized exactly for it (mx/fixed_infer.h); images come
 * from an IDX file or PGM files. --arena-size prints that size and exits,
 * so firmware can declare its buffer at build time. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app_args.h"
#include "mx/fixed_infer.h"
#include "mx/idx.h"
#include "mx/pgm.h"

#define SIDE 28
#define PIXELS (SIDE * SIDE)
#define MAX_PGM 256

static const char *prog = "mnist_infer";

typedef struct opts {
    const char *prefix, *symbol, *params, *images, *labels, *input, *buffer_bytes, *predictions;
    int epoch, batch, limit, arena_size, quiet;
    const char *pgm[MAX_PGM];
    int npgm;
} opts;

static int die(const char *what)
{
    fprintf(stderr, "%s: %s\n", prog, what);
    return 1;
}

static int die_mx(void) { return die(mx_last_error()); }

/* --pgm takes every following argument up to the next flag; app_args
 * reads one value per flag, so those are taken out of argv first. */
static int take_pgm(opts *o, int *argc, char **argv)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--pgm") != 0) { argv[out++] = argv[i]; continue; }
        int start = o->npgm;
        while (i + 1 < *argc && strncmp(argv[i + 1], "--", 2) != 0) {
            if (o->npgm == MAX_PGM) { fprintf(stderr, "%s: --pgm: more than %d files\n", prog, MAX_PGM); return -1; }
            o->pgm[o->npgm++] = argv[++i];
        }
        if (o->npgm == start) { fprintf(stderr, "%s: --pgm needs at least one file\n", prog); return -1; }
    }
    *argc = out;
    return 0;
}

static int parse(opts *o, int argc, char **argv)
{
    const char *pgm_help = NULL;
    app_arg args[] = {
        {"prefix", APP_STRING, &o->prefix, 0, 0, "checkpoint prefix: reads PREFIX-symbol.json and PREFIX-EPOCH.params"},
        {"epoch", APP_INT, &o->epoch, 0, 9999, "checkpoint epoch (with --prefix)"},
        {"symbol", APP_STRING, &o->symbol, 0, 0, "symbol JSON file (instead of --prefix)"},
        {"params", APP_STRING, &o->params, 0, 0, "params file (instead of --prefix)"},
        {"images", APP_STRING, &o->images, 0, 0, "IDX images to classify (raw or .gz, 28x28)"},
        {"pgm", APP_STRING, &pgm_help, 0, 0, "PGM files to classify (P5 or P2, 28x28, maxval <= 255), one or more"},
        {"labels", APP_STRING, &o->labels, 0, 0, "IDX labels for --images: prints the accuracy"},
        {"limit", APP_INT, &o->limit, 0, 1000000, "classify the first N images only (0 = all)"},
        {"batch", APP_INT, &o->batch, 1, 65536, "images per forward pass (the arena grows with it)"},
        {"input", APP_STRING, &o->input, 0, 0, "name of the input argument"},
        {"arena-size", APP_FLAG, &o->arena_size, 0, 0, "print the exact arena bytes for the checkpoint and --batch, and exit"},
        {"buffer-bytes", APP_STRING, &o->buffer_bytes, 0, 0, "run in a buffer of N bytes (default: exactly what is needed)"},
        {"predictions", APP_STRING, &o->predictions, 0, 0, "write each image's predicted class, one per line, to FILE"},
        {"quiet", APP_FLAG, &o->quiet, 0, 0, "print only the summary lines"},
    };
    if (take_pgm(o, &argc, argv) != 0) return -1;
    return app_parse_args(prog, "Classifies MNIST images with a checkpoint on one fixed buffer (embedded inference).",
                          args, (int)(sizeof args / sizeof args[0]), argc, argv);
}

/* The checkpoint's two paths from --prefix/--epoch or --symbol/--params. */
static int paths(opts *o, char *sym, char *par, size_t cap)
{
    if (o->prefix && (o->symbol || o->params)) {
        fprintf(stderr, "%s: give --prefix or --symbol/--params, not both\n", prog);
        return -1;
    }
    if (o->prefix) {
        snprintf(sym, cap, "%s-symbol.json", o->prefix);
        snprintf(par, cap, "%s-%04d.params", o->prefix, o->epoch);
    } else if (o->symbol && o->params) {
        snprintf(sym, cap, "%s", o->symbol);
        snprintf(par, cap, "%s", o->params);
    } else {
        fprintf(stderr, "%s: no checkpoint: give --prefix P --epoch N, or --symbol F --params F\n", prog);
        return -1;
    }
    return 0;
}

static int parse_bytes(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || s[0] == '-' || v == 0) {
        fprintf(stderr, "%s: --buffer-bytes: bad value '%s' (expected a byte count >= 1)\n", prog, s);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

/* Images as bytes (n × 784): the IDX file's, or the PGM files read in. */
typedef struct images {
    mx_idx idx, lab;
    uint8_t *pixels;
    long n;
    uint8_t pgm_pixels[MAX_PGM][PIXELS];
} images;

static int load_images(const opts *o, images *im)
{
    if (o->images) {
        if (mx_idx_load(o->images, &im->idx) != MX_OK) return die_mx();
        if (im->idx.ndim != 3 || im->idx.dims[1] != SIDE || im->idx.dims[2] != SIDE) {
            fprintf(stderr, "%s: %s: expected 28x28 images (an IDX file of 3 dimensions)\n", prog, o->images);
            return 1;
        }
        im->pixels = im->idx.data;
        im->n = (long)im->idx.dims[0];
        if (o->labels) {
            if (mx_idx_load(o->labels, &im->lab) != MX_OK) return die_mx();
            if (im->lab.ndim != 1 || im->lab.dims[0] != im->idx.dims[0]) {
                fprintf(stderr, "%s: %s: expected %ld labels, one per image\n", prog, o->labels, im->n);
                return 1;
            }
        }
    } else {
        for (int i = 0; i < o->npgm; i++)
            if (mx_pgm_load(o->pgm[i], SIDE, SIDE, im->pgm_pixels[i]) != MX_OK) return die_mx();
        im->pixels = &im->pgm_pixels[0][0];
        im->n = o->npgm;
    }
    if (o->limit && o->limit < im->n) im->n = o->limit;
    if (im->n == 0) {
        fprintf(stderr, "%s: %s: no images\n", prog, o->images ? o->images : "--pgm");
        return 1;
    }
    return 0;
}

static int argmax(const float *p, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (p[i] > p[best]) best = i;
    return best;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Classifies every image in batches; the hot loop only converts pixels
 * and runs the fixed model. */
static int classify(const opts *o, mx_fixed *f, const images *im, FILE *pred)
{
    mx_shape os = mx_fixed_output_shape(f);
    int classes = (int)(mx_shape_size(&os) / (size_t)os.dims[0]);
    float *in = mx_fixed_input(f);
    long correct = 0;
    double t0 = now_s();
    for (long b = 0; b < im->n; b += o->batch) {
        long m = im->n - b < o->batch ? im->n - b : o->batch;
        /* As the training provider: byte · (1/255); a short batch is padded with zeros. */
        for (long i = 0; i < (long)o->batch * PIXELS; i++)
            in[i] = i < m * PIXELS ? (float)im->pixels[(size_t)b * PIXELS + (size_t)i] * (1.0f / 255.0f) : 0.0f;
        mx_fixed_run(f, NULL, NULL);
        const float *out = mx_fixed_output(f);
        for (long i = 0; i < m; i++) {
            int c = argmax(out + i * classes, classes);
            if (pred) fprintf(pred, "%d\n", c);
            if (o->labels && im->lab.data[b + i] == c) correct++;
            if (!o->images && !o->quiet)
                printf("%s: class %d (p = %.4f)\n", o->pgm[b + i], c, (double)out[i * classes + c]);
        }
    }
    double dt = now_s() - t0;
    printf("classified %ld images in %.1f ms (%.0f images/s, batch %d, 1 thread)\n", im->n, dt * 1e3,
           dt > 0 ? (double)im->n / dt : 0.0, o->batch);
    if (o->labels) printf("accuracy = %.4f (%ld of %ld)\n", (double)correct / (double)im->n, correct, im->n);
    return 0;
}

int main(int argc, char **argv)
{
    static opts o; /* (MAX_PGM paths: too big for the stack; zero-initialised, so in .bss) */
    o.input = "data";
    o.batch = 1;
    int rc = parse(&o, argc, argv);
    if (rc != 0) return rc > 0 ? 0 : 2;
    char sym[4096], par[4096];
    if (paths(&o, sym, par, sizeof sym) != 0) return 2;
    if (o.labels && !o.images) { fprintf(stderr, "%s: --labels needs --images\n", prog); return 2; }
    if (!o.arena_size && !o.images && !o.npgm) {
        fprintf(stderr, "%s: nothing to classify: give --images FILE or --pgm FILE...\n", prog);
        return 2;
    }
    if (o.images && o.npgm) { fprintf(stderr, "%s: give --images or --pgm, not both\n", prog); return 2; }
    size_t given = 0;
    if (o.buffer_bytes && parse_bytes(o.buffer_bytes, &given) != 0) return 2;

    mx_fixed_spec spec = {sym, par, o.input, {4, {o.batch, 1, SIDE, SIDE}}};
    size_t need;
    if (mx_fixed_size(&spec, &need) != MX_OK) return die_mx();
    if (o.arena_size) {
        printf("%zu\n", need);
        return 0;
    }
    static images im; /* (MAX_PGM images: too big for the stack) */
    if ((rc = load_images(&o, &im)) != 0) return rc;
    FILE *pred = NULL;
    if (o.predictions && !(pred = fopen(o.predictions, "w"))) {
        fprintf(stderr, "%s: %s: cannot create\n", prog, o.predictions);
        return 1;
    }

    /* The one buffer: on a board a static array of the --arena-size bytes. */
    size_t size = given ? given : need;
    void *buf = NULL;
    if (posix_memalign(&buf, 64, size) != 0) return die("cannot allocate the buffer");
    mx_fixed *f = mx_fixed_open(&spec, buf, size);
    if (!f) return die_mx();
    printf("arena: %zu bytes needed, %zu given (%s, input (%d,1,%d,%d))\n", mx_fixed_bytes(f), size, par, o.batch,
           SIDE, SIDE);
    rc = classify(&o, f, &im, pred);
    if (pred && fclose(pred) != 0) rc = die("--predictions: write failed");
    free(buf);
    mx_idx_free(&im.idx);
    mx_idx_free(&im.lab);
    return rc;
}
