/* nd_queue.c — NDArray operations deferred and run by dependency.
 *
 * An NDArray call (arithmetic, copies, fills) checks its arguments and
 * makes any result array at once, then pushes the computation with the
 * byte ranges it reads and writes and returns. Whoever reads values —
 * mx_nd_data, a copy to the host, mx_nd_wait_to_read, mx_nd_wait_all, an
 * executor's forward or backward, freeing an array — runs the queue
 * first. A run orders two operations when their ranges overlap and one
 * writes (as the executor's schedule does with steps), so independent
 * ones run side by side on the pool's workers (core/dag.h) and every
 * order gives the bits of running them as they were pushed.
 *
 * The queue is a fixed array (no allocation after the first push made
 * the process-wide one); a mutex makes pushes from several threads safe.
 * A run from inside a pool's region (mx_engine_in_region) runs in push
 * order on the calling thread: a pool cannot start a region inside one. */
#include "nd_queue.h"

#ifdef MX_INFER_ONLY
/* profile=infer has no thread pool: every operation runs at its call. */
void mx_ndq_push(mx_ndq_fn fn, const void *args, size_t nbytes, const mx_ndq_range *in, int nin, mx_ndq_range out)
{
    (void)nbytes, (void)in, (void)nin, (void)out;
    fn(NULL, args);
}
void mx_ndq_flush(void) {}
int mx_ndq_pending(void) { return 0; }
void mx_ndq_set_enabled(int on) { (void)on; }
int mx_ndq_enabled(void) { return 0; }
#else

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/dag.h"

typedef struct ndq_op {
    mx_ndq_fn fn;
    mx_ndq_range in[3], out;
    int nin;
    _Alignas(16) unsigned char args[MX_NDQ_ARGS];
} ndq_op;

static ndq_op ops[MX_NDQ_CAP];
static atomic_int nops;
static int npred[MX_NDQ_CAP], succ_at[MX_NDQ_CAP + 1], succ[MX_NDQ_CAP * (MX_NDQ_CAP - 1) / 2];
static atomic_int remaining[MX_NDQ_CAP], ready[MX_NDQ_CAP];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int enabled = -1; /* -1: not read from MX_ND_ASYNC yet */

int mx_ndq_enabled(void)
{
    if (enabled < 0) {
        const char *v = getenv("MX_ND_ASYNC");
        enabled = !(v && !strcmp(v, "0"));
    }
    return enabled;
}

int mx_ndq_pending(void) { return atomic_load_explicit(&nops, memory_order_relaxed); }

static int overlap(mx_ndq_range a, mx_ndq_range b) { return a.lo < b.hi && b.lo < a.hi; }

/* q (pushed first) before p: p writes what q reads or writes, or reads what q writes. */
static int depends(const ndq_op *p, const ndq_op *q)
{
    if (overlap(p->out, q->out)) return 1;
    for (int i = 0; i < q->nin; i++)
        if (overlap(p->out, q->in[i])) return 1;
    for (int i = 0; i < p->nin; i++)
        if (overlap(p->in[i], q->out)) return 1;
    return 0;
}

static void run_op(void *ctx, int i, mx_engine *eng)
{
    (void)ctx;
    ops[i].fn(eng, ops[i].args);
}

/* Runs the n queued operations; the lock is held. */
static void run_locked(void)
{
    int n = atomic_load_explicit(&nops, memory_order_relaxed);
    if (!n) return;
    mx_engine *pool = mx_engine_default();
    if (n == 1 || !pool || mx_engine_threads(pool) < 2 || mx_engine_in_region()) {
        for (int i = 0; i < n; i++) run_op(NULL, i, NULL);
    } else {
        int edges = 0;
        for (int p = 0; p < n; p++) npred[p] = 0;
        for (int q = 0; q < n; q++) {
            succ_at[q] = edges;
            for (int p = q + 1; p < n; p++)
                if (depends(&ops[p], &ops[q])) succ[edges++] = p, npred[p]++;
        }
        succ_at[n] = edges;
        mx_dag d = {.n = n, .npred = npred, .succ_at = succ_at, .succ = succ, .remaining = remaining,
                    .queue = ready, .fn = run_op, .ctx = NULL};
        mx_dag_run(pool, &d);
    }
    atomic_store_explicit(&nops, 0, memory_order_release);
}

void mx_ndq_flush(void)
{
    if (!mx_ndq_pending()) return;
    pthread_mutex_lock(&lock);
    run_locked();
    pthread_mutex_unlock(&lock);
}

void mx_ndq_push(mx_ndq_fn fn, const void *args, size_t nbytes, const mx_ndq_range *in, int nin, mx_ndq_range out)
{
    if (!mx_ndq_enabled()) {
        mx_ndq_flush();
        fn(NULL, args);
        return;
    }
    pthread_mutex_lock(&lock);
    if (atomic_load_explicit(&nops, memory_order_relaxed) == MX_NDQ_CAP) run_locked();
    int i = atomic_load_explicit(&nops, memory_order_relaxed);
    ndq_op *op = &ops[i];
    op->fn = fn;
    op->nin = nin;
    for (int k = 0; k < nin; k++) op->in[k] = in[k];
    op->out = out;
    memcpy(op->args, args, nbytes);
    atomic_store_explicit(&nops, i + 1, memory_order_release);
    pthread_mutex_unlock(&lock);
}

void mx_ndq_set_enabled(int on)
{
    mx_ndq_flush();
    enabled = on != 0;
}

#endif /* MX_INFER_ONLY */
