/* fit.c — the training loop: MXNet.jl's fit with its log lines and
 * callbacks, as a short loop over named steps. How a batch runs on the
 * contexts and how the job's processes agree are the two strategies of
 * fit_strategy.h, picked in prepare(); the loop never branches on them.
 * Within an epoch nothing allocates: provider next, forward, backward,
 * update and metric work on memory planned at bind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fit_strategy.h"
#include "mx/callback.h"
#include "mx/log.h"

/* One call of mx_model_fit. */
typedef struct fit_run {
    mx_model *m;
    mx_optimizer *opt;
    mx_provider *train;
    mx_fit_opts o;
    const mx_fit_contexts_ops *ctxs;
    const mx_fit_workers_ops *workers;
    mx_metric *metric; /* o.eval_metric, or own */
    mx_metric *own;    /* Accuracy, when the caller gave none */
    mx_fit_feed feed;  /* the training batches */
    mx_cb_info info;   /* what callbacks see */
    int begin;         /* the last epoch already trained (a resumed checkpoint's) */
    int stop;          /* a callback (of any worker) asked to stop */
    double t0;         /* the epoch's start */
    long local_samples; /* this worker's samples in the epoch */
    char ctxname[256];
} fit_run;

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

/* The callbacks of one kind (batch 1, epoch 0), in order: 1 if any asks to stop. */
static int run_callbacks(fit_run *r, int batch_kind)
{
    int stop = 0;
    for (int i = 0; i < r->o.ncallbacks; i++)
        if (r->o.callbacks[i] && mx_callback_is_batch(r->o.callbacks[i]) == batch_kind)
            stop |= mx_callback_run(r->o.callbacks[i], r->m, &r->info);
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

/* The error for a step whose outputs diverged, naming the output. */
static mx_status diverged(const fit_run *r, int epoch, int out, int ctx)
{
    const char *names[64];
    int nout = mx_list_outputs(r->m->sym, names, 64);
    char where[32] = "";
    if (r->m->nctx > 1) snprintf(where, sizeof where, " of context %d", ctx);
    return mx_set_error(MX_EINVAL,
                        "epoch %d, batch %d: output '%s'%s holds NaN or Inf: training diverged "
                        "(lower the learning rate, clip gradients or check the data); stopped, the "
                        "checkpoints of finished epochs are intact",
                        epoch, r->info.batch + 1, out < nout && out < 64 ? names[out] : "?", where);
}

/* Binds, initialises (or takes the loaded parameters), picks the two
 * strategies and sets them up, restores a resumed optimizer's states and
 * points the training batches at their place. */
static mx_status prepare(fit_run *r, mx_model *m, mx_optimizer *opt, mx_provider *train, const mx_fit_opts *opts)
{
    memset(r, 0, sizeof *r);
    r->m = m;
    r->opt = opt;
    r->train = train;
    r->o = opts ? *opts : mx_fit_defaults();
    if (!opt || !train) return mx_set_error(MX_EINVAL, "fit: optimizer and training data are required");
    if (r->o.n_epoch < 1) return mx_set_error(MX_EINVAL, "fit: n_epoch must be >= 1 (got %d)", r->o.n_epoch);
    mx_log_info("Start training on %s", ctx_list(m, r->ctxname, sizeof r->ctxname));
    mx_status st = mx_model_bind_training(m, train, opt);
    if (st != MX_OK) return st;
    mx_log_info("Planned %.2f MB for activations and gradients (naive %.2f MB)",
                (double)mx_exec_planned_bytes(m->exec[0]) / 1e6, (double)mx_exec_naive_bytes(m->exec[0]) / 1e6);
    if ((st = init_params(m, &r->o)) != MX_OK) return st;
    r->ctxs = mx_model_staged(m) ? &mx_fit_contexts : &mx_fit_one_context;
    r->workers = mx_model_dist_wanted(r->o.kvstore) ? &mx_fit_dist_sync : &mx_fit_one_worker;
    m->workers = r->workers;
    m->bucket_bytes = r->o.allreduce_bucket_bytes;
    /* Every worker starts from rank 0's weights (initialised, or loaded from a checkpoint). */
    if ((st = r->workers->setup(m, r->o.kvstore)) != MX_OK || (st = r->workers->broadcast(m)) != MX_OK) return st;
    int batch_size = mx_provider_batch_size(train);
    /* The gradient is a sum over the batches of every worker. */
    if (mx_optimizer_rescale(opt) == 0.0f)
        mx_optimizer_set_rescale(opt, 1.0f / ((float)batch_size * (float)r->workers->count()));
    if ((st = r->ctxs->setup(m, train, opt, r->o.kvstore)) != MX_OK) return st;
    if ((st = mx_model_restore_states(m)) != MX_OK) return st;
    mx_optimizer_forget(opt); /* states were (re)bound or restored: no cached GPU headers */
    r->begin = m->resume_epoch;
    m->resume_epoch = 0;
    if (r->begin == 0) m->iter = 0;
    mx_provider_set_epoch(train, r->begin);
    r->own = r->o.eval_metric ? NULL : mx_metric_accuracy();
    r->metric = r->o.eval_metric ? r->o.eval_metric : r->own;
    if (!r->metric) return MX_ENOMEM;
    long samples_total = mx_provider_num_samples(train);
    r->info.n_epoch = r->o.n_epoch;
    r->info.batch_size = batch_size;
    r->info.workers = r->workers->count();
    r->info.batches = (int)((samples_total + batch_size - 1) / batch_size);
    r->info.train = r->metric;
    return r->ctxs->feed(m, train, &r->feed);
}

/* Epoch 0's callbacks (call_on_0) on a fresh start. A worker that stops
 * here (an epoch-0 checkpoint it could not write) stops every worker. */
static mx_status start(fit_run *r)
{
    if (r->begin == 0) r->stop = run_callbacks(r, 0);
    long none = 0;
    mx_status st = r->workers->epoch_end(r->m, NULL, &none, &r->stop);
    if (st != MX_OK) r->stop = 1;
    return st;
}

/* The batches of one epoch: the hot path, nothing allocates. A batch
 * callback's stop request ends the epoch after the step that follows it
 * on every worker (workers->request_stop). */
static mx_status train_epoch(fit_run *r, int epoch)
{
    mx_model *m = r->m;
    r->t0 = now_seconds();
    mx_metric_reset(r->metric);
    mx_provider_reset(r->train);
    r->info.epoch = epoch;
    r->info.batch = 0;
    r->info.samples = 0;
    r->info.epoch_seconds = 0;
    r->info.eval = NULL;
    int ask = 0;
    r->stop = r->workers->request_stop(run_callbacks(r, 1), &ask);
    mx_status st = MX_OK;
    while (!r->stop && mx_provider_next(r->train, &r->feed.batch) > 0) {
        mx_opt_state os = {epoch, r->info.batch + 1, m->iter + 1, r->info.batch_size};
        mx_optimizer_begin_batch(r->opt, &os);
        if ((st = r->ctxs->step(m, r->opt, &ask)) != MX_OK) return st;
        if (ask) { /* some worker asked to stop: none updated */
            r->stop = 1;
            break;
        }
        r->ctxs->metric(m, &r->feed, r->metric, r->feed.batch.count);
        int bad_ctx = 0, bad = r->o.no_nan_check ? -1 : nonfinite_output(m, &bad_ctx);
        if (bad >= 0) return diverged(r, epoch, bad, bad_ctx);
        m->iter++;
        r->info.batch++;
        r->info.iter = m->iter;
        r->info.samples += r->feed.batch.count;
        r->info.epoch_seconds = now_seconds() - r->t0;
        r->stop = r->workers->request_stop(run_callbacks(r, 1), &ask);
    }
    r->stop |= ask; /* asked after the epoch's last step: it goes with the epoch's end */
    return st;
}

/* The job's figures for the epoch (every worker's), the aux states
 * averaged, and MXNet.jl's training summary. */
static mx_status summarize(fit_run *r)
{
    mx_model *m = r->m;
    m->last_epoch_seconds = now_seconds() - r->t0;
    r->info.epoch_seconds = m->last_epoch_seconds;
    long local_samples = r->info.samples;
    mx_status st = r->workers->epoch_end(m, r->metric, &r->info.samples, &r->stop);
    if (st == MX_OK) st = r->workers->average_aux(m);
    if (st != MX_OK) return st;
    mx_log_info("== Epoch %03d/%03d ==========", r->info.epoch, r->o.n_epoch);
    mx_log_info("## Training summary");
    log_metric(r->metric);
    mx_log_info("%18s = %.4f seconds", "time", m->last_epoch_seconds);
    /* Not in MXNet.jl's summary, but what a person sizing a job looks for. */
    mx_log_info("%18s = %.1f samples/sec", "speed",
                m->last_epoch_seconds > 0 ? (double)r->info.samples / m->last_epoch_seconds : 0.0);
    r->workers->log_epoch(local_samples);
    if (r->info.epoch == r->begin + 1 && m->exec[0]) { /* the schedule is chosen by now (issue #18) */
        char buf[512];
        mx_log_info("Steps: %s", mx_exec_schedule_describe(m->exec[0], buf, sizeof buf));
    }
    r->info.n_train = mx_metric_get(r->metric, r->info.train_names, r->info.train_values, MX_CB_MAX_VALUES);
    if (r->info.n_train > MX_CB_MAX_VALUES) r->info.n_train = MX_CB_MAX_VALUES;
    return MX_OK;
}

/* eval_data through forward passes, the metric summed over the workers,
 * and the validation summary. The training figures are in info already:
 * the metric is reused. */
static mx_status validate(fit_run *r)
{
    mx_provider *eval = r->o.eval_data;
    if (!eval) return MX_OK;
    mx_model *m = r->m;
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
    mx_fit_feed f;
    mx_status st = r->ctxs->feed(m, eval, &f);
    if (st != MX_OK) return st;
    mx_metric_reset(r->metric);
    mx_provider_reset(eval);
    while (mx_provider_next(eval, &f.batch) > 0) {
        if ((st = r->ctxs->forward(m)) != MX_OK) return st;
        r->ctxs->metric(m, &f, r->metric, f.batch.count);
    }
    long none = 0;
    int no_stop = 0;
    if ((st = r->workers->epoch_end(m, r->metric, &none, &no_stop)) != MX_OK) return st;
    mx_log_info("## Validation summary");
    log_metric(r->metric);
    r->info.eval = r->metric;
    return MX_OK;
}

/* The epoch's callbacks (checkpoints, logs), with the optimizer's states
 * complete. A worker whose callback stops (a checkpoint it could not
 * write) stops every worker: one left waiting in an allreduce would hang. */
static mx_status end_epoch(fit_run *r)
{
    r->m->epochs_done = r->info.epoch;
    mx_status st = mx_optimizer_flush(r->opt); /* GPU states complete for checkpoints */
    if (st != MX_OK) return st;
    r->info.train = NULL; /* epoch callbacks read train_names/train_values */
    r->stop |= run_callbacks(r, 0);
    r->info.train = r->metric;
    long none = 0;
    return r->workers->epoch_end(r->m, NULL, &none, &r->stop);
}

mx_status mx_model_fit(mx_model *m, mx_optimizer *opt, mx_provider *train, const mx_fit_opts *opts)
{
    fit_run r;
    mx_status st = prepare(&r, m, opt, train, opts);
    if (st == MX_OK) st = start(&r);
    for (int epoch = r.begin + 1; st == MX_OK && !r.stop && epoch <= r.o.n_epoch; epoch++) {
        if ((st = train_epoch(&r, epoch)) != MX_OK) break;
        if ((st = summarize(&r)) != MX_OK) break;
        if ((st = validate(&r)) != MX_OK) break;
        st = end_epoch(&r);
    }
    if (st == MX_OK) st = mx_optimizer_flush(opt);
    if (st == MX_OK) mx_log_info("Finish training on %s", r.ctxname);
    mx_metric_free(r.own);
    return st;
}
