/* test_parallel.c — FeedForward over several CPU contexts trains like one
 * context at the same total batch (MXNet.jl's _split_inputs + KVStore). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

/* Trains the tutorial MLP for one epoch on `limit` samples. */
static mx_model *train(int nctx, int batch, long limit, int threads)
{
    char img[512], lab[512];
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = mx_test_mnist_path("train-images-idx3-ubyte", img, sizeof img);
    o.label = mx_test_mnist_path("train-labels-idx1-ubyte", lab, sizeof lab);
    o.batch_size = batch;
    o.flat = 1;
    o.shuffle = 1;
    o.seed = 5;
    o.limit = limit;
    mx_provider *p = mx_mnist_provider(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    mx_engine_set_default(threads, MX_BIND_NONE);
    mx_random_seed(11);
    mx_sym *net = mx_test_mlp();
    mx_ctx ctx[4];
    for (int k = 0; k < 4; k++) ctx[k] = (mx_ctx){MX_CPU, k};
    mx_model *m = mx_model_create(net, ctx, nctx);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mx_optimizer *opt = mx_optimizer_parse("sgd lr=0.1 momentum=0.9 weight_decay=0.00001");
    CU_ASSERT_PTR_NOT_NULL_FATAL(opt);
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = 1;
    mx_log_set_quiet(1);
    mx_status st = mx_model_fit(m, opt, p, &fo);
    mx_log_set_quiet(0);
    if (st != MX_OK) fprintf(stderr, "\n  fit: %s\n", mx_last_error());
    CU_ASSERT_EQUAL(st, MX_OK);
    mx_optimizer_free(opt);
    mx_provider_free(p);
    mx_sym_free(net);
    return m;
}

static double max_diff(const mx_model *a, const mx_model *b)
{
    double worst = 0.0;
    for (int i = 0; i < mx_model_num_params(a); i++) {
        const float *x = mx_nd_data(mx_model_param(a, i)), *y = mx_nd_data(mx_model_param(b, i));
        for (size_t j = 0; j < mx_nd_size(mx_model_param(a, i)); j++) {
            double d = fabs((double)x[j] - y[j]);
            if (d > worst) worst = d;
        }
    }
    return worst;
}

static void compare(int nctx, int batch, long limit, int threads)
{
    mx_model *one = train(1, batch, limit, threads);
    mx_model *many = train(nctx, batch, limit, threads);
    double d = max_diff(one, many);
    printf("\n  %d contexts, batch %d, %ld samples, %d thread(s): max |w1 - w%d| = %.2e (bound 1e-5)", nctx, batch,
           limit, threads, nctx, d);
    CU_ASSERT(d <= 1e-5);
    /* and the weights did move: the comparison is not between two inits */
    mx_random_seed(11);
    mx_initializer init = mx_init_uniform(0.01f);
    double moved = 0.0;
    for (int i = 0; i < mx_model_num_params(one); i++) {
        mx_nd *w = mx_nd_empty(mx_nd_shape(mx_model_param(one, i)));
        mx_init_param(&init, mx_model_param_name(one, i), w, NULL);
        for (size_t j = 0; j < mx_nd_size(w); j++)
            moved = fmax(moved, fabs((double)mx_nd_data(w)[j] - mx_nd_data(mx_model_param(one, i))[j]));
        mx_nd_free(w);
    }
    printf(", moved up to %.3f", moved);
    CU_ASSERT(moved > 1e-2);
    mx_model_free(one);
    mx_model_free(many);
}

typedef struct lines {
    char text[4096];
    size_t len;
} lines;

static void keep(void *ctx, const char *level, const char *line)
{
    lines *l = ctx;
    (void)level;
    if (l->len < sizeof l->text) l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "%s\n", line);
}

static void test_parallel_two_contexts_match_one_context(void)
{
    if (!mx_test_have_mnist("several contexts")) return;
    compare(2, 100, 1000, 2);
    /* each context on its own core */
    lines l = {{0}, 0};
    char img[512], lab[512];
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = mx_test_mnist_path("train-images-idx3-ubyte", img, sizeof img);
    o.label = mx_test_mnist_path("train-labels-idx1-ubyte", lab, sizeof lab);
    o.batch_size = 100;
    o.flat = 1;
    o.limit = 200;
    mx_provider *p = mx_mnist_provider(&o);
    mx_engine_set_default(2, MX_BIND_NONE);
    mx_sym *net = mx_test_mlp();
    mx_ctx ctx[2] = {{MX_CPU, 0}, {MX_CPU, 1}};
    mx_model *m = mx_model_create(net, ctx, 2);
    mx_optimizer *opt = mx_sgd_create(NULL);
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = 1;
    mx_log_set_sink(keep, &l);
    CU_ASSERT_EQUAL(mx_model_fit(m, opt, p, &fo), MX_OK);
    mx_log_set_sink(NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(l.text, "Start training on [CPU0, CPU1]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(l.text, "Context CPU0: 50 samples a batch, 1 thread, pinned to cpu 0 ("));
    CU_ASSERT_PTR_NOT_NULL(strstr(l.text, "Context CPU1: 50 samples a batch, 1 thread, pinned to cpu 1 ("));
    mx_optimizer_free(opt);
    mx_model_free(m);
    mx_sym_free(net);
    mx_provider_free(p);
}

static void test_parallel_uneven_split_and_padded_last_batch(void)
{
    if (!mx_test_have_mnist("uneven split")) return;
    compare(2, 99, 1050, 2); /* slices 50 + 49; the last batch holds 60 real samples */
    compare(3, 100, 1000, 2); /* 34 + 33 + 33, more contexts than cores */
}

static void test_parallel_validation_and_predict_use_all_contexts(void)
{
    if (!mx_test_have_mnist("several contexts, predict")) return;
    mx_model *m = train(2, 100, 1000, 2);
    char img[512], lab[512];
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = mx_test_mnist_path("t10k-images-idx3-ubyte", img, sizeof img);
    o.label = mx_test_mnist_path("t10k-labels-idx1-ubyte", lab, sizeof lab);
    o.batch_size = 100;
    o.flat = 1;
    o.limit = 300;
    mx_provider *p = mx_mnist_provider(&o);
    mx_nd *out = NULL;
    CU_ASSERT_EQUAL_FATAL(mx_model_predict(m, p, &out), MX_OK);
    mx_shape want = mx_shape_make(2, 300, 10), got = mx_nd_shape(out);
    CU_ASSERT(mx_shape_equal(&got, &want));
    mx_nd_free(out);
    mx_provider_free(p);
    mx_model_free(m);
}

static void test_parallel_rejects_batch_smaller_than_contexts(void)
{
    mx_sym *net = mx_test_mlp();
    mx_ctx ctx[3] = {mx_cpu(), mx_cpu(), mx_cpu()};
    mx_model *m = mx_model_create(net, ctx, 3);
    mx_nd *x = mx_nd_zeros(mx_shape_make(2, 4, 784)), *y = mx_nd_zeros(mx_shape_make(1, 4));
    const char *dn[] = {"data"}, *ln[] = {"softmax_label"};
    mx_array_provider_opts po = {2, 0, 0, 0, 0};
    mx_provider *p = mx_array_provider(1, dn, &x, 1, ln, &y, &po);
    mx_optimizer *opt = mx_sgd_create(NULL);
    mx_fit_opts fo = mx_fit_defaults();
    mx_log_set_quiet(1);
    CU_ASSERT_EQUAL(mx_model_fit(m, opt, p, &fo), MX_EINVAL);
    mx_log_set_quiet(0);
    ASSERT_ERROR_HAS("batch size 2 is smaller than the 3 contexts");
    fo.kvstore = "dist_sync";
    mx_model *m2 = mx_model_create(net, ctx, 2);
    mx_log_set_quiet(1);
    CU_ASSERT_NOT_EQUAL(mx_model_fit(m2, opt, p, &fo), MX_OK);
    mx_log_set_quiet(0);
    ASSERT_ERROR_HAS("MPI");
    mx_model_free(m2);
    mx_optimizer_free(opt);
    mx_provider_free(p);
    mx_nd_free(x); mx_nd_free(y);
    mx_model_free(m);
    mx_sym_free(net);
}

CU_ErrorCode mx_test_register_parallel(void)
{
    CU_pSuite s = CU_add_suite("parallel", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "two contexts match one context", test_parallel_two_contexts_match_one_context);
    CU_add_test(s, "uneven split and padded last batch", test_parallel_uneven_split_and_padded_last_batch);
    CU_add_test(s, "validation and predict use all contexts", test_parallel_validation_and_predict_use_all_contexts);
    CU_add_test(s, "rejects batch smaller than contexts", test_parallel_rejects_batch_smaller_than_contexts);
    return CU_get_error();
}
