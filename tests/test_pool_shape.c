/* test_pool_shape.c — part of the pool suite (registered from
 * tests/test_pool.c): Reshape's codes on the examples of MXNet's
 * documentation and its errors, Reshape in place, Concat's values,
 * argument names, shape rules and errors, and the gradients of both. */
#include <stdio.h>
#include <string.h>

#include "runtime/exec/executor_internal.h"
#include "gradcheck.h"
#include "suites.h"
#include "test_util.h"

/* Adds these tests to the pool suite (called from test_pool.c). */
void mx_test_add_shape_op_tests(CU_pSuite s);

/* A gradient for the one argument x (simple_bind gives none to named inputs). */
static const mx_grad_req write1[] = {MX_GRAD_WRITE};

static void test_gradcheck_concat(void)
{
    static const struct { int dim, n; } cfg[] = {{0, 2}, {1, 3}, {2, 4}, {3, 2}, {-1, 3}};
    const char *names[] = {"a", "b", "c", "d"};
    for (size_t t = 0; t < sizeof cfg / sizeof cfg[0]; t++) {
        mx_sym *vars[4];
        mx_shape shapes[4];
        int axis = cfg[t].dim < 0 ? cfg[t].dim + 4 : cfg[t].dim;
        for (int i = 0; i < cfg[t].n; i++) {
            vars[i] = mx_var(names[i]);
            shapes[i] = mx_shape_make(4, 2, 3, 2, 3);
            shapes[i].dims[axis] = i + 1;
        }
        char p[64], what[80];
        snprintf(p, sizeof p, "num_args=%d dim=%d", cfg[t].n, cfg[t].dim);
        snprintf(what, sizeof what, "Concat %s", p);
        mx_sym *y = mx_op_args("Concat", p, cfg[t].n, NULL, vars);
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        CU_ASSERT(mx_gradcheck(&(mx_gc_check){what, OBJ_HEAD, 1, 0, 0, -1, 0, 0, -1, 1, 0}, y, cfg[t].n, names, shapes) > 0);
        for (int i = 0; i < cfg[t].n; i++) mx_sym_free(vars[i]);
        mx_sym_free(y);
    }
    /* one array in two slots, and two poolings of one input: the second
     * gradient of each is accumulated (req add) onto the first */
    mx_sym *a = mx_var("a"), *b = mx_var("b");
    mx_sym *pa = mx_op("Pooling", "pool_type=avg kernel=(3,3) stride=(2,2) pad=(1,1)", a);
    mx_sym *ps = mx_op("Pooling", "pool_type=sum kernel=(2,2) stride=(2,2) pooling_convention=full", a);
    mx_sym *y = mx_op_args("Concat", "num_args=4 dim=1", 4, NULL, (mx_sym *[]){b, pa, b, ps});
    mx_shape shapes[] = {mx_shape_make(4, 2, 3, 5, 5), mx_shape_make(4, 2, 1, 3, 3)};
    mx_gradcheck(&(mx_gc_check){"Concat of shared inputs", OBJ_HEAD, 1, 0, 0, -1, 0, 0, -1, 1, 0}, y, 2, names, shapes);
    mx_sym_free(a); mx_sym_free(b); mx_sym_free(pa); mx_sym_free(ps); mx_sym_free(y);
}

static void test_gradcheck_reshape(void)
{
    static const struct { const char *in, *params; } t[] = {
        {"(2,3,4)", "shape=(4,0,2)"}, {"(2,3,4)", "shape=(3,-1,8)"}, {"(2,3,4)", "shape=(-2,1,1)"},
        {"(2,3,4,5)", "shape=(-3,-3)"}, {"(2,3,4)", "shape=(2,-4,-1,3,-2)"},
        {"(10,5,4)", "shape=(-1,0) reverse=true"}, {"(2,3,4)", "target_shape=(4,0)"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        mx_shape s;
        CU_ASSERT_EQUAL_FATAL(mx_shape_parse(t[i].in, &s), 0);
        mx_gradcheck_unary("Reshape", t[i].params, s, mx_gc_head(t[i].params));
    }
}

/* ---- Reshape ---- */

/* Output shape of Reshape(params) on d, or ndim 0 with the error set. */
static mx_shape reshaped(const char *params, const char *in)
{
    mx_shape d, arg, out = {0};
    CU_ASSERT_EQUAL(mx_shape_parse(in, &d), 0);
    mx_sym *x = mx_var("data");
    mx_sym *y = mx_op("Reshape", params, x);
    const char *names[] = {"data"};
    if (!y || mx_infer_shape(y, 1, names, &d, &arg, &out, NULL) != MX_OK) out.ndim = 0;
    mx_sym_free(x);
    mx_sym_free(y);
    return out;
}

/* Every example of MXNet's Reshape documentation (codes 0, -1, -2, -3,
 * -4, reverse), and the deprecated target_shape. */
static void test_reshape_mxnet_doc_examples(void)
{
    static const struct { const char *in, *params, *out; } t[] = {
        {"(2,3,4)", "shape=(4,0,2)", "(4,3,2)"},
        {"(2,3,4)", "shape=(2,0,0)", "(2,3,4)"},
        {"(2,3,4)", "shape=(6,1,-1)", "(6,1,4)"},
        {"(2,3,4)", "shape=(3,-1,8)", "(3,1,8)"},
        {"(2,3,4)", "shape=(-1,)", "(24)"},
        {"(2,3,4)", "shape=(-1)", "(24)"},
        {"(2,3,4)", "shape=(-2,)", "(2,3,4)"},
        {"(2,3,4)", "shape=(2,-2)", "(2,3,4)"},
        {"(2,3,4)", "shape=(-2,1,1)", "(2,3,4,1,1)"},
        {"(2,3,4)", "shape=(-3,4)", "(6,4)"},
        {"(2,3,4,5)", "shape=(-3,-3)", "(6,20)"},
        {"(2,3,4)", "shape=(0,-3)", "(2,12)"},
        {"(2,3,4)", "shape=(-3,-2)", "(6,4)"},
        {"(2,3,4)", "shape=(-4,1,2,-2)", "(1,2,3,4)"},
        {"(2,3,4)", "shape=(2,-4,-1,3,-2)", "(2,1,3,4)"},
        {"(10,5,4)", "shape=(-1,0)", "(40,5)"},
        {"(10,5,4)", "shape=(-1,0) reverse=true", "(50,4)"},
        {"(2,3,4)", "target_shape=(4,0)", "(4,6)"},
        {"(2,3,4)", "target_shape=(9,0) keep_highest=true", "(2,12)"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        mx_shape want, got = reshaped(t[i].params, t[i].in);
        CU_ASSERT_EQUAL_FATAL(mx_shape_parse(t[i].out, &want), 0);
        if (!mx_shape_equal(&got, &want))
            fprintf(stderr, "\n  Reshape %s on %s: want %s (%s)\n", t[i].params, t[i].in, t[i].out, mx_last_error());
        CU_ASSERT(mx_shape_equal(&got, &want));
    }
}

static void test_reshape_errors(void)
{
    static const struct { const char *in, *params, *needle; } t[] = {
        {"(2,3,4)", "shape=(-1,2,-1)", "more than one -1 (at positions 0 and 2)"},
        {"(2,3,4)", "shape=(5,-1)", "-1 cannot be inferred"},
        {"(2,3,4)", "shape=(5,5)", "the target (5,5) has 25 elements, the data 24"},
        {"(2,3,4)", "shape=(2,3,4,2)", "has 48 elements"},
        {"(2,3)", "shape=(0,0,0)", "needs 1 more input dim"},
        {"(2,3,4)", "shape=(0,0,-3)", "needs 2 more input dims"},
        {"(2,3,4)", "shape=(-4,2)", "needs the two dims of the split"},
        {"(2,3,4)", "shape=(-4,-1,-1,-2)", "cannot both be -1"},
        {"(2,3,4)", "shape=(-4,4,2,-2)", "splits input dim 2 into 4 x 2"},
        {"(2,3,4)", "shape=(-4,-1,3,-2)", "does not multiply out"},
        {"(2,3,4)", "shape=(-5,24)", "unknown code -5"},
        {"(2,3,4)", "", "parameter 'shape' is required"},
        {"(2,3,4)", "target_shape=(0,0)", "parameter 'target_shape'"},
        {"(2,3,4)", "target_shape=(5,5)", "parameter 'target_shape'"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        mx_shape got = reshaped(t[i].params, t[i].in);
        CU_ASSERT_EQUAL(got.ndim, 0);
        ASSERT_ERROR_HAS(t[i].needle);
        ASSERT_ERROR_HAS("infer_shape: Reshape");
        if (strstr(t[i].params, "shape=(")) ASSERT_ERROR_HAS(strncmp(t[i].params, "target", 6) ? "parameter 'shape'" : "parameter 'target_shape'");
    }
}

/* After an op (variables are never aliased), Reshape takes its input's
 * buffer forward and its output gradient's backward: a zero-copy view. */
static void test_reshape_runs_in_place(void)
{
    mx_sym *x = mx_var("x");
    mx_sym *net = mx_chain(x, "_MulScalar scalar=2", "Reshape name=rs shape=(-1,0) reverse=true",
                           "_PlusScalar scalar=1", NULL);
    const char *names[] = {"x"};
    mx_shape s = mx_shape_make(3, 2, 3, 4);
    mx_exec *e = mx_simple_bind(net, mx_cpu(), 1, names, &s, write1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    int found = 0;
    for (int i = 0; i < e->nsteps; i++) {
        mx_step *st = &e->steps[i];
        if (strcmp(st->op->name, "Reshape")) continue;
        found++;
        CU_ASSERT_PTR_EQUAL(st->in[0].data, st->out[0].data);
        CU_ASSERT_PTR_EQUAL(st->in_grad[0].data, st->out_grad[0].data);
        CU_ASSERT(st->out[0].shape.ndim == 2 && st->out[0].shape.dims[0] == 6 && st->out[0].shape.dims[1] == 4);
    }
    CU_ASSERT_EQUAL(found, 1);
    mx_test_fill(mx_exec_arg(e, 0), -1.0f, 1.0f, 9);
    mx_exec_forward(e, 1);
    mx_exec_backward(e, NULL);
    const float *xd = mx_nd_data(mx_exec_arg(e, 0)), *yd = mx_nd_data(mx_exec_output(e, 0));
    const float *gd = mx_nd_data(mx_exec_grad(e, 0));
    for (int i = 0; i < 24; i++) {
        CU_ASSERT_EQUAL(yd[i], 2.0f * xd[i] + 1.0f);
        CU_ASSERT_EQUAL(gd[i], 2.0f);
    }
    mx_exec_free(e);
    mx_sym_free(x);
    mx_sym_free(net);
}

/* ---- Concat ---- */

/* MXNet's documented example: x (2,2), y (3,2), z (3,2). */
static void test_concat_values_and_argument_names(void)
{
    mx_sym *in[3] = {mx_var("x"), mx_var("y"), mx_var("z")};
    const char *names[] = {"x", "y", "z"};
    mx_shape s[] = {mx_shape_make(2, 2, 2), mx_shape_make(2, 3, 2), mx_shape_make(2, 3, 2)};
    mx_sym *c0 = mx_op_args("Concat", "num_args=3 dim=0", 3, NULL, in);
    mx_sym *c1 = mx_op_args("concat", "num_args=2 dim=1", 2, NULL, in + 1);
    mx_sym *g = mx_group(2, (mx_sym *[]){c0, c1});
    mx_exec *e = mx_simple_bind(g, mx_cpu(), 3, names, s, (mx_grad_req[]){0, 0, 0});
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    const float vals[3][6] = {{1, 1, 2, 2}, {3, 3, 4, 4, 5, 5}, {6, 6, 7, 7, 8, 8}};
    for (int i = 0; i < 3; i++) {
        mx_nd *arg = mx_exec_arg(e, mx_exec_arg_index(e, names[i]));
        memcpy(mx_nd_data(arg), vals[i], mx_nd_size(arg) * sizeof(float));
    }
    mx_exec_forward(e, 0);
    mx_shape o0 = mx_nd_shape(mx_exec_output(e, 0)), o1 = mx_nd_shape(mx_exec_output(e, 1));
    CU_ASSERT(o0.ndim == 2 && o0.dims[0] == 8 && o0.dims[1] == 2);
    CU_ASSERT(o1.ndim == 2 && o1.dims[0] == 3 && o1.dims[1] == 4);
    for (int i = 0; i < 16; i++) CU_ASSERT_EQUAL(mx_nd_data(mx_exec_output(e, 0))[i], (float)(1 + i / 2));
    const float want1[12] = {3, 3, 6, 6, 4, 4, 7, 7, 5, 5, 8, 8};
    for (int i = 0; i < 12; i++) CU_ASSERT_EQUAL(mx_nd_data(mx_exec_output(e, 1))[i], want1[i]);
    mx_exec_free(e);
    /* unnamed inputs become <node>_arg0, _arg1, … as in MXNet */
    mx_sym *free3 = mx_op("Concat", "name=cc num_args=3");
    const char *const *args;
    CU_ASSERT_EQUAL(mx_list_arguments(free3, &args), 3);
    CU_ASSERT_STRING_EQUAL(args[0], "cc_arg0");
    CU_ASSERT_STRING_EQUAL(args[2], "cc_arg2");
    mx_sym_free(free3);
    /* some inputs but not num_args of them is an error, as in MXNet; a huge
     * num_args is refused before anything is sized by it */
    CU_ASSERT_PTR_NULL(mx_op_args("Concat", "name=c2 num_args=3", 2, NULL, in));
    ASSERT_ERROR_HAS("Concat 'c2': 2 inputs given, num_args says 3");
    CU_ASSERT_PTR_NULL(mx_op("add_n", "name=big num_args=2147483647", in[0]));
    ASSERT_ERROR_HAS("1 inputs given, num_args says 2147483647");
    CU_ASSERT_PTR_NULL(mx_op("Concat", "name=free num_args=5000"));
    ASSERT_ERROR_HAS("num_args=5000 with no inputs given (at most 4096 variables");
    const char *text = "{\"nodes\": [{\"op\": \"null\", \"name\": \"a\", \"inputs\": []},"
                       " {\"op\": \"Concat\", \"name\": \"cat\", \"attrs\": {\"num_args\": \"2147483647\"},"
                       " \"inputs\": [[0, 0, 0], [0, 0, 0]]}], \"arg_nodes\": [0], \"heads\": [[1, 0, 0]]}";
    CU_ASSERT_PTR_NULL(mx_sym_from_json(text, "cat.json"));
    ASSERT_ERROR_HAS("2 inputs, num_args says 2147483647");
    for (int i = 0; i < 3; i++) mx_sym_free(in[i]);
    mx_sym_free(c0); mx_sym_free(c1); mx_sym_free(g);
}

/* One unknown input's size along dim follows from the output's. */
static void test_concat_infers_missing_input(void)
{
    mx_sym *a = mx_var("a"), *b = mx_var("b"), *c = mx_var("c");
    mx_sym *cat = mx_op_args("Concat", "num_args=2", 2, NULL, (mx_sym *[]){a, b});
    mx_sym *y = mx_sym_arith(cat, '+', c);
    const char *names[] = {"a", "c"};
    mx_shape known[] = {mx_shape_make(3, 2, 3, 4), mx_shape_make(3, 2, 5, 4)}, arg[3], out;
    CU_ASSERT_EQUAL(mx_infer_shape(y, 2, names, known, arg, &out, NULL), MX_OK);
    const char *const *argn;
    int n = mx_list_arguments(y, &argn);
    for (int i = 0; i < n; i++)
        if (!strcmp(argn[i], "b")) CU_ASSERT(arg[i].ndim == 3 && arg[i].dims[1] == 2 && arg[i].dims[2] == 4);
    mx_sym_free(a); mx_sym_free(b); mx_sym_free(c); mx_sym_free(cat); mx_sym_free(y);
}

static void test_concat_infer_errors(void)
{
    static const struct { const char *a, *b, *params, *needle; } cat[] = {
        {"(2,3,4)", "(2,5,5)", "num_args=2", "input 1 (arg1) has shape (2,5,5) but input 0 has shape (2,3,4): all dims but dim 1 must agree"},
        {"(2,3,4)", "(2,3)", "num_args=2", "input 1 (arg1) has shape (2,3)"},
        {"(2,3,4)", "(2,3,4)", "num_args=2 dim=3", "parameter 'dim': 3 is out of range for 3-D inputs (-3..2)"},
        {"(2,3,4)", "(2,3,4)", "num_args=2 dim=-4", "parameter 'dim'"},
        {"(2,3,4)", "(3,3,4)", "num_args=2 dim=-1", "all dims but dim 2 must agree"},
    };
    for (size_t i = 0; i < sizeof cat / sizeof cat[0]; i++) {
        mx_sym *a = mx_var("a"), *b = mx_var("b");
        char p[64];
        snprintf(p, sizeof p, "name=cat %s", cat[i].params);
        mx_sym *y = mx_op_args("Concat", p, 2, NULL, (mx_sym *[]){a, b});
        const char *names[] = {"a", "b"};
        mx_shape s[2], arg[2], out;
        mx_shape_parse(cat[i].a, &s[0]);
        mx_shape_parse(cat[i].b, &s[1]);
        CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 2, names, s, arg, &out, NULL), MX_OK);
        ASSERT_ERROR_HAS(cat[i].needle);
        ASSERT_ERROR_HAS("infer_shape: Concat 'cat'");
        mx_sym_free(a); mx_sym_free(b); mx_sym_free(y);
    }
    /* no fixed limit on inputs (the 8 of before): one given shape cannot
     * tell the other eight */
    mx_sym *many = mx_op("Concat", "name=big num_args=9");
    const char *nm[] = {"big_arg0"};
    mx_shape s1 = mx_shape_make(2, 2, 2), args[9], o;
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(many, 1, nm, &s1, args, &o, NULL), MX_OK);
    ASSERT_ERROR_HAS("cannot infer the shape of argument 'big_arg1'");
    mx_sym_free(many);
    CU_ASSERT_PTR_NULL(mx_op("Concat", "num_args=0"));
    ASSERT_ERROR_HAS("parameter 'num_args'");
}

void mx_test_add_shape_op_tests(CU_pSuite s)
{
    CU_add_test(s, "gradcheck: Concat on dims 0..3, 2-4 inputs, shared inputs", test_gradcheck_concat);
    CU_add_test(s, "gradcheck: Reshape with each code", test_gradcheck_reshape);
    CU_add_test(s, "Reshape: MXNet documentation examples", test_reshape_mxnet_doc_examples);
    CU_add_test(s, "Reshape: errors name the parameter", test_reshape_errors);
    CU_add_test(s, "Reshape: runs in place", test_reshape_runs_in_place);
    CU_add_test(s, "Concat: values and argument names", test_concat_values_and_argument_names);
    CU_add_test(s, "Concat: infers one missing input", test_concat_infers_missing_input);
    CU_add_test(s, "Concat: infer_shape errors", test_concat_infer_errors);
}
