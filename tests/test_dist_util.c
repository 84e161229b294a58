/* test_dist_util.c — what the dist and dist_stop suites share: a stand-in
 * transport ("mirror": as if every other rank held exactly this rank's
 * numbers), the MLP on 400 MNIST test samples with the callbacks that
 * record what a rank trained, and a weight comparison. */
#include "test_dist_util.h"

#include "test_util.h"

float dist_bcast_value = 0.25f;
long dist_allreduce_calls;
size_t dist_first_allreduce_n; /* floats in the first allreduce since reset */

mx_status dist_mirror_f32(float *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) buf[i] *= (float)mx_dist_size();
    if (dist_allreduce_calls++ == 0) dist_first_allreduce_n = n;
    return MX_OK;
}

mx_status dist_mirror_f64(double *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) buf[i] *= mx_dist_size();
    return MX_OK;
}

mx_status dist_marker_bcast(float *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) buf[i] = dist_bcast_value;
    return MX_OK;
}

void dist_no_abort(int code) { (void)code; }

mx_dist_ops dist_mirror = {"mirror", 1, 2, 1, 2, dist_mirror_f32, dist_mirror_f64, dist_marker_bcast, dist_no_abort,
                           NULL, NULL, NULL};

/* The mirror's sums started during backward: nothing happens until the
 * wait, so a reader of a bucket before its wait would see the local
 * gradient, not the sum. */
static float *slot_buf[MX_DIST_SLOTS];
static size_t slot_n[MX_DIST_SLOTS];
long dist_istarts, dist_waits;

mx_status dist_mirror_istart(float *buf, size_t n, int slot)
{
    slot_buf[slot] = buf;
    slot_n[slot] = n;
    dist_istarts++;
    return MX_OK;
}

mx_status dist_mirror_wait(int slot)
{
    for (size_t i = 0; i < slot_n[slot]; i++) slot_buf[slot][i] *= (float)mx_dist_size();
    slot_n[slot] = 0;
    dist_waits++;
    return MX_OK;
}

void dist_mirror_progress(void) {}

long dist_bucket_bytes = -1;

float dist_first_weight_at_start;
int dist_saw_start;

int dist_record_start(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)ctx;
    if (info->epoch == 0) {
        dist_first_weight_at_start = ((const float *)mx_nd_data(mx_model_param(m, 0)))[0];
        dist_saw_start = 1;
    }
    return 0;
}

/* A batch callback: records how many batches this rank trained and asks
 * to stop after dist_stop_after of them (0: never). */
int dist_stop_after, dist_batches_seen;
long dist_iters_seen;

int dist_stop_at_batch(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)ctx;
    (void)m;
    dist_batches_seen = info->batch;
    dist_iters_seen = info->iter;
    return dist_stop_after > 0 && info->batch == dist_stop_after;
}

/* 400 MNIST test samples, flat, in batches of 50 (8 a epoch). */
mx_provider *dist_mnist_400(void) { return mx_test_mnist_test_subset(400, 50); }

/* Trains the MLP for epochs epochs of dist_mnist_400 on nctx CPU contexts;
 * kvstore NULL = local. */
mx_model *dist_train_mlp(const char *kvstore, const char *ckpt, int nctx, int epochs, mx_status *st)
{
    mx_provider *p = dist_mnist_400();
    mx_sym *net = mx_test_mlp();
    mx_ctx ctx[2] = {mx_cpu(), mx_cpu()};
    mx_model *m = mx_model_create(net, ctx, nctx);
    mx_optimizer *opt = mx_sgd_create(&(mx_sgd_opts){.lr = 0.1f, .momentum = 0.9f});
    mx_callback *cbs[3] = {mx_every_n_epoch(dist_record_start, NULL, 1, 1), mx_every_n_batch(dist_stop_at_batch, NULL, 1, 0),
                           ckpt ? mx_do_checkpoint(ckpt, 1, 0) : NULL};
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = epochs;
    fo.kvstore = kvstore;
    if (dist_bucket_bytes >= 0) fo.allreduce_bucket_bytes = (size_t)dist_bucket_bytes;
    fo.callbacks = cbs;
    fo.ncallbacks = ckpt ? 3 : 2;
    dist_batches_seen = 0;
    dist_iters_seen = 0;
    mx_random_seed(3);
    mx_log_set_quiet(1);
    *st = mx_model_fit(m, opt, p, &fo);
    mx_log_set_quiet(0);
    for (int i = 0; i < 3; i++) mx_callback_free(cbs[i]);
    mx_optimizer_free(opt);
    mx_provider_free(p);
    mx_sym_free(net);
    return m;
}

/* Largest |a - b| over the weights of two models of one network. */
float dist_max_weight_diff(const mx_model *a, const mx_model *b)
{
    float worst = 0;
    for (int i = 0; i < mx_model_num_params(a); i++) {
        const float *x = mx_nd_data(mx_model_param(a, i)), *y = mx_nd_data(mx_model_param(b, i));
        for (size_t k = 0; k < mx_nd_size(mx_model_param(a, i)); k++) {
            float d = x[k] > y[k] ? x[k] - y[k] : y[k] - x[k];
            if (!(d <= worst)) worst = d; /* NaN becomes the worst */
        }
    }
    return worst;
}

/* Every rank holding the same data: the sum over 2 ranks rescaled by
 * 1/(2·batch) is the local gradient, so dist_sync from rank 0's view (the
 * broadcast keeps its values) trains to exactly the local weights. */
mx_status dist_keep_bcast(float *buf, size_t n)
{
    (void)buf;
    (void)n;
    return MX_OK;
}

/* Rank 0 of two holding the same data (the mirror, its broadcast keeping
 * its values): trains like one local process. */
mx_dist_ops dist_rank0_ops(void)
{
    mx_dist_ops r = dist_mirror;
    r.rank = 0;
    r.local_rank = 0;
    r.bcast_f32 = dist_keep_bcast;
    return r;
}

mx_dist_ops dist_rank0_bucket_ops(void)
{
    mx_dist_ops r = dist_rank0_ops();
    r.iallreduce_f32 = dist_mirror_istart;
    r.wait = dist_mirror_wait;
    r.progress = dist_mirror_progress;
    return r;
}
