/* infer.c — classify Fashion-MNIST test images with a checkpoint, in one
 * fixed buffer.
 *
 * A user's own inference program for a board: the checkpoint that
 * ../train_fashion wrote (PREFIX-symbol.json + PREFIX-NNNN.params) is laid
 * out in a single caller-owned buffer of an exact size (mx/fixed_infer.h);
 * after that, classifying allocates nothing and starts no thread. It uses
 * only calls that the inference-only library (scons profile=infer) has
 * too, and plain C11, so it cross-compiles: make CC=aarch64-linux-gnu-gcc.
 *
 *   infer [--data-dir DIR] [--limit N] [--batch-size N] PREFIX EPOCH
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mx/error.h>
#include <mx/fixed_infer.h>
#include <mx/idx.h>

#define SIDE 28
#define PIXELS (SIDE * SIDE)

static const char *prog = "infer";

static void usage(void)
{
    printf("usage: %s [options] PREFIX EPOCH\n"
           "Classifies the Fashion-MNIST test images with PREFIX-symbol.json and PREFIX-EPOCH.params\n"
           "(EPOCH as in PREFIX-0002.params: 2) on one fixed buffer, and prints the accuracy.\n"
           "  --data-dir DIR    t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz\n"
           "                    (/usr/share/datasets/fashion-mnist)\n"
           "  --limit N         classify the first N images only (0 = all)\n"
           "  --batch-size N    images per forward pass; the buffer grows with it (100)\n", prog);
}

static long int_arg(const char *what, const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "%s: %s: bad value '%s' (expected %ld..%ld)\n", prog, what, s, lo, hi);
        return -1;
    }
    return v;
}

static double seconds(void)
{
    struct timespec t;
    timespec_get(&t, TIME_UTC); /* C11, unlike clock_gettime */
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *dir = "/usr/share/datasets/fashion-mnist", *pos[2] = {NULL, NULL};
    long limit = 0, batch = 100, epoch;
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(); return 0; }
        if (a[0] != '-' || !strcmp(a, "-")) { /* a positional argument */
            if (npos == 2) { fprintf(stderr, "%s: %s: unexpected argument (try --help)\n", prog, a); return 2; }
            pos[npos++] = a;
            continue;
        }
        int known = !strcmp(a, "--data-dir") || !strcmp(a, "--limit") || !strcmp(a, "--batch-size");
        if (!known) { fprintf(stderr, "%s: %s: unknown flag (try --help)\n", prog, a); return 2; }
        if (!val) { fprintf(stderr, "%s: %s: missing value\n", prog, a); return 2; }
        i++;
        if (!strcmp(a, "--data-dir")) dir = val;
        else if (!strcmp(a, "--limit")) { if ((limit = int_arg(a, val, 0, 1L << 30)) < 0) return 2; }
        else if ((batch = int_arg(a, val, 1, 65536)) < 0) return 2;
    }
    if (npos != 2) { fprintf(stderr, "%s: expected PREFIX EPOCH (try --help)\n", prog); return 2; }
    if ((epoch = int_arg("EPOCH", pos[1], 0, 9999)) < 0) return 2;

    /* The test set: mx_idx_load reads gzipped IDX files (and checks them). */
    char ipath[4096], lpath[4096];
    snprintf(ipath, sizeof ipath, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(lpath, sizeof lpath, "%s/t10k-labels-idx1-ubyte.gz", dir);
    mx_idx images = {0}, labels = {0};
    if (mx_idx_load(ipath, &images) != MX_OK || mx_idx_load(lpath, &labels) != MX_OK) {
        fprintf(stderr, "%s: %s\n", prog, mx_last_error());
        mx_idx_free(&images);
        return 1;
    }
    if (images.ndim != 3 || images.dims[1] != SIDE || images.dims[2] != SIDE || labels.ndim != 1 ||
        labels.dims[0] != images.dims[0]) {
        fprintf(stderr, "%s: %s, %s: expected 28x28 images and one label per image\n", prog, ipath, lpath);
        mx_idx_free(&images);
        mx_idx_free(&labels);
        return 1;
    }
    long n = (long)images.dims[0];
    if (limit > 0 && limit < n) n = limit;
    if (n == 0) {
        fprintf(stderr, "%s: %s: no images\n", prog, ipath);
        mx_idx_free(&images);
        mx_idx_free(&labels);
        return 1;
    }

    /* 1. Size: the exact bytes this checkpoint needs for (batch, 1, 28, 28)
     *    inputs. A board would run this on the build host and declare
     *    `static float arena[...]` of that size instead of allocating. */
    char sym[4200], par[4200];
    snprintf(sym, sizeof sym, "%s-symbol.json", pos[0]);
    snprintf(par, sizeof par, "%s-%04ld.params", pos[0], epoch);
    mx_fixed_spec spec = {sym, par, "data", mx_shape_make(4, (int)batch, 1, SIDE, SIDE)};
    size_t need = 0;
    if (mx_fixed_size(&spec, &need) != MX_OK) {
        fprintf(stderr, "%s: %s\n", prog, mx_last_error());
        mx_idx_free(&images);
        mx_idx_free(&labels);
        return 1;
    }

    /* 2. Open: the whole model goes into our 64-byte aligned buffer
     *    (C11's aligned_alloc wants a multiple of the alignment). */
    size_t size = (need + 63) / 64 * 64;
    void *arena = aligned_alloc(64, size);
    mx_fixed *f = arena ? mx_fixed_open(&spec, arena, size) : NULL;
    if (!f) {
        fprintf(stderr, "%s: %s\n", prog, arena ? mx_last_error() : "out of memory");
        free(arena);
        mx_idx_free(&images);
        mx_idx_free(&labels);
        return 1;
    }
    mx_shape os = mx_fixed_output_shape(f);
    int classes = (int)(mx_shape_size(&os) / (size_t)os.dims[0]);
    printf("arena: %zu bytes for %s at batch %ld (%d classes)\n", need, par, batch, classes);

    /* 3. Run: fill the input inside the arena, run, read the output. The
     *    pixels are scaled exactly as in training (byte / 255). */
    float *in = mx_fixed_input(f);
    long correct = 0;
    int rc = 0;
    double t0 = seconds();
    for (long b = 0; b < n; b += batch) {
        long m = n - b < batch ? n - b : batch;
        for (long i = 0; i < batch * PIXELS; i++) /* a short last batch is padded with zeros */
            in[i] = i < m * PIXELS ? images.data[b * PIXELS + i] / 255.0f : 0.0f;
        if (mx_fixed_run(f, NULL, NULL) != MX_OK) {
            fprintf(stderr, "%s: run: %s\n", prog, mx_last_error());
            rc = 1;
            break;
        }
        const float *out = mx_fixed_output(f);
        for (long i = 0; i < m; i++) {
            int best = 0;
            for (int c = 1; c < classes; c++)
                if (out[i * classes + c] > out[i * classes + best]) best = c;
            correct += best == labels.data[b + i];
        }
    }
    double dt = seconds() - t0;
    if (!rc) printf("classified %ld images in %.1f ms (%.0f images/s, one thread)\n", n, dt * 1e3, dt > 0 ? n / dt : 0.0);
    if (!rc) printf("accuracy %.4f on %ld images\n", (double)correct / (double)n, n);

    /* Nothing to close: the model lives in the arena. */
    free(arena);
    mx_idx_free(&images);
    mx_idx_free(&labels);
    return rc;
}
