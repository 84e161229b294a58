/* test_gradcheck.c — every op's backward against central differences of
 * the objective its gradient belongs to: Σ out·H (random head gradient H)
 * for ordinary ops, the loss itself for output layers. Whole small
 * networks are checked too, which exercises the planner's buffer sharing
 * and in-place reuse. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "suites.h"
#include "test_util.h"

static void test_gradcheck_fully_connected(void)
{
    mx_gradcheck_unary("FullyConnected", "num_hidden=4", mx_shape_make(3, 5, 1, 1), mx_gc_head("fc"));
    mx_gradcheck_unary("FullyConnected", "num_hidden=3 no_bias=true", mx_shape_make(3, 2, 3, 4), mx_gc_head("fc no_bias"));
    mx_gradcheck_unary("FullyConnected", "num_hidden=3 flatten=false", mx_shape_make(3, 2, 3, 4), mx_gc_head("fc flatten=false"));
}

static void test_gradcheck_activations(void)
{
    const char *acts[] = {"relu", "sigmoid", "tanh", "softrelu", "softsign"};
    for (int i = 0; i < 5; i++) {
        char params[64];
        snprintf(params, sizeof params, "act_type=%s", acts[i]);
        mx_gc_check c = mx_gc_head(acts[i]);
        c.lo = -2.0f; c.hi = 2.0f; c.nudge = 0.05f;
        mx_gradcheck_unary("Activation", params, mx_shape_make(2, 3, 4), c);
    }
}

static void check_softmax(const char *params, mx_shape s, mx_gc_check c)
{
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("SoftmaxOutput", params, x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *names[] = {"x"};
    mx_gradcheck(&c, y, 1, names, &s);
    mx_sym_free(x);
    mx_sym_free(y);
}

static void test_gradcheck_softmax_output(void)
{
    mx_gc_check c = {"softmax", OBJ_SOFTMAX, 1.0f, 0, 0, -1.0f, 0, 5, -2.0f, 2.0f, 0.0f};
    check_softmax("name=sm", mx_shape_make(2, 4, 5), c);
    c.what = "softmax batch"; c.norm = 1; c.grad_scale = 2.0f;
    check_softmax("name=sm normalization=batch grad_scale=2", mx_shape_make(2, 4, 5), c);
    c.what = "softmax valid+ignore"; c.norm = 2; c.use_ignore = 1; c.ignore = 2.0f; c.grad_scale = 1.0f;
    check_softmax("name=sm normalization=valid use_ignore=true ignore_label=2", mx_shape_make(2, 6, 5), c);
    mx_gc_check c2 = {"softmax multi_output", OBJ_SOFTMAX, 1.0f, 1, 0, -1.0f, 1, 3, -2.0f, 2.0f, 0.0f};
    check_softmax("name=sm multi_output=true normalization=batch", mx_shape_make(3, 2, 3, 4), c2);
}

static void test_gradcheck_regression_outputs(void)
{
    mx_gc_check c = {"linear regression", OBJ_LINEAR, 1.5f, 0, 0, -1.0f, 0, 0, -2.0f, 2.0f, 0.0f};
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("LinearRegressionOutput", "name=lr grad_scale=1.5", x);
    const char *names[] = {"x"};
    mx_shape s = mx_shape_make(2, 3, 2);
    mx_gradcheck(&c, y, 1, names, &s);
    mx_sym_free(y);
    mx_gc_check l = {"logistic regression", OBJ_LOGISTIC, 1.0f, 0, 0, -1.0f, 0, 0, -2.0f, 2.0f, 0.0f};
    y = mx_op("LogisticRegressionOutput", "name=lg", x);
    mx_gradcheck(&l, y, 1, names, &s);
    mx_sym_free(y);
    mx_sym_free(x);
}

static void test_gradcheck_flatten_and_blockgrad(void)
{
    mx_gradcheck_unary("Flatten", "", mx_shape_make(3, 2, 3, 2), mx_gc_head("flatten"));
    /* BlockGrad: identity forward, zero gradient by definition. */
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("BlockGrad", "", x);
    const char *names[] = {"x"};
    mx_shape s = mx_shape_make(2, 2, 3);
    mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, names, &s, (mx_grad_req[]){MX_GRAD_WRITE});
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    mx_test_fill(mx_exec_arg(e, 0), -1, 1, 3);
    mx_nd_fill(mx_exec_grad(e, 0), 5.0f);
    mx_exec_forward(e, 1);
    mx_exec_backward(e, NULL);
    for (int i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(mx_nd_data(mx_exec_grad(e, 0))[i], 0.0f);
        CU_ASSERT_EQUAL(mx_nd_data(mx_exec_output(e, 0))[i], mx_nd_data(mx_exec_arg(e, 0))[i]);
    }
    mx_exec_free(e);
    mx_sym_free(x);
    mx_sym_free(y);
}

static void test_gradcheck_elementwise(void)
{
    const char ops[] = {'+', '-', '*', '/'};
    for (int i = 0; i < 4; i++) {
        mx_sym *a = mx_var("a"), *b = mx_var("b");
        /* keep the divisor away from zero: b = a' + 3 with a' in [-1, 1] */
        mx_sym *b3 = mx_sym_arith_scalar(b, '+', 3.0f);
        mx_sym *y = mx_sym_arith(a, ops[i], b3);
        const char *names[] = {"a"};
        mx_shape s = mx_shape_make(2, 3, 4);
        char what[32];
        snprintf(what, sizeof what, "binary %c", ops[i]);
        mx_gradcheck(&(mx_gc_check){what, OBJ_HEAD, 1, 0, 0, -1, 0, 0, -1, 1, 0}, y, 1, names, &s);
        mx_sym_free(a); mx_sym_free(b); mx_sym_free(b3); mx_sym_free(y);
    }
    const char *scalar_ops[] = {"_PlusScalar", "_MinusScalar", "_RMinusScalar", "_MulScalar", "_DivScalar", "_RDivScalar"};
    for (int i = 0; i < 6; i++) {
        mx_gc_check c = mx_gc_head(scalar_ops[i]);
        c.lo = 0.5f; c.hi = 1.5f;
        mx_gradcheck_unary(scalar_ops[i], "scalar=1.7", mx_shape_make(2, 3, 4), c);
    }
}

static void test_gradcheck_reused_input_accumulates(void)
{
    /* y = x*x + x: one variable feeding three slots (write, then add). */
    mx_sym *x = mx_var("x");
    mx_sym *sq = mx_sym_arith(x, '*', x);
    mx_sym *y = mx_sym_arith(sq, '+', x);
    const char *names[] = {"x"};
    mx_shape s = mx_shape_make(1, 7);
    mx_gradcheck(&(mx_gc_check){"x*x+x", OBJ_HEAD, 1, 0, 0, -1, 0, 0, -1, 1, 0}, y, 1, names, &s);
    mx_sym_free(x); mx_sym_free(sq); mx_sym_free(y);
}

static void test_gradcheck_whole_mlp_with_planned_memory(void)
{
    mx_sym *data = mx_var("data");
    mx_sym *net = mx_chain(data,
        "FullyConnected name=fc1 num_hidden=6", "Activation name=a1 act_type=tanh",
        "FullyConnected name=fc2 num_hidden=5", "Activation name=a2 act_type=sigmoid",
        "Flatten name=flat", "FullyConnected name=fc3 num_hidden=4",
        "SoftmaxOutput name=softmax normalization=batch", NULL);
    const char *names[] = {"data"};
    mx_shape s = mx_shape_make(2, 3, 7);
    mx_gc_check c = {"mlp", OBJ_SOFTMAX, 1.0f, 1, 0, -1.0f, 0, 4, -1.0f, 1.0f, 0.0f};
    CU_ASSERT(mx_gradcheck(&c, net, 1, names, &s) > 100);
    mx_sym_free(data);
    mx_sym_free(net);
}

static void test_gradcheck_inplace_chain(void)
{
    /* tanh → +1 → ×2 → relu → −0.5: a chain the planner runs in place. */
    mx_sym *x = mx_var("x");
    mx_sym *net = mx_chain(x, "FullyConnected name=f num_hidden=5", "Activation act_type=tanh",
                           "_PlusScalar scalar=1", "_MulScalar scalar=2", "Activation act_type=relu",
                           "_MinusScalar scalar=0.5", NULL);
    const char *names[] = {"x"};
    mx_shape s = mx_shape_make(2, 4, 3);
    mx_gradcheck(&(mx_gc_check){"in-place chain", OBJ_HEAD, 1, 0, 0, -1, 0, 0, -1, 1, 0}, net, 1, names, &s);
    mx_sym_free(x);
    mx_sym_free(net);
}

CU_ErrorCode mx_test_register_gradcheck(void)
{
    CU_pSuite s = CU_add_suite("gradcheck", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "FullyConnected (bias, no_bias, flatten=false)", test_gradcheck_fully_connected);
    CU_add_test(s, "Activation (all five)", test_gradcheck_activations);
    CU_add_test(s, "SoftmaxOutput (null, batch, valid+ignore, multi_output)", test_gradcheck_softmax_output);
    CU_add_test(s, "Linear and Logistic regression outputs", test_gradcheck_regression_outputs);
    CU_add_test(s, "Flatten and BlockGrad", test_gradcheck_flatten_and_blockgrad);
    CU_add_test(s, "elementwise and scalar ops", test_gradcheck_elementwise);
    CU_add_test(s, "reused input accumulates", test_gradcheck_reused_input_accumulates);
    CU_add_test(s, "whole MLP with planned memory", test_gradcheck_whole_mlp_with_planned_memory);
    CU_add_test(s, "in-place chain", test_gradcheck_inplace_chain);
    return CU_get_error();
}
