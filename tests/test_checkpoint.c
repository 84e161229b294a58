/* test_checkpoint.c — checkpoints (issue #4): an MNIST round trip, an
 * MXNet fixture written byte by byte whose predictions are computed by
 * hand, and every rejection, with the good checkpoint left byte-identical.
 * Resume equivalence, a save failing half way and kills during a save are
 * in tests/test_checkpoint_resume.c, registered into this suite. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suites.h"
#include "test_ckpt_util.h"
#include "test_util.h"

/* ---- helpers ---- */

mx_provider *mx_test_ckpt_mnist(int train, long limit, uint64_t seed, int shuffle)
{
    char img[512], lab[512];
    mx_mnist_opts o = mx_mnist_defaults();
    o.image = mx_test_mnist_path(train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte", img, sizeof img);
    o.label = mx_test_mnist_path(train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte", lab, sizeof lab);
    o.batch_size = 100;
    o.flat = 1;
    o.shuffle = shuffle;
    o.seed = seed;
    o.limit = limit;
    mx_provider *p = mx_mnist_provider(&o);
    CU_ASSERT_PTR_NOT_NULL(p);
    return p;
}

/* Fits with a fresh optimizer parsed from spec; prefix: mx_do_checkpoint. */
mx_status mx_test_ckpt_fit(mx_model *m, const char *spec, mx_provider *p, int n_epoch, const char *prefix, int freq)
{
    mx_optimizer *opt = mx_optimizer_parse(spec);
    CU_ASSERT_PTR_NOT_NULL_FATAL(opt);
    mx_callback *cb = prefix ? mx_do_checkpoint(prefix, freq, 0) : NULL;
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = n_epoch;
    fo.callbacks = &cb;
    fo.ncallbacks = cb ? 1 : 0;
    mx_log_set_quiet(1);
    mx_status st = p ? mx_model_fit(m, opt, p, &fo) : MX_EINVAL;
    mx_log_set_quiet(0);
    mx_callback_free(cb);
    mx_optimizer_free(opt);
    return st;
}

/* The tutorial MLP trained on 40 random 784-pixel samples (no MNIST needed). */
mx_model *mx_test_ckpt_random_mlp(uint64_t seed, const char *spec, int n_epoch)
{
    mx_nd *x = mx_nd_empty(mx_shape_make(2, 40, 784)), *y = mx_nd_empty(mx_shape_make(1, 40));
    mx_test_fill(x, 0.0f, 1.0f, (unsigned)seed);
    for (int i = 0; i < 40; i++) mx_nd_data(y)[i] = (float)((i * 7 + (int)seed) % 10);
    const char *dn[] = {"data"}, *ln[] = {"softmax_label"};
    mx_array_provider_opts po = {10, 0, 0, 0, 0};
    mx_provider *p = mx_array_provider(1, dn, &x, 1, ln, &y, &po);
    mx_random_seed(seed);
    mx_sym *net = mx_test_mlp();
    mx_model *m = mx_model_create(net, NULL, 0);
    CU_ASSERT_EQUAL(mx_test_ckpt_fit(m, spec, p, n_epoch, NULL, 1), MX_OK);
    mx_provider_free(p);
    mx_sym_free(net);
    mx_nd_free(x);
    mx_nd_free(y);
    return m;
}

unsigned char *mx_test_ckpt_read(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    size_t got;
    while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) b = realloc(b, cap *= 2);
    }
    fclose(f);
    *len = n;
    return b;
}

int mx_test_ckpt_same_file(const char *path, const unsigned char *bytes, size_t len)
{
    size_t n;
    unsigned char *now = mx_test_ckpt_read(path, &n);
    int same = now && bytes && n == len && memcmp(now, bytes, n) == 0;
    free(now);
    return same;
}

int mx_test_ckpt_count_tmp(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) n += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

/* A fresh folder under the runner's scratch directory. */
const char *mx_test_ckpt_dir(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", mx_test_tmp_dir(), name);
    mkdir(buf, 0700);
    return buf;
}

static int file_exists(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0;
}

static int write_file(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    size_t w = fwrite(bytes, 1, len, f);
    return fclose(f) == 0 && w == len;
}

/* ---- 1. round trip through a real training run ---- */

static void round_trip(int threads)
{
    char dir[512], prefix[600], path[700];
    snprintf(prefix, sizeof prefix, "%s/mlp", mx_test_ckpt_dir(threads == 1 ? "rt1" : "rt2", dir, sizeof dir));
    mx_engine_set_default(threads, MX_BIND_NONE);
    mx_random_seed(11);
    mx_provider *train = mx_test_ckpt_mnist(1, 1000, 11, 1), *test = mx_test_ckpt_mnist(0, 300, 0, 0);
    mx_sym *net = mx_test_mlp();
    mx_model *m = mx_model_create(net, NULL, 0);
    CU_ASSERT_EQUAL_FATAL(mx_test_ckpt_fit(m, "sgd lr=0.1 momentum=0.9", train, 1, prefix, 1), MX_OK);
    static const char *const names[] = {"symbol.json", "0001.params", "0001.states"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s-%s", prefix, names[i]);
        CU_ASSERT(file_exists(path));
    }
    snprintf(path, sizeof path, "%s-0000.params", prefix);
    CU_ASSERT(!file_exists(path)); /* save_epoch_0 = 0 */
    CU_ASSERT_EQUAL(mx_test_ckpt_count_tmp(dir), 0);

    /* The symbol and every parameter, bit for bit. */
    mx_sym *sym = NULL;
    mx_nd_list params = {0, NULL, NULL};
    CU_ASSERT_EQUAL_FATAL(mx_checkpoint_load(prefix, 1, &sym, &params), MX_OK);
    char *want = mx_sym_to_json(mx_model_symbol(m)), *got = mx_sym_to_json(sym);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(want);
    free(got);
    CU_ASSERT_EQUAL(params.n, mx_model_num_params(m)); /* the MLP has no aux states */
    for (int i = 0; i < mx_model_num_params(m); i++) {
        char key[128];
        snprintf(key, sizeof key, "arg:%s", mx_model_param_name(m, i));
        int k = mx_nd_list_find(&params, key);
        CU_ASSERT_FATAL(k >= 0);
        mx_nd *p = mx_model_param(m, i);
        mx_shape a = mx_nd_shape(p), b = mx_nd_shape(params.arrays[k]);
        CU_ASSERT(mx_shape_equal(&a, &b));
        CU_ASSERT_EQUAL(memcmp(mx_nd_data(p), mx_nd_data(params.arrays[k]), mx_nd_size(p) * sizeof(float)), 0);
    }
    mx_nd_list_free(&params);
    mx_sym_free(sym);

    /* The states file: 10 batches into epoch 1, one momentum per parameter. */
    mx_nd_list states = {0, NULL, NULL};
    snprintf(path, sizeof path, "%s-0001.states", prefix);
    CU_ASSERT_EQUAL_FATAL(mx_nd_load(path, &states), MX_OK);
    int meta = mx_nd_list_find(&states, "meta:iter_epoch");
    CU_ASSERT_FATAL(meta >= 0 && mx_nd_size(states.arrays[meta]) == 4);
    double ie[2];
    memcpy(ie, mx_nd_data(states.arrays[meta]), sizeof ie);
    CU_ASSERT_EQUAL(ie[0], 10.0);
    CU_ASSERT_EQUAL(ie[1], 1.0);
    CU_ASSERT(mx_nd_list_find(&states, "meta:rng0") >= 0);
    for (int i = 0; i < mx_model_num_params(m); i++) {
        char key[128];
        snprintf(key, sizeof key, "state:%s", mx_model_param_name(m, i));
        int k = mx_nd_list_find(&states, key);
        CU_ASSERT(k >= 0 && mx_nd_size(states.arrays[k]) == mx_nd_size(mx_model_param(m, i)));
    }
    mx_nd_list_free(&states);

    /* A model from the files alone predicts exactly as the trained one. */
    mx_nd *pa = NULL, *pb = NULL;
    CU_ASSERT_EQUAL_FATAL(mx_model_predict(m, test, &pa), MX_OK);
    mx_model *l = mx_model_load(prefix, 1, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT_EQUAL_FATAL(mx_model_predict(l, test, &pb), MX_OK);
    CU_ASSERT_EQUAL(mx_nd_size(pa), 3000);
    CU_ASSERT(mx_nd_size(pa) == mx_nd_size(pb) &&
              memcmp(mx_nd_data(pa), mx_nd_data(pb), mx_nd_size(pa) * sizeof(float)) == 0);
    CU_ASSERT_EQUAL(mx_test_ckpt_count_tmp(dir), 0);
    mx_nd_free(pa);
    mx_nd_free(pb);
    mx_model_free(l);
    mx_model_free(m);
    mx_sym_free(net);
    mx_provider_free(train);
    mx_provider_free(test);
}

static void test_checkpoint_round_trip_after_one_epoch(void)
{
    if (!mx_test_have_mnist("checkpoint round trip")) return;
    round_trip(1);
    round_trip(2);
}

/* ---- 3. an MXNet checkpoint written byte by byte ---- */

/* A 4-3-3-2 version of the tutorial MLP, as libmxnet 1.6 writes it. */
static const char fixture_json[] =
    "{\n  \"nodes\": [\n"
    "    {\"op\": \"null\", \"name\": \"data\", \"inputs\": []}, \n"
    "    {\"op\": \"null\", \"name\": \"fc1_weight\", \"attrs\": {\"num_hidden\": \"3\"}, \"inputs\": []}, \n"
    "    {\"op\": \"null\", \"name\": \"fc1_bias\", \"attrs\": {\"num_hidden\": \"3\"}, \"inputs\": []}, \n"
    "    {\"op\": \"FullyConnected\", \"name\": \"fc1\", \"attrs\": {\"num_hidden\": \"3\"}, "
    "\"inputs\": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]}, \n"
    "    {\"op\": \"Activation\", \"name\": \"relu1\", \"attrs\": {\"act_type\": \"relu\"}, \"inputs\": [[3, 0, 0]]}, \n"
    "    {\"op\": \"null\", \"name\": \"fc2_weight\", \"attrs\": {\"num_hidden\": \"3\"}, \"inputs\": []}, \n"
    "    {\"op\": \"null\", \"name\": \"fc2_bias\", \"attrs\": {\"num_hidden\": \"3\"}, \"inputs\": []}, \n"
    "    {\"op\": \"FullyConnected\", \"name\": \"fc2\", \"attrs\": {\"num_hidden\": \"3\"}, "
    "\"inputs\": [[4, 0, 0], [5, 0, 0], [6, 0, 0]]}, \n"
    "    {\"op\": \"Activation\", \"name\": \"relu2\", \"attrs\": {\"act_type\": \"relu\"}, \"inputs\": [[7, 0, 0]]}, \n"
    "    {\"op\": \"null\", \"name\": \"fc3_weight\", \"attrs\": {\"num_hidden\": \"2\"}, \"inputs\": []}, \n"
    "    {\"op\": \"null\", \"name\": \"fc3_bias\", \"attrs\": {\"num_hidden\": \"2\"}, \"inputs\": []}, \n"
    "    {\"op\": \"FullyConnected\", \"name\": \"fc3\", \"attrs\": {\"num_hidden\": \"2\"}, "
    "\"inputs\": [[8, 0, 0], [9, 0, 0], [10, 0, 0]]}, \n"
    "    {\"op\": \"null\", \"name\": \"softmax_label\", \"inputs\": []}, \n"
    "    {\"op\": \"SoftmaxOutput\", \"name\": \"softmax\", \"inputs\": [[11, 0, 0], [12, 0, 0]]}\n"
    "  ], \n"
    "  \"arg_nodes\": [0, 1, 2, 5, 6, 9, 10, 12], \n"
    "  \"node_row_ptr\": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14], \n"
    "  \"heads\": [[13, 0, 0]], \n"
    "  \"attrs\": {\"mxnet_version\": [\"int\", 10600]}\n}";

/* h = relu(W1 x + b1): h1 = x0 + x1, h2 = x2 - x3 + 0.5, h3 = -x0 + 0.5 x3 - 1;
 * g = relu(W2 h + b2): g1 = h1 + 0.25, g2 = h2 + h3, g3 = -h1 + 2 h2;
 * z = W3 g + b3: z0 = g1 - g3, z1 = g2 + 0.5 g3 - 0.5. */
static const float w1[] = {1, 1, 0, 0, 0, 0, 1, -1, -1, 0, 0, 0.5f}, b1[] = {0, 0.5f, -1};
static const float w2[] = {1, 0, 0, 0, 1, 1, -1, 2, 0}, b2[] = {0.25f, 0, 0};
static const float w3[] = {1, 0, -1, 0, 1, 0.5f}, b3[] = {0, -0.5f};
static const float w_bad[12] = {0};

typedef struct fx_array {
    const char *name;
    int ndim;
    int64_t dims[2];
    const float *v;
} fx_array;

/* In file order (not the network's): loading goes by name. */
static const fx_array fixture[6] = {
    {"arg:fc3_bias", 1, {2, 0}, b3},   {"arg:fc1_weight", 2, {3, 4}, w1}, {"arg:fc2_bias", 1, {3, 0}, b2},
    {"arg:fc1_bias", 1, {3, 0}, b1},   {"arg:fc3_weight", 2, {2, 3}, w3}, {"arg:fc2_weight", 2, {3, 3}, w2},
};

typedef struct bytes {
    unsigned char b[4096];
    size_t n;
} bytes;

static void put(bytes *o, uint64_t v, int width)
{
    for (int i = 0; i < width; i++) o->b[o->n++] = (unsigned char)(v >> (8 * i));
}

/* REFERENCE.md's NDArray list: V2 dense float32 CPU arrays, then names. */
static void fx_params(bytes *o, int n, const fx_array *a)
{
    o->n = 0;
    put(o, 0x112, 8);
    put(o, 0, 8);
    put(o, (uint64_t)n, 8);
    for (int i = 0; i < n; i++) {
        put(o, 0xF993FAC9u, 4);
        put(o, 0, 4); /* dense */
        put(o, (uint64_t)a[i].ndim, 4);
        int64_t count = 1;
        for (int d = 0; d < a[i].ndim; d++) { put(o, (uint64_t)a[i].dims[d], 8); count *= a[i].dims[d]; }
        put(o, 1, 4); /* cpu */
        put(o, 0, 4); /* dev_id */
        put(o, 0, 4); /* float32 */
        for (int64_t k = 0; k < count; k++) {
            uint32_t u;
            memcpy(&u, &a[i].v[k], 4);
            put(o, u, 4);
        }
    }
    put(o, (uint64_t)n, 8);
    for (int i = 0; i < n; i++) {
        size_t len = strlen(a[i].name);
        put(o, len, 8);
        memcpy(o->b + o->n, a[i].name, len);
        o->n += len;
    }
}

static void write_params(const char *prefix, int epoch, int n, const fx_array *a)
{
    bytes o;
    char path[700];
    fx_params(&o, n, a);
    snprintf(path, sizeof path, "%s-%04d.params", prefix, epoch);
    CU_ASSERT(write_file(path, o.b, o.n));
}

static void write_fixture(const char *prefix)
{
    char path[700];
    snprintf(path, sizeof path, "%s-symbol.json", prefix);
    CU_ASSERT(write_file(path, fixture_json, strlen(fixture_json)));
    write_params(prefix, 1, 6, fixture);
}

/* Four inputs, batch 4, no labels. */
static const float fx_inputs[16] = {1, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, -1, -1, 0, 6};

static mx_status fx_predict(mx_model *m, mx_nd **out)
{
    mx_nd *x = mx_nd_from(mx_shape_make(2, 4, 4), fx_inputs);
    const char *dn[] = {"data"};
    mx_array_provider_opts po = {4, 0, 0, 0, 0};
    mx_provider *p = mx_array_provider(1, dn, &x, 0, NULL, NULL, &po);
    mx_status st = mx_model_predict(m, p, out);
    mx_provider_free(p);
    mx_nd_free(x);
    return st;
}

static void test_checkpoint_mxnet_fixture_predicts_hand_computed_softmax(void)
{
    char dir[512], prefix[600];
    snprintf(prefix, sizeof prefix, "%s/tiny", mx_test_ckpt_dir("fixture", dir, sizeof dir));
    write_fixture(prefix);
    mx_model *m = mx_model_load(prefix, 1, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mx_nd *out = NULL;
    CU_ASSERT_EQUAL_FATAL(fx_predict(m, &out), MX_OK);
    mx_shape want = mx_shape_make(2, 4, 2), got = mx_nd_shape(out);
    CU_ASSERT(mx_shape_equal(&got, &want));
    /* By hand: x = (1,0,0,0): h = (1, 0.5, 0), g = (1.25, 0.5, 0), z = (1.25, 0);
     * x = (0,0,2,1): h = (0, 1.5, 0), g = (0.25, 1.5, 3), z = (-2.75, 2.5);
     * x = 0: h = (0, 0.5, 0), g = (0.25, 0.5, 1), z = (-0.75, 0.5);
     * x = (-1,-1,0,6): h = (0, 0, 3), g = (0.25, 3, 0), z = (0.25, 2.5).
     * p1 = 1 / (1 + e^(z0 - z1)). */
    static const double z0_minus_z1[4] = {1.25, -5.25, -1.25, -2.25};
    for (int r = 0; r < 4; r++) {
        double p1 = 1.0 / (1.0 + exp(z0_minus_z1[r]));
        CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(out)[2 * r + 1], p1, 1e-6);
        CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(out)[2 * r], 1.0 - p1, 1e-6);
    }
    CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(out)[0], 0.7772998611746911, 1e-6); /* 1/(1+e^-1.25) */
    mx_nd_free(out);
    mx_model_free(m);
}

/* ---- 4. rejections; the good checkpoint stays byte-identical ---- */

typedef struct snapshot {
    char path[2][700];
    unsigned char *bytes[2];
    size_t len[2];
} snapshot;

static void snap(snapshot *s, const char *prefix, int epoch)
{
    snprintf(s->path[0], sizeof s->path[0], "%s-symbol.json", prefix);
    snprintf(s->path[1], sizeof s->path[1], "%s-%04d.params", prefix, epoch);
    for (int i = 0; i < 2; i++) s->bytes[i] = mx_test_ckpt_read(s->path[i], &s->len[i]);
    CU_ASSERT(s->bytes[0] && s->bytes[1]);
}

static int unchanged(const snapshot *s)
{
    return mx_test_ckpt_same_file(s->path[0], s->bytes[0], s->len[0]) &&
           mx_test_ckpt_same_file(s->path[1], s->bytes[1], s->len[1]);
}

static void unsnap(snapshot *s)
{
    free(s->bytes[0]);
    free(s->bytes[1]);
}

/* Loads prefix/epoch (fine: parameters are checked at bind), predicts: the
 * error must have needle. */
static void expect_bind_error(const char *prefix, int epoch, const char *needle)
{
    mx_model *m = mx_model_load(prefix, epoch, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mx_nd *out = NULL;
    CU_ASSERT_EQUAL(fx_predict(m, &out), MX_EFORMAT);
    CU_ASSERT_PTR_NULL(out);
    ASSERT_ERROR_HAS(needle);
    mx_model_free(m);
}

static void test_checkpoint_rejects_bad_files_and_leaves_good_ones(void)
{
    char dir[512], prefix[600], bad[600], path[700];
    snprintf(prefix, sizeof prefix, "%s/net", mx_test_ckpt_dir("reject", dir, sizeof dir));
    write_fixture(prefix);
    snapshot good;
    snap(&good, prefix, 1);
    mx_log_set_quiet(1);

    /* Missing parameter (epoch 2): no fc2_bias. */
    fx_array a[7];
    memcpy(a, fixture, sizeof fixture);
    a[2] = a[5];
    write_params(prefix, 2, 5, a);
    expect_bind_error(prefix, 2, "checkpoint has no parameter 'arg:fc2_bias'");
    CU_ASSERT(unchanged(&good));
    /* ... also when binding for training. */
    mx_model *m = mx_model_load(prefix, 2, NULL, 0);
    mx_nd *x = mx_nd_from(mx_shape_make(2, 4, 4), fx_inputs), *y = mx_nd_zeros(mx_shape_make(1, 4));
    const char *dn[] = {"data"}, *ln[] = {"softmax_label"};
    mx_array_provider_opts po = {4, 0, 0, 0, 0};
    mx_provider *p = mx_array_provider(1, dn, &x, 1, ln, &y, &po);
    CU_ASSERT_EQUAL(mx_test_ckpt_fit(m, "sgd", p, 1, NULL, 1), MX_EFORMAT);
    ASSERT_ERROR_HAS("checkpoint has no parameter 'arg:fc2_bias'");
    mx_model_free(m);

    /* Wrong shape (epoch 3): fc2_weight (3,4) for (3,3). */
    memcpy(a, fixture, sizeof fixture);
    a[5] = (fx_array){"arg:fc2_weight", 2, {3, 4}, w_bad};
    write_params(prefix, 3, 6, a);
    expect_bind_error(prefix, 3, "checkpoint parameter 'arg:fc2_weight' has shape (3,4), the network needs (3,3)");
    CU_ASSERT(unchanged(&good));

    /* An extra name (epoch 4). */
    memcpy(a, fixture, sizeof fixture);
    a[6] = (fx_array){"arg:fc4_weight", 1, {3, 0}, b1};
    write_params(prefix, 4, 7, a);
    expect_bind_error(prefix, 4, "checkpoint parameter 'arg:fc4_weight' is not in the network");
    CU_ASSERT(unchanged(&good));

    /* Names without arg:/aux: (epoch 5): MXNet's checkpoint loader refuses them. */
    memcpy(a, fixture, sizeof fixture);
    a[1].name = "fc1_weight";
    write_params(prefix, 5, 6, a);
    CU_ASSERT_PTR_NULL(mx_model_load(prefix, 5, NULL, 0));
    ASSERT_ERROR_HAS("net-0005.params: array 1 is named 'fc1_weight', expected arg:<name> or aux:<name>");
    CU_ASSERT(unchanged(&good));

    /* Truncated at every length (epoch 6): always an error naming the file. */
    snprintf(path, sizeof path, "%s-0006.params", prefix);
    int accepted = 0, unnamed = 0;
    for (size_t len = 0; len < good.len[1]; len++) {
        CU_ASSERT_FATAL(write_file(path, good.bytes[1], len));
        mx_sym *sym = NULL;
        mx_nd_list l = {0, NULL, NULL};
        mx_status st = mx_checkpoint_load(prefix, 6, &sym, &l);
        accepted += st == MX_OK;
        unnamed += st != MX_OK && !strstr(mx_last_error(), "net-0006.params");
        CU_ASSERT_PTR_NULL(sym);
        if (st == MX_OK) { mx_sym_free(sym); mx_nd_list_free(&l); }
    }
    CU_ASSERT_EQUAL(accepted, 0);
    CU_ASSERT_EQUAL(unnamed, 0);
    CU_ASSERT(unchanged(&good));

    /* Corrupt symbol JSON (its own prefix, the good params beside it). */
    snprintf(bad, sizeof bad, "%s/corrupt", dir);
    static const char *const corrupt[] = {
        "{\"nodes\": [{\"op\": \"null\", \"name\": \"data\", \"inputs\": []}, ", /* truncated */
        "{\"nodes\": [{\"op\": \"NoSuchOp\", \"name\": \"x\", \"inputs\": []}], \"arg_nodes\": [], "
        "\"heads\": [[0, 0, 0]]}",
        "{\"nodes\": [{\"op\": \"null\", \"name\": \"data\", \"inputs\": []}, {\"op\": \"Activation\", \"name\": \"a\", "
        "\"attrs\": {\"act_type\": \"relu\"}, \"inputs\": [[7, 0, 0]]}], \"arg_nodes\": [0], \"heads\": [[1, 0, 0]]}",
    };
    snprintf(path, sizeof path, "%s-0001.params", bad);
    CU_ASSERT(write_file(path, good.bytes[1], good.len[1]));
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s-symbol.json", bad);
        CU_ASSERT(write_file(path, corrupt[i], strlen(corrupt[i])));
        mx_sym *sym = (mx_sym *)1;
        mx_nd_list l = {0, NULL, NULL};
        CU_ASSERT_NOT_EQUAL(mx_checkpoint_load(bad, 1, &sym, &l), MX_OK);
        CU_ASSERT_PTR_NULL(sym);
        ASSERT_ERROR_HAS("corrupt-symbol.json");
        CU_ASSERT_PTR_NULL(mx_model_load(bad, 1, NULL, 0));
        ASSERT_ERROR_HAS("corrupt-symbol.json");
    }
    CU_ASSERT(unchanged(&good));

    /* A missing epoch, and resuming a checkpoint without states. */
    CU_ASSERT_PTR_NULL(mx_model_load(prefix, 7, NULL, 0));
    ASSERT_ERROR_HAS("net-0007.params");
    m = mx_model_load(prefix, 1, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_NOT_EQUAL(mx_model_resume(m, prefix, 7), MX_OK);
    ASSERT_ERROR_HAS("net-0007.params");
    CU_ASSERT_NOT_EQUAL(mx_model_resume(m, prefix, 1), MX_OK);
    ASSERT_ERROR_HAS("net-0001.states");
    mx_nd *out = NULL; /* the failed resumes left the loaded parameters alone */
    CU_ASSERT_EQUAL(fx_predict(m, &out), MX_OK);
    if (out) CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(out)[0], 0.7772998611746911, 1e-6);
    mx_nd_free(out);
    mx_model_free(m);
    CU_ASSERT(unchanged(&good));

    /* Optimizer states from another optimizer. */
    snprintf(bad, sizeof bad, "%s/sgdm", dir);
    m = mx_model_load(prefix, 1, NULL, 0);
    CU_ASSERT_EQUAL(mx_test_ckpt_fit(m, "sgd lr=0.1 momentum=0.9", p, 1, bad, 1), MX_OK);
    mx_model_free(m);
    snapshot sgdm;
    snap(&sgdm, bad, 1);
    m = mx_model_load(bad, 1, NULL, 0);
    CU_ASSERT_EQUAL(mx_model_resume(m, bad, 1), MX_OK);
    CU_ASSERT_EQUAL(mx_test_ckpt_fit(m, "adam lr=0.001", p, 2, NULL, 1), MX_EFORMAT);
    ASSERT_ERROR_HAS("sgdm-0001.states: optimizer state 'state:fc1_weight' has 12 floats, the optimizer needs 40");
    mx_model_free(m);
    snprintf(bad, sizeof bad, "%s/sgd", dir); /* plain SGD keeps no state at all */
    m = mx_model_load(prefix, 1, NULL, 0);
    CU_ASSERT_EQUAL(mx_test_ckpt_fit(m, "sgd lr=0.1", p, 1, bad, 1), MX_OK);
    CU_ASSERT_EQUAL(mx_model_resume(m, bad, 1), MX_OK);
    CU_ASSERT_EQUAL(mx_test_ckpt_fit(m, "adam lr=0.001", p, 2, NULL, 1), MX_EFORMAT);
    ASSERT_ERROR_HAS("sgd-0001.states: no optimizer state 'state:fc1_weight'");
    mx_model_free(m);
    CU_ASSERT(unchanged(&sgdm));
    CU_ASSERT(unchanged(&good));
    CU_ASSERT_EQUAL(mx_test_ckpt_count_tmp(dir), 0);
    mx_log_set_quiet(0);
    unsnap(&sgdm);
    unsnap(&good);
    mx_provider_free(p);
    mx_nd_free(x);
    mx_nd_free(y);
}

CU_ErrorCode mx_test_register_checkpoint(void)
{
    CU_pSuite s = CU_add_suite("checkpoint", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "round trip after one epoch (1 and 2 threads)", test_checkpoint_round_trip_after_one_epoch);
    CU_add_test(s, "MXNet fixture predicts hand-computed softmax",
                test_checkpoint_mxnet_fixture_predicts_hand_computed_softmax);
    CU_add_test(s, "rejects bad files and leaves good ones", test_checkpoint_rejects_bad_files_and_leaves_good_ones);
    mx_test_add_checkpoint_resume_tests(s);
    return CU_get_error();
}
