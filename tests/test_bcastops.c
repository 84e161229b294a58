/* test_bcastops.c — the bcastops suite: MXNet's reductions (sum, mean, max,
 * min, prod over axes, keepdims, exclude), broadcast arithmetic
 * (broadcast_add/sub/mul/div/maximum/minimum, broadcast_to,
 * broadcast_axis) and softmax / log_softmax over an axis (issue #16):
 * forward values against naive loops written here in double precision,
 * numerical gradient checks, MXNet's shape rules and their errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "suites.h"
#include "test_util.h"

/* Binds sym over inputs (names, shapes), fills each with U(-1, 1) (or
 * (0.5, 1.5) when positive), runs forward; caller frees. */
static mx_exec *bind_run(mx_sym *sym, int n, const char *const *names, const mx_shape *shapes, int positive)
{
    mx_grad_req reqs[4] = {MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE};
    mx_exec *e = mx_simple_bind(sym, mx_cpu(), n, names, shapes, reqs);
    if (!e) fprintf(stderr, "\n  bind: %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    for (int i = 0; i < n; i++) {
        mx_nd *a = mx_exec_arg(e, mx_exec_arg_index(e, names[i]));
        mx_test_fill(a, positive ? 0.5f : -1.0f, positive ? 1.5f : 1.0f, 11u + (unsigned)i);
    }
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    return e;
}

static const float *arg_of(mx_exec *e, const char *name) { return mx_nd_data(mx_exec_arg(e, mx_exec_arg_index(e, name))); }

/* Row-major coordinates of flat index i in s. */
static void coords(const mx_shape *s, size_t i, int64_t *c)
{
    for (int d = s->ndim - 1; d >= 0; d--) {
        c[d] = (int64_t)(i % (size_t)s->dims[d]);
        i /= (size_t)s->dims[d];
    }
}

/* ---- reductions ---- */

/* The naive reduction of x (shape s) over red[], kept axes in order. */
static void naive_reduce(const char *op, const float *x, const mx_shape *s, const int *red, double *y, size_t ny)
{
    int is_max = !strcmp(op, "max"), is_min = !strcmp(op, "min"), is_prod = !strcmp(op, "prod");
    size_t *cnt = calloc(ny, sizeof *cnt);
    for (size_t j = 0; j < ny; j++) y[j] = is_prod ? 1.0 : is_max ? -INFINITY : is_min ? INFINITY : 0.0;
    for (size_t i = 0; i < mx_shape_size(s); i++) {
        int64_t c[MX_MAX_NDIM];
        coords(s, i, c);
        size_t j = 0;
        for (int d = 0; d < s->ndim; d++)
            if (!red[d]) j = j * (size_t)s->dims[d] + (size_t)c[d];
        double v = x[i];
        if (is_max) y[j] = v > y[j] ? v : y[j];
        else if (is_min) y[j] = v < y[j] ? v : y[j];
        else if (is_prod) y[j] *= v;
        else y[j] += v;
        cnt[j]++;
    }
    if (!strcmp(op, "mean"))
        for (size_t j = 0; j < ny; j++) y[j] /= (double)cnt[j];
    free(cnt);
}

static void test_reduction_values(void)
{
    static const struct {
        const char *op, *params;
        mx_shape in, out;
        int red[4];
    } t[] = {
        {"sum", "axis=1", {3, {2, 3, 4}}, {2, {2, 4}}, {0, 1, 0}},
        {"sum", "axis=(0, 2) keepdims=True", {3, {2, 3, 4}}, {3, {1, 3, 1}}, {1, 0, 1}},
        {"sum", "", {3, {2, 3, 4}}, {1, {1}}, {1, 1, 1}},
        {"sum_axis", "axis=()", {2, {5, 3}}, {1, {1}}, {1, 1}},
        {"sum", "axis=1 exclude=True", {3, {2, 3, 4}}, {1, {3}}, {1, 0, 1}},
        {"mean", "axis=-1", {3, {2, 3, 4}}, {2, {2, 3}}, {0, 0, 1}},
        {"mean", "axis=(0,1,2,3) keepdims=1", {4, {2, 3, 1, 2}}, {4, {1, 1, 1, 1}}, {1, 1, 1, 1}},
        {"max", "axis=0", {3, {4, 3, 2}}, {2, {3, 2}}, {1, 0, 0}},
        {"max_axis", "axis=(1,)", {3, {4, 3, 2}}, {2, {4, 2}}, {0, 1, 0}},
        {"min", "axis=2 keepdims=true", {3, {4, 3, 5}}, {3, {4, 3, 1}}, {0, 0, 1}},
        {"prod", "axis=1", {3, {2, 3, 2}}, {2, {2, 2}}, {0, 1, 0}},
    };
    for (size_t c = 0; c < sizeof t / sizeof t[0]; c++) {
        mx_sym *x = mx_var("x"), *y = mx_op(t[c].op, t[c].params, x);
        if (!y) fprintf(stderr, "\n  %s %s: %s\n", t[c].op, t[c].params, mx_last_error());
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        const char *nm[] = {"x"};
        mx_exec *e = bind_run(y, 1, nm, &t[c].in, !strcmp(t[c].op, "prod"));
        const mx_nd *o = mx_exec_output(e, 0);
        mx_shape os = mx_nd_shape(o);
        if (!mx_shape_equal(&os, &t[c].out)) fprintf(stderr, "\n  %s %s: wrong shape\n", t[c].op, t[c].params);
        CU_ASSERT(mx_shape_equal(&os, &t[c].out));
        double want[64];
        naive_reduce(!strcmp(t[c].op, "sum_axis") ? "sum" : !strcmp(t[c].op, "max_axis") ? "max" : t[c].op,
                     arg_of(e, "x"), &t[c].in, t[c].red, want, mx_nd_size(o));
        double worst = 0;
        for (size_t j = 0; j < mx_nd_size(o); j++) {
            double err = fabs(mx_nd_data(o)[j] - want[j]);
            if (err > worst) worst = err;
        }
        if (worst > 1e-5) fprintf(stderr, "\n  %s %s: |Δ| %.3g\n", t[c].op, t[c].params, worst);
        CU_ASSERT(worst <= 1e-5);
        mx_exec_free(e);
        mx_sym_free(y);
        mx_sym_free(x);
    }
}

static void test_reduction_gradients(void)
{
    mx_gc_check c = mx_gc_head("reduce");
    mx_shape s = mx_shape_make(3, 3, 4, 5);
    mx_gradcheck_unary("sum", "axis=1", s, c);
    mx_gradcheck_unary("sum", "axis=(0, 2) keepdims=True", s, c);
    mx_gradcheck_unary("mean", "", s, c);
    mx_gradcheck_unary("mean", "axis=2 exclude=1", s, c);
    mx_gradcheck_unary("max", "axis=1", s, c);
    mx_gradcheck_unary("min", "axis=(0, 2)", s, c);
    c.lo = 0.5f;
    c.hi = 1.5f;
    mx_gradcheck_unary("prod", "axis=-1", s, c);
    /* max's gradient goes to every tie, as MXNet's */
    mx_sym *x = mx_var("x"), *y = mx_op("max", "axis=1", x);
    const char *nm[] = {"x"};
    mx_shape t = mx_shape_make(2, 2, 3);
    mx_exec *e = bind_run(y, 1, nm, &t, 0);
    float v[] = {1, 3, 3, 2, -1, 0};
    mx_nd_copy_from(mx_exec_arg(e, 0), v, 6);
    mx_exec_forward(e, 1);
    mx_nd *h = mx_nd_empty(mx_shape_make(1, 2));
    mx_nd_copy_from(h, (float[]){5, 7}, 2);
    mx_exec_backward(e, &h);
    const float *g = mx_nd_data(mx_exec_grad(e, 0));
    CU_ASSERT(g[0] == 0 && g[1] == 5 && g[2] == 5 && g[3] == 7 && g[4] == 0 && g[5] == 0);
    mx_nd_free(h);
    mx_exec_free(e);
    mx_sym_free(y);
    /* errors name the parameter */
    y = mx_op("sum", "axis=3", x);
    mx_shape args[1], outs[1];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 1, nm, &t, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("parameter 'axis': (3) is out of range for 2-D data");
    mx_sym_free(y);
    y = mx_op("sum", "axis=(1, -1)", x);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 1, nm, &t, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("names axis 1 twice");
    mx_sym_free(y);
    mx_sym_free(x);
}

/* ---- broadcast arithmetic ---- */

static double naive_op(const char *op, double a, double b)
{
    if (!strcmp(op, "broadcast_add") || !strcmp(op, "broadcast_plus")) return a + b;
    if (!strcmp(op, "broadcast_sub") || !strcmp(op, "broadcast_minus")) return a - b;
    if (!strcmp(op, "broadcast_mul")) return a * b;
    if (!strcmp(op, "broadcast_div")) return a / b;
    if (!strcmp(op, "broadcast_maximum")) return a > b ? a : b;
    return a < b ? a : b;
}

static void test_broadcast_values_and_gradients(void)
{
    static const char *const ops[] = {"broadcast_add", "broadcast_plus", "broadcast_sub", "broadcast_minus",
                                      "broadcast_mul", "broadcast_div", "broadcast_maximum", "broadcast_minimum"};
    static const struct {
        mx_shape a, b, y;
    } sh[] = {
        {{3, {2, 3, 4}}, {2, {3, 1}}, {3, {2, 3, 4}}},     /* b aligned right, repeated */
        {{3, {1, 3, 1}}, {3, {2, 1, 4}}, {3, {2, 3, 4}}},  /* both repeated */
        {{2, {3, 4}}, {2, {3, 4}}, {2, {3, 4}}},           /* no broadcast */
        {{1, {1}}, {3, {2, 2, 3}}, {3, {2, 2, 3}}},         /* a scalar-like */
    };
    const char *nm[] = {"a", "b"};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (size_t k = 0; k < sizeof sh / sizeof sh[0]; k++) {
            mx_sym *a = mx_var("a"), *b = mx_var("b"), *y = mx_op(ops[o], "", a, b);
            CU_ASSERT_PTR_NOT_NULL_FATAL(y);
            mx_shape in[2] = {sh[k].a, sh[k].b};
            int div = !strcmp(ops[o], "broadcast_div");
            mx_exec *e = bind_run(y, 2, nm, in, div);
            const mx_nd *out = mx_exec_output(e, 0);
            mx_shape os = mx_nd_shape(out);
            CU_ASSERT(mx_shape_equal(&os, &sh[k].y));
            const float *av = arg_of(e, "a"), *bv = arg_of(e, "b");
            int bad = 0;
            for (size_t i = 0; i < mx_nd_size(out); i++) {
                int64_t c[MX_MAX_NDIM];
                coords(&sh[k].y, i, c);
                size_t ia = 0, ib = 0;
                int la = sh[k].y.ndim - sh[k].a.ndim, lb = sh[k].y.ndim - sh[k].b.ndim;
                for (int d = 0; d < sh[k].a.ndim; d++)
                    ia = ia * (size_t)sh[k].a.dims[d] + (sh[k].a.dims[d] == 1 ? 0 : (size_t)c[d + la]);
                for (int d = 0; d < sh[k].b.ndim; d++)
                    ib = ib * (size_t)sh[k].b.dims[d] + (sh[k].b.dims[d] == 1 ? 0 : (size_t)c[d + lb]);
                double want = naive_op(ops[o], av[ia], bv[ib]);
                if (fabs(mx_nd_data(out)[i] - want) > 1e-6 * (1 + fabs(want))) bad++;
            }
            if (bad) fprintf(stderr, "\n  %s case %zu: %d wrong\n", ops[o], k, bad);
            CU_ASSERT_EQUAL(bad, 0);
            mx_exec_free(e);
            mx_gc_check gc = mx_gc_head(ops[o]);
            if (div) gc.lo = 0.5f, gc.hi = 1.5f;
            mx_gradcheck(&gc, y, 2, nm, in);
            mx_sym_free(y); mx_sym_free(a); mx_sym_free(b);
        }
    mx_sym *a = mx_var("a"), *b = mx_var("b"), *y = mx_op("broadcast_add", "name=bad", a, b);
    mx_shape in[2] = {mx_shape_make(2, 2, 3), mx_shape_make(2, 2, 4)}, args[2], outs[1];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 2, nm, in, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("broadcast_add 'bad': lhs (2,3) and rhs (2,4) do not broadcast (axis 1: 3 against 4)");
    mx_sym_free(y); mx_sym_free(a); mx_sym_free(b);
}

static void test_broadcast_to_and_axis(void)
{
    mx_sym *x = mx_var("x"), *y = mx_op("broadcast_to", "shape=(2, 0, 3)", x);
    const char *nm[] = {"x"};
    mx_shape s = mx_shape_make(3, 1, 4, 1);
    mx_exec *e = bind_run(y, 1, nm, &s, 0);
    const mx_nd *o = mx_exec_output(e, 0);
    mx_shape want = mx_shape_make(3, 2, 4, 3), os = mx_nd_shape(o);
    CU_ASSERT(mx_shape_equal(&os, &want));
    const float *xv = arg_of(e, "x"), *ov = mx_nd_data(o);
    int bad = 0;
    for (int i = 0; i < 24; i++) bad += ov[i] != xv[(i / 3) % 4];
    CU_ASSERT_EQUAL(bad, 0);
    mx_exec_free(e);
    mx_gc_check gc = mx_gc_head("broadcast_to");
    mx_gradcheck_unary("broadcast_to", "shape=(2, 0, 3)", s, gc);
    mx_gradcheck_unary("broadcast_axis", "axis=(0, 2) size=(3, 2)", s, gc);
    mx_gradcheck_unary("broadcast_axes", "axis=-1 size=4", s, gc);
    mx_shape args[1], outs[1];
    mx_sym *z = mx_op("broadcast_axis", "axis=1 size=3", x);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(z, 1, nm, &s, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("axis 1 has size 4; only size-1 axes broadcast");
    mx_sym_free(z); mx_sym_free(y); mx_sym_free(x);
}

/* ---- softmax over an axis ---- */

static void test_softmax_axis(void)
{
    mx_shape s = mx_shape_make(3, 2, 3, 4);
    const char *nm[] = {"x"};
    for (int logs = 0; logs < 2; logs++)
        for (int axis = -1; axis < 3; axis++) {
            char p[32];
            snprintf(p, sizeof p, "axis=%d", axis);
            mx_sym *x = mx_var("x"), *y = mx_op(logs ? "log_softmax" : "softmax", p, x);
            CU_ASSERT_PTR_NOT_NULL_FATAL(y);
            mx_exec *e = bind_run(y, 1, nm, &s, 0);
            const float *xv = arg_of(e, "x"), *ov = mx_nd_data(mx_exec_output(e, 0));
            int ax = axis < 0 ? 2 : axis;
            double worst = 0;
            for (size_t i = 0; i < 24; i++) {
                int64_t c[3];
                coords(&s, i, c);
                double sum = 0;
                for (int64_t k = 0; k < s.dims[ax]; k++) {
                    int64_t cc[3] = {c[0], c[1], c[2]};
                    cc[ax] = k;
                    sum += exp(xv[(cc[0] * 3 + cc[1]) * 4 + cc[2]]);
                }
                double want = logs ? xv[i] - log(sum) : exp(xv[i]) / sum;
                if (fabs(ov[i] - want) > worst) worst = fabs(ov[i] - want);
            }
            if (worst > 1e-6) fprintf(stderr, "\n  %s axis=%d: |Δ| %.3g\n", logs ? "log_softmax" : "softmax", axis, worst);
            CU_ASSERT(worst <= 1e-6);
            mx_exec_free(e);
            mx_gc_check gc = mx_gc_head("softmax");
            mx_gradcheck_unary(logs ? "log_softmax" : "softmax", p, s, gc);
            mx_sym_free(y);
            mx_sym_free(x);
        }
    mx_sym *x = mx_var("x"), *y = mx_op("softmax", "temperature=2", x);
    mx_shape args[1], outs[1];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 1, nm, &s, args, outs, NULL), MX_OK);
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("parameter 'temperature': 2 is not supported");
    mx_sym_free(y);
    CU_ASSERT_PTR_NULL(mx_op("softmax", "use_length=True", x));
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    y = mx_op("log_softmax", "axis=1 temperature=None dtype=None use_length=None", x);
    CU_ASSERT_PTR_NOT_NULL(y);
    mx_sym_free(y);
    mx_sym_free(x);
}

CU_ErrorCode mx_test_register_bcastops(void)
{
    CU_pSuite s = CU_add_suite("bcastops", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "sum, mean, max, min, prod over axes, keepdims, exclude: values and shapes",
                test_reduction_values);
    CU_add_test(s, "reductions: gradchecks, max's ties, axis errors", test_reduction_gradients);
    CU_add_test(s, "broadcast_add/sub/mul/div/maximum/minimum and aliases: values and gradchecks on four layouts",
                test_broadcast_values_and_gradients);
    CU_add_test(s, "broadcast_to and broadcast_axis: values, gradchecks, errors", test_broadcast_to_and_axis);
    CU_add_test(s, "softmax and log_softmax on every axis: values and gradchecks; unsupported values",
                test_softmax_axis);
    return CUE_SUCCESS;
}
