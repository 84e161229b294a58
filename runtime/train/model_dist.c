/* model_dist.c — fit's two workers strategies (fit_strategy.h): one
 * process, and several (kvstore "dist_sync"): the collectives of
 * mx/dist.h applied to the model.
 * Gradients of one context travel in one fused buffer made before the
 * first batch (one allreduce a step, no allocation); with several
 * contexts in a process the KVStore sums them first and reduces each key.
 * Every rank then runs the same update on the same sum, so the weights
 * stay identical without being sent again.
 *
 * Stopping: a batch callback's request to stop rides in the step's
 * allreduce as one more float after the gradients (the number of ranks
 * asking). When it comes back non-zero every rank drops that step's
 * update and ends the epoch, so all ranks stop at the same step with the
 * same weights and none is left waiting in an allreduce. Several
 * contexts (one allreduce per key inside the KVStore) exchange it in one
 * extra allreduce of a single double before the pushes. */
#include <stdlib.h>
#include <string.h>

#include "runtime/ndarray/device.h"
#include "kernels/kernels.h"
#include "dist_buckets.h"
#include "fit_strategy.h"
#include "mx/dist.h"
#include "mx/log.h"

int mx_model_dist_wanted(const char *kvstore)
{
    return kvstore && !strncmp(kvstore, "dist", 4);
}

/* One GPU context: a device block the gradients are gathered into (one
 * kernel), so a step copies them down in one call and the sum back up in
 * one, instead of one call per parameter each way. */
static mx_status gpu_gather(mx_model *m, mx_exec *e)
{
    mx_ctx c = mx_exec_context(e);
    if (c.dev_type == MX_CPU || m->nctx != 1) return MX_OK;
    int np = m->nparams;
    m->dist_seg = calloc((size_t)(np ? np : 1), sizeof *m->dist_seg);
    m->dist_grad = calloc((size_t)(np ? np : 1), sizeof *m->dist_grad);
    m->dist_seg_n = calloc((size_t)(np ? np : 1), sizeof *m->dist_seg_n);
    if (!m->dist_seg || !m->dist_grad || !m->dist_seg_n) return mx_set_error(MX_ENOMEM, "fit: out of memory");
    size_t n = 0;
    for (int i = 0; i < np; i++) n += mx_nd_size(mx_exec_grad(e, m->param_arg[i]));
    if (!(m->dist_dev = mx_dev_alloc(c, (n ? n : 1) * sizeof(float)))) return MX_ENOMEM;
    m->dist_ngrad = n;
    size_t at = 0;
    for (int i = 0; i < np; i++) {
        mx_nd *g = mx_exec_grad(e, m->param_arg[i]);
        m->dist_grad[i] = mx_nd_data(g);
        m->dist_seg[i] = m->dist_dev + at;
        m->dist_seg_n[i] = mx_nd_size(g);
        at += mx_nd_size(g);
    }
    return MX_OK;
}

/* This fit's buckets (NULL: one fused allreduce), for the epoch's log line. */
static const mx_buckets *log_buckets;

static mx_status dist_setup(mx_model *m, const char *kvstore)
{
    mx_model_dist_free(m);
    if (strcmp(kvstore, "dist_sync") && strcmp(kvstore, "dist"))
        return mx_set_error(MX_ENOTSUP, "kvstore '%s': only dist_sync is supported (updates are synchronous)",
                            kvstore);
    if (!mx_dist_get())
        return mx_set_error(MX_ENOTSUP, "kvstore '%s' needs the MPI build (scons mpi=1) and an MPI launch "
                                        "(mpirun, srun)", kvstore);
    mx_exec *e = m->exec[0];
    size_t n = 0, grads;
    for (int i = 0; i < m->nparams; i++) n += mx_nd_size(mx_exec_arg(e, m->param_arg[i]));
    grads = n; /* what a step reduces; the aux states only at the epoch's end */
    for (int i = 0; i < mx_exec_num_aux(e); i++) n += mx_nd_size(mx_exec_aux(e, i));
    /* Page-locked when a GPU copies through it; one more float carries
     * each step's stop requests after the gradients. */
    m->dist_buf = mx_dev_host_alloc((n + 1) * sizeof(float));
    if (!m->dist_buf) return mx_set_error(MX_ENOMEM, "fit: out of memory for the %zu-float allreduce buffer", n);
    m->dist_n = n;
    mx_status st = gpu_gather(m, e);
    if (st != MX_OK) return st;
    const mx_dist_ops *d = mx_dist_get();
    if (m->nctx == 1 && mx_exec_context(e).dev_type == MX_CPU && m->bucket_bytes && m->nparams && d->iallreduce_f32) {
        if (!(m->buckets = mx_buckets_create(e, m->param_arg, m->nparams, m->bucket_bytes, m->dist_buf)))
            return mx_last_status();
        log_buckets = m->buckets;
    }
    if (m->buckets && mx_buckets_count(m->buckets) < 2) {
        /* One bucket starts only after backward: the blocking allreduce
         * does that cheaper (the MLP's 0.44 MB: 0.074 against 0.107 ms). */
        mx_buckets_free(m->buckets, e);
        m->buckets = NULL;
        log_buckets = NULL;
    }
    if (m->buckets) {
        mx_log_info("dist_sync over %d workers (%s): %zu floats (%.2f MB) per step in %d allreduces started during "
                    "backward (buckets of >= %zu KiB, the largest %.2f MB)",
                    d->size, d->name, grads, (double)grads * sizeof(float) / 1e6, mx_buckets_count(m->buckets),
                    m->bucket_bytes / 1024, (double)mx_buckets_largest(m->buckets) * sizeof(float) / 1e6);
        return MX_OK;
    }
    log_buckets = NULL;
    mx_log_info("dist_sync over %d workers (%s): one allreduce of %zu floats (%.2f MB) per step", d->size, d->name,
                grads, (double)grads * sizeof(float) / 1e6);
    return MX_OK;
}

void mx_model_dist_free(mx_model *m)
{
    if (log_buckets == m->buckets) log_buckets = NULL;
    mx_buckets_free(m->buckets, m->exec[0]);
    m->buckets = NULL;
    mx_dev_host_free(m->dist_buf);
    m->dist_buf = NULL;
    mx_dev_free(m->ctx[0], m->dist_dev);
    m->dist_dev = NULL;
    m->dist_ngrad = 0;
    free(m->dist_seg);
    free(m->dist_grad);
    free(m->dist_seg_n);
    m->dist_seg = m->dist_grad = NULL;
    m->dist_seg_n = NULL;
    m->dist_n = 0;
}

/* Copies arrays (on ctx) into the fused buffer (out 0) or back (out 1). */
static mx_status move(mx_model *m, mx_nd *const *arrays, int n, size_t *at, int back)
{
    for (int i = 0; i < n; i++) {
        mx_nd *a = arrays[i];
        size_t bytes = mx_nd_size(a) * sizeof(float);
        mx_status st = back ? mx_dev_copy(mx_nd_data(a), mx_nd_context(a), m->dist_buf + *at, mx_cpu(), bytes)
                            : mx_dev_copy(m->dist_buf + *at, mx_cpu(), mx_nd_data(a), mx_nd_context(a), bytes);
        if (st != MX_OK) return st;
        *at += mx_nd_size(a);
    }
    return MX_OK;
}

/* The parameters (grads 0) or their gradients (grads 1) of context k, then
 * with aux the aux states, in the fused buffer's order. */
static int gather(mx_model *m, int k, int grads, int aux, mx_nd **list, int cap)
{
    mx_exec *e = m->exec[k];
    int n = 0;
    for (int i = 0; i < m->nparams && n < cap; i++)
        list[n++] = grads ? mx_exec_grad(e, m->param_arg[i]) : mx_exec_arg(e, m->param_arg[i]);
    for (int i = 0; aux && i < mx_exec_num_aux(e) && n < cap; i++) list[n++] = mx_exec_aux(e, i);
    return n;
}

/* Runs fn over the arrays of every context: pack from context 0, reduce,
 * unpack into each. list is scratch made here: this runs at set-up and
 * once an epoch, never per step. */
static mx_status collective(mx_model *m, int aux_only, int average)
{
    int cap = m->nparams + mx_exec_num_aux(m->exec[0]) + 1;
    mx_nd **list = malloc((size_t)cap * sizeof *list);
    if (!list) return mx_set_error(MX_ENOMEM, "fit: out of memory");
    int n = gather(m, 0, 0, 1, list, cap), skip = aux_only ? m->nparams : 0;
    size_t at = 0, from;
    mx_status st = move(m, list + skip, n - skip, &at, 0);
    if (st == MX_OK) st = aux_only ? mx_dist_allreduce(m->dist_buf, at) : mx_dist_bcast(m->dist_buf, at);
    if (st == MX_OK && average) {
        float inv = 1.0f / (float)mx_dist_size();
        for (size_t i = 0; i < at; i++) m->dist_buf[i] *= inv;
    }
    for (int k = 0; k < m->nctx && st == MX_OK; k++) {
        n = gather(m, k, 0, 1, list, cap);
        from = 0;
        st = move(m, list + skip, n - skip, &from, 1);
    }
    free(list);
    return st;
}

static mx_status dist_broadcast(mx_model *m)
{
    return collective(m, 0, 0);
}

static mx_status dist_average_aux(mx_model *m)
{
    if (mx_exec_num_aux(m->exec[0]) == 0) return MX_OK;
    return collective(m, 1, 1);
}

/* The hot path of dist_sync. */
static mx_status dist_reduce_grads(mx_model *m, mx_exec *e, int *stop)
{
    /* The hot path: no list, one array at a time. A GPU's gradients come
     * down with queued copies and one wait; going back up, the copies are
     * queued before the update on the same stream. */
    if (m->buckets) return mx_buckets_finish(m->buckets, e, stop);
    mx_ctx c = mx_exec_context(e);
    const mx_kernels *k = m->dist_dev ? mx_kernels_for(c) : NULL;
    size_t at = 0;
    if (k) { /* gathered on the device (gpu_gather), then one copy down */
        k->copy_segments(NULL, m->nparams, m->dist_seg, (const float *const *)m->dist_grad, m->dist_seg_n,
                         MX_REQ_WRITE);
        at = m->dist_ngrad;
        mx_status st = mx_dev_copy_async(m->dist_buf, mx_cpu(), m->dist_dev, c, at * sizeof(float));
        if (st != MX_OK) return st;
    } else {
        for (int i = 0; i < m->nparams; i++) {
            mx_nd *g = mx_exec_grad(e, m->param_arg[i]);
            mx_status st =
                mx_dev_copy_async(m->dist_buf + at, mx_cpu(), mx_nd_data(g), c, mx_nd_size(g) * sizeof(float));
            if (st != MX_OK) return st;
            at += mx_nd_size(g);
        }
    }
    m->dist_buf[at] = *stop ? 1.0f : 0.0f;
    mx_status st = mx_dev_sync(c);
    if (st == MX_OK) st = mx_dist_allreduce(m->dist_buf, at + 1);
    if (st != MX_OK) return st;
    *stop = m->dist_buf[at] > 0.0f;
    if (*stop) return MX_OK; /* no update follows: the gradients stay where they are */
    if (k) { /* one copy up, scattered on the device */
        st = mx_dev_copy_async(m->dist_dev, c, m->dist_buf, mx_cpu(), m->dist_ngrad * sizeof(float));
        if (st == MX_OK)
            k->copy_segments(NULL, m->nparams, m->dist_grad, (const float *const *)m->dist_seg, m->dist_seg_n,
                             MX_REQ_WRITE);
        return st;
    }
    at = 0;
    for (int i = 0; i < m->nparams && st == MX_OK; i++) {
        mx_nd *g = mx_exec_grad(e, m->param_arg[i]);
        st = mx_dev_copy_async(mx_nd_data(g), c, m->dist_buf + at, mx_cpu(), mx_nd_size(g) * sizeof(float));
        at += mx_nd_size(g);
    }
    return st;
}

static mx_status dist_agree_stop(mx_model *m, int *stop)
{
    (void)m;
    double v = *stop ? 1.0 : 0.0;
    mx_status st = mx_dist_allreduce_f64(&v, 1);
    if (st == MX_OK) *stop = v > 0;
    return st;
}

static mx_status dist_epoch_end(mx_model *m, mx_metric *metric, long *samples, int *stop)
{
    (void)m;
    double v[2] = {(double)*samples, (double)*stop};
    mx_status st = mx_dist_allreduce_f64(v, 2);
    if (st == MX_OK) st = metric ? mx_dist_reduce_metric(metric) : MX_OK;
    if (st != MX_OK) return st;
    *samples = (long)v[0];
    *stop = v[1] > 0;
    return MX_OK;
}

static int dist_count(void) { return mx_dist_size(); }

/* Requests wait for the next allreduce: a worker that stopped alone would
 * leave the others waiting in it. */
static int dist_request_stop(int request, int *ask)
{
    *ask = request;
    return 0;
}

static void dist_log_epoch(long local_samples)
{
    double ar_s, ar_floats;
    long ar_calls;
    mx_dist_stats(&ar_s, &ar_calls, &ar_floats);
    mx_dist_stats_reset();
    if (log_buckets) { /* the time is what backward did not hide: the wait after it */
        mx_log_info("%18s = %.4f seconds waited after backward for %ld sums, %d a step, %d started during "
                    "backward (rank 0; %ld samples here)", "allreduce", ar_s, ar_calls, mx_buckets_count(log_buckets),
                    mx_buckets_started_early(log_buckets), local_samples);
        return;
    }
    mx_log_info("%18s = %.4f seconds in %ld calls, %.2f GB/s (rank 0; %ld samples here)", "allreduce", ar_s, ar_calls,
                ar_s > 0 ? ar_floats * 4 / ar_s / 1e9 : 0.0, local_samples);
}

const mx_fit_workers_ops mx_fit_dist_sync = {
    "dist_sync", dist_setup, dist_count, dist_broadcast, dist_request_stop, dist_reduce_grads,
    dist_agree_stop, dist_epoch_end, dist_average_aux, dist_log_epoch,
};

/* -- one process: nothing to agree on -- */

static mx_status one_setup(mx_model *m, const char *kvstore)
{
    (void)kvstore;
    mx_model_dist_free(m); /* what an earlier dist_sync fit left */
    return MX_OK;
}

static int one_count(void) { return 1; }

static mx_status one_model(mx_model *m)
{
    (void)m;
    return MX_OK;
}

static int one_request_stop(int request, int *ask)
{
    (void)ask;
    return request;
}

static mx_status one_reduce_grads(mx_model *m, mx_exec *e, int *stop)
{
    (void)m, (void)e, (void)stop;
    return MX_OK;
}

static mx_status one_agree_stop(mx_model *m, int *stop)
{
    (void)m, (void)stop;
    return MX_OK;
}

static mx_status one_epoch_end(mx_model *m, mx_metric *metric, long *samples, int *stop)
{
    (void)m, (void)metric, (void)samples, (void)stop;
    return MX_OK;
}

static void one_log_epoch(long local_samples) { (void)local_samples; }

const mx_fit_workers_ops mx_fit_one_worker = {
    "one process", one_setup, one_count, one_model, one_request_stop, one_reduce_grads,
    one_agree_stop, one_epoch_end, one_model, one_log_epoch,
};
