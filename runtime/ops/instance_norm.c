/* instance_norm.c — MXNet's InstanceNorm: each (sample, channel) plane
 * of (N, C, …) data normalised by its own mean and (biased) variance,
 * then scaled and shifted per channel:
 *   y = (x − mean) / sqrt(var + eps) · gamma[c] + beta[c].
 * It is the kernel table's BatchNorm (batch statistics) on x viewed as
 * (1, N·C, spatial), with gamma and beta repeated for each sample; their
 * gradients are summed back over the samples. So it runs wherever
 * BatchNorm does, with its fixed reduction order. Backward reads the
 * statistics forward left in the workspace (bind keeps a node's workspace
 * from its forward to its backward step, as Dropout's mask). */
#include <stdio.h>

#include "ops.h"

typedef struct in_param {
    float eps;
} in_param;

static const mx_param_spec in_params[] = {
    {"eps", MX_P_FLOAT, "0.001", offsetof(in_param, eps), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

static int in_args(const void *param, const char **names)
{
    (void)param;
    names[0] = "data";
    names[1] = "gamma";
    names[2] = "beta";
    return 3;
}

static mx_status in_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux, int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const in_param *p = param;
    char b[128];
    if (!(p->eps > 0.0f)) return mx_set_error(MX_EINVAL, "parameter 'eps': %g must be positive", (double)p->eps);
    if (in[0].ndim == 0) return MX_OK;
    if (in[0].ndim < 3)
        return mx_set_error(MX_EINVAL, "argument 'data': %s must be (N,C,…) with at least one spatial axis",
                            mx_shape_str(&in[0], b, sizeof b));
    mx_shape c = mx_shape_make(1, in[0].dims[1]);
    mx_status st = mx_shape_assign(&in[1], &c, "argument 'gamma'");
    if (st == MX_OK) st = mx_shape_assign(&in[2], &c, "argument 'beta'");
    return st == MX_OK ? mx_shape_assign(&out[0], &in[0], "output") : st;
}

/* Workspace floats: gamma and beta repeated (N·C each), mean, var,
 * invstd (N·C each, kept for backward), and backward's repeated
 * gradients (2·N·C). */
static size_t in_workspace(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out)
{
    (void)k, (void)param, (void)out;
    size_t nc = (size_t)(in[0].dims[0] * in[0].dims[1]);
    return 7 * nc * sizeof(float);
}

typedef struct in_ws {
    float *gamma, *beta, *mean, *var, *invstd, *dgamma, *dbeta;
    size_t n, c, inner;
} in_ws;

static in_ws carve(const mx_op_run *r, const mx_shape *s)
{
    in_ws w;
    w.n = (size_t)s->dims[0], w.c = (size_t)s->dims[1], w.inner = mx_shape_tail(s, 2);
    size_t nc = w.n * w.c;
    w.gamma = r->workspace, w.beta = w.gamma + nc, w.mean = w.beta + nc, w.var = w.mean + nc;
    w.invstd = w.var + nc, w.dgamma = w.invstd + nc, w.dbeta = w.dgamma + nc;
    return w;
}

/* The per-channel values repeated for every sample: (N, C) from (C). */
static void repeat(const mx_op_run *r, const in_ws *w, const float *src, float *dst)
{
    mx_bcast_geom g = {.ndim = 2};
    g.shape[0] = (int64_t)w->n, g.shape[1] = (int64_t)w->c;
    g.sa[1] = 1;
    r->k->bcast_binary(r->eng, MX_BIN_ADD, src, NULL, dst, &g);
}

static void in_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    const in_param *p = param;
    in_ws w = carve(r, &in[0].shape);
    repeat(r, &w, in[1].data, w.gamma);
    repeat(r, &w, in[2].data, w.beta);
    r->k->batchnorm_forward(r->eng, in[0].data, out[0].data, 1, w.n * w.c, w.inner, w.gamma, w.beta, p->eps, w.mean,
                            w.var, w.invstd, 1);
}

/* dst (req) = src (N, C) summed over the samples. */
static void sum_samples(const mx_op_run *r, const in_ws *w, const float *src, float *dst, mx_req req)
{
    mx_shape s = mx_shape_make(2, (int64_t)w->n, (int64_t)w->c);
    mx_reduce_geom rg;
    mx_reduce_geom_build(&s, (const int[]){1, 0}, &rg);
    r->k->reduce(r->eng, MX_RED_SUM, src, dst, &rg, 1.0f, req);
}

static void in_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                        const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)param, (void)out, (void)aux;
    in_ws w = carve(r, &in[0].shape); /* mean, invstd and gamma repeated: forward's */
    r->k->batchnorm_backward(r->eng, in[0].data, dy[0].data, din[0].data, 1, w.n * w.c, w.inner, w.mean, w.invstd,
                             w.gamma, 1, req[0], w.dgamma, req[1] != MX_REQ_NULL ? MX_REQ_WRITE : MX_REQ_NULL,
                             w.dbeta, req[2] != MX_REQ_NULL ? MX_REQ_WRITE : MX_REQ_NULL);
    if (req[1] != MX_REQ_NULL) sum_samples(r, &w, w.dgamma, din[1].data, req[1]);
    if (req[2] != MX_REQ_NULL) sum_samples(r, &w, w.dbeta, din[2].data, req[2]);
}

const mx_op_def mx_op_instance_norm = {
    .name = "InstanceNorm",
    .param_size = sizeof(in_param),
    .params = in_params,
    .list_arguments = in_args,
    .infer_shape = in_infer,
    .bwd_needs_in = 1u, /* x; gamma repeated is forward's */
    .workspace = in_workspace,
    .forward = in_forward,
    .backward = in_backward,
};
