/* test_schedule.c — the executor's dependency schedule (issue #18): every
 * order that respects the dependencies gives the sequential order's bits,
 * the tracking of a reused buffer's readers is what makes that true, and
 * running by dependency allocates nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/lstm.h"
#include "runtime/exec/schedule.h"
#include "runtime/ndarray/device.h"
#include "suites.h"
#include "test_util.h"

#define VOCAB 11

/* Restores the default pool's thread count and MX_SCHED on the way out. */
typedef struct saved_env {
    int threads;
    char sched[64];
    int had_sched;
} saved_env;

static saved_env save_env(int threads)
{
    saved_env s = {mx_engine_threads(mx_engine_default()), "", 0};
    const char *v = getenv("MX_SCHED");
    if (v) snprintf(s.sched, sizeof s.sched, "%s", v), s.had_sched = 1;
    unsetenv("MX_SCHED");
    CU_ASSERT_EQUAL(mx_engine_set_default(threads, MX_BIND_NONE), MX_OK);
    return s;
}

static void restore_env(const saved_env *s)
{
    mx_engine_set_default(s->threads, MX_BIND_NONE);
    if (s->had_sched) setenv("MX_SCHED", s->sched, 1);
}

/* A 2-layer, 6-step char-LSTM at batch 4 with dropout 0.25 (random
 * draws, which must keep their order), weights and initial states
 * with gradients. */
static mx_exec *bind_lstm(mx_sym **net)
{
    mx_lstm_opts o = mx_test_lstm_opts(2, 6, 8, 6, VOCAB);
    o.dropout = 0.25f;
    *net = mx_lstm_unroll(&o);
    if (!*net) return NULL;
    char nm[64][48];
    const char *names[64];
    mx_shape shapes[64];
    mx_grad_req reqs[64];
    int n = mx_test_lstm_bind_inputs(*net, &o, 4, nm, names, shapes, MX_GRAD_WRITE, reqs);
    mx_exec *e = mx_simple_bind(*net, mx_cpu(), n, names, shapes, reqs);
    if (!e) fprintf(stderr, "\n  bind: %s\n", mx_last_error());
    return e;
}

/* Eight independent branches x -> FC -> tanh -> FC, summed: wide, with
 * the planner reusing one branch's buffers for the next. */
static mx_sym *branches(void)
{
    mx_sym *x = mx_var("x"), *outs[8];
    for (int i = 0; i < 8; i++) {
        char p[64];
        snprintf(p, sizeof p, "name=a%d num_hidden=12", i);
        mx_sym *a = mx_op("FullyConnected", p, x);
        snprintf(p, sizeof p, "name=t%d act_type=tanh", i);
        mx_sym *t = mx_op("Activation", p, a);
        snprintf(p, sizeof p, "name=b%d num_hidden=5", i);
        outs[i] = mx_op("FullyConnected", p, t);
        mx_sym_free(a);
        mx_sym_free(t);
    }
    mx_sym *sum = mx_op_(
        "add_n", "name=sum num_args=8", outs[0], outs[1], outs[2], outs[3], outs[4], outs[5], outs[6], outs[7],
        (mx_sym *)0);
    for (int i = 0; i < 8; i++) mx_sym_free(outs[i]);
    mx_sym_free(x);
    return sum;
}

static mx_exec *bind_branches(const mx_sym *net)
{
    const char *names[] = {"x"};
    mx_shape shapes[] = {mx_shape_make(2, 7, 9)};
    return mx_simple_bind(net, mx_cpu(), 1, names, shapes, NULL);
}

/* One forward (training) and backward with fixed head gradients. */
static void step(mx_exec *e, mx_nd *const *heads)
{
    CU_ASSERT_EQUAL_FATAL(mx_exec_forward(e, 1), MX_OK);
    CU_ASSERT_EQUAL_FATAL(mx_exec_backward(e, heads), MX_OK);
}

static mx_nd **make_heads(mx_exec *e)
{
    int n = mx_exec_num_outputs(e);
    mx_nd **h = calloc((size_t)n, sizeof *h);
    for (int k = 0; k < n; k++) {
        h[k] = mx_nd_empty(mx_nd_shape(mx_exec_output(e, k)));
        mx_test_fill(h[k], -1.0f, 1.0f, 60u + (unsigned)k);
    }
    return h;
}

static void free_heads(mx_exec *e, mx_nd **h)
{
    for (int k = 0; k < mx_exec_num_outputs(e); k++) mx_nd_free(h[k]);
    free(h);
}

static int same_bits(const mx_nd *a, const mx_nd *b)
{
    return mx_nd_size(a) == mx_nd_size(b) && !memcmp(mx_nd_data(a), mx_nd_data(b), mx_nd_size(a) * sizeof(float));
}

/* 1 when every output and gradient of a equals b's, bit for bit. */
static int same_results(mx_exec *a, mx_exec *b)
{
    for (int o = 0; o < mx_exec_num_outputs(a); o++)
        if (!same_bits(mx_exec_output(a, o), mx_exec_output(b, o))) return 0;
    for (int i = 0; i < mx_exec_num_args(a); i++)
        if (mx_exec_grad(a, i) && !same_bits(mx_exec_grad(a, i), mx_exec_grad(b, i))) return 0;
    for (int i = 0; i < mx_exec_num_aux(a); i++)
        if (!same_bits(mx_exec_aux(a, i), mx_exec_aux(b, i))) return 0;
    return 1;
}

/* Same arguments in both, and both executors' generators at one state
 * (dropout masks are drawn from the executor's own generator). */
static void same_start(mx_exec *ref, mx_exec *e)
{
    mx_test_same_args(ref, e, VOCAB);
    *mx_exec_rng(e) = *mx_exec_rng(ref);
}

static void test_schedule_every_order_gives_sequential_bits(void)
{
    saved_env env = save_env(2);
    mx_sym *net, *net2;
    mx_exec *ref = bind_lstm(&net), *e = bind_lstm(&net2);
    mx_sym_free(net);
    mx_sym_free(net2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(mx_exec_set_schedule(ref, MX_SCHEDULE_SEQUENTIAL, 0), MX_OK);
    mx_nd **heads = make_heads(ref);
    int random_same = 0, graph_same = 0;
    const int rounds = 12;
    /* Random orders, a new one each call: 12 forward+backward pairs. */
    CU_ASSERT_EQUAL(mx_exec_set_schedule(e, MX_SCHEDULE_RANDOM, 99), MX_OK);
    same_start(ref, e);
    for (int r = 0; r < rounds; r++) {
        step(ref, heads);
        step(e, heads);
        random_same += same_results(ref, e);
    }
    /* Side by side on the 2-thread pool, run after run. */
    CU_ASSERT_EQUAL(mx_exec_set_schedule(e, MX_SCHEDULE_GRAPH, 0), MX_OK);
    same_start(ref, e);
    for (int r = 0; r < rounds; r++) {
        step(ref, heads);
        step(e, heads);
        graph_same += same_results(ref, e);
    }
    char buf[512];
    printf("\n    %s", mx_exec_schedule_describe(e, buf, sizeof buf));
    CU_ASSERT_EQUAL(random_same, rounds);
    CU_ASSERT_EQUAL(graph_same, rounds);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "schedule graph, 2 threads"));
    free_heads(ref, heads);
    mx_exec_free(ref);
    mx_exec_free(e);
    restore_env(&env);
}

/* Binds net twice (data, softmax_label at these shapes); runs the
 * sequential order beside random orders, then beside 2 threads by
 * dependency; returns the rounds (of 2 × 6) whose results matched. */
static int check_net(mx_sym *net, mx_shape data, int classes)
{
    const char *names[] = {"data", "softmax_label"};
    mx_shape shapes[] = {data, mx_shape_make(1, data.dims[0])};
    mx_exec *ref = mx_simple_bind(net, mx_cpu(), 2, names, shapes, NULL);
    mx_exec *e = mx_simple_bind(net, mx_cpu(), 2, names, shapes, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(mx_exec_set_schedule(ref, MX_SCHEDULE_SEQUENTIAL, 0), MX_OK);
    int same = 0;
    for (int mode = 0; mode < 2; mode++) {
        CU_ASSERT_EQUAL(mx_exec_set_schedule(e, mode ? MX_SCHEDULE_GRAPH : MX_SCHEDULE_RANDOM, 5), MX_OK);
        same_start(ref, e);
        for (int k = 0; k < 2; k++) {
            float *lab = mx_nd_data(mx_exec_arg(k ? e : ref, mx_exec_arg_index(ref, "softmax_label")));
            for (int i = 0; i < data.dims[0]; i++) lab[i] = (float)(i % classes);
        }
        for (int r = 0; r < 6; r++) {
            step(ref, NULL);
            step(e, NULL);
            same += same_results(ref, e);
        }
    }
    mx_exec_free(ref);
    mx_exec_free(e);
    mx_sym_free(net);
    return same;
}

static void test_schedule_layer_nets_give_sequential_bits(void)
{
    saved_env env = save_env(2);
    CU_ASSERT_EQUAL(check_net(mx_test_mlp(), mx_shape_make(2, 20, 784), 10), 12);
    CU_ASSERT_EQUAL(check_net(mx_test_lenet(), mx_shape_make(4, 8, 1, 28, 28), 10), 12);
    /* BatchNorm (aux states), LeakyReLU, Dropout (random draws), Concat, pooling */
    CU_ASSERT_EQUAL(check_net(mx_test_conv_layers(), mx_shape_make(4, 6, 3, 16, 16), 10), 12);
    restore_env(&env);
}

/* Runs e 40 times in random orders after resetting its arguments; returns
 * how many runs differed from ref. */
static int random_mismatches(mx_exec *ref, mx_exec *e, mx_nd *const *heads)
{
    int bad = 0;
    for (int seed = 1; seed <= 40; seed++) {
        CU_ASSERT_EQUAL(mx_exec_set_schedule(e, MX_SCHEDULE_RANDOM, (uint64_t)seed), MX_OK);
        same_start(ref, e);
        step(e, heads);
        bad += !same_results(ref, e);
    }
    return bad;
}

static void test_schedule_reused_buffer_waits_for_readers(void)
{
    /* One thread, auto: the tight memory plan, which reuses each branch's
     * buffers for the next branch. */
    saved_env env = save_env(1);
    mx_sym *net = branches();
    mx_exec *ref = bind_branches(net), *e = bind_branches(net);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT(mx_exec_planned_bytes(e) < mx_exec_naive_bytes(e)); /* buffers are shared */
    mx_nd **heads = make_heads(ref);
    same_start(ref, e);
    step(ref, heads);
    /* With the tracking: every random order gives the bits. */
    int with = random_mismatches(ref, e, heads);
    /* Without the write-after-read edges, a branch may overwrite a buffer
     * before the previous branch has read it: the same test must notice. */
    for (int b = 0; b < 2; b++) {
        mx_sched_free(e->sched[b]);
        e->sched[b] = NULL;
        CU_ASSERT_EQUAL_FATAL(mx_sched_build(e, b, 1, &e->sched[b]), MX_OK);
    }
    int without = random_mismatches(ref, e, heads);
    printf("\n    40 random orders: %d differ with the tracking, %d without write-after-read edges", with, without);
    CU_ASSERT_EQUAL(with, 0);
    CU_ASSERT(without > 0);
    free_heads(ref, heads);
    mx_exec_free(ref);
    mx_exec_free(e);
    mx_sym_free(net);
    restore_env(&env);
}

static void test_schedule_graph_steps_allocate_nothing(void)
{
    saved_env env = save_env(2);
    mx_sym *net;
    mx_exec *e = bind_lstm(&net);
    mx_sym_free(net);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(mx_exec_set_schedule(e, MX_SCHEDULE_GRAPH, 0), MX_OK);
    mx_test_same_args(e, e, VOCAB);
    step(e, NULL); /* first call: lazy set-up anywhere below is allowed */
    if (mx_test_count_allocs_begin() != 0) {
        mx_test_skip("allocation counting is off in sanitizer builds");
    } else {
        for (int r = 0; r < 20; r++) step(e, NULL);
        long calls = mx_test_count_allocs_end();
        printf("\n    20 forward+backward by dependency on 2 threads: %ld allocation calls", calls);
        CU_ASSERT_EQUAL(calls, 0);
    }
    mx_exec_free(e);
    restore_env(&env);
}

static void test_schedule_auto_plans_wide_graphs_only(void)
{
    saved_env env = save_env(2);
    char buf[512];
    /* The MLP is a chain: no plan built, every step over both threads. */
    mx_sym *mlp = mx_test_mlp();
    const char *names[] = {"data", "softmax_label"};
    mx_shape shapes[] = {mx_shape_make(2, 10, 784), mx_shape_make(1, 10)};
    mx_exec *m = mx_simple_bind(mlp, mx_cpu(), 2, names, shapes, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mx_exec_schedule_describe(m, buf, sizeof buf);
    printf("\n    MLP: %s", buf);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "graph width 1.00"));
    CU_ASSERT_PTR_NULL(strstr(buf, "forward"));
    /* The branches: width 24 ops / 4 levels = 6, both directions planned. */
    mx_sym *net = branches();
    mx_exec *w = bind_branches(net);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    mx_exec_schedule_describe(w, buf, sizeof buf);
    printf("\n    branches: %s", buf);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "graph width 6.25"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "forward 25 steps"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "backward 25 steps"));
    mx_exec_free(m);
    mx_exec_free(w);
    mx_sym_free(mlp);
    mx_sym_free(net);
    restore_env(&env);
}

static void no_hook(void *ctx, const int *args, int nargs)
{
    (void)ctx, (void)args, (void)nargs;
}

static void test_schedule_bad_values_are_named(void)
{
    saved_env env = save_env(2);
    mx_sym *net = branches();
    setenv("MX_SCHED", "sometimes", 1);
    mx_exec *e = bind_branches(net);
    CU_ASSERT_PTR_NULL(e);
    ASSERT_ERROR_HAS("MX_SCHED: bad value 'sometimes'");
    setenv("MX_SCHED", "random:x", 1);
    CU_ASSERT_PTR_NULL(bind_branches(net));
    ASSERT_ERROR_HAS("MX_SCHED");
    setenv("MX_SCHED", "random:5", 1);
    e = bind_branches(net);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    char buf[512];
    CU_ASSERT_PTR_NOT_NULL(strstr(mx_exec_schedule_describe(e, buf, sizeof buf), "schedule random"));
    unsetenv("MX_SCHED");
    CU_ASSERT_EQUAL(mx_exec_set_schedule(e, (mx_schedule)7, 0), MX_EINVAL);
    ASSERT_ERROR_HAS("unknown schedule 7");
    mx_exec_free(e);
    /* GPU executors order their steps with CUDA graphs and call no hook */
    if (mx_dev_fake_gpus(1) == MX_OK) {
        const char *names[] = {"x"};
        mx_shape shapes[] = {mx_shape_make(2, 7, 9)};
        mx_exec *g = mx_simple_bind(net, mx_gpu(0), 1, names, shapes, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        CU_ASSERT_EQUAL(mx_exec_set_schedule(g, MX_SCHEDULE_GRAPH, 0), MX_EINVAL);
        ASSERT_ERROR_HAS("CUDA graphs");
        CU_ASSERT_EQUAL(mx_exec_set_grad_hook(g, no_hook, NULL), MX_EINVAL);
        ASSERT_ERROR_HAS("only CPU executors");
        CU_ASSERT_EQUAL(mx_exec_set_grad_hook(g, NULL, NULL), MX_OK); /* removing one is fine */
        mx_exec_free(g);
        mx_dev_fake_gpus(0);
    } else {
        mx_test_skip("cuda=1 build: no stand-in GPU for the GPU refusals");
    }
    mx_sym_free(net);
    restore_env(&env);
}

CU_ErrorCode mx_test_register_schedule(void)
{
    CU_pSuite s = CU_add_suite("schedule", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "random orders and 2 threads by dependency give the sequential bits (LSTM, dropout)",
                test_schedule_every_order_gives_sequential_bits);
    CU_add_test(s, "MLP, LeNet and the layer zoo: every schedule gives the sequential bits",
                test_schedule_layer_nets_give_sequential_bits);
    CU_add_test(s, "a reused buffer waits for its readers; without that edge the test fails",
                test_schedule_reused_buffer_waits_for_readers);
    CU_add_test(s, "steps by dependency allocate nothing", test_schedule_graph_steps_allocate_nothing);
    CU_add_test(s, "auto plans wide graphs, leaves chains in order", test_schedule_auto_plans_wide_graphs_only);
    CU_add_test(s, "bad MX_SCHED and schedules are named; GPU executors refuse a schedule and a hook",
                test_schedule_bad_values_are_named);
    return CU_get_error();
}
