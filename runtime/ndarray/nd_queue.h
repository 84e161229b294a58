/* nd_queue.h — private to runtime/ndarray: NDArray operations pushed with
 * the memory they read and write, and run later by dependency (issue
 * #18; MXNet's engine for NDArray). */
#ifndef MX_RUNTIME_ND_QUEUE_H
#define MX_RUNTIME_ND_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "mx/engine.h"

/* Operations the queue holds before it runs them itself. */
#define MX_NDQ_CAP 256

/* Bytes of arguments an operation may carry (copied at push). */
#define MX_NDQ_ARGS 64

/* An operation's body: its kernels on eng, its arguments as pushed. */
typedef void (*mx_ndq_fn)(mx_engine *eng, const void *args);

/* A byte range an operation reads or writes. */
typedef struct mx_ndq_range {
    uintptr_t lo, hi;
} mx_ndq_range;

/* Queues fn(args) (nbytes <= MX_NDQ_ARGS, copied), which reads in[0..nin)
 * (nin <= 3) and writes out; runs it at once when the queue is off
 * (MX_ND_ASYNC=0, mx_nd_set_async(0)). A full queue is run first. */
void mx_ndq_push(mx_ndq_fn fn, const void *args, size_t nbytes, const mx_ndq_range *in, int nin, mx_ndq_range out);

/* Runs every queued operation — independent ones side by side on the
 * default pool's workers — and returns when all are done. */
void mx_ndq_flush(void);

/* Operations waiting (a relaxed read: 0 means nothing to wait for). */
int mx_ndq_pending(void);

/* Turns deferral on or off (off: the queue is run, pushes run at once). */
void mx_ndq_set_enabled(int on);

/* 1 when pushes are deferred. */
int mx_ndq_enabled(void);

#endif
