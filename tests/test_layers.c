/* test_layers.c — Dropout, BatchNorm, LeakyReLU and SoftmaxActivation:
 * numerical gradient checks for every setting that changes the math,
 * closed-form checks where randomness or aux state makes central
 * differences meaningless (dropout and rrelu masks, moving statistics),
 * shape errors, and (test_layers_model.c) symbol JSON and a BatchNorm
 * net trained on MNIST. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "suites.h"
#include "test_util.h"

/* Adds the symbol-JSON and MNIST tests (test_layers_model.c). */
void mx_test_layers_add_model_tests(CU_pSuite s);

/* Binds op(params) over one input "x" of shape s, every argument (x too)
 * with a written gradient; the other arguments' shapes are inferred. */
static mx_exec *bind_unary(const char *op, const char *params, mx_shape s)
{
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op(op, params, x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    mx_grad_req reqs[8];
    for (int i = 0; i < 8; i++) reqs[i] = MX_GRAD_WRITE;
    const char *names[] = {"x"};
    mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, names, &s, reqs);
    if (!e) fprintf(stderr, "\n  bind %s %s: %s\n", op, params, mx_last_error());
    mx_sym_free(x);
    mx_sym_free(y);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    return e;
}

static float *arg(mx_exec *e, const char *name) { return mx_nd_data(mx_exec_arg(e, mx_exec_arg_index(e, name))); }
static float *grad(mx_exec *e, const char *name) { return mx_nd_data(mx_exec_grad(e, mx_exec_arg_index(e, name))); }
static float *out0(mx_exec *e) { return mx_nd_data(mx_exec_output(e, 0)); }
static size_t n_out(mx_exec *e) { return mx_nd_size(mx_exec_output(e, 0)); }

/* |a − b| ≤ tol·(1 + |b|) over n entries; prints the first miss. */
static int close_to(const float *a, const double *b, size_t n, double tol, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (fabs(a[i] - b[i]) > tol * (1.0 + fabs(b[i]))) {
            fprintf(stderr, "\n  %s[%zu]: got %.7g want %.7g\n", what, i, (double)a[i], b[i]);
            return 0;
        }
    return 1;
}

/* Runs backward with head gradient H = U(-1, 1) (seed 3) and returns H. */
static mx_nd *backward_random_head(mx_exec *e)
{
    mx_nd *h = mx_nd_empty(mx_nd_shape(mx_exec_output(e, 0)));
    mx_test_fill(h, -1.0f, 1.0f, 3);
    mx_nd *heads[] = {h, NULL, NULL};
    CU_ASSERT_EQUAL(mx_exec_backward(e, heads), MX_OK);
    return h;
}

/* ---- gradient checks ---- */

static void test_layers_gradcheck_batchnorm(void)
{
    static const struct { const char *params; mx_shape s; } cases[] = {
        {"name=bn fix_gamma=false", {4, {2, 3, 2, 2}}},
        {"name=bn", {4, {2, 3, 2, 2}}}, /* fix_gamma: gamma ignored, zero gradient */
        {"name=bn fix_gamma=false", {2, {5, 3}}},
        {"name=bn fix_gamma=false axis=-1", {3, {2, 2, 3}}},
        {"name=bn fix_gamma=false axis=3", {4, {2, 2, 1, 3}}},
        /* global stats (zero here, hence eps = 0.5): a per-channel affine map */
        {"name=bn fix_gamma=false use_global_stats=true eps=0.5", {4, {2, 3, 2, 2}}},
        {"name=bn fix_gamma=false momentum=0.5 eps=1e-2", {4, {3, 2, 2, 2}}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "BatchNorm %s", cases[i].params);
        mx_gradcheck_unary("BatchNorm", cases[i].params, cases[i].s, mx_gc_head(what));
    }
}

static void test_layers_gradcheck_leaky_relu(void)
{
    static const char *const params[] = {
        "act_type=leaky", "act_type=leaky slope=-0.5", "act_type=elu slope=0.7",
        "name=pr act_type=prelu"};
    mx_shape shapes[] = {mx_shape_make(3, 2, 3, 4), mx_shape_make(2, 4, 3), mx_shape_make(4, 2, 3, 2, 2)};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        for (int k = 0; k < 3; k++) {
            mx_gc_check c = mx_gc_head(params[i]);
            c.lo = -2.0f; c.hi = 2.0f; c.nudge = 0.05f; /* keep clear of the kink at 0 */
            mx_gradcheck_unary("LeakyReLU", params[i], shapes[k], c);
        }
    /* prelu with one slope shared by every channel: gamma given as (1,) */
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("LeakyReLU", "name=pr act_type=prelu", x);
    const char *names[] = {"x", "pr_gamma"};
    mx_shape s[] = {mx_shape_make(3, 2, 3, 4), mx_shape_make(1, 1)};
    mx_gc_check c = mx_gc_head("prelu gamma (1,)");
    c.lo = -2.0f; c.hi = 2.0f; c.nudge = 0.05f;
    mx_gradcheck(&c, y, 2, names, s);
    mx_sym_free(x);
    mx_sym_free(y);
}

static void test_layers_gradcheck_softmax_activation(void)
{
    mx_gc_check c = mx_gc_head("SoftmaxActivation");
    c.lo = -2.0f; c.hi = 2.0f;
    mx_gradcheck_unary("SoftmaxActivation", "", mx_shape_make(2, 3, 5), c);
    mx_gradcheck_unary("SoftmaxActivation", "mode=instance", mx_shape_make(3, 2, 3, 2), c);
    mx_gradcheck_unary("SoftmaxActivation", "mode=channel", mx_shape_make(3, 2, 4, 3), c);
    mx_gradcheck_unary("SoftmaxActivation", "mode=channel", mx_shape_make(4, 2, 3, 2, 2), c);
}

static void test_layers_softmax_activation_normalises_the_right_axes(void)
{
    mx_shape s = mx_shape_make(4, 2, 3, 2, 2);
    for (int mode = 0; mode < 2; mode++) {
        mx_exec *e = bind_unary("SoftmaxActivation", mode ? "mode=channel" : "mode=instance", s);
        mx_test_fill(mx_exec_arg(e, 0), -3.0f, 3.0f, 5);
        CU_ASSERT_EQUAL(mx_exec_forward(e, 0), MX_OK);
        const float *y = out0(e);
        /* instance: one distribution per sample (12 values); channel: one
         * per (sample, position) over the 3 channels. */
        for (int nidx = 0; nidx < 2; nidx++)
            for (int pos = 0; pos < (mode ? 4 : 1); pos++) {
                double sum = 0.0;
                for (int k = 0; k < (mode ? 3 : 12); k++) sum += y[nidx * 12 + (mode ? k * 4 + pos : k)];
                CU_ASSERT(fabs(sum - 1.0) < 1e-5);
            }
        mx_exec_free(e);
    }
}

/* ---- BatchNorm statistics ---- */

/* Per-channel mean and biased variance of x (n, c, inner), in double. */
static void channel_stats(const float *x, int n, int c, int inner, double *mean, double *var)
{
    for (int ch = 0; ch < c; ch++) {
        double s = 0.0, q = 0.0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < inner; j++) s += x[(i * c + ch) * inner + j];
        mean[ch] = s / (n * inner);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < inner; j++) {
                double d = x[(i * c + ch) * inner + j] - mean[ch];
                q += d * d;
            }
        var[ch] = q / (n * inner);
    }
}

static void test_layers_batchnorm_moving_stats_follow_the_recursion(void)
{
    enum { N = 4, C = 2, IN = 9, K = 3 };
    const double m = 0.8, eps = 1e-3;
    mx_exec *e = bind_unary("BatchNorm", "name=bn momentum=0.8 output_mean_var=true", mx_shape_make(4, N, C, 3, 3));
    CU_ASSERT_EQUAL_FATAL(mx_exec_num_aux(e), 2);
    CU_ASSERT_STRING_EQUAL(mx_exec_aux_name(e, 0), "bn_moving_mean");
    CU_ASSERT_STRING_EQUAL(mx_exec_aux_name(e, 1), "bn_moving_var");
    CU_ASSERT_EQUAL_FATAL(mx_exec_num_outputs(e), 3);
    float *mm = mx_nd_data(mx_exec_aux(e, 0)), *mv = mx_nd_data(mx_exec_aux(e, 1));
    float *beta = arg(e, "bn_beta");
    beta[0] = 0.25f; beta[1] = -0.5f;
    double rm[C] = {0, 0}, rv[C] = {0, 0}, mean[C], var[C], want[N * C * IN];
    for (int k = 0; k < K; k++) {
        /* A different batch each step, with channel-dependent offsets. */
        float *x = arg(e, "x");
        mx_test_fill(mx_exec_arg(e, 0), -1.0f, 1.0f, 100 + (unsigned)k);
        for (int i = 0; i < N * C * IN; i++) x[i] = x[i] * (1.0f + (float)k) + ((i / IN) % C ? 3.0f : -2.0f);
        CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
        channel_stats(x, N, C, IN, mean, var);
        for (int ch = 0; ch < C; ch++) {
            rm[ch] = m * rm[ch] + (1 - m) * mean[ch];
            rv[ch] = m * rv[ch] + (1 - m) * var[ch];
        }
        CU_ASSERT(close_to(mm, rm, C, 1e-5, "moving_mean"));
        CU_ASSERT(close_to(mv, rv, C, 1e-5, "moving_var"));
        /* Training output: batch statistics, gamma fixed at 1. */
        for (int i = 0; i < N * C * IN; i++) {
            int ch = (i / IN) % C;
            want[i] = (x[i] - mean[ch]) / sqrt(var[ch] + eps) + beta[ch];
        }
        CU_ASSERT(close_to(out0(e), want, N * C * IN, 1e-5, "training output"));
        double inv[C] = {1 / sqrt(var[0] + eps), 1 / sqrt(var[1] + eps)};
        CU_ASSERT(close_to(mx_nd_data(mx_exec_output(e, 1)), mean, C, 1e-5, "output mean"));
        CU_ASSERT(close_to(mx_nd_data(mx_exec_output(e, 2)), inv, C, 1e-5, "output invstd"));
    }
    /* Inference: the moving statistics, which it leaves alone. */
    float keep[2 * C];
    memcpy(keep, mm, sizeof(float) * C);
    memcpy(keep + C, mv, sizeof(float) * C);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 0), MX_OK);
    const float *x = arg(e, "x");
    for (int i = 0; i < N * C * IN; i++) {
        int ch = (i / IN) % C;
        want[i] = (x[i] - rm[ch]) / sqrt(rv[ch] + eps) + beta[ch];
    }
    CU_ASSERT(close_to(out0(e), want, N * C * IN, 1e-4, "inference output"));
    CU_ASSERT_EQUAL(memcmp(keep, mm, sizeof(float) * C), 0);
    CU_ASSERT_EQUAL(memcmp(keep + C, mv, sizeof(float) * C), 0);
    mx_exec_free(e);
}

static void test_layers_batchnorm_global_stats_closed_form(void)
{
    enum { N = 3, C = 2, IN = 2, T = N * C * IN };
    const double eps = 1e-3;
    mx_exec *e = bind_unary("BatchNorm", "name=bn fix_gamma=false use_global_stats=true", mx_shape_make(3, N, C, IN));
    float *mm = mx_nd_data(mx_exec_aux(e, 0)), *mv = mx_nd_data(mx_exec_aux(e, 1));
    float *g = arg(e, "bn_gamma"), *b = arg(e, "bn_beta"), *x = arg(e, "x");
    mm[0] = 0.5f; mm[1] = -1.0f; mv[0] = 4.0f; mv[1] = 0.25f;
    g[0] = 2.0f; g[1] = -1.0f; b[0] = 0.1f; b[1] = 0.2f;
    mx_test_fill(mx_exec_arg(e, 0), -2.0f, 2.0f, 9);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK); /* training, yet global stats */
    mx_nd *h = backward_random_head(e);
    const float *hd = mx_nd_data(h);
    double y[T], dx[T], dg[C] = {0, 0}, db[C] = {0, 0};
    for (int i = 0; i < T; i++) {
        int ch = (i / IN) % C;
        double is = 1 / sqrt(mv[ch] + eps), xh = (x[i] - mm[ch]) * is;
        y[i] = xh * g[ch] + b[ch];
        dx[i] = hd[i] * g[ch] * is;
        dg[ch] += hd[i] * xh;
        db[ch] += hd[i];
    }
    CU_ASSERT(close_to(out0(e), y, T, 1e-5, "y"));
    CU_ASSERT(close_to(grad(e, "x"), dx, T, 1e-5, "dx"));
    CU_ASSERT(close_to(grad(e, "bn_gamma"), dg, C, 1e-5, "dgamma"));
    CU_ASSERT(close_to(grad(e, "bn_beta"), db, C, 1e-5, "dbeta"));
    /* The moving statistics stay as they were. */
    CU_ASSERT(mm[0] == 0.5f && mm[1] == -1.0f && mv[0] == 4.0f && mv[1] == 0.25f);
    mx_nd_free(h);
    mx_exec_free(e);
}

/* Forward + backward of op on 1 and on 2 threads: the same bits (the
 * per-channel reductions have a fixed order), every output and gradient. */
static void same_bits_on_1_and_2_threads(const char *op, const char *params, mx_shape s)
{
    mx_exec *e[2];
    for (int t = 0; t < 2; t++) {
        mx_engine *eng = mx_engine_create(t + 1, MX_BIND_NONE);
        e[t] = bind_unary(op, params, s);
        mx_exec_set_engine(e[t], eng);
        for (int i = 0; i < mx_exec_num_args(e[t]); i++) mx_test_fill(mx_exec_arg(e[t], i), -2.0f, 2.0f, 20 + (unsigned)i);
        CU_ASSERT_EQUAL(mx_exec_forward(e[t], 1), MX_OK);
        mx_nd_free(backward_random_head(e[t]));
        mx_exec_set_engine(e[t], mx_engine_default());
        mx_engine_free(eng);
    }
    CU_ASSERT_EQUAL(memcmp(out0(e[0]), out0(e[1]), n_out(e[0]) * sizeof(float)), 0);
    for (int i = 0; i < mx_exec_num_args(e[0]); i++) {
        mx_nd *g0 = mx_exec_grad(e[0], i), *g1 = mx_exec_grad(e[1], i);
        CU_ASSERT_EQUAL(memcmp(mx_nd_data(g0), mx_nd_data(g1), mx_nd_size(g0) * sizeof(float)), 0);
    }
    for (int i = 0; i < mx_exec_num_aux(e[0]); i++)
        CU_ASSERT_EQUAL(memcmp(mx_nd_data(mx_exec_aux(e[0], i)), mx_nd_data(mx_exec_aux(e[1], i)),
                               mx_nd_size(mx_exec_aux(e[0], i)) * sizeof(float)), 0);
    mx_exec_free(e[0]);
    mx_exec_free(e[1]);
}

static void test_layers_reductions_independent_of_thread_count(void)
{
    same_bits_on_1_and_2_threads("BatchNorm", "name=bn fix_gamma=false", mx_shape_make(4, 16, 40, 6, 6));
    same_bits_on_1_and_2_threads("BatchNorm", "name=bn fix_gamma=false", mx_shape_make(2, 300, 70));
    same_bits_on_1_and_2_threads("LeakyReLU", "name=pr act_type=prelu", mx_shape_make(4, 16, 40, 6, 6));
}

/* ---- Dropout ---- */

/* Bytes: 1 where y kept x (x has no zeros), 0 where it was dropped. */
static void kept_mask(mx_exec *e, unsigned char *m)
{
    const float *y = out0(e);
    for (size_t i = 0; i < n_out(e); i++) m[i] = y[i] != 0.0f;
}

static void test_layers_dropout_gradient_is_the_forward_mask(void)
{
    const float p = 0.3f, scale = 1.0f / (1.0f - p);
    mx_exec *e = bind_unary("Dropout", "p=0.3", mx_shape_make(2, 50, 40));
    mx_test_fill(mx_exec_arg(e, 0), 0.5f, 1.5f, 4);
    const float *x = arg(e, "x");
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    const float *y = out0(e);
    size_t n = n_out(e), kept = 0;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 0.0f) kept++;
        if (y[i] != 0.0f && fabsf(y[i] - x[i] * scale) > 1e-6f * y[i]) bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(kept > n / 2 && kept < n); /* some of each */
    mx_nd *h = backward_random_head(e);
    const float *hd = mx_nd_data(h), *dx = grad(e, "x");
    for (size_t i = 0; i < n; i++)
        if (dx[i] != (y[i] != 0.0f ? hd[i] * scale : 0.0f)) bad++;
    CU_ASSERT_EQUAL(bad, 0);
    /* Inference: the identity, forward and backward. */
    CU_ASSERT_EQUAL(mx_exec_forward(e, 0), MX_OK);
    CU_ASSERT_EQUAL(memcmp(out0(e), x, n * sizeof(float)), 0);
    mx_nd *heads[] = {h};
    CU_ASSERT_EQUAL(mx_exec_backward(e, heads), MX_OK);
    CU_ASSERT_EQUAL(memcmp(grad(e, "x"), hd, n * sizeof(float)), 0);
    mx_nd_free(h);
    mx_exec_free(e);
    /* p = 0: the identity even in training. */
    e = bind_unary("Dropout", "p=0", mx_shape_make(2, 4, 5));
    mx_test_fill(mx_exec_arg(e, 0), -1.0f, 1.0f, 4);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    CU_ASSERT_EQUAL(memcmp(out0(e), arg(e, "x"), 20 * sizeof(float)), 0);
    mx_exec_free(e);
}

static void test_layers_dropout_mask_reproducible_for_a_seed(void)
{
    enum { N = 1 << 18 };
    unsigned char *a = malloc(N), *b = malloc(N);
    mx_exec *e = bind_unary("Dropout", "p=0.5", mx_shape_make(1, N));
    mx_nd_fill(mx_exec_arg(e, 0), 1.0f);
    mx_rng_seed(mx_exec_rng(e), 99);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    kept_mask(e, a);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK); /* the next batch: a new mask */
    kept_mask(e, b);
    CU_ASSERT_NOT_EQUAL(memcmp(a, b, N), 0);
    /* The same seed, on 1 and on 2 threads: the same mask. */
    for (int threads = 1; threads <= 2; threads++) {
        mx_engine *eng = mx_engine_create(threads, MX_BIND_NONE);
        mx_exec_set_engine(e, eng);
        mx_rng_seed(mx_exec_rng(e), 99);
        CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
        kept_mask(e, b);
        CU_ASSERT_EQUAL(memcmp(a, b, N), 0);
        mx_exec_set_engine(e, mx_engine_default());
        mx_engine_free(eng);
    }
    mx_exec_free(e);
    /* Executors bound after the same global seed draw the same masks. */
    for (int k = 0; k < 2; k++) {
        mx_random_seed(2024);
        e = bind_unary("Dropout", "p=0.5", mx_shape_make(1, N));
        mx_nd_fill(mx_exec_arg(e, 0), 1.0f);
        CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
        kept_mask(e, k ? b : a);
        mx_exec_free(e);
    }
    CU_ASSERT_EQUAL(memcmp(a, b, N), 0);
    free(a);
    free(b);
}

static void test_layers_dropout_rate_and_expectation(void)
{
    enum { N = 1 << 20 };
    static const char *const params[] = {"p=0.5", "p=0.2", "p=0.75 mode=always"};
    static const float rates[] = {0.5f, 0.2f, 0.75f};
    for (int k = 0; k < 3; k++) {
        mx_exec *e = bind_unary("Dropout", params[k], mx_shape_make(2, 1024, N / 1024));
        mx_nd_fill(mx_exec_arg(e, 0), 1.0f);
        /* mode=always drops at inference too */
        CU_ASSERT_EQUAL(mx_exec_forward(e, k == 2 ? 0 : 1), MX_OK);
        const float *y = out0(e);
        double zeros = 0.0, sum = 0.0;
        for (size_t i = 0; i < N; i++) {
            zeros += y[i] == 0.0f;
            sum += y[i];
        }
        /* Binomial: σ of the rate ≤ 0.0005 and of the mean ≤ 0.0018 here;
         * the tolerances are over 5σ. */
        printf("\n  %s: dropped %.4f, mean %.4f (x = 1)", params[k], zeros / N, sum / N);
        CU_ASSERT(fabs(zeros / N - rates[k]) < 0.005);
        CU_ASSERT(fabs(sum / N - 1.0) < 0.01);
        mx_exec_free(e);
    }
}

/* ---- LeakyReLU ---- */

static void test_layers_leaky_relu_values(void)
{
    static const float xs[4] = {-2.0f, -0.5f, 0.5f, 3.0f};
    mx_exec *e = bind_unary("LeakyReLU", "", mx_shape_make(2, 2, 2)); /* leaky, slope 0.25 */
    memcpy(arg(e, "x"), xs, sizeof xs);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    double want[4] = {-0.5, -0.125, 0.5, 3.0};
    CU_ASSERT(close_to(out0(e), want, 4, 1e-7, "leaky"));
    mx_exec_free(e);
    e = bind_unary("LeakyReLU", "act_type=elu slope=0.7", mx_shape_make(2, 2, 2));
    memcpy(arg(e, "x"), xs, sizeof xs);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    double welu[4] = {0.7 * expm1(-2.0), 0.7 * expm1(-0.5), 0.5, 3.0};
    CU_ASSERT(close_to(out0(e), welu, 4, 1e-6, "elu"));
    mx_exec_free(e);
}

static void test_layers_rrelu_inference_and_training_mask(void)
{
    enum { N = 10000 };
    const float lo = 0.1f, hi = 0.3f, mean = 0.5f * (lo + hi);
    mx_exec *e = bind_unary("LeakyReLU", "act_type=rrelu lower_bound=0.1 upper_bound=0.3", mx_shape_make(2, 100, 100));
    mx_test_fill(mx_exec_arg(e, 0), -2.0f, 2.0f, 6);
    const float *x = arg(e, "x");
    /* Inference: the mean slope, and its gradient. */
    CU_ASSERT_EQUAL(mx_exec_forward(e, 0), MX_OK);
    static double want[N];
    for (int i = 0; i < N; i++) want[i] = x[i] > 0 ? x[i] : mean * x[i];
    CU_ASSERT(close_to(out0(e), want, N, 1e-6, "rrelu inference"));
    mx_nd *h = backward_random_head(e);
    const float *hd = mx_nd_data(h);
    for (int i = 0; i < N; i++) want[i] = x[i] > 0 ? hd[i] : mean * hd[i];
    CU_ASSERT(close_to(grad(e, "x"), want, N, 1e-6, "rrelu inference gradient"));
    /* Training: a slope per element in [lo, hi], and backward uses it. */
    mx_rng_seed(mx_exec_rng(e), 17);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    static float slope[N];
    const float *y = out0(e);
    double sum = 0.0, sq = 0.0;
    int neg = 0, out_of_range = 0;
    for (int i = 0; i < N; i++) {
        slope[i] = x[i] < 0 ? y[i] / x[i] : 1.0f;
        if (x[i] > 0 && y[i] != x[i]) out_of_range++;
        if (x[i] >= 0) continue;
        neg++;
        sum += slope[i];
        sq += (double)slope[i] * slope[i];
        if (slope[i] < lo - 1e-6f || slope[i] > hi + 1e-6f) out_of_range++;
    }
    double m = sum / neg, sd = sqrt(sq / neg - m * m);
    printf("\n  rrelu slopes: mean %.4f (want %.4f), sd %.4f (U(0.1,0.3): 0.0577)", m, (double)mean, sd);
    CU_ASSERT_EQUAL(out_of_range, 0);
    CU_ASSERT(fabs(m - mean) < 0.005);  /* σ of the mean ≈ 0.0008 */
    CU_ASSERT(fabs(sd - 0.0577) < 0.005);
    mx_nd *heads[] = {h};
    CU_ASSERT_EQUAL(mx_exec_backward(e, heads), MX_OK);
    for (int i = 0; i < N; i++) want[i] = hd[i] * slope[i];
    CU_ASSERT(close_to(grad(e, "x"), want, N, 1e-5, "rrelu training gradient"));
    /* The same seed gives the same slopes. */
    static float y1[N];
    memcpy(y1, y, sizeof y1);
    mx_rng_seed(mx_exec_rng(e), 17);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    CU_ASSERT_EQUAL(memcmp(y1, out0(e), sizeof y1), 0);
    mx_nd_free(h);
    mx_exec_free(e);
}

/* ---- shape errors ---- */

/* infer_shape of op(params) over x (plus an optional second named input) fails mentioning needle. */
static void expect_infer_error(const char *op, const char *params, int n, const char *const *names,
                               const mx_shape *shapes, const char *needle)
{
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op(op, params, x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    mx_shape args[8], outs[4], aux[4];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, n, names, shapes, args, outs, aux), MX_OK);
    ASSERT_ERROR_HAS(needle);
    mx_sym_free(x);
    mx_sym_free(y);
}

static void test_layers_infer_shape_errors(void)
{
    const char *x[] = {"x"};
    mx_shape d4 = mx_shape_make(4, 2, 3, 4, 5), d2 = mx_shape_make(2, 2, 3);
    expect_infer_error("Dropout", "name=drop p=1", 1, x, &d2, "Dropout 'drop': Dropout: p = 1 is outside [0, 1)");
    expect_infer_error("Dropout", "p=1.5", 1, x, &d2, "p = 1.5 is outside [0, 1)");
    expect_infer_error("Dropout", "p=-0.1", 1, x, &d2, "p = -0.1 is outside [0, 1)");
    expect_infer_error("BatchNorm", "name=bn axis=4", 1, x, &d4, "BatchNorm: axis 4 is out of range for data (2,3,4,5)");
    expect_infer_error("BatchNorm", "axis=-5", 1, x, &d4, "axis -5 is out of range");
    const char *xg[] = {"x", "bn_gamma"};
    mx_shape bad_g[] = {d4, mx_shape_make(1, 4)};
    expect_infer_error("BatchNorm", "name=bn", 2, xg, bad_g, "argument 'gamma' has shape (4) but (3) is expected");
    const char *xp[] = {"x", "pr_gamma"};
    mx_shape bad_p[] = {d2, mx_shape_make(1, 5)};
    expect_infer_error("LeakyReLU", "name=pr act_type=prelu", 2, xp, bad_p,
                       "LeakyReLU: argument 'gamma' has shape (5) but (3) or (1) is expected");
    expect_infer_error("LeakyReLU", "act_type=rrelu lower_bound=0.5 upper_bound=0.2", 1, x, &d2,
                       "lower_bound 0.5 is above upper_bound 0.2");
    expect_infer_error("SoftmaxActivation", "mode=channel", 1, x, &d2,
                       "mode=channel needs data of 3 or more dimensions, got (2,3)");
    /* Bad parameter values fail when the op is made. */
    mx_sym *v = mx_var("x");
    CU_ASSERT_PTR_NULL(mx_op("Dropout", "mode=sometimes", v));
    ASSERT_ERROR_HAS("one of training, always");
    /* MXNet's gelu: not supported (MX_ENOTSUP), listing what runs */
    CU_ASSERT_PTR_NULL(mx_op("LeakyReLU", "act_type=gelu", v));
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("value 'gelu' is not supported by mxrt (it runs leaky, prelu, rrelu, elu)");
    /* a value MXNet does not have either is a bad value, listing every one */
    CU_ASSERT_PTR_NULL(mx_op("LeakyReLU", "act_type=swish", v));
    CU_ASSERT_EQUAL(mx_last_status(), MX_EINVAL);
    ASSERT_ERROR_HAS("one of leaky, prelu, rrelu, elu, gelu, selu");
    mx_sym_free(v);
}

/* BatchNorm with output_mean_var whose data output nobody reads: the
 * executor gives that output no gradient buffer (NULL = zero), and
 * backward must write zero gradients instead of reading it. */
static void test_batchnorm_only_mean_used(void)
{
    mx_sym *x = mx_var("x");
    mx_sym *bn = mx_op("BatchNorm", "name=bn output_mean_var=1 fix_gamma=0", x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bn);
    mx_sym *mean = mx_sym_output(bn, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mean);
    const char *outs[3];
    CU_ASSERT_EQUAL(mx_list_outputs(bn, outs, 3), 3); /* MXNet's names */
    CU_ASSERT(!strcmp(outs[0], "bn_output") && !strcmp(outs[1], "bn_mean") && !strcmp(outs[2], "bn_var"));
    const char *names[] = {"x"};
    mx_shape s = mx_shape_make(2, 6, 3);
    mx_grad_req reqs[3] = {MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE};
    mx_exec *e = mx_simple_bind(mean, mx_cpu(), 1, names, &s, reqs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    for (int a = 0; a < mx_exec_num_args(e); a++) {
        mx_test_fill(mx_exec_arg(e, a), -1.0f, 1.0f, 5u + (unsigned)a);
        mx_nd_fill(mx_exec_grad(e, a), 9.0f);
    }
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    CU_ASSERT_EQUAL(mx_exec_backward(e, NULL), MX_OK);
    int nonzero = 0;
    for (int a = 0; a < mx_exec_num_args(e); a++) {
        const float *g = mx_nd_data(mx_exec_grad(e, a));
        for (size_t i = 0; i < mx_nd_size(mx_exec_grad(e, a)); i++) nonzero += g[i] != 0.0f;
    }
    CU_ASSERT_EQUAL(nonzero, 0);
    mx_exec_free(e);
    mx_sym_free(mean);
    mx_sym_free(bn);
    mx_sym_free(x);
}

CU_ErrorCode mx_test_register_layers(void)
{
    CU_pSuite s = CU_add_suite("layers", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "BatchNorm: only the mean output used gives zero gradients", test_batchnorm_only_mean_used);
    CU_add_test(s, "gradcheck BatchNorm", test_layers_gradcheck_batchnorm);
    CU_add_test(s, "gradcheck LeakyReLU", test_layers_gradcheck_leaky_relu);
    CU_add_test(s, "gradcheck SoftmaxActivation", test_layers_gradcheck_softmax_activation);
    CU_add_test(s, "SoftmaxActivation normalises the right axes", test_layers_softmax_activation_normalises_the_right_axes);
    CU_add_test(s, "BatchNorm moving stats follow the recursion", test_layers_batchnorm_moving_stats_follow_the_recursion);
    CU_add_test(s, "BatchNorm global stats closed form", test_layers_batchnorm_global_stats_closed_form);
    CU_add_test(s, "reductions independent of thread count", test_layers_reductions_independent_of_thread_count);
    CU_add_test(s, "Dropout gradient is the forward mask", test_layers_dropout_gradient_is_the_forward_mask);
    CU_add_test(s, "Dropout mask reproducible for a seed", test_layers_dropout_mask_reproducible_for_a_seed);
    CU_add_test(s, "Dropout rate and expectation", test_layers_dropout_rate_and_expectation);
    CU_add_test(s, "LeakyReLU values", test_layers_leaky_relu_values);
    CU_add_test(s, "rrelu inference and training mask", test_layers_rrelu_inference_and_training_mask);
    CU_add_test(s, "infer_shape errors", test_layers_infer_shape_errors);
    mx_test_layers_add_model_tests(s);
    return CU_get_error();
}
