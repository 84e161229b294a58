/** @file
 * context.h — where arrays live and executors run (MXNet's Context). */
#ifndef MX_CONTEXT_H
#define MX_CONTEXT_H

#include "mx/error.h"

/** Kind of device a context names (MXNet's Context device types: cpu 1, gpu 2). */
typedef enum mx_dev_type { MX_CPU = 1, MX_GPU = 2 } mx_dev_type;

/** A device and its number (MXNet's Context); make one with mx_cpu or mx_gpu. */
typedef struct mx_ctx {
    mx_dev_type dev_type; /**< MX_CPU or MX_GPU */
    int dev_id;           /**< device number ("GPU1"): the CUDA device index of a GPU, 0 for mx_cpu */
} mx_ctx;

/** The CPU context. */
mx_ctx mx_cpu(void);

/** GPU context number id. */
mx_ctx mx_gpu(int id);

/** "CPU0", "GPU1": the name MXNet.jl prints for a context. */
const char *mx_ctx_str(mx_ctx ctx, char *buf, int cap);

/** Checks that ctx can be used (a GPU needs a cuda=1 build, a driver and
 * the device); the error names the context and what is missing. */
mx_status mx_ctx_check(mx_ctx ctx);

/** Number of usable GPUs: 0 without a cuda=1 build, a driver or a GPU. */
int mx_gpu_count(void);

/** Parses "cpu", "gpu" (= gpu:0), "gpu:0,1" or "gpu:0,gpu:1" into at most
 * cap contexts; *n gets the count. Errors quote the text. */
mx_status mx_ctx_parse(const char *text, mx_ctx *ctxs, int cap, int *n);

#endif
