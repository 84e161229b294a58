/* pool2x2.c — the 2×2 stride-2 unpadded pooling of pooling.c's fast path
 * (see pool2x2.h). Why a separate path: LeNet's planes are 24×24 and 8×8,
 * so the general path's rows hold 12 and 4 outputs, and its per-row setup
 * (window clipping, 256-output chunks, copies) cost more than the pooling;
 * pooling was ~17% of a LeNet epoch. Here a row pair is handled in a few
 * vector operations: on AVX-512, 16 outputs per step from masked loads of
 * both rows, split into even and odd columns by one permute each; other
 * CPUs take a plain loop over the same sequence of row pairs.
 *
 * Bit-for-bit agreement with the general path, window by window:
 *  - max: v = a0, then each of a1, b0, b1 replaces v when strictly
 *    greater (vmaxps(t, v) is exactly t > v ? t : v, NaN and ±0 included),
 *    so the first maximum in row-major order wins and a NaN in the first
 *    cell sticks while later NaNs are skipped;
 *  - the backward max routes dy to the cell of the last replacement (the
 *    general path's strict-> index tracking);
 *  - avg/sum: ((((0 + a0) + a1) + b0) + b1), then ÷ 4 for avg; backward
 *    adds dy (÷ 4 for avg) to each cell;
 *  - a write sets each cell to 0 + contribution, or 0 where nothing is
 *    routed: what the general path's clear-then-add leaves. */
#include "pool2x2.h"

#include "cpu_simd.h"

enum { POOL_MAX = 0, POOL_AVG = 1 };

/* ---- plain C ---- */

/* Position (0..3 in a0, a1, b0, b1 order) of the general path's maximum. */
static inline int first_max4(float a0, float a1, float b0, float b1)
{
    int at = 0;
    float v = a0;
    if (a1 > v) { v = a1; at = 1; }
    if (b0 > v) { v = b0; at = 2; }
    if (b1 > v) at = 3;
    return at;
}

MX_SIMD_CLONES void mx_cpu_pool2x2_forward_plain(int type, const float *x, float *y, size_t pairs, int ow,
                                                  mx_req req)
{
    size_t iw = 2 * (size_t)ow;
    for (size_t q = 0; q < pairs; q++) {
        const float *a = x + 2 * q * iw, *b = a + iw;
        float *o = y + q * (size_t)ow;
        for (int c = 0; c < ow; c++) {
            float a0 = a[2 * c], a1 = a[2 * c + 1], b0 = b[2 * c], b1 = b[2 * c + 1], v;
            if (type == POOL_MAX) {
                v = a0;
                v = a1 > v ? a1 : v;
                v = b0 > v ? b0 : v;
                v = b1 > v ? b1 : v;
            } else {
                v = (((0.0f + a0) + a1) + b0) + b1;
                if (type == POOL_AVG) v = v / 4.0f;
            }
            o[c] = req == MX_REQ_ADD ? o[c] + v : v;
        }
    }
}

/* One cell: *d (req) gets g when chosen, else keeps its value (add) or 0. */
static inline void put_cell(float *d, int chosen, float g, mx_req req)
{
    if (req == MX_REQ_ADD) *d = chosen ? *d + g : *d;
    else *d = chosen ? 0.0f + g : 0.0f;
}

void mx_cpu_pool2x2_backward_plain(int type, const float *x, const float *dy, float *dx, size_t pairs,
                                   int ow, mx_req req)
{
    size_t iw = 2 * (size_t)ow;
    for (size_t q = 0; q < pairs; q++) {
        const float *a = x + 2 * q * iw, *b = a + iw, *g = dy + q * (size_t)ow;
        float *da = dx + 2 * q * iw, *db = da + iw;
        for (int c = 0; c < ow; c++) {
            int at = -1; /* every cell chosen (avg, sum) */
            float gc = g[c];
            if (type == POOL_MAX) at = first_max4(a[2 * c], a[2 * c + 1], b[2 * c], b[2 * c + 1]);
            else if (type == POOL_AVG) gc = gc / 4.0f;
            put_cell(da + 2 * c, at < 0 || at == 0, gc, req);
            put_cell(da + 2 * c + 1, at < 0 || at == 1, gc, req);
            put_cell(db + 2 * c, at < 0 || at == 2, gc, req);
            put_cell(db + 2 * c + 1, at < 0 || at == 3, gc, req);
        }
    }
}

/* ---- AVX-512 ---- */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_POOL512 1
#define T512 __attribute__((target("avx512f")))

/* The low k of 16 lanes (k in [0, 16]). */
static inline __mmask16 lanes(int k) { return (__mmask16)((1u << k) - 1u); }

/* Columns [2c, 2c + 2n) of a row as its even and odd columns (n <= 16
 * outputs; lanes past n are 0 and their loads are masked off). */
T512 static inline void split_row(const float *r, int n, __m512 *even, __m512 *odd)
{
    const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i od = _mm512_add_epi32(ev, _mm512_set1_epi32(1));
    __m512 lo = _mm512_maskz_loadu_ps(lanes(2 * n < 16 ? 2 * n : 16), r);
    __m512 hi = n > 8 ? _mm512_maskz_loadu_ps(lanes(2 * n - 16), r + 16) : _mm512_setzero_ps();
    *even = _mm512_permutex2var_ps(lo, ev, hi);
    *odd = _mm512_permutex2var_ps(lo, od, hi);
}

T512 static void forward_512(int type, const float *x, float *y, size_t pairs, int ow, mx_req req)
{
    size_t iw = 2 * (size_t)ow;
    const __m512 zero = _mm512_setzero_ps(), four = _mm512_set1_ps(4.0f);
    for (size_t q = 0; q < pairs; q++) {
        const float *a = x + 2 * q * iw, *b = a + iw;
        float *o = y + q * (size_t)ow;
        for (int c = 0; c < ow; c += 16) {
            int n = ow - c < 16 ? ow - c : 16;
            __m512 a0, a1, b0, b1, v;
            split_row(a + 2 * c, n, &a0, &a1);
            split_row(b + 2 * c, n, &b0, &b1);
            if (type == POOL_MAX) {
                v = _mm512_max_ps(a1, a0); /* a1 > a0 ? a1 : a0 */
                v = _mm512_max_ps(b0, v);
                v = _mm512_max_ps(b1, v);
            } else {
                v = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(zero, a0), a1), b0), b1);
                if (type == POOL_AVG) v = _mm512_div_ps(v, four);
            }
            if (req == MX_REQ_ADD) v = _mm512_add_ps(_mm512_maskz_loadu_ps(lanes(n), o + c), v);
            _mm512_mask_storeu_ps(o + c, lanes(n), v);
        }
    }
}

/* 16 cells of a dx row: those in sel get g (see put_cell), the rest of
 * the k lanes keep their value (add) or become 0 (write). */
T512 static inline void put_cells(float *d, int k, __mmask16 sel, __m512 g, mx_req req)
{
    __mmask16 m = lanes(k);
    __m512 v;
    if (req == MX_REQ_ADD) {
        __m512 old = _mm512_maskz_loadu_ps(m, d);
        v = _mm512_mask_add_ps(old, sel, old, g);
    } else {
        v = _mm512_maskz_mov_ps(sel, _mm512_add_ps(_mm512_setzero_ps(), g));
    }
    _mm512_mask_storeu_ps(d, m, v);
}

T512 static void backward_512(int type, const float *x, const float *dy, float *dx, size_t pairs, int ow,
                              mx_req req)
{
    size_t iw = 2 * (size_t)ow;
    /* output lane i feeds cells 2i and 2i + 1 */
    const __m512i dup_lo = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    const __m512i dup_hi = _mm512_add_epi32(dup_lo, _mm512_set1_epi32(8));
    /* window position of each cell of an a row (0, 1) and a b row (2, 3) */
    const __m512i pos_a = _mm512_set_epi32(1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0);
    const __m512i pos_b = _mm512_add_epi32(pos_a, _mm512_set1_epi32(2));
    const __m512 four = _mm512_set1_ps(4.0f);
    for (size_t q = 0; q < pairs; q++) {
        const float *a = x + 2 * q * iw, *b = a + iw, *gq = dy + q * (size_t)ow;
        float *da = dx + 2 * q * iw, *db = da + iw;
        for (int c = 0; c < ow; c += 16) {
            int n = ow - c < 16 ? ow - c : 16, k0 = 2 * n < 16 ? 2 * n : 16, k1 = 2 * n - k0;
            __m512 g = _mm512_maskz_loadu_ps(lanes(n), gq + c);
            __mmask16 sa0 = 0xffff, sa1 = 0xffff, sb0 = 0xffff, sb1 = 0xffff;
            if (type == POOL_MAX) {
                __m512 a0, a1, b0, b1;
                split_row(a + 2 * c, n, &a0, &a1);
                split_row(b + 2 * c, n, &b0, &b1);
                /* at = position of the last strict improvement, as the
                 * general path tracks it */
                __m512i at = _mm512_setzero_si512();
                __m512 v = a0;
                __mmask16 up = _mm512_cmp_ps_mask(a1, v, _CMP_GT_OQ);
                v = _mm512_mask_mov_ps(v, up, a1);
                at = _mm512_mask_mov_epi32(at, up, _mm512_set1_epi32(1));
                up = _mm512_cmp_ps_mask(b0, v, _CMP_GT_OQ);
                v = _mm512_mask_mov_ps(v, up, b0);
                at = _mm512_mask_mov_epi32(at, up, _mm512_set1_epi32(2));
                up = _mm512_cmp_ps_mask(b1, v, _CMP_GT_OQ);
                at = _mm512_mask_mov_epi32(at, up, _mm512_set1_epi32(3));
                __m512i at_lo = _mm512_permutexvar_epi32(dup_lo, at), at_hi = _mm512_permutexvar_epi32(dup_hi, at);
                sa0 = _mm512_cmpeq_epi32_mask(at_lo, pos_a);
                sa1 = _mm512_cmpeq_epi32_mask(at_hi, pos_a);
                sb0 = _mm512_cmpeq_epi32_mask(at_lo, pos_b);
                sb1 = _mm512_cmpeq_epi32_mask(at_hi, pos_b);
            } else if (type == POOL_AVG) {
                g = _mm512_div_ps(g, four);
            }
            __m512 g_lo = _mm512_permutexvar_ps(dup_lo, g), g_hi = _mm512_permutexvar_ps(dup_hi, g);
            put_cells(da + 2 * c, k0, sa0, g_lo, req);
            put_cells(db + 2 * c, k0, sb0, g_lo, req);
            if (k1) { /* more than 8 outputs: cells past the first 16 */
                put_cells(da + 2 * c + 16, k1, sa1, g_hi, req);
                put_cells(db + 2 * c + 16, k1, sb1, g_hi, req);
            }
        }
    }
}

/* AVX-512 present (cheap: reads the cpu model libgcc filled at start). */
static int use_512(void) { return __builtin_cpu_supports("avx512f"); }
#endif

void mx_cpu_pool2x2_forward(int type, const float *x, float *y, size_t pairs, int ow, mx_req req)
{
#ifdef HAVE_POOL512
    if (use_512()) {
        forward_512(type, x, y, pairs, ow, req);
        return;
    }
#endif
    mx_cpu_pool2x2_forward_plain(type, x, y, pairs, ow, req);
}

void mx_cpu_pool2x2_backward(int type, const float *x, const float *dy, float *dx, size_t pairs, int ow,
                             mx_req req)
{
#ifdef HAVE_POOL512
    if (use_512()) {
        backward_512(type, x, dy, dx, pairs, ow, req);
        return;
    }
#endif
    mx_cpu_pool2x2_backward_plain(type, x, dy, dx, pairs, ow, req);
}
