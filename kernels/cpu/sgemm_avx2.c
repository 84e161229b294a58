/* sgemm_avx2.c — AVX2 + FMA micro-kernel of the SGEMM (sgemm_kernels.h
 * describes the contract). Sixteen ymm registers bound the tile: 6×16 of C
 * (12 accumulators, 2 B vectors, 1 broadcast). Column edges use maskload /
 * maskstore (which never fault on masked-off lanes). No dot kernel: with
 * sixteen registers its tile is too small to beat packing B (measured). */
#if defined(__x86_64__)
#include <immintrin.h>
#include <stddef.h>

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

/* Runs a strip with the instance for its vector count, A layout, edge. */
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

const mx_sgemm_kernel mx_sgemm_kernel_avx2 = {"avx2", MR, 8 * NV, 8, 0, 0, strip_avx2, NULL};

#else
typedef int mx_sgemm_avx2_unused; /* ISO C wants a non-empty file */
#endif
