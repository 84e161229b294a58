/* app_train.h — the training flags every app shares (threads, contexts,
 * optimizer, checkpoints, resume, metrics log, progress, quiet) and what
 * they build: engine, contexts, optimizer, callbacks, the model and its
 * fit. Apps keep only their network and data. */
#ifndef MX_APP_TRAIN_H
#define MX_APP_TRAIN_H

#include "app_args.h"
#include "mx/mx.h"

#define APP_TRAIN_NARGS 20
#define APP_MAX_CALLBACKS 6

typedef struct app_train {
    const char *prog;
    int epochs, batch_size, threads, seed, quiet, speedometer, checkpoint_every, nan_check;
    int bucket_kb;                  /* --bucket-kb: dist_sync's gradient buckets */
    float lr, momentum, wd;
    const char *bind, *optimizer, *checkpoint, *metrics_log, *context, *init_spec, *kvstore;
    int rank, nranks;               /* --kvstore dist_sync: this rank's data shard */
    mx_initializer init;            /* from --init */
    const char *resume[2];          /* PREFIX EPOCH */
    int resume_epoch;
    mx_ctx ctx[16];
    int nctx;
    double last_accuracy;           /* validation accuracy of the last epoch */
    /* every training and validation value of the last epoch, by name */
    int n_last_train, n_last_eval;
    const char *last_train_names[MX_CB_MAX_VALUES], *last_eval_names[MX_CB_MAX_VALUES];
    double last_train_values[MX_CB_MAX_VALUES], last_eval_values[MX_CB_MAX_VALUES];
    mx_callback *callbacks[APP_MAX_CALLBACKS];
    int ncallbacks;
} app_train;

/* Fills t with the app's defaults and appends the shared flags to args
 * (room for APP_TRAIN_NARGS); returns how many were added. */
int app_train_args(app_train *t, const char *prog, int epochs, int batch, float lr, float momentum, float wd,
                   app_arg *args);

/* After parsing: checks values, sets up threads, contexts and seeds.
 * Returns 0, or the exit status after printing an error. */
int app_train_prepare(app_train *t);

/* The optimizer from --optimizer, else SGD from --lr/--momentum/--wd. */
mx_optimizer *app_train_optimizer(const app_train *t);

/* Fills fit's opts from the flags: the initializer, and the callbacks
 * (progress, speed, checkpoints, metrics log, accuracy keeper). */
int app_train_callbacks(app_train *t, mx_fit_opts *opts);

/* The last epoch's training (eval 0) or validation (eval 1) value called
 * name ("NLL", "perplexity", …) into *value: 1, or 0 if there is none.
 * Valid until the metric is freed. */
int app_train_last(const app_train *t, int eval, const char *name, double *value);

/* With --resume: loads parameters and training state into m. */
mx_status app_train_resume(app_train *t, mx_model *m);

/* What every training app does once its network and data are made: a
 * FeedForward model over --context, the optimizer, --resume, the start-up
 * line (build, threads, then note unless NULL), and fit over train with
 * the flags' callbacks, validating on eval (may be NULL) with metric
 * (NULL: accuracy). Frees the model and the optimizer. Returns 0, or 1
 * after app_die. */
int app_train_fit(app_train *t, const mx_sym *net, mx_provider *train, mx_provider *eval, mx_metric *metric,
                  const char *note);

/* Frees the callbacks and ends MPI in distributed runs. */
void app_train_finish(app_train *t);

/* Prints "prog: what: last error" and returns 1; a distributed run ends
 * every rank of the job here. */
int app_die(const char *prog, const char *what);

#endif
