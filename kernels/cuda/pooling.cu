/* pooling.cu — max/avg/sum pooling over (h, w) planes on CUDA, the
 * semantics of kernels/cpu/pooling.c (kernels/kernels.h's contract):
 * windows clipped to the input, padded cells never win a max, an
 * all-padding max window gives -FLT_MAX, avg divides by the window's
 * cells in the padded input (include_pad) or in the input, and 0 where
 * that count is not positive.
 *
 * Forward: one thread per output, reading its window in row-major order
 * from the same first cell as the CPU, so ties and NaNs resolve alike.
 * Backward is the gather form: one thread per input cell walks the
 * windows that cover it (in output order) and sums what each routes to
 * it; max recomputes each window's first arg-max. Every cell is written
 * by exactly one thread: no atomics, the same bits every run, and a
 * write needs no clearing pass. Windows that tile the planes exactly
 * (LeNet's 2×2) instead take one thread per window, which writes the
 * window's cells: still one writer per cell. Indices are 32-bit when the whole tensor
 * fits (the common case; divisions are the cost here), else 64-bit. */
#include <cfloat>
#include <climits>

#include "cuda_util.cuh"
#include "kernels/kernel_shared.h"

/* Pool types, as the kernel table documents them. */
enum { POOL_MAX = 0, POOL_AVG = 1, POOL_SUM = 2 };

/* One call's geometry, by value into the kernels. */
typedef struct pool_geom {
    int type, include_pad;
    int ih, iw, oh, ow, kh, kw, sh, sw, ph, pw;
} pool_geom;

/* Window of output o along one axis of n cells: input cells [*b, *e),
 * and (returned) its extent inside the padded input [-p, n + p). */
__device__ static inline int window(int o, int k, int s, int p, int n, int *b, int *e)
{
    int start = o * s - p, end = start + k;
    int padded_end = end < n + p ? end : n + p;
    *b = start < 0 ? 0 : start;
    *e = end < n ? end : n;
    return padded_end - start;
}

/* Avg divisor of a non-empty window (0: output 0, as the CPU does). */
__device__ static inline int avg_divisor(const pool_geom &G, int ext_h, int ext_w, int cells)
{
    int d = G.include_pad ? ext_h * ext_w : cells;
    return cells > 0 && d > 0 ? d : 0;
}

template <typename I>
__global__ void pool_forward_k(pool_geom G, const float *__restrict__ x, float *__restrict__ y, I total,
                               int add)
{
    const I stride = (I)blockDim.x * gridDim.x;
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        I t = i / (I)G.ow;
        int ox = (int)(i - t * (I)G.ow);
        int oy = (int)(t % (I)G.oh);
        I plane = t / (I)G.oh;
        const float *xp = x + (size_t)plane * ((size_t)G.ih * G.iw);
        int hb, he, wb, we;
        int ext_h = window(oy, G.kh, G.sh, G.ph, G.ih, &hb, &he);
        int ext_w = window(ox, G.kw, G.sw, G.pw, G.iw, &wb, &we);
        int empty = he <= hb || we <= wb;
        float v;
        if (G.type == POOL_MAX) {
            if (empty) {
                v = -FLT_MAX;
            } else {
                v = xp[hb * G.iw + wb];
                for (int h = hb; h < he; h++)
                    for (int w = wb; w < we; w++) {
                        float c = xp[h * G.iw + w];
                        v = c > v ? c : v;
                    }
            }
        } else {
            float sum = 0.0f;
            for (int h = hb; h < he; h++)
                for (int w = wb; w < we; w++) sum += xp[h * G.iw + w];
            v = sum;
            if (G.type == POOL_AVG) {
                int d = empty ? 0 : avg_divisor(G, ext_h, ext_w, (he - hb) * (we - wb));
                v = d ? sum / (float)d : 0.0f;
            }
        }
        y[i] = add ? y[i] + v : v;
    }
}

/* Outputs [*lo, *hi] along one axis whose window covers cell c (an
 * empty range when *lo > *hi): o·s − p <= c < o·s − p + k. */
__device__ static inline void covering(int c, int k, int s, int p, int out, int *lo, int *hi)
{
    int a = c + p - k; /* o·s > a */
    *lo = a < 0 ? 0 : a / s + 1;
    int b = (c + p) / s; /* o·s <= c + p, c + p >= 0 */
    *hi = b < out - 1 ? b : out - 1;
}

template <typename I>
__global__ void pool_backward_k(pool_geom G, const float *__restrict__ x, const float *__restrict__ dy,
                                float *__restrict__ dx, I total, int add)
{
    const I stride = (I)blockDim.x * gridDim.x;
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        I t = i / (I)G.iw;
        int cx = (int)(i - t * (I)G.iw);
        int cy = (int)(t % (I)G.ih);
        I plane = t / (I)G.ih;
        const float *xp = x + (size_t)plane * ((size_t)G.ih * G.iw);
        const float *gp = dy + (size_t)plane * ((size_t)G.oh * G.ow);
        const int self = cy * G.iw + cx;
        int y0, y1, x0, x1;
        covering(cy, G.kh, G.sh, G.ph, G.oh, &y0, &y1);
        covering(cx, G.kw, G.sw, G.pw, G.ow, &x0, &x1);
        float acc = 0.0f;
        for (int oy = y0; oy <= y1; oy++) {
            int hb, he, ext_h = window(oy, G.kh, G.sh, G.ph, G.ih, &hb, &he);
            for (int ox = x0; ox <= x1; ox++) {
                int wb, we, ext_w = window(ox, G.kw, G.sw, G.pw, G.iw, &wb, &we);
                float g = gp[oy * G.ow + ox];
                /* the window holds this cell, so it is not empty */
                if (G.type == POOL_MAX) {
                    if (mx_pool_first_argmax(xp, G.iw, hb, he, wb, we) == self) acc += g;
                } else if (G.type == POOL_AVG) {
                    int d = avg_divisor(G, ext_h, ext_w, (he - hb) * (we - wb));
                    acc += d ? g / (float)d : 0.0f;
                } else {
                    acc += g;
                }
            }
        }
        dx[i] = add ? dx[i] + acc : acc;
    }
}

/* Backward when the windows tile the planes exactly (k = s, no padding,
 * in = out·k: LeNet's 2×2 pooling): each cell lies in exactly one
 * window, so one thread per output writes its whole window, finding the
 * arg-max once instead of once per cell. Same values as the gather form:
 * a written cell is 0 + its share (0 where max routes nothing). */
template <typename I>
__global__ void pool_backward_tiled_k(pool_geom G, const float *__restrict__ x, const float *__restrict__ dy,
                                      float *__restrict__ dx, I total, int add)
{
    const I stride = (I)blockDim.x * gridDim.x;
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += stride) {
        I t = i / (I)G.ow;
        int ox = (int)(i - t * (I)G.ow);
        int oy = (int)(t % (I)G.oh);
        I plane = t / (I)G.oh;
        size_t off = (size_t)plane * ((size_t)G.ih * G.iw);
        const float *xp = x + off;
        float *dp = dx + off;
        int hb = oy * G.kh, wb = ox * G.kw, he = hb + G.kh, we = wb + G.kw;
        float g = dy[i];
        int at = -1; /* every cell gets g (avg, sum) */
        if (G.type == POOL_MAX) at = mx_pool_first_argmax(xp, G.iw, hb, he, wb, we);
        else if (G.type == POOL_AVG) g = g / (float)(G.kh * G.kw);
        for (int h = hb; h < he; h++)
            for (int w = wb; w < we; w++) {
                int c = h * G.iw + w, chosen = at < 0 || at == c;
                if (add) {
                    if (chosen) dp[c] += g;
                } else {
                    dp[c] = chosen ? 0.0f + g : 0.0f;
                }
            }
    }
}

/* 1 when pool_backward_tiled_k applies. */
static int is_tiled(const pool_geom &G)
{
    return G.kh == G.sh && G.kw == G.sw && G.ph == 0 && G.pw == 0 && G.ih == G.oh * G.kh &&
           G.iw == G.ow * G.kw && G.kh > 0 && G.kw > 0;
}

static pool_geom geom_of(int type, const int in[2], const int out[2], const int k[2], const int s[2],
                         const int p[2], int include_pad)
{
    pool_geom G = {type, include_pad, in[0], in[1], out[0], out[1], k[0], k[1], s[0], s[1], p[0], p[1]};
    return G;
}

void mx_cuda_pool_forward(mx_engine *eng, int type, size_t planes, const int in[2], const int out[2],
                          const int k[2], const int s[2], const int p[2], int include_pad,
                          const float *x, float *y, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL) return;
    pool_geom G = geom_of(type, in, out, k, s, p, include_pad);
    size_t total = planes * (size_t)out[0] * (size_t)out[1];
    if (total == 0) return;
    unsigned blocks = mx_cuda_blocks(total, MX_CUDA_THREADS);
    int add = req == MX_REQ_ADD;
    if (total <= INT_MAX)
        pool_forward_k<unsigned><<<blocks, MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(G, x, y, (unsigned)total,
                                                                                   add);
    else
        pool_forward_k<size_t><<<blocks, MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(G, x, y, total, add);
    MX_CUDA_LAUNCHED("pool_forward");
}

void mx_cuda_pool_backward(mx_engine *eng, int type, size_t planes, const int in[2], const int out[2],
                           const int k[2], const int s[2], const int p[2], int include_pad,
                           const float *x, const float *dy, float *dx, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL) return;
    pool_geom G = geom_of(type, in, out, k, s, p, include_pad);
    size_t total = planes * (size_t)in[0] * (size_t)in[1];
    if (total == 0) return;
    int add = req == MX_REQ_ADD;
    if (is_tiled(G)) {
        size_t nout = planes * (size_t)out[0] * (size_t)out[1];
        unsigned blocks = mx_cuda_blocks(nout, MX_CUDA_THREADS);
        if (total <= INT_MAX)
            pool_backward_tiled_k<unsigned><<<blocks, MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
                G, x, dy, dx, (unsigned)nout, add);
        else
            pool_backward_tiled_k<size_t><<<blocks, MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(G, x, dy, dx, nout,
                                                                                             add);
        MX_CUDA_LAUNCHED("pool_backward");
        return;
    }
    unsigned blocks = mx_cuda_blocks(total, MX_CUDA_THREADS);
    if (total <= INT_MAX)
        pool_backward_k<unsigned><<<blocks, MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
            G, x, dy, dx, (unsigned)total, add);
    else
        pool_backward_k<size_t><<<blocks, MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(G, x, dy, dx, total, add);
    MX_CUDA_LAUNCHED("pool_backward");
}
