/* pooling.c — CPU kernels behind Pooling and Concat: max/avg/sum pooling
 * over (h, w) planes, and the row-wise gather/scatter of Concat. Pooling
 * has two paths: a generic one, output by output with windows clipped to
 * the input, and for the outputs whose windows lie wholly inside, one
 * that accumulates kernel offset by offset over a row of outputs, so the
 * loops vectorize (about 1.3-2x faster). 2×2 stride-2 unpadded pooling
 * of even planes (LeNet's) goes to pool2x2.c instead, which handles whole
 * runs of planes as row pairs. Work is split statically over
 * planes (pooling) or rows (concat); each plane or row is computed by one
 * thread in a fixed order, so results are bit-identical for any thread
 * count. Nothing here allocates. */
#include <float.h>
#include <string.h>

#include "cpu_kernels.h"
#include "kernels/kernel_shared.h"
#include "cpu_par.h"
#include "cpu_simd.h"
#include "pool2x2.h"

/* Pool types, as the kernel table documents them (kernels/kernels.h). */
enum { POOL_MAX = 0, POOL_AVG = 1, POOL_SUM = 2 };

typedef struct pool_job {
    int type, include_pad;
    int ih, iw, oh, ow, kh, kw, sh, sw, ph, pw;
    const float *x, *dy;
    float *y, *dx;
    mx_req req;
} pool_job;

/* Window of output index o along one axis of n input cells: the input
 * cells [*b, *e) it covers, and (returned) how many of its cells lie inside
 * the padded input [−p, n + p) — MXNet's avg divisor, which with the full
 * convention can be smaller than the kernel at the far edge. */
static int window(int o, int k, int s, int p, int n, int *b, int *e)
{
    int start = o * s - p;
    int end = start + k;
    int padded_end = end < n + p ? end : n + p;
    *b = start < 0 ? 0 : start;
    *e = end < n ? end : n;
    return padded_end - start;
}

/* Divisor of one avg window (0 when the window holds no cell to average:
 * MXNet would divide by zero or a negative count there; we output 0). */
static int avg_divisor(const pool_job *j, int ext_h, int ext_w, int cells)
{
    int d = j->include_pad ? ext_h * ext_w : cells;
    return cells > 0 && d > 0 ? d : 0;
}

/* Value at mx_pool_first_argmax's index, without tracking the index (a shorter
 * dependency chain, so forward runs faster); same value on ties and NaN. */
static float window_max(const float *x, int iw, int hb, int he, int wb, int we)
{
    float v = x[hb * iw + wb];
    for (int h = hb; h < he; h++) {
        const float *r = x + h * iw;
        for (int w = wb; w < we; w++) v = r[w] > v ? r[w] : v;
    }
    return v;
}

/* Outputs [*o0, *o1) of a row whose windows lie wholly inside the input
 * along w: no clipping, and a divisor of kh·kw under either avg rule. */
static void interior_cols(const pool_job *j, int *o0, int *o1)
{
    int span = j->iw + j->pw - j->kw;
    int hi = span < 0 ? 0 : span / j->sw + 1, lo = (j->pw + j->sw - 1) / j->sw;
    *o1 = hi < j->ow ? hi : j->ow;
    *o0 = lo < *o1 ? lo : *o1;
}

/* acc[i] = max(acc[i], r[i·sw]) or acc[i] += r[i·sw]; inlined with a
 * constant sw where the caller knows it, so the loop vectorizes. */
static inline __attribute__((always_inline)) void acc_cells(float *acc, const float *r, int n, int sw,
                                                            int is_max)
{
    if (is_max)
        for (int i = 0; i < n; i++) {
            float t = r[(size_t)i * (size_t)sw];
            acc[i] = t > acc[i] ? t : acc[i];
        }
    else
        for (int i = 0; i < n; i++) acc[i] += r[(size_t)i * (size_t)sw];
}

#define POOL_CHUNK 256

/* Outputs [o0, o1) of a row of windows inside the input from row hb on:
 * accumulated kernel offset by kernel offset, so the loops run over
 * outputs and vectorize. Each output still meets its cells in row-major
 * order, starting from the same value, so its bits equal the generic
 * path's. */
MX_SIMD_CLONES static void forward_interior(const pool_job *j, const float *x, float *y, int hb,
                                            int o0, int o1)
{
    float acc[POOL_CHUNK];
    int is_max = j->type == POOL_MAX, sw = j->sw;
    for (int c0 = o0; c0 < o1; c0 += POOL_CHUNK) {
        int n = o1 - c0 < POOL_CHUNK ? o1 - c0 : POOL_CHUNK;
        const float *base = x + (size_t)hb * (size_t)j->iw + (size_t)c0 * (size_t)sw - j->pw;
        for (int i = 0; i < n; i++) acc[i] = is_max ? base[(size_t)i * (size_t)sw] : 0.0f;
        for (int u = 0; u < j->kh; u++)
            for (int v = 0; v < j->kw; v++) {
                const float *r = base + (size_t)u * (size_t)j->iw + v;
                if (sw == 1) acc_cells(acc, r, n, 1, is_max);
                else if (sw == 2) acc_cells(acc, r, n, 2, is_max);
                else acc_cells(acc, r, n, sw, is_max);
            }
        float d = (float)(j->kh * j->kw);
        if (j->type == POOL_AVG)
            for (int i = 0; i < n; i++) acc[i] = acc[i] / d;
        float *dst = y + c0;
        if (j->req == MX_REQ_ADD)
            for (int i = 0; i < n; i++) dst[i] += acc[i];
        else
            memcpy(dst, acc, (size_t)n * sizeof(float));
    }
}

/* One output of the generic path: any window, clipped to the input. */
static float forward_one(const pool_job *j, const float *x, int hb, int he, int ext_h, int ow)
{
    int wb, we, ext_w = window(ow, j->kw, j->sw, j->pw, j->iw, &wb, &we);
    int empty = he <= hb || we <= wb;
    /* padded cells never win; an all-padding window gives MXNet's lowest value */
    if (j->type == POOL_MAX) return empty ? -FLT_MAX : window_max(x, j->iw, hb, he, wb, we);
    float sum = 0.0f;
    for (int h = hb; h < he; h++)
        for (int w = wb; w < we; w++) sum += x[h * j->iw + w];
    if (j->type == POOL_SUM) return sum;
    int d = empty ? 0 : avg_divisor(j, ext_h, ext_w, (he - hb) * (we - wb));
    return d ? sum / (float)d : 0.0f;
}

/* One plane forward: y (req) = pool(x); rows whose windows lie inside
 * the input take the vectorized path for their inner outputs. */
static void pool_plane_forward(const pool_job *j, const float *x, float *y)
{
    int o0, o1;
    interior_cols(j, &o0, &o1);
    for (int oh = 0; oh < j->oh; oh++) {
        int hb, he, ext_h = window(oh, j->kh, j->sh, j->ph, j->ih, &hb, &he);
        int inside = he - hb == j->kh;
        float *row = y + (size_t)oh * (size_t)j->ow;
        for (int ow = 0; ow < j->ow; ow++) {
            if (inside && ow == o0 && o1 > o0) {
                forward_interior(j, x, row, hb, o0, o1);
                ow = o1 - 1;
                continue;
            }
            float v = forward_one(j, x, hb, he, ext_h, ow);
            row[ow] = j->req == MX_REQ_ADD ? row[ow] + v : v;
        }
    }
}

/* The first maximum so far (value acc[i], index at[i]) against the cell
 * off + i·sw; inlined with a constant sw where the caller knows it. */
static inline __attribute__((always_inline)) void track_max(float *acc, int *at, const float *x,
                                                            int off, int n, int sw)
{
    for (int i = 0; i < n; i++) {
        float t = x[off + i * sw];
        at[i] = t > acc[i] ? off + i * sw : at[i];
        acc[i] = t > acc[i] ? t : acc[i];
    }
}

/* r[i·sw] += g[i]; inlined with a constant sw where the caller knows it. */
static inline __attribute__((always_inline)) void spread(float *r, const float *g, int n, int sw)
{
    for (int i = 0; i < n; i++) r[i * sw] += g[i];
}

/* Backward of the outputs forward_interior computes: max finds each
 * output's first arg-max offset by offset (strict >, row-major: the
 * generic path's choice), then adds dy there in output order; avg and sum
 * add dy (÷ kh·kw) offset by offset, a vectorizable order. */
MX_SIMD_CLONES static void backward_interior(const pool_job *j, const float *x, const float *dy,
                                             float *dx, int hb, int o0, int o1)
{
    float acc[POOL_CHUNK];
    int at[POOL_CHUNK], sw = j->sw, iw = j->iw;
    for (int c0 = o0; c0 < o1; c0 += POOL_CHUNK) {
        int n = o1 - c0 < POOL_CHUNK ? o1 - c0 : POOL_CHUNK;
        int b0 = hb * iw + c0 * sw - j->pw;
        if (j->type == POOL_MAX) {
            for (int i = 0; i < n; i++) {
                at[i] = b0 + i * sw;
                acc[i] = x[at[i]];
            }
            for (int u = 0; u < j->kh; u++)
                for (int v = 0; v < j->kw; v++) {
                    int off = b0 + u * iw + v;
                    if (sw == 1) track_max(acc, at, x, off, n, 1);
                    else if (sw == 2) track_max(acc, at, x, off, n, 2);
                    else track_max(acc, at, x, off, n, sw);
                }
            for (int i = 0; i < n; i++) dx[at[i]] += dy[c0 + i];
            continue;
        }
        float d = (float)(j->kh * j->kw);
        for (int i = 0; i < n; i++) acc[i] = j->type == POOL_AVG ? dy[c0 + i] / d : dy[c0 + i];
        for (int u = 0; u < j->kh; u++)
            for (int v = 0; v < j->kw; v++) {
                float *r = dx + b0 + u * iw + v;
                if (sw == 1) spread(r, acc, n, 1);
                else if (sw == 2) spread(r, acc, n, 2);
                else spread(r, acc, n, sw);
            }
    }
}

/* Backward of one output of the generic path. */
static void backward_one(const pool_job *j, const float *x, float g, float *dx, int hb, int he,
                         int ext_h, int ow)
{
    int wb, we, ext_w = window(ow, j->kw, j->sw, j->pw, j->iw, &wb, &we);
    if (he <= hb || we <= wb) return; /* nothing of the input in it */
    if (j->type == POOL_MAX) {
        dx[mx_pool_first_argmax(x, j->iw, hb, he, wb, we)] += g;
        return;
    }
    if (j->type == POOL_AVG) {
        int d = avg_divisor(j, ext_h, ext_w, (he - hb) * (we - wb));
        g = d ? g / (float)d : 0.0f;
    }
    for (int h = hb; h < he; h++)
        for (int w = wb; w < we; w++) dx[h * j->iw + w] += g;
}

/* One plane backward: dx (already zeroed for a write) += routed dy. */
static void pool_plane_backward(const pool_job *j, const float *x, const float *dy, float *dx)
{
    int o0, o1;
    interior_cols(j, &o0, &o1);
    for (int oh = 0; oh < j->oh; oh++) {
        int hb, he, ext_h = window(oh, j->kh, j->sh, j->ph, j->ih, &hb, &he);
        int inside = he - hb == j->kh;
        const float *row = dy + (size_t)oh * (size_t)j->ow;
        for (int ow = 0; ow < j->ow; ow++) {
            if (inside && ow == o0 && o1 > o0) {
                backward_interior(j, x, row, dx, hb, o0, o1);
                ow = o1 - 1;
                continue;
            }
            backward_one(j, x, row[ow], dx, hb, he, ext_h, ow);
        }
    }
}

/* 1 if the job is 2×2 windows at stride 2 without padding tiling even
 * planes exactly: pool2x2.c's fast path, whose planes [lo, hi) are one
 * run of (hi − lo)·oh row pairs. */
static int is_2x2(const pool_job *j)
{
    return j->kh == 2 && j->kw == 2 && j->sh == 2 && j->sw == 2 && j->ph == 0 && j->pw == 0 &&
           j->ih == 2 * j->oh && j->iw == 2 * j->ow && j->ow > 0;
}

/* Forward over planes [lo, hi). */
static void pool_forward_range(void *p, size_t lo, size_t hi)
{
    const pool_job *j = p;
    size_t in = (size_t)j->ih * (size_t)j->iw, out = (size_t)j->oh * (size_t)j->ow;
    if (is_2x2(j)) {
        mx_cpu_pool2x2_forward(j->type, j->x + lo * in, j->y + lo * out, (hi - lo) * (size_t)j->oh, j->ow,
                               j->req);
        return;
    }
    for (size_t c = lo; c < hi; c++) pool_plane_forward(j, j->x + c * in, j->y + c * out);
}

/* Backward over planes [lo, hi); a write clears each plane of dx first
 * (the fast path writes every cell itself). */
static void pool_backward_range(void *p, size_t lo, size_t hi)
{
    const pool_job *j = p;
    size_t in = (size_t)j->ih * (size_t)j->iw, out = (size_t)j->oh * (size_t)j->ow;
    if (is_2x2(j)) {
        mx_cpu_pool2x2_backward(j->type, j->x + lo * in, j->dy + lo * out, j->dx + lo * in,
                                (hi - lo) * (size_t)j->oh, j->ow, j->req);
        return;
    }
    for (size_t c = lo; c < hi; c++) {
        float *dx = j->dx + c * in;
        if (j->req == MX_REQ_WRITE) memset(dx, 0, in * sizeof(float));
        pool_plane_backward(j, j->x + c * in, j->dy + c * out, dx);
    }
}

/* The job of one kernel call, without its arrays. */
static pool_job make_job(int type, const int in[2], const int out[2], const int k[2],
                         const int s[2], const int p[2], int include_pad, mx_req req)
{
    pool_job j = {type, include_pad, in[0], in[1], out[0], out[1], k[0], k[1], s[0], s[1],
                  p[0], p[1], NULL, NULL, NULL, NULL, req};
    return j;
}

/* Planes below this many input elements in all run on one thread. */
static size_t min_planes(const int in[2])
{
    size_t plane = (size_t)in[0] * (size_t)in[1];
    return plane ? MX_CPU_PAR_MIN / plane + 1 : 1;
}

void mx_cpu_pool_forward(mx_engine *eng, int type, size_t planes, const int in[2], const int out[2],
                         const int k[2], const int s[2], const int p[2], int include_pad,
                         const float *x, float *y, mx_req req)
{
    if (req == MX_REQ_NULL) return;
    pool_job j = make_job(type, in, out, k, s, p, include_pad, req);
    j.x = x;
    j.y = y;
    mx_cpu_parallel(eng, planes, min_planes(in), pool_forward_range, &j);
}

void mx_cpu_pool_backward(mx_engine *eng, int type, size_t planes, const int in[2], const int out[2],
                          const int k[2], const int s[2], const int p[2], int include_pad,
                          const float *x, const float *dy, float *dx, mx_req req)
{
    if (req == MX_REQ_NULL) return;
    pool_job j = make_job(type, in, out, k, s, p, include_pad, req);
    j.x = x;
    j.dy = dy;
    j.dx = dx;
    mx_cpu_parallel(eng, planes, min_planes(in), pool_backward_range, &j);
}

/* ---- Concat: rows of side-by-side blocks ---- */

typedef struct cat_job {
    int n;
    const float *const *src;
    const float *whole;
    float *const *parts;
    float *dst;
    const size_t *width;
    const mx_req *req;
    size_t total;
} cat_job;

/* Gathers rows [lo, hi) of dst from the sources. */
static void concat_range(void *p, size_t lo, size_t hi)
{
    const cat_job *j = p;
    for (size_t r = lo; r < hi; r++) {
        float *d = j->dst + r * j->total;
        for (int i = 0; i < j->n; i++) {
            memcpy(d, j->src[i] + r * j->width[i], j->width[i] * sizeof(float));
            d += j->width[i];
        }
    }
}

/* Part i of each row, in order: when one array feeds two inputs their
 * gradients alias, and write-then-add within the row stays correct. */
static void split_range(void *p, size_t lo, size_t hi)
{
    const cat_job *j = p;
    for (size_t r = lo; r < hi; r++) {
        const float *s = j->whole + r * j->total;
        for (int i = 0; i < j->n; i++) {
            size_t w = j->width[i];
            float *d = j->parts[i] ? j->parts[i] + r * w : NULL;
            if (d && j->req[i] == MX_REQ_WRITE) memcpy(d, s, w * sizeof(float));
            else if (d && j->req[i] == MX_REQ_ADD)
                for (size_t c = 0; c < w; c++) d[c] += s[c];
            s += w;
        }
    }
}

/* Width of a whole row. */
static size_t sum_widths(int n, const size_t *width)
{
    size_t t = 0;
    for (int i = 0; i < n; i++) t += width[i];
    return t;
}

void mx_cpu_concat(mx_engine *eng, int n, const float *const *src, const size_t *width, float *dst,
                   size_t rows)
{
    cat_job j = {n, src, NULL, NULL, dst, width, NULL, sum_widths(n, width)};
    mx_cpu_parallel(eng, rows, j.total ? MX_CPU_PAR_MIN / j.total + 1 : 1, concat_range, &j);
}

void mx_cpu_split(mx_engine *eng, int n, const float *src, float *const *dst, const size_t *width,
                  const mx_req *req, size_t rows)
{
    cat_job j = {n, NULL, src, dst, NULL, width, req, sum_widths(n, width)};
    mx_cpu_parallel(eng, rows, j.total ? MX_CPU_PAR_MIN / j.total + 1 : 1, split_range, &j);
}
