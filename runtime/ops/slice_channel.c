/* slice_channel.c — SliceChannel (alias split): data cut into num_outputs
 * equal parts along axis (default 1; negative counts from the end), outputs
 * named <name>_output0, … as in MXNet even when there is one. squeeze_axis
 * drops the axis from the outputs, which MXNet allows only when each part
 * has size 1 there. It is Concat's inverse: seen as rows (the dims before
 * the axis), output i takes a block of split × trailing elements from each
 * row, so forward is the kernel table's split and backward its concat. */
#include <stdio.h>

#include "ops.h"

typedef struct slice_param {
    int num_outputs;
    int axis;
    int squeeze_axis;
} slice_param;

static const mx_param_spec slice_params[] = {
    {"num_outputs", MX_P_INT, NULL, offsetof(slice_param, num_outputs), NULL, 1, 0, NULL},
    {"axis", MX_P_INT, "1", offsetof(slice_param, axis), NULL, -MX_MAX_NDIM, 0, NULL},
    {"squeeze_axis", MX_P_BOOL, "false", offsetof(slice_param, squeeze_axis), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

/* At most MX_OP_MAX_OUTPUTS: a larger num_outputs fails at infer_shape. */
static int slice_outputs(const void *param)
{
    const slice_param *p = param;
    return p->num_outputs < MX_OP_MAX_OUTPUTS ? p->num_outputs : MX_OP_MAX_OUTPUTS;
}

/* The data's axis for p on nd-D data, or -1 (error set) when out of range. */
static int data_axis(const slice_param *p, int nd)
{
    int axis = p->axis < 0 ? p->axis + nd : p->axis;
    if (axis < 0 || axis >= nd) {
        mx_set_error(MX_EINVAL, "parameter 'axis': %d is out of range for %d-D data (%d..%d)", p->axis, nd,
                     -nd, nd - 1);
        return -1;
    }
    return axis;
}

/* The data shape behind an output shape y (the inverse of part_shape). */
static mx_status whole_shape(const slice_param *p, const mx_shape *y, mx_shape *x)
{
    int nd = y->ndim + (p->squeeze_axis ? 1 : 0);
    if (nd > MX_MAX_NDIM)
        return mx_set_error(MX_EINVAL, "parameter 'squeeze_axis': outputs of %d dims leave no room for the axis",
                            y->ndim);
    int axis = data_axis(p, nd);
    if (axis < 0) return MX_EINVAL;
    x->ndim = nd;
    for (int i = 0, j = 0; i < nd; i++) {
        if (p->squeeze_axis && i == axis) x->dims[i] = p->num_outputs;
        else x->dims[i] = y->dims[j++] * (i == axis ? p->num_outputs : 1);
    }
    return MX_OK;
}

/* Each output's shape from the data shape x, checking MXNet's rules. */
static mx_status part_shape(const slice_param *p, const mx_shape *x, mx_shape *y)
{
    char a[128];
    int axis = data_axis(p, x->ndim);
    if (axis < 0) return MX_EINVAL;
    int64_t along = x->dims[axis];
    if (along % p->num_outputs)
        return mx_set_error(MX_EINVAL, "parameter 'num_outputs': %d does not divide axis %d (size %lld) of data %s",
                            p->num_outputs, axis, (long long)along, mx_shape_str(x, a, sizeof a));
    *y = *x;
    y->dims[axis] = along / p->num_outputs;
    if (!p->squeeze_axis) return MX_OK;
    if (y->dims[axis] != 1)
        return mx_set_error(MX_EINVAL, "parameter 'squeeze_axis': each part of data %s has size %lld along axis %d; "
                            "squeezing needs size 1 (num_outputs equal to the axis size)",
                            mx_shape_str(x, a, sizeof a), (long long)y->dims[axis], axis);
    if (x->ndim == 1)
        return mx_set_error(MX_EINVAL, "parameter 'squeeze_axis': would leave 0-D outputs from 1-D data %s",
                            mx_shape_str(x, a, sizeof a));
    for (int i = axis; i + 1 < x->ndim; i++) y->dims[i] = y->dims[i + 1];
    y->ndim--;
    return MX_OK;
}

/* Outputs from the data, or the data from a known output (both ways, as
 * MXNet); every known output must match. */
static mx_status slice_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                             mx_shape *aux, int naux)
{
    (void)nin; (void)aux; (void)naux;
    const slice_param *p = param;
    if (p->num_outputs > MX_OP_MAX_OUTPUTS || nout != p->num_outputs)
        return mx_set_error(MX_ENOTSUP, "parameter 'num_outputs': %d outputs are not supported by mxrt (at most %d)",
                            p->num_outputs, MX_OP_MAX_OUTPUTS);
    if (in[0].ndim == 0) {
        int k = 0;
        while (k < nout && out[k].ndim == 0) k++;
        if (k == nout) return MX_OK; /* nothing to go on yet */
        mx_status st = whole_shape(p, &out[k], &in[0]);
        if (st != MX_OK) return st;
    }
    mx_shape y;
    mx_status st = part_shape(p, &in[0], &y);
    for (int k = 0; st == MX_OK && k < nout; k++) {
        char what[32];
        snprintf(what, sizeof what, "output %d", k);
        st = mx_shape_assign(&out[k], &y, what);
    }
    return st;
}

/* Rows (dims before the axis) and each part's row width. */
static size_t slice_layout(const slice_param *p, const mx_shape *x, size_t *width)
{
    int nd = x->ndim, axis = p->axis < 0 ? p->axis + nd : p->axis;
    size_t rows = 1;
    for (int i = 0; i < axis; i++) rows *= (size_t)x->dims[i];
    *width = mx_shape_tail(x, axis) / (size_t)p->num_outputs;
    return rows;
}

/* Output i = its columns of each row of the data. */
static void slice_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                          mx_tensor *aux)
{
    (void)aux;
    const slice_param *p = param;
    size_t w, width[MX_OP_MAX_OUTPUTS];
    float *dst[MX_OP_MAX_OUTPUTS];
    mx_req req[MX_OP_MAX_OUTPUTS];
    size_t rows = slice_layout(p, &in[0].shape, &w);
    for (int i = 0; i < p->num_outputs; i++) {
        width[i] = w;
        dst[i] = out[i].data;
        req[i] = MX_REQ_WRITE;
    }
    r->k->split(r->eng, p->num_outputs, in[0].data, dst, width, req, rows);
}

/* d(data) (req) = the output gradients side by side; a NULL one (an
 * unused output) counts as zero. */
static void slice_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                           const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                           const mx_req *req, mx_tensor *aux)
{
    (void)out; (void)aux;
    const slice_param *p = param;
    if (req[0] == MX_REQ_NULL) return;
    int n = p->num_outputs, whole = req[0] == MX_REQ_WRITE;
    size_t w, width[MX_OP_MAX_OUTPUTS];
    const float *src[MX_OP_MAX_OUTPUTS];
    size_t rows = slice_layout(p, &in[0].shape, &w);
    for (int i = 0; i < n; i++) {
        width[i] = w;
        src[i] = out_grad[i].data;
        whole &= src[i] != NULL;
    }
    if (whole) {
        r->k->concat(r->eng, n, src, width, in_grad[0].data, rows);
        return;
    }
    /* Accumulating, or a part has no gradient: block by block (rare: the
     * LSTM's gates are all used and its gate sums written once). */
    float *dx = in_grad[0].data;
    for (size_t row = 0; row < rows; row++)
        for (int i = 0; i < n; i++, dx += w) {
            if (src[i]) r->k->scale_copy(r->eng, dx, src[i] + row * w, 1.0f, w, req[0]);
            else if (req[0] == MX_REQ_WRITE) r->k->fill(r->eng, dx, 0.0f, w);
        }
}

const mx_op_def mx_op_slice_channel = {
    .name = "SliceChannel",
    .param_size = sizeof(slice_param),
    .params = slice_params,
    .list_arguments = mx_args_data,
    .num_outputs = slice_outputs,
    .infer_shape = slice_infer,
    .flags = MX_OP_NUMBERED_OUTPUTS,
    .forward = slice_forward,
    .backward = slice_backward,
};

int mx_slice_channel_layout(const void *param, int nd, int *axis, int *squeeze)
{
    const slice_param *p = param;
    int a = p->axis < 0 ? p->axis + nd : p->axis;
    *axis = a >= 0 && a < nd ? a : -1;
    *squeeze = p->squeeze_axis;
    return p->num_outputs;
}
