/* dropout.c — Dropout (MXNet's inverted dropout): in training, or always
 * with mode=always, each element is kept with probability 1 − p and scaled
 * by 1/(1 − p); otherwise the identity. The keep mask lives in the node's
 * workspace, which the executor keeps from forward to backward, so
 * backward needs neither the input nor the output and both run in place. */
#include <stddef.h>

#include "ops.h"
#include "shape_param.h"

typedef struct dropout_param {
    float p;
    int mode;      /* 0 training, 1 always */
    int cudnn_off; /* accepted for MXNet's JSON; there is no cuDNN here */
    mx_shape axes; /* variational dropout's shared axes: not supported */
} dropout_param;

static const char *const mode_names[] = {"training", "always", NULL};

static const mx_param_spec dropout_params[] = {
    {"p", MX_P_FLOAT, "0.5", offsetof(dropout_param, p), NULL, 0, 0, NULL},
    {"mode", MX_P_ENUM, "training", offsetof(dropout_param, mode), mode_names, 0, 0, NULL},
    {"cudnn_off", MX_P_BOOL, "false", offsetof(dropout_param, cudnn_off), NULL, 0, MX_PF_OPTIONAL, NULL},
    /* variational dropout: one mask shared along these axes */
    {"axes", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(dropout_param, axes), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

/* Host state: whether forward dropped anything; the workspace holds the
 * mask (one byte per element), 64-byte aligned. */
typedef struct dropout_ws {
    int applied;
} dropout_ws;


/* Same shape as data; rejects p outside [0, 1). */
static mx_status dropout_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                               mx_shape *aux, int naux)
{
    const dropout_param *p = param;
    /* p = 1 would scale by 1/0: MXNet produces NaN there; refuse it. */
    if (!(p->p >= 0.0f && p->p < 1.0f))
        return mx_set_error(MX_EINVAL, "Dropout: p = %g is outside [0, 1)", (double)p->p);
    if (mx_shape_given(&p->axes) && p->axes.ndim > 0) {
        char buf[128];
        return mx_set_error(MX_ENOTSUP, "parameter 'axes': %s: variational dropout (a mask shared along axes) "
                            "is not supported by mxrt", mx_shape_str(&p->axes, buf, sizeof buf));
    }
    return mx_infer_same_as_data(param, in, nin, out, nout, aux, naux);
}

/* Header plus one mask byte per element. */
static size_t dropout_workspace(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out)
{
    (void)k;
    (void)param; (void)out;
    return mx_shape_size(&in[0]);
}

/* Whether this forward drops (MXNet: p > 0 and training or mode=always). */
static int drops(const mx_op_run *r, const dropout_param *p)
{
    return p->p > 0.0f && (r->is_train || p->mode == 1);
}

/* A fresh mask each call: not replayable from a recorded GPU graph. */
static int dropout_graph_unsafe(const void *param) { return ((const dropout_param *)param)->p > 0.0f; }

/* Drops and scales (recording the mask), or copies through. */
static void dropout_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                            mx_tensor *aux)
{
    (void)aux;
    const dropout_param *p = param;
    dropout_ws *ws = r->state;
    size_t n = mx_shape_size(&in[0].shape);
    ws->applied = drops(r, p);
    if (!ws->applied) {
        if (out[0].data != in[0].data) r->k->scale_copy(r->eng, out[0].data, in[0].data, 1.0f, n, MX_REQ_WRITE);
        return;
    }
    /* One seed per call from the executor's generator: reproducible for a
     * seed, a fresh mask every batch. */
    float keep = 1.0f - p->p;
    r->k->dropout_forward(r->eng, mx_rng_next(r->rng), keep, 1.0f / keep, in[0].data, out[0].data,
                          (unsigned char *)r->workspace, n);
}

/* dx = dy through forward's mask, or dy when forward dropped nothing. */
static void dropout_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                             const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                             const mx_req *req, mx_tensor *aux)
{
    (void)in; (void)out; (void)aux;
    const dropout_param *p = param;
    const dropout_ws *ws = r->state;
    size_t n = mx_shape_size(&out_grad[0].shape);
    if (req[0] == MX_REQ_NULL) return;
    if (!ws->applied) {
        /* Forward was the identity: so is the gradient. */
        if (in_grad[0].data != out_grad[0].data || req[0] == MX_REQ_ADD)
            r->k->scale_copy(r->eng, in_grad[0].data, out_grad[0].data, 1.0f, n, req[0]);
        return;
    }
    r->k->dropout_backward(r->eng, (const unsigned char *)r->workspace,
                           1.0f / (1.0f - p->p), out_grad[0].data, in_grad[0].data, n, req[0]);
}

const mx_op_def mx_op_dropout = {
    .name = "Dropout",
    .param_size = sizeof(dropout_param),
    .params = dropout_params,
    .list_arguments = mx_args_data,
    .infer_shape = dropout_infer,
    .flags = MX_OP_INPLACE | MX_OP_BWD_INPLACE,
    .workspace = dropout_workspace,
    .graph_unsafe = dropout_graph_unsafe,
    .forward = dropout_forward,
    .backward = dropout_backward,
};
