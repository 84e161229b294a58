/* test_executor.c — bind, the memory plan and gradient requests. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/exec/executor_internal.h"
#include "runtime/exec/plan.h"
#include "suites.h"
#include "test_util.h"

static void test_executor_bind_computes_fully_connected(void)
{
    mx_sym *x = mx_var("x");
    mx_sym *fc = mx_op("FullyConnected", "name=f num_hidden=2", x);
    float xv[] = {1, 2, 3, 4, 5, 6};          /* (2,3) */
    float wv[] = {1, 0, -1, 0.5f, 0.5f, 0.5f}; /* (2,3) */
    float bv[] = {10, -10};
    mx_nd *args[] = {mx_nd_from(mx_shape_make(2, 2, 3), xv), mx_nd_from(mx_shape_make(2, 2, 3), wv),
                     mx_nd_from(mx_shape_make(1, 2), bv)};
    mx_exec *e = mx_bind(fc, mx_cpu(), args, NULL, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 0), MX_OK);
    const float *y = mx_nd_data(mx_exec_output(e, 0));
    /* row 0: 1-3+10 = 8, (1+2+3)/2-10 = -7 ; row 1: 4-6+10 = 8, 7.5-10 = -2.5 */
    CU_ASSERT_DOUBLE_EQUAL(y[0], 8.0, 1e-5);
    CU_ASSERT_DOUBLE_EQUAL(y[1], -7.0, 1e-5);
    CU_ASSERT_DOUBLE_EQUAL(y[2], 8.0, 1e-5);
    CU_ASSERT_DOUBLE_EQUAL(y[3], -2.5, 1e-5);
    /* the caller's arrays are used directly, not copied */
    mx_nd_data(args[0])[0] = 0;
    mx_exec_forward(e, 0);
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(mx_exec_output(e, 0))[0], 7.0, 1e-5); /* 0 - 3 + 10 */
    mx_exec_free(e);
    for (int i = 0; i < 3; i++) mx_nd_free(args[i]);
    mx_sym_free(x); mx_sym_free(fc);
}

static void test_executor_bind_rejects_missing_and_misshapen_arrays(void)
{
    mx_sym *x = mx_var("x");
    mx_sym *fc = mx_op("FullyConnected", "name=f num_hidden=2", x);
    mx_nd *a = mx_nd_zeros(mx_shape_make(2, 2, 3)), *w = mx_nd_zeros(mx_shape_make(2, 2, 4));
    mx_nd *b = mx_nd_zeros(mx_shape_make(1, 2));
    mx_nd *args[] = {a, w, b};
    CU_ASSERT_PTR_NULL(mx_bind(fc, mx_cpu(), args, NULL, NULL, NULL));
    ASSERT_ERROR_HAS("'f'");
    ASSERT_ERROR_HAS("weight");
    mx_nd *partial[] = {a, NULL, b};
    CU_ASSERT_PTR_NULL(mx_bind(fc, mx_cpu(), partial, NULL, NULL, NULL));
    ASSERT_ERROR_HAS("f_weight");
    mx_nd *wg = mx_nd_zeros(mx_shape_make(2, 2, 3));
    mx_nd *args2[] = {a, wg, b};
    mx_nd *bad_grads[] = {NULL, b, NULL};
    CU_ASSERT_PTR_NULL(mx_bind(fc, mx_cpu(), args2, bad_grads, NULL, NULL));
    ASSERT_ERROR_HAS("gradient of 'f_weight'");
    mx_grad_req reqs[] = {MX_GRAD_WRITE, MX_GRAD_NULL, MX_GRAD_NULL};
    CU_ASSERT_PTR_NULL(mx_bind(fc, mx_cpu(), args2, NULL, reqs, NULL));
    ASSERT_ERROR_HAS("'x'");
    CU_ASSERT_PTR_NULL(mx_bind(fc, mx_gpu(0), args2, NULL, NULL, NULL));
    ASSERT_ERROR_HAS("GPU");
    mx_nd_free(a); mx_nd_free(w); mx_nd_free(b); mx_nd_free(wg);
    mx_sym_free(x); mx_sym_free(fc);
}

static void test_executor_plan_reuses_memory_and_runs_in_place(void)
{
    mx_sym *net = mx_test_mlp();
    const char *names[] = {"data", "softmax_label"};
    mx_shape shapes[] = {mx_shape_make(2, 100, 784), mx_shape_make(1, 100)};
    mx_exec *e = mx_simple_bind(net, mx_cpu(), 2, names, shapes, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    size_t planned = mx_exec_planned_bytes(e), naive = mx_exec_naive_bytes(e);
    printf("\n  MLP batch 100: planned %zu bytes, naive %zu bytes\n", planned, naive);
    CU_ASSERT(planned > 0);
    CU_ASSERT(planned < naive * 6 / 10);
    /* relu1 overwrites fc1's output; relu's backward overwrites its out-grad */
    int found = 0;
    for (int i = 0; i < e->nsteps; i++) {
        mx_step *st = &e->steps[i];
        if (st->op->flags & MX_OP_INPLACE && st->nin == 1 && st->in[0].data == st->out[0].data) found++;
        if (st->op->flags & MX_OP_BWD_INPLACE && st->in_grad[0].data == st->out_grad[0].data) found++;
    }
    CU_ASSERT_EQUAL(found, 4); /* relu1, relu2 forward and backward */
    /* and there is no gradient for the data and the label */
    CU_ASSERT_PTR_NULL(mx_exec_grad(e, 0));
    CU_ASSERT_PTR_NULL(mx_exec_grad(e, 7));
    CU_ASSERT_PTR_NOT_NULL(mx_exec_grad(e, 1));
    mx_exec_free(e);
    /* inference binds keep only what forward needs: less memory still */
    mx_grad_req none[8] = {0};
    mx_exec *inf = mx_simple_bind(net, mx_cpu(), 2, names, shapes, none);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inf);
    CU_ASSERT(mx_exec_planned_bytes(inf) < planned);
    mx_exec_free(inf);
    mx_sym_free(net);
}

/* clip (and the unary math ops) read x in backward: bound for training
 * their output has its own buffer; bound for inference it takes x's
 * (MobileNet's ReLU6 after each convolution), and the result is the same. */
static void test_executor_clip_in_place_only_for_inference(void)
{
    mx_sym *x = mx_var("data");
    mx_sym *fc = mx_op("FullyConnected", "name=fc num_hidden=16", x);
    mx_sym *r6 = mx_op("clip", "name=relu6 a_min=0 a_max=6", fc);
    mx_sym *c = mx_op("FullyConnected", "name=fc2 num_hidden=16", r6); /* clip's output internal, not a head */
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    const char *names[] = {"data"};
    mx_shape shapes[] = {mx_shape_make(2, 4, 8)};
    mx_grad_req none[5] = {0}, train[5] = {MX_GRAD_NULL, MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE};
    float out[2][64];
    for (int pass = 0; pass < 2; pass++) {
        mx_exec *e = mx_simple_bind(c, mx_cpu(), 1, names, shapes, pass ? train : none);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        int shared = -1;
        for (int i = 0; i < e->nsteps; i++)
            if (!strcmp(e->steps[i].op->name, "clip")) shared = e->steps[i].in[0].data == e->steps[i].out[0].data;
        CU_ASSERT_EQUAL(shared, pass ? 0 : 1);
        for (int a = 0; a < mx_exec_num_args(e); a++) {
            mx_nd *nd = mx_exec_arg(e, a);
            float *d = mx_nd_data(nd);
            for (size_t k = 0; k < mx_nd_size(nd); k++) d[k] = (float)((int)(k * 7 + (size_t)a * 3) % 11) - 4.0f;
        }
        CU_ASSERT_EQUAL_FATAL(mx_exec_forward(e, 0), MX_OK);
        CU_ASSERT_EQUAL_FATAL(mx_nd_copy_to(mx_exec_output(e, 0), out[pass], 64), MX_OK);
        mx_exec_free(e);
    }
    CU_ASSERT_EQUAL(memcmp(out[0], out[1], sizeof out[0]), 0);
    mx_sym_free(c);
    mx_sym_free(r6);
    mx_sym_free(fc);
    mx_sym_free(x);
}

static void run_once(mx_exec *e)
{
    mx_exec_forward(e, 1);
    mx_exec_backward(e, NULL);
}

static void test_executor_grad_req_add_accumulates_and_null_skips(void)
{
    mx_sym *net = mx_test_mlp();
    const char *names[] = {"data", "softmax_label"};
    mx_shape shapes[] = {mx_shape_make(2, 8, 784), mx_shape_make(1, 8)};
    mx_grad_req write[8], add[8];
    for (int i = 0; i < 8; i++) { write[i] = MX_GRAD_WRITE; add[i] = MX_GRAD_ADD; }
    write[0] = write[7] = add[0] = add[7] = MX_GRAD_NULL;
    add[3] = MX_GRAD_NULL; /* fc2_weight: no gradient at all */
    mx_exec *w = mx_simple_bind(net, mx_cpu(), 2, names, shapes, write);
    mx_exec *a = mx_simple_bind(net, mx_cpu(), 2, names, shapes, add);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    for (int i = 0; i < 8; i++) {
        mx_test_fill(mx_exec_arg(w, i), -0.5f, 0.5f, 100 + (unsigned)i);
        mx_nd_copy(mx_exec_arg(a, i), mx_exec_arg(w, i));
    }
    for (int i = 0; i < 8; i++) mx_nd_data(mx_exec_arg(w, 7))[i] = (float)(i % 10);
    mx_nd_copy(mx_exec_arg(a, 7), mx_exec_arg(w, 7));
    run_once(w);
    run_once(w); /* write twice: still one gradient */
    run_once(a);
    run_once(a); /* add twice: two gradients */
    CU_ASSERT_PTR_NULL(mx_exec_grad(a, 3));
    int checked = 0;
    for (int i = 1; i < 7; i++) {
        if (i == 3) continue;
        const float *gw = mx_nd_data(mx_exec_grad(w, i)), *ga = mx_nd_data(mx_exec_grad(a, i));
        for (size_t j = 0; j < mx_nd_size(mx_exec_grad(w, i)); j += 97, checked++)
            CU_ASSERT_DOUBLE_EQUAL(ga[j], 2.0 * gw[j], 1e-6 + 1e-5 * fabs(gw[j]));
    }
    CU_ASSERT(checked > 20);
    mx_exec_free(w);
    mx_exec_free(a);
    mx_sym_free(net);
}

static void test_executor_head_gradient_is_used_for_plain_outputs(void)
{
    /* y = 3x: dy/dx · h = 3h */
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_sym_arith_scalar(x, '*', 3.0f);
    const char *names[] = {"x"};
    mx_shape s = mx_shape_make(1, 4);
    mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, names, &s, (mx_grad_req[]){MX_GRAD_WRITE});
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    float hv[] = {1, -2, 0.5f, 4};
    mx_nd *h = mx_nd_from(s, hv);
    mx_exec_forward(e, 1);
    mx_exec_backward(e, &h);
    for (int i = 0; i < 4; i++) CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(mx_exec_grad(e, 0))[i], 3.0 * hv[i], 1e-6);
    mx_exec_backward(e, NULL); /* default head gradient: ones */
    for (int i = 0; i < 4; i++) CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(mx_exec_grad(e, 0))[i], 3.0, 1e-6);
    mx_nd *wrong = mx_nd_zeros(mx_shape_make(1, 3));
    CU_ASSERT_EQUAL(mx_exec_backward(e, &wrong), MX_EINVAL);
    ASSERT_ERROR_HAS("head gradient");
    mx_nd_free(wrong);
    mx_nd_free(h);
    mx_exec_free(e);
    mx_sym_free(x); mx_sym_free(y);
}

static void test_executor_group_output_that_is_also_consumed(void)
{
    /* outputs: a = tanh(x) and b = a*2; d/dx (Σa·ha + Σb·hb) = (ha + 2hb)(1 − a²) */
    mx_sym *x = mx_var("x");
    mx_sym *a = mx_op("Activation", "name=a act_type=tanh", x);
    mx_sym *b = mx_sym_arith_scalar(a, '*', 2.0f);
    mx_sym *parts[] = {a, b};
    mx_sym *g = mx_group(2, parts);
    const char *names[] = {"x"};
    mx_shape s = mx_shape_make(1, 5);
    mx_exec *e = mx_simple_bind(g, mx_cpu(), 1, names, &s, (mx_grad_req[]){MX_GRAD_WRITE});
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    mx_test_fill(mx_exec_arg(e, 0), -1, 1, 5);
    mx_nd *ha = mx_nd_empty(s), *hb = mx_nd_empty(s);
    mx_test_fill(ha, -1, 1, 6);
    mx_test_fill(hb, -1, 1, 7);
    mx_nd *heads[] = {ha, hb};
    for (int rep = 0; rep < 2; rep++) { /* a second run must not accumulate */
        mx_exec_forward(e, 1);
        mx_exec_backward(e, heads);
    }
    for (int i = 0; i < 5; i++) {
        double av = tanh(mx_nd_data(mx_exec_arg(e, 0))[i]);
        double want = (mx_nd_data(ha)[i] + 2.0 * mx_nd_data(hb)[i]) * (1 - av * av);
        CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(mx_exec_grad(e, 0))[i], want, 1e-5);
        CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(mx_exec_output(e, 1))[i], 2 * av, 1e-5);
    }
    mx_nd_free(ha); mx_nd_free(hb);
    mx_exec_free(e);
    mx_sym_free(x); mx_sym_free(a); mx_sym_free(b); mx_sym_free(g);
}

static void test_executor_simple_bind_reports_inference_errors(void)
{
    mx_sym *net = mx_test_mlp();
    const char *names[] = {"data"};
    mx_shape bad = mx_shape_make(2, 100, 784);
    mx_shape wrong_w = mx_shape_make(2, 10, 63);
    const char *names2[] = {"data", "fc3_weight"};
    mx_shape shapes2[] = {bad, wrong_w};
    CU_ASSERT_PTR_NULL(mx_simple_bind(net, mx_cpu(), 2, names2, shapes2, NULL));
    ASSERT_ERROR_HAS("fc3");
    const char *unknown[] = {"pixels"};
    CU_ASSERT_PTR_NULL(mx_simple_bind(net, mx_cpu(), 1, unknown, &bad, NULL));
    ASSERT_ERROR_HAS("pixels");
    (void)names;
    mx_sym_free(net);
}

static void test_executor_planner_never_overlaps_live_buffers(void)
{
    mx_rng rng;
    mx_rng_seed(&rng, 9);
    for (int trial = 0; trial < 20; trial++) {
        mx_plan_buf b[120];
        size_t sum = 0;
        for (int i = 0; i < 120; i++) {
            int first = (int)mx_rng_below(&rng, 50);
            b[i] = (mx_plan_buf){1 + mx_rng_below(&rng, 5000), first, first + (int)mx_rng_below(&rng, 10), 0};
            sum += mx_arena_round(b[i].bytes);
        }
        size_t total = mx_plan_assign(b, 120);
        CU_ASSERT(total <= sum);
        int clashes = 0;
        for (int i = 0; i < 120; i++) {
            CU_ASSERT(b[i].offset % MX_ARENA_ALIGN == 0);
            CU_ASSERT(b[i].offset + b[i].bytes <= total);
            for (int j = i + 1; j < 120; j++) {
                int live = b[i].first <= b[j].last && b[j].first <= b[i].last;
                int mem = b[i].offset < b[j].offset + b[j].bytes && b[j].offset < b[i].offset + b[i].bytes;
                clashes += live && mem;
            }
        }
        CU_ASSERT_EQUAL(clashes, 0);
    }
    /* disjoint lifetimes share; a small buffer fills the gap below a big one */
    mx_plan_buf two[] = {{640, 0, 1, 0}, {640, 2, 3, 0}};
    CU_ASSERT_EQUAL(mx_plan_assign(two, 2), 640);
    mx_plan_buf gap[] = {{1024, 0, 9, 0}, {512, 0, 2, 0}, {256, 5, 9, 0}};
    /* 1024 at 0; 512 at 1024; 256 overlaps only the 1024 (the 512 is dead) -> 1024 */
    CU_ASSERT_EQUAL(mx_plan_assign(gap, 3), 1536);
    CU_ASSERT_EQUAL(gap[2].offset, 1024);
}

/* MX_PROFILE at bind: every step is timed and the table names each node
 * with its op and call counts; without it nothing is counted. */
static void test_executor_profile_table(void)
{
    mx_sym *net = mx_test_mlp();
    const char *names[] = {"data"};
    mx_shape s = mx_shape_make(2, 8, 784);
    char path[300], line[256];
    snprintf(path, sizeof path, "%s/profile.txt", mx_test_tmp_dir());
    for (int on = 0; on < 2; on++) {
        setenv("MX_PROFILE", on ? "1" : "0", 1);
        mx_exec *e = mx_simple_bind(net, mx_cpu(), 1, names, &s, NULL);
        unsetenv("MX_PROFILE");
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        for (int k = 0; k < 3; k++) {
            CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
            CU_ASSERT_EQUAL(mx_exec_backward(e, NULL), MX_OK);
        }
        CU_ASSERT_EQUAL(mx_exec_forward(e, 0), MX_OK);
        FILE *f = fopen(path, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        mx_exec_print_profile(e, f);
        fclose(f);
        mx_exec_free(e);
        f = fopen(path, "r");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        int rows = 0, fc2 = 0;
        while (fgets(line, sizeof line, f)) {
            char node[64], op[64];
            long nf, nb;
            double tf, tb;
            if (sscanf(line, "profile: %63s %63s %ld %lf %ld %lf", node, op, &nf, &tf, &nb, &tb) != 6) continue;
            rows++;
            CU_ASSERT_EQUAL(nf, on ? 4 : 0);
            CU_ASSERT_EQUAL(nb, on ? 3 : 0);
            CU_ASSERT(tf >= 0.0 && tb >= 0.0);
            if (!strcmp(node, "fc2")) fc2 = !strcmp(op, "FullyConnected");
        }
        fclose(f);
        CU_ASSERT_EQUAL(rows, 6); /* fc1 relu1 fc2 relu2 fc3 softmax */
        CU_ASSERT(fc2);
    }
    mx_sym_free(net);
}

CU_ErrorCode mx_test_register_executor(void)
{
    CU_pSuite s = CU_add_suite("executor", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "bind computes FullyConnected on caller arrays", test_executor_bind_computes_fully_connected);
    CU_add_test(s, "bind rejects missing and misshapen arrays", test_executor_bind_rejects_missing_and_misshapen_arrays);
    CU_add_test(s, "plan reuses memory and runs in place", test_executor_plan_reuses_memory_and_runs_in_place);
    CU_add_test(s, "clip runs in place for inference only", test_executor_clip_in_place_only_for_inference);
    CU_add_test(s, "grad_req add accumulates, null skips", test_executor_grad_req_add_accumulates_and_null_skips);
    CU_add_test(s, "head gradient used for plain outputs", test_executor_head_gradient_is_used_for_plain_outputs);
    CU_add_test(s, "group output that is also consumed", test_executor_group_output_that_is_also_consumed);
    CU_add_test(s, "simple_bind reports inference errors", test_executor_simple_bind_reports_inference_errors);
    CU_add_test(s, "planner never overlaps live buffers", test_executor_planner_never_overlaps_live_buffers);
    CU_add_test(s, "MX_PROFILE times every step; the table names nodes and ops", test_executor_profile_table);
    return CU_get_error();
}
