/* test_metric.c — every metric on cases worked out by hand in the comments
 * (ln 2 = 0.69314718, ln 1.25 = 0.22314355, ln 1.05 = 0.04879016, ln 0.75
 * = −0.28768207, ln 1.6 = 0.47000363, ln 1e-8 = −18.42068074, ln 1e-20 =
 * −46.05170186), the count of a padded batch, reset, lists of outputs and
 * the combinations.
 * Tolerance 1e-6 throughout: the inputs are floats (0.8f is off by 1.2e-8)
 * and the metrics sum in double, so only the 8-digit constants limit it. */
#include <math.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

#define TOL 1e-6
#define LN2 0.69314718055994531

/* The first value of m, and checks its name. */
static double value0(const mx_metric *m, const char *name)
{
    const char *n = NULL;
    double v = NAN;
    CU_ASSERT_EQUAL(mx_metric_get(m, &n, &v, 1) >= 1, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_STRING_EQUAL(n, name);
    return v;
}

static mx_nd *wrap2(int a, int b, float *v) { return mx_nd_wrap(mx_shape_make(2, a, b), v); }
static mx_nd *wrap1(int a, float *v) { return mx_nd_wrap(mx_shape_make(1, a), v); }

static void test_metric_ace_with_eps(void)
{
    /* 3 samples, 3 classes; the third is padding with p_label = 0.
     * eps 1e-8 (default): −(ln 0.5 + ln 0.8)/2 = (0.69314718 + 0.22314355)/2
     * = 0.45814537. eps 0.25: −(ln 0.75 + ln 1.05)/2 = (0.28768207 −
     * 0.04879016)/2 = 0.11944596. */
    float pv[] = {0.2f, 0.5f, 0.3f, 0.1f, 0.1f, 0.8f, 1.0f, 0.0f, 0.0f};
    float lv[] = {1, 2, 1};
    mx_nd *p = wrap2(3, 3, pv), *l = wrap1(3, lv);
    mx_metric *ace = mx_metric_ace(0.0f), *ace25 = mx_metric_ace(0.25f);
    CU_ASSERT_STRING_EQUAL(mx_metric_name(ace), "ACE");
    mx_metric_update(ace, l, p, 2);
    mx_metric_update(ace25, l, p, 2);
    CU_ASSERT_DOUBLE_EQUAL(value0(ace, "ACE"), 0.45814537, TOL);
    CU_ASSERT_DOUBLE_EQUAL(value0(ace25, "ACE"), 0.11944596, TOL);
    /* all 3: the third adds −ln(0 + 1e-8) = 18.42068074 → (0.91629073 +
     * 18.42068074)/3 = 6.44565716 */
    mx_metric_reset(ace);
    CU_ASSERT_DOUBLE_EQUAL(value0(ace, "ACE"), 0.0, 0.0);
    mx_metric_update(ace, l, p, 3);
    CU_ASSERT_DOUBLE_EQUAL(value0(ace, "ACE"), 6.44565716, TOL);
    /* a label outside the classes has p = 0: label 7 → 18.42068074 */
    float bad[] = {7};
    mx_nd *pb = wrap2(1, 3, pv), *lb = wrap1(1, bad);
    mx_metric_reset(ace);
    mx_metric_update(ace, lb, pb, 1);
    CU_ASSERT_DOUBLE_EQUAL(value0(ace, "ACE"), 18.42068074, TOL);
    /* probabilities as labels (label of pred's shape): pred (1, 2) = (0.25,
     * 0.75), label (0.5, 0.5): −(0.5 ln 0.25 + 0.5 ln 0.75)/2 elements =
     * (0.69314718 + 0.14384104)/2 = 0.41849411 */
    float qv[] = {0.25f, 0.75f}, dv[] = {0.5f, 0.5f};
    mx_nd *q = wrap2(1, 2, qv), *d = wrap2(1, 2, dv);
    mx_metric_reset(ace);
    mx_metric_update(ace, d, q, 1);
    CU_ASSERT_DOUBLE_EQUAL(value0(ace, "ACE"), 0.41849411, TOL);
    mx_metric_free(ace); mx_metric_free(ace25);
    mx_nd_free(p); mx_nd_free(l); mx_nd_free(pb); mx_nd_free(lb); mx_nd_free(q); mx_nd_free(d);
}

static void test_metric_multi_ace_per_class(void)
{
    /* labels 0, 0, 2 with p_label 0.5, 0.25, 0.125 (eps 1e-8 negligible):
     * ACE_1 (class 0) = (ln 2 + ln 4)/2 = 1.5 ln 2 = 1.03972077,
     * ACE_2 (class 1) unseen → 0, ACE_3 (class 2) = ln 8 = 2.07944154,
     * ACE = (1 + 2 + 3) ln 2 / 3 = 2 ln 2 = 1.38629436. */
    float pv[] = {0.5f, 0.25f, 0.25f, 0.25f, 0.5f, 0.25f, 0.5f, 0.375f, 0.125f};
    float lv[] = {0, 0, 2};
    mx_nd *p = wrap2(3, 3, pv), *l = wrap1(3, lv);
    mx_metric *m = mx_metric_multi_ace(3, 0.0f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mx_metric_update(m, l, p, 3);
    const char *names[4];
    double v[4];
    CU_ASSERT_EQUAL(mx_metric_get(m, names, v, 4), 4);
    const char *want[] = {"ACE_1", "ACE_2", "ACE_3", "ACE"};
    double wantv[] = {1.5 * LN2, 0.0, 3 * LN2, 2 * LN2};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_STRING_EQUAL(names[i], want[i]);
        CU_ASSERT_DOUBLE_EQUAL(v[i], wantv[i], TOL);
    }
    /* cap 2 fills two and still says 4 */
    names[2] = NULL;
    CU_ASSERT_EQUAL(mx_metric_get(m, names, v, 2), 4);
    CU_ASSERT_PTR_NULL(names[2]);
    /* padded: count 2 keeps class 0 only: ACE_3 = 0, ACE = 1.5 ln 2 */
    mx_metric_reset(m);
    mx_metric_update(m, l, p, 2);
    mx_metric_get(m, names, v, 4);
    CU_ASSERT_DOUBLE_EQUAL(v[0], 1.5 * LN2, TOL);
    CU_ASSERT_DOUBLE_EQUAL(v[2], 0.0, 0.0);
    CU_ASSERT_DOUBLE_EQUAL(v[3], 1.5 * LN2, TOL);
    /* eps 0.5 on class 2 alone: −ln(0.125 + 0.5) = ln 1.6 = 0.47000363 */
    mx_metric *m5 = mx_metric_multi_ace(3, 0.5f);
    float l2[] = {2};
    mx_nd *p2 = wrap2(1, 3, pv + 6), *lab2 = wrap1(1, l2);
    mx_metric_update(m5, lab2, p2, 1);
    mx_metric_get(m5, names, v, 4);
    CU_ASSERT_DOUBLE_EQUAL(v[2], 0.47000363, TOL);
    CU_ASSERT_DOUBLE_EQUAL(v[3], 0.47000363, TOL);
    CU_ASSERT_PTR_NULL(mx_metric_multi_ace(0, 0.0f));
    ASSERT_ERROR_HAS("n_classes");
    mx_metric_free(m); mx_metric_free(m5);
    mx_nd_free(p); mx_nd_free(l); mx_nd_free(p2); mx_nd_free(lab2);
}

static void test_metric_mse_and_nmse(void)
{
    /* MSE: label (3,) = 1, 2, 3, pred (3, 1) = 1.5, 2, 2: squares 0.25, 0, 1
     * → 1.25/3 = 0.41666667; count 2 → 0.25/2 = 0.125. */
    float lv[] = {1, 2, 3}, pv[] = {1.5f, 2, 2};
    mx_nd *l = wrap1(3, lv), *p = wrap2(3, 1, pv);
    mx_metric *mse = mx_metric_mse();
    mx_metric_update(mse, l, p, 3);
    CU_ASSERT_DOUBLE_EQUAL(value0(mse, "MSE"), 1.25 / 3, TOL);
    mx_metric_reset(mse);
    mx_metric_update(mse, l, p, 2);
    CU_ASSERT_DOUBLE_EQUAL(value0(mse, "MSE"), 0.125, TOL);
    /* 2 values per sample: label (2, 2) = [1 2; 3 4], pred all 1: 0 + 1 +
     * 4 + 9 = 14 over 4 → 3.5; count 1 → (0 + 1)/2 = 0.5 */
    float l4[] = {1, 2, 3, 4}, p4[] = {1, 1, 1, 1};
    mx_nd *ml = wrap2(2, 2, l4), *mp = wrap2(2, 2, p4);
    mx_metric_reset(mse);
    mx_metric_update(mse, ml, mp, 2);
    CU_ASSERT_DOUBLE_EQUAL(value0(mse, "MSE"), 3.5, TOL);
    mx_metric_reset(mse);
    mx_metric_update(mse, ml, mp, 1);
    CU_ASSERT_DOUBLE_EQUAL(value0(mse, "MSE"), 0.5, TOL);
    /* a label of another size is skipped with a message */
    mx_metric_reset(mse);
    mx_metric_update(mse, l, mp, 2);
    ASSERT_ERROR_HAS("MSE");
    CU_ASSERT_DOUBLE_EQUAL(value0(mse, "MSE"), 0.0, 0.0);
    /* NMSE: label 2, 4, 0, pred 1, 5, 7: (1/2)² = 0.25, (−1/4)² = 0.0625,
     * label 0 adds nothing but counts → 0.3125/3 = 0.10416667; count 2 →
     * 0.3125/2 = 0.15625 */
    float nl[] = {2, 4, 0}, np[] = {1, 5, 7};
    mx_nd *nlab = wrap1(3, nl), *npred = wrap2(3, 1, np);
    mx_metric *nmse = mx_metric_nmse();
    CU_ASSERT_STRING_EQUAL(mx_metric_name(nmse), "NMSE");
    mx_metric_update(nmse, nlab, npred, 3);
    CU_ASSERT_DOUBLE_EQUAL(value0(nmse, "NMSE"), 0.3125 / 3, TOL);
    mx_metric_reset(nmse);
    mx_metric_update(nmse, nlab, npred, 2);
    CU_ASSERT_DOUBLE_EQUAL(value0(nmse, "NMSE"), 0.15625, TOL);
    mx_metric_free(mse); mx_metric_free(nmse);
    mx_nd_free(l); mx_nd_free(p); mx_nd_free(ml); mx_nd_free(mp); mx_nd_free(nlab); mx_nd_free(npred);
}

/* The char-LSTM's case: 2 steps, 2 samples (+1 padding), 3 classes.
 * step 1: sample 0 label 0 p 0.5, sample 1 label 2 p 0.5;
 * step 2: sample 0 label 0 p 0.25, sample 1 label 1 p 0.125;
 * padding sample: p_label 0 (would add 46). */
static float nll_p1[] = {0.5f, 0.25f, 0.25f, 0.25f, 0.25f, 0.5f, 0, 1, 0};
static float nll_p2[] = {0.25f, 0.5f, 0.25f, 0.5f, 0.125f, 0.375f, 0, 1, 0};
static float nll_l1[] = {0, 2, 0}, nll_l2[] = {0, 1, 0};

static void test_metric_nll_and_perplexity(void)
{
    mx_nd *p[] = {wrap2(3, 3, nll_p1), wrap2(3, 3, nll_p2)};
    mx_nd *l[] = {wrap1(3, nll_l1), wrap1(3, nll_l2)};
    const mx_nd *const *pc = (const mx_nd *const *)p, *const *lc = (const mx_nd *const *)l;
    mx_metric *m = mx_metric_nll();
    CU_ASSERT_STRING_EQUAL(mx_metric_name(m), "NLL");
    /* −Σ ln p = (1 + 1 + 2 + 3) ln 2 = 7 ln 2; / 2 steps / 2 samples =
     * 1.75 ln 2 = 1.21300757 (sample means 1.5 ln 2 and 2 ln 2);
     * perplexity = 2^1.75 = 3.36358566 */
    mx_metric_update_list(m, 2, lc, pc, 2);
    const char *names[2];
    double v[2];
    CU_ASSERT_EQUAL(mx_metric_get(m, names, v, 2), 2);
    CU_ASSERT_STRING_EQUAL(names[0], "NLL");
    CU_ASSERT_STRING_EQUAL(names[1], "perplexity");
    CU_ASSERT_DOUBLE_EQUAL(v[0], 1.75 * LN2, TOL);
    CU_ASSERT_DOUBLE_EQUAL(v[1], 3.36358566, TOL);
    /* accumulated per sample: another batch of sample 0 alone (count 1,
     * mean 1.5 ln 2) → (3.5 + 1.5) ln 2 / 3 samples = 1.15524530 */
    mx_metric_update_list(m, 2, lc, pc, 1);
    mx_metric_get(m, names, v, 2);
    CU_ASSERT_DOUBLE_EQUAL(v[0], 5.0 / 3.0 * LN2, TOL);
    /* reset: NLL 0, perplexity 1; count 1 alone → 1.5 ln 2 = 1.03972077,
     * perplexity 2^1.5 = 2.82842712 */
    mx_metric_reset(m);
    mx_metric_get(m, names, v, 2);
    CU_ASSERT_DOUBLE_EQUAL(v[0], 0.0, 0.0);
    CU_ASSERT_DOUBLE_EQUAL(v[1], 1.0, 0.0);
    mx_metric_update_list(m, 2, lc, pc, 1);
    mx_metric_get(m, names, v, 2);
    CU_ASSERT_DOUBLE_EQUAL(v[0], 1.5 * LN2, TOL);
    CU_ASSERT_DOUBLE_EQUAL(v[1], 2.82842712, TOL);
    /* the floor: the padding sample alone, one step, p_label 0 →
     * −ln 1e-20 = 46.05170186 */
    mx_nd *pad_p = wrap2(1, 3, nll_p1 + 6), *pad_l = wrap1(1, nll_l1 + 2);
    mx_metric_reset(m);
    mx_metric_update(m, pad_l, pad_p, 1);
    CU_ASSERT_DOUBLE_EQUAL(value0(m, "NLL"), 46.05170186, TOL);
    mx_metric_free(m);
    for (int i = 0; i < 2; i++) { mx_nd_free(p[i]); mx_nd_free(l[i]); }
    mx_nd_free(pad_p); mx_nd_free(pad_l);
}

static void test_metric_accuracy_over_lists(void)
{
    /* 2 outputs, 2 samples (+1 padding), 3 classes.
     * output 0: argmax 1, 2 vs labels 1, 2 → 2/2; output 1: argmax 0, 0 vs
     * labels 0, 1 → 1/2; padding sample: argmax 0 vs label 2 (a miss).
     * Over the list: 3/4 = 0.75 = the mean of 1 and 0.5 (equal sizes). */
    float p0[] = {0.1f, 0.8f, 0.1f, 0.2f, 0.3f, 0.5f, 0.9f, 0.05f, 0.05f};
    float p1[] = {0.6f, 0.3f, 0.1f, 0.4f, 0.3f, 0.3f, 0.9f, 0.05f, 0.05f};
    float l0[] = {1, 2, 2}, l1[] = {0, 1, 2};
    const mx_nd *p[] = {wrap2(3, 3, p0), wrap2(3, 3, p1)};
    const mx_nd *l[] = {wrap1(3, l0), wrap1(3, l1)};
    mx_metric *acc = mx_metric_accuracy();
    CU_ASSERT_STRING_EQUAL(mx_metric_name(acc), "Accuracy");
    mx_metric_update_list(acc, 2, l, p, 2);
    double list_value = value0(acc, "accuracy");
    CU_ASSERT_DOUBLE_EQUAL(list_value, 0.75, 1e-12);
    /* the same numbers as one output of shape (3, 3, 2) (positions = steps),
     * labels (3, 2): the mean over positions is the same 0.75 */
    float pp[18], lp[6];
    for (int i = 0; i < 3; i++) {
        for (int c = 0; c < 3; c++) {
            pp[i * 6 + c * 2 + 0] = p0[i * 3 + c];
            pp[i * 6 + c * 2 + 1] = p1[i * 3 + c];
        }
        lp[i * 2 + 0] = l0[i];
        lp[i * 2 + 1] = l1[i];
    }
    mx_nd *pos_p = mx_nd_wrap(mx_shape_make(3, 3, 3, 2), pp), *pos_l = wrap2(3, 2, lp);
    mx_metric *acc2 = mx_metric_accuracy();
    mx_metric_update(acc2, pos_l, pos_p, 2);
    CU_ASSERT_DOUBLE_EQUAL(value0(acc2, "accuracy"), list_value, 1e-12);
    /* with the padding sample counted: 3/6 = 0.5 either way */
    mx_metric_reset(acc);
    mx_metric_reset(acc2);
    mx_metric_update_list(acc, 2, l, p, 3);
    mx_metric_update(acc2, pos_l, pos_p, 3);
    CU_ASSERT_DOUBLE_EQUAL(value0(acc, "accuracy"), 0.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(value0(acc2, "accuracy"), 0.5, 1e-12);
    mx_metric_free(acc); mx_metric_free(acc2);
    for (int i = 0; i < 2; i++) { mx_nd_free((mx_nd *)p[i]); mx_nd_free((mx_nd *)l[i]); }
    mx_nd_free(pos_p); mx_nd_free(pos_l);
}

static void test_metric_multi_concatenates(void)
{
    /* One output: the first NLL step of 2 samples. Accuracy: argmax 0
     * (label 0) and 2 (label 2) → 1; ACE = (ln 2 + ln 2)/2 = ln 2 (eps 1e-8
     * shifts it by 2e-8); NLL = ln 2, perplexity 2. */
    mx_nd *p = wrap2(3, 3, nll_p1), *l = wrap1(3, nll_l1);
    mx_metric *kids[] = {mx_metric_accuracy(), mx_metric_ace(0.0f), mx_metric_nll()};
    mx_metric *m = mx_metric_multi(3, kids); /* owns the three now */
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_STRING_EQUAL(mx_metric_name(m), "MultiMetric(Accuracy, ACE, NLL)");
    mx_metric_update(m, l, p, 2);
    const char *names[4];
    double v[4];
    CU_ASSERT_EQUAL(mx_metric_get(m, names, v, 4), 4);
    const char *want[] = {"accuracy", "ACE", "NLL", "perplexity"};
    double wantv[] = {1.0, LN2, LN2, 2.0};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_STRING_EQUAL(names[i], want[i]);
        CU_ASSERT_DOUBLE_EQUAL(v[i], wantv[i], TOL);
    }
    /* cap 3 writes three and reports 4; cap 0 writes nothing */
    names[3] = NULL;
    CU_ASSERT_EQUAL(mx_metric_get(m, names, v, 3), 4);
    CU_ASSERT_PTR_NULL(names[3]);
    CU_ASSERT_EQUAL(mx_metric_get(m, NULL, NULL, 0), 4);
    /* reset reaches every metric inside; the padding sample (count 3) makes
     * accuracy 2/3 */
    mx_metric_reset(m);
    mx_metric_get(m, names, v, 4);
    CU_ASSERT_DOUBLE_EQUAL(v[0], 0.0, 0.0);
    CU_ASSERT_DOUBLE_EQUAL(v[3], 1.0, 0.0);
    mx_metric_update(m, l, p, 3);
    mx_metric_get(m, names, v, 4);
    CU_ASSERT_DOUBLE_EQUAL(v[0], 2.0 / 3.0, 1e-12);
    mx_metric_free(m);
    /* a NULL among them: fails, and frees the others (leak-checked) */
    mx_metric *bad[] = {mx_metric_accuracy(), NULL};
    CU_ASSERT_PTR_NULL(mx_metric_multi(2, bad));
    ASSERT_ERROR_HAS("MultiMetric");
    mx_nd_free(p); mx_nd_free(l);
}

static void test_metric_seq_per_output(void)
{
    /* SeqMetric(Accuracy, MSE): output 0 is classified (argmax 1, 2 vs 1, 2
     * → 1), output 1 regressed (label 1, 2 vs pred 1.5, 2 → 0.125);
     * padding samples never count (count 2). */
    float p0[] = {0.1f, 0.8f, 0.1f, 0.2f, 0.3f, 0.5f, 0.9f, 0.05f, 0.05f};
    float l0[] = {1, 2, 0};
    float p1[] = {1.5f, 2, 100}, l1[] = {1, 2, 0};
    const mx_nd *p[] = {wrap2(3, 3, p0), wrap2(3, 1, p1)};
    const mx_nd *l[] = {wrap1(3, l0), wrap1(3, l1)};
    mx_metric *m = mx_metric_seq(2, (mx_metric *[]){mx_metric_accuracy(), mx_metric_mse()});
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_STRING_EQUAL(mx_metric_name(m), "SeqMetric(Accuracy, MSE)");
    mx_metric_update_list(m, 2, l, p, 2);
    const char *names[2];
    double v[2];
    CU_ASSERT_EQUAL(mx_metric_get(m, names, v, 2), 2);
    CU_ASSERT_STRING_EQUAL(names[0], "accuracy");
    CU_ASSERT_STRING_EQUAL(names[1], "MSE");
    CU_ASSERT_DOUBLE_EQUAL(v[0], 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(v[1], 0.125, TOL);
    /* one output for two metrics: the first is used, an error recorded */
    mx_metric_reset(m);
    mx_metric_update_list(m, 1, l, p, 2);
    ASSERT_ERROR_HAS("SeqMetric");
    mx_metric_get(m, names, v, 2);
    CU_ASSERT_DOUBLE_EQUAL(v[0], 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(v[1], 0.0, 0.0);
    mx_metric_free(m);
    /* NullMetric reports nothing */
    mx_metric *null = mx_metric_null();
    mx_metric_update_list(null, 2, l, p, 2);
    CU_ASSERT_EQUAL(mx_metric_get(null, names, v, 2), 0);
    CU_ASSERT_STRING_EQUAL(mx_metric_name(null), "NullMetric");
    mx_metric_free(null);
    for (int i = 0; i < 2; i++) { mx_nd_free((mx_nd *)p[i]); mx_nd_free((mx_nd *)l[i]); }
}

CU_ErrorCode mx_test_register_metric(void)
{
    CU_pSuite s = CU_add_suite("metric", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "ACE with eps, padding and probability labels", test_metric_ace_with_eps);
    CU_add_test(s, "MultiACE per class", test_metric_multi_ace_per_class);
    CU_add_test(s, "MSE and NMSE", test_metric_mse_and_nmse);
    CU_add_test(s, "NLL and perplexity over 2 steps", test_metric_nll_and_perplexity);
    CU_add_test(s, "Accuracy over lists is the mean over positions", test_metric_accuracy_over_lists);
    CU_add_test(s, "MultiMetric concatenates", test_metric_multi_concatenates);
    CU_add_test(s, "SeqMetric per output, NullMetric", test_metric_seq_per_output);
    return CU_get_error();
}
