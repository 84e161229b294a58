/* softmax.cu — CUDA softmax over the channel axis of (outer, channels,
 * inner), the cross-entropy gradient SoftmaxOutput uses, its ignore-label
 * count, and the plain softmax gradient SoftmaxActivation uses
 * (semantics: kernels/cpu/softmax.c).
 *
 * The reductions over channels are deterministic: with inner == 1 (the
 * usual (batch, classes) case) a warp owns a row, its channels read
 * coalesced by the lanes and combined by a fixed butterfly; otherwise a
 * thread owns one (outer, inner) position and walks its channels in order
 * (neighbouring threads read neighbouring floats: coalesced too). */
#include <math.h>

#include "cuda_util.cuh"

#define FULL_MASK 0xffffffffu

/* Butterfly reductions: every lane ends with the same bits. */
__device__ static inline float warp_max(float v)
{
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
    return v;
}

__device__ static inline float warp_sum(float v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
    return v;
}

/* Warp-per-row geometry: the calling warp's first row and the row stride. */
__device__ static inline size_t warp_first(void)
{
    return ((size_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
}

__device__ static inline size_t warp_stride(void)
{
    return ((size_t)gridDim.x * blockDim.x) >> 5;
}

/* Blocks for one warp per row. */
static unsigned row_blocks(size_t rows)
{
    return mx_cuda_blocks(rows * 32, MX_CUDA_THREADS);
}

/* -- softmax -- */

/* Rows of ch floats (inner == 1). The max is subtracted so exp never
 * overflows; a lane writes only the channels it read, so y may be x. */
__global__ static void softmax_rows_kernel(const float *x, float *y, size_t rows, size_t ch)
{
    unsigned lane = threadIdx.x & 31u;
    for (size_t r = warp_first(); r < rows; r += warp_stride()) {
        const float *xr = x + r * ch;
        float *yr = y + r * ch;
        float mx = -INFINITY;
        for (size_t c = lane; c < ch; c += 32) mx = fmaxf(mx, xr[c]);
        mx = warp_max(mx);
        float sum = 0.0f;
        for (size_t c = lane; c < ch; c += 32) {
            float e = expf(xr[c] - mx);
            yr[c] = e;
            sum += e;
        }
        float inv = 1.0f / warp_sum(sum);
        for (size_t c = lane; c < ch; c += 32) yr[c] *= inv;
    }
}

/* One thread per (outer, inner) position, channels inner apart. */
__global__ static void softmax_strided_kernel(const float *x, float *y, size_t outer, size_t ch,
                                              size_t inner)
{
    MX_CUDA_FOR(p, outer * inner) {
        size_t base = p / inner * ch * inner + p % inner;
        const float *xr = x + base;
        float *yr = y + base;
        float mx = xr[0];
        for (size_t c = 1; c < ch; c++) mx = fmaxf(mx, xr[c * inner]);
        float sum = 0.0f;
        for (size_t c = 0; c < ch; c++) {
            float e = expf(xr[c * inner] - mx);
            yr[c * inner] = e;
            sum += e;
        }
        float inv = 1.0f / sum;
        for (size_t c = 0; c < ch; c++) yr[c * inner] *= inv;
    }
}

void mx_cuda_softmax(mx_engine *eng, const float *x, float *y, size_t outer, size_t channels,
                     size_t inner)
{
    (void)eng;
    if (outer * channels * inner == 0) return;
    if (inner == 1)
        softmax_rows_kernel<<<row_blocks(outer), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(x, y, outer,
                                                                                        channels);
    else
        softmax_strided_kernel<<<mx_cuda_blocks(outer * inner, MX_CUDA_THREADS), MX_CUDA_THREADS, 0,
                                 mx_cuda_stream()>>>(x, y, outer, channels, inner);
    MX_CUDA_LAUNCHED("softmax");
}

/* -- cross-entropy gradient -- */

/* i = (o·ch + c)·inner + in: c and the label's index o·inner + in, with
 * 32-bit division when it all fits (64-bit division is a long sequence). */
__device__ static inline void split_index(size_t i, size_t ch, size_t inner, size_t *c, size_t *lab)
{
    if (((i | ch | inner) >> 32) == 0) {
        unsigned q = (unsigned)i / (unsigned)inner, in = (unsigned)i - q * (unsigned)inner;
        unsigned o = q / (unsigned)ch;
        *c = q - o * (unsigned)ch;
        *lab = (size_t)o * inner + in;
        return;
    }
    size_t q = i / inner, o = q / ch;
    *c = q % ch;
    *lab = o * inner + i % inner;
}

/* One thread per element of dx: scale·(p − target), 0 where the label is
 * ignored; the target is hit for the label's class, miss for the others
 * (1 and 0 without label smoothing). The label converts as the CPU's
 * (long) does. */
__global__ static void softmax_ce_grad_kernel(const float *p, const float *label, float *dx,
                                              size_t total, size_t ch, size_t inner, float scale,
                                              float hit, float miss, int use_ignore, float ignore,
                                              mx_req req)
{
    MX_CUDA_FOR(i, total) {
        size_t c, li;
        split_index(i, ch, inner, &c, &li);
        float lab = label[li];
        float g = 0.0f;
        if (!(use_ignore && lab == ignore))
            g = scale * (p[i] - ((long long)c == (long long)lab ? hit : miss));
        if (req == MX_REQ_ADD) dx[i] += g;
        else dx[i] = g;
    }
}

void mx_cuda_softmax_ce_grad(mx_engine *eng, const float *p, const float *label, float *dx,
                             size_t outer, size_t channels, size_t inner, float scale, float smooth,
                             int use_ignore, float ignore, mx_req req)
{
    (void)eng;
    size_t total = outer * channels * inner;
    if (req == MX_REQ_NULL || total == 0) return;
    float hit = 1.0f - smooth, miss = channels > 1 ? smooth / (float)(channels - 1) : 0.0f;
    softmax_ce_grad_kernel<<<mx_cuda_blocks(total, MX_CUDA_THREADS), MX_CUDA_THREADS, 0,
                             mx_cuda_stream()>>>(p, label, dx, total, channels, inner, scale, hit, miss,
                                                 use_ignore, ignore, req);
    MX_CUDA_LAUNCHED("softmax_ce_grad");
}

/* -- ignore-label count -- */

#define COUNT_THREADS 1024

/* out[0] = number of labels != ignore: one block (label arrays are a
 * batch's worth), partial counts combined through shared memory. */
__global__ static void count_kernel(const float *label, size_t n, float ignore, unsigned long long *out)
{
    __shared__ unsigned long long part[COUNT_THREADS / 32];
    unsigned long long cnt = 0;
    for (size_t i = threadIdx.x; i < n; i += COUNT_THREADS) cnt += label[i] != ignore;
    for (int o = 16; o > 0; o >>= 1) cnt += __shfl_down_sync(FULL_MASK, cnt, o);
    if ((threadIdx.x & 31u) == 0) part[threadIdx.x >> 5] = cnt;
    __syncthreads();
    if (threadIdx.x != 0) return;
    unsigned long long total = 0;
    for (int w = 0; w < COUNT_THREADS / 32; w++) total += part[w];
    *out = total;
}

/* The device word each device's count lands in: allocated on first use,
 * never freed, so a step makes no allocation. */
static unsigned long long *count_buf[MX_CUDA_MAX_DEVICES];

size_t mx_cuda_count_not_equal(mx_engine *eng, const float *label, size_t n, float ignore)
{
    (void)eng;
    if (n == 0) return 0;
    int dev = mx_cuda_current();
    if (!count_buf[dev]) {
        cudaError_t e = cudaMalloc((void **)&count_buf[dev], sizeof *count_buf[dev]);
        mx_cuda_count_alloc();
        if (e != cudaSuccess) {
            count_buf[dev] = NULL;
            mx_cuda_note(e, "count_not_equal");
            return n; /* the error surfaces at the next synchronisation */
        }
    }
    cudaStream_t st = mx_cuda_stream();
    count_kernel<<<1, COUNT_THREADS, 0, st>>>(label, n, ignore, count_buf[dev]);
    MX_CUDA_LAUNCHED("count_not_equal");
    unsigned long long count = n;
    mx_cuda_note(cudaMemcpyAsync(&count, count_buf[dev], sizeof count, cudaMemcpyDeviceToHost, st),
                 "count_not_equal");
    mx_cuda_note(cudaStreamSynchronize(st), "count_not_equal");
    return (size_t)count;
}

/* -- softmax gradient -- */

/* Rows (inner == 1): dx = y·(dy − Σ dy·y). The dot is complete (the
 * butterfly) before any lane writes, and a lane writes only the channels
 * it read, so dx may be dy. */
__global__ static void softmax_backward_rows_kernel(const float *y, const float *dy, float *dx,
                                                    size_t rows, size_t ch, mx_req req)
{
    unsigned lane = threadIdx.x & 31u;
    for (size_t r = warp_first(); r < rows; r += warp_stride()) {
        size_t base = r * ch;
        float dot = 0.0f;
        for (size_t c = lane; c < ch; c += 32) dot += dy[base + c] * y[base + c];
        dot = warp_sum(dot);
        for (size_t c = lane; c < ch; c += 32) {
            size_t i = base + c;
            float g = y[i] * (dy[i] - dot);
            if (req == MX_REQ_ADD) dx[i] += g;
            else dx[i] = g;
        }
    }
}

__global__ static void softmax_backward_strided_kernel(const float *y, const float *dy, float *dx,
                                                       size_t outer, size_t ch, size_t inner,
                                                       mx_req req)
{
    MX_CUDA_FOR(p, outer * inner) {
        size_t base = p / inner * ch * inner + p % inner;
        float dot = 0.0f;
        for (size_t c = 0; c < ch; c++) dot += dy[base + c * inner] * y[base + c * inner];
        for (size_t c = 0; c < ch; c++) {
            size_t i = base + c * inner;
            float g = y[i] * (dy[i] - dot);
            if (req == MX_REQ_ADD) dx[i] += g;
            else dx[i] = g;
        }
    }
}

void mx_cuda_softmax_backward(mx_engine *eng, const float *y, const float *dy, float *dx,
                              size_t outer, size_t channels, size_t inner, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL || outer * channels * inner == 0) return;
    if (inner == 1)
        softmax_backward_rows_kernel<<<row_blocks(outer), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
            y, dy, dx, outer, channels, req);
    else
        softmax_backward_strided_kernel<<<mx_cuda_blocks(outer * inner, MX_CUDA_THREADS),
                                          MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(y, dy, dx, outer,
                                                                                  channels, inner, req);
    MX_CUDA_LAUNCHED("softmax_backward");
}
