/* fit.c — the training loop: MXNet.jl's fit with its log lines and
 * callbacks. Within an epoch nothing allocates: provider next, forward,
 * backward, update and metric work on memory planned at bind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mx/callback.h"
#include "mx/dist.h"
#include "mx/log.h"
#include "model_internal.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void log_metric(const mx_metric *metric)
{
    const char *names[MX_CB_MAX_VALUES];
    double values[MX_CB_MAX_VALUES];
    int n = mx_metric_get(metric, names, values, MX_CB_MAX_VALUES);
    for (int i = 0; i < n && i < MX_CB_MAX_VALUES; i++) mx_log_info("%18s = %.4f", names[i], values[i]);
}

/* "[CPU0, CPU1]" as MXNet.jl prints a context list. */
static const char *ctx_list(const mx_model *m, char *buf, size_t cap)
{
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (int k = 0; k < m->nctx && len < cap; k++) {
        char one[16];
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", k ? ", " : "", mx_ctx_str(m->ctx[k], one, sizeof one));
    }
    if (len < cap) snprintf(buf + len, cap - len, "]");
    return buf;
}

/* What the metric sees after each batch: label i with output i for every
 * i below min(labels, outputs), MXNet.jl's update!(metric, labels, outputs).
 * Pointers into the executor, gathered once before the loop. */
typedef struct metric_pairs {
    int n;
    const mx_nd *label[MX_IO_MAX];
    const mx_nd *pred[MX_IO_MAX];
} metric_pairs;

/* Points a batch at the single executor's input arrays. */
static mx_status batch_targets(const mx_exec *e, const mx_provider *p, mx_batch *b, metric_pairs *pairs)
{
    memset(b, 0, sizeof *b);
    pairs->n = 0;
    for (int i = 0; i < mx_provider_num_data(p); i++) {
        int a = mx_exec_arg_index(e, mx_provider_data_desc(p, i).name);
        if (a < 0) return mx_set_error(MX_EINVAL, "provider data '%s' is not an argument of the network",
                                       mx_provider_data_desc(p, i).name);
        b->data[i] = mx_nd_data(mx_exec_arg(e, a));
    }
    for (int i = 0; i < mx_provider_num_label(p); i++) {
        int a = mx_exec_arg_index(e, mx_provider_label_desc(p, i).name);
        if (a < 0) return mx_set_error(MX_EINVAL, "provider label '%s' is not an argument of the network",
                                       mx_provider_label_desc(p, i).name);
        b->label[i] = mx_nd_data(mx_exec_arg(e, a));
        if (i < mx_exec_num_outputs(e)) {
            pairs->label[i] = mx_exec_arg(e, a);
            pairs->pred[i] = mx_exec_output(e, i);
            pairs->n = i + 1;
        }
    }
    return MX_OK;
}

static mx_status evaluate(mx_model *m, mx_provider *eval, mx_metric *metric)
{
    const char *names[2 * MX_IO_MAX];
    mx_shape shapes[2 * MX_IO_MAX];
    int n = mx_model_provider_inputs(eval, names, shapes, 1);
    if (n < 0) return MX_EINVAL;
    int total = 0;
    for (int k = 0; k < m->nctx; k++) total += m->slice[k];
    for (int i = 0; i < n; i++) {
        int a = mx_exec_arg_index(m->exec[0], names[i]);
        mx_shape s = a >= 0 ? mx_nd_shape(mx_exec_arg(m->exec[0], a)) : shapes[i];
        s.dims[0] = total;
        if (a < 0 || !mx_shape_equal(&s, &shapes[i]))
            return mx_set_error(MX_EINVAL, "fit: eval_data '%s' batches differ from the training data's "
                                           "(use the same batch size)", names[i]);
    }
    mx_batch b;
    metric_pairs pairs = {.n = 0};
    mx_status st = !mx_model_staged(m) ? batch_targets(m->exec[0], eval, &b, &pairs) : mx_model_parallel_targets(m, eval, &b);
    if (st != MX_OK) return st;
    mx_metric_reset(metric);
    mx_provider_reset(eval);
    while (mx_provider_next(eval, &b) > 0) {
        if (!mx_model_staged(m)) {
            mx_exec_forward(m->exec[0], 0);
            mx_metric_update_list(metric, pairs.n, pairs.label, pairs.pred, b.count);
        } else {
            mx_status fst = mx_model_parallel_forward(m, &b);
            if (fst != MX_OK) return fst;
            mx_model_parallel_metric(m, metric, b.count);
        }
    }
    return MX_OK;
}

static int run_callbacks(const mx_fit_opts *o, int batch_kind, mx_model *m, const mx_cb_info *info)
{
    int stop = 0;
    for (int i = 0; i < o->ncallbacks; i++)
        if (o->callbacks[i] && mx_callback_is_batch(o->callbacks[i]) == batch_kind)
            stop |= mx_callback_run(o->callbacks[i], m, info);
    return stop;
}

static mx_status init_params(mx_model *m, const mx_fit_opts *o)
{
    if (m->initialized) return MX_OK;
    mx_log_info("Initializing parameters...");
    mx_initializer def = mx_init_uniform(0.01f);
    const mx_initializer *init = o->initializer ? o->initializer : &def;
    mx_exec *e = m->exec[0];
    for (int i = 0; i < m->nparams; i++) {
        mx_status st = mx_init_param(init, mx_model_param_name(m, i), mx_model_param(m, i), NULL);
        if (st != MX_OK) return st;
    }
    for (int i = 0; i < mx_exec_num_aux(e); i++) {
        mx_status st = mx_init_param(init, mx_exec_aux_name(e, i), mx_exec_aux(e, i), NULL);
        if (st != MX_OK) return st;
    }
    m->initialized = 1;
    return MX_OK;
}

/* Index of the first output of any context holding a NaN or an infinity
 * after a step, -1 if none. x − x is 0 for every finite x and NaN for
 * NaN and ±inf, so one sum per output tells; a diverged loss
 * shows up in the outputs (softmax turns any inf into NaN). The outputs
 * are batch × classes: a few thousand floats against the step's work. */
static int nonfinite_output(const mx_model *m, int *ctx)
{
    for (int c = 0; c < m->nctx; c++) {
        const mx_exec *e = m->exec[c];
        for (int o = 0; o < mx_exec_num_outputs(e); o++) {
            /* GPU outputs: their host copies, made after each forward. */
            const mx_nd *y = m->mirror ? m->mirror[c * m->n_out + o] : mx_exec_output(e, o);
            const float *d = mx_nd_data(y);
            size_t n = mx_nd_size(y);
            float acc = 0.0f;
            for (size_t i = 0; i < n; i++) acc += d[i] - d[i];
            if (acc != 0.0f) { /* (true for NaN too) */
                *ctx = c;
                return o;
            }
        }
    }
    return -1;
}

/* One single-context step: the hot path. dist_sync: *stop as for
 * mx_model_dist_reduce_grads (no update when it comes back 1). */
static mx_status single_step(mx_model *m, mx_optimizer *opt, int *stop)
{
    mx_exec *e = m->exec[0];
    mx_exec_forward(e, 1);
    mx_exec_backward(e, NULL);
    mx_status st = mx_model_dist_reduce_grads(m, e, stop); /* dist_sync: the sum over every rank */
    if (st != MX_OK || *stop) return st;
    for (int i = 0; i < m->nparams; i++)
        mx_optimizer_update(opt, mx_exec_arg(e, m->param_arg[i]), mx_exec_grad(e, m->param_arg[i]), m->state[i]);
    return MX_OK;
}

mx_status mx_model_fit(mx_model *m, mx_optimizer *opt, mx_provider *train, const mx_fit_opts *opts)
{
    mx_fit_opts o = opts ? *opts : mx_fit_defaults();
    if (!opt || !train) return mx_set_error(MX_EINVAL, "fit: optimizer and training data are required");
    if (o.n_epoch < 1) return mx_set_error(MX_EINVAL, "fit: n_epoch must be >= 1 (got %d)", o.n_epoch);
    char ctxname[256];
    mx_log_info("Start training on %s", ctx_list(m, ctxname, sizeof ctxname));
    mx_status st = mx_model_bind_training(m, train, opt);
    if (st != MX_OK) return st;
    mx_log_info("Planned %.2f MB for activations and gradients (naive %.2f MB)",
                (double)mx_exec_planned_bytes(m->exec[0]) / 1e6, (double)mx_exec_naive_bytes(m->exec[0]) / 1e6);
    if ((st = init_params(m, &o)) != MX_OK) return st;
    /* dist_sync: every rank starts from rank 0's weights (initialised, or
     * loaded from a checkpoint). */
    if ((st = mx_model_dist_setup(m, o.kvstore)) != MX_OK || (st = mx_model_dist_broadcast(m)) != MX_OK) return st;
    int batch_size = mx_provider_batch_size(train);
    /* The gradient is a sum over the batches of every rank. */
    if (mx_optimizer_rescale(opt) == 0.0f) mx_optimizer_set_rescale(opt, 1.0f / ((float)batch_size * (float)(m->dist ? mx_dist_size() : 1)));
    if (mx_model_staged(m)) {
        mx_log_info("Creating KVStore...");
        if ((st = mx_model_parallel_setup(m, train, opt, o.kvstore)) != MX_OK) return st;
    }
    if ((st = mx_model_restore_states(m)) != MX_OK) return st;
    mx_optimizer_forget(opt); /* states were (re)bound or restored: no cached GPU headers */
    int begin = m->resume_epoch;
    m->resume_epoch = 0;
    if (begin == 0) m->iter = 0;
    mx_provider_set_epoch(train, begin);
    mx_metric *own = o.eval_metric ? NULL : mx_metric_accuracy();
    mx_metric *metric = o.eval_metric ? o.eval_metric : own;
    if (!metric) return MX_ENOMEM;
    mx_batch b;
    metric_pairs pairs = {.n = 0};
    st = !mx_model_staged(m) ? batch_targets(m->exec[0], train, &b, &pairs) : mx_model_parallel_targets(m, train, &b);
    long samples_total = mx_provider_num_samples(train);
    mx_cb_info info;
    memset(&info, 0, sizeof info);
    info.n_epoch = o.n_epoch;
    info.batch_size = batch_size;
    info.workers = m->dist ? mx_dist_size() : 1;
    info.batches = (int)((samples_total + batch_size - 1) / batch_size);
    info.train = metric;
    int stop = st != MX_OK;
    if (!stop && begin == 0) stop = run_callbacks(&o, 0, m, &info); /* epoch 0: call_on_0 */
    /* dist_sync: a rank stopped before training (an epoch-0 checkpoint it
     * could not write) stops every rank, as at the end of an epoch. */
    long no_samples0 = 0;
    if (st == MX_OK && m->dist && (st = mx_model_dist_epoch_end(m, NULL, &no_samples0, &stop)) != MX_OK) stop = 1;
    for (int epoch = begin + 1; epoch <= o.n_epoch && !stop; epoch++) {
        double t0 = now_seconds();
        mx_metric_reset(metric);
        mx_provider_reset(train);
        info.epoch = epoch;
        info.batch = 0;
        info.samples = 0;
        info.epoch_seconds = 0;
        info.eval = NULL;
        stop = run_callbacks(&o, 1, m, &info);
        /* dist_sync: a batch callback's stop on one rank would leave the
         * others waiting in the next allreduce. It is asked instead (ask)
         * and travels with the next step's gradients; when any rank asked,
         * every rank drops that step's update and ends the epoch there,
         * so all stop after the same number of updates. A request after
         * the epoch's last step goes with the epoch-end reduction. */
        int ask = 0;
        if (m->dist) {
            ask = stop;
            stop = 0;
        }
        /* The hot path: nothing below allocates. */
        while (!stop && mx_provider_next(train, &b) > 0) {
            mx_opt_state os = {epoch, info.batch + 1, m->iter + 1, batch_size};
            mx_optimizer_begin_batch(opt, &os);
            st = !mx_model_staged(m) ? single_step(m, opt, &ask) : mx_model_parallel_step(m, &b, &ask);
            if (st != MX_OK) break;
            if (ask) { /* some rank asked to stop: no rank updated */
                stop = 1;
                break;
            }
            if (!mx_model_staged(m)) mx_metric_update_list(metric, pairs.n, pairs.label, pairs.pred, b.count);
            else mx_model_parallel_metric(m, metric, b.count);
            int bad_ctx = 0, bad = o.no_nan_check ? -1 : nonfinite_output(m, &bad_ctx);
            if (bad >= 0) {
                const char *names[64];
                int nout = mx_list_outputs(m->sym, names, 64);
                char where[32] = "";
                if (m->nctx > 1) snprintf(where, sizeof where, " of context %d", bad_ctx);
                st = mx_set_error(MX_EINVAL,
                                  "epoch %d, batch %d: output '%s'%s holds NaN or Inf: training diverged "
                                  "(lower the learning rate, clip gradients or check the data); stopped, the "
                                  "checkpoints of finished epochs are intact",
                                  epoch, info.batch + 1, bad < nout && bad < 64 ? names[bad] : "?", where);
                break;
            }
            m->iter++;
            info.batch++;
            info.iter = m->iter;
            info.samples += b.count;
            info.epoch_seconds = now_seconds() - t0;
            stop = run_callbacks(&o, 1, m, &info);
            if (m->dist) {
                ask = stop;
                stop = 0;
            }
        }
        if (st != MX_OK) break;
        stop |= ask;
        m->last_epoch_seconds = now_seconds() - t0;
        info.epoch_seconds = m->last_epoch_seconds;
        /* dist_sync: the figures of the whole job, the same model on every rank. */
        long local_samples = info.samples;
        if ((st = mx_model_dist_epoch_end(m, metric, &info.samples, &stop)) != MX_OK ||
            (st = mx_model_dist_average_aux(m)) != MX_OK)
            break;
        mx_log_info("== Epoch %03d/%03d ==========", epoch, o.n_epoch);
        mx_log_info("## Training summary");
        log_metric(metric);
        mx_log_info("%18s = %.4f seconds", "time", m->last_epoch_seconds);
        /* Not in MXNet.jl's summary, but what a person sizing a job looks for. */
        mx_log_info("%18s = %.1f samples/sec", "speed",
                    m->last_epoch_seconds > 0 ? (double)info.samples / m->last_epoch_seconds : 0.0);
        if (m->dist) {
            double ar_s, ar_floats;
            long ar_calls;
            mx_dist_stats(&ar_s, &ar_calls, &ar_floats);
            mx_dist_stats_reset();
            mx_log_info("%18s = %.4f seconds in %ld calls, %.2f GB/s (rank 0; %ld samples here)", "allreduce", ar_s,
                        ar_calls, ar_s > 0 ? ar_floats * 4 / ar_s / 1e9 : 0.0, local_samples);
        }
        info.n_train = mx_metric_get(metric, info.train_names, info.train_values, MX_CB_MAX_VALUES);
        if (info.n_train > MX_CB_MAX_VALUES) info.n_train = MX_CB_MAX_VALUES;
        if (o.eval_data) {
            /* The training figures are in info now: the metric is reused. */
            if ((st = evaluate(m, o.eval_data, metric)) != MX_OK) break;
            long none = 0;
            int no_stop = 0;
            if ((st = mx_model_dist_epoch_end(m, metric, &none, &no_stop)) != MX_OK) break;
            mx_log_info("## Validation summary");
            log_metric(metric);
            info.eval = metric;
        }
        m->epochs_done = epoch;
        if ((st = mx_optimizer_flush(opt)) != MX_OK) break; /* GPU states complete for checkpoints */
        info.train = NULL; /* epoch callbacks read train_names/train_values */
        stop |= run_callbacks(&o, 0, m, &info);
        info.train = metric;
        /* A rank whose callback stops (a checkpoint it could not write)
         * stops every rank: one left waiting in an allreduce would hang. */
        long no_samples = 0;
        if (m->dist && (st = mx_model_dist_epoch_end(m, NULL, &no_samples, &stop)) != MX_OK) break;
    }
    if (st == MX_OK) st = mx_optimizer_flush(opt);
    if (st == MX_OK) mx_log_info("Finish training on %s", ctxname);
    mx_metric_free(own);
    return st;
}
