/* test_faults.c — the faults suite: every allocation that bind, the file
 * loaders and the vocabulary make is failed in turn (the n-th call of
 * malloc/calloc/realloc/aligned allocation, n = 1, 2, … until the call
 * succeeds without reaching it). Each must end in a clean error naming
 * what ran out, or — where an allocation is optional — success; never a
 * crash. Runs in the plain build, whose test binary wraps the allocator;
 * the sanitizer build reports it as skipped. And checkpoints whose n-th
 * fsync fails with EIO or ENOSPC (this file wraps fsync): the save fails
 * naming the file, the previous checkpoint stays byte for byte and
 * loadable, and no temporary file is left. And data files (raw and gzip
 * IDX, .params, vocabulary, training text) whose reading fails with EIO
 * after b bytes, for b from 0 to the middle of the file (this file wraps
 * fread, and read for zlib): a clean error naming the file, never a crash
 * or a partly filled result passed off as data. */
#define _GNU_SOURCE /* syscall, RTLD_NEXT */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

#include "runtime/ndarray/device.h"
#include "mx/dist.h"
#include "suites.h"
#include "test_ckpt_util.h"
#include "test_dist_util.h"
#include "test_util.h"
#include "test_wrap.h"

/* What one attempt returns: 1 on success, 0 on a reported error. The
 * context is whatever the attempt needs. */
typedef int (*attempt_fn)(void *ctx);

/* Runs attempt with the n-th allocation failing, for every n until an
 * attempt finishes without reaching its failing allocation; counts the
 * failing runs that succeeded anyway or left no error message. */
static void every_allocation(const char *what, attempt_fn attempt, void *ctx)
{
    if (mx_test_fail_alloc(0) < 0) {
        mx_test_skip("sanitizer build owns malloc: no fault injection for %s", what);
        return;
    }
    int sites = 0, silent = 0;
    for (long n = 1; n < 100000; n++) {
        mx_clear_error();
        mx_test_fail_alloc(n);
        int ok = attempt(ctx);
        int fired = mx_test_alloc_failed();
        mx_test_fail_alloc(0);
        if (!fired) {
            CU_ASSERT(ok);
            break;
        }
        sites++;
        if (!ok && !*mx_last_error()) {
            silent++;
            fprintf(stderr, "\n  %s: allocation %ld failed with no error message", what, n);
        }
    }
    printf("\n    %s: %d allocations failed in turn, each a clean error or a success ", what, sites);
    CU_ASSERT(sites > 0);
    CU_ASSERT_EQUAL(silent, 0);
}

typedef struct bind_ctx {
    mx_sym *net;
    mx_shape shape;
} bind_ctx;

static int try_bind(void *p)
{
    bind_ctx *c = p;
    const char *names[] = {"data"};
    mx_exec *e = mx_simple_bind(c->net, mx_cpu(), 1, names, &c->shape, NULL);
    if (!e) return 0;
    int ok = mx_exec_forward(e, 1) == MX_OK && mx_exec_backward(e, NULL) == MX_OK;
    mx_exec_free(e);
    return ok;
}

/* A 1-layer, 2-step char-LSTM (batch 2): bind fuses its cells. */
static int try_bind_lstm(void *p)
{
    mx_lstm_opts o = mx_test_lstm_opts(1, 2, 3, 2, 4);
    char nm[8][48];
    const char *names[8];
    mx_shape shapes[8];
    int n = mx_test_lstm_inputs(&o, 2, nm, shapes);
    for (int i = 0; i < n; i++) names[i] = nm[i];
    mx_exec *e = mx_simple_bind(p, mx_cpu(), n, names, shapes, NULL);
    if (!e) return 0;
    int ok = mx_exec_forward(e, 1) == MX_OK && mx_exec_backward(e, NULL) == MX_OK;
    mx_exec_free(e);
    return ok;
}

static void test_faults_bind(void)
{
    mx_lstm_opts o = mx_test_lstm_opts(1, 2, 3, 2, 4);
    mx_sym *lstm = mx_lstm_unroll(&o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lstm);
    every_allocation("simple_bind (cells fused) + forward + backward of an LSTM", try_bind_lstm, lstm);
    setenv("MX_FUSE_FC", "1", 1); /* and its projections grouped (fuse_fc.c), as on a GPU */
    every_allocation("the same with its projections grouped", try_bind_lstm, lstm);
    unsetenv("MX_FUSE_FC");
    mx_sym_free(lstm);

    bind_ctx c = {mx_test_lenet(), mx_shape_make(4, 8, 1, 28, 28)};
    every_allocation("simple_bind + forward + backward of LeNet", try_bind, &c);
    mx_sym_free(c.net);
    c.net = mx_test_conv_layers();
    c.shape = mx_shape_make(4, 4, 3, 16, 16);
    every_allocation("simple_bind of a BatchNorm/Dropout/Concat net", try_bind, &c);
    mx_sym_free(c.net);
}

/* fit's set-up away from bind: FeedForward's contexts, staging blocks,
 * the device copies of a batch, optimizer states, the dist_sync buffers
 * (a GPU's gradients gathered on the device). */
typedef struct fit_ctx {
    mx_sym *net;
    mx_ctx ctx[2];
    int nctx;
    const char *kvstore;
    size_t bucket_bytes; /* dist_sync's allreduce_bucket_bytes (0: fit's default) */
} fit_ctx;

/* One epoch of an MLP on 40 random samples (batch 10) with SGD momentum;
 * every array, the provider and the model made inside the attempt. */
static int try_fit(void *p)
{
    fit_ctx *c = p;
    mx_nd *x = mx_nd_empty(mx_shape_make(2, 40, 12)), *y = mx_nd_empty(mx_shape_make(1, 40));
    mx_provider *prov = NULL;
    mx_model *m = NULL;
    mx_optimizer *opt = NULL;
    int ok = 0;
    if (x && y) {
        mx_test_fill(x, -1.0f, 1.0f, 1);
        float *l = mx_nd_data(y);
        for (int i = 0; i < 40; i++) l[i] = (float)(i % 3);
        const char *dn[] = {"data"}, *ln[] = {"softmax_label"};
        mx_array_provider_opts po = {.batch_size = 10};
        prov = mx_array_provider(1, dn, &x, 1, ln, &y, &po);
        m = prov ? mx_model_create(c->net, c->ctx, c->nctx) : NULL;
        opt = m ? mx_sgd_create(&(mx_sgd_opts){.lr = 0.1f, .momentum = 0.9f}) : NULL;
    }
    if (opt) {
        mx_fit_opts fo = mx_fit_defaults();
        fo.n_epoch = 1;
        fo.kvstore = c->kvstore;
        if (c->bucket_bytes) fo.allreduce_bucket_bytes = c->bucket_bytes;
        mx_log_set_quiet(1);
        ok = mx_model_fit(m, opt, prov, &fo) == MX_OK;
        mx_log_set_quiet(0);
    }
    mx_optimizer_free(opt);
    mx_model_free(m);
    mx_provider_free(prov);
    mx_nd_free(x);
    mx_nd_free(y);
    return ok;
}

static void test_faults_fit(void)
{
    /* hwloc's topology loader does not survive a failed allocation: load
     * it (once per process, engine_pin.c) before failing any */
    CU_ASSERT_PTR_NOT_NULL_FATAL(mx_engine_default());
    mx_sym *data = mx_var("data");
    fit_ctx c = {mx_chain(data, "FullyConnected name=fc1 num_hidden=8", "Activation name=relu1 act_type=relu",
                          "FullyConnected name=fc2 num_hidden=3", "SoftmaxOutput name=softmax", NULL),
                 {mx_cpu(), mx_cpu()}, 1, "local", 0};
    mx_sym_free(data);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c.net);
    every_allocation("fit on the CPU", try_fit, &c);
    /* dist_sync with gradient buckets (64 bytes: every parameter its own
     * bucket), the executor's gradient hook included */
    mx_dist_ops buckets = dist_rank0_bucket_ops();
    mx_dist_register(&buckets);
    c.kvstore = "dist_sync";
    c.bucket_bytes = 64;
    every_allocation("dist_sync fit with gradient buckets", try_fit, &c);
    mx_dist_register(NULL);
    c.kvstore = "local";
    c.bucket_bytes = 0;
    c.nctx = 2;
    every_allocation("fit on two CPU contexts", try_fit, &c);
    if (mx_dev_fake_gpus(2) != MX_OK) {
        mx_test_skip("cuda=1 build: no stand-in GPUs for the GPU set-up paths");
        mx_sym_free(c.net);
        return;
    }
    c.ctx[0] = mx_gpu(0), c.ctx[1] = mx_gpu(1);
    c.nctx = 1;
    every_allocation("fit on a stand-in GPU", try_fit, &c);
    c.nctx = 2;
    every_allocation("fit on two stand-in GPUs", try_fit, &c);
    c.nctx = 1;
    c.kvstore = "dist_sync";
    mx_dist_ops rank0 = dist_rank0_ops(); /* rank 0 of 2, the other rank holding the same numbers */
    mx_dist_register(&rank0);
    every_allocation("dist_sync fit on a stand-in GPU", try_fit, &c);
    mx_dist_register(NULL);
    mx_dev_fake_gpus(0);
    mx_sym_free(c.net);
}

typedef struct file_ctx {
    char path[300];
} file_ctx;

static int try_params(void *p)
{
    mx_nd_list l;
    if (mx_nd_load(((file_ctx *)p)->path, &l) != MX_OK) return 0;
    mx_nd_list_free(&l);
    return 1;
}

static int try_json(void *p)
{
    mx_sym *s = mx_sym_load_json(((file_ctx *)p)->path);
    mx_sym_free(s);
    return s != NULL;
}

static int try_vocab(void *p)
{
    mx_vocab *v = mx_vocab_load(((file_ctx *)p)->path);
    mx_vocab_free(v);
    return v != NULL;
}

static int try_csv(void *p)
{
    file_ctx *c = p;
    mx_csv x;
    if (mx_csv_load(c->path, 0, &x) != MX_OK) return 0;
    mx_csv_free(&x);
    return 1;
}

static void test_faults_loaders(void)
{
    file_ctx c;
    mx_sym *net = mx_test_lenet();
    snprintf(c.path, sizeof c.path, "%s/faults-symbol.json", mx_test_tmp_dir());
    CU_ASSERT_EQUAL_FATAL(mx_sym_save_json(net, c.path), MX_OK);
    every_allocation("symbol JSON load", try_json, &c);
    mx_sym_free(net);

    mx_nd *a[2] = {mx_nd_empty(mx_shape_make(2, 3, 4)), mx_nd_empty(mx_shape_make(1, 5))};
    mx_test_fill(a[0], -1, 1, 1);
    mx_test_fill(a[1], -1, 1, 2);
    const char *names[] = {"arg:w", "arg:b"};
    snprintf(c.path, sizeof c.path, "%s/faults.params", mx_test_tmp_dir());
    CU_ASSERT_EQUAL_FATAL(mx_nd_save(c.path, 2, names, a), MX_OK);
    every_allocation(".params load", try_params, &c);
    mx_nd_free(a[0]);
    mx_nd_free(a[1]);

    const char text[] = "to be or not to be, that is the question";
    mx_vocab *v = mx_vocab_build(text, sizeof text - 1, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    snprintf(c.path, sizeof c.path, "%s/faults-vocab", mx_test_tmp_dir());
    CU_ASSERT_EQUAL_FATAL(mx_vocab_save(v, c.path), MX_OK);
    every_allocation("vocabulary load", try_vocab, &c);
    mx_vocab_free(v);

    snprintf(c.path, sizeof c.path, "%s/faults.csv", mx_test_tmp_dir());
    FILE *f = fopen(c.path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    for (int i = 0; i < 1500; i++) fprintf(f, "%d,%d,%d\n", i, 2 * i, 3 * i); /* past the first 1024-float block */
    fclose(f);
    every_allocation("CSV load", try_csv, &c);
}

/* fsync, failing the n-th call from arming with fsync_errno. */
static atomic_long fsync_countdown;
static atomic_int fsync_errno, fsync_fired;

int fsync(int fd)
{
    if (atomic_load(&fsync_countdown) > 0 && atomic_fetch_sub(&fsync_countdown, 1) == 1) {
        atomic_store(&fsync_fired, 1);
        errno = atomic_load(&fsync_errno);
        return -1;
    }
    return (int)syscall(SYS_fsync, fd);
}

static void test_faults_checkpoint_fsync(void)
{
    static const char *const ext[] = {"symbol.json", "0001.states", "0001.params"};
    static const int errs[] = {EIO, ENOSPC};
    char dir[512], prefix[600], path[700];
    snprintf(prefix, sizeof prefix, "%s/mlp", mx_test_ckpt_dir("fsync", dir, sizeof dir));
    mx_model *m = mx_test_ckpt_random_mlp(7, "sgd lr=0.1", 1);
    mx_log_set_quiet(1);
    CU_ASSERT_EQUAL_FATAL(mx_checkpoint_save(m, prefix, 1), MX_OK);
    int failed = 0, bad = 0;
    for (int k = 0; k < 2; k++) {
        for (long n = 1; n < 100; n++) {
            unsigned char *before[3];
            size_t len[3];
            for (int i = 0; i < 3; i++) {
                snprintf(path, sizeof path, "%s-%s", prefix, ext[i]);
                before[i] = mx_test_ckpt_read(path, &len[i]);
            }
            /* other weights, so a replaced file would differ */
            float *w = mx_nd_data(mx_model_param(m, 0));
            w[0] += 1.0f;
            atomic_store(&fsync_errno, errs[k]);
            atomic_store(&fsync_fired, 0);
            atomic_store(&fsync_countdown, n);
            mx_status st = mx_checkpoint_save(m, prefix, 1);
            atomic_store(&fsync_countdown, 0);
            int fired = atomic_load(&fsync_fired);
            if (fired && st != MX_OK) {
                failed++;
                /* the error names a file of this checkpoint */
                bad += strstr(mx_last_error(), "mlp-") == NULL;
                for (int i = 0; i < 3; i++) {
                    snprintf(path, sizeof path, "%s-%s", prefix, ext[i]);
                    int same = mx_test_ckpt_same_file(path, before[i], len[i]);
                    if (!same) fprintf(stderr, "\n  fsync %ld failing: %s changed", n, path);
                    bad += !same;
                }
            }
            mx_sym *sym = NULL;
            mx_nd_list l;
            bad += mx_checkpoint_load(prefix, 1, &sym, &l) != MX_OK;
            if (sym) { mx_sym_free(sym); mx_nd_list_free(&l); }
            bad += mx_test_ckpt_count_tmp(dir) != 0;
            for (int i = 0; i < 3; i++) free(before[i]);
            if (!fired) break;
        }
    }
    mx_log_set_quiet(0);
    printf("\n    %d saves failed by a failing fsync (EIO, ENOSPC) at each point ", failed);
    CU_ASSERT(failed >= 4);
    CU_ASSERT_EQUAL(bad, 0);
    mx_model_free(m);
}

/* Reads through fread (raw IDX, .params, text) and read (zlib's, behind
 * gzread) fail with EIO once io_budget more bytes have been read (-1:
 * off). The wrappers are off in sanitizer builds, which intercept both. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define IO_FAULTS 0
#else
#define IO_FAULTS 1
static atomic_long io_budget = -1;
static atomic_int io_fired;

/* Takes up to want bytes of the budget; 1 when the budget is short:
 * *want is cut to what is left and, unless short_first leaves the fault
 * armed for the next call (a short read, then the failing one), the
 * fault fires now. */
static int io_take(size_t *want, int short_first)
{
    long b = atomic_load(&io_budget);
    if (b < 0) return 0;
    if ((long)*want <= b) {
        atomic_fetch_sub(&io_budget, (long)*want);
        return 0;
    }
    *want = (size_t)b;
    if (short_first && b > 0) {
        atomic_store(&io_budget, 0);
        return 1;
    }
    atomic_store(&io_budget, -1);
    atomic_store(&io_fired, 1);
    return 1;
}

size_t MX_HOOK(fread)(void *p, size_t size, size_t n, FILE *f)
{
#ifdef MX_TEST_WRAP
    size_t (*real)(void *, size_t, size_t, FILE *) = __real_fread;
#else
    static size_t (*real)(void *, size_t, size_t, FILE *);
    if (!real) real = (size_t (*)(void *, size_t, size_t, FILE *))dlsym(RTLD_NEXT, "fread");
#endif
    size_t bytes = size * n;
    if (!size || !io_take(&bytes, 0)) return real(p, size, n, f);
    size_t got = bytes / size ? real(p, size, bytes / size, f) : 0;
#ifdef __GLIBC__
    f->_flags |= 0x20; /* _IO_ERR_SEEN: what ferror() reads */
#endif
    errno = EIO;
    return got;
}

ssize_t MX_HOOK(read)(int fd, void *buf, size_t n)
{
#ifdef MX_TEST_WRAP
    ssize_t (*real)(int, void *, size_t) = __real_read;
#else
    static ssize_t (*real)(int, void *, size_t);
    if (!real) real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
#endif
    size_t want = n;
    if (!io_take(&want, 1)) return real(fd, buf, n);
    if (want) return real(fd, buf, want); /* a short read; the next one fails */
    errno = EIO;
    return -1;
}
#endif

typedef int (*load_fn)(const char *path);

static int load_idx(const char *path)
{
    mx_idx x;
    memset(&x, 0, sizeof x);
    if (mx_idx_load(path, &x) != MX_OK) return 0;
    mx_idx_free(&x);
    return 1;
}

static int load_params(const char *path)
{
    mx_nd_list l;
    if (mx_nd_load(path, &l) != MX_OK) return 0;
    mx_nd_list_free(&l);
    return 1;
}

static int load_vocab(const char *path)
{
    mx_vocab *v = mx_vocab_load(path);
    mx_vocab_free(v);
    return v != NULL;
}

static int load_csv(const char *path)
{
    mx_csv c;
    if (mx_csv_load(path, 0, &c) != MX_OK) return 0;
    mx_csv_free(&c);
    return 1;
}

static int load_text(const char *path)
{
    char *t;
    size_t n;
    if (mx_text_read(path, &t, &n) != MX_OK) return 0;
    free(t);
    return 1;
}

/* Loads path with reads failing after b bytes, for b = 0, 1, 2, … 17 and
 * at an eighth, a quarter, a half and the last byte of the file: each
 * load must fail with an error naming the file and the read error (the
 * budget counts the bytes the wrapped call hands over: file bytes for
 * fread and for zlib's reads of a gzip file). */
static void every_read_point(const char *what, const char *path, load_fn load)
{
#if IO_FAULTS
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    long points[22];
    int np = 0;
    for (long b = 0; b < 18 && b < size; b++) points[np++] = b;
    points[np++] = size / 8, points[np++] = size / 4, points[np++] = size / 2, points[np++] = size - 1;
    int failed = 0, silent = 0;
    for (int i = 0; i < np; i++) {
        mx_clear_error();
        atomic_store(&io_fired, 0);
        atomic_store(&io_budget, points[i]);
        int ok = load(path);
        atomic_store(&io_budget, -1);
        if (!atomic_load(&io_fired)) continue; /* (never: every point is inside the file) */
        failed++;
        if (ok || !strstr(mx_last_error(), path) || !strstr(mx_last_error(), "read error")) {
            silent++;
            fprintf(stderr, "\n  %s: read failing after %ld bytes: %s (error '%s')", what, points[i],
                    ok ? "loaded anyway" : "error lacks the path or 'read error'", mx_last_error());
        }
    }
    atomic_store(&io_fired, 0);
    int whole = load(path); /* and with no fault the same file loads */
    printf("\n    %s (%ld bytes): %d reads failed with EIO at points up to byte %ld, each a clean error ", what, size,
           failed, size - 1);
    CU_ASSERT(whole);
    CU_ASSERT(failed >= np - 1);
    CU_ASSERT_EQUAL(silent, 0);
#else
    (void)path;
    (void)load;
    mx_test_skip("sanitizer build intercepts fread/read: no I/O fault injection for %s", what);
#endif
}

static void test_faults_data_reads(void)
{
    enum { N = 120 };
    static unsigned char img[16 + N * 28 * 28];
    const unsigned char head[16] = {0, 0, 8, 3, 0, 0, 0, N, 0, 0, 0, 28, 0, 0, 0, 28};
    memcpy(img, head, sizeof head);
    uint32_t s = 12345;
    for (size_t i = sizeof head; i < sizeof img; i++) img[i] = (unsigned char)((s = s * 1103515245u + 12345u) >> 24);
    char raw[600], gz[600], params[600], vocab[600], text[600];
    snprintf(raw, sizeof raw, "%s/faults-images-idx3-ubyte", mx_test_tmp_dir());
    snprintf(gz, sizeof gz, "%s/faults-images-idx3-ubyte.gz", mx_test_tmp_dir());
    FILE *f = fopen(raw, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(img, 1, sizeof img, f), sizeof img);
    fclose(f);
    gzFile z = gzopen(gz, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);
    CU_ASSERT_EQUAL(gzwrite(z, img, sizeof img), (int)sizeof img);
    gzclose(z);
    every_read_point("raw IDX", raw, load_idx);
    every_read_point("gzip IDX", gz, load_idx);

    mx_nd *a[2] = {mx_nd_empty(mx_shape_make(2, 30, 40)), mx_nd_empty(mx_shape_make(1, 50))};
    mx_test_fill(a[0], -1, 1, 1);
    mx_test_fill(a[1], -1, 1, 2);
    const char *names[] = {"arg:w", "arg:b"};
    snprintf(params, sizeof params, "%s/faults-read.params", mx_test_tmp_dir());
    CU_ASSERT_EQUAL_FATAL(mx_nd_save(params, 2, names, a), MX_OK);
    every_read_point(".params", params, load_params);
    mx_nd_free(a[0]);
    mx_nd_free(a[1]);

    static char words[70000];
    for (size_t i = 0; i + 1 < sizeof words; i++) words[i] = "to be or not to be, that is the question\n"[i % 41];
    snprintf(text, sizeof text, "%s/faults-input.txt", mx_test_tmp_dir());
    f = fopen(text, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(words, f);
    fclose(f);
    every_read_point("training text", text, load_text);
    mx_vocab *v = mx_vocab_build(words, strlen(words), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    snprintf(vocab, sizeof vocab, "%s/faults-read-vocab", mx_test_tmp_dir());
    CU_ASSERT_EQUAL_FATAL(mx_vocab_save(v, vocab), MX_OK);
    every_read_point("vocabulary", vocab, load_vocab);
    mx_vocab_free(v);

    char csv[600];
    snprintf(csv, sizeof csv, "%s/faults-read.csv", mx_test_tmp_dir());
    f = fopen(csv, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    for (int i = 0; i < 2000; i++) fprintf(f, "%d,%.3f,%g\n", i, i * 0.5, -1e-3 * i);
    fclose(f);
    every_read_point("CSV", csv, load_csv);
}

CU_ErrorCode mx_test_register_faults(void)
{
    CU_pSuite s = CU_add_suite("faults", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "bind: every allocation failing in turn is a clean error", test_faults_bind);
    CU_add_test(s, "loaders: every allocation failing in turn is a clean error", test_faults_loaders);
    CU_add_test(s, "fit: every allocation failing in turn is a clean error (CPU, stand-in GPUs, dist_sync, buckets)",
                test_faults_fit);
    CU_add_test(s, "checkpoint: a failing fsync (EIO, ENOSPC) at each point leaves the previous one",
                test_faults_checkpoint_fsync);
    CU_add_test(s, "data files: a read failing with EIO at each point is a clean error", test_faults_data_reads);
    return CU_get_error();
}
