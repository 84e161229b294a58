/* test_seq_ops.c — the seq_ops suite: SliceChannel (split) and Embedding,
 * the char-LSTM's new ops. Forward and backward values on hand-computed
 * cases (req write and add, unused outputs, clipped indices), gradient
 * checks, output names, shape rules both ways and their errors, and an
 * LSTM-cell-like graph (FC → SliceChannel(4) → gates → FC → softmax) that
 * binds, runs forward and backward, passes a gradient check and
 * round-trips through symbol JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "runtime/ops/op.h"
#include "suites.h"
#include "test_util.h"

static float *arg(mx_exec *e, const char *name) { return mx_nd_data(mx_exec_arg(e, mx_exec_arg_index(e, name))); }
static float *grad(mx_exec *e, const char *name) { return mx_nd_data(mx_exec_grad(e, mx_exec_arg_index(e, name))); }
static float *out(mx_exec *e, int i) { return mx_nd_data(mx_exec_output(e, i)); }

/* Asserts a[0..n) == want[0..n) exactly (copies and sums of small integers). */
static void assert_floats(const char *what, const float *a, const float *want, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != want[i] && bad++ < 3)
            fprintf(stderr, "\n  %s[%zu]: got %g, want %g\n", what, i, (double)a[i], (double)want[i]);
    CU_ASSERT_EQUAL(bad, 0);
}

/* x = 0, 1, 2, … */
static void iota(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)i;
}

/* Binds sym over "x" of shape s; x's gradient has request req. */
static mx_exec *bind_x(mx_sym *sym, mx_shape s, mx_grad_req req)
{
    const char *names[] = {"x"};
    mx_grad_req reqs[] = {req};
    mx_exec *e = mx_simple_bind(sym, mx_cpu(), 1, names, &s, reqs);
    if (!e) fprintf(stderr, "\n  bind: %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    return e;
}

/* ---- SliceChannel: values ---- */

static void test_slice_forward_values(void)
{
    static const struct {
        const char *params;
        mx_shape in, part;
        float want[2][4];
    } t[] = {
        /* x (2,4) = [[0 1 2 3] [4 5 6 7]] */
        {"num_outputs=2", {2, {2, 4}}, {2, {2, 2}}, {{0, 1, 4, 5}, {2, 3, 6, 7}}},
        {"num_outputs=2 axis=0", {2, {2, 4}}, {2, {1, 4}}, {{0, 1, 2, 3}, {4, 5, 6, 7}}},
        {"num_outputs=2 axis=-2", {2, {2, 4}}, {2, {1, 4}}, {{0, 1, 2, 3}, {4, 5, 6, 7}}},
        {"num_outputs=2 axis=0 squeeze_axis=true", {2, {2, 4}}, {1, {4}}, {{0, 1, 2, 3}, {4, 5, 6, 7}}},
        /* x (2,2,2) = 0..7: the last axis, squeezed */
        {"num_outputs=2 axis=-1 squeeze_axis=1", {3, {2, 2, 2}}, {2, {2, 2}}, {{0, 2, 4, 6}, {1, 3, 5, 7}}},
        {"num_outputs=2 axis=1", {3, {2, 2, 2}}, {3, {2, 1, 2}}, {{0, 1, 4, 5}, {2, 3, 6, 7}}},
    };
    for (size_t c = 0; c < sizeof t / sizeof t[0]; c++) {
        mx_sym *x = mx_var("x");
        mx_sym *y = mx_op("SliceChannel", t[c].params, x);
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        mx_exec *e = bind_x(y, t[c].in, MX_GRAD_NULL);
        CU_ASSERT_EQUAL(mx_exec_num_outputs(e), 2);
        iota(arg(e, "x"), 8);
        CU_ASSERT_EQUAL(mx_exec_forward(e, 0), MX_OK);
        for (int i = 0; i < 2; i++) {
            mx_shape s = mx_nd_shape(mx_exec_output(e, i));
            CU_ASSERT(mx_shape_equal(&s, &t[c].part));
            assert_floats(t[c].params, out(e, i), t[c].want[i], 4);
        }
        mx_exec_free(e);
        mx_sym_free(x);
        mx_sym_free(y);
    }
}

/* MXNet names every output <name>_output<i>, even a single one; split is
 * an alias and nodes get MXNet's automatic names. */
static void test_slice_output_names_and_alias(void)
{
    mx_sym *x = mx_var("x");
    mx_sym *four = mx_op("SliceChannel", "name=gates num_outputs=4", x);
    mx_sym *one = mx_op("SliceChannel", "name=one num_outputs=1", x);
    mx_sym *alias = mx_op("split", "num_outputs=3 axis=0", x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(four);
    CU_ASSERT_PTR_NOT_NULL_FATAL(one);
    CU_ASSERT_PTR_NOT_NULL_FATAL(alias);
    const char *names[8];
    CU_ASSERT_EQUAL_FATAL(mx_list_outputs(four, names, 8), 4);
    CU_ASSERT_STRING_EQUAL(names[0], "gates_output0");
    CU_ASSERT_STRING_EQUAL(names[3], "gates_output3");
    CU_ASSERT_EQUAL_FATAL(mx_list_outputs(one, names, 8), 1);
    CU_ASSERT_STRING_EQUAL(names[0], "one_output0");
    CU_ASSERT_EQUAL_FATAL(mx_list_outputs(alias, names, 8), 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(names[2], "split")); /* MXNet names a node after the name called */
    CU_ASSERT_PTR_NOT_NULL(strstr(names[2], "_output2"));
    /* output k as a symbol of its own, fed to another op */
    mx_sym *g2 = mx_sym_output(four, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g2);
    CU_ASSERT_EQUAL_FATAL(mx_list_outputs(g2, names, 8), 1);
    CU_ASSERT_STRING_EQUAL(names[0], "gates_output2");
    CU_ASSERT_PTR_NULL(mx_sym_output(four, 4));
    ASSERT_ERROR_HAS("out of range");
    CU_ASSERT_PTR_NULL(mx_op("Activation", "act_type=tanh", four)); /* four outputs: pick one */
    ASSERT_ERROR_HAS("has 4 outputs");
    mx_sym *act = mx_op("Activation", "act_type=tanh", g2);
    CU_ASSERT_PTR_NOT_NULL(act);
    mx_sym_free(act);
    mx_sym_free(g2);
    mx_sym_free(x);
    mx_sym_free(four);
    mx_sym_free(one);
    mx_sym_free(alias);
}

/* d(x) = the head gradients side by side; with req add, on top of what
 * was there; an output no one uses contributes zero. */
static void test_slice_backward_values(void)
{
    mx_shape s = mx_shape_make(2, 2, 4);
    const float h0[] = {1, 2, 3, 4}, h1[] = {10, 20, 30, 40};
    for (int add = 0; add < 2; add++) {
        mx_sym *x = mx_var("x");
        mx_sym *y = mx_op("SliceChannel", "num_outputs=2", x);
        mx_exec *e = bind_x(y, s, add ? MX_GRAD_ADD : MX_GRAD_WRITE);
        mx_nd_fill(mx_exec_grad(e, 0), 100.0f);
        mx_nd *heads[2] = {mx_nd_from(mx_shape_make(2, 2, 2), h0), mx_nd_from(mx_shape_make(2, 2, 2), h1)};
        CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
        CU_ASSERT_EQUAL(mx_exec_backward(e, heads), MX_OK);
        float want[] = {1, 2, 10, 20, 3, 4, 30, 40};
        for (int i = 0; add && i < 8; i++) want[i] += 100.0f;
        assert_floats(add ? "split backward, add" : "split backward, write", grad(e, "x"), want, 8);
        mx_exec_free(e);
        mx_nd_free(heads[0]);
        mx_nd_free(heads[1]);
        mx_sym_free(y);

        /* only output 1 is used: output 0's gradient is zero */
        mx_sym *all = mx_op("SliceChannel", "num_outputs=2", x);
        y = mx_sym_output(all, 1);
        e = bind_x(y, s, add ? MX_GRAD_ADD : MX_GRAD_WRITE);
        mx_nd_fill(mx_exec_grad(e, 0), 100.0f);
        heads[0] = mx_nd_from(mx_shape_make(2, 2, 2), h1);
        CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
        CU_ASSERT_EQUAL(mx_exec_backward(e, heads), MX_OK);
        float want1[] = {0, 0, 10, 20, 0, 0, 30, 40};
        for (int i = 0; add && i < 8; i++) want1[i] += 100.0f;
        assert_floats(add ? "unused output, add" : "unused output, write", grad(e, "x"), want1, 8);
        mx_exec_free(e);
        mx_nd_free(heads[0]);
        mx_sym_free(y);
        mx_sym_free(all);
        mx_sym_free(x);
    }
}

/* num_outputs at the limit: every output its own column. */
static void test_slice_max_outputs(void)
{
    char p[64];
    snprintf(p, sizeof p, "num_outputs=%d axis=1 squeeze_axis=true", MX_OP_MAX_OUTPUTS);
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("SliceChannel", p, x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    mx_exec *e = bind_x(y, mx_shape_make(2, 3, MX_OP_MAX_OUTPUTS), MX_GRAD_WRITE);
    CU_ASSERT_EQUAL_FATAL(mx_exec_num_outputs(e), MX_OP_MAX_OUTPUTS);
    iota(arg(e, "x"), 3 * MX_OP_MAX_OUTPUTS);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    int bad = 0;
    for (int i = 0; i < MX_OP_MAX_OUTPUTS; i++)
        for (int r = 0; r < 3; r++) bad += out(e, i)[r] != (float)(r * MX_OP_MAX_OUTPUTS + i);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(mx_exec_backward(e, NULL), MX_OK); /* head gradients of ones */
    for (int i = 0; i < 3 * MX_OP_MAX_OUTPUTS; i++) bad += grad(e, "x")[i] != 1.0f;
    CU_ASSERT_EQUAL(bad, 0);
    mx_exec_free(e);
    mx_sym_free(x);
    mx_sym_free(y);
}

/* ---- SliceChannel: gradients ---- */

/* The used outputs of SliceChannel(x), each scaled by its index + 1 and
 * joined along axis 0: one output for the check, the rest unused. */
static void test_gradcheck_slice_channel(void)
{
    static const struct {
        const char *params;
        mx_shape in;
        unsigned used; /* bit i: output i feeds the objective */
    } t[] = {
        {"num_outputs=1 axis=0", {3, {3, 4, 2}}, 1u},
        {"num_outputs=2 axis=0", {3, {4, 3, 2}}, 3u},
        {"num_outputs=2 axis=1", {3, {2, 4, 3}}, 3u},
        {"num_outputs=4 axis=2", {3, {2, 3, 8}}, 15u},
        {"num_outputs=4 axis=-1", {3, {2, 3, 4}}, 15u},
        {"num_outputs=4 axis=1 squeeze_axis=true", {3, {3, 4, 2}}, 15u},
        {"num_outputs=1 axis=-3 squeeze_axis=true", {3, {1, 4, 2}}, 1u},
        {"num_outputs=2 axis=0 squeeze_axis=true", {3, {2, 3, 4}}, 2u},
        {"num_outputs=4 axis=1", {3, {2, 8, 3}}, 5u},
        {"num_outputs=4 axis=2 squeeze_axis=true", {3, {2, 3, 4}}, 8u},
        {"num_outputs=4 axis=-1", {2, {3, 8}}, 6u},
    };
    for (size_t c = 0; c < sizeof t / sizeof t[0]; c++) {
        mx_sym *x = mx_var("x");
        mx_sym *y = mx_op("SliceChannel", t[c].params, x);
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        mx_sym *parts[4];
        int k = 0;
        for (int i = 0; i < 4; i++) {
            if (!(t[c].used >> i & 1u)) continue;
            mx_sym *o = mx_sym_output(y, i);
            CU_ASSERT_PTR_NOT_NULL_FATAL(o);
            parts[k++] = mx_sym_arith_scalar(o, '*', (float)(i + 1));
            mx_sym_free(o);
        }
        char p[32], what[96];
        snprintf(p, sizeof p, "num_args=%d dim=0", k);
        mx_sym *obj = mx_op_args("Concat", p, k, NULL, parts);
        CU_ASSERT_PTR_NOT_NULL_FATAL(obj);
        snprintf(what, sizeof what, "SliceChannel %s (used outputs 0x%x)", t[c].params, t[c].used);
        const char *names[] = {"x"};
        CU_ASSERT(mx_gradcheck(&(mx_gc_check){what, OBJ_HEAD, 1, 0, 0, -1, 0, 0, -1, 1, 0}, obj, 1, names, &t[c].in) > 0);
        for (int i = 0; i < k; i++) mx_sym_free(parts[i]);
        mx_sym_free(obj);
        mx_sym_free(y);
        mx_sym_free(x);
    }
}

/* ---- SliceChannel: shapes ---- */

/* Output 0's shape of SliceChannel(params) on d, or ndim 0 with the error set. */
static mx_shape sliced(const char *params, mx_shape d)
{
    mx_shape arg, outs[MX_OP_MAX_OUTPUTS], none = {0};
    mx_sym *x = mx_var("data");
    mx_sym *y = mx_op("SliceChannel", params, x);
    const char *names[] = {"data"};
    mx_status st = y ? mx_infer_shape(y, 1, names, &d, &arg, outs, NULL) : MX_EINVAL;
    mx_sym_free(x);
    mx_sym_free(y);
    return st == MX_OK ? outs[0] : none;
}

static void test_slice_infer_errors(void)
{
    char over[64];
    snprintf(over, sizeof over, "name=sc num_outputs=%d", MX_OP_MAX_OUTPUTS + 1);
    const struct { const char *params; mx_shape in; const char *param, *needle; } t[] = {
        {"name=sc num_outputs=3", {2, {2, 4}}, "parameter 'num_outputs'", "3 does not divide axis 1 (size 4)"},
        {"name=sc num_outputs=2 axis=2", {2, {2, 4}}, "parameter 'axis'", "2 is out of range for 2-D data (-2..1)"},
        {"name=sc num_outputs=2 axis=-3", {2, {2, 4}}, "parameter 'axis'", "-3 is out of range"},
        {"name=sc num_outputs=2 squeeze_axis=true", {2, {2, 4}}, "parameter 'squeeze_axis'", "has size 2 along axis 1"},
        {"name=sc num_outputs=4 axis=0 squeeze_axis=true", {1, {4}}, "parameter 'squeeze_axis'", "0-D outputs"},
        {over, {2, {2, 130}}, "parameter 'num_outputs'", "at most 64"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        mx_shape got = sliced(t[i].params, t[i].in);
        CU_ASSERT_EQUAL(got.ndim, 0);
        ASSERT_ERROR_HAS("infer_shape: SliceChannel 'sc'");
        ASSERT_ERROR_HAS(t[i].param);
        ASSERT_ERROR_HAS(t[i].needle);
    }
    /* num_outputs is required and at least 1 (rejected when the op is made) */
    mx_sym *x = mx_var("x");
    CU_ASSERT_PTR_NULL(mx_op("SliceChannel", "num_outputs=0", x));
    ASSERT_ERROR_HAS("parameter 'num_outputs'");
    ASSERT_ERROR_HAS(">= 1");
    CU_ASSERT_PTR_NULL(mx_op("SliceChannel", "axis=0", x));
    ASSERT_ERROR_HAS("num_outputs");
    CU_ASSERT_PTR_NULL(mx_op("SliceChannel", "num_outputs=2 indices=(1,2)", x));
    ASSERT_ERROR_HAS("unknown parameter 'indices'");
    mx_sym_free(x);
}

/* Shapes run both ways: the data from one known output, as MXNet. */
static void test_slice_infers_data_from_output(void)
{
    static const struct { const char *params; mx_shape y, want; } t[] = {
        {"num_outputs=2", {2, {2, 3}}, {2, {2, 6}}},
        {"num_outputs=3 axis=-1", {3, {2, 3, 4}}, {3, {2, 3, 12}}},
        {"num_outputs=3 squeeze_axis=true", {2, {2, 4}}, {3, {2, 3, 4}}},
        {"num_outputs=5 axis=-1 squeeze_axis=true", {2, {2, 4}}, {3, {2, 4, 5}}},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        mx_sym *x = mx_var("x"), *b = mx_var("b");
        mx_sym *s = mx_op("SliceChannel", t[i].params, x);
        mx_sym *o = mx_sym_output(s, 1);
        mx_sym *z = mx_sym_arith(o, '+', b);
        CU_ASSERT_PTR_NOT_NULL_FATAL(z);
        const char *names[] = {"b"};
        mx_shape args[2];
        if (mx_infer_shape(z, 1, names, &t[i].y, args, NULL, NULL) != MX_OK)
            fprintf(stderr, "\n  %s: %s\n", t[i].params, mx_last_error());
        CU_ASSERT(mx_shape_equal(&args[0], &t[i].want));
        mx_sym_free(z); mx_sym_free(o); mx_sym_free(s); mx_sym_free(b); mx_sym_free(x);
    }
    /* a known output that contradicts the data */
    mx_sym *x = mx_var("x"), *b = mx_var("b");
    mx_sym *s = mx_op("SliceChannel", "name=sc num_outputs=2", x);
    mx_sym *o = mx_sym_output(s, 0);
    mx_sym *z = mx_sym_arith(o, '+', b);
    const char *names[] = {"x", "b"};
    mx_shape shapes[] = {mx_shape_make(2, 2, 6), mx_shape_make(2, 2, 4)}, args[2];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(z, 2, names, shapes, args, NULL, NULL), MX_OK);
    ASSERT_ERROR_HAS("(2,3)");
    mx_sym_free(z); mx_sym_free(o); mx_sym_free(s); mx_sym_free(b); mx_sym_free(x);
}

/* ---- Embedding ---- */

/* Embedding over "x" (indices, shape d) and "emb_weight" (4,3) =
 * 10·row + col, bound with the given gradient requests. */
static mx_exec *bind_embedding(mx_shape d, const float *idx, mx_grad_req data_req, mx_grad_req w_req)
{
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("Embedding", "name=emb input_dim=4 output_dim=3", x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *names[] = {"x"};
    mx_grad_req reqs[] = {data_req, w_req};
    mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, names, &d, reqs);
    if (!e) fprintf(stderr, "\n  bind Embedding: %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(mx_exec_arg_name(e, 1), "emb_weight");
    float *w = arg(e, "emb_weight");
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 3; c++) w[r * 3 + c] = (float)(10 * r + c);
    memcpy(arg(e, "x"), idx, mx_shape_size(&d) * sizeof(float));
    mx_sym_free(x);
    mx_sym_free(y);
    return e;
}

static void test_embedding_forward_values(void)
{
    const float idx[] = {0, 3, 1, 2, 2, 0};
    mx_exec *e = bind_embedding(mx_shape_make(2, 2, 3), idx, MX_GRAD_NULL, MX_GRAD_NULL);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 0), MX_OK);
    mx_shape s = mx_nd_shape(mx_exec_output(e, 0)), want_s = mx_shape_make(3, 2, 3, 3);
    CU_ASSERT(mx_shape_equal(&s, &want_s));
    const float want[] = {0, 1, 2, 30, 31, 32, 10, 11, 12, 20, 21, 22, 20, 21, 22, 0, 1, 2};
    assert_floats("Embedding forward", out(e, 0), want, 18);
    mx_exec_free(e);
}

/* As MXNet: truncated to an integer, then clipped into [0, input_dim). */
static void test_embedding_clips_out_of_range_indices(void)
{
    const float idx[] = {-1, 4, 7.9f, 2.7f, -0.5f, 1e9f, 3.99f};
    mx_exec *e = bind_embedding(mx_shape_make(1, 7), idx, MX_GRAD_NULL, MX_GRAD_WRITE);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    const int rows[] = {0, 3, 3, 2, 0, 3, 3};
    float want[21];
    for (int i = 0; i < 7; i++)
        for (int c = 0; c < 3; c++) want[i * 3 + c] = (float)(10 * rows[i] + c);
    assert_floats("Embedding clipped forward", out(e, 0), want, 21);
    /* the gradient goes to the clipped rows */
    CU_ASSERT_EQUAL(mx_exec_backward(e, NULL), MX_OK);
    const float dw[] = {2, 2, 2, 0, 0, 0, 1, 1, 1, 4, 4, 4};
    assert_floats("Embedding clipped backward", grad(e, "emb_weight"), dw, 12);
    mx_exec_free(e);
}

/* Repeated indices sum their rows; write zeroes first, add accumulates;
 * data gets no gradient (zeros when asked to write). */
static void test_embedding_backward_values(void)
{
    const float idx[] = {1, 1, 3, 1};
    float h[12];
    for (int i = 0; i < 12; i++) h[i] = (float)(i + 1); /* row i = 3i+1, 3i+2, 3i+3 */
    for (int add = 0; add < 2; add++) {
        mx_exec *e = bind_embedding(mx_shape_make(1, 4), idx, MX_GRAD_WRITE, add ? MX_GRAD_ADD : MX_GRAD_WRITE);
        mx_nd_fill(mx_exec_grad(e, 0), 5.0f);
        mx_nd_fill(mx_exec_grad(e, 1), 100.0f);
        mx_nd *head = mx_nd_from(mx_shape_make(2, 4, 3), h);
        CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
        CU_ASSERT_EQUAL(mx_exec_backward(e, &head), MX_OK);
        float want[] = {0, 0, 0, 1 + 4 + 10, 2 + 5 + 11, 3 + 6 + 12, 0, 0, 0, 7, 8, 9};
        for (int i = 0; add && i < 12; i++) want[i] += 100.0f;
        assert_floats(add ? "Embedding dW, add" : "Embedding dW, write", grad(e, "emb_weight"), want, 12);
        const float zero[4] = {0, 0, 0, 0};
        assert_floats("Embedding d(data)", grad(e, "x"), zero, 4);
        mx_nd_free(head);
        mx_exec_free(e);
    }
}

/* Indices drawn from [0, 3) over 20 positions: every row repeats. */
static void test_gradcheck_embedding(void)
{
    static const mx_shape shapes[] = {{2, {4, 5}}, {1, {7}}, {3, {2, 2, 3}}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        mx_sym *x = mx_var("x");
        mx_sym *y = mx_op("Embedding", "input_dim=3 output_dim=4", x);
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        mx_gc_check c = mx_gc_head("Embedding (repeated indices)");
        c.lo = 0.0f;
        c.hi = 3.0f;
        const char *names[] = {"x"};
        mx_gradcheck(&c, y, 1, names, &shapes[i]);
        mx_sym_free(x);
        mx_sym_free(y);
    }
}

static void test_embedding_params_and_shapes(void)
{
    mx_sym *x = mx_var("x");
    CU_ASSERT_PTR_NULL(mx_op("Embedding", "output_dim=3", x));
    ASSERT_ERROR_HAS("'input_dim'");
    CU_ASSERT_PTR_NULL(mx_op("Embedding", "input_dim=3", x));
    ASSERT_ERROR_HAS("'output_dim'");
    CU_ASSERT_PTR_NULL(mx_op("Embedding", "input_dim=0 output_dim=3", x));
    ASSERT_ERROR_HAS("parameter 'input_dim'");
    CU_ASSERT_PTR_NULL(mx_op("Embedding", "input_dim=3 output_dim=3 dtype=float16", x));
    ASSERT_ERROR_HAS("parameter 'dtype'");
    ASSERT_ERROR_HAS("float32");
    mx_sym *ok = mx_op("Embedding", "input_dim=3 output_dim=3 dtype=float32 sparse_grad=false", x);
    CU_ASSERT_PTR_NOT_NULL(ok);
    mx_sym_free(ok);

    /* weight shape (input_dim, output_dim), output data + (output_dim) */
    mx_sym *y = mx_op("Embedding", "name=emb input_dim=10 output_dim=3", x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *names[] = {"x", "emb_weight"};
    mx_shape known[] = {mx_shape_make(2, 4, 5), mx_shape_make(2, 10, 3)}, args[2], outs[1];
    CU_ASSERT_EQUAL(mx_infer_shape(y, 1, names, known, args, outs, NULL), MX_OK);
    mx_shape w = mx_shape_make(2, 10, 3), o = mx_shape_make(3, 4, 5, 3);
    CU_ASSERT(mx_shape_equal(&args[1], &w));
    CU_ASSERT(mx_shape_equal(&outs[0], &o));
    known[1] = mx_shape_make(2, 9, 3);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 2, names, known, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("infer_shape: Embedding 'emb'");
    ASSERT_ERROR_HAS("argument 'weight' (input_dim, output_dim) has shape (9,3) but (10,3) is expected");
    mx_sym_free(y);

    /* sparse_grad only changes how MXNet stores the gradient (row-sparse):
     * accepted, the gradient's values are the same */
    y = mx_op("Embedding", "name=emb input_dim=10 output_dim=3 sparse_grad=true", x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    known[1] = mx_shape_make(2, 10, 3);
    CU_ASSERT_EQUAL(mx_infer_shape(y, 1, names, known, args, outs, NULL), MX_OK);
    mx_sym_free(y);
    /* a dtype MXNet has but mxrt does not run is "not supported" */
    CU_ASSERT_PTR_NULL(mx_op("Embedding", "name=emb input_dim=10 output_dim=3 dtype=float16", x));
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("parameter 'dtype': value 'float16' is not supported");

    y = mx_op("Embedding", "name=emb input_dim=10 output_dim=3", x);
    known[0] = mx_shape_make(8, 1, 1, 1, 1, 1, 1, 1, 2);
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 1, names, known, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("argument 'data'");
    mx_sym_free(y);
    mx_sym_free(x);
}

/* ---- an LSTM cell ---- */

/* x → FC(4H) + FC(h) → SliceChannel(4) → i, t, f, o gates; c' = f·c + i·t;
 * h' = o·tanh(c') → FC(classes) → SoftmaxOutput. */
static mx_sym *lstm_cell(int hidden, int classes)
{
    char p[64];
    mx_sym *x = mx_var("x"), *h = mx_var("h"), *c = mx_var("c");
    snprintf(p, sizeof p, "name=i2h num_hidden=%d", 4 * hidden);
    mx_sym *i2h = mx_op("FullyConnected", p, x);
    snprintf(p, sizeof p, "name=h2h num_hidden=%d", 4 * hidden);
    mx_sym *h2h = mx_op("FullyConnected", p, h);
    mx_sym *sum = mx_op("_Plus", "name=gsum", i2h, h2h);
    mx_sym *gates = mx_op("SliceChannel", "name=gates num_outputs=4", sum);
    static const char *const act[4] = {"sigmoid", "tanh", "sigmoid", "sigmoid"};
    mx_sym *g[4];
    for (int q = 0; q < 4; q++) {
        mx_sym *part = mx_sym_output(gates, q);
        snprintf(p, sizeof p, "act_type=%s", act[q]);
        g[q] = mx_op("Activation", p, part);
        mx_sym_free(part);
    }
    mx_sym *fc_ = mx_op("_Mul", "", g[2], c);
    mx_sym *it = mx_op("_Mul", "", g[0], g[1]);
    mx_sym *c2 = mx_op("_Plus", "name=next_c", fc_, it);
    mx_sym *tc = mx_op("Activation", "act_type=tanh", c2);
    mx_sym *h2 = mx_op("_Mul", "name=next_h", g[3], tc);
    snprintf(p, sizeof p, "name=pred num_hidden=%d", classes);
    mx_sym *pred = mx_op("FullyConnected", p, h2);
    mx_sym *net = mx_op("SoftmaxOutput", "name=softmax", pred);
    mx_sym *all[] = {x, h, c, i2h, h2h, sum, gates, g[0], g[1], g[2], g[3], fc_, it, c2, tc, h2, pred};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_sym_free(all[i]);
    return net;
}

static void test_lstm_cell_binds_and_gradchecks(void)
{
    mx_sym *net = lstm_cell(3, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    const char *names[] = {"x", "h", "c"};
    mx_shape shapes[] = {mx_shape_make(2, 4, 6), mx_shape_make(2, 4, 3), mx_shape_make(2, 4, 3)};
    const char *const *args;
    int nargs = mx_list_arguments(net, &args);
    CU_ASSERT_EQUAL(nargs, 10);

    /* plain bind: forward + backward */
    mx_exec *e = mx_simple_bind(net, mx_cpu(), 3, names, shapes, NULL);
    if (!e) fprintf(stderr, "\n  bind LSTM cell: %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    for (int a = 0; a < mx_exec_num_args(e); a++)
        if (!strstr(mx_exec_arg_name(e, a), "label")) mx_test_fill(mx_exec_arg(e, a), -1.0f, 1.0f, 3u + (unsigned)a);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    CU_ASSERT_EQUAL(mx_exec_backward(e, NULL), MX_OK);
    float sum = 0.0f;
    for (int r = 0; r < 4; r++)
        for (int k = 0; k < 5; k++) sum += out(e, 0)[r * 5 + k];
    CU_ASSERT(fabsf(sum - 4.0f) < 1e-4f); /* softmax rows */
    float g = 0.0f;
    const float *dw = grad(e, "i2h_weight");
    for (int i = 0; i < 12 * 6; i++) g += fabsf(dw[i]);
    CU_ASSERT(g > 0.0f && isfinite(g));
    mx_exec_free(e);

    /* every argument, h and c included, against central differences */
    mx_gc_check c = {"LSTM cell (SliceChannel after FC)", OBJ_SOFTMAX, 1, 0, 0, -1, 0, 5, -1, 1, 0};
    CU_ASSERT(mx_gradcheck(&c, net, 3, names, shapes) > 0);

    /* the graph round-trips through MXNet's JSON with its gate names */
    char *json = mx_sym_to_json(net);
    CU_ASSERT_PTR_NOT_NULL_FATAL(json);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"op\": \"SliceChannel\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"num_outputs\": \"4\""));
    mx_sym *back = mx_sym_from_json(json, "lstm-cell.json");
    if (!back) fprintf(stderr, "\n  from JSON: %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    char *again = mx_sym_to_json(back);
    CU_ASSERT_PTR_NOT_NULL_FATAL(again);
    CU_ASSERT_STRING_EQUAL(json, again);
    free(json);
    free(again);
    mx_sym_free(back);
    mx_sym_free(net);
}

CU_ErrorCode mx_test_register_seq_ops(void)
{
    CU_pSuite s = CU_add_suite("seq_ops", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "SliceChannel: forward values over axes, negative axis, squeeze", test_slice_forward_values);
    CU_add_test(s, "SliceChannel: outputs named <name>_output<i>, split alias, output k as a symbol",
                test_slice_output_names_and_alias);
    CU_add_test(s, "SliceChannel: backward joins head gradients (write, add, unused output = 0)",
                test_slice_backward_values);
    CU_add_test(s, "SliceChannel: num_outputs at the limit (64)", test_slice_max_outputs);
    CU_add_test(s, "gradcheck: SliceChannel axis 0/1/2/-1, squeeze, 1/2/4 outputs, unused outputs",
                test_gradcheck_slice_channel);
    CU_add_test(s, "SliceChannel: infer_shape errors name the parameter", test_slice_infer_errors);
    CU_add_test(s, "SliceChannel: data shape inferred from an output", test_slice_infers_data_from_output);
    CU_add_test(s, "Embedding: forward values", test_embedding_forward_values);
    CU_add_test(s, "Embedding: out-of-range indices clipped (forward and backward)",
                test_embedding_clips_out_of_range_indices);
    CU_add_test(s, "Embedding: backward scatter-adds repeated indices (write, add), no data gradient",
                test_embedding_backward_values);
    CU_add_test(s, "gradcheck: Embedding weight with repeated indices", test_gradcheck_embedding);
    CU_add_test(s, "Embedding: parameters, shapes and their errors", test_embedding_params_and_shapes);
    CU_add_test(s, "LSTM cell: FC -> SliceChannel(4) -> gates binds, runs, gradchecks, JSON round-trip",
                test_lstm_cell_binds_and_gradchecks);
    return CU_get_error();
}
