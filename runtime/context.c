/* context.c — contexts and the per-device kernel table lookup. */
#include "mx/context.h"

#include <stdio.h>

#include "kernels.h"
#include "mx/error.h"

mx_ctx mx_cpu(void) { return (mx_ctx){MX_CPU, 0}; }

mx_ctx mx_gpu(int id) { return (mx_ctx){MX_GPU, id}; }

const char *mx_ctx_str(mx_ctx ctx, char *buf, int cap)
{
    snprintf(buf, (size_t)cap, "%s%d", ctx.dev_type == MX_GPU ? "GPU" : "CPU", ctx.dev_id);
    return buf;
}

const mx_kernels *mx_kernels_for(mx_ctx ctx)
{
    if (ctx.dev_type == MX_CPU) return &mx_cpu_kernels;
    mx_set_error(MX_ENOTSUP, "context GPU%d: this build of mxrt has no GPU support (build with cuda=1)",
                 ctx.dev_id);
    return NULL;
}
