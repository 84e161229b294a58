/* reduce.cu — reductions, broadcast binary arithmetic and log softmax on
 * CUDA (the contracts of kernels/kernels.h; kernels/cpu/reduce.c is the
 * CPU form). One thread per output element folds in the CPU's order, with
 * the offsets and formulas of kernel_shared.h, so both devices agree. The
 * geometry structs travel by value as kernel arguments. */
#include <math.h>

#include "cuda_util.cuh"
#include "kernels/kernel_shared.h"

__device__ static inline void put(float *dst, int64_t i, float v, mx_req req)
{
    if (req == MX_REQ_ADD) dst[i] += v;
    else dst[i] = v;
}

static int64_t count(const int64_t *size, int n)
{
    int64_t c = 1;
    for (int d = 0; d < n; d++) c *= size[d];
    return c;
}

__global__ static void reduce_k(mx_redop op, const float *x, float *y, mx_reduce_geom g, int64_t kept, int64_t fold,
                                float scale, mx_req req)
{
    MX_CUDA_FOR(k, (size_t)kept) {
        const float *xb = x + mx_reduce_kept_offset(&g, (int64_t)k);
        float acc = xb[0];
        for (int64_t r = 1; r < fold; r++) acc = mx_redop_apply(op, acc, xb[mx_reduce_fold_offset(&g, r)]);
        put(y, (int64_t)k, scale * acc, req);
    }
}

void mx_cuda_reduce(mx_engine *eng, mx_redop op, const float *x, float *y, const mx_reduce_geom *g, float scale,
                    mx_req req)
{
    (void)eng;
    int64_t kept = count(g->ksize, g->nk), fold = count(g->rsize, g->nr);
    if (req == MX_REQ_NULL || kept == 0) return;
    reduce_k<<<mx_cuda_blocks((size_t)kept, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        op, x, y, *g, kept, fold, scale, req);
    MX_CUDA_LAUNCHED("reduce");
}

__global__ static void reduce_backward_k(mx_redop op, const float *x, const float *y, const float *dy, float *dx,
                                         mx_reduce_geom g, int64_t kept, int64_t fold, float scale, mx_req req)
{
    MX_CUDA_FOR(k, (size_t)kept) {
        int64_t base = mx_reduce_kept_offset(&g, (int64_t)k);
        float d = dy[k], yk = y ? y[k] : 0.0f;
        for (int64_t r = 0; r < fold; r++) {
            int64_t at = base + mx_reduce_fold_offset(&g, r);
            float v = op == MX_RED_SUM ? scale * d
                    : op == MX_RED_PROD ? d * yk / x[at] : x[at] == yk ? d : 0.0f;
            put(dx, at, v, req);
        }
    }
}

void mx_cuda_reduce_backward(mx_engine *eng, mx_redop op, const float *x, const float *y, const float *dy, float *dx,
                             const mx_reduce_geom *g, float scale, mx_req req)
{
    (void)eng;
    int64_t kept = count(g->ksize, g->nk), fold = count(g->rsize, g->nr);
    if (req == MX_REQ_NULL || kept == 0) return;
    reduce_backward_k<<<mx_cuda_blocks((size_t)kept, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        op, x, y, dy, dx, *g, kept, fold, scale, req);
    MX_CUDA_LAUNCHED("reduce_backward");
}

__global__ static void bcast_k(mx_binop op, const float *a, const float *b, float *y, mx_bcast_geom g, int64_t n)
{
    MX_CUDA_FOR(i, (size_t)n) {
        float av = a[mx_bcast_offset(&g, 0, (int64_t)i)];
        y[i] = b ? mx_binop_apply(op, av, b[mx_bcast_offset(&g, 1, (int64_t)i)]) : av;
    }
}

void mx_cuda_bcast_binary(mx_engine *eng, mx_binop op, const float *a, const float *b, float *y,
                          const mx_bcast_geom *g)
{
    (void)eng;
    int64_t n = count(g->shape, g->ndim);
    if (n == 0) return;
    bcast_k<<<mx_cuda_blocks((size_t)n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(op, a, b, y, *g, n);
    MX_CUDA_LAUNCHED("bcast_binary");
}

__global__ static void bcast_grad_k(mx_binop op, int side, const float *a, const float *b, const float *dy, float *t,
                                    mx_bcast_geom g, int64_t n)
{
    MX_CUDA_FOR(i, (size_t)n)
        t[i] = mx_binop_grad(op, side, a[mx_bcast_offset(&g, 0, (int64_t)i)], b[mx_bcast_offset(&g, 1, (int64_t)i)],
                             dy[i]);
}

void mx_cuda_bcast_grad(mx_engine *eng, mx_binop op, int side, const float *a, const float *b, const float *dy,
                        float *t, const mx_bcast_geom *g)
{
    (void)eng;
    int64_t n = count(g->shape, g->ndim);
    if (n == 0) return;
    bcast_grad_k<<<mx_cuda_blocks((size_t)n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        op, side, a, b, dy, t, *g, n);
    MX_CUDA_LAUNCHED("bcast_grad");
}

/* One thread per (outer, inner) line, as the CPU loops over it. */
__global__ static void log_softmax_k(const float *x, float *y, size_t outer, size_t ch, size_t inner)
{
    MX_CUDA_FOR(l, outer * inner) {
        size_t base = (l / inner) * ch * inner + l % inner;
        float mx = x[base];
        for (size_t c = 1; c < ch; c++) mx = fmaxf(mx, x[base + c * inner]);
        float sum = 0.0f;
        for (size_t c = 0; c < ch; c++) sum += expf(x[base + c * inner] - mx);
        float lse = mx + logf(sum);
        for (size_t c = 0; c < ch; c++) y[base + c * inner] = x[base + c * inner] - lse;
    }
}

void mx_cuda_log_softmax(mx_engine *eng, const float *x, float *y, size_t outer, size_t channels, size_t inner)
{
    (void)eng;
    if (outer * inner == 0) return;
    log_softmax_k<<<mx_cuda_blocks(outer * inner, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        x, y, outer, channels, inner);
    MX_CUDA_LAUNCHED("log_softmax");
}

__global__ static void log_softmax_backward_k(const float *y, const float *dy, float *dx, size_t outer, size_t ch,
                                              size_t inner, mx_req req)
{
    MX_CUDA_FOR(l, outer * inner) {
        size_t base = (l / inner) * ch * inner + l % inner;
        float sum = 0.0f;
        for (size_t c = 0; c < ch; c++) sum += dy[base + c * inner];
        for (size_t c = 0; c < ch; c++) {
            size_t i = base + c * inner;
            put(dx, (int64_t)i, dy[i] - expf(y[i]) * sum, req);
        }
    }
}

void mx_cuda_log_softmax_backward(mx_engine *eng, const float *y, const float *dy, float *dx, size_t outer,
                                  size_t channels, size_t inner, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL || outer * inner == 0) return;
    log_softmax_backward_k<<<mx_cuda_blocks(outer * inner, MX_CUDA_THREADS), MX_CUDA_THREADS, 0,
                             mx_cuda_stream()>>>(y, dy, dx, outer, channels, inner, req);
    MX_CUDA_LAUNCHED("log_softmax_backward");
}

__global__ static void scatter_k(const float *src, float *dst, mx_bcast_geom g, int64_t n, mx_req req)
{
    MX_CUDA_FOR(i, (size_t)n) put(dst, mx_bcast_offset(&g, 0, (int64_t)i), src[i], req);
}

void mx_cuda_scatter(mx_engine *eng, const float *src, float *dst, const mx_bcast_geom *g, mx_req req)
{
    (void)eng;
    int64_t n = count(g->shape, g->ndim);
    if (req == MX_REQ_NULL || n == 0) return;
    scatter_k<<<mx_cuda_blocks((size_t)n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(src, dst, *g, n,
                                                                                                    req);
    MX_CUDA_LAUNCHED("scatter");
}

__global__ static void where_k(const float *cond, const float *a, const float *b, float *y, size_t n, size_t inner)
{
    MX_CUDA_FOR(i, n) y[i] = cond[i / inner] != 0.0f ? a[i] : b[i];
}

void mx_cuda_where(mx_engine *eng, const float *cond, const float *a, const float *b, float *y, size_t n,
                   size_t inner)
{
    (void)eng;
    if (n == 0) return;
    where_k<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(cond, a, b, y, n, inner);
    MX_CUDA_LAUNCHED("where");
}

__global__ static void where_backward_k(const float *cond, const float *dy, float *da, mx_req req_a, float *db,
                                        mx_req req_b, size_t n, size_t inner)
{
    MX_CUDA_FOR(i, n) {
        int c = cond[i / inner] != 0.0f;
        if (da && req_a != MX_REQ_NULL) put(da, (int64_t)i, c ? dy[i] : 0.0f, req_a);
        if (db && req_b != MX_REQ_NULL) put(db, (int64_t)i, c ? 0.0f : dy[i], req_b);
    }
}

void mx_cuda_where_backward(mx_engine *eng, const float *cond, const float *dy, float *da, mx_req req_a, float *db,
                            mx_req req_b, size_t n, size_t inner)
{
    (void)eng;
    if (n == 0) return;
    where_backward_k<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        cond, dy, da, req_a, db, req_b, n, inner);
    MX_CUDA_LAUNCHED("where_backward");
}
