/* bench_sgemm.c — mx_sgemm against OpenBLAS's cblas_sgemm, 1 and 2
 * threads, on the MNIST MLP's training GEMMs (batch 100, 784-128-64-10)
 * and a large square product (the machine's peak). Prints one table of
 * GFLOP/s (median of many timed calls, hot caches as in a training loop,
 * beta as the MLP uses it), the per-step and per-epoch (600 steps) GEMM
 * time, the kernel and the CPU. MX_SGEMM=avx2 etc. benches another kernel.
 * Build without MX_USE_OPENBLAS (else both columns are OpenBLAS).
 * Usage: bench_sgemm [--quick]   (--quick: fewer repetitions, 1024³) */
#define _GNU_SOURCE
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernels/cpu/sgemm.h"

typedef struct shape {
    const char *what;
    int ta, tb, m, n, k;
    float beta;
    int reps; /* calls per training step (convolutions run one per sample) */
} shape;

/* One training step's products, with the FullyConnected op's beta (the
 * forward adds onto the bias already in Y), then the peak probe (last). */
static shape mlp_shapes[] = {
    {"fwd  h1 += X W1^T", 0, 1, 100, 128, 784, 1, 1},   {"fwd  h2 += h1 W2^T", 0, 1, 100, 64, 128, 1, 1},
    {"fwd  y += h2 W3^T", 0, 1, 100, 10, 64, 1, 1},     {"bwd  dh1 = dh2 W2", 0, 0, 100, 128, 64, 0, 1},
    {"bwd  dh2 = dy W3", 0, 0, 100, 64, 10, 0, 1},      {"bwd  dW1 = dh1^T X", 1, 0, 128, 784, 100, 0, 1},
    {"bwd  dW2 = dh2^T h1", 1, 0, 64, 128, 100, 0, 1},  {"bwd  dW3 = dy^T h2", 1, 0, 10, 64, 100, 0, 1},
    {"peak square", 0, 0, 2048, 2048, 2048, 0, 1},
};

/* LeNet's products at batch 100 as the kernels issue them: convolutions
 * per sample (im2col for forward and data gradient, im2row for conv2's
 * weight gradient), FullyConnected per batch; conv1 needs no data gradient. */
static shape lenet_shapes[] = {
    {"conv1 fwd  W col", 0, 0, 20, 576, 25, 1, 100},    {"conv1 dW   dY col^T", 0, 1, 20, 25, 576, 0, 100},
    {"conv2 fwd  W col", 0, 0, 50, 64, 500, 1, 100},    {"conv2 dcol W^T dY", 1, 0, 500, 64, 50, 0, 100},
    {"conv2 dW   dY row", 0, 0, 50, 500, 64, 0, 100},   {"fc1 fwd  X W^T", 0, 1, 100, 500, 800, 1, 1},
    {"fc1 dX   dY W", 0, 0, 100, 800, 500, 0, 1},       {"fc1 dW   dY^T X", 1, 0, 500, 800, 100, 0, 1},
    {"fc2 fwd  X W^T", 0, 1, 100, 10, 500, 1, 1},       {"fc2 dX   dY W", 0, 0, 100, 500, 10, 0, 1},
    {"fc2 dW   dY^T X", 1, 0, 10, 500, 100, 0, 1},      {"peak square", 0, 0, 2048, 2048, 2048, 0, 1},
};
#define NMAX ((int)(sizeof lenet_shapes / sizeof lenet_shapes[0]))
static shape *shapes = mlp_shapes;
static int NSHAPES = (int)(sizeof mlp_shapes / sizeof mlp_shapes[0]);
#define NMLP (NSHAPES - 1)

enum { MX1, OB1, MX2, OB2, NCOLS };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct operands {
    float *a, *b, *c;
} operands;

/* Median seconds of one call: about 0.3 s / quick of calls (at least 15),
 * after three untimed ones. */
static double time_shape(const shape *s, const operands *o, int use_mx, mx_engine *eng, int quick)
{
    static double t[20000];
    int lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    double flops = 2.0 * s->m * s->n * s->k;
    int reps = (int)(0.3e9 / quick / flops * 100.0); /* ~0.3 s at 100 GFLOP/s, / quick */
    reps = reps < 15 ? 15 : reps > 20000 ? 20000 : reps;
    for (int r = -3; r < reps; r++) {
        double t0 = now();
        if (use_mx)
            mx_sgemm(eng, s->ta, s->tb, s->m, s->n, s->k, 1.0f, o->a, lda, o->b, ldb, s->beta, o->c,
                     s->n);
        else
            cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans,
                        s->tb ? CblasTrans : CblasNoTrans, s->m, s->n, s->k, 1.0f, o->a, lda,
                        o->b, ldb, s->beta, o->c, s->n);
        if (r >= 0) t[r] = now() - t0;
    }
    qsort(t, (size_t)reps, sizeof t[0], by_value);
    return t[reps / 2];
}

static void cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!strncmp(line, "model name", 10) && colon) {
            colon += 2;
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(buf, cap, "%s", colon);
            break;
        }
    }
    fclose(f);
}

static mx_engine *engine(int n)
{
    mx_engine *e = mx_engine_create(n, MX_BIND_CORE);
    return e ? e : mx_engine_create(n, MX_BIND_NONE);
}

int main(int argc, char **argv)
{
    int quick = 1, lenet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 4;
        else if (!strcmp(argv[i], "--lenet")) lenet = 1;
        else { fprintf(stderr, "bench_sgemm: unknown option '%s' (--quick, --lenet)\n", argv[i]); return 2; }
    }
    if (lenet) {
        shapes = lenet_shapes;
        NSHAPES = NMAX;
    }
    for (int i = 0; i < NSHAPES; i++) if (!shapes[i].reps) shapes[i].reps = 1;
    if (quick > 1) shapes[NMLP].m = shapes[NMLP].n = shapes[NMLP].k = 1024;
    static operands ops[NMAX];
    for (int i = 0; i < NSHAPES; i++) {
        const shape *s = &shapes[i];
        size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
        ops[i].a = malloc(na * sizeof(float));
        ops[i].b = malloc(nb * sizeof(float));
        ops[i].c = malloc(nc * sizeof(float));
        if (!ops[i].a || !ops[i].b || !ops[i].c) { fprintf(stderr, "out of memory\n"); return 1; }
        for (size_t j = 0; j < na; j++) ops[i].a[j] = (float)rand() / RAND_MAX - 0.5f;
        for (size_t j = 0; j < nb; j++) ops[i].b[j] = (float)rand() / RAND_MAX - 0.5f;
        memset(ops[i].c, 0, nc * sizeof(float)); /* beta = 1 keeps adding to zeros */
    }
    /* Each column runs alone: the other library's spinning threads would
     * steal the cores, so engines are freed and pauses let pools go idle. */
    static double sec[NMAX][NCOLS];
    for (int col = 0; col < NCOLS; col++) {
        int threads = col == MX1 || col == OB1 ? 1 : 2, use_mx = col == MX1 || col == MX2;
        mx_engine *eng = use_mx ? engine(threads) : NULL;
        if (use_mx && !eng) {
            fprintf(stderr, "cannot create engine: %s\n", mx_last_error());
            return 1;
        }
        if (!use_mx) openblas_set_num_threads(threads);
        usleep(50000);
        /* Warm-up: a core idle for a while runs slowly for the first tens
         * of milliseconds (measured on this VM), so busy both first. */
        for (double t0 = now(); now() - t0 < 0.3;) time_shape(&shapes[0], &ops[0], use_mx, eng, 4);
        for (int i = 0; i < NSHAPES; i++)
            sec[i][col] = time_shape(&shapes[i], &ops[i], use_mx, eng, quick);
        mx_engine_free(eng);
    }
    char model[256];
    cpu_model(model, sizeof model);
    printf("machine: %s, %ld CPUs online\n", model, sysconf(_SC_NPROCESSORS_ONLN));
    printf("mx_sgemm kernel: %s; OpenBLAS %s (core %s)\n", mx_sgemm_kernel_name(),
           openblas_get_config(), openblas_get_corename());
    printf("GFLOP/s, median of >= 15 timed calls (about 0.3 s per cell), hot caches\n\n");
    printf("%-22s %2s %5s %5s %5s | %8s %8s | %8s %8s\n", "product", "op", "m", "n", "k", "mx 1T",
           "OBLAS 1T", "mx 2T", "OBLAS 2T");
    double step[NCOLS] = {0};
    for (int i = 0; i < NSHAPES; i++) {
        const shape *s = &shapes[i];
        double flops = 2.0 * s->m * s->n * s->k;
        if (i == NMLP) printf("\n");
        printf("%-22s %c%c %5d %5d %5d |", s->what, s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m,
               s->n, s->k);
        for (int col = 0; col < NCOLS; col++) {
            printf(" %8.1f%s", flops / sec[i][col] * 1e-9, col == OB1 ? " |" : "");
            if (i < NMLP) step[col] += sec[i][col] * shapes[i].reps;
        }
        printf("\n");
    }
    printf("\n%-43s |", lenet ? "LeNet step, all GEMMs (us)" : "MLP step, 8 GEMMs (us)");
    for (int col = 0; col < NCOLS; col++)
        printf(" %8.1f%s", step[col] * 1e6, col == OB1 ? " |" : "");
    printf("\n%-43s |", "epoch GEMMs, 600 steps (s)");
    for (int col = 0; col < NCOLS; col++)
        printf(" %8.3f%s", step[col] * 600, col == OB1 ? " |" : "");
    printf("\n");
    for (int i = 0; i < NSHAPES; i++) {
        free(ops[i].a);
        free(ops[i].b);
        free(ops[i].c);
    }
    return 0;
}
