/* sgemm_generic.c — portable C micro-kernel of the SGEMM (sgemm_kernels.h
 * describes the contract): a 4×16 tile whose fixed-width inner loops GCC
 * vectorises at -O2 for any target (SSE2, NEON); the unroll pragmas let it
 * keep the tile in registers (1.7× faster). No dot kernel: C = A·Bᵀ takes
 * the packed path, whose transposed-B packing (mx_sgemm_pack_bt) is here
 * too, for every kernel without its own. */
#include <math.h>
#include <stddef.h>

#include "sgemm_kernels.h"

#define MR 4
#define NR 16

/* Fused multiply-add where the target has one (NEON, …): fmaf would be a
 * library call elsewhere. */
#if defined(__FP_FAST_FMAF)
#define MADD(x, y, z) fmaf((x), (y), (z))
#else
#define MADD(x, y, z) ((x) * (y) + (z))
#endif

#define INL static inline __attribute__((always_inline))

/* One tile of ROWS (≤ MR) rows × nr (≤ NR) columns. AROW: A read as
 * a[i·rs_a + p], else a[i + p·cs_a]. Edge columns of an unpadded B go
 * through a zero-padded copy of the B row so the vector loop keeps its
 * fixed width. */
INL void tile(const int ROWS, const int AROW, long nr, int b_padded, long k, const float *a,
              long rs_a, long cs_a, const float *b, long ldb, float *c, long ldc, float alpha,
              float beta)
{
    float acc[MR][NR] = {{0}};
    float pad[NR] = {0};
    for (long p = 0; p < k; p++) {
        const float *bp = b + p * ldb;
        if (nr < NR && !b_padded) {
            for (long j = 0; j < nr; j++) pad[j] = bp[j];
            bp = pad;
        }
        const float *ap = AROW ? a + p : a + p * cs_a;
#pragma GCC unroll 8
        for (int i = 0; i < ROWS; i++) {
            float av = AROW ? ap[i * rs_a] : ap[i];
#pragma GCC unroll 16
            for (int j = 0; j < NR; j++) acc[i][j] = MADD(av, bp[j], acc[i][j]);
        }
    }
    for (int i = 0; i < ROWS; i++) {
        float *cp = c + i * ldc;
        if (beta == 0.0f)
            for (long j = 0; j < nr; j++) cp[j] = alpha * acc[i][j];
        else
            for (long j = 0; j < nr; j++) cp[j] = MADD(alpha, acc[i][j], beta * cp[j]);
    }
}

#define TILE_ARGS \
    s->nr, s->b_padded, s->k, a, s->rs_a, s->cs_a, s->b, s->ldb, c, s->ldc, s->alpha, s->beta

/* Every row tile of one strip for one A layout. */
INL void strip_body(const int AROW, const mx_sgemm_strip *s)
{
    long i = 0;
    for (; i + MR <= s->m; i += MR) {
        const float *a = s->a + (i / MR) * s->ps_a;
        float *c = s->c + i * s->ldc;
        tile(MR, AROW, TILE_ARGS);
    }
    if (i == s->m) return;
    const float *a = s->a + (i / MR) * s->ps_a;
    float *c = s->c + i * s->ldc;
    switch (s->m - i) {
    case 1: tile(1, AROW, TILE_ARGS); break;
    case 2: tile(2, AROW, TILE_ARGS); break;
    default: tile(3, AROW, TILE_ARGS); break;
    }
}

static void strip_acol(const mx_sgemm_strip *s) { strip_body(0, s); }
static void strip_arow(const mx_sgemm_strip *s) { strip_body(1, s); }

static void strip_generic(const mx_sgemm_strip *s)
{
    if (s->rs_a == 1) strip_acol(s);
    else strip_arow(s);
}

/* The 4×4 block at b (rows ldb apart) to d transposed (rows nr apart).
 * Sixteen loads, then four rows of four stores: GCC builds each output
 * row in a vector register (SSE2, NEON) instead of storing scalars. */
INL void transpose4(const float *b, long ldb, float *d, long nr)
{
    float x[4][4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++)
#pragma GCC unroll 4
        for (int p = 0; p < 4; p++) x[p][j] = b[j * ldb + p];
#pragma GCC unroll 4
    for (int p = 0; p < 4; p++)
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) d[p * nr + j] = x[p][j];
}

/* In 4×4 blocks, 16 deep at a time: the 16·nr slice being written stays
 * in L1 while each source row is read a cache line at a time. Element by
 * element (a strided scalar store each) took 1.3× as long alone and 1.8×
 * inside LeNet's fc1 product (100×500×800, NT). */
void mx_sgemm_pack_bt(const float *b, long ldb, long kc, long cols, long nr, float *dst)
{
    const long c4 = cols & ~3L;
    for (long p0 = 0; p0 < kc; p0 += 16) {
        long pn = kc - p0 < 16 ? kc - p0 : 16, p4 = pn & ~3L;
        float *d = dst + p0 * nr;
        const float *src = b + p0;
        for (long j = 0; j < c4; j += 4)
            for (long p = 0; p < p4; p += 4) transpose4(src + j * ldb + p, ldb, d + p * nr + j, nr);
        /* the edges: a depth tail under 4, columns past the last 4, padding */
        for (long p = 0; p < pn; p++)
            for (long j = p < p4 ? c4 : 0; j < nr; j++)
                d[p * nr + j] = j < cols ? src[j * ldb + p] : 0.0f;
    }
}

const mx_sgemm_kernel mx_sgemm_kernel_generic = {"generic", MR, NR, 4, 0, 0, strip_generic, NULL,
                                                 NULL};
