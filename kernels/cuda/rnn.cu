/* rnn.cu — the GRU cell of MXNet's fused RNN op on CUDA: one thread an
 * element, the formulas of kernel_shared.h (kernels/cpu/rnn.c is the CPU
 * form). */
#include <math.h>

#include "cuda_util.cuh"
#include "kernels/kernel_shared.h"

__global__ static void gru_fwd_k(const float *a, const float *b, const float *hp, float *h, float *act, size_t total,
                                 size_t hs)
{
    MX_CUDA_FOR(i, total) mx_gru_cell(a, b, hp, h, act, i / hs, i % hs, hs);
}

__global__ static void gru_bwd_k(const float *act, const float *hp, const float *dh, float *da, float *db, float *dhp,
                                 size_t total, size_t hs)
{
    MX_CUDA_FOR(i, total) mx_gru_cell_grad(act, hp, dh, da, db, dhp, i / hs, i % hs, hs);
}

void mx_cuda_gru_cell_forward(mx_engine *eng, const float *a, const float *b, const float *hp, float *h, float *act,
                              size_t n, size_t hs)
{
    (void)eng;
    size_t total = n * hs;
    if (total == 0) return;
    gru_fwd_k<<<mx_cuda_blocks(total, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(a, b, hp, h, act,
                                                                                              total, hs);
    MX_CUDA_LAUNCHED("gru_cell_forward");
}

void mx_cuda_gru_cell_backward(mx_engine *eng, const float *act, const float *hp, const float *dh, float *da,
                               float *db, float *dhp, size_t n, size_t hs)
{
    (void)eng;
    size_t total = n * hs;
    if (total == 0) return;
    gru_bwd_k<<<mx_cuda_blocks(total, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(act, hp, dh, da, db,
                                                                                              dhp, total, hs);
    MX_CUDA_LAUNCHED("gru_cell_backward");
}
