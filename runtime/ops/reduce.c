/* reduce.c — MXNet's reductions sum (alias sum_axis), mean, max (max_axis),
 * min (min_axis) and prod over axis (an int, a tuple, or None: every
 * axis), with keepdims and exclude; and the reduction geometry the
 * broadcast ops' gradients use too. As MXNet, reducing every axis without
 * keepdims gives shape (1,). */
#include <stdio.h>
#include <string.h>

#include "ops.h"
#include "shape_param.h"

void mx_reduce_geom_build(const mx_shape *x, const int *reduced, mx_reduce_geom *g)
{
    memset(g, 0, sizeof *g);
    int64_t stride = 1;
    int last = -1; /* kind of the axis to the right: 0 kept, 1 reduced */
    /* right to left, merging a run of one kind into one axis */
    int64_t ksize[MX_MAX_NDIM], kstride[MX_MAX_NDIM], rsize[MX_MAX_NDIM], rstride[MX_MAX_NDIM];
    int nk = 0, nr = 0;
    for (int d = x->ndim - 1; d >= 0; d--) {
        int64_t n = x->dims[d];
        if (n == 1) continue; /* either kind: it changes no offset */
        int kind = reduced[d] ? 1 : 0;
        if (kind == last) {
            if (kind) rsize[nr - 1] *= n;
            else ksize[nk - 1] *= n;
        } else if (kind) {
            rsize[nr] = n;
            rstride[nr++] = stride;
        } else {
            ksize[nk] = n;
            kstride[nk++] = stride;
        }
        last = kind;
        stride *= n;
    }
    /* back into left-to-right order */
    for (int i = 0; i < nk; i++) {
        g->ksize[i] = ksize[nk - 1 - i];
        g->kstride[i] = kstride[nk - 1 - i];
    }
    for (int i = 0; i < nr; i++) {
        g->rsize[i] = rsize[nr - 1 - i];
        g->rstride[i] = rstride[nr - 1 - i];
    }
    g->nk = nk;
    g->nr = nr;
}

typedef struct reduce_param {
    mx_shape axis; /* unset: every axis */
    int keepdims, exclude;
} reduce_param;

static const mx_param_spec reduce_params[] = {
    {"axis", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(reduce_param, axis), NULL, 0, MX_PF_OPTIONAL, NULL},
    {"keepdims", MX_P_BOOL, "false", offsetof(reduce_param, keepdims), NULL, 0, 0, NULL},
    {"exclude", MX_P_BOOL, "false", offsetof(reduce_param, exclude), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

/* Which axes of x p reduces; the error names the axis. */
static mx_status reduced_axes(const reduce_param *p, const mx_shape *x, int *red)
{
    int nd = x->ndim;
    char b[128];
    if (!mx_shape_given(&p->axis) || p->axis.ndim == 0) { /* None or (): every axis */
        for (int d = 0; d < nd; d++) red[d] = 1;
        return MX_OK;
    }
    int listed[MX_MAX_NDIM] = {0};
    for (int k = 0; k < p->axis.ndim; k++) {
        int64_t a = p->axis.dims[k] < 0 ? p->axis.dims[k] + nd : p->axis.dims[k];
        if (a < 0 || a >= nd)
            return mx_set_error(MX_EINVAL, "parameter 'axis': %s is out of range for %d-D data",
                                mx_shape_str(&p->axis, b, sizeof b), nd);
        if (listed[a]) return mx_set_error(MX_EINVAL, "parameter 'axis': %s names axis %lld twice",
                                           mx_shape_str(&p->axis, b, sizeof b), (long long)a);
        listed[a] = 1;
    }
    for (int d = 0; d < nd; d++) red[d] = p->exclude ? !listed[d] : listed[d];
    return MX_OK;
}

static mx_status reduce_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                              int naux)
{
    (void)nin, (void)nout, (void)aux, (void)naux;
    const reduce_param *p = param;
    if (in[0].ndim == 0) return MX_OK;
    int red[MX_MAX_NDIM];
    mx_status st = reduced_axes(p, &in[0], red);
    if (st != MX_OK) return st;
    mx_shape y = {0, {0}};
    for (int d = 0; d < in[0].ndim; d++) {
        if (!red[d]) y.dims[y.ndim++] = in[0].dims[d];
        else if (p->keepdims) y.dims[y.ndim++] = 1;
    }
    if (y.ndim == 0) y = mx_shape_make(1, 1);
    return mx_shape_assign(&out[0], &y, "output");
}

/* mean is the sum scaled by 1/count (count = inputs per output). */
#define REDUCE_OP(fn, NAME, OP, MEAN)                                                                      \
    static void fn##_fwd(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,        \
                         mx_tensor *aux)                                                                   \
    {                                                                                                       \
        (void)aux;                                                                                          \
        int red[MX_MAX_NDIM];                                                                               \
        mx_reduce_geom g;                                                                                   \
        if (reduced_axes(param, &in[0].shape, red) != MX_OK) return;                                        \
        mx_reduce_geom_build(&in[0].shape, red, &g);                                                        \
        size_t n = mx_shape_size(&in[0].shape), m = mx_shape_size(&out[0].shape);                           \
        r->k->reduce(r->eng, OP, in[0].data, out[0].data, &g, MEAN && n ? (float)m / (float)n : 1.0f,       \
                     MX_REQ_WRITE);                                                                         \
    }                                                                                                       \
    static void fn##_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,     \
                         const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)          \
    {                                                                                                       \
        (void)aux;                                                                                          \
        int red[MX_MAX_NDIM];                                                                               \
        mx_reduce_geom g;                                                                                   \
        if (reduced_axes(param, &in[0].shape, red) != MX_OK) return;                                        \
        mx_reduce_geom_build(&in[0].shape, red, &g);                                                        \
        size_t n = mx_shape_size(&in[0].shape), m = mx_shape_size(&out[0].shape);                           \
        r->k->reduce_backward(r->eng, OP, in[0].data, out[0].data, dy[0].data, din[0].data, &g,             \
                              MEAN && n ? (float)m / (float)n : 1.0f, req[0]);                              \
    }                                                                                                       \
    const mx_op_def mx_op_##fn = {.name = NAME, .param_size = sizeof(reduce_param), .params = reduce_params, \
                                  .list_arguments = mx_args_data, .infer_shape = reduce_infer,              \
                                  .bwd_needs_in = 1u, .bwd_needs_out = 1u, .forward = fn##_fwd,             \
                                  .backward = fn##_bwd};

REDUCE_OP(sum, "sum", MX_RED_SUM, 0)
REDUCE_OP(mean, "mean", MX_RED_SUM, 1)
REDUCE_OP(max, "max", MX_RED_MAX, 0)
REDUCE_OP(min, "min", MX_RED_MIN, 0)
REDUCE_OP(prod, "prod", MX_RED_PROD, 0)
