/* mnist_mlp.c — the MXNet.jl MNIST tutorial's MLP as a static binary:
 * 784 → 128 (ReLU) → 64 (ReLU) → 10 → SoftmaxOutput, SGD lr 0.1,
 * momentum 0.9, weight decay 1e-5, batch 100, 20 epochs. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app_train.h"

/* The IDX file under dir, raw or gzipped, whichever exists. */
static const char *data_file(const char *dir, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", dir, name);
    if (access(buf, R_OK) == 0) return buf;
    snprintf(buf, cap, "%s/%s.gz", dir, name);
    if (access(buf, R_OK) == 0) return buf;
    snprintf(buf, cap, "%s/%s", dir, name); /* let the loader name the missing file */
    return buf;
}

int main(int argc, char **argv)
{
    const char *prog = "mnist_mlp", *data_dir = "data/mnist";
    int limit = 0;
    app_train t;
    app_arg args[APP_TRAIN_NARGS + 3];
    int n = app_train_args(&t, prog, 20, 100, 0.1f, 0.9f, 1e-5f, args);
    args[n++] = (app_arg){"data-dir", APP_STRING, &data_dir, 0, 0, "folder with the four MNIST IDX files (raw or .gz)"};
    args[n++] = (app_arg){"limit", APP_INT, &limit, 0, 60000, "train on the first N samples only (0 = all)"};
    args[n++] = (app_arg){"quiet", APP_FLAG, &t.quiet, 0, 0, "print only the final accuracy"};
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
    char img[1024], lab[1024], vimg[1024], vlab[1024];
    mx_mnist_opts tr = mx_mnist_defaults();
    tr.batch_size = t.batch_size;
    tr.flat = 1;
    tr.shuffle = 1;
    tr.seed = (uint64_t)t.seed;
    tr.limit = limit;
    tr.image = data_file(data_dir, "train-images-idx3-ubyte", img, sizeof img);
    tr.label = data_file(data_dir, "train-labels-idx1-ubyte", lab, sizeof lab);
    mx_provider *train = mx_mnist_provider(&tr);
    if (!train) return app_die(prog, "training data");
    mx_mnist_opts va = tr;
    va.shuffle = 0;
    va.limit = 0;
    va.image = data_file(data_dir, "t10k-images-idx3-ubyte", vimg, sizeof vimg);
    va.label = data_file(data_dir, "t10k-labels-idx1-ubyte", vlab, sizeof vlab);
    mx_provider *eval = mx_mnist_provider(&va);
    if (!eval) return app_die(prog, "validation data");

    /* The model, the optimizer, and fit. */
    mx_model *model = mx_model_create(mlp, t.ctx, t.nctx);
    mx_optimizer *opt = app_train_optimizer(&t);
    if (!model || !opt) return app_die(prog, "model");
    if (app_train_resume(&t, model) != MX_OK) return app_die(prog, "resume");
    mx_log_info("%s; %s", mx_build_info(), mx_engine_describe(mx_engine_default()));
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = t.epochs;
    fo.eval_data = eval;
    if (app_train_callbacks(&t, &fo) != 0) return 1;
    if (mx_model_fit(model, opt, train, &fo) != MX_OK) return app_die(prog, "fit");
    printf("final validation accuracy = %.4f\n", t.last_accuracy);
    app_train_finish(&t);
    mx_optimizer_free(opt);
    mx_model_free(model);
    mx_provider_free(train);
    mx_provider_free(eval);
    mx_sym_free(mlp);
    return 0;
}
