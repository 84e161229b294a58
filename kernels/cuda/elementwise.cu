/* elementwise.cu — CUDA elementwise kernels: activations, binary and
 * scalar arithmetic with their gradients, fills and scaled copies, and
 * the LeakyReLU family (ELU, leaky/prelu/rrelu). Semantics follow
 * kernels/cpu (activation.c, elementwise.c, leaky_relu.c) to within float
 * rounding. Each entry is one grid-stride launch (prelu's backward two:
 * the slope gradient must read dy before dx, maybe dy's buffer, is
 * written); in-place use is safe because every thread reads its element
 * before it writes it. The op and req switches are uniform across the
 * grid, so they cost no divergence. */
#include <math.h>

#include "cuda_util.cuh"
#include "kernels/kernel_shared.h"

/* dst[i] (req) = v; req is WRITE or ADD (callers return early on NULL). */
__device__ static inline void put(float *dst, size_t i, float v, mx_req req)
{
    if (req == MX_REQ_ADD) dst[i] += v;
    else dst[i] = v;
}

/* -- activations -- */

/* Forms that never overflow, as kernels/cpu/vmath.h: sigmoid through
 * e^−|x|, softrelu as max(x, 0) + log(1 + e^−|x|). */
__device__ static inline float act_fwd(mx_act act, float x)
{
    switch (act) {
    case MX_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case MX_ACT_SIGMOID: return mx_cuda_sigmoid(x);
    case MX_ACT_TANH: return tanhf(x);
    case MX_ACT_SOFTRELU: return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
    case MX_ACT_SOFTSIGN: return x / (1.0f + fabsf(x));
    }
    return 0.0f;
}

/* act'(x) from y = act(x), so Activation can run in place. */
__device__ static inline float act_grad(mx_act act, float y)
{
    switch (act) {
    case MX_ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
    case MX_ACT_SIGMOID: return y * (1.0f - y);
    case MX_ACT_TANH: return 1.0f - y * y;
    case MX_ACT_SOFTRELU: return -expm1f(-y); /* sigmoid(x) = 1 − e^−y */
    case MX_ACT_SOFTSIGN: { float a = 1.0f - fabsf(y); return a * a; } /* 1/(1+|x|)² */
    }
    return 0.0f;
}

__global__ static void act_forward_kernel(mx_act act, const float *x, float *y, size_t n)
{
    MX_CUDA_FOR(i, n) y[i] = act_fwd(act, x[i]);
}

void mx_cuda_act_forward(mx_engine *eng, mx_act act, const float *x, float *y, size_t n)
{
    (void)eng;
    if (n == 0) return;
    act_forward_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        act, x, y, n);
    MX_CUDA_LAUNCHED("act_forward");
}

__global__ static void act_backward_kernel(mx_act act, const float *y, const float *dy, float *dx,
                                           size_t n, mx_req req)
{
    MX_CUDA_FOR(i, n) put(dx, i, dy[i] * act_grad(act, y[i]), req);
}

void mx_cuda_act_backward(mx_engine *eng, mx_act act, const float *y, const float *dy, float *dx,
                          size_t n, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL || n == 0) return;
    act_backward_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        act, y, dy, dx, n, req);
    MX_CUDA_LAUNCHED("act_backward");
}

/* -- binary and scalar arithmetic -- */

__global__ static void binary_kernel(mx_binop op, const float *a, const float *b, float *y, size_t n)
{
    MX_CUDA_FOR(i, n) y[i] = mx_binop_apply(op, a[i], b[i]);
}

void mx_cuda_binary(mx_engine *eng, mx_binop op, const float *a, const float *b, float *y, size_t n)
{
    (void)eng;
    if (n == 0) return;
    binary_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        op, a, b, y, n);
    MX_CUDA_LAUNCHED("binary");
}

__global__ static void scalar_kernel(mx_binop op, const float *a, float s, float *y, size_t n)
{
    MX_CUDA_FOR(i, n) y[i] = mx_binop_apply(op, a[i], s);
}

void mx_cuda_scalar(mx_engine *eng, mx_binop op, const float *a, float s, float *y, size_t n)
{
    (void)eng;
    if (n == 0) return;
    scalar_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        op, a, s, y, n);
    MX_CUDA_LAUNCHED("scalar");
}

/* Both gradients of y = a op b in one pass. RSUB/RDIV give 0, as on the
 * CPU (the graph never builds them between two arrays). Every input is
 * read before either output is written, and da before db: when a node
 * uses one input twice (x*x) da and db alias, and write-then-add in that
 * order sums both parts. da/db are not restrict: they may alias. */
__global__ static void binary_backward_kernel(mx_binop op, const float *a, const float *b,
                                              const float *dy, float *da, mx_req req_a, float *db,
                                              mx_req req_b, size_t n)
{
    MX_CUDA_FOR(i, n) {
        float ga = 0.0f, gb = 0.0f, d = dy[i];
        switch (op) {
        case MX_BIN_ADD: ga = d; gb = d; break;
        case MX_BIN_SUB: ga = d; gb = -d; break;
        case MX_BIN_MUL: ga = d * b[i]; gb = d * a[i]; break;
        case MX_BIN_DIV: { float bi = b[i]; ga = d / bi; gb = -d * a[i] / (bi * bi); break; }
        default: break;
        }
        if (req_a != MX_REQ_NULL) put(da, i, ga, req_a);
        if (req_b != MX_REQ_NULL) put(db, i, gb, req_b);
    }
}

void mx_cuda_binary_backward(mx_engine *eng, mx_binop op, const float *a, const float *b,
                             const float *dy, float *da, mx_req req_a, float *db, mx_req req_b,
                             size_t n)
{
    (void)eng;
    if (!da) req_a = MX_REQ_NULL;
    if (!db) req_b = MX_REQ_NULL;
    if ((req_a == MX_REQ_NULL && req_b == MX_REQ_NULL) || n == 0) return;
    binary_backward_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0,
                             mx_cuda_stream()>>>(op, a, b, dy, da, req_a, db, req_b, n);
    MX_CUDA_LAUNCHED("binary_backward");
}

__global__ static void scalar_backward_kernel(mx_binop op, const float *a, float s, const float *dy,
                                              float *da, mx_req req, size_t n)
{
    MX_CUDA_FOR(i, n) {
        float g, d = dy[i];
        switch (op) {
        case MX_BIN_ADD: case MX_BIN_SUB: g = d; break;
        case MX_BIN_RSUB: g = -d; break;
        case MX_BIN_MUL: g = d * s; break;
        case MX_BIN_DIV: g = d / s; break;
        case MX_BIN_RDIV: { float ai = a[i]; g = -d * s / (ai * ai); break; }
        default: g = 0.0f; break;
        }
        put(da, i, g, req);
    }
}

void mx_cuda_scalar_backward(mx_engine *eng, mx_binop op, const float *a, float s, const float *dy,
                             float *da, mx_req req, size_t n)
{
    (void)eng;
    if (!da || req == MX_REQ_NULL || n == 0) return;
    scalar_backward_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0,
                             mx_cuda_stream()>>>(op, a, s, dy, da, req, n);
    MX_CUDA_LAUNCHED("scalar_backward");
}

/* -- copies and fills -- */

/* alpha == 1 copies exactly (x·1 = x), so one kernel serves the plain copy. */
__global__ static void scale_copy_kernel(float *dst, const float *src, float alpha, size_t n, mx_req req)
{
    MX_CUDA_FOR(i, n) put(dst, i, alpha * src[i], req);
}

void mx_cuda_scale_copy(mx_engine *eng, float *dst, const float *src, float alpha, size_t n, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL || n == 0) return;
    if (req == MX_REQ_WRITE && alpha == 1.0f && dst == src) return;
    scale_copy_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        dst, src, alpha, n, req);
    MX_CUDA_LAUNCHED("scale_copy");
}

/* -- unary math (formulas shared with the CPU: kernel_shared.h) -- */

__global__ static void unary_kernel(mx_unop op, const float *x, float *y, size_t n, float lo, float hi)
{
    MX_CUDA_FOR(i, n) y[i] = mx_unop_apply(op, x[i], lo, hi);
}

void mx_cuda_unary(mx_engine *eng, mx_unop op, const float *x, float *y, size_t n, float lo, float hi)
{
    (void)eng;
    if (n == 0) return;
    unary_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(op, x, y, n, lo, hi);
    MX_CUDA_LAUNCHED("unary");
}

__global__ static void unary_backward_kernel(mx_unop op, const float *x, const float *y, const float *dy,
                                             float *dx, mx_req req, size_t n, float lo, float hi)
{
    MX_CUDA_FOR(i, n) put(dx, i, mx_unop_grad(op, x[i], y ? y[i] : 0.0f, dy[i], lo, hi), req);
}

void mx_cuda_unary_backward(mx_engine *eng, mx_unop op, const float *x, const float *y, const float *dy,
                            float *dx, mx_req req, size_t n, float lo, float hi)
{
    (void)eng;
    if (req == MX_REQ_NULL || n == 0) return;
    unary_backward_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        op, x, y, dy, dx, req, n, lo, hi);
    MX_CUDA_LAUNCHED("unary_backward");
}

__global__ static void fill_kernel(float *dst, float value, size_t n)
{
    MX_CUDA_FOR(i, n) dst[i] = value;
}

void mx_cuda_fill(mx_engine *eng, float *dst, float value, size_t n)
{
    (void)eng;
    if (n == 0) return;
    fill_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(dst, value, n);
    MX_CUDA_LAUNCHED("fill");
}

__global__ static void scaled_diff_kernel(const float *y, const float *label, float *dx, float scale,
                                          size_t n, mx_req req)
{
    MX_CUDA_FOR(i, n) put(dx, i, scale * (y[i] - label[i]), req);
}

void mx_cuda_scaled_diff(mx_engine *eng, const float *y, const float *label, float *dx, float scale,
                         size_t n, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL || n == 0) return;
    scaled_diff_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        y, label, dx, scale, n, req);
    MX_CUDA_LAUNCHED("scaled_diff");
}

/* -- ELU -- */

__global__ static void elu_forward_kernel(const float *x, float *y, size_t n, float alpha)
{
    MX_CUDA_FOR(i, n) {
        float v = x[i];
        y[i] = v > 0.0f ? v : alpha * expm1f(v);
    }
}

void mx_cuda_elu_forward(mx_engine *eng, const float *x, float *y, size_t n, float alpha)
{
    (void)eng;
    if (n == 0) return;
    elu_forward_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        x, y, n, alpha);
    MX_CUDA_LAUNCHED("elu_forward");
}

__global__ static void elu_backward_kernel(const float *x, const float *dy, float *dx, size_t n,
                                           float alpha, mx_req req)
{
    MX_CUDA_FOR(i, n) {
        float v = x[i], d = dy[i];
        put(dx, i, v > 0.0f ? d : d * alpha * expf(v), req);
    }
}

void mx_cuda_elu_backward(mx_engine *eng, const float *x, const float *dy, float *dx, size_t n,
                          float alpha, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL || n == 0) return;
    elu_backward_kernel<<<mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        x, dy, dx, n, alpha, req);
    MX_CUDA_LAUNCHED("elu_backward");
}

/* -- leaky / prelu / rrelu -- */

/* The channel of flat index i in (outer, c, inner); 32-bit division when
 * everything fits, as 64-bit division is a long software sequence. */
__device__ static inline size_t channel_of(size_t i, size_t inner, size_t c)
{
    if (((i | inner | c) >> 32) == 0) return (unsigned)i / (unsigned)inner % (unsigned)c;
    return i / inner % c;
}

/* The slope: the caller's single value (slope NULL), else per channel
 * from the device array. */
__device__ static inline float slope_at(const float *slope, float fixed, int by_value, size_t i,
                                        size_t inner, size_t c)
{
    return by_value ? fixed : slope[channel_of(i, inner, c)];
}

__global__ static void prelu_forward_kernel(const float *x, const float *slope, float fixed,
                                            int by_value, float *y, size_t total, size_t c, size_t inner)
{
    MX_CUDA_FOR(i, total) {
        float v = x[i];
        y[i] = v > 0.0f ? v : slope_at(slope, fixed, by_value, i, inner, c) * v;
    }
}

void mx_cuda_prelu_forward(mx_engine *eng, const float *x, const float *slope, float leak, float *y,
                           size_t outer, size_t c, size_t inner)
{
    (void)eng;
    size_t total = outer * c * inner;
    if (total == 0) return;
    float fixed = leak;
    int by_value = slope == NULL;
    prelu_forward_kernel<<<mx_cuda_blocks(total, MX_CUDA_THREADS), MX_CUDA_THREADS, 0,
                           mx_cuda_stream()>>>(x, slope, fixed, by_value, y, total, c, inner);
    MX_CUDA_LAUNCHED("prelu_forward");
}

/* Sum of v over the block, in a fixed tree order (same bits every run);
 * the result is valid in thread 0. blockDim.x is a multiple of 32. */
__device__ static float block_sum(float v)
{
    __shared__ float warp_part[32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
    if (lane == 0) warp_part[warp] = v;
    __syncthreads();
    if (warp != 0) return 0.0f;
    v = lane < (blockDim.x >> 5) ? warp_part[lane] : 0.0f;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

/* dslope[ch] (req) = Σ dy·min(x, 0) over the channel's outer×inner
 * elements: one block per channel, so no atomics and a fixed order. */
__global__ static void prelu_dslope_kernel(const float *x, const float *dy, float *dslope, size_t outer,
                                           size_t c, size_t inner, mx_req req)
{
    size_t ch = blockIdx.x, m = outer * inner;
    float acc = 0.0f;
    for (size_t j = threadIdx.x; j < m; j += blockDim.x) {
        size_t off = ((j / inner) * c + ch) * inner + j % inner;
        float v = x[off];
        acc += v < 0.0f ? dy[off] * v : 0.0f;
    }
    float s = block_sum(acc);
    if (threadIdx.x == 0) put(dslope, ch, s, req);
}

__global__ static void prelu_dx_kernel(const float *x, const float *slope, float fixed, int by_value,
                                       const float *dy, float *dx, size_t total, size_t c,
                                       size_t inner, mx_req req)
{
    MX_CUDA_FOR(i, total) {
        float d = dy[i];
        put(dx, i, x[i] > 0.0f ? d : slope_at(slope, fixed, by_value, i, inner, c) * d, req);
    }
}

void mx_cuda_prelu_backward(mx_engine *eng, const float *x, const float *slope, float leak, const float *dy,
                            float *dx, size_t outer, size_t c, size_t inner, mx_req req_x,
                            float *dslope, mx_req req_s)
{
    (void)eng;
    size_t total = outer * c * inner;
    if (total == 0) return;
    /* Launched first: the stream orders it before dx (maybe dy) is written. */
    if (dslope && req_s != MX_REQ_NULL) {
        unsigned threads = outer * inner >= 16384 ? 1024u : 256u;
        prelu_dslope_kernel<<<(unsigned)c, threads, 0, mx_cuda_stream()>>>(x, dy, dslope, outer, c,
                                                                           inner, req_s);
        MX_CUDA_LAUNCHED("prelu_backward");
    }
    if (!dx || req_x == MX_REQ_NULL) return;
    float fixed = leak;
    int by_value = slope == NULL;
    prelu_dx_kernel<<<mx_cuda_blocks(total, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()>>>(
        x, slope, fixed, by_value, dy, dx, total, c, inner, req_x);
    MX_CUDA_LAUNCHED("prelu_backward");
}
