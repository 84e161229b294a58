/* test_model.c — FeedForward fit/predict end to end on real MNIST data:
 * accuracy on a small subset, determinism, log lines, predict, errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

typedef struct log_capture {
    char text[16384];
    size_t len;
} log_capture;

static void capture(void *ctx, const char *level, const char *line)
{
    log_capture *c = ctx;
    if (c->len < sizeof c->text)
        c->len += (size_t)snprintf(c->text + c->len, sizeof c->text - c->len, "%s: %s\n", level, line);
}

static double last_eval;

static int keep_eval(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)ctx; (void)m;
    const char *name;
    if (info->eval) mx_metric_get(info->eval, &name, &last_eval, 1);
    return 0;
}

/* Trains the tutorial MLP (or LeNet) on the first `limit` training images. */
static mx_model *train_net(int lenet, long limit, int epochs, int threads, uint64_t seed, log_capture *log)
{
    char img[512], lab[512], vimg[512], vlab[512];
    mx_mnist_opts tr = mx_mnist_defaults();
    tr.image = mx_test_mnist_path("train-images-idx3-ubyte", img, sizeof img);
    tr.label = mx_test_mnist_path("train-labels-idx1-ubyte", lab, sizeof lab);
    tr.batch_size = 100;
    tr.flat = !lenet;
    tr.shuffle = 1;
    tr.seed = seed;
    tr.limit = limit;
    mx_mnist_opts va = tr;
    va.image = mx_test_mnist_path("t10k-images-idx3-ubyte", vimg, sizeof vimg);
    va.label = mx_test_mnist_path("t10k-labels-idx1-ubyte", vlab, sizeof vlab);
    va.shuffle = 0;
    va.limit = 2000;
    mx_provider *train = mx_mnist_provider(&tr), *eval = mx_mnist_provider(&va);
    CU_ASSERT_PTR_NOT_NULL(train);
    CU_ASSERT_PTR_NOT_NULL(eval);
    mx_engine_set_default(threads, MX_BIND_NONE);
    mx_random_seed(seed);
    mx_sym *net = lenet ? mx_test_lenet() : mx_test_mlp();
    mx_model *m = mx_model_create(net, NULL, 0);
    mx_sgd_opts so = mx_sgd_defaults();
    so.lr = lenet ? 0.05f : 0.1f;
    so.momentum = 0.9f;
    so.weight_decay = 1e-5f;
    mx_optimizer *opt = mx_sgd_create(&so);
    mx_callback *cb = mx_every_n_epoch(keep_eval, NULL, 1, 0);
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = epochs;
    fo.eval_data = eval;
    /* LeNet with MXNet.jl's default Uniform(0.01) idles at chance for a few
     * hundred steps; Xavier makes a short subset run meaningful. */
    mx_initializer xavier = mx_init_xavier(MX_XAVIER_UNIFORM, MX_XAVIER_AVG, 3.0f);
    if (lenet) fo.initializer = &xavier;
    fo.callbacks = &cb;
    fo.ncallbacks = 1;
    if (log) mx_log_set_sink(capture, log);
    else mx_log_set_quiet(1);
    mx_status st = train && eval ? mx_model_fit(m, opt, train, &fo) : MX_EINVAL;
    mx_log_set_sink(NULL, NULL);
    mx_log_set_quiet(0);
    CU_ASSERT_EQUAL(st, MX_OK);
    mx_callback_free(cb);
    mx_optimizer_free(opt);
    mx_provider_free(train);
    mx_provider_free(eval);
    mx_sym_free(net);
    return m;
}

static mx_model *train_subset(long limit, int epochs, int threads, uint64_t seed, log_capture *log)
{
    return train_net(0, limit, epochs, threads, seed, log);
}

static void test_model_lenet_on_mnist_subset_reaches_accuracy(void)
{
    if (!mx_test_have_mnist("LeNet on MNIST subset")) return;
    mx_model *m = train_net(1, 3000, 3, 2, 1, NULL);
    printf("\n  LeNet (Xavier init), 3000 samples, 3 epochs: validation accuracy %.4f (stated: >= 0.90)\n",
           last_eval);
    CU_ASSERT(last_eval >= 0.90);
    CU_ASSERT_EQUAL(mx_model_num_params(m), 8);
    mx_model_free(m);
}

static void test_model_fit_small_mnist_subset_reaches_accuracy(void)
{
    if (!mx_test_have_mnist("fit on MNIST subset")) return;
    log_capture log = {{0}, 0};
    mx_model *m = train_subset(10000, 6, 2, 1, &log);
    printf("\n  10000 samples, 6 epochs: validation accuracy %.4f (stated: >= 0.90)\n", last_eval);
    CU_ASSERT(last_eval >= 0.90);
    CU_ASSERT_PTR_NOT_NULL(strstr(log.text, "INFO: Start training on [CPU0]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log.text, "INFO: == Epoch 001/006 =========="));
    CU_ASSERT_PTR_NOT_NULL(strstr(log.text, "INFO: ## Training summary"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log.text, "INFO:           accuracy = 0."));
    CU_ASSERT_PTR_NOT_NULL(strstr(log.text, "INFO:               time = "));
    CU_ASSERT_PTR_NOT_NULL(strstr(log.text, "INFO: ## Validation summary"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log.text, "INFO: Finish training on [CPU0]"));
    CU_ASSERT_EQUAL(mx_model_num_params(m), 6);
    CU_ASSERT_STRING_EQUAL(mx_model_param_name(m, 0), "fc1_weight");
    mx_model_free(m);
}

static void test_model_same_seed_and_threads_give_identical_weights(void)
{
    if (!mx_test_have_mnist("determinism")) return;
    for (int threads = 1; threads <= 2; threads++) {
        mx_model *a = train_subset(1000, 1, threads, 7, NULL);
        mx_model *b = train_subset(1000, 1, threads, 7, NULL);
        for (int i = 0; i < mx_model_num_params(a); i++) {
            mx_nd *pa = mx_model_param(a, i), *pb = mx_model_param(b, i);
            CU_ASSERT_EQUAL(memcmp(mx_nd_data(pa), mx_nd_data(pb), mx_nd_size(pa) * sizeof(float)), 0);
        }
        mx_model *c = train_subset(1000, 1, threads, 8, NULL);
        CU_ASSERT_NOT_EQUAL(memcmp(mx_nd_data(mx_model_param(a, 0)), mx_nd_data(mx_model_param(c, 0)),
                                   mx_nd_size(mx_model_param(a, 0)) * sizeof(float)), 0);
        mx_model_free(a); mx_model_free(b); mx_model_free(c);
    }
}

static void test_model_predict_returns_every_sample_without_padding(void)
{
    if (!mx_test_have_mnist("predict")) return;
    mx_model *m = train_subset(1000, 1, 2, 3, NULL);
    /* 250 samples at batch 100: the last batch is padded and dropped. */
    char img[512], lab[512];
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = mx_test_mnist_path("t10k-images-idx3-ubyte", img, sizeof img);
    o.label = mx_test_mnist_path("t10k-labels-idx1-ubyte", lab, sizeof lab);
    o.batch_size = 100;
    o.flat = 1;
    o.limit = 250;
    mx_provider *p = mx_mnist_provider(&o);
    mx_nd *out = NULL;
    CU_ASSERT_EQUAL_FATAL(mx_model_predict(m, p, &out), MX_OK);
    mx_shape want = mx_shape_make(2, 250, 10);
    mx_shape got = mx_nd_shape(out);
    CU_ASSERT(mx_shape_equal(&got, &want));
    /* every row is a probability distribution */
    for (int r = 0; r < 250; r++) {
        double sum = 0;
        for (int c = 0; c < 10; c++) sum += mx_nd_data(out)[r * 10 + c];
        CU_ASSERT_DOUBLE_EQUAL(sum, 1.0, 1e-4);
    }
    mx_nd_free(out);
    mx_provider_free(p);
    mx_model_free(m);
}

static void test_model_fit_rejects_bad_requests(void)
{
    mx_sym *net = mx_test_mlp();
    mx_model *m = mx_model_create(net, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mx_optimizer *opt = mx_sgd_create(NULL);
    mx_nd *x = mx_nd_zeros(mx_shape_make(2, 10, 784)), *y = mx_nd_zeros(mx_shape_make(1, 10));
    const char *dn[] = {"pixels"}, *ln[] = {"softmax_label"};
    mx_array_provider_opts po = {5, 0, 0, 0, 0};
    mx_provider *p = mx_array_provider(1, dn, &x, 1, ln, &y, &po);
    mx_fit_opts fo = mx_fit_defaults();
    mx_log_set_quiet(1);
    CU_ASSERT_NOT_EQUAL(mx_model_fit(m, opt, p, &fo), MX_OK);
    ASSERT_ERROR_HAS("pixels");
    fo.n_epoch = 0;
    CU_ASSERT_EQUAL(mx_model_fit(m, opt, p, &fo), MX_EINVAL);
    ASSERT_ERROR_HAS("n_epoch");
    mx_nd *out;
    CU_ASSERT_EQUAL(mx_model_predict(m, p, &out), MX_EINVAL);
    ASSERT_ERROR_HAS("fit or load it first");
    mx_log_set_quiet(0);
    mx_ctx gpu[] = {mx_cpu(), mx_gpu(0)};
    CU_ASSERT_PTR_NULL(mx_model_create(net, gpu, 2));
    ASSERT_ERROR_HAS("GPU0");
    mx_ctx many[17];
    for (int i = 0; i < 17; i++) many[i] = mx_cpu();
    CU_ASSERT_PTR_NULL(mx_model_create(net, many, 17));
    ASSERT_ERROR_HAS("17 contexts");
    mx_provider_free(p);
    mx_nd_free(x); mx_nd_free(y);
    mx_optimizer_free(opt);
    mx_model_free(m);
    mx_sym_free(net);
}

CU_ErrorCode mx_test_register_model(void)
{
    CU_pSuite s = CU_add_suite("model", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "fit on a small MNIST subset reaches accuracy", test_model_fit_small_mnist_subset_reaches_accuracy);
    CU_add_test(s, "same seed and threads give identical weights", test_model_same_seed_and_threads_give_identical_weights);
    CU_add_test(s, "LeNet on an MNIST subset reaches accuracy", test_model_lenet_on_mnist_subset_reaches_accuracy);
    CU_add_test(s, "predict returns every sample without padding", test_model_predict_returns_every_sample_without_padding);
    CU_add_test(s, "fit rejects bad requests", test_model_fit_rejects_bad_requests);
    return CU_get_error();
}
