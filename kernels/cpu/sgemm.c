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
 * any thread count (tested); keep it so when changing the plan. That is
 * also what lets a small call choose one thread or the pool from a
 * measured dispatch cost (plan, dispatch_seen) without changing C. */
#include "sgemm.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sgemm_kernels.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#define HAVE_TICKS 1
#else
#define HAVE_TICKS 0 /* no cheap clock: the dispatch cost stays the default */
#endif

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

/* A call runs on the pool only when splitting C saves clearly more of the
 * one-thread time than going parallel costs (dispatch, wake-up, moving
 * cache lines between cores), both in block_cost units (about a cycle
 * each). A flop count cannot tell: 10×64×100 and 100×10×64 are the same
 * flops but tile and split very differently. The cost is measured (see
 * dispatch_seen) because it is not a constant: about 230 ns on the Zen 4
 * VM (60×64×10 gains 120 ns of an ideal 350), but in spells of several
 * times that two threads lose to one on the MLP's small products (a
 * quarter of 3700 blocks of 20000 calls over five minutes; the measured
 * choice was within 5% of the faster of one and two threads in 99%). */
#define PAR_MIN_SAVING 1200.0  /* never parallel below this saving */
#define PAR_MARGIN 1.5         /* the saving must beat the cost by this */
#define PAR_COST_MAX (4 * PAR_MIN_SAVING) /* one timed call counts at most this */
#define PAR_PROBE_EVERY 64     /* refused small calls run parallel anyway */
#define PAR_TIME_EVERY 8       /* parallel calls timed (rdtsc costs 10 ns) */

/* In-place (direct / dot) loop nests need both operands in L2. */
#define INPLACE_MAX_BYTES (1536L * 1024)

/* 1 if name is a kernel of some build (whether or not this one has it). */
static int known_name(const char *name)
{
    static const char *const names[] = {"avx512", "avx2", "neon", "generic"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i])) return 1;
    return 0;
}

#ifdef MX_USE_OPENBLAS
/* This build forwards every call to OpenBLAS: only "auto" is selectable. */
mx_status mx_sgemm_select(const char *name)
{
    if (!name || !*name) return mx_set_error(MX_EINVAL, "sgemm: empty kernel name");
    if (!strcmp(name, "auto")) return MX_OK;
    if (!known_name(name))
        return mx_set_error(MX_EINVAL,
                            "sgemm: unknown kernel '%s' (auto, avx512, avx2, neon or generic)", name);
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
#if defined(__aarch64__)
    if (!strcmp(name, "neon")) return 1; /* AdvSIMD is part of ARMv8-A */
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
#if defined(__aarch64__)
    return &mx_sgemm_kernel_neon;
#endif
    return &mx_sgemm_kernel_generic;
}

static const mx_sgemm_kernel *kernel_by_name(const char *name)
{
#if defined(__x86_64__)
    if (!strcmp(name, "avx512")) return &mx_sgemm_kernel_avx512;
    if (!strcmp(name, "avx2")) return &mx_sgemm_kernel_avx2;
#endif
#if defined(__aarch64__)
    if (!strcmp(name, "neon")) return &mx_sgemm_kernel_neon;
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
    if (!known_name(name))
        return mx_set_error(MX_EINVAL,
                            "sgemm: unknown kernel '%s' (auto, avx512, avx2, neon or generic)", name);
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
    int timed;      /* parallel call whose dispatch cost is measured */
    float *scratch; /* packing buffer (NULL: the worker's engine scratch) */
    double busy;    /* block_cost of worker 0's part */
    unsigned long long own_ticks; /* timed: worker 0's time in its part */
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

/* Packs op(A)[0:mc, 0:kc] into MR-row panels. A transposed: panel t holds
 * A(t·MR + i, p) at t·MR·kc + p·MR + i (the tail panel keeps the stride
 * MR). A plain: row i at i·kc, a copy of each row (kernels broadcast from
 * MR rows as in the direct nest); interleaving its rows instead cost a
 * strided scalar store per element, 8% of a 2048³ product. Either way the
 * block is contiguous: rows lda apart would share cache sets. */
static void pack_a(const job *J, const float *a, long mc, long kc, float *dst)
{
    const long mr = J->kr->mr;
    if (!J->ta) {
        for (long i = 0; i < mc; i++) memcpy(dst + i * kc, a + i * J->lda, (size_t)kc * 4);
        return;
    }
    for (long i0 = 0; i0 < mc; i0 += mr) {
        long rows = mc - i0 < mr ? mc - i0 : mr;
        float *d = dst + i0 * kc;
        for (long p = 0; p < kc; p++)
            for (long i = 0; i < rows; i++) d[p * mr + i] = a[p * J->lda + i0 + i];
    }
}

/* Packs op(B)[0:kc, 0:nc] into NR-column panels: panel t holds
 * B(p, t·NR + j) at t·NR·kc + p·NR + j; the tail panel's columns past nc
 * are zeros (kernels may then read whole rows). */
static void pack_b(const job *J, const float *b, long kc, long nc, float *dst)
{
    const long nr = J->kr->nr;
    mx_sgemm_pack_bt_fn *pack_bt = J->kr->pack_bt ? J->kr->pack_bt : mx_sgemm_pack_bt;
    for (long j0 = 0; j0 < nc; j0 += nr) {
        long cols = nc - j0 < nr ? nc - j0 : nr;
        float *d = dst + j0 * kc;
        if (J->tb) {
            pack_bt(b + j0 * J->ldb, J->ldb, kc, cols, nr, d);
            continue;
        }
        for (long p = 0; p < kc; p++) memcpy(d + p * nr, b + p * J->ldb + j0, (size_t)cols * 4);
        if (cols < nr)
            for (long p = 0; p < kc; p++) memset(d + p * nr + cols, 0, (size_t)(nr - cols) * 4);
    }
}

/* Points s at A from row ic, depth pc: packed panels, or A in place. */
static void set_a(const job *J, mx_sgemm_strip *s, const float *a, const float *ap, long ic,
                  long pc, long kc)
{
    const long mr = J->kr->mr;
    if (J->pack_a && J->ta) {
        s->a = ap;
        s->ps_a = mr * kc, s->rs_a = 1, s->cs_a = mr;
    } else if (J->pack_a) {
        s->a = ap;
        s->ps_a = mr * kc, s->rs_a = kc, s->cs_a = 1;
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
    /* Whole panels only: the last one is zero-padded to nr (NEON's 12 does
     * not divide NC) and must not run into the A block after it. */
    const long ncb = NC - NC % nr;
    float *bp = scratch, *ap = scratch + (long)KC * NC;
    for (long jc = 0; jc < n; jc += ncb) {
        long nc = n - jc < ncb ? n - jc : ncb;
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

/* This thread's rows or columns of C. */
static void sgemm_part(const job *J, int tid, int nthreads)
{
    long len = J->split_cols ? J->n : J->m, lo = 0, hi = len;
    if (nthreads > 1) { /* (the divisions cost a tiny call a few percent) */
        long u0, u1;
        mx_split_range((len + J->unit - 1) / J->unit, tid, nthreads, &u0, &u1);
        lo = u0 * J->unit, hi = u1 * J->unit < len ? u1 * J->unit : len;
        if (lo >= hi) return;
    }
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
        float *scratch = J->scratch ? J->scratch : mx_engine_scratch(J->eng, tid);
        run_packed(J, r1 - r0, c1 - c0, a, b, c, scratch);
    }
}

/* Body of the parallel region; worker 0 times its part when asked. */
static void sgemm_task(void *ctx, int tid, int nthreads)
{
#if HAVE_TICKS
    job *J = ctx;
    if (tid == 0 && J->timed) {
        unsigned long long t0 = __rdtsc();
        sgemm_part(J, tid, nthreads);
        J->own_ticks = __rdtsc() - t0; /* worker 0 is the caller: no race */
        return;
    }
#endif
    sgemm_part(ctx, tid, nthreads);
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

/* Cost of a parallel call beyond worker 0's own part, in block_cost
 * units: a running average of timed calls, starting where the margin
 * puts the threshold at PAR_MIN_SAVING. Races between callers only lose
 * an update. */
static atomic_uint dispatch_cost = (unsigned)(PAR_MIN_SAVING / PAR_MARGIN);
static atomic_uint par_calls, refused_calls;

#if HAVE_TICKS
/* Folds one timed call (total ticks from dispatch to return) into the
 * average; worker 0's ticks per unit of its part convert the excess. */
static void dispatch_seen(const job *J, unsigned long long total)
{
    if (!J->own_ticks || total <= J->own_ticks) return;
    double seen = (double)(total - J->own_ticks) * J->busy / (double)J->own_ticks;
    /* Bounded, and averaged over about eight calls: a pool gone to sleep
     * (a futex wake) or a preempted worker costs 10-1000× the usual, once;
     * it must not make small products serial. A slow spell (every call
     * costs 3-5×) moves the average within a few hundred calls. */
    if (seen > PAR_COST_MAX) seen = PAR_COST_MAX;
    double avg = atomic_load_explicit(&dispatch_cost, memory_order_relaxed);
    atomic_store_explicit(&dispatch_cost, (unsigned)(avg + 0.125 * (seen - avg)),
                          memory_order_relaxed);
}
#endif

/* Counts a call refused the pool; 1 if it is to run (and be timed) there
 * anyway: now and then one must, or a cost measured in a slow spell would
 * keep such calls serial after it ends. */
static int refusal_probes(void)
{
    unsigned seq = atomic_fetch_add_explicit(&refused_calls, 1, memory_order_relaxed);
    return HAVE_TICKS && seq % PAR_PROBE_EVERY == 0;
}

/* Picks the loop nest and how threads split C; returns the thread count
 * to run on (1 when the split would save less than going parallel costs). */
static int plan(job *J, int nthreads)
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
    J->split_cols = 1, J->unit = col_unit;
    if (nthreads == 1) return 1;
    /* The saving it takes: PAR_MARGIN times the measured cost (which is
     * at most PAR_COST_MAX, so larger savings always go parallel). */
    double need = PAR_MARGIN * atomic_load_explicit(&dispatch_cost, memory_order_relaxed);
    if (need < PAR_MIN_SAVING) need = PAR_MIN_SAVING;
    /* A split saves at most (1 − 1/nthreads) of the whole: calls that
     * cannot reach the need stop here, before the divisions below (in a
     * slow spell they cost the MLP's serial 10×64×100 2%). */
    double whole = block_cost(J, J->m, J->n), most = whole * (nthreads - 1) / nthreads;
    if (most < PAR_MIN_SAVING) return 1;
    int probe = 0;
    if (most < need && !(probe = refusal_probes())) return 1;
    double by_cols = busiest(J, 1, col_unit, nthreads), by_rows = busiest(J, 0, row_unit, nthreads);
    J->split_cols = by_cols < 0.97 * by_rows;
    J->unit = J->split_cols ? col_unit : row_unit;
    J->busy = J->split_cols ? by_cols : by_rows;
    double saving = whole - J->busy;
    if (saving < PAR_MIN_SAVING) return 1;
    if (!probe && saving < need && !(probe = refusal_probes())) return 1;
    /* One small parallel call in PAR_TIME_EVERY is timed. Large calls are
     * not: a microsecond of imbalance in a 100 µs product is no dispatch
     * cost, and counted as one it kept the MLP's 100×10×64 serial. */
    if (!probe && saving < PAR_MARGIN * PAR_COST_MAX) {
        unsigned seq = atomic_fetch_add_explicit(&par_calls, 1, memory_order_relaxed);
        probe = seq % PAR_TIME_EVERY == 0;
    }
    J->timed = HAVE_TICKS && probe;
    return nthreads;
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

/* mx_sgemm and mx_sgemm_serial: scratch NULL packs into the engine's
 * per-worker scratch, else into scratch on one thread. */
static void sgemm_call(mx_engine *eng, float *scratch, int trans_a, int trans_b, int m, int n,
                       int k, float alpha, const float *a, int lda, const float *b, int ldb,
                       float beta, float *c, int ldc)
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
    (void)scratch;
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
    /* Every field set one by one: an initialiser list would zero the
     * struct first with rep stosq, a tenth of a tiny call's time. */
    job J;
    J.kr = kernel(), J.eng = eng, J.ta = !!trans_a, J.tb = !!trans_b;
    J.m = m, J.n = n, J.k = k, J.a = a, J.b = b, J.lda = lda, J.ldb = ldb;
    J.c = c, J.ldc = ldc, J.alpha = alpha, J.beta = beta;
    J.pack_a = 0, J.timed = 0, J.own_ticks = 0, J.scratch = scratch;
    int nthreads = plan(&J, scratch ? 1 : mx_engine_threads(eng));
    if (nthreads == 1) {
        sgemm_part(&J, 0, 1); /* the caller is worker 0: its scratch */
    } else {
#if HAVE_TICKS
        unsigned long long t0 = J.timed ? __rdtsc() : 0;
#endif
        mx_engine_run(eng, sgemm_task, &J);
#if HAVE_TICKS
        if (J.timed) dispatch_seen(&J, __rdtsc() - t0);
#endif
    }
#endif
}

void mx_sgemm(mx_engine *eng, int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    sgemm_call(eng, NULL, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void mx_sgemm_serial(void *scratch, int trans_a, int trans_b, int m, int n, int k, float alpha,
                     const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc)
{
    sgemm_call(NULL, scratch, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
