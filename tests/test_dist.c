/* test_dist.c — distributed training's pieces without MPI: the
 * interleaved data shards, metric sums merged across workers, and fit,
 * the KVStore and the checkpoint callback over a stand-in transport
 * (test_dist_util.c; the stop tests are test_dist_stop.c's, and
 * tests/test_mpi.sh runs the real thing under mpirun). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mx/dist.h"
#include "mx/io_char.h"
#include "suites.h"
#include "test_dist_util.h"
#include "test_util.h"

/* ---- shards -------------------------------------------------------------- */

/* Two parts at batch 25 read, slice for slice, what one reader at batch
 * 50 reads — shuffled, over a limit that leaves a partial last batch. */
static void test_dist_mnist_shards_interleave_batches(void)
{
    if (!mx_test_have_mnist("mnist shards")) return;
    char img[512], lab[512];
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = mx_test_mnist_path("t10k-images-idx3-ubyte", img, sizeof img);
    o.label = mx_test_mnist_path("t10k-labels-idx1-ubyte", lab, sizeof lab);
    o.flat = 1;
    o.shuffle = 1;
    o.seed = 5;
    o.limit = 130; /* 2 global batches of 50, then 30: part 0 gets 25, part 1 gets 5 */
    o.batch_size = 50;
    mx_provider *whole = mx_mnist_provider(&o);
    o.batch_size = 25;
    o.num_parts = 2;
    mx_provider *part[2];
    for (int i = 0; i < 2; i++) {
        o.part_index = i;
        part[i] = mx_mnist_provider(&o);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(whole);
    CU_ASSERT_PTR_NOT_NULL_FATAL(part[0]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(part[1]);
    CU_ASSERT_EQUAL(mx_provider_num_samples(part[0]), 75);
    CU_ASSERT_EQUAL(mx_provider_num_samples(part[1]), 55);
    float *wd = malloc(50 * 784 * sizeof(float)), wl[50], pd[2][25 * 784], pl[2][25];
    mx_batch wb = {.data = {wd}, .label = {wl}}, pb[2] = {{.data = {pd[0]}, .label = {pl[0]}},
                                                         {.data = {pd[1]}, .label = {pl[1]}}};
    for (int epoch = 0; epoch < 2; epoch++) { /* the second epoch reshuffles alike */
        mx_provider_reset(whole);
        mx_provider_reset(part[0]);
        mx_provider_reset(part[1]);
        int batches = 0, same = 1;
        while (mx_provider_next(whole, &wb)) {
            int got0 = mx_provider_next(part[0], &pb[0]), got1 = mx_provider_next(part[1], &pb[1]);
            CU_ASSERT(got0 && got1);
            if (!got0 || !got1) break;
            /* count splits the whole batch's real samples between the parts */
            int want0 = wb.count < 25 ? wb.count : 25, want1 = wb.count - want0;
            CU_ASSERT_EQUAL(pb[0].count, want0);
            CU_ASSERT_EQUAL(pb[1].count, want1);
            for (int i = 0; i < 2; i++) {
                same &= !memcmp(wd + (size_t)i * 25 * 784, pd[i], 25 * 784 * sizeof(float));
                same &= !memcmp(wl + i * 25, pl[i], 25 * sizeof(float));
            }
            batches++;
        }
        CU_ASSERT(same);
        CU_ASSERT_EQUAL(batches, 3);
        CU_ASSERT_EQUAL(mx_provider_next(part[0], &pb[0]), 0); /* every part ends with the whole */
        CU_ASSERT_EQUAL(mx_provider_next(part[1], &pb[1]), 0);
    }
    free(wd);
    mx_provider_free(whole);
    mx_provider_free(part[0]);
    mx_provider_free(part[1]);
}

/* The char-LSTM's shards: part i's batch is the i-th run of batch
 * sequences of the global block, labels included. */
static void test_dist_char_shards_interleave_batches(void)
{
    char text[4096];
    for (size_t i = 0; i < sizeof text; i++) text[i] = (char)('a' + (i * 7 + i / 13) % 26);
    mx_vocab *v = mx_vocab_build(text, sizeof text, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    mx_char_opts o = mx_char_defaults();
    o.text = text;
    o.len = sizeof text;
    o.vocab = v;
    o.seq_len = 4;
    o.num_layers = 0;
    o.batch_size = 8;
    mx_provider *whole = mx_char_provider(&o);
    o.batch_size = 4;
    o.num_parts = 2;
    mx_provider *part[2];
    for (int i = 0; i < 2; i++) {
        o.part_index = i;
        part[i] = mx_char_provider(&o);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(whole);
    CU_ASSERT_PTR_NOT_NULL_FATAL(part[0]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(part[1]);
    CU_ASSERT_EQUAL(mx_provider_num_samples(part[0]) * 2, mx_provider_num_samples(whole));
    float wd[4][8], wl[4][8], pd[2][4][4], pl[2][4][4];
    mx_batch wb, pb[2];
    memset(&wb, 0, sizeof wb);
    memset(pb, 0, sizeof pb);
    for (int t = 0; t < 4; t++) {
        wb.data[t] = wd[t];
        wb.label[t] = wl[t];
        for (int i = 0; i < 2; i++) {
            pb[i].data[t] = pd[i][t];
            pb[i].label[t] = pl[i][t];
        }
    }
    mx_provider_reset(whole);
    mx_provider_reset(part[0]);
    mx_provider_reset(part[1]);
    int batches = 0, same = 1;
    while (mx_provider_next(whole, &wb)) {
        CU_ASSERT(mx_provider_next(part[0], &pb[0]) && mx_provider_next(part[1], &pb[1]));
        for (int i = 0; i < 2; i++)
            for (int t = 0; t < 4; t++) {
                same &= !memcmp(wd[t] + i * 4, pd[i][t], sizeof pd[i][t]);
                same &= !memcmp(wl[t] + i * 4, pl[i][t], sizeof pl[i][t]);
            }
        batches++;
    }
    CU_ASSERT(same);
    CU_ASSERT_EQUAL(batches, 4096 / 32);
    o.part_index = 2;
    CU_ASSERT_PTR_NULL(mx_char_provider(&o));
    ASSERT_ERROR_HAS("part_index 2");
    mx_provider_free(whole);
    mx_provider_free(part[0]);
    mx_provider_free(part[1]);
    mx_vocab_free(v);
}

/* ---- metrics ------------------------------------------------------------- */

/* Two workers' sums added give the figures of one metric over both halves. */
static void test_dist_metric_state_adds_up(void)
{
    mx_nd *pred = mx_nd_zeros(mx_shape_make(2, 4, 3)), *label = mx_nd_zeros(mx_shape_make(1, 4));
    float *p = mx_nd_data(pred), *l = mx_nd_data(label);
    const float pv[12] = {.7f, .2f, .1f, .1f, .8f, .1f, .3f, .3f, .4f, .5f, .4f, .1f};
    const float lv[4] = {0, 1, 0, 1};
    memcpy(p, pv, sizeof pv);
    memcpy(l, lv, sizeof lv);
    mx_metric *kids_all[2] = {mx_metric_accuracy(), mx_metric_multi_ace(3, 1e-10f)};
    mx_metric *kids_a[2] = {mx_metric_accuracy(), mx_metric_multi_ace(3, 1e-10f)};
    mx_metric *kids_b[2] = {mx_metric_accuracy(), mx_metric_multi_ace(3, 1e-10f)};
    mx_metric *all = mx_metric_multi(2, kids_all), *a = mx_metric_multi(2, kids_a), *b = mx_metric_multi(2, kids_b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(all);
    mx_metric_update(all, label, pred, 4);
    /* worker a saw samples 0-1, worker b samples 2-3 */
    mx_nd *pa = mx_nd_wrap(mx_shape_make(2, 2, 3), p), *la = mx_nd_wrap(mx_shape_make(1, 2), l);
    mx_nd *pb = mx_nd_wrap(mx_shape_make(2, 2, 3), p + 6), *lb = mx_nd_wrap(mx_shape_make(1, 2), l + 2);
    mx_metric_update(a, la, pa, 2);
    mx_metric_update(b, lb, pb, 2);
    int n = mx_metric_state(a, NULL, 0);
    CU_ASSERT_EQUAL(n, mx_metric_state(all, NULL, 0));
    CU_ASSERT(n >= 2 + 2 + 2 + 6); /* multi's own, accuracy's, MultiACE's and its 3 classes' */
    double sa[64], sb[64];
    CU_ASSERT_FATAL(n <= 64);
    mx_metric_state(a, sa, n);
    mx_metric_state(b, sb, n);
    for (int i = 0; i < n; i++) sa[i] += sb[i];
    mx_metric_set_state(a, sa, n);
    const char *na[8], *nw[8];
    double va[8], vw[8];
    int ka = mx_metric_get(a, na, va, 8), kw = mx_metric_get(all, nw, vw, 8);
    CU_ASSERT_EQUAL(ka, kw);
    for (int i = 0; i < ka && i < 8; i++) {
        CU_ASSERT_STRING_EQUAL(na[i], nw[i]);
        CU_ASSERT_DOUBLE_EQUAL(va[i], vw[i], 1e-12);
    }
    CU_ASSERT_DOUBLE_EQUAL(vw[0], 0.5, 1e-12); /* samples 0 and 1 right */
    mx_metric_free(all);
    mx_metric_free(a);
    mx_metric_free(b);
    mx_nd_free(pa); mx_nd_free(la); mx_nd_free(pb); mx_nd_free(lb);
    mx_nd_free(pred);
    mx_nd_free(label);
}

/* ---- fit over the stand-in transport ------------------------------------- */

/* Rank 1's view: the start weights are what rank 0 broadcast, one fused
 * allreduce runs per step, no checkpoint is written; without a transport
 * dist_sync is refused. */
static void test_dist_fit_as_rank_1(void)
{
    if (!mx_test_have_mnist("dist fit")) return;
    mx_status st;
    /* dist_sync without a transport: refused, naming the build */
    mx_model *none = dist_train_mlp("dist_sync", NULL, 1, 1, &st);
    CU_ASSERT_EQUAL(st, MX_ENOTSUP);
    ASSERT_ERROR_HAS("scons mpi=1");
    mx_model_free(none);

    mx_dist_register(&dist_mirror);
    dist_bcast_value = 0.25f;
    dist_allreduce_calls = 0;
    dist_saw_start = 0;
    char ckpt[512];
    snprintf(ckpt, sizeof ckpt, "%s/dist-rank1", mx_test_tmp_dir());
    mx_model *dist = dist_train_mlp("dist_sync", ckpt, 1, 1, &st);
    mx_dist_register(NULL);
    CU_ASSERT_EQUAL_FATAL(st, MX_OK);
    /* the start weights came from the broadcast */
    CU_ASSERT(dist_saw_start);
    CU_ASSERT_EQUAL(dist_first_weight_at_start, 0.25f);
    CU_ASSERT_EQUAL(dist_allreduce_calls, 8); /* one fused allreduce per step */
    /* rank 1 writes no checkpoint */
    char path[600];
    snprintf(path, sizeof path, "%s-0001.params", ckpt);
    CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
    mx_model_free(dist);
}

/* The count in the "one allreduce of N floats" line. */
static void collect_allreduce_n(void *ctx, const char *level, const char *line)
{
    (void)level;
    const char *at = strstr(line, "one allreduce of ");
    if (at) *(long *)ctx = strtol(at + strlen("one allreduce of "), NULL, 10);
}

/* A net with aux states (BatchNorm's moving mean and variance): a step
 * reduces the gradients and the stop flag, the aux states only at the
 * epoch's end, and the log line gives the per-step count. */
static void test_dist_step_reduces_gradients_only(void)
{
    if (!mx_test_have_mnist("dist fit with BatchNorm")) return;
    mx_sym *data = mx_var("data");
    mx_sym *net = mx_chain(data, "FullyConnected name=fc1 num_hidden=32", "BatchNorm name=bn1",
                           "Activation name=relu1 act_type=relu", "FullyConnected name=fc2 num_hidden=10",
                           "SoftmaxOutput name=softmax", NULL);
    mx_sym_free(data);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    mx_provider *p = dist_mnist_400();
    mx_ctx ctx = mx_cpu();
    mx_model *m = mx_model_create(net, &ctx, 1);
    mx_optimizer *opt = mx_sgd_create(&(mx_sgd_opts){.lr = 0.1f});
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = 1;
    fo.kvstore = "dist_sync";
    long logged = -1;
    mx_dist_register(&dist_mirror);
    dist_allreduce_calls = 0;
    dist_first_allreduce_n = 0;
    mx_log_set_sink(collect_allreduce_n, &logged);
    mx_status st = mx_model_fit(m, opt, p, &fo);
    mx_log_set_sink(NULL, NULL);
    mx_dist_register(NULL);
    CU_ASSERT_EQUAL(st, MX_OK);
    const long grads = 784 * 32 + 32 + 2 * 32 + 32 * 10 + 10; /* fc1, bn1's gamma and beta, fc2 */
    printf("\n    %ld allreduces; a step's %zu floats (gradients %ld + the stop flag); logged %ld", dist_allreduce_calls,
           dist_first_allreduce_n, grads, logged);
    CU_ASSERT_EQUAL(dist_first_allreduce_n, (size_t)grads + 1);
    CU_ASSERT_EQUAL(logged, grads);
    CU_ASSERT_EQUAL(dist_allreduce_calls, 8 + 1); /* 8 steps, then the aux states' average */
    mx_model_free(m);
    mx_optimizer_free(opt);
    mx_provider_free(p);
    mx_sym_free(net);
}

static void test_dist_fit_mirror_weights_equal_local(void)
{
    if (!mx_test_have_mnist("dist fit weights")) return;
    mx_status st;
    mx_model *local = dist_train_mlp(NULL, NULL, 1, 1, &st);
    CU_ASSERT_EQUAL_FATAL(st, MX_OK);
    mx_dist_ops rank0 = dist_mirror;
    rank0.rank = 0;
    rank0.local_rank = 0;
    rank0.bcast_f32 = dist_keep_bcast;
    mx_dist_register(&rank0);
    char ckpt[512];
    snprintf(ckpt, sizeof ckpt, "%s/dist-rank0", mx_test_tmp_dir());
    mx_model *dist = dist_train_mlp("dist_sync", ckpt, 1, 1, &st);
    mx_dist_register(NULL);
    CU_ASSERT_EQUAL_FATAL(st, MX_OK);
    CU_ASSERT(dist_max_weight_diff(local, dist) < 1e-6f);
    /* rank 0 writes the checkpoint */
    char path[600];
    snprintf(path, sizeof path, "%s-0001.params", ckpt);
    CU_ASSERT_EQUAL(access(path, F_OK), 0);
    mx_model_free(local);
    mx_model_free(dist);
}

/* dist_sync's buckets (issue #18): the gradients summed in several sums
 * started during backward — each summed only at its wait, so reading a
 * bucket early would show — give the fused sum's weights bit for bit. */
static void test_dist_buckets_give_the_fused_bits(void)
{
    if (!mx_test_have_mnist("dist buckets")) return;
    mx_status st;
    mx_dist_ops fused = dist_rank0_ops(), buckets = dist_rank0_bucket_ops();
    mx_dist_register(&fused);
    mx_model *a = dist_train_mlp("dist_sync", NULL, 1, 1, &st);
    CU_ASSERT_EQUAL_FATAL(st, MX_OK);
    mx_dist_register(&buckets);
    dist_istarts = dist_waits = 0;
    dist_bucket_bytes = 16 * 1024;
    mx_model *b = dist_train_mlp("dist_sync", NULL, 1, 1, &st);
    long per_step = dist_istarts / (dist_iters_seen ? dist_iters_seen : 1), starts_b = dist_istarts,
         waits_b = dist_waits;
    dist_bucket_bytes = 0; /* 0: one sum after backward, through the fused path */
    dist_istarts = 0;
    mx_model *c = dist_train_mlp("dist_sync", NULL, 1, 1, &st);
    long with_zero = dist_istarts;
    dist_bucket_bytes = -1;
    mx_dist_register(NULL);
    CU_ASSERT_EQUAL_FATAL(st, MX_OK);
    printf("\n    16 KiB buckets: %ld sums a step; max weight difference to the fused sum %g", per_step,
           (double)dist_max_weight_diff(a, b));
    /* backward completes fc3, fc2, fc1: {fc3, fc2 weight}, {fc2 bias, fc1 weight}, {fc1 bias} */
    CU_ASSERT_EQUAL(per_step, 3);
    CU_ASSERT_EQUAL(starts_b, waits_b);
    CU_ASSERT(dist_max_weight_diff(a, b) == 0.0f);
    CU_ASSERT(dist_max_weight_diff(a, c) == 0.0f);
    CU_ASSERT_EQUAL(with_zero, 0);
    mx_model_free(a);
    mx_model_free(b);
    mx_model_free(c);
}

/* ---- the speedometer ------------------------------------------------------ */

/* This rank's own rate over the speedometer's intervals, measured by a
 * batch callback on the same schedule that runs just before it. */
typedef struct interval_clock {
    int every, n;
    double mark, rate[8];
} interval_clock;

static int time_interval(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)m;
    interval_clock *c = ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    if (info->batch > 0 && c->n < 8) c->rate[c->n++] = (double)c->every * info->batch_size / (t - c->mark);
    c->mark = t;
    return 0;
}

/* 10 ms a batch: the MLP's batches take well under a millisecond, so a
 * 4-batch interval was short enough for one preemption between the two
 * callbacks' clock reads to pass the 10 % tolerance (seen once: 2 of the
 * 4 intervals off). At 40+ ms an interval, such a delay is noise. */
static int pause_10ms(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)ctx; (void)m; (void)info;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
    return 0;
}

/* The figures of the "Speed: …" lines; a line with anything more than
 * MXNet.jl's "Speed: 357.72 samples/sec" counts as malformed. */
typedef struct speed_lines {
    int n, malformed;
    double v[8];
} speed_lines;

static void collect_speed(void *ctx, const char *level, const char *line)
{
    speed_lines *s = ctx;
    double v;
    int end = 0;
    if (strcmp(level, "INFO") || strncmp(line, "Speed:", 6)) return;
    if (sscanf(line, "Speed: %lf samples/sec%n", &v, &end) != 1 || !end || line[end] || s->n == 8) {
        s->malformed++;
        return;
    }
    s->v[s->n++] = v;
}

/* One epoch of the MLP on dist_mnist_400 with the clock and a speedometer,
 * both every 4 batches; kvstore NULL = local. */
static void fit_with_speedometer(const char *kvstore, interval_clock *clock, speed_lines *got)
{
    mx_provider *p = dist_mnist_400();
    mx_sym *net = mx_test_mlp();
    mx_model *m = mx_model_create(net, NULL, 0);
    mx_optimizer *opt = mx_sgd_create(&(mx_sgd_opts){.lr = 0.1f, .momentum = 0.9f});
    clock->every = 4;
    mx_callback *cbs[3] = {mx_every_n_batch(pause_10ms, NULL, 1, 0),
                           mx_every_n_batch(time_interval, clock, clock->every, 1), mx_speedometer(clock->every)};
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = 1;
    fo.kvstore = kvstore;
    fo.callbacks = cbs;
    fo.ncallbacks = 3;
    mx_log_set_sink(collect_speed, got);
    CU_ASSERT_EQUAL(mx_model_fit(m, opt, p, &fo), MX_OK);
    mx_log_set_sink(NULL, NULL);
    for (int i = 0; i < 3; i++) mx_callback_free(cbs[i]);
    mx_optimizer_free(opt);
    mx_model_free(m);
    mx_sym_free(net);
    mx_provider_free(p);
}

/* dist_sync over 2 ranks: the speedometer's line, in MXNet.jl's format,
 * reports the job's rate, twice what this rank's own clock measures over
 * the same batches; a local fit reports that rate itself. */
static void test_dist_speedometer_reports_the_jobs_rate(void)
{
    if (!mx_test_have_mnist("dist speedometer")) return;
    for (int ranks = 1; ranks <= 2; ranks++) {
        interval_clock clock = {0};
        speed_lines got = {0};
        mx_dist_ops r0 = dist_rank0_ops();
        if (ranks == 2) mx_dist_register(&r0);
        fit_with_speedometer(ranks == 2 ? "dist_sync" : NULL, &clock, &got);
        mx_dist_register(NULL);
        CU_ASSERT_EQUAL(got.malformed, 0);
        CU_ASSERT_EQUAL_FATAL(got.n, 2);
        CU_ASSERT_EQUAL_FATAL(clock.n, 2);
        for (int i = 0; i < 2; i++) {
            double ratio = got.v[i] / clock.rate[i];
            if (fabs(ratio - ranks) > 0.1 * ranks)
                printf("\n  %d rank(s), interval %d: Speed %.2f, this rank's clock %.2f samples/sec\n", ranks, i + 1,
                       got.v[i], clock.rate[i]);
            CU_ASSERT(fabs(ratio - ranks) <= 0.1 * ranks); /* clocks a few instructions apart */
        }
    }
}

/* A dist_sync KVStore sums a push over the workers before the update. */
static void test_dist_kvstore_push_sums_over_workers(void)
{
    CU_ASSERT_PTR_NULL(mx_kvstore_create("dist_sync")); /* no transport */
    mx_dist_register(&dist_mirror);
    mx_kvstore *kv = mx_kvstore_create("dist_sync");
    CU_ASSERT_PTR_NOT_NULL_FATAL(kv);
    CU_ASSERT_EQUAL(mx_kvstore_rank(kv), 1);
    CU_ASSERT_EQUAL(mx_kvstore_num_workers(kv), 2);
    mx_nd *v = mx_nd_zeros(mx_shape_make(1, 3)), *g1 = mx_nd_zeros(mx_shape_make(1, 3)),
          *g2 = mx_nd_zeros(mx_shape_make(1, 3)), *out = mx_nd_zeros(mx_shape_make(1, 3));
    float *a = mx_nd_data(g1), *b = mx_nd_data(g2);
    for (int i = 0; i < 3; i++) { a[i] = (float)i; b[i] = 10.0f; }
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 0, v), MX_OK);
    mx_nd *list[2] = {g1, g2};
    CU_ASSERT_EQUAL(mx_kvstore_push(kv, 0, 2, list), MX_OK);
    CU_ASSERT_EQUAL(mx_kvstore_pull(kv, 0, 1, &out), MX_OK);
    const float *o = mx_nd_data(out);
    for (int i = 0; i < 3; i++) CU_ASSERT_EQUAL(o[i], 2.0f * ((float)i + 10.0f)); /* 2 contexts, 2 workers */
    mx_kvstore_free(kv);
    mx_dist_register(NULL);
    mx_nd_free(v); mx_nd_free(g1); mx_nd_free(g2); mx_nd_free(out);
}

CU_ErrorCode mx_test_register_dist(void)
{
    CU_pSuite s = CU_add_suite("dist", NULL, NULL);
    if (!s) return CU_get_error();
    if (!CU_add_test(s, "MNIST shards interleave batches", test_dist_mnist_shards_interleave_batches) ||
        !CU_add_test(s, "char shards interleave batches", test_dist_char_shards_interleave_batches) ||
        !CU_add_test(s, "metric sums add up across workers", test_dist_metric_state_adds_up) ||
        !CU_add_test(s, "fit over a stand-in transport: broadcast, one allreduce a step, rank 0 writes",
                     test_dist_fit_as_rank_1) ||
        !CU_add_test(s, "fit over a mirror transport trains to the local weights", test_dist_fit_mirror_weights_equal_local) ||
        !CU_add_test(s, "a step reduces the gradients only (aux states at the epoch's end), as logged",
                     test_dist_step_reduces_gradients_only) ||
        !CU_add_test(s, "the speedometer reports the job's rate (ranks x this rank's)",
                     test_dist_speedometer_reports_the_jobs_rate) ||
        !CU_add_test(s, "dist_sync KVStore push sums over workers", test_dist_kvstore_push_sums_over_workers) ||
        !CU_add_test(s, "gradient buckets started in backward give the fused sum's bits",
                     test_dist_buckets_give_the_fused_bits))
        return CU_get_error();
    return CUE_SUCCESS;
}
