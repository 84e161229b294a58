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
    }
    return 0.0f;
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

#endif
