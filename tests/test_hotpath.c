/* test_hotpath.c — the memory rule: after the first step, training steps
 * (provider next, forward, backward, update, metric) make no malloc,
 * calloc, realloc, free or aligned allocation. The wrappers below replace
 * glibc's allocator entry points in the test binary (by definition in the
 * dynamic native one, by -Wl,--wrap in the static cross ones: see
 * test_wrap.h), so calls from every library are counted, not only mxrt's. */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/dist.h"
#include "suites.h"
#include "test_dist_util.h"
#include "test_util.h"
#include "test_wrap.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HOTPATH_COUNTING 0 /* ASan and TSan own malloc; the count runs in the plain build */
#else
#define HOTPATH_COUNTING 1
#endif

#if HOTPATH_COUNTING
#ifdef MX_TEST_WRAP
#define REAL(f) __real_##f
#else
#define REAL(f) __libc_##f
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);
#endif

static atomic_int counting;
static atomic_long calls;
/* Fault injection (tests/test_faults.c): > 0 counts allocations down and
 * fails the one that reaches 0; then stays 0 (no more failures). */
static atomic_long fail_countdown;
static atomic_int fail_fired;

/* Net bytes taken while counting (usable sizes: what the block holds). */
static atomic_long net_bytes;

static void count(void)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed)) atomic_fetch_add(&calls, 1);
}

static void note(long delta)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed)) atomic_fetch_add(&net_bytes, delta);
}

/* Notes block p's usable size times sign; returns p. */
static void *bytes(void *p, long sign)
{
    if (p) note(sign * (long)malloc_usable_size(p));
    return p;
}

/* 1 if this allocation is the one to fail. */
static int inject(void)
{
    if (atomic_load_explicit(&fail_countdown, memory_order_relaxed) <= 0) return 0;
    if (atomic_fetch_sub(&fail_countdown, 1) != 1) return 0;
    atomic_store(&fail_fired, 1);
    errno = ENOMEM;
    return 1;
}

int mx_test_fail_alloc(long n)
{
    atomic_store(&fail_fired, 0);
    atomic_store(&fail_countdown, n > 0 ? n : 0);
    return 0;
}

int mx_test_alloc_failed(void) { return atomic_load(&fail_fired); }

void *MX_HOOK(malloc)(size_t n) { count(); return inject() ? NULL : bytes(REAL(malloc)(n), 1); }
void *MX_HOOK(calloc)(size_t n, size_t size) { count(); return inject() ? NULL : bytes(REAL(calloc)(n, size), 1); }
void MX_HOOK(free)(void *p) { if (p) count(); REAL(free)(bytes(p, -1)); }
void *MX_HOOK(aligned_alloc)(size_t align, size_t n) { count(); return inject() ? NULL : bytes(REAL(memalign)(align, n), 1); }
void *MX_HOOK(memalign)(size_t align, size_t n) { count(); return inject() ? NULL : bytes(REAL(memalign)(align, n), 1); }

void *MX_HOOK(realloc)(void *p, size_t n)
{
    count();
    if (inject()) return NULL;
    long old = p ? (long)malloc_usable_size(p) : 0;
    void *q = REAL(realloc)(p, n);
    if (q || !n) note(-old); /* p is gone: moved, resized in place or freed */
    return bytes(q, 1);
}

int MX_HOOK(posix_memalign)(void **out, size_t align, size_t n)
{
    count();
    if (inject()) return ENOMEM;
    void *p = bytes(REAL(memalign)(align, n), 1);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

int mx_test_count_allocs_begin(void)
{
    atomic_store(&calls, 0);
    atomic_store(&net_bytes, 0);
    atomic_store(&counting, 1);
    return 0;
}

long mx_test_count_allocs_end(void)
{
    atomic_store(&counting, 0);
    return atomic_load(&calls);
}

long mx_test_counted_bytes(void) { return atomic_load(&net_bytes); }
#else
int mx_test_fail_alloc(long n)
{
    (void)n;
    return -1;
}

int mx_test_alloc_failed(void) { return 0; }
int mx_test_count_allocs_begin(void) { return -1; }
long mx_test_count_allocs_end(void) { return -1; }
long mx_test_counted_bytes(void) { return 0; }
#endif

#if HOTPATH_COUNTING
typedef struct window {
    int start, stop; /* count from the end of batch start to the end of batch stop */
    long seen;
    int batches;
} window;

static int count_window(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)m;
    window *w = ctx;
    int epoch = info->epoch, batch = info->batch;
    if (epoch == 1 && batch == w->start) {
        atomic_store(&calls, 0);
        atomic_store(&counting, 1);
    }
    if (epoch == 1 && batch == w->stop) {
        atomic_store(&counting, 0);
        w->seen = atomic_load(&calls);
        w->batches = w->stop - w->start;
    }
    return 0;
}
#endif

#if HOTPATH_COUNTING
static void drop_line(void *ctx, const char *level, const char *line) { (void)ctx; (void)level; (void)line; }
#endif

static void test_hotpath_wrapper_counts_allocations(void)
{
#if HOTPATH_COUNTING
    atomic_store(&calls, 0);
    atomic_store(&counting, 1);
    void *p = malloc(16);
    p = realloc(p, 32);
    free(p);
    atomic_store(&counting, 0);
    CU_ASSERT_EQUAL(atomic_load(&calls), 3);
#else
    mx_test_skip("sanitizer build replaces malloc; counted in the plain build");
#endif
}

#if HOTPATH_COUNTING
/* Fits net one epoch of 60 batches on nctx CPU contexts (kvstore NULL:
 * local) and prints, then returns, the allocation calls of the 50 steps
 * after the first (-1 when the window did not close). */
/* dist_sync's bucket size in allocations_in_steps (0: fit's default). */
static size_t hot_bucket_bytes;

static long allocations_in_steps(const char *what, mx_sym *net, int flat, int threads, int nctx, const char *kvstore)
{
    char img[512], lab[512];
    mx_mnist_opts tr = mx_mnist_defaults();
    tr.image = mx_test_mnist_path("train-images-idx3-ubyte", img, sizeof img);
    tr.label = mx_test_mnist_path("train-labels-idx1-ubyte", lab, sizeof lab);
    tr.batch_size = 100;
    tr.flat = flat;
    tr.shuffle = 1;
    tr.limit = 6000;
    mx_provider *train = mx_mnist_provider(&tr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(train);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    mx_engine_set_default(threads, MX_BIND_NONE);
    mx_ctx ctx[2] = {mx_cpu(), mx_cpu()};
    mx_model *m = mx_model_create(net, ctx, nctx);
    mx_sgd_opts so = mx_sgd_defaults();
    so.lr = 0.1f;
    so.momentum = 0.9f;
    mx_optimizer *opt = mx_sgd_create(&so);
    window w = {1, 51, -1, 0};
    /* The built-in batch callbacks ride along: they must not allocate either. */
    mx_callback *cbs[] = {mx_every_n_batch(count_window, &w, 1, 0), mx_speedometer(20), mx_progress_line(stdout)};
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = 1;
    fo.callbacks = cbs;
    fo.ncallbacks = 3;
    fo.kvstore = kvstore;
    if (hot_bucket_bytes) fo.allreduce_bucket_bytes = hot_bucket_bytes;
    /* A sink, not quiet: the speedometer's lines are formatted for real. */
    mx_log_set_sink(drop_line, NULL);
    CU_ASSERT_EQUAL(mx_model_fit(m, opt, train, &fo), MX_OK);
    mx_log_set_sink(NULL, NULL);
    printf("\n  %s, %d thread(s), %d context(s)%s%s: %ld allocation calls in %d training steps after the first\n",
           what, threads, nctx, kvstore ? ", kvstore " : "", kvstore ? kvstore : "", w.seen, w.batches);
    CU_ASSERT_EQUAL(w.batches, 50);
    for (int i = 0; i < 3; i++) mx_callback_free(cbs[i]);
    mx_optimizer_free(opt);
    mx_model_free(m);
    mx_provider_free(train);
    return w.batches == 50 ? w.seen : -1;
}
#endif

static void test_hotpath_training_steps_make_no_allocation(void)
{
#if HOTPATH_COUNTING
    if (!mx_test_have_mnist("hot-path allocations")) return;
    /* MLP: 1 thread, 2 threads, two contexts (KVStore push/pull); LeNet at
     * 1 and 2 threads; a convolutional net with BatchNorm, LeakyReLU,
     * Dropout, Reshape and Concat (workspaces, aux states, the generator). */
    /* MX_TEST_QUICK (scripts/cross_test.sh, under qemu): the MLP variants
     * only; the convolutional ones take minutes each under emulation. */
    const char *quick = getenv("MX_TEST_QUICK");
    int nvariants = quick && *quick && strcmp(quick, "0") ? 3 : 6;
    if (nvariants < 6)
        mx_test_skip("LeNet and conv+BN+dropout variants (MX_TEST_QUICK: minutes each under emulation)");
    for (int variant = 0; variant < nvariants; variant++) {
        int threads = variant == 0 || variant == 3 ? 1 : 2, nctx = variant == 2 ? 2 : 1;
        int conv = variant >= 3;
        mx_sym *net = variant == 5 ? mx_test_conv_layers() : conv ? mx_test_lenet() : mx_test_mlp();
        const char *what = variant == 5 ? "conv+BN+dropout" : conv ? "LeNet" : "MLP";
        CU_ASSERT_EQUAL(allocations_in_steps(what, net, !conv, threads, nctx, NULL), 0);
        mx_sym_free(net);
    }
#else
    mx_test_skip("sanitizer build replaces malloc; counted in the plain build");
#endif
}

/* dist_sync: the fused gradient buffer (with its stop flag) and, with two
 * contexts, the KVStore's per-key allreduces and the stop exchange; and
 * the gradient buckets started during backward. */
static void test_hotpath_dist_sync_steps_make_no_allocation(void)
{
#if HOTPATH_COUNTING
    if (!mx_test_have_mnist("hot-path allocations, dist_sync")) return;
    mx_dist_ops two_ranks = dist_rank0_ops(); /* a second rank holding the same numbers (test_dist_util.c) */
    mx_dist_register(&two_ranks);
    for (int nctx = 1; nctx <= 2; nctx++) {
        mx_sym *net = mx_test_mlp();
        CU_ASSERT_EQUAL(allocations_in_steps("MLP", net, 1, nctx, nctx, "dist_sync"), 0);
        mx_sym_free(net);
    }
    /* gradient buckets whose sums start during backward (16 KiB: 3 a
     * step), on 1 and 2 threads */
    mx_dist_ops buckets = dist_rank0_bucket_ops();
    mx_dist_register(&buckets);
    hot_bucket_bytes = 16 * 1024;
    for (int threads = 1; threads <= 2; threads++) {
        mx_sym *net = mx_test_mlp();
        CU_ASSERT_EQUAL(allocations_in_steps("MLP, buckets", net, 1, threads, 1, "dist_sync"), 0);
        mx_sym_free(net);
    }
    hot_bucket_bytes = 0;
    mx_dist_register(NULL);
#else
    mx_test_skip("sanitizer build replaces malloc; counted in the plain build");
#endif
}

CU_ErrorCode mx_test_register_hotpath(void)
{
    CU_pSuite s = CU_add_suite("hotpath", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "wrapper counts allocations", test_hotpath_wrapper_counts_allocations);
    CU_add_test(s, "training steps make no allocation", test_hotpath_training_steps_make_no_allocation);
    CU_add_test(s, "dist_sync training steps make no allocation", test_hotpath_dist_sync_steps_make_no_allocation);
    return CU_get_error();
}
