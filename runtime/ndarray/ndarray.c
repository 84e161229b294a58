/* ndarray.c — NDArray handles, copies, slices, arithmetic and fills.
 * Arithmetic runs through the context's kernel table. On the CPU,
 * arithmetic, fills and array-to-array copies are pushed to the queue of
 * nd_queue.c and run later by dependency; everything that reads or
 * writes values another way (mx_nd_data, host copies, draws, printing,
 * freeing) runs the queue first. */
#include "mx/ndarray.h"

#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "kernels/kernels.h"
#include "nd_queue.h"

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

static mx_nd *nd_new(mx_shape s, int alloc_data, mx_ctx ctx)
{
    if (check_shape(&s) != MX_OK) return NULL;
    mx_nd *nd = calloc(1, sizeof *nd);
    if (!nd) { mx_set_error(MX_ENOMEM, "ndarray: out of memory"); return NULL; }
    nd->shape = s;
    nd->ctx = ctx;
    nd->flags = ND_OWNS_HANDLE;
    if (alloc_data) {
        size_t bytes = mx_shape_size(&s) * sizeof(float);
        void *p = mx_dev_alloc(ctx, bytes);
        if (!p) {
            free(nd);
            char c[16];
            mx_set_error(MX_ENOMEM, "ndarray: cannot allocate %zu bytes on %s", bytes, mx_ctx_str(ctx, c, sizeof c));
            return NULL;
        }
        nd->data = p;
        nd->flags |= ND_OWNS_DATA;
    }
    return nd;
}

mx_nd *mx_nd_empty(mx_shape s) { return nd_new(s, 1, mx_cpu()); }

mx_nd *mx_nd_empty_ctx(mx_ctx ctx, mx_shape s)
{
    if (ctx.dev_type != MX_CPU && mx_dev_check(ctx) != MX_OK) return NULL;
    return nd_new(s, 1, ctx);
}

mx_nd *mx_nd_empty_split(mx_arena *handles, mx_arena *data, mx_ctx ctx, mx_shape s)
{
    if (check_shape(&s) != MX_OK) return NULL;
    mx_nd *nd = mx_arena_alloc(handles, sizeof *nd);
    float *d = nd ? mx_arena_alloc(data, mx_shape_size(&s) * sizeof(float)) : NULL;
    if (!d) return NULL;
    memset(nd, 0, sizeof *nd);
    nd->shape = s;
    nd->data = d;
    nd->ctx = ctx;
    nd->flags = ND_IN_ARENA;
    return nd;
}

size_t mx_nd_handle_bytes(void) { return mx_arena_round(sizeof(mx_nd)); }

mx_nd *mx_nd_empty_in(mx_arena *a, mx_shape s) { return mx_nd_empty_split(a, a, mx_cpu(), s); }

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
    mx_nd *nd = nd_new(s, 0, mx_cpu());
    if (nd) nd->data = data;
    return nd;
}

mx_nd *mx_nd_wrap_ctx(mx_ctx ctx, mx_shape s, float *data)
{
    mx_nd *nd = nd_new(s, 0, ctx);
    if (nd) nd->data = data;
    return nd;
}

void mx_nd_free(mx_nd *nd)
{
    if (!nd || (nd->flags & ND_IN_ARENA)) return;
    mx_ndq_flush(); /* a queued operation may still write it */
    if (nd->flags & ND_OWNS_DATA) mx_dev_free(nd->ctx, nd->data);
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
    mx_ndq_flush();
    mx_status st = size_check(nd, n, "mx_nd_copy_from");
    if (st == MX_OK) st = mx_dev_copy(nd->data, nd->ctx, src, mx_cpu(), n * sizeof(float));
    return st;
}

mx_status mx_nd_copy_to(const mx_nd *nd, float *dst, size_t n)
{
    mx_ndq_flush();
    mx_status st = size_check(nd, n, "mx_nd_copy_to");
    if (st == MX_OK) st = mx_dev_copy(dst, mx_cpu(), nd->data, nd->ctx, n * sizeof(float));
    return st;
}

/* The byte range of nd's values, for the queue. */
static mx_ndq_range range(const mx_nd *nd)
{
    uintptr_t lo = (uintptr_t)nd->data;
    return (mx_ndq_range){lo, lo + mx_shape_size(&nd->shape) * sizeof(float)};
}

typedef struct copy_args {
    float *dst;
    const float *src;
    size_t n;
} copy_args;

static void copy_body(mx_engine *eng, const void *args)
{
    (void)eng;
    const copy_args *a = args;
    memmove(a->dst, a->src, a->n * sizeof(float));
}

mx_status mx_nd_copy(mx_nd *dst, const mx_nd *src)
{
    mx_status st = size_check(dst, mx_shape_size(&src->shape), "mx_nd_copy");
    if (st != MX_OK) return st;
    if (dst->ctx.dev_type == MX_CPU && src->ctx.dev_type == MX_CPU) {
        copy_args a = {dst->data, src->data, mx_nd_size(src)};
        mx_ndq_range in = range(src);
        mx_ndq_push(copy_body, &a, sizeof a, &in, 1, range(dst));
        return MX_OK;
    }
    mx_ndq_flush();
    return mx_dev_copy(dst->data, dst->ctx, src->data, src->ctx, mx_shape_size(&src->shape) * sizeof(float));
}

void mx_nd_wait_to_read(const mx_nd *nd)
{
    (void)nd; /* the queue runs whole: whatever is pending on nd is then done */
    mx_ndq_flush();
}

void mx_nd_wait_all(void) { mx_ndq_flush(); }

void mx_nd_set_async(int on) { mx_ndq_set_enabled(on); }

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
    mx_nd *v = nd_new(s, 0, nd->ctx);
    if (v) {
        v->data = nd->data + (size_t)begin * mx_shape_tail(&nd->shape, 1);
        v->ctx = nd->ctx;
    }
    return v;
}

mx_shape mx_nd_shape(const mx_nd *nd) { return nd->shape; }
size_t mx_nd_size(const mx_nd *nd) { return mx_shape_size(&nd->shape); }
int mx_nd_ndim(const mx_nd *nd) { return nd->shape.ndim; }
float *mx_nd_data(const mx_nd *nd)
{
    if (mx_ndq_pending()) mx_ndq_flush(); /* the caller may read or write the values */
    return nd->data;
}
mx_ctx mx_nd_context(const mx_nd *nd) { return nd->ctx; }

static const mx_binop binops[] = {MX_BIN_ADD, MX_BIN_SUB, MX_BIN_MUL, MX_BIN_DIV};
static const char *const op_names[] = {"+", "-", "*", "/"};

/* The kernel table of nd's context (its device is checked when nd is made). */
static const mx_kernels *kern(const mx_nd *nd)
{
    if (nd->ctx.dev_type == MX_CPU) return &mx_cpu_kernels;
    mx_dev_use(nd->ctx); /* kernels launch on the current device's stream */
    return mx_kernels_for(nd->ctx);
}

static mx_status same_shape(const mx_nd *a, const mx_nd *b, mx_nd_op op)
{
    if (a->ctx.dev_type != b->ctx.dev_type || (a->ctx.dev_type != MX_CPU && a->ctx.dev_id != b->ctx.dev_id)) {
        char ca[16], cb[16];
        return mx_set_error(MX_EINVAL, "ndarray %s: arrays on %s and %s (copy one first)", op_names[op],
                            mx_ctx_str(a->ctx, ca, sizeof ca), mx_ctx_str(b->ctx, cb, sizeof cb));
    }
    if (mx_shape_equal(&a->shape, &b->shape)) return MX_OK;
    char sa[128], sb[128];
    return mx_set_error(MX_EINVAL, "ndarray %s: shapes differ: %s vs %s", op_names[op],
                        mx_shape_str(&a->shape, sa, sizeof sa), mx_shape_str(&b->shape, sb, sizeof sb));
}

/* Arithmetic and fills: pushed on the CPU, launched at once on a GPU
 * (whose stream already runs them in order, asynchronously). */
typedef struct arith_args {
    const mx_kernels *k;
    mx_binop op;
    const float *a, *b; /* b NULL: scalar s */
    float s;
    float *y;
    size_t n;
} arith_args;

static void arith_body(mx_engine *eng, const void *args)
{
    const arith_args *a = args;
    if (a->b) a->k->binary(eng, a->op, a->a, a->b, a->y, a->n);
    else a->k->scalar(eng, a->op, a->a, a->s, a->y, a->n);
}

static void fill_body(mx_engine *eng, const void *args)
{
    const arith_args *a = args;
    a->k->fill(eng, a->y, a->s, a->n);
}

/* Runs or pushes body(args), which reads a (and b) and writes y. */
static void submit(mx_ndq_fn body, const arith_args *args, const mx_nd *a, const mx_nd *b, const mx_nd *y)
{
    if (y->ctx.dev_type != MX_CPU) {
        mx_ndq_flush();
        body(NULL, args);
        return;
    }
    mx_ndq_range in[2];
    int nin = 0;
    if (a) in[nin++] = range(a);
    if (b) in[nin++] = range(b);
    mx_ndq_push(body, args, sizeof *args, in, nin, range(y));
}

mx_nd *mx_nd_binary(mx_nd_op op, const mx_nd *a, const mx_nd *b)
{
    if (same_shape(a, b, op) != MX_OK) return NULL;
    mx_nd *y = nd_new(a->shape, 1, a->ctx);
    if (!y) return NULL;
    arith_args args = {kern(a), binops[op], a->data, b->data, 0.0f, y->data, mx_nd_size(a)};
    submit(arith_body, &args, a, b, y);
    return y;
}

mx_status mx_nd_binary_to(mx_nd_op op, mx_nd *dst, const mx_nd *b)
{
    mx_status st = same_shape(dst, b, op);
    if (st != MX_OK) return st;
    arith_args args = {kern(dst), binops[op], dst->data, b->data, 0.0f, dst->data, mx_nd_size(dst)};
    submit(arith_body, &args, dst, b, dst);
    return MX_OK;
}

mx_nd *mx_nd_scalar(mx_nd_op op, const mx_nd *a, float s)
{
    mx_nd *y = nd_new(a->shape, 1, a->ctx);
    if (!y) return NULL;
    arith_args args = {kern(a), binops[op], a->data, NULL, s, y->data, mx_nd_size(a)};
    submit(arith_body, &args, a, NULL, y);
    return y;
}

mx_status mx_nd_scalar_to(mx_nd_op op, mx_nd *dst, float s)
{
    arith_args args = {kern(dst), binops[op], dst->data, NULL, s, dst->data, mx_nd_size(dst)};
    submit(arith_body, &args, dst, NULL, dst);
    return MX_OK;
}

void mx_nd_fill(mx_nd *nd, float v)
{
    arith_args args = {kern(nd), MX_BIN_ADD, NULL, NULL, v, nd->data, mx_nd_size(nd)};
    submit(fill_body, &args, NULL, NULL, nd);
}

/* Host memory holding nd's values: its own for a CPU array, else a copy
 * (freed by host_done, which copies back when write is set). Draws and
 * printing happen on the host so a GPU array gets the same numbers. */
static float *host_view(const mx_nd *nd, int read)
{
    mx_ndq_flush();
    if (nd->ctx.dev_type == MX_CPU) return nd->data;
    float *h = malloc(mx_nd_size(nd) * sizeof(float) + 1);
    if (!h) { mx_set_error(MX_ENOMEM, "ndarray: out of memory for a host copy"); return NULL; }
    if (read && mx_dev_copy(h, mx_cpu(), nd->data, nd->ctx, mx_nd_size(nd) * sizeof(float)) != MX_OK) {
        free(h);
        return NULL;
    }
    return h;
}

static void host_done(mx_nd *nd, float *h, int write)
{
    if (!h || h == nd->data) return;
    if (write) mx_dev_copy(nd->data, nd->ctx, h, mx_cpu(), mx_nd_size(nd) * sizeof(float));
    free(h);
}

void mx_nd_rand_uniform(mx_nd *nd, float lo, float hi, mx_rng *rng)
{
    if (!rng) rng = mx_rng_global();
    size_t n = mx_nd_size(nd);
    float *d = host_view(nd, 0);
    if (!d) return;
    for (size_t i = 0; i < n; i++) {
        float v = lo + (hi - lo) * mx_rng_uniform(rng);
        /* Rounding can land on hi when |lo| >> hi - lo; keep [lo, hi). */
        d[i] = v < hi ? v : lo;
    }
    host_done(nd, d, 1);
}

void mx_nd_rand_normal(mx_nd *nd, float mean, float std, mx_rng *rng)
{
    if (!rng) rng = mx_rng_global();
    size_t n = mx_nd_size(nd);
    float *d = host_view(nd, 0);
    if (!d) return;
    for (size_t i = 0; i < n; i++) d[i] = mean + std * mx_rng_normal(rng);
    host_done(nd, d, 1);
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
    float *d = host_view(nd, 1);
    if (!d) { fprintf(out, "(cannot read: %s)\n", mx_last_error()); return; }
    for (size_t i = 0; i < shown; i++)
        fprintf(out, "%s%.6g%s", i % row ? " " : "[", d[i], (i + 1) % row ? "" : "]\n");
    host_done((mx_nd *)nd, d, 0);
    if (shown < n) fprintf(out, "%s... (%zu more)\n", shown % row ? " " : "", n - shown);
    else if (shown % row) fprintf(out, "]\n");
}
