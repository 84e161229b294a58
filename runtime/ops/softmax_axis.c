/* softmax_axis.c — MXNet's softmax and log_softmax over one axis (axis,
 * default the last). temperature 1 (or None), dtype None or float32 and
 * use_length false run; the other values MXNet has are not supported. */
#include <math.h>
#include <stdio.h>

#include "ops.h"

typedef struct sm_param {
    int axis;
    float temperature; /* None: 1 */
    int dtype;         /* 0 None, 1 float32 */
    int use_length;
} sm_param;

static const char *const dtypes[] = {"None", "float32", NULL};
static const char *const dtypes_other[] = {"float16", "float64", NULL};
static const char *const bool_true[] = {"true", NULL};

static const mx_param_spec sm_params[] = {
    {"axis", MX_P_INT, "-1", offsetof(sm_param, axis), NULL, -MX_MAX_NDIM, 0, NULL},
    {"temperature", MX_P_FLOAT, "1", offsetof(sm_param, temperature), NULL, 0, MX_PF_OPTIONAL, NULL},
    {"dtype", MX_P_ENUM, "None", offsetof(sm_param, dtype), dtypes, 0, 0, dtypes_other},
    /* a length input masking each row's tail */
    {"use_length", MX_P_BOOL, "false", offsetof(sm_param, use_length), NULL, 0, MX_PF_OPTIONAL, bool_true},
    MX_PARAMS_END,
};

/* (outer, channels, inner) around the axis. */
static mx_status sm_dims(const sm_param *p, const mx_shape *x, size_t *outer, size_t *ch, size_t *inner)
{
    int nd = x->ndim, axis = p->axis < 0 ? p->axis + nd : p->axis;
    if (axis < 0 || axis >= nd) {
        char b[128];
        return mx_set_error(MX_EINVAL, "parameter 'axis': %d is out of range for data %s", p->axis,
                            mx_shape_str(x, b, sizeof b));
    }
    *outer = 1;
    for (int d = 0; d < axis; d++) *outer *= (size_t)x->dims[d];
    *ch = (size_t)x->dims[axis];
    *inner = mx_shape_tail(x, axis + 1);
    return MX_OK;
}

static mx_status sm_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux, int naux)
{
    const sm_param *p = param;
    if (p->temperature != 1.0f)
        return mx_set_error(MX_ENOTSUP, "parameter 'temperature': %g is not supported by mxrt (None or 1)",
                            (double)p->temperature);
    if (in[0].ndim) {
        size_t o, c, i;
        mx_status st = sm_dims(p, &in[0], &o, &c, &i);
        if (st != MX_OK) return st;
    }
    return mx_infer_same_as_data(param, in, nin, out, nout, aux, naux);
}

static void sm_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    size_t o = 0, c = 0, i = 0;
    if (sm_dims(param, &in[0].shape, &o, &c, &i) == MX_OK) r->k->softmax(r->eng, in[0].data, out[0].data, o, c, i);
}

static void sm_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                        const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)in, (void)aux;
    size_t o = 0, c = 0, i = 0;
    if (sm_dims(param, &out[0].shape, &o, &c, &i) == MX_OK)
        r->k->softmax_backward(r->eng, out[0].data, dy[0].data, din[0].data, o, c, i, req[0]);
}

static void lsm_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    size_t o = 0, c = 0, i = 0;
    if (sm_dims(param, &in[0].shape, &o, &c, &i) == MX_OK)
        r->k->log_softmax(r->eng, in[0].data, out[0].data, o, c, i);
}

static void lsm_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                         const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)in, (void)aux;
    size_t o = 0, c = 0, i = 0;
    if (sm_dims(param, &out[0].shape, &o, &c, &i) == MX_OK)
        r->k->log_softmax_backward(r->eng, out[0].data, dy[0].data, din[0].data, o, c, i, req[0]);
}

/* Backward reads only the output, so the output may take the input's buffer. */
const mx_op_def mx_op_softmax = {
    .name = "softmax",
    .param_size = sizeof(sm_param),
    .params = sm_params,
    .list_arguments = mx_args_data,
    .infer_shape = sm_infer,
    .flags = MX_OP_INPLACE,
    .bwd_needs_out = 1u,
    .forward = sm_forward,
    .backward = sm_backward,
};

const mx_op_def mx_op_log_softmax = {
    .name = "log_softmax",
    .param_size = sizeof(sm_param),
    .params = sm_params,
    .list_arguments = mx_args_data,
    .infer_shape = sm_infer,
    .flags = MX_OP_INPLACE,
    .bwd_needs_out = 1u,
    .forward = lsm_forward,
    .backward = lsm_backward,
};
