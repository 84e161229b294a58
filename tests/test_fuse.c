/* test_fuse.c — the fuse suite: bind's LSTM-cell fusion (runtime/graph/fuse.c)
 * against the same graph bound with MX_FUSE=0. Outputs and every gradient
 * of the unrolled char-LSTM (with and without state outputs, gradients
 * written and added), a cell written with its operands in other orders
 * and its gates sliced in another order, and graphs that must stay as
 * they are (an intermediate that is also an output, a gate that is not
 * σ/tanh). Each fused case also counts the executor's steps, so a pattern
 * that silently stopped matching fails here rather than only running
 * slower. The lstm suite's numerical gradient check runs the fused cell. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

/* Integer inputs (character indices, labels) are drawn in [0, VOCAB). */
#define VOCAB 6

/* Binds sym with fusion on (fuse = 1) or off. */
static mx_exec *bind_with(const mx_sym *sym, int fuse, int n, const char *const *names, const mx_shape *shapes,
                          const mx_grad_req *reqs)
{
    if (!fuse) setenv("MX_FUSE", "0", 1);
    mx_exec *e = mx_simple_bind(sym, mx_cpu(), n, names, shapes, reqs);
    unsetenv("MX_FUSE");
    if (!e) fprintf(stderr, "\n  bind: %s\n", mx_last_error());
    return e;
}

/* Runs `rounds` forward/backward passes on both (head gradients from
 * heads, NULL: ones) and returns the largest relative difference of any
 * output or gradient; reqs decide which gradients exist. */
static double run_both(mx_exec *f, mx_exec *u, int rounds, mx_nd *const *heads)
{
    double worst = 0.0, d;
    for (int r = 0; r < rounds; r++) {
        CU_ASSERT_EQUAL_FATAL(mx_exec_forward(f, 1), MX_OK);
        CU_ASSERT_EQUAL_FATAL(mx_exec_forward(u, 1), MX_OK);
        CU_ASSERT_EQUAL_FATAL(mx_exec_backward(f, heads), MX_OK);
        CU_ASSERT_EQUAL_FATAL(mx_exec_backward(u, heads), MX_OK);
    }
    for (int o = 0; o < mx_exec_num_outputs(f); o++)
        if ((d = mx_test_rel_diff(mx_exec_output(u, o), mx_exec_output(f, o), 1e-6)) > worst) worst = d;
    for (int i = 0; i < mx_exec_num_args(f); i++)
        if (mx_exec_grad(u, i) && (d = mx_test_rel_diff(mx_exec_grad(u, i), mx_exec_grad(f, i), 1e-6)) > worst)
            worst = d;
    return worst;
}

/* The unrolled char-LSTM at batch 3, fused and not, gradients req for the
 * weights and initial states; returns the largest difference and checks
 * that every cell was fused. */
static double lstm_case(int layers, int steps, int output_states, mx_grad_req state_req, int rounds, float dropout)
{
    mx_lstm_opts o = mx_test_lstm_opts(layers, steps, 5, 4, VOCAB);
    o.output_states = output_states;
    o.dropout = dropout;
    mx_sym *net = mx_lstm_unroll(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    char nm[64][48];
    const char *names[64];
    mx_shape shapes[64];
    mx_grad_req reqs[64];
    int n = mx_test_lstm_bind_inputs(net, &o, 3, nm, names, shapes, state_req, reqs);
    mx_exec *f = bind_with(net, 1, n, names, shapes, reqs), *u = bind_with(net, 0, n, names, shapes, reqs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    /* 13 nodes per cell (2 FC + 11 fused into one) become 3 */
    CU_ASSERT_EQUAL(mx_exec_num_steps(u) - mx_exec_num_steps(f), 10 * layers * steps);
    mx_test_same_args(f, u, VOCAB);
    mx_nd *heads[64] = {0};
    for (int k = 0; k < mx_exec_num_outputs(f); k++) {
        heads[k] = mx_nd_empty(mx_nd_shape(mx_exec_output(f, k)));
        mx_test_fill(heads[k], -1.0f, 1.0f, 40u + (unsigned)k);
    }
    double worst = run_both(f, u, rounds, heads);
    for (int k = 0; k < mx_exec_num_outputs(f); k++) mx_nd_free(heads[k]);
    printf("\n    %d layers x %d steps%s%s%s: %d steps fused into %d, max rel diff %.1e", layers, steps,
           output_states ? ", state outputs" : "", state_req == MX_GRAD_ADD ? ", state grads added" : "",
           dropout > 0 ? ", dropout 0.3 (same masks)" : "",
           mx_exec_num_steps(u), mx_exec_num_steps(f), worst);
    mx_exec_free(f);
    mx_exec_free(u);
    mx_sym_free(net);
    return worst;
}

static void test_lstm_fused_equals_unfused(void)
{
    /* same functions, same order of float operations: a few ulp at most */
    CU_ASSERT(lstm_case(2, 4, 0, MX_GRAD_WRITE, 1, 0.0f) < 1e-4);
    CU_ASSERT(lstm_case(1, 3, 1, MX_GRAD_WRITE, 1, 0.0f) < 1e-4);
    /* added gradients: the initial states' accumulate over two passes */
    CU_ASSERT(lstm_case(2, 3, 1, MX_GRAD_ADD, 2, 0.0f) < 1e-4);
    /* Dropout between the layers takes a cell's h (in place) */
    CU_ASSERT(lstm_case(2, 3, 0, MX_GRAD_WRITE, 1, 0.3f) < 1e-4);
}

/* One cell from variables i2h, h2h, c (batch 3, hidden 4), written as
 * `variant` says: 0 lstm.c's order; 1 operands swapped everywhere and the
 * gates sliced as (forget, out, transform, in); 2 the out gate also an
 * output (must not fuse); 3 a relu gate (must not fuse); 4 two tanh gates
 * (must not fuse). Outputs c and h grouped. */
static mx_sym *one_cell(int variant)
{
    mx_sym *a = mx_var("i2h"), *b = mx_var("h2h"), *cp = mx_var("c");
    mx_sym *sum = mx_sym_arith(a, '+', b);
    mx_sym *gates = mx_op("SliceChannel", "name=gates num_outputs=4", sum);
    /* slice index of role i, g, f, o */
    int order[4] = {0, 1, 2, 3};
    if (variant == 1) order[0] = 3, order[1] = 2, order[2] = 0, order[3] = 1;
    mx_sym *g[4];
    for (int r = 0; r < 4; r++) {
        const char *act = r == 1 || (variant == 4 && r == 2) ? "tanh" : variant == 3 && r == 3 ? "relu" : "sigmoid";
        char params[64];
        snprintf(params, sizeof params, "act_type=%s", act);
        mx_sym *part = mx_sym_output(gates, order[r]);
        g[r] = mx_op("Activation", params, part);
        mx_sym_free(part);
    }
    int swap = variant == 1;
    mx_sym *fc = swap ? mx_sym_arith(cp, '*', g[2]) : mx_sym_arith(g[2], '*', cp);
    mx_sym *ig = swap ? mx_sym_arith(g[1], '*', g[0]) : mx_sym_arith(g[0], '*', g[1]);
    mx_sym *c = swap ? mx_sym_arith(ig, '+', fc) : mx_sym_arith(fc, '+', ig);
    mx_sym *tc = mx_op("Activation", "act_type=tanh", c);
    mx_sym *h = swap ? mx_sym_arith(tc, '*', g[3]) : mx_sym_arith(g[3], '*', tc);
    mx_sym *parts[3] = {c, h, g[3]};
    mx_sym *out = mx_group(variant == 2 ? 3 : 2, parts);
    mx_sym *all[] = {a, b, cp, sum, gates, g[0], g[1], g[2], g[3], fc, ig, c, tc, h};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) mx_sym_free(all[k]);
    return out;
}

static void test_cell_variants(void)
{
    const char *names[] = {"i2h", "h2h", "c"};
    mx_shape shapes[] = {mx_shape_make(2, 3, 16), mx_shape_make(2, 3, 16), mx_shape_make(2, 3, 4)};
    for (int v = 0; v < 5; v++) {
        mx_sym *cell = one_cell(v);
        CU_ASSERT_PTR_NOT_NULL_FATAL(cell);
        mx_grad_req reqs[] = {MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE};
        mx_exec *f = bind_with(cell, 1, 3, names, shapes, reqs), *u = bind_with(cell, 0, 3, names, shapes, reqs);
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_PTR_NOT_NULL_FATAL(u);
        int fused = v <= 1;
        CU_ASSERT_EQUAL(mx_exec_num_steps(u), 11);
        CU_ASSERT_EQUAL(mx_exec_num_steps(f), fused ? 1 : 11);
        mx_test_same_args(f, u, VOCAB);
        mx_nd *heads[3];
        for (int k = 0; k < mx_exec_num_outputs(f); k++) {
            heads[k] = mx_nd_empty(mx_nd_shape(mx_exec_output(f, k)));
            mx_test_fill(heads[k], -1.0f, 1.0f, 7u + (unsigned)k);
        }
        double worst = run_both(f, u, 1, heads);
        printf("\n    variant %d: %s, max rel diff %.1e", v, fused ? "fused" : "kept", worst);
        CU_ASSERT(worst < 1e-4);
        for (int k = 0; k < mx_exec_num_outputs(f); k++) mx_nd_free(heads[k]);
        mx_exec_free(f);
        mx_exec_free(u);
        mx_sym_free(cell);
    }
}

CU_ErrorCode mx_test_register_fuse(void)
{
    CU_pSuite s = CU_add_suite("fuse", NULL, NULL);
    if (!s) return CU_get_error();
    if (!CU_add_test(s, "char-LSTM: fused cells equal the plain ops (outputs, every gradient)",
                     test_lstm_fused_equals_unfused) ||
        !CU_add_test(s, "cell variants: operand and gate orders fuse; observed or other gates stay", test_cell_variants))
        return CU_get_error();
    return CUE_SUCCESS;
}
