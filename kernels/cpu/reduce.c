/* reduce.c — CPU reductions over any axes (sum, max, min, prod and their
 * gradients), broadcast binary arithmetic with its gradient terms, and log
 * softmax. Geometry comes from the ops (runtime/ops/reduce.c,
 * broadcast.c); offsets from kernel_shared.h, shared with CUDA. Each output
 * element is folded by one thread in a fixed order: the same bits on any
 * thread count, and the same as the CUDA kernels' (one thread an element). */
#include <math.h>
#include <string.h>

#include "cpu_kernels.h"
#include "cpu_par.h"
#include "kernels/kernel_shared.h"

static inline void put(float *dst, int64_t i, float v, mx_req req)
{
    if (req == MX_REQ_ADD) dst[i] += v;
    else dst[i] = v;
}

typedef struct red_job {
    mx_redop op;
    const float *x, *y, *dy;
    float *out;
    const mx_reduce_geom *g;
    int64_t fold;
    float scale;
    mx_req req;
} red_job;

static void reduce_range(void *p, size_t lo, size_t hi)
{
    red_job *j = p;
    const mx_reduce_geom *g = j->g;
    for (size_t k = lo; k < hi; k++) {
        const float *x = j->x + mx_reduce_kept_offset(g, (int64_t)k);
        float acc = x[0];
        if (g->nr == 1) { /* one reduced axis (after merging): a strided run */
            int64_t s = g->rstride[0];
            for (int64_t r = 1; r < j->fold; r++) acc = mx_redop_apply(j->op, acc, x[r * s]);
        } else {
            for (int64_t r = 1; r < j->fold; r++) acc = mx_redop_apply(j->op, acc, x[mx_reduce_fold_offset(g, r)]);
        }
        put(j->out, (int64_t)k, j->scale * acc, j->req);
    }
}

static int64_t count(const int64_t *size, int n)
{
    int64_t c = 1;
    for (int d = 0; d < n; d++) c *= size[d];
    return c;
}

void mx_cpu_reduce(mx_engine *eng, mx_redop op, const float *x, float *y, const mx_reduce_geom *g, float scale,
                   mx_req req)
{
    if (req == MX_REQ_NULL) return;
    int64_t kept = count(g->ksize, g->nk), fold = count(g->rsize, g->nr);
    if (kept == 0) return;
    red_job j = {op, x, NULL, NULL, y, g, fold, scale, req};
    mx_cpu_parallel(eng, (size_t)kept, MX_CPU_PAR_MIN / (size_t)(fold ? fold : 1) + 1, reduce_range, &j);
}

static void reduce_backward_range(void *p, size_t lo, size_t hi)
{
    red_job *j = p;
    const mx_reduce_geom *g = j->g;
    for (size_t k = lo; k < hi; k++) {
        int64_t base = mx_reduce_kept_offset(g, (int64_t)k);
        float dy = j->dy[k], y = j->y ? j->y[k] : 0.0f;
        for (int64_t r = 0; r < j->fold; r++) {
            int64_t at = base + mx_reduce_fold_offset(g, r);
            float v;
            switch (j->op) {
            case MX_RED_SUM: v = j->scale * dy; break;
            case MX_RED_MAX: case MX_RED_MIN: v = j->x[at] == y ? dy : 0.0f; break;
            default: v = dy * y / j->x[at]; break;
            }
            put(j->out, at, v, j->req);
        }
    }
}

void mx_cpu_reduce_backward(mx_engine *eng, mx_redop op, const float *x, const float *y, const float *dy, float *dx,
                            const mx_reduce_geom *g, float scale, mx_req req)
{
    if (req == MX_REQ_NULL) return;
    int64_t kept = count(g->ksize, g->nk), fold = count(g->rsize, g->nr);
    if (kept == 0) return;
    red_job j = {op, x, y, dy, dx, g, fold, scale, req};
    mx_cpu_parallel(eng, (size_t)kept, MX_CPU_PAR_MIN / (size_t)(fold ? fold : 1) + 1, reduce_backward_range, &j);
}

typedef struct bc_job {
    mx_binop op;
    int side;
    const float *a, *b, *dy;
    float *out;
    const mx_bcast_geom *g;
} bc_job;

static void bcast_range(void *p, size_t lo, size_t hi)
{
    bc_job *j = p;
    for (size_t i = lo; i < hi; i++) {
        float a = j->a[mx_bcast_offset(j->g, 0, (int64_t)i)];
        j->out[i] = j->b ? mx_binop_apply(j->op, a, j->b[mx_bcast_offset(j->g, 1, (int64_t)i)]) : a;
    }
}

void mx_cpu_bcast_binary(mx_engine *eng, mx_binop op, const float *a, const float *b, float *y,
                         const mx_bcast_geom *g)
{
    int64_t n = count(g->shape, g->ndim);
    bc_job j = {op, 0, a, b, NULL, y, g};
    mx_cpu_parallel(eng, (size_t)n, MX_CPU_PAR_MIN, bcast_range, &j);
}

static void bcast_grad_range(void *p, size_t lo, size_t hi)
{
    bc_job *j = p;
    for (size_t i = lo; i < hi; i++) {
        float a = j->a[mx_bcast_offset(j->g, 0, (int64_t)i)], b = j->b[mx_bcast_offset(j->g, 1, (int64_t)i)];
        j->out[i] = mx_binop_grad(j->op, j->side, a, b, j->dy[i]);
    }
}

void mx_cpu_bcast_grad(mx_engine *eng, mx_binop op, int side, const float *a, const float *b, const float *dy,
                       float *t, const mx_bcast_geom *g)
{
    int64_t n = count(g->shape, g->ndim);
    bc_job j = {op, side, a, b, dy, t, g};
    mx_cpu_parallel(eng, (size_t)n, MX_CPU_PAR_MIN, bcast_grad_range, &j);
}

void mx_cpu_log_softmax(mx_engine *eng, const float *x, float *y, size_t outer, size_t channels, size_t inner)
{
    (void)eng;
    for (size_t o = 0; o < outer; o++)
        for (size_t in = 0; in < inner; in++) {
            const float *xr = x + o * channels * inner + in;
            float *yr = y + o * channels * inner + in;
            float mx = xr[0];
            for (size_t c = 1; c < channels; c++) mx = xr[c * inner] > mx ? xr[c * inner] : mx;
            float sum = 0.0f;
            for (size_t c = 0; c < channels; c++) sum += expf(xr[c * inner] - mx);
            float lse = mx + logf(sum);
            for (size_t c = 0; c < channels; c++) yr[c * inner] = xr[c * inner] - lse;
        }
}

void mx_cpu_log_softmax_backward(mx_engine *eng, const float *y, const float *dy, float *dx, size_t outer,
                                 size_t channels, size_t inner, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL) return;
    for (size_t o = 0; o < outer; o++)
        for (size_t in = 0; in < inner; in++) {
            size_t base = o * channels * inner + in;
            float sum = 0.0f;
            for (size_t c = 0; c < channels; c++) sum += dy[base + c * inner];
            for (size_t c = 0; c < channels; c++) {
                size_t i = base + c * inner;
                put(dx, (int64_t)i, dy[i] - expf(y[i]) * sum, req);
            }
        }
}

typedef struct sc_job {
    const float *src;
    float *dst;
    const mx_bcast_geom *g;
    mx_req req;
} sc_job;

static void scatter_range(void *p, size_t lo, size_t hi)
{
    sc_job *j = p;
    for (size_t i = lo; i < hi; i++) put(j->dst, mx_bcast_offset(j->g, 0, (int64_t)i), j->src[i], j->req);
}

void mx_cpu_scatter(mx_engine *eng, const float *src, float *dst, const mx_bcast_geom *g, mx_req req)
{
    if (req == MX_REQ_NULL) return;
    int64_t n = count(g->shape, g->ndim);
    sc_job j = {src, dst, g, req};
    mx_cpu_parallel(eng, (size_t)n, MX_CPU_PAR_MIN, scatter_range, &j);
}

void mx_cpu_where(mx_engine *eng, const float *cond, const float *a, const float *b, float *y, size_t n,
                  size_t inner)
{
    (void)eng;
    for (size_t i = 0; i < n; i++) y[i] = cond[i / inner] != 0.0f ? a[i] : b[i];
}

void mx_cpu_where_backward(mx_engine *eng, const float *cond, const float *dy, float *da, mx_req req_a, float *db,
                           mx_req req_b, size_t n, size_t inner)
{
    (void)eng;
    for (size_t i = 0; i < n; i++) {
        int c = cond[i / inner] != 0.0f;
        if (da && req_a != MX_REQ_NULL) put(da, (int64_t)i, c ? dy[i] : 0.0f, req_a);
        if (db && req_b != MX_REQ_NULL) put(db, (int64_t)i, c ? 0.0f : dy[i], req_b);
    }
}
