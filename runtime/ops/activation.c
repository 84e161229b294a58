/* activation.c — Activation (relu, sigmoid, tanh, softrelu, softsign).
 * Runs in place: backward needs only the output. */
#include <stddef.h>

#include "ops.h"

typedef struct act_param {
    int act_type; /* index into act_names, same order as mx_act */
} act_param;

static const char *const act_names[] = {"relu", "sigmoid", "tanh", "softrelu", "softsign", NULL};

static const mx_param_spec act_params[] = {
    {"act_type", MX_P_ENUM, NULL, offsetof(act_param, act_type), act_names, 0, 0, NULL},
    MX_PARAMS_END,
};

static void act_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                        mx_tensor *aux)
{
    (void)aux;
    const act_param *p = param;
    r->k->act_forward(r->eng, (mx_act)p->act_type, in[0].data, out[0].data, mx_shape_size(&in[0].shape));
}

static void act_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                         const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                         const mx_req *req, mx_tensor *aux)
{
    (void)in; (void)aux;
    const act_param *p = param;
    r->k->act_backward(r->eng, (mx_act)p->act_type, out[0].data, out_grad[0].data, in_grad[0].data,
                       mx_shape_size(&out[0].shape), req[0]);
}

const mx_op_def mx_op_activation = {
    .name = "Activation",
    .param_size = sizeof(act_param),
    .params = act_params,
    .list_arguments = mx_args_data,
    .infer_shape = mx_infer_same_as_data,
    .flags = MX_OP_INPLACE | MX_OP_BWD_INPLACE,
    .bwd_needs_out = 1u,
    .forward = act_forward,
    .backward = act_backward,
};

mx_act mx_activation_kind(const void *param) { return (mx_act)((const act_param *)param)->act_type; }
