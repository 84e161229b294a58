/* test_mathops.c — the mathops suite: MXNet's unary math ops (abs,
 * negative, square, sqrt, rsqrt, exp, log, clip, relu, sigmoid, tanh) and
 * the shape and constant ops (expand_dims, squeeze, reshape_like, Cast,
 * zeros_like, ones_like, _zeros, _ones, MakeLoss, slice_axis) of issue #16:
 * forward values against the formulas, numerical gradient checks, shape
 * rules and their errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "suites.h"
#include "test_util.h"

/* Binds op(params) on "x" of shape s, fills x from vals (n values, cycled),
 * runs forward; returns the executor (caller frees). */
static mx_exec *run1(const char *op, const char *params, mx_shape s, const float *vals, int n, mx_sym **keep)
{
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op(op, params, x);
    mx_sym_free(x);
    if (!y) fprintf(stderr, "\n  %s %s: %s\n", op, params, mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *nm[] = {"x"};
    mx_grad_req req[] = {MX_GRAD_WRITE};
    mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, nm, &s, req);
    if (!e) fprintf(stderr, "\n  bind %s: %s\n", op, mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    float *d = mx_nd_data(mx_exec_arg(e, 0));
    for (size_t i = 0; i < mx_nd_size(mx_exec_arg(e, 0)); i++) d[i] = vals[i % (size_t)n];
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    *keep = y;
    return e;
}

static void test_unary_math_values(void)
{
    static const float x[] = {-2.0f, -0.5f, 0.0f, 0.25f, 1.0f, 3.0f};
    static const struct {
        const char *op, *params;
        double (*f)(double);
        int positive;
    } t[] = {
        {"abs", "", fabs, 0}, {"square", "", NULL, 0}, {"negative", "", NULL, 0}, {"sqrt", "", sqrt, 1},
        {"exp", "", exp, 0}, {"log", "", log, 1}, {"tanh", "", tanh, 0},
    };
    for (size_t c = 0; c < sizeof t / sizeof t[0]; c++) {
        mx_sym *y;
        float in[6];
        for (int i = 0; i < 6; i++) in[i] = t[c].positive ? fabsf(x[i]) + 0.5f : x[i];
        mx_exec *e = run1(t[c].op, t[c].params, mx_shape_make(1, 6), in, 6, &y);
        const float *o = mx_nd_data(mx_exec_output(e, 0));
        double worst = 0;
        for (int i = 0; i < 6; i++) {
            double want = !strcmp(t[c].op, "square") ? (double)in[i] * in[i]
                        : !strcmp(t[c].op, "negative") ? -(double)in[i] : t[c].f(in[i]);
            double err = fabs(o[i] - want) / (fabs(want) > 1 ? fabs(want) : 1);
            if (err > worst) worst = err;
        }
        if (worst > 2e-7) fprintf(stderr, "\n  %s: relative error %.3g\n", t[c].op, worst);
        CU_ASSERT(worst <= 2e-7);
        mx_exec_free(e);
        mx_sym_free(y);
    }
    /* rsqrt, clip, relu, sigmoid by hand */
    mx_sym *y;
    float pos[] = {0.25f, 4.0f};
    mx_exec *e = run1("rsqrt", "", mx_shape_make(1, 2), pos, 2, &y);
    const float *o = mx_nd_data(mx_exec_output(e, 0));
    CU_ASSERT(o[0] == 2.0f && o[1] == 0.5f);
    mx_exec_free(e); mx_sym_free(y);
    e = run1("clip", "a_min=-0.5 a_max=1", mx_shape_make(1, 6), x, 6, &y);
    o = mx_nd_data(mx_exec_output(e, 0));
    CU_ASSERT(o[0] == -0.5f && o[1] == -0.5f && o[2] == 0.0f && o[3] == 0.25f && o[4] == 1.0f && o[5] == 1.0f);
    /* clip's gradient passes where a_min <= x <= a_max (MXNet's bounds included) */
    CU_ASSERT_EQUAL(mx_exec_backward(e, (mx_nd *[]){mx_exec_output(e, 0)}), MX_OK);
    const float *g = mx_nd_data(mx_exec_grad(e, 0));
    CU_ASSERT(g[0] == 0.0f && g[1] == -0.5f && g[3] == 0.25f && g[4] == 1.0f && g[5] == 0.0f);
    mx_exec_free(e); mx_sym_free(y);
    e = run1("relu", "", mx_shape_make(1, 6), x, 6, &y);
    o = mx_nd_data(mx_exec_output(e, 0));
    CU_ASSERT(o[0] == 0.0f && o[3] == 0.25f && o[5] == 3.0f);
    mx_exec_free(e); mx_sym_free(y);
    e = run1("sigmoid", "", mx_shape_make(1, 6), x, 6, &y);
    o = mx_nd_data(mx_exec_output(e, 0));
    CU_ASSERT(fabs(o[2] - 0.5) < 1e-7 && fabs(o[5] - 1 / (1 + exp(-3.0))) < 1e-6);
    mx_exec_free(e); mx_sym_free(y);
    /* clip's bounds must be ordered */
    mx_sym *v = mx_var("x"), *bad = mx_op("clip", "a_min=1 a_max=0", v);
    mx_shape s = mx_shape_make(1, 3), args[1], outs[1];
    const char *nm[] = {"x"};
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(bad, 1, nm, &s, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("parameter 'a_min': 1 is above a_max 0");
    CU_ASSERT_PTR_NULL(mx_op("clip", "a_min=0", v));
    ASSERT_ERROR_HAS("required parameter 'a_max' missing");
    mx_sym_free(bad); mx_sym_free(v);
}

static void test_unary_math_gradients(void)
{
    mx_shape s = mx_shape_make(2, 3, 7);
    mx_gc_check c = mx_gc_head("unary");
    c.nudge = 0.05f; /* abs has a kink at 0 */
    mx_gradcheck_unary("abs", "", s, c);
    c = mx_gc_head("unary");
    const char *signed_ops[] = {"negative", "square", "exp", "tanh", "sigmoid"};
    for (size_t i = 0; i < sizeof signed_ops / sizeof signed_ops[0]; i++) mx_gradcheck_unary(signed_ops[i], "", s, c);
    c.lo = 0.3f;
    c.hi = 2.0f;
    const char *positive_ops[] = {"sqrt", "rsqrt", "log"};
    for (size_t i = 0; i < sizeof positive_ops / sizeof positive_ops[0]; i++)
        mx_gradcheck_unary(positive_ops[i], "", s, c);
    c = mx_gc_head("relu");
    c.nudge = 0.05f;
    mx_gradcheck_unary("relu", "", s, c);
    c = mx_gc_head("clip");
    c.lo = -2.0f;
    c.hi = 2.0f;
    mx_gradcheck_unary("clip", "a_min=-0.7 a_max=0.9", s, c);
}

/* Output shape of op(params) on x of shape in; ndim 0 when inference fails. */
static mx_shape out_shape(const char *op, const char *params, mx_shape in)
{
    mx_sym *x = mx_var("x"), *y = mx_op(op, params, x);
    mx_shape args[2], outs[1] = {{0, {0}}};
    const char *nm[] = {"x"};
    if (!y || mx_infer_shape(y, 1, nm, &in, args, outs, NULL) != MX_OK) outs[0].ndim = 0;
    mx_sym_free(x);
    mx_sym_free(y);
    return outs[0];
}

static int shape_is(mx_shape s, int ndim, const int64_t *d)
{
    mx_shape w = mx_shape_from(ndim, d);
    return mx_shape_equal(&s, &w);
}

static void test_shape_ops_shapes_and_errors(void)
{
    mx_shape s = mx_shape_make(3, 2, 1, 3);
    CU_ASSERT(shape_is(out_shape("expand_dims", "axis=0", s), 4, (int64_t[]){1, 2, 1, 3}));
    CU_ASSERT(shape_is(out_shape("expand_dims", "axis=-1", s), 4, (int64_t[]){2, 1, 3, 1}));
    CU_ASSERT(shape_is(out_shape("expand_dims", "axis=2", s), 4, (int64_t[]){2, 1, 1, 3}));
    CU_ASSERT_EQUAL(out_shape("expand_dims", "axis=4", s).ndim, 0);
    ASSERT_ERROR_HAS("parameter 'axis': 4 is out of range for 3-D data (-4..3)");
    CU_ASSERT(shape_is(out_shape("squeeze", "", s), 2, (int64_t[]){2, 3}));
    CU_ASSERT(shape_is(out_shape("squeeze", "axis=None", s), 2, (int64_t[]){2, 3}));
    CU_ASSERT(shape_is(out_shape("squeeze", "axis=(1,)", s), 2, (int64_t[]){2, 3}));
    CU_ASSERT(shape_is(out_shape("squeeze", "", mx_shape_make(2, 1, 1)), 1, (int64_t[]){1}));
    CU_ASSERT_EQUAL(out_shape("squeeze", "axis=(0,)", s).ndim, 0);
    ASSERT_ERROR_HAS("axis 0 of (2,1,3) has size 2, not 1");
    CU_ASSERT(shape_is(out_shape("slice_axis", "axis=2 begin=1 end=None", s), 3, (int64_t[]){2, 1, 2}));
    CU_ASSERT(shape_is(out_shape("slice_axis", "axis=-1 begin=-2 end=-1", s), 3, (int64_t[]){2, 1, 1}));
    CU_ASSERT_EQUAL(out_shape("slice_axis", "axis=0 begin=1 end=1", s).ndim, 0);
    ASSERT_ERROR_HAS("[1, 1) is empty or outside axis 0 of (2,1,3)");
    CU_ASSERT(shape_is(out_shape("Cast", "dtype=float32", s), 3, (int64_t[]){2, 1, 3}));
    CU_ASSERT(shape_is(out_shape("zeros_like", "", s), 3, (int64_t[]){2, 1, 3}));
    mx_sym *v = mx_var("x");
    CU_ASSERT_PTR_NULL(mx_op("Cast", "dtype=int32", v));
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("parameter 'dtype': value 'int32' is not supported by mxrt (it runs float32)");
    CU_ASSERT_PTR_NULL(mx_op("Cast", "", v));
    ASSERT_ERROR_HAS("required parameter 'dtype' missing");
    mx_sym_free(v);
    /* reshape_like: rhs's shape, or a range of its dims in place of lhs's */
    mx_sym *a = mx_var("a"), *b = mx_var("b");
    const char *nm[] = {"a", "b"};
    static const struct {
        const char *params;
        mx_shape a, b, want;
    } like[] = {
        {"", {2, {6, 4}}, {3, {3, 2, 4}}, {3, {3, 2, 4}}},
        {"lhs_begin=0 lhs_end=1 rhs_begin=0 rhs_end=2", {2, {6, 4}}, {3, {3, 2, 9}}, {3, {3, 2, 4}}},
        {"lhs_begin=-1 lhs_end=None rhs_begin=1 rhs_end=None", {2, {6, 4}}, {3, {7, 2, 2}}, {3, {6, 2, 2}}},
    };
    for (size_t i = 0; i < sizeof like / sizeof like[0]; i++) {
        mx_sym *y = mx_op("reshape_like", like[i].params, a, b);
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        mx_shape in[2] = {like[i].a, like[i].b}, args[2], outs[1];
        CU_ASSERT_EQUAL(mx_infer_shape(y, 2, nm, in, args, outs, NULL), MX_OK);
        CU_ASSERT(mx_shape_equal(&outs[0], &like[i].want));
        mx_sym_free(y);
    }
    mx_sym *y = mx_op("reshape_like", "", a, b);
    mx_shape in[2] = {mx_shape_make(2, 6, 4), mx_shape_make(2, 5, 5)}, args[2], outs[1];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 2, nm, in, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("lhs (6,4) has 24 elements");
    mx_sym_free(y); mx_sym_free(a); mx_sym_free(b);
}

static void test_shape_ops_values_and_gradients(void)
{
    /* slice_axis: values, and the gradient is dy inside the slice, 0 outside */
    float x[24];
    for (int i = 0; i < 24; i++) x[i] = (float)i;
    mx_sym *y;
    mx_exec *e = run1("slice_axis", "axis=1 begin=1 end=3", mx_shape_make(3, 2, 4, 3), x, 24, &y);
    const float *o = mx_nd_data(mx_exec_output(e, 0));
    static const float want[] = {3, 4, 5, 6, 7, 8, 15, 16, 17, 18, 19, 20};
    CU_ASSERT_EQUAL(memcmp(o, want, sizeof want), 0);
    mx_nd *head = mx_nd_empty(mx_shape_make(3, 2, 2, 3));
    float ones[12];
    for (int i = 0; i < 12; i++) ones[i] = (float)(i + 1);
    mx_nd_copy_from(head, ones, 12);
    CU_ASSERT_EQUAL(mx_exec_backward(e, &head), MX_OK);
    const float *g = mx_nd_data(mx_exec_grad(e, 0));
    CU_ASSERT(g[0] == 0 && g[3] == 1 && g[8] == 6 && g[9] == 0 && g[15] == 7 && g[23] == 0);
    mx_nd_free(head);
    mx_exec_free(e); mx_sym_free(y);
    /* MakeLoss: output is the input; its gradient grad_scale (batch: / N), the head ignored */
    e = run1("MakeLoss", "grad_scale=3 normalization=batch", mx_shape_make(2, 4, 2), x, 24, &y);
    CU_ASSERT_EQUAL(memcmp(mx_nd_data(mx_exec_output(e, 0)), x, 8 * sizeof(float)), 0);
    CU_ASSERT_EQUAL(mx_exec_backward(e, NULL), MX_OK);
    g = mx_nd_data(mx_exec_grad(e, 0));
    CU_ASSERT(g[0] == 0.75f && g[7] == 0.75f);
    mx_exec_free(e); mx_sym_free(y);
    /* ones_like / zeros_like: constants, no gradient */
    e = run1("ones_like", "", mx_shape_make(1, 5), x, 24, &y);
    o = mx_nd_data(mx_exec_output(e, 0));
    CU_ASSERT(o[0] == 1.0f && o[4] == 1.0f);
    head = mx_nd_empty(mx_shape_make(1, 5));
    mx_nd_copy_from(head, x, 5);
    CU_ASSERT_EQUAL(mx_exec_backward(e, &head), MX_OK);
    CU_ASSERT(mx_nd_data(mx_exec_grad(e, 0))[3] == 0.0f);
    mx_nd_free(head);
    mx_exec_free(e); mx_sym_free(y);
    /* _ones: no input, the shape from its parameter, added to data */
    mx_sym *d = mx_var("x"), *c = mx_op("_ones", "shape=(2,3) ctx=cpu(0) dtype=float32");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    mx_sym *sum = mx_sym_arith(d, '+', c);
    const char *nm[] = {"x"};
    mx_shape s = mx_shape_make(2, 2, 3);
    mx_exec *f = mx_simple_bind(sum, mx_cpu(), 1, nm, &s, NULL);
    if (!f) fprintf(stderr, "\n  %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    mx_nd_copy_from(mx_exec_arg(f, 0), x, 6);
    CU_ASSERT_EQUAL(mx_exec_forward(f, 0), MX_OK);
    CU_ASSERT(mx_nd_data(mx_exec_output(f, 0))[5] == 6.0f);
    mx_exec_free(f);
    mx_sym_free(sum); mx_sym_free(c); mx_sym_free(d);
    /* _zeros of shape (0, 3): the 0 is learnt from the consumer (Gluon's begin states) */
    d = mx_var("x");
    c = mx_op("_zeros", "shape=(0, 3)");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    sum = mx_sym_arith(d, '+', c);
    mx_shape z = mx_shape_make(2, 5, 3), zargs[1], zouts[1];
    CU_ASSERT_EQUAL(mx_infer_shape(sum, 1, nm, &z, zargs, zouts, NULL), MX_OK);
    CU_ASSERT(mx_shape_equal(&zouts[0], &z));
    z = mx_shape_make(2, 5, 4);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(sum, 1, nm, &z, zargs, zouts, NULL), MX_OK);
    mx_sym_free(sum); mx_sym_free(c); mx_sym_free(d);
    /* numerical gradients of the views and the slice */
    mx_gc_check gc = mx_gc_head("shape op");
    mx_gradcheck_unary("expand_dims", "axis=1", mx_shape_make(2, 3, 4), gc);
    mx_gradcheck_unary("squeeze", "", mx_shape_make(3, 3, 1, 4), gc);
    mx_gradcheck_unary("Cast", "dtype=float32", mx_shape_make(2, 3, 4), gc);
    mx_gradcheck_unary("slice_axis", "axis=0 begin=1 end=None", mx_shape_make(3, 3, 2, 2), gc);
    mx_gradcheck_unary("slice_axis", "axis=-1 begin=0 end=2", mx_shape_make(3, 2, 3, 5), gc);
    mx_gradcheck_unary("_copy", "", mx_shape_make(2, 3, 4), gc);
    /* add_n of three inputs, one of them twice (gradients add up) */
    mx_sym *p = mx_var("p"), *q = mx_var("q"), *r = mx_var("r");
    mx_sym *n3 = mx_op("add_n", "num_args=4", p, q, r, p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n3);
    const char *pn[] = {"p", "q", "r"};
    mx_shape ps[] = {mx_shape_make(2, 3, 4), mx_shape_make(2, 3, 4), mx_shape_make(2, 3, 4)};
    CU_ASSERT(mx_gradcheck(&gc, n3, 3, pn, ps) > 0);
    mx_sym_free(n3); mx_sym_free(p); mx_sym_free(q); mx_sym_free(r);
}

CU_ErrorCode mx_test_register_mathops(void)
{
    CU_pSuite s = CU_add_suite("mathops", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "unary math: values against the formulas, clip's bounds, parameter errors", test_unary_math_values);
    CU_add_test(s, "gradcheck: abs, negative, square, sqrt, rsqrt, exp, log, tanh, sigmoid, relu, clip",
                test_unary_math_gradients);
    CU_add_test(s, "expand_dims, squeeze, slice_axis, Cast, reshape_like: shapes and errors",
                test_shape_ops_shapes_and_errors);
    CU_add_test(s, "slice_axis, MakeLoss, ones_like, _ones: values and gradients; gradchecks of the views",
                test_shape_ops_values_and_gradients);
    return CUE_SUCCESS;
}
