/* test_gradcheck.c — every op's backward against central differences of
 * the objective its gradient belongs to: Σ out·H (random head gradient H)
 * for ordinary ops, the loss itself for output layers. Whole small
 * networks are checked too, which exercises the planner's buffer sharing
 * and in-place reuse. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

typedef enum objective { OBJ_HEAD, OBJ_SOFTMAX, OBJ_LINEAR, OBJ_LOGISTIC } objective;

typedef struct check {
    const char *what;
    objective obj;
    float grad_scale;     /* loss ops */
    int norm;             /* softmax: 0 null, 1 batch, 2 valid */
    int use_ignore;
    float ignore;
    int multi_output;
    int classes;          /* labels drawn from 0..classes-1 */
    float lo, hi;         /* range of non-label inputs */
    float nudge;          /* keep |x| above this (kinks at 0) */
} check;

static int is_label(const char *name) { return strstr(name, "label") != NULL; }

static double objective_value(const check *c, mx_exec *e, const mx_nd *head)
{
    mx_nd *out = mx_exec_output(e, 0);
    const float *y = mx_nd_data(out);
    size_t n = mx_nd_size(out);
    if (c->obj == OBJ_HEAD) {
        double j = 0.0;
        const float *h = mx_nd_data(head);
        for (size_t i = 0; i < n; i++) j += (double)y[i] * h[i];
        return j;
    }
    int li = -1;
    for (int a = 0; a < mx_exec_num_args(e); a++)
        if (is_label(mx_exec_arg_name(e, a))) li = a;
    const float *lab = mx_nd_data(mx_exec_arg(e, li));
    mx_shape s = mx_nd_shape(out);
    size_t per_sample = mx_shape_tail(&s, 1);
    if (c->obj == OBJ_LINEAR || c->obj == OBJ_LOGISTIC) {
        double j = 0.0;
        for (size_t i = 0; i < n; i++) {
            double d = (double)y[i] - lab[i];
            j += c->obj == OBJ_LINEAR ? 0.5 * d * d
                                      : -(lab[i] * log(y[i]) + (1.0 - lab[i]) * log(1.0 - y[i]));
        }
        return j * c->grad_scale / (double)per_sample;
    }
    /* softmax cross-entropy over the class axis */
    size_t outer = (size_t)s.dims[0], ch = c->multi_output ? (size_t)s.dims[1] : per_sample;
    size_t inner = c->multi_output ? mx_shape_tail(&s, 2) : 1;
    double j = 0.0, count = 0.0;
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < inner; k++) {
            float l = lab[o * inner + k];
            if (c->use_ignore && l == c->ignore) continue;
            j -= log(y[(o * ch + (size_t)l) * inner + k]);
            count += 1.0;
        }
    double norm = c->norm == 1 ? (double)outer * (c->multi_output ? (double)inner : 1.0)
                : c->norm == 2 ? (count > 0 ? count : 1.0) : 1.0;
    if (c->norm == 2 && !c->use_ignore) norm = (double)(outer * inner);
    return j * c->grad_scale / norm;
}

static void fill_inputs(const check *c, mx_exec *e, unsigned seed)
{
    mx_rng rng;
    mx_rng_seed(&rng, seed);
    for (int a = 0; a < mx_exec_num_args(e); a++) {
        mx_nd *arr = mx_exec_arg(e, a);
        float *p = mx_nd_data(arr);
        size_t n = mx_nd_size(arr);
        for (size_t i = 0; i < n; i++) {
            if (is_label(mx_exec_arg_name(e, a))) {
                p[i] = c->obj == OBJ_SOFTMAX ? (float)mx_rng_below(&rng, (uint64_t)c->classes)
                                             : mx_rng_uniform(&rng) * 0.8f + 0.1f;
                if (c->use_ignore && i % 3 == 1) p[i] = c->ignore;
                continue;
            }
            float v = c->lo + (c->hi - c->lo) * mx_rng_uniform(&rng);
            if (fabsf(v) < c->nudge) v = v < 0 ? -c->nudge : c->nudge;
            p[i] = v;
        }
    }
}

/* Returns the number of gradient entries compared. */
static int run_check(const check *c, mx_sym *sym, int n, const char *const *names, const mx_shape *shapes)
{
    int nargs;
    const char *const *argn;
    nargs = mx_list_arguments(sym, &argn);
    mx_grad_req reqs[16];
    for (int a = 0; a < nargs; a++) reqs[a] = is_label(argn[a]) ? MX_GRAD_NULL : MX_GRAD_WRITE;
    mx_exec *e = mx_simple_bind(sym, mx_cpu(), n, names, shapes, reqs);
    if (!e) fprintf(stderr, "\n  %s: bind failed: %s\n", c->what, mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    fill_inputs(c, e, 7);
    mx_shape os = mx_nd_shape(mx_exec_output(e, 0));
    mx_nd *head = mx_nd_empty(os);
    mx_test_fill(head, -1.0f, 1.0f, 11);
    mx_nd *heads[] = {head};
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    CU_ASSERT_EQUAL(mx_exec_backward(e, heads), MX_OK);
    int compared = 0, bad = 0;
    const double eps = 1e-3;
    for (int a = 0; a < nargs; a++) {
        mx_nd *g = mx_exec_grad(e, a);
        if (!g) continue;
        float *x = mx_nd_data(mx_exec_arg(e, a));
        size_t sz = mx_nd_size(g);
        float *analytic = malloc(sz * sizeof(float));
        memcpy(analytic, mx_nd_data(g), sz * sizeof(float));
        size_t stride = sz > 40 ? sz / 40 : 1;
        for (size_t i = 0; i < sz; i += stride) {
            float keep = x[i];
            x[i] = (float)(keep + eps);
            mx_exec_forward(e, 1);
            double jp = objective_value(c, e, head);
            x[i] = (float)(keep - eps);
            mx_exec_forward(e, 1);
            double jm = objective_value(c, e, head);
            x[i] = keep;
            double numeric = (jp - jm) / (2 * eps);
            double diff = fabs(numeric - analytic[i]);
            if (diff > 3e-3 + 2e-2 * fabs(numeric)) {
                if (bad++ < 3)
                    fprintf(stderr, "\n  %s: d/d%s[%zu]: analytic %.6f numeric %.6f\n", c->what,
                            argn[a], i, (double)analytic[i], numeric);
            }
            compared++;
        }
        free(analytic);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(compared > 0);
    mx_nd_free(head);
    mx_exec_free(e);
    return compared;
}

static check head_check(const char *what)
{
    check c = {what, OBJ_HEAD, 1.0f, 0, 0, -1.0f, 0, 0, -1.0f, 1.0f, 0.0f};
    return c;
}

static void check_unary(const char *op, const char *params, mx_shape s, check c)
{
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op(op, params, x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *names[] = {"x"};
    run_check(&c, y, 1, names, &s);
    mx_sym_free(x);
    mx_sym_free(y);
}

static void test_gradcheck_fully_connected(void)
{
    check_unary("FullyConnected", "num_hidden=4", mx_shape_make(3, 5, 1, 1), head_check("fc"));
    check_unary("FullyConnected", "num_hidden=3 no_bias=true", mx_shape_make(3, 2, 3, 4), head_check("fc no_bias"));
    check_unary("FullyConnected", "num_hidden=3 flatten=false", mx_shape_make(3, 2, 3, 4), head_check("fc flatten=false"));
}

static void test_gradcheck_activations(void)
{
    const char *acts[] = {"relu", "sigmoid", "tanh", "softrelu", "softsign"};
    for (int i = 0; i < 5; i++) {
        char params[64];
        snprintf(params, sizeof params, "act_type=%s", acts[i]);
        check c = head_check(acts[i]);
        c.lo = -2.0f; c.hi = 2.0f; c.nudge = 0.05f;
        check_unary("Activation", params, mx_shape_make(2, 3, 4), c);
    }
}

static void check_softmax(const char *params, mx_shape s, check c)
{
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("SoftmaxOutput", params, x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *names[] = {"x"};
    run_check(&c, y, 1, names, &s);
    mx_sym_free(x);
    mx_sym_free(y);
}

static void test_gradcheck_softmax_output(void)
{
    check c = {"softmax", OBJ_SOFTMAX, 1.0f, 0, 0, -1.0f, 0, 5, -2.0f, 2.0f, 0.0f};
    check_softmax("name=sm", mx_shape_make(2, 4, 5), c);
    c.what = "softmax batch"; c.norm = 1; c.grad_scale = 2.0f;
    check_softmax("name=sm normalization=batch grad_scale=2", mx_shape_make(2, 4, 5), c);
    c.what = "softmax valid+ignore"; c.norm = 2; c.use_ignore = 1; c.ignore = 2.0f; c.grad_scale = 1.0f;
    check_softmax("name=sm normalization=valid use_ignore=true ignore_label=2", mx_shape_make(2, 6, 5), c);
    check c2 = {"softmax multi_output", OBJ_SOFTMAX, 1.0f, 1, 0, -1.0f, 1, 3, -2.0f, 2.0f, 0.0f};
    check_softmax("name=sm multi_output=true normalization=batch", mx_shape_make(3, 2, 3, 4), c2);
}

static void test_gradcheck_regression_outputs(void)
{
    check c = {"linear regression", OBJ_LINEAR, 1.5f, 0, 0, -1.0f, 0, 0, -2.0f, 2.0f, 0.0f};
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("LinearRegressionOutput", "name=lr grad_scale=1.5", x);
    const char *names[] = {"x"};
    mx_shape s = mx_shape_make(2, 3, 2);
    run_check(&c, y, 1, names, &s);
    mx_sym_free(y);
    check l = {"logistic regression", OBJ_LOGISTIC, 1.0f, 0, 0, -1.0f, 0, 0, -2.0f, 2.0f, 0.0f};
    y = mx_op("LogisticRegressionOutput", "name=lg", x);
    run_check(&l, y, 1, names, &s);
    mx_sym_free(y);
    mx_sym_free(x);
}

static void test_gradcheck_flatten_and_blockgrad(void)
{
    check_unary("Flatten", "", mx_shape_make(3, 2, 3, 2), head_check("flatten"));
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
        run_check(&(check){what, OBJ_HEAD, 1, 0, 0, -1, 0, 0, -1, 1, 0}, y, 1, names, &s);
        mx_sym_free(a); mx_sym_free(b); mx_sym_free(b3); mx_sym_free(y);
    }
    const char *scalar_ops[] = {"_PlusScalar", "_MinusScalar", "_RMinusScalar", "_MulScalar", "_DivScalar", "_RDivScalar"};
    for (int i = 0; i < 6; i++) {
        check c = head_check(scalar_ops[i]);
        c.lo = 0.5f; c.hi = 1.5f;
        check_unary(scalar_ops[i], "scalar=1.7", mx_shape_make(2, 3, 4), c);
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
    run_check(&(check){"x*x+x", OBJ_HEAD, 1, 0, 0, -1, 0, 0, -1, 1, 0}, y, 1, names, &s);
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
    check c = {"mlp", OBJ_SOFTMAX, 1.0f, 1, 0, -1.0f, 0, 4, -1.0f, 1.0f, 0.0f};
    CU_ASSERT(run_check(&c, net, 1, names, &s) > 100);
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
    run_check(&(check){"in-place chain", OBJ_HEAD, 1, 0, 0, -1, 0, 0, -1, 1, 0}, net, 1, names, &s);
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
