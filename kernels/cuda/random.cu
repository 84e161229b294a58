/* random.cu — CUDA kernels for the random layers: the dropout mask and its
 * gradient, and the uniform draws RReLU uses for its slopes. Draw i is
 * kernels/cpu/cpu_hash.h's pure function of (seed, i), the very code the
 * CPU kernels (kernels/cpu/dropout.c) call, so a seed gives the same mask
 * and the same slopes bit for bit on either device, whatever the launch
 * geometry. For that, the float arithmetic here must round as the C build
 * does: explicitly rounded __fmul_rn/__fadd_rn where nvcc would otherwise
 * fuse a multiply-add into one FMA. */
#include <math.h>

#include "kernels/cpu_hash.h"
#include "cuda_util.cuh"

/* Keep when the draw's 24 bits are below threshold; y = x·(mask·scale), a
 * product of products as the CPU's (nothing to fuse). y may be x. */
__global__ static void dropout_forward_kernel(uint64_t seed, int32_t threshold, float scale,
                                              const float *x, float *y, unsigned char *mask, size_t n)
{
    MX_CUDA_FOR(i, n) {
        int keep = mx_hash_bits24(seed, i) < threshold;
        mask[i] = (unsigned char)keep;
        y[i] = x[i] * ((float)keep * scale);
    }
}

void mx_cuda_dropout_forward(mx_engine *eng, unsigned long long seed, float keep, float scale,
                             const float *x, float *y, unsigned char *mask, size_t n)
{
    (void)eng;
    if (n == 0) return;
    /* As the CPU: u < keep with u = bits·2⁻²⁴ is bits < ⌈keep·2²⁴⌉ exactly. */
    int32_t threshold = (int32_t)ceilf(keep * 16777216.0f);
    dropout_forward_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0,
                             mx_cuda_stream()>>>(seed, threshold, scale, x, y, mask, n);
    MX_CUDA_LAUNCHED("dropout_forward");
}

/* dx (req) = dy·(mask·scale); the add rounds separately, as on the CPU. */
__global__ static void dropout_backward_kernel(const unsigned char *mask, float scale, const float *dy,
                                               float *dx, size_t n, mx_req req)
{
    MX_CUDA_FOR(i, n) {
        float g = __fmul_rn(dy[i], (float)mask[i] * scale);
        if (req == MX_REQ_ADD) dx[i] = __fadd_rn(dx[i], g);
        else dx[i] = g;
    }
}

void mx_cuda_dropout_backward(mx_engine *eng, const unsigned char *mask, float scale, const float *dy,
                              float *dx, size_t n, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL || n == 0) return;
    dropout_backward_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0,
                              mx_cuda_stream()>>>(mask, scale, dy, dx, n, req);
    MX_CUDA_LAUNCHED("dropout_backward");
}

/* dst[i] = lo + span·u(seed, i), span = hi − lo rounded on the host as
 * the CPU rounds it; the product and the sum round one at a time. */
__global__ static void uniform_kernel(uint64_t seed, float *dst, size_t n, float lo, float span)
{
    MX_CUDA_FOR(i, n) dst[i] = __fadd_rn(lo, __fmul_rn(span, mx_hash_uniform(seed, i)));
}

void mx_cuda_uniform_fill(mx_engine *eng, unsigned long long seed, float *dst, size_t n, float lo,
                          float hi)
{
    (void)eng;
    if (n == 0) return;
    uniform_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        seed, dst, n, lo, hi - lo);
    MX_CUDA_LAUNCHED("uniform_fill");
}
