/* pooling.c — Pooling: max/avg/sum over windows of (N, C, W) or
 * (N, C, H, W) data, with MXNet's parameters (kernel, pool_type, stride,
 * pad, global_pool, pooling_convention, count_include_pad). 1-D pooling
 * runs as 2-D pooling of height 1; 3-D pooling is not supported. The math
 * is in kernels/cpu/pooling.c. */
#include <stdint.h>
#include <stdio.h>

#include "ops.h"
#include "shape_param.h"

enum { POOL_VALID = 0, POOL_FULL = 1 };

typedef struct pool_param {
    mx_shape kernel, stride, pad;
    int pool_type; /* 0 max, 1 avg, 2 sum: the kernel table's numbering */
    int global_pool;
    int convention;
    int count_include_pad;
    int cudnn_off;
    int layout;
} pool_param;

static const char *const pool_types[] = {"max", "avg", "sum", NULL};
static const char *const pool_other[] = {"lp", NULL};
static const char *const conventions[] = {"valid", "full", NULL};
static const char *const convention_other[] = {"same", NULL};
/* data layouts: channels first, 1-D or 2-D */
enum { LAYOUT_NONE = 0, LAYOUT_NCW = 1, LAYOUT_NCHW = 2 };
static const char *const layouts[] = {"None", "NCW", "NCHW", NULL};
static const char *const layout_other[] = {"NCDHW", "NWC", "NHWC", "NDHWC", NULL};

static const mx_param_spec pool_params[] = {
    {"kernel", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(pool_param, kernel), NULL, 0, 0, NULL},
    {"pool_type", MX_P_ENUM, "max", offsetof(pool_param, pool_type), pool_types, 0, 0, pool_other},
    {"global_pool", MX_P_BOOL, "false", offsetof(pool_param, global_pool), NULL, 0, 0, NULL},
    {"pooling_convention", MX_P_ENUM, "valid", offsetof(pool_param, convention), conventions, 0, 0, convention_other},
    {"stride", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(pool_param, stride), NULL, 0, 0, NULL},
    {"pad", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(pool_param, pad), NULL, 0, 0, NULL},
    /* MXNet leaves it unset, which its kernels read as true */
    {"count_include_pad", MX_P_BOOL, "true", offsetof(pool_param, count_include_pad), NULL, 0, MX_PF_OPTIONAL, NULL},
    /* accepted so GPU-trained symbol files load; there is no cuDNN here */
    {"cudnn_off", MX_P_BOOL, "false", offsetof(pool_param, cudnn_off), NULL, 0, 0, NULL},
    /* the norm of lp pooling, which is not supported (pool_type) */
    {"p_value", MX_P_INT, NULL, 0, NULL, 0, MX_PF_OPTIONAL | MX_PF_IGNORED, NULL},
    {"layout", MX_P_ENUM, "None", offsetof(pool_param, layout), layouts, 0, 0, layout_other},
    MX_PARAMS_END,
};

/* The resolved window on (h, w); 1-D pooling has h = 1, k = 1, s = 1, p = 0. */
typedef struct pool_geom {
    size_t planes;
    int in[2], out[2], k[2], s[2], p[2];
} pool_geom;

/* Checks a window parameter (kernel, stride or pad) against the kernel's
 * rank and its bound (values >= lo), and copies it to the last nd of dst. */
static mx_status take_window(const char *name, const mx_shape *v, int nd, long lo, int dst[2])
{
    char b[128];
    if (v->ndim != nd)
        return mx_set_error(MX_EINVAL, "parameter '%s': %s has %d dims, the kernel has %d", name,
                            mx_shape_str(v, b, sizeof b), v->ndim, nd);
    for (int i = 0; i < nd; i++) {
        if (v->dims[i] < lo || v->dims[i] > INT32_MAX)
            return mx_set_error(MX_EINVAL, "parameter '%s': %s must have every value %s", name,
                                mx_shape_str(v, b, sizeof b), lo > 0 ? "positive" : ">= 0");
        dst[2 - nd + i] = (int)v->dims[i];
    }
    return MX_OK;
}

/* Output length along one axis under MXNet's convention: valid floors,
 * full ceils (Caffe's), both +1. The caller checked k <= n + 2p. */
static long long out_len(int n, int k, int s, int p, int convention)
{
    long long span = (long long)n + 2LL * p - k;
    return (convention == POOL_FULL ? (span + s - 1) / s : span / s) + 1;
}

/* Resolves the window for data of shape d; errors name the argument or
 * the parameter at fault. */
static mx_status pool_resolve(const pool_param *p, const mx_shape *d, pool_geom *g)
{
    char b[128], c[128];
    int kernel_given = mx_shape_given(&p->kernel);
    if (!p->global_pool && !kernel_given)
        return mx_set_error(MX_EINVAL, "parameter 'kernel' is required unless global_pool=true");
    if (!p->global_pool && p->kernel.ndim == 3)
        return mx_set_error(MX_ENOTSUP, "parameter 'kernel': %s: 3-D pooling is not supported by mxrt (1-D, 2-D)",
                            mx_shape_str(&p->kernel, b, sizeof b));
    if (!p->global_pool && p->kernel.ndim != 1 && p->kernel.ndim != 2)
        return mx_set_error(MX_EINVAL, "parameter 'kernel': %s: pooling kernels are 1-D, 2-D or 3-D",
                            mx_shape_str(&p->kernel, b, sizeof b));
    if (d->ndim == 5)
        return mx_set_error(MX_ENOTSUP, "argument 'data': %s: 3-D pooling (N,C,D,H,W) is not supported by mxrt",
                            mx_shape_str(d, b, sizeof b));
    if (d->ndim != 3 && d->ndim != 4)
        return mx_set_error(MX_EINVAL, "argument 'data': Pooling needs (N,C,W) or (N,C,H,W) data, got %s",
                            mx_shape_str(d, b, sizeof b));
    int nd = d->ndim - 2;
    if (p->layout != LAYOUT_NONE && p->layout != (nd == 2 ? LAYOUT_NCHW : LAYOUT_NCW))
        return mx_set_error(MX_EINVAL, "parameter 'layout': %s does not fit %d-D data %s", layouts[p->layout],
                            nd, mx_shape_str(d, b, sizeof b));
    if (!p->global_pool && p->kernel.ndim != nd)
        return mx_set_error(MX_EINVAL, "parameter 'kernel': %s is %d-D but data %s needs a %d-D kernel",
                            mx_shape_str(&p->kernel, b, sizeof b), p->kernel.ndim,
                            mx_shape_str(d, c, sizeof c), nd);
    for (int i = 0; i < d->ndim; i++)
        if (d->dims[i] < 1 || d->dims[i] > INT32_MAX)
            return mx_set_error(MX_EINVAL, "argument 'data': bad shape %s", mx_shape_str(d, b, sizeof b));
    if (d->dims[d->ndim - 1] * (nd == 2 ? d->dims[2] : 1) > INT32_MAX) /* kernels index planes with int */
        return mx_set_error(MX_EINVAL, "argument 'data': %s: planes of 2^31 elements or more are not supported",
                            mx_shape_str(d, b, sizeof b));
    g->planes = (size_t)d->dims[0] * (size_t)d->dims[1];
    g->in[0] = nd == 2 ? (int)d->dims[2] : 1;
    g->in[1] = (int)d->dims[d->ndim - 1];
    g->k[0] = g->s[0] = g->s[1] = 1;
    g->p[0] = g->p[1] = 0;
    if (p->global_pool) { /* the whole plane: MXNet ignores kernel, stride and pad */
        g->k[0] = g->in[0];
        g->k[1] = g->in[1];
        g->out[0] = g->out[1] = 1;
        return MX_OK;
    }
    mx_status st = take_window("kernel", &p->kernel, nd, 1, g->k);
    if (st == MX_OK && mx_shape_given(&p->stride)) st = take_window("stride", &p->stride, nd, 1, g->s);
    if (st == MX_OK && mx_shape_given(&p->pad)) st = take_window("pad", &p->pad, nd, 0, g->p);
    if (st != MX_OK) return st;
    for (int a = 2 - nd; a < 2; a++) {
        /* long long: long is 32-bit on armhf, and 2·pad may pass 2^31 */
        if ((long long)g->k[a] > (long long)g->in[a] + 2LL * g->p[a])
            return mx_set_error(MX_EINVAL, "parameter 'kernel': %s: size %d exceeds input %d (padded to %lld) of data %s",
                                mx_shape_str(&p->kernel, b, sizeof b), g->k[a], g->in[a],
                                (long long)g->in[a] + 2LL * g->p[a], mx_shape_str(d, c, sizeof c));
        long long len = out_len(g->in[a], g->k[a], g->s[a], g->p[a], p->convention);
        if (len > INT32_MAX) /* a pad far above the kernel: the output would not fit an int */
            return mx_set_error(MX_EINVAL, "parameter 'pad': %s makes output axis %d %lld long for data %s",
                                mx_shape_str(&p->pad, b, sizeof b), a - (2 - nd), len, mx_shape_str(d, c, sizeof c));
        g->out[a] = (int)len;
    }
    if (nd == 1) g->out[0] = 1;
    if ((long long)g->out[0] * g->out[1] > INT32_MAX) /* kernels index planes with int */
        return mx_set_error(MX_EINVAL, "parameter 'pad': %s: output planes of 2^31 elements or more are not supported",
                            mx_shape_str(&p->pad, b, sizeof b));
    return MX_OK;
}

/* Output (N, C, [oh,] ow) from the data; nothing is inferred backwards. */
static mx_status pool_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                            mx_shape *aux, int naux)
{
    (void)nin; (void)nout; (void)aux; (void)naux;
    if (in[0].ndim == 0) return MX_OK; /* the output says nothing about the input */
    pool_geom g;
    mx_status st = pool_resolve(param, &in[0], &g);
    if (st != MX_OK) return st;
    mx_shape y = in[0];
    if (y.ndim == 4) y.dims[2] = g.out[0];
    y.dims[y.ndim - 1] = g.out[1];
    return mx_shape_assign(&out[0], &y, "output");
}

/* y = pooling of the data, one kernel call over all N·C planes. */
static void pool_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                         mx_tensor *aux)
{
    (void)aux;
    const pool_param *p = param;
    pool_geom g;
    if (pool_resolve(p, &in[0].shape, &g) != MX_OK) return; /* infer_shape already refused it */
    r->k->pool_forward(r->eng, p->pool_type, g.planes, g.in, g.out, g.k, g.s, g.p,
                       p->count_include_pad, in[0].data, out[0].data, MX_REQ_WRITE);
}

/* d(data) (req) from d(output), reading the data for max's arg-max. */
static void pool_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                          const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                          const mx_req *req, mx_tensor *aux)
{
    (void)out; (void)aux;
    const pool_param *p = param;
    pool_geom g;
    if (req[0] == MX_REQ_NULL || pool_resolve(p, &in[0].shape, &g) != MX_OK) return;
    r->k->pool_backward(r->eng, p->pool_type, g.planes, g.in, g.out, g.k, g.s, g.p,
                        p->count_include_pad, in[0].data, out_grad[0].data, in_grad[0].data, req[0]);
}

const mx_op_def mx_op_pooling = {
    .name = "Pooling",
    .param_size = sizeof(pool_param),
    .params = pool_params,
    .list_arguments = mx_args_data,
    .infer_shape = pool_infer,
    /* max pooling finds its arg-max again in the input rather than keeping
     * a mask: no workspace, and the first maximum on ties by construction */
    .bwd_needs_in = 1u,
    .forward = pool_forward,
    .backward = pool_backward,
};
