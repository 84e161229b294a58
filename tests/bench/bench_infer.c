/* bench_infer.c — inference latency of one checkpoint (issue #17's
 * benchmark: the ONNX-imported CNNs beside PyTorch, run_onnx_bench.sh):
 * binds PREFIX at the --shape given (to the loaded parameters
 * themselves), runs forward --warmup times, then
 * --runs timed times, and prints one key=value line: the median and
 * best latency, images/s at the median, the executor's planned bytes and
 * the process's peak RSS. Inputs are uniform [0, 1) from a fixed seed.
 *
 *   bench_infer PREFIX EPOCH --shape data=N,C,H,W [--threads T] [--runs R] [--warmup W] [--label L] */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mx/mx.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench_infer PREFIX EPOCH --shape NAME=D1,... [--threads T] [--runs R] [--warmup W] [--label L]\n");
        return 2;
    }
    const char *label = argv[1], *shape_text = NULL;
    int threads = 0, runs = 10, warmup = 2;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--shape")) shape_text = argv[i + 1];
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--runs")) runs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) warmup = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--label")) label = argv[i + 1];
        else return fprintf(stderr, "bench_infer: unknown flag %s\n", argv[i]), 2;
    }
    const char *eq = shape_text ? strchr(shape_text, '=') : NULL;
    char name[128];
    mx_shape shape;
    if (!eq || eq - shape_text >= (long)sizeof name || runs < 1 || mx_shape_parse(eq + 1, &shape) != 0)
        return fprintf(stderr, "bench_infer: need --shape NAME=D1,... and --runs >= 1\n"), 2;
    memcpy(name, shape_text, (size_t)(eq - shape_text));
    name[eq - shape_text] = 0;
    if (mx_engine_set_default(threads, MX_BIND_CORE) != MX_OK) return fprintf(stderr, "bench_infer: %s\n", mx_last_error()), 1;
    mx_sym *sym;
    mx_nd_list params;
    if (mx_checkpoint_load(argv[1], atoi(argv[2]), &sym, &params) != MX_OK)
        return fprintf(stderr, "bench_infer: %s\n", mx_last_error()), 1;
    /* Bound to the loaded parameters themselves (mx_bind), as an inference
     * program would: no second copy of the weights in the executor. */
    const char *const *args;
    int na = mx_list_arguments(sym, &args);
    int nx = mx_list_auxiliary_states(sym, NULL, 0);
    const char **aux_names = calloc((size_t)nx + 1, sizeof *aux_names);
    mx_nd **arg_nd = calloc((size_t)na + 1, sizeof *arg_nd), **aux_nd = calloc((size_t)nx + 1, sizeof *aux_nd);
    mx_shape *arg_shapes = calloc((size_t)na + 1, sizeof *arg_shapes), *aux_shapes = calloc((size_t)nx + 1, sizeof *aux_shapes);
    mx_shape outs[64];
    if (!aux_names || !arg_nd || !aux_nd || !arg_shapes || !aux_shapes || mx_list_outputs(sym, NULL, 0) > 64 ||
        mx_list_auxiliary_states(sym, aux_names, nx) != nx)
        return fprintf(stderr, "bench_infer: no memory\n"), 1;
    const char *names[1] = {name};
    if (mx_infer_shape(sym, 1, names, &shape, arg_shapes, outs, aux_shapes) != MX_OK)
        return fprintf(stderr, "bench_infer: %s\n", mx_last_error()), 1;
    mx_nd *data = NULL;
    for (int a = 0; a < na; a++) {
        int pi = -1;
        for (int i = 0; i < params.n; i++)
            if (!strcmp(params.names[i] + 4, args[a])) pi = i;
        arg_nd[a] = pi >= 0 ? params.arrays[pi] : mx_nd_empty(arg_shapes[a]); /* the data (and any label) */
        if (!strcmp(args[a], name)) data = arg_nd[a];
    }
    for (int x = 0; x < nx; x++)
        for (int i = 0; i < params.n; i++)
            if (!strcmp(params.names[i] + 4, aux_names[x])) aux_nd[x] = params.arrays[i];
    for (int x = 0; x < nx; x++)
        if (!aux_nd[x]) return fprintf(stderr, "bench_infer: no aux state %s in the params\n", aux_names[x]), 1;
    mx_exec *ex = mx_bind(sym, mx_cpu(), arg_nd, NULL, NULL, aux_nd);
    if (!ex || !data) return fprintf(stderr, "bench_infer: bind: %s\n", mx_last_error()), 1;
    /* The input filled in place: a temporary copy would be counted in the
     * peak RSS the benchmark reports (19 MB at resnet18's batch 32). */
    size_t n = mx_nd_size(data);
    float *v = mx_nd_data(data);
    mx_rng rng;
    mx_rng_seed(&rng, 1);
    for (size_t k = 0; v && k < n; k++) v[k] = mx_rng_uniform(&rng);
    if (!v) return fprintf(stderr, "bench_infer: input\n"), 1;
    double *t = malloc(sizeof *t * (size_t)runs);
    if (!t) return 1;
    for (int r = 0; r < warmup + runs; r++) {
        double t0 = now();
        if (mx_exec_forward(ex, 0) != MX_OK) return fprintf(stderr, "bench_infer: forward: %s\n", mx_last_error()), 1;
        mx_nd_data(mx_exec_output(ex, 0)); /* the output is read: every pending write is done */
        if (r >= warmup) t[r - warmup] = now() - t0;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    double med = runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("label=%s batch=%lld threads=%d median_ms=%.2f best_ms=%.2f images_per_s=%.1f planned_mb=%.1f peak_rss_mb=%.1f\n",
           label, (long long)shape.dims[0], threads, 1e3 * med, 1e3 * t[0], (double)shape.dims[0] / med,
           (double)mx_exec_planned_bytes(ex) / 1e6, (double)ru.ru_maxrss / 1024.0);
    free(t);
    mx_exec_free(ex);
    for (int a = 0; a < na; a++) {
        int owned = 1;
        for (int i = 0; i < params.n; i++) owned &= arg_nd[a] != params.arrays[i];
        if (owned) mx_nd_free(arg_nd[a]);
    }
    free(arg_nd), free(aux_nd), free(aux_names), free(arg_shapes), free(aux_shapes);
    mx_sym_free(sym);
    mx_nd_list_free(&params);
    return 0;
}
