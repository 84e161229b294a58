/* upsampling.c — MXNet's UpSampling on (N, C, H, W) data.
 *
 * nearest: num_args inputs arg0, arg1, …; the output is (scale·H0,
 * scale·W0) and every input is repeated up to that size (its own whole
 * factors per axis), then the inputs are joined along the channels
 * (multi_input_mode concat) or added (sum). Forward is a gather with
 * zero strides over the repeats, backward the sum over each block (the
 * kernel table's bcast_binary and reduce).
 *
 * bilinear: arguments data and weight (num_args 2, num_filter = the
 * channels); MXNet runs it as a depthwise Deconvolution with kernel
 * 2·scale − scale%2, stride scale, pad ⌈(scale−1)/2⌉ and no bias, and so
 * does mxrt (deconvolution.c's convolution run backwards). The weight is
 * an ordinary argument: MXNet's Bilinear initializer fills it. */
#include <limits.h>
#include <stdio.h>

#include "conv_param.h"

typedef struct up_param {
    int scale, num_filter, sample_type, mode, num_args, workspace;
} up_param;

enum { NEAREST, BILINEAR };
static const char *const types[] = {"nearest", "bilinear", NULL};
static const char *const modes[] = {"concat", "sum", NULL};

static const mx_param_spec up_params[] = {
    {"scale", MX_P_INT, NULL, offsetof(up_param, scale), NULL, 1, 0, NULL},
    {"num_filter", MX_P_INT, "0", offsetof(up_param, num_filter), NULL, 0, 0, NULL},
    {"sample_type", MX_P_ENUM, NULL, offsetof(up_param, sample_type), types, 0, 0, NULL},
    {"multi_input_mode", MX_P_ENUM, "concat", offsetof(up_param, mode), modes, 0, 0, NULL},
    {"num_args", MX_P_INT, NULL, offsetof(up_param, num_args), NULL, 1, 0, NULL},
    {"workspace", MX_P_INT, "512", offsetof(up_param, workspace), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

/* nearest is variadic (num_args inputs, all given); bilinear takes two,
 * its weight made as a variable when not given. */
static int up_nargs(const void *param)
{
    const up_param *p = param;
    return p->sample_type == NEAREST ? p->num_args : 0;
}

static int up_args(const void *param, const char **names)
{
    const up_param *p = param;
    if (p->sample_type == BILINEAR) {
        names[0] = "data";
        names[1] = "weight";
        return 2;
    }
    for (int i = 0; i < p->num_args; i++) names[i] = mx_op_arg_name(i);
    return p->num_args;
}

/* bilinear's deconvolution: kernel, pad. */
static int bl_kernel(int s) { return 2 * s - s % 2; }
static int bl_pad(int s) { return s / 2; } /* ⌈(s − 1)/2⌉ */

static void bl_geom(const up_param *p, const mx_shape *x, mx_conv_geom *g)
{
    g->n = (int)x->dims[0], g->f = g->c = g->groups = (int)x->dims[1];
    g->oh = (int)x->dims[2], g->ow = (int)x->dims[3];
    g->h = g->oh * p->scale, g->w = g->ow * p->scale;
    g->kh = g->kw = bl_kernel(p->scale);
    g->sh = g->sw = p->scale;
    g->ph = g->pw = bl_pad(p->scale);
    g->dh = g->dw = 1;
}

static mx_status up_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux, int naux)
{
    (void)nout, (void)aux, (void)naux;
    const up_param *p = param;
    char a[128];
    if (p->sample_type == BILINEAR && p->num_args != 2)
        return mx_set_error(MX_EINVAL, "parameter 'num_args': bilinear takes 2 (data, weight), not %d", p->num_args);
    if (in[0].ndim == 0) return MX_OK;
    const mx_shape *d = &in[0];
    if (d->ndim != 4)
        return mx_set_error(MX_EINVAL, "argument '%s': UpSampling needs (N,C,H,W) data, got %s",
                            p->sample_type == BILINEAR ? "data" : "arg0", mx_shape_str(d, a, sizeof a));
    if (d->dims[2] > INT_MAX / 4 / p->scale || d->dims[3] > INT_MAX / 4 / p->scale ||
        mx_shape_size(d) > (size_t)INT_MAX / ((size_t)p->scale * p->scale))
        return mx_set_error(MX_EINVAL, "parameter 'scale': %d makes an output too large for data %s", p->scale,
                            mx_shape_str(d, a, sizeof a));
    mx_shape y = *d;
    y.dims[2] *= p->scale, y.dims[3] *= p->scale;
    if (p->sample_type == BILINEAR) {
        if (p->num_filter != d->dims[1])
            return mx_set_error(MX_EINVAL, "parameter 'num_filter': %d must be the channels of 'data' %s",
                                p->num_filter, mx_shape_str(d, a, sizeof a));
        int k = bl_kernel(p->scale);
        mx_shape w = mx_shape_make(4, d->dims[1], 1, k, k);
        mx_status st = mx_shape_assign(&in[1], &w, "argument 'weight'");
        return st == MX_OK ? mx_shape_assign(&out[0], &y, "output") : st;
    }
    int64_t channels = 0;
    for (int i = 0; i < nin; i++) {
        const mx_shape *s = &in[i];
        if (s->ndim == 0) return MX_OK; /* another pass */
        if (s->ndim != 4 || s->dims[0] != d->dims[0] || s->dims[2] < 1 || s->dims[3] < 1 ||
            y.dims[2] % s->dims[2] || y.dims[3] % s->dims[3])
            return mx_set_error(MX_EINVAL, "argument 'arg%d': %s must be (N,C,h,w) with N %lld and h, w dividing the "
                                "output's %lldx%lld", i, mx_shape_str(s, a, sizeof a), (long long)d->dims[0],
                                (long long)y.dims[2], (long long)y.dims[3]);
        if (p->mode == 1 && s->dims[1] != d->dims[1])
            return mx_set_error(MX_EINVAL, "argument 'arg%d': %s: multi_input_mode=sum needs %lld channels, as arg0",
                                i, mx_shape_str(s, a, sizeof a), (long long)d->dims[1]);
        channels += s->dims[1];
    }
    if (p->mode == 0) y.dims[1] = channels;
    return mx_shape_assign(&out[0], &y, "output");
}

static size_t up_workspace(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out)
{
    const up_param *p = param;
    if (p->sample_type == BILINEAR) {
        mx_conv_geom g;
        bl_geom(p, &in[0], &g);
        return mx_deconv_workspace(k, &g);
    }
    /* sum mode: each later input is repeated here, then added */
    return p->mode == 1 && p->num_args > 1 ? mx_shape_size(&out[0]) * sizeof(float) : 0;
}

/* Input s repeated up to y's size: a gather over (rows, h, fh, w, fw). */
static void repeat_geom(const mx_shape *s, const mx_shape *y, int64_t rows, mx_bcast_geom *g)
{
    int64_t h = s->dims[2], w = s->dims[3];
    *g = (mx_bcast_geom){.ndim = 5};
    const int64_t shape[5] = {rows, h, y->dims[2] / h, w, y->dims[3] / w}, sa[5] = {h * w, w, 0, 1, 0};
    for (int d = 0; d < 5; d++) g->shape[d] = shape[d], g->sa[d] = sa[d];
}

static void up_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    const up_param *p = param;
    const mx_shape *y = &out[0].shape;
    if (p->sample_type == BILINEAR) {
        mx_conv_geom g;
        bl_geom(p, &in[0].shape, &g);
        mx_deconv_forward(r, &g, in[0].data, in[1].data, NULL, out[0].data);
        return;
    }
    int64_t n = y->dims[0], plane = y->dims[2] * y->dims[3], off = 0;
    for (int i = 0; i < p->num_args; i++) {
        const mx_shape *s = &in[i].shape;
        mx_bcast_geom g;
        if (p->mode == 1 || p->num_args == 1) { /* one block: every sample at once */
            repeat_geom(s, y, n * s->dims[1], &g);
            float *dst = i == 0 ? out[0].data : r->workspace;
            r->k->bcast_binary(r->eng, MX_BIN_ADD, in[i].data, NULL, dst, &g);
            if (i > 0) r->k->scale_copy(r->eng, out[0].data, dst, 1.0f, mx_shape_size(y), MX_REQ_ADD);
            continue;
        }
        /* concat: each sample's channels sit at their own offset */
        repeat_geom(s, y, s->dims[1], &g);
        for (int64_t k = 0; k < n; k++)
            r->k->bcast_binary(r->eng, MX_BIN_ADD, in[i].data + k * (int64_t)mx_shape_tail(s, 1), NULL,
                               out[0].data + (k * y->dims[1] + off) * plane, &g);
        off += s->dims[1];
    }
}

/* dx (req) = dy summed over each repeat block of input s. */
static void block_sum(const mx_op_run *r, const mx_shape *s, const mx_shape *y, int64_t rows, const float *dy,
                      float *dx, mx_req req)
{
    mx_shape v = mx_shape_make(5, rows, s->dims[2], y->dims[2] / s->dims[2], s->dims[3], y->dims[3] / s->dims[3]);
    mx_reduce_geom rg;
    mx_reduce_geom_build(&v, (const int[]){0, 0, 1, 0, 1}, &rg);
    r->k->reduce(r->eng, MX_RED_SUM, dy, dx, &rg, 1.0f, req);
}

static void up_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                        const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)aux;
    const up_param *p = param;
    const mx_shape *y = &out[0].shape;
    if (p->sample_type == BILINEAR) {
        mx_conv_geom g;
        bl_geom(p, &in[0].shape, &g);
        mx_deconv_backward(r, &g, in[0].data, in[1].data, dy[0].data, din[0].data, req[0], din[1].data, req[1],
                           NULL, MX_REQ_NULL);
        return;
    }
    int64_t n = y->dims[0], plane = y->dims[2] * y->dims[3], off = 0;
    for (int i = 0; i < p->num_args; i++) {
        const mx_shape *s = &in[i].shape;
        if (req[i] != MX_REQ_NULL && (p->mode == 1 || p->num_args == 1))
            block_sum(r, s, y, n * s->dims[1], dy[0].data, din[i].data, req[i]);
        else if (req[i] != MX_REQ_NULL)
            for (int64_t k = 0; k < n; k++)
                block_sum(r, s, y, s->dims[1], dy[0].data + (k * y->dims[1] + off) * plane,
                          din[i].data + k * (int64_t)mx_shape_tail(s, 1), req[i]);
        off += s->dims[1];
    }
}

const mx_op_def mx_op_upsampling = {
    .name = "UpSampling",
    .param_size = sizeof(up_param),
    .params = up_params,
    .num_arguments = up_nargs,
    .list_arguments = up_args,
    .infer_shape = up_infer,
    .bwd_needs_in = 3u, /* bilinear: data and weight */
    .workspace = up_workspace,
    .forward = up_forward,
    .backward = up_backward,
};
