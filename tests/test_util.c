/* test_util.c — helpers shared by the test suites. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"

mx_sym *mx_test_mlp(void)
{
    mx_sym *data = mx_var("data");
    mx_sym *net = mx_chain(data,
        "FullyConnected name=fc1 num_hidden=128",
        "Activation name=relu1 act_type=relu",
        "FullyConnected name=fc2 num_hidden=64",
        "Activation name=relu2 act_type=relu",
        "FullyConnected name=fc3 num_hidden=10",
        "SoftmaxOutput name=softmax", NULL);
    mx_sym_free(data);
    return net;
}

mx_sym *mx_test_lenet(void)
{
    mx_sym *data = mx_var("data");
    mx_sym *net = mx_chain(data,
        "Convolution name=conv1 kernel=(5,5) num_filter=20", "Activation name=tanh1 act_type=tanh",
        "Pooling name=pool1 pool_type=max kernel=(2,2) stride=(2,2)",
        "Convolution name=conv2 kernel=(5,5) num_filter=50", "Activation name=tanh2 act_type=tanh",
        "Pooling name=pool2 pool_type=max kernel=(2,2) stride=(2,2)", "Flatten name=flatten",
        "FullyConnected name=fc1 num_hidden=500", "Activation name=tanh3 act_type=tanh",
        "FullyConnected name=fc2 num_hidden=10", "SoftmaxOutput name=softmax", NULL);
    mx_sym_free(data);
    return net;
}

mx_sym *mx_test_conv_layers(void)
{
    mx_sym *data = mx_var("data");
    mx_sym *a = mx_chain(data, "Convolution name=c1 kernel=(3,3) stride=(2,2) pad=(1,1) num_filter=8",
                         "BatchNorm name=bn1", "LeakyReLU name=lr1 act_type=leaky slope=0.1",
                         "Pooling name=p1 pool_type=avg kernel=(2,2) stride=(2,2)", NULL);
    mx_sym *b = mx_chain(a, "Convolution name=c2 kernel=(1,1) num_filter=8", "Activation name=r2 act_type=relu", NULL);
    mx_sym *parts[] = {a, b};
    mx_sym *cat = mx_op_args("Concat", "name=cat num_args=2 dim=1", 2, NULL, parts);
    mx_sym *net = cat ? mx_chain(cat, "Reshape name=flat shape=(0,-1)", "Dropout name=drop p=0.3",
                                 "FullyConnected name=fc num_hidden=10", "SoftmaxOutput name=softmax", NULL)
                      : NULL;
    mx_sym_free(data);
    mx_sym_free(a);
    mx_sym_free(b);
    mx_sym_free(cat);
    return net;
}

mx_lstm_opts mx_test_lstm_opts(int layers, int steps, int hidden, int embed, int vocab)
{
    mx_lstm_opts o = mx_lstm_defaults();
    o.name = "ptb";
    o.num_layers = layers;
    o.seq_len = steps;
    o.num_hidden = hidden;
    o.num_embed = embed;
    o.num_label = vocab;
    return o;
}

int mx_test_lstm_inputs(const mx_lstm_opts *o, int B, char names[][48], mx_shape *shapes)
{
    int n = 0;
    for (int t = 1; t <= o->seq_len; t++) {
        snprintf(names[n], 48, "%s_data_%d", o->name, t);
        shapes[n++] = mx_shape_make(1, B);
        snprintf(names[n], 48, "%s_label_%d", o->name, t);
        shapes[n++] = mx_shape_make(1, B);
    }
    for (int i = 1; i <= o->num_layers; i++) {
        snprintf(names[n], 48, "%s_l%d_init_c", o->name, i);
        shapes[n++] = mx_shape_make(2, B, o->num_hidden);
        snprintf(names[n], 48, "%s_l%d_init_h", o->name, i);
        shapes[n++] = mx_shape_make(2, B, o->num_hidden);
    }
    return n;
}

mx_provider *mx_test_mnist_test_subset(long limit, int batch)
{
    char img[512], lab[512];
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = mx_test_mnist_path("t10k-images-idx3-ubyte", img, sizeof img);
    o.label = mx_test_mnist_path("t10k-labels-idx1-ubyte", lab, sizeof lab);
    o.flat = 1;
    o.batch_size = batch;
    o.limit = limit;
    return mx_mnist_provider(&o);
}

void mx_test_fill(mx_nd *a, float lo, float hi, unsigned seed)
{
    mx_rng rng;
    mx_rng_seed(&rng, seed);
    mx_nd_rand_uniform(a, lo, hi, &rng);
}

const char *mx_test_mnist_path(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", mx_test_data_dir(), name);
    return buf;
}

int mx_test_have_mnist(const char *what)
{
    char p[512];
    if (access(mx_test_mnist_path("train-images-idx3-ubyte", p, sizeof p), R_OK) == 0 &&
        access(mx_test_mnist_path("t10k-labels-idx1-ubyte", p, sizeof p), R_OK) == 0)
        return 1;
    mx_test_skip("%s: MNIST not in %s (run scripts/fetch_mnist.sh)", what, mx_test_data_dir());
    return 0;
}

static int is_lstm_index(const char *name) { return strstr(name, "_data_") || strstr(name, "_label_"); }

void mx_test_same_args(mx_exec *a, mx_exec *b, int vocab)
{
    unsigned long long s = 0x243f6a8885a308d3ULL;
    for (int i = 0; i < mx_exec_num_args(a); i++) {
        const char *name = mx_exec_arg_name(a, i);
        int j = mx_exec_arg_index(b, name);
        CU_ASSERT_FATAL(j >= 0);
        float *x = mx_nd_data(mx_exec_arg(a, i)), *y = mx_nd_data(mx_exec_arg(b, j));
        int idx = is_lstm_index(name);
        for (size_t k = 0; k < mx_nd_size(mx_exec_arg(a, i)); k++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            float u = (float)(s >> 40) / 16777216.0f;
            x[k] = y[k] = idx ? (float)(int)(u * (float)vocab) : 2.0f * u - 1.0f;
        }
    }
}

double mx_test_rel_diff(const mx_nd *a, const mx_nd *b, double floor)
{
    const float *x = mx_nd_data(a), *y = mx_nd_data(b);
    double worst = 0.0;
    for (size_t k = 0; k < mx_nd_size(a); k++) {
        double d = fabs((double)x[k] - (double)y[k]) / (floor + fabs((double)x[k]));
        if (!(d <= worst)) worst = isnan(d) ? INFINITY : d;
    }
    return worst;
}

int mx_test_lstm_bind_inputs(const mx_sym *net, const mx_lstm_opts *o, int B, char nm[][48], const char **names,
                             mx_shape *shapes, mx_grad_req state_req, mx_grad_req *reqs)
{
    int n = mx_test_lstm_inputs(o, B, nm, shapes);
    for (int i = 0; i < n; i++) names[i] = nm[i];
    const char *const *args;
    int nargs = mx_list_arguments(net, &args);
    CU_ASSERT_FATAL(nargs <= 64);
    for (int a = 0; a < nargs; a++)
        reqs[a] = is_lstm_index(args[a]) ? MX_GRAD_NULL : strstr(args[a], "_init_") ? state_req : MX_GRAD_WRITE;
    return n;
}
