/* test_ndqueue.c — NDArray operations pushed and run later by dependency
 * (issue #18): the bits of running them at once, reads that wait, an
 * executor that waits, no allocation in pushes and runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ndarray/nd_queue.h"
#include "suites.h"
#include "test_util.h"

#define NARR 10
#define LEN 300

/* A seeded program of in-place arithmetic, fills and copies over NARR
 * arrays and two slices that share memory with arrays 0 and 1; every
 * value read back at the end into out (NARR * LEN floats). Returns how
 * many operations were still queued just before the final read. */
static int run_program(unsigned seed, float *out)
{
    mx_nd *a[NARR + 2];
    for (int i = 0; i < NARR; i++) {
        a[i] = mx_nd_empty(mx_shape_make(2, LEN / 10, 10));
        mx_test_fill(a[i], -1.0f, 1.0f, 100u + (unsigned)i);
    }
    a[NARR] = mx_nd_slice(a[0], 5, 20);     /* rows 5..19 of array 0 */
    a[NARR + 1] = mx_nd_slice(a[1], 0, 15); /* rows 0..14 of array 1 */
    unsigned x = seed;
    int most = 0;
    for (int k = 0; k < 400; k++) {
        x = x * 1103515245u + 12345u;
        int op = (int)(x >> 8) % 5, d = (int)(x >> 12) % (NARR + 2), b = (int)(x >> 20) % (NARR + 2);
        if (mx_nd_size(a[d]) != mx_nd_size(a[b])) b = d >= NARR ? (d == NARR ? NARR + 1 : NARR) : (d + 1) % NARR;
        switch (op) {
        case 0: mx_nd_binary_to(MX_ND_ADD, a[d], a[b]); break;
        case 1: mx_nd_binary_to(MX_ND_MUL, a[d], a[b]); break;
        case 2: mx_nd_scalar_to(MX_ND_MUL, a[d], 0.5f + (float)(x % 7) / 8.0f); break;
        case 3: mx_nd_fill(a[d], (float)(x % 13) / 13.0f - 0.5f); break;
        default: if (d != b) mx_nd_copy(a[d], a[b]); break;
        }
        if (mx_ndq_pending() > most) most = mx_ndq_pending();
    }
    for (int i = 0; i < NARR; i++) CU_ASSERT_EQUAL(mx_nd_copy_to(a[i], out + i * LEN, LEN), MX_OK);
    for (int i = 0; i < NARR + 2; i++) mx_nd_free(a[i]);
    return most;
}

static void test_ndqueue_deferred_ops_give_the_bits_of_running_at_once(void)
{
    int threads = mx_engine_threads(mx_engine_default());
    CU_ASSERT_EQUAL(mx_engine_set_default(2, MX_BIND_NONE), MX_OK);
    float *now = malloc(NARR * LEN * sizeof(float)), *later = malloc(NARR * LEN * sizeof(float));
    int same = 0, deferred = 0;
    for (unsigned seed = 1; seed <= 8; seed++) {
        mx_nd_set_async(0);
        CU_ASSERT_EQUAL(run_program(seed, now), 0);
        mx_nd_set_async(1);
        deferred += run_program(seed, later) > 100; /* most of the 400 waited in the queue */
        same += !memcmp(now, later, NARR * LEN * sizeof(float));
    }
    printf("\n    8 programs of 400 operations: %d deferred, %d with the bits of running them at once", deferred, same);
    CU_ASSERT_EQUAL(deferred, 8);
    CU_ASSERT_EQUAL(same, 8);
    free(now);
    free(later);
    mx_engine_set_default(threads, MX_BIND_NONE);
}

static void test_ndqueue_reads_wait_for_pending_writes(void)
{
    mx_nd_set_async(1);
    mx_nd *a = mx_nd_zeros(mx_shape_make(1, 64)), *b = mx_nd_empty(mx_shape_make(1, 64));
    mx_nd_fill(b, 2.0f);
    mx_nd_binary_to(MX_ND_ADD, a, b); /* a = 2 */
    CU_ASSERT(mx_ndq_pending() > 0);
    mx_nd_wait_to_read(a);
    CU_ASSERT_EQUAL(mx_ndq_pending(), 0);
    mx_nd_scalar_to(MX_ND_MUL, a, 3.0f); /* a = 6, pending */
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(a)[63], 6.0, 0.0); /* mx_nd_data waits */
    mx_nd *c = mx_nd_binary(MX_ND_SUB, a, b); /* c = 4, pending */
    float v[64];
    CU_ASSERT_EQUAL(mx_nd_copy_to(c, v, 64), MX_OK); /* a host copy waits */
    CU_ASSERT_DOUBLE_EQUAL(v[0], 4.0, 0.0);
    mx_nd_fill(c, -1.0f);
    mx_nd_wait_all();
    CU_ASSERT_EQUAL(mx_ndq_pending(), 0);
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(c)[10], -1.0, 0.0);
    /* shape errors are reported at the call, not later */
    mx_nd *d = mx_nd_empty(mx_shape_make(1, 3));
    CU_ASSERT_EQUAL(mx_nd_binary_to(MX_ND_ADD, a, d), MX_EINVAL);
    ASSERT_ERROR_HAS("shapes differ");
    mx_nd_free(a);
    mx_nd_free(b);
    mx_nd_free(c);
    mx_nd_free(d);
}

static void test_ndqueue_executor_waits_for_pending_writes(void)
{
    mx_nd_set_async(1);
    mx_sym *x = mx_var("x");
    mx_sym *fc = mx_op("FullyConnected", "name=f num_hidden=2", x);
    mx_nd *args[] = {mx_nd_zeros(mx_shape_make(2, 1, 3)), mx_nd_zeros(mx_shape_make(2, 2, 3)),
                     mx_nd_zeros(mx_shape_make(1, 2))};
    mx_exec *e = mx_bind(fc, mx_cpu(), args, NULL, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    mx_nd_fill(args[0], 1.0f); /* pending when forward starts */
    mx_nd_fill(args[1], 0.5f);
    mx_nd_fill(args[2], 10.0f);
    CU_ASSERT(mx_ndq_pending() >= 3);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 0), MX_OK);
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(mx_exec_output(e, 0))[1], 11.5, 1e-6); /* 3 x 0.5 + 10 */
    mx_exec_free(e);
    for (int i = 0; i < 3; i++) mx_nd_free(args[i]);
    mx_sym_free(x);
    mx_sym_free(fc);
}

static void test_ndqueue_pushes_and_runs_allocate_nothing(void)
{
    mx_nd_set_async(1);
    mx_nd *a = mx_nd_zeros(mx_shape_make(1, 1000)), *b = mx_nd_ones(mx_shape_make(1, 1000));
    mx_nd_wait_all();
    int counting = mx_test_count_allocs_begin() == 0;
    for (int k = 0; k < 600; k++) { /* more than the queue holds: it runs itself when full */
        mx_nd_binary_to(MX_ND_ADD, a, b);
        mx_nd_scalar_to(MX_ND_MUL, b, 1.0f);
    }
    mx_nd_wait_all();
    if (counting) {
        CU_ASSERT_EQUAL(mx_test_count_allocs_end(), 0);
    } else {
        mx_test_skip("allocation counting is off in sanitizer builds");
    }
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(a)[999], 600.0, 0.0);
    mx_nd_free(a);
    mx_nd_free(b);
}

CU_ErrorCode mx_test_register_ndqueue(void)
{
    CU_pSuite s = CU_add_suite("ndqueue", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "deferred operations give the bits of running them at once (slices, 2 threads)",
                test_ndqueue_deferred_ops_give_the_bits_of_running_at_once);
    CU_add_test(s, "reads wait for pending writes; shape errors come at the call",
                test_ndqueue_reads_wait_for_pending_writes);
    CU_add_test(s, "an executor waits for pending writes to its arrays", test_ndqueue_executor_waits_for_pending_writes);
    CU_add_test(s, "pushes and runs allocate nothing", test_ndqueue_pushes_and_runs_allocate_nothing);
    return CU_get_error();
}
