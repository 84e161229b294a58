/* fit_strategy.h — private: the two choices behind mx_model_fit's loop
 * (fit.c), each a table of functions picked once before the first epoch,
 * so the loop never branches on them.
 *
 * Contexts — how a batch runs on the model's contexts:
 *   mx_fit_one_context  one CPU context: the provider writes straight into
 *                       the executor's inputs (fit_one.c);
 *   mx_fit_contexts     several contexts or any GPU: the batch is staged,
 *                       split, run on every context and the gradients are
 *                       summed through the KVStore (model_parallel.c).
 * Workers — how the job's processes agree:
 *   mx_fit_one_worker   one process: nothing to agree on;
 *   mx_fit_dist_sync    several processes (kvstore dist_sync): rank 0's
 *                       weights broadcast, gradients allreduced each step,
 *                       figures and stop requests summed (model_dist.c). */
#ifndef MX_RUNTIME_TRAIN_FIT_STRATEGY_H
#define MX_RUNTIME_TRAIN_FIT_STRATEGY_H

#include "model_internal.h"

/* Where a provider's batches land, and what the metric compares after a
 * pass (one context: label i with output i, MXNet.jl's update!). */
typedef struct mx_fit_feed {
    mx_batch batch;
    int n_pairs;
    const mx_nd *label[MX_IO_MAX];
    const mx_nd *pred[MX_IO_MAX];
} mx_fit_feed;

typedef struct mx_fit_contexts_ops {
    const char *name;
    /* Before the first epoch: pools, KVStore and staging buffers. */
    mx_status (*setup)(mx_model *m, mx_provider *train, mx_optimizer *opt, const char *kvstore);
    /* Points f's batch where p's next() must write, and f's pairs at what
     * the metric reads. */
    mx_status (*feed)(mx_model *m, const mx_provider *p, mx_fit_feed *f);
    /* One training step over the fed batch: forward, backward, gradients
     * summed over contexts and workers, update. *stop: in, this worker
     * asks to stop; out, some worker asked and nothing was updated. */
    mx_status (*step)(mx_model *m, mx_optimizer *opt, int *stop);
    /* Forward only, for validation. */
    mx_status (*forward)(mx_model *m);
    /* The metric over the last pass's count samples. */
    void (*metric)(mx_model *m, const mx_fit_feed *f, mx_metric *metric, int count);
} mx_fit_contexts_ops;

typedef struct mx_fit_workers_ops {
    const char *name;
    /* Before the first epoch (kvstore "dist_sync": the transport and the
     * fused allreduce buffer). */
    mx_status (*setup)(mx_model *m, const char *kvstore);
    /* Processes in the job. */
    int (*count)(void);
    /* Every worker takes rank 0's parameters and aux states. */
    mx_status (*broadcast)(mx_model *m);
    /* A callback's request to stop: 1 to stop now. Several workers keep
     * it in *ask instead (0): it travels with the next step's gradients,
     * so every worker stops after the same step. */
    int (*request_stop)(int request, int *ask);
    /* One context's gradients summed over the workers, with the stop
     * requests (*stop as for step). */
    mx_status (*reduce_grads)(mx_model *m, mx_exec *e, int *stop);
    /* *stop becomes 1 on every worker when it is 1 on any. */
    mx_status (*agree_stop)(mx_model *m, int *stop);
    /* The epoch's metric sums (metric may be NULL), samples and stop
     * requests of the whole job. */
    mx_status (*epoch_end)(mx_model *m, mx_metric *metric, long *samples, int *stop);
    /* The aux states (BatchNorm's moving statistics) averaged. */
    mx_status (*average_aux)(mx_model *m);
    /* The epoch summary's line about the collectives (local_samples: this
     * worker's share); nothing for one process. */
    void (*log_epoch)(long local_samples);
} mx_fit_workers_ops;

extern const mx_fit_contexts_ops mx_fit_one_context;
extern const mx_fit_contexts_ops mx_fit_contexts;
extern const mx_fit_workers_ops mx_fit_one_worker;
extern const mx_fit_workers_ops mx_fit_dist_sync;

#endif
