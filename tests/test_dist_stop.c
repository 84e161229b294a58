/* test_dist_stop.c — the dist_stop suite: a stop asked by a batch
 * callback in distributed training ends every rank at the same step —
 * asked here, by another rank, after an epoch's last step, before
 * training — over the stand-in transports of test_dist_util.c, against
 * local runs stopped at the same point. */
#include "mx/dist.h"
#include "suites.h"
#include "test_dist_util.h"
#include "test_util.h"

/* The local run on nctx contexts that a batch callback stops after
 * `batches` updates, the reference a distributed stop must match. */
static mx_model *train_local_until(int nctx, int batches)
{
    mx_status st;
    dist_stop_after = batches;
    mx_model *m = dist_train_mlp(NULL, NULL, nctx, 1, &st);
    dist_stop_after = 0;
    CU_ASSERT_EQUAL(st, MX_OK);
    CU_ASSERT_EQUAL(dist_batches_seen, batches);
    return m;
}

/* This rank's callback asks to stop after batch 3: the request travels
 * with step 4's gradients (the fused buffer: no other allreduce), step 4
 * is not applied, and the weights are those of a local run stopped after
 * 3 — not 4 (the control shows a 4th update would be seen). */
static void test_dist_fit_stop_here_ends_every_rank_at_next_step(void)
{
    if (!mx_test_have_mnist("dist stop")) return;
    for (int nctx = 1; nctx <= 2; nctx++) {
        mx_model *three = train_local_until(nctx, 3), *four = train_local_until(nctx, 4);
        mx_dist_ops r0 = dist_rank0_ops();
        mx_dist_register(&r0);
        dist_allreduce_calls = 0;
        dist_stop_after = 3;
        mx_status st;
        mx_model *dist = dist_train_mlp("dist_sync", NULL, nctx, 1, &st);
        dist_stop_after = 0;
        mx_dist_register(NULL);
        CU_ASSERT_EQUAL(st, MX_OK);
        CU_ASSERT_EQUAL(dist_batches_seen, 3);
        if (nctx == 1) CU_ASSERT_EQUAL(dist_allreduce_calls, 4); /* 3 updates + the step that carried the request */
        CU_ASSERT(dist_max_weight_diff(dist, three) < 1e-6f);
        CU_ASSERT(dist_max_weight_diff(dist, four) > 1e-4f);
        mx_model_free(dist);
        mx_model_free(three);
        mx_model_free(four);
    }
}

/* Stand-ins for the other rank asking to stop after its step 2: its
 * request arrives in this rank's step 3 exchange — the last float of the
 * fused buffer (one context), or the one-double allreduce several
 * contexts make before the KVStore pushes. */
static int peer_stop_step;
static long stop_exchanges;

static mx_status peer_fused_f32(float *buf, size_t n)
{
    dist_mirror_f32(buf, n);
    if (dist_allreduce_calls == peer_stop_step) buf[n - 1] += 1.0f;
    return MX_OK;
}

static mx_status peer_agree_f64(double *buf, size_t n)
{
    dist_mirror_f64(buf, n);
    if (n == 1 && ++stop_exchanges == peer_stop_step) buf[0] += 1.0;
    return MX_OK;
}

/* A stop asked by the other rank alone ends this rank's epoch at the same
 * step, after 2 updates: the weights of a local run stopped after 2. */
static void test_dist_fit_stop_asked_by_peer_ends_this_rank(void)
{
    if (!mx_test_have_mnist("dist stop by peer")) return;
    for (int nctx = 1; nctx <= 2; nctx++) {
        mx_model *two = train_local_until(nctx, 2), *three = train_local_until(nctx, 3);
        mx_dist_ops peer = dist_rank0_ops();
        if (nctx == 1) peer.allreduce_f32 = peer_fused_f32;
        else peer.allreduce_f64 = peer_agree_f64;
        mx_dist_register(&peer);
        peer_stop_step = 3;
        dist_allreduce_calls = stop_exchanges = 0;
        mx_status st;
        mx_model *dist = dist_train_mlp("dist_sync", NULL, nctx, 1, &st);
        mx_dist_register(NULL);
        CU_ASSERT_EQUAL(st, MX_OK);
        CU_ASSERT_EQUAL(dist_batches_seen, 2);
        /* one exchange a step, none after the stop */
        CU_ASSERT_EQUAL(nctx == 1 ? dist_allreduce_calls : stop_exchanges, 3);
        CU_ASSERT(dist_max_weight_diff(dist, two) < 1e-6f);
        CU_ASSERT(dist_max_weight_diff(dist, three) > 1e-4f);
        mx_model_free(dist);
        mx_model_free(two);
        mx_model_free(three);
    }
}

/* A request after an epoch's last step rides the epoch-end reduction:
 * fit(2 epochs) stops after the first, as local training does. */
static void test_dist_fit_stop_after_last_step_ends_fit(void)
{
    if (!mx_test_have_mnist("dist stop at epoch end")) return;
    mx_status st;
    mx_model *one = dist_train_mlp(NULL, NULL, 1, 1, &st);
    mx_dist_ops r0 = dist_rank0_ops();
    mx_dist_register(&r0);
    dist_allreduce_calls = 0;
    dist_stop_after = 8;
    mx_model *dist = dist_train_mlp("dist_sync", NULL, 1, 2, &st);
    dist_stop_after = 0;
    mx_dist_register(NULL);
    CU_ASSERT_EQUAL(st, MX_OK);
    CU_ASSERT_EQUAL(dist_iters_seen, 8);
    CU_ASSERT_EQUAL(dist_allreduce_calls, 8);
    CU_ASSERT(dist_max_weight_diff(dist, one) < 1e-6f);
    mx_model_free(dist);
    mx_model_free(one);
}

/* The other rank stopping before training (its epoch-0 callback: a first
 * checkpoint it could not write) stops this one before any step; the
 * stop count is the second double of that exchange. */
static long pair_exchanges;

static mx_status peer_stops_at_start(double *buf, size_t n)
{
    dist_mirror_f64(buf, n);
    if (n == 2 && ++pair_exchanges == 1) buf[1] += 1.0;
    return MX_OK;
}

static void test_dist_fit_stop_before_training_ends_every_rank(void)
{
    if (!mx_test_have_mnist("dist stop at epoch 0")) return;
    mx_dist_ops peer = dist_rank0_ops();
    peer.allreduce_f64 = peer_stops_at_start;
    mx_dist_register(&peer);
    dist_allreduce_calls = pair_exchanges = 0;
    mx_status st;
    mx_model *dist = dist_train_mlp("dist_sync", NULL, 1, 1, &st);
    mx_dist_register(NULL);
    CU_ASSERT_EQUAL(st, MX_OK);
    CU_ASSERT_EQUAL(pair_exchanges, 1);
    CU_ASSERT_EQUAL(dist_allreduce_calls, 0);
    CU_ASSERT_EQUAL(dist_iters_seen, 0);
    mx_model_free(dist);
}

/* The same over dist_sync's buckets (sums started during backward): the
 * other rank's request is the last float of the step's last bucket; and
 * this rank's own request travels there too. */
static float *last_buf;
static size_t last_n;
static int last_slot;
static long bucket_steps;

static mx_status record_istart(float *buf, size_t n, int slot)
{
    if (slot == 0) last_slot = 0;
    if (slot >= last_slot) last_slot = slot, last_buf = buf, last_n = n;
    return dist_mirror_istart(buf, n, slot);
}

static mx_status peer_stop_wait(int slot)
{
    mx_status st = dist_mirror_wait(slot);
    if (slot == 0) bucket_steps++;
    if (slot == last_slot && bucket_steps == peer_stop_step) last_buf[last_n - 1] += 1.0f;
    return st;
}

static void test_dist_fit_stop_rides_in_the_last_bucket(void)
{
    if (!mx_test_have_mnist("dist stop over buckets")) return;
    mx_model *two = train_local_until(1, 2), *three = train_local_until(1, 3);
    for (int here = 0; here <= 1; here++) {
        mx_dist_ops peer = dist_rank0_bucket_ops();
        peer.iallreduce_f32 = record_istart;
        peer.wait = peer_stop_wait;
        mx_dist_register(&peer);
        peer_stop_step = here ? 0 : 3; /* the other rank asks in step 3, or this one after batch 2 */
        dist_stop_after = here ? 2 : 0;
        bucket_steps = dist_istarts = dist_waits = 0;
        dist_bucket_bytes = 16 * 1024; /* the MLP's 0.44 MB of gradients in 3 buckets */
        mx_status st;
        mx_model *dist = dist_train_mlp("dist_sync", NULL, 1, 1, &st);
        dist_bucket_bytes = -1;
        dist_stop_after = 0;
        mx_dist_register(NULL);
        CU_ASSERT_EQUAL(st, MX_OK);
        CU_ASSERT_EQUAL(dist_batches_seen, 2);
        CU_ASSERT_EQUAL(bucket_steps, 3); /* 2 updates + the step that carried the request */
        CU_ASSERT_EQUAL(dist_istarts, 3 * 3);
        CU_ASSERT_EQUAL(dist_istarts, dist_waits);
        CU_ASSERT(dist_max_weight_diff(dist, two) < 1e-6f);
        CU_ASSERT(dist_max_weight_diff(dist, three) > 1e-4f);
        mx_model_free(dist);
    }
    mx_model_free(two);
    mx_model_free(three);
}

CU_ErrorCode mx_test_register_dist_stop(void)
{
    CU_pSuite s = CU_add_suite("dist_stop", NULL, NULL);
    if (!s) return CU_get_error();
    if (!CU_add_test(s, "over buckets started in backward, a stop rides in the last one",
                     test_dist_fit_stop_rides_in_the_last_bucket) ||
        !CU_add_test(s, "a stop asked here ends every rank at the next step, before its update",
                     test_dist_fit_stop_here_ends_every_rank_at_next_step) ||
        !CU_add_test(s, "a stop asked by another rank ends this one at the same step",
                     test_dist_fit_stop_asked_by_peer_ends_this_rank) ||
        !CU_add_test(s, "a stop asked after an epoch's last step ends fit at the epoch's end",
                     test_dist_fit_stop_after_last_step_ends_fit) ||
        !CU_add_test(s, "a stop asked by another rank before training ends this one before any step",
                     test_dist_fit_stop_before_training_ends_every_rank))
        return CU_get_error();
    return CUE_SUCCESS;
}
