/* gen_corpus.c — writes the fuzz seed corpus (fuzz/corpus/<target>/) from
 * the library itself: real IDX headers and images cut from data/mnist
 * (raw and gzip), .params files written by mx_nd_save plus the older
 * layouts MXNet wrote (V1, legacy, other element types), symbol JSON
 * written by mx_sym_save_json for the test networks, and op parameter
 * lines, plus the inputs of past findings (regress-*); the vocab/ and
 * optimizer/ seeds are written by hand (vocabulary files as mx_vocab_save
 * writes them, a text, and the specs of the docs). Seeds are kept
 * small: the corpus lives in git. After a change to a format, from the
 * repository root (scripts/fuzz.sh 0 builds build/fuzz/libmxrt.a):
 *   bash scripts/fuzz.sh 0
 *   clang-14 -std=c11 -fsanitize=fuzzer-no-link,address,undefined -D_POSIX_C_SOURCE=200809L \
 *       -Iinclude fuzz/gen_corpus.c build/fuzz/libmxrt.a -lz -lm -lpthread -o /tmp/gen_corpus
 *   rm -rf fuzz/corpus/... && /tmp/gen_corpus data/mnist fuzz/corpus */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "mx/mx.h"

static const char *out_dir;

static void die(const char *what)
{
    fprintf(stderr, "gen_corpus: %s: %s\n", what, mx_last_error());
    exit(1);
}

static void put_file(const char *target, const char *name, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
        perror(path);
        exit(1);
    }
}

static void put_gzip(const char *target, const char *name, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
    gzFile gz = gzopen(path, "wb9");
    if (!gz || gzwrite(gz, p, (unsigned)n) != (int)n || gzclose(gz) != Z_OK) {
        fprintf(stderr, "gen_corpus: cannot write %s\n", path);
        exit(1);
    }
}

/* ---- idx: the first items of the real files, with the count patched ---- */

static void idx_seeds(const char *mnist)
{
    char path[512];
    unsigned char buf[16 + 3 * 784];
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte", mnist);
    FILE *f = fopen(path, "rb");
    if (!f || fread(buf, 1, sizeof buf, f) != sizeof buf) { perror(path); exit(1); }
    fclose(f);
    buf[4] = buf[5] = buf[6] = 0, buf[7] = 2; /* 2 images of 28x28 */
    put_file("idx", "images-2x28x28", buf, 16 + 2 * 784);
    put_gzip("idx", "images-2x28x28.gz", buf, 16 + 2 * 784);
    buf[7] = 3;
    put_file("idx", "images-truncated", buf, 16 + 2 * 784 + 100); /* says 3, holds 2.1 */
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte", mnist);
    f = fopen(path, "rb");
    if (!f || fread(buf, 1, 8 + 16, f) != 8 + 16) { perror(path); exit(1); }
    fclose(f);
    buf[4] = buf[5] = buf[6] = 0, buf[7] = 16;
    put_file("idx", "labels-16", buf, 8 + 16);
    put_gzip("idx", "labels-16.gz", buf, 8 + 16);
    /* two and four dims, and one byte of trailing garbage */
    static const unsigned char two[] = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6};
    static const unsigned char four[] = {0, 0, 8, 4, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 7, 9};
    static const unsigned char trailing[] = {0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3};
    put_file("idx", "matrix-2x3", two, sizeof two);
    put_file("idx", "tensor-1x1x2x1", four, sizeof four);
    put_file("idx", "trailing-byte", trailing, sizeof trailing);
    /* fuzz_idx's finding: 3.4 GB claimed by a 15-byte file (was malloc'd) */
    static const unsigned char claim[] = {0, 0, 8, 2, 0x29, 0, 0, 1, 0, 0, 0, 5, 6, 5, 6};
    put_file("idx", "regress-huge-claim", claim, sizeof claim);
}

/* ---- params ---- */

static void save(const char *name, int n, const char *const *names, mx_nd *const *arrays)
{
    char path[512];
    snprintf(path, sizeof path, "%s/params/%s", out_dir, name);
    if (mx_nd_save(path, n, names, arrays) != MX_OK) die(path);
}

/* Little-endian writer for the layouts mx_nd_save does not produce. */
typedef struct bytes {
    unsigned char b[512];
    size_t n;
} bytes;

static void u32(bytes *w, uint32_t v)
{
    for (int i = 0; i < 4; i++) w->b[w->n++] = (unsigned char)(v >> (8 * i));
}

static void u64(bytes *w, uint64_t v)
{
    u32(w, (uint32_t)v);
    u32(w, (uint32_t)(v >> 32));
}

static void raw(bytes *w, const void *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void params_seeds(void)
{
    mx_nd *w = mx_nd_zeros(mx_shape_make(2, 3, 4)), *b = mx_nd_ones(mx_shape_make(1, 3));
    mx_nd *k = mx_nd_zeros(mx_shape_make(4, 2, 1, 2, 2));
    if (!w || !b || !k) die("arrays");
    for (int i = 0; i < 12; i++) mx_nd_data(w)[i] = (float)i * 0.5f - 2.0f;
    mx_nd *arrays[] = {w, b, k};
    const char *names[] = {"arg:fc1_weight", "arg:fc1_bias", "arg:conv1_weight"};
    save("named-3.params", 3, names, arrays);
    save("unnamed-2.params", 2, NULL, arrays);
    save("empty.params", 0, NULL, NULL);
    mx_nd_free(w);
    mx_nd_free(b);
    mx_nd_free(k);

    /* V1 (int64 dims, no storage type), float64, with a name */
    bytes v1 = {.n = 0};
    u64(&v1, 0x112), u64(&v1, 0), u64(&v1, 1);
    u32(&v1, 0xF993FAC8u), u32(&v1, 1), u64(&v1, 2), u32(&v1, 1), u32(&v1, 0), u32(&v1, 1);
    double d[2] = {1.5, -3.0};
    raw(&v1, d, sizeof d);
    u64(&v1, 1), u64(&v1, 3), raw(&v1, "aux", 3);
    put_file("params", "v1-float64.params", v1.b, v1.n);

    /* legacy (uint32 dims) uint8, float16 and int32 arrays, and a "none" array */
    bytes lg = {.n = 0};
    u64(&lg, 0x112), u64(&lg, 0), u64(&lg, 4);
    u32(&lg, 1), u32(&lg, 3), u32(&lg, 1), u32(&lg, 0), u32(&lg, 3), raw(&lg, "\x01\x02\xff", 3);
    u32(&lg, 1), u32(&lg, 2), u32(&lg, 1), u32(&lg, 0), u32(&lg, 2), raw(&lg, "\x00\x3c\x00\xc0", 4);
    u32(&lg, 1), u32(&lg, 1), u32(&lg, 1), u32(&lg, 0), u32(&lg, 4), u32(&lg, 0xfffffff9u);
    u32(&lg, 0);
    u64(&lg, 0);
    put_file("params", "legacy-mixed.params", lg.b, lg.n);

    /* V2 int8 and int64, dense storage type written explicitly */
    bytes v2 = {.n = 0};
    u64(&v2, 0x112), u64(&v2, 0), u64(&v2, 2);
    u32(&v2, 0xF993FAC9u), u32(&v2, 0), u32(&v2, 1), u64(&v2, 2), u32(&v2, 1), u32(&v2, 0), u32(&v2, 5);
    raw(&v2, "\x80\x7f", 2);
    u32(&v2, 0xF993FAC9u), u32(&v2, 0), u32(&v2, 1), u64(&v2, 1), u32(&v2, 1), u32(&v2, 0), u32(&v2, 6);
    u64(&v2, (uint64_t)-5);
    u64(&v2, 2), u64(&v2, 1), raw(&v2, "a", 1), u64(&v2, 1), raw(&v2, "b", 1);
    put_file("params", "v2-int8-int64.params", v2.b, v2.n);
}

/* ---- symjson ---- */

static void save_json(const char *name, mx_sym *net)
{
    char path[512];
    if (!net) die(name);
    snprintf(path, sizeof path, "%s/symjson/%s", out_dir, name);
    if (mx_sym_save_json(net, path) != MX_OK) die(path);
    mx_sym_free(net);
}

static void symjson_seeds(void)
{
    mx_sym *data = mx_var("data");
    save_json("mlp-symbol.json",
              mx_chain(data, "FullyConnected name=fc1 num_hidden=128", "Activation name=relu1 act_type=relu",
                       "FullyConnected name=fc2 num_hidden=64", "Activation name=relu2 act_type=relu",
                       "FullyConnected name=fc3 num_hidden=10", "SoftmaxOutput name=softmax", NULL));
    save_json("lenet-symbol.json",
              mx_chain(data, "Convolution name=conv1 kernel=(5,5) num_filter=20",
                       "Activation name=tanh1 act_type=tanh",
                       "Pooling name=pool1 pool_type=max kernel=(2,2) stride=(2,2)",
                       "Convolution name=conv2 kernel=(5,5) num_filter=50",
                       "Activation name=tanh2 act_type=tanh",
                       "Pooling name=pool2 pool_type=max kernel=(2,2) stride=(2,2)", "Flatten name=flatten",
                       "FullyConnected name=fc1 num_hidden=500", "Activation name=tanh3 act_type=tanh",
                       "FullyConnected name=fc2 num_hidden=10", "SoftmaxOutput name=softmax", NULL));
    /* BatchNorm's aux states, LeakyReLU, Concat of two branches, Reshape codes, Dropout */
    mx_sym *a = mx_chain(data, "Convolution name=c1 kernel=(3,3) stride=(2,2) pad=(1,1) num_filter=8",
                         "BatchNorm name=bn1", "LeakyReLU name=lr1 act_type=leaky slope=0.1",
                         "Pooling name=p1 pool_type=avg kernel=(2,2) stride=(2,2)", NULL);
    mx_sym *b = mx_chain(a, "Convolution name=c2 kernel=(1,1) num_filter=8", "Activation name=r2 act_type=relu",
                         NULL);
    mx_sym *parts[] = {a, b};
    mx_sym *cat = mx_op_args("Concat", "name=cat num_args=2 dim=1", 2, NULL, parts);
    if (!cat) die("concat");
    save_json("conv-layers-symbol.json",
              mx_chain(cat, "Reshape name=flat shape=(0,-1)", "Dropout name=drop p=0.3",
                       "FullyConnected name=fc num_hidden=10", "SoftmaxOutput name=softmax", NULL));
    /* arithmetic, a group of two outputs, a 1-D convolution */
    mx_sym *x = mx_var("x"), *y = mx_var("y");
    mx_sym *sum = mx_sym_arith(x, '+', y), *scaled = mx_sym_arith_scalar(sum, '*', 2.0f);
    mx_sym *outs[] = {scaled, mx_sym_rarith_scalar(1.0f, '/', x)};
    save_json("arith-group-symbol.json", mx_group(2, outs));
    mx_sym_free(outs[1]);
    mx_sym *seq = mx_var("seq");
    save_json("conv1d-symbol.json",
              mx_chain(seq, "Convolution name=c kernel=(3,) num_filter=4 no_bias=true",
                       "Pooling name=p kernel=(2,) pool_type=sum pooling_convention=full",
                       "LinearRegressionOutput name=lro", NULL));
    mx_sym_free(seq);
    mx_sym_free(x);
    mx_sym_free(y);
    mx_sym_free(sum);
    mx_sym_free(scaled);
    mx_sym_free(a);
    mx_sym_free(b);
    mx_sym_free(cat);
    mx_sym_free(data);
    /* an MXNet 0.8 file: "param" holds the parameters, "attr" user attributes */
    static const char old[] =
        "{\"nodes\":[{\"op\":\"null\",\"param\":{},\"name\":\"data\",\"inputs\":[],\"backward_source_id\":-1,"
        "\"attr\":{\"__shape__\":\"(1,784)\"}},{\"op\":\"null\",\"param\":{},\"name\":\"fc_weight\",\"inputs\":[],"
        "\"backward_source_id\":-1},{\"op\":\"null\",\"param\":{},\"name\":\"fc_bias\",\"inputs\":[],"
        "\"backward_source_id\":-1},{\"op\":\"FullyConnected\",\"param\":{\"no_bias\":\"False\","
        "\"num_hidden\":\"10\"},\"name\":\"fc\",\"inputs\":[[0,0],[1,0],[2,0]],\"backward_source_id\":-1,"
        "\"attr\":{\"ctx_group\":\"stage1\"}}],\"arg_nodes\":[0,1,2],\"heads\":[[3,0]]}\n";
    put_file("symjson", "mxnet-0.8-symbol.json", old, sizeof old - 1);
    /* MXNet 0.8 with a BatchNorm whose aux variables its loader adds, and
     * legacy lr_mult keys on an op and on its weight */
    static const char bn08[] =
        "{\"nodes\":[{\"op\":\"null\",\"param\":{},\"name\":\"data\",\"inputs\":[]},"
        "{\"op\":\"null\",\"param\":{},\"name\":\"fc_weight\",\"inputs\":[]},"
        "{\"op\":\"FullyConnected\",\"param\":{\"no_bias\":\"True\",\"num_hidden\":\"4\"},\"name\":\"fc\","
        "\"inputs\":[[0,0],[1,0]],\"attr\":{\"weight_lr_mult\":\"2\",\"wd_mult\":\"0\"}},"
        "{\"op\":\"null\",\"param\":{},\"name\":\"bn_gamma\",\"inputs\":[]},"
        "{\"op\":\"null\",\"param\":{},\"name\":\"bn_beta\",\"inputs\":[]},"
        "{\"op\":\"BatchNorm\",\"param\":{\"eps\":\"0.001\",\"fix_gamma\":\"True\"},\"name\":\"bn\","
        "\"inputs\":[[2,0],[3,0],[4,0]],\"attr\":{\"ctx_group\":\"g\"}}],\"arg_nodes\":[0,1,3,4],"
        "\"heads\":[[5,0]]}\n";
    put_file("symjson", "mxnet-0.8-bn-symbol.json", bn08, sizeof bn08 - 1);
    /* MXNet 1.x: canonical and alias op names, add_n and a wide Concat,
     * hidden attributes on ops and aux variables, optional "None" values */
    static const char v1x[] =
        "{\"nodes\":[{\"op\":\"null\",\"name\":\"data\",\"attrs\":{\"__shape__\":\"(0, 2, 4, 4)\"},\"inputs\":[]},"
        "{\"op\":\"_copy\",\"name\":\"c0\",\"inputs\":[[0,0,0]]},"
        "{\"op\":\"elemwise_add\",\"name\":\"_plus0\",\"inputs\":[[0,0,0],[1,0,0]]},"
        "{\"op\":\"_mul_scalar\",\"name\":\"m\",\"attrs\":{\"scalar\":\"0.5\",\"is_int\":\"False\"},\"inputs\":[[2,0,0]]},"
        "{\"op\":\"ElementWiseSum\",\"name\":\"s\",\"attrs\":{\"num_args\":\"3\"},\"inputs\":[[1,0,0],[2,0,0],[3,0,0]]},"
        "{\"op\":\"concat\",\"name\":\"cat\",\"attrs\":{\"num_args\":\"10\",\"dim\":\"1\"},\"inputs\":"
        "[[4,0,0],[4,0,0],[4,0,0],[4,0,0],[4,0,0],[4,0,0],[4,0,0],[4,0,0],[4,0,0],[3,0,0]]},"
        "{\"op\":\"null\",\"name\":\"g\",\"attrs\":{\"__init__\":\"ones\"},\"inputs\":[]},"
        "{\"op\":\"null\",\"name\":\"b\",\"inputs\":[]},"
        "{\"op\":\"null\",\"name\":\"mm\",\"attrs\":{\"__init__\":\"zeros\"},\"inputs\":[]},"
        "{\"op\":\"null\",\"name\":\"mv\",\"inputs\":[]},"
        "{\"op\":\"BatchNorm\",\"name\":\"bn\",\"attrs\":{\"__lr_mult__\":\"0\",\"min_calib_range\":\"None\"},"
        "\"inputs\":[[5,0,0],[6,0,0],[7,0,0],[8,0,1],[9,0,1]]},"
        "{\"op\":\"Pooling\",\"name\":\"p\",\"attrs\":{\"kernel\":\"(2, 2)\",\"layout\":\"NCHW\","
        "\"p_value\":\"None\",\"count_include_pad\":\"None\"},\"inputs\":[[10,0,0]]}],"
        "\"arg_nodes\":[0,6,7,8,9],\"node_row_ptr\":[0,1,2,3,4,5,6,7,8,9,10,13,14],\"heads\":[[11,0,0]],"
        "\"attrs\":{\"mxnet_version\":[\"int\",10901]}}\n";
    put_file("symjson", "mxnet-1.9-compat-symbol.json", v1x, sizeof v1x - 1);
    /* MXNet 1.9: a graph chaining issue #16's ops with their parameters as
     * MXNet writes them (the rnnop suite also runs it) */
    static const char item5[] =
        "{\"nodes\":[{\"op\":\"null\",\"name\":\"data\",\"inputs\":[]},{\"op\":\"null\",\"name\":\"dc_weight\""
        ",\"inputs\":[]},{\"op\":\"null\",\"name\":\"dc_bias\",\"inputs\":[]},{\"op\":\"Deconvolution\",\"nam"
        "e\":\"dc\",\"inputs\":[[0,0,0],[1,0,0],[2,0,0]],\"attrs\":{\"kernel\":\"(4, 4)\",\"stride\":\"(2, 2)"
        "\",\"pad\":\"(1, 1)\",\"adj\":\"(0, 0)\",\"target_shape\":\"()\",\"num_filter\":\"4\",\"num_group\":"
        "\"1\",\"workspace\":\"512\",\"no_bias\":\"False\",\"cudnn_tune\":\"None\",\"cudnn_off\":\"False\",\""
        "layout\":\"None\"}},{\"op\":\"LRN\",\"name\":\"lrn\",\"inputs\":[[3,0,0]],\"attrs\":{\"alpha\":\"0.0"
        "001\",\"beta\":\"0.75\",\"knorm\":\"2\",\"nsize\":\"3\"}},{\"op\":\"UpSampling\",\"name\":\"up\",\"i"
        "nputs\":[[4,0,0]],\"attrs\":{\"scale\":\"2\",\"sample_type\":\"nearest\",\"num_args\":\"1\"}},{\"op\""
        ":\"null\",\"name\":\"in_gamma\",\"inputs\":[]},{\"op\":\"null\",\"name\":\"in_beta\",\"inputs\":[]},"
        "{\"op\":\"InstanceNorm\",\"name\":\"inorm\",\"inputs\":[[5,0,0],[6,0,0],[7,0,0]],\"attrs\":{\"eps\":"
        "\"0.001\"}},{\"op\":\"L2Normalization\",\"name\":\"l2\",\"inputs\":[[8,0,0]],\"attrs\":{\"mode\":\"c"
        "hannel\",\"eps\":\"1e-10\"}},{\"op\":\"Crop\",\"name\":\"crop0\",\"inputs\":[[9,0,0]],\"attrs\":{\"n"
        "um_args\":\"1\",\"offset\":\"(1, 1)\",\"h_w\":\"(8, 8)\",\"center_crop\":\"False\"}},{\"op\":\"Pad\""
        ",\"name\":\"pad0\",\"inputs\":[[10,0,0]],\"attrs\":{\"mode\":\"constant\",\"pad_width\":\"(0, 0, 0, "
        "0, 1, 1, 1, 1)\",\"constant_value\":\"0\"}},{\"op\":\"transpose\",\"name\":\"tr\",\"inputs\":[[11,0,"
        "0]],\"attrs\":{\"axes\":\"(0, 2, 3, 1)\"}},{\"op\":\"slice\",\"name\":\"sl\",\"inputs\":[[12,0,0]],\""
        "attrs\":{\"begin\":\"(None, 0, 0, 0)\",\"end\":\"(None, 8, 8, 4)\",\"step\":\"(None, 1, 1, None)\"}}"
        ",{\"op\":\"Reshape\",\"name\":\"rs\",\"inputs\":[[13,0,0]],\"attrs\":{\"shape\":\"(0, -1, 4)\"}},{\""
        "op\":\"SwapAxis\",\"name\":\"sw\",\"inputs\":[[14,0,0]],\"attrs\":{\"dim1\":\"0\",\"dim2\":\"1\"}},{"
        "\"op\":\"null\",\"name\":\"rnn_parameters\",\"inputs\":[]},{\"op\":\"null\",\"name\":\"rnn_state\",\""
        "inputs\":[]},{\"op\":\"null\",\"name\":\"rnn_state_cell\",\"inputs\":[]},{\"op\":\"RNN\",\"name\":\""
        "rnn\",\"inputs\":[[15,0,0],[16,0,0],[17,0,0],[18,0,0]],\"attrs\":{\"state_size\":\"5\",\"num_layers\""
        ":\"2\",\"bidirectional\":\"True\",\"mode\":\"lstm\",\"p\":\"0.2\",\"state_outputs\":\"True\",\"proje"
        "ction_size\":\"None\",\"lstm_state_clip_min\":\"None\",\"lstm_state_clip_max\":\"None\",\"lstm_state"
        "_clip_nan\":\"False\",\"use_sequence_length\":\"False\"}},{\"op\":\"sum\",\"name\":\"s0\",\"inputs\""
        ":[[19,0,0]],\"attrs\":{\"axis\":\"(0,)\",\"keepdims\":\"False\",\"exclude\":\"False\"}},{\"op\":\"me"
        "an\",\"name\":\"m0\",\"inputs\":[[19,1,0]],\"attrs\":{\"axis\":\"0\"}},{\"op\":\"sum\",\"name\":\"s1"
        "\",\"inputs\":[[21,0,0]],\"attrs\":{\"axis\":\"1\",\"keepdims\":\"True\"}},{\"op\":\"broadcast_like\""
        ",\"name\":\"bl\",\"inputs\":[[22,0,0],[20,0,0]],\"attrs\":{\"lhs_axes\":\"None\",\"rhs_axes\":\"None"
        "\"}},{\"op\":\"dot\",\"name\":\"dt\",\"inputs\":[[23,0,0],[23,0,0]],\"attrs\":{\"transpose_b\":\"Tru"
        "e\"}},{\"op\":\"smooth_l1\",\"name\":\"sl1\",\"inputs\":[[24,0,0]],\"attrs\":{\"scalar\":\"1\"}},{\""
        "op\":\"make_loss\",\"name\":\"ml\",\"inputs\":[[25,0,0]]}],\"arg_nodes\":[0,1,2,6,7,16,17,18],\"node"
        "_row_ptr\":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27],\"heads\":[[2"
        "6,0,0]],\"attrs\":{\"mxnet_version\":[\"int\",10901]}}";
    put_file("symjson", "mxnet-1.9-item5-symbol.json", item5, sizeof item5 - 1);
}

/* ---- opparams ---- */

/* One opparams seed in the chain form (byte 0 = 0x80), which names the
 * op, so seeds survive changes to the registry's order; byte 1 is the
 * data shape (an index into fuzz_opparams.c's table), then the lines. */
static void put_op_seed(const char *name, int shape, const char *op, const char *text)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%c%c%s%s%s", 0x80, shape, op, *op ? " " : "", text);
    if (n < 0 || (size_t)n >= sizeof buf) {
        fprintf(stderr, "gen_corpus: opparams seed %s too long\n", name);
        exit(1);
    }
    put_file("opparams", name, buf, (size_t)n);
}

typedef struct op_seed {
    const char *op;
    int shape;
    const char *params;
} op_seed;

static void opparams_seeds(void)
{
    static const op_seed seeds[] = {
        {"Convolution", 0, "name=conv1 kernel=(5,5) num_filter=20"},
        {"Convolution", 2, "kernel=(3,3) stride=(2,2) pad=(1,1) dilate=(1,1) num_filter=6 num_group=3 no_bias=true"},
        {"Convolution", 3, "kernel=(3,) num_filter=4 layout=NCW cudnn_tune=fastest workspace=512"},
        {"Pooling", 0, "pool_type=max kernel=(2,2) stride=(2,2)"},
        {"Pooling", 2, "pool_type=avg kernel=(3,3) pad=(1,1) pooling_convention=full count_include_pad=false"},
        {"Pooling", 3, "global_pool=true pool_type=sum kernel=(1,)"},
        {"FullyConnected", 1, "name=fc1 num_hidden=128"},
        {"FullyConnected", 0, "num_hidden=10 no_bias=True flatten=false"},
        {"Activation", 1, "act_type=relu"},
        {"Activation", 0, "act_type=softrelu"},
        {"Reshape", 0, "shape=(0,-1)"},
        {"Reshape", 12, "shape=(-4,1,3,-2) reverse=true"},
        {"Reshape", 2, "shape=(-3,-1)"},
        {"Reshape", 1, "target_shape=(0,28,28) keep_highest=1"},
        {"Concat", 2, "num_args=2 dim=1"},
        {"Concat", 0, "num_args=3 dim=-1"},
        {"BatchNorm", 2, "eps=0.001 momentum=0.9 fix_gamma=false use_global_stats=true"},
        {"Dropout", 1, "p=0.5 mode=training"},
        {"LeakyReLU", 2, "act_type=prelu"},
        {"LeakyReLU", 0, "act_type=elu slope=0.25"},
        {"SoftmaxOutput", 1, "name=softmax grad_scale=1 multi_output=true"},
        {"SoftmaxActivation", 2, "mode=channel"},
        {"_PlusScalar", 5, "scalar=3.5"},
        {"_Plus", 1, ""},
        {"Flatten", 6, ""},
        {"LinearRegressionOutput", 1, "grad_scale=0.5"},
        /* issue #16's ops */
        {"transpose", 3, "axes=(2,0,1)"},
        {"SwapAxis", 2, "dim1=1 dim2=3"},
        {"slice", 3, "begin=(None,1,-1) end=(2,None,0) step=(1,2,-2)"},
        {"Pad", 2, "mode=constant pad_width=(0,0,0,0,1,1,2,2) constant_value=1.5"},
        {"dot", 1, "transpose_b=true"},
        {"batch_dot", 3, "transpose_a=true"},
        {"smooth_l1", 0, "scalar=2"},
        {"sum", 2, "axis=(1,3) keepdims=true exclude=false"},
        {"broadcast_to", 2, "shape=(0,3,0,8)"},
        {"softmax", 3, "axis=-1"},
        {"clip", 2, "a_min=-1 a_max=1"},
        {"expand_dims", 0, "axis=-1"},
        {"slice_axis", 2, "axis=2 begin=1 end=None"},
        {"Cast", 3, "dtype=float32"},
        {"Deconvolution", 2, "kernel=(4,4) stride=(2,2) pad=(1,1) adj=(1,1) num_filter=8 num_group=1 no_bias=false"},
        {"Deconvolution", 2, "kernel=(3,3) stride=(2,2) target_shape=(16,16) num_filter=4"},
        {"UpSampling", 2, "scale=2 sample_type=nearest num_args=1"},
        {"UpSampling", 2, "scale=2 sample_type=bilinear num_filter=3 num_args=2 workspace=512"},
        {"LRN", 0, "nsize=5 alpha=0.0001 beta=0.75 knorm=2"},
        {"L2Normalization", 2, "mode=channel eps=1e-10"},
        {"InstanceNorm", 2, "eps=0.001"},
        {"Crop", 2, "num_args=1 offset=(1,1) h_w=(4,4) center_crop=false"},
        {"broadcast_like", 2, "lhs_axes=(0,) rhs_axes=(1,)"},
        {"Pooling_v1", 2, "kernel=(2,2) pool_type=max stride=(2,2)"},
        {"RNN", 3, "mode=lstm num_layers=2 state_size=8 bidirectional=true state_outputs=true p=0.2"},
        {"RNN", 3, "mode=gru num_layers=1 state_size=4 projection_size=None lstm_state_clip_min=None"},
    };
    /* fuzz_opparams' findings, replayed on every run: an int parameter
     * past int, sizes past int in Flatten and FullyConnected, a pad that
     * makes the output longer than an int */
    static const op_seed regress[] = {
        {"FullyConnected", 1, "num_hidden=05663215494175483414"},
        {"Flatten", 9, ""},
        {"FullyConnected", 9, "num_hidden=64"},
        {"Pooling", 2, "pool_type=avg kernel=(3,3) pad=(1310503833,1) pooling_convention=full"},
    };
    char name[64];
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        snprintf(name, sizeof name, "%02zu-%s", i, seeds[i].op);
        put_op_seed(name, seeds[i].shape, seeds[i].op, seeds[i].params);
    }
    for (size_t i = 0; i < sizeof regress / sizeof regress[0]; i++) {
        snprintf(name, sizeof name, "regress-%zu-%s", i, regress[i].op);
        put_op_seed(name, regress[i].shape, regress[i].op, regress[i].params);
    }
    /* later findings, under the names they were filed with: an output no
     * memory could hold (CI, 2026-11-26), a Pad width past int64 and a
     * num_args of 2^31 - 1 (2026-12-07) */
    static const struct { const char *name; int shape; const char *text; } found[] = {
        {"regress-4-FullyConnected-output-too-large", 47, "FullyConnected num_hidden=00000000001815321791"},
        {"regress-5-Pad-width-overflow", 2,
         "Pad mode=constant pad_width=(333333333333333333333333333333333333333333333333333333333333333333333333"
         "333333333333333333333333333333333333333330,0,0,0,1,1,2,2) constant_value=1.5"},
        {"regress-6-Concat-num-args-huge", 2, "Concat num_args=02147483647\nLe%kyReL;"},
    };
    for (size_t i = 0; i < sizeof found / sizeof found[0]; i++) put_op_seed(found[i].name, found[i].shape, "", found[i].text);
    static const struct { int shape; const char *lines; } chains[] = {
        {0, "Convolution name=conv1 kernel=(5,5) num_filter=20\nActivation act_type=tanh\n"
            "Pooling kernel=(2,2) stride=(2,2)\nFlatten"},
        {1, "FullyConnected num_hidden=64\nBatchNorm\nDropout p=0.2\nSoftmaxOutput"},
        {2, "Reshape shape=(0,3,-1)\nConcat num_args=1\nLeakyReLU act_type=rrelu\nBlockGrad"},
    };
    for (size_t i = 0; i < sizeof chains / sizeof chains[0]; i++) {
        snprintf(name, sizeof name, "chain-%zu", i);
        put_op_seed(name, chains[i].shape, "", chains[i].lines);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen_corpus MNIST_DIR OUT_DIR (writes OUT_DIR/{idx,params,symjson,opparams})\n");
        return 2;
    }
    out_dir = argv[2];
    idx_seeds(argv[1]);
    params_seeds();
    symjson_seeds();
    opparams_seeds();
    return 0;
}
