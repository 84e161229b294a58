/* callback.c — schedules (every n batches / epochs) and the built-in
 * callbacks: speedometer, checkpointing, the metrics log, the live
 * progress line. Batch callbacks run inside the training loop, so they
 * allocate nothing and print only when their schedule fires. */
#include "mx/callback.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mx/checkpoint.h"
#include "mx/dist.h"
#include "mx/log.h"

typedef enum cb_kind { CB_USER, CB_SPEED, CB_CHECKPOINT, CB_METRICS_LOG, CB_PROGRESS } cb_kind;

struct mx_callback {
    cb_kind kind;
    int is_batch;
    int n;
    int call_on_0;
    mx_cb_fn fn;
    void *ctx;
    double mark;      /* speedometer / progress: time of the last tick */
    FILE *out;        /* metrics log / progress line */
    int tty;          /* progress line: out is a terminal */
    char path[1024];  /* checkpoint prefix / metrics log path */
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static mx_callback *make(cb_kind kind, int is_batch, int n, int call_on_0)
{
    if (n < 1) {
        mx_set_error(MX_EINVAL, "callback: frequency must be >= 1 (got %d)", n);
        return NULL;
    }
    mx_callback *cb = calloc(1, sizeof *cb);
    if (!cb) { mx_set_error(MX_ENOMEM, "callback: out of memory"); return NULL; }
    cb->kind = kind;
    cb->is_batch = is_batch;
    cb->n = n;
    cb->call_on_0 = call_on_0;
    return cb;
}

mx_callback *mx_every_n_batch(mx_cb_fn fn, void *ctx, int n, int call_on_0)
{
    mx_callback *cb = make(CB_USER, 1, n, call_on_0);
    if (cb) { cb->fn = fn; cb->ctx = ctx; }
    return cb;
}

mx_callback *mx_every_n_epoch(mx_cb_fn fn, void *ctx, int n, int call_on_0)
{
    mx_callback *cb = make(CB_USER, 0, n, call_on_0);
    if (cb) { cb->fn = fn; cb->ctx = ctx; }
    return cb;
}

mx_callback *mx_speedometer(int frequency)
{
    return make(CB_SPEED, 1, frequency > 0 ? frequency : 50, 1);
}

mx_callback *mx_do_checkpoint(const char *prefix, int frequency, int save_epoch_0)
{
    if (!prefix || !*prefix || strlen(prefix) >= 1000) {
        mx_set_error(MX_EINVAL, "do_checkpoint: bad prefix");
        return NULL;
    }
    mx_callback *cb = make(CB_CHECKPOINT, 0, frequency, save_epoch_0);
    if (cb) snprintf(cb->path, sizeof cb->path, "%s", prefix);
    return cb;
}

mx_callback *mx_metrics_log(const char *path)
{
    if (!path || !*path || strlen(path) >= sizeof ((mx_callback *)0)->path) {
        mx_set_error(MX_EINVAL, "metrics log: bad file name");
        return NULL;
    }
    mx_callback *cb = make(CB_METRICS_LOG, 0, 1, 1);
    if (cb) snprintf(cb->path, sizeof cb->path, "%s", path);
    return cb;
}

mx_callback *mx_progress_line(FILE *out)
{
    mx_callback *cb = make(CB_PROGRESS, 1, 1, 1);
    if (cb) {
        cb->out = out ? out : stdout;
        cb->tty = isatty(fileno(cb->out));
    }
    return cb;
}

int mx_callback_is_batch(const mx_callback *cb) { return cb->is_batch; }

static void json_metrics(FILE *f, const char *key, int n, const char *const *names, const double *values)
{
    fprintf(f, ", \"%s\": {", key);
    for (int i = 0; i < n; i++) fprintf(f, "%s\"%s\": %.9g", i ? ", " : "", names[i], values[i]);
    fprintf(f, "}");
}

static int run_metrics_log(mx_callback *cb, const mx_cb_info *in)
{
    if (in->epoch == 0) {
        /* Training starts: a fresh file, opened once (not in the hot path). */
        if (cb->out) fclose(cb->out);
        cb->out = fopen(cb->path, "w");
        if (!cb->out) mx_log_warn("metrics log %s: cannot open for writing", cb->path);
        return 0;
    }
    if (!cb->out) {
        /* Resumed training never saw epoch 0: append to the earlier log. */
        cb->out = fopen(cb->path, "a");
        if (!cb->out) {
            mx_log_warn("metrics log %s: cannot open for writing", cb->path);
            return 0;
        }
    }
    fprintf(cb->out, "{\"epoch\": %d, \"time\": %.6f, \"samples_per_sec\": %.1f", in->epoch, in->epoch_seconds,
            in->epoch_seconds > 0 ? (double)in->samples / in->epoch_seconds : 0.0);
    json_metrics(cb->out, "train", in->n_train, in->train_names, in->train_values);
    if (in->eval) {
        const char *names[MX_CB_MAX_VALUES];
        double values[MX_CB_MAX_VALUES];
        int n = mx_metric_get(in->eval, names, values, MX_CB_MAX_VALUES);
        json_metrics(cb->out, "eval", n < MX_CB_MAX_VALUES ? n : MX_CB_MAX_VALUES, names, values);
    }
    fprintf(cb->out, "}\n");
    fflush(cb->out);
    return 0;
}

static void run_progress(mx_callback *cb, const mx_cb_info *in)
{
    if (!cb->tty || in->batch == 0) return;
    double t = now_seconds();
    int last = in->batches > 0 && in->batch >= in->batches;
    if (last) {
        fputs("\r\033[K", cb->out); /* the summary lines take over */
        fflush(cb->out);
        mx_log_set_live_line(0);
        return;
    }
    if (in->batch != 1 && t - cb->mark < 0.2) return;
    cb->mark = t;
    /* dist_sync: each of the workers went through this rank's samples */
    double rate = in->epoch_seconds > 0 ? (double)in->samples * (in->workers > 1 ? in->workers : 1) / in->epoch_seconds : 0.0;
    double eta = in->batches > 0 && in->batch > 0
                     ? in->epoch_seconds / in->batch * (in->batches - in->batch) : 0.0;
    const char *name = "";
    double value = 0.0;
    int have = in->train && mx_metric_get(in->train, &name, &value, 1) > 0;
    fprintf(cb->out, "\r\033[K[epoch %d/%d] %d/%d batches  %.0f samples/s  ETA %.1fs", in->epoch, in->n_epoch,
            in->batch, in->batches, rate, eta);
    if (have) fprintf(cb->out, "  %s %.4f", name, value);
    fflush(cb->out);
    mx_log_set_live_line(1);
}

int mx_callback_run(mx_callback *cb, mx_model *m, const mx_cb_info *in)
{
    int tick = cb->is_batch ? in->batch : in->epoch;
    if (tick == 0 ? !cb->call_on_0 : tick % cb->n != 0) return 0;
    switch (cb->kind) {
    case CB_USER:
        return cb->fn(cb->ctx, m, in);
    case CB_SPEED:
        /* MXNet.jl: the clock starts at batch 0 of every epoch. */
        if (in->batch == 0) {
            cb->mark = now_seconds();
        } else {
            /* dist_sync: the ranks step in lockstep (one allreduce a step),
             * each through batch_size samples, so the job did workers
             * times this rank's samples in the same time. */
            double t = now_seconds(), samples = (double)cb->n * in->batch_size * (in->workers > 1 ? in->workers : 1);
            mx_log_info("Speed: %.2f samples/sec", samples / (t - cb->mark));
            cb->mark = t;
        }
        return 0;
    case CB_CHECKPOINT:
        /* Distributed: every rank holds the same model; rank 0 writes it. */
        if (mx_dist_rank() != 0) return 0;
        if (mx_checkpoint_save(m, cb->path, in->epoch) != MX_OK) {
            mx_log_warn("checkpoint: %s", mx_last_error());
            return 1; /* a run that cannot save its work should not go on silently */
        }
        return 0;
    case CB_METRICS_LOG:
        return mx_dist_rank() == 0 ? run_metrics_log(cb, in) : 0;
    case CB_PROGRESS:
        run_progress(cb, in);
        return 0;
    }
    return 0;
}

void mx_callback_free(mx_callback *cb)
{
    if (!cb) return;
    if (cb->kind == CB_METRICS_LOG && cb->out) fclose(cb->out);
    free(cb);
}
