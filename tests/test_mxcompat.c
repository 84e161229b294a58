/* test_mxcompat.c — the mxcompat suite: what real MXNet files need (issue
 * #16). Every name MXNet 1.9 registers for mxrt's ops loads and is written
 * back under MXNet's canonical name; every parameter MXNet 1.9 defines for
 * them is accepted with MXNet's value syntax, and values mxrt cannot run
 * are "not supported" (MX_ENOTSUP) naming the op, node, parameter and
 * value, never a corrupt file; pre-0.9 JSON is upgraded as MXNet's loader
 * does (aux variables added, lr_mult/wd_mult/ctx_group made hidden); save →
 * load → save is a fixed point; Concat and add_n take any number of
 * inputs; SoftmaxOutput's label smoothing. The names and parameter lists
 * here are MXNet 1.9's, written down from its registry, not read from
 * mxrt's tables. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

/* The JSON text of sym (freed by the caller). */
static char *json_of(const mx_sym *sym)
{
    char *j = mx_sym_to_json(sym);
    if (!j) fprintf(stderr, "\n  to_json: %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL(j);
    return j;
}

/* ---- names ---- */

/* MXNet 1.9's registered names of mxrt's ops: {alias, canonical}. */
static const char *const names[][2] = {
    {"FullyConnected", "FullyConnected"}, {"Convolution", "Convolution"}, {"Pooling", "Pooling"},
    {"Activation", "Activation"}, {"LeakyReLU", "LeakyReLU"}, {"BatchNorm", "BatchNorm"},
    {"Dropout", "Dropout"}, {"SoftmaxOutput", "SoftmaxOutput"}, {"Softmax", "SoftmaxOutput"},
    {"SoftmaxActivation", "SoftmaxActivation"}, {"LinearRegressionOutput", "LinearRegressionOutput"},
    {"LogisticRegressionOutput", "LogisticRegressionOutput"}, {"Reshape", "Reshape"}, {"reshape", "Reshape"},
    {"Flatten", "Flatten"}, {"flatten", "Flatten"}, {"Concat", "Concat"}, {"concat", "Concat"},
    {"BlockGrad", "BlockGrad"}, {"stop_gradient", "BlockGrad"}, {"SliceChannel", "SliceChannel"},
    {"split", "SliceChannel"}, {"Embedding", "Embedding"}, {"elemwise_add", "elemwise_add"},
    {"_add", "elemwise_add"}, {"_plus", "elemwise_add"}, {"_Plus", "elemwise_add"},
    {"elemwise_sub", "elemwise_sub"}, {"_sub", "elemwise_sub"}, {"_minus", "elemwise_sub"},
    {"_Minus", "elemwise_sub"}, {"elemwise_mul", "elemwise_mul"}, {"_mul", "elemwise_mul"},
    {"_Mul", "elemwise_mul"}, {"elemwise_div", "elemwise_div"}, {"_div", "elemwise_div"},
    {"_Div", "elemwise_div"}, {"_plus_scalar", "_plus_scalar"}, {"_PlusScalar", "_plus_scalar"},
    {"_minus_scalar", "_minus_scalar"}, {"_MinusScalar", "_minus_scalar"}, {"_rminus_scalar", "_rminus_scalar"},
    {"_RMinusScalar", "_rminus_scalar"}, {"_mul_scalar", "_mul_scalar"}, {"_MulScalar", "_mul_scalar"},
    {"_div_scalar", "_div_scalar"}, {"_DivScalar", "_div_scalar"}, {"_rdiv_scalar", "_rdiv_scalar"},
    {"_RDivScalar", "_rdiv_scalar"}, {"_copy", "_copy"}, {"identity", "_copy"}, {"add_n", "add_n"},
    {"ElementWiseSum", "add_n"}, {"abs", "abs"}, {"negative", "negative"}, {"square", "square"}, {"sqrt", "sqrt"},
    {"rsqrt", "rsqrt"}, {"exp", "exp"}, {"log", "log"}, {"clip", "clip"}, {"relu", "relu"}, {"sigmoid", "sigmoid"},
    {"tanh", "tanh"}, {"expand_dims", "expand_dims"}, {"squeeze", "squeeze"}, {"reshape_like", "reshape_like"},
    {"Cast", "Cast"}, {"cast", "Cast"}, {"zeros_like", "zeros_like"}, {"ones_like", "ones_like"},
    {"MakeLoss", "MakeLoss"}, {"slice_axis", "slice_axis"}, {"sum", "sum"}, {"sum_axis", "sum"}, {"mean", "mean"},
    {"max", "max"}, {"max_axis", "max"}, {"min", "min"}, {"min_axis", "min"}, {"prod", "prod"},
    {"broadcast_add", "broadcast_add"}, {"broadcast_plus", "broadcast_add"}, {"broadcast_sub", "broadcast_sub"},
    {"broadcast_minus", "broadcast_sub"}, {"broadcast_mul", "broadcast_mul"}, {"broadcast_div", "broadcast_div"},
    {"broadcast_maximum", "broadcast_maximum"}, {"broadcast_minimum", "broadcast_minimum"},
    {"broadcast_to", "broadcast_to"}, {"broadcast_axis", "broadcast_axis"}, {"broadcast_axes", "broadcast_axis"},
    {"softmax", "softmax"}, {"log_softmax", "log_softmax"}, {"transpose", "transpose"}, {"SwapAxis", "SwapAxis"},
    {"swapaxes", "SwapAxis"}, {"slice", "slice"}, {"crop", "slice"}, {"Pad", "Pad"}, {"pad", "Pad"},
    {"where", "where"}, {"dot", "dot"}, {"batch_dot", "batch_dot"}, {"smooth_l1", "smooth_l1"},
    {"make_loss", "make_loss"}, {"Deconvolution", "Deconvolution"},
    {"UpSampling", "UpSampling"}, {"LRN", "LRN"}, {"L2Normalization", "L2Normalization"},
    {"InstanceNorm", "InstanceNorm"}, {"broadcast_like", "broadcast_like"}, {"Crop", "Crop"},
    {"Convolution_v1", "Convolution"}, {"Pooling_v1", "Pooling"}, {"BatchNorm_v1", "BatchNorm"}, {"RNN", "RNN"},
};

/* Parameters an op needs to be built (a required one), by canonical name. */
static const char *required_of(const char *canonical)
{
    static const char *const req[][2] = {
        {"FullyConnected", "num_hidden=4"}, {"Convolution", "kernel=(3,3) num_filter=4"},
        {"Pooling", "kernel=(2,2)"}, {"Activation", "act_type=relu"}, {"Concat", "num_args=1"},
        {"SliceChannel", "num_outputs=1"}, {"Embedding", "input_dim=5 output_dim=3"}, {"add_n", "num_args=1"},
        {"clip", "a_min=0 a_max=1"}, {"expand_dims", "axis=0"}, {"Cast", "dtype=float32"},
        {"slice_axis", "axis=0 begin=0 end=None"}, {"broadcast_to", "shape=(1,)"},
        {"slice", "begin=(0,) end=(1,)"}, {"Pad", "mode=constant pad_width=(0,0,1,1)"},
        {"Deconvolution", "kernel=(2,2) num_filter=2"},
        {"UpSampling", "scale=2 sample_type=nearest num_args=1"}, {"LRN", "nsize=5"},
        {"Crop", "num_args=1 h_w=(1,1)"}, {"RNN", "mode=lstm num_layers=1 state_size=2"},
    };
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
        if (!strcmp(req[i][0], canonical)) return req[i][1];
    if (strstr(canonical, "_scalar")) return "scalar=2"; /* required in MXNet 1.x */
    return "";
}

static void test_every_mxnet_name_loads_and_saves_canonical(void)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        mx_sym *x = mx_var("x");
        mx_sym *y = mx_op(names[i][0], required_of(names[i][1]), x);
        if (!y) fprintf(stderr, "\n  %s: %s\n", names[i][0], mx_last_error());
        CU_ASSERT_PTR_NOT_NULL(y);
        mx_sym_free(x);
        if (!y) continue;
        char *j = json_of(y);
        char want[96];
        snprintf(want, sizeof want, "\"op\": \"%s\"", names[i][1]);
        if (j && !strstr(j, want)) fprintf(stderr, "\n  %s: JSON lacks %s\n", names[i][0], want);
        CU_ASSERT_PTR_NOT_NULL(j && strstr(j, want));
        /* the same file naming the op by its alias loads, and is written back
         * canonical: byte for byte the file mxrt wrote */
        char *alias = j ? malloc(strlen(j) + 64) : NULL;
        const char *at = alias ? strstr(j, want) : NULL;
        mx_sym *z = NULL;
        if (at) {
            snprintf(alias, strlen(j) + 64, "%.*s\"op\": \"%s\"%s", (int)(at - j), j, names[i][0], at + strlen(want));
            z = mx_sym_from_json(alias, "alias.json");
            if (!z) fprintf(stderr, "\n  %s from JSON: %s\n", names[i][0], mx_last_error());
        }
        CU_ASSERT_PTR_NOT_NULL(z);
        char *k = z ? json_of(z) : NULL;
        CU_ASSERT_PTR_NOT_NULL(k);
        if (k) CU_ASSERT_STRING_EQUAL(k, j);
        free(k);
        free(alias);
        mx_sym_free(z);
        free(j);
        mx_sym_free(y);
    }
    /* symbol arithmetic writes elemwise_* with MXNet's node names */
    mx_sym *a = mx_var("a"), *b = mx_var("b");
    mx_sym *s = mx_sym_arith(a, '+', b);
    const char *outs[2];
    CU_ASSERT_EQUAL_FATAL(mx_list_outputs(s, outs, 2), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(outs[0], "_plus"));
    mx_sym_free(a); mx_sym_free(b); mx_sym_free(s);
}

/* ---- parameters ---- */

/* Each op with every parameter MXNet 1.9 defines for it, in MXNet's own
 * spellings (True/False, None for optional ones, (1, 1) tuples, []). */
static const char *const every_param[][2] = {
    {"FullyConnected", "num_hidden=4 no_bias=False flatten=True"},
    {"Convolution", "kernel=(3, 3) stride=(1, 1) dilate=(1, 1) pad=(1, 1) num_filter=4 num_group=1 "
                    "workspace=1024 no_bias=False cudnn_tune=None cudnn_off=False layout=NCHW"},
    {"Convolution", "kernel=(3,3) stride=[] dilate=[] pad=[] num_filter=4 cudnn_tune=fastest layout=None"},
    {"Pooling", "kernel=(2, 2) pool_type=max global_pool=False cudnn_off=False pooling_convention=valid "
                "stride=(2, 2) pad=(0, 0) p_value=None count_include_pad=None layout=NCHW"},
    {"Pooling", "kernel=(2,2) pool_type=avg count_include_pad=False stride=() pad=()"},
    {"Activation", "act_type=tanh"},
    {"LeakyReLU", "act_type=leaky slope=0.25 lower_bound=0.125 upper_bound=0.334"},
    {"BatchNorm", "eps=0.001 momentum=0.9 fix_gamma=True use_global_stats=False output_mean_var=False axis=1 "
                  "cudnn_off=False min_calib_range=None max_calib_range=None"},
    {"BatchNorm", "min_calib_range=-1.5 max_calib_range=2.5"},
    {"Dropout", "p=0.5 mode=training axes=() cudnn_off=None"},
    {"SoftmaxOutput", "grad_scale=1 ignore_label=-1 multi_output=False use_ignore=False preserve_shape=False "
                      "normalization=null out_grad=False smooth_alpha=0"},
    {"SoftmaxActivation", "mode=instance"},
    {"LinearRegressionOutput", "grad_scale=1"},
    {"LogisticRegressionOutput", "grad_scale=1"},
    {"Reshape", "shape=(-1, 0) reverse=False target_shape=() keep_highest=False"},
    {"Flatten", ""},
    {"Concat", "num_args=1 dim=1"},
    {"SliceChannel", "num_outputs=1 axis=1 squeeze_axis=False"},
    {"Embedding", "input_dim=5 output_dim=3 dtype=float32 sparse_grad=False"},
    {"BlockGrad", ""},
    {"_copy", ""},
    {"add_n", "num_args=1"},
    {"_plus_scalar", "scalar=2 is_int=False"},
    {"_mul_scalar", "scalar=1"},
    {"_rdiv_scalar", "scalar=3.0"},
    {"Embedding", "input_dim=5L output_dim=3"}, /* Python 2 longs, as old MXNet wrote them */
};

static void test_every_mxnet_parameter_is_accepted(void)
{
    for (size_t i = 0; i < sizeof every_param / sizeof every_param[0]; i++) {
        mx_sym *x = mx_var("x");
        mx_sym *y = mx_op(every_param[i][0], every_param[i][1], x);
        if (!y) fprintf(stderr, "\n  %s %s: %s\n", every_param[i][0], every_param[i][1], mx_last_error());
        CU_ASSERT_PTR_NOT_NULL(y);
        /* kept as given, for the file written back */
        char *j = y ? json_of(y) : NULL;
        if (j && strstr(every_param[i][1], "p_value")) CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"p_value\": \"None\""));
        free(j);
        mx_sym_free(y);
        mx_sym_free(x);
    }
    /* parameters that change nothing here leave the result alone: cudnn_tune, workspace */
    mx_sym *x = mx_var("x");
    mx_sym *a = mx_op("Convolution", "name=c kernel=(3,3) num_filter=2", x);
    mx_sym *b = mx_op("Convolution", "name=c kernel=(3,3) num_filter=2 cudnn_tune=off workspace=8", x);
    const char *nm[] = {"x"};
    mx_shape s = mx_shape_make(4, 1, 1, 5, 5);
    mx_exec *ea = mx_simple_bind(a, mx_cpu(), 1, nm, &s, NULL), *eb = mx_simple_bind(b, mx_cpu(), 1, nm, &s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ea);
    CU_ASSERT_PTR_NOT_NULL_FATAL(eb);
    for (int k = 0; k < mx_exec_num_args(ea); k++) {
        mx_test_fill(mx_exec_arg(ea, k), -1, 1, 7u + (unsigned)k);
        mx_nd_copy(mx_exec_arg(eb, k), mx_exec_arg(ea, k));
    }
    mx_exec_forward(ea, 0);
    mx_exec_forward(eb, 0);
    CU_ASSERT_EQUAL(memcmp(mx_nd_data(mx_exec_output(ea, 0)), mx_nd_data(mx_exec_output(eb, 0)),
                           mx_nd_size(mx_exec_output(ea, 0)) * sizeof(float)), 0);
    mx_exec_free(ea); mx_exec_free(eb);
    mx_sym_free(a); mx_sym_free(b); mx_sym_free(x);
}

/* Values MXNet defines that mxrt does not run: MX_ENOTSUP at creation
 * (parameter parsing) or at shape inference, naming what. */
static void test_unsupported_values_are_not_supported(void)
{
    static const struct {
        const char *op, *params, *needle;
        int at_infer;
    } t[] = {
        {"Pooling", "kernel=(2,2) pool_type=lp p_value=2", "parameter 'pool_type': value 'lp' is not supported", 0},
        {"Pooling", "kernel=(2,2) pooling_convention=same", "value 'same' is not supported", 0},
        {"Pooling", "kernel=(2,2) layout=NHWC", "parameter 'layout': value 'NHWC' is not supported", 0},
        {"Embedding", "input_dim=5 output_dim=3 dtype=int8", "parameter 'dtype': value 'int8' is not supported", 0},
        {"LeakyReLU", "act_type=selu", "value 'selu' is not supported", 0},
        {"SoftmaxOutput", "out_grad=True", "parameter 'out_grad': value 'True' is not supported", 0},
        {"Convolution", "kernel=(3,3) num_filter=2 layout=NHWC", "parameter 'layout': NHWC is not supported", 1},
        {"Convolution", "kernel=(3,3,3) num_filter=2", "3-D convolution is not supported", 1},
        {"Dropout", "axes=(1,)", "parameter 'axes': (1): variational dropout", 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        mx_clear_error();
        mx_sym *x = mx_var("x");
        char p[256];
        snprintf(p, sizeof p, "name=n%zu %s", i, t[i].params);
        mx_sym *y = mx_op(t[i].op, p, x);
        if (!t[i].at_infer) {
            CU_ASSERT_PTR_NULL(y);
        } else {
            CU_ASSERT_PTR_NOT_NULL_FATAL(y);
            const char *nm[] = {"x"};
            mx_shape s = mx_shape_make(4, 1, 2, 6, 6), args[4], outs[1];
            CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 1, nm, &s, args, outs, NULL), MX_OK);
            snprintf(p, sizeof p, "'n%zu'", i);
            ASSERT_ERROR_HAS(p); /* the node */
        }
        if (mx_last_status() != MX_ENOTSUP) fprintf(stderr, "\n  %s %s: %s\n", t[i].op, t[i].params, mx_last_error());
        CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
        ASSERT_ERROR_HAS(t[i].needle);
        ASSERT_ERROR_HAS(t[i].op);
        mx_sym_free(y);
        mx_sym_free(x);
    }
    /* In a file: the file, the node and the parameter are named; not a corrupt file. */
    const char *text = "{\"nodes\": [{\"op\": \"null\", \"name\": \"data\", \"inputs\": []},"
                       " {\"op\": \"Pooling\", \"name\": \"pool0\", \"attrs\": {\"kernel\": \"(2, 2)\","
                       " \"layout\": \"NHWC\"}, \"inputs\": [[0, 0, 0]]}], \"arg_nodes\": [0], \"heads\": [[1, 0, 0]]}";
    CU_ASSERT_PTR_NULL(mx_sym_from_json(text, "nhwc-symbol.json"));
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("nhwc-symbol.json: node 1 'pool0' (Pooling, line 1): Pooling: parameter 'layout': value 'NHWC'");
    /* an op mxrt lacks: not supported, naming the op and the node */
    text = "{\"nodes\": [{\"op\": \"null\", \"name\": \"data\", \"inputs\": []},"
           " {\"op\": \"WarpCTC\", \"name\": \"ctc\", \"attrs\": {\"label_length\": \"4\"}, \"inputs\": [[0, 0, 0]]}],"
           " \"arg_nodes\": [0], \"heads\": [[1, 0, 0]]}";
    CU_ASSERT_PTR_NULL(mx_sym_from_json(text, "ctc-symbol.json"));
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    ASSERT_ERROR_HAS("node 1 'ctc' (WarpCTC, line 1): operator 'WarpCTC' is not supported by mxrt");
    /* a key MXNet does not define either is a bad file */
    text = "{\"nodes\": [{\"op\": \"null\", \"name\": \"data\", \"inputs\": []},"
           " {\"op\": \"Activation\", \"name\": \"a\", \"attrs\": {\"act_type\": \"relu\", \"colour\": \"red\"},"
           " \"inputs\": [[0, 0, 0]]}], \"arg_nodes\": [0], \"heads\": [[1, 0, 0]]}";
    CU_ASSERT_PTR_NULL(mx_sym_from_json(text, "bad-symbol.json"));
    CU_ASSERT_EQUAL(mx_last_status(), MX_EFORMAT);
    ASSERT_ERROR_HAS("unknown parameter 'colour'");
}

/* ---- JSON versions ---- */

/* An MXNet 0.8 file as its StaticGraph wrote it: "param" with every
 * parameter, user attributes under "attr", 2-element inputs, no aux
 * variables, legacy lr_mult / wd_mult / ctx_group keys. */
static const char v08[] =
    "{\"nodes\": ["
    " {\"op\": \"null\", \"param\": {}, \"name\": \"data\", \"inputs\": [], \"backward_source_id\": -1,"
    "  \"attr\": {\"ctx_group\": \"stage1\", \"lr_mult\": \"0.2\"}},"
    " {\"op\": \"null\", \"param\": {}, \"name\": \"fc1_weight\", \"inputs\": [], \"backward_source_id\": -1},"
    " {\"op\": \"null\", \"param\": {}, \"name\": \"fc1_bias\", \"inputs\": [], \"backward_source_id\": -1},"
    " {\"op\": \"FullyConnected\", \"param\": {\"no_bias\": \"False\", \"num_hidden\": \"8\"}, \"name\": \"fc1\","
    "  \"inputs\": [[0, 0], [1, 0], [2, 0]], \"backward_source_id\": -1,"
    "  \"attr\": {\"ctx_group\": \"stage1\", \"wd_mult\": \"0.3\", \"weight_lr_mult\": \"1.2\"}},"
    " {\"op\": \"null\", \"param\": {}, \"name\": \"bn_gamma\", \"inputs\": [], \"backward_source_id\": -1},"
    " {\"op\": \"null\", \"param\": {}, \"name\": \"bn_beta\", \"inputs\": [], \"backward_source_id\": -1},"
    " {\"op\": \"BatchNorm\", \"param\": {\"eps\": \"0.001\", \"fix_gamma\": \"True\", \"momentum\": \"0.9\","
    "  \"use_global_stats\": \"False\"}, \"name\": \"bn\", \"inputs\": [[3, 0], [4, 0], [5, 0]],"
    "  \"backward_source_id\": -1, \"attr\": {\"ctx_group\": \"stage2\"}},"
    " {\"op\": \"null\", \"param\": {}, \"name\": \"softmax_label\", \"inputs\": [], \"backward_source_id\": -1},"
    " {\"op\": \"Softmax\", \"param\": {\"grad_scale\": \"1\", \"ignore_label\": \"-1\", \"multi_output\": \"False\","
    "  \"normalization\": \"null\", \"out_grad\": \"False\", \"preserve_shape\": \"False\", \"use_ignore\": \"False\"},"
    "  \"name\": \"softmax\", \"inputs\": [[6, 0], [7, 0]], \"backward_source_id\": -1}],"
    " \"arg_nodes\": [0, 1, 2, 4, 5, 7], \"heads\": [[8, 0]]}";

/* The attribute key of the node called name in JSON text, or NULL. */
static const char *node_has(const char *j, const char *name, const char *attr)
{
    char key[128];
    snprintf(key, sizeof key, "\"name\": \"%s\"", name);
    const char *at = strstr(j, key);
    if (!at) return NULL;
    const char *end = strstr(at, "\"inputs\"");
    const char *hit = strstr(at, attr);
    return hit && end && hit < end ? hit : NULL;
}

static void test_json_before_09_is_upgraded(void)
{
    mx_sym *s = mx_sym_from_json(v08, "v08-symbol.json");
    if (!s) fprintf(stderr, "\n  %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    /* the aux variables MXNet 0.8 did not store, named <node>_<aux> */
    const char *aux[4];
    CU_ASSERT_EQUAL_FATAL(mx_list_auxiliary_states(s, aux, 4), 2);
    CU_ASSERT_STRING_EQUAL(aux[0], "bn_moving_mean");
    CU_ASSERT_STRING_EQUAL(aux[1], "bn_moving_var");
    const char *nm[] = {"data"};
    mx_shape in = mx_shape_make(2, 4, 6), as[8], os[1], xs[2];
    CU_ASSERT_EQUAL_FATAL(mx_infer_shape(s, 1, nm, &in, as, os, xs), MX_OK);
    mx_shape c8 = mx_shape_make(1, 8);
    CU_ASSERT(mx_shape_equal(&xs[0], &c8));
    char *j = json_of(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    /* legacy keys as MXNet's loader turns them */
    CU_ASSERT_PTR_NOT_NULL(node_has(j, "fc1", "\"__wd_mult__\": \"0.3\""));
    CU_ASSERT_PTR_NOT_NULL(node_has(j, "fc1", "\"__ctx_group__\": \"stage1\""));
    CU_ASSERT_PTR_NOT_NULL(node_has(j, "fc1_weight", "\"__lr_mult__\": \"1.2\""));
    CU_ASSERT_PTR_NULL(strstr(j, "weight_lr_mult"));
    CU_ASSERT_PTR_NOT_NULL(node_has(j, "data", "\"lr_mult\": \"0.2\"")); /* variables keep theirs */
    /* the added aux variables carry the op's attributes, as MXNet copies them */
    CU_ASSERT_PTR_NOT_NULL(node_has(j, "bn_moving_var", "\"__ctx_group__\": \"stage2\""));
    CU_ASSERT_PTR_NOT_NULL(node_has(j, "bn_moving_mean", "\"eps\": \"0.001\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"op\": \"SoftmaxOutput\""));
    /* save → load → save is a fixed point */
    mx_sym *t = mx_sym_from_json(j, "again.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    char *k = json_of(t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_STRING_EQUAL(j, k);
    free(j); free(k);
    mx_sym_free(s); mx_sym_free(t);
    /* a 0.9+ file missing an aux input is wrong: MXNet upgrades 0.8 files only */
    char late[sizeof v08 + 64];
    snprintf(late, sizeof late, "%.*s, \"attrs\": {\"mxnet_version\": [\"int\", 10600]}}", (int)sizeof v08 - 2, v08);
    CU_ASSERT_PTR_NULL(mx_sym_from_json(late, "late.json"));
    ASSERT_ERROR_HAS("3 inputs, the op takes 5");
}

/* Hidden attributes of op nodes and of aux variables survive a round trip. */
static void test_json_keeps_hidden_attributes(void)
{
    const char *text =
        "{\"nodes\": [{\"op\": \"null\", \"name\": \"data\", \"attrs\": {\"__shape__\": \"(0, 3)\"}, \"inputs\": []},"
        " {\"op\": \"null\", \"name\": \"g\", \"attrs\": {\"__init__\": \"ones\", \"__lr_mult__\": \"2\"}, \"inputs\": []},"
        " {\"op\": \"null\", \"name\": \"b\", \"inputs\": []},"
        " {\"op\": \"null\", \"name\": \"rm\", \"attrs\": {\"__init__\": \"zeros\", \"__dtype__\": \"0\"}, \"inputs\": []},"
        " {\"op\": \"null\", \"name\": \"rv\", \"attrs\": {\"__init__\": \"ones\"}, \"inputs\": []},"
        " {\"op\": \"BatchNorm\", \"name\": \"bn\", \"attrs\": {\"__profiler_scope__\": \"x:\", \"fix_gamma\": \"False\"},"
        "  \"inputs\": [[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 1], [4, 0, 1]]}],"
        " \"arg_nodes\": [0, 1, 2, 3, 4], \"node_row_ptr\": [0, 1, 2, 3, 4, 5, 8], \"heads\": [[5, 0, 0]],"
        " \"attrs\": {\"mxnet_version\": [\"int\", 10901]}}";
    mx_sym *s = mx_sym_from_json(text, "hidden.json");
    if (!s) fprintf(stderr, "\n  %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    char *j = json_of(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_PTR_NOT_NULL(node_has(j, "bn", "\"__profiler_scope__\": \"x:\""));
    CU_ASSERT_PTR_NOT_NULL(node_has(j, "rm", "\"__init__\": \"zeros\""));
    CU_ASSERT_PTR_NOT_NULL(node_has(j, "rm", "\"__dtype__\": \"0\""));
    CU_ASSERT_PTR_NOT_NULL(node_has(j, "rv", "\"__init__\": \"ones\""));
    CU_ASSERT_PTR_NOT_NULL(node_has(j, "g", "\"__lr_mult__\": \"2\""));
    CU_ASSERT_PTR_NOT_NULL(node_has(j, "data", "\"__shape__\": \"(0, 3)\""));
    mx_sym *t = mx_sym_from_json(j, "again.json");
    char *k = t ? json_of(t) : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_STRING_EQUAL(j, k);
    free(j); free(k);
    mx_sym_free(s); mx_sym_free(t);
}

/* A graph with one node of every op written, read back and written again: identical. */
static void test_json_fixed_point_over_every_op(void)
{
    mx_sym *x = mx_var("x"), *y = mx_var("y");
    mx_sym *v[24];
    int n = 0;
    v[n++] = mx_op("FullyConnected", "num_hidden=4 flatten=False", x);
    v[n++] = mx_op("Activation", "act_type=softsign", v[0]);
    v[n++] = mx_op("LeakyReLU", "act_type=elu slope=0.3", v[1]);
    v[n++] = mx_op("Dropout", "p=0.1 mode=always", v[2]);
    v[n++] = mx_op("_copy", "", v[3]);
    v[n++] = mx_op("Reshape", "shape=(0, 0, 2, 2)", v[4]);
    v[n++] = mx_op("Convolution", "kernel=(1,1) num_filter=2 layout=NCHW cudnn_tune=off", v[5]);
    v[n++] = mx_op("BatchNorm", "fix_gamma=False max_calib_range=None", v[6]);
    v[n++] = mx_op("Pooling", "kernel=(2,2) pool_type=sum layout=NCHW count_include_pad=None", v[7]);
    v[n++] = mx_op("Flatten", "", v[8]);
    v[n++] = mx_op("SliceChannel", "num_outputs=1", v[9]);
    v[n++] = mx_op("Concat", "num_args=2 dim=0", v[10], v[9]);
    v[n++] = mx_op("add_n", "num_args=3", v[11], v[11], v[11]);
    v[n++] = mx_sym_arith(v[12], '*', v[12]);
    v[n++] = mx_sym_arith_scalar(v[13], '-', 0.5f);
    v[n++] = mx_sym_rarith_scalar(2.0f, '/', v[14]);
    v[n++] = mx_op("BlockGrad", "", v[15]);
    v[n++] = mx_op("SoftmaxActivation", "mode=channel", v[16]);
    v[n++] = mx_op("SoftmaxOutput", "smooth_alpha=0.1 normalization=batch", v[17]);
    v[n++] = mx_op("Embedding", "input_dim=7 output_dim=2 sparse_grad=True", y);
    v[n++] = mx_op("LinearRegressionOutput", "grad_scale=0.5", v[19]);
    for (int i = 0; i < n; i++) {
        if (!v[i]) fprintf(stderr, "\n  node %d: %s\n", i, mx_last_error());
        CU_ASSERT_PTR_NOT_NULL_FATAL(v[i]);
    }
    mx_sym *g = mx_group(2, (mx_sym *[]){v[18], v[20]});
    char *j = json_of(g);
    mx_sym *back = j ? mx_sym_from_json(j, "every-op.json") : NULL;
    if (!back) fprintf(stderr, "\n  %s\n", mx_last_error());
    char *k = back ? json_of(back) : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_STRING_EQUAL(j, k);
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"op\": \"elemwise_mul\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"op\": \"_minus_scalar\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"op\": \"add_n\""));
    free(j); free(k);
    mx_sym_free(back); mx_sym_free(g);
    for (int i = 0; i < n; i++) mx_sym_free(v[i]);
    mx_sym_free(x); mx_sym_free(y);
}

/* ---- no fixed input limits ---- */

/* Concat of 40 inputs and add_n of 12: forward values and gradients. */
static void test_concat_and_add_n_take_any_number_of_inputs(void)
{
    enum { NC = 40, NA = 12 };
    mx_sym *in[NC];
    char nm[NC][16];
    const char *names[NC];
    mx_shape shapes[NC];
    for (int i = 0; i < NC; i++) {
        snprintf(nm[i], sizeof nm[i], "x%d", i);
        names[i] = nm[i];
        in[i] = mx_var(nm[i]);
        shapes[i] = mx_shape_make(2, 2, 1 + i % 3);
    }
    mx_sym *cat = mx_op_args("Concat", "num_args=40 dim=1", NC, NULL, in);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
    mx_grad_req reqs[NC];
    for (int i = 0; i < NC; i++) reqs[i] = MX_GRAD_WRITE;
    mx_exec *e = mx_simple_bind(cat, mx_cpu(), NC, names, shapes, reqs);
    if (!e) fprintf(stderr, "\n  %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    for (int i = 0; i < NC; i++) {
        mx_nd *a = mx_exec_arg(e, mx_exec_arg_index(e, nm[i]));
        float *d = mx_nd_data(a);
        for (size_t k = 0; k < mx_nd_size(a); k++) d[k] = (float)(100 * i + (int)k);
    }
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    const mx_nd *y = mx_exec_output(e, 0);
    size_t width = mx_nd_size(y) / 2;
    CU_ASSERT_EQUAL(width, (size_t)(14 * 1 + 13 * 2 + 13 * 3)); /* widths 1, 2, 3, 1, 2, 3, … */
    /* row r of y is every input's row r in order */
    int bad = 0;
    for (int r = 0; r < 2; r++) {
        size_t at = 0;
        for (int i = 0; i < NC; i++) {
            int w = 1 + i % 3;
            for (int c = 0; c < w; c++) bad += mx_nd_data(y)[r * width + at + (size_t)c] != (float)(100 * i + r * w + c);
            at += (size_t)w;
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* backward: each input's gradient is its slice of the head gradient */
    mx_nd *head = mx_nd_empty(mx_nd_shape(y));
    for (size_t k = 0; k < mx_nd_size(head); k++) mx_nd_data(head)[k] = (float)k;
    CU_ASSERT_EQUAL(mx_exec_backward(e, (mx_nd *[]){head}), MX_OK);
    mx_nd *g39 = mx_exec_grad(e, mx_exec_arg_index(e, "x39"));
    CU_ASSERT_EQUAL(mx_nd_data(g39)[0], (float)(width - 1)); /* x39 is one wide, at the end of row 0 */
    mx_nd_free(head);
    mx_exec_free(e);
    mx_sym_free(cat);

    mx_sym *sum = mx_op_args("ElementWiseSum", "num_args=12", NA, NULL, in);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
    for (int i = 0; i < NA; i++) shapes[i] = mx_shape_make(1, 3);
    e = mx_simple_bind(sum, mx_cpu(), NA, names, shapes, reqs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    for (int i = 0; i < NA; i++) {
        float *d = mx_nd_data(mx_exec_arg(e, mx_exec_arg_index(e, nm[i])));
        for (int k = 0; k < 3; k++) d[k] = (float)(i + 10 * k);
    }
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    const float *o = mx_nd_data(mx_exec_output(e, 0));
    CU_ASSERT(o[0] == 66.0f && o[1] == 186.0f && o[2] == 306.0f); /* Σ i + 12·10k */
    head = mx_nd_empty(mx_shape_make(1, 3));
    float hv[] = {1.5f, -2.0f, 4.0f};
    mx_nd_copy_from(head, hv, 3);
    CU_ASSERT_EQUAL(mx_exec_backward(e, (mx_nd *[]){head}), MX_OK);
    for (int i = 0; i < NA; i++)
        CU_ASSERT_EQUAL(memcmp(mx_nd_data(mx_exec_grad(e, mx_exec_arg_index(e, nm[i]))), hv, sizeof hv), 0);
    mx_nd_free(head);
    mx_exec_free(e);
    mx_sym_free(sum);
    for (int i = 0; i < NC; i++) mx_sym_free(in[i]);
}

/* ---- SoftmaxOutput's label smoothing ---- */

static void test_softmax_smooth_alpha_gradient(void)
{
    mx_sym *x = mx_var("data");
    mx_sym *y = mx_op("SoftmaxOutput", "name=sm smooth_alpha=0.2", x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *nm[] = {"data"};
    mx_shape s = mx_shape_make(2, 2, 5);
    mx_grad_req reqs[] = {MX_GRAD_WRITE, MX_GRAD_NULL};
    mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, nm, &s, reqs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    float *d = mx_nd_data(mx_exec_arg(e, 0)), *lab = mx_nd_data(mx_exec_arg(e, 1));
    for (int i = 0; i < 10; i++) d[i] = 0.1f * (float)(i * i % 7) - 0.3f;
    lab[0] = 3;
    lab[1] = 0;
    mx_exec_forward(e, 1);
    mx_exec_backward(e, NULL);
    const float *p = mx_nd_data(mx_exec_output(e, 0)), *g = mx_nd_data(mx_exec_grad(e, 0));
    /* MXNet: the gold label's target is 1 − α, the other four share α */
    double worst = 0;
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 5; c++) {
            double target = c == (int)lab[r] ? 0.8 : 0.2 / 4, want = p[r * 5 + c] - target;
            double err = fabs(g[r * 5 + c] - want);
            if (err > worst) worst = err;
        }
    CU_ASSERT(worst < 1e-6);
    mx_exec_free(e);
    mx_sym_free(y);
    mx_sym_free(x);
}

/* ---- files real MXNet wrote (../shared/data/realmx, or MX_REALMX_DIR) ---- */

static const char *realmx_dir(void)
{
    const char *d = getenv("MX_REALMX_DIR");
    return d && *d ? d : "../shared/data/realmx";
}

static void test_real_mxnet_files_load(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/legacy_ndarray.v0", realmx_dir());
    FILE *f = fopen(path, "rb");
    if (!f) {
        mx_test_skip("no %s (set MX_REALMX_DIR)", path);
        return;
    }
    fclose(f);
    /* MXNet's legacy NDArray format: six unnamed mx.nd.arange(128) */
    mx_nd_list l = {0};
    CU_ASSERT_EQUAL_FATAL(mx_nd_load(path, &l), MX_OK);
    CU_ASSERT_EQUAL(l.n, 6);
    CU_ASSERT_PTR_NULL(l.names);
    int bad = 0;
    for (int i = 0; i < l.n; i++) {
        bad += mx_nd_size(l.arrays[i]) != 128;
        for (size_t k = 0; k < mx_nd_size(l.arrays[i]) && k < 128; k++) bad += mx_nd_data(l.arrays[i])[k] != (float)k;
    }
    CU_ASSERT_EQUAL(bad, 0);
    mx_nd_list_free(&l);
    /* every checkpoint's parameters load, and every symbol file but the
     * one using ops mxrt lacks */
    static const struct {
        const char *name;
        int epoch, arrays;
    } ck[] = {{"lenet", 1, 8}, {"mnist", 35, 8}, {"fashion-mnist", 39, 6}, {"mtcnn-det1", 1, 13},
              {"mtcnn-det2", 1, 16}, {"mtcnn-det3", 1, 21}, {"ocr", 80, 10}}; /* counts: tests/mxnet_ref.py's reader */
    for (size_t i = 0; i < sizeof ck / sizeof ck[0]; i++) {
        snprintf(path, sizeof path, "%s/%s-%04d.params", realmx_dir(), ck[i].name, ck[i].epoch);
        mx_nd_list p = {0};
        mx_status st = mx_nd_load(path, &p);
        if (st != MX_OK) fprintf(stderr, "\n  %s\n", mx_last_error());
        CU_ASSERT_EQUAL(st, MX_OK);
        if (p.n != ck[i].arrays) fprintf(stderr, "\n  %s: %d arrays\n", path, p.n);
        CU_ASSERT_EQUAL(p.n, ck[i].arrays);
        for (int k = 0; k < p.n; k++) CU_ASSERT(p.names && (!strncmp(p.names[k], "arg:", 4) || !strncmp(p.names[k], "aux:", 4)));
        snprintf(path, sizeof path, "%s/%s-symbol.json", realmx_dir(), ck[i].name);
        mx_sym *s = mx_sym_load_json(path);
        /* every argument of the symbol but its data and labels has its array */
        const char *const *args;
        int missing = 0, na = s ? mx_list_arguments(s, &args) : 0;
        for (int a = 0; a < na; a++) {
            char key[300];
            snprintf(key, sizeof key, "arg:%s", args[a]);
            size_t len = strlen(args[a]);
            int input = !strcmp(args[a], "data") || (len > 6 && !strcmp(args[a] + len - 6, "_label"));
            if (!input && mx_nd_list_find(&p, key) < 0 && missing++ < 3) fprintf(stderr, "\n  no %s\n", key);
        }
        CU_ASSERT_EQUAL(missing, 0);
        mx_nd_list_free(&p);
        if (!strcmp(ck[i].name, "ocr")) {
            CU_ASSERT_PTR_NULL(s);
            CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
            ASSERT_ERROR_HAS("node 800 'cast0' (Cast, line 4526): Cast: parameter 'dtype': value 'int32' is not supported");
        } else {
            if (!s) fprintf(stderr, "\n  %s\n", mx_last_error());
            CU_ASSERT_PTR_NOT_NULL(s);
        }
        mx_sym_free(s);
    }
    snprintf(path, sizeof path, "%s/save_000800.json", realmx_dir());
    mx_sym *s = mx_sym_load_json(path);
    CU_ASSERT_PTR_NOT_NULL(s);
    const char *aux[4];
    CU_ASSERT(s && mx_list_auxiliary_states(s, aux, 4) == 2 && !strcmp(aux[1], "batchnorm0_moving_var"));
    mx_sym_free(s);
}

CU_ErrorCode mx_test_register_mxcompat(void)
{
    CU_pSuite s = CU_add_suite("mxcompat", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "every MXNet 1.9 name of mxrt's ops loads; JSON is written with the canonical name",
                test_every_mxnet_name_loads_and_saves_canonical);
    CU_add_test(s, "every MXNet 1.9 parameter is accepted; cudnn_tune and workspace change nothing",
                test_every_mxnet_parameter_is_accepted);
    CU_add_test(s, "values mxrt cannot run are MX_ENOTSUP naming op, node, parameter and value",
                test_unsupported_values_are_not_supported);
    CU_add_test(s, "JSON before 0.9: aux variables added, legacy keys made hidden, fixed point",
                test_json_before_09_is_upgraded);
    CU_add_test(s, "hidden attributes of ops and aux variables survive save and load",
                test_json_keeps_hidden_attributes);
    CU_add_test(s, "save, load, save is a fixed point over every op", test_json_fixed_point_over_every_op);
    CU_add_test(s, "Concat of 40 and add_n of 12 inputs: values and gradients",
                test_concat_and_add_n_take_any_number_of_inputs);
    CU_add_test(s, "SoftmaxOutput smooth_alpha: MXNet's smoothed targets", test_softmax_smooth_alpha_gradient);
    CU_add_test(s, "real MXNet files: legacy NDArrays bit-exact, every .params, every symbol (or not supported)",
                test_real_mxnet_files_load);
    return CUE_SUCCESS;
}
