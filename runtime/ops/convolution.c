/* convolution.c — Convolution with MXNet's parameters and defaults: 2-D on
 * (N, C, H, W) with kernel (kh, kw), 1-D on (N, C, W) with kernel (k,);
 * weight (num_filter, C/num_group, kernel...), bias (num_filter). The math
 * is the kernel table's conv_* entries; this file owns the parameters,
 * the shapes and their errors. */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include "ops.h"
#include "conv_param.h"

typedef struct conv_param {
    mx_shape kernel, stride, dilate, pad;
    int num_filter, num_group, workspace, no_bias, cudnn_tune, cudnn_off, layout;
} conv_param;

static const char *const tunes[] = {"None", "off", "limited_workspace", "fastest", NULL};
static const char *const layouts[] = {"None", "NCW", "NCHW", "NCDHW", "NHWC", "NDHWC", NULL};
enum { LAYOUT_NONE, LAYOUT_NCW, LAYOUT_NCHW };

/* workspace (MB), cudnn_tune and cudnn_off are accepted so MXNet's graphs
 * load, and ignored: bind plans the exact scratch the kernels ask for. */
static const mx_param_spec conv_params[] = {
    {"kernel", MX_P_SHAPE, NULL, offsetof(conv_param, kernel), NULL, 0, 0, NULL},
    {"stride", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(conv_param, stride), NULL, 0, 0, NULL},
    {"dilate", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(conv_param, dilate), NULL, 0, 0, NULL},
    {"pad", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(conv_param, pad), NULL, 0, 0, NULL},
    {"num_filter", MX_P_INT, NULL, offsetof(conv_param, num_filter), NULL, 1, 0, NULL},
    {"num_group", MX_P_INT, "1", offsetof(conv_param, num_group), NULL, 1, 0, NULL},
    {"workspace", MX_P_INT, "1024", offsetof(conv_param, workspace), NULL, 0, 0, NULL},
    {"no_bias", MX_P_BOOL, "false", offsetof(conv_param, no_bias), NULL, 0, 0, NULL},
    {"cudnn_tune", MX_P_ENUM, "None", offsetof(conv_param, cudnn_tune), tunes, 0, 0, NULL},
    {"cudnn_off", MX_P_BOOL, "false", offsetof(conv_param, cudnn_off), NULL, 0, 0, NULL},
    {"layout", MX_P_ENUM, "None", offsetof(conv_param, layout), layouts, 0, 0, NULL},
    MX_PARAMS_END,
};

static int conv_args(const void *param, const char **names)
{
    const conv_param *p = param;
    names[0] = "data";
    names[1] = "weight";
    if (p->no_bias) return 2;
    names[2] = "bias";
    return 3;
}

int64_t mx_conv_axis(const mx_shape *s, int i, int64_t def) { return mx_shape_given(s) ? s->dims[i] : def; }

mx_status mx_conv_check_axes(const mx_shape *s, const char *name, int rank, int64_t lo)
{
    char buf[128];
    if (!mx_shape_given(s)) return MX_OK;
    if (s->ndim != rank)
        return mx_set_error(MX_EINVAL, "parameter '%s': %s has %d entries but the kernel has %d", name,
                            mx_shape_str(s, buf, sizeof buf), s->ndim, rank);
    for (int i = 0; i < rank; i++)
        if (s->dims[i] < lo || s->dims[i] > INT_MAX)
            return mx_set_error(MX_EINVAL, "parameter '%s': %s must have entries >= %lld", name,
                                mx_shape_str(s, buf, sizeof buf), (long long)lo);
    return MX_OK;
}

mx_status mx_conv_check_common(const char *what, const mx_shape *kernel, const mx_shape *stride,
                               const mx_shape *dilate, const mx_shape *pad, int layout, int num_filter, int num_group)
{
    static const char *const names[] = {"None", "NCW", "NCHW"};
    char buf[128];
    int rank = kernel->ndim;
    if (rank == 3)
        return mx_set_error(MX_ENOTSUP, "parameter 'kernel': %s: 3-D %s is not supported by mxrt "
                            "(1-D (k,) and 2-D (kh,kw) kernels)", mx_shape_str(kernel, buf, sizeof buf), what);
    if (rank != 1 && rank != 2)
        return mx_set_error(MX_EINVAL, "parameter 'kernel': %s: kernels are 1-D (k,), 2-D (kh,kw) or 3-D",
                            mx_shape_str(kernel, buf, sizeof buf));
    mx_status st = mx_conv_check_axes(kernel, "kernel", rank, 1);
    if (st == MX_OK) st = mx_conv_check_axes(stride, "stride", rank, 1);
    if (st == MX_OK) st = mx_conv_check_axes(dilate, "dilate", rank, 1);
    if (st == MX_OK) st = mx_conv_check_axes(pad, "pad", rank, 0);
    if (st != MX_OK) return st;
    if (layout != 0 && layout != rank) /* NCW is 1, NCHW 2: the kernel's rank */
        return mx_set_error(MX_EINVAL, "parameter 'layout': %s does not fit a %d-D kernel (%s)", names[layout], rank,
                            names[rank]);
    if (num_filter % num_group)
        return mx_set_error(MX_EINVAL, "parameter 'num_filter': %d is not divisible by num_group %d", num_filter,
                            num_group);
    return MX_OK;
}

/* Checks what does not depend on the data's shape. */
static mx_status check_params(const conv_param *p)
{
    /* channels-last and 3-D layouts are MXNet's, not mxrt's */
    if (p->layout != LAYOUT_NONE && p->layout != LAYOUT_NCW && p->layout != LAYOUT_NCHW)
        return mx_set_error(MX_ENOTSUP, "parameter 'layout': %s is not supported by mxrt (NCW, NCHW)",
                            layouts[p->layout]);
    return mx_conv_check_common("convolution", &p->kernel, &p->stride, &p->dilate, &p->pad, p->layout, p->num_filter,
                                p->num_group);
}

/* The geometry of data (and output) shapes that inference accepted. */
static void geom_of(const conv_param *p, const mx_shape *data, const mx_shape *out, mx_conv_geom *g)
{
    int two = p->kernel.ndim == 2, last = p->kernel.ndim - 1;
    g->n = (int)data->dims[0], g->c = (int)data->dims[1];
    g->h = two ? (int)data->dims[2] : 1, g->w = (int)data->dims[2 + two];
    g->f = p->num_filter, g->groups = p->num_group;
    g->kh = two ? (int)p->kernel.dims[0] : 1, g->kw = (int)p->kernel.dims[last];
    g->sh = two ? (int)mx_conv_axis(&p->stride, 0, 1) : 1, g->sw = (int)mx_conv_axis(&p->stride, last, 1);
    g->dh = two ? (int)mx_conv_axis(&p->dilate, 0, 1) : 1, g->dw = (int)mx_conv_axis(&p->dilate, last, 1);
    g->ph = two ? (int)mx_conv_axis(&p->pad, 0, 0) : 0, g->pw = (int)mx_conv_axis(&p->pad, last, 0);
    g->oh = two ? (int)out->dims[2] : 1, g->ow = (int)out->dims[2 + two];
}

static mx_status conv_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                            mx_shape *aux, int naux)
{
    (void)nout; (void)aux; (void)naux;
    const conv_param *p = param;
    mx_status st = check_params(p);
    if (st != MX_OK || in[0].ndim == 0) return st; /* data unknown: nothing to go on yet */
    const mx_shape *d = &in[0];
    int rank = p->kernel.ndim;
    char buf[128];
    if (d->ndim != rank + 2)
        return mx_set_error(MX_EINVAL, "argument 'data': shape %s must be %s for a %d-D kernel",
                            mx_shape_str(d, buf, sizeof buf), rank == 2 ? "(N,C,H,W)" : "(N,C,W)", rank);
    for (int i = 0; i < d->ndim; i++)
        if (d->dims[i] < 1 || d->dims[i] > INT_MAX)
            return mx_set_error(MX_EINVAL, "argument 'data': shape %s has a size out of range",
                                mx_shape_str(d, buf, sizeof buf));
    if (d->dims[1] % p->num_group)
        return mx_set_error(MX_EINVAL,
                            "parameter 'num_group': %d does not divide the %lld channels of 'data'",
                            p->num_group, (long long)d->dims[1]);
    mx_shape y = *d;
    y.dims[1] = p->num_filter;
    int64_t per_sample_in = d->dims[1], per_sample_out = p->num_filter, taps = d->dims[1] / p->num_group;
    for (int i = 0; i < rank; i++) {
        int64_t k = p->kernel.dims[i], s = mx_conv_axis(&p->stride, i, 1);
        int64_t dl = mx_conv_axis(&p->dilate, i, 1);
        int64_t pad = mx_conv_axis(&p->pad, i, 0), size = d->dims[2 + i] + 2 * pad, ext = dl * (k - 1) + 1;
        if (size > INT_MAX) /* the kernels index the padded input with int */
            return mx_set_error(MX_EINVAL, "parameter 'pad': %s makes the padded input too large",
                                mx_shape_str(&p->pad, buf, sizeof buf));
        if (ext > size)
            return mx_set_error(MX_EINVAL,
                                "parameter 'kernel': %s spans %lld (dilated) on axis %d, "
                                "more than the %lld of the padded input",
                                mx_shape_str(&p->kernel, buf, sizeof buf), (long long)ext, i,
                                (long long)size);
        y.dims[2 + i] = (size - ext) / s + 1;
        /* the kernels index one sample's planes and col matrix with int
         * (each factor is at most INT_MAX, so no product overflows) */
        per_sample_in *= d->dims[2 + i], per_sample_out *= y.dims[2 + i], taps *= k;
        if (per_sample_in > INT_MAX || per_sample_out > INT_MAX || taps > INT_MAX ||
            taps * (per_sample_out / p->num_filter) > INT_MAX)
            return mx_set_error(MX_EINVAL, "argument 'data': shape %s is too large for one convolution",
                                mx_shape_str(d, buf, sizeof buf));
    }
    mx_shape w = p->kernel.ndim == 2
                     ? mx_shape_make(4, p->num_filter, (int)(d->dims[1] / p->num_group),
                                     (int)p->kernel.dims[0], (int)p->kernel.dims[1])
                     : mx_shape_make(3, p->num_filter, (int)(d->dims[1] / p->num_group),
                                     (int)p->kernel.dims[0]);
    st = mx_shape_assign(&in[1], &w, "argument 'weight'");
    if (st == MX_OK && nin > 2) {
        mx_shape b = mx_shape_make(1, p->num_filter);
        st = mx_shape_assign(&in[2], &b, "argument 'bias'");
    }
    if (st != MX_OK) return st;
    return mx_shape_assign(&out[0], &y, "output");
}

/* The device's table sizes the scratch (a GPU batches im2col). */
static size_t conv_workspace(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out)
{
    mx_conv_geom g;
    geom_of(param, &in[0], &out[0], &g);
    return k->conv_workspace(&g);
}

static size_t conv_forward_workspace(const mx_kernels *k, const void *param, const mx_shape *in,
                                     const mx_shape *out)
{
    mx_conv_geom g;
    geom_of(param, &in[0], &out[0], &g);
    return k->conv_forward_workspace(&g);
}

static void conv_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                         mx_tensor *aux)
{
    (void)aux;
    const conv_param *p = param;
    mx_conv_geom g;
    geom_of(p, &in[0].shape, &out[0].shape, &g);
    r->k->conv_forward(r->eng, &g, in[0].data, in[1].data, p->no_bias ? NULL : in[2].data,
                       out[0].data, r->workspace);
}

static void conv_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                          const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                          const mx_req *req, mx_tensor *aux)
{
    (void)aux;
    const conv_param *p = param;
    mx_conv_geom g;
    geom_of(p, &in[0].shape, &out[0].shape, &g);
    r->k->conv_backward(r->eng, &g, in[0].data, in[1].data, out_grad[0].data, in_grad[0].data, req[0],
                        in_grad[1].data, req[1], p->no_bias ? NULL : in_grad[2].data,
                        p->no_bias ? MX_REQ_NULL : req[2], r->workspace);
}

const mx_op_def mx_op_convolution = {
    .name = "Convolution",
    .param_size = sizeof(conv_param),
    .params = conv_params,
    .list_arguments = conv_args,
    .infer_shape = conv_infer,
    .bwd_needs_in = 1u | 2u,
    .workspace = conv_workspace,
    .forward_workspace = conv_forward_workspace,
    .forward = conv_forward,
    .backward = conv_backward,
};
