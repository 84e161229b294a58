/* test_lstm.c — the lstm suite: mx_lstm_unroll's graph (MXNet.jl's
 * names, shapes, outputs), a numerical gradient check of a tiny unrolled
 * LSTM through every weight and initial state (backpropagation through
 * time across layers and steps), the memory plan of the tutorial's
 * 32-step, 2-layer network, and bad options. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

static mx_lstm_opts tiny(void) { return mx_test_lstm_opts(2, 3, 3, 4, 5); }

/* Index of name among sym's arguments, -1 if absent. */
static int arg_index(const mx_sym *sym, const char *name)
{
    const char *const *names;
    int n = mx_list_arguments(sym, &names);
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

static void test_lstm_names_and_shapes(void)
{
    mx_lstm_opts o = tiny();
    o.output_states = 1;
    mx_sym *net = mx_lstm_unroll(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    /* MXNet.jl's parameter names, each once */
    static const char *const params[] = {"ptb_embed_weight", "ptb_pred_weight", "ptb_pred_bias",
                                         "ptb_l1_i2h_weight", "ptb_l1_i2h_bias", "ptb_l1_h2h_weight",
                                         "ptb_l1_h2h_bias", "ptb_l2_i2h_weight", "ptb_l2_h2h_bias",
                                         "ptb_data_1", "ptb_label_3", "ptb_l2_init_c", "ptb_l1_init_h"};
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        if (arg_index(net, params[i]) < 0) fprintf(stderr, "\n  missing argument %s", params[i]);
        CU_ASSERT(arg_index(net, params[i]) >= 0);
    }
    const char *const *names;
    int nargs = mx_list_arguments(net, &names);
    /* 3 shared + 4 per layer + data/label per step + c/h per layer */
    CU_ASSERT_EQUAL(nargs, 3 + 4 * 2 + 2 * 3 + 2 * 2);
    const char *outs[16];
    CU_ASSERT_EQUAL(mx_list_outputs(net, outs, 16), 3 + 4);
    CU_ASSERT_STRING_EQUAL(outs[0], "ptb_softmax_1_output");
    CU_ASSERT_STRING_EQUAL(outs[2], "ptb_softmax_3_output");
    CU_ASSERT_STRING_EQUAL(outs[3], "ptb_l1_last_c_output");
    CU_ASSERT_STRING_EQUAL(outs[6], "ptb_l2_last_h_output");

    char in_names[16][48];
    mx_shape in_shapes[16];
    const char *np[16];
    int nin = mx_test_lstm_inputs(&o, 7, in_names, in_shapes);
    for (int i = 0; i < nin; i++) np[i] = in_names[i];
    mx_shape args[32], out_shapes[16], aux[4];
    CU_ASSERT_EQUAL_FATAL(mx_infer_shape(net, nin, np, in_shapes, args, out_shapes, aux), MX_OK);
    struct { const char *name; int d0, d1; } want[] = {
        {"ptb_embed_weight", 5, 4}, {"ptb_l1_i2h_weight", 12, 4}, {"ptb_l2_i2h_weight", 12, 3},
        {"ptb_l1_h2h_weight", 12, 3}, {"ptb_pred_weight", 5, 3}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int a = arg_index(net, want[i].name);
        CU_ASSERT_FATAL(a >= 0);
        CU_ASSERT_EQUAL(args[a].ndim, 2);
        CU_ASSERT_EQUAL(args[a].dims[0], want[i].d0);
        CU_ASSERT_EQUAL(args[a].dims[1], want[i].d1);
    }
    CU_ASSERT_EQUAL(args[arg_index(net, "ptb_l2_h2h_bias")].dims[0], 12);
    CU_ASSERT_EQUAL(out_shapes[0].dims[0], 7);
    CU_ASSERT_EQUAL(out_shapes[0].dims[1], 5);
    CU_ASSERT_EQUAL(out_shapes[6].dims[1], 3);
    mx_sym_free(net);
}

/* Σ over steps and samples of −log p[label]: the loss whose gradient the
 * SoftmaxOutputs feed backward (grad_scale 1, no normalization). */
static double seq_loss(mx_exec *e, int T, int B, int V, const float *const *labels)
{
    double j = 0.0;
    for (int t = 0; t < T; t++) {
        const float *p = mx_nd_data(mx_exec_output(e, t));
        for (int b = 0; b < B; b++) j -= log((double)p[b * V + (int)labels[t][b]]);
    }
    return j;
}

static void test_lstm_gradient_check(void)
{
    mx_lstm_opts o = tiny();
    const int B = 4, T = o.seq_len, V = o.num_label;
    mx_sym *net = mx_lstm_unroll(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    char in_names[16][48];
    mx_shape in_shapes[16];
    const char *np[16];
    int nin = mx_test_lstm_inputs(&o, B, in_names, in_shapes);
    for (int i = 0; i < nin; i++) np[i] = in_names[i];
    const char *const *names;
    int nargs = mx_list_arguments(net, &names);
    mx_grad_req reqs[32];
    for (int a = 0; a < nargs; a++)
        reqs[a] = strstr(names[a], "_data_") || strstr(names[a], "_label_") ? MX_GRAD_NULL : MX_GRAD_WRITE;
    mx_exec *e = mx_simple_bind(net, mx_cpu(), nin, np, in_shapes, reqs);
    if (!e) fprintf(stderr, "\n  bind: %s", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    /* bind fused every cell (embedding, 3 per cell, prediction, softmax per
     * step), so this checks the fused kernels' gradients */
    CU_ASSERT_EQUAL(mx_exec_num_steps(e), T * (3 + 3 * o.num_layers));
    mx_rng rng;
    mx_rng_seed(&rng, 11);
    const float *labels[8];
    for (int a = 0; a < nargs; a++) {
        mx_nd *arr = mx_exec_arg(e, a);
        float *d = mx_nd_data(arr);
        int is_index = strstr(names[a], "_data_") || strstr(names[a], "_label_");
        for (size_t i = 0; i < mx_nd_size(arr); i++)
            d[i] = is_index ? (float)mx_rng_below(&rng, (uint64_t)V) : 1.6f * (mx_rng_uniform(&rng) - 0.5f);
        int t;
        if (sscanf(names[a], "ptb_label_%d", &t) == 1) labels[t - 1] = d;
    }
    CU_ASSERT_EQUAL_FATAL(mx_exec_forward(e, 1), MX_OK);
    CU_ASSERT_EQUAL_FATAL(mx_exec_backward(e, NULL), MX_OK);
    int compared = 0, bad = 0;
    for (int a = 0; a < nargs; a++) {
        if (reqs[a] == MX_GRAD_NULL) continue;
        mx_nd *arr = mx_exec_arg(e, a);
        float *w = mx_nd_data(arr);
        const float *g = mx_nd_data(mx_exec_grad(e, a));
        size_t n = mx_nd_size(arr), stride = n > 12 ? n / 12 : 1;
        for (size_t i = 0; i < n; i += stride) {
            const float eps = 1e-2f, w0 = w[i];
            w[i] = w0 + eps;
            mx_exec_forward(e, 0);
            double jp = seq_loss(e, T, B, V, labels);
            w[i] = w0 - eps;
            mx_exec_forward(e, 0);
            double jm = seq_loss(e, T, B, V, labels);
            w[i] = w0;
            double num = (jp - jm) / (2.0 * eps);
            compared++;
            if (fabs(g[i] - num) > 3e-3 + 2e-2 * fabs(num)) {
                bad++;
                fprintf(stderr, "\n  %s[%zu]: backward %g, numerical %g", names[a], i, (double)g[i], num);
            }
        }
    }
    CU_ASSERT(compared > 100);
    CU_ASSERT_EQUAL(bad, 0);
    mx_exec_free(e);
    mx_sym_free(net);
}

/* The tutorial's network (32 steps, 2 layers, 256 wide, vocabulary 65) at
 * batch 32: bind must plan it into far less than one buffer each. */
static void test_lstm_tutorial_plan(void)
{
    mx_lstm_opts o = mx_lstm_defaults();
    o.num_label = 65;
    mx_sym *net = mx_lstm_unroll(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    char in_names[128][48];
    mx_shape in_shapes[128];
    const char *np[128];
    int nin = mx_test_lstm_inputs(&o, 32, in_names, in_shapes);
    for (int i = 0; i < nin; i++) np[i] = in_names[i];
    const char *const *names;
    int nargs = mx_list_arguments(net, &names);
    mx_grad_req *reqs = calloc((size_t)nargs, sizeof *reqs);
    for (int a = 0; a < nargs; a++)
        reqs[a] = strstr(names[a], "_data_") || strstr(names[a], "_label_") || strstr(names[a], "_init_")
                      ? MX_GRAD_NULL : MX_GRAD_WRITE;
    mx_exec *e = mx_simple_bind(net, mx_cpu(), nin, np, in_shapes, reqs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    setenv("MX_FUSE", "0", 1);
    mx_exec *plain = mx_simple_bind(net, mx_cpu(), nin, np, in_shapes, reqs);
    unsetenv("MX_FUSE");
    CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
    size_t planned = mx_exec_planned_bytes(e), naive = mx_exec_naive_bytes(e);
    printf("\n    32 steps x 2 layers, batch 32: planned %.2f MB, naive %.2f MB; cells not fused: %.2f MB ",
           planned / 1048576.0, naive / 1048576.0, mx_exec_planned_bytes(plain) / 1048576.0);
    CU_ASSERT(planned * 2 < naive);
    /* a fused cell keeps its activated gates for backward, not i2h, h2h and
     * the activations' outputs */
    CU_ASSERT(planned < mx_exec_planned_bytes(plain));
    mx_exec_free(plain);
    mx_exec_free(e);
    free(reqs);
    mx_sym_free(net);
}

static void test_lstm_bad_options(void)
{
    mx_lstm_opts o = tiny();
    o.num_layers = 0;
    CU_ASSERT_PTR_NULL(mx_lstm_unroll(&o));
    CU_ASSERT_PTR_NOT_NULL(strstr(mx_last_error(), "num_layers"));
    o = tiny();
    o.name = "bad name";
    CU_ASSERT_PTR_NULL(mx_lstm_unroll(&o));
    CU_ASSERT_PTR_NOT_NULL(strstr(mx_last_error(), "name"));
    o = tiny();
    o.dropout = 1.0f;
    CU_ASSERT_PTR_NULL(mx_lstm_unroll(&o));
    CU_ASSERT_PTR_NOT_NULL(strstr(mx_last_error(), "dropout"));
    CU_ASSERT_PTR_NULL(mx_lstm_unroll(NULL));
}

CU_ErrorCode mx_test_register_lstm(void)
{
    CU_pSuite s = CU_add_suite("lstm", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "MXNet.jl's names, shapes and outputs", test_lstm_names_and_shapes);
    CU_add_test(s, "gradient check through 2 layers x 3 steps (weights and initial states)",
                test_lstm_gradient_check);
    CU_add_test(s, "tutorial network plans into less than half the naive bytes", test_lstm_tutorial_plan);
    CU_add_test(s, "bad options are errors naming the option", test_lstm_bad_options);
    return CU_get_error();
}
