/* sgemm_avx512.c — AVX-512 micro-kernels of the SGEMM (sgemm_kernels.h
 * describes the contracts). The strip kernel keeps a 6×64 tile of C in
 * zmm registers; the column edge is masked, the row edge is a kernel
 * instance compiled for that row count. The dot kernel keeps a 4×4 tile of
 * 16-lane partial dot products and reduces them with one transpose-add tree. */
#if defined(__x86_64__)
#include <immintrin.h>

#include "sgemm_kernels.h"

#define T512 __attribute__((target("avx512f,avx512vl,fma")))
#define INL static inline __attribute__((always_inline))

/* 6×64 tile: 24 accumulators + 4 B vectors + 1 broadcast of 32 zmm. Measured
 * on Zen 4 against 8×32, 10×32, 12×32, 14×32, 4×64, 8×48 and 6×48: the best
 * or tied on every MLP shape (m = 100 or 128, n = 64/128/784). */
#define MR 6
#define NV 4

/* One tile of ROWS (≤ MR) rows × VECS vectors; FULL: no column edge, else
 * the last vector is masked (a masked load costs more than a plain one).
 * AROW: A is read as a[i·rs_a + p] (a plain row-major A), else a[i + p·cs_a]. */
T512 INL void tile(const int ROWS, const int VECS, const int AROW, const int FULL, long k, const float *a, long rs_a,
                   long cs_a, const float *b, long ldb, float *c, long ldc, float alpha, float beta,
                   __mmask16 mask)
{
    __m512 acc[16][4];
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; i++)
#pragma GCC unroll 4
        for (int j = 0; j < VECS; j++) acc[i][j] = _mm512_setzero_ps();
    /* A long product (a packed block): fetch C while it runs; short ones
     * find C in cache and would only pay for the prefetches. */
    if (k >= 128)
#pragma GCC unroll 16
        for (int i = 0; i < ROWS; i++)
#pragma GCC unroll 4
            for (int j = 0; j < VECS; j++) _mm_prefetch((const char *)(c + i * ldc + 16 * j), _MM_HINT_T0);
    for (long p = 0; p < k; p++) {
        const float *bp = b + p * ldb;
        const float *ap = AROW ? a + p : a + p * cs_a;
        __m512 bv[4];
#pragma GCC unroll 4
        for (int j = 0; j < VECS; j++)
            bv[j] = !FULL && j == VECS - 1 ? _mm512_maskz_loadu_ps(mask, bp + 16 * j)
                                  : _mm512_loadu_ps(bp + 16 * j);
#pragma GCC unroll 16
        for (int i = 0; i < ROWS; i++) {
            __m512 av = _mm512_set1_ps(AROW ? ap[i * rs_a] : ap[i]);
#pragma GCC unroll 4
            for (int j = 0; j < VECS; j++) acc[i][j] = _mm512_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
    /* C = alpha·acc + beta·C, skipping the multiplies by one (exact anyway). */
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    const int scale = alpha != 1.0f, load = beta != 0.0f, scale_c = beta != 1.0f;
#pragma GCC unroll 16
    for (int i = 0; i < ROWS; i++) {
        float *cp = c + i * ldc;
#pragma GCC unroll 4
        for (int j = 0; j < VECS; j++) {
            __mmask16 mj = j == VECS - 1 ? mask : 0xFFFF;
            __m512 r = acc[i][j];
            if (load) {
                __m512 old = _mm512_maskz_loadu_ps(mj, cp + 16 * j);
                r = _mm512_fmadd_ps(va, r, scale_c ? _mm512_mul_ps(vb, old) : old);
            } else if (scale) {
                r = _mm512_mul_ps(va, r);
            }
            _mm512_mask_storeu_ps(cp + 16 * j, mj, r);
        }
    }
}

#define TILE_ARGS k, a, s->rs_a, s->cs_a, s->b, s->ldb, c, s->ldc, s->alpha, s->beta, mask
#define EDGE(R)                                                          \
    case R:                                                              \
        if (R < MR) tile(R < MR ? R : 1, VECS, AROW, FULL, TILE_ARGS);   \
        break;

/* Every row tile of one strip, for a given vector count and A layout. */
T512 INL void strip_body(const int VECS, const int AROW, const int FULL, const mx_sgemm_strip *s,
                         __mmask16 mask)
{
    const long k = s->k;
    long i = 0;
    for (; i + MR <= s->m; i += MR) {
        const float *a = s->a + (i / MR) * s->ps_a;
        float *c = s->c + i * s->ldc;
        tile(MR, VECS, AROW, FULL, TILE_ARGS);
    }
    if (i == s->m) return;
    const float *a = s->a + (i / MR) * s->ps_a;
    float *c = s->c + i * s->ldc;
    switch (s->m - i) {
        EDGE(1) EDGE(2) EDGE(3) EDGE(4) EDGE(5) EDGE(6) EDGE(7) EDGE(8)
        EDGE(9) EDGE(10) EDGE(11) EDGE(12) EDGE(13) EDGE(14) EDGE(15)
    default: break;
    }
}

#define STRIP_FN(V, AR, F)                                                                 \
    T512 static void strip_##V##_##AR##_##F(const mx_sgemm_strip *s, __mmask16 mask) \
    {                                                                                  \
        strip_body(V, AR, F, s, mask);                                                 \
    }
#define STRIP_FNS(V) STRIP_FN(V, 0, 0) STRIP_FN(V, 0, 1) STRIP_FN(V, 1, 0) STRIP_FN(V, 1, 1)
STRIP_FNS(1)
#if NV >= 2
STRIP_FNS(2)
#endif
#if NV >= 3
STRIP_FNS(3)
#endif
#if NV >= 4
STRIP_FNS(4)
#endif

#define STRIP_CASES(V)                                   \
    case 4 * V: strip_##V##_0_0(s, mask); break;         \
    case 4 * V + 1: strip_##V##_0_1(s, mask); break;     \
    case 4 * V + 2: strip_##V##_1_0(s, mask); break;     \
    case 4 * V + 3: strip_##V##_1_1(s, mask); break;

T512 static void strip512(const mx_sgemm_strip *s)
{
    int vecs = (int)((s->nr + 15) / 16);
    int rem = (int)(s->nr % 16);
    __mmask16 mask = rem ? (__mmask16)((1u << rem) - 1) : (__mmask16)0xFFFF;
    int arow = s->rs_a != 1;
    switch (vecs * 4 + arow * 2 + (rem == 0)) {
        STRIP_CASES(1)
#if NV >= 2
        STRIP_CASES(2)
#endif
#if NV >= 3
        STRIP_CASES(3)
#endif
#if NV >= 4
        STRIP_CASES(4)
#endif
    default: break;
    }
}

/* First step of the reduction tree: chunks 0,1 ← x.lo + x.hi, 2,3 ← y.lo + y.hi. */
T512 INL __m512 fold_halves(__m512 x, __m512 y)
{
    return _mm512_add_ps(_mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_f32x4(x, y, _MM_SHUFFLE(3, 2, 3, 2)));
}

/* Lane q of the result = the sum of all 16 lanes of v[q] (a transpose-add tree). */
T512 INL __m512 reduce16(const __m512 v[16])
{
    __m512 u[4];
#pragma GCC unroll 4
    for (int s = 0; s < 4; s++) { /* chunk r of u[s]: 4 partial lanes of v[4r + s] */
        __m512 t01 = fold_halves(v[s], v[4 + s]), t23 = fold_halves(v[8 + s], v[12 + s]);
        u[s] = _mm512_add_ps(_mm512_shuffle_f32x4(t01, t23, _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(t01, t23, _MM_SHUFFLE(3, 1, 3, 1)));
    }
    __m512 p01 = _mm512_add_ps(_mm512_unpacklo_ps(u[0], u[1]), _mm512_unpackhi_ps(u[0], u[1]));
    __m512 p23 = _mm512_add_ps(_mm512_unpacklo_ps(u[2], u[3]), _mm512_unpackhi_ps(u[2], u[3]));
    return _mm512_add_ps(_mm512_shuffle_ps(p01, p23, _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(p01, p23, _MM_SHUFFLE(3, 2, 3, 2)));
}

/* R×S dot tile (R·S = 16 accumulators) over the full depth: rows and
 * columns past the edge read row 0 again and are left out of the store. */
T512 INL void dot_tile(const int R, const int S, long k, const float *a, long lda,
                       const float *b, long ldb, float *c, long ldc, float alpha, float beta,
                       int rows, int cols)
{
    const float *ar[16], *br[16];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) ar[r] = a + (r < rows ? r : 0) * lda;
#pragma GCC unroll 16
    for (int s = 0; s < S; s++) br[s] = b + (s < cols ? s : 0) * ldb;
    __m512 acc[16];
#pragma GCC unroll 16
    for (int q = 0; q < 16; q++) acc[q] = _mm512_setzero_ps();
    long p = 0;
    for (; p + 16 <= k; p += 16) {
        __m512 bv[16];
#pragma GCC unroll 16
        for (int s = 0; s < S; s++) bv[s] = _mm512_loadu_ps(br[s] + p);
#pragma GCC unroll 16
        for (int r = 0; r < R; r++) {
            __m512 av = _mm512_loadu_ps(ar[r] + p);
#pragma GCC unroll 16
            for (int s = 0; s < S; s++) acc[r * S + s] = _mm512_fmadd_ps(av, bv[s], acc[r * S + s]);
        }
    }
    if (p < k) { /* the depth tail: masked loads read zeros past k */
        __mmask16 m = (__mmask16)((1u << (k - p)) - 1);
        __m512 bv[16];
#pragma GCC unroll 16
        for (int s = 0; s < S; s++) bv[s] = _mm512_maskz_loadu_ps(m, br[s] + p);
#pragma GCC unroll 16
        for (int r = 0; r < R; r++) {
            __m512 av = _mm512_maskz_loadu_ps(m, ar[r] + p);
#pragma GCC unroll 16
            for (int s = 0; s < S; s++) acc[r * S + s] = _mm512_fmadd_ps(av, bv[s], acc[r * S + s]);
        }
    }
    __m512 f = reduce16(acc); /* lane r·S + s: C[r][s] */
    if (alpha != 1.0f) f = _mm512_mul_ps(_mm512_set1_ps(alpha), f);
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __mmask16 cm = (__mmask16)((1u << cols) - 1);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
        if (r >= rows) break;
        /* bring lanes r·S.. down to 0 */
        __m512i idx = _mm512_and_si512(_mm512_add_epi32(iota, _mm512_set1_epi32(r * S)),
                                       _mm512_set1_epi32(15));
        __m512 x = _mm512_permutexvar_ps(idx, f);
        float *cp = c + r * ldc;
        if (beta != 0.0f) {
            __m512 old = _mm512_maskz_loadu_ps(cm, cp);
            x = _mm512_fmadd_ps(beta == 1.0f ? _mm512_set1_ps(1.0f) : _mm512_set1_ps(beta), old, x);
        }
        _mm512_mask_storeu_ps(cp, cm, x);
    }
}

/* The block in R×S tiles. */
T512 INL void dot_body(const int R, const int S, const mx_sgemm_dot *d)
{
    for (long j = 0; j < d->n; j += S) {
        int cols = d->n - j < S ? (int)(d->n - j) : S;
        for (long i = 0; i < d->m; i += R) {
            int rows = d->m - i < R ? (int)(d->m - i) : R;
            dot_tile(R, S, d->k, d->a + i * d->lda, d->lda, d->b + j * d->ldb, d->ldb,
                     d->c + i * d->ldc + j, d->ldc, d->alpha, d->beta, rows, cols);
        }
    }
}

/* 4×4 tiles: eight loads feed sixteen FMAs. (8×2 needs ten, and GCC then
 * folds the A loads into the FMAs twice over: half the speed.) */
T512 static void dot512(const mx_sgemm_dot *d) { dot_body(4, 4, d); }

const mx_sgemm_kernel mx_sgemm_kernel_avx512 = {"avx512", MR, 16 * NV, 16, 4, 4, strip512, dot512};

#endif
