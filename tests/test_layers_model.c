/* test_layers_model.c — the layer ops inside whole graphs (suite `layers`,
 * registered from test_layers.c): BatchNorm and friends through MXNet's
 * symbol JSON and back, and a BatchNorm/LeakyReLU/Dropout net trained by
 * mx_model_fit on an MNIST subset whose aux states reach the checkpoint. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "suites.h"
#include "test_util.h"

/* Adds this file's tests to the layers suite. */
void mx_test_layers_add_model_tests(CU_pSuite s);

/* data → fc1 → BatchNorm → LeakyReLU → Dropout → fc2 → out: the tail
 * (SoftmaxOutput or SoftmaxActivation) by op line. */
static mx_sym *layer_net(int hidden, int classes, const char *tail)
{
    char fc1[64], fc2[64];
    snprintf(fc1, sizeof fc1, "FullyConnected name=fc1 num_hidden=%d", hidden);
    snprintf(fc2, sizeof fc2, "FullyConnected name=fc2 num_hidden=%d", classes);
    mx_sym *data = mx_var("data");
    mx_sym *net = mx_chain(data, fc1,
        "BatchNorm name=bn1 fix_gamma=false eps=1e-4 momentum=0.8",
        "LeakyReLU name=act1 act_type=leaky slope=0.1",
        "Dropout name=drop1 p=0.2",
        fc2, tail, NULL);
    mx_sym_free(data);
    return net;
}

static void test_layers_batchnorm_symbol_json_round_trip(void)
{
    mx_sym *net = layer_net(6, 4, "SoftmaxActivation name=sa mode=instance");
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    const char *aux[4];
    CU_ASSERT_EQUAL_FATAL(mx_list_auxiliary_states(net, aux, 4), 2);
    CU_ASSERT_STRING_EQUAL(aux[0], "bn1_moving_mean");
    CU_ASSERT_STRING_EQUAL(aux[1], "bn1_moving_var");
    char *json = mx_sym_to_json(net);
    CU_ASSERT_PTR_NOT_NULL_FATAL(json);
    /* Aux states are variable nodes after BatchNorm's arguments, as MXNet writes them. */
    const char *beta = strstr(json, "\"bn1_beta\""), *mean = strstr(json, "\"bn1_moving_mean\""),
               *var = strstr(json, "\"bn1_moving_var\""), *bn = strstr(json, "\"BatchNorm\"");
    CU_ASSERT(beta && mean && var && bn && beta < mean && mean < var && var < bn);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"momentum\": \"0.8\""));
    mx_sym *back = mx_sym_from_json(json, "layers.json");
    if (!back) fprintf(stderr, "\n  from_json: %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    char *again = mx_sym_to_json(back);
    CU_ASSERT_STRING_EQUAL(again, json);
    const char *const *a1, *const *a2;
    int n1 = mx_list_arguments(net, &a1), n2 = mx_list_arguments(back, &a2);
    CU_ASSERT_EQUAL_FATAL(n1, n2);
    for (int i = 0; i < n1; i++) CU_ASSERT_STRING_EQUAL(a1[i], a2[i]);
    const char *aux2[4];
    CU_ASSERT_EQUAL(mx_list_auxiliary_states(back, aux2, 4), 2);
    CU_ASSERT_STRING_EQUAL(aux2[0], "bn1_moving_mean");
    /* Both graphs compute the same thing, moving statistics included. */
    const char *names[] = {"data"};
    mx_shape s = mx_shape_make(2, 5, 7);
    mx_exec *e[2] = {mx_simple_bind(net, mx_cpu(), 1, names, &s, NULL),
                     mx_simple_bind(back, mx_cpu(), 1, names, &s, NULL)};
    CU_ASSERT_FATAL(e[0] && e[1]);
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < mx_exec_num_args(e[k]); i++) mx_test_fill(mx_exec_arg(e[k], i), -1.0f, 1.0f, 40 + (unsigned)i);
        mx_nd_fill(mx_exec_aux(e[k], 1), 1.0f);
        mx_rng_seed(mx_exec_rng(e[k]), 5);
        CU_ASSERT_EQUAL(mx_exec_forward(e[k], 1), MX_OK);
    }
    size_t n = mx_nd_size(mx_exec_output(e[0], 0));
    CU_ASSERT_EQUAL(memcmp(mx_nd_data(mx_exec_output(e[0], 0)), mx_nd_data(mx_exec_output(e[1], 0)), n * sizeof(float)), 0);
    for (int a = 0; a < 2; a++)
        CU_ASSERT_EQUAL(memcmp(mx_nd_data(mx_exec_aux(e[0], a)), mx_nd_data(mx_exec_aux(e[1], a)), 6 * sizeof(float)), 0);
    mx_exec_free(e[0]);
    mx_exec_free(e[1]);
    free(json);
    free(again);
    mx_sym_free(back);
    mx_sym_free(net);
}

/* MNIST provider over the first limit images of a set. */
static mx_provider *mnist(int train, long limit)
{
    char img[512], lab[512];
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = mx_test_mnist_path(train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte", img, sizeof img);
    o.label = mx_test_mnist_path(train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte", lab, sizeof lab);
    o.batch_size = 100;
    o.flat = 1;
    o.shuffle = train;
    o.seed = 3;
    o.limit = limit;
    return mx_mnist_provider(&o);
}

static double last_eval;

static int keep_eval(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)ctx; (void)m;
    const char *name;
    if (info->eval) mx_metric_get(info->eval, &name, &last_eval, 1);
    return 0;
}

static void test_layers_batchnorm_net_fits_mnist_and_checkpoints_aux(void)
{
    if (!mx_test_have_mnist("BatchNorm net on MNIST")) return;
    mx_provider *train = mnist(1, 6000), *eval = mnist(0, 1000);
    CU_ASSERT_FATAL(train && eval);
    mx_engine_set_default(2, MX_BIND_NONE);
    mx_random_seed(11);
    mx_sym *net = layer_net(64, 10, "SoftmaxOutput name=softmax");
    mx_model *m = mx_model_create(net, NULL, 0);
    mx_sgd_opts so = mx_sgd_defaults();
    so.lr = 0.1f;
    so.momentum = 0.9f;
    mx_optimizer *opt = mx_sgd_create(&so);
    mx_callback *cb = mx_every_n_epoch(keep_eval, NULL, 1, 0);
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = 4;
    fo.eval_data = eval;
    fo.callbacks = &cb;
    fo.ncallbacks = 1;
    mx_log_set_quiet(1);
    CU_ASSERT_EQUAL_FATAL(mx_model_fit(m, opt, train, &fo), MX_OK);
    /* Validation runs at inference: BatchNorm on its moving statistics,
     * Dropout off. */
    printf("\n  BatchNorm/LeakyReLU/Dropout MLP, 6000 samples, 4 epochs: validation accuracy %.4f (stated: >= 0.88)", last_eval);
    CU_ASSERT(last_eval >= 0.88);

    /* The moving statistics were learnt and are saved as aux:<name>. */
    mx_exec *e = mx_model_exec(m);
    CU_ASSERT_EQUAL_FATAL(mx_exec_num_aux(e), 2);
    const float *mv = mx_nd_data(mx_exec_aux(e, 1));
    int positive = 0;
    for (int i = 0; i < 64; i++) positive += mv[i] > 0.0f;
    CU_ASSERT_EQUAL(positive, 64);
    char dir[600], prefix[700], path[800];
    snprintf(dir, sizeof dir, "%s/layers", mx_test_tmp_dir());
    mkdir(dir, 0755);
    snprintf(prefix, sizeof prefix, "%s/bnnet", dir);
    CU_ASSERT_EQUAL_FATAL(mx_checkpoint_save(m, prefix, 4), MX_OK);
    mx_log_set_quiet(0);
    snprintf(path, sizeof path, "%s-0004.params", prefix);
    mx_nd_list l = {0, NULL, NULL};
    CU_ASSERT_EQUAL_FATAL(mx_nd_load(path, &l), MX_OK);
    for (int a = 0; a < 2; a++) {
        char key[64];
        snprintf(key, sizeof key, "aux:%s", mx_exec_aux_name(e, a));
        int k = mx_nd_list_find(&l, key);
        CU_ASSERT_FATAL(k >= 0);
        CU_ASSERT_EQUAL(mx_nd_size(l.arrays[k]), 64);
        CU_ASSERT_EQUAL(memcmp(mx_nd_data(l.arrays[k]), mx_nd_data(mx_exec_aux(e, a)), 64 * sizeof(float)), 0);
    }
    CU_ASSERT(mx_nd_list_find(&l, "aux:bn1_moving_mean") >= 0);
    CU_ASSERT(mx_nd_list_find(&l, "arg:bn1_gamma") >= 0);
    mx_nd_list_free(&l);
    /* A model from the files alone predicts bit for bit as the trained one:
     * the moving statistics came back with it. */
    mx_nd *pa = NULL, *pb = NULL;
    CU_ASSERT_EQUAL_FATAL(mx_model_predict(m, eval, &pa), MX_OK);
    mx_model *back = mx_model_load(prefix, 4, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_EQUAL_FATAL(mx_model_predict(back, eval, &pb), MX_OK);
    CU_ASSERT(mx_nd_size(pa) == mx_nd_size(pb) &&
              memcmp(mx_nd_data(pa), mx_nd_data(pb), mx_nd_size(pa) * sizeof(float)) == 0);
    mx_nd_free(pa);
    mx_nd_free(pb);
    mx_model_free(back);
    mx_callback_free(cb);
    mx_optimizer_free(opt);
    mx_model_free(m);
    mx_sym_free(net);
    mx_provider_free(train);
    mx_provider_free(eval);
}

void mx_test_layers_add_model_tests(CU_pSuite s)
{
    CU_add_test(s, "BatchNorm symbol JSON round trip", test_layers_batchnorm_symbol_json_round_trip);
    CU_add_test(s, "BatchNorm net fits MNIST and checkpoints aux", test_layers_batchnorm_net_fits_mnist_and_checkpoints_aux);
}
