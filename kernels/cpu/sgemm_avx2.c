/* sgemm_avx2.c — AVX2 + FMA micro-kernels of the SGEMM (sgemm_kernels.h
 * describes the contracts). Sixteen ymm registers bound the tiles: the
 * strip kernel holds 6×16 of C (12 accumulators, 2 B vectors, 1 broadcast),
 * the dot kernel 2×4 partial dot products. Column edges use maskload /
 * maskstore (which never fault on masked-off lanes). */
#if defined(__x86_64__)
#include <immintrin.h>

#include "sgemm_kernels.h"

#define TAVX2 __attribute__((target("avx2,fma")))
#define INL static inline __attribute__((always_inline))

#define MR 6
#define NV 2

/* Lane mask with the first n (0..8) lanes on. */
TAVX2 INL __m256i lanes(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* One tile of ROWS (≤ MR) rows × VECS vectors; FULL: no column edge, else
 * the last vector is masked. AROW: A read as a[i·rs_a + p], else a[i + p·cs_a]. */
TAVX2 INL void tile(const int ROWS, const int VECS, const int AROW, const int FULL, long k,
                    const float *a, long rs_a, long cs_a, const float *b, long ldb, float *c,
                    long ldc, float alpha, float beta, __m256i mask)
{
    __m256 acc[MR][NV];
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; i++)
#pragma GCC unroll 2
        for (int j = 0; j < VECS; j++) acc[i][j] = _mm256_setzero_ps();
    for (long p = 0; p < k; p++) {
        const float *bp = b + p * ldb;
        const float *ap = AROW ? a + p : a + p * cs_a;
        __m256 bv[NV];
#pragma GCC unroll 2
        for (int j = 0; j < VECS; j++)
            bv[j] = !FULL && j == VECS - 1 ? _mm256_maskload_ps(bp + 8 * j, mask)
                                           : _mm256_loadu_ps(bp + 8 * j);
#pragma GCC unroll 8
        for (int i = 0; i < ROWS; i++) {
            __m256 av = _mm256_broadcast_ss(AROW ? ap + i * rs_a : ap + i);
#pragma GCC unroll 2
            for (int j = 0; j < VECS; j++) acc[i][j] = _mm256_fmadd_ps(av, bv[j], acc[i][j]);
        }
    }
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; i++) {
        float *cp = c + i * ldc;
#pragma GCC unroll 2
        for (int j = 0; j < VECS; j++) {
            int edge = !FULL && j == VECS - 1;
            __m256 r = _mm256_mul_ps(va, acc[i][j]);
            if (beta != 0.0f)
                r = _mm256_fmadd_ps(vb, edge ? _mm256_maskload_ps(cp + 8 * j, mask)
                                             : _mm256_loadu_ps(cp + 8 * j), r);
            if (edge) _mm256_maskstore_ps(cp + 8 * j, mask, r);
            else _mm256_storeu_ps(cp + 8 * j, r);
        }
    }
}

#define TILE_ARGS k, a, s->rs_a, s->cs_a, s->b, s->ldb, c, s->ldc, s->alpha, s->beta, mask

/* Every row tile of one strip, for a vector count, A layout and edge kind. */
TAVX2 INL void strip_body(const int VECS, const int AROW, const int FULL, const mx_sgemm_strip *s,
                          __m256i mask)
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
    case 1: tile(1, VECS, AROW, FULL, TILE_ARGS); break;
    case 2: tile(2, VECS, AROW, FULL, TILE_ARGS); break;
    case 3: tile(3, VECS, AROW, FULL, TILE_ARGS); break;
    case 4: tile(4, VECS, AROW, FULL, TILE_ARGS); break;
    default: tile(5, VECS, AROW, FULL, TILE_ARGS); break;
    }
}

#define STRIP_FN(V, AR, F)                                                          \
    TAVX2 static void strip_##V##_##AR##_##F(const mx_sgemm_strip *s, __m256i mask) \
    {                                                                               \
        strip_body(V, AR, F, s, mask);                                              \
    }
STRIP_FN(1, 0, 0) STRIP_FN(1, 1, 0) STRIP_FN(1, 0, 1) STRIP_FN(1, 1, 1)
STRIP_FN(2, 0, 0) STRIP_FN(2, 1, 0) STRIP_FN(2, 0, 1) STRIP_FN(2, 1, 1)

TAVX2 static void strip_avx2(const mx_sgemm_strip *s)
{
    int vecs = (int)((s->nr + 7) / 8), rem = (int)(s->nr % 8);
    int arow = s->rs_a != 1;
    __m256i mask = lanes(rem);
    switch (vecs * 4 + arow * 2 + (rem == 0)) {
    case 4: strip_1_0_0(s, mask); break;
    case 5: strip_1_0_1(s, mask); break;
    case 6: strip_1_1_0(s, mask); break;
    case 7: strip_1_1_1(s, mask); break;
    case 8: strip_2_0_0(s, mask); break;
    case 9: strip_2_0_1(s, mask); break;
    case 10: strip_2_1_0(s, mask); break;
    default: strip_2_1_1(s, mask); break;
    }
}

/* Sums the halves of x and y: chunk 0 ← 4 partial lanes of x, chunk 1 ← of y. */
TAVX2 INL __m256 fold_halves(__m256 x, __m256 y)
{
    return _mm256_add_ps(_mm256_permute2f128_ps(x, y, 0x20), _mm256_permute2f128_ps(x, y, 0x31));
}

/* 2×4 dot tile over the full depth; rows/cols past the edge were pointed at
 * valid rows by the caller and are left out of the store. */
TAVX2 static void dot_tile(long k, const float *const ar[2], const float *const br[4], float *c,
                           long ldc, float alpha, float beta, int rows, int cols)
{
    __m256 acc[2][4];
#pragma GCC unroll 2
    for (int r = 0; r < 2; r++)
#pragma GCC unroll 4
        for (int s = 0; s < 4; s++) acc[r][s] = _mm256_setzero_ps();
    long p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 bv[4];
#pragma GCC unroll 4
        for (int s = 0; s < 4; s++) bv[s] = _mm256_loadu_ps(br[s] + p);
#pragma GCC unroll 2
        for (int r = 0; r < 2; r++) {
            __m256 av = _mm256_loadu_ps(ar[r] + p);
#pragma GCC unroll 4
            for (int s = 0; s < 4; s++) acc[r][s] = _mm256_fmadd_ps(av, bv[s], acc[r][s]);
        }
    }
    if (p < k) {
        __m256i m = lanes((int)(k - p));
        __m256 bv[4];
#pragma GCC unroll 4
        for (int s = 0; s < 4; s++) bv[s] = _mm256_maskload_ps(br[s] + p, m);
#pragma GCC unroll 2
        for (int r = 0; r < 2; r++) {
            __m256 av = _mm256_maskload_ps(ar[r] + p, m);
#pragma GCC unroll 4
            for (int s = 0; s < 4; s++) acc[r][s] = _mm256_fmadd_ps(av, bv[s], acc[r][s]);
        }
    }
    /* Transpose-add tree: u[s] chunk r = 4 partial lanes of acc[r][s]; then
     * lane s of chunk r of f = the full sum of acc[r][s]. */
    __m256 u[4];
#pragma GCC unroll 4
    for (int s = 0; s < 4; s++) u[s] = fold_halves(acc[0][s], acc[1][s]);
    __m256 p01 = _mm256_add_ps(_mm256_unpacklo_ps(u[0], u[1]), _mm256_unpackhi_ps(u[0], u[1]));
    __m256 p23 = _mm256_add_ps(_mm256_unpacklo_ps(u[2], u[3]), _mm256_unpackhi_ps(u[2], u[3]));
    __m256 f = _mm256_add_ps(_mm256_shuffle_ps(p01, p23, _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm256_shuffle_ps(p01, p23, _MM_SHUFFLE(3, 2, 3, 2)));
    f = _mm256_mul_ps(_mm256_set1_ps(alpha), f);
    __m128i cm = _mm_cmpgt_epi32(_mm_set1_epi32(cols), _mm_setr_epi32(0, 1, 2, 3));
    __m128 vb = _mm_set1_ps(beta);
#pragma GCC unroll 2
    for (int r = 0; r < 2; r++) {
        if (r >= rows) break;
        __m128 x = r == 0 ? _mm256_castps256_ps128(f) : _mm256_extractf128_ps(f, 1);
        float *cp = c + r * ldc;
        if (beta != 0.0f) x = _mm_fmadd_ps(vb, _mm_maskload_ps(cp, cm), x);
        _mm_maskstore_ps(cp, cm, x);
    }
}

TAVX2 static void dot_avx2(const mx_sgemm_dot *d)
{
    for (long j = 0; j < d->n; j += 4) {
        const float *br[4];
        int cols = d->n - j < 4 ? (int)(d->n - j) : 4;
        for (int s = 0; s < 4; s++) br[s] = d->b + (j + (s < cols ? s : 0)) * d->ldb;
        for (long i = 0; i < d->m; i += 2) {
            const float *ar[2];
            int rows = d->m - i < 2 ? (int)(d->m - i) : 2;
            for (int r = 0; r < 2; r++) ar[r] = d->a + (i + (r < rows ? r : 0)) * d->lda;
            dot_tile(d->k, ar, br, d->c + i * d->ldc + j, d->ldc, d->alpha, d->beta, rows, cols);
        }
    }
}

const mx_sgemm_kernel mx_sgemm_kernel_avx2 = {"avx2", MR, 8 * NV, 8, 2, 4, strip_avx2, dot_avx2};

#endif
