/* sgemm_avx512.c — AVX-512 micro-kernels of the SGEMM (sgemm_kernels.h
 * describes the contracts). The strip kernel keeps a 6×64 tile of C in
 * zmm registers; the column edge is masked, the row edge is a kernel
 * instance compiled for that row count. The dot kernel keeps a 4×4 (or
 * 4×5) tile of 16-lane partial dot products and reduces them with one
 * transpose-add tree. A transposed B is packed by 16×16 transposes. */
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

/* One tile of ROWS (≤ MR) rows × VECS vectors; the last vector of C is
 * stored through mask. FULL: B rows may be read whole (no column edge, or
 * zero-padded panels), else the last B vector is a masked load too, which
 * costs more than a plain one. AROW: A is read as a[i·rs_a + p] (a plain
 * row-major A), else a[i + p·cs_a]. */
T512 INL void tile(const int ROWS, const int VECS, const int AROW, const int FULL, long k,
                   const float *a, long rs_a, long cs_a, const float *b, long ldb, float *c,
                   long ldc, float alpha, float beta, __mmask16 mask)
{
    __m512 acc[MR][NV];
    /* A long product (a packed block): fetch C while it runs; short ones
     * find C in cache and would only pay for the prefetches. */
    if (k >= 128)
#pragma GCC unroll 16
        for (int i = 0; i < ROWS; i++)
#pragma GCC unroll 4
            for (int j = 0; j < VECS; j++)
                _mm_prefetch((const char *)(c + i * ldc + 16 * j), _MM_HINT_T0);
    /* The first depth step sets the accumulators with multiplies instead
     * of FMAs onto zeroed registers: the MLP's k = 10 product ran 12%
     * faster (same values, up to the sign of an exact zero; every tile
     * does the same, so thread counts still agree bit for bit). */
    {
        __m512 bv[NV];
#pragma GCC unroll 4
        for (int j = 0; j < VECS; j++)
            bv[j] = !FULL && j == VECS - 1 ? _mm512_maskz_loadu_ps(mask, b + 16 * j)
                                           : _mm512_loadu_ps(b + 16 * j);
#pragma GCC unroll 16
        for (int i = 0; i < ROWS; i++) {
            __m512 av = _mm512_set1_ps(AROW ? a[i * rs_a] : a[i]);
#pragma GCC unroll 4
            for (int j = 0; j < VECS; j++) acc[i][j] = _mm512_mul_ps(av, bv[j]);
        }
    }
    for (long p = 1; p < k; p++) {
        const float *bp = b + p * ldb;
        const float *ap = AROW ? a + p : a + p * cs_a;
        __m512 bv[NV];
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
/* Every row tile of one strip, for a vector count, A layout and B kind. */
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
    case 1: tile(1, VECS, AROW, FULL, TILE_ARGS); break;
    case 2: tile(2, VECS, AROW, FULL, TILE_ARGS); break;
    case 3: tile(3, VECS, AROW, FULL, TILE_ARGS); break;
    case 4: tile(4, VECS, AROW, FULL, TILE_ARGS); break;
    default: tile(5, VECS, AROW, FULL, TILE_ARGS); break;
    }
}

#define STRIP_FN(V, AR, F)                                                                 \
    T512 static void strip_##V##_##AR##_##F(const mx_sgemm_strip *s, __mmask16 mask) \
    {                                                                                  \
        strip_body(V, AR, F, s, mask);                                                 \
    }
#define STRIP_FNS(V) STRIP_FN(V, 0, 0) STRIP_FN(V, 0, 1) STRIP_FN(V, 1, 0) STRIP_FN(V, 1, 1)
STRIP_FNS(1) STRIP_FNS(2) STRIP_FNS(3) STRIP_FNS(4)

#define STRIP_CASES(V)                                   \
    case 4 * V: strip_##V##_0_0(s, mask); break;         \
    case 4 * V + 1: strip_##V##_0_1(s, mask); break;     \
    case 4 * V + 2: strip_##V##_1_0(s, mask); break;     \
    case 4 * V + 3: strip_##V##_1_1(s, mask); break;

/* Runs a strip with the instance for its vector count, A layout, B kind. */
T512 static void strip512(const mx_sgemm_strip *s)
{
    int vecs = (int)((s->nr + 15) / 16);
    int rem = (int)(s->nr % 16);
    __mmask16 mask = rem ? (__mmask16)((1u << rem) - 1) : (__mmask16)0xFFFF;
    int arow = s->rs_a != 1;
    switch (vecs * 4 + arow * 2 + (rem == 0 || s->b_padded)) {
        STRIP_CASES(1) STRIP_CASES(2) STRIP_CASES(3) STRIP_CASES(4)
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

/* Lane r of the result = the sum of all 16 lanes of v[r], by the same
 * pairing as reduce16 (chunks (0+2)+(1+3), then lanes (0+2)+(1+3)), so an
 * entry of C gets the same bits whichever reduction it goes through. */
T512 INL __m128 reduce4(const __m512 v[4])
{
    __m512 t01 = fold_halves(v[0], v[1]), t23 = fold_halves(v[2], v[3]);
    __m512 u = _mm512_add_ps(_mm512_shuffle_f32x4(t01, t23, _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_f32x4(t01, t23, _MM_SHUFFLE(3, 1, 3, 1)));
    u = _mm512_add_ps(u, _mm512_permute_ps(u, _MM_SHUFFLE(1, 0, 3, 2)));
    u = _mm512_add_ps(u, _mm512_permute_ps(u, _MM_SHUFFLE(2, 3, 0, 1)));
    __m512i lane0s = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_castps512_ps128(_mm512_permutexvar_ps(lane0s, u));
}

/* 4×S dot tile over the full depth (four A rows by S = 4 or 5 B rows:
 * 4 + S loads feed 4·S FMAs). Rows and columns past the edge read row 0
 * again and are left out of the store; S = 5 tiles are always full width.
 * The fifth column is reduced apart (reduce4) and stored as a scalar. */
T512 INL void dot_tile(const int S, long k, const float *a, long lda, const float *b, long ldb,
                       float *c, long ldc, float alpha, float beta, int rows, int cols)
{
    enum { R = 4 };
    const float *ar[R], *br[5];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) ar[r] = a + (r < rows ? r : 0) * lda;
#pragma GCC unroll 5
    for (int s = 0; s < S; s++) br[s] = b + (s < cols ? s : 0) * ldb;
    /* The first 16 of the depth set the accumulators, as in tile() (the
     * contract guarantees k ≥ 16). */
    __m512 acc[R * 5];
    {
        __m512 bv[5];
#pragma GCC unroll 5
        for (int s = 0; s < S; s++) bv[s] = _mm512_loadu_ps(br[s]);
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            __m512 av = _mm512_loadu_ps(ar[r]);
#pragma GCC unroll 5
            for (int s = 0; s < S; s++) acc[r * S + s] = _mm512_mul_ps(av, bv[s]);
        }
    }
    long p = 16;
    for (; p + 16 <= k; p += 16) {
        __m512 bv[5];
#pragma GCC unroll 5
        for (int s = 0; s < S; s++) bv[s] = _mm512_loadu_ps(br[s] + p);
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            __m512 av = _mm512_loadu_ps(ar[r] + p);
#pragma GCC unroll 5
            for (int s = 0; s < S; s++) acc[r * S + s] = _mm512_fmadd_ps(av, bv[s], acc[r * S + s]);
        }
    }
    if (p < k) { /* the depth tail: masked loads read zeros past k */
        __mmask16 m = (__mmask16)((1u << (k - p)) - 1);
        __m512 bv[5];
#pragma GCC unroll 5
        for (int s = 0; s < S; s++) bv[s] = _mm512_maskz_loadu_ps(m, br[s] + p);
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            __m512 av = _mm512_maskz_loadu_ps(m, ar[r] + p);
#pragma GCC unroll 5
            for (int s = 0; s < S; s++) acc[r * S + s] = _mm512_fmadd_ps(av, bv[s], acc[r * S + s]);
        }
    }
    __m512 v[16];
#pragma GCC unroll 16
    for (int q = 0; q < 16; q++) v[q] = acc[(q / 4) * S + q % 4];
    __m512 f = reduce16(v); /* lane 4r + s: C[r][s], s < 4 */
    __m128 g = _mm_setzero_ps(); /* lane r: C[r][4] */
    if (S == 5) {
        __m512 w[4] = {acc[4], acc[9], acc[14], acc[19]};
        g = reduce4(w);
    }
    if (alpha != 1.0f) {
        f = _mm512_mul_ps(_mm512_set1_ps(alpha), f);
        g = _mm_mul_ps(_mm_set1_ps(alpha), g);
    }
    /* 128-bit accesses, plain unless at the column edge: a wider masked
     * access would overlap the next tile's C and stall its loads on the
     * store buffer (measured: beta = 1 ran at half speed). */
    __mmask8 cm = (__mmask8)((1u << (cols < 4 ? cols : 4)) - 1);
    __m128 vb = _mm_set1_ps(beta);
#pragma GCC unroll 4
    for (int r = 0; r < 4; r++) {
        if (r >= rows) break;
        __m128 x = r == 0 ? _mm512_castps512_ps128(f)
                 : r == 1 ? _mm512_extractf32x4_ps(f, 1)
                 : r == 2 ? _mm512_extractf32x4_ps(f, 2)
                          : _mm512_extractf32x4_ps(f, 3);
        float *cp = c + r * ldc;
        if (cols >= 4) {
            if (beta != 0.0f) x = _mm_fmadd_ps(vb, _mm_loadu_ps(cp), x);
            _mm_storeu_ps(cp, x);
        } else {
            if (beta != 0.0f) x = _mm_fmadd_ps(vb, _mm_maskz_loadu_ps(cm, cp), x);
            _mm_mask_storeu_ps(cp, cm, x);
        }
        if (S == 5) {
            __m128 y = r == 0 ? g
                     : r == 1 ? _mm_permute_ps(g, 1)
                     : r == 2 ? _mm_permute_ps(g, 2)
                              : _mm_permute_ps(g, 3);
            if (beta != 0.0f) y = _mm_fmadd_ss(vb, _mm_load_ss(cp + 4), y);
            _mm_store_ss(cp + 4, y);
        }
    }
}

T512 static void dot_tile4(long k, const float *a, long lda, const float *b, long ldb, float *c,
                           long ldc, float alpha, float beta, int rows, int cols)
{
    dot_tile(4, k, a, lda, b, ldb, c, ldc, alpha, beta, rows, cols);
}

T512 static void dot_tile5(long k, const float *a, long lda, const float *b, long ldb, float *c,
                           long ldc, float alpha, float beta, int rows)
{
    dot_tile(5, k, a, lda, b, ldb, c, ldc, alpha, beta, rows, 5);
}

/* The block in 4×4 tiles, or 4×5 where that computes fewer columns (n =
 * 10: two 4×5 tiles instead of 4 + 4 + 2, a fifth fewer FMAs). (8×2 tiles
 * need ten loads per sixteen FMAs, and GCC then folds the A loads into the
 * FMAs twice over: half the speed.) */
T512 static void dot512(const mx_sgemm_dot *d)
{
    /* columns computed: 4·⌈n/4⌉ in 4-wide tiles, or 5·⌊n/5⌋ plus one
     * 4-wide tile for the rest in 5-wide ones */
    long n5 = 5 * (d->n / 5), wide5 = n5 + (d->n > n5 ? 4 : 0) < 4 * ((d->n + 3) / 4);
    if (!wide5) n5 = 0;
    for (long j = 0; j < d->n;) {
        int w = j < n5 ? 5 : d->n - j < 4 ? (int)(d->n - j) : 4;
        for (long i = 0; i < d->m; i += 4) {
            int rows = d->m - i < 4 ? (int)(d->m - i) : 4;
            const float *a = d->a + i * d->lda, *b = d->b + j * d->ldb;
            float *c = d->c + i * d->ldc + j;
            if (w == 5) dot_tile5(d->k, a, d->lda, b, d->ldb, c, d->ldc, d->alpha, d->beta, rows);
            else dot_tile4(d->k, a, d->lda, b, d->ldb, c, d->ldc, d->alpha, d->beta, rows, w);
        }
        j += w;
    }
}

/* r[q] ← column q of the 16×16 block whose rows are r[0..15] (lane j of
 * the result: r[j] lane q). Four rounds of two-source shuffles: pairs of
 * floats, 4×4 blocks within each 128-bit chunk, then the chunks. */
T512 INL void transpose16(__m512 r[16])
{
    __m512 t[16], u[16];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) { /* chunk c: r[2i][4c], r[2i+1][4c], r[2i][4c+1], … */
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 4
    for (int g = 0; g < 4; g++) { /* chunk c of u[4g + q]: rows 4g..4g+3, column 4c + q */
        __m512 lo0 = t[4 * g], hi0 = t[4 * g + 1], lo1 = t[4 * g + 2], hi1 = t[4 * g + 3];
        u[4 * g] = _mm512_shuffle_ps(lo0, lo1, _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * g + 1] = _mm512_shuffle_ps(lo0, lo1, _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * g + 2] = _mm512_shuffle_ps(hi0, hi1, _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * g + 3] = _mm512_shuffle_ps(hi0, hi1, _MM_SHUFFLE(3, 2, 3, 2));
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) { /* column 4c + q: chunk c of u[q], u[4+q], u[8+q], u[12+q] */
        __m512 w0 = _mm512_shuffle_f32x4(u[q], u[4 + q], _MM_SHUFFLE(2, 0, 2, 0));
        __m512 w1 = _mm512_shuffle_f32x4(u[q], u[4 + q], _MM_SHUFFLE(3, 1, 3, 1));
        __m512 w2 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], _MM_SHUFFLE(2, 0, 2, 0));
        __m512 w3 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], _MM_SHUFFLE(3, 1, 3, 1));
        r[q] = _mm512_shuffle_f32x4(w0, w2, _MM_SHUFFLE(2, 0, 2, 0));
        r[4 + q] = _mm512_shuffle_f32x4(w1, w3, _MM_SHUFFLE(2, 0, 2, 0));
        r[8 + q] = _mm512_shuffle_f32x4(w0, w2, _MM_SHUFFLE(3, 1, 3, 1));
        r[12 + q] = _mm512_shuffle_f32x4(w1, w3, _MM_SHUFFLE(3, 1, 3, 1));
    }
}

/* d[p·nr + j] = b[j·ldb + p] for p < depth, j < 16: the first rows rows
 * of B are read (depth floats each, masked), the rest are zeros. */
T512 INL void pack_block(const float *b, long ldb, float *d, long nr, int rows, int depth)
{
    __mmask16 m = (__mmask16)((1u << depth) - 1);
    __m512 r[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        r[i] = i >= rows     ? _mm512_setzero_ps()
             : depth == 16 ? _mm512_loadu_ps(b + i * ldb)
                           : _mm512_maskz_loadu_ps(m, b + i * ldb);
    transpose16(r);
#pragma GCC unroll 16
    for (int p = 0; p < 16; p++)
        if (p < depth) _mm512_storeu_ps(d + p * nr, r[p]);
}

T512 static void pack_block_full(const float *b, long ldb, float *d, long nr)
{
    pack_block(b, ldb, d, nr, 16, 16);
}

/* Edges: fewer than 16 columns of B left (rows of the block), or a
 * depth tail; apart so the full block's loop stays branch-free. */
T512 __attribute__((noinline)) static void pack_block_edge(const float *b, long ldb, float *d,
                                                           long nr, int rows, int depth)
{
    pack_block(b, ldb, d, nr, rows, depth);
}

/* mx_sgemm_pack_bt by 16×16 in-register transposes, each 16 columns of
 * B down the whole depth: its rows are read in order and every 64-byte
 * store fills a whole line of the panel (16-deep slices, the portable
 * order, measured the same). Reading B from L3 bounds it: it took as long
 * without the shuffles. In LeNet's fc1 forward product (100×500×800, NT)
 * the packing went from 19% of the call (scalar stores) to 7%. */
T512 static void pack_bt512(const float *b, long ldb, long kc, long cols, long nr, float *dst)
{
    if (nr % 16) { /* never for this kernel's nr; kept correct anyway */
        mx_sgemm_pack_bt(b, ldb, kc, cols, nr, dst);
        return;
    }
    for (long j0 = 0; j0 < nr; j0 += 16) {
        int rows = cols - j0 >= 16 ? 16 : cols > j0 ? (int)(cols - j0) : 0;
        for (long p0 = 0; p0 < kc; p0 += 16) {
            int depth = kc - p0 < 16 ? (int)(kc - p0) : 16;
            const float *src = b + j0 * ldb + p0;
            float *d = dst + p0 * nr + j0;
            if (rows == 16 && depth == 16) pack_block_full(src, ldb, d, nr);
            else pack_block_edge(src, ldb, d, nr, rows, depth);
        }
    }
}

const mx_sgemm_kernel mx_sgemm_kernel_avx512 = {"avx512", MR, 16 * NV, 16, 4, 4,
                                                strip512, dot512, pack_bt512};

#else
typedef int mx_sgemm_avx512_unused; /* ISO C wants a non-empty file */
#endif
