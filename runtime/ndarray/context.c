/* context.c — contexts, their command-line spelling and the per-device
 * kernel table lookup. */
#include "mx/context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "kernels/kernels.h"
#include "mx/error.h"

mx_ctx mx_cpu(void) { return (mx_ctx){MX_CPU, 0}; }

mx_ctx mx_gpu(int id) { return (mx_ctx){MX_GPU, id}; }

const char *mx_ctx_str(mx_ctx ctx, char *buf, int cap)
{
    snprintf(buf, (size_t)cap, "%s%d", ctx.dev_type == MX_GPU ? "GPU" : "CPU", ctx.dev_id);
    return buf;
}

mx_status mx_ctx_parse(const char *text, mx_ctx *ctxs, int cap, int *n)
{
    *n = 0;
    if (!text) return mx_set_error(MX_EINVAL, "context: empty");
    if (!strcmp(text, "cpu")) {
        if (cap < 1) return mx_set_error(MX_EINVAL, "context '%s': no room", text);
        ctxs[(*n)++] = mx_cpu();
        return MX_OK;
    }
    if (!strcmp(text, "gpu")) text = "gpu:0";
    if (strncmp(text, "gpu:", 4) != 0)
        return mx_set_error(MX_EINVAL, "context '%s': expected cpu, gpu, gpu:0 or gpu:0,1", text);
    const char *p = text + 4;
    for (;;) {
        if (!strncmp(p, "gpu:", 4)) p += 4;
        char *end;
        long id = strtol(p, &end, 10);
        if (end == p || id < 0 || id > 255 || (*end && *end != ','))
            return mx_set_error(MX_EINVAL, "context '%s': bad GPU number at '%s'", text, p);
        if (*n >= cap) return mx_set_error(MX_EINVAL, "context '%s': more than %d contexts", text, cap);
        ctxs[(*n)++] = mx_gpu((int)id);
        if (!*end) return MX_OK;
        p = end + 1;
    }
}

mx_status mx_ctx_check(mx_ctx ctx) { return mx_dev_check(ctx); }

const mx_kernels *mx_kernels_for(mx_ctx ctx)
{
    if (ctx.dev_type == MX_CPU) return &mx_cpu_kernels;
    if (mx_dev_check(ctx) != MX_OK) return NULL;
#ifdef MX_HAVE_CUDA
    return &mx_cuda_kernels;
#else
    return &mx_cpu_kernels; /* the check passed: a host stand-in (device.h) */
#endif
}
