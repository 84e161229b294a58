/* test_engine.c — the "engine" suite: static range splitting covers [0,n)
 * once in balanced contiguous pieces; every worker runs exactly once per
 * region over many back-to-back regions (also with more threads than
 * cores, and after the pool has gone to sleep); scratch buffers are
 * distinct, aligned and writable; a NULL engine runs inline; bad thread
 * counts fail; a statically partitioned sum is bit-identical run to run. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "mx/engine.h"
#include "mx/error.h"
#include "suites.h"

#define MAXT 8

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

static void check_split(long n, int nthreads, int *ok)
{
    long expect_begin = 0, lo = n / nthreads, hi = lo + (n % nthreads != 0);
    for (int t = 0; t < nthreads; t++) {
        long b = -1, e = -1;
        mx_split_range(n, t, nthreads, &b, &e);
        /* contiguous, in tid order, each of floor or ceil of n/nthreads */
        if (b != expect_begin || e < b || (e - b != lo && e - b != hi)) *ok = 0;
        expect_begin = e;
    }
    if (expect_begin != n) *ok = 0;
}

static void test_split_range_covers_range_once_in_balanced_pieces(void)
{
    int ok = 1;
    for (long n = 0; n <= 300; n++)
        for (int t = 1; t <= 17; t++) check_split(n, t, &ok);
    /* past int where long is 64-bit; up to LONG_MAX where it is 32-bit */
    static const long big[] = {65536, 65537, 1000003, 123456789L, LONG_MAX / 2 + 1, LONG_MAX};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
        for (int t = 1; t <= 64; t++) check_split(big[i], t, &ok);
    CU_ASSERT(ok);
}

static void test_split_range_gives_empty_ranges_when_n_below_threads(void)
{
    long b, e;
    int covered[3] = {0, 0, 0}, empty = 0;
    for (int t = 0; t < 8; t++) {
        mx_split_range(3, t, 8, &b, &e);
        CU_ASSERT(b >= 0 && e <= 3 && e - b <= 1 && e >= b);
        if (e == b) empty++;
        for (long i = b; i < e; i++) covered[i]++;
    }
    CU_ASSERT_EQUAL(empty, 5);
    CU_ASSERT(covered[0] == 1 && covered[1] == 1 && covered[2] == 1);
    mx_split_range(0, 0, 4, &b, &e);
    CU_ASSERT_EQUAL(b, e);
}

/* ---- regions ---- */

typedef struct region_ctx {
    atomic_int hits[MAXT];
    int last_region[MAXT]; /* region number each tid last ran */
    int region;
    atomic_int bad_nthreads;
    int expect_threads;
} region_ctx;

static void count_body(void *p, int tid, int nthreads)
{
    region_ctx *c = p;
    if (nthreads != c->expect_threads || tid < 0 || tid >= nthreads) {
        atomic_fetch_add(&c->bad_nthreads, 1);
        return;
    }
    atomic_fetch_add(&c->hits[tid], 1);
    c->last_region[tid] = c->region;
}

static void run_regions(int nthreads, int regions, int sleep_between)
{
    mx_engine *eng = mx_engine_create(nthreads, MX_BIND_NONE);
    CU_ASSERT_FATAL(eng != NULL);
    CU_ASSERT_EQUAL(mx_engine_threads(eng), nthreads);
    static region_ctx c;
    memset(&c, 0, sizeof c);
    c.expect_threads = nthreads;
    int stale = 0, wrong_count = 0;
    for (int r = 1; r <= regions; r++) {
        c.region = r;
        if (sleep_between) {
            struct timespec ts = {0, 20 * 1000 * 1000}; /* long enough for workers to sleep */
            nanosleep(&ts, NULL);
        }
        mx_engine_run(eng, count_body, &c);
        /* When run returns every worker has finished this region. */
        for (int t = 0; t < nthreads; t++) {
            if (c.last_region[t] != r) stale++;
            if (atomic_load(&c.hits[t]) != r) wrong_count++;
        }
    }
    CU_ASSERT_EQUAL(stale, 0);
    CU_ASSERT_EQUAL(wrong_count, 0);
    CU_ASSERT_EQUAL(atomic_load(&c.bad_nthreads), 0);
    for (int t = nthreads; t < MAXT; t++) CU_ASSERT_EQUAL(atomic_load(&c.hits[t]), 0);
    mx_engine_free(eng);
}

static void test_engine_runs_every_tid_once_per_region_1_thread(void) { run_regions(1, 10000, 0); }
static void test_engine_runs_every_tid_once_per_region_2_threads(void) { run_regions(2, 10000, 0); }
/* Oversubscribed, a region costs about a spin limit (~1 ms): fewer regions. */
static void test_engine_runs_every_tid_once_per_region_3_threads_on_2_cores(void) { run_regions(3, 2000, 0); }
static void test_engine_wakes_sleeping_workers(void) { run_regions(3, 5, 1); }

typedef struct who_ctx {
    pthread_t self[MAXT];
} who_ctx;

static void who_body(void *p, int tid, int nthreads)
{
    (void)nthreads;
    ((who_ctx *)p)->self[tid] = pthread_self();
}

static void test_engine_caller_is_worker_0_and_others_are_distinct_threads(void)
{
    mx_engine *eng = mx_engine_create(3, MX_BIND_NONE);
    CU_ASSERT_FATAL(eng != NULL);
    who_ctx w;
    memset(&w, 0, sizeof w);
    mx_engine_run(eng, who_body, &w);
    CU_ASSERT(pthread_equal(w.self[0], pthread_self()));
    CU_ASSERT(!pthread_equal(w.self[1], pthread_self()));
    CU_ASSERT(!pthread_equal(w.self[2], pthread_self()));
    CU_ASSERT(!pthread_equal(w.self[1], w.self[2]));
    mx_engine_free(eng);
}

/* ---- scratch ---- */

typedef struct scratch_ctx {
    mx_engine *eng;
    unsigned char *p[MAXT];
} scratch_ctx;

static void scratch_body(void *p, int tid, int nthreads)
{
    (void)nthreads;
    scratch_ctx *c = p;
    unsigned char *s = mx_engine_scratch(c->eng, tid);
    c->p[tid] = s;
    if (s) memset(s, 0x10 + tid, MX_ENGINE_SCRATCH_BYTES);
}

static void test_engine_scratch_is_distinct_aligned_and_writable(void)
{
    const int n = 3;
    scratch_ctx c;
    memset(&c, 0, sizeof c);
    c.eng = mx_engine_create(n, MX_BIND_NONE);
    CU_ASSERT_FATAL(c.eng != NULL);
    mx_engine_run(c.eng, scratch_body, &c);
    for (int t = 0; t < n; t++) {
        CU_ASSERT_FATAL(c.p[t] != NULL);
        CU_ASSERT((uintptr_t)c.p[t] % 64 == 0);
        CU_ASSERT_PTR_EQUAL(mx_engine_scratch(c.eng, t), c.p[t]); /* stable */
        /* Each worker's bytes survived the others' writes: no overlap. */
        CU_ASSERT(c.p[t][0] == 0x10 + t);
        CU_ASSERT(c.p[t][MX_ENGINE_SCRATCH_BYTES / 2] == 0x10 + t);
        CU_ASSERT(c.p[t][MX_ENGINE_SCRATCH_BYTES - 1] == 0x10 + t);
        for (int u = 0; u < t; u++) {
            uintptr_t a = (uintptr_t)c.p[t], b = (uintptr_t)c.p[u];
            CU_ASSERT((a > b ? a - b : b - a) >= MX_ENGINE_SCRATCH_BYTES);
        }
    }
    mx_engine_free(c.eng);
    unsigned char *inl = mx_engine_scratch(NULL, 0);
    CU_ASSERT_FATAL(inl != NULL);
    CU_ASSERT((uintptr_t)inl % 64 == 0);
    inl[0] = 1, inl[MX_ENGINE_SCRATCH_BYTES - 1] = 2;
    CU_ASSERT(inl[0] == 1 && inl[MX_ENGINE_SCRATCH_BYTES - 1] == 2);
}

/* ---- inline, creation, describe ---- */

typedef struct inline_ctx {
    int calls, tid, nthreads;
    pthread_t self;
} inline_ctx;

static void inline_body(void *p, int tid, int nthreads)
{
    inline_ctx *c = p;
    c->calls++;
    c->tid = tid;
    c->nthreads = nthreads;
    c->self = pthread_self();
}

static void test_engine_null_runs_inline_as_tid_0_of_1(void)
{
    inline_ctx c = {0, -1, -1, pthread_self()};
    mx_engine_run(NULL, inline_body, &c);
    CU_ASSERT_EQUAL(c.calls, 1);
    CU_ASSERT_EQUAL(c.tid, 0);
    CU_ASSERT_EQUAL(c.nthreads, 1);
    CU_ASSERT(pthread_equal(c.self, pthread_self()));
    CU_ASSERT_EQUAL(mx_engine_threads(NULL), 1);
}

static void test_engine_create_rejects_bad_thread_counts(void)
{
    static const int bad[] = {0, -1, -100, 1025};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mx_clear_error();
        CU_ASSERT_PTR_NULL(mx_engine_create(bad[i], MX_BIND_NONE));
        CU_ASSERT(mx_last_error()[0] != '\0');
    }
    mx_clear_error();
    CU_ASSERT_PTR_NULL(mx_engine_create(0, MX_BIND_CORE));
    CU_ASSERT(has(mx_last_error(), "0"));
}

static void test_engine_describe_is_not_empty(void)
{
    const char *d = mx_engine_describe(NULL);
    CU_ASSERT(d != NULL && d[0] != '\0');
    mx_engine *eng = mx_engine_create(2, MX_BIND_NONE);
    CU_ASSERT_FATAL(eng != NULL);
    d = mx_engine_describe(eng);
    CU_ASSERT(d != NULL && d[0] != '\0');
    CU_ASSERT(has(d, "2"));
    mx_engine_free(eng);
    eng = mx_engine_create(2, MX_BIND_CORE); /* pinning must not break creation */
    CU_ASSERT_FATAL(eng != NULL);
    CU_ASSERT(mx_engine_describe(eng)[0] != '\0');
    mx_engine_free(eng);
}

static void test_engine_set_default_replaces_and_keeps_on_failure(void)
{
    CU_ASSERT_EQUAL(mx_engine_set_default(3, MX_BIND_NONE), MX_OK);
    CU_ASSERT_EQUAL(mx_engine_threads(mx_engine_default()), 3);
    mx_engine *keep = mx_engine_default();
    CU_ASSERT_NOT_EQUAL(mx_engine_set_default(-2, MX_BIND_NONE), MX_OK);
    CU_ASSERT_PTR_EQUAL(mx_engine_default(), keep);
    CU_ASSERT_EQUAL(mx_engine_set_default(1, MX_BIND_NONE), MX_OK);
    CU_ASSERT_EQUAL(mx_engine_threads(mx_engine_default()), 1);
}

/* ---- determinism ---- */

#define SUM_N 1000003

typedef struct sum_ctx {
    const float *x;
    long n;
    float partial[MAXT];
} sum_ctx;

static void sum_body(void *p, int tid, int nthreads)
{
    sum_ctx *c = p;
    long b, e;
    mx_split_range(c->n, tid, nthreads, &b, &e);
    float s = 0.0f;
    for (long i = b; i < e; i++) s += c->x[i];
    c->partial[tid] = s;
}

static float engine_sum(mx_engine *eng, const float *x, long n)
{
    sum_ctx c;
    memset(&c, 0, sizeof c);
    c.x = x, c.n = n;
    mx_engine_run(eng, sum_body, &c);
    float s = 0.0f;
    for (int t = 0; t < mx_engine_threads(eng); t++) s += c.partial[t];
    return s;
}

static void test_engine_parallel_sum_is_bit_identical_across_runs(void)
{
    static float x[SUM_N];
    uint32_t state = 12345u;
    for (long i = 0; i < SUM_N; i++) {
        state = state * 1664525u + 1013904223u; /* LCG, values of mixed magnitude */
        x[i] = (float)(state >> 8) / 16777216.0f * ((i % 7) ? 1.0f : 1000.0f) - 0.3f;
    }
    for (int nt = 2; nt <= 3; nt++) {
        mx_engine *eng = mx_engine_create(nt, MX_BIND_NONE);
        CU_ASSERT_FATAL(eng != NULL);
        /* The same partition summed serially, in tid order. */
        float expect = 0.0f;
        for (int t = 0; t < nt; t++) {
            long base = SUM_N / nt, rem = SUM_N % nt;
            long b = t * base + (t < rem ? t : rem), e = b + base + (t < rem);
            float s = 0.0f;
            for (long i = b; i < e; i++) s += x[i];
            expect += s;
        }
        int differ = 0;
        for (int rep = 0; rep < 50; rep++) {
            float got = engine_sum(eng, x, SUM_N);
            if (memcmp(&got, &expect, sizeof got) != 0) differ++;
        }
        CU_ASSERT_EQUAL(differ, 0);
        mx_engine_free(eng);
    }
}

/* A worker's one-thread view runs regions inline, on the calling thread,
 * with that worker's scratch (the executor's dependency schedule runs a
 * whole step on one worker through it). */
static void count_tids(void *ctx, int tid, int nthreads)
{
    int *seen = ctx;
    seen[0] += 1;
    seen[1] = tid;
    seen[2] = nthreads;
}

static void test_engine_solo_views_run_inline_with_worker_scratch(void)
{
    mx_engine *eng = mx_engine_create(3, MX_BIND_NONE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(eng);
    for (int t = 0; t < 3; t++) {
        mx_engine *v = mx_engine_solo(eng, t);
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        CU_ASSERT_EQUAL(mx_engine_threads(v), 1);
        CU_ASSERT_PTR_EQUAL(mx_engine_scratch(v, 0), mx_engine_scratch(eng, t));
        int seen[3] = {0, -1, -1};
        mx_engine_run(v, count_tids, seen);
        CU_ASSERT(seen[0] == 1 && seen[1] == 0 && seen[2] == 1);
    }
    CU_ASSERT_PTR_NULL(mx_engine_solo(eng, 3));
    CU_ASSERT_PTR_NULL(mx_engine_solo(eng, -1));
    mx_engine *one = mx_engine_create(1, MX_BIND_NONE);
    CU_ASSERT_PTR_EQUAL(mx_engine_solo(one, 0), one);
    mx_engine_free(one);
    mx_engine_free(eng);
}

CU_ErrorCode mx_test_register_engine(void)
{
    CU_pSuite s = CU_add_suite("engine", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "split_range covers [0,n) once in balanced pieces",
                test_split_range_covers_range_once_in_balanced_pieces);
    CU_add_test(s, "split_range gives empty ranges when n < threads",
                test_split_range_gives_empty_ranges_when_n_below_threads);
    CU_add_test(s, "runs every tid once per region, 1 thread", test_engine_runs_every_tid_once_per_region_1_thread);
    CU_add_test(s, "runs every tid once per region, 2 threads", test_engine_runs_every_tid_once_per_region_2_threads);
    CU_add_test(s, "runs every tid once per region, 3 threads on 2 cores",
                test_engine_runs_every_tid_once_per_region_3_threads_on_2_cores);
    CU_add_test(s, "wakes sleeping workers", test_engine_wakes_sleeping_workers);
    CU_add_test(s, "caller is worker 0, others are distinct threads",
                test_engine_caller_is_worker_0_and_others_are_distinct_threads);
    CU_add_test(s, "scratch is distinct, aligned and writable", test_engine_scratch_is_distinct_aligned_and_writable);
    CU_add_test(s, "NULL engine runs inline as tid 0 of 1", test_engine_null_runs_inline_as_tid_0_of_1);
    CU_add_test(s, "create rejects bad thread counts", test_engine_create_rejects_bad_thread_counts);
    CU_add_test(s, "describe is not empty", test_engine_describe_is_not_empty);
    CU_add_test(s, "solo views run inline with their worker's scratch",
                test_engine_solo_views_run_inline_with_worker_scratch);
    CU_add_test(s, "set_default replaces, and keeps the old one on failure",
                test_engine_set_default_replaces_and_keeps_on_failure);
    CU_add_test(s, "parallel sum is bit-identical across runs", test_engine_parallel_sum_is_bit_identical_across_runs);
    return CU_get_error();
}
