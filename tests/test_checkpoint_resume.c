/* test_checkpoint_resume.c — part of the checkpoint suite (registered from
 * tests/test_checkpoint.c): a run resumed from a checkpoint ends with the
 * weights and optimizer states of an uninterrupted run, bit for bit; a
 * save that fails half way leaves the previous files; a save killed at any
 * moment never leaves a torn file. */
#include <signal.h>
#include <sys/resource.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"
#include "test_ckpt_util.h"
#include "test_util.h"


static int same_params(const mx_model *a, const mx_model *b)
{
    if (mx_model_num_params(a) != mx_model_num_params(b) || mx_model_num_params(a) == 0) return 0;
    for (int i = 0; i < mx_model_num_params(a); i++) {
        mx_nd *pa = mx_model_param(a, i), *pb = mx_model_param(b, i);
        if (strcmp(mx_model_param_name(a, i), mx_model_param_name(b, i)) || mx_nd_size(pa) != mx_nd_size(pb) ||
            memcmp(mx_nd_data(pa), mx_nd_data(pb), mx_nd_size(pa) * sizeof(float)))
            return 0;
    }
    return 1;
}

/* Saves both models at epoch under prefixes a and b: the params and states
 * files (weights, optimizer states, step counters, iteration, generators)
 * must be byte-identical. */
static int same_checkpoints(mx_model *ma, mx_model *mb, const char *a, const char *b, int epoch)
{
    mx_log_set_quiet(1);
    int saved = mx_checkpoint_save(ma, a, epoch) == MX_OK && mx_checkpoint_save(mb, b, epoch) == MX_OK;
    mx_log_set_quiet(0);
    if (!saved) return 0;
    int same = 1;
    static const char *const ext[] = {"params", "states"};
    for (int i = 0; i < 2; i++) {
        char pa[700], pb[700];
        snprintf(pa, sizeof pa, "%s-%04d.%s", a, epoch, ext[i]);
        snprintf(pb, sizeof pb, "%s-%04d.%s", b, epoch, ext[i]);
        size_t na, nb;
        unsigned char *ba = mx_test_ckpt_read(pa, &na), *bb = mx_test_ckpt_read(pb, &nb);
        if (!ba || !bb || na != nb || memcmp(ba, bb, na)) {
            printf("\n  %s and %s differ\n", pa, pb);
            same = 0;
        }
        free(ba);
        free(bb);
    }
    return same;
}

/* (a) 4 epochs straight; (b) 2 epochs with a checkpoint at 2, then a new
 * model from the files alone resumed to 4; (c) the 2-epoch model itself
 * resumed in process to 4. Same seeds, same threads: a == b == c. */
static void resume_case(int threads, int nctx, const char *spec, const char *tag)
{
    const uint64_t seed = 21;
    mx_ctx ctx[2] = {mx_cpu(), mx_cpu()};
    char dir[512], prefix[600], ka[600], kb[600], kc[600];
    mx_test_ckpt_dir(tag, dir, sizeof dir);
    snprintf(prefix, sizeof prefix, "%s/run", dir);
    snprintf(ka, sizeof ka, "%s/straight", dir);
    snprintf(kb, sizeof kb, "%s/fresh", dir);
    snprintf(kc, sizeof kc, "%s/inproc", dir);
    mx_engine_set_default(threads, MX_BIND_NONE);
    mx_sym *net = mx_test_mlp();

    mx_random_seed(seed);
    mx_provider *p = mx_test_ckpt_mnist(1, 2000, seed, 1);
    mx_model *a = mx_model_create(net, ctx, nctx);
    CU_ASSERT_EQUAL_FATAL(mx_test_ckpt_fit(a, spec, p, 4, NULL, 1), MX_OK);
    mx_provider_free(p);

    mx_random_seed(seed);
    p = mx_test_ckpt_mnist(1, 2000, seed, 1);
    mx_model *c = mx_model_create(net, ctx, nctx);
    CU_ASSERT_EQUAL_FATAL(mx_test_ckpt_fit(c, spec, p, 2, prefix, 2), MX_OK);
    mx_provider_free(p);
    CU_ASSERT(!same_params(a, c)); /* 2 epochs are not 4 */

    mx_random_seed(seed);
    p = mx_test_ckpt_mnist(1, 2000, seed, 1);
    mx_model *b = mx_model_load(prefix, 2, ctx, nctx);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(mx_model_resume(b, prefix, 2), MX_OK);
    CU_ASSERT_EQUAL(mx_test_ckpt_fit(b, spec, p, 4, NULL, 1), MX_OK);
    mx_provider_free(p);
    int fresh_ok = same_params(a, b) && same_checkpoints(a, b, ka, kb, 4);

    mx_random_seed(seed);
    p = mx_test_ckpt_mnist(1, 2000, seed, 1);
    CU_ASSERT_EQUAL(mx_model_resume(c, prefix, 2), MX_OK);
    CU_ASSERT_EQUAL(mx_test_ckpt_fit(c, spec, p, 4, NULL, 1), MX_OK);
    mx_provider_free(p);
    int inproc_ok = same_params(a, c) && same_checkpoints(a, c, ka, kc, 4);
    if (!fresh_ok || !inproc_ok)
        printf("\n  %s, %d thread(s), %d context(s): resumed run differs (new model %s, same model %s)\n", spec,
               threads, nctx, fresh_ok ? "ok" : "DIFFERS", inproc_ok ? "ok" : "DIFFERS");
    CU_ASSERT(fresh_ok);
    CU_ASSERT(inproc_ok);
    mx_model_free(a);
    mx_model_free(b);
    mx_model_free(c);
    mx_sym_free(net);
}

static void test_checkpoint_resume_equals_uninterrupted_run(void)
{
    if (!mx_test_have_mnist("checkpoint resume")) return;
    resume_case(1, 1, "sgd lr=0.1 momentum=0.9", "resume-sgd-1");
    resume_case(2, 1, "sgd lr=0.1 momentum=0.9", "resume-sgd-2");
    resume_case(1, 1, "adam lr=0.001", "resume-adam-1");
    resume_case(2, 1, "adam lr=0.001", "resume-adam-2");
}

static void test_checkpoint_resume_two_contexts(void)
{
    if (!mx_test_have_mnist("checkpoint resume, two contexts")) return;
    resume_case(2, 2, "sgd lr=0.1 momentum=0.9", "resume-sgd-ctx2");
    resume_case(2, 2, "adam lr=0.001", "resume-adam-ctx2");
}

/* ---- 5. kills during a save ---- */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

/* 0 or 1: which reference the file equals byte for byte, -1 if neither. */
static int which_of(const char *path, unsigned char *const ref[2], const size_t len[2])
{
    for (int k = 0; k < 2; k++)
        if (mx_test_ckpt_same_file(path, ref[k], len[k])) return k;
    return -1;
}

static void test_checkpoint_kill_during_save_leaves_complete_files(void)
{
    enum { KILLS = 20 };
    char dir[512], refdir[512], prefix[600], ref[2][600], path[1300];
    mx_test_ckpt_dir("kill", dir, sizeof dir);
    mx_test_ckpt_dir("killref", refdir, sizeof refdir);
    snprintf(prefix, sizeof prefix, "%s/mlp", dir);
    /* Two trained models with other weights and states: a torn mix shows. */
    mx_model *m[2] = {mx_test_ckpt_random_mlp(1, "sgd lr=0.1 momentum=0.9", 1),
                      mx_test_ckpt_random_mlp(2, "sgd lr=0.1 momentum=0.9", 2)};
    static const char *const ext[] = {"symbol.json", "0001.params", "0001.states"};
    mx_log_set_quiet(1);
    unsigned char *bytes[3][2];
    size_t len[3][2];
    for (int k = 0; k < 2; k++) {
        snprintf(ref[k], sizeof ref[k], "%s/m%d", refdir, k);
        CU_ASSERT_EQUAL_FATAL(mx_checkpoint_save(m[k], ref[k], 1), MX_OK);
        for (int e = 0; e < 3; e++) {
            snprintf(path, sizeof path, "%s-%s", ref[k], ext[e]);
            bytes[e][k] = mx_test_ckpt_read(path, &len[e][k]);
        }
    }
    CU_ASSERT_FATAL(len[1][0] == len[1][1] && memcmp(bytes[1][0], bytes[1][1], len[1][0]) != 0);
    /* The good files at the target names; a save's duration sets the delays:
     * 0-20 ms, or 0-2.5 saves where a save (three fsyncs) takes longer. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 3; i++) CU_ASSERT_EQUAL_FATAL(mx_checkpoint_save(m[0], prefix, 1), MX_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double save_ms = ((double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / 3;
    long max_ms = save_ms * 2.5 > 200 ? 200 : save_ms * 2.5 > 20 ? (long)(save_ms * 2.5) : 20;

    mx_rng rng;
    mx_rng_seed(&rng, 2024);
    int torn = 0, unloadable = 0, wrong = 0, mixed = 0, no_resume = 0;
    long saves = 0;
    for (int kill_no = 0; kill_no < KILLS; kill_no++) {
        int fd[2];
        CU_ASSERT_FATAL(pipe(fd) == 0);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) { /* saves A, B, A, … at the same names until killed */
            close(fd[0]);
            if (write(fd[1], "s", 1) != 1) _exit(3);
            for (long i = 1;; i++) {
                if (mx_checkpoint_save(m[i & 1], prefix, 1) != MX_OK) _exit(2);
                if (write(fd[1], "+", 1) != 1) _exit(3);
            }
        }
        CU_ASSERT_FATAL(pid > 0);
        close(fd[1]);
        char c;
        CU_ASSERT(read(fd[0], &c, 1) == 1); /* the child is saving */
        sleep_ms((long)mx_rng_below(&rng, (uint64_t)max_ms + 1));
        kill(pid, SIGKILL);
        int status = 0;
        CU_ASSERT(waitpid(pid, &status, 0) == pid);
        CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        char buf[4096];
        ssize_t got;
        while ((got = read(fd[0], buf, sizeof buf)) > 0) saves += got;
        close(fd[0]);

        int which[3];
        for (int e = 0; e < 3; e++) {
            snprintf(path, sizeof path, "%s-%s", prefix, ext[e]);
            unsigned char *r[2] = {bytes[e][0], bytes[e][1]};
            which[e] = which_of(path, r, len[e]);
            torn += which[e] < 0;
        }
        mixed += which[1] >= 0 && which[2] >= 0 && which[1] != which[2];
        /* Even a pair from different saves resumes: the params' CRC picks
         * the states file (or states.new) that belongs to them. */
        mx_model *r = mx_model_create(mx_model_symbol(m[0]), NULL, 0);
        if (!r || mx_model_resume(r, prefix, 1) != MX_OK) {
            no_resume++;
            printf("\n  kill %d: resume: %s\n", kill_no, mx_last_error());
        }
        mx_model_free(r);
        mx_sym *sym = NULL;
        mx_nd_list l = {0, NULL, NULL};
        if (mx_checkpoint_load(prefix, 1, &sym, &l) != MX_OK) {
            unloadable++;
            printf("\n  kill %d: %s\n", kill_no, mx_last_error());
            continue;
        }
        const mx_model *want = m[which[1] == 1];
        for (int i = 0; i < mx_model_num_params(want); i++) {
            char key[128];
            snprintf(key, sizeof key, "arg:%s", mx_model_param_name(want, i));
            int k = mx_nd_list_find(&l, key);
            mx_nd *p = mx_model_param(want, i);
            wrong += k < 0 || mx_nd_size(l.arrays[k]) != mx_nd_size(p) ||
                     memcmp(mx_nd_data(l.arrays[k]), mx_nd_data(p), mx_nd_size(p) * sizeof(float)) != 0;
        }
        mx_nd_list_free(&l);
        mx_sym_free(sym);
    }
    mx_log_set_quiet(0);
    int stray = mx_test_ckpt_count_tmp(dir);
    printf("\n  %d kills 0-%ld ms into saving (a save takes %.1f ms; %ld completed): %d torn, %d unloadable, "
           "%d wrong arrays; %d params/states pairs from different saves, %d not resumable; %d stray temp files\n",
           KILLS, max_ms, save_ms, saves, torn, unloadable, wrong, mixed, no_resume, stray);
    CU_ASSERT_EQUAL(no_resume, 0);
    CU_ASSERT_EQUAL(torn, 0);
    CU_ASSERT_EQUAL(unloadable, 0);
    CU_ASSERT_EQUAL(wrong, 0);
    for (int e = 0; e < 3; e++) { free(bytes[e][0]); free(bytes[e][1]); }
    mx_model_free(m[0]);
    mx_model_free(m[1]);
}

/* A save that fails after the states file (the params file hits the file
 * size limit in a child) must leave the previous checkpoint as it was. */
static void test_checkpoint_failed_save_leaves_previous_files(void)
{
    char dir[512], prefix[600], path[700];
    snprintf(prefix, sizeof prefix, "%s/mlp", mx_test_ckpt_dir("failsave", dir, sizeof dir));
    mx_model *m = mx_test_ckpt_random_mlp(5, "sgd lr=0.1", 1);
    mx_log_set_quiet(1);
    CU_ASSERT_EQUAL_FATAL(mx_checkpoint_save(m, prefix, 1), MX_OK);
    mx_log_set_quiet(0);
    static const char *const ext[] = {"symbol.json", "0001.states", "0001.params"};
    unsigned char *before[3];
    size_t len[3];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s-%s", prefix, ext[i]);
        before[i] = mx_test_ckpt_read(path, &len[i]);
    }
    CU_ASSERT_FATAL(len[0] < 65536 && len[1] < 65536 && len[2] > 65536);
    /* Two more epochs: other weights, another iteration count. */
    mx_nd *x = mx_nd_empty(mx_shape_make(2, 40, 784)), *y = mx_nd_zeros(mx_shape_make(1, 40));
    mx_test_fill(x, 0.0f, 1.0f, 9);
    const char *dn[] = {"data"}, *ln[] = {"softmax_label"};
    mx_array_provider_opts po = {10, 0, 0, 0, 0};
    mx_provider *p = mx_array_provider(1, dn, &x, 1, ln, &y, &po);
    CU_ASSERT_EQUAL(mx_test_ckpt_fit(m, "sgd lr=0.1", p, 2, NULL, 1), MX_OK);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {65536, 65536};
        signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &rl);
        mx_log_set_quiet(1);
        mx_status st = mx_checkpoint_save(m, prefix, 1);
        _exit(st == MX_OK ? 1 : strstr(mx_last_error(), "mlp-0001.params") ? 0 : 2);
    }
    int status = 0;
    CU_ASSERT_FATAL(pid > 0 && waitpid(pid, &status, 0) == pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* failed, naming the params file */
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s-%s", prefix, ext[i]);
        int same = mx_test_ckpt_same_file(path, before[i], len[i]);
        if (!same) printf("\n  %s changed although the save failed\n", path);
        CU_ASSERT(same);
        free(before[i]);
    }
    CU_ASSERT_EQUAL(mx_test_ckpt_count_tmp(dir), 0);
    mx_provider_free(p);
    mx_nd_free(x);
    mx_nd_free(y);
    mx_model_free(m);
}

/* Saves two models' epoch 1 under DIR/a and DIR/b, then leaves a as a
 * kill between the two renames would: b's params in place, b's states as
 * a-0001.states.new (path in states_new), a's old states. Returns a's
 * model; *mb gets b's. */
static mx_model *interrupted_publish(const char *name, char *a, size_t acap, char *states_new, size_t cap,
                                     mx_model **mb)
{
    char dir[512], b[600], pa[700], pb[700];
    mx_test_ckpt_dir(name, dir, sizeof dir);
    snprintf(a, acap, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    mx_model *ma = mx_test_ckpt_random_mlp(5, "sgd lr=0.1 momentum=0.9", 1);
    *mb = mx_test_ckpt_random_mlp(6, "sgd lr=0.1 momentum=0.9", 2);
    mx_log_set_quiet(1);
    CU_ASSERT_EQUAL_FATAL(mx_checkpoint_save(ma, a, 1), MX_OK);
    CU_ASSERT_EQUAL_FATAL(mx_checkpoint_save(*mb, b, 1), MX_OK);
    mx_log_set_quiet(0);
    snprintf(pa, sizeof pa, "%s-0001.params", a);
    snprintf(pb, sizeof pb, "%s-0001.params", b);
    CU_ASSERT_EQUAL_FATAL(rename(pb, pa), 0);
    snprintf(states_new, cap, "%s-0001.states.new", a);
    snprintf(pb, sizeof pb, "%s-0001.states", b);
    CU_ASSERT_EQUAL_FATAL(rename(pb, states_new), 0);
    return ma;
}

/* The state a kill between the two renames leaves: new params, old
 * states, and the new states as states.new. Resume takes states.new by the
 * params' CRC-32; without it, it refuses with a message naming both. */
static void test_checkpoint_interrupted_publish_resumes_from_states_new(void)
{
    char a[600], pa[700];
    mx_model *mb, *ma = interrupted_publish("publish", a, sizeof a, pa, sizeof pa, &mb);
    mx_model *r = mx_model_create(mx_model_symbol(ma), NULL, 0);
    CU_ASSERT_EQUAL(mx_model_resume(r, a, 1), MX_OK);
    mx_model_free(r);
    CU_ASSERT_EQUAL_FATAL(unlink(pa), 0);
    r = mx_model_create(mx_model_symbol(ma), NULL, 0);
    CU_ASSERT_EQUAL(mx_model_resume(r, a, 1), MX_EFORMAT);
    ASSERT_ERROR_HAS("a-0001.states does not belong to");
    ASSERT_ERROR_HAS("a-0001.params");
    mx_model_free(r);
    mx_model_free(ma);
    mx_model_free(mb);
}

/* After a publish interrupted between its renames (new params, their
 * states only in states.new), another save of that epoch must first
 * finish it: here the next save fails early (file size limit, in a child)
 * and deletes its own states.new — without the roll-forward, the one the
 * params needed, leaving a checkpoint that cannot be resumed. */
static void test_checkpoint_save_after_interrupted_publish_keeps_it_resumable(void)
{
    char a[600], pa[700];
    mx_model *mb, *ma = interrupted_publish("publish2", a, sizeof a, pa, sizeof pa, &mb);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {65536, 65536};
        signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &rl);
        mx_log_set_quiet(1);
        _exit(mx_checkpoint_save(ma, a, 1) == MX_OK ? 1 : 0); /* the params file does not fit */
    }
    int status = 0;
    CU_ASSERT_FATAL(pid > 0 && waitpid(pid, &status, 0) == pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    mx_model *r = mx_model_create(mx_model_symbol(ma), NULL, 0);
    CU_ASSERT_EQUAL(mx_model_resume(r, a, 1), MX_OK);
    mx_model_free(r);
    CU_ASSERT_NOT_EQUAL(access(pa, F_OK), 0); /* finished: states.new became states */
    mx_model_free(ma);
    mx_model_free(mb);
}

void mx_test_add_checkpoint_resume_tests(CU_pSuite s)
{
    CU_add_test(s, "interrupted publish resumes from states.new",
                test_checkpoint_interrupted_publish_resumes_from_states_new);
    CU_add_test(s, "a save after an interrupted publish finishes it first",
                test_checkpoint_save_after_interrupted_publish_keeps_it_resumable);
    CU_add_test(s, "resume equals an uninterrupted run (SGD momentum, ADAM; 1 and 2 threads)",
                test_checkpoint_resume_equals_uninterrupted_run);
    CU_add_test(s, "resume equals an uninterrupted run with two contexts", test_checkpoint_resume_two_contexts);
    CU_add_test(s, "failed save leaves previous files", test_checkpoint_failed_save_leaves_previous_files);
    CU_add_test(s, "kill during save leaves complete files", test_checkpoint_kill_during_save_leaves_complete_files);
}
