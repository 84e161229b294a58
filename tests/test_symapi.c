/* test_symapi.c — the symapi suite: the symbol and KVStore API MXNet.jl
 * has (issue #16, item 6): get_internals and an internal output by name
 * (bound and run: its values are the full network's intermediate),
 * get_children, composition that names the result (the MXNet.jl docs'
 * example), attributes set / get / listed that survive save and load,
 * name scopes (MXNet's Prefix), a custom KVStore updater, and a model's
 * contexts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

static int same_list(const char *const *a, int n, const char *const *want, int nwant)
{
    if (n != nwant) return 0;
    for (int i = 0; i < n; i++)
        if (strcmp(a[i], want[i])) return 0;
    return 1;
}

static void test_internals_and_outputs_by_name(void)
{
    mx_sym *data = mx_var("data");
    mx_sym *net = mx_chain(data, "FullyConnected name=fc1 num_hidden=3", "Activation name=relu1 act_type=relu", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    mx_sym *in = mx_sym_get_internals(net);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    const char *outs[8];
    const char *want[] = {"data", "fc1_weight", "fc1_bias", "fc1_output", "relu1_output"};
    CU_ASSERT(same_list(outs, mx_list_outputs(in, outs, 8), want, 5));
    mx_sym *fc1 = mx_sym_output_named(in, "fc1_output");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fc1);
    CU_ASSERT_EQUAL(mx_list_outputs(fc1, outs, 8), 1);
    CU_ASSERT_STRING_EQUAL(outs[0], "fc1_output");
    /* run both: relu of the internal output is the network's output */
    const char *nm[] = {"data"};
    mx_shape s = mx_shape_make(2, 4, 5);
    mx_exec *a = mx_simple_bind(net, mx_cpu(), 1, nm, &s, NULL), *b = mx_simple_bind(fc1, mx_cpu(), 1, nm, &s, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    for (int i = 0; i < mx_exec_num_args(a); i++) {
        mx_test_fill(mx_exec_arg(a, i), -1, 1, 3u + (unsigned)i);
        mx_nd_copy(mx_exec_arg(b, i), mx_exec_arg(a, i));
    }
    mx_exec_forward(a, 0);
    mx_exec_forward(b, 0);
    const float *ya = mx_nd_data(mx_exec_output(a, 0)), *yb = mx_nd_data(mx_exec_output(b, 0));
    int bad = 0, negative = 0;
    for (int i = 0; i < 12; i++) {
        bad += ya[i] != (yb[i] > 0 ? yb[i] : 0.0f);
        negative += yb[i] < 0;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(negative > 0); /* the internal output is before the relu */
    mx_exec_free(a); mx_exec_free(b);
    /* no such output: an error listing what there is */
    CU_ASSERT_PTR_NULL(mx_sym_output_named(in, "fc2_output"));
    ASSERT_ERROR_HAS("no output named 'fc2_output' (outputs: data, fc1_weight, fc1_bias, fc1_output, relu1_output)");
    /* children: the inputs of the output node */
    mx_sym *ch = mx_sym_get_children(fc1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
    const char *want_ch[] = {"data", "fc1_weight", "fc1_bias"};
    CU_ASSERT(same_list(outs, mx_list_outputs(ch, outs, 8), want_ch, 3));
    CU_ASSERT_PTR_NULL(mx_sym_get_children(data));
    ASSERT_ERROR_HAS("a variable has no children");
    mx_sym_free(ch); mx_sym_free(fc1); mx_sym_free(in); mx_sym_free(net); mx_sym_free(data);
}

/* The MXNet.jl docs' example: net2(data2=net, name=:composed). */
static void test_compose_named(void)
{
    mx_sym *data = mx_var("data"), *data2 = mx_var("data2");
    mx_sym *net = mx_op("FullyConnected", "name=fc1 num_hidden=128", data);
    mx_sym *net2 = mx_op("FullyConnected", "name=net2 num_hidden=128", data2);
    const char *names[] = {"data2"};
    mx_sym *c = mx_compose_named(net2, "composed", 1, names, (mx_sym *[]){net});
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    const char *const *args;
    const char *want[] = {"data", "fc1_weight", "fc1_bias", "net2_weight", "net2_bias"};
    CU_ASSERT(same_list(args, mx_list_arguments(c, &args), want, 5));
    const char *outs[2];
    CU_ASSERT_EQUAL(mx_list_outputs(c, outs, 2), 1);
    CU_ASSERT_STRING_EQUAL(outs[0], "composed_output");
    /* net2 itself is unchanged */
    CU_ASSERT_EQUAL(mx_list_outputs(net2, outs, 2), 1);
    CU_ASSERT_STRING_EQUAL(outs[0], "net2_output");
    /* and the result survives a file */
    char *j = mx_sym_to_json(c);
    mx_sym *back = j ? mx_sym_from_json(j, "composed.json") : NULL;
    CU_ASSERT(back && mx_list_outputs(back, outs, 2) == 1 && !strcmp(outs[0], "composed_output"));
    free(j);
    mx_sym_free(back); mx_sym_free(c); mx_sym_free(net2); mx_sym_free(net); mx_sym_free(data2); mx_sym_free(data);
}

static void test_attributes_set_get_list_and_survive_json(void)
{
    mx_sym *data = mx_var("data");
    mx_sym *fc = mx_op("FullyConnected", "name=fc num_hidden=4", data);
    CU_ASSERT_EQUAL(mx_sym_set_attr(data, "mood", "angry"), MX_OK);
    CU_ASSERT_EQUAL(mx_sym_set_attr(data, "__shape__", "(0, 7)"), MX_OK);
    CU_ASSERT_EQUAL(mx_sym_set_attr(fc, "__lr_mult__", "0.5"), MX_OK);
    CU_ASSERT_EQUAL(mx_sym_set_attr(fc, "__lr_mult__", "0.25"), MX_OK); /* replaced */
    CU_ASSERT_NOT_EQUAL(mx_sym_set_attr(fc, "mood", "calm"), MX_OK);
    ASSERT_ERROR_HAS("needs a hidden key like __mood__");
    CU_ASSERT_NOT_EQUAL(mx_sym_set_attr(fc, "num_hidden", "5"), MX_OK);
    ASSERT_ERROR_HAS("'num_hidden' is a parameter of FullyConnected 'fc'");
    CU_ASSERT_STRING_EQUAL(mx_sym_get_attr(data, "mood"), "angry");
    CU_ASSERT_STRING_EQUAL(mx_sym_get_attr(fc, "num_hidden"), "4"); /* an op's parameters are attributes too */
    CU_ASSERT_PTR_NULL(mx_sym_get_attr(fc, "mood"));
    const char *k[8], *v[8], *nodes[16], *ak[16], *av[16];
    CU_ASSERT_EQUAL(mx_sym_list_attr(fc, k, v, 8), 2);
    CU_ASSERT(!strcmp(k[0], "num_hidden") && !strcmp(k[1], "__lr_mult__") && !strcmp(v[1], "0.25"));
    int n = mx_sym_list_all_attr(fc, nodes, ak, av, 16);
    CU_ASSERT_EQUAL(n, 4);
    CU_ASSERT(n == 4 && !strcmp(nodes[0], "data") && !strcmp(ak[0], "mood") && !strcmp(nodes[3], "fc"));
    /* save and load: every attribute comes back */
    char *j = mx_sym_to_json(fc);
    mx_sym *back = j ? mx_sym_from_json(j, "attrs.json") : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_STRING_EQUAL(mx_sym_get_attr(back, "__lr_mult__"), "0.25");
    mx_sym *in = mx_sym_get_internals(back), *d = in ? mx_sym_output_named(in, "data") : NULL;
    CU_ASSERT(d && mx_sym_get_attr(d, "mood") && !strcmp(mx_sym_get_attr(d, "mood"), "angry"));
    CU_ASSERT(d && mx_sym_get_attr(d, "__shape__") && !strcmp(mx_sym_get_attr(d, "__shape__"), "(0, 7)"));
    /* a group has no single node to label */
    CU_ASSERT_EQUAL(mx_sym_list_attr(in, k, v, 8), -1);
    free(j);
    mx_sym_free(d); mx_sym_free(in); mx_sym_free(back); mx_sym_free(fc); mx_sym_free(data);
}

static void test_name_scopes(void)
{
    mx_sym *x = mx_var("x");
    const char *outs[2];
    CU_ASSERT_EQUAL_FATAL(mx_name_scope_begin("net1_"), MX_OK);
    mx_sym *a = mx_op("FullyConnected", "num_hidden=2", x);
    mx_sym *b = mx_op("FullyConnected", "num_hidden=2", x);
    mx_sym *c = mx_op("Activation", "name=act act_type=relu", x);
    CU_ASSERT_EQUAL_FATAL(mx_name_scope_begin("inner_"), MX_OK);
    mx_sym *d = mx_op("FullyConnected", "num_hidden=2", x);
    CU_ASSERT_EQUAL(mx_name_scope_end(), MX_OK);
    CU_ASSERT_EQUAL(mx_name_scope_end(), MX_OK);
    CU_ASSERT_NOT_EQUAL(mx_name_scope_end(), MX_OK);
    ASSERT_ERROR_HAS("no scope is open");
    mx_list_outputs(a, outs, 2);
    CU_ASSERT_STRING_EQUAL(outs[0], "net1_fullyconnected0_output");
    mx_list_outputs(b, outs, 2);
    CU_ASSERT_STRING_EQUAL(outs[0], "net1_fullyconnected1_output");
    mx_list_outputs(c, outs, 2);
    CU_ASSERT_STRING_EQUAL(outs[0], "net1_act_output"); /* given names get the prefix too */
    mx_list_outputs(d, outs, 2);
    CU_ASSERT_STRING_EQUAL(outs[0], "inner_fullyconnected0_output"); /* a scope counts from 0 */
    const char *const *args;
    int na = mx_list_arguments(a, &args);
    CU_ASSERT(na == 3 && !strcmp(args[1], "net1_fullyconnected0_weight"));
    mx_sym_free(a); mx_sym_free(b); mx_sym_free(c); mx_sym_free(d); mx_sym_free(x);
}

/* An updater: weight ← weight − 0.5·grad, counting its calls. */
static mx_status half_step(void *ctx, int key, const mx_nd *grad, mx_nd *weight)
{
    int *calls = ctx;
    calls[0]++;
    calls[1] = key;
    float *w = mx_nd_data(weight);
    const float *g = mx_nd_data(grad);
    for (size_t i = 0; i < mx_nd_size(weight); i++) w[i] -= 0.5f * g[i];
    return key == 9 ? mx_set_error(MX_EINVAL, "updater refuses key 9") : MX_OK;
}

static void test_kvstore_custom_updater(void)
{
    mx_kvstore *kv = mx_kvstore_create("local");
    CU_ASSERT_PTR_NOT_NULL_FATAL(kv);
    mx_nd *w = mx_nd_empty(mx_shape_make(1, 3)), *g1 = mx_nd_empty(mx_shape_make(1, 3)),
          *g2 = mx_nd_empty(mx_shape_make(1, 3)), *out = mx_nd_empty(mx_shape_make(1, 3));
    float w0[] = {1, 2, 3}, a[] = {1, 1, 1}, b[] = {2, 4, 6};
    mx_nd_copy_from(w, w0, 3);
    mx_nd_copy_from(g1, a, 3);
    mx_nd_copy_from(g2, b, 3);
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 3, w), MX_OK);
    CU_ASSERT_EQUAL(mx_kvstore_init(kv, 9, w), MX_OK);
    int calls[2] = {0, -1};
    CU_ASSERT_EQUAL(mx_kvstore_set_updater(kv, half_step, calls), MX_OK);
    CU_ASSERT_EQUAL(mx_kvstore_push(kv, 3, 2, (mx_nd *[]){g1, g2}), MX_OK);
    CU_ASSERT(calls[0] == 1 && calls[1] == 3);
    CU_ASSERT_EQUAL(mx_kvstore_pull(kv, 3, 1, &out), MX_OK);
    const float *o = mx_nd_data(out);
    CU_ASSERT(o[0] == -0.5f && o[1] == -0.5f && o[2] == -0.5f); /* w − 0.5·(g1 + g2) */
    /* the updater's error is the push's */
    CU_ASSERT_EQUAL(mx_kvstore_push(kv, 9, 1, &g1), MX_EINVAL);
    ASSERT_ERROR_HAS("updater refuses key 9");
    /* NULL: back to storing the sum */
    CU_ASSERT_EQUAL(mx_kvstore_set_updater(kv, NULL, NULL), MX_OK);
    CU_ASSERT_EQUAL(mx_kvstore_push(kv, 3, 1, &g2), MX_OK);
    mx_kvstore_pull(kv, 3, 1, &out);
    o = mx_nd_data(out); /* pull is pushed as a copy: read the values after it (mx_nd_data waits) */
    CU_ASSERT(o[0] == 2 && o[1] == 4 && o[2] == 6);
    CU_ASSERT_EQUAL(calls[0], 2);
    mx_nd_free(w); mx_nd_free(g1); mx_nd_free(g2); mx_nd_free(out);
    mx_kvstore_free(kv);
}

static void test_model_contexts(void)
{
    mx_sym *net = mx_test_mlp();
    mx_ctx two[] = {{MX_CPU, 0}, {MX_CPU, 1}};
    mx_model *m = mx_model_create(net, two, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(mx_model_num_contexts(m), 2);
    CU_ASSERT(mx_model_context(m, 1).dev_type == MX_CPU && mx_model_context(m, 1).dev_id == 1);
    mx_model_free(m);
    m = mx_model_create(net, NULL, 0);
    CU_ASSERT(m && mx_model_num_contexts(m) == 1 && mx_model_context(m, 0).dev_type == MX_CPU);
    mx_model_free(m);
    mx_sym_free(net);
}

CU_ErrorCode mx_test_register_symapi(void)
{
    CU_pSuite s = CU_add_suite("symapi", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "get_internals, an internal output by name (runs as the network's), get_children",
                test_internals_and_outputs_by_name);
    CU_add_test(s, "compose with a name: composed_output, the original unchanged", test_compose_named);
    CU_add_test(s, "attributes set, read, listed, kept through symbol JSON", test_attributes_set_get_list_and_survive_json);
    CU_add_test(s, "name scopes prefix given and made names, nest, count from 0", test_name_scopes);
    CU_add_test(s, "a custom KVStore updater runs on push; its error is the push's", test_kvstore_custom_updater);
    CU_add_test(s, "a model's contexts", test_model_contexts);
    return CUE_SUCCESS;
}
