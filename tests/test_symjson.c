/* test_symjson.c — MXNet symbol JSON (fixtures as MXNet writes them,
 * round trips, every rejection), plus the DOT writer and mx_mlp
 * (tests/test_symjson_dot.c, registered into this suite). */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

/* In test_symjson_dot.c. */
void mx_test_add_graphviz_tests(CU_pSuite s);

/* The tutorial MLP exactly as libmxnet 1.6 saves it (mlp-symbol.json):
 * auto-created weights carry their layer's attributes, as nnvm copies them. */
static const char mxnet_mlp_json[] =
    "{\n"
    "  \"nodes\": [\n"
    "    {\n"
    "      \"op\": \"null\", \n"
    "      \"name\": \"data\", \n"
    "      \"inputs\": []\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"null\", \n"
    "      \"name\": \"fc1_weight\", \n"
    "      \"attrs\": {\"num_hidden\": \"128\"}, \n"
    "      \"inputs\": []\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"null\", \n"
    "      \"name\": \"fc1_bias\", \n"
    "      \"attrs\": {\"num_hidden\": \"128\"}, \n"
    "      \"inputs\": []\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"FullyConnected\", \n"
    "      \"name\": \"fc1\", \n"
    "      \"attrs\": {\"num_hidden\": \"128\"}, \n"
    "      \"inputs\": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"Activation\", \n"
    "      \"name\": \"relu1\", \n"
    "      \"attrs\": {\"act_type\": \"relu\"}, \n"
    "      \"inputs\": [[3, 0, 0]]\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"null\", \n"
    "      \"name\": \"fc2_weight\", \n"
    "      \"attrs\": {\"num_hidden\": \"64\"}, \n"
    "      \"inputs\": []\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"null\", \n"
    "      \"name\": \"fc2_bias\", \n"
    "      \"attrs\": {\"num_hidden\": \"64\"}, \n"
    "      \"inputs\": []\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"FullyConnected\", \n"
    "      \"name\": \"fc2\", \n"
    "      \"attrs\": {\"num_hidden\": \"64\"}, \n"
    "      \"inputs\": [[4, 0, 0], [5, 0, 0], [6, 0, 0]]\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"Activation\", \n"
    "      \"name\": \"relu2\", \n"
    "      \"attrs\": {\"act_type\": \"relu\"}, \n"
    "      \"inputs\": [[7, 0, 0]]\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"null\", \n"
    "      \"name\": \"fc3_weight\", \n"
    "      \"attrs\": {\"num_hidden\": \"10\"}, \n"
    "      \"inputs\": []\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"null\", \n"
    "      \"name\": \"fc3_bias\", \n"
    "      \"attrs\": {\"num_hidden\": \"10\"}, \n"
    "      \"inputs\": []\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"FullyConnected\", \n"
    "      \"name\": \"fc3\", \n"
    "      \"attrs\": {\"num_hidden\": \"10\"}, \n"
    "      \"inputs\": [[8, 0, 0], [9, 0, 0], [10, 0, 0]]\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"null\", \n"
    "      \"name\": \"softmax_label\", \n"
    "      \"inputs\": []\n"
    "    }, \n"
    "    {\n"
    "      \"op\": \"SoftmaxOutput\", \n"
    "      \"name\": \"softmax\", \n"
    "      \"inputs\": [[11, 0, 0], [12, 0, 0]]\n"
    "    }\n"
    "  ], \n"
    "  \"arg_nodes\": [0, 1, 2, 5, 6, 9, 10, 12], \n"
    "  \"node_row_ptr\": [\n"
    "    0, \n    1, \n    2, \n    3, \n    4, \n    5, \n    6, \n    7, \n"
    "    8, \n    9, \n    10, \n    11, \n    12, \n    13, \n    14\n"
    "  ], \n"
    "  \"heads\": [[13, 0, 0]], \n"
    "  \"attrs\": {\"mxnet_version\": [\"int\", 10600]}\n"
    "}";

/* An MXNet 0.8 file: parameters under "param", user attributes under
 * "attr", [node, index] pairs, backward_source_id, the Softmax alias. */
static const char mxnet08_json[] =
    "{\n"
    "  \"nodes\": [\n"
    "    {\"op\": \"null\", \"param\": {}, \"name\": \"data\", \"inputs\": [], \"backward_source_id\": -1,\n"
    "     \"attr\": {\"ctx_group\": \"stage1\"}},\n"
    "    {\"op\": \"null\", \"param\": {}, \"name\": \"fc1_weight\", \"inputs\": [], \"backward_source_id\": -1},\n"
    "    {\"op\": \"null\", \"param\": {}, \"name\": \"fc1_bias\", \"inputs\": [], \"backward_source_id\": -1},\n"
    "    {\"op\": \"FullyConnected\", \"param\": {\"no_bias\": \"False\", \"num_hidden\": \"128\"},\n"
    "     \"name\": \"fc1\", \"inputs\": [[0, 0], [1, 0], [2, 0]], \"backward_source_id\": -1,\n"
    "     \"attr\": {\"ctx_group\": \"stage1\", \"wd_mult\": \"0.3\"}},\n"
    "    {\"op\": \"Activation\", \"param\": {\"act_type\": \"tanh\"}, \"name\": \"tanh1\",\n"
    "     \"inputs\": [[3, 0]], \"backward_source_id\": -1},\n"
    "    {\"op\": \"null\", \"param\": {}, \"name\": \"fc2_weight\", \"inputs\": [], \"backward_source_id\": -1},\n"
    "    {\"op\": \"FullyConnected\", \"param\": {\"no_bias\": \"True\", \"num_hidden\": \"10\"},\n"
    "     \"name\": \"fc2\", \"inputs\": [[4, 0], [5, 0]], \"backward_source_id\": -1},\n"
    "    {\"op\": \"null\", \"param\": {}, \"name\": \"softmax_label\", \"inputs\": [], \"backward_source_id\": -1},\n"
    "    {\"op\": \"Softmax\", \"param\": {\"grad_scale\": \"1\", \"multi_output\": \"False\"},\n"
    "     \"name\": \"softmax\", \"inputs\": [[6, 0], [7, 0]], \"backward_source_id\": -1}\n"
    "  ],\n"
    "  \"arg_nodes\": [0, 1, 2, 5, 7],\n"
    "  \"heads\": [[8, 0]]\n"
    "}\n";

/* An MXNet 0.9 file: everything under "attr", MXNet bookkeeping keys. */
static const char mxnet09_json[] =
    "{\"nodes\": [\n"
    "  {\"op\": \"null\", \"name\": \"data\", \"attr\": {\"__shape__\": \"(100,1,28,28)\"}, \"inputs\": []},\n"
    "  {\"op\": \"Flatten\", \"name\": \"flatten0\", \"inputs\": [[0, 0, 0]]},\n"
    "  {\"op\": \"null\", \"name\": \"fc1_weight\", \"attr\": {\"num_hidden\": \"32\"}, \"inputs\": []},\n"
    "  {\"op\": \"null\", \"name\": \"fc1_bias\", \"attr\": {\"num_hidden\": \"32\"}, \"inputs\": []},\n"
    "  {\"op\": \"FullyConnected\", \"name\": \"fc1\", \"attr\": {\"__lr_mult__\": \"2\", \"num_hidden\": \"32\"},\n"
    "   \"inputs\": [[1, 0, 0], [2, 0, 0], [3, 0, 0]]},\n"
    "  {\"op\": \"null\", \"name\": \"unused\", \"inputs\": []},\n"
    "  {\"op\": \"null\", \"name\": \"lro_label\", \"inputs\": []},\n"
    "  {\"op\": \"LinearRegressionOutput\", \"name\": \"lro\", \"inputs\": [[4, 0, 0], [6, 0, 0]]}],\n"
    " \"arg_nodes\": [0, 2, 3, 5, 6], \"node_row_ptr\": [0, 1, 2, 3, 4, 5, 6, 7, 8],\n"
    " \"heads\": [[7, 0, 0]], \"attrs\": {\"mxnet_version\": [\"int\", 901]}}";

static int same_strings(const char *const *a, int na, const char *const *b, int nb)
{
    if (na != nb) return 0;
    for (int i = 0; i < na; i++)
        if (strcmp(a[i], b[i])) return 0;
    return 1;
}

/* Arguments, outputs and inferred shapes of a and b agree. */
static void assert_same_interface(const mx_sym *a, const mx_sym *b, const char *data,
                                  mx_shape data_shape)
{
    const char *const *aa, *const *ba;
    int na = mx_list_arguments(a, &aa), nb = mx_list_arguments(b, &ba);
    CU_ASSERT(same_strings(aa, na, ba, nb));
    const char *ao[8], *bo[8];
    int noa = mx_list_outputs(a, ao, 8), nob = mx_list_outputs(b, bo, 8);
    CU_ASSERT(same_strings(ao, noa, bo, nob));
    if (na != nb || noa != nob || na > 16 || noa > 8) return;
    mx_shape as[16], bs[16], aos[8], bos[8];
    CU_ASSERT_EQUAL_FATAL(mx_infer_shape(a, 1, &data, &data_shape, as, aos, NULL), MX_OK);
    CU_ASSERT_EQUAL_FATAL(mx_infer_shape(b, 1, &data, &data_shape, bs, bos, NULL), MX_OK);
    for (int i = 0; i < na; i++) CU_ASSERT(mx_shape_equal(&as[i], &bs[i]));
    for (int i = 0; i < noa; i++) CU_ASSERT(mx_shape_equal(&aos[i], &bos[i]));
}

/* to_json(from_json(to_json(s))) == to_json(s), and the copy behaves the same. */
static void assert_round_trip(const mx_sym *s, const char *data, mx_shape data_shape)
{
    char *j1 = mx_sym_to_json(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j1);
    mx_sym *back = mx_sym_from_json(j1, "round-trip.json");
    if (!back) fprintf(stderr, "\n  %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    char *j2 = mx_sym_to_json(back);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j2);
    CU_ASSERT_STRING_EQUAL(j1, j2);
    assert_same_interface(s, back, data, data_shape);
    free(j1);
    free(j2);
    mx_sym_free(back);
}

/* text with every occurrence of from replaced by to (malloc'd). */
static char *replace_all(const char *text, const char *from, const char *to)
{
    size_t lf = strlen(from), lt = strlen(to), n = 0;
    for (const char *p = text; (p = strstr(p, from)); p += lf) n++;
    char *out = malloc(strlen(text) + n * lt + 1), *o = out;
    for (const char *p = text, *q; (q = strstr(p, from)); p = q + lf) {
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, to, lt);
        o += lt;
        text = q + lf;
    }
    strcpy(o, text);
    return out;
}

static void test_symjson_loads_mxnet_mlp_file(void)
{
    mx_sym *s = mx_sym_from_json(mxnet_mlp_json, "mlp-symbol.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    mx_sym *ref = mx_test_mlp();
    assert_same_interface(s, ref, "data", mx_shape_make(2, 100, 784));
    const char *const *args;
    CU_ASSERT_EQUAL(mx_list_arguments(s, &args), 8);
    CU_ASSERT_STRING_EQUAL(args[7], "softmax_label");
    /* re-saving an MXNet file reproduces it byte for byte */
    char *again = mx_sym_to_json(s);
    CU_ASSERT_STRING_EQUAL(again, mxnet_mlp_json);
    /* mxrt's own MLP is MXNet's layout, minus the attributes nnvm copies onto weights */
    char *mine = mx_sym_to_json(ref), *want = strdup(mxnet_mlp_json);
    const char *copied[] = {"128", "64", "10"};
    for (int i = 0; i < 3; i++) {
        char from[96];
        snprintf(from, sizeof from, "\"attrs\": {\"num_hidden\": \"%s\"}, \n      \"inputs\": []", copied[i]);
        char *next = replace_all(want, from, "\"inputs\": []");
        free(want);
        want = next;
    }
    CU_ASSERT_STRING_EQUAL(mine, want);
    free(again);
    free(mine);
    free(want);
    mx_sym_free(ref);
    mx_sym_free(s);
}

static void test_symjson_loads_old_param_and_attr_files(void)
{
    mx_sym *s = mx_sym_from_json(mxnet08_json, "old-symbol.json");
    if (!s) fprintf(stderr, "\n  %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const char *const *args;
    const char *want[] = {"data", "fc1_weight", "fc1_bias", "fc2_weight", "softmax_label"};
    int n = mx_list_arguments(s, &args);
    CU_ASSERT(same_strings(args, n, want, 5));
    const char *data = "data";
    mx_shape in = mx_shape_make(2, 20, 50), as[5], outs[1];
    CU_ASSERT_EQUAL_FATAL(mx_infer_shape(s, 1, &data, &in, as, outs, NULL), MX_OK);
    mx_shape w1 = mx_shape_make(2, 128, 50), w2 = mx_shape_make(2, 10, 128), y = mx_shape_make(2, 20, 10);
    CU_ASSERT(mx_shape_equal(&as[1], &w1));
    CU_ASSERT(mx_shape_equal(&as[3], &w2)); /* no_bias=True honoured: no fc2_bias */
    CU_ASSERT(mx_shape_equal(&outs[0], &y));
    /* parameters kept as written; an op's legacy user attributes become
     * hidden ones, as MXNet's loader turns them (wd_mult → __wd_mult__) */
    char *j = mx_sym_to_json(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"__ctx_group__\": \"stage1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"__wd_mult__\": \"0.3\", \n        \"no_bias\": \"False\", \n        \"num_hidden\": \"128\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"act_type\": \"tanh\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"op\": \"SoftmaxOutput\""));
    CU_ASSERT_PTR_NULL(strstr(j, "\"wd_mult\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"name\": \"data\", \n      \"attrs\": {\"ctx_group\": \"stage1\"}"));
    free(j);
    mx_sym_free(s);

    s = mx_sym_from_json(mxnet09_json, "v09-symbol.json");
    if (!s) fprintf(stderr, "\n  %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    n = mx_list_arguments(s, &args);
    const char *want09[] = {"data", "fc1_weight", "fc1_bias", "lro_label"}; /* 'unused' is unreachable */
    CU_ASSERT(same_strings(args, n, want09, 4));
    in = mx_shape_make(4, 100, 1, 28, 28);
    CU_ASSERT_EQUAL_FATAL(mx_infer_shape(s, 1, &data, &in, as, outs, NULL), MX_OK);
    w1 = mx_shape_make(2, 32, 784);
    CU_ASSERT(mx_shape_equal(&as[1], &w1));
    j = mx_sym_to_json(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"__lr_mult__\": \"2\""));   /* an op's hidden attribute, kept */
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"__shape__\": \"(100,1,28,28)\"")); /* kept on the variable */
    free(j);
    mx_sym_free(s);
}

static void test_symjson_round_trips_mlp_and_mixed_graph(void)
{
    mx_sym *mlp = mx_test_mlp();
    assert_round_trip(mlp, "data", mx_shape_make(2, 100, 784));
    mx_sym_free(mlp);

    /* group of two outputs, symbol arithmetic, scalar ops and the Softmax alias */
    mx_sym *x = mx_var("x"), *y = mx_var("y");
    mx_sym *sum = mx_sym_arith(x, '+', y);
    mx_sym *scaled = mx_sym_arith_scalar(sum, '*', 0.5f);
    mx_sym *r = mx_sym_rarith_scalar(1.0f, '-', scaled);
    mx_sym *fc = mx_op("FullyConnected", "name=fc num_hidden=7 no_bias=true", r);
    mx_sym *sm = mx_op("Softmax", "name=sm normalization=batch", fc);
    mx_sym *prod = mx_sym_arith(sum, '*', x);
    mx_sym *parts[] = {sm, prod};
    mx_sym *g = mx_group(2, parts);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    char *j = mx_sym_to_json(g);
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"op\": \"_rminus_scalar\"")); /* MXNet's canonical name */
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"scalar\": \"0.5\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"heads\": [[")); /* two heads */
    free(j);
    /* y's shape follows from x through _Plus */
    assert_round_trip(g, "x", mx_shape_make(2, 3, 5));
    mx_sym *both[] = {x, y, sum, scaled, r, fc, sm, prod, g};
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++) mx_sym_free(both[i]);
}

static void test_symjson_accepts_duplicate_variable_names_like_mxnet(void)
{
    const char *text =
        "{\"nodes\": [{\"op\": \"null\", \"name\": \"x\", \"inputs\": []},"
        " {\"op\": \"null\", \"name\": \"x\", \"inputs\": []},"
        " {\"op\": \"_Plus\", \"name\": \"p\", \"inputs\": [[0, 0, 0], [1, 0, 0]]}],"
        " \"arg_nodes\": [0, 1], \"heads\": [[2, 0, 0]]}";
    mx_sym *s = mx_sym_from_json(text, "dup.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    const char *const *args;
    CU_ASSERT_EQUAL(mx_list_arguments(s, &args), 2);
    CU_ASSERT_STRING_EQUAL(args[0], "x");
    CU_ASSERT_STRING_EQUAL(args[1], "x");
    mx_sym_free(s);
}

/* A small valid graph with one part swapped for a broken one. */
static const char good_head[] =
    "{\"nodes\": [{\"op\": \"null\", \"name\": \"x\", \"inputs\": []},"
    " {\"op\": \"FullyConnected\", \"name\": \"fc\", \"attrs\": {\"num_hidden\": \"3\", \"no_bias\": \"True\"},"
    " \"inputs\": [[0, 0, 0], [0, 0, 0]]},";

static void expect_reject(const char *text, const char *needle)
{
    mx_clear_error();
    mx_sym *s = mx_sym_from_json(text, "bad.json");
    CU_ASSERT_PTR_NULL(s);
    mx_sym_free(s);
    const char *msg = mx_last_error();
    CU_ASSERT_EQUAL(strncmp(msg, "bad.json: ", 10), 0);
    CU_ASSERT_PTR_NULL(strchr(msg, '\n'));
    ASSERT_ERROR_HAS(needle);
}

static void expect_reject_node(const char *node, const char *needle)
{
    char text[2048];
    snprintf(text, sizeof text, "%s %s], \"arg_nodes\": [0], \"heads\": [[2, 0, 0]]}", good_head, node);
    expect_reject(text, needle);
}

static void test_symjson_rejects_malformed_json_with_position(void)
{
    expect_reject("{\n  \"nodes\": [\n    {\"op\": \"null\",, }", "line 3, column 19");
    expect_reject("{\"nodes\": [], \"heads\": [}", "line 1, column 25");
    expect_reject("{\"nodes\": \"unterminated}", "unterminated string");
    expect_reject("{\"a\": 1} trailing", "after the end");
    expect_reject("{\"a\": \"\\x\"}", "unknown escape");
    expect_reject("{\"a\": \"\\u0000\"}", "\\u0000");
    expect_reject("{\"a\": 01}", "expected ',' or '}'");
    expect_reject("", "expected a value");
    char deep[600];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    expect_reject(deep, "nested deeper");
}

static void test_symjson_rejects_bad_structure(void)
{
    expect_reject("[]", "expected a JSON object at the top");
    expect_reject("{\"arg_nodes\": [], \"heads\": [[0, 0, 0]]}", "missing field \"nodes\"");
    expect_reject("{\"nodes\": [], \"heads\": [[0, 0, 0]]}", "missing field \"arg_nodes\"");
    expect_reject("{\"nodes\": [], \"arg_nodes\": []}", "missing field \"heads\"");
    expect_reject("{\"nodes\": {}, \"arg_nodes\": [], \"heads\": []}", "\"nodes\" must be an array");
    expect_reject("{\"nodes\": [{\"op\": \"null\", \"name\": \"x\", \"inputs\": []}], \"arg_nodes\": [0],"
                  " \"heads\": []}", "\"heads\" is empty");
    expect_reject("{\"nodes\": [{\"op\": \"null\", \"name\": \"x\", \"inputs\": []}], \"arg_nodes\": [0],"
                  " \"heads\": [[1, 0, 0]]}", "heads[0]: node id 1 out of range (1 nodes)");
    expect_reject("{\"nodes\": [{\"op\": \"null\", \"name\": \"x\", \"inputs\": []}], \"arg_nodes\": [0],"
                  " \"heads\": [[0, 1, 0]]}", "output index 1 out of range");
    expect_reject("{\"nodes\": [{\"op\": \"null\", \"name\": \"x\", \"inputs\": []}], \"arg_nodes\": [0],"
                  " \"heads\": [[0]]}", "heads[0]: expected [node_id, output_index, version]");
    expect_reject("{\"nodes\": [{\"op\": \"null\", \"name\": \"x\", \"inputs\": []}], \"arg_nodes\": [0],"
                  " \"heads\": [[0, 0, 0]], \"node_row_ptr\": [0, -1]}", "node_row_ptr[1]");
    expect_reject("{\"nodes\": [{\"op\": \"null\", \"name\": \"x\", \"inputs\": []}, {\"op\": \"BlockGrad\","
                  " \"name\": \"b\", \"inputs\": [[0, 0, 0]]}], \"arg_nodes\": [1], \"heads\": [[1, 0, 0]]}",
                  "arg_nodes[0]: node 1 'b' (BlockGrad, line 1) is not a variable node");
    expect_reject("{\"nodes\": [{\"op\": \"null\", \"name\": \"x\", \"inputs\": []}], \"arg_nodes\": [3],"
                  " \"heads\": [[0, 0, 0]]}", "arg_nodes[0]: node id 3 out of range");
}

static void test_symjson_rejects_bad_nodes_naming_them(void)
{
    expect_reject_node("{\"name\": \"a\", \"inputs\": []}", "node 2 'a' (no op, line 1): \"op\" missing");
    expect_reject_node("{\"op\": \"null\", \"inputs\": []}", "node 2 (null, line 1): \"name\" missing");
    expect_reject_node("{\"op\": \"null\", \"name\": \"\", \"inputs\": []}", "\"name\" must be a non-empty string");
    expect_reject_node("{\"op\": \"null\", \"name\": \"a\"}", "node 2 'a' (null, line 1): \"inputs\" missing");
    expect_reject_node("{\"op\": \"null\", \"name\": \"a\", \"inputs\": [[0, 0, 0]]}", "cannot have inputs");
    expect_reject_node("{\"op\": \"Frobnicate\", \"name\": \"f\", \"inputs\": []}",
                       "node 2 'f' (Frobnicate, line 1): operator 'Frobnicate' is not supported by mxrt");
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP); /* not a corrupt file */
    expect_reject_node("{\"op\": \"Activation\", \"name\": \"act\", \"attrs\": {\"act_typ\": \"relu\"},"
                       " \"inputs\": [[1, 0, 0]]}",
                       "node 2 'act' (Activation, line 1): Activation: unknown parameter 'act_typ'");
    expect_reject_node("{\"op\": \"Activation\", \"name\": \"act\", \"attrs\": {\"act_type\": \"swish\"},"
                       " \"inputs\": [[1, 0, 0]]}", "bad value 'swish'");
    expect_reject_node("{\"op\": \"Activation\", \"name\": \"act\", \"inputs\": [[1, 0, 0]]}",
                       "node 2 'act' (Activation, line 1): required parameter 'act_type' missing");
    expect_reject_node("{\"op\": \"Activation\", \"name\": \"act\", \"attrs\": {\"act_type\": 1},"
                       " \"inputs\": [[1, 0, 0]]}", "attribute 'act_type' must be a string, not a number");
    expect_reject_node("{\"op\": \"Activation\", \"name\": \"act\", \"attrs\": [], \"inputs\": []}",
                       "\"attrs\" must be an object of strings");
    expect_reject_node("{\"op\": \"FullyConnected\", \"name\": \"f\", \"attrs\": {\"num_hidden\": \"2\"},"
                       " \"inputs\": [[1, 0, 0], [0, 0, 0]]}",
                       "node 2 'f' (FullyConnected, line 1): 2 inputs, the op takes 3 (data, weight, bias)");
    expect_reject_node("{\"op\": \"BlockGrad\", \"name\": \"b\", \"inputs\": [[9, 0, 0]]}",
                       "node 2 'b' (BlockGrad, line 1): input 0 ('data'): node id 9 out of range (3 nodes)");
    expect_reject_node("{\"op\": \"BlockGrad\", \"name\": \"b\", \"inputs\": [[2, 0, 0]]}",
                       "refers to node 2, which is not an earlier node");
    expect_reject_node("{\"op\": \"BlockGrad\", \"name\": \"b\", \"inputs\": [[1, 3, 0]]}",
                       "output index 3 out of range (node 1 'fc' has 1 output)");
    expect_reject_node("{\"op\": \"BlockGrad\", \"name\": \"b\", \"inputs\": [[1, -1, 0]]}",
                       "expected [node_id, output_index, version]");
    expect_reject_node("7", "node 2 (line 1): expected an object, found a number");
    /* a forward reference from an earlier node */
    expect_reject("{\"nodes\": [{\"op\": \"BlockGrad\", \"name\": \"b\", \"inputs\": [[1, 0, 0]]},"
                  " {\"op\": \"null\", \"name\": \"x\", \"inputs\": []}], \"arg_nodes\": [1],"
                  " \"heads\": [[0, 0, 0]]}", "node 0 'b' (BlockGrad, line 1): input 0 ('data'): refers to node 1");
}

static void test_symjson_save_is_atomic_and_load_reads_it(void)
{
    char path[512], bad[512];
    snprintf(path, sizeof path, "%s/mlp-symbol.json", mx_test_tmp_dir());
    mx_sym *mlp = mx_test_mlp();
    CU_ASSERT_EQUAL_FATAL(mx_sym_save_json(mlp, path), MX_OK);
    mx_sym *back = mx_sym_load_json(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    char *a = mx_sym_to_json(mlp), *b = mx_sym_to_json(back);
    CU_ASSERT_STRING_EQUAL(a, b);
    FILE *f = fopen(path, "rb");
    char buf[8192];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    CU_ASSERT_STRING_EQUAL(buf, a);
    free(a);
    free(b);
    /* no temporary file is left beside the target */
    DIR *d = opendir(mx_test_tmp_dir());
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    for (struct dirent *e; (e = readdir(d));) CU_ASSERT_PTR_NULL(strstr(e->d_name, ".tmp"));
    closedir(d);
    /* a directory that does not exist: nothing written, the path named */
    snprintf(bad, sizeof bad, "%s/no-such-dir/x-symbol.json", mx_test_tmp_dir());
    CU_ASSERT_EQUAL(mx_sym_save_json(mlp, bad), MX_EIO);
    ASSERT_ERROR_HAS("no-such-dir/x-symbol.json");
    CU_ASSERT_PTR_NULL(mx_sym_load_json(bad));
    ASSERT_ERROR_HAS("no-such-dir/x-symbol.json");
    /* a NUL byte inside the file */
    snprintf(bad, sizeof bad, "%s/nul-symbol.json", mx_test_tmp_dir());
    f = fopen(bad, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite("{\"nodes\"\0: []}", 1, 14, f);
    fclose(f);
    CU_ASSERT_PTR_NULL(mx_sym_load_json(bad));
    ASSERT_ERROR_HAS("NUL byte at offset 8");
    remove(bad);
    remove(path);
    mx_sym_free(back);
    mx_sym_free(mlp);
}

#define DEEP_NODES 20000

/* Thread body: loads, lists, re-saves and frees the chain; returns text
 * when all of it worked (errors are per thread: printed here). */
static void *use_deep_chain(void *text)
{
    mx_sym *sym = mx_sym_from_json(text, "deep-symbol.json");
    const char *const *args;
    char *json = sym ? mx_sym_to_json(sym) : NULL;
    int ok = sym && mx_list_arguments(sym, &args) == 1 && json;
    if (!ok) fprintf(stderr, "\n  deep chain: %s\n", mx_last_error());
    free(json);
    mx_sym_free(sym);
    return ok ? text : NULL;
}

/* Graph walks and frees used to recurse once per node of depth, so a
 * long enough chain in a file overflowed the stack (a 300,000-node one
 * crashed the release build). 20,000 BlockGrads on a 256 KiB stack would
 * need megabytes of recursion. */
static void test_symjson_loads_a_graph_deeper_than_the_stack(void)
{
    size_t cap = (size_t)DEEP_NODES * 96 + 256, n;
    char *text = malloc(cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    n = (size_t)snprintf(text, cap, "{\"nodes\": [{\"op\": \"null\", \"name\": \"data\", \"inputs\": []}");
    for (int i = 1; i < DEEP_NODES; i++)
        n += (size_t)snprintf(text + n, cap - n, ", {\"op\": \"BlockGrad\", \"name\": \"b%d\", \"inputs\": [[%d, 0, 0]]}",
                              i, i - 1);
    snprintf(text + n, cap - n, "], \"arg_nodes\": [0], \"heads\": [[%d, 0, 0]]}", DEEP_NODES - 1);
    pthread_attr_t attr;
    pthread_t t;
    void *res = NULL;
    CU_ASSERT_EQUAL_FATAL(pthread_attr_init(&attr), 0);
    CU_ASSERT_EQUAL(pthread_attr_setstacksize(&attr, 256 << 10), 0);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, &attr, use_deep_chain, text), 0);
    pthread_join(t, &res);
    CU_ASSERT_PTR_EQUAL(res, text);
    pthread_attr_destroy(&attr);
    free(text);
}

CU_ErrorCode mx_test_register_symjson(void)
{
    CU_pSuite s = CU_add_suite("symjson", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "loads an MXNet MLP file and re-saves it byte for byte", test_symjson_loads_mxnet_mlp_file);
    CU_add_test(s, "loads old param/attr files", test_symjson_loads_old_param_and_attr_files);
    CU_add_test(s, "round-trips the MLP and a mixed graph", test_symjson_round_trips_mlp_and_mixed_graph);
    CU_add_test(s, "accepts duplicate variable names like MXNet",
                test_symjson_accepts_duplicate_variable_names_like_mxnet);
    CU_add_test(s, "rejects malformed JSON with its position", test_symjson_rejects_malformed_json_with_position);
    CU_add_test(s, "rejects bad structure", test_symjson_rejects_bad_structure);
    CU_add_test(s, "rejects bad nodes, naming them", test_symjson_rejects_bad_nodes_naming_them);
    CU_add_test(s, "save is atomic and load reads it", test_symjson_save_is_atomic_and_load_reads_it);
    CU_add_test(s, "loads a graph deeper than the stack", test_symjson_loads_a_graph_deeper_than_the_stack);
    mx_test_add_graphviz_tests(s);
    return CU_get_error();
}
