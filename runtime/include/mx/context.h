/* context.h — where arrays live and executors run (MXNet's Context). */
#ifndef MX_CONTEXT_H
#define MX_CONTEXT_H

typedef enum mx_dev_type { MX_CPU = 1, MX_GPU = 2 } mx_dev_type;

typedef struct mx_ctx {
    mx_dev_type dev_type;
    int dev_id;
} mx_ctx;

/* The CPU context. */
mx_ctx mx_cpu(void);

/* GPU context number id. */
mx_ctx mx_gpu(int id);

/* "CPU0", "GPU1": the name MXNet.jl prints for a context. */
const char *mx_ctx_str(mx_ctx ctx, char *buf, int cap);

#endif
