/* mnist_lenet.c — the MXNet.jl tutorial's LeNet as a static binary:
 * conv 5×5×20, tanh, max-pool 2×2/2, conv 5×5×50, tanh, max-pool,
 * flatten, FC 500, tanh, FC 10, softmax; SGD lr 0.05, momentum 0.9,
 * weight decay 1e-5, batch 100, 20 epochs. --dataset fashion trains on
 * Debian's Fashion-MNIST instead. */
#include <stdio.h>
#include <string.h>

#include "app_mnist.h"
#include "app_dist.h"
#include "app_train.h"

int main(int argc, char **argv)
{
    const char *prog = "mnist_lenet", *data_dir = "data/mnist", *dataset = "mnist";
    int limit = 0;
    app_train t;
    app_arg args[APP_TRAIN_NARGS + 3];
    int n = app_train_args(&t, prog, 20, 100, 0.05f, 0.9f, 1e-5f, args);
    args[n++] = (app_arg){"data-dir", APP_STRING, &data_dir, 0, 0,
                          "folder with the four IDX files (raw or .gz); default data/mnist, or " APP_FASHION_DIR};
    args[n++] = (app_arg){"dataset", APP_STRING, &dataset, 0, 0, "mnist or fashion"};
    args[n++] = (app_arg){"limit", APP_INT, &limit, 0, 60000, "train on the first N samples only (0 = all)"};
    int data_dir_given = 0;
    for (int i = 1; i < argc; i++) data_dir_given |= !strncmp(argv[i], "--data-dir", 10);
    int rc = app_parse_args(prog, "Trains the MXNet.jl tutorial's LeNet on MNIST (or Fashion-MNIST).", args, n,
                            argc, argv);
    if (rc != 0) return rc > 0 ? 0 : 2;
    const char *dir = app_dataset_dir(dataset, data_dir, data_dir_given);
    if (!dir) {
        fprintf(stderr, "%s: --dataset: bad value '%s' (expected mnist or fashion)\n", prog, dataset);
        return 2;
    }
    if ((rc = app_train_prepare(&t)) != 0) return rc;

    /* The network, as in the tutorial: two convolution modules, then two FC layers. */
    mx_sym *data = mx_var("data");
    mx_sym *lenet = mx_chain(data,
        "Convolution    name=conv1 kernel=(5,5) num_filter=20",
        "Activation     name=tanh1 act_type=tanh",
        "Pooling        name=pool1 pool_type=max kernel=(2,2) stride=(2,2)",
        "Convolution    name=conv2 kernel=(5,5) num_filter=50",
        "Activation     name=tanh2 act_type=tanh",
        "Pooling        name=pool2 pool_type=max kernel=(2,2) stride=(2,2)",
        "Flatten        name=flatten",
        "FullyConnected name=fc1 num_hidden=500",
        "Activation     name=tanh3 act_type=tanh",
        "FullyConnected name=fc2 num_hidden=10",
        "Softmax        name=softmax", NULL);
    mx_sym_free(data);
    if (!lenet) return app_die(prog, "network");

    /* 4-D batches (flat=false), as the tutorial's get_mnist_providers(batch; flat=false). */
    mx_provider *train, *eval;
    if (app_mnist_providers(dir, t.batch_size, 0, (uint64_t)t.seed, limit, t.rank, t.nranks, &train, &eval) != MX_OK)
        return app_die(prog, "data");

    char note[4200];
    snprintf(note, sizeof note, "data %s", dir);
    rc = app_train_fit(&t, lenet, train, eval, NULL, note);
    if (rc == 0 && app_dist_is_root()) printf("final validation accuracy = %.4f\n", t.last_accuracy);
    app_train_finish(&t);
    mx_provider_free(train);
    mx_provider_free(eval);
    mx_sym_free(lenet);
    return rc;
}
