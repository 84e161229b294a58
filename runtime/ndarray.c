/* ndarray.c — NDArray handles, copies, slices, arithmetic and fills.
 * Arithmetic runs through the context's kernel table. */
#include "mx/ndarray.h"

#include <stdlib.h>
#include <string.h>

#include "kernels.h"

enum { ND_OWNS_DATA = 1, ND_IN_ARENA = 2, ND_OWNS_HANDLE = 4 };

struct mx_nd {
    mx_shape shape;
    float *data;
    mx_ctx ctx;
    unsigned flags;
};

static mx_status check_shape(const mx_shape *s)
{
    if (s->ndim < 1 || s->ndim > MX_MAX_NDIM)
        return mx_set_error(MX_EINVAL, "ndarray: bad number of dimensions %d", s->ndim);
    for (int i = 0; i < s->ndim; i++) {
        if (s->dims[i] < 0 || s->dims[i] > ((int64_t)1 << 40)) {
            char buf[128];
            return mx_set_error(MX_EINVAL, "ndarray: bad shape %s", mx_shape_str(s, buf, sizeof buf));
        }
    }
    return MX_OK;
}

static mx_nd *nd_new(mx_shape s, int alloc_data)
{
    if (check_shape(&s) != MX_OK) return NULL;
    mx_nd *nd = calloc(1, sizeof *nd);
    if (!nd) { mx_set_error(MX_ENOMEM, "ndarray: out of memory"); return NULL; }
    nd->shape = s;
    nd->ctx = mx_cpu();
    nd->flags = ND_OWNS_HANDLE;
    if (alloc_data) {
        size_t bytes = mx_shape_size(&s) * sizeof(float);
        void *p = NULL;
        if (posix_memalign(&p, MX_ARENA_ALIGN, bytes ? bytes : MX_ARENA_ALIGN) != 0) {
            free(nd);
            mx_set_error(MX_ENOMEM, "ndarray: cannot allocate %zu bytes", bytes);
            return NULL;
        }
        nd->data = p;
        nd->flags |= ND_OWNS_DATA;
    }
    return nd;
}

mx_nd *mx_nd_empty(mx_shape s) { return nd_new(s, 1); }

mx_nd *mx_nd_empty_in(mx_arena *a, mx_shape s)
{
    if (check_shape(&s) != MX_OK) return NULL;
    mx_nd *nd = mx_arena_alloc(a, sizeof *nd);
    float *data = nd ? mx_arena_alloc(a, mx_shape_size(&s) * sizeof(float)) : NULL;
    if (!data) return NULL;
    memset(nd, 0, sizeof *nd);
    nd->shape = s;
    nd->data = data;
    nd->ctx = mx_cpu();
    nd->flags = ND_IN_ARENA;
    return nd;
}

size_t mx_nd_arena_bytes(mx_shape s)
{
    return mx_arena_round(sizeof(mx_nd)) + mx_arena_round(mx_shape_size(&s) * sizeof(float));
}

mx_nd *mx_nd_zeros(mx_shape s)
{
    mx_nd *nd = mx_nd_empty(s);
    if (nd) mx_nd_fill(nd, 0.0f);
    return nd;
}

mx_nd *mx_nd_ones(mx_shape s)
{
    mx_nd *nd = mx_nd_empty(s);
    if (nd) mx_nd_fill(nd, 1.0f);
    return nd;
}

mx_nd *mx_nd_from(mx_shape s, const float *src)
{
    mx_nd *nd = mx_nd_empty(s);
    if (nd) memcpy(nd->data, src, mx_shape_size(&s) * sizeof(float));
    return nd;
}

mx_nd *mx_nd_wrap(mx_shape s, float *data)
{
    mx_nd *nd = nd_new(s, 0);
    if (nd) nd->data = data;
    return nd;
}

void mx_nd_free(mx_nd *nd)
{
    if (!nd || (nd->flags & ND_IN_ARENA)) return;
    if (nd->flags & ND_OWNS_DATA) free(nd->data);
    if (nd->flags & ND_OWNS_HANDLE) free(nd);
}

static mx_status size_check(const mx_nd *nd, size_t n, const char *what)
{
    size_t have = mx_shape_size(&nd->shape);
    if (have != n) {
        char buf[128];
        return mx_set_error(MX_EINVAL, "%s: array %s holds %zu elements, got %zu", what,
                            mx_shape_str(&nd->shape, buf, sizeof buf), have, n);
    }
    return MX_OK;
}

mx_status mx_nd_copy_from(mx_nd *nd, const float *src, size_t n)
{
    mx_status st = size_check(nd, n, "mx_nd_copy_from");
    if (st == MX_OK) memmove(nd->data, src, n * sizeof(float));
    return st;
}

mx_status mx_nd_copy_to(const mx_nd *nd, float *dst, size_t n)
{
    mx_status st = size_check(nd, n, "mx_nd_copy_to");
    if (st == MX_OK) memmove(dst, nd->data, n * sizeof(float));
    return st;
}

mx_status mx_nd_copy(mx_nd *dst, const mx_nd *src)
{
    return mx_nd_copy_from(dst, src->data, mx_shape_size(&src->shape));
}

mx_nd *mx_nd_slice(mx_nd *nd, int64_t begin, int64_t end)
{
    if (begin < 0 || end > nd->shape.dims[0] || begin >= end) {
        char buf[128];
        mx_set_error(MX_EINVAL, "mx_nd_slice: range [%lld, %lld) outside the first axis of %s",
                     (long long)begin, (long long)end, mx_shape_str(&nd->shape, buf, sizeof buf));
        return NULL;
    }
    mx_shape s = nd->shape;
    s.dims[0] = end - begin;
    mx_nd *v = nd_new(s, 0);
    if (v) {
        v->data = nd->data + (size_t)begin * mx_shape_tail(&nd->shape, 1);
        v->ctx = nd->ctx;
    }
    return v;
}

mx_shape mx_nd_shape(const mx_nd *nd) { return nd->shape; }
size_t mx_nd_size(const mx_nd *nd) { return mx_shape_size(&nd->shape); }
int mx_nd_ndim(const mx_nd *nd) { return nd->shape.ndim; }
float *mx_nd_data(const mx_nd *nd) { return nd->data; }
mx_ctx mx_nd_context(const mx_nd *nd) { return nd->ctx; }

static const mx_binop binops[] = {MX_BIN_ADD, MX_BIN_SUB, MX_BIN_MUL, MX_BIN_DIV};
static const char *const op_names[] = {"+", "-", "*", "/"};

static mx_status same_shape(const mx_nd *a, const mx_nd *b, mx_nd_op op)
{
    if (mx_shape_equal(&a->shape, &b->shape)) return MX_OK;
    char sa[128], sb[128];
    return mx_set_error(MX_EINVAL, "ndarray %s: shapes differ: %s vs %s", op_names[op],
                        mx_shape_str(&a->shape, sa, sizeof sa), mx_shape_str(&b->shape, sb, sizeof sb));
}

mx_nd *mx_nd_binary(mx_nd_op op, const mx_nd *a, const mx_nd *b)
{
    if (same_shape(a, b, op) != MX_OK) return NULL;
    mx_nd *y = mx_nd_empty(a->shape);
    if (y) mx_cpu_kernels.binary(NULL, binops[op], a->data, b->data, y->data, mx_nd_size(a));
    return y;
}

mx_status mx_nd_binary_to(mx_nd_op op, mx_nd *dst, const mx_nd *b)
{
    mx_status st = same_shape(dst, b, op);
    if (st == MX_OK) mx_cpu_kernels.binary(NULL, binops[op], dst->data, b->data, dst->data, mx_nd_size(dst));
    return st;
}

mx_nd *mx_nd_scalar(mx_nd_op op, const mx_nd *a, float s)
{
    mx_nd *y = mx_nd_empty(a->shape);
    if (y) mx_cpu_kernels.scalar(NULL, binops[op], a->data, s, y->data, mx_nd_size(a));
    return y;
}

mx_status mx_nd_scalar_to(mx_nd_op op, mx_nd *dst, float s)
{
    mx_cpu_kernels.scalar(NULL, binops[op], dst->data, s, dst->data, mx_nd_size(dst));
    return MX_OK;
}

void mx_nd_fill(mx_nd *nd, float v) { mx_cpu_kernels.fill(NULL, nd->data, v, mx_nd_size(nd)); }

void mx_nd_rand_uniform(mx_nd *nd, float lo, float hi, mx_rng *rng)
{
    if (!rng) rng = mx_rng_global();
    size_t n = mx_nd_size(nd);
    for (size_t i = 0; i < n; i++) {
        float v = lo + (hi - lo) * mx_rng_uniform(rng);
        /* Rounding can land on hi when |lo| >> hi - lo; keep [lo, hi). */
        nd->data[i] = v < hi ? v : lo;
    }
}

void mx_nd_rand_normal(mx_nd *nd, float mean, float std, mx_rng *rng)
{
    if (!rng) rng = mx_rng_global();
    size_t n = mx_nd_size(nd);
    for (size_t i = 0; i < n; i++) nd->data[i] = mean + std * mx_rng_normal(rng);
}

void mx_nd_print(const mx_nd *nd, FILE *out, size_t max_items)
{
    char sbuf[128], cbuf[32];
    size_t n = mx_nd_size(nd);
    fprintf(out, "NDArray%s on %s\n", mx_shape_str(&nd->shape, sbuf, sizeof sbuf),
            mx_ctx_str(nd->ctx, cbuf, sizeof cbuf));
    if (n == 0) {
        fprintf(out, "[]\n");
        return;
    }
    size_t row = nd->shape.ndim > 1 ? (size_t)nd->shape.dims[nd->shape.ndim - 1] : n;
    size_t shown = n < max_items ? n : max_items;
    for (size_t i = 0; i < shown; i++)
        fprintf(out, "%s%.6g%s", i % row ? " " : "[", nd->data[i], (i + 1) % row ? "" : "]\n");
    if (shown < n) fprintf(out, "%s... (%zu more)\n", shown % row ? " " : "", n - shown);
    else if (shown % row) fprintf(out, "]\n");
}
