/* bench_conv.c — the CPU convolution kernels on LeNet's two layers at
 * batch 100 (conv1: 1→20 channels, 5×5 on 28×28; conv2: 20→50, 5×5 on
 * 12×12): forward, backward-data and backward-weight (with the bias
 * gradient) at 1 and 2 threads, in ms per batch, GFLOP/s and the fraction
 * of the machine's peak, measured in the same run as a 2048³ mx_sgemm on
 * the same engine. Then the layers' share of a training epoch (600
 * batches; conv1's data gradient is not needed in training).
 * Usage: bench_conv [--quick]   (--quick: fewer repetitions, 1024³ peak) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"
#include "kernels/cpu/sgemm.h"

typedef struct layer {
    const char *name;
    mx_conv_geom g;
} layer;

static const layer layers[] = {
    {"conv1", {100, 1, 28, 28, 20, 1, 5, 5, 1, 1, 0, 0, 1, 1, 24, 24}},
    {"conv2", {100, 20, 12, 12, 50, 1, 5, 5, 1, 1, 0, 0, 1, 1, 8, 8}},
};
#define NLAYERS ((int)(sizeof layers / sizeof layers[0]))

enum { FWD, BWD_DATA, BWD_WEIGHT, NPASS };
static const char *const pass_names[NPASS] = {"forward", "backward-data", "backward-weight"};

typedef struct buffers {
    float *x, *w, *b, *y, *dy, *dx, *dw, *db;
    void *ws;
} buffers;

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

static float *random_floats(size_t n)
{
    float *p = aligned_alloc(64, (n * sizeof *p + 63) / 64 * 64);
    if (!p) { fprintf(stderr, "bench_conv: out of memory\n"); exit(1); }
    for (size_t i = 0; i < n; i++) p[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    return p;
}

static void run_pass(mx_engine *eng, const mx_conv_geom *g, buffers *B, int pass)
{
    const mx_kernels *k = &mx_cpu_kernels;
    if (pass == FWD) k->conv_forward(eng, g, B->x, B->w, B->b, B->y, B->ws);
    else if (pass == BWD_DATA)
        k->conv_backward(eng, g, B->x, B->w, B->dy, B->dx, MX_REQ_WRITE, NULL, MX_REQ_NULL, NULL,
                         MX_REQ_NULL, B->ws);
    else
        k->conv_backward(eng, g, B->x, B->w, B->dy, NULL, MX_REQ_NULL, B->dw, MX_REQ_WRITE, B->db,
                         MX_REQ_WRITE, B->ws);
}

/* Median seconds of one call over about 0.25 s / quick of calls. */
static double time_pass(mx_engine *eng, const mx_conv_geom *g, buffers *B, int pass, int quick)
{
    static double t[4000];
    int reps = 0;
    for (int r = 0; r < 3; r++) run_pass(eng, g, B, pass);
    for (double t0 = now(); reps < 4000 && (reps < 15 || now() - t0 < 0.25 / quick); reps++) {
        double a = now();
        run_pass(eng, g, B, pass);
        t[reps] = now() - a;
    }
    qsort(t, (size_t)reps, sizeof t[0], by_value);
    return t[reps / 2];
}

/* GFLOP/s of a square mx_sgemm on eng: the machine's peak as the
 * built-in GEMM reaches it. */
static double peak_gflops(mx_engine *eng, int n, int quick)
{
    size_t nn = (size_t)n * n;
    float *a = random_floats(nn), *b = random_floats(nn), *c = random_floats(nn);
    double best = 1e30;
    for (int r = 0; r < (quick > 1 ? 3 : 5); r++) {
        double t0 = now();
        mx_sgemm(eng, 0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double t = now() - t0;
        if (t < best) best = t;
    }
    free(a); free(b); free(c);
    return 2.0 * n * n * n / best / 1e9;
}

static double layer_flops(const mx_conv_geom *g)
{
    return 2.0 * g->n * g->f * g->oh * g->ow * (double)(g->c / g->groups) * g->kh * g->kw;
}

static mx_engine *engine(int n)
{
    mx_engine *e = mx_engine_create(n, MX_BIND_CORE);
    return e ? e : mx_engine_create(n, MX_BIND_NONE);
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && !strcmp(argv[1], "--quick") ? 4 : 1;
    int peak_n = quick > 1 ? 1024 : 2048;
    static buffers B[NLAYERS];
    for (int l = 0; l < NLAYERS; l++) {
        const mx_conv_geom *g = &layers[l].g;
        size_t nx = (size_t)g->n * g->c * g->h * g->w, ny = (size_t)g->n * g->f * g->oh * g->ow;
        size_t nw = (size_t)g->f * (g->c / g->groups) * g->kh * g->kw;
        size_t nf = (size_t)g->f;
        B[l] = (buffers){random_floats(nx), random_floats(nw), random_floats(nf), random_floats(ny),
                         random_floats(ny), random_floats(nx), random_floats(nw), random_floats(nf), NULL};
        size_t ws = mx_cpu_kernels.conv_workspace(g);
        B[l].ws = aligned_alloc(64, (ws + 63) / 64 * 64);
        if (!B[l].ws) { fprintf(stderr, "bench_conv: out of memory\n"); return 1; }
    }
    static double sec[NLAYERS][NPASS][2], peak[2];
    for (int t = 0; t < 2; t++) {
        mx_engine *eng = engine(t + 1);
        if (!eng) { fprintf(stderr, "bench_conv: cannot create engine: %s\n", mx_last_error()); return 1; }
        nanosleep(&(struct timespec){0, 50000000}, NULL); /* let other pools go idle */
        /* warm-up: an idle core runs slowly for its first tens of ms */
        for (double t0 = now(); now() - t0 < 0.3;) run_pass(eng, &layers[1].g, &B[1], FWD);
        peak[t] = peak_gflops(eng, peak_n, quick);
        for (int l = 0; l < NLAYERS; l++)
            for (int p = 0; p < NPASS; p++) sec[l][p][t] = time_pass(eng, &layers[l].g, &B[l], p, quick);
        mx_engine_free(eng);
    }
    printf("CPU convolution, LeNet layers at batch 100 (kernel %s); peak = %d^3 mx_sgemm in this run:\n",
           mx_sgemm_kernel_name(), peak_n);
    printf("  1 thread %.1f GFLOP/s, 2 threads %.1f GFLOP/s\n\n", peak[0], peak[1]);
    printf("%-6s %-16s %7s | %9s %8s %6s | %9s %8s %6s\n", "layer", "pass", "GFLOP", "1T ms", "GFLOP/s",
           "peak", "2T ms", "GFLOP/s", "peak");
    double epoch[2] = {0, 0};
    for (int l = 0; l < NLAYERS; l++) {
        double fl = layer_flops(&layers[l].g) / 1e9;
        for (int p = 0; p < NPASS; p++) {
            printf("%-6s %-16s %7.3f", layers[l].name, pass_names[p], fl);
            for (int t = 0; t < 2; t++) {
                double gf = fl / sec[l][p][t];
                printf(" | %9.3f %8.1f %5.0f%%", sec[l][p][t] * 1e3, gf, 100.0 * gf / peak[t]);
                if (!(l == 0 && p == BWD_DATA)) epoch[t] += 600.0 * sec[l][p][t];
            }
            printf("\n");
        }
    }
    printf("\nconvolutions in a training epoch (600 batches, no conv1 data gradient): "
           "1 thread %.2f s, 2 threads %.2f s\n", epoch[0], epoch[1]);
    return 0;
}
