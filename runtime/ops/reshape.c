/* reshape.c — Reshape: the same elements under a new shape, given with
 * MXNet's codes (0 copy a dim, -1 infer one dim, -2 copy the rest, -3
 * merge two dims, -4 split one dim in two; reverse reads them right to
 * left), or the deprecated target_shape/keep_highest. Like Flatten it runs
 * in place, where forward and backward are free: the planner hands output
 * 0 the input's buffer, so the reshaped array is a view. */
#include <stdint.h>
#include <stdio.h>

#include "ops.h"
#include "shape_param.h"

typedef struct reshape_param {
    mx_shape shape;
    int reverse;
    mx_shape target_shape;
    int keep_highest;
} reshape_param;

static const mx_param_spec reshape_params[] = {
    {"shape", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(reshape_param, shape), NULL, 0, 0, NULL},
    {"reverse", MX_P_BOOL, "false", offsetof(reshape_param, reverse), NULL, 0, 0, NULL},
    {"target_shape", MX_P_SHAPE, MX_UNSET_SHAPE, offsetof(reshape_param, target_shape), NULL, 0, 0, NULL},
    {"keep_highest", MX_P_BOOL, "false", offsetof(reshape_param, keep_highest), NULL, 0, 0, NULL},
    MX_PARAMS_END,
};

/* a·b into *r, or 0 when it overflows or is not positive. */
static int mul_ok(int64_t a, int64_t b, int64_t *r)
{
    return !__builtin_mul_overflow(a, b, r) && *r > 0;
}

/* Reverses v[0..n) in place (for reverse=true). */
static void reverse_dims(int64_t *v, int n)
{
    for (int i = 0; i < n / 2; i++) {
        int64_t t = v[i];
        v[i] = v[n - 1 - i];
        v[n - 1 - i] = t;
    }
}

/* Context for error messages: the codes and the data shape. */
typedef struct rs_ctx {
    const mx_shape *codes, *data;
    char cs[160], ds[160];
} rs_ctx;

#define RS_FAIL(c, fmt, ...)                                                                    \
    mx_set_error(MX_EINVAL, "parameter 'shape': %s on data %s: " fmt, (c)->cs, (c)->ds, __VA_ARGS__)

/* Reads the -4 at code[*i] (position pos as the user wrote it): splits
 * input dim d0 into the two codes that follow, either of which may be -1. */
static mx_status split_dim(rs_ctx *c, const int64_t *code, int nc, int *i, int pos, int64_t d0,
                           int64_t *res, int *nr)
{
    if (*i + 2 >= nc) return RS_FAIL(c, "-4 at position %d needs the two dims of the split after it", pos);
    int64_t d1 = code[*i + 1], d2 = code[*i + 2], prod;
    *i += 2;
    if (d1 == -1 && d2 == -1) return RS_FAIL(c, "the dims after -4 at position %d cannot both be -1", pos);
    if ((d1 < 1 && d1 != -1) || (d2 < 1 && d2 != -1))
        return RS_FAIL(c, "the dims after -4 at position %d must be positive or -1", pos);
    if (d1 == -1 && d0 % d2 == 0) d1 = d0 / d2;
    if (d2 == -1 && d0 % d1 == 0) d2 = d0 / d1;
    if (d1 == -1 || d2 == -1 || !mul_ok(d1, d2, &prod) || prod != d0)
        return RS_FAIL(c, "-4 at position %d splits input dim %lld into %lld x %lld, which does not multiply out",
                       pos, (long long)d0, (long long)(d1 == -1 ? code[*i - 1] : d1),
                       (long long)(d2 == -1 ? code[*i] : d2));
    res[(*nr)++] = d1;
    res[(*nr)++] = d2;
    return MX_OK;
}

/* Applies MXNet's codes to data shape d (InferReshapeShape's rules: every
 * code but -2, -3 and -4 consumes one input dim; with reverse both lists
 * are read right to left). */
static mx_status apply_codes(const mx_shape *codes, const mx_shape *d, int reverse, mx_shape *out)
{
    rs_ctx ctx = {codes, d, {0}, {0}}, *c = &ctx;
    mx_shape_str(codes, c->cs, sizeof c->cs);
    mx_shape_str(d, c->ds, sizeof c->ds);
    int64_t code[MX_MAX_NDIM], src[MX_MAX_NDIM], res[MX_MAX_NDIM + 2];
    int nc = codes->ndim, ns = d->ndim, nr = 0, si = 0, infer = -1, infer_pos = -1;
    for (int i = 0; i < nc; i++) code[i] = codes->dims[i];
    for (int i = 0; i < ns; i++) src[i] = d->dims[i];
    if (reverse) { reverse_dims(code, nc); reverse_dims(src, ns); }
    for (int i = 0; i < nc; i++) {
        int64_t k = code[i];
        int pos = reverse ? nc - 1 - i : i;
        if (nr + (k == -2 ? ns - si : k == -4 ? 2 : 1) > MX_MAX_NDIM)
            return RS_FAIL(c, "the result would have more than %d dims", MX_MAX_NDIM);
        if (k == 0 || k == -3 || k == -4) {
            int need = k == -3 ? 2 : 1;
            if (si + need > ns)
                return RS_FAIL(c, "%lld at position %d needs %d more input dim%s, the data has no more",
                               (long long)k, pos, need, need > 1 ? "s" : "");
        }
        if (k == 0) {
            res[nr++] = src[si++];
        } else if (k == -1) {
            if (infer >= 0) return RS_FAIL(c, "more than one -1 (at positions %d and %d)", infer_pos, pos);
            infer = nr;
            infer_pos = pos;
            res[nr++] = 1;
            si++;
        } else if (k == -2) {
            while (si < ns) res[nr++] = src[si++];
        } else if (k == -3) {
            if (!mul_ok(src[si], src[si + 1], &res[nr]))
                return RS_FAIL(c, "-3 at position %d merges dims that overflow", pos);
            nr++;
            si += 2;
        } else if (k == -4) {
            mx_status st = split_dim(c, code, nc, &i, pos, src[si++], res, &nr);
            if (st != MX_OK) return st;
        } else if (k > 0) {
            res[nr++] = k;
            si++;
        } else {
            return RS_FAIL(c, "unknown code %lld at position %d (codes are 0, -1, -2, -3, -4)",
                           (long long)k, pos);
        }
    }
    if (nr == 0) return RS_FAIL(c, "%s", "the result has no dims");
    int64_t size = (int64_t)mx_shape_size(d), prod = 1;
    for (int i = 0; i < nr; i++)
        if (!mul_ok(prod, res[i], &prod)) return RS_FAIL(c, "%s", "the target size overflows");
    if (infer >= 0) {
        if (size % prod) return RS_FAIL(c, "-1 cannot be inferred: %lld elements are not a multiple of %lld",
                                        (long long)size, (long long)prod);
        res[infer] = size / prod;
        prod = size;
    }
    if (reverse) reverse_dims(res, nr);
    *out = mx_shape_from(nr, res);
    if (prod != size) {
        char o[160];
        return RS_FAIL(c, "the target %s has %lld elements, the data %lld", mx_shape_str(out, o, sizeof o),
                       (long long)prod, (long long)size);
    }
    return MX_OK;
}

/* The deprecated form: target_shape with one 0 inferred, keep_highest
 * copying the first dim from the data. */
static mx_status apply_target(const reshape_param *p, const mx_shape *d, mx_shape *out)
{
    char ts[160], ds[160];
    mx_shape t = p->target_shape;
    mx_shape_str(&t, ts, sizeof ts);
    mx_shape_str(d, ds, sizeof ds);
    int start = p->keep_highest ? 1 : 0, zero = -1;
    if (p->keep_highest) t.dims[0] = d->dims[0];
    int64_t size = (int64_t)mx_shape_size(d), prod = 1;
    for (int i = start; i < t.ndim; i++) {
        if (t.dims[i] == 0) {
            if (zero >= 0)
                return mx_set_error(MX_EINVAL, "parameter 'target_shape': %s: only one dim may be 0 (inferred)", ts);
            zero = i;
            continue;
        }
        if (t.dims[i] < 0)
            return mx_set_error(MX_EINVAL, "parameter 'target_shape': %s: dims must be >= 0", ts);
    }
    for (int i = 0; i < t.ndim; i++)
        if (i != zero && !mul_ok(prod, t.dims[i], &prod))
            return mx_set_error(MX_EINVAL, "parameter 'target_shape': %s: the size overflows", ts);
    if (zero >= 0) {
        if (size % prod)
            return mx_set_error(MX_EINVAL, "parameter 'target_shape': %s: data %s has %lld elements, not a multiple of %lld",
                                ts, ds, (long long)size, (long long)prod);
        t.dims[zero] = size / prod;
        prod = size;
    }
    if (prod != size)
        return mx_set_error(MX_EINVAL, "parameter 'target_shape': %s has %lld elements, data %s has %lld",
                            ts, (long long)prod, ds, (long long)size);
    *out = t;
    return MX_OK;
}

/* Output shape from the data by shape (or target_shape). */
static mx_status reshape_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                               mx_shape *aux, int naux)
{
    (void)nin; (void)nout; (void)aux; (void)naux;
    const reshape_param *p = param;
    if (!mx_shape_given(&p->shape) && !mx_shape_given(&p->target_shape))
        return mx_set_error(MX_EINVAL, "parameter 'shape' is required");
    if (in[0].ndim == 0) return MX_OK; /* the output alone does not fix the input's dims */
    mx_shape y;
    mx_status st = mx_shape_given(&p->shape) ? apply_codes(&p->shape, &in[0], p->reverse, &y)
                                             : apply_target(p, &in[0], &y);
    return st == MX_OK ? mx_shape_assign(&out[0], &y, "output") : st;
}

/* Copies only when the planner could not run it in place. */
static void reshape_forward(const mx_op_run *r, const void *param, const mx_tensor *in,
                            mx_tensor *out, mx_tensor *aux)
{
    (void)param; (void)aux;
    if (out[0].data != in[0].data)
        r->k->scale_copy(r->eng, out[0].data, in[0].data, 1.0f, mx_shape_size(&in[0].shape), MX_REQ_WRITE);
}

/* d(data) (req) = d(output); nothing to do when in place. */
static void reshape_backward(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                             const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                             const mx_req *req, mx_tensor *aux)
{
    (void)param; (void)out; (void)aux;
    if (req[0] == MX_REQ_NULL) return;
    if (req[0] == MX_REQ_WRITE && in_grad[0].data == out_grad[0].data) return; /* in place */
    r->k->scale_copy(r->eng, in_grad[0].data, out_grad[0].data, 1.0f, mx_shape_size(&in[0].shape), req[0]);
}

const mx_op_def mx_op_reshape = {
    .name = "Reshape",
    .param_size = sizeof(reshape_param),
    .params = reshape_params,
    .list_arguments = mx_args_data,
    .infer_shape = reshape_infer,
    .flags = MX_OP_INPLACE | MX_OP_BWD_INPLACE,
    .forward = reshape_forward,
    .backward = reshape_backward,
};
