/* broadcast.c — MXNet's broadcast ops: broadcast_add (alias broadcast_plus),
 * broadcast_sub (broadcast_minus), broadcast_mul, broadcast_div,
 * broadcast_maximum, broadcast_minimum on two inputs whose dims agree or
 * are 1 (aligned from the right), and broadcast_to, broadcast_axis (alias
 * broadcast_axes) on one, broadcast_like to another's shape. Each gradient is the output gradient times the
 * op's derivative, summed over the axes where its input was repeated: the
 * term is formed in the workspace, then reduced (reduce.c's geometry). */
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "shape_param.h"

/* s aligned right to nd dims (leading 1s). */
static mx_shape align(const mx_shape *s, int nd)
{
    mx_shape a;
    a.ndim = nd;
    int lead = nd - s->ndim;
    for (int d = 0; d < nd; d++) a.dims[d] = d < lead ? 1 : s->dims[d - lead];
    return a;
}

/* y's shape from a and b; the error names both. */
static mx_status bcast_shape(const mx_shape *a, const mx_shape *b, mx_shape *y)
{
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    mx_shape x = align(a, nd), z = align(b, nd);
    y->ndim = nd;
    for (int d = 0; d < nd; d++) {
        if (x.dims[d] != z.dims[d] && x.dims[d] != 1 && z.dims[d] != 1) {
            char s1[128], s2[128];
            return mx_set_error(MX_EINVAL, "lhs %s and rhs %s do not broadcast (axis %d: %lld against %lld)",
                                mx_shape_str(a, s1, sizeof s1), mx_shape_str(b, s2, sizeof s2), d,
                                (long long)x.dims[d], (long long)z.dims[d]);
        }
        y->dims[d] = x.dims[d] == 1 ? z.dims[d] : x.dims[d];
    }
    return MX_OK;
}

/* The kernel's layout of y from a and b (b NULL: one input). */
static void bcast_geom(const mx_shape *y, const mx_shape *a, const mx_shape *b, mx_bcast_geom *g)
{
    mx_shape x = align(a, y->ndim), z = b ? align(b, y->ndim) : x;
    int64_t sa = 1, sb = 1;
    g->ndim = y->ndim;
    for (int d = y->ndim - 1; d >= 0; d--) {
        g->shape[d] = y->dims[d];
        g->sa[d] = x.dims[d] == 1 ? 0 : sa;
        g->sb[d] = z.dims[d] == 1 ? 0 : sb;
        sa *= x.dims[d];
        sb *= z.dims[d];
    }
}

/* dx (req) = t summed over the axes where x (aligned to y) is repeated. */
static void sum_to(const mx_op_run *r, const float *t, const mx_shape *y, const mx_shape *x, float *dx, mx_req req)
{
    mx_shape a = align(x, y->ndim);
    int red[MX_MAX_NDIM];
    for (int d = 0; d < y->ndim; d++) red[d] = a.dims[d] == 1 && y->dims[d] != 1;
    mx_reduce_geom g;
    mx_reduce_geom_build(y, red, &g);
    r->k->reduce(r->eng, MX_RED_SUM, t, dx, &g, 1.0f, req);
}

/* -- binary -- */

static int lhs_rhs(const void *param, const char **names)
{
    (void)param;
    names[0] = "lhs";
    names[1] = "rhs";
    return 2;
}

static mx_status binary_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                              int naux)
{
    (void)param, (void)nin, (void)nout, (void)aux, (void)naux;
    if (in[0].ndim == 0 || in[1].ndim == 0) return MX_OK;
    mx_shape y;
    mx_status st = bcast_shape(&in[0], &in[1], &y);
    return st == MX_OK ? mx_shape_assign(&out[0], &y, "output") : st;
}

/* The gradient term of one input, at the output's size. */
static size_t binary_workspace(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out)
{
    (void)k, (void)param, (void)in;
    return mx_shape_size(&out[0]) * sizeof(float);
}

#define BCAST_OP(fn, NAME, OP, NEEDS)                                                                       \
    static void fn##_fwd(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,        \
                         mx_tensor *aux)                                                                   \
    {                                                                                                       \
        (void)param, (void)aux;                                                                             \
        mx_bcast_geom g;                                                                                    \
        bcast_geom(&out[0].shape, &in[0].shape, &in[1].shape, &g);                                         \
        r->k->bcast_binary(r->eng, OP, in[0].data, in[1].data, out[0].data, &g);                           \
    }                                                                                                       \
    static void fn##_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,     \
                         const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)          \
    {                                                                                                       \
        (void)param, (void)out, (void)aux;                                                                  \
        mx_bcast_geom g;                                                                                    \
        bcast_geom(&dy[0].shape, &in[0].shape, &in[1].shape, &g);                                          \
        for (int side = 0; side < 2; side++) {                                                              \
            if (req[side] == MX_REQ_NULL) continue;                                                         \
            r->k->bcast_grad(r->eng, OP, side, in[0].data, in[1].data, dy[0].data, r->workspace, &g);       \
            sum_to(r, r->workspace, &dy[0].shape, &in[side].shape, din[side].data, req[side]);              \
        }                                                                                                   \
    }                                                                                                       \
    const mx_op_def mx_op_##fn = {.name = NAME, .list_arguments = lhs_rhs, .infer_shape = binary_infer,     \
                                  .bwd_needs_in = NEEDS, .workspace = binary_workspace, .forward = fn##_fwd, \
                                  .backward = fn##_bwd};

BCAST_OP(broadcast_add, "broadcast_add", MX_BIN_ADD, 3u)
BCAST_OP(broadcast_sub, "broadcast_sub", MX_BIN_SUB, 3u)
BCAST_OP(broadcast_mul, "broadcast_mul", MX_BIN_MUL, 3u)
BCAST_OP(broadcast_div, "broadcast_div", MX_BIN_DIV, 3u)
BCAST_OP(broadcast_maximum, "broadcast_maximum", MX_BIN_MAX, 3u)
BCAST_OP(broadcast_minimum, "broadcast_minimum", MX_BIN_MIN, 3u)

/* -- one input, repeated -- */

static void repeat_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)param, (void)aux;
    mx_bcast_geom g;
    bcast_geom(&out[0].shape, &in[0].shape, NULL, &g);
    r->k->bcast_binary(r->eng, MX_BIN_ADD, in[0].data, NULL, out[0].data, &g);
}

static void repeat_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                            const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)param, (void)out, (void)aux;
    if (req[0] != MX_REQ_NULL) sum_to(r, dy[0].data, &dy[0].shape, &in[0].shape, din[0].data, req[0]);
}

/* Every dim of x equal to y's or 1 (and repeated there). */
static mx_status check_repeat(const mx_shape *x, const mx_shape *y)
{
    char a[128], b[128];
    if (x->ndim != y->ndim)
        return mx_set_error(MX_EINVAL, "data %s and the target %s differ in rank", mx_shape_str(x, a, sizeof a),
                            mx_shape_str(y, b, sizeof b));
    for (int d = 0; d < x->ndim; d++)
        if (x->dims[d] != y->dims[d] && x->dims[d] != 1)
            return mx_set_error(MX_EINVAL, "axis %d of data %s has size %lld: only size-1 axes broadcast (to %s)", d,
                                mx_shape_str(x, a, sizeof a), (long long)x->dims[d], mx_shape_str(y, b, sizeof b));
    return MX_OK;
}

typedef struct to_param {
    mx_shape shape;
} to_param;

static const mx_param_spec to_params[] = {
    {"shape", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(to_param, shape), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

static mx_status to_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                          int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const to_param *p = param;
    char b[128];
    if (!mx_shape_given(&p->shape) || p->shape.ndim == 0)
        return mx_set_error(MX_EINVAL, "parameter 'shape' is required, e.g. shape=(2, 3)");
    if (in[0].ndim == 0) return MX_OK;
    if (in[0].ndim != p->shape.ndim)
        return mx_set_error(MX_EINVAL, "parameter 'shape': %s has %d dims, data has %d",
                            mx_shape_str(&p->shape, b, sizeof b), p->shape.ndim, in[0].ndim);
    mx_shape y = p->shape;
    for (int d = 0; d < y.ndim; d++) /* 0: keep data's dim */
        if (y.dims[d] == 0) y.dims[d] = in[0].dims[d];
    mx_status st = check_repeat(&in[0], &y);
    return st == MX_OK ? mx_shape_assign(&out[0], &y, "output") : st;
}

const mx_op_def mx_op_broadcast_to = {
    .name = "broadcast_to",
    .param_size = sizeof(to_param),
    .params = to_params,
    .list_arguments = mx_args_data,
    .infer_shape = to_infer,
    .forward = repeat_forward,
    .backward = repeat_backward,
};

typedef struct axis_param {
    mx_shape axis, size;
} axis_param;

static const mx_param_spec axis_params[] = {
    {"axis", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(axis_param, axis), NULL, 0, 0, NULL},
    {"size", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(axis_param, size), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

static mx_status axis_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                            int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const axis_param *p = param;
    int given = mx_shape_given(&p->axis) ? p->axis.ndim : 0, sizes = mx_shape_given(&p->size) ? p->size.ndim : 0;
    if (given != sizes)
        return mx_set_error(MX_EINVAL, "parameters 'axis' and 'size': %d axes but %d sizes", given, sizes);
    if (in[0].ndim == 0) return MX_OK;
    mx_shape y = in[0];
    for (int k = 0; k < given; k++) {
        int64_t a = p->axis.dims[k] < 0 ? p->axis.dims[k] + y.ndim : p->axis.dims[k];
        if (a < 0 || a >= y.ndim)
            return mx_set_error(MX_EINVAL, "parameter 'axis': %lld is out of range for %d-D data",
                                (long long)p->axis.dims[k], y.ndim);
        if (in[0].dims[a] != 1)
            return mx_set_error(MX_EINVAL, "parameter 'axis': axis %lld has size %lld; only size-1 axes broadcast",
                                (long long)a, (long long)in[0].dims[a]);
        if (p->size.dims[k] < 1)
            return mx_set_error(MX_EINVAL, "parameter 'size': %lld is not a size", (long long)p->size.dims[k]);
        y.dims[a] = p->size.dims[k];
    }
    return mx_shape_assign(&out[0], &y, "output");
}

const mx_op_def mx_op_broadcast_axis = {
    .name = "broadcast_axis",
    .param_size = sizeof(axis_param),
    .params = axis_params,
    .list_arguments = mx_args_data,
    .infer_shape = axis_infer,
    .forward = repeat_forward,
    .backward = repeat_backward,
};

/* -- broadcast_like: lhs repeated to rhs's shape, or to its sizes on
 * named axes (lhs_axes[k] takes rhs's axis rhs_axes[k]); rhs only lends
 * its shape and gets a zero gradient -- */

typedef struct like_param {
    mx_shape lhs_axes, rhs_axes;
} like_param;

static const mx_param_spec like_params[] = {
    {"lhs_axes", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(like_param, lhs_axes), NULL, 0, MX_PF_OPTIONAL, NULL},
    {"rhs_axes", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(like_param, rhs_axes), NULL, 0, MX_PF_OPTIONAL, NULL},
    MX_PARAMS_END,
};

static mx_status like_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                            int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const like_param *p = param;
    int nl = mx_shape_given(&p->lhs_axes) ? p->lhs_axes.ndim : 0;
    int nr = mx_shape_given(&p->rhs_axes) ? p->rhs_axes.ndim : 0;
    if (nl != nr)
        return mx_set_error(MX_EINVAL, "parameters 'lhs_axes' and 'rhs_axes': %d and %d axes", nl, nr);
    if (in[0].ndim == 0 || in[1].ndim == 0) return MX_OK;
    mx_shape y = nl ? in[0] : in[1];
    for (int k = 0; k < nl; k++) {
        int64_t a = p->lhs_axes.dims[k] < 0 ? p->lhs_axes.dims[k] + in[0].ndim : p->lhs_axes.dims[k];
        int64_t b = p->rhs_axes.dims[k] < 0 ? p->rhs_axes.dims[k] + in[1].ndim : p->rhs_axes.dims[k];
        if (a < 0 || a >= in[0].ndim || b < 0 || b >= in[1].ndim)
            return mx_set_error(MX_EINVAL, "parameters 'lhs_axes'/'rhs_axes': %lld, %lld out of range for %d-D and "
                                "%d-D inputs", (long long)p->lhs_axes.dims[k], (long long)p->rhs_axes.dims[k],
                                in[0].ndim, in[1].ndim);
        y.dims[a] = in[1].dims[b];
    }
    mx_status st = check_repeat(&in[0], &y);
    return st == MX_OK ? mx_shape_assign(&out[0], &y, "output") : st;
}

static void like_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                          const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    repeat_backward(r, param, dy, in, out, din, req, aux);
    if (req[1] == MX_REQ_WRITE) r->k->fill(r->eng, din[1].data, 0.0f, mx_shape_size(&in[1].shape));
}

const mx_op_def mx_op_broadcast_like = {
    .name = "broadcast_like",
    .param_size = sizeof(like_param),
    .params = like_params,
    .list_arguments = lhs_rhs,
    .infer_shape = like_infer,
    .forward = repeat_forward,
    .backward = like_backward,
};
