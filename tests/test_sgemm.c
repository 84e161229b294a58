/* test_sgemm.c — the "sgemm" suite: mx_sgemm against a naive double
 * reference for every transpose pair, alpha/beta, odd and large sizes and
 * padded leading dimensions, on each kernel of this architecture (generic,
 * avx2 and avx512 on x86-64, neon on aarch64, and whatever "auto" picks)
 * with no engine, 1 and 2 threads; plus
 * the small-product paths (narrow dot tiles, shallow depth, few rows),
 * the packed C = A·Bᵀ path on awkward shapes and each ISA's transposed-B
 * packing against the portable one, beta = 0 ignoring NaN in C,
 * bit-identical repeats, kernel selection, and the upper register state
 * each x86 kernel returns with (vzeroupper).
 *
 * Tolerance: |C − ref| ≤ (k + 2)·FLT_EPSILON·(|alpha|·Σ_p |A(i,p)·B(p,j)|
 * + |beta·C0(i,j)|) + 1e-30, the classical float dot-product error bound. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "kernels/cpu/sgemm.h"
#include "kernels/cpu/sgemm_kernels.h"
#include "suites.h"

/* The kernels of this architecture; one this CPU lacks is reported skipped. */
#if defined(__x86_64__)
static const char *const kernels[] = {"auto", "generic", "avx2", "avx512"};
#define NKERNELS 4
#elif defined(__aarch64__)
static const char *const kernels[] = {"auto", "generic", "neon"};
#define NKERNELS 3
#else
static const char *const kernels[] = {"auto", "generic"};
#define NKERNELS 2
#endif

/* Selects kernel i; prints why and returns 0 when this CPU or build lacks
 * it. "auto" returns 0 when it picked a kernel the list names: that one's
 * own turn runs the same checks (twice the time for nothing, and under
 * qemu this suite is the slowest of the cross builds' runs). */
static int use_kernel(int i)
{
    mx_status st = mx_sgemm_select(kernels[i]);
    if (st == MX_OK && i == 0)
        for (int j = 1; j < NKERNELS; j++)
            if (!strcmp(mx_sgemm_kernel_name(), kernels[j])) return 0;
    if (st == MX_OK) return 1;
    CU_ASSERT_EQUAL(st, MX_ENOTSUP);
    if (!strcmp(mx_sgemm_kernel_name(), "openblas"))
        mx_test_skip("%s (this build forwards to OpenBLAS)", kernels[i]);
    else
        mx_test_skip("CPU lacks %s", kernels[i]);
    return 0;
}

/* Engines under test: none (inline), 1 and 2 threads. */
typedef struct engines {
    mx_engine *e[3];
} engines;

static engines make_engines(void)
{
    engines E = {{NULL, mx_engine_create(1, MX_BIND_NONE), mx_engine_create(2, MX_BIND_NONE)}};
    CU_ASSERT_PTR_NOT_NULL(E.e[1]);
    CU_ASSERT_PTR_NOT_NULL(E.e[2]);
    return E;
}

static void free_engines(engines *E)
{
    mx_engine_free(E->e[1]);
    mx_engine_free(E->e[2]);
}

/* Deterministic values in [-1, 1). */
static void fill(float *x, size_t n, unsigned seed)
{
    unsigned s = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((s >> 8) & 0xFFFF) / 32768.0f - 1.0f;
    }
}

/* One GEMM problem with its operands in the layout the flags ask for. */
typedef struct problem {
    int ta, tb, m, n, k, lda, ldb, ldc;
    float alpha, beta;
    float *a, *b, *c0; /* c0: C before the call (ldc stride) */
} problem;

static problem make_problem(int ta, int tb, int m, int n, int k, int pad, float alpha, float beta)
{
    problem P = {ta, tb, m, n, k, (ta ? m : k) + pad, (tb ? k : n) + 2 * pad, n + 3 * pad,
                 alpha, beta, NULL, NULL, NULL};
    size_t na = (size_t)(ta ? k : m) * P.lda, nb = (size_t)(tb ? n : k) * P.ldb;
    size_t nc = (size_t)m * P.ldc;
    P.a = malloc((na ? na : 1) * sizeof(float));
    P.b = malloc((nb ? nb : 1) * sizeof(float));
    P.c0 = malloc((nc ? nc : 1) * sizeof(float));
    fill(P.a, na, (unsigned)(m * 31 + k));
    fill(P.b, nb, (unsigned)(n * 17 + k + 7));
    fill(P.c0, nc, (unsigned)(m + n * 3));
    return P;
}

static void free_problem(problem *P)
{
    free(P->a);
    free(P->b);
    free(P->c0);
}

static double opa(const problem *P, int i, int p)
{
    return P->ta ? P->a[(size_t)p * P->lda + i] : P->a[(size_t)i * P->lda + p];
}

static double opb(const problem *P, int p, int j)
{
    return P->tb ? P->b[(size_t)j * P->ldb + p] : P->b[(size_t)p * P->ldb + j];
}

/* Checks C(i,j) against the reference; returns 1 if within tolerance. */
static int entry_ok(const problem *P, const float *c, int i, int j)
{
    double sum = 0, mag = 0;
    for (int p = 0; p < P->k; p++) {
        double t = opa(P, i, p) * opb(P, p, j);
        sum += t;
        mag += fabs(t);
    }
    double ref = P->alpha * sum, bound = fabs(P->alpha) * mag;
    if (P->beta != 0.0f) {
        double old = P->c0[(size_t)i * P->ldc + j];
        ref += P->beta * old;
        bound += fabs(P->beta * old);
    }
    double got = c[(size_t)i * P->ldc + j];
    return isfinite(got) && fabs(got - ref) <= (P->k + 2) * (double)FLT_EPSILON * bound + 1e-30;
}

/* Runs P on eng into a fresh copy of C0 and checks every entry (or every
 * step-th row and column, and the last ones) and that the padding past n
 * is untouched. */
static int run_and_check(const problem *P, mx_engine *eng, int step, const char *what)
{
    size_t nc = (size_t)P->m * P->ldc;
    float *c = malloc((nc ? nc : 1) * sizeof(float));
    memcpy(c, P->c0, nc * sizeof(float));
    mx_sgemm(eng, P->ta, P->tb, P->m, P->n, P->k, P->alpha, P->a, P->lda, P->b, P->ldb, P->beta, c,
             P->ldc);
    int bad = 0;
    for (int i = 0; i < P->m && !bad; i++) {
        const float *row = c + (size_t)i * P->ldc, *row0 = P->c0 + (size_t)i * P->ldc;
        bad |= memcmp(row + P->n, row0 + P->n, (size_t)(P->ldc - P->n) * sizeof(float)) != 0;
        if (i % step && i != P->m - 1) continue;
        for (int j = 0; j < P->n && !bad; j++)
            if (j % step == 0 || j == P->n - 1) bad |= !entry_ok(P, c, i, j);
    }
    if (bad)
        printf("\n    FAIL %s: %s ta=%d tb=%d m=%d n=%d k=%d alpha=%g beta=%g threads=%d ",
               mx_sgemm_kernel_name(), what, P->ta, P->tb, P->m, P->n, P->k, P->alpha, P->beta,
               mx_engine_threads(eng));
    free(c);
    return !bad;
}

static void test_every_transpose_alpha_beta_matches_reference(void)
{
    static const float ab[][2] = {{1, 0}, {1, 1}, {-0.5f, 2}, {2, -1}, {0.25f, 0.5f}};
    static const int sizes[][3] = {{7, 17, 33}, {100, 128, 64}, {33, 100, 7}, {129, 70, 300}};
    engines E = make_engines();
    for (int kn = 0; kn < NKERNELS; kn++) {
        if (!use_kernel(kn)) continue;
        for (int t = 0; t < 4; t++)
            for (int s = 0; s < 4; s++)
                for (int v = 0; v < 5; v++) {
                    problem P = make_problem(t & 1, t >> 1, sizes[s][0], sizes[s][1], sizes[s][2],
                                             0, ab[v][0], ab[v][1]);
                    for (int e = 0; e < 3; e++)
                        CU_ASSERT(run_and_check(&P, E.e[e], 1, "alpha/beta"));
                    free_problem(&P);
                }
    }
    mx_sgemm_select("auto");
    free_engines(&E);
}

static void test_odd_sizes_not_multiples_of_the_tile_match_reference(void)
{
    static const int dims[] = {1, 7, 17, 33, 100, 129};
    engines E = make_engines();
    for (int kn = 0; kn < NKERNELS; kn++) {
        if (!use_kernel(kn)) continue;
        int t = 0;
        for (int im = 0; im < 6; im++)
            for (int in = 0; in < 6; in++)
                for (int ik = 0; ik < 6; ik++, t++) {
                    /* every transpose pair cycles through the grid */
                    problem P = make_problem(t & 1, (t >> 1) & 1, dims[im], dims[in], dims[ik], 0,
                                             1.0f, (t % 3) ? 0.0f : 1.0f);
                    CU_ASSERT(run_and_check(&P, E.e[t % 3], 1, "odd sizes"));
                    free_problem(&P);
                }
    }
    mx_sgemm_select("auto");
    free_engines(&E);
}

/* Runs P with 1 and 2 threads: each must match the reference (every
 * step-th row and column, see run_and_check) and the two must agree bit
 * for bit. */
static int check_one_and_two_threads(const problem *P, const engines *E, int step,
                                     const char *what)
{
    int ok = run_and_check(P, E->e[1], step, what) && run_and_check(P, E->e[2], step, what);
    size_t nc = (size_t)P->m * P->ldc;
    float *one = malloc(nc * sizeof(float)), *two = malloc(nc * sizeof(float));
    memcpy(one, P->c0, nc * sizeof(float));
    memcpy(two, P->c0, nc * sizeof(float));
    mx_sgemm(E->e[1], P->ta, P->tb, P->m, P->n, P->k, P->alpha, P->a, P->lda, P->b, P->ldb,
             P->beta, one, P->ldc);
    mx_sgemm(E->e[2], P->ta, P->tb, P->m, P->n, P->k, P->alpha, P->a, P->lda, P->b, P->ldb,
             P->beta, two, P->ldc);
    int same = memcmp(one, two, nc * sizeof(float)) == 0;
    if (!same)
        printf("\n    FAIL %s: %s ta=%d tb=%d m=%d n=%d k=%d: 1 and 2 threads differ ",
               mx_sgemm_kernel_name(), what, P->ta, P->tb, P->m, P->n, P->k);
    free(one);
    free(two);
    return ok && same;
}

static void test_narrow_products_around_the_dot_tile_widths_match_reference(void)
{
    /* C = A·Bᵀ with few columns (the MLP's last layer, n = 10) takes 4×5
     * dot tiles where they compute fewer columns than 4×4 ones (n = 5, 9,
     * 10, 13-15, 17…), else 4×4 with a narrow edge; rows not a multiple of
     * 4, depths with and without a 16-wide tail; beta 0 over NaN. */
    static const int ns[] = {1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 19, 20, 21};
    static const int ms[] = {1, 3, 5, 8, 100}, ks[] = {32, 37, 64, 70};
    engines E = make_engines();
    for (int kn = 0; kn < NKERNELS; kn++) {
        if (!use_kernel(kn)) continue;
        int t = 0;
        for (int in = 0; in < 16; in++)
            for (int im = 0; im < 5; im++)
                for (int ik = 0; ik < 4; ik++, t++) {
                    float beta = t % 3 == 0 ? 0.0f : t % 3 == 1 ? 1.0f : -0.5f;
                    float alpha = t % 4 ? 1.0f : 0.5f;
                    problem P = make_problem(0, 1, ms[im], ns[in], ks[ik], t % 2, alpha, beta);
                    if (beta == 0.0f)
                        for (size_t i = 0; i < (size_t)P.m * P.ldc; i++) P.c0[i] = NAN;
                    CU_ASSERT(check_one_and_two_threads(&P, &E, 1, "narrow dot"));
                    free_problem(&P);
                }
    }
    mx_sgemm_select("auto");
    free_engines(&E);
}

static void test_an_entry_has_the_same_bits_in_any_tile_width(void)
{
    /* The same A and B rows through n = 10 (two 4×5 dot tiles), n = 8
     * (4×4 tiles), n = 9 (4×5 + a 4-wide edge) and n = 13 (4×5, 4×5, a
     * 3-wide edge): the shared columns of C must agree bit for bit, or
     * thread splits that change the tiling would change C. Rows 37: a
     * 1-row edge tile too. */
    static const int widths[] = {8, 9, 10, 13};
    engines E = make_engines();
    for (int kn = 0; kn < NKERNELS; kn++) {
        if (!use_kernel(kn)) continue;
        for (int v = 0; v < 2; v++) {
            problem P = make_problem(0, 1, 37, 13, 70, 0, v ? 0.75f : 1.0f, v ? 0.5f : 0.0f);
            float *c[4];
            for (int w = 0; w < 4; w++) {
                c[w] = malloc((size_t)P.m * P.ldc * sizeof(float));
                memcpy(c[w], P.c0, (size_t)P.m * P.ldc * sizeof(float));
                mx_sgemm(E.e[0], 0, 1, P.m, widths[w], P.k, P.alpha, P.a, P.lda, P.b, P.ldb, P.beta,
                         c[w], P.ldc);
            }
            int same = 1;
            for (int i = 0; i < P.m; i++)
                for (int w = 1; w < 4; w++)
                    same &= !memcmp(c[0] + (size_t)i * P.ldc, c[w] + (size_t)i * P.ldc,
                                    8 * sizeof(float));
            CU_ASSERT(same);
            for (int w = 0; w < 4; w++) free(c[w]);
            free_problem(&P);
        }
    }
    mx_sgemm_select("auto");
    free_engines(&E);
}

static void test_shallow_and_few_row_products_match_reference(void)
{
    /* Small depth (the MLP's k = 10) and few rows (m = 10) in every
     * transpose pair: row tails around the 6-row tile, column tails
     * around the 16-wide vectors, beta 0 over NaN; 1 and 2 threads. */
    static const int ms[] = {1, 5, 6, 7, 10, 12, 13, 100}, ns[] = {1, 15, 16, 17, 64, 65};
    static const int ks[] = {1, 2, 10, 100};
    engines E = make_engines();
    for (int kn = 0; kn < NKERNELS; kn++) {
        if (!use_kernel(kn)) continue;
        int t = 0;
        for (int im = 0; im < 8; im++)
            for (int in = 0; in < 6; in++)
                for (int ik = 0; ik < 4; ik++, t++) {
                    float beta = t % 2 ? 0.0f : 1.0f;
                    problem P = make_problem(t & 1, (t >> 1) & 1, ms[im], ns[in], ks[ik], t % 3,
                                             t % 5 ? 1.0f : -2.0f, beta);
                    if (beta == 0.0f)
                        for (size_t i = 0; i < (size_t)P.m * P.ldc; i++) P.c0[i] = NAN;
                    CU_ASSERT(check_one_and_two_threads(&P, &E, 1, "shallow / few rows"));
                    free_problem(&P);
                }
    }
    mx_sgemm_select("auto");
    free_engines(&E);
}

static void test_mlp_products_on_a_pool_give_the_same_bits_on_every_call(void)
{
    /* A pool runs a small product on one thread or two, as its measured
     * dispatch cost decides, call by call; C must not depend on it. */
    static const int shapes[][5] = {{0, 1, 100, 10, 64}, {0, 0, 100, 64, 10}, {1, 0, 10, 64, 100},
                                    {0, 1, 100, 64, 128}, {1, 0, 64, 128, 100}};
    engines E = make_engines();
    for (int z = 0; z < 5; z++) {
        const int *sh = shapes[z];
        problem P = make_problem(sh[0], sh[1], sh[2], sh[3], sh[4], 0, 1.0f, 0.0f);
        size_t nc = (size_t)P.m * P.ldc * sizeof(float);
        float *first = malloc(nc), *again = malloc(nc);
        mx_sgemm(E.e[1], P.ta, P.tb, P.m, P.n, P.k, 1.0f, P.a, P.lda, P.b, P.ldb, 0.0f, first,
                 P.ldc);
        int same = 1;
        for (int rep = 0; rep < 300; rep++) {
            mx_sgemm(E.e[2], P.ta, P.tb, P.m, P.n, P.k, 1.0f, P.a, P.lda, P.b, P.ldb, 0.0f, again,
                     P.ldc);
            same &= memcmp(first, again, nc) == 0;
        }
        CU_ASSERT(same);
        free(first);
        free(again);
        free_problem(&P);
    }
    free_engines(&E);
}

static void test_leading_dimensions_larger_than_minimum_are_honoured(void)
{
    engines E = make_engines();
    for (int kn = 0; kn < NKERNELS; kn++) {
        if (!use_kernel(kn)) continue;
        for (int t = 0; t < 4; t++) {
            problem P = make_problem(t & 1, t >> 1, 37, 45, 66, 5, 1.5f, -0.5f);
            for (int e = 0; e < 3; e++) CU_ASSERT(run_and_check(&P, E.e[e], 1, "padded ld"));
            free_problem(&P);
        }
    }
    mx_sgemm_select("auto");
    free_engines(&E);
}

static void test_large_products_through_every_block_match_reference(void)
{
    /* Past the in-place limits and every cache block (k > KC, n > NC, m > MC);
     * a sample of rows and columns is checked against the reference. */
    engines E = make_engines();
    for (int kn = 0; kn < NKERNELS; kn++) {
        if (!use_kernel(kn)) continue;
        for (int t = 0; t < 4; t++) {
            problem P = make_problem(t & 1, t >> 1, 203, 1900, 530, 1, 1.0f, 0.5f);
            CU_ASSERT(run_and_check(&P, E.e[t % 2 ? 2 : 0], 13, "large"));
            free_problem(&P);
        }
    }
    mx_sgemm_select("auto");
    free_engines(&E);
}

static void test_packed_a_times_b_transposed_on_awkward_shapes_matches_reference(void)
{
    /* C = A·Bᵀ past the in-place limit, so B is packed by the kernel's
     * pack_bt: n not a multiple of 16 (nor of the panel width), k past
     * KC = 256 with a depth tail not a multiple of 16, m past MC = 192,
     * a last column block of 5 (n = 1797 > NC = 1792), padded ldb, and
     * LeNet's fc1 forward product (100×500×800). */
    static const int shapes[][4] = {/* m, n, k, pad */
                                    {100, 500, 800, 0},
                                    {203, 1100, 333, 0},
                                    {500, 1030, 270, 3},
                                    {7, 1797, 259, 1}};
    engines E = make_engines();
    for (int kn = 0; kn < NKERNELS; kn++) {
        if (!use_kernel(kn)) continue;
        for (int z = 0; z < 4; z++) {
            const int *sh = shapes[z];
            problem P = make_problem(0, 1, sh[0], sh[1], sh[2], sh[3], z % 2 ? 0.5f : 1.0f,
                                     z % 2 ? 1.0f : 0.0f);
            CU_ASSERT(check_one_and_two_threads(&P, &E, 7, "packed NT"));
            free_problem(&P);
        }
    }
    mx_sgemm_select("auto");
    free_engines(&E);
}

/* The packed panel by its definition (sgemm_kernels.h), element by element. */
static void pack_bt_by_definition(const float *b, long ldb, long kc, long cols, long nr,
                                  float *dst)
{
    for (long p = 0; p < kc; p++)
        for (long j = 0; j < nr; j++) dst[p * nr + j] = j < cols ? b[j * ldb + p] : 0.0f;
}

/* Packs a cols-row B (kc deep, rows ldb apart) with pack and with ref and
 * compares the panels bit for bit; the floats after pack's panel must
 * keep their sentinel. B is allocated to its last element exactly (a
 * sanitizer build then catches reads past it) and starts off alignment. */
static int pack_bt_matches(mx_sgemm_pack_bt_fn *pack, mx_sgemm_pack_bt_fn *ref, long kc,
                           long cols, long nr, long ldb)
{
    enum { GUARD = 32 };
    size_t nb = (size_t)((cols - 1) * ldb + kc) + 1, nd = (size_t)(kc * nr);
    float *b = malloc(nb * sizeof(float)), *got = malloc((nd + GUARD) * sizeof(float));
    float *want = malloc(nd * sizeof(float));
    fill(b, nb, (unsigned)(kc * 131 + cols));
    for (size_t i = 0; i < nd + GUARD; i++) got[i] = -7.0f;
    pack(b + 1, ldb, kc, cols, nr, got);
    ref(b + 1, ldb, kc, cols, nr, want);
    int ok = !memcmp(got, want, nd * sizeof(float));
    for (int i = 0; i < GUARD; i++) ok &= got[nd + i] == -7.0f;
    if (!ok) printf("\n    FAIL pack_bt: kc=%ld cols=%ld nr=%ld ldb=%ld ", kc, cols, nr, ldb);
    free(b);
    free(got);
    free(want);
    return ok;
}

/* Every depth tail and column edge around the 4-, 8- and 16-wide blocks
 * the packers transpose, up to a full KC = 256 deep panel of width nr,
 * with ldb = kc and padded. */
static int pack_bt_matches_on_edges(mx_sgemm_pack_bt_fn *pack, mx_sgemm_pack_bt_fn *ref,
                                    long nr)
{
    static const long kcs[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 77, 255, 256};
    static const long cols[] = {1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64};
    int ok = 1;
    for (size_t x = 0; x < sizeof kcs / sizeof kcs[0]; x++)
        for (size_t y = 0; y < sizeof cols / sizeof cols[0] && cols[y] <= nr; y++)
            for (long pad = 0; pad < 4; pad += 3)
                ok &= pack_bt_matches(pack, ref, kcs[x], cols[y], nr, kcs[x] + pad);
    return ok;
}

static void test_portable_pack_bt_follows_its_definition(void)
{
    /* The generic kernel's panel width, the AVX-512 one's, and one that
     * is no multiple of 4. */
    static const long nrs[] = {16, 64, 6};
    for (int i = 0; i < 3; i++)
        CU_ASSERT(pack_bt_matches_on_edges(mx_sgemm_pack_bt, pack_bt_by_definition, nrs[i]));
}

static void test_isa_pack_bt_writes_the_portable_panel(void)
{
    /* An ISA's own pack_bt must write exactly what the portable loop does
     * (packing changes no arithmetic, so C keeps its bits); each is run
     * at its kernel's panel width when this CPU runs that kernel. */
#if defined(__x86_64__) || defined(__aarch64__)
    static const struct {
        int kernel; /* index in kernels[] */
        const mx_sgemm_kernel *kr;
#if defined(__x86_64__)
    } isas[] = {{3, &mx_sgemm_kernel_avx512}, {2, &mx_sgemm_kernel_avx2}};
#else
    } isas[] = {{2, &mx_sgemm_kernel_neon}};
#endif
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        if (!isas[i].kr->pack_bt || !use_kernel(isas[i].kernel)) continue;
        CU_ASSERT(pack_bt_matches_on_edges(isas[i].kr->pack_bt, mx_sgemm_pack_bt, isas[i].kr->nr));
    }
    mx_sgemm_select("auto");
#else
    mx_test_skip("no ISA pack_bt on this architecture (the portable kernel only)");
#endif
}

static void test_beta_zero_never_reads_c_nan_does_not_propagate(void)
{
    engines E = make_engines();
    for (int kn = 0; kn < NKERNELS; kn++) {
        if (!use_kernel(kn)) continue;
        for (int t = 0; t < 4; t++) {
            problem P = make_problem(t & 1, t >> 1, 100, 70, 129, 0, 0.75f, 0.0f);
            for (size_t i = 0; i < (size_t)P.m * P.ldc; i++) P.c0[i] = NAN;
            for (int e = 0; e < 3; e++) CU_ASSERT(run_and_check(&P, E.e[e], 1, "NaN in C"));
            /* alpha = 0, beta = 0: C becomes exact zeros */
            float *c = malloc((size_t)P.m * P.ldc * sizeof(float));
            memcpy(c, P.c0, (size_t)P.m * P.ldc * sizeof(float));
            mx_sgemm(E.e[2], P.ta, P.tb, P.m, P.n, P.k, 0.0f, P.a, P.lda, P.b, P.ldb, 0.0f, c,
                     P.ldc);
            int zeros = 1;
            for (size_t i = 0; i < (size_t)P.m * P.ldc; i++) zeros &= c[i] == 0.0f;
            CU_ASSERT(zeros);
            free(c);
            free_problem(&P);
        }
    }
    mx_sgemm_select("auto");
    free_engines(&E);
}

static void test_k_zero_scales_c_by_beta_and_empty_c_is_untouched(void)
{
    float c[6] = {1, 2, 3, 4, 5, 6}, a[1] = {0}, b[1] = {0};
    mx_sgemm(NULL, 0, 0, 2, 3, 0, 1.0f, a, 1, b, 3, 2.0f, c, 3);
    CU_ASSERT(c[0] == 2 && c[5] == 12);
    mx_sgemm(NULL, 0, 0, 0, 3, 4, 1.0f, a, 4, b, 3, 0.0f, c, 3);
    mx_sgemm(NULL, 0, 0, 2, 0, 4, 1.0f, a, 4, b, 1, 0.0f, c, 1);
    CU_ASSERT(c[0] == 2 && c[5] == 12);
}

static void test_bad_leading_dimension_is_rejected_and_c_untouched(void)
{
    float a[16] = {0}, b[16] = {0}, c[16];
    for (int i = 0; i < 16; i++) c[i] = (float)i;
    mx_clear_error();
    mx_sgemm(NULL, 0, 0, 4, 4, 4, 1.0f, a, 3, b, 4, 0.0f, c, 4);
    CU_ASSERT(strstr(mx_last_error(), "leading dimension") != NULL);
    CU_ASSERT(c[5] == 5.0f);
}

static void test_same_thread_count_gives_bit_identical_results(void)
{
    engines E = make_engines();
    for (int kn = 0; kn < NKERNELS; kn++) {
        if (!use_kernel(kn)) continue;
        for (int t = 0; t < 4; t++) {
            problem P = make_problem(t & 1, t >> 1, 100, 128, 784, 0, 1.0f, 0.0f);
            size_t nc = (size_t)P.m * P.ldc * sizeof(float);
            float *first = malloc(nc), *again = malloc(nc);
            for (int e = 0; e < 3; e++) {
                mx_sgemm(E.e[e], P.ta, P.tb, P.m, P.n, P.k, 1.0f, P.a, P.lda, P.b, P.ldb, 0.0f,
                         first, P.ldc);
                for (int rep = 0; rep < 3; rep++) {
                    mx_sgemm(E.e[e], P.ta, P.tb, P.m, P.n, P.k, 1.0f, P.a, P.lda, P.b, P.ldb, 0.0f,
                             again, P.ldc);
                    CU_ASSERT(memcmp(first, again, nc) == 0);
                }
            }
            /* no engine and a 1-thread engine are the same thread count */
            mx_sgemm(E.e[0], P.ta, P.tb, P.m, P.n, P.k, 1.0f, P.a, P.lda, P.b, P.ldb, 0.0f, first,
                     P.ldc);
            mx_sgemm(E.e[1], P.ta, P.tb, P.m, P.n, P.k, 1.0f, P.a, P.lda, P.b, P.ldb, 0.0f, again,
                     P.ldc);
            CU_ASSERT(memcmp(first, again, nc) == 0);
            free(first);
            free(again);
            free_problem(&P);
        }
    }
    mx_sgemm_select("auto");
    free_engines(&E);
}

static void test_thread_count_does_not_change_c(void)
{
    /* Splits never cut k and every entry is computed the same way in any
     * tile, so 1 and 2 threads agree bit for bit too (all three nests),
     * and so does mx_sgemm_serial on its caller's scratch. */
    static const int sizes[][3] = {{100, 128, 784}, {128, 784, 100}, {203, 1900, 530}, {33, 70, 9}};
    engines E = make_engines();
    void *scratch = aligned_alloc(64, MX_ENGINE_SCRATCH_BYTES);
    for (int kn = 0; kn < NKERNELS; kn++) {
        if (!use_kernel(kn) || !strcmp(mx_sgemm_kernel_name(), "openblas")) continue;
        for (int t = 0; t < 4; t++)
            for (int z = 0; z < 4; z++) {
                problem P = make_problem(t & 1, t >> 1, sizes[z][0], sizes[z][1], sizes[z][2], 0,
                                         1.0f, 0.5f);
                size_t nc = (size_t)P.m * P.ldc * sizeof(float);
                float *one = malloc(nc), *two = malloc(nc), *ser = malloc(nc);
                memcpy(one, P.c0, nc);
                memcpy(two, P.c0, nc);
                memcpy(ser, P.c0, nc);
                mx_sgemm(E.e[1], P.ta, P.tb, P.m, P.n, P.k, P.alpha, P.a, P.lda, P.b, P.ldb, P.beta,
                         one, P.ldc);
                mx_sgemm(E.e[2], P.ta, P.tb, P.m, P.n, P.k, P.alpha, P.a, P.lda, P.b, P.ldb, P.beta,
                         two, P.ldc);
                mx_sgemm_serial(scratch, P.ta, P.tb, P.m, P.n, P.k, P.alpha, P.a, P.lda, P.b, P.ldb,
                                P.beta, ser, P.ldc);
                CU_ASSERT(memcmp(one, two, nc) == 0);
                CU_ASSERT(memcmp(one, ser, nc) == 0);
                free(one);
                free(two);
                free(ser);
                free_problem(&P);
            }
    }
    mx_sgemm_select("auto");
    free_engines(&E);
    free(scratch);
}

#if defined(__x86_64__)
#include <cpuid.h>

/* XINUSE (xgetbv with ecx = 1): which state components are not in their
 * initial configuration; bits 2 and 6: the upper halves of ymm0-15 and of
 * zmm0-15, the registers SSE instructions share. (zmm16-31, bit 7, have no
 * SSE names: glibc's AVX-512 memcpy leaves them in use on purpose.) -1
 * when the CPU cannot tell. */
static long long avx_upper_in_use(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid_count(0xD, 1, &a, &b, &c, &d) || !(a & 4)) return -1;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(1));
    return (long long)((((unsigned long long)hi << 32) | lo) & 0x44);
}
#endif

/* Every x86 kernel returns to the runtime's SSE code with the upper
 * register halves clean (vzeroupper): left dirty, each later SSE
 * instruction pays on Intel cores (the AVX2 kernel once made the MLP's
 * softmax 25 times slower). Checked on the caller's thread right after
 * mx_sgemm_serial, for every nest. */
static void test_kernels_leave_upper_state_clean(void)
{
#if defined(__x86_64__) && !defined(MX_USE_OPENBLAS)
    if (avx_upper_in_use() < 0) {
        mx_test_skip("this CPU does not report XINUSE (xgetbv 1)");
        return;
    }
    static const int sizes[][5] = {{100, 128, 784, 0, 1}, {128, 784, 100, 1, 0}, {203, 1900, 530, 0, 0},
                                   {33, 70, 9, 0, 0}, {10, 64, 100, 1, 0}};
    void *scratch = aligned_alloc(64, MX_ENGINE_SCRATCH_BYTES);
    CU_ASSERT_PTR_NOT_NULL_FATAL(scratch);
    for (int kn = 0; kn < NKERNELS; kn++) {
        if (!use_kernel(kn)) continue;
        for (int z = 0; z < 5; z++) {
            problem P = make_problem(sizes[z][3], sizes[z][4], sizes[z][0], sizes[z][1], sizes[z][2], 0, 1.0f, 0.5f);
            mx_sgemm_serial(scratch, P.ta, P.tb, P.m, P.n, P.k, P.alpha, P.a, P.lda, P.b, P.ldb, P.beta, P.c0,
                            P.ldc);
            long long dirty = avx_upper_in_use();
            if (dirty) fprintf(stderr, "\n  %s kernel, %dx%dx%d: upper state 0x%llx left in use\n",
                               mx_sgemm_kernel_name(), P.m, P.n, P.k, dirty);
            CU_ASSERT_EQUAL(dirty, 0);
            free_problem(&P);
        }
    }
    mx_sgemm_select("auto");
    free(scratch);
#else
    mx_test_skip("not an x86-64 build with mxrt's own kernels");
#endif
}

static void test_select_rejects_unknown_name_and_keeps_kernel(void)
{
    CU_ASSERT_EQUAL(mx_sgemm_select("auto"), MX_OK);
    const char *before = mx_sgemm_kernel_name();
    CU_ASSERT_EQUAL(mx_sgemm_select("bogus"), MX_EINVAL);
    CU_ASSERT(strstr(mx_last_error(), "bogus") != NULL);
    CU_ASSERT_EQUAL(mx_sgemm_select(""), MX_EINVAL);
    CU_ASSERT_STRING_EQUAL(mx_sgemm_kernel_name(), before);
}

static void test_kernel_name_is_one_of_the_known_kernels(void)
{
    const char *name = mx_sgemm_kernel_name();
    CU_ASSERT(!strcmp(name, "avx512") || !strcmp(name, "avx2") || !strcmp(name, "neon") ||
              !strcmp(name, "generic") || !strcmp(name, "openblas"));
#if defined(__aarch64__) && !defined(MX_USE_OPENBLAS)
    /* AdvSIMD is part of ARMv8-A: auto must pick it. */
    CU_ASSERT_EQUAL(mx_sgemm_select("auto"), MX_OK);
    CU_ASSERT_STRING_EQUAL(mx_sgemm_kernel_name(), "neon");
#endif
}

CU_ErrorCode mx_test_register_sgemm(void)
{
    CU_pSuite s = CU_add_suite("sgemm", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "every x86 kernel returns with the upper register halves clean (vzeroupper)",
                test_kernels_leave_upper_state_clean);
    CU_add_test(s, "every transpose, alpha and beta matches the double reference",
                test_every_transpose_alpha_beta_matches_reference);
    CU_add_test(s, "odd sizes (not multiples of the tile) match the reference",
                test_odd_sizes_not_multiples_of_the_tile_match_reference);
    CU_add_test(s, "narrow C = A·Bᵀ around the 4×4 / 4×5 dot tiles matches the reference",
                test_narrow_products_around_the_dot_tile_widths_match_reference);
    CU_add_test(s, "an entry of C has the same bits whatever the tile width",
                test_an_entry_has_the_same_bits_in_any_tile_width);
    CU_add_test(s, "shallow and few-row products (every transpose) match the reference",
                test_shallow_and_few_row_products_match_reference);
    CU_add_test(s, "MLP products on a pool give the same bits on every call",
                test_mlp_products_on_a_pool_give_the_same_bits_on_every_call);
    CU_add_test(s, "leading dimensions larger than the minimum are honoured",
                test_leading_dimensions_larger_than_minimum_are_honoured);
    CU_add_test(s, "large products through every cache block match the reference",
                test_large_products_through_every_block_match_reference);
    CU_add_test(s, "packed C = A·Bᵀ on awkward shapes (and LeNet fc1) matches the reference",
                test_packed_a_times_b_transposed_on_awkward_shapes_matches_reference);
    CU_add_test(s, "the portable transposed-B packing follows its definition",
                test_portable_pack_bt_follows_its_definition);
    CU_add_test(s, "each ISA's transposed-B packing writes the portable panel bit for bit",
                test_isa_pack_bt_writes_the_portable_panel);
    CU_add_test(s, "beta = 0 never reads C: NaN in C does not propagate",
                test_beta_zero_never_reads_c_nan_does_not_propagate);
    CU_add_test(s, "k = 0 scales C by beta; empty C is untouched",
                test_k_zero_scales_c_by_beta_and_empty_c_is_untouched);
    CU_add_test(s, "a too-small leading dimension is rejected, C untouched",
                test_bad_leading_dimension_is_rejected_and_c_untouched);
    CU_add_test(s, "same inputs and thread count give bit-identical C",
                test_same_thread_count_gives_bit_identical_results);
    CU_add_test(s, "1 and 2 threads and mx_sgemm_serial give bit-identical C",
                test_thread_count_does_not_change_c);
    CU_add_test(s, "select rejects an unknown name with MX_EINVAL, keeps the kernel",
                test_select_rejects_unknown_name_and_keeps_kernel);
    CU_add_test(s, "kernel name is one of the known kernels",
                test_kernel_name_is_one_of_the_known_kernels);
    return CU_get_error();
}
