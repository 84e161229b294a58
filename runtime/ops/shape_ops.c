/* shape_ops.c — MXNet's ops that change a shape or make constants, with
 * no arithmetic: expand_dims, squeeze, reshape_like (views: they run in
 * place), Cast (float32 only), zeros_like, ones_like, _zeros, _ones,
 * MakeLoss, and slice_axis (a block of one axis, the kernel table's
 * copy_block). */
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "shape_param.h"

static int axis_in(int axis, int nd) { return axis < 0 ? axis + nd : axis; }

/* Forward and backward of ops whose output is the input, reshaped. */
static void view_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)param, (void)aux;
    if (out[0].data != in[0].data)
        r->k->scale_copy(r->eng, out[0].data, in[0].data, 1.0f, mx_shape_size(&in[0].shape), MX_REQ_WRITE);
}

static void view_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                          const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)param, (void)out, (void)aux;
    r->k->scale_copy(r->eng, din[0].data, dy[0].data, 1.0f, mx_shape_size(&in[0].shape), req[0]);
}

/* Input i of a view gets no gradient (reshape_like's rhs, *_like's data). */
static void zero_grad(const mx_op_run *r, const mx_tensor *din, const mx_req *req, int i)
{
    if (req[i] == MX_REQ_WRITE) r->k->fill(r->eng, din[i].data, 0.0f, mx_shape_size(&din[i].shape));
}

/* -- expand_dims -- */

typedef struct expand_param {
    int axis;
} expand_param;

static const mx_param_spec expand_params[] = {
    {"axis", MX_P_INT, NULL, offsetof(expand_param, axis), NULL, -MX_MAX_NDIM - 1, 0, NULL},
    MX_PARAMS_END,
};

static mx_status expand_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                              int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const expand_param *p = param;
    if (in[0].ndim == 0) return MX_OK;
    int nd = in[0].ndim, axis = p->axis < 0 ? p->axis + nd + 1 : p->axis;
    if (axis < 0 || axis > nd || nd + 1 > MX_MAX_NDIM)
        return mx_set_error(MX_EINVAL, "parameter 'axis': %d is out of range for %d-D data (%d..%d)", p->axis, nd,
                            -nd - 1, nd);
    mx_shape y;
    y.ndim = nd + 1;
    for (int i = 0, k = 0; i <= nd; i++) y.dims[i] = i == axis ? 1 : in[0].dims[k++];
    return mx_shape_assign(&out[0], &y, "output");
}

const mx_op_def mx_op_expand_dims = {
    .name = "expand_dims",
    .param_size = sizeof(expand_param),
    .params = expand_params,
    .list_arguments = mx_args_data,
    .infer_shape = expand_infer,
    .flags = MX_OP_INPLACE | MX_OP_BWD_INPLACE,
    .forward = view_forward,
    .backward = view_backward,
};

/* -- squeeze -- */

typedef struct squeeze_param {
    mx_shape axis; /* unset: every size-1 axis */
} squeeze_param;

static const mx_param_spec squeeze_params[] = {
    {"axis", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(squeeze_param, axis), NULL, 0, MX_PF_OPTIONAL, NULL},
    MX_PARAMS_END,
};

static mx_status squeeze_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                               int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const squeeze_param *p = param;
    if (in[0].ndim == 0) return MX_OK;
    int nd = in[0].ndim, drop[MX_MAX_NDIM] = {0};
    char b[128];
    if (!mx_shape_given(&p->axis)) {
        for (int i = 0; i < nd; i++) drop[i] = in[0].dims[i] == 1;
    } else {
        for (int k = 0; k < p->axis.ndim; k++) {
            int64_t a = p->axis.dims[k] < 0 ? p->axis.dims[k] + nd : p->axis.dims[k];
            if (a < 0 || a >= nd)
                return mx_set_error(MX_EINVAL, "parameter 'axis': %s is out of range for %d-D data",
                                    mx_shape_str(&p->axis, b, sizeof b), nd);
            if (in[0].dims[a] != 1)
                return mx_set_error(MX_EINVAL, "parameter 'axis': axis %lld of %s has size %lld, not 1", (long long)a,
                                    mx_shape_str(&in[0], b, sizeof b), (long long)in[0].dims[a]);
            drop[a] = 1;
        }
    }
    mx_shape y = {0, {0}};
    for (int i = 0; i < nd; i++)
        if (!drop[i]) y.dims[y.ndim++] = in[0].dims[i];
    if (y.ndim == 0) y = mx_shape_make(1, 1); /* MXNet keeps one axis of a scalar */
    return mx_shape_assign(&out[0], &y, "output");
}

const mx_op_def mx_op_squeeze = {
    .name = "squeeze",
    .param_size = sizeof(squeeze_param),
    .params = squeeze_params,
    .list_arguments = mx_args_data,
    .infer_shape = squeeze_infer,
    .flags = MX_OP_INPLACE | MX_OP_BWD_INPLACE,
    .forward = view_forward,
    .backward = view_backward,
};

/* -- reshape_like: lhs's data in rhs's shape (or a range of rhs's dims in
 * place of a range of lhs's) -- */

typedef struct like_param {
    int lhs_begin, lhs_end, rhs_begin, rhs_end; /* INT32_MIN: None */
} like_param;

#define NONE_TEXT "-2147483648"
#define NONE_INT (-2147483647 - 1)

static const mx_param_spec like_params[] = {
    {"lhs_begin", MX_P_INT, NONE_TEXT, offsetof(like_param, lhs_begin), NULL, NONE_INT, MX_PF_OPTIONAL, NULL},
    {"lhs_end", MX_P_INT, NONE_TEXT, offsetof(like_param, lhs_end), NULL, NONE_INT, MX_PF_OPTIONAL, NULL},
    {"rhs_begin", MX_P_INT, NONE_TEXT, offsetof(like_param, rhs_begin), NULL, NONE_INT, MX_PF_OPTIONAL, NULL},
    {"rhs_end", MX_P_INT, NONE_TEXT, offsetof(like_param, rhs_end), NULL, NONE_INT, MX_PF_OPTIONAL, NULL},
    MX_PARAMS_END,
};

static int like_args(const void *param, const char **names)
{
    (void)param;
    names[0] = "lhs";
    names[1] = "rhs";
    return 2;
}

/* [begin, end) of nd dims from MXNet's optional, negative-counting ints. */
static int dim_range(int begin, int end, int nd, int *b, int *e)
{
    *b = begin == NONE_INT ? 0 : begin < 0 ? begin + nd : begin;
    *e = end == NONE_INT ? nd : end < 0 ? end + nd : end;
    return *b >= 0 && *b <= *e && *e <= nd;
}

static mx_status like_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                            int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const like_param *p = param;
    if (in[0].ndim == 0 || in[1].ndim == 0) return MX_OK;
    int lb, le, rb, re;
    char a[128], b[128];
    if (!dim_range(p->lhs_begin, p->lhs_end, in[0].ndim, &lb, &le))
        return mx_set_error(MX_EINVAL, "parameters 'lhs_begin'/'lhs_end' are out of range for lhs %s",
                            mx_shape_str(&in[0], a, sizeof a));
    if (!dim_range(p->rhs_begin, p->rhs_end, in[1].ndim, &rb, &re))
        return mx_set_error(MX_EINVAL, "parameters 'rhs_begin'/'rhs_end' are out of range for rhs %s",
                            mx_shape_str(&in[1], a, sizeof a));
    mx_shape y = {0, {0}};
    for (int i = 0; i < lb; i++) y.dims[y.ndim++] = in[0].dims[i];
    for (int i = rb; i < re && y.ndim < MX_MAX_NDIM; i++) y.dims[y.ndim++] = in[1].dims[i];
    for (int i = le; i < in[0].ndim && y.ndim < MX_MAX_NDIM; i++) y.dims[y.ndim++] = in[0].dims[i];
    if (mx_shape_size(&y) != mx_shape_size(&in[0]))
        return mx_set_error(MX_EINVAL, "lhs %s has %zu elements, the shape taken from rhs %s makes %s",
                            mx_shape_str(&in[0], a, sizeof a), mx_shape_size(&in[0]), mx_shape_str(&in[1], b, sizeof b),
                            mx_shape_str(&y, b, sizeof b));
    return mx_shape_assign(&out[0], &y, "output");
}

static void like_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                          const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    view_backward(r, param, dy, in, out, din, req, aux);
    zero_grad(r, din, req, 1);
}

const mx_op_def mx_op_reshape_like = {
    .name = "reshape_like",
    .param_size = sizeof(like_param),
    .params = like_params,
    .list_arguments = like_args,
    .infer_shape = like_infer,
    .flags = MX_OP_INPLACE | MX_OP_BWD_INPLACE,
    .forward = view_forward,
    .backward = like_backward,
};

/* -- Cast: float32 to float32 is a copy; the other types are not supported -- */

typedef struct cast_param {
    int dtype;
} cast_param;

static const char *const dtypes[] = {"float32", NULL};
static const char *const dtypes_other[] = {"bfloat16", "bool", "float16", "float64", "int32", "int64", "int8",
                                           "uint8", NULL};

static const mx_param_spec cast_params[] = {
    {"dtype", MX_P_ENUM, NULL, offsetof(cast_param, dtype), dtypes, 0, 0, dtypes_other},
    MX_PARAMS_END,
};

const mx_op_def mx_op_cast = {
    .name = "Cast",
    .param_size = sizeof(cast_param),
    .params = cast_params,
    .list_arguments = mx_args_data,
    .infer_shape = mx_infer_same_as_data,
    .flags = MX_OP_INPLACE | MX_OP_BWD_INPLACE,
    .forward = view_forward,
    .backward = view_backward,
};

/* -- zeros_like, ones_like: constants of data's shape; no gradient flows -- */

static void zeros_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)param, (void)in, (void)aux;
    r->k->fill(r->eng, out[0].data, 0.0f, mx_shape_size(&out[0].shape));
}

static void ones_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)param, (void)in, (void)aux;
    r->k->fill(r->eng, out[0].data, 1.0f, mx_shape_size(&out[0].shape));
}

static void no_grad(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                    const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)param, (void)dy, (void)in, (void)out, (void)aux;
    zero_grad(r, din, req, 0);
}

const mx_op_def mx_op_zeros_like = {
    .name = "zeros_like",
    .list_arguments = mx_args_data,
    .infer_shape = mx_infer_same_as_data,
    .forward = zeros_forward,
    .backward = no_grad,
};

const mx_op_def mx_op_ones_like = {
    .name = "ones_like",
    .list_arguments = mx_args_data,
    .infer_shape = mx_infer_same_as_data,
    .forward = ones_forward,
    .backward = no_grad,
};

/* -- _zeros, _ones: a constant of a given shape, no input -- */

typedef struct const_param {
    mx_shape shape;
    int dtype;
} const_param;

static const mx_param_spec const_params[] = {
    {"shape", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(const_param, shape), NULL, 0, 0, NULL},
    /* where MXNet would make it: the executor's context here */
    {"ctx", MX_P_TEXT, "", 0, NULL, 0, MX_PF_IGNORED, NULL},
    {"dtype", MX_P_ENUM, "float32", offsetof(const_param, dtype), dtypes, 0, 0, dtypes_other},
    MX_PARAMS_END,
};

static int no_args(const void *param, const char **names)
{
    (void)param, (void)names;
    return 0;
}

/* The shape parameter, where a 0 is a dim left to inference (Gluon's
 * exports write begin states as _zeros of shape (1, 0, 256): the batch is
 * learnt from the consumer, as MXNet's legacy shape inference does). */
static mx_status const_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                             int naux)
{
    (void)in, (void)nin, (void)nout, (void)aux, (void)naux;
    const const_param *p = param;
    char a[128], b[128];
    if (!mx_shape_given(&p->shape)) return MX_OK; /* left to the consumer, as MXNet does */
    int partial = 0;
    for (int i = 0; i < p->shape.ndim; i++) {
        if (p->shape.dims[i] < 0)
            return mx_set_error(MX_EINVAL, "parameter 'shape': %s: a negative dim",
                                mx_shape_str(&p->shape, a, sizeof a));
        partial |= p->shape.dims[i] == 0;
    }
    if (!partial) return mx_shape_assign(&out[0], &p->shape, "output");
    if (out[0].ndim == 0) return MX_OK;
    int fits = out[0].ndim == p->shape.ndim;
    for (int i = 0; fits && i < p->shape.ndim; i++) fits = !p->shape.dims[i] || p->shape.dims[i] == out[0].dims[i];
    if (!fits)
        return mx_set_error(MX_EINVAL, "output %s does not fit parameter 'shape' %s", mx_shape_str(&out[0], a, sizeof a),
                            mx_shape_str(&p->shape, b, sizeof b));
    return MX_OK;
}

static void no_input_grad(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                          const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)r, (void)param, (void)dy, (void)in, (void)out, (void)din, (void)req, (void)aux;
}

const mx_op_def mx_op_zeros = {
    .name = "_zeros",
    .param_size = sizeof(const_param),
    .params = const_params,
    .list_arguments = no_args,
    .infer_shape = const_infer,
    .forward = zeros_forward,
    .backward = no_input_grad,
};

const mx_op_def mx_op_ones = {
    .name = "_ones",
    .param_size = sizeof(const_param),
    .params = const_params,
    .list_arguments = no_args,
    .infer_shape = const_infer,
    .forward = ones_forward,
    .backward = no_input_grad,
};

/* -- _full: a constant of a given shape and value (the shape rules of _zeros) -- */

typedef struct full_param {
    const_param c; /* first: const_infer reads it */
    float value;
} full_param;

static const mx_param_spec full_params[] = {
    {"shape", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(full_param, c.shape), NULL, 0, 0, NULL},
    {"ctx", MX_P_TEXT, "", 0, NULL, 0, MX_PF_IGNORED, NULL},
    {"dtype", MX_P_ENUM, "float32", offsetof(full_param, c.dtype), dtypes, 0, 0, dtypes_other},
    {"value", MX_P_FLOAT, NULL, offsetof(full_param, value), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

static void full_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)in, (void)aux;
    r->k->fill(r->eng, out[0].data, ((const full_param *)param)->value, mx_shape_size(&out[0].shape));
}

const mx_op_def mx_op_full = {
    .name = "_full",
    .param_size = sizeof(full_param),
    .params = full_params,
    .list_arguments = no_args,
    .infer_shape = const_infer,
    .forward = full_forward,
    .backward = no_input_grad,
};

/* -- MakeLoss: the input is the loss; its gradient is grad_scale,
 * normalised as MXNet's -- */

typedef struct make_loss_param {
    float grad_scale, valid_thresh;
    int normalization; /* 0 null, 1 batch, 2 valid */
} make_loss_param;

static const char *const norm_names[] = {"null", "batch", "valid", NULL};

static const mx_param_spec make_loss_params[] = {
    {"grad_scale", MX_P_FLOAT, "1", offsetof(make_loss_param, grad_scale), NULL, 0, 0, NULL},
    {"valid_thresh", MX_P_FLOAT, "0", offsetof(make_loss_param, valid_thresh), NULL, 0, 0, NULL},
    {"normalization", MX_P_ENUM, "null", offsetof(make_loss_param, normalization), norm_names, 0, 0, NULL},
    MX_PARAMS_END,
};

static mx_status make_loss_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                                 int naux)
{
    const make_loss_param *p = param;
    if (p->normalization == 2)
        return mx_set_error(MX_ENOTSUP, "parameter 'normalization': value 'valid' is not supported by mxrt (null, batch)");
    return mx_infer_same_as_data(param, in, nin, out, nout, aux, naux);
}

static void make_loss_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                               const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)dy, (void)out, (void)aux;
    const make_loss_param *p = param;
    if (req[0] == MX_REQ_NULL) return;
    size_t n = mx_shape_size(&in[0].shape);
    float g = p->grad_scale;
    if (p->normalization == 1 && in[0].shape.ndim) g /= (float)in[0].shape.dims[0];
    if (req[0] == MX_REQ_WRITE) {
        r->k->fill(r->eng, din[0].data, g, n);
        return;
    }
    /* accumulate: dx += g, as dx = 1·dx + g */
    r->k->scalar(r->eng, MX_BIN_ADD, din[0].data, g, din[0].data, n);
}

const mx_op_def mx_op_make_loss = {
    .name = "MakeLoss",
    .param_size = sizeof(make_loss_param),
    .params = make_loss_params,
    .list_arguments = mx_args_data,
    .infer_shape = make_loss_infer,
    .flags = MX_OP_INPLACE | MX_OP_LOSS,
    .forward = view_forward,
    .backward = make_loss_backward,
};

/* -- slice_axis: [begin, end) of one axis -- */

typedef struct slice_axis_param {
    int axis, begin, end; /* end NONE_INT: to the end */
} slice_axis_param;

static const mx_param_spec slice_axis_params[] = {
    {"axis", MX_P_INT, NULL, offsetof(slice_axis_param, axis), NULL, -MX_MAX_NDIM, 0, NULL},
    {"begin", MX_P_INT, NULL, offsetof(slice_axis_param, begin), NULL, NONE_INT + 1, 0, NULL},
    /* MXNet requires it, None meaning to the end; left out it is None here too */
    {"end", MX_P_INT, NONE_TEXT, offsetof(slice_axis_param, end), NULL, NONE_INT, MX_PF_OPTIONAL, NULL},
    MX_PARAMS_END,
};

/* The slice's (outer, axis length, inner) view and its [b, e) along the axis. */
static mx_status slice_axis_geom(const slice_axis_param *p, const mx_shape *x, size_t *outer, size_t *len,
                                 size_t *inner, long long *b, long long *e)
{
    char s[128];
    int nd = x->ndim, axis = axis_in(p->axis, nd);
    if (axis < 0 || axis >= nd)
        return mx_set_error(MX_EINVAL, "parameter 'axis': %d is out of range for %d-D data %s", p->axis, nd,
                            mx_shape_str(x, s, sizeof s));
    long long n = x->dims[axis];
    *b = p->begin < 0 ? p->begin + n : p->begin;
    *e = p->end == NONE_INT ? n : p->end < 0 ? p->end + n : p->end;
    if (*b < 0 || *e > n || *b >= *e)
        return mx_set_error(MX_EINVAL, "parameters 'begin'/'end': [%d, %d) is empty or outside axis %d of %s",
                            p->begin, p->end, axis, mx_shape_str(x, s, sizeof s));
    *outer = 1;
    for (int i = 0; i < axis; i++) *outer *= (size_t)x->dims[i];
    *len = (size_t)n;
    *inner = mx_shape_tail(x, axis + 1);
    return MX_OK;
}

static mx_status slice_axis_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                                  mx_shape *aux, int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const slice_axis_param *p = param;
    if (in[0].ndim == 0) return MX_OK;
    size_t outer = 0, len = 0, inner = 0;
    long long b = 0, e = 0;
    mx_status st = slice_axis_geom(p, &in[0], &outer, &len, &inner, &b, &e);
    if (st != MX_OK) return st;
    mx_shape y = in[0];
    y.dims[axis_in(p->axis, y.ndim)] = e - b;
    return mx_shape_assign(&out[0], &y, "output");
}

static void slice_axis_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                               mx_tensor *aux)
{
    (void)aux;
    size_t outer = 0, len = 0, inner = 0;
    long long b = 0, e = 0;
    if (slice_axis_geom(param, &in[0].shape, &outer, &len, &inner, &b, &e) != MX_OK) return;
    size_t w = (size_t)(e - b) * inner;
    r->k->copy_block(r->eng, out[0].data, w, in[0].data + (size_t)b * inner, len * inner, outer, w, MX_REQ_WRITE);
}

/* dx: zeros outside the slice (unless adding), dy inside it. */
static void slice_axis_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                                const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)out, (void)aux;
    if (req[0] == MX_REQ_NULL) return;
    size_t outer = 0, len = 0, inner = 0;
    long long b = 0, e = 0;
    if (slice_axis_geom(param, &in[0].shape, &outer, &len, &inner, &b, &e) != MX_OK) return;
    size_t w = (size_t)(e - b) * inner;
    zero_grad(r, din, req, 0);
    r->k->copy_block(r->eng, din[0].data + (size_t)b * inner, len * inner, dy[0].data, w, outer, w, MX_REQ_ADD);
}

const mx_op_def mx_op_slice_axis = {
    .name = "slice_axis",
    .param_size = sizeof(slice_axis_param),
    .params = slice_axis_params,
    .list_arguments = mx_args_data,
    .infer_shape = slice_axis_infer,
    .forward = slice_axis_forward,
    .backward = slice_axis_backward,
};

/* -- make_loss: the parameterless form (the head gradient ignored, 1 flows) -- */

static void ones_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                          const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)param, (void)dy, (void)out, (void)aux;
    size_t n = mx_shape_size(&in[0].shape);
    if (req[0] == MX_REQ_WRITE) r->k->fill(r->eng, din[0].data, 1.0f, n);
    else if (req[0] == MX_REQ_ADD) r->k->scalar(r->eng, MX_BIN_ADD, din[0].data, 1.0f, din[0].data, n);
}

const mx_op_def mx_op_make_loss_plain = {
    .name = "make_loss",
    .list_arguments = mx_args_data,
    .infer_shape = mx_infer_same_as_data,
    .flags = MX_OP_INPLACE | MX_OP_LOSS,
    .forward = view_forward,
    .backward = ones_backward,
};
