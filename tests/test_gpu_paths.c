/* test_gpu_paths.c — the gpu_paths suite: how many copy calls FeedForward
 * makes a step on a GPU — on GPU0 where there is one, else over a host
 * stand-in (device.h; builds without cuda=1). Staging: one copy in and one
 * out whatever the number of inputs and outputs. dist_sync from a GPU
 * (stand-in only, with a mirror transport: every other rank holding this
 * rank's numbers, so the rescaled sum is the local gradient): the local
 * CPU run's weights bit for bit, and four copies a step — the batch in,
 * the outputs out, the gradients down (gathered on the device first) and
 * their sum back up. */
#include <stdio.h>
#include <stdlib.h>

#include "runtime/ndarray/device.h"
#include "mx/dist.h"
#include "suites.h"
#include "test_dist_util.h"
#include "test_util.h"

/* Copy calls between consecutive batch callbacks: one step's. */
static long last_calls, per_step[16];
static int steps;

static int log_copies(void *ctx, mx_model *m, const mx_cb_info *in)
{
    (void)ctx; (void)m; (void)in;
    long now = mx_dev_copy_calls();
    if (steps < 16) per_step[steps++] = now - last_calls;
    last_calls = now;
    return 0;
}

/* The MLP for one epoch of 400 MNIST samples at batch 50 on ctx. */
static mx_model *train(mx_ctx ctx, const char *kvstore)
{
    mx_provider *p = mx_test_mnist_test_subset(400, 50);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    mx_sym *net = mx_test_mlp();
    mx_model *m = mx_model_create(net, &ctx, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mx_optimizer *opt = mx_sgd_create(&(mx_sgd_opts){.lr = 0.1f, .momentum = 0.9f});
    mx_callback *cb = mx_every_n_batch(log_copies, NULL, 1, 0);
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = 1;
    fo.kvstore = kvstore;
    fo.callbacks = &cb;
    fo.ncallbacks = 1;
    steps = 0;
    last_calls = mx_dev_copy_calls();
    mx_random_seed(3);
    mx_log_set_quiet(1);
    mx_status st = mx_model_fit(m, opt, p, &fo);
    mx_log_set_quiet(0);
    if (st != MX_OK) fprintf(stderr, "\n  fit: %s\n", mx_last_error());
    CU_ASSERT_EQUAL(st, MX_OK);
    mx_callback_free(cb);
    mx_optimizer_free(opt);
    mx_provider_free(p);
    mx_sym_free(net);
    return m;
}

/* Largest |a − b| over two models' weights (host copies). */
static double weight_diff(const mx_model *a, const mx_model *b)
{
    double worst = 0.0;
    for (int i = 0; i < mx_model_num_params(a); i++) {
        size_t n = mx_nd_size(mx_model_param(a, i));
        float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        CU_ASSERT_FATAL(x && y);
        CU_ASSERT_EQUAL(mx_nd_copy_to(mx_model_param(a, i), x, n), MX_OK);
        CU_ASSERT_EQUAL(mx_nd_copy_to(mx_model_param(b, i), y, n), MX_OK);
        for (size_t j = 0; j < n; j++) {
            double d = x[j] > y[j] ? x[j] - y[j] : y[j] - x[j];
            if (!(d <= worst)) worst = d;
        }
        free(x);
        free(y);
    }
    return worst;
}

/* GPU0 if there is one (1), else a stand-in (2); 0, said, if neither. */
static int some_gpu(void)
{
    if (mx_gpu_count() > 0) return 1;
    if (mx_dev_fake_gpus(1) == MX_OK) return 2;
    mx_test_skip("no GPU, and cuda=1 builds have no stand-ins");
    return 0;
}

static void test_staging_copies(void)
{
    if (!mx_test_have_mnist("GPU staging")) return;
    int gpu = some_gpu();
    if (!gpu) return;
    mx_model *m = train(mx_gpu(0), NULL);
    int twos = 0;
    for (int i = 1; i < steps; i++) twos += per_step[i] == 2; /* step 1 also has set-up copies */
    printf("\n    MLP on %s GPU0, %d steps: %ld copy calls a step (one in, one out), %d of %d after the first",
           gpu == 2 ? "a stand-in" : "the", steps, steps > 1 ? per_step[1] : -1L, twos, steps - 1);
    CU_ASSERT_EQUAL(steps, 8);
    CU_ASSERT_EQUAL(twos, steps - 1);
    mx_model_free(m);
    if (gpu == 2) mx_dev_fake_gpus(0);
}

static void test_dist_gpu_equals_local(void)
{
    if (!mx_test_have_mnist("dist_sync on a GPU")) return;
    if (mx_dev_fake_gpus(1) != MX_OK) {
        mx_test_skip("cuda=1 build: no stand-in GPUs (scripts/gpu_check.sh runs dist_sync on the device)");
        return;
    }
    mx_model *local = train(mx_cpu(), NULL);
    mx_dist_ops rank0 = dist_rank0_ops(); /* the mirror: the other rank holds this one's numbers */
    mx_dist_register(&rank0);
    mx_model *dist = train(mx_gpu(0), "dist_sync");
    mx_dist_register(NULL);
    double d = weight_diff(local, dist);
    int fours = 0;
    for (int i = 1; i < steps; i++) fours += per_step[i] == 4; /* step 1 also has set-up copies */
    printf("\n    dist_sync on stand-in GPU0: %d steps, max |w - w_local| %.1e; copy calls a step: %ld (%d of %d after "
           "the first)", steps, d, steps > 1 ? per_step[1] : -1L, fours, steps - 1);
    CU_ASSERT_EQUAL(steps, 8);
    CU_ASSERT_EQUAL(d, 0.0); /* 2·g rescaled by 1/(2·batch) is g/batch exactly */
    CU_ASSERT_EQUAL(fours, steps - 1);
    mx_model_free(local);
    mx_model_free(dist);
    mx_dev_fake_gpus(0);
}

CU_ErrorCode mx_test_register_gpu_paths(void)
{
    CU_pSuite s = CU_add_suite("gpu_paths", NULL, NULL);
    if (!s) return CU_get_error();
    if (!CU_add_test(s, "FeedForward on a GPU: one copy in and one out a step", test_staging_copies) ||
        !CU_add_test(s, "dist_sync from a stand-in GPU: local weights, 4 copy calls a step", test_dist_gpu_equals_local))
        return CU_get_error();
    return CUE_SUCCESS;
}
