/* mnist_mlp.c — the MXNet.jl MNIST tutorial's MLP as a static binary:
 * 784 → 128 (ReLU) → 64 (ReLU) → 10 → SoftmaxOutput, SGD lr 0.1,
 * momentum 0.9, weight decay 1e-5, batch 100, 20 epochs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_args.h"
#include "mx/mx.h"

typedef struct options {
    const char *data_dir;
    int epochs, batch_size, threads, seed, limit, quiet;
    float lr, momentum, wd;
    const char *bind;
} options;

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

static int keep_accuracy(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)m;
    const char *name;
    if (info->eval) mx_metric_get(info->eval, &name, (double *)ctx, 1);
    return 0;
}

static int die(const char *what)
{
    fprintf(stderr, "mnist_mlp: %s%s%s\n", what, *mx_last_error() ? ": " : "", mx_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    options o = {"data/mnist", 20, 100, 0, 0, 0, 0, 0.1f, 0.9f, 1e-5f, NULL};
    app_arg args[] = {
        {"data-dir", APP_STRING, &o.data_dir, 0, 0, "folder with the four MNIST IDX files (raw or .gz)"},
        {"epochs", APP_INT, &o.epochs, 1, 100000, "training epochs"},
        {"batch-size", APP_INT, &o.batch_size, 1, 60000, "samples per batch"},
        {"lr", APP_FLOAT, &o.lr, 1e-12, 1e6, "SGD learning rate"},
        {"momentum", APP_FLOAT, &o.momentum, 0, 0.999999, "SGD momentum"},
        {"wd", APP_FLOAT, &o.wd, 0, 1e3, "weight decay"},
        {"threads", APP_INT, &o.threads, 0, 1024, "CPU threads, 0 = one per core (MX_NUM_THREADS)"},
        {"bind", APP_STRING, &o.bind, 0, 0, "thread pinning: core or none (default MX_BIND, else core)"},
        {"seed", APP_INT, &o.seed, 0, 2147483647, "random seed (initialization and shuffling)"},
        {"limit", APP_INT, &o.limit, 0, 60000, "train on the first N samples only (0 = all)"},
        {"quiet", APP_FLAG, &o.quiet, 0, 0, "print only the final accuracy"},
    };
    int rc = app_parse_args("mnist_mlp", "Trains the MXNet.jl tutorial's MLP on MNIST and reports validation accuracy.",
                            args, (int)(sizeof args / sizeof args[0]), argc, argv);
    if (rc != 0) return rc > 0 ? 0 : 2;
    /* Flags win over MX_NUM_THREADS / MX_BIND, which win over the defaults. */
    const char *bind_s = o.bind ? o.bind : getenv("MX_BIND") && *getenv("MX_BIND") ? getenv("MX_BIND") : "core";
    if (strcmp(bind_s, "core") && strcmp(bind_s, "none")) {
        fprintf(stderr, "mnist_mlp: %s: bad value '%s' (expected core or none)\n",
                o.bind ? "--bind" : "MX_BIND", bind_s);
        return 2;
    }
    int threads = o.threads;
    const char *env_threads = getenv("MX_NUM_THREADS");
    if (threads == 0 && env_threads && *env_threads) {
        char *end;
        long v = strtol(env_threads, &end, 10);
        if (*end || v < 1 || v > 1024) {
            fprintf(stderr, "mnist_mlp: MX_NUM_THREADS: bad value '%s' (expected 1..1024)\n", env_threads);
            return 2;
        }
        threads = (int)v;
    }
    if (mx_engine_set_default(threads, strcmp(bind_s, "none") ? MX_BIND_CORE : MX_BIND_NONE) != MX_OK)
        return die("threads");
    mx_log_set_quiet(o.quiet);
    mx_random_seed((uint64_t)o.seed);

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
    if (!mlp) return die("network");

    /* The data: shuffled training set, validation set in order. */
    char img[1024], lab[1024];
    mx_mnist_opts tr = mx_mnist_defaults();
    tr.batch_size = o.batch_size;
    tr.flat = 1;
    tr.shuffle = 1;
    tr.seed = (uint64_t)o.seed;
    tr.limit = o.limit;
    tr.image = data_file(o.data_dir, "train-images-idx3-ubyte", img, sizeof img);
    tr.label = data_file(o.data_dir, "train-labels-idx1-ubyte", lab, sizeof lab);
    mx_provider *train = mx_mnist_provider(&tr);
    if (!train) return die("training data");
    char vimg[1024], vlab[1024];
    mx_mnist_opts va = tr;
    va.shuffle = 0;
    va.limit = 0;
    va.image = data_file(o.data_dir, "t10k-images-idx3-ubyte", vimg, sizeof vimg);
    va.label = data_file(o.data_dir, "t10k-labels-idx1-ubyte", vlab, sizeof vlab);
    mx_provider *eval = mx_mnist_provider(&va);
    if (!eval) return die("validation data");

    /* The model, the optimizer, and fit. */
    mx_ctx cpu = mx_cpu();
    mx_model *model = mx_model_create(mlp, &cpu, 1);
    mx_sgd_opts so = mx_sgd_defaults();
    so.lr = o.lr;
    so.momentum = o.momentum;
    so.weight_decay = o.wd;
    mx_optimizer *sgd = mx_sgd_create(&so);
    if (!model || !sgd) return die("model");
    mx_log_info("%s; %s", mx_build_info(), mx_engine_describe(mx_engine_default()));
    double accuracy = 0.0;
    mx_callback *cbs[] = {mx_every_n_epoch(keep_accuracy, &accuracy, 1, 0), mx_progress_line(stdout)};
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = o.epochs;
    fo.eval_data = eval;
    fo.callbacks = cbs;
    fo.ncallbacks = 2;
    if (mx_model_fit(model, sgd, train, &fo) != MX_OK) return die("fit");
    for (int i = 0; i < 2; i++) mx_callback_free(cbs[i]);
    printf("final validation accuracy = %.4f\n", accuracy);
    mx_optimizer_free(sgd);
    mx_model_free(model);
    mx_provider_free(train);
    mx_provider_free(eval);
    mx_sym_free(mlp);
    return 0;
}
