/* test_optimizer.c — the "optimizer" suite: every optimizer follows its
 * MXNet.jl update (libmxnet's for NAG) step after step, with weight decay,
 * rescale_grad and clipping, against the formula evaluated in double
 * precision (here for SGD, test_optimizer_ref.c for all); the learning-rate
 * and momentum schedules match their closed forms and drive the updates;
 * the caller's state buffer holds all training state (a raw copy resumes
 * bit for bit, step counts exact past 2²⁴); two threads give one thread's
 * bits; bad options and specs fail naming the field or key. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mx/engine.h"
#include "mx/optimizer.h"
#include "suites.h"
#include "test_optimizer_ref.h"

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

/* ---- every optimizer, schedules, state, threads, specs ---- */

static const mx_opt_kind all_kinds[] = {MX_OPT_SGD, MX_OPT_NAG, MX_OPT_ADAM, MX_OPT_ADAGRAD,
                                        MX_OPT_ADADELTA, MX_OPT_ADAMAX, MX_OPT_RMSPROP, MX_OPT_NADAM};
#define NALL (sizeof all_kinds / sizeof all_kinds[0])

/* Float updates against the double reference: each step rounds a handful
 * of float operations (≈6e-8 relative each); over these runs the largest
 * error seen is 1.8e-7·(1 + |W|), so 2e-6 leaves a 10× margin while a
 * wrong formula (a bias correction one step off) misses by ~1e-3. */
#define TOL 2e-6

/* The kind's defaults with momentum for SGD/NAG and stronger decay. */
static mx_optimizer_opts with_all(mx_opt_kind k, float wd, float rescale, float clip)
{
    mx_optimizer_opts o = mx_optimizer_defaults(k);
    if (k == MX_OPT_SGD || k == MX_OPT_NAG) o.momentum = 0.9f;
    o.weight_decay = wd, o.rescale_grad = rescale, o.clip_gradient = clip;
    return o;
}

static void test_every_optimizer_follows_its_formula(void)
{
    for (size_t k = 0; k < NALL; k++) {
        size_t clipped;
        for (size_t s = 0; s < NSIZES; s++) {
            /* Defaults as given (rescale 0 acts as 1), then decay, rescale
             * and clipping together, then momentum-free SGD/NAG. */
            mx_optimizer_opts d = mx_optimizer_defaults(all_kinds[k]), all = with_all(all_kinds[k], 0.01f, 0.5f, 0.75f);
            ref_opt_cfg c1 = {sizes[s], 6, 1.0f, TOL, 0}, c2 = {sizes[s], 8, 3.0f, TOL, 0};
            CU_ASSERT_EQUAL(ref_opt_run(&d, &c1, &clipped), 0);
            CU_ASSERT_EQUAL(ref_opt_run(&all, &c2, &clipped), 0);
            if (sizes[s] >= 1000) CU_ASSERT(clipped > sizes[s]); /* clipping was exercised */
        }
    }
    /* NAG by hand, μ 0.5, η 0.1, W 1, g 2 twice (libmxnet: v = μv + g, W −= η(g + μv)):
     * v = 2, W = 1 − 0.1·3 = 0.7; v = 3, W = 0.7 − 0.1·3.5 = 0.35. */
    mx_optimizer_opts o = mx_optimizer_defaults(MX_OPT_NAG);
    o.lr = 0.1f, o.momentum = 0.5f, o.weight_decay = 0;
    mx_optimizer *opt = mx_optimizer_create(&o);
    float one = 1, two = 2, v = 0;
    mx_nd *w = mx_nd_from(mx_shape_make(1, 1), &one), *g = mx_nd_from(mx_shape_make(1, 1), &two);
    CU_ASSERT_FATAL(opt && w && g && mx_optimizer_state_size(opt, 1) == 1);
    mx_optimizer_update(opt, w, g, &v);
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(w)[0], 0.7, 1e-6);
    mx_optimizer_update(opt, w, g, &v);
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(w)[0], 0.35, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(v, 3.0, 1e-6);
    mx_nd_free(w), mx_nd_free(g), mx_optimizer_free(opt);
}

static void test_adam_first_step_by_hand(void)
{
    /* t = 1: m = 0.1g, v = 0.001g², a = √0.001/0.1, so W moves by η·sign(g)
     * (up to ϵ) whatever |g|: the bias corrections use β¹, not β⁰. */
    mx_optimizer_opts o = mx_optimizer_defaults(MX_OPT_ADAM);
    o.weight_decay = 0, o.lr = 0.01f;
    mx_optimizer *opt = mx_optimizer_create(&o);
    float wv[2] = {0, 0}, gv[2] = {3, -0.5f}, state[MX_OPT_HEADER + 4] = {0};
    mx_nd *w = mx_nd_from(mx_shape_make(1, 2), wv), *g = mx_nd_from(mx_shape_make(1, 2), gv);
    CU_ASSERT_FATAL(opt && w && g && mx_optimizer_state_size(opt, 2) == MX_OPT_HEADER + 4);
    mx_optimizer_update(opt, w, g, state);
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(w)[0], -0.01, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(w)[1], 0.01, 1e-7);
    CU_ASSERT_EQUAL(mx_optimizer_state_steps(opt, state), 1);
    mx_nd_free(w), mx_nd_free(g), mx_optimizer_free(opt);
}

static void test_nadam_follows_its_momentum_schedule(void)
{
    /* The default NadamScheduler(μ = β1) changes μₜ slowly; an explicit
     * one with a fast decay makes every step's μₜ, μₜ₊₁ and Πμ matter. */
    mx_optimizer_opts d = mx_optimizer_defaults(MX_OPT_NADAM), fast = d;
    fast.momentum_schedule.kind = MX_MOM_NADAM;
    fast.momentum_schedule.mu = 0.9f, fast.momentum_schedule.delta = 0.5f;
    fast.momentum_schedule.gamma = 0.6f, fast.momentum_schedule.alpha = 0.3f;
    fast.rescale_grad = 0.5f, fast.clip_gradient = 0.75f, fast.weight_decay = 0.01f;
    size_t clipped;
    ref_opt_cfg c = {1000, 12, 3.0f, TOL, 0};
    CU_ASSERT_EQUAL(ref_opt_run(&d, &c, &clipped), 0);
    CU_ASSERT_EQUAL(ref_opt_run(&fast, &c, &clipped), 0);
    CU_ASSERT(clipped > 0);
    /* The scheduler's μₜ against its closed form, both configurations. */
    for (double t = 1; t < 3000; t = t * 3 + 1) {
        mx_momentum_schedule s = fast.momentum_schedule;
        CU_ASSERT_DOUBLE_EQUAL(mx_momentum_schedule_at(&s, t), (double)0.9f * (1 - (double)0.6f * pow((double)0.3f, t * 0.5)), 1e-12);
        s.mu = 0.99f, s.delta = 0.004f, s.gamma = 0.5f, s.alpha = 0.96f;
        CU_ASSERT_DOUBLE_EQUAL(mx_momentum_schedule_at(&s, t), (double)0.99f * (1 - 0.5 * pow((double)0.96f, t * (double)0.004f)), 1e-12);
    }
    /* A Nadam-only schedule key given in a spec makes the schedule explicit
     * with μ₀ = β1 unless mu is given. */
    mx_optimizer *opt = mx_optimizer_parse("nadam beta1=0.95 delta=0.1");
    CU_ASSERT_FATAL(opt != NULL);
    mx_optimizer_opts got = mx_optimizer_get_opts(opt);
    CU_ASSERT_EQUAL(got.momentum_schedule.kind, MX_MOM_NADAM);
    CU_ASSERT_EQUAL(got.momentum_schedule.mu, 0.95f);
    CU_ASSERT_EQUAL(got.momentum_schedule.delta, 0.1f);
    mx_optimizer_free(opt);
}

static void test_schedules_match_their_closed_forms(void)
{
    mx_lr_schedule s = {MX_LR_FIXED, 0.9f, 0.5f, 0};
    const double lr = 0.5, g = (double)0.9f, p = (double)0.5f;
    static const mx_opt_state states[] = {{1, 1, 1, 32}, {1, 7, 7, 32}, {2, 1, 11, 32}, {5, 3, 43, 32}, {40, 2, 400, 32}};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        const mx_opt_state *st = &states[i];
        double te = st->epoch - 1, ti = (double)st->iter - 1;
        s.kind = MX_LR_FIXED, s.decay_on_iteration = 0;
        CU_ASSERT_DOUBLE_EQUAL(mx_lr_schedule_at(&s, lr, st), lr, 0);
        s.kind = MX_LR_EXP;
        CU_ASSERT_DOUBLE_EQUAL(mx_lr_schedule_at(&s, lr, st), lr * pow(g, te), 1e-15);
        s.kind = MX_LR_INV;
        CU_ASSERT_DOUBLE_EQUAL(mx_lr_schedule_at(&s, lr, st), lr * pow(1 + g * te, -p), 1e-15);
        s.decay_on_iteration = 1;
        CU_ASSERT_DOUBLE_EQUAL(mx_lr_schedule_at(&s, lr, st), lr * pow(1 + g * ti, -p), 1e-15);
        s.kind = MX_LR_EXP;
        CU_ASSERT_DOUBLE_EQUAL(mx_lr_schedule_at(&s, lr, st), lr * pow(g, ti), 1e-15);
    }
    /* Before training (no state, or epoch 0) the schedule gives η₀. */
    mx_opt_state zero = {0, 0, 0, 32};
    CU_ASSERT_DOUBLE_EQUAL(mx_lr_schedule_at(&s, lr, NULL), lr, 0);
    CU_ASSERT_DOUBLE_EQUAL(mx_lr_schedule_at(&s, lr, &zero), lr, 0);
    /* Momentum: Null 0, Fixed μ; begin_batch sets the η mx_optimizer_lr reports. */
    mx_momentum_schedule m = {MX_MOM_NULL, 0.7f, 0, 0, 0};
    CU_ASSERT_EQUAL(mx_momentum_schedule_at(&m, 5), 0.0);
    m.kind = MX_MOM_FIXED;
    CU_ASSERT_EQUAL(mx_momentum_schedule_at(&m, 5), (double)0.7f);
    mx_optimizer *opt = mx_optimizer_parse("adam lr=0.5 lr_schedule=inv gamma=0.9 power=0.5");
    CU_ASSERT_FATAL(opt != NULL);
    CU_ASSERT_DOUBLE_EQUAL(mx_optimizer_lr(opt), 0.5, 1e-7);
    mx_optimizer_begin_batch(opt, &states[3]);
    CU_ASSERT_DOUBLE_EQUAL(mx_optimizer_lr(opt), 0.5 * pow(1 + g * 4, -p), 1e-7);
    mx_optimizer_free(opt);
}

static void test_schedules_drive_the_updates(void)
{
    size_t clipped;
    ref_opt_cfg per_epoch = {1000, 10, 2.0f, TOL, 3}, per_iter = {1000, 10, 2.0f, TOL, 4};
    for (size_t k = 0; k < NALL; k++) {
        mx_optimizer_opts o = with_all(all_kinds[k], 0.001f, 1.0f, 0);
        o.lr_schedule.kind = MX_LR_EXP, o.lr_schedule.gamma = 0.5f;
        CU_ASSERT_EQUAL(ref_opt_run(&o, &per_epoch, &clipped), 0);
        o.lr_schedule.kind = MX_LR_INV, o.lr_schedule.gamma = 0.8f, o.lr_schedule.power = 1.5f;
        o.lr_schedule.decay_on_iteration = 1;
        CU_ASSERT_EQUAL(ref_opt_run(&o, &per_iter, &clipped), 0);
    }
}

static void test_state_buffer_holds_all_training_state(void)
{
    const size_t n = 1000;
    for (size_t k = 0; k < NALL; k++) {
        /* A runs 10 steps; after 5, a fresh optimizer B takes copies of W
         * and the raw state buffer (what a checkpoint holds) and runs the
         * same last 5: no state may hide in the optimizer object. */
        mx_optimizer_opts o = with_all(all_kinds[k], 0.01f, 0.5f, 0.75f);
        mx_optimizer *a = mx_optimizer_create(&o), *b = mx_optimizer_create(&o);
        size_t ns = mx_optimizer_state_size(a, n);
        mx_nd *wa = mx_nd_empty(mx_shape_make(1, (int)n)), *wb = mx_nd_empty(mx_shape_make(1, (int)n));
        mx_nd *g = mx_nd_empty(mx_shape_make(1, (int)n));
        float *sa = calloc(ns, sizeof(float)), *sb = calloc(ns, sizeof(float));
        CU_ASSERT_FATAL(a && b && wa && wb && g && sa && sb && ns >= n);
        uint32_t seed = 99, seed2;
        for (size_t i = 0; i < n; i++) mx_nd_data(wa)[i] = lcg_uniform(&seed, -1, 1);
        ref_opt_steps(a, wa, g, sa, 5, &seed);
        memcpy(mx_nd_data(wb), mx_nd_data(wa), n * sizeof(float));
        memcpy(sb, sa, ns * sizeof(float));
        seed2 = seed;
        ref_opt_steps(a, wa, g, sa, 5, &seed);
        ref_opt_steps(b, wb, g, sb, 5, &seed2);
        CU_ASSERT(memcmp(mx_nd_data(wa), mx_nd_data(wb), n * sizeof(float)) == 0);
        CU_ASSERT(memcmp(sa, sb, ns * sizeof(float)) == 0);
        int counts = all_kinds[k] == MX_OPT_ADAM || all_kinds[k] == MX_OPT_ADAMAX || all_kinds[k] == MX_OPT_NADAM;
        CU_ASSERT_EQUAL(mx_optimizer_state_steps(b, sb), counts ? 10u : 0u);
        free(sa), free(sb);
        mx_nd_free(wa), mx_nd_free(wb), mx_nd_free(g);
        mx_optimizer_free(a), mx_optimizer_free(b);
    }
}

static void test_step_count_stays_exact_beyond_2_24(void)
{
    /* Header as documented: uint64 steps, then Nadam's double Πμ. Set a
     * count of 2⁴⁰ + 3 (far past float's 2²⁴) and Πμ = 0.25, then one
     * update must use t = 2⁴⁰ + 4 and leave the count exact. */
    static const mx_opt_kind counted[] = {MX_OPT_ADAM, MX_OPT_ADAMAX, MX_OPT_NADAM};
    const uint64_t t0 = ((uint64_t)1 << 40) + 3;
    const size_t n = 257;
    for (size_t k = 0; k < 3; k++) {
        mx_optimizer_opts o = with_all(counted[k], 0.01f, 0.5f, 0.75f);
        o.beta1 = 0.5f; /* so that Πμ·μₜ, not μ's limit, decides Nadam's step */
        mx_optimizer *opt = mx_optimizer_create(&o);
        mx_nd *w = mx_nd_empty(mx_shape_make(1, (int)n)), *g = mx_nd_empty(mx_shape_make(1, (int)n));
        float *state = calloc(mx_optimizer_state_size(opt, n), sizeof(float));
        CU_ASSERT_FATAL(opt && w && g && state);
        uint32_t seed = 5;
        for (size_t i = 0; i < n; i++) {
            mx_nd_data(w)[i] = lcg_uniform(&seed, -1, 1);
            mx_nd_data(g)[i] = lcg_uniform(&seed, -2, 2);
        }
        double prod = 0.25;
        memcpy(state, &t0, sizeof t0);
        memcpy(state + 2, &prod, sizeof prod);
        ref_opt r;
        CU_ASSERT_FATAL(ref_opt_init(&r, &o, n, mx_nd_data(w)));
        r.t = (double)(t0 + 1), r.prod = prod;
        r.b1t = pow(o.beta1, r.t), r.b2t = pow(o.beta2, r.t);
        ref_opt_step(&r, mx_nd_data(g), o.lr);
        mx_optimizer_update(opt, w, g, state);
        CU_ASSERT_EQUAL(mx_optimizer_state_steps(opt, state), t0 + 1);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) bad += !(fabs(mx_nd_data(w)[i] - r.w[i]) <= TOL * (1 + fabs(r.w[i])));
        CU_ASSERT_EQUAL(bad, 0);
        ref_opt_free(&r), free(state);
        mx_nd_free(w), mx_nd_free(g), mx_optimizer_free(opt);
    }
}

static void test_two_threads_give_the_same_bits_as_one(void)
{
    int before = mx_engine_threads(mx_engine_default());
    static const size_t big[] = {65537, 100003};
    for (size_t k = 0; k < NALL; k++)
        for (size_t b = 0; b < 2; b++) {
            mx_optimizer_opts o = with_all(all_kinds[k], 0.01f, 0.5f, 0.75f);
            float *w1, *s1, *w2, *s2;
            size_t ns1, ns2;
            CU_ASSERT_FATAL(mx_engine_set_default(1, MX_BIND_NONE) == MX_OK);
            ref_opt_bits(&o, big[b], &w1, &s1, &ns1);
            CU_ASSERT_FATAL(mx_engine_set_default(2, MX_BIND_NONE) == MX_OK);
            CU_ASSERT_EQUAL(mx_engine_threads(mx_engine_default()), 2);
            ref_opt_bits(&o, big[b], &w2, &s2, &ns2);
            CU_ASSERT_EQUAL(ns1, ns2);
            CU_ASSERT(memcmp(w1, w2, big[b] * sizeof(float)) == 0);
            CU_ASSERT(memcmp(s1, s2, ns1 * sizeof(float)) == 0);
            free(w1), free(s1), free(w2), free(s2);
        }
    CU_ASSERT(mx_engine_set_default(before, MX_BIND_NONE) == MX_OK);
}

static void expect_spec_error(const char *spec, const char *needle)
{
    mx_clear_error();
    mx_optimizer *opt = mx_optimizer_parse(spec);
    CU_ASSERT_PTR_NULL(opt);
    if (!has(mx_last_error(), needle)) fprintf(stderr, "\n  spec '%s': error '%s' lacks '%s'\n", spec, mx_last_error(), needle);
    CU_ASSERT(has(mx_last_error(), needle));
    mx_optimizer_free(opt);
}

static void test_parse_reads_specs_and_names_errors(void)
{
    mx_optimizer *opt = mx_optimizer_parse("  ADAM lr=0.01 clip_gradient=1 weight_decay=1e-5 lr_schedule=exp gamma=0.8 "
                                           "decay_on_iteration=true beta2=0.99 epsilon=1e-7 rescale_grad=0.25 ");
    CU_ASSERT_FATAL(opt != NULL);
    mx_optimizer_opts o = mx_optimizer_get_opts(opt);
    CU_ASSERT_STRING_EQUAL(mx_optimizer_name(opt), "ADAM");
    CU_ASSERT(o.kind == MX_OPT_ADAM && o.lr == 0.01f && o.clip_gradient == 1.0f && o.weight_decay == 1e-5f);
    CU_ASSERT(o.lr_schedule.kind == MX_LR_EXP && o.lr_schedule.gamma == 0.8f && o.lr_schedule.decay_on_iteration == 1);
    CU_ASSERT(o.beta1 == 0.9f && o.beta2 == 0.99f && o.epsilon == 1e-7f && o.rescale_grad == 0.25f);
    mx_optimizer_free(opt);
    opt = mx_optimizer_parse("sgd momentum=0.9");
    CU_ASSERT_FATAL(opt != NULL);
    CU_ASSERT_EQUAL(mx_optimizer_state_size(opt, 10), 10); /* Fixed(0.9) keeps a velocity */
    mx_optimizer_free(opt);
    expect_spec_error("", "empty");
    expect_spec_error("adamw lr=0.1", "adamw");
    expect_spec_error("adam lr=0.1 betta1=0.9", "betta1");
    expect_spec_error("adam momentum=0.9", "momentum");
    expect_spec_error("sgd rho=0.9", "rho");
    expect_spec_error("adam lr=fast", "lr");
    expect_spec_error("adam lr=fast", "fast");
    expect_spec_error("adam lr=0.1x", "0.1x");
    expect_spec_error("adam lr", "lr");
    expect_spec_error("adam lr=-1", "lr");
    expect_spec_error("rmsprop rho=1", "rho");
    expect_spec_error("adam lr_schedule=cosine", "lr_schedule");
    expect_spec_error("adam gamma=0.9", "gamma");
    expect_spec_error("adam lr_schedule=exp power=2", "power");
    expect_spec_error("adam lr_schedule=exp gamma=1.5", "gamma");
    expect_spec_error("sgd lr_schedule=inv decay_on_iteration=maybe", "decay_on_iteration");
    expect_spec_error("nadam alpha=2", "alpha");
}

static void test_defaults_per_kind_are_mxnet_jl_defaults(void)
{
    /* REFERENCE.md, "Optimizers": η, λ, and β1 β2 ϵ ρ where used. */
    static const struct { mx_opt_kind k; const char *name; float lr, wd, b1, b2, eps, rho; size_t state_per_n, header; } t[] = {
        {MX_OPT_SGD, "SGD", 0.01f, 1e-4f, 0, 0, 0, 0, 0, 0},
        {MX_OPT_NAG, "NAG", 0.01f, 1e-4f, 0, 0, 0, 0, 0, 0},
        {MX_OPT_ADAM, "ADAM", 1e-3f, 1e-5f, 0.9f, 0.999f, 1e-8f, 0, 2, MX_OPT_HEADER},
        {MX_OPT_ADAGRAD, "AdaGrad", 0.1f, 1e-5f, 0, 0, 1e-6f, 0, 1, 0},
        {MX_OPT_ADADELTA, "AdaDelta", 1.0f, 1e-5f, 0, 0, 1e-6f, 0.95f, 2, 0},
        {MX_OPT_ADAMAX, "AdaMax", 2e-3f, 1e-5f, 0.9f, 0.999f, 1e-8f, 0, 2, MX_OPT_HEADER},
        {MX_OPT_RMSPROP, "RMSProp", 1e-3f, 1e-5f, 0, 0, 1e-8f, 0.9f, 1, 0},
        {MX_OPT_NADAM, "Nadam", 1e-3f, 1e-5f, 0.99f, 0.999f, 1e-8f, 0, 2, MX_OPT_HEADER},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        mx_optimizer_opts d = mx_optimizer_defaults(t[i].k);
        CU_ASSERT(d.kind == t[i].k && d.lr == t[i].lr && d.weight_decay == t[i].wd);
        CU_ASSERT(d.momentum == 0 && d.rescale_grad == 0 && d.clip_gradient == 0);
        if (t[i].b1) CU_ASSERT(d.beta1 == t[i].b1 && d.beta2 == t[i].b2);
        if (t[i].eps) CU_ASSERT_EQUAL(d.epsilon, t[i].eps);
        if (t[i].rho) CU_ASSERT_EQUAL(d.rho, t[i].rho);
        CU_ASSERT(d.lr_schedule.kind == MX_LR_FIXED && d.lr_schedule.gamma == 0.9f && d.lr_schedule.power == 0.5f);
        CU_ASSERT(d.momentum_schedule.kind == MX_MOM_AUTO);
        mx_optimizer *opt = mx_optimizer_create(&d);
        CU_ASSERT_FATAL(opt != NULL);
        CU_ASSERT_STRING_EQUAL(mx_optimizer_name(opt), t[i].name);
        CU_ASSERT_EQUAL(mx_optimizer_state_size(opt, 1000), t[i].header + t[i].state_per_n * 1000);
        CU_ASSERT_EQUAL(mx_optimizer_lr(opt), t[i].lr);
        mx_optimizer_free(opt);
    }
}

static void expect_bad(mx_optimizer_opts o, const char *field)
{
    mx_clear_error();
    mx_optimizer *opt = mx_optimizer_create(&o);
    CU_ASSERT_PTR_NULL(opt);
    if (!has(mx_last_error(), field)) fprintf(stderr, "\n  error '%s' lacks '%s'\n", mx_last_error(), field);
    CU_ASSERT(has(mx_last_error(), field));
    mx_optimizer_free(opt);
}

static void test_create_rejects_bad_fields_naming_them(void)
{
    mx_optimizer_opts a = mx_optimizer_defaults(MX_OPT_ADAM), o;
    o = a, o.beta1 = 1.0f;    expect_bad(o, "beta1");
    o = a, o.beta2 = -0.1f;   expect_bad(o, "beta2");
    o = a, o.epsilon = 0;     expect_bad(o, "epsilon");
    o = a, o.epsilon = NAN;   expect_bad(o, "epsilon");
    o = a, o.lr = 0;          expect_bad(o, "lr");
    o = a, o.clip_gradient = -1; expect_bad(o, "clip_gradient");
    o = a, o.lr_schedule.kind = MX_LR_EXP, o.lr_schedule.gamma = 1.0f; expect_bad(o, "gamma");
    o = a, o.lr_schedule.kind = MX_LR_INV, o.lr_schedule.power = -1;   expect_bad(o, "power");
    o = a, o.lr_schedule.kind = (mx_lr_kind)7;                          expect_bad(o, "lr_schedule");
    o = a, o.momentum_schedule.kind = MX_MOM_FIXED;                     expect_bad(o, "momentum_schedule");
    o = a, o.kind = (mx_opt_kind)42;                                    expect_bad(o, "kind");
    o = mx_optimizer_defaults(MX_OPT_RMSPROP), o.rho = 1.0f;            expect_bad(o, "rho");
    o = mx_optimizer_defaults(MX_OPT_ADADELTA), o.rho = 0;              expect_bad(o, "rho");
    o = mx_optimizer_defaults(MX_OPT_SGD), o.momentum_schedule.kind = MX_MOM_NADAM; expect_bad(o, "momentum_schedule");
    o = mx_optimizer_defaults(MX_OPT_NAG), o.momentum = 1.0f;          expect_bad(o, "momentum");
    o = mx_optimizer_defaults(MX_OPT_NAG), o.momentum_schedule.kind = MX_MOM_FIXED, o.momentum_schedule.mu = 1.0f;
    expect_bad(o, "mu");
    mx_optimizer_opts n = mx_optimizer_defaults(MX_OPT_NADAM);
    n.momentum_schedule.kind = MX_MOM_NADAM;
    o = n, o.momentum_schedule.alpha = 1.5f; expect_bad(o, "alpha");
    o = n, o.momentum_schedule.delta = -1;   expect_bad(o, "delta");
    o = n, o.momentum_schedule.gamma = 2;    expect_bad(o, "gamma");
    o = n, o.momentum_schedule.kind = MX_MOM_FIXED; expect_bad(o, "momentum_schedule");
    /* Fields a kind does not use are ignored (SGD has no ϵ). */
    o = mx_optimizer_defaults(MX_OPT_SGD), o.epsilon = -1;
    mx_optimizer *opt = mx_optimizer_create(&o);
    CU_ASSERT_PTR_NOT_NULL(opt);
    mx_optimizer_free(opt);
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
    CU_add_test(s, "every optimizer follows its formula", test_every_optimizer_follows_its_formula);
    CU_add_test(s, "ADAM's first step by hand", test_adam_first_step_by_hand);
    CU_add_test(s, "Nadam follows its momentum schedule", test_nadam_follows_its_momentum_schedule);
    CU_add_test(s, "schedules match their closed forms", test_schedules_match_their_closed_forms);
    CU_add_test(s, "schedules drive the updates", test_schedules_drive_the_updates);
    CU_add_test(s, "state buffer holds all training state", test_state_buffer_holds_all_training_state);
    CU_add_test(s, "step count stays exact beyond 2^24", test_step_count_stays_exact_beyond_2_24);
    CU_add_test(s, "two threads give the same bits as one", test_two_threads_give_the_same_bits_as_one);
    CU_add_test(s, "parse reads specs and names errors", test_parse_reads_specs_and_names_errors);
    CU_add_test(s, "defaults per kind are MXNet.jl's", test_defaults_per_kind_are_mxnet_jl_defaults);
    CU_add_test(s, "create rejects bad fields naming them", test_create_rejects_bad_fields_naming_them);
    return CU_get_error();
}
