/* test_dist_util.h — what the dist and dist_stop suites share (see
 * test_dist_util.c). */
#ifndef MX_TESTS_TEST_DIST_UTIL_H
#define MX_TESTS_TEST_DIST_UTIL_H

#include <stddef.h>

#include "mx/dist.h"
#include "mx/mx.h"

/* The "mirror" transport: as if every other rank held exactly this
 * rank's numbers, so a sum over size ranks is size times the value;
 * broadcast writes dist_bcast_value, so a test sees what came from rank 0.
 * It is rank 1 of 2; dist_rank0_ops() gives rank 0's view. */
extern mx_dist_ops dist_mirror;
extern float dist_bcast_value;
/* float allreduces since the test reset it, and the first one's length */
extern long dist_allreduce_calls;
extern size_t dist_first_allreduce_n;

/* Multiplies buf by the number of ranks; counts the call (mirror's allreduce_f32). */
mx_status dist_mirror_f32(float *buf, size_t n);

/* Multiplies buf by the number of ranks (mirror's allreduce_f64). */
mx_status dist_mirror_f64(double *buf, size_t n);

/* Writes dist_bcast_value everywhere (mirror's bcast_f32). */
mx_status dist_marker_bcast(float *buf, size_t n);

/* Leaves buf as it is: the broadcast seen by rank 0. */
mx_status dist_keep_bcast(float *buf, size_t n);

/* Does nothing (mirror's abort). */
void dist_no_abort(int code);

/* Rank 0 of two holding the same data (the mirror with dist_keep_bcast):
 * trains like one local process. */
mx_dist_ops dist_rank0_ops(void);

/* dist_rank0_ops with sums started during backward (dist_sync's buckets),
 * summed only at the wait. */
mx_dist_ops dist_rank0_bucket_ops(void);

/* Those sums' start and wait, and their counts (reset by the tests). */
mx_status dist_mirror_istart(float *buf, size_t n, int slot);
mx_status dist_mirror_wait(int slot);
void dist_mirror_progress(void);
extern long dist_istarts, dist_waits;

/* fit's allreduce_bucket_bytes in dist_train_mlp (-1: the default). */
extern long dist_bucket_bytes;

/* What the callbacks of dist_train_mlp saw: the first weight at the start
 * (and that the start was seen), the last batch and iteration trained. */
extern float dist_first_weight_at_start;
extern int dist_saw_start, dist_batches_seen;
extern long dist_iters_seen;
/* Set by a test: the batch callback asks to stop after this batch (0: never). */
extern int dist_stop_after;

/* Epoch-start callback recording dist_first_weight_at_start. */
int dist_record_start(void *ctx, mx_model *m, const mx_cb_info *info);

/* Batch callback recording the batch and iteration and asking to stop
 * after dist_stop_after. */
int dist_stop_at_batch(void *ctx, mx_model *m, const mx_cb_info *info);

/* 400 MNIST test samples, flat, in batches of 50 (8 a epoch). */
mx_provider *dist_mnist_400(void);

/* Trains the MLP for epochs epochs of dist_mnist_400 on nctx CPU contexts
 * (kvstore NULL: local), checkpointing to ckpt when given; *st gets fit's status. */
mx_model *dist_train_mlp(const char *kvstore, const char *ckpt, int nctx, int epochs, mx_status *st);

/* Largest |a - b| over the weights of two models of one network (NaN: the worst). */
float dist_max_weight_diff(const mx_model *a, const mx_model *b);

#endif
