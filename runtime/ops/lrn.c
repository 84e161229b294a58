/* lrn.c — MXNet's LRN (local response normalisation across channels, as
 * AlexNet and GoogLeNet use it): on (N, C, …) data,
 *   y = x / (knorm + alpha/nsize · Σ x²)^beta
 * with the sum over the nsize channels centred on each (clipped at the
 * ends). Kernels: the table's lrn_forward/lrn_backward; the backward pass
 * recomputes the scales from x rather than keep MXNet's hidden tmp_norm. */
#include <stdio.h>

#include "ops.h"

typedef struct lrn_param {
    float alpha, beta, knorm;
    int nsize;
} lrn_param;

static const mx_param_spec lrn_params[] = {
    {"alpha", MX_P_FLOAT, "0.0001", offsetof(lrn_param, alpha), NULL, 0, 0, NULL},
    {"beta", MX_P_FLOAT, "0.75", offsetof(lrn_param, beta), NULL, 0, 0, NULL},
    {"knorm", MX_P_FLOAT, "2", offsetof(lrn_param, knorm), NULL, 0, 0, NULL},
    {"nsize", MX_P_INT, NULL, offsetof(lrn_param, nsize), NULL, 1, 0, NULL},
    MX_PARAMS_END,
};

static mx_status lrn_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                           int naux)
{
    const lrn_param *p = param;
    char b[128];
    if (p->nsize % 2 == 0) /* MXNet's even window is lopsided; the models use 3 or 5 */
        return mx_set_error(MX_ENOTSUP, "parameter 'nsize': an even window (%d) is not supported by mxrt (odd sizes)",
                            p->nsize);
    if (!(p->knorm > 0.0f) || !(p->alpha >= 0.0f))
        return mx_set_error(MX_EINVAL, "parameters 'knorm'/'alpha': %g, %g must be positive and non-negative",
                            (double)p->knorm, (double)p->alpha);
    if (in[0].ndim != 0 && in[0].ndim < 2)
        return mx_set_error(MX_EINVAL, "argument 'data': %s needs channels on axis 1", mx_shape_str(&in[0], b, sizeof b));
    return mx_infer_same_as_data(param, in, nin, out, nout, aux, naux);
}

static void lrn_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    const lrn_param *p = param;
    const mx_shape *s = &in[0].shape;
    r->k->lrn_forward(r->eng, in[0].data, out[0].data, (size_t)s->dims[0], (size_t)s->dims[1], mx_shape_tail(s, 2),
                      p->nsize, p->alpha, p->beta, p->knorm);
}

static void lrn_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                         const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)out, (void)aux;
    const lrn_param *p = param;
    const mx_shape *s = &in[0].shape;
    r->k->lrn_backward(r->eng, in[0].data, dy[0].data, din[0].data, req[0], (size_t)s->dims[0], (size_t)s->dims[1],
                       mx_shape_tail(s, 2), p->nsize, p->alpha, p->beta, p->knorm);
}

const mx_op_def mx_op_lrn = {
    .name = "LRN",
    .param_size = sizeof(lrn_param),
    .params = lrn_params,
    .list_arguments = mx_args_data,
    .infer_shape = lrn_infer,
    .bwd_needs_in = 1u,
    .forward = lrn_forward,
    .backward = lrn_backward,
};
