/* sgemm_avx2.c — AVX2 + FMA micro-kernel of the SGEMM (sgemm_kernels.h
 * describes the contract). Sixteen ymm registers bound the tile: 6×16 of C
 * (12 accumulators, 2 B vectors, 1 broadcast). Column edges use maskload /
 * maskstore (which never fault on masked-off lanes). No dot kernel: with
 * sixteen registers its tile is too small to beat packing B (measured). A
 * transposed B is packed by 8×8 transposes. */
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
    /* A long product (a packed block): C's rows are read and written after
     * the whole depth loop, too late for the out-of-order window to overlap
     * their cache misses (the packed nest comes back to a tile once per
     * depth block, long after it left L1), so fetch them now: 2048³ went
     * from 75 to 97-101 GFLOP/s on one thread (OpenBLAS's Haswell kernel
     * 103-104). Short products find C in cache. Both ends of each row: 16
     * floats span two lines unless C is 64-byte aligned. */
    if (k >= 128)
#pragma GCC unroll 8
        for (int i = 0; i < ROWS; i++) {
            _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
            _mm_prefetch((const char *)(c + i * ldc + 8 * VECS - 1), _MM_HINT_T0);
        }
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
    /* The instances return with the upper halves of the ymm registers
     * dirty (GCC takes them for AVX-only callees: the mask arrives in a
     * ymm register, so the calls above are tail calls without the
     * vzeroupper a return to plain SSE code needs). On Intel cores every
     * SSE instruction after that pays for the dirty state: the MLP's
     * softmax forward, SSE code right after fc3's GEMM, took 0.127 ms a
     * call instead of 0.005 (a fifth of the epoch). */
    _mm256_zeroupper();
}

/* The 8×8 block at b (rows ldb apart) to d transposed (rows nr apart):
 * pairs of floats, 4×4 blocks within each 128-bit half, then the halves. */
TAVX2 static void pack_block(const float *b, long ldb, float *d, long nr)
{
    __m256 r[8], t[8], u[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(b + i * ldb);
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 2
    for (int g = 0; g < 2; g++) { /* half h of u[4g + q]: rows 4g..4g+3, column 4h + q */
        __m256 lo0 = t[4 * g], hi0 = t[4 * g + 1], lo1 = t[4 * g + 2], hi1 = t[4 * g + 3];
        u[4 * g] = _mm256_shuffle_ps(lo0, lo1, _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * g + 1] = _mm256_shuffle_ps(lo0, lo1, _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * g + 2] = _mm256_shuffle_ps(hi0, hi1, _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * g + 3] = _mm256_shuffle_ps(hi0, hi1, _MM_SHUFFLE(3, 2, 3, 2));
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
        _mm256_storeu_ps(d + q * nr, _mm256_permute2f128_ps(u[q], u[4 + q], 0x20));
        _mm256_storeu_ps(d + (4 + q) * nr, _mm256_permute2f128_ps(u[q], u[4 + q], 0x31));
    }
}

/* mx_sgemm_pack_bt in 8×8 blocks (the portable 4×4 blocks took 1.3× as
 * long), each 8 columns of B down the whole depth (the kc×16 panel stays
 * in L1); the edges (under 8 columns or 8 deep left) and the padding go
 * element by element. */
TAVX2 static void pack_bt_avx2(const float *b, long ldb, long kc, long cols, long nr, float *dst)
{
    const long c8 = cols & ~7L, k8 = kc & ~7L;
    for (long j0 = 0; j0 < c8; j0 += 8)
        for (long p0 = 0; p0 < k8; p0 += 8)
            pack_block(b + j0 * ldb + p0, ldb, dst + p0 * nr + j0, nr);
    for (long p = 0; p < kc; p++)
        for (long j = p < k8 ? c8 : 0; j < nr; j++)
            dst[p * nr + j] = j < cols ? b[j * ldb + p] : 0.0f;
}

const mx_sgemm_kernel mx_sgemm_kernel_avx2 = {"avx2", MR, 8 * NV, 8, 0, 0, strip_avx2, NULL,
                                              pack_bt_avx2};

#else
typedef int mx_sgemm_avx2_unused; /* ISO C wants a non-empty file */
#endif
