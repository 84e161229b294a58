/* test_fuse_fc.c — the fuse_fc suite: bind's FullyConnected grouping
 * (runtime/graph/fuse_fc.c, ops/fc_group.c), forced on the CPU with
 * MX_FUSE_FC=1, against the same graph bound with MX_FUSE_FC=0. The
 * grouped GEMM sums a weight's gradient over all parts' rows in one
 * product instead of part by part, so results agree to rounding, not
 * bit for bit. Each case counts the executor's steps: the char-LSTM's
 * three projections per step become three groups; a chain of layers that
 * feed one another (h2h) must stay apart; more parts than one group holds
 * split into several. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

#define VOCAB 6

/* Binds sym on the CPU with grouping forced on (group = 1) or off. */
static mx_exec *bind_grouped(const mx_sym *sym, int group, int n, const char *const *names, const mx_shape *shapes,
                             const mx_grad_req *reqs)
{
    setenv("MX_FUSE_FC", group ? "1" : "0", 1);
    mx_exec *e = mx_simple_bind(sym, mx_cpu(), n, names, shapes, reqs);
    unsetenv("MX_FUSE_FC");
    if (!e) fprintf(stderr, "\n  bind: %s\n", mx_last_error());
    return e;
}

/* `rounds` forward/backward passes on both (head gradients random, the
 * same for both); the largest relative difference of any output or
 * gradient. Every gradient must be non-zero somewhere (so a group that
 * skipped one would show). */
static double run_both(mx_exec *g, mx_exec *u, int rounds)
{
    mx_nd *heads[80] = {0};
    int nout = mx_exec_num_outputs(g);
    CU_ASSERT_FATAL(nout <= 80);
    for (int k = 0; k < nout; k++) {
        heads[k] = mx_nd_empty(mx_nd_shape(mx_exec_output(g, k)));
        mx_test_fill(heads[k], -1.0f, 1.0f, 40u + (unsigned)k);
    }
    for (int r = 0; r < rounds; r++) {
        CU_ASSERT_EQUAL_FATAL(mx_exec_forward(g, 1), MX_OK);
        CU_ASSERT_EQUAL_FATAL(mx_exec_forward(u, 1), MX_OK);
        CU_ASSERT_EQUAL_FATAL(mx_exec_backward(g, heads), MX_OK);
        CU_ASSERT_EQUAL_FATAL(mx_exec_backward(u, heads), MX_OK);
    }
    double worst = 0.0, d;
    for (int o = 0; o < nout; o++)
        if ((d = mx_test_rel_diff(mx_exec_output(u, o), mx_exec_output(g, o), 1e-5)) > worst) worst = d;
    for (int i = 0; i < mx_exec_num_args(g); i++) {
        if (!mx_exec_grad(u, i)) continue;
        if ((d = mx_test_rel_diff(mx_exec_grad(u, i), mx_exec_grad(g, i), 1e-5)) > worst) worst = d;
        float most = 0.0f;
        const float *x = mx_nd_data(mx_exec_grad(g, i));
        for (size_t k = 0; k < mx_nd_size(mx_exec_grad(g, i)); k++) most = fmaxf(most, fabsf(x[k]));
        CU_ASSERT(most > 0.0f);
    }
    for (int k = 0; k < nout; k++) mx_nd_free(heads[k]);
    return worst;
}

/* The unrolled char-LSTM at batch 3; state_req for the initial states,
 * `rounds` passes (two with MX_GRAD_ADD: the group adds into gradients). */
static double lstm_case(int layers, int steps, mx_grad_req state_req, int rounds)
{
    mx_lstm_opts o = mx_test_lstm_opts(layers, steps, 5, 4, VOCAB);
    mx_sym *net = mx_lstm_unroll(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    char nm[64][48];
    const char *names[64];
    mx_shape shapes[64];
    mx_grad_req reqs[64];
    int n = mx_test_lstm_bind_inputs(net, &o, 3, nm, names, shapes, state_req, reqs);
    mx_exec *g = bind_grouped(net, 1, n, names, shapes, reqs), *u = bind_grouped(net, 0, n, names, shapes, reqs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    /* every layer's i2h and the output layer: `steps` nodes become one */
    CU_ASSERT_EQUAL(mx_exec_num_steps(u) - mx_exec_num_steps(g), (layers + 1) * (steps - 1));
    mx_test_same_args(g, u, VOCAB);
    double worst = run_both(g, u, rounds);
    /* the memory rule: the group's passes allocate nothing (its pointer
     * lists live on the stack, its rows in the planned workspace) */
    long allocs = -1;
    if (mx_test_count_allocs_begin() == 0) {
        CU_ASSERT_EQUAL(mx_exec_forward(g, 1), MX_OK);
        CU_ASSERT_EQUAL(mx_exec_backward(g, NULL), MX_OK);
        allocs = mx_test_count_allocs_end();
        CU_ASSERT_EQUAL(allocs, 0);
    }
    printf("\n    %d layers x %d steps%s: %d steps, grouped %d, max rel diff %.1e; allocations in a pass: %ld",
           layers, steps, state_req == MX_GRAD_ADD ? ", state grads added over 2 passes" : "",
           mx_exec_num_steps(u), mx_exec_num_steps(g), worst, allocs);
    mx_exec_free(g);
    mx_exec_free(u);
    mx_sym_free(net);
    return worst;
}

static void test_lstm_grouped(void)
{
    CU_ASSERT(lstm_case(2, 4, MX_GRAD_WRITE, 1) < 1e-4);
    CU_ASSERT(lstm_case(1, 3, MX_GRAD_ADD, 2) < 1e-4);
}

/* k FullyConnected layers sharing weight w and bias b: `chain` of them
 * feed one another (x → f1 → f2 …), the rest each read their own input
 * x<i>; all outputs grouped. */
static mx_sym *shared_layers(int k, int chain)
{
    mx_sym *w = mx_var("w"), *b = mx_var("b"), *prev = NULL, *outs[80];
    for (int i = 0; i < k; i++) {
        char name[16], params[48];
        snprintf(name, sizeof name, "x%d", i);
        snprintf(params, sizeof params, "name=f%d num_hidden=4", i);
        mx_sym *x = i < chain && prev ? NULL : mx_var(name);
        outs[i] = mx_op("FullyConnected", params, x ? x : prev, w, b);
        if (x) mx_sym_free(x);
        if (i < chain) prev = outs[i];
    }
    mx_sym *net = mx_group(k, outs);
    for (int i = 0; i < k; i++) mx_sym_free(outs[i]);
    mx_sym_free(w);
    mx_sym_free(b);
    return net;
}

/* Binds shared_layers(k, chain) grouped and not (data (3, 4), its
 * gradients req), checks the step counts and the results. */
static void layers_case(int k, int chain, int want_steps, mx_grad_req req, int rounds)
{
    mx_sym *net = shared_layers(k, chain);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    const char *const *args;
    int nargs = mx_list_arguments(net, &args);
    const char *names[80];
    mx_shape shapes[80];
    mx_grad_req reqs[82];
    int n = 0;
    CU_ASSERT_FATAL(nargs <= 82);
    for (int a = 0; a < nargs; a++) {
        reqs[a] = args[a][0] == 'x' ? req : MX_GRAD_WRITE;
        if (args[a][0] == 'x') names[n] = args[a], shapes[n++] = mx_shape_make(2, 3, 4);
    }
    mx_exec *g = bind_grouped(net, 1, n, names, shapes, reqs), *u = bind_grouped(net, 0, n, names, shapes, reqs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_EQUAL(mx_exec_num_steps(u), k);
    CU_ASSERT_EQUAL(mx_exec_num_steps(g), want_steps);
    mx_test_same_args(g, u, VOCAB);
    double worst = run_both(g, u, rounds);
    printf("\n    %d layers on one weight, %d chained%s: %d steps grouped into %d, max rel diff %.1e", k, chain,
           req == MX_GRAD_ADD ? ", data grads added over 2 passes" : "", k, mx_exec_num_steps(g), worst);
    CU_ASSERT(worst < 1e-4);
    mx_exec_free(g);
    mx_exec_free(u);
    mx_sym_free(net);
}

static void test_layers(void)
{
    layers_case(4, 4, 4, MX_GRAD_WRITE, 1);  /* a chain: each reads the last one's output */
    layers_case(5, 2, 2, MX_GRAD_WRITE, 1);  /* f0→f1 chained, f2..f4 apart: f0, f2..f4 group, f1 stays */
    layers_case(3, 0, 1, MX_GRAD_ADD, 2);    /* independent, data gradients added */
    layers_case(70, 0, 2, MX_GRAD_WRITE, 1); /* 62 parts a group at most: 62 + 8 */
}

CU_ErrorCode mx_test_register_fuse_fc(void)
{
    CU_pSuite s = CU_add_suite("fuse_fc", NULL, NULL);
    if (!s) return CU_get_error();
    if (!CU_add_test(s, "char-LSTM: grouped projections equal one GEMM a step (outputs, every gradient)",
                     test_lstm_grouped) ||
        !CU_add_test(s, "layers on one weight: independent ones group, chained ones stay, groups split at 62",
                     test_layers))
        return CU_get_error();
    return CUE_SUCCESS;
}
