/* dist_check.c — the MPI equivalence checks (tests/test_mpi.sh runs it).
 *
 *   dist_check train NET KVSTORE BATCH LIMIT OUTDIR [STOP_RANK STOP_BATCH]
 *       (NET: mlp | lenet) trains one epoch of NET on the first LIMIT MNIST
 *       training samples (MX_TEST_DATA), shuffled with a fixed seed, batch
 *       BATCH per rank; rank 0 writes the checkpoint OUTDIR/NET-0001.params,
 *       then every rank compares the weights it holds with that file (bit
 *       for bit) and writes its own OUTDIR/NET-rank<r>.params. With
 *       STOP_RANK, a batch callback on that rank alone asks to stop after
 *       batch STOP_BATCH.
 *   dist_check compare A.params B.params TOL
 *       exits 1 when any weight differs by more than TOL (absolute).
 *
 * Under mpirun -np 2 at batch 50 against one process at batch 100, the two
 * runs see the same batches (io.h's interleaved shards), so their weights
 * must agree up to the order of float sums. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/mx.h"
#include "mx/dist.h"
#include "mx/mpi.h"

static int fail(const char *what)
{
    fprintf(stderr, "dist_check [rank %d]: %s: %s\n", mx_dist_rank(), what, mx_last_error());
    mx_dist_abort(1);
    return 1;
}

static mx_sym *network(const char *net)
{
    mx_sym *data = mx_var("data"), *s = NULL;
    if (!strcmp(net, "mlp"))
        s = mx_chain(data, "FullyConnected name=fc1 num_hidden=128", "Activation name=relu1 act_type=relu",
                     "FullyConnected name=fc2 num_hidden=64", "Activation name=relu2 act_type=relu",
                     "FullyConnected name=fc3 num_hidden=10", "SoftmaxOutput name=softmax", NULL);
    else if (!strcmp(net, "lenet"))
        s = mx_chain(data, "Convolution name=conv1 kernel=(5,5) num_filter=20", "Activation act_type=tanh",
                     "Pooling pool_type=max kernel=(2,2) stride=(2,2)",
                     "Convolution name=conv2 kernel=(5,5) num_filter=50", "Activation act_type=tanh",
                     "Pooling pool_type=max kernel=(2,2) stride=(2,2)", "Flatten",
                     "FullyConnected name=fc1 num_hidden=500", "Activation act_type=tanh",
                     "FullyConnected name=fc2 num_hidden=10", "SoftmaxOutput name=softmax", NULL);
    mx_sym_free(data);
    return s;
}

/* Max |a - b| over every array of two .params files; -1 if they do not match up. */
static double max_diff(const char *pa, const char *pb)
{
    mx_nd_list a, b;
    if (mx_nd_load(pa, &a) != MX_OK) return -1;
    if (mx_nd_load(pb, &b) != MX_OK) { mx_nd_list_free(&a); return -1; }
    double worst = a.n == b.n ? 0.0 : -1.0;
    for (int i = 0; i < a.n && worst >= 0; i++) {
        int j = mx_nd_list_find(&b, a.names[i]);
        if (j < 0 || mx_nd_size(a.arrays[i]) != mx_nd_size(b.arrays[j])) {
            fprintf(stderr, "dist_check: '%s' missing or of another size in %s\n", a.names[i], pb);
            worst = -1;
            break;
        }
        const float *x = mx_nd_data(a.arrays[i]), *y = mx_nd_data(b.arrays[j]);
        for (size_t k = 0; k < mx_nd_size(a.arrays[i]); k++) {
            double d = fabs((double)x[k] - (double)y[k]);
            if (!(d <= worst)) worst = d; /* NaN becomes the worst */
        }
    }
    mx_nd_list_free(&a);
    mx_nd_list_free(&b);
    return worst;
}

/* The batch callback: counts the steps this rank trained, and asks to
 * stop after stop_batch of them on stop_rank. */
static int stop_rank = -1, stop_batch;
static long steps;

static int count_and_stop(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)ctx;
    (void)m;
    steps = info->iter;
    return mx_dist_rank() == stop_rank && info->batch == stop_batch;
}

static int train(const char *net, const char *kvstore, int batch, long limit, const char *outdir)
{
    int dist = !strcmp(kvstore, "dist_sync");
    if (dist && mx_mpi_init(NULL, NULL) != MX_OK) return fail("MPI");
    mx_engine_set_default(1, MX_BIND_NONE);
    mx_log_set_quiet(1);
    mx_random_seed(7);
    const char *dir = getenv("MX_TEST_DATA") ? getenv("MX_TEST_DATA") : "data/mnist";
    char img[1024], lab[1024], prefix[1024], mine[1100], ckpt[1100];
    snprintf(img, sizeof img, "%s/train-images-idx3-ubyte", dir);
    snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte", dir);
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = img;
    o.label = lab;
    o.batch_size = batch;
    o.flat = !strcmp(net, "mlp");
    o.limit = limit;
    o.shuffle = 1; /* the same order on every rank: one seed */
    o.seed = 11;
    o.part_index = mx_dist_rank();
    o.num_parts = mx_dist_size();
    mx_provider *p = mx_mnist_provider(&o);
    if (!p) return fail(img);
    mx_sym *s = network(net);
    if (!s) return fail("network");
    mx_model *m = mx_model_create(s, NULL, 0);
    mx_sgd_opts so = mx_sgd_defaults();
    so.lr = 0.1f;
    so.momentum = 0.9f;
    so.weight_decay = 1e-4f;
    mx_optimizer *opt = mx_sgd_create(&so);
    snprintf(prefix, sizeof prefix, "%s/%s", outdir, net);
    mx_callback *cbs[2] = {mx_do_checkpoint(prefix, 1, 0), mx_every_n_batch(count_and_stop, NULL, 1, 0)};
    mx_initializer init = mx_init_xavier(MX_XAVIER_UNIFORM, MX_XAVIER_AVG, 3.0f);
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = 1;
    fo.kvstore = kvstore;
    fo.callbacks = cbs;
    fo.ncallbacks = 2;
    fo.initializer = &init;
    if (!m || !opt || !cbs[0] || !cbs[1] || mx_model_fit(m, opt, p, &fo) != MX_OK) return fail("fit");
    /* What this rank holds, next to what rank 0 wrote. */
    int np = mx_model_num_params(m);
    const char **names = calloc((size_t)np, sizeof *names);
    mx_nd **arrays = calloc((size_t)np, sizeof *arrays);
    char (*keys)[128] = calloc((size_t)np, sizeof *keys);
    for (int i = 0; i < np; i++) {
        snprintf(keys[i], sizeof keys[i], "arg:%s", mx_model_param_name(m, i));
        names[i] = keys[i];
        arrays[i] = mx_model_param(m, i);
    }
    snprintf(mine, sizeof mine, "%s-rank%d.params", prefix, mx_dist_rank());
    if (mx_nd_save(mine, np, names, arrays) != MX_OK) return fail(mine);
    if (dist) MPI_Barrier(MPI_COMM_WORLD); /* rank 0's checkpoint is written */
    snprintf(ckpt, sizeof ckpt, "%s-0001.params", prefix);
    double d = max_diff(ckpt, mine);
    int rc = 0;
    if (d != 0.0) {
        fprintf(stderr, "dist_check [rank %d]: weights differ from rank 0's checkpoint %s (max %g)\n", mx_dist_rank(),
                ckpt, d);
        rc = 1;
    } else {
        printf("dist_check [rank %d/%d]: %s, batch %d, %ld steps: %d parameters equal to the checkpoint\n",
               mx_dist_rank(), mx_dist_size(), net, batch, steps, np);
    }
    free(names);
    free(arrays);
    free(keys);
    mx_callback_free(cbs[0]);
    mx_callback_free(cbs[1]);
    mx_optimizer_free(opt);
    mx_model_free(m);
    mx_sym_free(s);
    mx_provider_free(p);
    if (dist) mx_mpi_finalize();
    return rc;
}

int main(int argc, char **argv)
{
    if ((argc == 7 || argc == 9) && !strcmp(argv[1], "train")) {
        if (argc == 9) {
            stop_rank = atoi(argv[7]);
            stop_batch = atoi(argv[8]);
        }
        return train(argv[2], argv[3], atoi(argv[4]), atol(argv[5]), argv[6]);
    }
    if (argc == 5 && !strcmp(argv[1], "compare")) {
        double tol = atof(argv[4]), d = max_diff(argv[2], argv[3]);
        printf("dist_check: max |%s - %s| = %g (tolerance %g)\n", argv[2], argv[3], d, tol);
        return d >= 0 && d <= tol ? 0 : 1;
    }
    fprintf(stderr, "usage: dist_check train mlp|lenet local|dist_sync BATCH LIMIT OUTDIR "
                    "[STOP_RANK STOP_BATCH]\n"
                    "       dist_check compare A.params B.params TOL\n");
    return 2;
}
