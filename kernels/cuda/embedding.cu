/* embedding.cu — Embedding's row gather and scatter-add on CUDA (the
 * contract of kernels/kernels.h; kernels/cpu/embedding.c is the CPU
 * form). One thread per output float. The scatter-add uses atomicAdd,
 * which the contract allows for the GPU: repeated indices then sum in an
 * unspecified order (equal within float rounding), where a deterministic
 * version would need a sort of the indices per step. */
#include <climits>

#include "cuda_util.cuh"
#include "kernels/kernel_shared.h"

template <typename I>
__global__ void embed_forward_k(const float *__restrict__ idx, const float *__restrict__ w,
                                float *__restrict__ y, I d, I total, int input_dim)
{
    const I stride = (I)blockDim.x * gridDim.x;
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        I k = i / d;
        y[i] = w[mx_embed_row(idx[k], input_dim) * (size_t)d + (size_t)(i - k * d)];
    }
}

template <typename I>
__global__ void embed_backward_k(const float *__restrict__ idx, const float *__restrict__ dy,
                                 float *__restrict__ dw, I d, I total, int input_dim)
{
    const I stride = (I)blockDim.x * gridDim.x;
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        I k = i / d;
        atomicAdd(&dw[mx_embed_row(idx[k], input_dim) * (size_t)d + (size_t)(i - k * d)], dy[i]);
    }
}

void mx_cuda_embedding_forward(mx_engine *eng, const float *idx, const float *w, float *y, size_t n,
                               size_t d, int input_dim)
{
    (void)eng;
    size_t total = n * d;
    if (total == 0 || input_dim <= 0) return;
    unsigned blocks = mx_cuda_blocks(total, MX_CUDA_THREADS);
    if (total <= INT_MAX)
        embed_forward_k<unsigned><<<blocks, MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
            idx, w, y, (unsigned)d, (unsigned)total, input_dim);
    else
        embed_forward_k<size_t><<<blocks, MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(idx, w, y, d, total,
                                                                                  input_dim);
    MX_CUDA_LAUNCHED("embedding_forward");
}

void mx_cuda_embedding_backward(mx_engine *eng, const float *idx, const float *dy, float *dw, size_t n,
                                size_t d, int input_dim, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL || input_dim <= 0) return;
    cudaStream_t st = mx_cuda_stream();
    if (req == MX_REQ_WRITE && d)
        mx_cuda_note(cudaMemsetAsync(dw, 0, (size_t)input_dim * d * sizeof(float), st), "embedding_backward");
    size_t total = n * d;
    if (total == 0) return;
    unsigned blocks = mx_cuda_blocks(total, MX_CUDA_THREADS);
    if (total <= INT_MAX)
        embed_backward_k<unsigned><<<blocks, MX_CUDA_THREADS, 0, st>>>(idx, dy, dw, (unsigned)d,
                                                                       (unsigned)total, input_dim);
    else
        embed_backward_k<size_t><<<blocks, MX_CUDA_THREADS, 0, st>>>(idx, dy, dw, d, total, input_dim);
    MX_CUDA_LAUNCHED("embedding_backward");
}
