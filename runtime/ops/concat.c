/* concat.c — Concat: num_args arrays joined along dim (default 1; negative
 * counts from the end), arguments named arg0, arg1, … as in MXNet. Every
 * other dim must agree. Seen as rows: the dims before dim are the rows,
 * and input i contributes a block of its dim-size × trailing elements to
 * each row, so forward and backward are row-wise copies (the kernel
 * table's concat and split). */
#include <limits.h>
#include <stdio.h>

#include "ops.h"

typedef struct concat_param {
    int num_args;
    int dim;
} concat_param;

static const mx_param_spec concat_params[] = {
    {"num_args", MX_P_INT, NULL, offsetof(concat_param, num_args), NULL, 1, 0, NULL},
    {"dim", MX_P_INT, "1", offsetof(concat_param, dim), NULL, -MX_MAX_NDIM, 0, NULL},
    MX_PARAMS_END,
};

/* num_args arguments, arg0 … (no limit: MXNet's models join 30 and more). */
static int concat_nargs(const void *param) { return ((const concat_param *)param)->num_args; }

static int concat_args(const void *param, const char **names)
{
    const concat_param *p = param;
    for (int i = 0; i < p->num_args; i++) names[i] = mx_op_arg_name(i);
    return p->num_args;
}

/* 1 if a and b agree in every dim but axis. */
static int agree(const mx_shape *a, const mx_shape *b, int axis)
{
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (i != axis && a->dims[i] != b->dims[i]) return 0;
    return 1;
}

/* Output from the inputs, or one unknown input from the output and the
 * others; mismatches name the input index and both shapes. */
static mx_status concat_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                              mx_shape *aux, int naux)
{
    (void)nout; (void)aux; (void)naux;
    const concat_param *p = param;
    char a[128], b[128];
    if (nin != p->num_args)
        return mx_set_error(MX_EINVAL, "parameter 'num_args': %d, but the node has %d inputs", p->num_args, nin);
    /* the first known input (else the output) sets every dim but dim */
    const mx_shape *ref = NULL;
    int ref_i = -1, unknown = 0, missing = -1;
    for (int i = 0; i < nin; i++) {
        if (in[i].ndim == 0) { unknown++; missing = i; }
        else if (!ref) { ref = &in[i]; ref_i = i; }
    }
    if (!ref && out[0].ndim) ref = &out[0];
    if (!ref) return MX_OK;
    int nd = ref->ndim, axis = p->dim < 0 ? p->dim + nd : p->dim;
    if (axis < 0 || axis >= nd)
        return mx_set_error(MX_EINVAL, "parameter 'dim': %d is out of range for %d-D inputs (%d..%d)",
                            p->dim, nd, -nd, nd - 1);
    int64_t along = 0;
    for (int i = 0; i < nin; i++) {
        if (in[i].ndim == 0) continue;
        if (!agree(&in[i], ref, axis))
            return mx_set_error(MX_EINVAL, "input %d (arg%d) has shape %s but input %d has shape %s: all dims but dim %d must agree",
                                i, i, mx_shape_str(&in[i], a, sizeof a), ref_i,
                                mx_shape_str(ref, b, sizeof b), axis);
        along += in[i].dims[axis];
    }
    if (ref_i >= 0 && out[0].ndim && !agree(&out[0], ref, axis))
        return mx_set_error(MX_EINVAL, "output has shape %s but input %d has shape %s: all dims but dim %d must agree",
                            mx_shape_str(&out[0], a, sizeof a), ref_i, mx_shape_str(ref, b, sizeof b), axis);
    if (unknown == 0) {
        mx_shape y = *ref;
        y.dims[axis] = along;
        return mx_shape_assign(&out[0], &y, "output");
    }
    /* one input unknown and the output known: it takes what is left */
    if (unknown == 1 && out[0].ndim) {
        mx_shape x = out[0];
        x.dims[axis] = out[0].dims[axis] - along;
        if (x.dims[axis] < 1)
            return mx_set_error(MX_EINVAL, "output %s leaves nothing along dim %d for input %d (arg%d)",
                                mx_shape_str(&out[0], a, sizeof a), axis, missing, missing);
        in[missing] = x;
    }
    return MX_OK;
}

/* Rows (dims before the axis) and each input's row width. */
static size_t concat_layout(const concat_param *p, const mx_tensor *in, int n, size_t *width)
{
    int nd = in[0].shape.ndim, axis = p->dim < 0 ? p->dim + nd : p->dim;
    size_t rows = 1;
    for (int i = 0; i < axis; i++) rows *= (size_t)in[0].shape.dims[i];
    for (int i = 0; i < n; i++) width[i] = mx_shape_tail(&in[i].shape, axis);
    return rows;
}

/* y = the inputs side by side along the axis. The kernel's lists are on
 * the stack (two words an input): nothing allocates in a pass. */
static void concat_forward(const mx_op_run *r, const void *param, const mx_tensor *in,
                           mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    const concat_param *p = param;
    size_t width[p->num_args];
    const float *src[p->num_args];
    size_t rows = concat_layout(p, in, p->num_args, width);
    for (int i = 0; i < p->num_args; i++) src[i] = in[i].data;
    r->k->concat(r->eng, p->num_args, src, width, out[0].data, rows);
}

/* Each input's gradient (its req) = its slice of d(output). */
static void concat_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                            const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                            const mx_req *req, mx_tensor *aux)
{
    (void)out; (void)aux;
    const concat_param *p = param;
    size_t width[p->num_args];
    float *dst[p->num_args];
    size_t rows = concat_layout(p, in, p->num_args, width);
    for (int i = 0; i < p->num_args; i++) dst[i] = req[i] == MX_REQ_NULL ? NULL : in_grad[i].data;
    r->k->split(r->eng, p->num_args, out_grad[0].data, dst, width, req, rows);
}

const mx_op_def mx_op_concat = {
    .name = "Concat",
    .param_size = sizeof(concat_param),
    .params = concat_params,
    .list_arguments = concat_args,
    .num_arguments = concat_nargs,
    .infer_shape = concat_infer,
    .forward = concat_forward,
    .backward = concat_backward,
};
