/* test_optimizer.c — the "optimizer" suite: SGD follows MXNet.jl's update
 * (g ← g·rescale; clip to ±clip if clip > 0; g ← g + wd·W; then W −= lr·g,
 * or v = μv − lr·g, W += v) step after step, checked against the same
 * formula evaluated here in double precision, on the one-thread and the
 * multi-threaded path; bad options fail at create naming the option. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mx/engine.h"
#include "mx/optimizer.h"
#include "suites.h"

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* Deterministic values in [lo, hi) from a small LCG of our own. */
static float lcg_uniform(uint32_t *state, float lo, float hi)
{
    *state = *state * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)(*state >> 8) / 16777216.0f;
}

/* One reference step in double, following MXNet.jl's SGD. */
static void ref_step(const mx_sgd_opts *o, double *w, double *v, const float *g, size_t n)
{
    double rescale = o->rescale_grad > 0 ? o->rescale_grad : 1.0;
    for (size_t i = 0; i < n; i++) {
        double gi = (double)g[i] * rescale;
        if (o->clip_gradient > 0) {
            if (gi > o->clip_gradient) gi = o->clip_gradient;
            if (gi < -o->clip_gradient) gi = -o->clip_gradient;
        }
        gi += (double)o->weight_decay * w[i];
        if (o->momentum > 0) {
            v[i] = (double)o->momentum * v[i] - (double)o->lr * gi;
            w[i] += v[i];
        } else {
            w[i] -= (double)o->lr * gi;
        }
    }
}

/* Runs `steps` updates of an n-element weight with fresh gradients in
 * [-grange, grange) each step and compares with the reference; returns the
 * number of elements that differ beyond a float tolerance at any step. */
static size_t run_sgd(const mx_sgd_opts *o, size_t n, int steps, float grange, size_t *clipped)
{
    mx_optimizer *opt = mx_sgd_create(o);
    CU_ASSERT_FATAL(opt != NULL);
    size_t ns = mx_optimizer_state_size(opt, n);
    CU_ASSERT_EQUAL(ns, o->momentum > 0 ? n : 0);
    mx_nd *w = mx_nd_empty(mx_shape_make(1, (int)n)), *g = mx_nd_empty(mx_shape_make(1, (int)n));
    float *state = ns ? calloc(ns, sizeof(float)) : NULL;
    double *rw = malloc(n * sizeof(double)), *rv = calloc(n, sizeof(double));
    CU_ASSERT_FATAL(w && g && rw && rv && (state || !ns));
    uint32_t seed = (uint32_t)n * 7919u + 17u;
    for (size_t i = 0; i < n; i++) rw[i] = mx_nd_data(w)[i] = lcg_uniform(&seed, -1.0f, 1.0f);
    size_t bad = 0;
    *clipped = 0;
    double rescale = o->rescale_grad > 0 ? o->rescale_grad : 1.0;
    for (int step = 0; step < steps; step++) {
        float *gd = mx_nd_data(g);
        for (size_t i = 0; i < n; i++) {
            gd[i] = lcg_uniform(&seed, -grange, grange);
            if (o->clip_gradient > 0 && fabs(gd[i] * rescale) > o->clip_gradient) (*clipped)++;
        }
        ref_step(o, rw, rv, gd, n);
        mx_optimizer_update(opt, w, g, state);
        for (size_t i = 0; i < n; i++) {
            double got = mx_nd_data(w)[i];
            if (!(fabs(got - rw[i]) <= 2e-6 * (1.0 + fabs(rw[i])))) bad++;
            if (ns && !(fabs(state[i] - rv[i]) <= 2e-6 * (1.0 + fabs(rv[i])))) bad++;
        }
    }
    free(state), free(rw), free(rv);
    mx_nd_free(w), mx_nd_free(g);
    mx_optimizer_free(opt);
    return bad;
}

static const size_t sizes[] = {1, 7, 1000, 4099};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static mx_sgd_opts opts(float lr, float mom, float wd, float rescale, float clip)
{
    mx_sgd_opts o = {lr, mom, wd, rescale, clip};
    return o;
}

static void check_all_sizes(mx_sgd_opts o, float grange)
{
    size_t clipped;
    for (size_t k = 0; k < NSIZES; k++) CU_ASSERT_EQUAL(run_sgd(&o, sizes[k], 6, grange, &clipped), 0);
}

static void test_sgd_plain_follows_formula(void) { check_all_sizes(opts(0.1f, 0, 0, 1, 0), 1.0f); }

static void test_sgd_momentum_follows_formula(void) { check_all_sizes(opts(0.05f, 0.9f, 0, 1, 0), 1.0f); }

static void test_sgd_weight_decay_follows_formula(void)
{
    check_all_sizes(opts(0.1f, 0, 0.01f, 1, 0), 1.0f);
    /* With a zero gradient only the decay acts: W ← W·(1 − lr·wd) each step. */
    mx_sgd_opts o = opts(0.5f, 0, 0.1f, 1, 0);
    mx_optimizer *opt = mx_sgd_create(&o);
    float wv[3] = {1, -2, 4}, gv[3] = {0, 0, 0};
    mx_nd *w = mx_nd_from(mx_shape_make(1, 3), wv), *g = mx_nd_from(mx_shape_make(1, 3), gv);
    CU_ASSERT_FATAL(opt && w && g);
    for (int s = 0; s < 5; s++) mx_optimizer_update(opt, w, g, NULL);
    double f = pow(1.0 - 0.5 * 0.1, 5);
    for (int i = 0; i < 3; i++) CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(w)[i], wv[i] * f, 1e-5);
    mx_nd_free(w), mx_nd_free(g), mx_optimizer_free(opt);
}

static void test_sgd_rescale_grad_scales_the_gradient(void)
{
    check_all_sizes(opts(0.1f, 0, 0, 1.0f / 32, 0), 8.0f);
    /* One step by hand: W = 1, g = 4, rescale 0.25, lr 0.5 → 1 − 0.5·1 = 0.5. */
    mx_sgd_opts o = opts(0.5f, 0, 0, 0.25f, 0);
    mx_optimizer *opt = mx_sgd_create(&o);
    float one = 1, four = 4;
    mx_nd *w = mx_nd_from(mx_shape_make(1, 1), &one), *g = mx_nd_from(mx_shape_make(1, 1), &four);
    CU_ASSERT_FATAL(opt && w && g);
    CU_ASSERT_DOUBLE_EQUAL(mx_optimizer_rescale(opt), 0.25, 1e-9);
    mx_optimizer_update(opt, w, g, NULL);
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(w)[0], 0.5, 1e-7);
    mx_optimizer_set_rescale(opt, 0.125f); /* set_rescale takes effect: 0.5 − 0.5·0.5 */
    CU_ASSERT_DOUBLE_EQUAL(mx_optimizer_rescale(opt), 0.125, 1e-9);
    mx_optimizer_update(opt, w, g, NULL);
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(w)[0], 0.25, 1e-7);
    mx_nd_free(w), mx_nd_free(g), mx_optimizer_free(opt);
}

static void test_sgd_clips_gradients_beyond_clip(void)
{
    mx_sgd_opts o = opts(0.1f, 0, 0, 1, 0.5f);
    size_t clipped;
    for (size_t k = 1; k < NSIZES; k++) {
        CU_ASSERT_EQUAL(run_sgd(&o, sizes[k], 6, 2.0f, &clipped), 0);
        CU_ASSERT(clipped > sizes[k]); /* most gradients were beyond ±clip */
    }
    /* By hand: g = ±10 clipped to ±0.5, lr 1: W moves by exactly ∓0.5. */
    float wv[2] = {0, 0}, gv[2] = {10, -10};
    o.lr = 1.0f;
    mx_optimizer *opt = mx_sgd_create(&o);
    mx_nd *w = mx_nd_from(mx_shape_make(1, 2), wv), *g = mx_nd_from(mx_shape_make(1, 2), gv);
    CU_ASSERT_FATAL(opt && w && g);
    mx_optimizer_update(opt, w, g, NULL);
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(w)[0], -0.5, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(w)[1], 0.5, 1e-7);
    mx_nd_free(w), mx_nd_free(g), mx_optimizer_free(opt);
}

static void test_sgd_all_options_combined_follow_formula(void)
{
    mx_sgd_opts o = opts(0.03f, 0.8f, 0.002f, 0.5f, 0.75f);
    size_t clipped;
    for (size_t k = 0; k < NSIZES; k++) CU_ASSERT_EQUAL(run_sgd(&o, sizes[k], 8, 3.0f, &clipped), 0);
}

static void test_sgd_multithreaded_path_matches_formula(void)
{
    CU_ASSERT_FATAL(mx_engine_set_default(2, MX_BIND_NONE) == MX_OK);
    CU_ASSERT_EQUAL(mx_engine_threads(mx_engine_default()), 2);
    static const size_t big[] = {65537, 100003, 200000};
    size_t clipped;
    mx_sgd_opts combined = opts(0.03f, 0.8f, 0.002f, 0.5f, 0.75f), plain = opts(0.1f, 0, 0, 1, 0);
    for (size_t k = 0; k < 3; k++) {
        CU_ASSERT_EQUAL(run_sgd(&combined, big[k], 5, 3.0f, &clipped), 0);
        CU_ASSERT(clipped > 0);
        CU_ASSERT_EQUAL(run_sgd(&plain, big[k], 5, 1.0f, &clipped), 0);
    }
}

static void expect_bad_option(mx_sgd_opts o, const char *name)
{
    mx_clear_error();
    mx_optimizer *opt = mx_sgd_create(&o);
    CU_ASSERT_PTR_NULL(opt);
    CU_ASSERT(has(mx_last_error(), name));
    if (!has(mx_last_error(), name)) fprintf(stderr, "\n  error '%s' lacks '%s'\n", mx_last_error(), name);
    mx_optimizer_free(opt);
}

static void test_sgd_rejects_bad_options_naming_them(void)
{
    const float nan = NAN, inf = INFINITY;
    mx_sgd_opts d = mx_sgd_defaults(), o;
    o = d, o.lr = 0;          expect_bad_option(o, "lr");
    o = d, o.lr = -0.1f;      expect_bad_option(o, "lr");
    o = d, o.lr = nan;        expect_bad_option(o, "lr");
    o = d, o.lr = inf;        expect_bad_option(o, "lr");
    o = d, o.momentum = 1.0f; expect_bad_option(o, "momentum");
    o = d, o.momentum = 1.5f; expect_bad_option(o, "momentum");
    o = d, o.momentum = -0.1f; expect_bad_option(o, "momentum");
    o = d, o.momentum = nan;  expect_bad_option(o, "momentum");
    o = d, o.weight_decay = -1e-4f; expect_bad_option(o, "weight_decay");
    o = d, o.weight_decay = nan;    expect_bad_option(o, "weight_decay");
    o = d, o.rescale_grad = -1;     expect_bad_option(o, "rescale_grad");
    o = d, o.rescale_grad = nan;    expect_bad_option(o, "rescale_grad");
    o = d, o.clip_gradient = -1;    expect_bad_option(o, "clip_gradient");
    o = d, o.clip_gradient = nan;   expect_bad_option(o, "clip_gradient");
}

static void test_sgd_defaults_are_mxnet_jl_defaults(void)
{
    mx_sgd_opts d = mx_sgd_defaults();
    CU_ASSERT_EQUAL(d.lr, 0.01f);
    CU_ASSERT_EQUAL(d.momentum, 0.0f);
    CU_ASSERT_EQUAL(d.weight_decay, 1e-4f);
    CU_ASSERT_EQUAL(d.clip_gradient, 0.0f);
    CU_ASSERT_EQUAL(d.rescale_grad, 0.0f);
    mx_optimizer *opt = mx_sgd_create(NULL); /* NULL means the defaults */
    CU_ASSERT_FATAL(opt != NULL);
    CU_ASSERT_STRING_EQUAL(mx_optimizer_name(opt), "SGD");
    CU_ASSERT_EQUAL(mx_optimizer_state_size(opt, 1000), 0);
    CU_ASSERT_EQUAL(mx_optimizer_rescale(opt), 0.0f);
    mx_optimizer_free(opt);
    /* Defaults as given follow the formula too (rescale 0 acts as 1). */
    size_t clipped;
    CU_ASSERT_EQUAL(run_sgd(&d, 777, 5, 1.0f, &clipped), 0);
}

CU_ErrorCode mx_test_register_optimizer(void)
{
    CU_pSuite s = CU_add_suite("optimizer", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "plain SGD follows the formula", test_sgd_plain_follows_formula);
    CU_add_test(s, "momentum follows the formula", test_sgd_momentum_follows_formula);
    CU_add_test(s, "weight decay follows the formula", test_sgd_weight_decay_follows_formula);
    CU_add_test(s, "rescale_grad scales the gradient", test_sgd_rescale_grad_scales_the_gradient);
    CU_add_test(s, "clips gradients beyond clip", test_sgd_clips_gradients_beyond_clip);
    CU_add_test(s, "all options combined follow the formula", test_sgd_all_options_combined_follow_formula);
    CU_add_test(s, "multi-threaded path matches the formula", test_sgd_multithreaded_path_matches_formula);
    CU_add_test(s, "rejects bad options naming them", test_sgd_rejects_bad_options_naming_them);
    CU_add_test(s, "defaults are MXNet.jl's", test_sgd_defaults_are_mxnet_jl_defaults);
    return CU_get_error();
}
