/* layout_ops.c — MXNet's ops that move elements between positions:
 * transpose, SwapAxis (alias swapaxes), slice (alias crop) with begin,
 * end and step (None entries allowed), Pad (constant mode), where. Each
 * is a gather with strides (the kernel table's bcast_binary with one
 * input) forward and the matching scatter backward. */
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "shape_param.h"

/* Row-major element strides of s. */
static void strides_of(const mx_shape *s, int64_t *st)
{
    int64_t k = 1;
    for (int d = s->ndim - 1; d >= 0; d--) {
        st[d] = k;
        k *= s->dims[d];
    }
}

/* A gather from x: y's shape, x's stride for each of y's axes. */
static void gather_geom(const mx_shape *y, const int64_t *sx, mx_bcast_geom *g)
{
    memset(g, 0, sizeof *g);
    g->ndim = y->ndim;
    for (int d = 0; d < y->ndim; d++) {
        g->shape[d] = y->dims[d];
        g->sa[d] = sx[d];
    }
}

/* The gradient of a gather that reads each element at most once (a
 * slice, a crop): din (req) gets dy at the gathered offsets (base + g's
 * strides) and 0 elsewhere. */
static void gather_grad(const mx_op_run *r, const float *dy, float *din, size_t n_in, int64_t base,
                        const mx_bcast_geom *g, mx_req req)
{
    if (req == MX_REQ_NULL) return;
    if (req == MX_REQ_WRITE) r->k->fill(r->eng, din, 0.0f, n_in);
    r->k->scatter(r->eng, dy, din + base, g, MX_REQ_ADD);
}

/* -- transpose and SwapAxis: a permutation of the axes -- */

typedef struct transpose_param {
    mx_shape axes; /* () : reversed */
} transpose_param;

static const mx_param_spec transpose_params[] = {
    {"axes", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(transpose_param, axes), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

typedef struct swap_param {
    int dim1, dim2;
} swap_param;

static const mx_param_spec swap_params[] = {
    {"dim1", MX_P_INT, "0", offsetof(swap_param, dim1), NULL, -MX_MAX_NDIM, 0, NULL},
    {"dim2", MX_P_INT, "0", offsetof(swap_param, dim2), NULL, -MX_MAX_NDIM, 0, NULL},
    MX_PARAMS_END,
};

/* perm[d] = the input axis output axis d takes; the error names the parameter. */
static mx_status perm_of(const mx_op_def *op, const void *param, int nd, int *perm)
{
    char b[128];
    if (op == &mx_op_swapaxis) {
        const swap_param *p = param;
        int a = p->dim1 < 0 ? p->dim1 + nd : p->dim1, c = p->dim2 < 0 ? p->dim2 + nd : p->dim2;
        if (a < 0 || a >= nd || c < 0 || c >= nd)
            return mx_set_error(MX_EINVAL, "parameters 'dim1'/'dim2': %d, %d out of range for %d-D data", p->dim1,
                                p->dim2, nd);
        for (int d = 0; d < nd; d++) perm[d] = d;
        perm[a] = c;
        perm[c] = a;
        return MX_OK;
    }
    const transpose_param *p = param;
    if (!mx_shape_given(&p->axes) || p->axes.ndim == 0) {
        for (int d = 0; d < nd; d++) perm[d] = nd - 1 - d;
        return MX_OK;
    }
    if (p->axes.ndim != nd)
        return mx_set_error(MX_EINVAL, "parameter 'axes': %s has %d entries for %d-D data",
                            mx_shape_str(&p->axes, b, sizeof b), p->axes.ndim, nd);
    int seen[MX_MAX_NDIM] = {0};
    for (int d = 0; d < nd; d++) {
        int64_t a = p->axes.dims[d] < 0 ? p->axes.dims[d] + nd : p->axes.dims[d];
        if (a < 0 || a >= nd || seen[a]++)
            return mx_set_error(MX_EINVAL, "parameter 'axes': %s is not a permutation of %d axes",
                                mx_shape_str(&p->axes, b, sizeof b), nd);
        perm[d] = (int)a;
    }
    return MX_OK;
}

static mx_status permute_infer_with(const mx_op_def *op, const void *param, mx_shape *in, mx_shape *out)
{
    if (in[0].ndim == 0) return MX_OK;
    int perm[MX_MAX_NDIM];
    mx_status st = perm_of(op, param, in[0].ndim, perm);
    if (st != MX_OK) return st;
    mx_shape y = in[0];
    for (int d = 0; d < y.ndim; d++) y.dims[d] = in[0].dims[perm[d]];
    return mx_shape_assign(&out[0], &y, "output");
}

static mx_status transpose_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                                 int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    return permute_infer_with(&mx_op_transpose, param, in, out);
}

static mx_status swap_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                            int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    return permute_infer_with(&mx_op_swapaxis, param, in, out);
}

/* The permutation's gather (forward: x → y) geometry over y. */
static void permute_geom(const mx_op_def *op, const void *param, const mx_shape *x, const mx_shape *y,
                         mx_bcast_geom *g)
{
    int perm[MX_MAX_NDIM];
    int64_t sx[MX_MAX_NDIM], sy[MX_MAX_NDIM];
    perm_of(op, param, x->ndim, perm);
    strides_of(x, sx);
    for (int d = 0; d < y->ndim; d++) sy[d] = sx[perm[d]];
    gather_geom(y, sy, g);
}

#define PERMUTE_OP(fn, DEF)                                                                                  \
    static void fn##_fwd(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,         \
                         mx_tensor *aux)                                                                    \
    {                                                                                                        \
        (void)aux;                                                                                           \
        mx_bcast_geom g;                                                                                     \
        permute_geom(&DEF, param, &in[0].shape, &out[0].shape, &g);                                         \
        r->k->bcast_binary(r->eng, MX_BIN_ADD, in[0].data, NULL, out[0].data, &g);                          \
    }                                                                                                        \
    static void fn##_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,      \
                         const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)           \
    {                                                                                                        \
        (void)out, (void)aux;                                                                                \
        mx_bcast_geom g;                                                                                     \
        permute_geom(&DEF, param, &in[0].shape, &dy[0].shape, &g);                                          \
        r->k->scatter(r->eng, dy[0].data, din[0].data, &g, req[0]);                                         \
    }

extern const mx_op_def mx_op_transpose, mx_op_swapaxis;
PERMUTE_OP(transpose, mx_op_transpose)
PERMUTE_OP(swap, mx_op_swapaxis)

const mx_op_def mx_op_transpose = {
    .name = "transpose",
    .param_size = sizeof(transpose_param),
    .params = transpose_params,
    .list_arguments = mx_args_data,
    .infer_shape = transpose_infer,
    .forward = transpose_fwd,
    .backward = transpose_bwd,
};

const mx_op_def mx_op_swapaxis = {
    .name = "SwapAxis",
    .param_size = sizeof(swap_param),
    .params = swap_params,
    .list_arguments = mx_args_data,
    .infer_shape = swap_infer,
    .forward = swap_fwd,
    .backward = swap_bwd,
};

/* -- slice: begin, end, step per leading axis (None: the default) -- */

typedef struct slice_param {
    mx_shape begin, end, step;
} slice_param;

static const mx_param_spec slice_params[] = {
    {"begin", MX_P_TUPLE, NULL, offsetof(slice_param, begin), NULL, 0, 0, NULL},
    {"end", MX_P_TUPLE, NULL, offsetof(slice_param, end), NULL, 0, 0, NULL},
    {"step", MX_P_TUPLE, "()", offsetof(slice_param, step), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

/* Each axis's first index, step and count, numpy's rules (MXNet's slice). */
static mx_status slice_plan(const slice_param *p, const mx_shape *x, int64_t *first, int64_t *step, int64_t *n)
{
    char b[128];
    if (p->begin.ndim != p->end.ndim || (p->step.ndim && p->step.ndim != p->begin.ndim) || p->begin.ndim > x->ndim)
        return mx_set_error(MX_EINVAL, "parameters 'begin', 'end', 'step': %d, %d and %d entries for data %s",
                            p->begin.ndim, p->end.ndim, p->step.ndim, mx_shape_str(x, b, sizeof b));
    for (int d = 0; d < x->ndim; d++) {
        int64_t len = x->dims[d];
        int64_t s = d < p->step.ndim && p->step.dims[d] != MX_TUPLE_NONE ? p->step.dims[d] : 1;
        if (s == 0) return mx_set_error(MX_EINVAL, "parameter 'step': axis %d has step 0", d);
        int64_t bg = d < p->begin.ndim ? p->begin.dims[d] : MX_TUPLE_NONE;
        int64_t en = d < p->end.ndim ? p->end.dims[d] : MX_TUPLE_NONE;
        if (bg == MX_TUPLE_NONE) bg = s > 0 ? 0 : len - 1;
        else if (bg < 0) bg += len;
        if (en == MX_TUPLE_NONE) en = s > 0 ? len : -1;
        else if (en < 0) en += len;
        /* clamp as numpy does */
        if (s > 0) {
            bg = bg < 0 ? 0 : bg > len ? len : bg;
            en = en < 0 ? 0 : en > len ? len : en;
            n[d] = en > bg ? 1 + (en - bg - 1) / s : 0;
        } else {
            bg = bg < -1 ? -1 : bg >= len ? len - 1 : bg;
            en = en < -1 ? -1 : en >= len ? len - 1 : en;
            n[d] = bg > en ? 1 + (bg - en - 1) / -s : 0;
        }
        if (n[d] == 0)
            return mx_set_error(MX_EINVAL, "parameters 'begin'/'end': axis %d of data %s is sliced to nothing", d,
                                mx_shape_str(x, b, sizeof b));
        first[d] = bg;
        step[d] = n[d] == 1 ? 1 : s; /* one element: a huge step must not reach the strides */
    }
    return MX_OK;
}

static mx_status slice_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                             int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    if (in[0].ndim == 0) return MX_OK;
    int64_t first[MX_MAX_NDIM], step[MX_MAX_NDIM], n[MX_MAX_NDIM];
    mx_status st = slice_plan(param, &in[0], first, step, n);
    if (st != MX_OK) return st;
    mx_shape y = in[0];
    for (int d = 0; d < y.ndim; d++) y.dims[d] = n[d];
    return mx_shape_assign(&out[0], &y, "output");
}

/* The slice as a gather: base offset in x and strides over y. */
static int64_t slice_geom(const slice_param *p, const mx_shape *x, const mx_shape *y, mx_bcast_geom *g)
{
    int64_t first[MX_MAX_NDIM], step[MX_MAX_NDIM], n[MX_MAX_NDIM], sx[MX_MAX_NDIM], sy[MX_MAX_NDIM];
    if (slice_plan(p, x, first, step, n) != MX_OK) return -1;
    strides_of(x, sx);
    int64_t base = 0;
    for (int d = 0; d < x->ndim; d++) {
        base += first[d] * sx[d];
        sy[d] = step[d] * sx[d];
    }
    gather_geom(y, sy, g);
    return base;
}

static void slice_fwd(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    mx_bcast_geom g;
    int64_t base = slice_geom(param, &in[0].shape, &out[0].shape, &g);
    if (base >= 0) r->k->bcast_binary(r->eng, MX_BIN_ADD, in[0].data + base, NULL, out[0].data, &g);
}

static void slice_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                      const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)out, (void)aux;
    mx_bcast_geom g;
    int64_t base = slice_geom(param, &in[0].shape, &dy[0].shape, &g);
    if (base >= 0) gather_grad(r, dy[0].data, din[0].data, mx_shape_size(&in[0].shape), base, &g, req[0]);
}

const mx_op_def mx_op_slice = {
    .name = "slice",
    .param_size = sizeof(slice_param),
    .params = slice_params,
    .list_arguments = mx_args_data,
    .infer_shape = slice_infer,
    .forward = slice_fwd,
    .backward = slice_bwd,
};

/* -- Pad: constant_value around each axis (pad_width: before, after pairs) -- */

typedef struct pad_param {
    int mode; /* 0 constant */
    mx_shape pad_width;
    float constant_value;
} pad_param;

static const char *const pad_modes[] = {"constant", NULL};
static const char *const pad_modes_other[] = {"edge", "reflect", NULL};

static const mx_param_spec pad_params[] = {
    {"mode", MX_P_ENUM, NULL, offsetof(pad_param, mode), pad_modes, 0, 0, pad_modes_other},
    {"pad_width", MX_P_SHAPE, NULL, offsetof(pad_param, pad_width), NULL, 0, 0, NULL},
    {"constant_value", MX_P_FLOAT, "0", offsetof(pad_param, constant_value), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

#define PAD_MAX ((int64_t)1 << 48)

static mx_status pad_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                           int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const pad_param *p = param;
    char b[128];
    if (in[0].ndim == 0) return MX_OK;
    if (p->pad_width.ndim != 2 * in[0].ndim)
        return mx_set_error(MX_EINVAL, "parameter 'pad_width': %s has %d entries, %d-D data needs %d",
                            mx_shape_str(&p->pad_width, b, sizeof b), p->pad_width.ndim, in[0].ndim, 2 * in[0].ndim);
    mx_shape y = in[0];
    for (int d = 0; d < y.ndim; d++) {
        if (p->pad_width.dims[2 * d] < 0 || p->pad_width.dims[2 * d + 1] < 0)
            return mx_set_error(MX_EINVAL, "parameter 'pad_width': %s has a negative width",
                                mx_shape_str(&p->pad_width, b, sizeof b));
        /* no sum below can overflow; the output's size is checked after */
        if (p->pad_width.dims[2 * d] > PAD_MAX || p->pad_width.dims[2 * d + 1] > PAD_MAX)
            return mx_set_error(MX_EINVAL, "parameter 'pad_width': %s has a width past 2^48",
                                mx_shape_str(&p->pad_width, b, sizeof b));
        y.dims[d] += p->pad_width.dims[2 * d] + p->pad_width.dims[2 * d + 1];
    }
    return mx_shape_assign(&out[0], &y, "output");
}

/* x inside y: the scatter of x (forward) or gather of dy (backward). */
static int64_t pad_geom(const pad_param *p, const mx_shape *x, const mx_shape *y, mx_bcast_geom *g)
{
    int64_t sy[MX_MAX_NDIM], base = 0;
    strides_of(y, sy);
    for (int d = 0; d < y->ndim; d++) base += p->pad_width.dims[2 * d] * sy[d];
    gather_geom(x, sy, g);
    return base;
}

static void pad_fwd(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    const pad_param *p = param;
    mx_bcast_geom g;
    int64_t base = pad_geom(p, &in[0].shape, &out[0].shape, &g);
    r->k->fill(r->eng, out[0].data, p->constant_value, mx_shape_size(&out[0].shape));
    r->k->scatter(r->eng, in[0].data, out[0].data + base, &g, MX_REQ_WRITE);
}

static void pad_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                    const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)out, (void)aux;
    if (req[0] == MX_REQ_NULL) return;
    mx_bcast_geom g;
    int64_t base = pad_geom(param, &in[0].shape, &dy[0].shape, &g);
    if (req[0] == MX_REQ_WRITE) {
        r->k->bcast_binary(r->eng, MX_BIN_ADD, dy[0].data + base, NULL, din[0].data, &g);
        return;
    }
    /* add: gathered into the workspace, then added */
    r->k->bcast_binary(r->eng, MX_BIN_ADD, dy[0].data + base, NULL, r->workspace, &g);
    r->k->scale_copy(r->eng, din[0].data, r->workspace, 1.0f, mx_shape_size(&in[0].shape), MX_REQ_ADD);
}

static size_t pad_workspace(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out)
{
    (void)k, (void)param, (void)out;
    return mx_shape_size(&in[0]) * sizeof(float);
}

const mx_op_def mx_op_pad = {
    .name = "Pad",
    .param_size = sizeof(pad_param),
    .params = pad_params,
    .list_arguments = mx_args_data,
    .infer_shape = pad_infer,
    .workspace = pad_workspace,
    .forward = pad_fwd,
    .backward = pad_bwd,
};

/* -- where: condition ? x : y (condition of x's shape, or one per row) -- */

static int where_args(const void *param, const char **names)
{
    (void)param;
    names[0] = "condition";
    names[1] = "x";
    names[2] = "y";
    return 3;
}

static mx_status where_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                             int naux)
{
    (void)param, (void)nin, (void)nout, (void)aux, (void)naux;
    mx_status st = mx_shape_assign(&in[2], &in[1], "argument 'y'");
    if (st == MX_OK) st = mx_shape_assign(&in[1], &in[2], "argument 'x'");
    if (st == MX_OK) st = mx_shape_assign(&out[0], &in[1], "output");
    if (st != MX_OK || in[1].ndim == 0 || in[0].ndim == 0) return st;
    char a[128], b[128];
    if (!mx_shape_equal(&in[0], &in[1]) && !(in[0].ndim == 1 && in[0].dims[0] == in[1].dims[0]))
        return mx_set_error(MX_EINVAL, "argument 'condition' %s must have x's shape %s or be one value a row",
                            mx_shape_str(&in[0], a, sizeof a), mx_shape_str(&in[1], b, sizeof b));
    return MX_OK;
}

static size_t where_inner(const mx_tensor *in)
{
    return mx_shape_equal(&in[0].shape, &in[1].shape) ? 1 : mx_shape_tail(&in[1].shape, 1);
}

static void where_fwd(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)param, (void)aux;
    r->k->where(r->eng, in[0].data, in[1].data, in[2].data, out[0].data, mx_shape_size(&out[0].shape),
                where_inner(in));
}

static void where_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                      const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)param, (void)out, (void)aux;
    r->k->where_backward(r->eng, in[0].data, dy[0].data, din[1].data, req[1], din[2].data, req[2],
                         mx_shape_size(&dy[0].shape), where_inner(in));
    /* the condition gets no gradient */
    if (req[0] == MX_REQ_WRITE) r->k->fill(r->eng, din[0].data, 0.0f, mx_shape_size(&in[0].shape));
}

const mx_op_def mx_op_where = {
    .name = "where",
    .list_arguments = where_args,
    .infer_shape = where_infer,
    .bwd_needs_in = 1u,
    .forward = where_fwd,
    .backward = where_bwd,
};

/* -- Crop (MXNet's legacy op, not the slice alias crop): a window of
 * (N, C, H, W) data, of size h_w or of crop_like's H and W, at offset
 * (y, x) or centred -- */

typedef struct crop_param {
    int num_args;
    mx_shape offset, h_w;
    int center_crop;
} crop_param;

static const mx_param_spec crop_params[] = {
    {"num_args", MX_P_INT, NULL, offsetof(crop_param, num_args), NULL, 1, 0, NULL},
    {"offset", MX_P_SHAPE, "(0,0)", offsetof(crop_param, offset), NULL, 0, 0, NULL},
    {"h_w", MX_P_SHAPE, "(0,0)", offsetof(crop_param, h_w), NULL, 0, 0, NULL},
    {"center_crop", MX_P_BOOL, "false", offsetof(crop_param, center_crop), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

/* MXNet names them arg0 (the data) and arg1 (crop_like). */
static int crop_args(const void *param, const char **names)
{
    names[0] = mx_op_arg_name(0);
    if (((const crop_param *)param)->num_args < 2) return 1;
    names[1] = mx_op_arg_name(1);
    return 2;
}

/* The window's top-left corner in data of shape x for output y. */
static void crop_corner(const crop_param *p, const mx_shape *x, const mx_shape *y, int64_t *oy, int64_t *ox)
{
    if (p->center_crop) {
        *oy = (x->dims[2] - y->dims[2]) / 2, *ox = (x->dims[3] - y->dims[3]) / 2;
    } else {
        *oy = p->offset.dims[0], *ox = p->offset.dims[1];
    }
}

static mx_status crop_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                            int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const crop_param *p = param;
    char a[128], b[128];
    if (p->num_args > 2)
        return mx_set_error(MX_EINVAL, "parameter 'num_args': %d; Crop takes 1 (arg0) or 2 (arg0, and arg1 to crop like)",
                            p->num_args);
    if (p->offset.ndim != 2 || p->h_w.ndim != 2 || p->offset.dims[0] < 0 || p->offset.dims[1] < 0 ||
        p->h_w.dims[0] < 0 || p->h_w.dims[1] < 0)
        return mx_set_error(MX_EINVAL, "parameters 'offset' %s and 'h_w' %s must be two sizes each",
                            mx_shape_str(&p->offset, a, sizeof a), mx_shape_str(&p->h_w, b, sizeof b));
    if (in[0].ndim == 0 || (p->num_args == 2 && in[1].ndim == 0)) return MX_OK;
    if (in[0].ndim != 4 || (p->num_args == 2 && in[1].ndim != 4))
        return mx_set_error(MX_EINVAL, "Crop needs (N,C,H,W) arg0%s, got %s", p->num_args == 2 ? " and arg1" : "",
                            mx_shape_str(&in[0], a, sizeof a));
    mx_shape y = in[0];
    y.dims[2] = p->num_args == 2 ? in[1].dims[2] : p->h_w.dims[0];
    y.dims[3] = p->num_args == 2 ? in[1].dims[3] : p->h_w.dims[1];
    int64_t oy, ox;
    crop_corner(p, &in[0], &y, &oy, &ox);
    if (y.dims[2] < 1 || y.dims[3] < 1 || y.dims[2] > in[0].dims[2] - oy || y.dims[3] > in[0].dims[3] - ox)
        return mx_set_error(MX_EINVAL, "a %lldx%lld window at (%lld, %lld) does not fit data %s",
                            (long long)y.dims[2], (long long)y.dims[3], (long long)oy, (long long)ox,
                            mx_shape_str(&in[0], a, sizeof a));
    return mx_shape_assign(&out[0], &y, "output");
}

/* The window as a gather over y: its offset in x and x's strides. */
static int64_t crop_geom(const crop_param *p, const mx_shape *x, const mx_shape *y, mx_bcast_geom *g)
{
    int64_t sx[MX_MAX_NDIM], oy, ox;
    strides_of(x, sx);
    crop_corner(p, x, y, &oy, &ox);
    gather_geom(y, sx, g);
    return oy * sx[2] + ox;
}

static void crop_fwd(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    mx_bcast_geom g;
    int64_t base = crop_geom(param, &in[0].shape, &out[0].shape, &g);
    r->k->bcast_binary(r->eng, MX_BIN_ADD, in[0].data + base, NULL, out[0].data, &g);
}

static void crop_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                     const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)out, (void)aux;
    const crop_param *p = param;
    if (p->num_args == 2 && req[1] == MX_REQ_WRITE) /* crop_like lends its shape only */
        r->k->fill(r->eng, din[1].data, 0.0f, mx_shape_size(&in[1].shape));
    mx_bcast_geom g;
    int64_t base = crop_geom(p, &in[0].shape, &dy[0].shape, &g);
    gather_grad(r, dy[0].data, din[0].data, mx_shape_size(&in[0].shape), base, &g, req[0]);
}

const mx_op_def mx_op_crop = {
    .name = "Crop",
    .param_size = sizeof(crop_param),
    .params = crop_params,
    .list_arguments = crop_args,
    .infer_shape = crop_infer,
    .forward = crop_fwd,
    .backward = crop_bwd,
};
