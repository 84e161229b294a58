/* test_csv.c — the numeric CSV reader and CSVIter provider: values as
 * written (spaces, CRLF, blank lines, exponents), every kind of damage
 * named by file, line and field, row reshaping as MXNet's CSVIter
 * documents it (a row 1..6 with data_shape (3,2) is [[1,2],[3,4],[5,6]]),
 * labels row for row, the padded last batch, and a classifier trained
 * from CSV files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

static const char *write_file(const char *name, const char *text)
{
    static char path[8][600];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 600, "%s/%s", mx_test_tmp_dir(), name);
    FILE *f = fopen(p, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static void test_csv_values(void)
{
    const char *p = write_file("values.csv", "1,2,3\n4.5, -6 ,7e1\r\n\n  \n8,9,-1.25e-2\n");
    mx_csv c;
    CU_ASSERT_EQUAL_FATAL(mx_csv_load(p, 0, &c), MX_OK);
    CU_ASSERT_EQUAL(c.rows, 3);
    CU_ASSERT_EQUAL(c.cols, 3);
    const float want[9] = {1, 2, 3, 4.5f, -6, 70, 8, 9, -1.25e-2f};
    for (int i = 0; i < 9; i++) CU_ASSERT_EQUAL(c.data[i], want[i]);
    mx_csv_free(&c);
    CU_ASSERT_PTR_NULL(c.data);
    /* a file without a final newline, one column */
    p = write_file("one.csv", "5\n6");
    CU_ASSERT_EQUAL_FATAL(mx_csv_load(p, 1, &c), MX_OK);
    CU_ASSERT(c.rows == 2 && c.cols == 1 && c.data[1] == 6.0f);
    mx_csv_free(&c);
}

static void test_csv_errors(void)
{
    static const struct {
        const char *text;
        size_t cols;
        const char *needle;
    } bad[] = {
        {"1,2,3\n4,5\n", 0, "line 2 has 2 fields, expected 3"},
        {"1,2,3\n", 2, "line 1 has 3 fields, expected 2"},
        {"1,x,3\n", 0, "line 1, field 2: 'x' is not a finite number"},
        {"1,,3\n", 0, "line 1, field 2"},
        {"1,2,\n", 0, "line 1, field 3"},
        {"1,nan\n", 0, "'nan' is not a finite number"},
        {"1,inf\n", 0, "'inf' is not a finite number"},
        {"1,1e99\n", 0, "'1e99' is not a finite number"},
        {"1,2 3\n", 0, "'2 3'"},
        {"\n\n", 0, "no rows"},
        {"", 0, "no rows"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *p = write_file("bad.csv", bad[i].text);
        mx_csv c;
        CU_ASSERT_NOT_EQUAL(mx_csv_load(p, bad[i].cols, &c), MX_OK);
        CU_ASSERT_PTR_NULL(c.data);
        ASSERT_ERROR_HAS(bad[i].needle);
        ASSERT_ERROR_HAS("bad.csv");
    }
    mx_csv c;
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no-such.csv", mx_test_tmp_dir());
    CU_ASSERT_NOT_EQUAL(mx_csv_load(missing, 0, &c), MX_OK);
    ASSERT_ERROR_HAS("no-such.csv: cannot open");
}

static void test_csv_provider(void)
{
    mx_csv_opts o = mx_csv_defaults();
    o.data_csv = write_file("rows.csv", "1,2,3,4,5,6\n7,8,9,10,11,12\n13,14,15,16,17,18\n19,20,21,22,23,24\n");
    o.label_csv = write_file("labels.csv", "0\n1\n2\n3\n");
    o.data_shape = mx_shape_make(2, 3, 2);
    o.batch_size = 3;
    mx_provider *p = mx_csv_provider(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    mx_io_desc d = mx_provider_data_desc(p, 0), l = mx_provider_label_desc(p, 0);
    mx_shape dwant = mx_shape_make(3, 3, 3, 2), lwant = mx_shape_make(1, 3);
    CU_ASSERT(mx_shape_equal(&d.shape, &dwant));
    CU_ASSERT(mx_shape_equal(&l.shape, &lwant));
    CU_ASSERT_STRING_EQUAL(d.name, "data");
    CU_ASSERT_STRING_EQUAL(l.name, "softmax_label");
    CU_ASSERT_EQUAL(mx_provider_num_samples(p), 4);
    float data[18], label[3];
    mx_batch b;
    memset(&b, 0, sizeof b);
    b.data[0] = data;
    b.label[0] = label;
    CU_ASSERT_EQUAL(mx_provider_reset(p), MX_OK);
    CU_ASSERT_EQUAL(mx_provider_next(p, &b), 1);
    CU_ASSERT_EQUAL(b.count, 3);
    for (int i = 0; i < 18; i++) CU_ASSERT_EQUAL(data[i], (float)(i + 1)); /* row i as [[1,2],[3,4],[5,6]] */
    CU_ASSERT(label[0] == 0 && label[2] == 2);
    CU_ASSERT_EQUAL(mx_provider_next(p, &b), 1);
    CU_ASSERT_EQUAL(b.count, 1); /* padded last batch */
    CU_ASSERT(data[0] == 19 && data[5] == 24 && label[0] == 3);
    CU_ASSERT_EQUAL(mx_provider_next(p, &b), 0);
    mx_provider_free(p);

    /* labels must match the data row for row; shapes must fit the rows */
    o.label_csv = write_file("labels3.csv", "0\n1\n2\n");
    CU_ASSERT_PTR_NULL(mx_csv_provider(&o));
    ASSERT_ERROR_HAS("labels3.csv has 3 rows but");
    o.label_csv = NULL;
    o.data_shape = mx_shape_make(1, 5);
    CU_ASSERT_PTR_NULL(mx_csv_provider(&o));
    ASSERT_ERROR_HAS("line 1 has 6 fields, expected 5");
    o.data_shape = mx_shape_make(1, 6);
    o.batch_size = 0;
    CU_ASSERT_PTR_NULL(mx_csv_provider(&o));
    ASSERT_ERROR_HAS("batch_size");
    o.batch_size = 2;
    p = mx_csv_provider(&o); /* no labels */
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(mx_provider_num_label(p), 0);
    mx_provider_free(p);
}

/* Two Gaussian blobs written as CSV; an FC + softmax trained from the
 * files separates them. */
static void test_csv_trains(void)
{
    enum { N = 400 };
    static char text[N * 40], labels[N * 4];
    size_t a = 0, b = 0;
    mx_rng r;
    mx_rng_seed(&r, 3);
    for (int i = 0; i < N; i++) {
        int cls = i % 2;
        float x = (cls ? 1.5f : -1.5f) + 0.5f * mx_rng_normal(&r), y = (cls ? -1.0f : 1.0f) + 0.5f * mx_rng_normal(&r);
        a += (size_t)snprintf(text + a, sizeof text - a, "%.5f,%.5f\n", x, y);
        b += (size_t)snprintf(labels + b, sizeof labels - b, "%d\n", cls);
    }
    mx_csv_opts o = mx_csv_defaults();
    o.data_csv = write_file("blobs.csv", text);
    o.label_csv = write_file("blobs-labels.csv", labels);
    o.data_shape = mx_shape_make(1, 2);
    o.batch_size = 20;
    o.shuffle = 1;
    o.seed = 9;
    mx_provider *p = mx_csv_provider(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    mx_sym *data = mx_var("data");
    mx_sym *net = mx_chain(data, "FullyConnected name=fc num_hidden=2", "SoftmaxOutput name=softmax", NULL);
    mx_random_seed(4);
    mx_model *m = mx_model_create(net, NULL, 0);
    mx_optimizer *opt = mx_optimizer_parse("sgd lr=0.5");
    mx_metric *acc = mx_metric_accuracy();
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = 5;
    fo.eval_metric = acc;
    mx_log_set_quiet(1);
    CU_ASSERT_EQUAL(mx_model_fit(m, opt, p, &fo), MX_OK);
    mx_log_set_quiet(0);
    const char *names[2];
    double v[2] = {0};
    mx_metric_get(acc, names, v, 2);
    printf("\n    two blobs from CSV, 5 epochs: training accuracy %.3f", v[0]);
    CU_ASSERT(v[0] > 0.95);
    mx_metric_free(acc);
    mx_optimizer_free(opt);
    mx_model_free(m);
    mx_sym_free(net);
    mx_sym_free(data);
    mx_provider_free(p);
}

CU_ErrorCode mx_test_register_csv(void)
{
    CU_pSuite s = CU_add_suite("csv", NULL, NULL);
    if (!s) return CU_get_error();
    if (!CU_add_test(s, "values: spaces, CRLF, blank lines, exponents", test_csv_values) ||
        !CU_add_test(s, "damage is named by file, line and field", test_csv_errors) ||
        !CU_add_test(s, "provider: rows reshaped, labels, padded last batch, errors", test_csv_provider) ||
        !CU_add_test(s, "a classifier trains from CSV files", test_csv_trains))
        return CU_get_error();
    return CUE_SUCCESS;
}
