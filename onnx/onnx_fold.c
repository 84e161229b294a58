/* onnx_fold.c — constant folding at import time. Exporters (PyTorch's
 * with dynamic axes above all) compute shapes inside the graph: Shape ->
 * Gather -> Unsqueeze -> Concat -> Reshape, Expand to a Shape, Cast of
 * those. For the input shapes given every such value is a constant, so
 * these ops are evaluated here on int64/float32 tensors and never reach
 * the runtime graph. Shape needs only its input's inferred shape. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_import.h"

/* Folded constants are shape arithmetic: small. A fold whose result
 * would pass this many elements is refused rather than allocated (an
 * adversarial ConstantOfShape or broadcast). */
#define OX_FOLD_MAX_ELEMS ((size_t)1 << 24)

static mx_status falloc(ox_ctx *c, ox_tensor *t, ox_dtype dtype, mx_shape s)
{
    size_t n = 1;
    int over = 0;
    for (int d = 0; d < s.ndim; d++) {
        if (s.dims[d] < 0) return ox_fail(c, MX_EINVAL, "negative dimension %lld", (long long)s.dims[d]);
        if (n && (size_t)s.dims[d] > OX_FOLD_MAX_ELEMS / n) over = 1;
        else n *= (size_t)s.dims[d];
    }
    if (over && n)
        return ox_fail(c, MX_ENOTSUP, "folding this node's constant inputs gives over %zu values", OX_FOLD_MAX_ELEMS);
    return ox_tensor_alloc(t, dtype, s);
}

/* Every input present is a constant. */
static int all_const(ox_ctx *c)
{
    for (size_t i = 0; i < c->node->n_input; i++) {
        if (!*c->node->input[i]) continue;
        ox_value *v = ox_input(c, (int)i, 0);
        if (!v || !v->is_const) return 0;
    }
    return 1;
}

static ox_tensor *cin(ox_ctx *c, int i)
{
    ox_value *v = ox_input(c, i, 0);
    return v && v->is_const ? &v->c : NULL;
}

/* Row-major strides of s. */
static void strides(mx_shape s, size_t *st)
{
    size_t k = 1;
    for (int d = s.ndim - 1; d >= 0; d--) {
        st[d] = k;
        k *= (size_t)s.dims[d];
    }
}

static int fold_constant(ox_ctx *c)
{
    const Onnx__NodeProto *n = c->node;
    ox_tensor t;
    mx_status st;
    const Onnx__AttributeProto *a;
    if ((a = ox_attr(n, "value")) && a->t) {
        st = ox_tensor_read(a->t, c->path, &t);
    } else if ((a = ox_attr(n, "value_float")) && a->has_f) {
        st = falloc(c, &t, OX_F32, (mx_shape){0});
        if (st == MX_OK) t.f[0] = a->f;
    } else if ((a = ox_attr(n, "value_int")) && a->has_i) {
        st = falloc(c, &t, OX_I64, (mx_shape){0});
        if (st == MX_OK) t.i[0] = a->i;
    } else if ((a = ox_attr(n, "value_floats"))) {
        st = falloc(c, &t, OX_F32, (mx_shape){1, {(int64_t)a->n_floats}});
        for (size_t k = 0; st == MX_OK && k < a->n_floats; k++) t.f[k] = a->floats[k];
    } else if ((a = ox_attr(n, "value_ints"))) {
        st = falloc(c, &t, OX_I64, (mx_shape){1, {(int64_t)a->n_ints}});
        for (size_t k = 0; st == MX_OK && k < a->n_ints; k++) t.i[k] = a->ints[k];
    } else {
        return ox_fail(c, ox_attr(n, "sparse_value") ? MX_ENOTSUP : MX_EFORMAT,
                       "no value (value, value_float(s), value_int(s); sparse_value is not supported)"), -1;
    }
    if (st != MX_OK) return -1;
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

static int fold_shape(ox_ctx *c)
{
    ox_value *v = ox_input(c, 0, 1);
    if (!v) return -1;
    int nd = v->shape.ndim;
    int64_t start = ox_attr_int(c->node, "start", 0), end = ox_attr_int(c->node, "end", nd);
    if (start < 0) start += nd;
    if (end < 0) end += nd;
    start = start < 0 ? 0 : start > nd ? nd : start;
    end = end < start ? start : end > nd ? nd : end;
    ox_tensor t;
    if (falloc(c, &t, OX_I64, (mx_shape){1, {end - start}}) != MX_OK) return -1;
    for (int64_t d = start; d < end; d++) t.i[d - start] = v->shape.dims[d];
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

static int fold_size(ox_ctx *c)
{
    ox_value *v = ox_input(c, 0, 1);
    ox_tensor t;
    if (!v || falloc(c, &t, OX_I64, (mx_shape){0}) != MX_OK) return -1;
    t.i[0] = (int64_t)ox_shape_size(v->shape);
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

/* Axes from the attribute (before opset 13, or for the ops that keep it) or
 * from input idx; n the count, -1 on error, 0 with none. */
static int axes_of(ox_ctx *c, int input_idx, int64_t *axes, int cap)
{
    int n = ox_attr_ints(c->node, "axes", axes, cap);
    if (n >= 0) return n > cap ? ox_fail(c, MX_ENOTSUP, "too many axes"), -1 : n;
    if (input_idx < 0 || input_idx >= ox_ninputs(c)) return 0;
    const ox_tensor *t = ox_const_input(c, input_idx, "axes");
    if (!t) return -1;
    if ((int)t->n > cap) return ox_fail(c, MX_ENOTSUP, "too many axes"), -1;
    for (size_t k = 0; k < t->n; k++) axes[k] = ox_tensor_geti(t, k);
    return (int)t->n;
}

static int fold_unsqueeze(ox_ctx *c)
{
    ox_tensor *x = cin(c, 0), t;
    int64_t axes[MX_MAX_NDIM];
    int na = axes_of(c, 1, axes, MX_MAX_NDIM);
    if (na < 0) return -1;
    int nd = x->shape.ndim + na;
    if (nd > MX_MAX_NDIM) return ox_fail(c, MX_ENOTSUP, "result of rank %d (mxrt: at most %d)", nd, MX_MAX_NDIM), -1;
    int mark[MX_MAX_NDIM] = {0};
    for (int k = 0; k < na; k++) {
        int ax = ox_axis(c, axes[k], nd, "axis");
        if (ax < 0) return -1;
        mark[ax] = 1;
    }
    mx_shape s = {.ndim = nd};
    for (int d = 0, j = 0; d < nd; d++) s.dims[d] = mark[d] ? 1 : x->shape.dims[j++];
    if (ox_tensor_copy(&t, x) != MX_OK) return -1;
    t.shape = s;
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

static int fold_squeeze(ox_ctx *c)
{
    ox_tensor *x = cin(c, 0), t;
    int64_t axes[MX_MAX_NDIM];
    int na = axes_of(c, 1, axes, MX_MAX_NDIM);
    if (na < 0) return -1;
    int mark[MX_MAX_NDIM] = {0};
    for (int k = 0; k < na; k++) {
        int ax = ox_axis(c, axes[k], x->shape.ndim, "axis");
        if (ax < 0) return -1;
        if (x->shape.dims[ax] != 1)
            return ox_fail(c, MX_EINVAL, "axis %d has size %lld, not 1", ax, (long long)x->shape.dims[ax]), -1;
        mark[ax] = 1;
    }
    mx_shape s = {0};
    for (int d = 0; d < x->shape.ndim; d++)
        if (!(na ? mark[d] : x->shape.dims[d] == 1)) s.dims[s.ndim++] = x->shape.dims[d];
    if (ox_tensor_copy(&t, x) != MX_OK) return -1;
    t.shape = s;
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

static int fold_concat(ox_ctx *c)
{
    int ni = ox_ninputs(c);
    ox_tensor *x0 = cin(c, 0), t;
    if (!x0) return ox_fail(c, MX_EFORMAT, "no inputs"), -1;
    int ax = ox_axis(c, ox_attr_int(c->node, "axis", 0), x0->shape.ndim, "axis");
    if (ax < 0) return -1;
    mx_shape s = x0->shape;
    s.dims[ax] = 0;
    int fl = 0;
    for (int i = 0; i < ni; i++) {
        ox_tensor *x = cin(c, i);
        if (!x) continue;
        fl |= x->dtype == OX_F32;
        if (x->shape.ndim != s.ndim) return ox_fail(c, MX_EINVAL, "inputs of different ranks"), -1;
        for (int d = 0; d < s.ndim; d++)
            if (d != ax && x->shape.dims[d] != s.dims[d]) return ox_fail(c, MX_EINVAL, "input shapes differ off the axis"), -1;
        s.dims[ax] += x->shape.dims[ax];
    }
    if (falloc(c, &t, fl ? OX_F32 : OX_I64, s) != MX_OK) return -1;
    size_t outer = 1, inner = 1;
    for (int d = 0; d < ax; d++) outer *= (size_t)s.dims[d];
    for (int d = ax + 1; d < s.ndim; d++) inner *= (size_t)s.dims[d];
    size_t off = 0;
    for (int i = 0; i < ni; i++) {
        ox_tensor *x = cin(c, i);
        if (!x) continue;
        size_t len = (size_t)x->shape.dims[ax] * inner;
        for (size_t o = 0; o < outer; o++)
            for (size_t k = 0; k < len; k++) {
                size_t dst = o * (size_t)s.dims[ax] * inner + off + k;
                if (fl) t.f[dst] = (float)ox_tensor_get(x, o * len + k);
                else t.i[dst] = x->i[o * len + k];
            }
        off += len;
    }
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

static int fold_gather(ox_ctx *c)
{
    ox_tensor *x = cin(c, 0), *idx = cin(c, 1), t;
    if (!x->shape.ndim) return ox_fail(c, MX_EINVAL, "Gather of a scalar"), -1;
    int ax = ox_axis(c, ox_attr_int(c->node, "axis", 0), x->shape.ndim, "axis");
    if (ax < 0) return -1;
    mx_shape s = {0};
    if (x->shape.ndim - 1 + idx->shape.ndim > MX_MAX_NDIM) return ox_fail(c, MX_ENOTSUP, "result rank too high"), -1;
    for (int d = 0; d < ax; d++) s.dims[s.ndim++] = x->shape.dims[d];
    for (int d = 0; d < idx->shape.ndim; d++) s.dims[s.ndim++] = idx->shape.dims[d];
    for (int d = ax + 1; d < x->shape.ndim; d++) s.dims[s.ndim++] = x->shape.dims[d];
    if (falloc(c, &t, x->dtype, s) != MX_OK) return -1;
    size_t outer = 1, inner = 1, len = (size_t)x->shape.dims[ax];
    for (int d = 0; d < ax; d++) outer *= (size_t)x->shape.dims[d];
    for (int d = ax + 1; d < x->shape.ndim; d++) inner *= (size_t)x->shape.dims[d];
    for (size_t o = 0; o < outer; o++)
        for (size_t j = 0; j < idx->n; j++) {
            int64_t k = ox_tensor_geti(idx, j);
            if (k < 0) k += (int64_t)len;
            if (k < 0 || k >= (int64_t)len) {
                ox_tensor_free(&t);
                return ox_fail(c, MX_EINVAL, "index %lld out of range [0, %zu)", (long long)ox_tensor_geti(idx, j), len), -1;
            }
            for (size_t r = 0; r < inner; r++) {
                size_t src = (o * len + (size_t)k) * inner + r, dst = (o * idx->n + j) * inner + r;
                if (t.dtype == OX_F32) t.f[dst] = x->f[src];
                else t.i[dst] = x->i[src];
            }
        }
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

static int fold_cast(ox_ctx *c)
{
    ox_tensor *x = cin(c, 0), t;
    int64_t to = ox_attr_int(c->node, "to", 1);
    int fl = to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || to == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ||
             to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 || to == ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
    if (falloc(c, &t, fl ? OX_F32 : OX_I64, x->shape) != MX_OK) return -1;
    for (size_t k = 0; k < x->n; k++) {
        double v = ox_tensor_get(x, k);
        if (fl) t.f[k] = (float)v;
        else t.i[k] = to == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL ? v != 0 : ox_to_i64(v);
    }
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

mx_status ox_reshape_target(ox_ctx *c, mx_shape in, const ox_tensor *shape, int allowzero, mx_shape *out)
{
    if (shape->shape.ndim != 1 || shape->n > MX_MAX_NDIM)
        return ox_fail(c, MX_EINVAL, "shape must be a 1-D tensor of at most %d values", MX_MAX_NDIM);
    out->ndim = (int)shape->n;
    int infer = -1;
    size_t known = 1, total = ox_shape_size(in);
    for (int d = 0; d < out->ndim; d++) {
        int64_t v = ox_tensor_geti(shape, (size_t)d);
        if (v == 0 && !allowzero) {
            if (d >= in.ndim) return ox_fail(c, MX_EINVAL, "shape entry %d is 0 but the input has rank %d", d, in.ndim);
            v = in.dims[d];
        }
        if (v == -1) {
            if (infer >= 0) return ox_fail(c, MX_EINVAL, "shape has two -1 entries");
            infer = d;
            continue;
        }
        if (v < 0 || v > ((int64_t)1 << 40)) return ox_fail(c, MX_EINVAL, "shape entry %d is %lld", d, (long long)v);
        out->dims[d] = v;
        known *= (size_t)v;
    }
    if (infer >= 0) {
        if (!known || total % known) return ox_fail(c, MX_EINVAL, "cannot infer -1: %zu elements over %zu", total, known);
        out->dims[infer] = (int64_t)(total / known);
        known = total;
    }
    if (known != total) {
        char a[128], b[128];
        return ox_fail(c, MX_EINVAL, "cannot reshape %s into %s", ox_shape_str(in, a, sizeof a), ox_shape_str(*out, b, sizeof b));
    }
    return MX_OK;
}

static int fold_reshape(ox_ctx *c)
{
    ox_tensor *x = cin(c, 0), *sh = cin(c, 1), t;
    mx_shape s;
    if (ox_reshape_target(c, x->shape, sh, (int)ox_attr_int(c->node, "allowzero", 0), &s) != MX_OK) return -1;
    if (ox_tensor_copy(&t, x) != MX_OK) return -1;
    t.shape = s;
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

static int fold_transpose(ox_ctx *c)
{
    ox_tensor *x = cin(c, 0), t;
    int nd = x->shape.ndim;
    int64_t perm[MX_MAX_NDIM];
    int np = ox_attr_ints(c->node, "perm", perm, MX_MAX_NDIM);
    if (np < 0)
        for (int d = 0; d < nd; d++) perm[d] = nd - 1 - d;
    else if (np != nd) return ox_fail(c, MX_EINVAL, "perm has %d entries for rank %d", np, nd), -1;
    mx_shape s = {.ndim = nd};
    for (int d = 0; d < nd; d++) {
        if (perm[d] < 0 || perm[d] >= nd) return ox_fail(c, MX_EINVAL, "perm entry %lld out of range", (long long)perm[d]), -1;
        s.dims[d] = x->shape.dims[perm[d]];
    }
    if (falloc(c, &t, x->dtype, s) != MX_OK) return -1;
    size_t ist[MX_MAX_NDIM], idx[MX_MAX_NDIM] = {0};
    strides(x->shape, ist);
    for (size_t k = 0; k < t.n; k++) {
        size_t src = 0;
        for (int d = 0; d < nd; d++) src += idx[d] * ist[perm[d]];
        if (t.dtype == OX_F32) t.f[k] = x->f[src];
        else t.i[k] = x->i[src];
        for (int d = nd - 1; d >= 0; d--) {
            if (++idx[d] < (size_t)s.dims[d]) break;
            idx[d] = 0;
        }
    }
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

int ox_broadcast_shape(mx_shape a, mx_shape b, mx_shape *out)
{
    int nd = a.ndim > b.ndim ? a.ndim : b.ndim;
    out->ndim = nd;
    for (int d = 0; d < nd; d++) {
        int da = d - (nd - a.ndim), db = d - (nd - b.ndim);
        int64_t x = da >= 0 ? a.dims[da] : 1, y = db >= 0 ? b.dims[db] : 1;
        if (x != y && x != 1 && y != 1) return 0;
        out->dims[d] = x == 1 ? y : x;
    }
    return 1;
}

/* Offset into a tensor of shape s (right-aligned in rank nd) for the
 * output index idx, broadcasting its size-1 axes. */
static size_t bcast_offset(mx_shape s, int nd, const size_t *idx)
{
    size_t off = 0, k = 1;
    for (int d = s.ndim - 1; d >= 0; d--) {
        size_t i = s.dims[d] == 1 ? 0 : idx[d + nd - s.ndim];
        off += i * k;
        k *= (size_t)s.dims[d];
    }
    return off;
}

static int fold_binary(ox_ctx *c, char op)
{
    ox_tensor *a = cin(c, 0), *b = cin(c, 1), t;
    mx_shape s;
    char sa[128], sb[128];
    if (!ox_broadcast_shape(a->shape, b->shape, &s))
        return ox_fail(c, MX_EINVAL, "shapes %s and %s do not broadcast", ox_shape_str(a->shape, sa, sizeof sa),
                       ox_shape_str(b->shape, sb, sizeof sb)), -1;
    int fl = a->dtype == OX_F32 || b->dtype == OX_F32;
    if (falloc(c, &t, fl ? OX_F32 : OX_I64, s) != MX_OK) return -1;
    size_t idx[MX_MAX_NDIM] = {0};
    for (size_t k = 0; k < t.n; k++) {
        size_t ia = bcast_offset(a->shape, s.ndim, idx), ib = bcast_offset(b->shape, s.ndim, idx);
        if (fl) {
            double x = ox_tensor_get(a, ia), y = ox_tensor_get(b, ib);
            t.f[k] = (float)(op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : op == '/' ? x / y
                             : op == '=' ? (double)(x == y) : 0);
        } else {
            int64_t x = a->i[ia], y = b->i[ib], r = 0;
            int over = 0;
            if (op == '/' && (y == 0 || (x == INT64_MIN && y == -1))) over = 1;
            else if (op == '+') over = __builtin_add_overflow(x, y, &r);
            else if (op == '-') over = __builtin_sub_overflow(x, y, &r);
            else if (op == '*') over = __builtin_mul_overflow(x, y, &r);
            else r = op == '/' ? x / y : x == y;
            if (over) {
                ox_tensor_free(&t);
                return ox_fail(c, MX_EINVAL, "integer %s overflows (%lld %c %lld)", op == '/' ? "division" : "arithmetic",
                               (long long)x, op, (long long)y), -1;
            }
            t.i[k] = r;
        }
        for (int d = s.ndim - 1; d >= 0; d--) {
            if (++idx[d] < (size_t)s.dims[d]) break;
            idx[d] = 0;
        }
    }
    if (op == '=' && fl) { /* Equal gives bool: int64 here */
        ox_tensor r;
        if (falloc(c, &r, OX_I64, s) != MX_OK) return ox_tensor_free(&t), -1;
        for (size_t k = 0; k < t.n; k++) r.i[k] = t.f[k] != 0;
        ox_tensor_free(&t);
        t = r;
    }
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

static int fold_where(ox_ctx *c)
{
    ox_tensor *cond = cin(c, 0), *x = cin(c, 1), *y = cin(c, 2), t;
    mx_shape s1, s;
    if (!ox_broadcast_shape(cond->shape, x->shape, &s1) || !ox_broadcast_shape(s1, y->shape, &s))
        return ox_fail(c, MX_EINVAL, "shapes do not broadcast"), -1;
    int fl = x->dtype == OX_F32 || y->dtype == OX_F32;
    if (falloc(c, &t, fl ? OX_F32 : OX_I64, s) != MX_OK) return -1;
    size_t idx[MX_MAX_NDIM] = {0};
    for (size_t k = 0; k < t.n; k++) {
        int pick = ox_tensor_get(cond, bcast_offset(cond->shape, s.ndim, idx)) != 0;
        ox_tensor *src = pick ? x : y;
        size_t o = bcast_offset(src->shape, s.ndim, idx);
        if (fl) t.f[k] = (float)ox_tensor_get(src, o);
        else t.i[k] = src->i[o];
        for (int d = s.ndim - 1; d >= 0; d--) {
            if (++idx[d] < (size_t)s.dims[d]) break;
            idx[d] = 0;
        }
    }
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

/* Expand of a constant: numpy broadcasting of x to the given shape. */
static int fold_expand(ox_ctx *c)
{
    ox_tensor *x = cin(c, 0), *sh = cin(c, 1), t;
    if (sh->shape.ndim != 1 || sh->n > MX_MAX_NDIM) return ox_fail(c, MX_EINVAL, "shape must be 1-D, at most %d values", MX_MAX_NDIM), -1;
    mx_shape want = {.ndim = (int)sh->n}, s;
    for (int d = 0; d < want.ndim; d++) want.dims[d] = ox_tensor_geti(sh, (size_t)d);
    if (!ox_broadcast_shape(x->shape, want, &s)) return ox_fail(c, MX_EINVAL, "shapes do not broadcast"), -1;
    if (falloc(c, &t, x->dtype, s) != MX_OK) return -1;
    size_t idx[MX_MAX_NDIM] = {0};
    for (size_t k = 0; k < t.n; k++) {
        size_t o = bcast_offset(x->shape, s.ndim, idx);
        if (t.dtype == OX_F32) t.f[k] = x->f[o];
        else t.i[k] = x->i[o];
        for (int d = s.ndim - 1; d >= 0; d--) {
            if (++idx[d] < (size_t)s.dims[d]) break;
            idx[d] = 0;
        }
    }
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

static int fold_constant_of_shape(ox_ctx *c)
{
    ox_tensor *sh = cin(c, 0), t, val = {0};
    if (sh->shape.ndim != 1 || sh->n > MX_MAX_NDIM) return ox_fail(c, MX_EINVAL, "shape must be 1-D, at most %d values", MX_MAX_NDIM), -1;
    mx_shape s = {.ndim = (int)sh->n};
    for (int d = 0; d < s.ndim; d++) {
        s.dims[d] = ox_tensor_geti(sh, (size_t)d);
        if (s.dims[d] < 0 || s.dims[d] > (1 << 30)) return ox_fail(c, MX_EINVAL, "bad dimension %lld", (long long)s.dims[d]), -1;
    }
    const Onnx__AttributeProto *a = ox_attr(c->node, "value");
    if (a && a->t && ox_tensor_read(a->t, c->path, &val) != MX_OK) return -1;
    if (falloc(c, &t, a && a->t ? val.dtype : OX_F32, s) != MX_OK) return ox_tensor_free(&val), -1;
    for (size_t k = 0; val.n && k < t.n; k++) {
        if (t.dtype == OX_F32) t.f[k] = val.f[0];
        else t.i[k] = val.i[0];
    }
    ox_tensor_free(&val);
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

static int fold_range(ox_ctx *c)
{
    ox_tensor *a = cin(c, 0), *b = cin(c, 1), *d = cin(c, 2), t;
    if (a->n != 1 || b->n != 1 || d->n != 1) return ox_fail(c, MX_EINVAL, "start, limit and delta must be scalars"), -1;
    double start = ox_tensor_get(a, 0), limit = ox_tensor_get(b, 0), delta = ox_tensor_get(d, 0);
    if (!isfinite(start) || !isfinite(limit) || !isfinite(delta) || delta == 0)
        return ox_fail(c, MX_EINVAL, "start, limit and delta must be finite, delta not 0"), -1;
    double cnt = ceil((limit - start) / delta);
    if (cnt < 0) cnt = 0;
    if (cnt > (1 << 24)) return ox_fail(c, MX_EINVAL, "range of %.0f values", cnt), -1;
    int fl = a->dtype == OX_F32;
    if (falloc(c, &t, fl ? OX_F32 : OX_I64, (mx_shape){1, {(int64_t)cnt}}) != MX_OK) return -1;
    if (!fl && (fabs(start) > 1e15 || fabs(delta) > 1e15 || fabs(limit) > 1e15))
        return ox_tensor_free(&t), ox_fail(c, MX_EINVAL, "range bounds beyond 1e15"), -1;
    for (size_t k = 0; k < t.n; k++) {
        if (fl) t.f[k] = (float)(start + (double)k * delta);
        else t.i[k] = (int64_t)start + (int64_t)k * (int64_t)delta;
    }
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

/* Slice's starts/ends/axes/steps (attributes before opset 10, inputs since). */
static int fold_slice(ox_ctx *c)
{
    ox_tensor *x = cin(c, 0), t;
    int64_t starts[MX_MAX_NDIM], ends[MX_MAX_NDIM], axes[MX_MAX_NDIM], steps[MX_MAX_NDIM];
    int ns, ne, na, nst;
    if (c->opset < 10) {
        ns = ox_attr_ints(c->node, "starts", starts, MX_MAX_NDIM);
        ne = ox_attr_ints(c->node, "ends", ends, MX_MAX_NDIM);
        na = ox_attr_ints(c->node, "axes", axes, MX_MAX_NDIM);
        nst = -1;
    } else {
        ox_tensor *in[4] = {cin(c, 1), cin(c, 2), cin(c, 3), cin(c, 4)};
        int64_t *dst[4] = {starts, ends, axes, steps};
        int *cnt[4] = {&ns, &ne, &na, &nst};
        for (int k = 0; k < 4; k++) {
            *cnt[k] = in[k] ? (int)in[k]->n : -1;
            for (size_t j = 0; in[k] && j < in[k]->n && j < MX_MAX_NDIM; j++) dst[k][j] = ox_tensor_geti(in[k], j);
        }
    }
    if (ns < 0 || ne != ns || ns > x->shape.ndim || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
        return ox_fail(c, MX_EINVAL, "starts, ends, axes and steps disagree"), -1;
    int64_t b[MX_MAX_NDIM], st[MX_MAX_NDIM];
    mx_shape s = x->shape;
    for (int d = 0; d < s.ndim; d++) b[d] = 0, st[d] = 1;
    for (int k = 0; k < ns; k++) {
        int ax = ox_axis(c, na >= 0 ? axes[k] : k, x->shape.ndim, "axis");
        if (ax < 0) return -1;
        int64_t dim = x->shape.dims[ax], step = nst >= 0 ? steps[k] : 1, lo = starts[k], hi = ends[k];
        if (!step || step > ((int64_t)1 << 40) || step < -((int64_t)1 << 40))
            return ox_fail(c, MX_EINVAL, "step %lld", (long long)step), -1;
        if (lo < -dim) lo = -dim; /* clamp first: +dim must not overflow */
        if (hi < -dim - 1) hi = -dim - 1;
        if (lo < 0) lo += dim;
        if (hi < 0) hi += dim;
        if (step > 0) {
            lo = lo < 0 ? 0 : lo > dim ? dim : lo;
            hi = hi < 0 ? 0 : hi > dim ? dim : hi;
            s.dims[ax] = hi > lo ? (hi - lo + step - 1) / step : 0;
        } else {
            lo = lo < 0 ? -1 : lo > dim - 1 ? dim - 1 : lo;
            hi = hi < -1 ? -1 : hi > dim - 1 ? dim - 1 : hi;
            s.dims[ax] = lo > hi ? (lo - hi - step - 1) / -step : 0;
        }
        b[ax] = lo, st[ax] = step;
    }
    if (falloc(c, &t, x->dtype, s) != MX_OK) return -1;
    size_t ist[MX_MAX_NDIM], idx[MX_MAX_NDIM] = {0};
    strides(x->shape, ist);
    for (size_t k = 0; k < t.n; k++) {
        size_t src = 0;
        for (int d = 0; d < s.ndim; d++) src += (size_t)(b[d] + (int64_t)idx[d] * st[d]) * ist[d];
        if (t.dtype == OX_F32) t.f[k] = x->f[src];
        else t.i[k] = x->i[src];
        for (int d = s.ndim - 1; d >= 0; d--) {
            if (++idx[d] < (size_t)s.dims[d]) break;
            idx[d] = 0;
        }
    }
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

static int fold_unary(ox_ctx *c, char op)
{
    ox_tensor *x = cin(c, 0), t;
    if (ox_tensor_copy(&t, x) != MX_OK) return -1;
    for (size_t k = 0; k < t.n; k++) {
        if (t.dtype == OX_F32) t.f[k] = op == '-' ? -t.f[k] : op == 's' ? sqrtf(t.f[k]) : t.f[k];
        else t.i[k] = op == '-' ? (int64_t)(0 - (uint64_t)t.i[k]) : t.i[k];
    }
    return ox_set_const(c, 0, &t) == MX_OK ? 1 : -1;
}

int ox_try_fold(ox_ctx *c)
{
    const char *op = c->node->op_type;
    if (!strcmp(op, "Constant")) return fold_constant(c);
    if (!strcmp(op, "Shape")) return fold_shape(c);
    if (!strcmp(op, "Size")) return fold_size(c);
    if (!all_const(c)) return 0;
    if (!ox_ninputs(c)) return 0;
    /* inputs each fold reads unconditionally: missing ones are an error here, not a NULL there */
    static const struct { const char *name; int need; } needs[] = {
        {"Gather", 2}, {"Reshape", 2}, {"Expand", 2}, {"Range", 3}, {"Where", 3}, {"Add", 2}, {"Sub", 2}, {"Mul", 2}, {"Div", 2},
        {"Equal", 2}};
    for (size_t k = 0; k < sizeof needs / sizeof needs[0]; k++)
        if (!strcmp(op, needs[k].name))
            for (int i = 0; i < needs[k].need; i++)
                if (!cin(c, i)) return ox_fail(c, MX_EFORMAT, "input %d missing", i), -1;
    if (!cin(c, 0)) return ox_fail(c, MX_EFORMAT, "input 0 missing"), -1;
    if (!strcmp(op, "Identity")) {
        ox_value *v = ox_input(c, 0, 1);
        return v && ox_set_alias(c, 0, v) == MX_OK ? 1 : -1;
    }
    if (!strcmp(op, "Unsqueeze")) return fold_unsqueeze(c);
    if (!strcmp(op, "Squeeze")) return fold_squeeze(c);
    if (!strcmp(op, "Concat")) return fold_concat(c);
    if (!strcmp(op, "Gather")) return fold_gather(c);
    if (!strcmp(op, "Cast")) return fold_cast(c);
    if (!strcmp(op, "Reshape")) return fold_reshape(c);
    if (!strcmp(op, "Transpose")) return fold_transpose(c);
    if (!strcmp(op, "Slice")) return fold_slice(c);
    if (!strcmp(op, "ConstantOfShape")) return fold_constant_of_shape(c);
    if (!strcmp(op, "Expand")) return fold_expand(c);
    if (!strcmp(op, "Range")) return fold_range(c);
    if (!strcmp(op, "Where")) return fold_where(c);
    if (!strcmp(op, "Neg")) return fold_unary(c, '-');
    if (!strcmp(op, "Sqrt")) return fold_unary(c, 's');
    static const struct { const char *name; char op; } bin[] = {
        {"Add", '+'}, {"Sub", '-'}, {"Mul", '*'}, {"Div", '/'}, {"Equal", '='}};
    for (size_t k = 0; k < sizeof bin / sizeof bin[0]; k++)
        if (!strcmp(op, bin[k].name) && ox_ninputs(c) == 2) return fold_binary(c, bin[k].op);
    return 0;
}
