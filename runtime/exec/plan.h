/* plan.h — private: the memory planner. Buffers with lifetimes (first and
 * last step that touch them) get offsets in one block so that buffers
 * alive at the same time never overlap: largest first, lowest offset that
 * fits (TFLM's greedy planner). In-place sharing is done before, by
 * merging buffers into one. */
#ifndef MX_RUNTIME_PLAN_H
#define MX_RUNTIME_PLAN_H

#include <stddef.h>

typedef struct mx_plan_buf {
    size_t bytes;  /* rounded up to the arena alignment by the planner */
    int first;     /* first step that writes or reads it */
    int last;      /* last step that reads it */
    size_t offset; /* out: offset in the planned block */
} mx_plan_buf;

/* Assigns offsets; returns the block size needed. Setup time only. */
size_t mx_plan_assign(mx_plan_buf *bufs, int n);

#endif
