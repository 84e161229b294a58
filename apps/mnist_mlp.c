/* mnist_mlp.c — the MXNet.jl MNIST tutorial's MLP as a static binary:
 * 784 → 128 (ReLU) → 64 (ReLU) → 10 → SoftmaxOutput, SGD lr 0.1,
 * momentum 0.9, weight decay 1e-5, batch 100, 20 epochs. */
#include <stdio.h>

#include "app_mnist.h"
#include "app_dist.h"
#include "app_train.h"

int main(int argc, char **argv)
{
    const char *prog = "mnist_mlp", *data_dir = "data/mnist";
    int limit = 0;
    app_train t;
    app_arg args[APP_TRAIN_NARGS + 2];
    int n = app_train_args(&t, prog, 20, 100, 0.1f, 0.9f, 1e-5f, args);
    args[n++] = (app_arg){"data-dir", APP_STRING, &data_dir, 0, 0, "folder with the four MNIST IDX files (raw or .gz)"};
    args[n++] = (app_arg){"limit", APP_INT, &limit, 0, 60000, "train on the first N samples only (0 = all)"};
    int rc = app_parse_args(prog, "Trains the MXNet.jl tutorial's MLP on MNIST and reports validation accuracy.",
                            args, n, argc, argv);
    if (rc != 0) return rc > 0 ? 0 : 2;
    if ((rc = app_train_prepare(&t)) != 0) return rc;

    /* The network, as in the tutorial's @mx.chain. */
    mx_sym *data = mx_var("data");
    mx_sym *mlp = mx_chain(data,
        "FullyConnected name=fc1 num_hidden=128",
        "Activation     name=relu1 act_type=relu",
        "FullyConnected name=fc2 num_hidden=64",
        "Activation     name=relu2 act_type=relu",
        "FullyConnected name=fc3 num_hidden=10",
        "SoftmaxOutput  name=softmax", NULL);
    mx_sym_free(data);
    if (!mlp) return app_die(prog, "network");

    /* The data: shuffled training set, validation set in order. */
    mx_provider *train, *eval;
    if (app_mnist_providers(data_dir, t.batch_size, 1, (uint64_t)t.seed, limit, t.rank, t.nranks, &train, &eval) != MX_OK)
        return app_die(prog, "data");

    /* The model, the optimizer, and fit (as every app: app_train_fit). */
    rc = app_train_fit(&t, mlp, train, eval, NULL, NULL);
    if (rc == 0 && app_dist_is_root()) printf("final validation accuracy = %.4f\n", t.last_accuracy);
    app_train_finish(&t);
    mx_provider_free(train);
    mx_provider_free(eval);
    mx_sym_free(mlp);
    return rc;
}
