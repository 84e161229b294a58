/* kernel_shared.h — small pure functions the CPU kernels and the CUDA
 * kernels (kernels/cuda) both call, so the two devices cannot disagree on
 * them: compiled as host functions by gcc and as host+device functions by
 * nvcc. */
#ifndef MX_KERNELS_CPU_SHARED_H
#define MX_KERNELS_CPU_SHARED_H

#include <math.h>
#include <stddef.h>
#include "kernels.h"

#ifdef __CUDACC__
#define MX_SHARED_FN __host__ __device__ static inline
#else
#define MX_SHARED_FN static inline
#endif

/* a op b; RSUB and RDIV swap the operands (the scalar forms s − a, s / a). */
MX_SHARED_FN float mx_binop_apply(mx_binop op, float a, float b)
{
    switch (op) {
    case MX_BIN_ADD: return a + b;
    case MX_BIN_SUB: return a - b;
    case MX_BIN_MUL: return a * b;
    case MX_BIN_DIV: return a / b;
    case MX_BIN_RSUB: return b - a;
    case MX_BIN_RDIV: return b / a;
    case MX_BIN_MAX: return a > b ? a : b;
    case MX_BIN_MIN: return a < b ? a : b;
    }
    return 0.0f;
}

/* dy times the derivative of a op b by a (side 0) or b (side 1); maximum's
 * gradient goes to a where a >= b, minimum's where a <= b (MXNet's ge/lt,
 * le/gt pairs). */
MX_SHARED_FN float mx_binop_grad(mx_binop op, int side, float a, float b, float dy)
{
    switch (op) {
    case MX_BIN_ADD: return dy;
    case MX_BIN_SUB: return side ? -dy : dy;
    case MX_BIN_MUL: return side ? dy * a : dy * b;
    case MX_BIN_DIV: return side ? -dy * a / (b * b) : dy / b;
    case MX_BIN_RSUB: return side ? dy : -dy;
    case MX_BIN_RDIV: return side ? dy / a : -dy * b / (a * a);
    case MX_BIN_MAX: return (side ? a < b : a >= b) ? dy : 0.0f;
    case MX_BIN_MIN: return (side ? a > b : a <= b) ? dy : 0.0f;
    }
    return 0.0f;
}

/* The fold of reductions: acc op v. */
MX_SHARED_FN float mx_redop_apply(mx_redop op, float acc, float v)
{
    switch (op) {
    case MX_RED_SUM: return acc + v;
    case MX_RED_MAX: return v > acc ? v : acc;
    case MX_RED_MIN: return v < acc ? v : acc;
    case MX_RED_PROD: return acc * v;
    }
    return acc;
}

/* Offset in x of reduction index j's base (kept axes) and of r's step
 * within the fold (reduced axes). */
MX_SHARED_FN int64_t mx_reduce_kept_offset(const mx_reduce_geom *g, int64_t j)
{
    int64_t off = 0;
    for (int d = g->nk - 1; d >= 0; d--) {
        off += (j % g->ksize[d]) * g->kstride[d];
        j /= g->ksize[d];
    }
    return off;
}

MX_SHARED_FN int64_t mx_reduce_fold_offset(const mx_reduce_geom *g, int64_t r)
{
    int64_t off = 0;
    for (int d = g->nr - 1; d >= 0; d--) {
        off += (r % g->rsize[d]) * g->rstride[d];
        r /= g->rsize[d];
    }
    return off;
}

/* Offsets in a (which 0) and b (which 1) of output index i. */
MX_SHARED_FN int64_t mx_bcast_offset(const mx_bcast_geom *g, int which, int64_t i)
{
    int64_t off = 0;
    for (int d = g->ndim - 1; d >= 0; d--) {
        off += (i % g->shape[d]) * (which ? g->sb[d] : g->sa[d]);
        i /= g->shape[d];
    }
    return off;
}

/* MXNet's unary math: op(x); lo and hi bound CLIP. */
MX_SHARED_FN float mx_unop_apply(mx_unop op, float x, float lo, float hi)
{
    switch (op) {
    case MX_UN_ABS: return x < 0.0f ? -x : x;
    case MX_UN_NEG: return -x;
    case MX_UN_SQUARE: return x * x;
    case MX_UN_SQRT: return sqrtf(x);
    case MX_UN_RSQRT: return 1.0f / sqrtf(x);
    case MX_UN_EXP: return expf(x);
    case MX_UN_LOG: return logf(x);
    case MX_UN_CLIP: return x > hi ? hi : x < lo ? lo : x;
    case MX_UN_SMOOTH_L1: { /* 0.5·(σx)² if |x| < 1/σ², else |x| − 0.5/σ² */
        float s2 = lo * lo, ax = x < 0.0f ? -x : x;
        return ax < 1.0f / s2 ? 0.5f * s2 * x * x : ax - 0.5f / s2;
    }
    }
    return 0.0f;
}

/* The gradient of op at x (y = op(x)) times dy, as MXNet's backward
 * computes it: |x|' = sign(x) (0 at 0), √x' = 1/(2√x), (1/√x)' = −1/(2x√x),
 * clip passes dy where lo <= x <= hi. */
MX_SHARED_FN float mx_unop_grad(mx_unop op, float x, float y, float dy, float lo, float hi)
{
    switch (op) {
    case MX_UN_ABS: return x > 0.0f ? dy : x < 0.0f ? -dy : 0.0f;
    case MX_UN_NEG: return -dy;
    case MX_UN_SQUARE: return 2.0f * x * dy;
    case MX_UN_SQRT: return dy * 0.5f / y;
    case MX_UN_RSQRT: return dy * -0.5f * y / x;
    case MX_UN_EXP: return dy * y;
    case MX_UN_LOG: return dy / x;
    case MX_UN_CLIP: return x > hi || x < lo ? 0.0f : dy;
    case MX_UN_SMOOTH_L1: {
        float s2 = lo * lo, ax = x < 0.0f ? -x : x;
        return ax < 1.0f / s2 ? dy * s2 * x : x > 0.0f ? dy : -dy;
    }
    }
    return 0.0f;
}

/* Plane index of the first maximum of the non-empty window [hb, he) ×
 * [wb, we) of a plane iw wide: strict > in row-major order, so ties and
 * NaNs keep the earliest cell (what max pooling's gradient routes to). */
MX_SHARED_FN int mx_pool_first_argmax(const float *x, int iw, int hb, int he, int wb, int we)
{
    int best = hb * iw + wb;
    float v = x[best];
    for (int h = hb; h < he; h++)
        for (int w = wb; w < we; w++)
            if (x[h * iw + w] > v) {
                v = x[h * iw + w];
                best = h * iw + w;
            }
    return best;
}

/* Embedding's weight row for index value v: truncated, then clipped into
 * [0, input_dim) (NaN → 0), as MXNet does. */
MX_SHARED_FN size_t mx_embed_row(float v, int input_dim)
{
    if (!(v >= 1.0f)) return 0;
    if (v >= (float)input_dim) return (size_t)input_dim - 1;
    return (size_t)v;
}

/* LRN (MXNet's): x viewed as (outer, c, inner); the window of channel ch
 * is [ch − n/2, ch + n/2] clipped to the channels. Its scale at flat index
 * i: knorm + α/n·Σ x² over the window, summed in channel order. */
MX_SHARED_FN float mx_lrn_scale(const float *x, size_t i, size_t c, size_t inner, int n, float alpha, float knorm)
{
    size_t ch = (i / inner) % c, base = i - ch * inner, half = (size_t)n / 2;
    size_t lo = ch >= half ? ch - half : 0, hi = ch + half < c ? ch + half : c - 1;
    float s = 0.0f;
    for (size_t k = lo; k <= hi; k++) s += x[base + k * inner] * x[base + k * inner];
    return knorm + alpha / (float)n * s;
}

/* dx at i of y = x·scale^−β: dy·s^−β − (2αβ/n)·x·Σ_w dy_w·x_w·s_w^(−β−1)
 * over the channels w whose window holds i's (the window is symmetric). */
MX_SHARED_FN float mx_lrn_grad(const float *x, const float *dy, size_t i, size_t c, size_t inner, int n,
                               float alpha, float beta, float knorm)
{
    size_t ch = (i / inner) % c, base = i - ch * inner, half = (size_t)n / 2;
    size_t lo = ch >= half ? ch - half : 0, hi = ch + half < c ? ch + half : c - 1;
    float acc = 0.0f;
    for (size_t k = lo; k <= hi; k++) {
        size_t w = base + k * inner;
        float sw = mx_lrn_scale(x, w, c, inner, n, alpha, knorm);
        acc += dy[w] * x[w] * powf(sw, -beta - 1.0f);
    }
    float si = mx_lrn_scale(x, i, c, inner, n, alpha, knorm);
    return dy[i] * powf(si, -beta) - 2.0f * alpha * beta / (float)n * x[i] * acc;
}

/* The GRU cell of MXNet's RNN op (cuDNN's): rows of pre-activations a =
 * x·W_i2hᵀ + b_i2h and b = h·W_h2hᵀ + b_h2h, gates r, z, n in columns
 * [0, h), [h, 2h), [2h, 3h):
 *   r = σ(a_r + b_r), z = σ(a_z + b_z), n = tanh(a_n + r·b_n),
 *   h' = (1 − z)·n + z·hp.
 * Element j of row `row`: writes h' and act (r, z, n, b_n: 4h a row). */
MX_SHARED_FN void mx_gru_cell(const float *a, const float *b, const float *hp, float *h, float *act, size_t row,
                              size_t j, size_t hs)
{
    const float *ar = a + row * 3 * hs, *br = b + row * 3 * hs;
    float r = 1.0f / (1.0f + expf(-(ar[j] + br[j])));
    float z = 1.0f / (1.0f + expf(-(ar[hs + j] + br[hs + j])));
    float bn = br[2 * hs + j], n = tanhf(ar[2 * hs + j] + r * bn);
    h[row * hs + j] = (1.0f - z) * n + z * hp[row * hs + j];
    float *g = act + row * 4 * hs;
    g[j] = r, g[hs + j] = z, g[2 * hs + j] = n, g[3 * hs + j] = bn;
}

/* Its gradients from dh: da (the i2h pre-activations'), db (the h2h ones':
 * r·dn for n) and dhp = z·dh, the part not through W_h2h. */
MX_SHARED_FN void mx_gru_cell_grad(const float *act, const float *hp, const float *dh, float *da, float *db,
                                   float *dhp, size_t row, size_t j, size_t hs)
{
    const float *g = act + row * 4 * hs;
    float r = g[j], z = g[hs + j], n = g[2 * hs + j], bn = g[3 * hs + j], d = dh[row * hs + j];
    float dn = d * (1.0f - z) * (1.0f - n * n);
    float dz = d * (hp[row * hs + j] - n) * z * (1.0f - z);
    float dr = dn * bn * r * (1.0f - r);
    float *ga = da + row * 3 * hs, *gb = db + row * 3 * hs;
    ga[j] = dr, ga[hs + j] = dz, ga[2 * hs + j] = dn;
    gb[j] = dr, gb[hs + j] = dz, gb[2 * hs + j] = dn * r;
    dhp[row * hs + j] = d * z;
}

#endif
