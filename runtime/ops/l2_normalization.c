/* l2_normalization.c — MXNet's L2Normalization: x divided by
 * sqrt(Σ x² + eps) over a group of its elements, by mode:
 *   instance: all but axis 0 (one norm a sample),
 *   channel:  axis 1 (one norm a sample and position),
 *   spatial:  axes 2… (one norm a sample and channel).
 * Each mode is x viewed as (outer, r, inner) with the norm over r. Built
 * from the kernel table's elementwise, reduce and broadcast entries (no
 * kernels of its own), so it runs on every device:
 *   forward   norm = sqrt(Σ_r x² + eps), y = x / norm;
 *   backward  dx = (dy − y·Σ_r dy·y) / norm, with forward's norms (bind
 *             keeps a node's workspace from its forward to its backward). */
#include <stdio.h>

#include "ops.h"

typedef struct l2_param {
    float eps;
    int mode;
} l2_param;

enum { INSTANCE, CHANNEL, SPATIAL };
static const char *const modes[] = {"instance", "channel", "spatial", NULL};

static const mx_param_spec l2_params[] = {
    {"eps", MX_P_FLOAT, "1e-10", offsetof(l2_param, eps), NULL, 0, 0, NULL},
    {"mode", MX_P_ENUM, "instance", offsetof(l2_param, mode), modes, 0, 0, NULL},
    MX_PARAMS_END,
};

/* The (outer, r, inner) view of s for the mode. */
static void view(const l2_param *p, const mx_shape *s, int64_t v[3])
{
    int64_t n = s->dims[0], rest = (int64_t)mx_shape_tail(s, 1);
    if (p->mode == INSTANCE) v[0] = n, v[1] = rest, v[2] = 1;
    else if (p->mode == CHANNEL) v[0] = n, v[1] = s->dims[1], v[2] = (int64_t)mx_shape_tail(s, 2);
    else v[0] = n * s->dims[1], v[1] = (int64_t)mx_shape_tail(s, 2), v[2] = 1;
}

static mx_status l2_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux, int naux)
{
    const l2_param *p = param;
    char b[128];
    if (!(p->eps >= 0.0f)) return mx_set_error(MX_EINVAL, "parameter 'eps': %g is negative", (double)p->eps);
    if (in[0].ndim != 0 && in[0].ndim < (p->mode == SPATIAL ? 3 : 2))
        return mx_set_error(MX_EINVAL, "argument 'data': %s has too few axes for mode %s",
                            mx_shape_str(&in[0], b, sizeof b), modes[p->mode]);
    return mx_infer_same_as_data(param, in, nin, out, nout, aux, naux);
}

/* Workspace: scratch of x's size, the norms and the sums (outer·inner
 * each), and a second scratch of x's size for an added gradient. */
static size_t l2_workspace(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out)
{
    (void)k, (void)out;
    int64_t v[3];
    view(param, &in[0], v);
    return (2 * mx_shape_size(&in[0]) + 2 * (size_t)(v[0] * v[2])) * sizeof(float);
}

/* The per-group values (outer, inner) broadcast over r: the geometry of a
 * (outer, r, inner) array a against them. */
static mx_bcast_geom over_r(const int64_t v[3])
{
    mx_bcast_geom g = {.ndim = 3};
    g.shape[0] = v[0], g.shape[1] = v[1], g.shape[2] = v[2];
    g.sa[0] = v[1] * v[2], g.sa[1] = v[2], g.sa[2] = 1;
    g.sb[0] = v[2], g.sb[1] = 0, g.sb[2] = 1;
    return g;
}

/* sum[j] = Σ_r a over (outer, r, inner). */
static void sum_r(const mx_op_run *r, const int64_t v[3], const float *a, float *sum)
{
    mx_shape s = mx_shape_make(3, v[0], v[1], v[2]);
    mx_reduce_geom rg;
    mx_reduce_geom_build(&s, (const int[]){0, 1, 0}, &rg);
    r->k->reduce(r->eng, MX_RED_SUM, a, sum, &rg, 1.0f, MX_REQ_WRITE);
}

/* norm = sqrt(Σ_r x² + eps), sq scratch of x's size. */
static void norms(const mx_op_run *r, const l2_param *p, const int64_t v[3], const float *x, float *sq, float *norm)
{
    size_t n = (size_t)(v[0] * v[1] * v[2]), m = (size_t)(v[0] * v[2]);
    r->k->unary(r->eng, MX_UN_SQUARE, x, sq, n, 0.0f, 0.0f);
    sum_r(r, v, sq, norm);
    r->k->scalar(r->eng, MX_BIN_ADD, norm, p->eps, norm, m);
    r->k->unary(r->eng, MX_UN_SQRT, norm, norm, m, 0.0f, 0.0f);
}

static void l2_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    int64_t v[3];
    view(param, &in[0].shape, v);
    float *sq = r->workspace, *norm = sq + mx_shape_size(&in[0].shape);
    norms(r, param, v, in[0].data, sq, norm);
    mx_bcast_geom g = over_r(v);
    r->k->bcast_binary(r->eng, MX_BIN_DIV, in[0].data, norm, out[0].data, &g);
}

static void l2_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                        const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)aux;
    if (req[0] == MX_REQ_NULL) return;
    int64_t v[3];
    view(param, &in[0].shape, v);
    size_t n = mx_shape_size(&in[0].shape);
    float *t = r->workspace, *norm = t + n, *dot = norm + v[0] * v[2]; /* norm: forward's */
    r->k->binary(r->eng, MX_BIN_MUL, dy[0].data, out[0].data, t, n); /* dy·y */
    sum_r(r, v, t, dot);
    mx_bcast_geom g = over_r(v);
    r->k->bcast_binary(r->eng, MX_BIN_MUL, out[0].data, dot, t, &g); /* y·Σ dy·y */
    r->k->binary(r->eng, MX_BIN_SUB, dy[0].data, t, t, n);
    if (req[0] == MX_REQ_WRITE) {
        r->k->bcast_binary(r->eng, MX_BIN_DIV, t, norm, din[0].data, &g);
        return;
    }
    /* added: divided into the second scratch, then added */
    float *q = dot + v[0] * v[2];
    r->k->bcast_binary(r->eng, MX_BIN_DIV, t, norm, q, &g);
    r->k->scale_copy(r->eng, din[0].data, q, 1.0f, n, MX_REQ_ADD);
}

const mx_op_def mx_op_l2_normalization = {
    .name = "L2Normalization",
    .param_size = sizeof(l2_param),
    .params = l2_params,
    .list_arguments = mx_args_data,
    .infer_shape = l2_infer,
    .bwd_needs_out = 1u,
    .workspace = l2_workspace,
    .forward = l2_forward,
    .backward = l2_backward,
};
