/* test_util.c — helpers shared by the test suites. */
#include "test_util.h"

#include <stdio.h>
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
    printf("\n  skipped: %s: MNIST not in %s (run scripts/fetch_mnist.sh)\n", what, mx_test_data_dir());
    return 0;
}
