/** @file
 * callback.h — MXNet.jl's training callbacks: every_n_batch,
 * every_n_epoch, speedometer, do_checkpoint, plus a JSON-lines metrics
 * log and the live progress line a person at a terminal expects. fit runs
 * batch callbacks after every batch and epoch callbacks after the epoch's
 * training and validation summaries. */
#ifndef MX_CALLBACK_H
#define MX_CALLBACK_H

#include <stdio.h>
#include "mx/metric.h"

/** FeedForward model (mx/model.h), declared here for mx_cb_fn. */
typedef struct mx_model mx_model;
/** A callback (opaque): a body and its schedule; the caller frees it after fit. */
typedef struct mx_callback mx_callback;

/** Most training metric values an mx_cb_info carries (further ones are dropped). */
#define MX_CB_MAX_VALUES 16

/** What a callback sees (MXNet.jl's OptimizationState plus the metrics). */
typedef struct mx_cb_info {
    int epoch;          /**< 1-based; 0 before training (call_on_0) */
    int n_epoch;        /**< last epoch fit runs (mx_fit_opts.n_epoch) */
    int batch;          /**< 1-based within the epoch; 0 at its start */
    int batches;        /**< batches per epoch (-1 if unknown) */
    long iter;          /**< batches since training began */
    int batch_size;     /**< samples per batch of the training provider */
    long samples;       /**< samples trained this epoch so far */
    int workers;        /**< ranks training in lockstep (dist_sync), else 1 (0 reads as 1) */
    double epoch_seconds;     /**< training time of the epoch so far */
    int n_train;              /**< training metric values (epoch callbacks) */
    const char *train_names[MX_CB_MAX_VALUES]; /**< names of the n_train values ("accuracy") */
    double train_values[MX_CB_MAX_VALUES];     /**< the n_train values, over the whole epoch */
    const mx_metric *train;   /**< running training metric (batch callbacks) */
    const mx_metric *eval;    /**< validation metric, NULL without eval data */
} mx_cb_info;

/** A callback body; a non-zero return stops training after this call
 * (dist_sync, a batch callback on any rank: every rank, at the next step). */
typedef int (*mx_cb_fn)(void *ctx, mx_model *m, const mx_cb_info *info);

/** Calls fn after every n-th batch (and at batch 0 with call_on_0). */
mx_callback *mx_every_n_batch(mx_cb_fn fn, void *ctx, int n, int call_on_0);

/** Calls fn after every n-th epoch (and before training with call_on_0). */
mx_callback *mx_every_n_epoch(mx_cb_fn fn, void *ctx, int n, int call_on_0);

/** Logs "Speed: 357.72 samples/sec" every frequency batches (50); under
 * dist_sync the job's rate (this rank's times the number of ranks). */
mx_callback *mx_speedometer(int frequency);

/** Saves prefix-symbol.json and prefix-%04d.params every frequency epochs
 * (and the initial parameters as epoch 0 with save_epoch_0). */
mx_callback *mx_do_checkpoint(const char *prefix, int frequency, int save_epoch_0);

/** Appends one JSON line per epoch to path (epoch, metrics, times);
 * the file is created or truncated when training starts. */
mx_callback *mx_metrics_log(const char *path);

/** A live progress line on out (batches, samples/s, ETA, running metric),
 * redrawn at most every 0.2 s and erased at the epoch's end; does nothing
 * when out is not a terminal. */
mx_callback *mx_progress_line(FILE *out);

/** 1 for batch callbacks, 0 for epoch callbacks. */
int mx_callback_is_batch(const mx_callback *cb);

/** Runs cb if its schedule says so; returns non-zero to stop training. */
int mx_callback_run(mx_callback *cb, mx_model *m, const mx_cb_info *info);

/** Frees a callback (NULL is fine). */
void mx_callback_free(mx_callback *cb);

#endif
