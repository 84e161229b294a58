/* dag.c — a dependency graph's nodes over a pool's workers (dag.h).
 *
 * Every worker takes ready nodes from a one-shot queue (a node enters it
 * once per run, when its last predecessor finishes) and runs each whole
 * on its own one-thread view of the pool (mx_engine_solo); finishing a
 * node counts down its successors' counters, and the one that reaches
 * zero queues it. A worker that finds nothing ready spins, then yields
 * (more threads than cores). */
#define _GNU_SOURCE
#include "dag.h"

#include <sched.h>

#include "cpu_relax.h"

/* Arms the counters and the queue, and queues the nodes with no predecessor. */
static void reset(mx_dag *d)
{
    int t = 0;
    for (int p = 0; p < d->n; p++) {
        atomic_store_explicit(&d->remaining[p], d->npred[p], memory_order_relaxed);
        atomic_store_explicit(&d->queue[p], -1, memory_order_relaxed);
    }
    for (int p = 0; p < d->n; p++)
        if (!d->npred[p]) atomic_store_explicit(&d->queue[t++], p, memory_order_relaxed);
    atomic_store_explicit(&d->head, 0, memory_order_relaxed);
    atomic_store_explicit(&d->tail, t, memory_order_release);
}

/* Node p is done: its successors count down; the last to reach zero is queued. */
static void finish(mx_dag *d, int p)
{
    for (int k = d->succ_at[p]; k < d->succ_at[p + 1]; k++) {
        int q = d->succ[k];
        if (atomic_fetch_sub_explicit(&d->remaining[q], 1, memory_order_acq_rel) == 1) {
            int t = atomic_fetch_add_explicit(&d->tail, 1, memory_order_relaxed);
            atomic_store_explicit(&d->queue[t], q, memory_order_release);
        }
    }
}

typedef struct run_ctx {
    mx_dag *d;
    mx_engine *eng;
} run_ctx;

static void worker(void *ctx, int tid, int nthreads)
{
    (void)nthreads;
    run_ctx *r = ctx;
    mx_dag *d = r->d;
    mx_engine *solo = mx_engine_solo(r->eng, tid);
    int spins = 0;
    for (;;) {
        int h = atomic_load_explicit(&d->head, memory_order_acquire);
        if (h >= d->n) return;
        int p = atomic_load_explicit(&d->queue[h], memory_order_acquire);
        if (p < 0) { /* nothing ready: another worker holds what comes next */
            if (++spins < 4096) cpu_relax();
            else sched_yield(), spins = 0;
            continue;
        }
        if (!atomic_compare_exchange_weak_explicit(&d->head, &h, h + 1, memory_order_acq_rel, memory_order_relaxed))
            continue;
        spins = 0;
        d->fn(d->ctx, p, solo);
        finish(d, p);
    }
}

void mx_dag_run(mx_engine *eng, mx_dag *d)
{
    reset(d);
    run_ctx r = {d, eng};
    mx_engine_run(eng, worker, &r);
}

void mx_dag_run_random(mx_engine *eng, mx_dag *d, uint64_t seed)
{
    reset(d);
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
    for (int h = 0; h < d->n; h++) {
        /* The ready nodes are queue[h .. tail): take one at random. */
        int t = atomic_load_explicit(&d->tail, memory_order_relaxed);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int pick = h + (int)(x % (uint64_t)(t - h));
        int p = atomic_load_explicit(&d->queue[pick], memory_order_relaxed);
        atomic_store_explicit(&d->queue[pick], atomic_load_explicit(&d->queue[h], memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&d->queue[h], p, memory_order_relaxed);
        d->fn(d->ctx, p, eng);
        finish(d, p);
    }
}
