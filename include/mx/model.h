/** @file
 * model.h — FeedForward: fit and predict over one or several contexts,
 * printing MXNet.jl's log lines and running its callbacks. The training
 * step (provider next, forward, backward, update, metric) runs out of
 * memory planned before the first batch. */
#ifndef MX_MODEL_H
#define MX_MODEL_H

#include "mx/callback.h"
#include "mx/context.h"
#include "mx/executor.h"
#include "mx/initializer.h"
#include "mx/io.h"
#include "mx/metric.h"
#include "mx/optimizer.h"
#include "mx/symbol.h"

/** FeedForward model (opaque; MXNet.jl's FeedForward): symbol, contexts, parameters, executors. */
typedef struct mx_model mx_model;

/** Options of mx_model_fit (MXNet.jl's fit keywords); start from mx_fit_defaults. */
typedef struct mx_fit_opts {
    int n_epoch;                       /**< 10 */
    mx_provider *eval_data;            /**< validated after each epoch (NULL: none) */
    mx_metric *eval_metric;            /**< NULL: Accuracy (used for training and validation) */
    const mx_initializer *initializer; /**< NULL: UniformInitializer(0.01) */
    const char *kvstore;               /**< several contexts: "local" (default) */
    mx_callback *const *callbacks;     /**< batch and epoch callbacks, run in order */
    int ncallbacks;                    /**< entries in callbacks (0: none) */
    int no_nan_check;                  /**< 0 (default): stop at the first batch whose outputs hold NaN/Inf */
    size_t allreduce_bucket_bytes;     /**< dist_sync, one CPU context: gradient bytes per allreduce started
                                            during backward (1 MiB; 0: one allreduce after backward) */
} mx_fit_opts;

/** MXNet.jl's fit defaults. */
mx_fit_opts mx_fit_defaults(void);

/** A FeedForward model of sym over contexts (NULL/0: one CPU context).
 * Several CPU contexts split every batch (data parallel). */
mx_model *mx_model_create(const mx_sym *sym, const mx_ctx *ctxs, int nctx);

/** Trains: binds for the provider's shapes, initializes parameters not yet
 * set (or loaded), then runs the epochs after the last one trained or
 * resumed up to n_epoch, logging summaries and running callbacks. */
mx_status mx_model_fit(mx_model *m, mx_optimizer *opt, mx_provider *train, const mx_fit_opts *opts);

/** Runs output 0 over every sample of data (padding dropped); *out is a new
 * (num_samples, …) array the caller frees. */
mx_status mx_model_predict(mx_model *m, mx_provider *data, mx_nd **out);

/** Number of learned parameters (arguments that are not data or labels). */
int mx_model_num_params(const mx_model *m);

/** Name of parameter i. */
const char *mx_model_param_name(const mx_model *m, int i);

/** Array of parameter i (valid while the model lives). */
mx_nd *mx_model_param(const mx_model *m, int i);

/** The first context's training executor (NULL before fit). */
mx_exec *mx_model_exec(const mx_model *m);

/** Number of contexts the model runs on (MXNet.jl's model.ctx). */
int mx_model_num_contexts(const mx_model *m);

/** Context i of the model (i below mx_model_num_contexts; else the CPU). */
mx_ctx mx_model_context(const mx_model *m, int i);

/** The model's symbol. */
const mx_sym *mx_model_symbol(const mx_model *m);

/** Seconds the last completed epoch took to train. */
double mx_model_last_epoch_seconds(const mx_model *m);

/** Frees the model, its executors and pools. */
void mx_model_free(mx_model *m);

#endif
