/* executor_graph.c — recording a GPU executor's forward or backward as one
 * CUDA graph whose independent steps sit on different lanes (streams).
 *
 * Why: the char-LSTM's step is ~3000 kernels of a few microseconds, each
 * waiting for the one before when they are queued on one stream, while
 * most of them do not depend on each other (the 32 output layers; layer 2
 * at time t beside layer 1 at t+1). Recorded on several lanes with the
 * true dependencies as edges, the graph runs them side by side.
 *
 * The dependencies are found from memory, as the CPU schedule's are
 * (schedule.h: byte ranges that overlap where one of two steps writes).
 * Per lane only the latest such q matters (a lane
 * runs in order). A step continues the lane of a dependency that is that
 * lane's last step, else takes the least recently used lane.
 *
 * Measured on an H200 (scripts/gpu_check.sh): the char-LSTM ran at 4108
 * samples/s over 8 lanes against 5439 on one — the replay pays for every
 * cross-lane edge more than the tiny kernels gain from overlapping — so
 * one lane is the default and MX_CUDA_LANES=N (up to 8) opts in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ndarray/device.h"
#include "schedule.h"

/* Lanes to use: one, or MX_CUDA_LANES=N up to the device's. */
static int lanes_for(const mx_exec *e)
{
    int lanes = mx_dev_lanes(e->ctx);
    const char *env = getenv("MX_CUDA_LANES");
    int v = env && *env ? atoi(env) : 1;
    return v >= 1 && v < lanes ? v : v >= lanes ? lanes : 1;
}

typedef struct recorder {
    int n, lanes;
    int *order, *lane, *span_at;
    mx_span *spans;
    void **ev; /* one per step, then the fork, then one join per lane */
} recorder;

static void recorder_free(recorder *r)
{
    if (r->ev) mx_dev_events_free(r->ev, r->n + 1 + r->lanes);
    free(r->order);
    free(r->lane);
    free(r->span_at);
    free(r->spans);
    free(r->ev);
}

static mx_status recorder_init(recorder *r, mx_exec *e, int backward)
{
    memset(r, 0, sizeof *r);
    r->lanes = lanes_for(e);
    if (r->lanes > 64) r->lanes = 64; /* place() keeps per-lane arrays of 64 */
    size_t cap = 0;
    for (int i = 0; i < e->nsteps; i++) {
        cap += (size_t)mx_step_span_cap(&e->steps[i]);
    }
    r->order = malloc(((size_t)e->nsteps + 1) * sizeof *r->order);
    r->lane = malloc(((size_t)e->nsteps + 1) * sizeof *r->lane);
    r->span_at = malloc(((size_t)e->nsteps + 2) * sizeof *r->span_at);
    r->spans = malloc((cap + 1) * sizeof *r->spans);
    r->ev = calloc((size_t)e->nsteps + 1 + (size_t)r->lanes, sizeof *r->ev);
    if (!r->order || !r->lane || !r->span_at || !r->spans || !r->ev) {
        free(r->ev);
        r->ev = NULL;
        return mx_set_error(MX_ENOMEM, "graph recording: out of memory");
    }
    r->span_at[0] = 0;
    for (int k = 0; k < e->nsteps; k++) {
        int i = backward ? e->nsteps - 1 - k : k;
        if (backward && !e->steps[i].run_bwd) continue;
        r->order[r->n] = i;
        r->span_at[r->n + 1] = r->span_at[r->n] + mx_step_spans(e, &e->steps[i], backward, r->spans + r->span_at[r->n]);
        r->n++;
    }
    mx_status st = mx_dev_events(e->ctx, r->n + 1 + r->lanes, r->ev);
    if (st != MX_OK) {
        free(r->ev);
        r->ev = NULL;
    }
    return st;
}

/* Chooses step p's lane and makes it wait for p's dependencies on the
 * other lanes. */
static mx_status place(recorder *r, mx_ctx ctx, int p, int *last, int *used)
{
    int dep[64], found = 0, in_use = 0;
    for (int l = 0; l < r->lanes; l++) {
        dep[l] = -1;
        in_use += used[l];
    }
    const mx_span *a = r->spans + r->span_at[p];
    int na = r->span_at[p + 1] - r->span_at[p];
    for (int q = p - 1; q >= 0 && found < in_use; q--) {
        int l = r->lane[q];
        if (dep[l] >= 0) continue;
        if (mx_spans_conflict(a, na, r->spans + r->span_at[q], r->span_at[q + 1] - r->span_at[q])) {
            dep[l] = q;
            found++;
        }
    }
    int best = -1;
    for (int l = 0; l < r->lanes; l++)
        if (dep[l] >= 0 && last[l] == dep[l] && (best < 0 || dep[l] > dep[best])) best = l;
    if (best < 0) { /* nothing to continue: the lane idle the longest, unused ones first */
        for (int l = 0; l < r->lanes; l++)
            if (best < 0 || last[l] < last[best]) best = l;
    }
    mx_status st = MX_OK;
    if (!used[best]) {
        st = mx_dev_wait(ctx, best, r->ev[r->n]); /* join the recording through the fork */
        used[best] = 1;
    }
    for (int l = 0; l < r->lanes && st == MX_OK; l++)
        if (l != best && dep[l] >= 0) st = mx_dev_wait(ctx, best, r->ev[dep[l]]);
    r->lane[p] = best;
    last[best] = p;
    return st;
}

mx_status mx_exec_record(mx_exec *e, int backward, int is_train, void **graph)
{
    *graph = NULL;
    recorder r;
    mx_status st = recorder_init(&r, e, backward);
    if (st != MX_OK) {
        recorder_free(&r);
        return st;
    }
    int last[64], used[64];
    for (int l = 0; l < r.lanes; l++) last[l] = -1, used[l] = 0;
    mx_dev_set_lane(e->ctx, 0);
    st = mx_dev_graph_begin(e->ctx);
    if (st != MX_OK) {
        recorder_free(&r);
        return st;
    }
    st = mx_dev_record(e->ctx, 0, r.ev[r.n]); /* the fork every lane starts from */
    used[0] = 1;
    for (int p = 0; p < r.n && st == MX_OK; p++) {
        st = place(&r, e->ctx, p, last, used);
        if (st != MX_OK) break;
        mx_dev_set_lane(e->ctx, r.lane[p]);
        mx_exec_run_step(e, e->eng, r.order[p], backward, is_train);
        st = mx_dev_record(e->ctx, r.lane[p], r.ev[p]);
    }
    /* Join every lane back into lane 0, where the recording ends. */
    for (int l = 1; l < r.lanes && st == MX_OK; l++)
        if (used[l]) {
            st = mx_dev_record(e->ctx, l, r.ev[r.n + 1 + l]);
            if (st == MX_OK) st = mx_dev_wait(e->ctx, 0, r.ev[r.n + 1 + l]);
        }
    mx_dev_set_lane(e->ctx, 0);
    mx_status end = mx_dev_graph_end(e->ctx, graph); /* always: the stream must leave capture mode */
    recorder_free(&r);
    if (st != MX_OK) {
        mx_dev_graph_free(*graph);
        *graph = NULL;
        return st;
    }
    return end;
}
