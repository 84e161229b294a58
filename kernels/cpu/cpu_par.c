/* cpu_par.c — static range splitting over the engine for range kernels. */
#include "cpu_par.h"

typedef struct par_job {
    mx_range_fn fn;
    void *ctx;
    size_t n;
} par_job;

static void par_body(void *p, int tid, int nthreads)
{
    par_job *job = p;
    long b, e;
    mx_split_range((long)job->n, tid, nthreads, &b, &e);
    if (e > b) job->fn(job->ctx, (size_t)b, (size_t)e);
}

void mx_cpu_parallel(mx_engine *eng, size_t n, size_t min_parallel, mx_range_fn fn, void *ctx)
{
    if (!eng || n < min_parallel || mx_engine_threads(eng) == 1) {
        if (n) fn(ctx, 0, n);
        return;
    }
    par_job job = {fn, ctx, n};
    mx_engine_run(eng, par_body, &job);
}
