/* model_internal.h — private: the FeedForward model shared by model.c
 * (creation, parameters, binding, predict), fit.c (the training loop) and
 * its strategies (fit_strategy.h: fit_one.c, model_parallel.c,
 * model_dist.c), and checkpoint.c. */
#ifndef MX_RUNTIME_MODEL_INTERNAL_H
#define MX_RUNTIME_MODEL_INTERNAL_H

#include "mx/kvstore.h"
#include "mx/model.h"
#include "mx/ndfile.h"
#include "mx/io.h"

#define MX_MAX_CTX 16

struct mx_model {
    mx_sym *sym;
    int nctx;
    mx_ctx ctx[MX_MAX_CTX];
    mx_exec *exec[MX_MAX_CTX];   /* training executors, one per context */
    mx_engine *eng[MX_MAX_CTX];  /* each context's pinned pool (several contexts) */
    mx_engine *outer;            /* runs the contexts side by side */
    int slice[MX_MAX_CTX];       /* each context's share of a batch */
    int nparams;
    int *param_arg;              /* argument index of each parameter */
    int initialized;
    mx_nd_list pending;          /* arg:/aux: arrays from a checkpoint, applied at bind */
    int has_pending;
    int pending_fresh;           /* loaded but not yet copied into the executor */
    char states_path[4200];      /* for messages about pending_states */
    mx_nd_list pending_states;   /* state:/meta: arrays from a checkpoint */
    int has_pending_states;
    int resume_epoch;            /* the next fit starts after this epoch */
    float **state;               /* optimizer state per parameter (single context) */
    size_t *state_n;
    size_t state_bytes;          /* what the executor's arena reserved for them */
    mx_kvstore *kv;              /* several contexts: sums gradients, runs updates */
    mx_optimizer *opt;           /* one GPU context: updates in place (set by parallel setup) */
    float *stage[2 * MX_IO_MAX]; /* several contexts: the whole batch before splitting */
    float *stage_block;          /* the stage arrays back to back, page-locked */
    size_t stage_bytes;          /* its size */
    float *land_in[MX_MAX_CTX];  /* GPU contexts: the stage block's copy on the device */
    float *land_out[MX_MAX_CTX]; /* GPU contexts: the outputs gathered, laid out as mirror_block */
    size_t out_floats[MX_MAX_CTX]; /* floats in land_out and mirror_block */
    float **seg_dst, **seg_src;  /* [ctx][input, then output]: scatter from land_in, gather into land_out */
    size_t *seg_n;
    int n_inputs;                /* several contexts: data then label inputs */
    int input_arg[2 * MX_IO_MAX];
    size_t input_row[2 * MX_IO_MAX];
    int n_label;                 /* several contexts: the last n_label inputs are the labels */
    mx_nd **mirror;              /* [ctx][output]: host copies of GPU outputs (metric, NaN check) */
    float *mirror_block[MX_MAX_CTX]; /* each context's page-locked memory behind its mirrors */
    mx_nd **label_view;          /* [ctx][label]: each context's slice of the staged labels */
    int n_out;                   /* outputs per context (mirror's stride) */
    mx_nd **grad_list;           /* [param][ctx]: what a push sums */
    mx_nd **param_list;          /* [param][ctx]: where a pull copies */
    float *dist_buf;             /* dist: the fused allreduce buffer (parameters + aux, + 1 stop flag) */
    size_t bucket_bytes;         /* dist, one CPU context: fit's allreduce_bucket_bytes */
    struct mx_buckets *buckets;  /* ... the buckets started during backward (dist_buckets.h), or NULL */
    size_t dist_n;
    float *dist_dev;             /* dist, one GPU context: its gradients gathered on the device */
    size_t dist_ngrad;           /* floats of gradients (dist_buf's first part) */
    float **dist_seg;            /* [param]: each gradient's place in dist_dev */
    float **dist_grad;           /* [param]: each gradient */
    size_t *dist_seg_n;
    const struct mx_fit_workers_ops *workers; /* fit's workers strategy (fit_strategy.h) */
    long iter;                   /* batches trained since the first epoch */
    int epochs_done;
    double last_epoch_seconds;
};

/* 1 when batches go through staging buffers and the KVStore
 * (model_parallel.c): several contexts, or any GPU context. */
int mx_model_staged(const mx_model *m);

/* Copies parameters (and aux states) into e: from src if given (same
 * network, other shapes), else from the checkpoint's arrays, where every
 * parameter must be found with the right shape (errors name it). */
mx_status mx_model_apply_params(mx_model *m, mx_exec *e, const mx_exec *src, int n_inputs,
                                const char *const *inputs);

/* Input names and shapes of a provider (data, then labels if asked); the
 * arrays hold 2·MX_IO_MAX. -1, with the error set, for a provider with more
 * than MX_IO_MAX data or label inputs. */
int mx_model_provider_inputs(const mx_provider *p, const char **names, mx_shape *shapes, int with_labels);

/* Binds the training executors for the provider (once per shape). */
mx_status mx_model_bind_training(mx_model *m, mx_provider *train, mx_optimizer *opt);

/* Copies a resumed checkpoint's optimizer states and counters in place. */
mx_status mx_model_restore_states(mx_model *m);

/* Frees what the several-contexts strategy's setup made (model_parallel.c). */
void mx_model_parallel_free(mx_model *m);

/* 1 when kvstore names a distributed store ("dist_sync", …). */
int mx_model_dist_wanted(const char *kvstore);

/* Frees what dist_sync's setup made (model_dist.c). */
void mx_model_dist_free(mx_model *m);

#endif
