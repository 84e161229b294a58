/* test_vocab.c — the char-LSTM's data side: the vocabulary (order, the
 * unknown entry, the vocab file and its bad forms), the char-sequence
 * provider on a short text worked out by hand, providers with more inputs
 * than the old limit of 4, fit's metric over every label/output pair, and
 * a smoke run over /usr/share/common-licenses/GPL-3. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "test_util.h"

#define GPL3 "/usr/share/common-licenses/GPL-3"

static const char *tmp_path(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", mx_test_tmp_dir(), name);
    return buf;
}

static void write_bytes(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

/* ---- vocabulary ------------------------------------------------------- */

static void test_vocab_orders_by_frequency_then_byte(void)
{
    /* l ×3, o ×2, then the singles by byte value: ' ' d e h r w */
    mx_vocab *v = mx_vocab_build("hello world", 11, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    const char *want = "lo dehrw";
    CU_ASSERT_EQUAL(mx_vocab_size(v), 9);
    CU_ASSERT_EQUAL(mx_vocab_unknown(v), 8);
    for (int i = 0; i < 8; i++) {
        CU_ASSERT_EQUAL(mx_vocab_char(v, i), want[i]);
        CU_ASSERT_EQUAL(mx_vocab_index(v, (unsigned char)want[i]), i);
    }
    CU_ASSERT_EQUAL(mx_vocab_index(v, 'z'), 8);
    CU_ASSERT_EQUAL(mx_vocab_index(v, 0), 8);
    CU_ASSERT_EQUAL(mx_vocab_char(v, 8), -1); /* the unknown entry has no byte */
    CU_ASSERT_EQUAL(mx_vocab_char(v, 9), -1);
    CU_ASSERT_EQUAL(mx_vocab_char(v, -1), -1);
    mx_vocab_free(v);
    /* max_chars keeps the most frequent; the rest become unknown */
    v = mx_vocab_build("hello world", 11, 3);
    CU_ASSERT_EQUAL(mx_vocab_size(v), 4);
    CU_ASSERT_EQUAL(mx_vocab_char(v, 2), ' ');
    CU_ASSERT_EQUAL(mx_vocab_index(v, 'd'), 3);
    mx_vocab_free(v);
    /* bytes, not code points: "é" is 0xc3 0xa9, two entries (ties by byte) */
    v = mx_vocab_build("\xc3\xa9", 2, 0);
    CU_ASSERT_EQUAL(mx_vocab_size(v), 3);
    CU_ASSERT_EQUAL(mx_vocab_char(v, 0), 0xa9);
    CU_ASSERT_EQUAL(mx_vocab_char(v, 1), 0xc3);
    mx_vocab_free(v);
    /* an empty text: only the unknown entry */
    v = mx_vocab_build("", 0, 0);
    CU_ASSERT_EQUAL(mx_vocab_size(v), 1);
    CU_ASSERT_EQUAL(mx_vocab_index(v, 'a'), 0);
    mx_vocab_free(v);
    CU_ASSERT_PTR_NULL(mx_vocab_build("abc", 3, -1));
    ASSERT_ERROR_HAS("max_chars");
}

static int same_vocab(const mx_vocab *a, const mx_vocab *b)
{
    if (mx_vocab_size(a) != mx_vocab_size(b)) return 0;
    for (int i = 0; i < mx_vocab_size(a); i++)
        if (mx_vocab_char(a, i) != mx_vocab_char(b, i)) return 0;
    for (int c = 0; c < 256; c++)
        if (mx_vocab_index(a, (unsigned char)c) != mx_vocab_index(b, (unsigned char)c)) return 0;
    return 1;
}

static void test_vocab_file_round_trip(void)
{
    char path[512];
    tmp_path("hello.vocab", path, sizeof path);
    mx_vocab *v = mx_vocab_build("hello world", 11, 0);
    CU_ASSERT_EQUAL_FATAL(mx_vocab_save(v, path), MX_OK);
    char *bytes;
    size_t len;
    CU_ASSERT_EQUAL_FATAL(mx_text_read(path, &bytes, &len), MX_OK);
    const char want[] = "mxrt-vocab 1 8\nlo dehrw";
    CU_ASSERT_EQUAL(len, sizeof want - 1);
    CU_ASSERT(len == sizeof want - 1 && memcmp(bytes, want, len) == 0);
    free(bytes);
    mx_vocab *back = mx_vocab_load(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT(same_vocab(v, back));
    mx_vocab_free(v);
    mx_vocab_free(back);
    /* every byte value, '\n' and '\0' included: 256 characters */
    char all[256 + 7 * 70];
    for (int i = 0; i < (int)sizeof all; i++) all[i] = (char)(i < 256 ? i : (i - 256) % 7 + 'a');
    v = mx_vocab_build(all, sizeof all, 0);
    CU_ASSERT_EQUAL(mx_vocab_size(v), 257);
    CU_ASSERT_EQUAL(mx_vocab_char(v, 0), 'a'); /* 'a'…'g' 71 times each, the rest once */
    CU_ASSERT_EQUAL(mx_vocab_char(v, 7), 0);
    tmp_path("all.vocab", path, sizeof path);
    CU_ASSERT_EQUAL(mx_vocab_save(v, path), MX_OK);
    back = mx_vocab_load(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT(same_vocab(v, back));
    CU_ASSERT_EQUAL(mx_vocab_unknown(back), 256);
    mx_vocab_free(v);
    mx_vocab_free(back);
    /* an empty vocabulary round-trips too */
    v = mx_vocab_build("", 0, 0);
    tmp_path("empty.vocab", path, sizeof path);
    CU_ASSERT_EQUAL(mx_vocab_save(v, path), MX_OK);
    back = mx_vocab_load(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_EQUAL(mx_vocab_size(back), 1);
    mx_vocab_free(v);
    mx_vocab_free(back);
}

static void expect_rejected(const char *name, const char *content, size_t n, const char *why)
{
    char path[512];
    tmp_path(name, path, sizeof path);
    write_bytes(path, content, n);
    mx_vocab *v = mx_vocab_load(path);
    CU_ASSERT_PTR_NULL(v);
    mx_vocab_free(v);
    ASSERT_ERROR_HAS(path);
    ASSERT_ERROR_HAS(why);
}

static void test_vocab_rejects_bad_vocab_files(void)
{
    char path[512];
    tmp_path("missing.vocab", path, sizeof path);
    CU_ASSERT_PTR_NULL(mx_vocab_load(path));
    ASSERT_ERROR_HAS(path);
    ASSERT_ERROR_HAS("cannot open");
#define REJECT(name, text, why) expect_rejected(name, text, sizeof text - 1, why)
    REJECT("plain.vocab", "lo dehrw", "not a vocab file");
    REJECT("empty-file.vocab", "", "not a vocab file");
    REJECT("v2.vocab", "mxrt-vocab 2 3\nabc", "version 2");
    REJECT("noversion.vocab", "mxrt-vocab x 3\nabc", "no version");
    REJECT("nocount.vocab", "mxrt-vocab 1\nabc", "corrupt vocab header");
    REJECT("badcount.vocab", "mxrt-vocab 1 3x\nabc", "corrupt vocab header");
    REJECT("negative.vocab", "mxrt-vocab 1 -3\nabc", "corrupt vocab header");
    REJECT("headeronly.vocab", "mxrt-vocab 1 3", "corrupt vocab header");
    REJECT("huge.vocab", "mxrt-vocab 1 300\nabc", "at most 256");
    REJECT("overflow.vocab", "mxrt-vocab 1 99999999999999999999\nabc", "corrupt vocab header");
    REJECT("truncated.vocab", "mxrt-vocab 1 5\nabc", "truncated");
    REJECT("truncated0.vocab", "mxrt-vocab 1 5\n", "truncated");
    REJECT("trailing.vocab", "mxrt-vocab 1 3\nabcd\n", "2 bytes after");
    REJECT("duplicate.vocab", "mxrt-vocab 1 4\nabca", "0x61 'a' is listed twice (entries 0 and 3)");
    REJECT("dupnl.vocab", "mxrt-vocab 1 3\n\na\n", "0x0a is listed twice");
#undef REJECT
}

/* ---- the char-sequence provider ------------------------------------------ */

/* "hello world!xyz": l ×3, o ×2, then by byte: ' ' ! d e h r w x y z. */
#define TEXT "hello world!xyz"
enum { L = 0, O, SP, EXCL, D, E, H, R, W, X, Y, Z, UNK };

static mx_char_opts small_opts(const mx_vocab *v)
{
    mx_char_opts o = mx_char_defaults();
    o.text = TEXT;
    o.len = sizeof TEXT - 1;
    o.vocab = v;
    o.batch_size = 2;
    o.seq_len = 3;
    o.num_layers = 2;
    o.num_hidden = 4;
    return o;
}

/* Runs p's epoch into buffers: data[batch][step][sample], label likewise;
 * also checks that the init states come back zero. Returns the batches. */
static int run_epoch(mx_provider *p, float data[][3][2], float label[][3][2], int max_batches)
{
    float d[3][2], l[3][2], states[4][2 * 4];
    mx_batch b;
    memset(&b, 0, sizeof b);
    for (int t = 0; t < 3; t++) { b.data[t] = d[t]; b.label[t] = l[t]; }
    for (int k = 0; k < 4; k++) b.data[3 + k] = states[k];
    int n = 0;
    CU_ASSERT_EQUAL(mx_provider_reset(p), MX_OK);
    for (;;) {
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < 8; j++) states[k][j] = 7.0f; /* garbage the provider must clear */
        if (mx_provider_next(p, &b) <= 0) break;
        CU_ASSERT_EQUAL(b.count, 2);
        int zero = 1;
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < 8; j++) zero &= states[k][j] == 0.0f;
        CU_ASSERT(zero);
        if (n < max_batches) {
            memcpy(data[n], d, sizeof d);
            memcpy(label[n], l, sizeof l);
        }
        n++;
    }
    return n;
}

static void check_floats(const float *got, const float *want, int n, const char *what)
{
    int bad = 0;
    for (int i = 0; i < n; i++)
        if (got[i] != want[i]) {
            if (!bad) fprintf(stderr, "\n  %s: element %d is %g, expected %g\n", what, i, got[i], want[i]);
            bad++;
        }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_vocab_provider_batches_known_text(void)
{
    mx_vocab *v = mx_vocab_build(TEXT, sizeof TEXT - 1, 0);
    CU_ASSERT_EQUAL_FATAL(mx_vocab_size(v), 13);
    CU_ASSERT_EQUAL(mx_vocab_index(v, '!'), EXCL);
    mx_char_opts o = small_opts(v);
    mx_provider *p = mx_char_provider(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    /* 15 characters cut to 12: two batches of 2 sequences of 3, "hel" "lo "
     * then "wor" "ld!"; the last label is the 'x' after the cut. */
    CU_ASSERT_EQUAL(mx_provider_batch_size(p), 2);
    CU_ASSERT_EQUAL(mx_provider_num_samples(p), 4);
    float data[3][3][2], label[3][3][2];
    CU_ASSERT_EQUAL(run_epoch(p, data, label, 3), 2);
    const float want_data[2][3][2] = {{{H, L}, {E, O}, {L, SP}}, {{W, L}, {O, D}, {R, EXCL}}};
    const float want_label[2][3][2] = {{{E, O}, {L, SP}, {L, W}}, {{O, D}, {R, EXCL}, {L, X}}};
    check_floats(&data[0][0][0], &want_data[0][0][0], 12, "data");
    check_floats(&label[0][0][0], &want_label[0][0][0], 12, "label");
    /* reset restarts: the same epoch again */
    float again[3][3][2], again_label[3][3][2];
    CU_ASSERT_EQUAL(run_epoch(p, again, again_label, 3), 2);
    check_floats(&again[0][0][0], &want_data[0][0][0], 12, "data after reset");
    check_floats(&again_label[0][0][0], &want_label[0][0][0], 12, "label after reset");
    mx_provider_free(p);
    /* a range ending at the text's end: [3, 15) = "lo world!xyz", the last
     * character has no next one and gets the unknown index */
    o.begin = 3;
    o.end = 0;
    p = mx_char_provider(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(run_epoch(p, data, label, 3), 2);
    const float range_data[2][3][2] = {{{L, W}, {O, O}, {SP, R}}, {{L, X}, {D, Y}, {EXCL, Z}}};
    const float range_label[2][3][2] = {{{O, O}, {SP, R}, {W, L}}, {{D, Y}, {EXCL, Z}, {X, UNK}}};
    check_floats(&data[0][0][0], &range_data[0][0][0], 12, "range data");
    check_floats(&label[0][0][0], &range_label[0][0][0], 12, "range label");
    mx_provider_free(p);
    /* a range inside the text: [6, 12) = "world!", one batch, label 'x' */
    o.begin = 6;
    o.end = 12;
    p = mx_char_provider(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(mx_provider_num_samples(p), 2);
    CU_ASSERT_EQUAL(run_epoch(p, data, label, 3), 1);
    check_floats(&data[0][0][0], &want_data[1][0][0], 6, "inner range data");
    check_floats(&label[0][0][0], &want_label[1][0][0], 6, "inner range label");
    mx_provider_free(p);
    mx_vocab_free(v);
}

static void test_vocab_provider_names_and_shapes(void)
{
    mx_vocab *v = mx_vocab_build(TEXT, sizeof TEXT - 1, 0);
    mx_char_opts o = small_opts(v);
    mx_provider *p = mx_char_provider(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const char *data_names[] = {"ptb_data_1", "ptb_data_2", "ptb_data_3", "ptb_l1_init_c",
                                "ptb_l2_init_c", "ptb_l1_init_h", "ptb_l2_init_h"};
    CU_ASSERT_EQUAL_FATAL(mx_provider_num_data(p), 7);
    CU_ASSERT_EQUAL_FATAL(mx_provider_num_label(p), 3);
    mx_shape step = mx_shape_make(1, 2), state = mx_shape_make(2, 2, 4);
    for (int i = 0; i < 7; i++) {
        mx_io_desc d = mx_provider_data_desc(p, i);
        CU_ASSERT_STRING_EQUAL(d.name, data_names[i]);
        CU_ASSERT(mx_shape_equal(&d.shape, i < 3 ? &step : &state));
    }
    for (int t = 0; t < 3; t++) {
        char want[32];
        snprintf(want, sizeof want, "ptb_label_%d", t + 1);
        mx_io_desc d = mx_provider_label_desc(p, t);
        CU_ASSERT_STRING_EQUAL(d.name, want);
        CU_ASSERT(mx_shape_equal(&d.shape, &step));
    }
    mx_provider_free(p);
    /* another prefix, one layer */
    o.prefix = "lm";
    o.num_layers = 1;
    p = mx_char_provider(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(mx_provider_num_data(p), 5);
    CU_ASSERT_STRING_EQUAL(mx_provider_data_desc(p, 3).name, "lm_l1_init_c");
    CU_ASSERT_STRING_EQUAL(mx_provider_data_desc(p, 4).name, "lm_l1_init_h");
    CU_ASSERT_STRING_EQUAL(mx_provider_label_desc(p, 2).name, "lm_label_3");
    mx_provider_free(p);
    /* the tutorial's defaults */
    mx_char_opts def = mx_char_defaults();
    CU_ASSERT_EQUAL(def.batch_size, 32);
    CU_ASSERT_EQUAL(def.seq_len, 32);
    CU_ASSERT_EQUAL(def.num_layers, 2);
    CU_ASSERT_EQUAL(def.num_hidden, 256);
    CU_ASSERT_STRING_EQUAL(def.prefix, "ptb");
    mx_vocab_free(v);
}

static void test_vocab_provider_rejects_bad_options(void)
{
    mx_vocab *v = mx_vocab_build(TEXT, sizeof TEXT - 1, 0);
    mx_char_opts o = small_opts(v);
    o.vocab = NULL;
    CU_ASSERT_PTR_NULL(mx_char_provider(&o));
    ASSERT_ERROR_HAS("vocab is required");
    o = small_opts(v);
    o.end = 5; /* 5 characters, a batch needs 6 */
    CU_ASSERT_PTR_NULL(mx_char_provider(&o));
    ASSERT_ERROR_HAS("fewer than one batch");
    o = small_opts(v);
    o.end = 16;
    CU_ASSERT_PTR_NULL(mx_char_provider(&o));
    ASSERT_ERROR_HAS("not inside the text");
    o = small_opts(v);
    o.begin = 9;
    o.end = 4;
    CU_ASSERT_PTR_NULL(mx_char_provider(&o));
    ASSERT_ERROR_HAS("[9, 4)");
    o = small_opts(v);
    o.seq_len = 0;
    CU_ASSERT_PTR_NULL(mx_char_provider(&o));
    ASSERT_ERROR_HAS("seq_len 0");
    o = small_opts(v);
    o.seq_len = 1;
    o.num_layers = 64; /* 1 + 128 data inputs */
    CU_ASSERT_PTR_NULL(mx_char_provider(&o));
    ASSERT_ERROR_HAS("MX_IO_MAX");
    o.num_layers = 63; /* 127: fits */
    o.batch_size = 1;
    mx_provider *p = mx_char_provider(&o);
    CU_ASSERT_PTR_NOT_NULL(p);
    if (p) CU_ASSERT_EQUAL(mx_provider_num_data(p), 127);
    mx_provider_free(p);
    o = small_opts(v);
    o.text = NULL;
    CU_ASSERT_PTR_NULL(mx_char_provider(&o));
    ASSERT_ERROR_HAS("text is NULL");
    mx_vocab_free(v);
}

static void test_vocab_provider_from_file(void)
{
    char path[512];
    tmp_path("hello.txt", path, sizeof path);
    write_bytes(path, TEXT, sizeof TEXT - 1);
    mx_vocab *v = mx_vocab_build_file(path, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(mx_vocab_size(v), 13);
    mx_char_opts o = small_opts(v);
    o.text = NULL; /* ignored by the file constructor */
    o.len = 0;
    mx_provider *p = mx_char_provider_file(path, &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    float data[3][3][2], label[3][3][2];
    CU_ASSERT_EQUAL(run_epoch(p, data, label, 3), 2);
    CU_ASSERT_EQUAL(data[1][2][1], EXCL);
    CU_ASSERT_EQUAL(label[1][2][1], X);
    mx_provider_free(p);
    /* errors name the file */
    o.end = 5;
    CU_ASSERT_PTR_NULL(mx_char_provider_file(path, &o));
    ASSERT_ERROR_HAS(path);
    ASSERT_ERROR_HAS("fewer than one batch");
    o.end = 0;
    tmp_path("no-such.txt", path, sizeof path);
    CU_ASSERT_PTR_NULL(mx_char_provider_file(path, &o));
    ASSERT_ERROR_HAS(path);
    CU_ASSERT_PTR_NULL(mx_vocab_build_file(path, 0));
    ASSERT_ERROR_HAS(path);
    mx_vocab_free(v);
}

static void test_vocab_split_point(void)
{
    CU_ASSERT_EQUAL(mx_char_split_point(100, 0.9), 90);
    CU_ASSERT_EQUAL(mx_char_split_point(15, 0.9), 14); /* round(13.5) */
    CU_ASSERT_EQUAL(mx_char_split_point(35149, 0.9), 31634); /* round(31634.1) */
    CU_ASSERT_EQUAL(mx_char_split_point(0, 0.9), 0);
    CU_ASSERT_EQUAL(mx_char_split_point(10, 1.0), 10);
    CU_ASSERT_EQUAL(mx_char_split_point(10, 1.5), 10);
    CU_ASSERT_EQUAL(mx_char_split_point(10, 0.0), 0);
    CU_ASSERT_EQUAL(mx_char_split_point(10, -0.5), 0);
    CU_ASSERT_EQUAL(mx_char_split_point(10, NAN), 0);
}

/* ---- more inputs than the old limit, and metrics over every output ------- */

/* sum(x_1 … x_n) → SoftmaxOutput "softmax": no parameters, so the
 * prediction is fixed by the inputs alone. */
static mx_sym *sum_net(int n)
{
    mx_sym *acc = NULL;
    for (int k = 0; k < n; k++) {
        char name[16];
        snprintf(name, sizeof name, "x_%d", k + 1);
        mx_sym *x = mx_var(name);
        mx_sym *next = acc ? mx_sym_arith(acc, '+', x) : mx_sym_copy(x);
        mx_sym_free(x);
        mx_sym_free(acc);
        acc = next;
    }
    mx_sym *net = mx_op("SoftmaxOutput", "name=softmax", acc);
    mx_sym_free(acc);
    return net;
}

static void test_vocab_seventy_data_inputs_through_fit_and_predict(void)
{
    enum { N = 70, S = 4, C = 3 };
    mx_nd *xs[N];
    char names[N][16];
    const char *np[N];
    /* x_k[i, c] = k·(c + 1 + i) / 1000: the sum's argmax is class 2, and
     * only the sum over all 70 inputs gives the expected probabilities */
    for (int k = 0; k < N; k++) {
        float v[S * C];
        for (int i = 0; i < S; i++)
            for (int c = 0; c < C; c++) v[i * C + c] = (float)(k + 1) * (float)(c + 1 + i) / 1000.0f;
        xs[k] = mx_nd_from(mx_shape_make(2, S, C), v);
        snprintf(names[k], sizeof names[k], "x_%d", k + 1);
        np[k] = names[k];
    }
    float lv[S] = {2, 2, 2, 0};
    mx_nd *y = mx_nd_from(mx_shape_make(1, S), lv);
    const char *ln[] = {"softmax_label"};
    mx_array_provider_opts po = {2, 0, 0.0f, 0.0f, 0};
    mx_provider *p = mx_array_provider(N, np, xs, 1, ln, &y, &po);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(mx_provider_num_data(p), N);
    /* the provider hands out all 70 */
    float buf[N][2 * C], lb[2];
    mx_batch b;
    memset(&b, 0, sizeof b);
    for (int k = 0; k < N; k++) b.data[k] = buf[k];
    b.label[0] = lb;
    mx_provider_reset(p);
    CU_ASSERT_EQUAL(mx_provider_next(p, &b), 1);
    CU_ASSERT_EQUAL(buf[N - 1][C + 2], 70.0f * 4.0f / 1000.0f);
    /* and fit/predict feed them all */
    mx_engine_set_default(1, MX_BIND_NONE);
    mx_sym *net = sum_net(N);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    mx_model *m = mx_model_create(net, NULL, 0);
    mx_optimizer *opt = mx_optimizer_parse("sgd lr=0.1");
    mx_metric *acc = mx_metric_accuracy();
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = 1;
    fo.eval_data = p;
    fo.eval_metric = acc;
    mx_log_set_quiet(1);
    mx_status st = mx_model_fit(m, opt, p, &fo);
    mx_log_set_quiet(0);
    if (st != MX_OK) fprintf(stderr, "\n  fit: %s\n", mx_last_error());
    CU_ASSERT_EQUAL(st, MX_OK);
    const char *name;
    double value = -1;
    mx_metric_get(acc, &name, &value, 1);
    CU_ASSERT_DOUBLE_EQUAL(value, 0.75, 1e-12);
    mx_nd *out = NULL;
    CU_ASSERT_EQUAL(mx_model_predict(m, p, &out), MX_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    /* softmax of Σk (k)(c + 1 + i)/1000 = 2.485·(c + 1 + i): class gaps of 2.485 */
    double e1 = exp(-2.485), e2 = exp(-2 * 2.485), z = 1 + e1 + e2;
    for (int i = 0; i < S; i++) {
        CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(out)[i * C + 2], 1 / z, 1e-4);
        CU_ASSERT_DOUBLE_EQUAL(mx_nd_data(out)[i * C + 0], e2 / z, 1e-4);
    }
    mx_nd_free(out);
    mx_model_free(m);
    mx_optimizer_free(opt);
    mx_metric_free(acc);
    mx_sym_free(net);
    mx_provider_free(p);
    /* more than MX_IO_MAX is refused by name */
    mx_nd *many[MX_IO_MAX + 1];
    const char *many_names[MX_IO_MAX + 1];
    for (int k = 0; k <= MX_IO_MAX; k++) { many[k] = xs[0]; many_names[k] = "x"; }
    CU_ASSERT_PTR_NULL(mx_array_provider(MX_IO_MAX + 1, many_names, many, 1, ln, &y, &po));
    ASSERT_ERROR_HAS("128");
    for (int k = 0; k < N; k++) mx_nd_free(xs[k]);
    mx_nd_free(y);
}

typedef struct seen_metrics {
    double train, eval;
} seen_metrics;

static int keep_metrics(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)m;
    seen_metrics *s = ctx;
    if (info->n_train > 0) s->train = info->train_values[0];
    const char *name;
    if (info->eval) mx_metric_get(info->eval, &name, &s->eval, 1);
    return 0;
}

/* Two SoftmaxOutputs over inputs: output 1 right on 4 of 4 samples,
 * output 2 on 1 of 4; the accuracy over both pairs is 5/8. */
static void two_output_fit(int nctx, seen_metrics *seen)
{
    float a[] = {5, 0, 0, 0, 5, 0, 0, 0, 5, 5, 0, 0}; /* argmax 0 1 2 0 */
    float b[] = {0, 5, 0, 0, 5, 0, 5, 0, 0, 5, 0, 0}; /* argmax 1 1 0 0 */
    float la[] = {0, 1, 2, 0}, lb[] = {2, 1, 2, 1};    /* hits: 4, then 1 */
    mx_nd *x[2] = {mx_nd_from(mx_shape_make(2, 4, 3), a), mx_nd_from(mx_shape_make(2, 4, 3), b)};
    mx_nd *y[2] = {mx_nd_from(mx_shape_make(1, 4), la), mx_nd_from(mx_shape_make(1, 4), lb)};
    const char *dn[] = {"xa", "xb"}, *lnames[] = {"sa_label", "sb_label"};
    mx_array_provider_opts po = {4, 0, 0.0f, 0.0f, 0};
    mx_provider *p = mx_array_provider(2, dn, x, 2, lnames, y, &po);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    mx_sym *va = mx_var("xa"), *vb = mx_var("xb");
    mx_sym *outs[2] = {mx_op("SoftmaxOutput", "name=sa", va), mx_op("SoftmaxOutput", "name=sb", vb)};
    mx_sym *net = mx_group(2, outs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    mx_engine_set_default(nctx, MX_BIND_NONE);
    mx_ctx ctx[2] = {mx_cpu(), {MX_CPU, 1}};
    mx_model *m = mx_model_create(net, ctx, nctx);
    mx_optimizer *opt = mx_optimizer_parse("sgd lr=0.1");
    mx_callback *cb = mx_every_n_epoch(keep_metrics, seen, 1, 0);
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = 1;
    fo.eval_data = p;
    fo.callbacks = &cb;
    fo.ncallbacks = 1;
    mx_log_set_quiet(1);
    mx_status st = mx_model_fit(m, opt, p, &fo);
    mx_log_set_quiet(0);
    if (st != MX_OK) fprintf(stderr, "\n  fit: %s\n", mx_last_error());
    CU_ASSERT_EQUAL(st, MX_OK);
    mx_callback_free(cb);
    mx_model_free(m);
    mx_optimizer_free(opt);
    mx_sym_free(net);
    mx_sym_free(outs[0]);
    mx_sym_free(outs[1]);
    mx_sym_free(va);
    mx_sym_free(vb);
    mx_provider_free(p);
    for (int i = 0; i < 2; i++) { mx_nd_free(x[i]); mx_nd_free(y[i]); }
}

static void test_vocab_fit_metric_covers_every_output(void)
{
    for (int nctx = 1; nctx <= 2; nctx++) {
        seen_metrics seen = {-1, -1};
        two_output_fit(nctx, &seen);
        printf("\n  %d context(s): training accuracy %.4f, validation %.4f (5/8 = 0.625)", nctx, seen.train,
               seen.eval);
        CU_ASSERT_DOUBLE_EQUAL(seen.train, 0.625, 1e-12);
        CU_ASSERT_DOUBLE_EQUAL(seen.eval, 0.625, 1e-12);
    }
}

/* ---- smoke: a real text -------------------------------------------------- */

static void test_vocab_gpl3_smoke(void)
{
    char *text;
    size_t len;
    if (mx_text_read(GPL3, &text, &len) != MX_OK) {
        mx_test_skip("%s", mx_last_error());
        return;
    }
    mx_vocab *v = mx_vocab_build_file(GPL3, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT(mx_vocab_size(v) > 40 && mx_vocab_size(v) <= 257);
    CU_ASSERT_EQUAL(mx_vocab_char(v, 0), ' '); /* English prose: spaces first */
    char path[512];
    tmp_path("gpl3.vocab", path, sizeof path);
    CU_ASSERT_EQUAL(mx_vocab_save(v, path), MX_OK);
    mx_vocab *back = mx_vocab_load(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT(same_vocab(v, back));
    mx_vocab_free(back);
    size_t split = mx_char_split_point(len, 0.9);
    mx_char_opts o = mx_char_defaults();
    o.vocab = v;
    long samples[2] = {0, 0};
    for (int part = 0; part < 2; part++) {
        o.begin = part ? split : 0;
        o.end = part ? 0 : split;
        mx_provider *p = mx_char_provider_file(GPL3, &o);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        int nd = mx_provider_num_data(p), nl = mx_provider_num_label(p);
        CU_ASSERT_EQUAL(nd, 36);
        CU_ASSERT_EQUAL(nl, 32);
        static float bufs[36][32 * 256], labels[32][32];
        mx_batch b;
        memset(&b, 0, sizeof b);
        for (int k = 0; k < nd; k++) b.data[k] = bufs[k];
        for (int k = 0; k < nl; k++) b.label[k] = labels[k];
        mx_provider_reset(p);
        long batches = 0, bad = 0;
        while (mx_provider_next(p, &b) > 0) {
            size_t block = o.begin + (size_t)batches * 32 * 32;
            for (int t = 0; t < 32; t++)
                for (int i = 0; i < 32; i++) {
                    size_t at = block + (size_t)i * 32 + (size_t)t;
                    bad += bufs[t][i] != (float)mx_vocab_index(v, (unsigned char)text[at]);
                    float next = at + 1 < len ? (float)mx_vocab_index(v, (unsigned char)text[at + 1])
                                              : (float)mx_vocab_unknown(v);
                    bad += labels[t][i] != next;
                    bad += bufs[t][i] == (float)mx_vocab_unknown(v); /* every char of the text is known */
                }
            for (int k = 32; k < nd; k++)
                for (int j = 0; j < 32 * 256; j++) bad += bufs[k][j] != 0.0f;
            batches++;
        }
        CU_ASSERT_EQUAL(bad, 0);
        size_t range = part ? len - split : split;
        CU_ASSERT_EQUAL(batches, (long)(range / (32 * 32)));
        samples[part] = mx_provider_num_samples(p);
        CU_ASSERT_EQUAL(samples[part], batches * 32);
        mx_provider_free(p);
    }
    printf("\n  %s: %zu bytes, %d vocabulary entries, %ld training and %ld validation sequences", GPL3, len,
           mx_vocab_size(v), samples[0], samples[1]);
    mx_vocab_free(v);
    free(text);
}

CU_ErrorCode mx_test_register_vocab(void)
{
    CU_pSuite s = CU_add_suite("vocab", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "vocab orders by frequency then byte", test_vocab_orders_by_frequency_then_byte);
    CU_add_test(s, "vocab file round trip", test_vocab_file_round_trip);
    CU_add_test(s, "vocab rejects bad vocab files", test_vocab_rejects_bad_vocab_files);
    CU_add_test(s, "provider batches a known text", test_vocab_provider_batches_known_text);
    CU_add_test(s, "provider names and shapes", test_vocab_provider_names_and_shapes);
    CU_add_test(s, "provider rejects bad options", test_vocab_provider_rejects_bad_options);
    CU_add_test(s, "provider from a file", test_vocab_provider_from_file);
    CU_add_test(s, "train/validation split point", test_vocab_split_point);
    CU_add_test(s, "seventy data inputs through fit and predict", test_vocab_seventy_data_inputs_through_fit_and_predict);
    CU_add_test(s, "fit metric covers every output", test_vocab_fit_metric_covers_every_output);
    CU_add_test(s, "GPL-3 smoke test", test_vocab_gpl3_smoke);
    return CU_get_error();
}
