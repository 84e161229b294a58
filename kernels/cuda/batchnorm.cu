/* batchnorm.cu — BatchNorm on CUDA over x viewed as (outer, c, inner),
 * the contract of kernels/kernels.h with kernels/cpu/batchnorm.c's math:
 * two-pass statistics (mean, then squared deviations from the float
 * mean) accumulated in double, invstd = 1/sqrtf(var + eps) in float.
 *
 * One block per channel does everything for that channel: its sums, its
 * statistics or gradients of gamma/beta, then its slice of y or dx. Each
 * thread sums a fixed strided subset in order and the block combines the
 * partials in a fixed tree, so the bits never change from run to run
 * (the contract asks for the same bits for any thread count on the CPU;
 * here the layout is fixed by the code). Because every sum is finished
 * (a __syncthreads) before the block writes its channel, y may be x and
 * dx may be dy: each element is read and written by the same thread. */
#include <climits>

#include "cuda_util.cuh"

#define BN_THREADS 256 /* a power of two: the tree below halves it */

/* Σ over the block of v (every thread gets it), in a fixed tree. */
__device__ static double block_sum(double *red, double v)
{
    red[threadIdx.x] = v;
    __syncthreads();
    for (unsigned h = BN_THREADS / 2; h > 0; h >>= 1) {
        if (threadIdx.x < h) red[threadIdx.x] += red[threadIdx.x + h];
        __syncthreads();
    }
    double t = red[0];
    __syncthreads(); /* red is reused by the next sum */
    return t;
}

/* Offset of element j (of outer·inner) of a channel from that channel's
 * first element: the (o, i) with j = o·inner + i, o rows of stride
 * c·inner apart. */
template <typename I>
__device__ static inline size_t elem(I j, I inner, size_t cstride)
{
    I o = j / inner;
    return (size_t)o * cstride + (size_t)(j - o * inner);
}

template <typename I>
__global__ void bn_forward_k(const float *x, float *y, I outer, I c, I inner, const float *gamma,
                             const float *beta, float eps, float *mean, float *var, float *invstd,
                             int batch_stats)
{
    __shared__ double red[BN_THREADS];
    const I ch = blockIdx.x, m = outer * inner;
    const size_t cstride = (size_t)c * inner, base = (size_t)ch * inner;
    const float *xc = x + base;
    float *yc = y + base;
    float mu, vr;
    if (batch_stats) {
        double a = 0.0;
        for (I j = threadIdx.x; j < m; j += BN_THREADS) a += xc[elem(j, inner, cstride)];
        mu = (float)(block_sum(red, a) / (double)m);
        double b = 0.0;
        for (I j = threadIdx.x; j < m; j += BN_THREADS) {
            double d = (double)xc[elem(j, inner, cstride)] - mu;
            b += d * d;
        }
        vr = (float)(block_sum(red, b) / (double)m);
        if (threadIdx.x == 0) {
            mean[ch] = mu;
            var[ch] = vr;
        }
    } else {
        mu = mean[ch];
        vr = var[ch];
    }
    float is = 1.0f / sqrtf(vr + eps);
    if (threadIdx.x == 0) invstd[ch] = is;
    float a = is * (gamma ? gamma[ch] : 1.0f), b = beta ? beta[ch] : 0.0f;
    for (I j = threadIdx.x; j < m; j += BN_THREADS) {
        size_t e = elem(j, inner, cstride);
        yc[e] = (xc[e] - mu) * a + b;
    }
}

/* *dst = v or += v as req says. */
__device__ static inline void store(float *dst, float v, mx_req req)
{
    if (req == MX_REQ_ADD) *dst += v;
    else if (req == MX_REQ_WRITE) *dst = v;
}

template <typename I>
__global__ void bn_backward_k(const float *x, const float *dy, float *dx, I outer, I c, I inner,
                              const float *mean, const float *invstd, const float *gamma, int batch_stats,
                              mx_req req_x, float *dgamma, mx_req req_g, float *dbeta, mx_req req_b)
{
    __shared__ double red[BN_THREADS];
    const I ch = blockIdx.x, m = outer * inner;
    const size_t cstride = (size_t)c * inner, base = (size_t)ch * inner;
    const float *xc = x + base, *gc = dy + base;
    const float mu = mean[ch], is = invstd[ch];
    double s1 = 0.0, s2 = 0.0;
    /* the sums, unless only a statistics-free dx is wanted */
    if (dbeta || dgamma || (req_x != MX_REQ_NULL && batch_stats)) {
        double a = 0.0, b = 0.0;
        for (I j = threadIdx.x; j < m; j += BN_THREADS) {
            size_t e = elem(j, inner, cstride);
            a += gc[e];
            b += (double)gc[e] * ((double)xc[e] - mu);
        }
        s1 = block_sum(red, a);
        s2 = block_sum(red, b);
    }
    if (threadIdx.x == 0) {
        if (dbeta) store(&dbeta[ch], (float)s1, req_b);
        if (dgamma) store(&dgamma[ch], gamma ? (float)(s2 * is) : 0.0f, req_g);
    }
    if (req_x == MX_REQ_NULL) return;
    float g = is * (gamma ? gamma[ch] : 1.0f), gm = 0.0f, k = 0.0f;
    if (batch_stats) {
        gm = (float)(s1 / (double)m);
        k = (float)(s2 / (double)m) * is * is;
    }
    float *dc = dx + base;
    for (I j = threadIdx.x; j < m; j += BN_THREADS) {
        size_t e = elem(j, inner, cstride);
        float v = (gc[e] - gm - (xc[e] - mu) * k) * g;
        dc[e] = req_x == MX_REQ_ADD ? dc[e] + v : v;
    }
}

/* 1 when every element index of the tensor fits 31 bits. */
static int fits32(size_t outer, size_t c, size_t inner)
{
    return outer * c * inner <= INT_MAX;
}

void mx_cuda_batchnorm_forward(mx_engine *eng, const float *x, float *y, size_t outer, size_t c,
                               size_t inner, const float *gamma, const float *beta, float eps,
                               float *mean, float *var, float *invstd, int batch_stats)
{
    (void)eng;
    if (c == 0) return;
    cudaStream_t st = mx_cuda_stream();
    if (fits32(outer, c, inner))
        bn_forward_k<unsigned><<<(unsigned)c, BN_THREADS, 0, st>>>(
            x, y, (unsigned)outer, (unsigned)c, (unsigned)inner, gamma, beta, eps, mean, var, invstd,
            batch_stats);
    else
        bn_forward_k<size_t><<<(unsigned)c, BN_THREADS, 0, st>>>(x, y, outer, c, inner, gamma, beta, eps,
                                                                 mean, var, invstd, batch_stats);
    MX_CUDA_LAUNCHED("batchnorm_forward");
}

void mx_cuda_batchnorm_backward(mx_engine *eng, const float *x, const float *dy, float *dx,
                                size_t outer, size_t c, size_t inner, const float *mean,
                                const float *invstd, const float *gamma, int batch_stats,
                                mx_req req_x, float *dgamma, mx_req req_g, float *dbeta, mx_req req_b)
{
    (void)eng;
    /* NULL pointers and MX_REQ_NULL both mean "skip", as on the CPU */
    if (!dx) req_x = MX_REQ_NULL;
    if (req_g == MX_REQ_NULL) dgamma = NULL;
    if (req_b == MX_REQ_NULL) dbeta = NULL;
    if (c == 0 || (req_x == MX_REQ_NULL && !dgamma && !dbeta)) return;
    cudaStream_t st = mx_cuda_stream();
    if (fits32(outer, c, inner))
        bn_backward_k<unsigned><<<(unsigned)c, BN_THREADS, 0, st>>>(
            x, dy, dx, (unsigned)outer, (unsigned)c, (unsigned)inner, mean, invstd, gamma, batch_stats,
            req_x, dgamma, req_g, dbeta, req_b);
    else
        bn_backward_k<size_t><<<(unsigned)c, BN_THREADS, 0, st>>>(x, dy, dx, outer, c, inner, mean, invstd,
                                                                  gamma, batch_stats, req_x, dgamma, req_g,
                                                                  dbeta, req_b);
    MX_CUDA_LAUNCHED("batchnorm_backward");
}
