/* test_normops.c — the normops suite: MXNet's LRN, L2Normalization (three
 * modes) and InstanceNorm (issue #16): forward values against the
 * formulas evaluated here in double precision, numerical gradient checks,
 * an added gradient equal to twice the written one, and the errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "suites.h"
#include "test_util.h"

/* Binds op(params) on data of shape s (U(lo, hi) inputs), forward run. */
static mx_exec *run(const char *op, const char *params, mx_shape s, float lo, float hi, mx_sym **keep)
{
    mx_sym *x = mx_var("data"), *y = mx_op(op, params, x);
    mx_sym_free(x);
    if (!y) fprintf(stderr, "\n  %s %s: %s\n", op, params, mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    mx_grad_req req[3] = {MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE};
    mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, (const char *[]){"data"}, &s, req);
    if (!e) fprintf(stderr, "\n  bind %s: %s\n", op, mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    for (int i = 0; i < mx_exec_num_args(e); i++) mx_test_fill(mx_exec_arg(e, i), lo, hi, 41u + (unsigned)i);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    *keep = y;
    return e;
}

/* The largest relative difference of e's output from want. */
static double worst_of(mx_exec *e, const double *want)
{
    const mx_nd *o = mx_exec_output(e, 0);
    double worst = 0;
    for (size_t i = 0; i < mx_nd_size(o); i++)
        worst = fmax(worst, fabs(mx_nd_data(o)[i] - want[i]) / fmax(1.0, fabs(want[i])));
    return worst;
}

/* The data's gradient with grad_req add after two passes equals twice
 * the written one after one (head: ones). */
static void check_added(const char *op, const char *params, mx_shape s)
{
    mx_sym *x = mx_var("data"), *y = mx_op(op, params, x);
    mx_exec *e[2];
    for (int k = 0; k < 2; k++) {
        mx_grad_req req[3] = {k ? MX_GRAD_ADD : MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE};
        e[k] = mx_simple_bind(y, mx_cpu(), 1, (const char *[]){"data"}, &s, req);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e[k]);
        for (int i = 0; i < mx_exec_num_args(e[k]); i++) mx_test_fill(mx_exec_arg(e[k], i), -1, 1, 3u + (unsigned)i);
        mx_nd_fill(mx_exec_grad(e[k], 0), 0.0f);
        for (int pass = 0; pass <= k; pass++) {
            CU_ASSERT_EQUAL(mx_exec_forward(e[k], 1), MX_OK);
            mx_nd *h = mx_nd_empty(s);
            mx_test_fill(h, -1, 1, 99);
            CU_ASSERT_EQUAL(mx_exec_backward(e[k], &h), MX_OK);
            mx_nd_free(h);
        }
    }
    const mx_nd *gw = mx_exec_grad(e[0], 0), *ga = mx_exec_grad(e[1], 0);
    double worst = 0;
    for (size_t i = 0; i < mx_nd_size(gw); i++) worst = fmax(worst, fabs(2.0 * mx_nd_data(gw)[i] - mx_nd_data(ga)[i]));
    if (worst > 1e-5) fprintf(stderr, "\n  %s %s: added gradient off by %.3g\n", op, params, worst);
    CU_ASSERT(worst <= 1e-5);
    mx_exec_free(e[0]);
    mx_exec_free(e[1]);
    mx_sym_free(y);
    mx_sym_free(x);
}

/* ---- LRN ---- */

static void test_lrn(void)
{
    static const struct {
        const char *params;
        int n;
        double alpha, beta, k;
    } t[] = {
        {"nsize=5", 5, 1e-4, 0.75, 2},
        {"nsize=3 alpha=0.5 beta=0.6 knorm=1", 3, 0.5, 0.6, 1},
        {"nsize=9 alpha=2 beta=1.5 knorm=0.5", 9, 2, 1.5, 0.5}, /* window wider than half the channels */
    };
    mx_shape s = mx_shape_make(4, 2, 7, 3, 2);
    for (size_t c = 0; c < sizeof t / sizeof t[0]; c++) {
        mx_sym *y;
        mx_exec *e = run("LRN", t[c].params, s, -2, 2, &y);
        const float *x = mx_nd_data(mx_exec_arg(e, 0));
        double want[84];
        for (int n = 0; n < 2; n++)
            for (int ch = 0; ch < 7; ch++)
                for (int p = 0; p < 6; p++) {
                    double sum = 0;
                    for (int k = ch - t[c].n / 2; k <= ch + t[c].n / 2; k++)
                        if (k >= 0 && k < 7) sum += (double)x[(n * 7 + k) * 6 + p] * x[(n * 7 + k) * 6 + p];
                    int i = (n * 7 + ch) * 6 + p;
                    want[i] = x[i] / pow(t[c].k + t[c].alpha / t[c].n * sum, t[c].beta);
                }
        double w = worst_of(e, want);
        if (w > 2e-6) fprintf(stderr, "\n  LRN %s: relative error %.3g\n", t[c].params, w);
        CU_ASSERT(w <= 2e-6);
        mx_gc_check gc = mx_gc_head("LRN");
        CU_ASSERT(mx_gradcheck(&gc, y, 1, (const char *[]){"data"}, &s) > 0);
        mx_exec_free(e);
        mx_sym_free(y);
    }
    check_added("LRN", "nsize=3 alpha=0.5", s);
    mx_sym *x = mx_var("data"), *y = mx_op("LRN", "nsize=4", x);
    mx_shape args[1], outs[1];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 1, (const char *[]){"data"}, &s, args, outs, NULL), MX_OK);
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("parameter 'nsize': an even window (4) is not supported by mxrt");
    mx_sym_free(y);
    CU_ASSERT_PTR_NULL(mx_op("LRN", "alpha=0.1", x));
    ASSERT_ERROR_HAS("required parameter 'nsize' missing");
    y = mx_op("LRN", "nsize=3", x);
    mx_shape one = mx_shape_make(1, 5);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 1, (const char *[]){"data"}, &one, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("argument 'data': (5) needs channels on axis 1");
    mx_sym_free(y);
    mx_sym_free(x);
}

/* ---- L2Normalization ---- */

static void test_l2_normalization(void)
{
    mx_shape s = mx_shape_make(4, 2, 3, 2, 4);
    static const char *const modes[] = {"mode=instance", "mode=channel", "mode=spatial eps=1e-3", ""};
    for (int m = 0; m < 4; m++) {
        mx_sym *y;
        mx_exec *e = run("L2Normalization", modes[m], s, -1, 1, &y);
        const float *x = mx_nd_data(mx_exec_arg(e, 0));
        double want[48], eps = m == 2 ? 1e-3 : 1e-10;
        int mode = m == 3 ? 0 : m; /* instance by default */
        for (int i = 0; i < 48; i++) {
            int n = i / 24, c = i / 8 % 3, p = i % 8;
            double sum = 0;
            for (int j = 0; j < 48; j++) {
                int nj = j / 24, cj = j / 8 % 3, pj = j % 8;
                int same = mode == 0 ? nj == n : mode == 1 ? nj == n && pj == p : nj == n && cj == c;
                if (same) sum += (double)x[j] * x[j];
            }
            want[i] = x[i] / sqrt(sum + eps);
        }
        double w = worst_of(e, want);
        if (w > 1e-6) fprintf(stderr, "\n  L2Normalization %s: relative error %.3g\n", modes[m], w);
        CU_ASSERT(w <= 1e-6);
        mx_gc_check gc = mx_gc_head("L2Normalization");
        CU_ASSERT(mx_gradcheck(&gc, y, 1, (const char *[]){"data"}, &s) > 0);
        mx_exec_free(e);
        mx_sym_free(y);
        check_added("L2Normalization", modes[m], s);
    }
    mx_sym *x = mx_var("data"), *y = mx_op("L2Normalization", "mode=spatial", x);
    mx_shape two = mx_shape_make(2, 4, 5), args[1], outs[1];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 1, (const char *[]){"data"}, &two, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("argument 'data': (4,5) has too few axes for mode spatial");
    mx_sym_free(y);
    CU_ASSERT_PTR_NULL(mx_op("L2Normalization", "mode=batch", x));
    ASSERT_ERROR_HAS("parameter 'mode'");
    mx_sym_free(x);
}

/* ---- InstanceNorm ---- */

static void test_instance_norm(void)
{
    mx_shape shapes[2] = {mx_shape_make(4, 2, 3, 2, 5), mx_shape_make(3, 3, 2, 7)};
    for (int k = 0; k < 2; k++) {
        mx_shape s = shapes[k];
        mx_sym *y;
        mx_exec *e = run("InstanceNorm", k ? "eps=0.01" : "", s, -1, 1, &y);
        double eps = k ? 0.01 : 1e-3;
        const float *x = mx_nd_data(mx_exec_arg(e, 0)), *gamma = mx_nd_data(mx_exec_arg(e, 1)),
                    *beta = mx_nd_data(mx_exec_arg(e, 2));
        int64_t n = s.dims[0], c = s.dims[1], m = (int64_t)mx_shape_tail(&s, 2);
        double *want = malloc(mx_shape_size(&s) * sizeof *want);
        for (int64_t pl = 0; pl < n * c; pl++) {
            double mean = 0, var = 0;
            for (int64_t i = 0; i < m; i++) mean += x[pl * m + i];
            mean /= (double)m;
            for (int64_t i = 0; i < m; i++) var += (x[pl * m + i] - mean) * (x[pl * m + i] - mean);
            var /= (double)m;
            for (int64_t i = 0; i < m; i++)
                want[pl * m + i] = (x[pl * m + i] - mean) / sqrt(var + eps) * gamma[pl % c] + beta[pl % c];
        }
        double w = worst_of(e, want);
        if (w > 2e-6) fprintf(stderr, "\n  InstanceNorm: relative error %.3g\n", w);
        CU_ASSERT(w <= 2e-6);
        free(want);
        const char *const *args;
        CU_ASSERT_EQUAL(mx_list_arguments(y, &args), 3);
        CU_ASSERT(strstr(args[1], "_gamma") && strstr(args[2], "_beta"));
        mx_gc_check gc = mx_gc_head("InstanceNorm");
        CU_ASSERT(mx_gradcheck(&gc, y, 1, (const char *[]){"data"}, &s) > 0);
        mx_exec_free(e);
        mx_sym_free(y);
    }
    check_added("InstanceNorm", "", shapes[0]);
    mx_sym *x = mx_var("data"), *y = mx_op("InstanceNorm", "", x);
    mx_shape two = mx_shape_make(2, 4, 5), args[3], outs[1];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 1, (const char *[]){"data"}, &two, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("argument 'data': (4,5) must be (N,C,…) with at least one spatial axis");
    mx_sym_free(y);
    mx_sym_free(x);
}

CU_ErrorCode mx_test_register_normops(void)
{
    CU_pSuite s = CU_add_suite("normops", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "LRN: three windows against the formula, gradchecks, added gradient, errors", test_lrn);
    CU_add_test(s, "L2Normalization: instance, channel, spatial against the formula, gradchecks, added gradients",
                test_l2_normalization);
    CU_add_test(s, "InstanceNorm: 2-D and 1-D planes against the formula, gradchecks of data, gamma, beta",
                test_instance_norm);
    return CUE_SUCCESS;
}
