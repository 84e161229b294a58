/* dist_buckets.h — private: dist_sync's gradient buckets (issue #18). The
 * parameters' gradients, in the order backward completes them, are cut
 * into buckets of about a set size; a bucket's sum over the workers
 * starts (mx_dist_iallreduce) as soon as backward has written its last
 * gradient, while backward goes on with the layers below, and fit waits
 * for the sums only after backward (Horovod's "tensor fusion", PyTorch
 * DDP's buckets). One CPU context; the sums are the same floats the one
 * fused allreduce adds, so with two workers the weights are the same bits. */
#ifndef MX_RUNTIME_DIST_BUCKETS_H
#define MX_RUNTIME_DIST_BUCKETS_H

#include <stddef.h>

#include "mx/executor.h"

typedef struct mx_buckets mx_buckets;

/* Plans the buckets of e's parameters (param_arg: their argument
 * indices) in buf (room for every gradient and one stop flag) and
 * installs e's gradient hook. NULL with the error set on failure. */
mx_buckets *mx_buckets_create(mx_exec *e, const int *param_arg, int nparams, size_t bucket_bytes, float *buf);

/* Removes the hook from e (when e is still bound; NULL: gone) and frees b. */
void mx_buckets_free(mx_buckets *b, mx_exec *e);

/* After backward: starts the buckets not started yet (the last carries
 * this worker's stop request), waits for every sum, and (unless some
 * worker asked to stop: *stop out) writes the sums into the gradients. */
mx_status mx_buckets_finish(mx_buckets *b, mx_exec *e, int *stop);

/* Number of buckets and the largest one's floats (for the log). */
int mx_buckets_count(const mx_buckets *b);
size_t mx_buckets_largest(const mx_buckets *b);

/* Buckets the last step started during backward (the rest after it). */
int mx_buckets_started_early(const mx_buckets *b);

#endif
