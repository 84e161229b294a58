/* batch_norm.c — BatchNorm with MXNet's parameters. Training normalises
 * with the batch's per-channel mean and biased variance and folds them
 * into the aux states moving_mean/moving_var (moving = m·moving + (1−m)·
 * batch); inference and use_global_stats normalise with the moving stats.
 * The mean and 1/std forward used are kept in the node's workspace for
 * backward, together with which of the two modes it ran. */
#include <stddef.h>

#include "ops.h"

typedef struct bn_param {
    float eps;
    float momentum;
    int fix_gamma;
    int use_global_stats;
    int output_mean_var;
    int axis;
    int cudnn_off; /* accepted for MXNet's JSON; there is no cuDNN here */
} bn_param;

static const mx_param_spec bn_params[] = {
    {"eps", MX_P_FLOAT, "1e-3", offsetof(bn_param, eps), NULL, 0, 0, NULL},
    {"momentum", MX_P_FLOAT, "0.9", offsetof(bn_param, momentum), NULL, 0, 0, NULL},
    {"fix_gamma", MX_P_BOOL, "true", offsetof(bn_param, fix_gamma), NULL, 0, 0, NULL},
    {"use_global_stats", MX_P_BOOL, "false", offsetof(bn_param, use_global_stats), NULL, 0, 0, NULL},
    {"output_mean_var", MX_P_BOOL, "false", offsetof(bn_param, output_mean_var), NULL, 0, 0, NULL},
    {"axis", MX_P_INT, "1", offsetof(bn_param, axis), NULL, -MX_MAX_NDIM, 0, NULL},
    {"cudnn_off", MX_P_BOOL, "false", offsetof(bn_param, cudnn_off), NULL, 0, 0, NULL},
    /* int8 calibration ranges (MXNet's quantization flow): no effect in float32 */
    {"min_calib_range", MX_P_FLOAT, NULL, 0, NULL, 0, MX_PF_OPTIONAL | MX_PF_IGNORED, NULL},
    {"max_calib_range", MX_P_FLOAT, NULL, 0, NULL, 0, MX_PF_OPTIONAL | MX_PF_IGNORED, NULL},
    MX_PARAMS_END,
};

/* Workspace (device memory): mean, var and invstd, C floats each, each
 * padded to 64 bytes. This flag lives in the node's host state. */
typedef struct bn_ws {
    int batch_stats; /* forward normalised with the batch's statistics */
} bn_ws;

/* c rounded up to 16 floats (64 bytes). */
static size_t padded(size_t c) { return (c + 15) & ~(size_t)15; }

/* MXNet's arguments: data, gamma, beta. */
static int bn_args(const void *param, const char **names)
{
    (void)param;
    names[0] = "data";
    names[1] = "gamma";
    names[2] = "beta";
    return 3;
}

/* MXNet's aux states, named <node>_moving_mean / _moving_var. */
static int bn_aux(const void *param, const char **names)
{
    (void)param;
    names[0] = "moving_mean";
    names[1] = "moving_var";
    return 2;
}

/* MXNet's output_mean_var makes the batch mean and inverse std visible. */
static int bn_outputs(const void *param)
{
    const bn_param *p = param;
    return p->output_mean_var ? 3 : 1;
}

/* MXNet's output names: output, mean, var (bn_mean, as sym[:bn_mean] finds it). */
static const char *bn_output_name(const void *param, int i)
{
    (void)param;
    static const char *const names[] = {"output", "mean", "var"};
    return i >= 0 && i < 3 ? names[i] : NULL;
}

/* The channel axis of data (negative counts from the end), or -1. */
static int channel_axis(const bn_param *p, const mx_shape *data)
{
    int ax = p->axis < 0 ? p->axis + data->ndim : p->axis;
    return ax >= 0 && ax < data->ndim ? ax : -1;
}

/* data as (outer, c, inner) around the channel axis. */
static void bn_view(const bn_param *p, const mx_shape *data, size_t *outer, size_t *c, size_t *inner)
{
    int ax = channel_axis(p, data);
    *outer = 1;
    for (int i = 0; i < ax; i++) *outer *= (size_t)data->dims[i];
    *c = (size_t)data->dims[ax];
    *inner = mx_shape_tail(data, ax + 1);
}

/* gamma, beta and both aux states are (C,) for C on the channel axis. */
static mx_status bn_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                          mx_shape *aux, int naux)
{
    (void)nin; (void)naux;
    const bn_param *p = param;
    mx_status st = mx_shape_assign(&in[0], &out[0], "argument 'data'");
    if (st != MX_OK || in[0].ndim == 0) return st;
    int ax = channel_axis(p, &in[0]);
    if (ax < 0) {
        char d[128];
        return mx_set_error(MX_EINVAL, "BatchNorm: axis %d is out of range for data %s", p->axis,
                            mx_shape_str(&in[0], d, sizeof d));
    }
    mx_shape cs = mx_shape_from(1, &in[0].dims[ax]); /* int64: an int would wrap */
    if ((st = mx_shape_assign(&in[1], &cs, "argument 'gamma'")) != MX_OK) return st;
    if ((st = mx_shape_assign(&in[2], &cs, "argument 'beta'")) != MX_OK) return st;
    if ((st = mx_shape_assign(&aux[0], &cs, "auxiliary state 'moving_mean'")) != MX_OK) return st;
    if ((st = mx_shape_assign(&aux[1], &cs, "auxiliary state 'moving_var'")) != MX_OK) return st;
    if ((st = mx_shape_assign(&out[0], &in[0], "output")) != MX_OK) return st;
    for (int k = 1; k < nout && st == MX_OK; k++)
        st = mx_shape_assign(&out[k], &cs, k == 1 ? "output 'mean'" : "output 'var'");
    return st;
}

/* Header plus mean, var and invstd per channel. */
static size_t bn_workspace(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out)
{
    (void)k;
    (void)out;
    size_t outer, c, inner;
    bn_view(param, &in[0], &outer, &c, &inner);
    return 3 * padded(c) * sizeof(float);
}

/* The mean in the workspace (var and invstd follow, padded(c) apart). */
static float *ws_mean(void *ws) { return ws; }

/* Normalises with batch or moving statistics; training updates the latter. */
static void bn_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                       mx_tensor *aux)
{
    const bn_param *p = param;
    size_t outer, c, inner;
    bn_view(p, &in[0].shape, &outer, &c, &inner);
    bn_ws *ws = r->state;
    float *mean = ws_mean(r->workspace), *var = mean + padded(c), *invstd = var + padded(c);
    /* fix_gamma: MXNet normalises with gamma = 1 whatever the array holds. */
    const float *gamma = p->fix_gamma ? NULL : in[1].data;
    ws->batch_stats = r->is_train && !p->use_global_stats;
    if (ws->batch_stats) {
        r->k->batchnorm_forward(r->eng, in[0].data, out[0].data, outer, c, inner, gamma, in[2].data,
                                p->eps, mean, var, invstd, 1);
        /* moving = m·moving + (1 − m)·batch, with the biased batch variance
         * as MXNet's CPU and non-cuDNN GPU kernels use. */
        for (int k = 0; k < 2; k++) {
            r->k->scale_copy(r->eng, aux[k].data, aux[k].data, p->momentum, c, MX_REQ_WRITE);
            r->k->scale_copy(r->eng, aux[k].data, k ? var : mean, 1.0f - p->momentum, c, MX_REQ_ADD);
        }
    } else {
        /* Keep the mean used so backward never depends on the aux arrays. */
        r->k->scale_copy(r->eng, mean, aux[0].data, 1.0f, c, MX_REQ_WRITE);
        r->k->batchnorm_forward(r->eng, in[0].data, out[0].data, outer, c, inner, gamma, in[2].data,
                                p->eps, mean, aux[1].data, invstd, 0);
    }
    if (p->output_mean_var) {
        /* As MXNet: the mean and the inverse standard deviation. */
        r->k->scale_copy(r->eng, out[1].data, mean, 1.0f, c, MX_REQ_WRITE);
        r->k->scale_copy(r->eng, out[2].data, invstd, 1.0f, c, MX_REQ_WRITE);
    }
}

/* Gradients w.r.t. data, gamma and beta from forward's saved statistics. */
static void bn_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                        const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                        const mx_req *req, mx_tensor *aux)
{
    (void)out; (void)aux;
    const bn_param *p = param;
    size_t outer, c, inner;
    bn_view(p, &in[0].shape, &outer, &c, &inner);
    const bn_ws *ws = r->state;
    const float *mean = ws_mean(r->workspace), *invstd = mean + 2 * padded(c);
    /* The mean/var outputs pass no gradient (MXNet blocks them too). */
    if (!out_grad[0].data) { /* output 0 unused (only mean/var read): zero gradients */
        size_t n[3] = {mx_shape_size(&in[0].shape), c, c};
        for (int k = 0; k < 3; k++)
            if (req[k] == MX_REQ_WRITE && in_grad[k].data) r->k->fill(r->eng, in_grad[k].data, 0.0f, n[k]);
        return;
    }
    r->k->batchnorm_backward(r->eng, in[0].data, out_grad[0].data, in_grad[0].data, outer, c, inner,
                             mean, invstd, p->fix_gamma ? NULL : in[1].data, ws->batch_stats, req[0],
                             in_grad[1].data, req[1], in_grad[2].data, req[2]);
}

const mx_op_def mx_op_batch_norm = {
    .name = "BatchNorm",
    .param_size = sizeof(bn_param),
    .params = bn_params,
    .list_arguments = bn_args,
    .num_outputs = bn_outputs,
    .output_name = bn_output_name,
    .list_aux = bn_aux,
    .infer_shape = bn_infer,
    .flags = MX_OP_BWD_INPLACE,
    .bwd_needs_in = 1u | 2u,
    .workspace = bn_workspace,
    .forward = bn_forward,
    .backward = bn_backward,
};
