/* fully_connected.c — FullyConnected: y = x·Wᵀ + b, with MXNet's
 * num_hidden, no_bias and flatten. W is (num_hidden, input_dim). */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include "ops.h"

typedef struct fc_param {
    int num_hidden;
    int no_bias;
    int flatten;
} fc_param;

static const mx_param_spec fc_params[] = {
    {"num_hidden", MX_P_INT, NULL, offsetof(fc_param, num_hidden), NULL, 1, 0, NULL},
    {"no_bias", MX_P_BOOL, "false", offsetof(fc_param, no_bias), NULL, 0, 0, NULL},
    {"flatten", MX_P_BOOL, "true", offsetof(fc_param, flatten), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

static int fc_args(const void *param, const char **names)
{
    const fc_param *p = param;
    names[0] = "data";
    names[1] = "weight";
    if (p->no_bias) return 2;
    names[2] = "bias";
    return 3;
}

/* Rows and input width of the data as the GEMM sees it. */
static void fc_dims(const fc_param *p, const mx_shape *data, size_t *rows, size_t *in_dim)
{
    if (p->flatten) {
        *rows = (size_t)data->dims[0];
        *in_dim = mx_shape_tail(data, 1);
    } else {
        *in_dim = (size_t)data->dims[data->ndim - 1];
        *rows = mx_shape_size(data) / *in_dim;
    }
}

static mx_status fc_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                          mx_shape *aux, int naux)
{
    (void)nout; (void)aux; (void)naux;
    const fc_param *p = param;
    if (in[0].ndim == 0) return MX_OK; /* nothing to go on yet */
    /* the GEMM takes int sizes: rows and input width must fit one */
    int64_t rows = 1, in_dim = 1;
    int ok = 1;
    for (int i = 0; i < in[0].ndim && ok; i++) {
        int64_t *f = (p->flatten ? i == 0 : i < in[0].ndim - 1) ? &rows : &in_dim;
        ok = in[0].dims[i] >= 1 && !__builtin_mul_overflow(*f, in[0].dims[i], f);
    }
    if (!ok || rows > INT_MAX || in_dim > INT_MAX) {
        char buf[128];
        return mx_set_error(MX_EINVAL, "argument 'data': shape %s is out of range (rows and input width "
                            "must be 1..%d)", mx_shape_str(&in[0], buf, sizeof buf), INT_MAX);
    }
    int64_t wd[2] = {p->num_hidden, in_dim};
    mx_shape w = mx_shape_from(2, wd);
    mx_status st = mx_shape_assign(&in[1], &w, "argument 'weight'");
    if (st == MX_OK && nin > 2) {
        mx_shape b = mx_shape_make(1, p->num_hidden);
        st = mx_shape_assign(&in[2], &b, "argument 'bias'");
    }
    if (st != MX_OK) return st;
    mx_shape y = in[0];
    int64_t yd[2] = {in[0].dims[0], p->num_hidden};
    if (p->flatten) y = mx_shape_from(2, yd);
    else y.dims[y.ndim - 1] = p->num_hidden;
    return mx_shape_assign(&out[0], &y, "output");
}

static void fc_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                       mx_tensor *aux)
{
    (void)aux;
    const fc_param *p = param;
    size_t rows, in_dim, h = (size_t)p->num_hidden;
    fc_dims(p, &in[0].shape, &rows, &in_dim);
    float beta = 0.0f;
    if (!p->no_bias) {
        r->k->fill_rows(r->eng, out[0].data, in[2].data, rows, h);
        beta = 1.0f;
    }
    r->k->gemm(r->eng, 0, 1, (int)rows, (int)h, (int)in_dim, 1.0f, in[0].data, (int)in_dim,
               in[1].data, (int)in_dim, beta, out[0].data, (int)h);
}

static void fc_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                        const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                        const mx_req *req, mx_tensor *aux)
{
    (void)out; (void)aux;
    const fc_param *p = param;
    size_t rows, in_dim, h = (size_t)p->num_hidden;
    fc_dims(p, &in[0].shape, &rows, &in_dim);
    const float *dy = out_grad[0].data;
    if (req[0] != MX_REQ_NULL) /* dX = dY·W */
        r->k->gemm(r->eng, 0, 0, (int)rows, (int)in_dim, (int)h, 1.0f, dy, (int)h, in[1].data,
                   (int)in_dim, mx_req_beta(req[0]), in_grad[0].data, (int)in_dim);
    if (req[1] != MX_REQ_NULL) /* dW = dYᵀ·X */
        r->k->gemm(r->eng, 1, 0, (int)h, (int)in_dim, (int)rows, 1.0f, dy, (int)h, in[0].data,
                   (int)in_dim, mx_req_beta(req[1]), in_grad[1].data, (int)in_dim);
    if (!p->no_bias && req[2] != MX_REQ_NULL)
        r->k->sum_rows(r->eng, in_grad[2].data, dy, rows, h, req[2]);
}

void mx_fc_params(const void *param, int *num_hidden, int *no_bias, int *flatten)
{
    const fc_param *p = param;
    *num_hidden = p->num_hidden;
    *no_bias = p->no_bias;
    *flatten = p->flatten;
}

const mx_op_def mx_op_fully_connected = {
    .name = "FullyConnected",
    .param_size = sizeof(fc_param),
    .params = fc_params,
    .list_arguments = fc_args,
    .infer_shape = fc_infer,
    .bwd_needs_in = 1u | 2u,
    .forward = fc_forward,
    .backward = fc_backward,
};
