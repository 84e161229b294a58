/* test_symjson_dot.c — the DOT writer (rendered with Graphviz's dot when
 * it is installed) and the MLP factory; part of the symjson suite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

void mx_test_add_graphviz_tests(CU_pSuite s);

/* The DOT text for sym (malloc'd), or NULL with the status in *st. */
static char *dot_text(const mx_sym *sym, const char *title, int n, const char *const *names,
                      const mx_shape *shapes, mx_status *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    *st = mx_sym_to_graphviz(sym, f, title, n, names, shapes);
    fclose(f);
    if (*st != MX_OK) { free(buf); return NULL; }
    return buf;
}

static void assert_has(const char *text, const char *needle)
{
    if (!strstr(text, needle)) fprintf(stderr, "\n  DOT lacks: %s\n", needle);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, needle));
}

static void test_graphviz_mlp_boxes_labels_colours_and_shapes(void)
{
    mx_sym *mlp = mx_test_mlp();
    const char *names[] = {"data"};
    mx_shape shapes[] = {mx_shape_make(2, 100, 784)};
    mx_status st;
    char *dot = dot_text(mlp, NULL, 1, names, shapes, &st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dot);
    assert_has(dot, "digraph \"Network Visualization\" {\nnode [fontsize=10];\nedge [fontsize=10];\n");
    assert_has(dot, "\"fc1\" [label=\"fc1\\nFullyConnected\\n128\",shape=box,");
    assert_has(dot, "\"relu2\" [label=\"relu2\\nActivation\\nrelu\",shape=box,");
    assert_has(dot, "\"softmax\" [label=\"softmax\\nSoftmaxOutput\",shape=box,");
    assert_has(dot, "\"data\" [label=\"data\",shape=oval,");
    assert_has(dot, "fillcolor=\"#fb8072\",color=\"#941305\"];"); /* FullyConnected */
    assert_has(dot, "fillcolor=\"#ffffb3\",color=\"#999900\"];"); /* Activation */
    assert_has(dot, "\"fc1\" -> \"data\" [dir=back,arrowtail=open,color=\"#737373\",label=\"(100,784)\"];");
    assert_has(dot, "\"relu1\" -> \"fc1\" [dir=back,arrowtail=open,color=\"#737373\",label=\"(100,128)\"];");
    assert_has(dot, "\"softmax\" -> \"fc3\" [dir=back,arrowtail=open,color=\"#737373\",label=\"(100,10)\"];");
    /* weights, biases and the label are parameters of their layers: hidden */
    CU_ASSERT_PTR_NULL(strstr(dot, "fc1_weight"));
    CU_ASSERT_PTR_NULL(strstr(dot, "fc3_bias"));
    CU_ASSERT_PTR_NULL(strstr(dot, "softmax_label"));
    CU_ASSERT(dot[strlen(dot) - 2] == '}');
    free(dot);
    /* without shapes: no edge labels; a title with a quote stays one string */
    dot = dot_text(mlp, "my \"net\"", 0, NULL, NULL, &st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dot);
    assert_has(dot, "digraph \"my \\\"net\\\"\" {");
    assert_has(dot, "\"fc1\" -> \"data\" [dir=back,arrowtail=open,color=\"#737373\"];");
    CU_ASSERT_PTR_NULL(strstr(dot, "label=\"("));
    free(dot);
    /* shape inference failures are reported, naming the argument */
    const char *bad[] = {"dta"};
    CU_ASSERT_PTR_NULL(dot_text(mlp, NULL, 1, bad, shapes, &st));
    CU_ASSERT_EQUAL(st, MX_EINVAL);
    ASSERT_ERROR_HAS("dta");
    mx_sym_free(mlp);
}

static void test_graphviz_shows_data_inputs_and_scalar_params(void)
{
    /* a user-named weight shows (not an auto-created parameter); a variable
     * that is an output shows even if it looks like a weight */
    mx_sym *x = mx_var("x"), *w = mx_var("shared");
    const char *an[] = {"data", "weight"};
    mx_sym *in[] = {x, w};
    mx_sym *fc = mx_op_args("FullyConnected", "name=f num_hidden=4 no_bias=true", 2, an, in);
    mx_sym *half = mx_sym_arith_scalar(fc, '*', 0.5f);
    mx_sym *b = mx_var("b_bias");
    mx_sym *parts[] = {half, b};
    mx_sym *g = mx_group(2, parts);
    mx_status st;
    char *dot = dot_text(g, "t", 0, NULL, NULL, &st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dot);
    assert_has(dot, "\"shared\" [label=\"shared\",shape=oval,");
    assert_has(dot, "\"f\" -> \"shared\" [dir=back");
    assert_has(dot, "\\n_mul_scalar\\n0.5\",shape=box,");
    assert_has(dot, "\"b_bias\" [label=\"b_bias\",shape=oval,");
    free(dot);
    mx_sym *all[] = {x, w, fc, half, b, g};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mx_sym_free(all[i]);
}

static void test_graphviz_file_renders_with_dot(void)
{
    char path[512], svg[600], cmd[1400];
    snprintf(path, sizeof path, "%s/mlp.dot", mx_test_tmp_dir());
    snprintf(svg, sizeof svg, "%s/mlp.svg", mx_test_tmp_dir());
    mx_sym *mlp = mx_test_mlp();
    const char *names[] = {"data"};
    mx_shape shapes[] = {mx_shape_make(2, 100, 784)};
    CU_ASSERT_EQUAL_FATAL(mx_sym_save_graphviz(mlp, "MLP", 1, names, shapes, path), MX_OK);
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    char bad[600];
    snprintf(bad, sizeof bad, "%s/no-such-dir/mlp.dot", mx_test_tmp_dir());
    CU_ASSERT_EQUAL(mx_sym_save_graphviz(mlp, "MLP", 0, NULL, NULL, bad), MX_EIO);
    ASSERT_ERROR_HAS("no-such-dir/mlp.dot");
    mx_sym_free(mlp);
    if (system("command -v dot >/dev/null 2>&1") != 0) {
        mx_test_skip("graphviz dot not installed");
        remove(path);
        return;
    }
    snprintf(cmd, sizeof cmd, "dot -Tsvg '%s' -o '%s'", path, svg);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    f = fopen(svg, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "<svg"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, ">fc1<"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "FullyConnected"));
    remove(path);
    remove(svg);
}

static void test_mlp_factory_matches_the_tutorial_mlp(void)
{
    mx_sym *data = mx_var("data");
    const int hidden[] = {128, 64, 10};
    mx_sym *mlp = mx_mlp(data, 3, hidden, "relu", "");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mlp);
    mx_sym *ref = mx_chain(data, "FullyConnected name=fc1 num_hidden=128", "Activation name=relu1 act_type=relu",
                           "FullyConnected name=fc2 num_hidden=64", "Activation name=relu2 act_type=relu",
                           "FullyConnected name=fc3 num_hidden=10", NULL);
    const char *const *args;
    const char *want[] = {"data", "fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias", "fc3_weight", "fc3_bias"};
    CU_ASSERT_EQUAL_FATAL(mx_list_arguments(mlp, &args), 7);
    for (int i = 0; i < 7; i++) CU_ASSERT_STRING_EQUAL(args[i], want[i]);
    const char *out[2];
    CU_ASSERT_EQUAL(mx_list_outputs(mlp, out, 2), 1);
    CU_ASSERT_STRING_EQUAL(out[0], "fc3_output");
    const char *dn = "data";
    mx_shape in = mx_shape_make(2, 100, 784), as[7], bs[7], ao[1], bo[1];
    CU_ASSERT_EQUAL_FATAL(mx_infer_shape(mlp, 1, &dn, &in, as, ao, NULL), MX_OK);
    CU_ASSERT_EQUAL_FATAL(mx_infer_shape(ref, 1, &dn, &in, bs, bo, NULL), MX_OK);
    for (int i = 0; i < 7; i++) CU_ASSERT(mx_shape_equal(&as[i], &bs[i]));
    CU_ASSERT(mx_shape_equal(&ao[0], &bo[0]));
    /* same nodes, names and parameters: the same JSON */
    char *a = mx_sym_to_json(mlp), *b = mx_sym_to_json(ref);
    CU_ASSERT_STRING_EQUAL(a, b);
    free(a);
    free(b);
    mx_sym_free(mlp);
    mx_sym_free(ref);
    /* prefix and activation name the layers as MXNet.jl does */
    const int two[] = {32, 8};
    mlp = mx_mlp(data, 2, two, "tanh", "enc_");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mlp);
    int n = mx_list_arguments(mlp, &args);
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT_STRING_EQUAL(args[1], "enc_fc1_weight");
    CU_ASSERT_STRING_EQUAL(args[4], "enc_fc2_bias");
    a = mx_sym_to_json(mlp);
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"name\": \"enc_tanh1\""));
    free(a);
    mx_sym_free(mlp);
    /* defaults: relu, no prefix */
    mlp = mx_mlp(data, 2, two, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mlp);
    a = mx_sym_to_json(mlp);
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "\"name\": \"relu1\""));
    free(a);
    mx_sym_free(mlp);
    /* bad requests */
    CU_ASSERT_PTR_NULL(mx_mlp(data, 0, two, NULL, NULL));
    ASSERT_ERROR_HAS("mx_mlp");
    CU_ASSERT_PTR_NULL(mx_mlp(data, 2, two, "swish", NULL));
    ASSERT_ERROR_HAS("swish");
    const int zero[] = {0};
    CU_ASSERT_PTR_NULL(mx_mlp(data, 1, zero, NULL, NULL));
    ASSERT_ERROR_HAS("num_hidden");
    CU_ASSERT_PTR_NULL(mx_mlp(data, 1, two, NULL, "a b"));
    ASSERT_ERROR_HAS("prefix");
    mx_sym_free(data);
}

void mx_test_add_graphviz_tests(CU_pSuite s)
{
    CU_add_test(s, "DOT of the MLP: boxes, labels, colours, shapes",
                test_graphviz_mlp_boxes_labels_colours_and_shapes);
    CU_add_test(s, "DOT shows data inputs and scalar params", test_graphviz_shows_data_inputs_and_scalar_params);
    CU_add_test(s, "DOT file renders with dot", test_graphviz_file_renders_with_dot);
    CU_add_test(s, "mx_mlp matches the tutorial MLP", test_mlp_factory_matches_the_tutorial_mlp);
}
