/* test_kvstore.c — the "kvstore" suite: the local KVStore keeps a copy at
 * init, push of a list stores its sum (no optimizer) or runs the optimizer
 * on the sum (SGD checked against the formula in double, momentum carried
 * across pushes), pull copies to every output, set_optimizer allocates
 * zeroed states, and bad keys, shapes and types fail with named errors.
 * (That push and pull allocate nothing is the hotpath suite's job.) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mx/kvstore.h"
#include "suites.h"
#include "test_util.h"

static mx_nd *vec(int n, const float *v) { return mx_nd_from(mx_shape_make(1, n), v); }

/* Asserts nd holds exactly the n floats of want. */
static void assert_holds(const mx_nd *nd, const float *want, int n)
{
    CU_ASSERT_EQUAL_FATAL(mx_nd_size(nd), (size_t)n);
    for (int i = 0; i < n; i++) CU_ASSERT_EQUAL(mx_nd_data(nd)[i], want[i]);
}

static void test_kvstore_local_store_reports_type_rank_and_one_worker(void)
{
    mx_kvstore *kv = mx_kvstore_create("local");
    CU_ASSERT_PTR_NOT_NULL_FATAL(kv);
    CU_ASSERT_STRING_EQUAL(mx_kvstore_type(kv), "local");
    CU_ASSERT_EQUAL(mx_kvstore_rank(kv), 0);
    CU_ASSERT_EQUAL(mx_kvstore_num_workers(kv), 1);
    mx_kvstore_free(kv);
    kv = mx_kvstore_create("device");
    CU_ASSERT_PTR_NOT_NULL_FATAL(kv);
    CU_ASSERT_STRING_EQUAL(mx_kvstore_type(kv), "device");
    mx_kvstore_free(kv);
    kv = mx_kvstore_create(NULL); /* the default */
    CU_ASSERT_PTR_NOT_NULL_FATAL(kv);
    CU_ASSERT_STRING_EQUAL(mx_kvstore_type(kv), "local");
    mx_kvstore_free(kv);
}

static void test_kvstore_pull_after_init_gives_a_copy_of_the_value(void)
{
    mx_kvstore *kv = mx_kvstore_create("local");
    const float v[6] = {1.5f, -2, 0, 3.25f, 100, -0.125f};
    mx_nd *src = mx_nd_from(mx_shape_make(2, 2, 3), v);
    mx_nd *out = mx_nd_zeros(mx_shape_make(2, 2, 3));
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 3, src), MX_OK);
    mx_nd_fill(src, 9.0f); /* the store kept its own copy */
    CU_ASSERT_EQUAL(mx_kvstore_pull(kv, 3, 1, &out), MX_OK);
    assert_holds(out, v, 6);
    assert_holds(mx_kvstore_value(kv, 3), v, 6);
    CU_ASSERT_PTR_NULL(mx_kvstore_value(kv, 2)); /* keys below 3 were not created */
    mx_nd_free(src);
    mx_nd_free(out);
    mx_kvstore_free(kv);
}

static void test_kvstore_push_without_optimizer_stores_the_sum_of_the_list(void)
{
    mx_kvstore *kv = mx_kvstore_create("local");
    const float w0[4] = {5, 5, 5, 5};
    const float a[4] = {1, 2, 3, 4}, b[4] = {10, 20, 30, 40}, c[4] = {-0.5f, 0.25f, 100, -4};
    const float sum[4] = {10.5f, 22.25f, 133, 40}; /* a + b + c by hand */
    mx_nd *init = vec(4, w0), *arr[3] = {vec(4, a), vec(4, b), vec(4, c)}, *out = mx_nd_zeros(mx_shape_make(1, 4));
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 0, init), MX_OK);
    CU_ASSERT_EQUAL(mx_kvstore_push(kv, 0, 3, arr), MX_OK);
    CU_ASSERT_EQUAL(mx_kvstore_pull(kv, 0, 1, &out), MX_OK);
    assert_holds(out, sum, 4);
    /* the next push replaces the stored value, it does not add to it */
    CU_ASSERT_EQUAL(mx_kvstore_push(kv, 0, 1, &arr[1]), MX_OK);
    CU_ASSERT_EQUAL(mx_kvstore_pull(kv, 0, 1, &out), MX_OK);
    assert_holds(out, b, 4);
    /* the pushed arrays are left as they were */
    assert_holds(arr[0], a, 4);
    assert_holds(arr[2], c, 4);
    for (int i = 0; i < 3; i++) mx_nd_free(arr[i]);
    mx_nd_free(init);
    mx_nd_free(out);
    mx_kvstore_free(kv);
}

static void test_kvstore_push_with_sgd_updates_the_weight_from_the_summed_gradient(void)
{
    enum { N = 5, PUSHES = 4 };
    const double lr = 0.1, mu = 0.9, wd = 0.01, rescale = 0.5;
    mx_sgd_opts so = mx_sgd_defaults();
    so.lr = (float)lr, so.momentum = (float)mu, so.weight_decay = (float)wd, so.rescale_grad = (float)rescale;
    mx_optimizer *opt = mx_sgd_create(&so);
    CU_ASSERT_PTR_NOT_NULL_FATAL(opt);
    mx_kvstore *kv = mx_kvstore_create("local");
    CU_ASSERT_EQUAL(mx_kvstore_set_optimizer(kv, opt), MX_OK);
    const float w0[N] = {1, -2, 0.5f, 3, 0};
    mx_nd *w = vec(N, w0), *out = mx_nd_zeros(mx_shape_make(1, N));
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 7, w), MX_OK);
    double ref_w[N], ref_v[N] = {0};
    for (int i = 0; i < N; i++) ref_w[i] = w0[i];
    for (int p = 0; p < PUSHES; p++) {
        /* two gradients per push, different every time */
        float g1[N], g2[N];
        for (int i = 0; i < N; i++) {
            g1[i] = 0.25f * (float)(i + 1) * (float)(p % 2 ? -1 : 1);
            g2[i] = 1.5f - 0.5f * (float)i + 0.125f * (float)p;
        }
        mx_nd *g[2] = {vec(N, g1), vec(N, g2)};
        CU_ASSERT_EQUAL(mx_kvstore_push(kv, 7, 2, g), MX_OK);
        /* MXNet.jl SGD: g ← rescale·Σg + λW; v ← μv − ηg; W ← W + v */
        for (int i = 0; i < N; i++) {
            double gi = rescale * ((double)g1[i] + (double)g2[i]) + wd * ref_w[i];
            ref_v[i] = mu * ref_v[i] - lr * gi;
            ref_w[i] += ref_v[i];
        }
        CU_ASSERT_EQUAL(mx_kvstore_pull(kv, 7, 1, &out), MX_OK);
        for (int i = 0; i < N; i++) CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(out)[i], ref_w[i], 1e-5);
        mx_nd_free(g[0]);
        mx_nd_free(g[1]);
    }
    /* the momentum state is the velocity of the last step */
    size_t n = 0;
    float *state = mx_kvstore_state(kv, 7, &n);
    CU_ASSERT_EQUAL_FATAL(n, (size_t)N);
    CU_ASSERT_PTR_NOT_NULL_FATAL(state);
    for (int i = 0; i < N; i++) CU_ASSERT_DOUBLE_EQUAL(state[i], ref_v[i], 1e-5);
    mx_nd_free(w);
    mx_nd_free(out);
    mx_kvstore_free(kv);
    mx_optimizer_free(opt);
}

static void test_kvstore_pull_into_several_outputs_copies_to_every_one(void)
{
    mx_kvstore *kv = mx_kvstore_create("local");
    const float v[3] = {0.5f, -7, 42};
    mx_nd *src = vec(3, v), *outs[3];
    for (int i = 0; i < 3; i++) {
        outs[i] = mx_nd_zeros(mx_shape_make(1, 3));
        mx_nd_fill(outs[i], (float)(-100 - i));
    }
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 1, src), MX_OK);
    CU_ASSERT_EQUAL(mx_kvstore_pull(kv, 1, 3, outs), MX_OK);
    for (int i = 0; i < 3; i++) {
        assert_holds(outs[i], v, 3);
        mx_nd_free(outs[i]);
    }
    mx_nd_free(src);
    mx_kvstore_free(kv);
}

static void assert_all_zero(const float *s, size_t n)
{
    for (size_t i = 0; i < n; i++) CU_ASSERT_EQUAL(s[i], 0.0f);
}

static void test_kvstore_set_optimizer_allocates_zeroed_states_for_every_key(void)
{
    mx_kvstore *kv = mx_kvstore_create("local");
    mx_nd *a = mx_nd_ones(mx_shape_make(1, 4)), *b = mx_nd_ones(mx_shape_make(2, 2, 3));
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 0, a), MX_OK);
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 2, b), MX_OK);
    size_t n = 99;
    CU_ASSERT_PTR_NULL(mx_kvstore_state(kv, 0, &n)); /* no optimizer: no state */
    CU_ASSERT_EQUAL(n, 0);
    mx_sgd_opts so = mx_sgd_defaults();
    so.momentum = 0.5f;
    mx_optimizer *opt = mx_sgd_create(&so);
    CU_ASSERT_EQUAL(mx_kvstore_set_optimizer(kv, opt), MX_OK);
    float *s0 = mx_kvstore_state(kv, 0, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s0);
    CU_ASSERT_EQUAL(n, 4);
    assert_all_zero(s0, n);
    float *s2 = mx_kvstore_state(kv, 2, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
    CU_ASSERT_EQUAL(n, 6);
    assert_all_zero(s2, n);
    /* a key created afterwards gets its state at init */
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 5, a), MX_OK);
    float *s5 = mx_kvstore_state(kv, 5, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s5);
    CU_ASSERT_EQUAL(n, 4);
    assert_all_zero(s5, n);
    /* a push moves the state; setting an optimizer again starts from zero */
    CU_ASSERT_EQUAL(mx_kvstore_push(kv, 0, 1, &a), MX_OK);
    s0 = mx_kvstore_state(kv, 0, &n);
    CU_ASSERT(s0[0] != 0.0f);
    CU_ASSERT_EQUAL(mx_kvstore_set_optimizer(kv, opt), MX_OK);
    s0 = mx_kvstore_state(kv, 0, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s0);
    CU_ASSERT_EQUAL(n, 4);
    assert_all_zero(s0, n);
    /* SGD without momentum keeps no state */
    mx_optimizer *plain = mx_sgd_create(NULL);
    CU_ASSERT_EQUAL(mx_kvstore_set_optimizer(kv, plain), MX_OK);
    CU_ASSERT_PTR_NULL(mx_kvstore_state(kv, 2, &n));
    CU_ASSERT_EQUAL(n, 0);
    mx_nd_free(a);
    mx_nd_free(b);
    mx_kvstore_free(kv);
    mx_optimizer_free(opt);
    mx_optimizer_free(plain);
}

static void test_kvstore_unknown_negative_and_repeated_keys_fail_naming_the_key(void)
{
    mx_kvstore *kv = mx_kvstore_create("local");
    mx_nd *a = mx_nd_ones(mx_shape_make(1, 3));
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 4, a), MX_OK);
    CU_ASSERT_EQUAL(mx_kvstore_push(kv, 9, 1, &a), MX_EINVAL); /* beyond every key */
    ASSERT_ERROR_HAS("key 9");
    CU_ASSERT_EQUAL(mx_kvstore_pull(kv, 2, 1, &a), MX_EINVAL); /* below a key, never created */
    ASSERT_ERROR_HAS("key 2");
    ASSERT_ERROR_HAS("never initialised");
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 4, a), MX_EINVAL);
    ASSERT_ERROR_HAS("key 4");
    ASSERT_ERROR_HAS("already initialised");
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, -1, a), MX_EINVAL);
    ASSERT_ERROR_HAS("negative key -1");
    CU_ASSERT_EQUAL(mx_kvstore_push(kv, -1, 1, &a), MX_EINVAL);
    ASSERT_ERROR_HAS("key -1");
    CU_ASSERT_EQUAL(mx_kvstore_pull(kv, -3, 1, &a), MX_EINVAL);
    ASSERT_ERROR_HAS("key -3");
    CU_ASSERT_EQUAL(mx_kvstore_push(kv, 4, 0, &a), MX_EINVAL);
    ASSERT_ERROR_HAS("empty list");
    mx_nd_free(a);
    mx_kvstore_free(kv);
}

static void test_kvstore_shape_mismatch_fails_naming_key_and_shapes_and_keeps_the_value(void)
{
    mx_kvstore *kv = mx_kvstore_create("local");
    const float v[6] = {1, 2, 3, 4, 5, 6};
    mx_nd *good = mx_nd_from(mx_shape_make(2, 2, 3), v), *bad = mx_nd_zeros(mx_shape_make(2, 3, 2));
    mx_nd *flat = mx_nd_zeros(mx_shape_make(1, 6));
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 1, good), MX_OK);
    mx_nd *list[2] = {good, bad};
    CU_ASSERT_EQUAL(mx_kvstore_push(kv, 1, 2, list), MX_EINVAL);
    ASSERT_ERROR_HAS("push");
    ASSERT_ERROR_HAS("key 1");
    ASSERT_ERROR_HAS("(3,2)");
    ASSERT_ERROR_HAS("(2,3)");
    assert_holds(mx_kvstore_value(kv, 1), v, 6); /* a failed push changes nothing */
    CU_ASSERT_EQUAL(mx_kvstore_pull(kv, 1, 1, &flat), MX_EINVAL);
    ASSERT_ERROR_HAS("pull");
    ASSERT_ERROR_HAS("key 1");
    ASSERT_ERROR_HAS("(6)");
    ASSERT_ERROR_HAS("(2,3)");
    mx_nd_free(good);
    mx_nd_free(bad);
    mx_nd_free(flat);
    mx_kvstore_free(kv);
}

static void test_kvstore_unknown_and_distributed_types_are_refused(void)
{
    CU_ASSERT_PTR_NULL(mx_kvstore_create("bogus"));
    ASSERT_ERROR_HAS("'bogus'");
    ASSERT_ERROR_HAS("unknown type");
    CU_ASSERT_PTR_NULL(mx_kvstore_create("dist_sync"));
    ASSERT_ERROR_HAS("dist_sync");
    ASSERT_ERROR_HAS("MPI");
    CU_ASSERT_PTR_NULL(mx_kvstore_create("dist_async"));
    ASSERT_ERROR_HAS("use dist_sync");
}

CU_ErrorCode mx_test_register_kvstore(void)
{
    CU_pSuite s = CU_add_suite("kvstore", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "local store reports type, rank 0 and one worker", test_kvstore_local_store_reports_type_rank_and_one_worker);
    CU_add_test(s, "pull after init gives a copy of the value", test_kvstore_pull_after_init_gives_a_copy_of_the_value);
    CU_add_test(s, "push without optimizer stores the sum of the list", test_kvstore_push_without_optimizer_stores_the_sum_of_the_list);
    CU_add_test(s, "push with SGD updates the weight from the summed gradient", test_kvstore_push_with_sgd_updates_the_weight_from_the_summed_gradient);
    CU_add_test(s, "pull into several outputs copies to every one", test_kvstore_pull_into_several_outputs_copies_to_every_one);
    CU_add_test(s, "set_optimizer allocates zeroed states for every key", test_kvstore_set_optimizer_allocates_zeroed_states_for_every_key);
    CU_add_test(s, "unknown, negative and repeated keys fail naming the key", test_kvstore_unknown_negative_and_repeated_keys_fail_naming_the_key);
    CU_add_test(s, "shape mismatch fails naming key and shapes, keeps the value", test_kvstore_shape_mismatch_fails_naming_key_and_shapes_and_keeps_the_value);
    CU_add_test(s, "unknown and distributed types are refused", test_kvstore_unknown_and_distributed_types_are_refused);
    return CU_get_error();
}
