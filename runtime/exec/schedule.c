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
 * At run time the pool's workers run the steps as core/dag.h runs a
 * graph: each step whole on one worker as soon as its predecessors are
 * done. Atomics only: no lock, no allocation. */
#include "schedule.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dag.h"

struct mx_sched {
    int n, nedges, backward;
    int *step;           /* [n] executor step of plan position p (sequential order) */
    int *npred;          /* [n] predecessors */
    int *succ_at, *succ; /* successors of p: succ[succ_at[p] .. succ_at[p+1]) */
    double *cost;        /* [n] seconds, from mx_sched_measure */
    double *start;       /* [n] earliest start over unlimited workers (mx_sched_measure) */
    atomic_int *remaining, *queue; /* [n] the runner's scratch */
    mx_dag dag;
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

static void run_position(void *ctx, int p, mx_engine *eng);

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
    /* Every conflicting earlier step becomes an edge: quadratic in the
     * steps, once at bind (each step's hull rejects most pairs at once). */
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
        s->dag = (mx_dag){.n = n, .npred = s->npred, .succ_at = s->succ_at, .succ = s->succ,
                          .remaining = s->remaining, .queue = s->queue, .fn = run_position, .ctx = s};
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

/* Runs plan position p, and tells the gradient hook what a backward step completed. */
static void run_position(void *ctx, int p, mx_engine *eng)
{
    mx_sched *s = ctx;
    mx_exec_run_step(s->e, eng, s->step[p], s->backward, s->is_train);
    if (s->backward) mx_exec_step_done(s->e, s->step[p]);
}

void mx_sched_run(mx_exec *e, mx_sched *s, int is_train)
{
    s->e = e;
    s->is_train = is_train;
    mx_dag_run(e->eng, &s->dag);
}

void mx_sched_run_random(mx_exec *e, mx_sched *s, int is_train, uint64_t seed)
{
    s->e = e;
    s->is_train = is_train;
    mx_dag_run_random(e->eng, &s->dag, seed);
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
    s->e = e;
    s->is_train = is_train;
    for (int p = 0; p < s->n; p++) {
        run_position(s, p, e->eng);
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
