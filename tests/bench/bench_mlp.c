/* bench_mlp.c — times training epochs of the tutorials' MNIST networks
 * (--net mlp: 784-128-64-10, SGD lr 0.1; --net lenet: LeNet, SGD lr 0.05;
 * batch 100, momentum 0.9) and reports one line: label, threads, median
 * epoch seconds, images/s, peak RSS, planned bytes, dispatch cost.
 * tests/bench/run_bench.sh runs it per net, thread count and GEMM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "mx/mx.h"

#define MAX_EPOCHS 64

typedef struct times {
    double t[MAX_EPOCHS];
    int n;
} times;

static int keep_time(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)info;
    times *t = ctx;
    if (t->n < MAX_EPOCHS) t->t[t->n++] = mx_model_last_epoch_seconds(m);
    return 0;
}

static void nothing(void *ctx, int tid, int n) { (void)ctx; (void)tid; (void)n; }

/* Microseconds one empty parallel region costs: the cross-core round
 * trip that every parallel kernel pays (it varies with where the VM's
 * vCPUs sit, and explains most run-to-run spread at 2 threads). */
static double dispatch_us(void)
{
    struct timespec a, b;
    mx_engine *eng = mx_engine_default();
    for (int i = 0; i < 1000; i++) mx_engine_run(eng, nothing, NULL);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 20000; i++) mx_engine_run(eng, nothing, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 20000 / 1e3;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *dir = "data/mnist", *label = "mxrt", *netname = "mlp";
    int threads = 1, epochs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--data-dir")) dir = argv[i + 1];
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--epochs")) epochs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--label")) label = argv[i + 1];
        else if (!strcmp(argv[i], "--net")) netname = argv[i + 1];
        else { fprintf(stderr, "bench_mlp: unknown option '%s'\n", argv[i]); return 2; }
    }
    if (epochs < 1 || epochs > MAX_EPOCHS || threads < 1) {
        fprintf(stderr, "bench_mlp: --epochs 1..%d and --threads >= 1\n", MAX_EPOCHS);
        return 2;
    }
    if (mx_engine_set_default(threads, MX_BIND_CORE) != MX_OK) {
        fprintf(stderr, "bench_mlp: %s\n", mx_last_error());
        return 1;
    }
    char img[1024], lab[1024];
    snprintf(img, sizeof img, "%s/train-images-idx3-ubyte", dir);
    snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte", dir);
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = img;
    o.label = lab;
    o.batch_size = 100;
    int lenet = !strcmp(netname, "lenet");
    if (!lenet && strcmp(netname, "mlp")) {
        fprintf(stderr, "bench_mlp: --net: mlp or lenet\n");
        return 2;
    }
    o.flat = !lenet;
    o.shuffle = 1;
    mx_provider *train = mx_mnist_provider(&o);
    if (!train) { fprintf(stderr, "bench_mlp: %s\n", mx_last_error()); return 1; }
    mx_sym *data = mx_var("data");
    mx_sym *net = lenet
        ? mx_chain(data, "Convolution name=conv1 kernel=(5,5) num_filter=20", "Activation act_type=tanh",
                   "Pooling pool_type=max kernel=(2,2) stride=(2,2)", "Convolution name=conv2 kernel=(5,5) num_filter=50",
                   "Activation act_type=tanh", "Pooling pool_type=max kernel=(2,2) stride=(2,2)", "Flatten",
                   "FullyConnected name=fc1 num_hidden=500", "Activation act_type=tanh",
                   "FullyConnected name=fc2 num_hidden=10", "SoftmaxOutput name=softmax", NULL)
        : mx_chain(data, "FullyConnected name=fc1 num_hidden=128", "Activation name=relu1 act_type=relu",
                   "FullyConnected name=fc2 num_hidden=64", "Activation name=relu2 act_type=relu",
                   "FullyConnected name=fc3 num_hidden=10", "SoftmaxOutput name=softmax", NULL);
    if (!net) {
        fprintf(stderr, "bench_mlp: %s\n", mx_last_error());
        return 1;
    }
    mx_model *m = mx_model_create(net, NULL, 0);
    mx_sgd_opts so = mx_sgd_defaults();
    so.lr = lenet ? 0.05f : 0.1f;
    so.momentum = 0.9f;
    so.weight_decay = 1e-5f;
    mx_optimizer *opt = mx_sgd_create(&so);
    times t = {{0}, 0};
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = epochs;
    mx_callback *cb = mx_every_n_epoch(keep_time, &t, 1, 0);
    fo.callbacks = &cb;
    fo.ncallbacks = 1;
    mx_log_set_quiet(1);
    mx_random_seed(1);
    if (mx_model_fit(m, opt, train, &fo) != MX_OK) {
        fprintf(stderr, "bench_mlp: %s\n", mx_last_error());
        return 1;
    }
    qsort(t.t, (size_t)t.n, sizeof t.t[0], by_value);
    double median = t.n % 2 ? t.t[t.n / 2] : 0.5 * (t.t[t.n / 2 - 1] + t.t[t.n / 2]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%s threads=%d epochs=%d median_epoch_s=%.4f images_per_s=%.0f peak_rss_mb=%.1f planned_kb=%.1f "
           "naive_kb=%.1f dispatch_us=%.2f\n",
           label, threads, t.n, median, (double)mx_provider_num_samples(train) / median,
           (double)ru.ru_maxrss / 1024.0, (double)mx_exec_planned_bytes(mx_model_exec(m)) / 1024.0,
           (double)mx_exec_naive_bytes(mx_model_exec(m)) / 1024.0, dispatch_us());
    mx_optimizer_free(opt);
    mx_model_free(m);
    mx_sym_free(net);
    mx_sym_free(data);
    mx_provider_free(train);
    return 0;
}
