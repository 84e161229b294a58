/* loss.c — output layers whose backward ignores the head gradient:
 * SoftmaxOutput (alias Softmax), LinearRegressionOutput and
 * LogisticRegressionOutput, with MXNet's parameters and scaling. */
#include <stddef.h>

#include "ops.h"

typedef struct softmax_param {
    float grad_scale;
    float ignore_label;
    int multi_output;
    int use_ignore;
    int preserve_shape;
    int normalization; /* 0 null, 1 batch, 2 valid */
    int out_grad;
    float smooth_alpha;
} softmax_param;

static const char *const norm_names[] = {"null", "batch", "valid", NULL};
static const char *const bool_true[] = {"true", NULL};

static const mx_param_spec softmax_params[] = {
    {"grad_scale", MX_P_FLOAT, "1", offsetof(softmax_param, grad_scale), NULL, 0, 0, NULL},
    {"ignore_label", MX_P_FLOAT, "-1", offsetof(softmax_param, ignore_label), NULL, 0, 0, NULL},
    {"multi_output", MX_P_BOOL, "false", offsetof(softmax_param, multi_output), NULL, 0, 0, NULL},
    {"use_ignore", MX_P_BOOL, "false", offsetof(softmax_param, use_ignore), NULL, 0, 0, NULL},
    {"preserve_shape", MX_P_BOOL, "false", offsetof(softmax_param, preserve_shape), NULL, 0, 0, NULL},
    {"normalization", MX_P_ENUM, "null", offsetof(softmax_param, normalization), norm_names, 0, 0, NULL},
    /* true: backward multiplies by the head gradient instead of ignoring it */
    {"out_grad", MX_P_BOOL, "false", offsetof(softmax_param, out_grad), NULL, 0, 0, bool_true},
    /* label smoothing: the gold class's target is 1 - smooth_alpha, the
     * others share smooth_alpha */
    {"smooth_alpha", MX_P_FLOAT, "0", offsetof(softmax_param, smooth_alpha), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

static int loss_args(const void *param, const char **names)
{
    (void)param;
    names[0] = "data";
    names[1] = "label";
    return 2;
}

/* The (outer, channels, inner) view softmax runs over. */
static void softmax_dims(const softmax_param *p, const mx_shape *s, size_t *outer, size_t *ch,
                         size_t *inner)
{
    if (p->multi_output) {
        *outer = (size_t)s->dims[0];
        *ch = s->ndim > 1 ? (size_t)s->dims[1] : 1;
        *inner = mx_shape_tail(s, 2);
    } else if (p->preserve_shape) {
        *ch = (size_t)s->dims[s->ndim - 1];
        *outer = mx_shape_size(s) / *ch;
        *inner = 1;
    } else {
        *outer = (size_t)s->dims[0];
        *ch = mx_shape_tail(s, 1);
        *inner = 1;
    }
}

static mx_status softmax_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                               mx_shape *aux, int naux)
{
    (void)nin; (void)nout; (void)aux; (void)naux;
    const softmax_param *p = param;
    if (in[0].ndim == 0) return MX_OK;
    mx_shape label;
    if (p->multi_output) {
        label = in[0];
        label.ndim = in[0].ndim - 1;
        label.dims[0] = in[0].dims[0];
        for (int i = 2; i < in[0].ndim; i++) label.dims[i - 1] = in[0].dims[i];
        if (label.ndim == 1) label = mx_shape_from(1, &in[0].dims[0]);
    } else if (p->preserve_shape) {
        label = in[0];
        label.ndim = in[0].ndim - 1;
        if (label.ndim == 0) label = mx_shape_make(1, 1);
    } else {
        label = mx_shape_from(1, &in[0].dims[0]); /* int64: an int would wrap */
    }
    mx_status st = mx_shape_assign(&in[1], &label, "argument 'label'");
    return st == MX_OK ? mx_shape_assign(&out[0], &in[0], "output") : st;
}

static void softmax_forward(const mx_op_run *r, const void *param, const mx_tensor *in,
                            mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    size_t outer, ch, inner;
    softmax_dims(param, &in[0].shape, &outer, &ch, &inner);
    r->k->softmax(r->eng, in[0].data, out[0].data, outer, ch, inner);
}

static void softmax_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                             const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                             const mx_req *req, mx_tensor *aux)
{
    (void)out_grad; (void)aux;
    const softmax_param *p = param;
    if (req[0] == MX_REQ_NULL) return;
    size_t outer, ch, inner;
    softmax_dims(p, &out[0].shape, &outer, &ch, &inner);
    size_t nlabels = outer * inner;
    float scale = p->grad_scale;
    if (p->normalization == 1) {
        scale /= (float)(p->multi_output ? (size_t)out[0].shape.dims[0] * inner : outer);
    } else if (p->normalization == 2) {
        size_t valid = p->use_ignore ? r->k->count_not_equal(r->eng, in[1].data, nlabels, p->ignore_label) : nlabels;
        scale /= (float)(valid ? valid : 1);
    }
    r->k->softmax_ce_grad(r->eng, out[0].data, in[1].data, in_grad[0].data, outer, ch, inner, scale,
                          p->smooth_alpha, p->use_ignore, p->ignore_label, req[0]);
    /* The label gets no gradient (MXNet writes zeros). */
    if (req[1] == MX_REQ_WRITE) r->k->fill(r->eng, in_grad[1].data, 0.0f, nlabels);
}

/* normalization=valid with use_ignore counts the labels on the host. */
static int softmax_graph_unsafe(const void *param)
{
    const softmax_param *p = param;
    return p->use_ignore && p->normalization == 2;
}

const mx_op_def mx_op_softmax_output = {
    .name = "SoftmaxOutput",
    .param_size = sizeof(softmax_param),
    .params = softmax_params,
    .list_arguments = loss_args,
    .infer_shape = softmax_infer,
    .flags = MX_OP_INPLACE | MX_OP_LOSS,
    .bwd_needs_in = 2u,
    .bwd_needs_out = 1u,
    .forward = softmax_forward,
    .backward = softmax_backward,
    .graph_unsafe = softmax_graph_unsafe,
};

typedef struct regression_param {
    float grad_scale;
} regression_param;

static const mx_param_spec regression_params[] = {
    {"grad_scale", MX_P_FLOAT, "1", offsetof(regression_param, grad_scale), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

static mx_status regression_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                                  mx_shape *aux, int naux)
{
    (void)param; (void)nin; (void)nout; (void)aux; (void)naux;
    mx_status st = mx_shape_assign(&in[1], &in[0], "argument 'label'");
    if (st == MX_OK && in[0].ndim == 0) st = mx_shape_assign(&in[0], &in[1], "argument 'data'");
    return st == MX_OK ? mx_shape_assign(&out[0], &in[0], "output") : st;
}

static void linear_forward(const mx_op_run *r, const void *param, const mx_tensor *in,
                           mx_tensor *out, mx_tensor *aux)
{
    (void)param; (void)aux;
    r->k->scale_copy(r->eng, out[0].data, in[0].data, 1.0f, mx_shape_size(&in[0].shape), MX_REQ_WRITE);
}

static void logistic_forward(const mx_op_run *r, const void *param, const mx_tensor *in,
                             mx_tensor *out, mx_tensor *aux)
{
    (void)param; (void)aux;
    r->k->act_forward(r->eng, MX_ACT_SIGMOID, in[0].data, out[0].data, mx_shape_size(&in[0].shape));
}

/* Both regressions share the gradient (out − label)·scale / outputs-per-sample. */
static void regression_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                                const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                                const mx_req *req, mx_tensor *aux)
{
    (void)out_grad; (void)aux;
    const regression_param *p = param;
    size_t n = mx_shape_size(&out[0].shape);
    size_t per_sample = mx_shape_tail(&out[0].shape, 1);
    float scale = p->grad_scale / (float)(per_sample ? per_sample : 1);
    if (req[0] != MX_REQ_NULL)
        r->k->scaled_diff(r->eng, out[0].data, in[1].data, in_grad[0].data, scale, n, req[0]);
    if (req[1] == MX_REQ_WRITE) r->k->fill(r->eng, in_grad[1].data, 0.0f, n);
}

const mx_op_def mx_op_linear_regression_output = {
    .name = "LinearRegressionOutput",
    .param_size = sizeof(regression_param),
    .params = regression_params,
    .list_arguments = loss_args,
    .infer_shape = regression_infer,
    .flags = MX_OP_INPLACE | MX_OP_LOSS,
    .bwd_needs_in = 2u,
    .bwd_needs_out = 1u,
    .forward = linear_forward,
    .backward = regression_backward,
};

const mx_op_def mx_op_logistic_regression_output = {
    .name = "LogisticRegressionOutput",
    .param_size = sizeof(regression_param),
    .params = regression_params,
    .list_arguments = loss_args,
    .infer_shape = regression_infer,
    .flags = MX_OP_INPLACE | MX_OP_LOSS,
    .bwd_needs_in = 2u,
    .bwd_needs_out = 1u,
    .forward = logistic_forward,
    .backward = regression_backward,
};
