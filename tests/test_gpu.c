/* test_gpu.c — the GPU backend against the CPU: every op (and LeNet, the
 * MLP and the layer zoo as whole graphs), forward and backward, bound on
 * GPU0 and on the CPU with the same inputs, outputs, gradients and aux
 * states compared within a stated tolerance; no cudaMalloc/cudaFree and
 * no host allocation in training steps after the first; and the clean
 * error a GPU context gives where there is no GPU or no CUDA build. The
 * comparisons say 'skipped' without a GPU. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ndarray/device.h"
#include "suites.h"
#include "test_util.h"

/* |gpu − cpu| ≤ ATOL + RTOL·|cpu|: FP32 on both sides, but cuBLAS and our
 * SGEMM sum in different orders, and transcendental functions differ by a
 * few ulp. */
#define ATOL 1e-4f
#define RTOL 1e-3f

enum { F_SIGNED = 0, F_POSITIVE = -1 }; /* fill kinds; k > 0: integers in [0, k) */

/* 1 while the tests run over a host stand-in GPU (test_stand_ins): the
 * same kernels on both sides, so results must match bit for bit. */
static int stand_in;

typedef struct op_case {
    const char *op, *params;
    int nin;
    const char *in[4];
    mx_shape shape[4];
    int fill[4];
} op_case;

#define S(n, ...) {(n), {__VA_ARGS__}}

static int have_gpu(void)
{
    if (mx_gpu_count() > 0) return 1;
    mx_test_skip("no GPU: %s", mx_gpu_count() < 0 ? "?" :
#ifdef MX_HAVE_CUDA
                 "no CUDA device or driver on this machine"
#else
                 "built without cuda=1"
#endif
    );
    return 0;
}

/* Deterministic values for argument a of a case. */
static void values(float *h, size_t n, int fill, unsigned seed)
{
    unsigned long long s = 0x9e3779b97f4a7c15ULL * (seed + 1);
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        float u = (float)(s >> 40) / 16777216.0f;
        h[i] = fill > 0 ? (float)(int)(u * (float)fill) : fill == F_POSITIVE ? 0.5f + 1.5f * u : 2.0f * u - 1.0f;
    }
}

static void set_nd(mx_nd *a, int fill, unsigned seed, float scale)
{
    size_t n = mx_nd_size(a);
    float *h = malloc(n * sizeof *h + 4);
    values(h, n, fill, seed);
    for (size_t i = 0; fill <= 0 && i < n; i++) h[i] *= scale;
    CU_ASSERT_EQUAL(mx_nd_copy_from(a, h, n), MX_OK);
    free(h);
}

/* Largest tolerance-scaled difference of two arrays (≤ 1 passes). */
static double compare(const mx_nd *cpu, const mx_nd *gpu, double *maxabs)
{
    size_t n = mx_nd_size(cpu);
    float *a = malloc(n * sizeof *a + 4), *b = malloc(n * sizeof *b + 4);
    CU_ASSERT_EQUAL(mx_nd_copy_to(cpu, a, n), MX_OK);
    CU_ASSERT_EQUAL(mx_nd_copy_to(gpu, b, n), MX_OK);
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        double r = d / (ATOL + RTOL * fabs((double)a[i]));
        if (!(r <= worst)) worst = isnan(r) ? INFINITY : r;
        if (d > *maxabs || isnan(d)) *maxabs = isnan(d) ? INFINITY : d;
    }
    free(a);
    free(b);
    return worst;
}

/* Binds sym on the CPU and GPU0 with the named inputs, gives both the same
 * arguments (parameters scaled by wscale: whole nets saturate and amplify
 * rounding with U(-1, 1) weights), aux states and head gradients, runs
 * forward (train) and backward, and compares everything; also an
 * inference forward. */
static void check_graph(const char *what, const mx_sym *sym, int nin, const char *const *in,
                        const mx_shape *shape, const int *fill, float wscale)
{
    const char *const *args;
    int nargs = mx_list_arguments(sym, &args);
    mx_grad_req reqs[64];
    CU_ASSERT_FATAL(nargs <= 64);
    for (int i = 0; i < nargs; i++) {
        reqs[i] = MX_GRAD_WRITE;
        for (int j = 0; j < nin; j++)
            if (!strcmp(args[i], in[j]) && fill[j] > 0) reqs[i] = MX_GRAD_NULL; /* labels, indices */
    }
    mx_exec *c = mx_simple_bind(sym, mx_cpu(), nin, in, shape, reqs);
    mx_exec *g = mx_simple_bind(sym, mx_gpu(0), nin, in, shape, reqs);
    if (!c || !g) fprintf(stderr, "\n  %s: bind: %s\n", what, mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(mx_exec_num_steps(g), mx_exec_num_steps(c)); /* both fused the same cells */
    for (int i = 0; i < nargs; i++) {
        int f = F_SIGNED, input = 0;
        for (int j = 0; j < nin; j++)
            if (!strcmp(args[i], in[j])) f = fill[j], input = 1;
        if (strstr(args[i], "gamma") || strstr(args[i], "var")) f = F_POSITIVE;
        set_nd(mx_exec_arg(c, i), f, (unsigned)i, input ? 1.0f : wscale);
        set_nd(mx_exec_arg(g, i), f, (unsigned)i, input ? 1.0f : wscale);
    }
    for (int i = 0; i < mx_exec_num_aux(c); i++) {
        set_nd(mx_exec_aux(c, i), F_POSITIVE, 100u + (unsigned)i, 1.0f);
        set_nd(mx_exec_aux(g, i), F_POSITIVE, 100u + (unsigned)i, 1.0f);
    }
    int nout = mx_exec_num_outputs(c);
    mx_nd *heads[64] = {0};
    for (int o = 0; o < nout && o < 64; o++) {
        heads[o] = mx_nd_empty(mx_nd_shape(mx_exec_output(c, o)));
        set_nd(heads[o], F_SIGNED, 200u + (unsigned)o, 1.0f);
    }
    double worst = 0.0, maxabs = 0.0, w;
    const char *where = "";
    /* Three rounds: the GPU runs the first directly, records the second as
     * a CUDA graph and replays it for the third; each must equal the CPU. */
    for (int round = 0; round < 3; round++) {
        CU_ASSERT_EQUAL(mx_exec_forward(c, 1), MX_OK);
        CU_ASSERT_EQUAL(mx_exec_forward(g, 1), MX_OK);
        for (int o = 0; o < nout; o++)
            if ((w = compare(mx_exec_output(c, o), mx_exec_output(g, o), &maxabs)) > worst) worst = w, where = "output";
        CU_ASSERT_EQUAL(mx_exec_backward(c, heads), MX_OK);
        mx_status gst = mx_exec_backward(g, heads);
        if (gst != MX_OK) fprintf(stderr, "\n  %s: GPU backward: %s\n", what, mx_last_error());
        CU_ASSERT_EQUAL(gst, MX_OK);
        for (int i = 0; i < nargs; i++)
            if (mx_exec_grad(c, i) && (w = compare(mx_exec_grad(c, i), mx_exec_grad(g, i), &maxabs)) > worst)
                worst = w, where = args[i];
        for (int i = 0; i < mx_exec_num_aux(c); i++)
            if ((w = compare(mx_exec_aux(c, i), mx_exec_aux(g, i), &maxabs)) > worst) worst = w, where = "aux";
    }
    /* Inference (moving statistics, no dropout) after the training steps. */
    for (int round = 0; round < 3; round++) {
        CU_ASSERT_EQUAL(mx_exec_forward(c, 0), MX_OK);
        CU_ASSERT_EQUAL(mx_exec_forward(g, 0), MX_OK);
        for (int o = 0; o < nout; o++)
            if ((w = compare(mx_exec_output(c, o), mx_exec_output(g, o), &maxabs)) > worst)
                worst = w, where = "inference output";
    }
    CU_ASSERT_EQUAL(mx_dev_sync(mx_gpu(0)), MX_OK);
    printf("\n    %-52s max |gpu-cpu| %.2e, worst %.2f of tolerance (%s)", what, maxabs, worst, where);
    if (!(worst <= 1.0)) fprintf(stderr, "\n  %s: GPU differs from CPU (worst at %s)\n", what, where);
    CU_ASSERT(worst <= 1.0);
    if (stand_in) CU_ASSERT_EQUAL(maxabs, 0.0);
    for (int o = 0; o < nout && o < 64; o++) mx_nd_free(heads[o]);
    mx_exec_free(c);
    mx_exec_free(g);
}

static const op_case cases[] = {
    {"FullyConnected", "num_hidden=7", 1, {"x"}, {S(2, 5, 12)}, {F_SIGNED}},
    {"FullyConnected", "num_hidden=130 no_bias=true", 1, {"x"}, {S(2, 33, 70)}, {F_SIGNED}},
    {"Activation", "act_type=relu", 1, {"x"}, {S(2, 4, 33)}, {F_SIGNED}},
    {"Activation", "act_type=sigmoid", 1, {"x"}, {S(2, 4, 33)}, {F_SIGNED}},
    {"Activation", "act_type=tanh", 1, {"x"}, {S(2, 4, 33)}, {F_SIGNED}},
    {"Activation", "act_type=softrelu", 1, {"x"}, {S(2, 4, 33)}, {F_SIGNED}},
    {"Activation", "act_type=softsign", 1, {"x"}, {S(2, 4, 33)}, {F_SIGNED}},
    {"SoftmaxOutput", "", 2, {"x", "label"}, {S(2, 6, 10), S(1, 6)}, {F_SIGNED, 10}},
    {"SoftmaxOutput", "multi_output=true use_ignore=true ignore_label=2 normalization=valid", 2, {"x", "label"},
     {S(3, 4, 5, 3), S(2, 4, 3)}, {F_SIGNED, 5}},
    {"SoftmaxOutput", "grad_scale=0.5 normalization=batch", 2, {"x", "label"}, {S(2, 7, 3), S(1, 7)}, {F_SIGNED, 3}},
    /* label smoothing (MXNet's smooth_alpha, issue #16) */
    {"SoftmaxOutput", "smooth_alpha=0.1", 2, {"x", "label"}, {S(2, 6, 10), S(1, 6)}, {F_SIGNED, 10}},
    {"LinearRegressionOutput", "", 2, {"x", "label"}, {S(2, 5, 3), S(2, 5, 3)}, {F_SIGNED, F_SIGNED}},
    {"LogisticRegressionOutput", "", 2, {"x", "label"}, {S(2, 5, 3), S(2, 5, 3)}, {F_SIGNED, F_POSITIVE}},
    {"Flatten", "", 1, {"x"}, {S(3, 3, 4, 5)}, {F_SIGNED}},
    {"BlockGrad", "", 1, {"x"}, {S(2, 3, 4)}, {F_SIGNED}},
    {"_copy", "", 1, {"x"}, {S(2, 3, 4)}, {F_SIGNED}},
    /* unary math, shapes and constants (issue #16) */
    {"abs", "", 1, {"x"}, {S(2, 3, 40)}, {F_SIGNED}},
    {"negative", "", 1, {"x"}, {S(2, 3, 40)}, {F_SIGNED}},
    {"square", "", 1, {"x"}, {S(2, 3, 40)}, {F_SIGNED}},
    {"sqrt", "", 1, {"x"}, {S(2, 3, 40)}, {F_POSITIVE}},
    {"rsqrt", "", 1, {"x"}, {S(2, 3, 40)}, {F_POSITIVE}},
    {"exp", "", 1, {"x"}, {S(2, 3, 40)}, {F_SIGNED}},
    {"log", "", 1, {"x"}, {S(2, 3, 40)}, {F_POSITIVE}},
    {"clip", "a_min=-0.3 a_max=0.6", 1, {"x"}, {S(2, 3, 40)}, {F_SIGNED}},
    {"relu", "", 1, {"x"}, {S(2, 3, 40)}, {F_SIGNED}},
    {"sigmoid", "", 1, {"x"}, {S(2, 3, 40)}, {F_SIGNED}},
    {"tanh", "", 1, {"x"}, {S(2, 3, 40)}, {F_SIGNED}},
    {"expand_dims", "axis=1", 1, {"x"}, {S(2, 3, 40)}, {F_SIGNED}},
    {"squeeze", "", 1, {"x"}, {S(3, 3, 1, 40)}, {F_SIGNED}},
    {"Cast", "dtype=float32", 1, {"x"}, {S(2, 3, 40)}, {F_SIGNED}},
    {"slice_axis", "axis=1 begin=2 end=-3", 1, {"x"}, {S(3, 3, 9, 5)}, {F_SIGNED}},
    {"ones_like", "", 1, {"x"}, {S(2, 3, 4)}, {F_SIGNED}},
    {"MakeLoss", "grad_scale=2 normalization=batch", 1, {"x"}, {S(2, 3, 4)}, {F_SIGNED}},
    {"sum", "axis=(0, 2)", 1, {"x"}, {S(3, 3, 5, 7)}, {F_SIGNED}},
    {"mean", "axis=1 keepdims=true", 1, {"x"}, {S(3, 3, 5, 7)}, {F_SIGNED}},
    {"max", "axis=-1", 1, {"x"}, {S(3, 3, 5, 7)}, {F_SIGNED}},
    {"min", "axis=1 exclude=true", 1, {"x"}, {S(3, 3, 5, 7)}, {F_SIGNED}},
    {"prod", "axis=2", 1, {"x"}, {S(3, 3, 5, 4)}, {F_POSITIVE}},
    {"broadcast_add", "", 2, {"a", "b"}, {S(3, 2, 3, 4), S(2, 3, 1)}, {F_SIGNED, F_SIGNED}},
    {"broadcast_mul", "", 2, {"a", "b"}, {S(3, 1, 3, 1), S(3, 2, 1, 4)}, {F_SIGNED, F_SIGNED}},
    {"broadcast_div", "", 2, {"a", "b"}, {S(3, 2, 3, 4), S(3, 2, 1, 4)}, {F_SIGNED, F_POSITIVE}},
    {"broadcast_maximum", "", 2, {"a", "b"}, {S(2, 5, 6), S(2, 5, 1)}, {F_SIGNED, F_SIGNED}},
    {"broadcast_to", "shape=(4, 0, 3)", 1, {"x"}, {S(3, 1, 5, 1)}, {F_SIGNED}},
    {"softmax", "axis=1", 1, {"x"}, {S(3, 2, 7, 3)}, {F_SIGNED}},
    {"log_softmax", "", 1, {"x"}, {S(2, 4, 9)}, {F_SIGNED}},
    {"transpose", "axes=(1, 3, 0, 2)", 1, {"x"}, {S(4, 3, 5, 2, 7)}, {F_SIGNED}},
    {"SwapAxis", "dim1=0 dim2=2", 1, {"x"}, {S(3, 4, 3, 6)}, {F_SIGNED}},
    {"slice", "begin=(1, None, -1) end=(None, 3, 0) step=(1, 2, -2)", 1, {"x"}, {S(3, 3, 7, 9)}, {F_SIGNED}},
    {"Pad", "mode=constant pad_width=(0,0,0,0,2,1,1,3) constant_value=0.5", 1, {"x"}, {S(4, 2, 3, 5, 4)},
     {F_SIGNED}},
    {"where", "", 3, {"c", "a", "b"}, {S(2, 6, 7), S(2, 6, 7), S(2, 6, 7)}, {2, F_SIGNED, F_SIGNED}},
    {"where", "", 3, {"c", "a", "b"}, {S(1, 6), S(2, 6, 7), S(2, 6, 7)}, {2, F_SIGNED, F_SIGNED}},
    {"dot", "", 2, {"a", "b"}, {S(3, 2, 3, 33), S(2, 33, 5)}, {F_SIGNED, F_SIGNED}},
    {"dot", "transpose_a=true transpose_b=true", 2, {"a", "b"}, {S(2, 33, 6), S(2, 5, 33)}, {F_SIGNED, F_SIGNED}},
    {"batch_dot", "transpose_b=true", 2, {"a", "b"}, {S(3, 4, 3, 17), S(3, 4, 6, 17)}, {F_SIGNED, F_SIGNED}},
    {"batch_dot", "transpose_a=true", 2, {"a", "b"}, {S(3, 4, 17, 3), S(3, 4, 17, 6)}, {F_SIGNED, F_SIGNED}},
    {"smooth_l1", "scalar=1.5", 1, {"x"}, {S(2, 3, 40)}, {F_SIGNED}},
    {"make_loss", "", 1, {"x"}, {S(2, 3, 4)}, {F_SIGNED}},
    {"Deconvolution", "kernel=(4,4) stride=(2,2) pad=(1,1) num_filter=5 no_bias=false", 1, {"x"},
     {S(4, 2, 3, 6, 5)}, {F_SIGNED}},
    {"Deconvolution", "kernel=(3,3) stride=(2,2) adj=(1,1) dilate=(2,1) num_filter=4 num_group=2", 1, {"x"},
     {S(4, 2, 4, 5, 5)}, {F_SIGNED}},
    {"Deconvolution", "kernel=(3,) stride=(3,) num_filter=3 no_bias=false", 1, {"x"}, {S(3, 2, 4, 7)}, {F_SIGNED}},
    {"UpSampling", "scale=2 sample_type=nearest num_args=1", 1, {"x"}, {S(4, 2, 3, 4, 5)}, {F_SIGNED}},
    {"UpSampling", "scale=3 sample_type=nearest num_args=2", 2, {"a", "b"}, {S(4, 2, 3, 2, 2), S(4, 2, 1, 3, 6)},
     {F_SIGNED, F_SIGNED}},
    {"UpSampling", "scale=2 sample_type=nearest num_args=2 multi_input_mode=sum", 2, {"a", "b"},
     {S(4, 2, 3, 2, 2), S(4, 2, 3, 4, 1)}, {F_SIGNED, F_SIGNED}},
    {"UpSampling", "scale=2 sample_type=bilinear num_filter=3 num_args=2", 1, {"x"}, {S(4, 2, 3, 5, 4)}, {F_SIGNED}},
    {"LRN", "nsize=5 alpha=0.5 beta=0.75 knorm=1", 1, {"x"}, {S(4, 2, 7, 3, 4)}, {F_SIGNED}},
    {"L2Normalization", "mode=instance", 1, {"x"}, {S(4, 3, 4, 3, 5)}, {F_SIGNED}},
    {"L2Normalization", "mode=channel", 1, {"x"}, {S(4, 3, 4, 3, 5)}, {F_SIGNED}},
    {"L2Normalization", "mode=spatial", 1, {"x"}, {S(4, 3, 4, 3, 5)}, {F_SIGNED}},
    {"InstanceNorm", "eps=0.01", 1, {"x"}, {S(4, 3, 4, 5, 6)}, {F_SIGNED}},
    {"Crop", "num_args=1 offset=(1,2) h_w=(3,4)", 1, {"x"}, {S(4, 2, 3, 5, 7)}, {F_SIGNED}},
    {"Crop", "num_args=2 center_crop=true", 2, {"a", "b"}, {S(4, 2, 3, 6, 7), S(4, 2, 1, 3, 4)}, {F_SIGNED, F_SIGNED}},
    {"broadcast_like", "lhs_axes=(1,) rhs_axes=(0,)", 2, {"a", "b"}, {S(3, 2, 1, 5), S(2, 4, 3)},
     {F_SIGNED, F_SIGNED}},
    {"RNN", "mode=lstm num_layers=2 state_size=6 bidirectional=true state_outputs=true", 1, {"x"}, {S(3, 4, 3, 5)},
     {F_SIGNED}},
    {"RNN", "mode=gru num_layers=2 state_size=5 bidirectional=true", 1, {"x"}, {S(3, 3, 2, 4)}, {F_SIGNED}},
    {"RNN", "mode=rnn_tanh num_layers=1 state_size=7 state_outputs=true", 1, {"x"}, {S(3, 4, 3, 5)}, {F_SIGNED}},
    {"RNN", "mode=rnn_relu num_layers=2 state_size=4", 1, {"x"}, {S(3, 3, 2, 6)}, {F_SIGNED}},
    {"add_n", "num_args=3", 3, {"a", "b", "c"}, {S(2, 3, 40), S(2, 3, 40), S(2, 3, 40)},
     {F_SIGNED, F_SIGNED, F_SIGNED}},
    {"_Plus", "", 2, {"a", "b"}, {S(2, 3, 40), S(2, 3, 40)}, {F_SIGNED, F_SIGNED}},
    {"_Minus", "", 2, {"a", "b"}, {S(2, 3, 40), S(2, 3, 40)}, {F_SIGNED, F_SIGNED}},
    {"_Mul", "", 2, {"a", "b"}, {S(2, 3, 40), S(2, 3, 40)}, {F_SIGNED, F_SIGNED}},
    {"_Div", "", 2, {"a", "b"}, {S(2, 3, 40), S(2, 3, 40)}, {F_SIGNED, F_POSITIVE}},
    {"_PlusScalar", "scalar=1.5", 1, {"x"}, {S(1, 50)}, {F_SIGNED}},
    {"_MinusScalar", "scalar=1.5", 1, {"x"}, {S(1, 50)}, {F_SIGNED}},
    {"_RMinusScalar", "scalar=1.5", 1, {"x"}, {S(1, 50)}, {F_SIGNED}},
    {"_MulScalar", "scalar=-2", 1, {"x"}, {S(1, 50)}, {F_SIGNED}},
    {"_DivScalar", "scalar=3", 1, {"x"}, {S(1, 50)}, {F_SIGNED}},
    {"_RDivScalar", "scalar=3", 1, {"x"}, {S(1, 50)}, {F_POSITIVE}},
    {"Convolution", "kernel=(3,3) num_filter=4", 1, {"x"}, {S(4, 2, 3, 9, 9)}, {F_SIGNED}},
    {"Convolution", "kernel=(3,3) stride=(2,2) pad=(1,1) num_filter=5 no_bias=true", 1, {"x"},
     {S(4, 3, 2, 10, 9)}, {F_SIGNED}},
    {"Convolution", "kernel=(3,3) dilate=(2,2) num_filter=6 num_group=3", 1, {"x"}, {S(4, 2, 3, 11, 11)}, {F_SIGNED}},
    {"Convolution", "kernel=(1,1) num_filter=8", 1, {"x"}, {S(4, 2, 3, 5, 5)}, {F_SIGNED}},
    {"Convolution", "kernel=(3,) stride=(2,) pad=(1,) num_filter=4", 1, {"x"}, {S(3, 2, 3, 17)}, {F_SIGNED}},
    {"Convolution", "kernel=(5,5) num_filter=20", 1, {"x"}, {S(4, 8, 1, 28, 28)}, {F_SIGNED}},
    {"Pooling", "pool_type=max kernel=(2,2) stride=(2,2)", 1, {"x"}, {S(4, 2, 3, 8, 8)}, {F_SIGNED}},
    {"Pooling", "pool_type=max kernel=(3,3) stride=(2,2) pad=(1,1)", 1, {"x"}, {S(4, 2, 3, 9, 8)}, {F_SIGNED}},
    {"Pooling", "pool_type=avg kernel=(3,3) stride=(2,2) pad=(1,1)", 1, {"x"}, {S(4, 2, 3, 9, 8)}, {F_SIGNED}},
    {"Pooling", "pool_type=avg kernel=(3,3) stride=(2,2) pad=(1,1) count_include_pad=false", 1, {"x"},
     {S(4, 2, 3, 9, 8)}, {F_SIGNED}},
    {"Pooling", "pool_type=sum kernel=(2,2) stride=(1,1)", 1, {"x"}, {S(4, 2, 3, 6, 6)}, {F_SIGNED}},
    {"Pooling", "pool_type=max global_pool=true kernel=(1,1)", 1, {"x"}, {S(4, 2, 3, 7, 5)}, {F_SIGNED}},
    {"Reshape", "shape=(0,-1)", 1, {"x"}, {S(3, 4, 3, 5)}, {F_SIGNED}},
    {"Concat", "num_args=3 dim=1", 3, {"a", "b", "c"}, {S(3, 2, 3, 4), S(3, 2, 1, 4), S(3, 2, 5, 4)},
     {F_SIGNED, F_SIGNED, F_SIGNED}},
    {"Concat", "num_args=2 dim=0", 2, {"a", "b"}, {S(2, 3, 4), S(2, 2, 4)}, {F_SIGNED, F_SIGNED}},
    {"SliceChannel", "num_outputs=3 axis=1", 1, {"x"}, {S(3, 2, 6, 4)}, {F_SIGNED}},
    {"SliceChannel", "num_outputs=2 axis=1 squeeze_axis=true", 1, {"x"}, {S(3, 3, 2, 5)}, {F_SIGNED}},
    {"Dropout", "p=0.4", 1, {"x"}, {S(2, 16, 33)}, {F_SIGNED}},
    {"BatchNorm", "fix_gamma=false", 1, {"x"}, {S(4, 4, 3, 5, 5)}, {F_SIGNED}},
    {"BatchNorm", "", 1, {"x"}, {S(2, 8, 6)}, {F_SIGNED}},
    {"LeakyReLU", "act_type=leaky slope=0.1", 1, {"x"}, {S(2, 4, 30)}, {F_SIGNED}},
    {"LeakyReLU", "act_type=prelu", 1, {"x"}, {S(4, 3, 4, 2, 5)}, {F_SIGNED}},
    {"LeakyReLU", "act_type=elu slope=0.5", 1, {"x"}, {S(2, 4, 30)}, {F_SIGNED}},
    {"LeakyReLU", "act_type=rrelu", 1, {"x"}, {S(2, 4, 30)}, {F_SIGNED}},
    {"SoftmaxActivation", "", 1, {"x"}, {S(2, 5, 9)}, {F_SIGNED}},
    {"SoftmaxActivation", "mode=channel", 1, {"x"}, {S(4, 2, 5, 3, 2)}, {F_SIGNED}},
    {"Embedding", "input_dim=10 output_dim=6", 1, {"x"}, {S(2, 4, 5)}, {12}},
};

static void test_every_op(void)
{
    if (!have_gpu()) return;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const op_case *k = &cases[i];
        mx_sym *vars[4];
        for (int j = 0; j < k->nin; j++) vars[j] = mx_var(k->in[j]);
        mx_sym *y = mx_op_args(k->op, k->params, k->nin, NULL, vars);
        if (!y) fprintf(stderr, "\n  %s %s: %s\n", k->op, k->params, mx_last_error());
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        char what[160];
        snprintf(what, sizeof what, "%s %s", k->op, k->params);
        check_graph(what, y, k->nin, k->in, k->shape, k->fill, 1.0f);
        for (int j = 0; j < k->nin; j++) mx_sym_free(vars[j]);
        mx_sym_free(y);
    }
}

static void test_whole_nets(void)
{
    if (!have_gpu()) return;
    const char *in[] = {"data", "softmax_label"};
    int fill[] = {F_SIGNED, 10};
    mx_sym *mlp = mx_test_mlp(), *lenet = mx_test_lenet(), *zoo = mx_test_conv_layers();
    mx_shape flat[] = {S(2, 100, 784), S(1, 100)}, img[] = {S(4, 100, 1, 28, 28), S(1, 100)};
    mx_shape small[] = {S(4, 16, 3, 16, 16), S(1, 16)};
    check_graph("MLP 784-128-64-10, batch 100", mlp, 2, in, flat, fill, 0.1f);
    check_graph("LeNet, batch 100", lenet, 2, in, img, fill, 0.1f);
    check_graph("conv/BatchNorm/LeakyReLU/Concat/Dropout net", zoo, 2, in, small, fill, 0.1f);
    mx_sym_free(mlp);
    mx_sym_free(lenet);
    mx_sym_free(zoo);
}

/* The unrolled char-LSTM (2 layers, 4 steps, batch 5) with its cells fused
 * at bind (the GPU's fused kernels against the CPU's), its projections
 * grouped or not (MX_FUSE_FC=1 groups them on the CPU too, so both sides
 * run the same steps), and with MX_FUSE=0 (the plain ops on both). */
static void test_lstm_nets(void)
{
    if (!have_gpu()) return;
    mx_lstm_opts o = mx_test_lstm_opts(2, 4, 8, 6, 7);
    o.output_states = 1;
    mx_sym *net = mx_lstm_unroll(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    char nm[16][48];
    const char *in[16];
    mx_shape shape[16];
    int fill[16], n = mx_test_lstm_inputs(&o, 5, nm, shape);
    for (int i = 0; i < n; i++) in[i] = nm[i], fill[i] = strstr(nm[i], "_init_") ? F_SIGNED : o.num_label;
    /* by default a GPU groups the projections (fuse_fc.c), the CPU and
     * the stand-ins (which run the CPU's table) do not */
    mx_exec *c = mx_simple_bind(net, mx_cpu(), n, in, shape, NULL), *g = mx_simple_bind(net, mx_gpu(0), n, in, shape, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
#ifdef MX_HAVE_CUDA
    CU_ASSERT_EQUAL(mx_exec_num_steps(c) - mx_exec_num_steps(g), 3 * (o.seq_len - 1));
#else
    CU_ASSERT_EQUAL(mx_exec_num_steps(c), mx_exec_num_steps(g));
#endif
    mx_exec_free(c);
    mx_exec_free(g);
    setenv("MX_FUSE_FC", "1", 1);
    check_graph("char-LSTM 2x4, cells fused, projections grouped", net, n, in, shape, fill, 0.5f);
    setenv("MX_FUSE_FC", "0", 1);
    check_graph("char-LSTM 2x4, cells fused, one GEMM a step", net, n, in, shape, fill, 0.5f);
    unsetenv("MX_FUSE_FC");
    setenv("MX_FUSE", "0", 1);
    check_graph("char-LSTM 2x4, plain ops (MX_FUSE=0)", net, n, in, shape, fill, 0.5f);
    unsetenv("MX_FUSE");
    mx_sym_free(net);
}

/* Training steps (forward, backward, SGD-momentum update of every
 * parameter) after the first two (the second records the CUDA graphs):
 * no cudaMalloc/cudaFree, no host malloc. */
static void test_hot_path(void)
{
    if (!have_gpu()) return;
    mx_sym *net = mx_test_lenet();
    const char *in[] = {"data", "softmax_label"};
    mx_shape shapes[] = {S(4, 100, 1, 28, 28), S(1, 100)};
    mx_exec *e = mx_simple_bind(net, mx_gpu(0), 2, in, shapes, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    mx_sgd_opts so = mx_sgd_defaults();
    so.momentum = 0.9f;
    mx_optimizer *opt = mx_sgd_create(&so);
    float *state[32] = {0};
    mx_nd *state_nd[32] = {0};
    int label = mx_exec_arg_index(e, "softmax_label");
    for (int i = 0; i < mx_exec_num_args(e) && i < 32; i++) {
        set_nd(mx_exec_arg(e, i), i == label ? 10 : F_SIGNED, (unsigned)i, 0.1f);
        if (mx_exec_grad(e, i)) {
            mx_nd *s = state_nd[i] = mx_nd_empty_ctx(mx_gpu(0), mx_nd_shape(mx_exec_arg(e, i)));
            CU_ASSERT_PTR_NOT_NULL_FATAL(s);
            mx_nd_fill(s, 0.0f);
            state[i] = mx_nd_data(s);
        }
    }
    long dev0 = 0;
    int counted = -1;
    for (int step = 0; step < 20; step++) {
        if (step == 2) {
            CU_ASSERT_EQUAL(mx_dev_sync(mx_gpu(0)), MX_OK);
            dev0 = mx_dev_alloc_calls();
            counted = mx_test_count_allocs_begin();
        }
        CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
        CU_ASSERT_EQUAL(mx_exec_backward(e, NULL), MX_OK);
        for (int i = 0; i < mx_exec_num_args(e) && i < 32; i++)
            if (mx_exec_grad(e, i)) mx_optimizer_update(opt, mx_exec_arg(e, i), mx_exec_grad(e, i), state[i]);
    }
    long host = mx_test_count_allocs_end(); /* before the sync: the driver may allocate while waiting */
    CU_ASSERT_EQUAL(mx_dev_sync(mx_gpu(0)), MX_OK);
    long dev = mx_dev_alloc_calls() - dev0;
    printf("\n    18 LeNet steps on GPU0: %ld cudaMalloc/cudaFree calls, %ld host allocations", dev, host);
    CU_ASSERT_EQUAL(dev, 0);
    if (counted == 0) {
        CU_ASSERT_EQUAL(host, 0);
    } else {
        mx_test_skip("host allocations are counted in the plain build (sanitizers own malloc)");
    }
    for (int i = 0; i < 32; i++) mx_nd_free(state_nd[i]);
    mx_optimizer_free(opt);
    mx_exec_free(e);
    mx_sym_free(net);
}

/* Without a GPU (or a cuda=1 build) a GPU context is an error that says
 * so; with one, an absent device number is named. */
static void test_gpu_context_errors(void)
{
    mx_sym *net = mx_test_mlp();
    const char *in[] = {"data", "softmax_label"};
    mx_shape shapes[] = {S(2, 10, 784), S(1, 10)};
    int n = mx_gpu_count();
    mx_exec *e = mx_simple_bind(net, mx_gpu(n), 2, in, shapes, NULL);
    CU_ASSERT_PTR_NULL(e);
    char want[32];
    snprintf(want, sizeof want, "GPU%d", n);
    ASSERT_ERROR_HAS(want);
#ifndef MX_HAVE_CUDA
    ASSERT_ERROR_HAS("cuda=1");
#endif
    CU_ASSERT_PTR_NULL(mx_nd_empty_ctx(mx_gpu(n), mx_shape_make(1, 4)));
    CU_ASSERT_PTR_NULL(mx_model_create(net, (mx_ctx[]){mx_cpu(), mx_gpu(0)}, 2));
    ASSERT_ERROR_HAS("context GPU0 mixes with CPU0");
    CU_ASSERT_PTR_NULL(mx_model_create(net, (mx_ctx[]){mx_gpu(n)}, 1));
    ASSERT_ERROR_HAS(want);
    mx_ctx c[4];
    int k = 0;
    CU_ASSERT_EQUAL(mx_ctx_parse("gpu:0,1", c, 4, &k), MX_OK);
    CU_ASSERT_EQUAL(k, 2);
    CU_ASSERT_EQUAL(c[1].dev_type, MX_GPU);
    CU_ASSERT_EQUAL(c[1].dev_id, 1);
    CU_ASSERT_EQUAL(mx_ctx_parse("cpu", c, 4, &k), MX_OK);
    CU_ASSERT_EQUAL(c[0].dev_type, MX_CPU);
    CU_ASSERT_EQUAL(mx_ctx_parse("gpu", c, 4, &k), MX_OK);
    CU_ASSERT(k == 1 && c[0].dev_type == MX_GPU && c[0].dev_id == 0);
    CU_ASSERT_NOT_EQUAL(mx_ctx_parse("tpu:0", c, 4, &k), MX_OK);
    ASSERT_ERROR_HAS("tpu:0");
    CU_ASSERT_NOT_EQUAL(mx_ctx_parse("gpu:0,x", c, 4, &k), MX_OK);
    CU_ASSERT_NOT_EQUAL(mx_ctx_parse("gpu:0,1,2", c, 2, &k), MX_OK);
    mx_sym_free(net);
}

/* GPU arrays: copies both ways, arithmetic on the device, and bind
 * refusing an argument that lives on another device. */
static void test_gpu_ndarray(void)
{
    if (!have_gpu()) return;
    float h[6] = {1, 2, 3, 4, 5, 6}, r[6] = {0};
    mx_nd *a = mx_nd_empty_ctx(mx_gpu(0), mx_shape_make(2, 2, 3));
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_EQUAL(mx_nd_copy_from(a, h, 6), MX_OK);
    CU_ASSERT_EQUAL(mx_nd_scalar_to(MX_ND_MUL, a, 2.0f), MX_OK);
    mx_nd *b = mx_nd_binary(MX_ND_ADD, a, a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(mx_nd_context(b).dev_type, MX_GPU);
    CU_ASSERT_EQUAL(mx_nd_copy_to(b, r, 6), MX_OK);
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(r[i], 4.0f * h[i]);
    mx_nd *c = mx_nd_from(mx_shape_make(2, 2, 3), h);
    CU_ASSERT_PTR_NULL(mx_nd_binary(MX_ND_ADD, a, c));
    ASSERT_ERROR_HAS("GPU0");
    CU_ASSERT_EQUAL(mx_nd_copy(c, b), MX_OK); /* device → host array */
    CU_ASSERT_EQUAL(mx_nd_data(c)[5], 24.0f);
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("Activation", "act_type=relu", x);
    mx_nd *args[] = {c};
    CU_ASSERT_PTR_NULL(mx_bind(y, mx_gpu(0), args, NULL, NULL, NULL));
    ASSERT_ERROR_HAS("'x' is on CPU0");
    mx_sym_free(x);
    mx_sym_free(y);
    mx_nd_free(a);
    mx_nd_free(b);
    mx_nd_free(c);
}

/* FeedForward on ctx (nctx contexts): the tutorial MLP, `epochs` epochs on
 * `limit` shuffled MNIST samples at batch 100, with opt_spec; returns the
 * model, its validation accuracy in *acc. */
static mx_model *fit_mlp(const mx_ctx *ctx, int nctx, const char *opt_spec, int epochs, long limit, double *acc)
{
    char img[512], lab[512], vimg[512], vlab[512];
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = mx_test_mnist_path("train-images-idx3-ubyte", img, sizeof img);
    o.label = mx_test_mnist_path("train-labels-idx1-ubyte", lab, sizeof lab);
    o.batch_size = 100;
    o.flat = 1;
    o.shuffle = 1;
    o.seed = 5;
    o.limit = limit;
    mx_mnist_opts v = o;
    v.image = mx_test_mnist_path("t10k-images-idx3-ubyte", vimg, sizeof vimg);
    v.label = mx_test_mnist_path("t10k-labels-idx1-ubyte", vlab, sizeof vlab);
    v.shuffle = 0;
    v.limit = 0;
    mx_provider *p = mx_mnist_provider(&o), *pv = mx_mnist_provider(&v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pv);
    mx_random_seed(11);
    mx_sym *net = mx_test_mlp();
    mx_model *m = mx_model_create(net, ctx, nctx);
    if (!m) fprintf(stderr, "\n  model: %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mx_optimizer *opt = mx_optimizer_parse(opt_spec);
    CU_ASSERT_PTR_NOT_NULL_FATAL(opt);
    mx_metric *metric = mx_metric_accuracy();
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = epochs;
    fo.eval_data = pv;
    fo.eval_metric = metric;
    mx_log_set_quiet(1);
    mx_status st = mx_model_fit(m, opt, p, &fo);
    mx_log_set_quiet(0);
    if (st != MX_OK) fprintf(stderr, "\n  fit: %s\n", mx_last_error());
    CU_ASSERT_EQUAL(st, MX_OK);
    const char *names[4];
    double vals[4] = {0};
    mx_metric_get(metric, names, vals, 4);
    *acc = vals[0];
    mx_metric_free(metric);
    mx_optimizer_free(opt);
    mx_provider_free(p);
    mx_provider_free(pv);
    mx_sym_free(net);
    return m;
}

/* Largest difference between two models' parameters (copied to the host). */
static double param_diff(const mx_model *a, const mx_model *b)
{
    double worst = 0.0;
    for (int i = 0; i < mx_model_num_params(a); i++) {
        size_t n = mx_nd_size(mx_model_param(a, i));
        float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        mx_nd_copy_to(mx_model_param(a, i), x, n);
        mx_nd_copy_to(mx_model_param(b, i), y, n);
        /* A compare, not fmax: GCC 12's aarch64 vectoriser crashes on an
         * fmax reduction here (same result: a NaN never wins either way). */
        for (size_t j = 0; j < n; j++) {
            double d = fabs((double)x[j] - y[j]);
            if (d > worst) worst = d;
        }
        free(x);
        free(y);
    }
    return worst;
}

/* The tutorial MLP trained on GPU0 reaches the CPU run's accuracy, with
 * the same initial weights and data order; two contexts on the GPU equal
 * one (the KVStore on the device); Adam's step header works on device
 * state; a GPU checkpoint loads on the CPU and predicts the same. */
static void test_fit_on_gpu(void)
{
    if (!have_gpu() || !mx_test_have_mnist("GPU training")) return;
    mx_ctx cpu = mx_cpu(), g1[] = {mx_gpu(0)}, g2[] = {mx_gpu(0), mx_gpu(0)};
    const char *sgd = "sgd lr=0.1 momentum=0.9 weight_decay=0.00001";
    double acc_c, acc_g, acc_g2, acc_a;
    mx_model *c = fit_mlp(&cpu, 1, sgd, 2, 20000, &acc_c);
    mx_model *g = fit_mlp(g1, 1, sgd, 2, 20000, &acc_g);
    mx_model *g2m = fit_mlp(g2, 2, sgd, 2, 20000, &acc_g2);
    double d_cg = param_diff(c, g), d_gg = param_diff(g, g2m);
    printf("\n    MLP, 2 epochs of 20000: validation accuracy CPU %.4f, GPU0 %.4f, GPU0×2 contexts %.4f; "
           "max |w_cpu - w_gpu| %.2e, |w_gpu - w_gpu×2| %.2e", acc_c, acc_g, acc_g2, d_cg, d_gg);
    CU_ASSERT(acc_c > 0.9 && acc_g > 0.9);
    CU_ASSERT(fabs(acc_c - acc_g) <= 0.005);
    CU_ASSERT(fabs(acc_g - acc_g2) <= 0.005);
    CU_ASSERT(d_cg <= 1e-2); /* float sums in other orders drift a little over 400 steps */
    CU_ASSERT(d_gg <= 1e-2);
    if (stand_in) CU_ASSERT_EQUAL(d_cg, 0.0);
    double acc_ac;
    mx_model *a = fit_mlp(g1, 1, "adam lr=0.001", 2, 10000, &acc_a);
    mx_model *ac = fit_mlp(&cpu, 1, "adam lr=0.001", 2, 10000, &acc_ac);
    double d_a = param_diff(a, ac);
    printf("\n    Adam, 2 epochs of 10000: validation accuracy CPU %.4f, GPU0 %.4f; max |w_cpu - w_gpu| %.2e",
           acc_ac, acc_a, d_a);
    CU_ASSERT(fabs(acc_a - acc_ac) <= 0.005);
    CU_ASSERT(d_a <= 1e-2);
    if (stand_in) CU_ASSERT_EQUAL(d_a, 0.0);
    /* checkpoint on the GPU, load on the CPU: same predictions */
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s/gpu_mlp", mx_test_tmp_dir());
    CU_ASSERT_EQUAL_FATAL(mx_checkpoint_save(g, prefix, 2), MX_OK);
    mx_model *back = mx_model_load(prefix, 2, &cpu, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    char vimg[512], vlab[512];
    mx_mnist_opts v = mx_mnist_defaults();
    v.image = mx_test_mnist_path("t10k-images-idx3-ubyte", vimg, sizeof vimg);
    v.label = mx_test_mnist_path("t10k-labels-idx1-ubyte", vlab, sizeof vlab);
    v.batch_size = 100;
    v.flat = 1;
    v.limit = 1000;
    mx_provider *pv = mx_mnist_provider(&v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pv);
    mx_nd *pg = NULL, *pc = NULL;
    CU_ASSERT_EQUAL(mx_model_predict(g, pv, &pg), MX_OK);
    CU_ASSERT_EQUAL(mx_model_predict(back, pv, &pc), MX_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
    double worst = 0.0;
    for (size_t i = 0; i < mx_nd_size(pc); i++) worst = fmax(worst, fabs((double)mx_nd_data(pc)[i] - mx_nd_data(pg)[i]));
    printf("\n    GPU checkpoint loaded on the CPU: max |p_cpu - p_gpu| %.2e over 1000 predictions", worst);
    CU_ASSERT(worst <= 1e-4);
    if (stand_in) CU_ASSERT_EQUAL(worst, 0.0);
    mx_nd_free(pg);
    mx_nd_free(pc);
    mx_provider_free(pv);
    mx_model_free(back);
    mx_model_free(a);
    mx_model_free(ac);
    mx_model_free(c);
    mx_model_free(g);
    mx_model_free(g2m);
}

/* The same tests over host stand-ins for GPUs (device.h, builds without
 * cuda=1): the GPU code paths — one device block per executor, staging,
 * output mirrors, state on the device, the device KVStore, checkpoints of
 * device arrays — run with the CPU kernels, so a missing copy or a wrong
 * offset shows where there is no GPU. The comparisons against the CPU
 * check those paths, not GPU kernels. */
static void test_stand_ins(void)
{
    if (mx_dev_fake_gpus(1) != MX_OK) {
        mx_test_skip("cuda=1 build: the GPU tests above run on the real device");
        return;
    }
    printf("\n    -- over a host stand-in for GPU0 (CPU kernels; checks the GPU code paths, not GPU math) --");
    stand_in = 1;
    test_gpu_ndarray();
    test_every_op();
    test_whole_nets();
    test_lstm_nets();
    test_hot_path();
    test_fit_on_gpu();
    /* Two devices: the KVStore's cross-device path (a staging array per
     * other GPU), which one lent GPU cannot run, against two contexts on
     * one device. */
    if (mx_test_have_mnist("two stand-in GPUs") && mx_dev_fake_gpus(2) == MX_OK) {
        mx_ctx one[] = {mx_gpu(0), mx_gpu(0)}, two[] = {mx_gpu(0), mx_gpu(1)};
        const char *sgd = "sgd lr=0.1 momentum=0.9 weight_decay=0.00001";
        double acc1, acc2;
        mx_model *a = fit_mlp(one, 2, sgd, 2, 20000, &acc1), *b = fit_mlp(two, 2, sgd, 2, 20000, &acc2);
        double d = param_diff(a, b);
        printf("\n    MLP on gpu:0,gpu:1 (stand-ins) vs gpu:0 twice: accuracy %.4f / %.4f, max |dw| %.2e", acc2, acc1, d);
        CU_ASSERT(acc2 > 0.9);
        CU_ASSERT_EQUAL(d, 0.0); /* the same sums in the same order, only through other copies */
        mx_model_free(a);
        mx_model_free(b);
    }
    stand_in = 0;
    mx_dev_fake_gpus(0);
    CU_ASSERT_EQUAL(mx_gpu_count(), 0);
}

CU_ErrorCode mx_test_register_gpu(void)
{
    CU_pSuite s = CU_add_suite("gpu", NULL, NULL);
    if (!s) return CU_get_error();
    if (!CU_add_test(s, "GPU context without a GPU is a clean error; --context parsing", test_gpu_context_errors) ||
        !CU_add_test(s, "GPU arrays: copies, arithmetic, wrong-device bind", test_gpu_ndarray) ||
        !CU_add_test(s, "every op, forward and backward, GPU equals CPU", test_every_op) ||
        !CU_add_test(s, "MLP, LeNet and a layer zoo, GPU equals CPU", test_whole_nets) ||
        !CU_add_test(s, "char-LSTM with fused and plain cells, GPU equals CPU", test_lstm_nets) ||
        !CU_add_test(s, "no cudaMalloc or malloc in GPU training steps", test_hot_path) ||
        !CU_add_test(s, "FeedForward on GPU: CPU accuracy, two contexts, Adam, checkpoint to CPU", test_fit_on_gpu) ||
        !CU_add_test(s, "the same over a host stand-in GPU: the GPU code paths without a GPU", test_stand_ins))
        return CU_get_error();
    return CUE_SUCCESS;
}
