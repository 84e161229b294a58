/* test_faults.c — the faults suite: every allocation that bind, the file
 * loaders and the vocabulary make is failed in turn (the n-th call of
 * malloc/calloc/realloc/aligned allocation, n = 1, 2, … until the call
 * succeeds without reaching it). Each must end in a clean error naming
 * what ran out, or — where an allocation is optional — success; never a
 * crash. Runs in the plain build, whose test binary wraps the allocator;
 * the sanitizer build reports it as skipped. And checkpoints whose n-th
 * fsync fails with EIO or ENOSPC (this file wraps fsync): the save fails
 * naming the file, the previous checkpoint stays byte for byte and
 * loadable, and no temporary file is left. */
#define _GNU_SOURCE /* syscall */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "suites.h"
#include "test_ckpt_util.h"
#include "test_util.h"

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

static void test_faults_bind(void)
{
    bind_ctx c = {mx_test_lenet(), mx_shape_make(4, 8, 1, 28, 28)};
    every_allocation("simple_bind + forward + backward of LeNet", try_bind, &c);
    mx_sym_free(c.net);
    c.net = mx_test_conv_layers();
    c.shape = mx_shape_make(4, 4, 3, 16, 16);
    every_allocation("simple_bind of a BatchNorm/Dropout/Concat net", try_bind, &c);
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

CU_ErrorCode mx_test_register_faults(void)
{
    CU_pSuite s = CU_add_suite("faults", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "bind: every allocation failing in turn is a clean error", test_faults_bind);
    CU_add_test(s, "loaders: every allocation failing in turn is a clean error", test_faults_loaders);
    CU_add_test(s, "checkpoint: a failing fsync (EIO, ENOSPC) at each point leaves the previous one",
                test_faults_checkpoint_fsync);
    return CU_get_error();
}
