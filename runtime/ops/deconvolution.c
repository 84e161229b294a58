/* deconvolution.c — MXNet's Deconvolution (transposed convolution), 1-D
 * and 2-D: data (N, C, H, W), weight (C, num_filter/num_group, kh, kw),
 * bias (num_filter) unless no_bias (true by default, as in MXNet). The
 * output side is (H−1)·stride − 2·pad + dilate·(k−1) + 1 + adj, or
 * target_shape, from which pad and adj are worked out as MXNet does.
 *
 * A deconvolution is a convolution run backwards: this op is the
 * convolution of geometry (input = the output here, output = the data
 * here), whose data gradient is this forward, whose forward is this data
 * gradient, and whose weight gradient (with the roles of x and dy
 * swapped) is this weight gradient. So it needs no kernels of its own:
 * the table's conv_forward and conv_backward, on the CPU and GPUs. */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include "conv_param.h"

typedef struct deconv_param {
    mx_shape kernel, stride, dilate, pad, adj, target_shape;
    int num_filter, num_group, workspace, no_bias, cudnn_tune, cudnn_off, layout;
} deconv_param;

static const char *const tunes[] = {"None", "off", "limited_workspace", "fastest", NULL};
static const char *const layouts[] = {"None", "NCW", "NCHW", NULL};
static const char *const layouts_other[] = {"NCDHW", "NHWC", "NDHWC", NULL};

/* workspace, cudnn_tune and cudnn_off are accepted and ignored, as Convolution's */
static const mx_param_spec deconv_params[] = {
    {"kernel", MX_P_SHAPE, NULL, offsetof(deconv_param, kernel), NULL, 0, 0, NULL},
    {"stride", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(deconv_param, stride), NULL, 0, 0, NULL},
    {"dilate", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(deconv_param, dilate), NULL, 0, 0, NULL},
    {"pad", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(deconv_param, pad), NULL, 0, 0, NULL},
    {"adj", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(deconv_param, adj), NULL, 0, 0, NULL},
    {"target_shape", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(deconv_param, target_shape), NULL, 0, 0, NULL},
    {"num_filter", MX_P_INT, NULL, offsetof(deconv_param, num_filter), NULL, 1, 0, NULL},
    {"num_group", MX_P_INT, "1", offsetof(deconv_param, num_group), NULL, 1, 0, NULL},
    {"workspace", MX_P_INT, "512", offsetof(deconv_param, workspace), NULL, 0, 0, NULL},
    {"no_bias", MX_P_BOOL, "true", offsetof(deconv_param, no_bias), NULL, 0, 0, NULL},
    {"cudnn_tune", MX_P_ENUM, "None", offsetof(deconv_param, cudnn_tune), tunes, 0, 0, NULL},
    {"cudnn_off", MX_P_BOOL, "false", offsetof(deconv_param, cudnn_off), NULL, 0, 0, NULL},
    {"layout", MX_P_ENUM, "None", offsetof(deconv_param, layout), layouts, 0, 0, layouts_other},
    MX_PARAMS_END,
};

static int deconv_args(const void *param, const char **names)
{
    const deconv_param *p = param;
    names[0] = "data";
    names[1] = "weight";
    if (p->no_bias) return 2;
    names[2] = "bias";
    return 3;
}

/* 1 if target_shape names a size (MXNet: a given tuple with a non-zero entry). */
static int has_target(const deconv_param *p)
{
    if (!mx_shape_given(&p->target_shape)) return 0;
    for (int i = 0; i < p->target_shape.ndim; i++)
        if (p->target_shape.dims[i] != 0) return 1;
    return 0;
}

/* Checks what does not depend on the data's shape. */
static mx_status check_params(const deconv_param *p)
{
    char buf[128];
    int rank = p->kernel.ndim;
    mx_status st = mx_conv_check_common("deconvolution", &p->kernel, &p->stride, &p->dilate, &p->pad, p->layout,
                                        p->num_filter, p->num_group);
    if (st == MX_OK) st = mx_conv_check_axes(&p->adj, "adj", rank, 0);
    if (st == MX_OK) st = mx_conv_check_axes(&p->target_shape, "target_shape", rank, 0);
    if (st != MX_OK) return st;
    for (int i = 0; i < rank && !has_target(p); i++)
        if (mx_conv_axis(&p->adj, i, 0) >= mx_conv_axis(&p->stride, i, 1))
            return mx_set_error(MX_EINVAL, "parameter 'adj': %s must be smaller than the stride on each axis",
                                mx_shape_str(&p->adj, buf, sizeof buf));
    return MX_OK;
}

/* Axis i's pad and adj: given, or worked out from target_shape (MXNet's
 * rule: the total padding split with the odd unit going to adj). */
static void pad_adj(const deconv_param *p, int i, int64_t in, int64_t *pad, int64_t *adj)
{
    if (!has_target(p)) {
        *pad = mx_conv_axis(&p->pad, i, 0);
        *adj = mx_conv_axis(&p->adj, i, 0);
        return;
    }
    int64_t ext = mx_conv_axis(&p->dilate, i, 1) * (p->kernel.dims[i] - 1) + 1;
    int64_t total = mx_conv_axis(&p->stride, i, 1) * (in - 1) + ext - p->target_shape.dims[i];
    *pad = total < 0 ? -1 : (total + 1) / 2; /* -1: a target no padding reaches */
    *adj = total < 0 ? 0 : total % 2;
}

/* The convolution this op is the transpose of: its input is our output
 * (num_filter channels), its output our data, its filters our channels. */
static void geom_of(const deconv_param *p, const mx_shape *data, const mx_shape *out, mx_conv_geom *g)
{
    int two = p->kernel.ndim == 2, last = p->kernel.ndim - 1;
    int64_t pad, adj;
    g->n = (int)data->dims[0], g->f = (int)data->dims[1], g->c = p->num_filter, g->groups = p->num_group;
    g->oh = two ? (int)data->dims[2] : 1, g->ow = (int)data->dims[2 + two];
    g->h = two ? (int)out->dims[2] : 1, g->w = (int)out->dims[2 + two];
    g->kh = two ? (int)p->kernel.dims[0] : 1, g->kw = (int)p->kernel.dims[last];
    g->sh = two ? (int)mx_conv_axis(&p->stride, 0, 1) : 1, g->sw = (int)mx_conv_axis(&p->stride, last, 1);
    g->dh = two ? (int)mx_conv_axis(&p->dilate, 0, 1) : 1, g->dw = (int)mx_conv_axis(&p->dilate, last, 1);
    pad_adj(p, last, data->dims[2 + two], &pad, &adj);
    g->pw = (int)pad;
    g->ph = 0;
    if (two) {
        pad_adj(p, 0, data->dims[2], &pad, &adj);
        g->ph = (int)pad;
    }
}

static mx_status deconv_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                              int naux)
{
    (void)nout, (void)aux, (void)naux;
    const deconv_param *p = param;
    mx_status st = check_params(p);
    if (st != MX_OK || in[0].ndim == 0) return st;
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
        return mx_set_error(MX_EINVAL, "parameter 'num_group': %d does not divide the %lld channels of 'data'",
                            p->num_group, (long long)d->dims[1]);
    mx_shape y = *d;
    y.dims[1] = p->num_filter;
    /* the convolution's limits (convolution.c), on the transposed geometry */
    int64_t conv_in = p->num_filter, conv_out = d->dims[1], taps = p->num_filter / p->num_group;
    for (int i = 0; i < rank; i++) {
        int64_t k = p->kernel.dims[i], s = mx_conv_axis(&p->stride, i, 1);
        int64_t ext = mx_conv_axis(&p->dilate, i, 1) * (k - 1) + 1;
        int64_t pad, adj, n = d->dims[2 + i];
        pad_adj(p, i, n, &pad, &adj);
        if (has_target(p) && (pad < 0 || adj >= s))
            return mx_set_error(pad < 0 ? MX_EINVAL : MX_ENOTSUP,
                                "parameter 'target_shape': %s on axis %d %s", mx_shape_str(&p->target_shape, buf,
                                sizeof buf), i, pad < 0 ? "is larger than the deconvolution can make"
                                : "needs an odd padding with stride 1, which mxrt does not support");
        int64_t size = s * (n - 1) + ext + adj - 2 * pad;
        if (size < 1)
            return mx_set_error(MX_EINVAL, "parameter 'pad': %s leaves no output on axis %d of data %s",
                                mx_shape_str(&p->pad, buf, sizeof buf), i, mx_shape_str(d, buf + 64, 64));
        if (size + 2 * pad > INT_MAX)
            return mx_set_error(MX_EINVAL, "argument 'data': shape %s makes an output too large",
                                mx_shape_str(d, buf, sizeof buf));
        y.dims[2 + i] = size;
        conv_in *= size, conv_out *= n, taps *= k;
        if (conv_in > INT_MAX || conv_out > INT_MAX || taps > INT_MAX || taps * (conv_out / d->dims[1]) > INT_MAX)
            return mx_set_error(MX_EINVAL, "argument 'data': shape %s is too large for one deconvolution",
                                mx_shape_str(d, buf, sizeof buf));
    }
    int cg = p->num_filter / p->num_group;
    mx_shape w = rank == 2 ? mx_shape_make(4, d->dims[1], cg, p->kernel.dims[0], p->kernel.dims[1])
                           : mx_shape_make(3, d->dims[1], cg, p->kernel.dims[0]);
    st = mx_shape_assign(&in[1], &w, "argument 'weight'");
    if (st == MX_OK && nin > 2) {
        mx_shape b = mx_shape_make(1, p->num_filter);
        st = mx_shape_assign(&in[2], &b, "argument 'bias'");
    }
    if (st != MX_OK) return st;
    return mx_shape_assign(&out[0], &y, "output");
}

/* The convolution's scratch, then room for a data gradient that is added. */
static size_t conv_bytes(const mx_kernels *k, const mx_conv_geom *g)
{
    return (k->conv_workspace(g) + 63) / 64 * 64;
}

size_t mx_deconv_workspace(const mx_kernels *k, const mx_conv_geom *g)
{
    return conv_bytes(k, g) + (size_t)g->n * g->f * g->oh * g->ow * sizeof(float);
}

static size_t deconv_workspace(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out)
{
    mx_conv_geom g;
    geom_of(param, &in[0], &out[0], &g);
    return mx_deconv_workspace(k, &g);
}

void mx_deconv_forward(const mx_op_run *r, const mx_conv_geom *g, const float *x, const float *w, const float *b,
                       float *y)
{
    mx_req req = MX_REQ_WRITE;
    if (b) { /* the bias first, the transposed convolution added: a gather of b over (N, F, spatial) */
        mx_bcast_geom bg = {0};
        bg.ndim = 3;
        bg.shape[0] = g->n, bg.shape[1] = g->c, bg.shape[2] = (int64_t)g->h * g->w;
        bg.sa[1] = 1;
        r->k->bcast_binary(r->eng, MX_BIN_ADD, b, NULL, y, &bg);
        req = MX_REQ_ADD;
    }
    /* the convolution's input is never read for a data gradient: y stands in */
    r->k->conv_backward(r->eng, g, y, w, x, y, req, NULL, MX_REQ_NULL, NULL, MX_REQ_NULL, r->workspace);
}

void mx_deconv_backward(const mx_op_run *r, const mx_conv_geom *g, const float *x, const float *w, const float *dy,
                        float *dx, mx_req rx, float *dw, mx_req rw, float *db, mx_req rb)
{
    if (rx != MX_REQ_NULL) { /* d data = the convolution of dy */
        float *dst = rx == MX_REQ_ADD ? (float *)((char *)r->workspace + conv_bytes(r->k, g)) : dx;
        r->k->conv_forward(r->eng, g, dy, w, NULL, dst, r->workspace);
        if (rx == MX_REQ_ADD)
            r->k->scale_copy(r->eng, dx, dst, 1.0f, (size_t)g->n * g->f * g->oh * g->ow, MX_REQ_ADD);
    }
    if (rw != MX_REQ_NULL) /* d weight: the convolution's, with x and dy swapped */
        r->k->conv_backward(r->eng, g, dy, w, x, NULL, MX_REQ_NULL, dw, rw, NULL, MX_REQ_NULL, r->workspace);
    if (db && rb != MX_REQ_NULL) { /* d bias: dy summed over all but the channels */
        mx_shape s3 = mx_shape_make(3, g->n, g->c, (int64_t)g->h * g->w);
        mx_reduce_geom rg;
        mx_reduce_geom_build(&s3, (const int[]){1, 0, 1}, &rg);
        r->k->reduce(r->eng, MX_RED_SUM, dy, db, &rg, 1.0f, rb);
    }
}

static void deconv_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                           mx_tensor *aux)
{
    (void)aux;
    const deconv_param *p = param;
    mx_conv_geom g;
    geom_of(p, &in[0].shape, &out[0].shape, &g);
    mx_deconv_forward(r, &g, in[0].data, in[1].data, p->no_bias ? NULL : in[2].data, out[0].data);
}

static void deconv_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                            const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)aux;
    const deconv_param *p = param;
    mx_conv_geom g;
    geom_of(p, &in[0].shape, &out[0].shape, &g);
    mx_deconv_backward(r, &g, in[0].data, in[1].data, dy[0].data, din[0].data, req[0], din[1].data, req[1],
                       p->no_bias ? NULL : din[2].data, p->no_bias ? MX_REQ_NULL : req[2]);
}

const mx_op_def mx_op_deconvolution = {
    .name = "Deconvolution",
    .param_size = sizeof(deconv_param),
    .params = deconv_params,
    .list_arguments = deconv_args,
    .infer_shape = deconv_infer,
    .bwd_needs_in = 1u | 2u,
    .workspace = deconv_workspace,
    .forward = deconv_forward,
    .backward = deconv_backward,
};
