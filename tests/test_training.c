/* test_training.c — initializers (by-name rules, distributions), the
 * Accuracy metric, and rank-aware logging. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

static void moments(const mx_nd *a, double *mean, double *var, float *lo, float *hi)
{
    const float *p = mx_nd_data(a);
    size_t n = mx_nd_size(a);
    double s = 0, s2 = 0;
    *lo = *hi = p[0];
    for (size_t i = 0; i < n; i++) {
        s += p[i];
        s2 += (double)p[i] * p[i];
        if (p[i] < *lo) *lo = p[i];
        if (p[i] > *hi) *hi = p[i];
    }
    *mean = s / (double)n;
    *var = s2 / (double)n - *mean * *mean;
}

static void test_training_initializer_follows_name_rules(void)
{
    mx_initializer u = mx_init_uniform(0.07f);
    mx_nd *a = mx_nd_empty(mx_shape_make(2, 3, 4));
    mx_rng rng;
    mx_rng_seed(&rng, 1);
    const char *zero[] = {"fc1_bias", "bn_beta", "bn_moving_mean", "bn_moving_var"};
    for (int k = 0; k < 4; k++) {
        mx_nd_fill(a, 9.0f);
        CU_ASSERT_EQUAL(mx_init_param(&u, zero[k], a, &rng), MX_OK);
        for (int i = 0; i < 12; i++) CU_ASSERT_EQUAL(mx_nd_data(a)[i], 0.0f);
    }
    CU_ASSERT_EQUAL(mx_init_param(&u, "bn_gamma", a, &rng), MX_OK);
    for (int i = 0; i < 12; i++) CU_ASSERT_EQUAL(mx_nd_data(a)[i], 1.0f);
    CU_ASSERT_EQUAL(mx_init_param(&u, "mystery", a, &rng), MX_EINVAL);
    ASSERT_ERROR_HAS("mystery");
    mx_nd_free(a);
}

static void test_training_initializer_distributions(void)
{
    mx_nd *w = mx_nd_empty(mx_shape_make(2, 200, 300));
    double mean, var;
    float lo, hi;
    mx_rng rng;
    mx_rng_seed(&rng, 2);
    mx_initializer u = mx_init_uniform(0.07f);
    mx_init_param(&u, "fc_weight", w, &rng);
    moments(w, &mean, &var, &lo, &hi);
    CU_ASSERT(lo >= -0.07f && hi < 0.07f);
    CU_ASSERT_DOUBLE_EQUAL(var, 0.07 * 0.07 / 3, 0.07 * 0.07 / 3 * 0.05);
    mx_initializer nrm = mx_init_normal(0.5f);
    mx_init_param(&nrm, "fc_weight", w, &rng);
    moments(w, &mean, &var, &lo, &hi);
    CU_ASSERT_DOUBLE_EQUAL(mean, 0.0, 0.01);
    CU_ASSERT_DOUBLE_EQUAL(sqrt(var), 0.5, 0.01);
    /* Xavier: fan_in = 300, fan_out = 200; avg factor 250, magnitude 3 */
    mx_initializer xu = mx_init_xavier(MX_XAVIER_UNIFORM, MX_XAVIER_AVG, 3.0f);
    mx_init_param(&xu, "fc_weight", w, &rng);
    moments(w, &mean, &var, &lo, &hi);
    double s = sqrt(3.0 / 250.0);
    CU_ASSERT(lo >= -s && hi <= s);
    CU_ASSERT(hi > 0.98 * s && lo < -0.98 * s);
    mx_initializer xn = mx_init_xavier(MX_XAVIER_NORMAL, MX_XAVIER_IN, 2.0f);
    mx_init_param(&xn, "fc_weight", w, &rng);
    moments(w, &mean, &var, &lo, &hi);
    CU_ASSERT_DOUBLE_EQUAL(sqrt(var), sqrt(2.0 / 300.0), sqrt(2.0 / 300.0) * 0.03);
    mx_initializer xo = mx_init_xavier(MX_XAVIER_NORMAL, MX_XAVIER_OUT, 2.0f);
    mx_init_param(&xo, "fc_weight", w, &rng);
    moments(w, &mean, &var, &lo, &hi);
    CU_ASSERT_DOUBLE_EQUAL(sqrt(var), sqrt(2.0 / 200.0), sqrt(2.0 / 200.0) * 0.03);
    mx_nd_free(w);
}

static void test_training_accuracy_counts_argmax_hits(void)
{
    /* 4 samples, 3 classes; argmax = 2, 0, 1, 1 ; labels 2, 0, 0, 1 -> 3/4 */
    float pv[] = {0.1f, 0.2f, 0.7f, 0.9f, 0.05f, 0.05f, 0.3f, 0.4f, 0.3f, 0.1f, 0.8f, 0.1f};
    float lv[] = {2, 0, 0, 1};
    mx_nd *p = mx_nd_from(mx_shape_make(2, 4, 3), pv), *l = mx_nd_from(mx_shape_make(1, 4), lv);
    mx_metric *m = mx_metric_accuracy();
    mx_metric_update(m, l, p, 4);
    const char *name;
    double v;
    CU_ASSERT_EQUAL(mx_metric_get(m, &name, &v, 1), 1);
    CU_ASSERT_STRING_EQUAL(name, "accuracy");
    CU_ASSERT_DOUBLE_EQUAL(v, 0.75, 1e-12);
    /* a padded batch: only the first 2 samples count; accumulates to 5/6 */
    mx_metric_update(m, l, p, 2);
    mx_metric_get(m, &name, &v, 1);
    CU_ASSERT_DOUBLE_EQUAL(v, 5.0 / 6.0, 1e-12);
    mx_metric_reset(m);
    mx_metric_get(m, &name, &v, 1);
    CU_ASSERT_DOUBLE_EQUAL(v, 0.0, 1e-12);
    /* multi-output (N, C, positions): (1, 2, 3) with labels per position */
    float mv[] = {0.9f, 0.1f, 0.4f, 0.1f, 0.9f, 0.6f};
    float ml[] = {0, 1, 0};
    mx_nd *mp = mx_nd_from(mx_shape_make(3, 1, 2, 3), mv), *mlab = mx_nd_from(mx_shape_make(2, 1, 3), ml);
    mx_metric_update(m, mlab, mp, 1);
    mx_metric_get(m, &name, &v, 1);
    CU_ASSERT_DOUBLE_EQUAL(v, 2.0 / 3.0, 1e-12);
    mx_metric_free(m);
    mx_nd_free(p); mx_nd_free(l); mx_nd_free(mp); mx_nd_free(mlab);
}

typedef struct lines {
    int n;
    char last[256];
} lines;

static void sink(void *ctx, const char *level, const char *line)
{
    lines *l = ctx;
    l->n++;
    snprintf(l->last, sizeof l->last, "%s: %s", level, line);
}

static void test_training_only_rank_zero_logs_info(void)
{
    lines l = {0, ""};
    mx_log_set_sink(sink, &l);
    mx_log_info("== Epoch %03d/%03d ==========", 1, 20);
    CU_ASSERT_EQUAL(l.n, 1);
    CU_ASSERT_STRING_EQUAL(l.last, "INFO: == Epoch 001/020 ==========");
    mx_log_set_rank(3);
    CU_ASSERT_EQUAL(mx_log_rank(), 3);
    mx_log_info("not printed by rank 3");
    CU_ASSERT_EQUAL(l.n, 1);
    mx_log_warn("rank 3 warns");
    CU_ASSERT_EQUAL(l.n, 2);
    CU_ASSERT_STRING_EQUAL(l.last, "WARNING: rank 3 warns");
    mx_log_set_rank(0);
    mx_log_set_sink(NULL, NULL);
}

/* A NaN in one sample of the third batch: fit stops with an error naming
 * epoch 1, batch 3 and the output (and the hot loop runs no further);
 * with no_nan_check the same fit runs to the end. */
static void test_training_nan_check_stops_and_names_the_batch(void)
{
    enum { N = 40, D = 6, B = 10 };
    mx_nd *x = mx_nd_empty(mx_shape_make(2, N, D)), *y = mx_nd_empty(mx_shape_make(1, N));
    mx_test_fill(x, -1.0f, 1.0f, 3);
    float *xd = mx_nd_data(x), *yd = mx_nd_data(y);
    for (int i = 0; i < N; i++) yd[i] = (float)(i % 3);
    xd[25 * D + 2] = NAN; /* sample 25: batch 3 */
    const char *dn[] = {"data"}, *ln[] = {"softmax_label"};
    mx_sym *data = mx_var("data");
    mx_sym *net = mx_chain(data, "FullyConnected name=fc num_hidden=3", "SoftmaxOutput name=softmax", NULL);
    mx_log_set_quiet(1);
    for (int check = 1; check >= 0; check--) {
        mx_array_provider_opts po = {.batch_size = B};
        mx_provider *p = mx_array_provider(1, dn, &x, 1, ln, &y, &po);
        mx_model *m = mx_model_create(net, NULL, 0);
        mx_optimizer *opt = mx_sgd_create(NULL);
        mx_fit_opts fo = mx_fit_defaults();
        fo.n_epoch = 2;
        fo.no_nan_check = !check;
        mx_status st = mx_model_fit(m, opt, p, &fo);
        if (check) {
            CU_ASSERT_EQUAL(st, MX_EINVAL);
            CU_ASSERT_PTR_NOT_NULL(strstr(mx_last_error(), "epoch 1, batch 3: output 'softmax_output' holds NaN"));
            CU_ASSERT_EQUAL(mx_model_num_params(m) > 0, 1);
        } else {
            CU_ASSERT_EQUAL(st, MX_OK);
        }
        mx_optimizer_free(opt);
        mx_model_free(m);
        mx_provider_free(p);
    }
    mx_log_set_quiet(0);
    mx_sym_free(net);
    mx_sym_free(data);
    mx_nd_free(x);
    mx_nd_free(y);
}

CU_ErrorCode mx_test_register_training(void)
{
    CU_pSuite s = CU_add_suite("training", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "initializer follows name rules", test_training_initializer_follows_name_rules);
    CU_add_test(s, "initializer distributions (uniform, normal, Xavier)", test_training_initializer_distributions);
    CU_add_test(s, "Accuracy counts argmax hits", test_training_accuracy_counts_argmax_hits);
    CU_add_test(s, "only rank 0 logs INFO", test_training_only_rank_zero_logs_info);
    CU_add_test(s, "NaN in the outputs stops fit naming epoch and batch; no_nan_check trains on",
                test_training_nan_check_stops_and_names_the_batch);
    return CU_get_error();
}
