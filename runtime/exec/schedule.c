/* schedule.c — a bound graph's steps run by dependency (issue #18).
 *
 * The dependencies come from memory, not from the symbol: step p waits
 * for an earlier step q when their byte ranges overlap and one of them
 * writes. That covers data flow, gradient accumulation (two steps adding
 * into one gradient keep their order, so the sum's bits do not change)
 * and the planner's reuse of a buffer (a step that writes a reused
 * buffer waits for every reader of its previous value). Any order that
 * respects these edges computes what the sequential order computes, bit
 * for bit, because each step's kernels give the same bits on any thread
 * count (the engine's static partitioning).
 *
 * At run time every worker of the pool takes ready steps from a one-shot
 * queue (each step enters it once per run) and runs each whole, on its
 * own one-thread view of the pool (mx_engine_solo); finishing a step
 * counts down its successors' counters, and the one that reaches zero
 * enters the queue. Atomics only: no lock, no allocation. */
#define _GNU_SOURCE
#include "schedule.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

struct mx_sched {
    int n, nedges, backward;
    int *step;           /* [n] executor step of plan position p (sequential order) */
    int *npred;          /* [n] predecessors */
    int *succ_at, *succ; /* successors of p: succ[succ_at[p] .. succ_at[p+1]) */
    double *cost;        /* [n] seconds, from mx_sched_measure */
    double *start;       /* [n] earliest start over unlimited workers (mx_sched_measure) */
    atomic_int *remaining;
    atomic_int *queue;   /* [n] plan positions, -1 until pushed */
    atomic_int head, tail;
    mx_exec *e;          /* the run in progress */
    int is_train;
};

/* ---- spans ---- */

static int add_span(mx_span *a, int n, const mx_tensor *t, int write)
{
    size_t bytes = mx_shape_size(&t->shape) * sizeof(float);
    if (!t->data || !bytes) return n;
    a[n].lo = (uintptr_t)t->data;
    a[n].hi = a[n].lo + bytes;
    a[n].write = write;
    return n + 1;
}

int mx_step_span_cap(const mx_step *st) { return 2 * st->nin + 2 * st->nout + st->naux + 2; }

int mx_step_spans(const mx_exec *e, const mx_step *st, int backward, mx_span *a)
{
    int n = 0;
    for (int k = 0; k < st->nin; k++) {
        n = add_span(a, n, &st->in[k], 0);
        if (backward && st->req[k] != MX_REQ_NULL) n = add_span(a, n, &st->in_grad[k], 1);
    }
    for (int k = 0; k < st->nout; k++) {
        n = add_span(a, n, &st->out[k], !backward);
        if (backward) n = add_span(a, n, &st->out_grad[k], 0);
    }
    for (int k = 0; k < st->naux; k++) n = add_span(a, n, &st->aux[k], 1);
    if (st->workspace && st->ws_bytes) {
        a[n].lo = (uintptr_t)st->workspace;
        a[n].hi = a[n].lo + st->ws_bytes;
        a[n].write = 1;
        n++;
    }
    if (st->op->graph_unsafe && st->op->graph_unsafe(st->param)) {
        a[n].lo = (uintptr_t)&e->rng;
        a[n].hi = a[n].lo + sizeof e->rng;
        a[n].write = 1;
        n++;
    }
    return n;
}

int mx_spans_conflict(const mx_span *a, int na, const mx_span *b, int nb)
{
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            if ((a[i].write || b[j].write) && a[i].lo < b[j].hi && b[j].lo < a[i].hi) return 1;
    return 0;
}

/* Like mx_spans_conflict, but a write after a read of the earlier step q
 * does not count (no_war, tests only). */
static int conflict_no_war(const mx_span *p, int np, const mx_span *q, int nq)
{
    for (int i = 0; i < np; i++)
        for (int j = 0; j < nq; j++)
            if (q[j].write && p[i].lo < q[j].hi && q[j].lo < p[i].hi) return 1;
    return 0;
}

/* ---- building ---- */

void mx_sched_free(mx_sched *s)
{
    if (!s) return;
    free(s->step);
    free(s->npred);
    free(s->succ_at);
    free(s->succ);
    free(s->cost);
    free(s->start);
    free(s->remaining);
    free(s->queue);
    free(s);
}

int mx_sched_steps(const mx_sched *s) { return s ? s->n : 0; }
int mx_sched_edges(const mx_sched *s) { return s ? s->nedges : 0; }

/* Edges found while scanning, as (from, to) pairs, grown by doubling. */
typedef struct edge_list {
    int *from, *to;
    size_t n, cap;
} edge_list;

static int edge_add(edge_list *l, int from, int to)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        int *f = realloc(l->from, cap * sizeof *f);
        if (f) l->from = f;
        int *t = f ? realloc(l->to, cap * sizeof *t) : NULL;
        if (t) l->to = t;
        if (!f || !t) return -1;
        l->cap = cap;
    }
    l->from[l->n] = from;
    l->to[l->n] = to;
    l->n++;
    return 0;
}

mx_status mx_sched_build(const mx_exec *e, int backward, int no_war, mx_sched **out)
{
    *out = NULL;
    mx_sched *s = calloc(1, sizeof *s);
    if (!s) return mx_set_error(MX_ENOMEM, "bind: out of memory (schedule)");
    s->backward = backward;
    size_t cap = 0;
    for (int i = 0; i < e->nsteps; i++) cap += (size_t)mx_step_span_cap(&e->steps[i]);
    size_t ns = e->nsteps > 0 ? (size_t)e->nsteps : 1;
    s->step = malloc(ns * sizeof *s->step);
    int *span_at = malloc((ns + 1) * sizeof *span_at);
    mx_span *spans = malloc((cap ? cap : 1) * sizeof *spans);
    uintptr_t *bound = malloc(2 * ns * sizeof *bound); /* each step's [lo, hi) hull */
    edge_list el = {0};
    mx_status st = MX_OK;
    if (!s->step || !span_at || !spans || !bound) st = mx_set_error(MX_ENOMEM, "bind: out of memory (schedule)");
    int n = 0;
    if (st == MX_OK) {
        span_at[0] = 0;
        for (int k = 0; k < e->nsteps; k++) {
            int i = backward ? e->nsteps - 1 - k : k;
            if (backward && !e->steps[i].run_bwd) continue;
            s->step[n] = i;
            int c = mx_step_spans(e, &e->steps[i], backward, spans + span_at[n]);
            span_at[n + 1] = span_at[n] + c;
            uintptr_t lo = UINTPTR_MAX, hi = 0;
            for (int j = span_at[n]; j < span_at[n + 1]; j++) {
                if (spans[j].lo < lo) lo = spans[j].lo;
                if (spans[j].hi > hi) hi = spans[j].hi;
            }
            bound[2 * n] = lo;
            bound[2 * n + 1] = hi;
            n++;
        }
    }
    s->n = n;
    /* Every conflicting earlier step becomes an edge. Quadratic, at bind:
     * the char-LSTM's ~900 backward steps take a few milliseconds. */
    for (int p = 0; p < n && st == MX_OK; p++) {
        const mx_span *a = spans + span_at[p];
        int na = span_at[p + 1] - span_at[p];
        for (int q = p - 1; q >= 0; q--) {
            if (bound[2 * q] >= bound[2 * p + 1] || bound[2 * p] >= bound[2 * q + 1]) continue;
            const mx_span *b = spans + span_at[q];
            int nb = span_at[q + 1] - span_at[q];
            int dep = no_war ? conflict_no_war(a, na, b, nb) : mx_spans_conflict(a, na, b, nb);
            if (dep && edge_add(&el, q, p) != 0) {
                st = mx_set_error(MX_ENOMEM, "bind: out of memory (schedule)");
                break;
            }
        }
    }
    if (st == MX_OK) {
        s->nedges = (int)el.n;
        s->npred = calloc(ns, sizeof *s->npred);
        s->succ_at = calloc(ns + 1, sizeof *s->succ_at);
        s->succ = malloc((el.n ? el.n : 1) * sizeof *s->succ);
        s->cost = calloc(ns, sizeof *s->cost);
        s->start = calloc(ns, sizeof *s->start);
        s->remaining = calloc(ns, sizeof *s->remaining);
        s->queue = calloc(ns, sizeof *s->queue);
        if (!s->npred || !s->succ_at || !s->succ || !s->cost || !s->start || !s->remaining || !s->queue)
            st = mx_set_error(MX_ENOMEM, "bind: out of memory (schedule)");
    }
    if (st == MX_OK) {
        for (size_t k = 0; k < el.n; k++) {
            s->npred[el.to[k]]++;
            s->succ_at[el.from[k] + 1]++;
        }
        for (int p = 0; p < n; p++) s->succ_at[p + 1] += s->succ_at[p];
        int *fill = calloc(ns, sizeof(int));
        if (!fill) st = mx_set_error(MX_ENOMEM, "bind: out of memory (schedule)");
        /* Edges were found per target in increasing target order, so each
         * step's successors come out in the sequential order. */
        for (size_t k = 0; fill && k < el.n; k++) s->succ[s->succ_at[el.from[k]] + fill[el.from[k]]++] = el.to[k];
        free(fill);
    }
    free(span_at);
    free(spans);
    free(bound);
    free(el.from);
    free(el.to);
    if (st != MX_OK) {
        mx_sched_free(s);
        return st;
    }
    *out = s;
    return MX_OK;
}

/* ---- running ---- */

/* Arms the counters and the queue, and queues the steps with no predecessor. */
static void reset(mx_sched *s)
{
    int t = 0;
    for (int p = 0; p < s->n; p++) {
        atomic_store_explicit(&s->remaining[p], s->npred[p], memory_order_relaxed);
        atomic_store_explicit(&s->queue[p], -1, memory_order_relaxed);
    }
    for (int p = 0; p < s->n; p++)
        if (!s->npred[p]) atomic_store_explicit(&s->queue[t++], p, memory_order_relaxed);
    atomic_store_explicit(&s->head, 0, memory_order_relaxed);
    atomic_store_explicit(&s->tail, t, memory_order_release);
}

/* Step p is done: its successors count down; the last to reach zero is queued. */
static void finish(mx_sched *s, int p)
{
    for (int k = s->succ_at[p]; k < s->succ_at[p + 1]; k++) {
        int q = s->succ[k];
        if (atomic_fetch_sub_explicit(&s->remaining[q], 1, memory_order_acq_rel) == 1) {
            int t = atomic_fetch_add_explicit(&s->tail, 1, memory_order_relaxed);
            atomic_store_explicit(&s->queue[t], q, memory_order_release);
        }
    }
}

static void worker(void *ctx, int tid, int nthreads)
{
    (void)nthreads;
    mx_sched *s = ctx;
    mx_exec *e = s->e;
    mx_engine *solo = mx_engine_solo(e->eng, tid);
    int spins = 0;
    for (;;) {
        int h = atomic_load_explicit(&s->head, memory_order_acquire);
        if (h >= s->n) return;
        int p = atomic_load_explicit(&s->queue[h], memory_order_acquire);
        if (p < 0) { /* nothing ready: another worker holds what comes next */
            if (++spins < 4096) cpu_relax();
            else sched_yield(), spins = 0; /* more threads than cores: let it run */
            continue;
        }
        if (!atomic_compare_exchange_weak_explicit(&s->head, &h, h + 1, memory_order_acq_rel,
                                                   memory_order_relaxed))
            continue;
        spins = 0;
        mx_exec_run_step(e, solo, s->step[p], s->backward, s->is_train);
        if (s->backward) mx_exec_step_done(e, s->step[p]);
        finish(s, p);
    }
}

void mx_sched_run(mx_exec *e, mx_sched *s, int is_train)
{
    s->e = e;
    s->is_train = is_train;
    reset(s);
    mx_engine_run(e->eng, worker, s);
}

void mx_sched_run_random(mx_exec *e, mx_sched *s, int is_train, uint64_t seed)
{
    reset(s);
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
    for (int h = 0; h < s->n; h++) {
        /* The ready steps are queue[h .. tail): take one at random. */
        int t = atomic_load_explicit(&s->tail, memory_order_relaxed);
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int pick = h + (int)(x % (uint64_t)(t - h));
        int p = atomic_load_explicit(&s->queue[pick], memory_order_relaxed);
        atomic_store_explicit(&s->queue[pick], atomic_load_explicit(&s->queue[h], memory_order_relaxed),
                              memory_order_relaxed);
        atomic_store_explicit(&s->queue[h], p, memory_order_relaxed);
        mx_exec_run_step(e, e->eng, s->step[p], s->backward, is_train);
        if (s->backward) mx_exec_step_done(e, s->step[p]);
        finish(s, p);
    }
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double mx_sched_measure(mx_exec *e, mx_sched *s, int is_train)
{
    double total = 0.0, longest = 0.0;
    double t = now_s();
    for (int p = 0; p < s->n; p++) {
        mx_exec_run_step(e, e->eng, s->step[p], s->backward, is_train);
        if (s->backward) mx_exec_step_done(e, s->step[p]);
        double u = now_s();
        s->cost[p] = u - t;
        total += u - t;
        t = u;
    }
    /* Earliest finish of each step over unlimited workers; edges go
     * forward in plan order, so one pass in that order settles them. */
    for (int p = 0; p < s->n; p++) s->start[p] = 0.0;
    for (int p = 0; p < s->n; p++) {
        double fin = s->start[p] + s->cost[p];
        if (fin > longest) longest = fin;
        for (int k = s->succ_at[p]; k < s->succ_at[p + 1]; k++)
            if (s->start[s->succ[k]] < fin) s->start[s->succ[k]] = fin;
    }
    return longest > 0.0 ? total / longest : 1.0;
}
