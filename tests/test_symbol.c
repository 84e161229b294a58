/* test_symbol.c — building graphs: names, listing, inference, errors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

static int find(const char *const *names, int n, const char *want)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], want)) return i;
    return -1;
}

static void test_symbol_mlp_lists_arguments_in_mxnet_order(void)
{
    mx_sym *net = mx_test_mlp();
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    const char *const *args;
    int n = mx_list_arguments(net, &args);
    const char *want[] = {"data", "fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias",
                          "fc3_weight", "fc3_bias", "softmax_label"};
    CU_ASSERT_EQUAL_FATAL(n, 8);
    for (int i = 0; i < 8; i++) CU_ASSERT_STRING_EQUAL(args[i], want[i]);
    const char *outs[4];
    CU_ASSERT_EQUAL(mx_list_outputs(net, outs, 4), 1);
    CU_ASSERT_STRING_EQUAL(outs[0], "softmax_output");
    CU_ASSERT_EQUAL(mx_list_auxiliary_states(net, outs, 4), 0);
    mx_sym_free(net);
}

static void test_symbol_unnamed_ops_get_counted_lowercase_names(void)
{
    mx_sym *x = mx_var("x");
    mx_sym *a = mx_op("FullyConnected", "num_hidden=3", x);
    mx_sym *b = mx_op("FullyConnected", "num_hidden=3", a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    int ia = -1, ib = -1;
    CU_ASSERT_EQUAL(sscanf(mx_sym_name(a), "fullyconnected%d", &ia), 1);
    CU_ASSERT_EQUAL(sscanf(mx_sym_name(b), "fullyconnected%d", &ib), 1);
    CU_ASSERT_EQUAL(ib, ia + 1);
    /* missing arguments become <node>_<argument> variables */
    const char *const *args;
    int n = mx_list_arguments(b, &args);
    char want[64];
    snprintf(want, sizeof want, "%s_weight", mx_sym_name(b));
    CU_ASSERT(find(args, n, want) >= 0);
    mx_sym_free(x); mx_sym_free(a); mx_sym_free(b);
}

static void test_symbol_infers_mlp_shapes_from_data(void)
{
    mx_sym *net = mx_test_mlp();
    const char *names[] = {"data"};
    mx_shape shapes[] = {mx_shape_make(2, 100, 784)};
    mx_shape args[8], outs[1];
    CU_ASSERT_EQUAL_FATAL(mx_infer_shape(net, 1, names, shapes, args, outs, NULL), MX_OK);
    mx_shape w1 = mx_shape_make(2, 128, 784), b2 = mx_shape_make(1, 64), w3 = mx_shape_make(2, 10, 64);
    mx_shape lab = mx_shape_make(1, 100), out = mx_shape_make(2, 100, 10);
    CU_ASSERT(mx_shape_equal(&args[1], &w1));
    CU_ASSERT(mx_shape_equal(&args[4], &b2));
    CU_ASSERT(mx_shape_equal(&args[5], &w3));
    CU_ASSERT(mx_shape_equal(&args[7], &lab));
    CU_ASSERT(mx_shape_equal(&outs[0], &out));
    mx_sym_free(net);
}

static void test_symbol_flatten_false_keeps_leading_axes(void)
{
    mx_sym *x = mx_var("x");
    mx_sym *fc = mx_op("FullyConnected", "name=f num_hidden=5 flatten=false no_bias=true", x);
    const char *names[] = {"x"};
    mx_shape shapes[] = {mx_shape_make(3, 2, 3, 4)};
    mx_shape args[2], outs[1];
    CU_ASSERT_EQUAL_FATAL(mx_infer_shape(fc, 1, names, shapes, args, outs, NULL), MX_OK);
    mx_shape w = mx_shape_make(2, 5, 4), y = mx_shape_make(3, 2, 3, 5);
    CU_ASSERT(mx_shape_equal(&args[1], &w));
    CU_ASSERT(mx_shape_equal(&outs[0], &y));
    const char *const *an;
    CU_ASSERT_EQUAL(mx_list_arguments(fc, &an), 2); /* no bias */
    mx_sym_free(x); mx_sym_free(fc);
}

static void test_symbol_shape_mismatch_names_node_and_argument(void)
{
    mx_sym *net = mx_test_mlp();
    const char *names[] = {"data", "fc2_weight"};
    mx_shape shapes[] = {mx_shape_make(2, 100, 784), mx_shape_make(2, 64, 127)};
    mx_shape args[8], outs[1];
    CU_ASSERT_EQUAL(mx_infer_shape(net, 2, names, shapes, args, outs, NULL), MX_EINVAL);
    ASSERT_ERROR_HAS("fc2");
    ASSERT_ERROR_HAS("weight");
    ASSERT_ERROR_HAS("(64,127)");
    ASSERT_ERROR_HAS("(64,128)");
    const char *bad[] = {"dta"};
    CU_ASSERT_EQUAL(mx_infer_shape(net, 1, bad, shapes, args, outs, NULL), MX_EINVAL);
    ASSERT_ERROR_HAS("dta");
    CU_ASSERT_EQUAL(mx_infer_shape(net, 0, NULL, NULL, args, outs, NULL), MX_EINVAL);
    ASSERT_ERROR_HAS("data");
    mx_sym_free(net);
}

/* A variable's "__shape__" attribute (MXNet's Variable(shape=...), and
 * what the ONNX importer sets on its parameters) is where inference starts
 * when no shape is given: a bias read only by a broadcast has no other
 * way to a shape. A given shape wins; one with a 0 (unknown) dimension is
 * not a shape. */
static void test_symbol_variable_shape_attribute_seeds_inference(void)
{
    mx_sym *x = mx_var("data"), *b = mx_var("bias");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    mx_sym *y = mx_op("broadcast_add", "name=add", x, b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *names[] = {"data", "bias"};
    mx_shape shapes[] = {mx_shape_make(3, 8, 2, 65), mx_shape_make(3, 1, 2, 65)}, args[2], outs[1];
    CU_ASSERT_EQUAL(mx_infer_shape(y, 1, names, shapes, args, outs, NULL), MX_EINVAL);
    ASSERT_ERROR_HAS("'bias'");
    CU_ASSERT_EQUAL_FATAL(mx_sym_set_attr(b, "__shape__", "(1, 1, 65)"), MX_OK);
    CU_ASSERT_EQUAL_FATAL(mx_infer_shape(y, 1, names, shapes, args, outs, NULL), MX_OK);
    CU_ASSERT_EQUAL(args[1].ndim, 3);
    CU_ASSERT_EQUAL(args[1].dims[2], 65);
    CU_ASSERT_EQUAL(outs[0].dims[0], 8);
    CU_ASSERT_EQUAL(outs[0].dims[1], 2);
    CU_ASSERT_EQUAL(mx_infer_shape(y, 2, names, shapes, args, outs, NULL), MX_OK); /* given: (1,2,65) */
    CU_ASSERT_EQUAL(args[1].dims[1], 2);
    CU_ASSERT_EQUAL(mx_sym_set_attr(b, "__shape__", "(0, 1, 65)"), MX_OK);
    CU_ASSERT_EQUAL(mx_infer_shape(y, 1, names, shapes, args, outs, NULL), MX_EINVAL);
    mx_sym_free(y);
    mx_sym_free(b);
    mx_sym_free(x);
}

/* An inferred shape no memory could hold (the opparams fuzzer's find: a
 * batch of 2^31-1 times 1.8e9 hidden units) is an error naming the op,
 * not a shape that later sizes an allocation. */
static void test_symbol_inferred_shape_too_large_is_an_error(void)
{
    mx_sym *x = mx_var("data");
    mx_sym *fc = mx_op("FullyConnected", "name=big num_hidden=1815321791", x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fc);
    const char *names[] = {"data"};
    mx_shape shapes[] = {mx_shape_make(2, 2147483647, 1)}, args[4], outs[1];
    CU_ASSERT_EQUAL(mx_infer_shape(fc, 1, names, shapes, args, outs, NULL), MX_EINVAL);
    ASSERT_ERROR_HAS("'big'");
    ASSERT_ERROR_HAS("output 0");
    ASSERT_ERROR_HAS("more floats than memory can address");
    if (sizeof(size_t) == 8) { /* the same op at batch 4 (29 GB of output) is fine on 64-bit */
        shapes[0] = mx_shape_make(2, 4, 1);
        CU_ASSERT_EQUAL(mx_infer_shape(fc, 1, names, shapes, args, outs, NULL), MX_OK);
    }
    mx_sym_free(fc);
    mx_sym_free(x);
}

static void test_symbol_rejects_unknown_op_key_and_bad_values(void)
{
    mx_sym *x = mx_var("x");
    CU_ASSERT_PTR_NULL(mx_op("FullyConected", "num_hidden=3", x));
    ASSERT_ERROR_HAS("FullyConected");
    CU_ASSERT_PTR_NULL(mx_op("FullyConnected", "num_hiden=3", x));
    ASSERT_ERROR_HAS("num_hiden");
    ASSERT_ERROR_HAS("FullyConnected");
    CU_ASSERT_PTR_NULL(mx_op("FullyConnected", "num_hidden=abc", x));
    ASSERT_ERROR_HAS("num_hidden");
    ASSERT_ERROR_HAS("abc");
    CU_ASSERT_PTR_NULL(mx_op("FullyConnected", "num_hidden=0", x));
    ASSERT_ERROR_HAS("num_hidden");
    CU_ASSERT_PTR_NULL(mx_op("FullyConnected", "name=f", x));
    ASSERT_ERROR_HAS("required parameter 'num_hidden'");
    CU_ASSERT_PTR_NULL(mx_op("Activation", "act_type=swish", x));
    ASSERT_ERROR_HAS("swish");
    ASSERT_ERROR_HAS("relu");
    CU_ASSERT_PTR_NULL(mx_op("SoftmaxOutput", "multi_output=maybe", x));
    ASSERT_ERROR_HAS("multi_output");
    CU_ASSERT_PTR_NULL(mx_op("SoftmaxOutput", "grad_scale", x));
    ASSERT_ERROR_HAS("key=value");
    CU_ASSERT_PTR_NULL(mx_chain(x, "FullyConnected num_hidden=2", "Bogus a=1", NULL));
    ASSERT_ERROR_HAS("Bogus");
    mx_sym_free(x);
}

static void test_symbol_named_inputs_bind_by_argument(void)
{
    mx_sym *x = mx_var("x"), *w = mx_var("shared_w");
    const char *names[] = {"data", "weight"};
    mx_sym *in[] = {x, w};
    mx_sym *fc = mx_op_args("FullyConnected", "name=f num_hidden=4", 2, names, in);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fc);
    const char *const *args;
    int n = mx_list_arguments(fc, &args);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_STRING_EQUAL(args[1], "shared_w");
    const char *bad[] = {"wieght"};
    CU_ASSERT_PTR_NULL(mx_op_args("FullyConnected", "num_hidden=4", 1, bad, in));
    ASSERT_ERROR_HAS("wieght");
    mx_sym_free(x); mx_sym_free(w); mx_sym_free(fc);
}

static void test_symbol_group_and_compose(void)
{
    mx_sym *x = mx_var("x");
    mx_sym *a = mx_op("Activation", "name=a act_type=tanh", x);
    mx_sym *b = mx_op("Activation", "name=b act_type=relu", x);
    mx_sym *parts[] = {a, b};
    mx_sym *g = mx_group(2, parts);
    const char *outs[2];
    CU_ASSERT_EQUAL(mx_list_outputs(g, outs, 2), 2);
    CU_ASSERT_STRING_EQUAL(outs[0], "a_output");
    CU_ASSERT_STRING_EQUAL(outs[1], "b_output");
    /* compose: replace x by fc(y) */
    mx_sym *y = mx_var("y");
    mx_sym *fc = mx_op("FullyConnected", "name=pre num_hidden=6", y);
    const char *names[] = {"x"};
    mx_sym *vals[] = {fc};
    mx_sym *c = mx_compose(g, 1, names, vals);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    const char *const *args;
    int n = mx_list_arguments(c, &args);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_STRING_EQUAL(args[0], "y");
    CU_ASSERT_STRING_EQUAL(args[1], "pre_weight");
    /* the original is untouched */
    CU_ASSERT_EQUAL(mx_list_arguments(g, &args), 1);
    CU_ASSERT_STRING_EQUAL(args[0], "x");
    const char *inames[] = {"y"};
    mx_shape shapes[] = {mx_shape_make(2, 3, 2)};
    mx_shape ashapes[3], oshapes[2];
    CU_ASSERT_EQUAL(mx_infer_shape(c, 1, inames, shapes, ashapes, oshapes, NULL), MX_OK);
    mx_shape want = mx_shape_make(2, 3, 6);
    CU_ASSERT(mx_shape_equal(&oshapes[1], &want));
    const char *missing[] = {"nope"};
    CU_ASSERT_PTR_NULL(mx_compose(g, 1, missing, vals));
    ASSERT_ERROR_HAS("nope");
    mx_sym_free(x); mx_sym_free(a); mx_sym_free(b); mx_sym_free(g);
    mx_sym_free(y); mx_sym_free(fc); mx_sym_free(c);
}

static void test_symbol_arithmetic_maps_to_underscore_ops(void)
{
    mx_sym *a = mx_var("a"), *b = mx_var("b");
    mx_sym *s = mx_sym_arith(a, '*', b);
    mx_sym *t = mx_sym_arith_scalar(s, '+', 2.0f);
    mx_sym *u = mx_sym_rarith_scalar(1.0f, '/', t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    mx_sym_print(u, f);
    fclose(f);
    /* MXNet's canonical ops, named after what was called (_Mul → _mul0) */
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "elemwise_mul(a, b)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "_mul"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "_plus_scalar"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "_plusscalar"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "_rdiv_scalar"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "scalar=2"));
    free(buf);
    const char *names[] = {"a"};
    mx_shape shapes[] = {mx_shape_make(2, 4, 5)};
    mx_shape args[2], outs[1];
    CU_ASSERT_EQUAL(mx_infer_shape(u, 1, names, shapes, args, outs, NULL), MX_OK);
    CU_ASSERT(mx_shape_equal(&args[1], &shapes[0])); /* b inferred from a */
    CU_ASSERT_PTR_NULL(mx_sym_arith(a, '%', b));
    mx_sym_free(a); mx_sym_free(b); mx_sym_free(s); mx_sym_free(t); mx_sym_free(u);
}

static void test_symbol_print_lists_every_node(void)
{
    mx_sym *net = mx_test_mlp();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    mx_sym_print(net, f);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "fc1 = FullyConnected(data, fc1_weight, fc1_bias; num_hidden=128)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "relu2 = Activation(fc2_output; act_type=relu)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "outputs: softmax_output"));
    free(buf);
    mx_sym_free(net);
}

static void test_symbol_softmax_alias_and_registry(void)
{
    int found = 0;
    for (int i = 0; i < mx_op_count(); i++) found += !strcmp(mx_op_name(i), "Softmax");
    CU_ASSERT_EQUAL(found, 1);
    mx_sym *x = mx_var("x");
    mx_sym *s = mx_op("Softmax", "name=sm", x);
    const char *const *args;
    CU_ASSERT_EQUAL(mx_list_arguments(s, &args), 2);
    CU_ASSERT_STRING_EQUAL(args[1], "sm_label");
    mx_sym_free(x); mx_sym_free(s);
}

/* Found by fuzz/fuzz_opparams: strtol's long was stored in the int
 * field, so this num_hidden wrapped to -1462671850 past the >= 1 check. */
static void test_symbol_rejects_int_params_past_int_range(void)
{
    mx_sym *x = mx_var("x");
    CU_ASSERT_PTR_NULL(mx_op("FullyConnected", "num_hidden=5663215494175483414", x));
    ASSERT_ERROR_HAS("num_hidden");
    ASSERT_ERROR_HAS("<= 2147483647");
    CU_ASSERT_PTR_NULL(mx_op("FullyConnected", "num_hidden=2147483648", x));
    ASSERT_ERROR_HAS("2147483648");
    mx_sym *fc = mx_op("FullyConnected", "num_hidden=2147483647", x);
    CU_ASSERT_PTR_NOT_NULL(fc);
    mx_sym_free(fc);
    mx_sym_free(x);
}

/* Infers op on x of shape d (dims as int64) into args/outs/aux. */
static mx_status infer_on(const char *op, const char *params, int ndim, const int64_t *d, mx_shape *args,
                          mx_shape *outs, mx_shape *aux)
{
    mx_sym *x = mx_var("x"), *s = mx_op(op, params, x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const char *names[] = {"x"};
    mx_shape shape = mx_shape_from(ndim, d);
    mx_status st = mx_infer_shape(s, 1, names, &shape, args, outs, aux);
    mx_sym_free(s);
    mx_sym_free(x);
    return st;
}

/* Found by fuzz/fuzz_opparams: inference built shapes through int, so
 * sizes past 2^31 came out wrapped (Flatten of (2^31-1, 2^31-1, 2, 2)
 * gave (2147483647, -4)); they must come out exact, or be refused where
 * the kernels index with int (FullyConnected's GEMM, Pooling's planes). */
static void test_symbol_infers_sizes_past_int_exactly_or_refuses(void)
{
    mx_shape args[4], outs[3], aux[2];
    const int64_t big = 3000000000LL;
    const int64_t plane[3] = {3, 65536, 65536}, wide[2] = {2, big}, tall[2] = {big, 10};
    /* On 32-bit boards such shapes cannot be held at all: refused as too
     * large for memory (shape_fits in infer.c), never wrapped. */
    if (sizeof(void *) < 8) {
        CU_ASSERT_EQUAL(infer_on("Flatten", "", 3, plane, args, outs, aux), MX_EINVAL);
        ASSERT_ERROR_HAS("more floats than memory can address");
        CU_ASSERT_EQUAL(infer_on("BatchNorm", "", 2, wide, args, outs, aux), MX_EINVAL);
        ASSERT_ERROR_HAS("more floats than memory can address");
    } else {
        CU_ASSERT_EQUAL_FATAL(infer_on("Flatten", "", 3, plane, args, outs, aux), MX_OK);
        CU_ASSERT_EQUAL(outs[0].ndim, 2);
        CU_ASSERT_EQUAL(outs[0].dims[0], 3);
        CU_ASSERT_EQUAL(outs[0].dims[1], 65536LL * 65536);
        CU_ASSERT_EQUAL_FATAL(infer_on("BatchNorm", "", 2, wide, args, outs, aux), MX_OK);
        CU_ASSERT(args[1].ndim == 1 && args[1].dims[0] == big); /* gamma */
        CU_ASSERT(aux[0].ndim == 1 && aux[0].dims[0] == big);   /* moving_mean */
        CU_ASSERT_EQUAL_FATAL(infer_on("LeakyReLU", "act_type=prelu", 2, wide, args, outs, aux), MX_OK);
        CU_ASSERT(args[1].ndim == 1 && args[1].dims[0] == big);
        CU_ASSERT_EQUAL_FATAL(infer_on("SoftmaxOutput", "", 2, tall, args, outs, aux), MX_OK);
        CU_ASSERT(args[1].ndim == 1 && args[1].dims[0] == big); /* label */
    }
    CU_ASSERT_EQUAL(infer_on("FullyConnected", "num_hidden=4", 3, plane, args, outs, aux), MX_EINVAL);
    ASSERT_ERROR_HAS("(3,65536,65536)");
    ASSERT_ERROR_HAS("out of range");
    const int64_t img[4] = {2, 3, 8, 8};
    CU_ASSERT_EQUAL(infer_on("Pooling", "pool_type=avg kernel=(3,3) pad=(1310503833,1) pooling_convention=full",
                             4, img, args, outs, aux), MX_EINVAL);
    ASSERT_ERROR_HAS("parameter 'pad'");
    CU_ASSERT_EQUAL(infer_on("Pooling", "kernel=(3,3) pad=(40000,40000)", 4, img, args, outs, aux), MX_EINVAL);
    ASSERT_ERROR_HAS("2^31");
}

CU_ErrorCode mx_test_register_symbol(void)
{
    CU_pSuite s = CU_add_suite("symbol", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "mlp lists arguments in MXNet order", test_symbol_mlp_lists_arguments_in_mxnet_order);
    CU_add_test(s, "unnamed ops get counted lowercase names", test_symbol_unnamed_ops_get_counted_lowercase_names);
    CU_add_test(s, "infers MLP shapes from data", test_symbol_infers_mlp_shapes_from_data);
    CU_add_test(s, "flatten=false keeps leading axes", test_symbol_flatten_false_keeps_leading_axes);
    CU_add_test(s, "shape mismatch names node and argument", test_symbol_shape_mismatch_names_node_and_argument);
    CU_add_test(s, "an inferred shape too large for memory is an error", test_symbol_inferred_shape_too_large_is_an_error);
    CU_add_test(s, "a variable's __shape__ attribute seeds inference", test_symbol_variable_shape_attribute_seeds_inference);
    CU_add_test(s, "rejects unknown op, key and bad values", test_symbol_rejects_unknown_op_key_and_bad_values);
    CU_add_test(s, "named inputs bind by argument", test_symbol_named_inputs_bind_by_argument);
    CU_add_test(s, "group and compose", test_symbol_group_and_compose);
    CU_add_test(s, "arithmetic maps to underscore ops", test_symbol_arithmetic_maps_to_underscore_ops);
    CU_add_test(s, "print lists every node", test_symbol_print_lists_every_node);
    CU_add_test(s, "Softmax alias and registry", test_symbol_softmax_alias_and_registry);
    CU_add_test(s, "rejects int parameters past int range", test_symbol_rejects_int_params_past_int_range);
    CU_add_test(s, "infers sizes past int exactly or refuses them",
                test_symbol_infers_sizes_past_int_exactly_or_refuses);
    return CU_get_error();
}
