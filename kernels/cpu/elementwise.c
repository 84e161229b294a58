/* elementwise.c — CPU elementwise kernels: binary and scalar arithmetic
 * with their gradients, fills, scaled copies, row broadcasts and sums. */
#include <string.h>

#include "cpu_kernels.h"
#include "cpu_par.h"
#include "cpu_simd.h"
#include "kernels/kernel_shared.h"

typedef struct bin_job {
    mx_binop op;
    const float *a, *b;
    float s;
    float *y;
} bin_job;

MX_SIMD_CLONES static void binary_range(void *p, size_t lo, size_t hi)
{
    bin_job *j = p;
    switch (j->op) {
    case MX_BIN_ADD: for (size_t i = lo; i < hi; i++) j->y[i] = j->a[i] + j->b[i]; break;
    case MX_BIN_SUB: for (size_t i = lo; i < hi; i++) j->y[i] = j->a[i] - j->b[i]; break;
    case MX_BIN_MUL: for (size_t i = lo; i < hi; i++) j->y[i] = j->a[i] * j->b[i]; break;
    default: for (size_t i = lo; i < hi; i++) j->y[i] = mx_binop_apply(j->op, j->a[i], j->b[i]); break;
    }
}

void mx_cpu_binary(mx_engine *eng, mx_binop op, const float *a, const float *b, float *y, size_t n)
{
    bin_job j = {op, a, b, 0.0f, y};
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, binary_range, &j);
}

MX_SIMD_CLONES static void scalar_range(void *p, size_t lo, size_t hi)
{
    bin_job *j = p;
    for (size_t i = lo; i < hi; i++) j->y[i] = mx_binop_apply(j->op, j->a[i], j->s);
}

void mx_cpu_scalar(mx_engine *eng, mx_binop op, const float *a, float s, float *y, size_t n)
{
    bin_job j = {op, a, NULL, s, y};
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, scalar_range, &j);
}

static inline void put(float *dst, size_t i, float v, mx_req req)
{
    if (req == MX_REQ_ADD) dst[i] += v;
    else dst[i] = v;
}

void mx_cpu_binary_backward(mx_engine *eng, mx_binop op, const float *a, const float *b,
                            const float *dy, float *da, mx_req req_a, float *db, mx_req req_b,
                            size_t n)
{
    (void)eng;
    /* da first, then db: when a node uses one input twice (x*x) the two
     * gradients alias, and write-then-add in this order is correct. */
    if (da && req_a != MX_REQ_NULL) {
        for (size_t i = 0; i < n; i++) {
            float g;
            switch (op) {
            case MX_BIN_ADD: case MX_BIN_SUB: g = dy[i]; break;
            case MX_BIN_MUL: g = dy[i] * b[i]; break;
            case MX_BIN_DIV: g = dy[i] / b[i]; break;
            default: g = 0.0f; break;
            }
            put(da, i, g, req_a);
        }
    }
    if (db && req_b != MX_REQ_NULL) {
        for (size_t i = 0; i < n; i++) {
            float g;
            switch (op) {
            case MX_BIN_ADD: g = dy[i]; break;
            case MX_BIN_SUB: g = -dy[i]; break;
            case MX_BIN_MUL: g = dy[i] * a[i]; break;
            case MX_BIN_DIV: g = -dy[i] * a[i] / (b[i] * b[i]); break;
            default: g = 0.0f; break;
            }
            put(db, i, g, req_b);
        }
    }
}

void mx_cpu_scalar_backward(mx_engine *eng, mx_binop op, const float *a, float s, const float *dy,
                            float *da, mx_req req, size_t n)
{
    (void)eng;
    if (!da || req == MX_REQ_NULL) return;
    for (size_t i = 0; i < n; i++) {
        float g;
        switch (op) {
        case MX_BIN_ADD: case MX_BIN_SUB: g = dy[i]; break;
        case MX_BIN_RSUB: g = -dy[i]; break;
        case MX_BIN_MUL: g = dy[i] * s; break;
        case MX_BIN_DIV: g = dy[i] / s; break;
        case MX_BIN_RDIV: g = -dy[i] * s / (a[i] * a[i]); break;
        default: g = 0.0f; break;
        }
        put(da, i, g, req);
    }
}

void mx_cpu_scale_copy(mx_engine *eng, float *dst, const float *src, float alpha, size_t n, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL) return;
    if (req == MX_REQ_ADD) {
        for (size_t i = 0; i < n; i++) dst[i] += alpha * src[i];
    } else if (alpha == 1.0f) {
        if (dst != src) memmove(dst, src, n * sizeof *dst);
    } else {
        for (size_t i = 0; i < n; i++) dst[i] = alpha * src[i];
    }
}

void mx_cpu_copy_segments(mx_engine *eng, int n, float *const *dst, const float *const *src, const size_t *count,
                          mx_req req)
{
    (void)eng; /* a few small arrays a step: not worth a dispatch */
    for (int i = 0; i < n; i++) {
        if (req == MX_REQ_ADD)
            for (size_t k = 0; k < count[i]; k++) dst[i][k] += src[i][k];
        else if (req == MX_REQ_WRITE)
            memmove(dst[i], src[i], count[i] * sizeof(float));
    }
}

void mx_cpu_fill(mx_engine *eng, float *dst, float value, size_t n)
{
    (void)eng;
    for (size_t i = 0; i < n; i++) dst[i] = value;
}

void mx_cpu_fill_rows(mx_engine *eng, float *y, const float *bias, size_t rows, size_t cols)
{
    (void)eng;
    for (size_t r = 0; r < rows; r++) memcpy(y + r * cols, bias, cols * sizeof *y);
}

MX_SIMD_CLONES void mx_cpu_sum_rows(mx_engine *eng, float *db, const float *dy, size_t rows, size_t cols, mx_req req)
{
    (void)eng;
    if (req == MX_REQ_NULL) return;
    if (req == MX_REQ_WRITE) memset(db, 0, cols * sizeof *db);
    /* Row order is fixed, so the sum is the same on every run. */
    for (size_t r = 0; r < rows; r++) {
        const float *row = dy + r * cols;
        for (size_t c = 0; c < cols; c++) db[c] += row[c];
    }
}

MX_SIMD_CLONES void mx_cpu_scaled_diff(mx_engine *eng, const float *y, const float *label, float *dx, float scale,
                        size_t n, mx_req req)
{
    (void)eng;
    for (size_t i = 0; i < n; i++) put(dx, i, scale * (y[i] - label[i]), req);
}

/* -- unary math (formulas shared with CUDA: kernel_shared.h) -- */

typedef struct un_job {
    mx_unop op;
    const float *x, *y, *dy;
    float *out;
    float lo, hi;
    mx_req req;
} un_job;

MX_SIMD_CLONES static void unary_range(void *p, size_t lo, size_t hi)
{
    /* the job's fields in locals: read through j, every store to out could
     * change them, and the loop was reloaded element by element, unvectorised
     * (clip, MobileNet's ReLU6, ran at 1 GB/s) */
    const un_job *j = p;
    const float *x = j->x, a = j->lo, b = j->hi;
    float *out = j->out;
    const mx_unop op = j->op;
    if (op == MX_UN_CLIP) {
        for (size_t i = lo; i < hi; i++) {
            float v = x[i];
            out[i] = v > b ? b : v < a ? a : v;
        }
        return;
    }
    for (size_t i = lo; i < hi; i++) out[i] = mx_unop_apply(op, x[i], a, b);
}

void mx_cpu_unary(mx_engine *eng, mx_unop op, const float *x, float *y, size_t n, float lo, float hi)
{
    un_job j = {op, x, NULL, NULL, y, lo, hi, MX_REQ_WRITE};
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, unary_range, &j);
}

MX_SIMD_CLONES static void unary_backward_range(void *p, size_t lo, size_t hi)
{
    un_job *j = p;
    for (size_t i = lo; i < hi; i++) {
        float g = mx_unop_grad(j->op, j->x[i], j->y ? j->y[i] : 0.0f, j->dy[i], j->lo, j->hi);
        put(j->out, i, g, j->req);
    }
}

void mx_cpu_unary_backward(mx_engine *eng, mx_unop op, const float *x, const float *y, const float *dy,
                           float *dx, mx_req req, size_t n, float lo, float hi)
{
    if (req == MX_REQ_NULL) return;
    un_job j = {op, x, y, dy, dx, lo, hi, req};
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, unary_backward_range, &j);
}

typedef struct block_job {
    float *dst;
    const float *src;
    size_t dst_stride, src_stride, width;
    mx_req req;
} block_job;

static void block_range(void *p, size_t lo, size_t hi)
{
    block_job *j = p;
    for (size_t r = lo; r < hi; r++) {
        float *d = j->dst + r * j->dst_stride;
        const float *s = j->src + r * j->src_stride;
        if (j->req == MX_REQ_ADD)
            for (size_t i = 0; i < j->width; i++) d[i] += s[i];
        else
            memcpy(d, s, j->width * sizeof *d);
    }
}

void mx_cpu_copy_block(mx_engine *eng, float *dst, size_t dst_stride, const float *src, size_t src_stride,
                       size_t rows, size_t width, mx_req req)
{
    if (req == MX_REQ_NULL || rows == 0 || width == 0) return;
    block_job j = {dst, src, dst_stride, src_stride, width, req};
    mx_cpu_parallel(eng, rows, MX_CPU_PAR_MIN / width + 1, block_range, &j);
}
