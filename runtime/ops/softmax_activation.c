/* softmax_activation.c — SoftmaxActivation: softmax with the ordinary
 * gradient (unlike SoftmaxOutput, no loss attached). mode=instance: over
 * everything but the batch axis of each sample; mode=channel: over axis 1
 * at every position (data of 3 or more dimensions). Runs in place:
 * backward needs only the output. */
#include <stddef.h>

#include "ops.h"

typedef struct sa_param {
    int mode; /* 0 instance, 1 channel */
} sa_param;

static const char *const mode_names[] = {"instance", "channel", NULL};

static const mx_param_spec sa_params[] = {
    {"mode", MX_P_ENUM, "instance", offsetof(sa_param, mode), mode_names, 0, 0, NULL},
    MX_PARAMS_END,
};

/* Same shape as data; channel mode needs 3 or more dimensions. */
static mx_status sa_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                          mx_shape *aux, int naux)
{
    const sa_param *p = param;
    mx_status st = mx_infer_same_as_data(param, in, nin, out, nout, aux, naux);
    if (st == MX_OK && p->mode == 1 && in[0].ndim && in[0].ndim < 3) {
        char d[128];
        return mx_set_error(MX_EINVAL, "SoftmaxActivation: mode=channel needs data of 3 or more dimensions, got %s",
                            mx_shape_str(&in[0], d, sizeof d));
    }
    return st;
}

/* The (outer, channels, inner) view the softmax runs over. */
static void sa_view(const sa_param *p, const mx_shape *s, size_t *outer, size_t *ch, size_t *inner)
{
    *outer = (size_t)s->dims[0];
    *ch = p->mode == 1 ? (size_t)s->dims[1] : mx_shape_tail(s, 1);
    *inner = p->mode == 1 ? mx_shape_tail(s, 2) : 1;
}

/* Softmax over the mode's axis (may run in place). */
static void sa_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                       mx_tensor *aux)
{
    (void)aux;
    size_t outer, ch, inner;
    sa_view(param, &in[0].shape, &outer, &ch, &inner);
    r->k->softmax(r->eng, in[0].data, out[0].data, outer, ch, inner);
}

/* dx = y·(dy − Σ dy·y) over the same axis. */
static void sa_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                        const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                        const mx_req *req, mx_tensor *aux)
{
    (void)in; (void)aux;
    size_t outer, ch, inner;
    sa_view(param, &out[0].shape, &outer, &ch, &inner);
    r->k->softmax_backward(r->eng, out[0].data, out_grad[0].data, in_grad[0].data, outer, ch, inner, req[0]);
}

const mx_op_def mx_op_softmax_activation = {
    .name = "SoftmaxActivation",
    .param_size = sizeof(sa_param),
    .params = sa_params,
    .list_arguments = mx_args_data,
    .infer_shape = sa_infer,
    .flags = MX_OP_INPLACE | MX_OP_BWD_INPLACE,
    .bwd_needs_out = 1u,
    .forward = sa_forward,
    .backward = sa_backward,
};
