/* sgemm.c — the SGEMM driver: argument checks, kernel choice, the plan
 * (which loop nest, how C is split between threads) and the packed,
 * cache-blocked path for large products.
 *
 * Three loop nests, picked per call from the shape alone:
 *  - direct: B not transposed and both operands cache-resident: strip
 *    kernels read A and B in place (no packing; the MLP's TN/NN products);
 *  - dot: C = A·Bᵀ, both operands contiguous along k and cache-resident:
 *    dot kernels read them in place (the MLP's forward products);
 *  - packed: everything else (large, TT, or no dot kernel): GotoBLAS-style
 *    blocking, B (and a large A) packed into the worker's scratch.
 * Threads split C statically into row ranges or column ranges of whole
 * vectors, never k. Every entry of C is then computed by the same
 * operations whichever thread or tile holds it, so C is bit-identical for
 * any thread count (tested); keep it so when changing the plan. */
#include "sgemm.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sgemm_kernels.h"

#ifdef MX_USE_OPENBLAS
#include <cblas.h>
#endif

/* Packed-path blocking: KC×NC of B plus MC×KC of A fill the 2 MiB scratch;
 * the A block (192 KiB) stays in L2 while B panels stream. */
#define KC 256
#define MC 192
#define NC 1792
_Static_assert((KC * NC + MC * KC) * sizeof(float) <= MX_ENGINE_SCRATCH_BYTES,
               "packing blocks must fit a worker's scratch");

/* Below this many flops (2·m·n·k) a call runs on one thread: a dispatch
 * over the pool costs about as much as the work it would split. */
#define PAR_MIN_FLOPS 60000.0

/* In-place (direct / dot) loop nests need both operands in L2. */
#define INPLACE_MAX_BYTES (1536L * 1024)

#ifdef MX_USE_OPENBLAS
/* This build forwards every call to OpenBLAS: only "auto" is selectable. */
mx_status mx_sgemm_select(const char *name)
{
    if (!name || !*name) return mx_set_error(MX_EINVAL, "sgemm: empty kernel name");
    if (!strcmp(name, "auto")) return MX_OK;
    if (strcmp(name, "avx512") && strcmp(name, "avx2") && strcmp(name, "generic"))
        return mx_set_error(MX_EINVAL,
                            "sgemm: unknown kernel '%s' (auto, avx512, avx2 or generic)", name);
    return mx_set_error(MX_ENOTSUP, "sgemm: this build forwards to OpenBLAS, no %s kernel", name);
}

const char *mx_sgemm_kernel_name(void) { return "openblas"; }

#else
/* ---------------------------------------------------------------------------
 * Kernel choice */

static _Atomic(const mx_sgemm_kernel *) active;

/* 1 if this CPU (and OS) runs the named kernel. */
static int cpu_has(const char *name)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!strcmp(name, "avx512"))
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
    if (!strcmp(name, "avx2"))
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return !strcmp(name, "generic");
}

/* The fastest kernel this CPU runs. On Zen 4 (512-bit FMAs run as two
 * 256-bit halves, so peak is the same) the AVX-512 kernel still wins on
 * every MLP shape, by 2-40% (bench_sgemm vs MX_SGEMM=avx2 bench_sgemm): 32
 * registers give a 6×64 tile and a dot kernel, masks give cheap edges. */
static const mx_sgemm_kernel *best_kernel(void)
{
#if defined(__x86_64__)
    if (cpu_has("avx512")) return &mx_sgemm_kernel_avx512;
    if (cpu_has("avx2")) return &mx_sgemm_kernel_avx2;
#endif
    return &mx_sgemm_kernel_generic;
}

static const mx_sgemm_kernel *kernel_by_name(const char *name)
{
#if defined(__x86_64__)
    if (!strcmp(name, "avx512")) return &mx_sgemm_kernel_avx512;
    if (!strcmp(name, "avx2")) return &mx_sgemm_kernel_avx2;
#endif
    if (!strcmp(name, "generic")) return &mx_sgemm_kernel_generic;
    return NULL;
}

mx_status mx_sgemm_select(const char *name)
{
    if (!name || !*name) return mx_set_error(MX_EINVAL, "sgemm: empty kernel name");
    if (!strcmp(name, "auto")) {
        atomic_store(&active, best_kernel());
        return MX_OK;
    }
    if (strcmp(name, "avx512") && strcmp(name, "avx2") && strcmp(name, "generic"))
        return mx_set_error(MX_EINVAL,
                            "sgemm: unknown kernel '%s' (auto, avx512, avx2 or generic)", name);
    if (!cpu_has(name) || !kernel_by_name(name))
        return mx_set_error(MX_ENOTSUP, "sgemm: this CPU or build lacks the %s kernel", name);
    atomic_store(&active, kernel_by_name(name));
    return MX_OK;
}

/* Resolves the kernel on first use from MX_SGEMM (default auto). A bad
 * value falls back to auto; racing first calls all store the same pointer. */
static const mx_sgemm_kernel *kernel(void)
{
    const mx_sgemm_kernel *k = atomic_load_explicit(&active, memory_order_acquire);
    if (k) return k;
    const char *env = getenv("MX_SGEMM");
    if (!env || !*env || mx_sgemm_select(env) != MX_OK) atomic_store(&active, best_kernel());
    return atomic_load(&active);
}

const char *mx_sgemm_kernel_name(void) { return kernel()->name; }

/* ---------------------------------------------------------------------------
 * The plan and its loop nests */

enum { MODE_DIRECT, MODE_DOT, MODE_PACKED };

typedef struct job {
    const mx_sgemm_kernel *kr;
    mx_engine *eng;
    int mode, ta, tb;
    long m, n, k;
    const float *a, *b;
    long lda, ldb;
    float *c;
    long ldc;
    float alpha, beta;
    int pack_a;     /* packed nest: pack A too (else read it in place) */
    int split_cols; /* threads own column ranges (else row ranges) */
    long unit;      /* split granularity: a register tile's rows or columns */
} job;

/* Direct: every NR-wide strip of the sub-block, A and B read in place. */
static void run_direct(const job *J, long m, long n, const float *a, const float *b, float *c)
{
    const long mr = J->kr->mr, nr = J->kr->nr;
    mx_sgemm_strip s = {
        .m = m, .k = J->k, .a = a, .ldb = J->ldb, .ldc = J->ldc, .alpha = J->alpha, .beta = J->beta,
    };
    if (J->ta) { s.rs_a = 1; s.cs_a = J->lda; s.ps_a = mr; }
    else { s.rs_a = J->lda; s.cs_a = 1; s.ps_a = mr * J->lda; }
    for (long j = 0; j < n; j += nr) {
        s.nr = n - j < nr ? n - j : nr;
        s.b = b + j;
        s.c = c + j;
        J->kr->strip(&s);
    }
}

/* Packs op(A)[0:mc, 0:kc] into MR-row panels: panel t holds A(t·MR + i, p)
 * at t·MR·kc + p·MR + i (the tail panel keeps the stride MR). */
static void pack_a(const job *J, const float *a, long mc, long kc, float *dst)
{
    const long mr = J->kr->mr;
    for (long i0 = 0; i0 < mc; i0 += mr) {
        long rows = mc - i0 < mr ? mc - i0 : mr;
        float *d = dst + i0 * kc;
        if (J->ta) {
            for (long p = 0; p < kc; p++)
                for (long i = 0; i < rows; i++) d[p * mr + i] = a[p * J->lda + i0 + i];
        } else {
            for (long i = 0; i < rows; i++) {
                const float *src = a + (i0 + i) * J->lda;
                for (long p = 0; p < kc; p++) d[p * mr + i] = src[p];
            }
        }
    }
}

/* Packs op(B)[0:kc, 0:nc] into NR-column panels: panel t holds
 * B(p, t·NR + j) at t·NR·kc + p·NR + j. */
static void pack_b(const job *J, const float *b, long kc, long nc, float *dst)
{
    const long nr = J->kr->nr;
    for (long j0 = 0; j0 < nc; j0 += nr) {
        long cols = nc - j0 < nr ? nc - j0 : nr;
        float *d = dst + j0 * kc;
        if (!J->tb) {
            for (long p = 0; p < kc; p++) memcpy(d + p * nr, b + p * J->ldb + j0, (size_t)cols * 4);
        } else {
            /* transpose in 16-deep slices: the slice of the panel (16·nr
             * floats) stays in L1 while each source row is read in order */
            for (long p0 = 0; p0 < kc; p0 += 16) {
                long pn = kc - p0 < 16 ? kc - p0 : 16;
                for (long j = 0; j < cols; j++) {
                    const float *src = b + (j0 + j) * J->ldb + p0;
                    for (long p = 0; p < pn; p++) d[(p0 + p) * nr + j] = src[p];
                }
            }
        }
        /* zero the tail panel's padding: kernels may then read whole rows */
        if (cols < nr)
            for (long p = 0; p < kc; p++) memset(d + p * nr + cols, 0, (size_t)(nr - cols) * 4);
    }
}

/* Points s at A from row ic, depth pc: packed panels, or A in place. */
static void set_a(const job *J, mx_sgemm_strip *s, const float *a, const float *ap, long ic,
                  long pc, long kc)
{
    const long mr = J->kr->mr;
    if (J->pack_a) {
        s->a = ap;
        s->ps_a = mr * kc, s->rs_a = 1, s->cs_a = mr;
    } else if (J->ta) {
        s->a = a + pc * J->lda + ic;
        s->ps_a = mr, s->rs_a = 1, s->cs_a = J->lda;
    } else {
        s->a = a + ic * J->lda + pc;
        s->ps_a = mr * J->lda, s->rs_a = J->lda, s->cs_a = 1;
    }
}

/* Packed: NC column blocks × KC depth blocks × MC row blocks; the first
 * depth block applies beta, later ones accumulate. B is always packed, A
 * only when large (a small A is read in place, as in the direct nest). */
static void run_packed(const job *J, long m, long n, const float *a, const float *b, float *c,
                       float *scratch)
{
    const long nr = J->kr->nr;
    float *bp = scratch, *ap = scratch + (long)KC * NC;
    for (long jc = 0; jc < n; jc += NC) {
        long nc = n - jc < NC ? n - jc : NC;
        for (long pc = 0; pc < J->k; pc += KC) {
            long kc = J->k - pc < KC ? J->k - pc : KC;
            pack_b(J, J->tb ? b + jc * J->ldb + pc : b + pc * J->ldb + jc, kc, nc, bp);
            for (long ic = 0; ic < m; ic += MC) {
                long mc = m - ic < MC ? m - ic : MC;
                if (J->pack_a)
                    pack_a(J, J->ta ? a + pc * J->lda + ic : a + ic * J->lda + pc, mc, kc, ap);
                mx_sgemm_strip s = {
                    .m = mc, .k = kc, .ldb = nr, .b_padded = 1, .ldc = J->ldc, .alpha = J->alpha,
                    .beta = pc ? 1.0f : J->beta,
                };
                set_a(J, &s, a, ap, ic, pc, kc);
                for (long j = 0; j < nc; j += nr) {
                    s.nr = nc - j < nr ? nc - j : nr;
                    s.b = bp + j * kc;
                    s.c = c + ic * J->ldc + jc + j;
                    J->kr->strip(&s);
                }
            }
        }
    }
}

/* Body of the parallel region: this thread's rows or columns of C. */
static void sgemm_task(void *ctx, int tid, int nthreads)
{
    const job *J = ctx;
    long len = J->split_cols ? J->n : J->m;
    long u0, u1;
    mx_split_range((len + J->unit - 1) / J->unit, tid, nthreads, &u0, &u1);
    long lo = u0 * J->unit, hi = u1 * J->unit < len ? u1 * J->unit : len;
    if (lo >= hi) return;
    long r0 = 0, r1 = J->m, c0 = 0, c1 = J->n;
    if (J->split_cols) { c0 = lo; c1 = hi; }
    else { r0 = lo; r1 = hi; }
    const float *a = J->a + (J->ta ? r0 : r0 * J->lda);
    const float *b = J->b + (J->tb ? c0 * J->ldb : c0);
    float *c = J->c + r0 * J->ldc + c0;
    if (J->mode == MODE_DIRECT) {
        run_direct(J, r1 - r0, c1 - c0, a, b, c);
    } else if (J->mode == MODE_DOT) {
        mx_sgemm_dot d = {r1 - r0, c1 - c0, J->k, a, J->lda, b, J->ldb, c, J->ldc,
                          J->alpha, J->beta};
        J->kr->dot(&d);
    } else {
        run_packed(J, r1 - r0, c1 - c0, a, b, c, mx_engine_scratch(J->eng, tid));
    }
}

/* Rough cycles of one thread's r×c block of C, in vector FMAs plus a fixed
 * cost per register tile (loop set-up, C load/store, reduction). */
static double block_cost(const job *J, long r, long c)
{
    const mx_sgemm_kernel *kr = J->kr;
    if (J->mode == MODE_DOT) {
        long tiles = ((r + kr->dr - 1) / kr->dr) * ((c + kr->ds - 1) / kr->ds);
        long vecs = (J->k + kr->vw - 1) / kr->vw;
        return (double)tiles * ((double)(kr->dr * kr->ds * vecs) + 60.0);
    }
    long tiles = ((r + kr->mr - 1) / kr->mr) * ((c + kr->nr - 1) / kr->nr);
    return (double)(J->k * r * ((c + kr->vw - 1) / kr->vw)) + 40.0 * (double)tiles;
}

/* Cost of the busiest thread (worker 0 gets the largest range) when len
 * is cut into units split nthreads ways. */
static double busiest(const job *J, int split_cols, long unit, int nthreads)
{
    long len = split_cols ? J->n : J->m;
    long u0, u1;
    mx_split_range((len + unit - 1) / unit, 0, nthreads, &u0, &u1);
    long part = u1 * unit < len ? u1 * unit : len;
    return split_cols ? block_cost(J, J->m, part) : block_cost(J, part, J->n);
}

/* Picks the loop nest and how threads split C. */
static void plan(job *J, int nthreads)
{
    const mx_sgemm_kernel *kr = J->kr;
    long bytes = 4 * (J->m * J->k + J->k * J->n);
    /* Row splits may cut anywhere (the kernels have edge tiles), so they
     * match the row ranges elementwise kernels give each worker; column
     * splits stay on whole vectors. */
    long row_unit = 1, col_unit = kr->vw;
    /* In place when it fits; also for a few rows, where packing B would
     * cost as much as the product (each B element is used m times). */
    if (!J->tb && (bytes <= INPLACE_MAX_BYTES || J->m <= 2 * kr->mr)) {
        J->mode = MODE_DIRECT;
    } else if (kr->dot && !J->ta && J->tb && J->k >= 32 && bytes <= INPLACE_MAX_BYTES) {
        J->mode = MODE_DOT;
        col_unit = kr->ds;
    } else {
        J->mode = MODE_PACKED;
        J->pack_a = bytes > INPLACE_MAX_BYTES;
    }
    /* Rows unless columns balance clearly better: a worker then reads and
     * writes the rows of A and C that the elementwise kernels before and
     * after it touch on that core (in a training step, moving those cache
     * lines between cores cost more than the GEMM itself on small shapes). */
    J->split_cols = nthreads == 1 ||
                    busiest(J, 1, col_unit, nthreads) < 0.97 * busiest(J, 0, row_unit, nthreads);
    J->unit = J->split_cols ? col_unit : row_unit;
}

#endif /* !MX_USE_OPENBLAS */

/* C = beta·C (beta 0 writes zeros without reading C). */
static void scale_c(long m, long n, float beta, float *c, long ldc)
{
    for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (beta == 0.0f) memset(row, 0, (size_t)n * sizeof *row);
        else
            for (long j = 0; j < n; j++) row[j] *= beta;
    }
}

void mx_sgemm(mx_engine *eng, int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    if (m < 0 || n < 0 || k < 0) {
        mx_set_error(MX_EINVAL, "sgemm: negative size m=%d n=%d k=%d", m, n, k);
        return;
    }
    int a_cols = trans_a ? m : k, b_cols = trans_b ? k : n;
    if (lda < (a_cols > 1 ? a_cols : 1) || ldb < (b_cols > 1 ? b_cols : 1) ||
        ldc < (n > 1 ? n : 1)) {
        mx_set_error(MX_EINVAL, "sgemm: leading dimension too small (lda=%d ldb=%d ldc=%d)", lda,
                     ldb, ldc);
        return;
    }
    if (m == 0 || n == 0) return;
    if (!c || (k > 0 && alpha != 0.0f && (!a || !b))) {
        mx_set_error(MX_EINVAL, "sgemm: NULL matrix");
        return;
    }
    if (k == 0 || alpha == 0.0f) {
        if (beta != 1.0f) scale_c(m, n, beta, c, ldc);
        return;
    }
#ifdef MX_USE_OPENBLAS
    (void)eng;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
    job J = {
        .kr = kernel(), .eng = eng, .ta = !!trans_a, .tb = !!trans_b, .m = m, .n = n, .k = k,
        .a = a, .b = b, .lda = lda, .ldb = ldb, .c = c, .ldc = ldc, .alpha = alpha, .beta = beta,
    };
    int nthreads = mx_engine_threads(eng);
    if (2.0 * m * n * k < PAR_MIN_FLOPS) nthreads = 1;
    plan(&J, nthreads);
    if (nthreads == 1) sgemm_task(&J, 0, 1); /* the caller is worker 0: its scratch */
    else mx_engine_run(eng, sgemm_task, &J);
#endif
}
