/* norm.cu — MXNet's LRN on CUDA: one thread an element, the formulas of
 * kernel_shared.h (kernels/cpu/norm.c is the CPU form). */
#include <math.h>

#include "cuda_util.cuh"
#include "kernels/kernel_shared.h"

__global__ static void lrn_fwd_k(const float *x, float *y, size_t total, size_t c, size_t inner, int n,
                                 float alpha, float beta, float knorm)
{
    MX_CUDA_FOR(i, total) y[i] = x[i] * powf(mx_lrn_scale(x, i, c, inner, n, alpha, knorm), -beta);
}

__global__ static void lrn_bwd_k(const float *x, const float *dy, float *dx, mx_req req, size_t total, size_t c,
                                 size_t inner, int n, float alpha, float beta, float knorm)
{
    MX_CUDA_FOR(i, total) {
        float g = mx_lrn_grad(x, dy, i, c, inner, n, alpha, beta, knorm);
        if (req == MX_REQ_ADD) dx[i] += g;
        else dx[i] = g;
    }
}

void mx_cuda_lrn_forward(mx_engine *eng, const float *x, float *y, size_t outer, size_t c, size_t inner, int nsize,
                         float alpha, float beta, float knorm)
{
    (void)eng;
    size_t total = outer * c * inner;
    if (total == 0) return;
    lrn_fwd_k<<<mx_cuda_blocks(total, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        x, y, total, c, inner, nsize, alpha, beta, knorm);
    MX_CUDA_LAUNCHED("lrn_forward");
}

void mx_cuda_lrn_backward(mx_engine *eng, const float *x, const float *dy, float *dx, mx_req req, size_t outer,
                          size_t c, size_t inner, int nsize, float alpha, float beta, float knorm)
{
    (void)eng;
    size_t total = outer * c * inner;
    if (total == 0 || req == MX_REQ_NULL) return;
    lrn_bwd_k<<<mx_cuda_blocks(total, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        x, dy, dx, req, total, c, inner, nsize, alpha, beta, knorm);
    MX_CUDA_LAUNCHED("lrn_backward");
}
