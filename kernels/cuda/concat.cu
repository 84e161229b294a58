/* concat.cu — Concat's row-wise gather and its inverse on CUDA (the
 * contract of kernels/kernels.h; mx_cpu_concat/split in kernels/cpu/pooling.c
 * are the CPU form).
 * Up to MAX_PARTS parts go in one kernel whose argument carries every
 * part's pointer (the char-LSTM splits each cell's gates four ways, 64
 * cells a step: one launch instead of four matters there). When two split
 * destinations overlap (aliased gradients) the parts are done one by one
 * instead — a strided 2-D copy each (the copy engine's job) and a small
 * add kernel for accumulation — in part order, so the write lands before
 * the add, as on the CPU. */
#include <climits>

#include "cuda_util.cuh"

/* Width of a whole row. */
static size_t sum_widths(int n, const size_t *width)
{
    size_t t = 0;
    for (int i = 0; i < n; i++) t += width[i];
    return t;
}

/* rows × w floats at dst (row stride dpitch) = those at src (spitch);
 * one flat copy when both are contiguous. */
static void copy_rows(float *dst, size_t dpitch, const float *src, size_t spitch, size_t w, size_t rows,
                      const char *where)
{
    cudaError_t e;
    if (rows == 1 || (dpitch == w && spitch == w))
        e = cudaMemcpyAsync(dst, src, rows * w * sizeof(float), cudaMemcpyDeviceToDevice, mx_cuda_stream());
    else
        e = cudaMemcpy2DAsync(dst, dpitch * sizeof(float), src, spitch * sizeof(float), w * sizeof(float),
                              rows, cudaMemcpyDeviceToDevice, mx_cuda_stream());
    mx_cuda_note(e, where);
}

/* dst (rows × w, packed) += the w columns at src of each row (stride
 * spitch). */
template <typename I>
__global__ void add_rows_k(float *__restrict__ dst, const float *__restrict__ src, I spitch, I w, I total)
{
    const I stride = (I)blockDim.x * gridDim.x;
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        I r = i / w;
        dst[i] += src[r * spitch + (i - r * w)];
    }
}

#define MAX_PARTS 64

/* Every part of one concat or split, by value. */
typedef struct parts {
    float *ptr[MAX_PARTS]; /* sources (concat) or destinations (split; NULL: skipped) */
    unsigned long long off[MAX_PARTS + 1]; /* first column of each part; off[n] = the row width */
    int req[MAX_PARTS];
    int n;
} parts;

/* Part holding column c (parts are few: a linear scan). */
__device__ static inline int part_of(const parts &p, unsigned long long c)
{
    int k = 0;
    while (c >= p.off[k + 1]) k++;
    return k;
}

__global__ static void concat_k(parts p, float *__restrict__ dst, unsigned long long total)
{
    unsigned long long width = p.off[p.n];
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (unsigned long long)blockDim.x * gridDim.x) {
        unsigned long long r = i / width, c = i - r * width;
        int k = part_of(p, c);
        unsigned long long w = p.off[k + 1] - p.off[k];
        dst[i] = p.ptr[k][r * w + (c - p.off[k])];
    }
}

__global__ static void split_k(parts p, const float *__restrict__ src, unsigned long long total)
{
    unsigned long long width = p.off[p.n];
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < total;
         i += (unsigned long long)blockDim.x * gridDim.x) {
        unsigned long long r = i / width, c = i - r * width;
        int k = part_of(p, c);
        float *d = p.ptr[k];
        if (!d) continue;
        unsigned long long w = p.off[k + 1] - p.off[k], j = r * w + (c - p.off[k]);
        if (p.req[k] == MX_REQ_ADD) d[j] += src[i];
        else d[j] = src[i];
    }
}

/* Fills p from the host lists; 0 when a single kernel cannot do it (too
 * many parts, or split destinations that overlap). */
static int make_parts(parts *p, int n, const float *const *ptr, const size_t *width, const mx_req *req, size_t rows)
{
    if (n > MAX_PARTS) return 0;
    p->n = n;
    p->off[0] = 0;
    for (int i = 0; i < n; i++) {
        int skip = req && (!ptr[i] || req[i] == MX_REQ_NULL);
        p->ptr[i] = skip ? NULL : (float *)ptr[i];
        p->req[i] = req ? (int)req[i] : (int)MX_REQ_WRITE;
        p->off[i + 1] = p->off[i] + width[i];
    }
    for (int i = 0; req && i < n; i++)
        for (int j = i + 1; j < n; j++) {
            if (!p->ptr[i] || !p->ptr[j]) continue;
            const float *a = p->ptr[i], *b = p->ptr[j];
            if (a < b + width[j] * rows && b < a + width[i] * rows) return 0;
        }
    return 1;
}

void mx_cuda_concat(mx_engine *eng, int n, const float *const *src, const size_t *width, float *dst,
                    size_t rows)
{
    (void)eng;
    size_t total = sum_widths(n, width), off = 0;
    parts p;
    if (total * rows == 0) return;
    if (make_parts(&p, n, src, width, NULL, rows)) {
        concat_k<<<mx_cuda_blocks(total * rows, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
            p, dst, (unsigned long long)(total * rows));
        MX_CUDA_LAUNCHED("concat");
        return;
    }
    for (int i = 0; i < n; i++) {
        if (width[i] && rows) copy_rows(dst + off, total, src[i], width[i], width[i], rows, "concat");
        off += width[i];
    }
}

void mx_cuda_split(mx_engine *eng, int n, const float *src, float *const *dst, const size_t *width,
                   const mx_req *req, size_t rows)
{
    (void)eng;
    size_t total = sum_widths(n, width), off = 0;
    parts p;
    if (total * rows == 0) return;
    if (make_parts(&p, n, (const float *const *)dst, width, req, rows)) {
        split_k<<<mx_cuda_blocks(total * rows, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
            p, src, (unsigned long long)(total * rows));
        MX_CUDA_LAUNCHED("split");
        return;
    }
    for (int i = 0; i < n; i++) {
        size_t w = width[i], count = w * rows;
        const float *s = src + off;
        off += w;
        if (!dst[i] || req[i] == MX_REQ_NULL || count == 0) continue;
        if (req[i] == MX_REQ_WRITE) {
            copy_rows(dst[i], w, s, total, w, rows, "split");
            continue;
        }
        unsigned blocks = mx_cuda_blocks(count, MX_CUDA_THREADS);
        /* 32-bit indices when every source index fits (rows·total) */
        if (rows * total <= INT_MAX)
            add_rows_k<unsigned><<<blocks, MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
                dst[i], s, (unsigned)total, (unsigned)w, (unsigned)count);
        else
            add_rows_k<size_t><<<blocks, MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(dst[i], s, total, w, count);
        MX_CUDA_LAUNCHED("split");
    }
}

/* -- copy_segments: up to MAX_PARTS whole arrays a launch -- */

typedef struct segments {
    float *dst[MAX_PARTS];
    const float *src[MAX_PARTS];
    unsigned long long count[MAX_PARTS];
} segments;

/* blockIdx.y picks the array; x strides over its floats. */
__global__ static void copy_segments_k(segments s, int add)
{
    int i = blockIdx.y;
    float *d = s.dst[i];
    const float *x = s.src[i];
    for (unsigned long long k = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; k < s.count[i];
         k += (unsigned long long)blockDim.x * gridDim.x)
        d[k] = add ? d[k] + x[k] : x[k];
}

void mx_cuda_copy_segments(mx_engine *eng, int n, float *const *dst, const float *const *src, const size_t *count,
                           mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL) return;
    for (int at = 0; at < n; at += MAX_PARTS) {
        segments s;
        int m = n - at < MAX_PARTS ? n - at : MAX_PARTS;
        size_t most = 0;
        for (int i = 0; i < m; i++) {
            s.dst[i] = dst[at + i];
            s.src[i] = src[at + i];
            s.count[i] = count[at + i];
            if (count[at + i] > most) most = count[at + i];
        }
        if (most == 0) continue;
        dim3 grid(mx_cuda_blocks(most, MX_CUDA_THREADS) < 64 ? mx_cuda_blocks(most, MX_CUDA_THREADS) : 64, (unsigned)m);
        copy_segments_k<<<grid, MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(s, req == MX_REQ_ADD);
        MX_CUDA_LAUNCHED("copy_segments");
    }
}

/* -- copy_block: rows of width floats between two strides -- */

__global__ static void add_block_k(float *dst, size_t dst_stride, const float *src, size_t src_stride,
                                   size_t width, size_t total)
{
    MX_CUDA_FOR(i, total) {
        size_t r = i / width, c = i % width;
        dst[r * dst_stride + c] += src[r * src_stride + c];
    }
}

void mx_cuda_copy_block(mx_engine *eng, float *dst, size_t dst_stride, const float *src, size_t src_stride,
                        size_t rows, size_t width, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL || rows == 0 || width == 0) return;
    if (req == MX_REQ_WRITE) {
        copy_rows(dst, dst_stride, src, src_stride, width, rows, "copy_block");
        return;
    }
    add_block_k<<<mx_cuda_blocks(rows * width, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        dst, dst_stride, src, src_stride, width, rows * width);
    MX_CUDA_LAUNCHED("copy_block");
}
