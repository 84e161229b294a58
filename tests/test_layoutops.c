/* test_layoutops.c — the layoutops suite: MXNet's ops that move elements
 * (transpose, SwapAxis/swapaxes, slice/crop with None and negative steps,
 * Pad in constant mode, where), the products dot and batch_dot in every
 * transposition, smooth_l1 and make_loss (issue #16): forward values
 * against index arithmetic or double loops written here, hand-worked
 * examples, numerical gradient checks, and MXNet's shape rules and their
 * errors, including the values mxrt reports as not supported. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "suites.h"
#include "test_util.h"

/* Binds sym over inputs (names, shapes) on the CPU with gradients. */
static mx_exec *bind_n(mx_sym *sym, int n, const char *const *names, const mx_shape *shapes)
{
    mx_grad_req reqs[4] = {MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE};
    mx_exec *e = mx_simple_bind(sym, mx_cpu(), n, names, shapes, reqs);
    if (!e) fprintf(stderr, "\n  bind: %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    return e;
}

/* op(params) on "x" of shape s holding 0, 1, 2, …; forward run. */
static mx_exec *run_iota(const char *op, const char *params, mx_shape s, mx_sym **keep)
{
    mx_sym *x = mx_var("x"), *y = mx_op(op, params, x);
    mx_sym_free(x);
    if (!y) fprintf(stderr, "\n  %s %s: %s\n", op, params, mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *nm[] = {"x"};
    mx_exec *e = bind_n(y, 1, nm, &s);
    float *d = mx_nd_data(mx_exec_arg(e, 0));
    for (size_t i = 0; i < mx_shape_size(&s); i++) d[i] = (float)i;
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    *keep = y;
    return e;
}

/* The output of e equals want (n values) exactly, with shape ws. */
static int output_is(mx_exec *e, mx_shape ws, const float *want, size_t n)
{
    const mx_nd *o = mx_exec_output(e, 0);
    mx_shape s = mx_nd_shape(o);
    if (!mx_shape_equal(&s, &ws) || mx_nd_size(o) != n) {
        char a[64], b[64];
        fprintf(stderr, "\n  shape %s, want %s\n", mx_shape_str(&s, a, sizeof a), mx_shape_str(&ws, b, sizeof b));
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (mx_nd_data(o)[i] != want[i]) {
            fprintf(stderr, "\n  [%zu] = %g, want %g\n", i, (double)mx_nd_data(o)[i], (double)want[i]);
            return 0;
        }
    return 1;
}

/* The shape op(params) infers for x of shape s; ndim 0 on error. */
static mx_shape out_shape(const char *op, const char *params, mx_shape s)
{
    mx_shape bad = {0, {0}};
    mx_sym *x = mx_var("x"), *y = mx_op(op, params, x);
    mx_sym_free(x);
    if (!y) return bad;
    const char *nm[] = {"x"};
    mx_shape args[1], outs[1];
    mx_status st = mx_infer_shape(y, 1, nm, &s, args, outs, NULL);
    mx_sym_free(y);
    return st == MX_OK ? outs[0] : bad;
}

/* ---- transpose, SwapAxis ---- */

static void test_permutations(void)
{
    static const struct {
        const char *op, *params;
        int perm[4];
    } t[] = {
        {"transpose", "axes=(2, 0, 1)", {2, 0, 1}},
        {"transpose", "", {2, 1, 0}},
        {"transpose", "axes=()", {2, 1, 0}},
        {"transpose", "axes=(-1, 1, 0)", {2, 1, 0}},
        {"SwapAxis", "dim1=0 dim2=2", {2, 1, 0}},
        {"swapaxes", "dim1=1 dim2=-1", {0, 2, 1}},
        {"SwapAxis", "", {0, 1, 2}},
    };
    mx_shape xs = mx_shape_make(3, 2, 3, 4);
    const int64_t sx[3] = {12, 4, 1};
    for (size_t c = 0; c < sizeof t / sizeof t[0]; c++) {
        mx_sym *y;
        mx_exec *e = run_iota(t[c].op, t[c].params, xs, &y);
        mx_shape ws = {3, {xs.dims[t[c].perm[0]], xs.dims[t[c].perm[1]], xs.dims[t[c].perm[2]]}};
        float want[24];
        size_t i = 0;
        for (int64_t a = 0; a < ws.dims[0]; a++)
            for (int64_t b = 0; b < ws.dims[1]; b++)
                for (int64_t d = 0; d < ws.dims[2]; d++)
                    want[i++] = (float)(a * sx[t[c].perm[0]] + b * sx[t[c].perm[1]] + d * sx[t[c].perm[2]]);
        if (!output_is(e, ws, want, 24)) fprintf(stderr, "  (%s %s)\n", t[c].op, t[c].params);
        CU_ASSERT(output_is(e, ws, want, 24));
        /* backward with head = the output itself puts x back where it was */
        mx_nd *h = mx_nd_empty(ws);
        mx_nd_copy_from(h, want, 24);
        CU_ASSERT_EQUAL(mx_exec_backward(e, &h), MX_OK);
        const float *g = mx_nd_data(mx_exec_grad(e, 0));
        int back = 1;
        for (int k = 0; k < 24; k++) back &= g[k] == (float)k;
        CU_ASSERT(back);
        mx_nd_free(h);
        mx_exec_free(e);
        mx_sym_free(y);
    }
    mx_gc_check gc = mx_gc_head("permutation");
    mx_gradcheck_unary("transpose", "axes=(1, 3, 0, 2)", mx_shape_make(4, 2, 3, 2, 4), gc);
    mx_gradcheck_unary("SwapAxis", "dim1=1 dim2=3", mx_shape_make(4, 2, 3, 2, 4), gc);
    /* errors name the parameter */
    CU_ASSERT_EQUAL(out_shape("transpose", "axes=(0, 0, 1)", xs).ndim, 0);
    ASSERT_ERROR_HAS("parameter 'axes': (0,0,1) is not a permutation of 3 axes");
    CU_ASSERT_EQUAL(out_shape("transpose", "axes=(1, 0)", xs).ndim, 0);
    ASSERT_ERROR_HAS("parameter 'axes': (1,0) has 2 entries for 3-D data");
    CU_ASSERT_EQUAL(out_shape("SwapAxis", "dim1=0 dim2=3", xs).ndim, 0);
    ASSERT_ERROR_HAS("parameters 'dim1'/'dim2': 0, 3 out of range for 3-D data");
}

/* ---- slice (crop) ---- */

static void test_slice(void)
{
    static const struct {
        const char *op, *params;
        mx_shape out;
        float want[12];
    } t[] = {
        /* x = arange(12).reshape(3, 4) */
        {"slice", "begin=(1,) end=(3,)", {2, {2, 4}}, {4, 5, 6, 7, 8, 9, 10, 11}},
        {"slice", "begin=(None, 1) end=(None, None) step=(-1, 2)", {2, {3, 2}}, {9, 11, 5, 7, 1, 3}},
        {"slice", "begin=(-1, -1) end=(None, 0) step=(-2, -1)", {2, {2, 3}}, {11, 10, 9, 3, 2, 1}},
        {"crop", "begin=(0, 1) end=(2, 3)", {2, {2, 2}}, {1, 2, 5, 6}},
        {"slice", "begin=(-5, 2) end=(100, -1)", {2, {3, 1}}, {2, 6, 10}}, /* clamped, as numpy */
        {"slice", "begin=(2, None) end=(None, None) step=(None, 3)", {2, {1, 2}}, {8, 11}},
        {"slice", "begin=(1,) end=(3,) step=(9223372036854775807,)", {2, {1, 4}}, {4, 5, 6, 7}}, /* no overflow */
        {"slice", "begin=(None, 3) end=(None, -9223372036854775807) step=(1, -9223372036854775807)", {2, {3, 1}},
         {3, 7, 11}},
    };
    for (size_t c = 0; c < sizeof t / sizeof t[0]; c++) {
        mx_sym *y;
        mx_exec *e = run_iota(t[c].op, t[c].params, mx_shape_make(2, 3, 4), &y);
        size_t n = mx_shape_size(&t[c].out);
        if (!output_is(e, t[c].out, t[c].want, n)) fprintf(stderr, "  (%s %s)\n", t[c].op, t[c].params);
        CU_ASSERT(output_is(e, t[c].out, t[c].want, n));
        /* backward: the head lands on the sliced positions, 0 elsewhere */
        mx_nd *h = mx_nd_empty(t[c].out);
        float ones[12];
        for (size_t i = 0; i < n; i++) ones[i] = 1.0f + (float)i;
        mx_nd_copy_from(h, ones, n);
        CU_ASSERT_EQUAL(mx_exec_backward(e, &h), MX_OK);
        const float *g = mx_nd_data(mx_exec_grad(e, 0));
        float want_g[12] = {0};
        for (size_t i = 0; i < n; i++) want_g[(int)t[c].want[i]] = ones[i];
        CU_ASSERT_EQUAL(memcmp(g, want_g, sizeof want_g), 0);
        mx_nd_free(h);
        mx_exec_free(e);
        mx_sym_free(y);
    }
    mx_gc_check gc = mx_gc_head("slice");
    mx_gradcheck_unary("slice", "begin=(1, None, 3) end=(None, 1, 0) step=(1, -1, -2)", mx_shape_make(3, 3, 4, 5),
                       gc);
    mx_gradcheck_unary("crop", "begin=(0, 2) end=(2, 4)", mx_shape_make(3, 3, 5, 2), gc);
    mx_shape s = mx_shape_make(2, 3, 4);
    CU_ASSERT_EQUAL(out_shape("slice", "begin=(0,) end=(2,) step=(0,)", s).ndim, 0);
    ASSERT_ERROR_HAS("parameter 'step': axis 0 has step 0");
    CU_ASSERT_EQUAL(out_shape("slice", "begin=(2,) end=(1,)", s).ndim, 0);
    ASSERT_ERROR_HAS("axis 0 of data (3,4) is sliced to nothing");
    CU_ASSERT_EQUAL(out_shape("slice", "begin=(0, 0) end=(2,)", s).ndim, 0);
    ASSERT_ERROR_HAS("parameters 'begin', 'end', 'step': 2, 1 and 0 entries for data (3,4)");
    CU_ASSERT_EQUAL(out_shape("slice", "begin=(0, 0, 0) end=(1, 1, 1)", s).ndim, 0);
    ASSERT_ERROR_HAS("'begin', 'end', 'step'");
    mx_sym *x = mx_var("x");
    CU_ASSERT_PTR_NULL(mx_op("slice", "end=(1,)", x));
    ASSERT_ERROR_HAS("required parameter 'begin' missing");
    CU_ASSERT_PTR_NULL(mx_op("slice", "begin=(1, x) end=(2, 3)", x));
    ASSERT_ERROR_HAS("parameter 'begin'");
    mx_sym_free(x);
}

/* ---- Pad ---- */

static void test_pad(void)
{
    mx_sym *y;
    mx_exec *e = run_iota("Pad", "mode=constant pad_width=(0,0,0,0,1,0,0,2) constant_value=9", mx_shape_make(4, 1, 1, 2, 2),
                          &y);
    static const float want[] = {9, 9, 9, 9, 0, 1, 9, 9, 2, 3, 9, 9};
    CU_ASSERT(output_is(e, mx_shape_make(4, 1, 1, 3, 4), want, 12));
    mx_nd *h = mx_nd_empty(mx_shape_make(4, 1, 1, 3, 4));
    float hv[12];
    for (int i = 0; i < 12; i++) hv[i] = (float)(i + 1);
    mx_nd_copy_from(h, hv, 12);
    CU_ASSERT_EQUAL(mx_exec_backward(e, &h), MX_OK);
    const float *g = mx_nd_data(mx_exec_grad(e, 0));
    CU_ASSERT(g[0] == 5 && g[1] == 6 && g[2] == 9 && g[3] == 10);
    mx_nd_free(h);
    mx_exec_free(e);
    mx_sym_free(y);
    mx_gc_check gc = mx_gc_head("Pad");
    mx_gradcheck_unary("Pad", "mode=constant pad_width=(0,0,0,0,2,1,1,3)", mx_shape_make(4, 2, 2, 3, 3), gc);
    mx_gradcheck_unary("pad", "mode=constant pad_width=(0,0,1,1,0,2) constant_value=-1", mx_shape_make(3, 2, 3, 4), gc);
    /* gradient added to one already there (grad_req add) */
    mx_sym *x = mx_var("x"), *p = mx_op("Pad", "mode=constant pad_width=(0,0,1,1)", x);
    const char *nm[] = {"x"};
    mx_shape s = mx_shape_make(2, 2, 2);
    mx_grad_req add[] = {MX_GRAD_ADD};
    e = mx_simple_bind(p, mx_cpu(), 1, nm, &s, add);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    mx_nd_copy_from(mx_exec_grad(e, 0), (float[]){1, 1, 1, 1}, 4);
    h = mx_nd_empty(mx_shape_make(2, 2, 4));
    mx_nd_copy_from(h, (float[]){1, 2, 3, 4, 5, 6, 7, 8}, 8);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    CU_ASSERT_EQUAL(mx_exec_backward(e, &h), MX_OK);
    g = mx_nd_data(mx_exec_grad(e, 0));
    CU_ASSERT(g[0] == 3 && g[1] == 4 && g[2] == 7 && g[3] == 8);
    mx_nd_free(h);
    mx_exec_free(e);
    mx_sym_free(p);
    /* errors: the width count, negative widths; edge/reflect are not supported */
    CU_ASSERT_EQUAL(out_shape("Pad", "mode=constant pad_width=(0,0,1,1)", mx_shape_make(4, 1, 1, 2, 2)).ndim, 0);
    ASSERT_ERROR_HAS("parameter 'pad_width': (0,0,1,1) has 4 entries, 4-D data needs 8");
    CU_ASSERT_EQUAL(out_shape("Pad", "mode=constant pad_width=(0,0,-1,1)", mx_shape_make(2, 1, 2)).ndim, 0);
    ASSERT_ERROR_HAS("has a negative width");
    CU_ASSERT_EQUAL(out_shape("Pad", "mode=constant pad_width=(0,0,9223372036854775807,1)", mx_shape_make(2, 1, 2)).ndim,
                    0);
    ASSERT_ERROR_HAS("has a width past 2^48");
    CU_ASSERT_PTR_NULL(mx_op("Pad", "mode=edge pad_width=(0,0,0,0,1,1,1,1)", x));
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("parameter 'mode': value 'edge' is not supported by mxrt");
    CU_ASSERT_PTR_NULL(mx_op("Pad", "mode=wrap pad_width=(0,0,0,0,1,1,1,1)", x));
    CU_ASSERT_EQUAL(mx_last_status(), MX_EINVAL);
    mx_sym_free(x);
}

/* ---- where ---- */

static void test_where(void)
{
    mx_sym *c = mx_var("condition"), *x = mx_var("x"), *y = mx_var("y");
    mx_sym *w = mx_op("where", "", c, x, y);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    const char *nm[] = {"condition", "x", "y"};
    for (int per_row = 0; per_row < 2; per_row++) {
        mx_shape s[3] = {per_row ? mx_shape_make(1, 2) : mx_shape_make(2, 2, 3), mx_shape_make(2, 2, 3),
                         mx_shape_make(2, 2, 3)};
        mx_exec *e = bind_n(w, 3, nm, s);
        static const float cond[] = {1, 0, -2, 0, 0.5f, 0}, xv[] = {1, 2, 3, 4, 5, 6},
                           yv[] = {-1, -2, -3, -4, -5, -6};
        mx_nd_copy_from(mx_exec_arg(e, 0), per_row ? (const float[]){0, 3} : cond, per_row ? 2 : 6);
        mx_nd_copy_from(mx_exec_arg(e, 1), xv, 6);
        mx_nd_copy_from(mx_exec_arg(e, 2), yv, 6);
        CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
        static const float want_full[] = {1, -2, 3, -4, 5, -6}, want_row[] = {-1, -2, -3, 4, 5, 6};
        const float *want = per_row ? want_row : want_full;
        CU_ASSERT(output_is(e, s[1], want, 6));
        mx_nd *h = mx_nd_empty(s[1]);
        mx_nd_copy_from(h, (float[]){10, 20, 30, 40, 50, 60}, 6);
        CU_ASSERT_EQUAL(mx_exec_backward(e, &h), MX_OK);
        const float *gx = mx_nd_data(mx_exec_grad(e, 1)), *gy = mx_nd_data(mx_exec_grad(e, 2));
        const float *gc = mx_nd_data(mx_exec_grad(e, 0));
        int ok = 1;
        for (int i = 0; i < 6; i++) {
            int take_x = want[i] > 0;
            ok &= gx[i] == (take_x ? 10.0f * (i + 1) : 0.0f) && gy[i] == (take_x ? 0.0f : 10.0f * (i + 1));
        }
        CU_ASSERT(ok);
        CU_ASSERT(gc[0] == 0.0f && gc[1] == 0.0f); /* the condition gets none */
        mx_nd_free(h);
        mx_exec_free(e);
    }
    mx_gc_check gc = mx_gc_head("where");
    gc.classes = 2;
    mx_sym *lc = mx_var("cond_label"), *w2 = mx_op("where", "", lc, x, y);
    const char *nm2[] = {"cond_label", "x", "y"};
    mx_shape s2[3] = {mx_shape_make(2, 3, 4), mx_shape_make(2, 3, 4), mx_shape_make(2, 3, 4)};
    CU_ASSERT(mx_gradcheck(&gc, w2, 3, nm2, s2) > 0);
    mx_sym_free(w2);
    mx_sym_free(lc);
    /* the condition must have x's shape or one value a row */
    mx_shape bad[3] = {mx_shape_make(1, 3), mx_shape_make(2, 2, 3)}, args[3], outs[1];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(w, 2, nm, bad, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("argument 'condition' (3) must have x's shape (2,3) or be one value a row");
    bad[0] = mx_shape_make(2, 2, 3);
    bad[2] = mx_shape_make(2, 3, 2);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(w, 3, nm, bad, args, outs, NULL), MX_OK);
    mx_sym_free(w);
    mx_sym_free(c);
    mx_sym_free(x);
    mx_sym_free(y);
}

/* ---- dot, batch_dot ---- */

/* op(A)·op(B) in double: A stored (m×k) or, transposed, (k×m); likewise B. */
static void naive_gemm(int ta, int tb, int m, int n, int k, const float *A, const float *B, double *C)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += (double)(ta ? A[p * m + i] : A[i * k + p]) * (tb ? B[j * k + p] : B[p * n + j]);
            C[i * n + j] = s;
        }
}

static void test_dot(void)
{
    static const struct {
        const char *params;
        mx_shape a, b, y;
        int m, n, k;
    } t[] = {
        {"", {2, {3, 4}}, {2, {4, 5}}, {2, {3, 5}}, 3, 5, 4},
        {"transpose_a=true", {2, {4, 3}}, {2, {4, 5}}, {2, {3, 5}}, 3, 5, 4},
        {"transpose_b=true", {2, {3, 4}}, {2, {5, 4}}, {2, {3, 5}}, 3, 5, 4},
        {"transpose_a=1 transpose_b=1", {2, {4, 3}}, {2, {5, 4}}, {2, {3, 5}}, 3, 5, 4},
        {"", {3, {2, 3, 4}}, {3, {4, 2, 3}}, {4, {2, 3, 2, 3}}, 6, 6, 4},  /* N-d: axes flattened */
        {"transpose_a=True", {3, {4, 2, 3}}, {1, {4}}, {2, {2, 3}}, 6, 1, 4},
        {"", {1, {7}}, {1, {7}}, {1, {1}}, 1, 1, 7},                      /* vector · vector */
        {"forward_stype=default", {2, {1, 5}}, {2, {5, 2}}, {2, {1, 2}}, 1, 2, 5},
    };
    const char *nm[] = {"a", "b"};
    for (size_t c = 0; c < sizeof t / sizeof t[0]; c++) {
        mx_sym *a = mx_var("a"), *b = mx_var("b"), *y = mx_op("dot", t[c].params, a, b);
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        mx_shape in[2] = {t[c].a, t[c].b};
        mx_exec *e = bind_n(y, 2, nm, in);
        mx_test_fill(mx_exec_arg(e, 0), -1, 1, 3);
        mx_test_fill(mx_exec_arg(e, 1), -1, 1, 4);
        CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
        const mx_nd *o = mx_exec_output(e, 0);
        mx_shape os = mx_nd_shape(o);
        CU_ASSERT(mx_shape_equal(&os, &t[c].y));
        int ta = strstr(t[c].params, "transpose_a") != NULL, tb = strstr(t[c].params, "transpose_b") != NULL;
        double want[64];
        naive_gemm(ta, tb, t[c].m, t[c].n, t[c].k, mx_nd_data(mx_exec_arg(e, 0)), mx_nd_data(mx_exec_arg(e, 1)), want);
        double worst = 0;
        for (int i = 0; i < t[c].m * t[c].n; i++) worst = fmax(worst, fabs(mx_nd_data(o)[i] - want[i]));
        if (worst > 1e-5) fprintf(stderr, "\n  dot %s: |Δ| %.3g\n", t[c].params, worst);
        CU_ASSERT(worst <= 1e-5);
        mx_gc_check gc = mx_gc_head("dot");
        CU_ASSERT(mx_gradcheck(&gc, y, 2, nm, in) > 0);
        mx_exec_free(e);
        mx_sym_free(y);
        mx_sym_free(a);
        mx_sym_free(b);
    }
    /* batch_dot: one product a batch, every transposition */
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            char p[64];
            snprintf(p, sizeof p, "transpose_a=%d transpose_b=%d", ta, tb);
            mx_sym *a = mx_var("a"), *b = mx_var("b"), *y = mx_op("batch_dot", p, a, b);
            CU_ASSERT_PTR_NOT_NULL_FATAL(y);
            const int B = 3, m = 2, n = 4, k = 5;
            mx_shape in[2] = {ta ? mx_shape_make(3, B, k, m) : mx_shape_make(3, B, m, k),
                              tb ? mx_shape_make(3, B, n, k) : mx_shape_make(3, B, k, n)};
            mx_exec *e = bind_n(y, 2, nm, in);
            mx_test_fill(mx_exec_arg(e, 0), -1, 1, 5);
            mx_test_fill(mx_exec_arg(e, 1), -1, 1, 6);
            CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
            const mx_nd *o = mx_exec_output(e, 0);
            mx_shape ws = mx_shape_make(3, B, m, n), os = mx_nd_shape(o);
            CU_ASSERT(mx_shape_equal(&os, &ws));
            double worst = 0, want[8];
            for (int i = 0; i < B; i++) {
                naive_gemm(ta, tb, m, n, k, mx_nd_data(mx_exec_arg(e, 0)) + i * m * k,
                           mx_nd_data(mx_exec_arg(e, 1)) + i * k * n, want);
                for (int j = 0; j < m * n; j++) worst = fmax(worst, fabs(mx_nd_data(o)[i * m * n + j] - want[j]));
            }
            CU_ASSERT(worst <= 1e-5);
            mx_gc_check gc = mx_gc_head("batch_dot");
            CU_ASSERT(mx_gradcheck(&gc, y, 2, nm, in) > 0);
            mx_exec_free(e);
            mx_sym_free(y);
            mx_sym_free(a);
            mx_sym_free(b);
        }
    /* errors name both shapes; sparse is not supported */
    mx_sym *a = mx_var("a"), *b = mx_var("b"), *y = mx_op("dot", "", a, b);
    mx_shape in[2] = {mx_shape_make(2, 3, 4), mx_shape_make(2, 3, 4)}, args[2], outs[1];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 2, nm, in, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("lhs (3,4) and rhs (3,4): contracted axes differ (4 against 3)");
    mx_sym_free(y);
    y = mx_op("batch_dot", "", a, b);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 2, nm, in, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("must be 3-D with the same batch");
    mx_sym_free(y);
    CU_ASSERT_PTR_NULL(mx_op("dot", "forward_stype=csr", a, b));
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("parameter 'forward_stype': value 'csr' is not supported by mxrt");
    mx_sym_free(a);
    mx_sym_free(b);
}

/* ---- smooth_l1, make_loss ---- */

static void test_smooth_l1_and_make_loss(void)
{
    static const float xv[] = {-3.0f, -0.2f, 0.0f, 0.1f, 0.7f, 2.0f};
    const char *nm[] = {"x"};
    mx_shape s = mx_shape_make(2, 2, 3);
    for (int k = 0; k < 2; k++) {
        double sigma = k ? 2.0 : 1.0;
        mx_sym *x = mx_var("x"), *y = mx_op("smooth_l1", k ? "scalar=2" : "", x);
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        mx_exec *e = bind_n(y, 1, nm, &s);
        mx_nd_copy_from(mx_exec_arg(e, 0), xv, 6);
        CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
        mx_nd *one = mx_nd_ones(s);
        CU_ASSERT_EQUAL(mx_exec_backward(e, &one), MX_OK);
        mx_nd_free(one);
        const float *o = mx_nd_data(mx_exec_output(e, 0)), *g = mx_nd_data(mx_exec_grad(e, 0));
        double worst = 0;
        for (int i = 0; i < 6; i++) {
            double v = xv[i], s2 = sigma * sigma;
            double f = fabs(v) < 1 / s2 ? 0.5 * s2 * v * v : fabs(v) - 0.5 / s2;
            double d = fabs(v) < 1 / s2 ? s2 * v : (v > 0 ? 1 : -1);
            worst = fmax(worst, fmax(fabs(o[i] - f), fabs(g[i] - d)));
        }
        if (worst > 1e-6) fprintf(stderr, "\n  smooth_l1 sigma %g: |Δ| %.3g\n", sigma, worst);
        CU_ASSERT(worst <= 1e-6);
        mx_exec_free(e);
        mx_sym_free(y);
        mx_sym_free(x);
    }
    mx_gc_check gc = mx_gc_head("smooth_l1");
    gc.nudge = 0.05f;
    mx_gradcheck_unary("smooth_l1", "scalar=1.5", mx_shape_make(2, 4, 5), gc);
    CU_ASSERT_EQUAL(out_shape("smooth_l1", "scalar=0", s).ndim, 0);
    ASSERT_ERROR_HAS("parameter 'scalar': 0 is not a positive sigma");
    /* make_loss: the output is the input, the gradient 1 whatever the head */
    mx_sym *y;
    mx_exec *e = run_iota("make_loss", "", s, &y);
    static const float iota[] = {0, 1, 2, 3, 4, 5}, ones[] = {1, 1, 1, 1, 1, 1};
    CU_ASSERT(output_is(e, s, iota, 6));
    CU_ASSERT_EQUAL(mx_exec_backward(e, NULL), MX_OK);
    CU_ASSERT_EQUAL(memcmp(mx_nd_data(mx_exec_grad(e, 0)), ones, sizeof ones), 0);
    mx_exec_free(e);
    mx_sym_free(y);
}

/* ---- Crop, broadcast_like, _full ---- */

static void test_crop_like_full(void)
{
    /* Crop by h_w at an offset, centred, and to crop_like's size */
    mx_sym *y;
    mx_exec *e = run_iota("Crop", "num_args=1 offset=(1,2) h_w=(2,2)", mx_shape_make(4, 1, 2, 4, 5), &y);
    static const float want0[] = {7, 8, 12, 13, 27, 28, 32, 33};
    CU_ASSERT(output_is(e, mx_shape_make(4, 1, 2, 2, 2), want0, 8));
    mx_nd *h = mx_nd_ones(mx_shape_make(4, 1, 2, 2, 2));
    CU_ASSERT_EQUAL(mx_exec_backward(e, &h), MX_OK);
    const float *g = mx_nd_data(mx_exec_grad(e, 0));
    float sum = 0;
    for (int i = 0; i < 40; i++) sum += g[i];
    CU_ASSERT(sum == 8.0f && g[7] == 1.0f && g[33] == 1.0f && g[6] == 0.0f);
    mx_nd_free(h);
    mx_exec_free(e);
    mx_sym_free(y);
    e = run_iota("Crop", "num_args=1 h_w=(2,3) center_crop=true", mx_shape_make(4, 1, 1, 4, 5), &y);
    static const float want1[] = {6, 7, 8, 11, 12, 13};
    CU_ASSERT(output_is(e, mx_shape_make(4, 1, 1, 2, 3), want1, 6));
    mx_exec_free(e);
    mx_sym_free(y);
    mx_sym *d = mx_var("data"), *like = mx_var("like"), *c = mx_op("Crop", "num_args=2 offset=(0,1)", d, like);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    mx_shape in[2] = {mx_shape_make(4, 2, 3, 4, 4), mx_shape_make(4, 2, 5, 3, 2)}, args[2], outs[1];
    CU_ASSERT_EQUAL(mx_infer_shape(c, 2, (const char *[]){"data", "like"}, in, args, outs, NULL), MX_OK);
    CU_ASSERT(outs[0].ndim == 4 && outs[0].dims[1] == 3 && outs[0].dims[2] == 3 && outs[0].dims[3] == 2);
    mx_gc_check gc = mx_gc_head("Crop");
    CU_ASSERT(mx_gradcheck(&gc, c, 2, (const char *[]){"data", "like"}, in) > 0);
    mx_sym_free(c);
    CU_ASSERT_EQUAL(out_shape("Crop", "num_args=1 offset=(3,0) h_w=(2,2)", mx_shape_make(4, 1, 1, 4, 4)).ndim, 0);
    ASSERT_ERROR_HAS("a 2x2 window at (3, 0) does not fit data (1,1,4,4)");
    CU_ASSERT_EQUAL(out_shape("Crop", "num_args=3", mx_shape_make(4, 1, 1, 4, 4)).ndim, 0);
    ASSERT_ERROR_HAS("parameter 'num_args': 3; Crop takes 1 (arg0) or 2 (arg0, and arg1 to crop like)");
    {
        mx_sym *v = mx_var("v"), *cr = mx_op("Crop", "name=cr num_args=2", v);
        const char *const *an;
        CU_ASSERT_EQUAL(mx_list_arguments(cr, &an), 2); /* MXNet's names */
        CU_ASSERT(!strcmp(an[0], "v") && !strcmp(an[1], "cr_arg1"));
        mx_sym_free(cr);
        mx_sym_free(v);
    }
    /* broadcast_like: to rhs's shape, or on named axes; rhs gets no gradient */
    mx_sym *b = mx_op("broadcast_like", "", d, like);
    in[0] = mx_shape_make(3, 2, 1, 4), in[1] = mx_shape_make(3, 2, 3, 4);
    CU_ASSERT_EQUAL(mx_infer_shape(b, 2, (const char *[]){"data", "like"}, in, args, outs, NULL), MX_OK);
    CU_ASSERT(mx_shape_equal(&outs[0], &in[1]));
    mx_exec *f = bind_n(b, 2, (const char *[]){"data", "like"}, in);
    mx_test_fill(mx_exec_arg(f, 0), -1, 1, 2);
    CU_ASSERT_EQUAL(mx_exec_forward(f, 1), MX_OK);
    const float *x = mx_nd_data(mx_exec_arg(f, 0)), *o = mx_nd_data(mx_exec_output(f, 0));
    CU_ASSERT(o[0] == x[0] && o[4] == x[0] && o[9] == x[1] && o[13] == x[5] && o[23] == x[7]);
    mx_exec_free(f);
    gc = mx_gc_head("broadcast_like");
    CU_ASSERT(mx_gradcheck(&gc, b, 2, (const char *[]){"data", "like"}, in) > 0);
    mx_sym_free(b);
    b = mx_op("broadcast_like", "lhs_axes=(0,) rhs_axes=(-1,)", d, like);
    in[0] = mx_shape_make(2, 1, 3), in[1] = mx_shape_make(2, 5, 7);
    CU_ASSERT_EQUAL(mx_infer_shape(b, 2, (const char *[]){"data", "like"}, in, args, outs, NULL), MX_OK);
    CU_ASSERT(outs[0].ndim == 2 && outs[0].dims[0] == 7 && outs[0].dims[1] == 3);
    in[0] = mx_shape_make(2, 2, 3);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(b, 2, (const char *[]){"data", "like"}, in, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("only size-1 axes broadcast");
    mx_sym_free(b);
    /* _full: a constant */
    mx_sym *k = mx_op("_full", "shape=(2,3) value=2.5");
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    mx_exec *fk = mx_simple_bind(k, mx_cpu(), 0, NULL, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fk);
    CU_ASSERT_EQUAL(mx_exec_forward(fk, 0), MX_OK);
    static const float full[6] = {2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f};
    CU_ASSERT(output_is(fk, mx_shape_make(2, 2, 3), full, 6));
    mx_exec_free(fk);
    mx_sym_free(k);
    CU_ASSERT_PTR_NULL(mx_op("_full", "shape=(2,3)"));
    ASSERT_ERROR_HAS("required parameter 'value' missing");
    mx_sym_free(d);
    mx_sym_free(like);
}

/* ---- values MXNet has that mxrt does not run, in the ops of this and earlier steps ---- */

static void test_not_supported(void)
{
    mx_sym *x = mx_var("x");
    CU_ASSERT_EQUAL(out_shape("MakeLoss", "name=ml normalization=valid", mx_shape_make(2, 2, 3)).ndim, 0);
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("'ml'");
    ASSERT_ERROR_HAS("parameter 'normalization': value 'valid' is not supported by mxrt");
    CU_ASSERT_EQUAL(out_shape("SliceChannel", "num_outputs=65 axis=1", mx_shape_make(2, 2, 130)).ndim, 0);
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("parameter 'num_outputs': 65 outputs are not supported by mxrt");
    CU_ASSERT_EQUAL(out_shape("Pooling", "global_pool=true kernel=(1,1) pool_type=avg", mx_shape_make(5, 1, 2, 3, 3, 3)).ndim,
                    0);
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("3-D pooling (N,C,D,H,W) is not supported by mxrt");
    /* a parameter error names the node once, however it is reached */
    CU_ASSERT_PTR_NULL(mx_op("transpose", "name=tr0 axes=(0,x)", x));
    const char *msg = mx_last_error(), *first = strstr(msg, "'tr0'");
    CU_ASSERT_PTR_NOT_NULL(first);
    CU_ASSERT(first && !strstr(first + 1, "'tr0'"));
    /* also when the name is a substring of the message; a missing parameter too */
    CU_ASSERT_PTR_NULL(mx_op("transpose", "name=a axes=(0,x)", x));
    ASSERT_ERROR_HAS("(node 'a')");
    CU_ASSERT_PTR_NULL(mx_op("slice", "name=sl0 end=(1,)", x));
    ASSERT_ERROR_HAS("slice: required parameter 'begin' missing (node 'sl0')");
    msg = mx_last_error();
    CU_ASSERT(strstr(msg, "sl0") == strrchr(msg, '\'') - 3);
    mx_sym_free(x);
}

/* ---- errors of #16's ops not checked above ---- */

static void test_more_errors(void)
{
    static const struct {
        const char *op, *params, *needle;
        mx_shape x;
    } t[] = {
        {"broadcast_to", "", "parameter 'shape' is required", {2, {2, 1}}},
        {"broadcast_to", "shape=(2,3,4)", "parameter 'shape': (2,3,4) has 3 dims, data has 2", {2, {2, 1}}},
        {"broadcast_to", "shape=(2,3)", "axis 0 of data (3,1) has size 3", {2, {3, 1}}},
        {"softmax", "axis=2", "parameter 'axis': 2 is out of range for data (2,3)", {2, {2, 3}}},
        {"log_softmax", "axis=-3", "parameter 'axis': -3 is out of range", {2, {2, 3}}},
        {"InstanceNorm", "eps=0", "parameter 'eps': 0 must be positive", {3, {2, 3, 4}}},
        {"L2Normalization", "eps=-1", "parameter 'eps': -1 is negative", {2, {2, 3}}},
        {"LRN", "nsize=3 knorm=0", "parameters 'knorm'/'alpha': 0, 0.0001", {3, {2, 3, 4}}},
        {"Crop", "num_args=1 offset=(1,2,3) h_w=(1,1)", "parameters 'offset' (1,2,3) and 'h_w' (1,1) must be two sizes",
         {4, {1, 1, 4, 4}}},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        mx_clear_error();
        CU_ASSERT_EQUAL(out_shape(t[i].op, t[i].params, t[i].x).ndim, 0);
        if (!strstr(mx_last_error(), t[i].needle)) fprintf(stderr, "\n  %s %s\n", t[i].op, t[i].params);
        ASSERT_ERROR_HAS(t[i].needle);
    }
    mx_sym *k = mx_op("_full", "shape=(2,-1) value=1");
    mx_shape none[1], kout[1];
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(k, 0, NULL, NULL, none, kout, NULL), MX_OK);
    ASSERT_ERROR_HAS("parameter 'shape': (2,-1): a negative dim");
    mx_sym_free(k);
    mx_sym *x = mx_var("x");
    CU_ASSERT_PTR_NULL(mx_op("MakeLoss", "normalization=sometimes", x));
    ASSERT_ERROR_HAS("parameter 'normalization'");
    /* broadcast_like: axis lists of different lengths, an axis out of range */
    mx_sym *y = mx_var("y"), *b = mx_op("broadcast_like", "lhs_axes=(0,1) rhs_axes=(0,)", x, y);
    mx_shape in[2] = {mx_shape_make(2, 1, 3), mx_shape_make(2, 4, 3)}, args[2], outs[1];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(b, 2, (const char *[]){"x", "y"}, in, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("parameters 'lhs_axes' and 'rhs_axes': 2 and 1 axes");
    mx_sym_free(b);
    b = mx_op("broadcast_like", "lhs_axes=(0,) rhs_axes=(5,)", x, y);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(b, 2, (const char *[]){"x", "y"}, in, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("0, 5 out of range for 2-D and 2-D inputs");
    mx_sym_free(b);
    mx_sym_free(y);
    mx_sym_free(x);
}

CU_ErrorCode mx_test_register_layoutops(void)
{
    CU_pSuite s = CU_add_suite("layoutops", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "transpose, SwapAxis: values, backward puts x back, gradchecks, errors", test_permutations);
    CU_add_test(s, "slice/crop: None entries, negative steps, clamping; gradients; errors", test_slice);
    CU_add_test(s, "Pad constant: values, gradients (write and add), errors, edge not supported", test_pad);
    CU_add_test(s, "where: full and per-row condition, gradients to x and y only, errors", test_where);
    CU_add_test(s, "dot, batch_dot: every transposition against double loops, gradchecks, errors", test_dot);
    CU_add_test(s, "smooth_l1 (sigma 1, 2) and make_loss: values and gradients", test_smooth_l1_and_make_loss);
    CU_add_test(s, "Crop (offset, centred, crop_like), broadcast_like, _full: values, gradients, errors",
                test_crop_like_full);
    CU_add_test(s, "errors: broadcast_to, softmax axis, InstanceNorm, L2Normalization, LRN, Crop, _full, MakeLoss, "
                   "broadcast_like", test_more_errors);
    CU_add_test(s, "not supported: MakeLoss valid, 65 SliceChannel outputs, 3-D pooling data; node named once",
                test_not_supported);
    return CUE_SUCCESS;
}
