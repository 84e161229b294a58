/* cuda_util.cuh — private to kernels/cuda: launch geometry and the
 * launch check every .cu file uses. */
#ifndef MX_KERNELS_CUDA_UTIL_CUH
#define MX_KERNELS_CUDA_UTIL_CUH

#include <math.h>
#include <stddef.h>
#include "cuda_kernels.h"
#include "cuda_rt.h"

/* Threads per block for elementwise kernels. */
#define MX_CUDA_THREADS 256

/* Blocks for n items of a grid-stride loop: enough to fill an H100/H200
 * (132 SMs × 16 resident blocks), never more than n needs. */
static inline unsigned mx_cuda_blocks(size_t n, unsigned threads)
{
    size_t b = (n + threads - 1) / threads;
    if (b > 132u * 16u) b = 132u * 16u;
    return b ? (unsigned)b : 1u;
}

/* Records a failed launch of the kernel just started (name: the entry). */
#define MX_CUDA_LAUNCHED(name) mx_cuda_note(cudaGetLastError(), name)

/* Grid-stride loop over [0, n). */
#define MX_CUDA_FOR(i, n)                                                                   \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                 \
         i += (size_t)blockDim.x * gridDim.x)

/* σ(x) through e^−|x|, so it never overflows (kernels/cpu/vmath.h's form). */
__device__ static inline float mx_cuda_sigmoid(float x)
{
    float e = expf(-fabsf(x)), s = 1.0f / (1.0f + e);
    return x >= 0.0f ? s : e * s;
}

#endif
