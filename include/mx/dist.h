/** @file
 * dist.h — the collectives distributed training needs (sum over workers,
 * broadcast from rank 0, abort), as a table of functions a transport
 * registers. The core trains through this table and never includes
 * mpi.h: mpi/ (built with scons mpi=1) registers MPI's; without one
 * registered there is one worker and every collective is the identity.
 *
 * What fit does with them (kvstore "dist_sync"): parameters broadcast
 * from rank 0 before the first batch, every step's gradients summed over
 * the workers in one fused buffer before the same update runs on every
 * rank (with any rank's request to stop, so all stop at one step),
 * metrics, sample counts and the stop decision reduced at the end of each
 * epoch, aux states (BatchNorm's moving statistics) averaged. */
#ifndef MX_DIST_H
#define MX_DIST_H

#include <stddef.h>

#include "mx/error.h"
#include "mx/metric.h"

/** A transport's collectives, installed with mx_dist_register (mpi/ registers MPI's). */
typedef struct mx_dist_ops {
    const char *name;  /**< "mpi" */
    /** This worker's rank, 0..size-1. */
    int rank, size;    /**< workers in the job */
    /** This worker's rank among those on its node, 0..local_size-1. */
    int local_rank, local_size; /**< workers on this node */
    /** In-place sums over every worker. */
    mx_status (*allreduce_f32)(float *buf, size_t n);
    mx_status (*allreduce_f64)(double *buf, size_t n); /**< the same for doubles (metric sums, counts) */
    /** Rank 0's buf to every worker. */
    mx_status (*bcast_f32)(float *buf, size_t n);
    /** Ends the whole job (every rank) with code; does not return. */
    void (*abort)(int code);
    /** Starts an in-place sum of buf over every worker in slot, from 0 to
     * MX_DIST_SLOTS - 1, and returns at once; every worker starts its
     * sums in the same order. NULL: the transport has none, and fit sums
     * the gradients in one call after backward. */
    mx_status (*iallreduce_f32)(float *buf, size_t n, int slot);
    /** Waits for the sum started in slot. */
    mx_status (*wait)(int slot);
    /** Lets started sums progress without blocking. */
    void (*progress)(void);
} mx_dist_ops;

/** Sums a transport may have in flight at once (slots of iallreduce_f32). */
#define MX_DIST_SLOTS 64

/** Installs the transport (NULL: back to one worker). ops must outlive its use. */
void mx_dist_register(const mx_dist_ops *ops);

/** The registered transport, or NULL. */
const mx_dist_ops *mx_dist_get(void);

/** This worker's rank (0 without a transport). */
int mx_dist_rank(void);

/** Number of workers (1 without a transport). */
int mx_dist_size(void);

/** Sums buf over every worker, in place; counts the time in the stats. */
mx_status mx_dist_allreduce(float *buf, size_t n);

/** Sums doubles over every worker, in place. */
mx_status mx_dist_allreduce_f64(double *buf, size_t n);

/** Copies rank 0's buf to every worker. */
mx_status mx_dist_bcast(float *buf, size_t n);

/** Replaces the metric's running sums by their sum over every worker, so
 * every rank reports the figures of the whole job. */
mx_status mx_dist_reduce_metric(mx_metric *metric);

/** Ends every rank of the job with code when a transport is registered;
 * returns otherwise (the caller exits). */
void mx_dist_abort(int code);

/** Starts a sum in slot when the transport can overlap it (1), else
 * sums at once (0, or negative status on failure): buf is summed either
 * way once mx_dist_wait(slot) returns. */
int mx_dist_iallreduce(float *buf, size_t n, int slot);

/** Waits for the sum started in slot (nothing if it was summed at once). */
mx_status mx_dist_wait(int slot);

/** Lets the transport's started sums progress; never blocks. */
void mx_dist_progress(void);

/** Seconds spent in, calls of and floats through mx_dist_allreduce (and
 * waiting in mx_dist_wait: the time not hidden) since the last reset. */
void mx_dist_stats(double *seconds, long *calls, double *floats);

/** Zeroes the allreduce statistics. */
void mx_dist_stats_reset(void);

#endif
