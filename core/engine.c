/* engine.c — the CPU thread pool. Workers spin briefly on a generation
 * counter (regions in a training step are microseconds apart, and a
 * condition-variable wake-up would cost more than the work), then sleep
 * on a condition variable so an idle pool does not burn the cores. */
#define _GNU_SOURCE
#include "mx/engine.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_pin.h"

#include "cpu_relax.h"

/* Spin iterations before a worker sleeps: about a millisecond. */
#define SPIN_LIMIT 20000

/* Regions this thread is inside (mx_engine_in_region). */
static _Thread_local int region_depth;

typedef struct worker {
    mx_engine *eng;
    int tid;
    pthread_t thread;
    void *scratch;
} worker;

struct mx_engine {
    int nthreads;
    int started;              /* worker threads running (joined by mx_engine_free) */
    int spin_limit;           /* SPIN_LIMIT, or a token spin when oversubscribed */
    mx_bind_policy bind;
    worker *workers;          /* nthreads entries; [0] is the caller */
    mx_task_fn fn;
    void *ctx;
    atomic_ulong generation;  /* bumped once per region */
    atomic_int pending;       /* workers still running the region */
    atomic_int stop;
    atomic_int sleepers;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_cond_t done;
    mx_pin *pin;
    struct mx_engine *solo;   /* nthreads one-thread views, one per worker (mx_engine_solo) */
    worker *solo_workers;     /* their worker entries, borrowing the workers' scratch */
    char describe[256];
};

static void *scratch_alloc(void)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, MX_ENGINE_SCRATCH_BYTES) != 0) return NULL;
    memset(p, 0, MX_ENGINE_SCRATCH_BYTES); /* touch pages now, not in the hot path */
    return p;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    mx_engine *eng = w->eng;
    mx_pin_thread(eng->pin, w->tid);
    unsigned long seen = 0; /* the generation at creation: a region may start before we run */
    for (;;) {
        unsigned long gen;
        int spins = 0;
        while ((gen = atomic_load_explicit(&eng->generation, memory_order_acquire)) == seen
               && !atomic_load(&eng->stop)) {
            if (++spins < eng->spin_limit) { cpu_relax(); continue; }
            pthread_mutex_lock(&eng->mu);
            atomic_fetch_add(&eng->sleepers, 1);
            while (atomic_load(&eng->generation) == seen && !atomic_load(&eng->stop))
                pthread_cond_wait(&eng->wake, &eng->mu);
            atomic_fetch_sub(&eng->sleepers, 1);
            pthread_mutex_unlock(&eng->mu);
            spins = 0;
        }
        if (atomic_load(&eng->stop)) break;
        seen = gen;
        region_depth++;
        eng->fn(eng->ctx, w->tid, eng->nthreads);
        region_depth--;
        if (atomic_fetch_sub_explicit(&eng->pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&eng->mu);
            pthread_cond_signal(&eng->done);
            pthread_mutex_unlock(&eng->mu);
        }
    }
    return NULL;
}

/* One-thread views of the pool, one per worker: a step that a graph
 * schedule gives to one worker runs its kernels inline on that worker,
 * with that worker's scratch (no second 2 MiB each). */
static int solo_init(mx_engine *eng)
{
    int n = eng->nthreads;
    eng->solo = calloc((size_t)n, sizeof *eng->solo);
    eng->solo_workers = calloc((size_t)n, sizeof *eng->solo_workers);
    if (!eng->solo || !eng->solo_workers) return -1;
    for (int i = 0; i < n; i++) {
        mx_engine *v = &eng->solo[i];
        v->nthreads = 1;
        v->bind = eng->bind;
        v->workers = &eng->solo_workers[i];
        v->workers[0].eng = v;
        v->workers[0].scratch = eng->workers[i].scratch;
        snprintf(v->describe, sizeof v->describe, "1 thread (worker %d of a pool of %d)", i, n);
    }
    return 0;
}

mx_engine *mx_engine_create(int nthreads, mx_bind_policy bind)
{
    mx_engine_opts o = {nthreads, bind, 0, 1, 1};
    return mx_engine_create_ex(&o);
}

mx_engine *mx_engine_create_ex(const mx_engine_opts *opts)
{
    int nthreads = opts->nthreads;
    mx_bind_policy bind = opts->bind;
    if (nthreads < 1 || nthreads > 1024) {
        mx_set_error(MX_EINVAL, "engine: thread count %d out of range 1..1024", nthreads);
        return NULL;
    }
    mx_engine *eng = calloc(1, sizeof *eng);
    if (!eng) { mx_set_error(MX_ENOMEM, "engine: out of memory"); return NULL; }
    eng->nthreads = nthreads;
    eng->bind = bind;
    /* More threads than cores: a spinning waiter would hold the core the
     * awaited thread needs, so go to sleep almost at once. */
    eng->spin_limit = nthreads > mx_pin_count_cores() ? 64 : SPIN_LIMIT;
    eng->workers = calloc((size_t)nthreads, sizeof *eng->workers);
    if (!eng->workers) { free(eng); mx_set_error(MX_ENOMEM, "engine: out of memory"); return NULL; }
    pthread_mutex_init(&eng->mu, NULL);
    pthread_cond_init(&eng->wake, NULL);
    pthread_cond_init(&eng->done, NULL);
    eng->pin = mx_pin_create(nthreads, bind == MX_BIND_CORE, opts->first_core > 0 ? opts->first_core : 0,
                             opts->core_stride > 0 ? opts->core_stride : 1);
    if (opts->pin_caller) mx_pin_thread(eng->pin, 0);
    for (int i = 0; i < nthreads; i++) {
        eng->workers[i].eng = eng;
        eng->workers[i].tid = i;
        eng->workers[i].scratch = scratch_alloc();
        if (!eng->workers[i].scratch) {
            eng->nthreads = i; /* free only what exists */
            mx_engine_free(eng);
            mx_set_error(MX_ENOMEM, "engine: cannot allocate worker scratch");
            return NULL;
        }
    }
    if (solo_init(eng) != 0) {
        mx_engine_free(eng);
        mx_set_error(MX_ENOMEM, "engine: out of memory");
        return NULL;
    }
    for (int i = 1; i < nthreads; i++) {
        if (pthread_create(&eng->workers[i].thread, NULL, worker_main, &eng->workers[i]) != 0) {
            for (int j = i; j < nthreads; j++) free(eng->workers[j].scratch);
            eng->nthreads = i;
            mx_engine_free(eng);
            mx_set_error(MX_EINVAL, "engine: cannot start worker thread %d", i);
            return NULL;
        }
        eng->started = i;
    }
    snprintf(eng->describe, sizeof eng->describe, "%d thread%s, %s", nthreads,
             nthreads == 1 ? "" : "s", mx_pin_describe(eng->pin));
    return eng;
}

void mx_engine_free(mx_engine *eng)
{
    if (!eng) return;
    pthread_mutex_lock(&eng->mu);
    atomic_store(&eng->stop, 1);
    pthread_cond_broadcast(&eng->wake);
    pthread_mutex_unlock(&eng->mu);
    for (int i = 1; i <= eng->started; i++) pthread_join(eng->workers[i].thread, NULL);
    for (int i = 0; i < eng->nthreads; i++) free(eng->workers[i].scratch);
    mx_pin_free(eng->pin);
    pthread_mutex_destroy(&eng->mu);
    pthread_cond_destroy(&eng->wake);
    pthread_cond_destroy(&eng->done);
    free(eng->workers);
    free(eng->solo);
    free(eng->solo_workers);
    free(eng);
}

int mx_engine_threads(const mx_engine *eng) { return eng ? eng->nthreads : 1; }

mx_engine *mx_engine_solo(mx_engine *eng, int tid)
{
    if (!eng || tid < 0 || tid >= eng->nthreads || !eng->solo) return NULL;
    return eng->nthreads == 1 ? eng : &eng->solo[tid];
}

const char *mx_engine_describe(const mx_engine *eng)
{
    return eng ? eng->describe : "1 thread, inline";
}

int mx_engine_in_region(void) { return region_depth > 0; }

void mx_engine_run(mx_engine *eng, mx_task_fn fn, void *ctx)
{
    if (!eng || eng->nthreads == 1) {
        region_depth++;
        fn(ctx, 0, 1);
        region_depth--;
        return;
    }
    eng->fn = fn;
    eng->ctx = ctx;
    atomic_store(&eng->pending, eng->nthreads - 1);
    /* Sequentially consistent on both sides (here and the sleeper's
     * increment before its re-check), so a wake-up is never missed. */
    atomic_fetch_add(&eng->generation, 1);
    if (atomic_load(&eng->sleepers) > 0) {
        pthread_mutex_lock(&eng->mu);
        pthread_cond_broadcast(&eng->wake);
        pthread_mutex_unlock(&eng->mu);
    }
    region_depth++;
    fn(ctx, 0, eng->nthreads);
    region_depth--;
    int spins = 0;
    while (atomic_load_explicit(&eng->pending, memory_order_acquire) != 0) {
        if (++spins < eng->spin_limit) { cpu_relax(); continue; }
        pthread_mutex_lock(&eng->mu);
        while (atomic_load(&eng->pending) != 0) pthread_cond_wait(&eng->done, &eng->mu);
        pthread_mutex_unlock(&eng->mu);
    }
}

void *mx_engine_scratch(mx_engine *eng, int tid)
{
    /* Inline (engine-less) runs are single-threaded by contract. */
    static _Alignas(64) unsigned char inline_scratch[MX_ENGINE_SCRATCH_BYTES];
    if (!eng) return inline_scratch;
    return eng->workers[tid].scratch;
}

void mx_split_range(long n, int tid, int nthreads, long *begin, long *end)
{
    long base = n / nthreads, rem = n % nthreads;
    *begin = tid * base + (tid < rem ? tid : rem);
    *end = *begin + base + (tid < rem ? 1 : 0);
}

static mx_engine *default_engine;

static int parse_env_threads(int *out)
{
    const char *s = getenv("MX_NUM_THREADS");
    *out = 0;
    if (!s || !*s) return 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > 1024) {
        mx_set_error(MX_EINVAL, "MX_NUM_THREADS: bad value '%s' (expected 1..1024)", s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_env_bind(mx_bind_policy *out)
{
    const char *s = getenv("MX_BIND");
    *out = MX_BIND_CORE;
    if (!s || !*s || !strcmp(s, "core")) return 0;
    if (!strcmp(s, "none")) { *out = MX_BIND_NONE; return 0; }
    mx_set_error(MX_EINVAL, "MX_BIND: bad value '%s' (expected core or none)", s);
    return -1;
}

mx_status mx_engine_set_default(int nthreads, mx_bind_policy bind)
{
    if (nthreads == 0) nthreads = mx_pin_count_cores();
    mx_engine *eng = mx_engine_create(nthreads, bind);
    if (!eng) return MX_EINVAL;
    mx_engine_free(default_engine);
    default_engine = eng;
    return MX_OK;
}

mx_status mx_engine_set_default_ex(const mx_engine_opts *opts)
{
    mx_engine_opts o = *opts;
    if (o.nthreads == 0) o.nthreads = mx_pin_count_cores();
    mx_engine *eng = mx_engine_create_ex(&o);
    if (!eng) return MX_EINVAL;
    mx_engine_free(default_engine);
    default_engine = eng;
    return MX_OK;
}

int mx_engine_cores(void) { return mx_pin_count_cores(); }

mx_engine *mx_engine_default(void)
{
    if (default_engine) return default_engine;
    int n;
    mx_bind_policy bind;
    if (parse_env_threads(&n) || parse_env_bind(&bind)) return NULL;
    if (mx_engine_set_default(n, bind) != MX_OK) return NULL;
    return default_engine;
}
