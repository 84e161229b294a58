/* math.c — MXNet's elementwise math ops on one input: abs, negative,
 * square, sqrt, rsqrt, exp, log, clip (a_min, a_max), and the
 * activations as ops of their own, relu, sigmoid and tanh (the same math
 * as Activation's). The formulas are kernel_shared.h's, one for both
 * devices. */
#include <stddef.h>

#include "ops.h"

/* -- the unary math family: one op each, the kernel table's unary entries -- */

typedef struct clip_param {
    float a_min, a_max;
} clip_param;

static const mx_param_spec clip_params[] = {
    {"a_min", MX_P_FLOAT, NULL, offsetof(clip_param, a_min), NULL, 0, 0, NULL},
    {"a_max", MX_P_FLOAT, NULL, offsetof(clip_param, a_max), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

static mx_status clip_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                            int naux)
{
    const clip_param *p = param;
    if (!(p->a_min <= p->a_max))
        return mx_set_error(MX_EINVAL, "parameter 'a_min': %g is above a_max %g", (double)p->a_min, (double)p->a_max);
    return mx_infer_same_as_data(param, in, nin, out, nout, aux, naux);
}

#define UNARY_OP(fn, OP)                                                                                  \
    static void fn##_fwd(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,        \
                         mx_tensor *aux)                                                                 \
    {                                                                                                     \
        (void)aux;                                                                                        \
        const clip_param *c = OP == MX_UN_CLIP ? param : NULL;                                            \
        r->k->unary(r->eng, OP, in[0].data, out[0].data, mx_shape_size(&out[0].shape), c ? c->a_min : 0.0f, \
                    c ? c->a_max : 0.0f);                                                                 \
    }                                                                                                     \
    static void fn##_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,   \
                         const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)          \
    {                                                                                                     \
        (void)aux;                                                                                        \
        const clip_param *c = OP == MX_UN_CLIP ? param : NULL;                                            \
        r->k->unary_backward(r->eng, OP, in[0].data, out[0].data, dy[0].data, din[0].data, req[0],        \
                             mx_shape_size(&dy[0].shape), c ? c->a_min : 0.0f, c ? c->a_max : 0.0f);       \
    }

UNARY_OP(abs, MX_UN_ABS)
UNARY_OP(negative, MX_UN_NEG)
UNARY_OP(square, MX_UN_SQUARE)
UNARY_OP(sqrt, MX_UN_SQRT)
UNARY_OP(rsqrt, MX_UN_RSQRT)
UNARY_OP(exp, MX_UN_EXP)
UNARY_OP(log, MX_UN_LOG)
UNARY_OP(clip, MX_UN_CLIP)

/* Backward reads x and y: in training neither may be overwritten by the
 * output; bound for inference (no backward) the output takes x's buffer
 * (the planner checks bwd_needs_in): MobileNet's ReLU6 clips then cost no
 * second copy of the largest activations (154 MB at batch 32). */
#define UNARY_DEF(var, NAME, fn)                                                                         \
    const mx_op_def var = {.name = NAME, .list_arguments = mx_args_data, .infer_shape = mx_infer_same_as_data, \
                           .bwd_needs_in = 1u, .bwd_needs_out = 1u, .flags = MX_OP_INPLACE, .forward = fn##_fwd, \
                           .backward = fn##_bwd};

UNARY_DEF(mx_op_abs, "abs", abs)
UNARY_DEF(mx_op_negative, "negative", negative)
UNARY_DEF(mx_op_square, "square", square)
UNARY_DEF(mx_op_sqrt, "sqrt", sqrt)
UNARY_DEF(mx_op_rsqrt, "rsqrt", rsqrt)
UNARY_DEF(mx_op_exp, "exp", exp)
UNARY_DEF(mx_op_log, "log", log)

const mx_op_def mx_op_clip = {
    .name = "clip",
    .param_size = sizeof(clip_param),
    .params = clip_params,
    .list_arguments = mx_args_data,
    .infer_shape = clip_infer,
    .bwd_needs_in = 1u,
    .flags = MX_OP_INPLACE, /* for inference only: backward needs x (see UNARY_DEF) */
    .forward = clip_fwd,
    .backward = clip_bwd,
};

/* -- relu, sigmoid, tanh: Activation's kernels under their own names -- */

#define ACT_OP(fn, ACT)                                                                                   \
    static void fn##_fwd(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,        \
                         mx_tensor *aux)                                                                 \
    {                                                                                                     \
        (void)param, (void)aux;                                                                           \
        r->k->act_forward(r->eng, ACT, in[0].data, out[0].data, mx_shape_size(&in[0].shape));              \
    }                                                                                                     \
    static void fn##_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,   \
                         const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)          \
    {                                                                                                     \
        (void)param, (void)in, (void)aux;                                                                 \
        r->k->act_backward(r->eng, ACT, out[0].data, dy[0].data, din[0].data, mx_shape_size(&out[0].shape), \
                           req[0]);                                                                       \
    }                                                                                                     \
    const mx_op_def mx_op_##fn = {.name = #fn, .list_arguments = mx_args_data,                            \
                                  .infer_shape = mx_infer_same_as_data,                                   \
                                  .flags = MX_OP_INPLACE | MX_OP_BWD_INPLACE, .bwd_needs_out = 1u,        \
                                  .forward = fn##_fwd, .backward = fn##_bwd};

ACT_OP(relu, MX_ACT_RELU)
ACT_OP(sigmoid, MX_ACT_SIGMOID)
ACT_OP(tanh, MX_ACT_TANH)

/* -- smooth_l1: MXNet's smooth L1 with σ (scalar, 1 when absent) -- */

typedef struct sl1_param {
    float scalar;
} sl1_param;

static const mx_param_spec sl1_params[] = {
    {"scalar", MX_P_FLOAT, "1", offsetof(sl1_param, scalar), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

static mx_status sl1_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux, int naux)
{
    const sl1_param *p = param;
    if (!(p->scalar > 0.0f))
        return mx_set_error(MX_EINVAL, "parameter 'scalar': %g is not a positive sigma", (double)p->scalar);
    return mx_infer_same_as_data(param, in, nin, out, nout, aux, naux);
}

static void sl1_fwd(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    r->k->unary(r->eng, MX_UN_SMOOTH_L1, in[0].data, out[0].data, mx_shape_size(&out[0].shape),
                ((const sl1_param *)param)->scalar, 0.0f);
}

static void sl1_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                    const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)out, (void)aux;
    r->k->unary_backward(r->eng, MX_UN_SMOOTH_L1, in[0].data, NULL, dy[0].data, din[0].data, req[0],
                         mx_shape_size(&dy[0].shape), ((const sl1_param *)param)->scalar, 0.0f);
}

const mx_op_def mx_op_smooth_l1 = {
    .name = "smooth_l1",
    .param_size = sizeof(sl1_param),
    .params = sl1_params,
    .list_arguments = mx_args_data,
    .infer_shape = sl1_infer,
    .bwd_needs_in = 1u,
    .forward = sl1_fwd,
    .backward = sl1_bwd,
};
