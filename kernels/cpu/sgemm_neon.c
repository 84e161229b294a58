/* sgemm_neon.c — NEON (AdvSIMD) micro-kernel of the SGEMM on aarch64
 * (sgemm_kernels.h describes the contract). AdvSIMD is part of every
 * ARMv8-A core, so no CPU check is needed. Thirty-two 128-bit registers
 * bound the tile: 8×12 of C (24 accumulators, 3 B vectors, A scalars
 * broadcast by the by-element FMA). NEON has no masked loads: a column
 * edge goes through a zero-padded 4-float copy of the last B and C
 * vectors (also from zero-padded panels, where a whole load would do: a
 * third set of instances cost 44 KB of code for one strip per panel
 * block, and embedded binaries count their bytes). No dot kernel
 * (C = A·Bᵀ takes the packed nest, as with AVX2). A transposed B is
 * packed by 4×4 register transposes.
 *
 * 32-bit armhf uses the portable kernel instead: Debian's armhf baseline
 * (ARMv7-A, VFPv3-D16) does not guarantee NEON, and ARMv7 NEON flushes
 * denormals to zero and has no fused multiply-add before VFPv4, so it
 * would need a CPU check and could not promise the generic kernel's
 * accuracy. */
#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#include "sgemm_kernels.h"

#define INL static inline __attribute__((always_inline))

#define MR 8
#define NV 3

/* Column edge kinds of a strip: none, or a last vector of rem columns
 * (nothing past nr is read or written). */
enum { EDGE_NONE, EDGE_LAST };

/* The first n (1..3) floats at p, zeros after them. */
INL float32x4_t load_part(const float *p, int n)
{
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(t, p, (size_t)n * sizeof *p);
    return vld1q_f32(t);
}

/* Stores the first n (1..3) lanes of v at p. */
INL void store_part(float *p, float32x4_t v, int n)
{
    float t[4];
    vst1q_f32(t, v);
    memcpy(p, t, (size_t)n * sizeof *p);
}

/* One tile of ROWS (≤ MR) rows × VECS vectors; with an edge, the last
 * vector holds rem (1..3) columns. AROW: A read as a[i·rs_a + p], else
 * a[i + p·cs_a]. Every entry gets the same operations in any tile: an FMA
 * chain over p in order, ×alpha, then +beta·C by one FMA. */
INL void tile(const int ROWS, const int VECS, const int AROW, const int EDGE, long k,
              const float *a, long rs_a, long cs_a, const float *b, long ldb, float *c, long ldc,
              float alpha, float beta, int rem)
{
    float32x4_t acc[MR][NV];
    /* A long product (a packed block): fetch C's rows while the depth loop
     * runs, as the x86 kernels do; their writes come after it, too late
     * for the core to overlap the misses (48 bytes a row: one or two
     * lines). Short products find C in cache. */
    if (k >= 128)
#pragma GCC unroll 8
        for (int i = 0; i < ROWS; i++) {
            __builtin_prefetch(c + i * ldc, 1, 3);
            __builtin_prefetch(c + i * ldc + 4 * VECS - 1, 1, 3);
        }
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; i++)
#pragma GCC unroll 3
        for (int j = 0; j < VECS; j++) acc[i][j] = vdupq_n_f32(0.0f);
    for (long p = 0; p < k; p++) {
        const float *bp = b + p * ldb;
        const float *ap = AROW ? a + p : a + p * cs_a;
        float32x4_t bv[NV];
#pragma GCC unroll 3
        for (int j = 0; j < VECS; j++)
            bv[j] = EDGE == EDGE_LAST && j == VECS - 1 ? load_part(bp + 4 * j, rem)
                                                     : vld1q_f32(bp + 4 * j);
#pragma GCC unroll 8
        for (int i = 0; i < ROWS; i++) {
            float av = AROW ? ap[i * rs_a] : ap[i];
#pragma GCC unroll 3
            for (int j = 0; j < VECS; j++) acc[i][j] = vfmaq_n_f32(acc[i][j], bv[j], av);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; i++) {
        float *cp = c + i * ldc;
#pragma GCC unroll 3
        for (int j = 0; j < VECS; j++) {
            int edge = EDGE != EDGE_NONE && j == VECS - 1;
            float32x4_t r = vmulq_n_f32(acc[i][j], alpha);
            if (beta != 0.0f)
                r = vfmaq_n_f32(r, edge ? load_part(cp + 4 * j, rem) : vld1q_f32(cp + 4 * j), beta);
            if (edge) store_part(cp + 4 * j, r, rem);
            else vst1q_f32(cp + 4 * j, r);
        }
    }
}

#define TILE_ARGS k, a, s->rs_a, s->cs_a, s->b, s->ldb, c, s->ldc, s->alpha, s->beta, rem

/* Every row tile of one strip, for a vector count, A layout and edge kind. */
INL void strip_body(const int VECS, const int AROW, const int EDGE, const mx_sgemm_strip *s)
{
    const long k = s->k;
    const int rem = (int)(s->nr % 4);
    long i = 0;
    for (; i + MR <= s->m; i += MR) {
        const float *a = s->a + (i / MR) * s->ps_a;
        float *c = s->c + i * s->ldc;
        tile(MR, VECS, AROW, EDGE, TILE_ARGS);
    }
    if (i == s->m) return;
    const float *a = s->a + (i / MR) * s->ps_a;
    float *c = s->c + i * s->ldc;
    switch (s->m - i) {
    case 1: tile(1, VECS, AROW, EDGE, TILE_ARGS); break;
    case 2: tile(2, VECS, AROW, EDGE, TILE_ARGS); break;
    case 3: tile(3, VECS, AROW, EDGE, TILE_ARGS); break;
    case 4: tile(4, VECS, AROW, EDGE, TILE_ARGS); break;
    case 5: tile(5, VECS, AROW, EDGE, TILE_ARGS); break;
    case 6: tile(6, VECS, AROW, EDGE, TILE_ARGS); break;
    default: tile(7, VECS, AROW, EDGE, TILE_ARGS); break;
    }
}

#define STRIP_FN(V, AR, E) \
    static void strip_##V##_##AR##_##E(const mx_sgemm_strip *s) { strip_body(V, AR, E, s); }
#define STRIP_FNS(V) STRIP_FN(V, 0, 0) STRIP_FN(V, 0, 1) STRIP_FN(V, 1, 0) STRIP_FN(V, 1, 1)
STRIP_FNS(1) STRIP_FNS(2) STRIP_FNS(3)

typedef void strip_fn(const mx_sgemm_strip *s);

/* Instances by [vectors − 1][A layout][edge kind]. */
static strip_fn *const strips[NV][2][2] = {
    {{strip_1_0_0, strip_1_0_1}, {strip_1_1_0, strip_1_1_1}},
    {{strip_2_0_0, strip_2_0_1}, {strip_2_1_0, strip_2_1_1}},
    {{strip_3_0_0, strip_3_0_1}, {strip_3_1_0, strip_3_1_1}},
};

/* Runs a strip with the instance for its vector count, A layout, edge. */
static void strip_neon(const mx_sgemm_strip *s)
{
    int vecs = (int)((s->nr + 3) / 4);
    int edge = s->nr % 4 == 0 ? EDGE_NONE : EDGE_LAST;
    strips[vecs - 1][s->rs_a != 1][edge](s);
}

/* The 4×4 block at b (rows ldb apart) to d transposed (rows nr apart):
 * pairs of floats exchanged, then pairs of pairs. */
INL void pack_block(const float *b, long ldb, float *d, long nr)
{
    float32x4_t r0 = vld1q_f32(b), r1 = vld1q_f32(b + ldb);
    float32x4_t r2 = vld1q_f32(b + 2 * ldb), r3 = vld1q_f32(b + 3 * ldb);
    float64x2_t t0 = vreinterpretq_f64_f32(vtrn1q_f32(r0, r1)); /* r0[0] r1[0] r0[2] r1[2] */
    float64x2_t t1 = vreinterpretq_f64_f32(vtrn2q_f32(r0, r1)); /* r0[1] r1[1] r0[3] r1[3] */
    float64x2_t t2 = vreinterpretq_f64_f32(vtrn1q_f32(r2, r3));
    float64x2_t t3 = vreinterpretq_f64_f32(vtrn2q_f32(r2, r3));
    vst1q_f32(d, vreinterpretq_f32_f64(vtrn1q_f64(t0, t2)));
    vst1q_f32(d + nr, vreinterpretq_f32_f64(vtrn1q_f64(t1, t3)));
    vst1q_f32(d + 2 * nr, vreinterpretq_f32_f64(vtrn2q_f64(t0, t2)));
    vst1q_f32(d + 3 * nr, vreinterpretq_f32_f64(vtrn2q_f64(t1, t3)));
}

/* mx_sgemm_pack_bt in 4×4 register blocks, each 4 columns of B down the
 * whole depth; the edges (under 4 columns or 4 deep left) and the padding
 * go element by element. */
static void pack_bt_neon(const float *b, long ldb, long kc, long cols, long nr, float *dst)
{
    const long c4 = cols & ~3L, k4 = kc & ~3L;
    for (long j0 = 0; j0 < c4; j0 += 4)
        for (long p0 = 0; p0 < k4; p0 += 4) pack_block(b + j0 * ldb + p0, ldb, dst + p0 * nr + j0, nr);
    for (long p = 0; p < kc; p++)
        for (long j = p < k4 ? c4 : 0; j < nr; j++) dst[p * nr + j] = j < cols ? b[j * ldb + p] : 0.0f;
}

const mx_sgemm_kernel mx_sgemm_kernel_neon = {"neon", MR, 4 * NV, 4, 0, 0, strip_neon, NULL,
                                              pack_bt_neon};

#else
typedef int mx_sgemm_neon_unused; /* ISO C wants a non-empty file */
#endif
