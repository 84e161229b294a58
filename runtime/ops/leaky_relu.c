/* leaky_relu.c — LeakyReLU with MXNet's act_type: leaky (y = x or
 * slope·x), elu (slope as α: α·(eˣ − 1) below 0), prelu (a learned slope
 * "gamma" per channel of axis 1, or one shared (1,)), rrelu (in training a
 * random slope per element in [lower_bound, upper_bound], drawn from the
 * executor's generator and kept in the workspace for backward; at
 * inference the mean slope). Gradients are taken from the input, so they
 * are right for slopes of either sign. */
#include <stddef.h>

#include "ops.h"

enum { LEAKY, PRELU, RRELU, ELU };

typedef struct leaky_param {
    int act_type;
    float slope;
    float lower_bound;
    float upper_bound;
} leaky_param;

static const char *const act_names[] = {"leaky", "prelu", "rrelu", "elu", NULL};
static const char *const act_other[] = {"gelu", "selu", NULL};

static const mx_param_spec leaky_params[] = {
    {"act_type", MX_P_ENUM, "leaky", offsetof(leaky_param, act_type), act_names, 0, 0, act_other},
    {"slope", MX_P_FLOAT, "0.25", offsetof(leaky_param, slope), NULL, 0, 0, NULL},
    {"lower_bound", MX_P_FLOAT, "0.125", offsetof(leaky_param, lower_bound), NULL, 0, 0, NULL},
    {"upper_bound", MX_P_FLOAT, "0.334", offsetof(leaky_param, upper_bound), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

/* rrelu: the slopes (one per element) are the device workspace; this flag
 * is the node's host state. */
typedef struct rrelu_ws {
    int random; /* forward drew slopes (training) rather than the mean */
} rrelu_ws;


/* data, plus gamma (the learned slopes) for prelu. */
static int leaky_args(const void *param, const char **names)
{
    const leaky_param *p = param;
    names[0] = "data";
    if (p->act_type != PRELU) return 1;
    names[1] = "gamma";
    return 2;
}

/* Channels of axis 1 (1 for 1-D data), over which prelu's gamma runs. */
static int64_t prelu_channels(const mx_shape *data) { return data->ndim > 1 ? data->dims[1] : 1; }

/* Same shape as data; prelu's gamma (C,) or (1,); rrelu bounds ordered. */
static mx_status leaky_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                             mx_shape *aux, int naux)
{
    const leaky_param *p = param;
    if (p->act_type == RRELU && p->lower_bound > p->upper_bound)
        return mx_set_error(MX_EINVAL, "LeakyReLU: lower_bound %g is above upper_bound %g",
                            (double)p->lower_bound, (double)p->upper_bound);
    mx_status st = mx_infer_same_as_data(param, in, nin, out, nout, aux, naux);
    if (st != MX_OK || p->act_type != PRELU || in[0].ndim == 0) return st;
    /* gamma is (C,) for C channels on axis 1, or (1,) shared by all (MXNet 1.x). */
    int64_t channels = prelu_channels(&in[0]);
    mx_shape want = mx_shape_from(1, &channels), one = mx_shape_make(1, 1);
    if (mx_shape_equal(&in[1], &one)) return MX_OK;
    if (in[1].ndim && !mx_shape_equal(&in[1], &want)) {
        char g[128], w[128], o[16];
        return mx_set_error(MX_EINVAL, "LeakyReLU: argument 'gamma' has shape %s but %s or %s is expected",
                            mx_shape_str(&in[1], g, sizeof g), mx_shape_str(&want, w, sizeof w),
                            mx_shape_str(&one, o, sizeof o));
    }
    in[1] = want;
    return MX_OK;
}

/* rrelu keeps its per-element slopes; the others need nothing. */
static size_t leaky_workspace(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out)
{
    (void)k;
    (void)out;
    const leaky_param *p = param;
    return p->act_type == RRELU ? mx_shape_size(&in[0]) * sizeof(float) : 0;
}

/* prelu's (outer, c, inner) view: one run per channel, or one for (1,). */
static void prelu_view(const mx_tensor *data, const mx_tensor *gamma, size_t *outer, size_t *c,
                       size_t *inner)
{
    size_t n = mx_shape_size(&data->shape);
    *c = mx_shape_size(&gamma->shape);
    *outer = *c == 1 ? 1 : (size_t)data->shape.dims[0];
    *inner = n / (*outer * *c);
}

/* rrelu's slopes in the workspace. */
static float *ws_slopes(void *ws) { return ws; }

/* y for the act_type (rrelu draws fresh slopes when training). */
static void leaky_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                          mx_tensor *aux)
{
    (void)aux;
    const leaky_param *p = param;
    size_t n = mx_shape_size(&in[0].shape), outer, c, inner;
    float mean_slope = 0.5f * (p->lower_bound + p->upper_bound);
    switch (p->act_type) {
    case LEAKY: r->k->prelu_forward(r->eng, in[0].data, NULL, p->slope, out[0].data, 1, 1, n); break;
    case ELU: r->k->elu_forward(r->eng, in[0].data, out[0].data, n, p->slope); break;
    case PRELU:
        prelu_view(&in[0], &in[1], &outer, &c, &inner);
        r->k->prelu_forward(r->eng, in[0].data, in[1].data, 0.0f, out[0].data, outer, c, inner);
        break;
    case RRELU: {
        rrelu_ws *ws = r->state;
        ws->random = r->is_train;
        if (!ws->random) {
            r->k->prelu_forward(r->eng, in[0].data, NULL, mean_slope, out[0].data, 1, 1, n);
            break;
        }
        float *s = ws_slopes(r->workspace);
        r->k->uniform_fill(r->eng, mx_rng_next(r->rng), s, n, p->lower_bound, p->upper_bound);
        r->k->prelu_forward(r->eng, in[0].data, s, 0.0f, out[0].data, 1, n, 1);
        break;
    }
    }
}

/* dx (and prelu's dgamma) from x and the slopes forward used. */
static void leaky_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                           const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                           const mx_req *req, mx_tensor *aux)
{
    (void)out; (void)aux;
    const leaky_param *p = param;
    size_t n = mx_shape_size(&in[0].shape), outer, c, inner;
    const float *x = in[0].data, *dy = out_grad[0].data;
    float *dx = in_grad[0].data;
    float mean_slope = 0.5f * (p->lower_bound + p->upper_bound);
    switch (p->act_type) {
    case LEAKY: r->k->prelu_backward(r->eng, x, NULL, p->slope, dy, dx, 1, 1, n, req[0], NULL, MX_REQ_NULL); break;
    case ELU: r->k->elu_backward(r->eng, x, dy, dx, n, p->slope, req[0]); break;
    case PRELU:
        prelu_view(&in[0], &in[1], &outer, &c, &inner);
        r->k->prelu_backward(r->eng, x, in[1].data, 0.0f, dy, dx, outer, c, inner, req[0], in_grad[1].data, req[1]);
        break;
    case RRELU: {
        const rrelu_ws *ws = r->state;
        if (ws->random)
            r->k->prelu_backward(r->eng, x, ws_slopes(r->workspace), 0.0f, dy, dx, 1, n, 1, req[0], NULL, MX_REQ_NULL);
        else
            r->k->prelu_backward(r->eng, x, NULL, mean_slope, dy, dx, 1, 1, n, req[0], NULL, MX_REQ_NULL);
        break;
    }
    }
}

/* rrelu draws fresh slopes each training call. */
static int leaky_graph_unsafe(const void *param) { return ((const leaky_param *)param)->act_type == RRELU; }

const mx_op_def mx_op_leaky_relu = {
    .name = "LeakyReLU",
    .param_size = sizeof(leaky_param),
    .params = leaky_params,
    .list_arguments = leaky_args,
    .infer_shape = leaky_infer,
    /* In place only where the planner sees no backward (it reads x). */
    .flags = MX_OP_INPLACE | MX_OP_BWD_INPLACE,
    .bwd_needs_in = 1u | 2u,
    .workspace = leaky_workspace,
    .graph_unsafe = leaky_graph_unsafe,
    .forward = leaky_forward,
    .backward = leaky_backward,
};
