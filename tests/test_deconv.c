/* test_deconv.c — the deconv suite: MXNet's Deconvolution and UpSampling (issue #16);
 * Deconvolution
 * against a direct loop written here (each input pixel spreads its
 * kernel-weighted values onto the output, MXNet's definition), output
 * sizes from the formula and from target_shape, numerical gradient checks
 * of data, weight and bias, an added data gradient, and the parameter
 * errors, including the values reported as not supported. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "suites.h"
#include "test_util.h"

typedef struct dcase {
    const char *params;
    mx_shape data;
    int f, groups, kh, kw, sh, sw, ph, pw, dh, dw, bias;
    int oh, ow; /* the output's spatial size the case expects */
} dcase;

/* y = deconv(x, w) + b by the definition, in double. */
static void naive(const dcase *t, const float *x, const float *w, const float *b, double *y)
{
    int two = t->data.ndim == 4;
    int n = (int)t->data.dims[0], c = (int)t->data.dims[1], h = two ? (int)t->data.dims[2] : 1;
    int wd = (int)t->data.dims[2 + two], cg = c / t->groups, fg = t->f / t->groups;
    size_t ohw = (size_t)t->oh * t->ow;
    for (int i = 0; i < n; i++)
        for (int f = 0; f < t->f; f++)
            for (size_t p = 0; p < ohw; p++) y[((size_t)i * t->f + f) * ohw + p] = t->bias ? b[f] : 0.0;
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
            for (int iy = 0; iy < h; iy++)
                for (int ix = 0; ix < wd; ix++) {
                    double v = x[(((size_t)i * c + ch) * h + iy) * wd + ix];
                    int g = ch / cg;
                    for (int fl = 0; fl < fg; fl++)
                        for (int ky = 0; ky < t->kh; ky++)
                            for (int kx = 0; kx < t->kw; kx++) {
                                int oy = iy * t->sh - t->ph + ky * t->dh, ox = ix * t->sw - t->pw + kx * t->dw;
                                if (oy < 0 || oy >= t->oh || ox < 0 || ox >= t->ow) continue;
                                double wv = w[(((size_t)ch * fg + fl) * t->kh + ky) * t->kw + kx];
                                y[(((size_t)i * t->f + g * fg + fl) * t->oh + oy) * t->ow + ox] += v * wv;
                            }
                }
}

static const dcase cases[] = {
    {"kernel=(3,3) num_filter=4", {4, {2, 3, 4, 5}}, 4, 1, 3, 3, 1, 1, 0, 0, 1, 1, 0, 6, 7},
    {"kernel=(4,4) stride=(2,2) pad=(1,1) num_filter=3 no_bias=false", {4, {2, 2, 5, 4}}, 3, 1, 4, 4, 2, 2, 1, 1, 1,
     1, 1, 10, 8},
    {"kernel=(3,3) stride=(2,2) pad=(1,1) adj=(1,1) num_filter=2 no_bias=0", {4, {1, 3, 4, 4}}, 2, 1, 3, 3, 2, 2, 1,
     1, 1, 1, 1, 8, 8},
    {"kernel=(3,2) stride=(3,2) dilate=(2,1) pad=(2,0) num_filter=6 num_group=2", {4, {2, 4, 3, 3}}, 6, 2, 3, 2, 3,
     2, 2, 0, 2, 1, 0, 7, 6},
    {"kernel=(1,1) num_filter=5 no_bias=false", {4, {3, 4, 3, 3}}, 5, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 3, 3},
    {"kernel=(4,) stride=(2,) pad=(1,) num_filter=3", {3, {2, 3, 6}}, 3, 1, 1, 4, 1, 2, 0, 1, 1, 1, 0, 1, 12},
    /* target_shape: total padding 2·3 + 4 − 9 = 1 on each axis: pad 1, adj 1 (the pad given is ignored) */
    {"kernel=(4,4) stride=(2,2) target_shape=(9,9) num_filter=2 pad=(7,7)", {4, {1, 2, 4, 4}}, 2, 1, 4, 4, 2, 2, 1,
     1, 1, 1, 0, 9, 9},
};

static void test_values_against_the_definition(void)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const dcase *t = &cases[c];
        mx_sym *x = mx_var("data"), *y = mx_op("Deconvolution", t->params, x);
        if (!y) fprintf(stderr, "\n  %s: %s\n", t->params, mx_last_error());
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        const char *const *args;
        CU_ASSERT_EQUAL(mx_list_arguments(y, &args), t->bias ? 3 : 2); /* no_bias is true by default */
        mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, (const char *[]){"data"}, &t->data, NULL);
        if (!e) fprintf(stderr, "\n  bind %s: %s\n", t->params, mx_last_error());
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        for (int i = 0; i < mx_exec_num_args(e); i++) mx_test_fill(mx_exec_arg(e, i), -1, 1, 21u + (unsigned)i);
        CU_ASSERT_EQUAL(mx_exec_forward(e, 0), MX_OK);
        const mx_nd *o = mx_exec_output(e, 0);
        mx_shape os = mx_nd_shape(o);
        int two = t->data.ndim == 4;
        mx_shape want = two ? mx_shape_make(4, t->data.dims[0], t->f, t->oh, t->ow)
                            : mx_shape_make(3, t->data.dims[0], t->f, t->ow);
        if (!mx_shape_equal(&os, &want)) {
            char a[64], b[64];
            fprintf(stderr, "\n  %s: output %s, want %s\n", t->params, mx_shape_str(&os, a, sizeof a),
                    mx_shape_str(&want, b, sizeof b));
        }
        CU_ASSERT_FATAL(mx_shape_equal(&os, &want));
        double *ref = malloc(mx_nd_size(o) * sizeof *ref);
        naive(t, mx_nd_data(mx_exec_arg(e, 0)), mx_nd_data(mx_exec_arg(e, 1)),
              t->bias ? mx_nd_data(mx_exec_arg(e, 2)) : NULL, ref);
        double worst = 0;
        for (size_t i = 0; i < mx_nd_size(o); i++) worst = fmax(worst, fabs(mx_nd_data(o)[i] - ref[i]));
        if (worst > 1e-5) fprintf(stderr, "\n  %s: |Δ| %.3g\n", t->params, worst);
        CU_ASSERT(worst <= 1e-5);
        free(ref);
        mx_exec_free(e);
        mx_sym_free(y);
        mx_sym_free(x);
    }
}

static void test_gradients(void)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (c == 4) continue; /* the 1×1 case: the same code path as the first */
        mx_sym *x = mx_var("data"), *y = mx_op("Deconvolution", cases[c].params, x);
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        mx_gc_check gc = mx_gc_head("Deconvolution");
        CU_ASSERT(mx_gradcheck(&gc, y, 1, (const char *[]){"data"}, &cases[c].data) > 0);
        mx_sym_free(y);
        mx_sym_free(x);
    }
    /* an added data gradient: twice the written one after two backward passes */
    mx_sym *x = mx_var("data"), *y = mx_op("Deconvolution", cases[1].params, x);
    mx_exec *e[2];
    for (int k = 0; k < 2; k++) {
        mx_grad_req req[3] = {k ? MX_GRAD_ADD : MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE};
        e[k] = mx_simple_bind(y, mx_cpu(), 1, (const char *[]){"data"}, &cases[1].data, req);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e[k]);
        for (int i = 0; i < mx_exec_num_args(e[k]); i++) mx_test_fill(mx_exec_arg(e[k], i), -1, 1, 5u + (unsigned)i);
        mx_nd_fill(mx_exec_grad(e[k], 0), 0.0f);
        for (int pass = 0; pass < 2; pass++) {
            CU_ASSERT_EQUAL(mx_exec_forward(e[k], 1), MX_OK);
            mx_nd *h = mx_nd_ones(mx_nd_shape(mx_exec_output(e[k], 0)));
            CU_ASSERT_EQUAL(mx_exec_backward(e[k], &h), MX_OK);
            mx_nd_free(h);
        }
    }
    const mx_nd *gw = mx_exec_grad(e[0], 0), *ga = mx_exec_grad(e[1], 0);
    double worst = 0;
    for (size_t i = 0; i < mx_nd_size(gw); i++) worst = fmax(worst, fabs(2.0 * mx_nd_data(gw)[i] - mx_nd_data(ga)[i]));
    CU_ASSERT(worst <= 1e-5);
    mx_exec_free(e[0]);
    mx_exec_free(e[1]);
    mx_sym_free(y);
    mx_sym_free(x);
}

/* The shape Deconvolution(params) infers from data of shape s (ndim 0: error). */
static mx_shape out_of(const char *params, mx_shape s)
{
    mx_shape bad = {0, {0}}, args[3], outs[1];
    mx_sym *x = mx_var("data"), *y = mx_op("Deconvolution", params, x);
    mx_sym_free(x);
    if (!y) return bad;
    mx_status st = mx_infer_shape(y, 1, (const char *[]){"data"}, &s, args, outs, NULL);
    mx_sym_free(y);
    return st == MX_OK ? outs[0] : bad;
}

static void test_shapes_and_errors(void)
{
    mx_shape d = mx_shape_make(4, 1, 2, 5, 5);
    /* (H−1)·s − 2p + d·(k−1) + 1 + adj */
    mx_shape o = out_of("kernel=(3,3) stride=(2,2) pad=(1,1) adj=(1,0) num_filter=4", d);
    CU_ASSERT(o.ndim == 4 && o.dims[1] == 4 && o.dims[2] == 10 && o.dims[3] == 9);
    o = out_of("kernel=(2,2) stride=(2,2) target_shape=(10,9) num_filter=1", d);
    CU_ASSERT(o.ndim == 4 && o.dims[2] == 10 && o.dims[3] == 9);
    o = out_of("kernel=(2,2) stride=(2,2) target_shape=(0,0) pad=(1,1) num_filter=1", d); /* zeros: not given */
    CU_ASSERT(o.ndim == 4 && o.dims[2] == 8 && o.dims[3] == 8);
    static const struct {
        const char *params, *needle;
        mx_status st;
    } bad[] = {
        {"kernel=(3,3) stride=(2,2) adj=(2,0) num_filter=2", "parameter 'adj': (2,0) must be smaller than the stride",
         MX_EINVAL},
        {"kernel=(2,2) stride=(2,2) target_shape=(40,40) num_filter=1",
         "parameter 'target_shape': (40,40) on axis 0 is larger than the deconvolution can make", MX_EINVAL},
        {"kernel=(2,2) stride=(2,2) target_shape=(10,11) num_filter=1",
         "parameter 'target_shape': (10,11) on axis 1 is larger", MX_EINVAL},
        {"kernel=(2,2) target_shape=(5,5) num_filter=1", "needs an odd padding with stride 1", MX_ENOTSUP},
        {"kernel=(3,3) pad=(4,4) num_filter=1", "parameter 'pad': (4,4) leaves no output on axis 0", MX_EINVAL},
        {"kernel=(3,3) num_filter=3 num_group=2", "parameter 'num_filter': 3 is not divisible by num_group 2",
         MX_EINVAL},
        {"kernel=(3,3) num_filter=4 num_group=4", "parameter 'num_group': 4 does not divide the 2 channels", MX_EINVAL},
        {"kernel=(3,3,3) num_filter=2", "3-D deconvolution is not supported by mxrt", MX_ENOTSUP},
        {"kernel=(3,) num_filter=2", "argument 'data': shape (1,2,5,5) must be (N,C,W) for a 1-D kernel", MX_EINVAL},
        {"kernel=(3,3) stride=(1,1,1) num_filter=2", "parameter 'stride': (1,1,1) has 3 entries", MX_EINVAL},
        {"kernel=(3,3) num_filter=2 layout=NCW", "parameter 'layout': NCW does not fit a 2-D kernel", MX_EINVAL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mx_clear_error();
        CU_ASSERT_EQUAL(out_of(bad[i].params, d).ndim, 0);
        if (!strstr(mx_last_error(), bad[i].needle)) fprintf(stderr, "\n  %s\n", bad[i].params);
        ASSERT_ERROR_HAS(bad[i].needle);
        CU_ASSERT_EQUAL(mx_last_status(), bad[i].st);
    }
    mx_sym *x = mx_var("data");
    CU_ASSERT_PTR_NULL(mx_op("Deconvolution", "kernel=(3,3) num_filter=2 layout=NHWC", x));
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("parameter 'layout': value 'NHWC' is not supported by mxrt");
    CU_ASSERT_PTR_NULL(mx_op("Deconvolution", "kernel=(3,3)", x));
    ASSERT_ERROR_HAS("required parameter 'num_filter' missing");
    /* MXNet's tuning keys load and change nothing */
    mx_sym *y = mx_op("Deconvolution", "kernel=(3,3) num_filter=2 workspace=2048 cudnn_tune=fastest cudnn_off=1", x);
    CU_ASSERT_PTR_NOT_NULL(y);
    mx_sym_free(y);
    mx_sym_free(x);
}

/* ---- UpSampling ---- */

/* Binds sym over inputs (names, shapes) filled with U(-1, 1), forward run. */
static mx_exec *bind_fill(mx_sym *sym, int n, const char *const *names, const mx_shape *shapes)
{
    mx_grad_req req[4] = {MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE};
    mx_exec *e = mx_simple_bind(sym, mx_cpu(), n, names, shapes, req);
    if (!e) fprintf(stderr, "\n  bind: %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    for (int i = 0; i < mx_exec_num_args(e); i++) mx_test_fill(mx_exec_arg(e, i), -1, 1, 31u + (unsigned)i);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    return e;
}

static void test_upsampling_nearest(void)
{
    /* one input, by hand */
    mx_sym *a = mx_var("a"), *b = mx_var("b");
    mx_sym *u = mx_op("UpSampling", "scale=2 sample_type=nearest num_args=1", a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    mx_shape s = mx_shape_make(4, 1, 1, 2, 2);
    mx_exec *e = bind_fill(u, 1, (const char *[]){"a"}, &s);
    mx_nd_copy_from(mx_exec_arg(e, 0), (float[]){1, 2, 3, 4}, 4);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    static const float want[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    CU_ASSERT_EQUAL(memcmp(mx_nd_data(mx_exec_output(e, 0)), want, sizeof want), 0);
    mx_nd *h = mx_nd_empty(mx_shape_make(4, 1, 1, 4, 4));
    float hv[16];
    for (int i = 0; i < 16; i++) hv[i] = (float)i;
    mx_nd_copy_from(h, hv, 16);
    mx_exec_backward(e, &h);
    const float *g = mx_nd_data(mx_exec_grad(e, 0));
    CU_ASSERT(g[0] == 0 + 1 + 4 + 5 && g[1] == 2 + 3 + 6 + 7 && g[3] == 10 + 11 + 14 + 15);
    mx_nd_free(h);
    mx_exec_free(e);
    mx_sym_free(u);
    /* two inputs of other sizes, joined (concat) or added (sum): against index arithmetic */
    for (int sum = 0; sum < 2; sum++) {
        u = mx_op("UpSampling", sum ? "scale=2 sample_type=nearest num_args=2 multi_input_mode=sum"
                                    : "scale=3 sample_type=nearest num_args=2", a, b);
        CU_ASSERT_PTR_NOT_NULL_FATAL(u);
        mx_shape in[2] = {mx_shape_make(4, 2, 2, 2, 3), sum ? mx_shape_make(4, 2, 2, 4, 2) : mx_shape_make(4, 2, 3, 1, 3)};
        e = bind_fill(u, 2, (const char *[]){"a", "b"}, in);
        const mx_nd *o = mx_exec_output(e, 0);
        mx_shape os = mx_nd_shape(o);
        int64_t f = sum ? 2 : 3, oc = sum ? 2 : 5, oh = 2 * f, ow = 3 * f;
        CU_ASSERT_FATAL(os.ndim == 4 && os.dims[1] == oc && os.dims[2] == oh && os.dims[3] == ow);
        const float *x0 = mx_nd_data(mx_exec_arg(e, 0)), *x1 = mx_nd_data(mx_exec_arg(e, 1));
        int bad = 0;
        for (int64_t n = 0; n < 2; n++)
            for (int64_t c = 0; c < oc; c++)
                for (int64_t y = 0; y < oh; y++)
                    for (int64_t x = 0; x < ow; x++) {
                        double v0 = 0, v1 = 0;
                        int in1 = !sum && c >= 2;
                        if (!in1) v0 = x0[((n * 2 + c) * 2 + y / f) * 3 + x / f];
                        int64_t h1 = in[1].dims[2], w1 = in[1].dims[3], c1 = in[1].dims[1];
                        if (sum || in1)
                            v1 = x1[((n * c1 + (sum ? c : c - 2)) * h1 + y / (oh / h1)) * w1 + x / (ow / w1)];
                        bad += fabs(mx_nd_data(o)[((n * oc + c) * oh + y) * ow + x] - (v0 + v1)) > 1e-6;
                    }
        CU_ASSERT_EQUAL(bad, 0);
        mx_gc_check gc = mx_gc_head("UpSampling nearest");
        CU_ASSERT(mx_gradcheck(&gc, u, 2, (const char *[]){"a", "b"}, in) > 0);
        mx_exec_free(e);
        mx_sym_free(u);
    }
    mx_sym_free(a);
    mx_sym_free(b);
}

static void test_upsampling_bilinear(void)
{
    /* MXNet's bilinear is a depthwise deconvolution: kernel 2s − s%2, stride s, pad ⌈(s−1)/2⌉ */
    for (int scale = 2; scale <= 3; scale++) {
        char p[96];
        snprintf(p, sizeof p, "scale=%d sample_type=bilinear num_filter=3 num_args=2", scale);
        mx_sym *x = mx_var("data"), *u = mx_op("UpSampling", p, x);
        CU_ASSERT_PTR_NOT_NULL_FATAL(u);
        const char *const *args;
        CU_ASSERT_EQUAL(mx_list_arguments(u, &args), 2);
        mx_shape s = mx_shape_make(4, 2, 3, 4, 5);
        mx_exec *e = bind_fill(u, 1, (const char *[]){"data"}, &s);
        int k = 2 * scale - scale % 2;
        mx_shape ws = mx_shape_make(4, 3, 1, k, k), got = mx_nd_shape(mx_exec_arg(e, 1));
        CU_ASSERT(mx_shape_equal(&got, &ws));
        dcase t = {p, s, 3, 3, k, k, scale, scale, scale / 2, scale / 2, 1, 1, 0, 4 * scale, 5 * scale};
        const mx_nd *o = mx_exec_output(e, 0);
        CU_ASSERT_EQUAL_FATAL(mx_nd_size(o), (size_t)2 * 3 * 20 * scale * scale);
        double *ref = malloc(mx_nd_size(o) * sizeof *ref), worst = 0;
        naive(&t, mx_nd_data(mx_exec_arg(e, 0)), mx_nd_data(mx_exec_arg(e, 1)), NULL, ref);
        for (size_t i = 0; i < mx_nd_size(o); i++) worst = fmax(worst, fabs(mx_nd_data(o)[i] - ref[i]));
        CU_ASSERT(worst <= 1e-5);
        free(ref);
        mx_gc_check gc = mx_gc_head("UpSampling bilinear");
        CU_ASSERT(mx_gradcheck(&gc, u, 1, (const char *[]){"data"}, &s) > 0);
        mx_exec_free(e);
        mx_sym_free(u);
        mx_sym_free(x);
    }
}

static void test_upsampling_errors(void)
{
    static const struct {
        const char *params, *needle;
        mx_shape a;
    } bad[] = {
        {"scale=2 sample_type=bilinear num_filter=3 num_args=1", "parameter 'num_args': bilinear takes 2", {4, {1, 3, 2, 2}}},
        {"scale=2 sample_type=bilinear num_filter=4 num_args=2", "parameter 'num_filter': 4 must be the channels",
         {4, {1, 3, 2, 2}}},
        {"scale=2 sample_type=nearest num_args=1", "UpSampling needs (N,C,H,W) data, got (3,2,2)", {3, {3, 2, 2}}},
        {"scale=2147483647 sample_type=nearest num_args=1", "parameter 'scale': 2147483647 makes an output too large",
         {4, {1, 1, 2, 2}}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mx_sym *x = mx_var("a"), *u = mx_op("UpSampling", bad[i].params, x);
        CU_ASSERT_PTR_NOT_NULL_FATAL(u);
        mx_shape args[2], outs[1];
        CU_ASSERT_NOT_EQUAL(mx_infer_shape(u, 1, (const char *[]){"a"}, &bad[i].a, args, outs, NULL), MX_OK);
        ASSERT_ERROR_HAS(bad[i].needle);
        mx_sym_free(u);
        mx_sym_free(x);
    }
    /* a second input whose size does not divide the output's; sum with other channels */
    mx_sym *a = mx_var("a"), *b = mx_var("b");
    mx_shape in[2] = {mx_shape_make(4, 1, 2, 2, 2), mx_shape_make(4, 1, 2, 3, 2)}, args[2], outs[1];
    mx_sym *u = mx_op("UpSampling", "scale=2 sample_type=nearest num_args=2", a, b);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(u, 2, (const char *[]){"a", "b"}, in, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("argument 'arg1': (1,2,3,2) must be (N,C,h,w) with N 1 and h, w dividing the output's 4x4");
    mx_sym_free(u);
    u = mx_op("UpSampling", "scale=2 sample_type=nearest num_args=2 multi_input_mode=sum", a, b);
    in[1] = mx_shape_make(4, 1, 3, 4, 4);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(u, 2, (const char *[]){"a", "b"}, in, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("multi_input_mode=sum needs 2 channels, as arg0");
    mx_sym_free(u);
    CU_ASSERT_PTR_NULL(mx_op("UpSampling", "scale=2 sample_type=nearest num_args=2", a));
    ASSERT_ERROR_HAS("1 inputs given, num_args says 2");
    CU_ASSERT_PTR_NULL(mx_op("UpSampling", "scale=2 num_args=1", a));
    ASSERT_ERROR_HAS("required parameter 'sample_type' missing");
    mx_sym_free(a);
    mx_sym_free(b);
}

CU_ErrorCode mx_test_register_deconv(void)
{
    CU_pSuite s = CU_add_suite("deconv", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "Deconvolution: 7 geometries (stride, pad, adj, dilate, groups, bias, 1-D, target_shape) "
                   "against the definition", test_values_against_the_definition);
    CU_add_test(s, "gradcheck: data, weight, bias; an added data gradient", test_gradients);
    CU_add_test(s, "output sizes, target_shape, errors and not-supported values", test_shapes_and_errors);
    CU_add_test(s, "UpSampling nearest: by hand, two inputs joined and added against index arithmetic, gradchecks",
                test_upsampling_nearest);
    CU_add_test(s, "UpSampling bilinear (scale 2, 3): the depthwise deconvolution's definition, gradcheck",
                test_upsampling_bilinear);
    CU_add_test(s, "UpSampling: errors name the argument or parameter", test_upsampling_errors);
    return CUE_SUCCESS;
}
