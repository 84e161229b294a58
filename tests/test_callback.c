/* test_callback.c — the "callback" suite: every_n_batch / every_n_epoch
 * schedules (call_on_0, return values), the speedometer's "Speed: …
 * samples/sec" lines, the JSON-lines metrics log (fresh at epoch 0,
 * appended when resumed), the progress line's silence off a terminal, and
 * fit driving all of them on a small MNIST subset (counts, info fields,
 * values matching the log lines, early stop). */
#define _XOPEN_SOURCE 700 /* posix_openpt */
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mx/callback.h"
#include "mx/log.h"
#include "suites.h"
#include "test_util.h"

/* Records the tick (batch or epoch) of every call; returns ret at stop_at. */
typedef struct recorder {
    int calls, ticks[64], stop_at, ret, epochs;
} recorder;

static int record(void *ctx, mx_model *m, const mx_cb_info *in)
{
    (void)m;
    recorder *r = ctx;
    int tick = r->epochs ? in->epoch : in->batch;
    if (r->calls < 64) r->ticks[r->calls] = tick;
    r->calls++;
    return tick == r->stop_at ? r->ret : 0;
}

/* Runs a fresh every_n_batch/every_n_epoch(n, call_on_0) over ticks 0..last
 * (batches of epoch 1, or epochs) and checks which ticks it fired at. */
static void check_schedule(int epochs, int n, int call_on_0, int last, int nwant, const int *want)
{
    recorder r = {0};
    r.epochs = epochs;
    mx_callback *cb = (epochs ? mx_every_n_epoch : mx_every_n_batch)(record, &r, n, call_on_0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cb);
    CU_ASSERT_EQUAL(mx_callback_is_batch(cb), !epochs);
    mx_cb_info in;
    memset(&in, 0, sizeof in);
    in.epoch = 1, in.n_epoch = 20, in.batches = 20, in.batch_size = 10;
    for (int t = 0; t <= last; t++) {
        if (epochs) in.epoch = t;
        else in.batch = t, in.iter = t, in.samples = 10L * t;
        CU_ASSERT_EQUAL(mx_callback_run(cb, NULL, &in), 0);
    }
    CU_ASSERT_EQUAL(r.calls, nwant);
    for (int i = 0; i < nwant && i < r.calls; i++) CU_ASSERT_EQUAL(r.ticks[i], want[i]);
    mx_callback_free(cb);
}

static void test_callback_every_n_batch_fires_at_multiples_of_n(void)
{
    check_schedule(0, 3, 0, 10, 3, (const int[]){3, 6, 9});
    check_schedule(0, 3, 1, 10, 4, (const int[]){0, 3, 6, 9});
    check_schedule(0, 1, 0, 3, 3, (const int[]){1, 2, 3});
}

static void test_callback_every_n_epoch_fires_at_multiples_of_n(void)
{
    check_schedule(1, 3, 0, 10, 3, (const int[]){3, 6, 9});
    check_schedule(1, 3, 1, 7, 3, (const int[]){0, 3, 6});
    check_schedule(1, 2, 0, 1, 0, NULL);
}

static void test_callback_nonzero_return_is_passed_through_when_fired(void)
{
    recorder r = {0, {0}, 4, 7, 0}, e = {0, {0}, 3, 1, 1};
    mx_callback *cb = mx_every_n_batch(record, &r, 2, 0), *ce = mx_every_n_epoch(record, &e, 1, 0);
    mx_cb_info in;
    memset(&in, 0, sizeof in);
    in.epoch = 1, in.batch = 4;
    CU_ASSERT_NOT_EQUAL(mx_callback_run(cb, NULL, &in), 0);
    in.batch = 2;
    CU_ASSERT_EQUAL(mx_callback_run(cb, NULL, &in), 0);
    in.epoch = 3;
    CU_ASSERT_NOT_EQUAL(mx_callback_run(ce, NULL, &in), 0);
    mx_callback_free(cb);
    mx_callback_free(ce);
}

static void test_callback_frequency_below_one_fails_with_an_error(void)
{
    recorder r = {0};
    CU_ASSERT_PTR_NULL(mx_every_n_batch(record, &r, 0, 0));
    ASSERT_ERROR_HAS("frequency");
    CU_ASSERT_PTR_NULL(mx_every_n_epoch(record, &r, -2, 1));
    ASSERT_ERROR_HAS("frequency");
    CU_ASSERT_PTR_NULL(mx_do_checkpoint("never", 0, 0));
    ASSERT_ERROR_HAS("frequency");
}

/* Collected INFO lines. */
typedef struct lines { int n; char text[64][160]; } lines;

static void collect(void *ctx, const char *level, const char *line)
{
    lines *l = ctx;
    if (strcmp(level, "INFO") || l->n >= 64) return;
    snprintf(l->text[l->n++], sizeof l->text[0], "%s", line);
}

static void sleep_ms(int ms) { nanosleep(&(struct timespec){0, ms * 1000000L}, NULL); }

/* The samples/sec of a "Speed: 357.72 samples/sec" line (two decimals,
 * nothing else), or -1. */
static double speed_of(const char *line)
{
    double v = -1;
    int end = 0;
    const char *dot = strchr(line, '.');
    if (sscanf(line, "Speed: %lf samples/sec%n", &v, &end) != 1 || !end || line[end] || !dot ||
        strcmp(dot + 3, " samples/sec") || (unsigned)(dot[1] - '0') > 9 || (unsigned)(dot[2] - '0') > 9) {
        fprintf(stderr, "\n  not a speed line: '%s'\n", line);
        return -1;
    }
    return v;
}

static void test_callback_speedometer_logs_speed_lines_every_frequency_batches(void)
{
    mx_callback *cb = mx_speedometer(2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cb);
    CU_ASSERT_EQUAL(mx_callback_is_batch(cb), 1);
    lines got = {0};
    mx_cb_info in;
    memset(&in, 0, sizeof in);
    in.epoch = 1, in.batch_size = 10;
    mx_log_set_sink(collect, &got);
    for (in.batch = 0; in.batch <= 6; in.batch++) {
        mx_callback_run(cb, NULL, &in);
        CU_ASSERT_EQUAL(got.n, in.batch / 2); /* none at batch 0 */
        sleep_ms(10);
    }
    /* a new epoch restarts the clock at batch 0 */
    sleep_ms(200);
    in.epoch = 2, in.batch = 0;
    mx_callback_run(cb, NULL, &in);
    sleep_ms(10);
    in.batch = 2;
    mx_callback_run(cb, NULL, &in);
    mx_log_set_sink(NULL, NULL);
    CU_ASSERT_EQUAL_FATAL(got.n, 4);
    for (int i = 0; i < 4; i++) {
        double v = speed_of(got.text[i]);
        CU_ASSERT(isfinite(v) && v > 0);
        /* 2 batches of 10 samples took at least 20 ms (10 ms after a restart) */
        CU_ASSERT(v <= 20 / (i < 3 ? 0.020 : 0.010) + 0.01);
    }
    /* the 200 ms before the restart would have made it at most 100 */
    CU_ASSERT(speed_of(got.text[3]) > 20 / 0.150);
    mx_callback_free(cb);
}

/* Parses one metrics-log line with train and eval accuracy; 1 if it has
 * exactly that shape. */
static int parse_log_line(const char *line, int *epoch, double *time, double *sps, double *train, double *eval)
{
    int end = 0;
    int n = sscanf(line,
                   "{\"epoch\": %d, \"time\": %lf, \"samples_per_sec\": %lf, \"train\": {\"accuracy\": %lf}, "
                   "\"eval\": {\"accuracy\": %lf}}%n",
                   epoch, time, sps, train, eval, &end);
    return n == 5 && end > 0 && (line[end] == '\n' || !line[end]);
}

static int read_lines(const char *path, char out[][512], int cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0;
    char buf[512];
    for (; fgets(buf, sizeof buf, f); n++)
        if (n < cap) snprintf(out[n], 512, "%s", buf);
    fclose(f);
    return n;
}

/* Four samples of three classes; preds' argmax per row is given. */
static void update_accuracy(mx_metric *m, const int *argmax)
{
    const float lab[4] = {0, 1, 2, 1};
    float p[12] = {0};
    for (int i = 0; i < 4; i++) p[i * 3 + argmax[i]] = 1;
    mx_nd *l = mx_nd_from(mx_shape_make(1, 4), lab), *pr = mx_nd_from(mx_shape_make(2, 4, 3), p);
    mx_metric_update(m, l, pr, 4);
    mx_nd_free(l);
    mx_nd_free(pr);
}

static void test_callback_metrics_log_writes_one_json_line_per_epoch_and_appends_on_resume(void)
{
    char path[512], text[4][512];
    snprintf(path, sizeof path, "%s/metrics.jsonl", mx_test_tmp_dir());
    remove(path);
    mx_callback *cb = mx_metrics_log(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cb);
    CU_ASSERT_EQUAL(mx_callback_is_batch(cb), 0);
    mx_metric *eval = mx_metric_accuracy();
    mx_cb_info in;
    memset(&in, 0, sizeof in);
    in.n_epoch = 2;
    CU_ASSERT_EQUAL(mx_callback_run(cb, NULL, &in), 0); /* epoch 0: the file starts */
    CU_ASSERT_EQUAL(read_lines(path, text, 4), 0);
    in.n_train = 1, in.train_names[0] = "accuracy", in.eval = eval, in.samples = 1000;
    const double train_acc[2] = {0.625, 0.875}, secs[2] = {2.0, 4.0};
    const double want_eval[2] = {0.75, 0.25}, want_sps[2] = {500.0, 250.0}; /* 1000 samples / secs */
    const int argmax[2][4] = {{0, 1, 0, 1}, {0, 0, 0, 0}};
    for (int e = 0; e < 2; e++) {
        mx_metric_reset(eval);
        update_accuracy(eval, argmax[e]);
        in.epoch = e + 1, in.epoch_seconds = secs[e], in.train_values[0] = train_acc[e];
        CU_ASSERT_EQUAL(mx_callback_run(cb, NULL, &in), 0);
    }
    CU_ASSERT_EQUAL_FATAL(read_lines(path, text, 4), 2);
    for (int e = 0; e < 2; e++) {
        int epoch = -1;
        double t = -1, sps = -1, tr = -1, ev = -1;
        CU_ASSERT_FATAL(parse_log_line(text[e], &epoch, &t, &sps, &tr, &ev));
        CU_ASSERT_EQUAL(epoch, e + 1);
        CU_ASSERT_DOUBLE_EQUAL(t, secs[e], 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(sps, want_sps[e], 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(tr, train_acc[e], 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(ev, want_eval[e], 1e-9);
    }
    mx_callback_free(cb);
    /* a resumed run (no epoch 0) appends; without eval data no "eval" */
    cb = mx_metrics_log(path);
    in.epoch = 3, in.eval = NULL;
    CU_ASSERT_EQUAL(mx_callback_run(cb, NULL, &in), 0);
    CU_ASSERT_EQUAL_FATAL(read_lines(path, text, 4), 3);
    CU_ASSERT_EQUAL(strncmp(text[0], "{\"epoch\": 1,", 12), 0);
    CU_ASSERT_EQUAL(strncmp(text[2], "{\"epoch\": 3,", 12), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(text[2], "\"train\": {\"accuracy\": 0.875}"));
    CU_ASSERT_PTR_NULL(strstr(text[2], "\"eval\""));
    mx_callback_free(cb);
    /* a fresh run (epoch 0 again) starts the file over */
    cb = mx_metrics_log(path);
    in.epoch = 0;
    mx_callback_run(cb, NULL, &in);
    CU_ASSERT_EQUAL(read_lines(path, text, 4), 0);
    mx_callback_free(cb);
    mx_metric_free(eval);
}

/* The samples/s a progress line on a pseudo-terminal shows for one batch
 * (100 samples in 1 s) of `workers` ranks; -1 if it wrote none. */
static double progress_rate(int master, FILE *tty, int workers)
{
    mx_callback *cb = mx_progress_line(tty);
    mx_cb_info in;
    memset(&in, 0, sizeof in);
    in.epoch = 1, in.n_epoch = 1, in.batches = 4, in.batch_size = 100, in.batch = 1;
    in.samples = 100, in.epoch_seconds = 1.0, in.workers = workers;
    mx_callback_run(cb, NULL, &in);
    in.batch = in.batches; /* the last batch clears the line */
    mx_callback_run(cb, NULL, &in);
    mx_callback_free(cb);
    char buf[512];
    size_t n = 0;
    struct pollfd p = {master, POLLIN, 0};
    while (n < sizeof buf - 1 && poll(&p, 1, 200) > 0) {
        ssize_t r = read(master, buf + n, sizeof buf - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
    }
    buf[n] = 0;
    const char *at = strstr(buf, "batches");
    double rate;
    return at && sscanf(at, "batches %lf samples/s", &rate) == 1 ? rate : -1.0;
}

static void test_callback_progress_line_shows_the_job_rate(void)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) || unlockpt(master)) {
        mx_test_skip("no pseudo-terminal here");
        if (master >= 0) close(master);
        return;
    }
    FILE *tty = fopen(ptsname(master), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(tty);
    double one = progress_rate(master, tty, 1), two = progress_rate(master, tty, 2);
    printf("\n    1 rank: %.0f samples/s, 2 ranks: %.0f samples/s ", one, two);
    CU_ASSERT_DOUBLE_EQUAL(one, 100.0, 0.5);
    CU_ASSERT_DOUBLE_EQUAL(two, 200.0, 0.5); /* dist_sync: both ranks' samples */
    fclose(tty);
    close(master);
}

static void test_callback_progress_line_writes_nothing_to_a_non_terminal(void)
{
    FILE *f = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    mx_callback *cb = mx_progress_line(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cb);
    CU_ASSERT_EQUAL(mx_callback_is_batch(cb), 1);
    mx_metric *acc = mx_metric_accuracy();
    mx_cb_info in;
    memset(&in, 0, sizeof in);
    in.epoch = 1, in.n_epoch = 1, in.batches = 5, in.batch_size = 10, in.train = acc;
    for (in.batch = 0; in.batch <= 5; in.batch++) {
        in.samples = 10L * in.batch, in.epoch_seconds = 0.01 * in.batch;
        CU_ASSERT_EQUAL(mx_callback_run(cb, NULL, &in), 0);
    }
    fflush(f);
    fseek(f, 0, SEEK_END);
    CU_ASSERT_EQUAL(ftell(f), 0);
    mx_callback_free(cb);
    mx_metric_free(acc);
    fclose(f);
}

/* ---- fit on MNIST ------------------------------------------------------ */

/* What fit showed the callbacks and logged, per epoch (1-based). */
typedef struct fit_probe {
    int batch_calls, epoch_calls, bad_info, stop_at, eval_seen[4];
    double train_acc[4], eval_acc[4], log_train[4], log_eval[4]; /* from info; from the log */
    int log_epoch, log_part, speed_lines, last_logged_epoch;
} fit_probe;

static int probe_batch(void *ctx, mx_model *m, const mx_cb_info *in)
{
    (void)m;
    fit_probe *p = ctx;
    p->batch_calls++;
    if (in->batches != 20 || in->batch_size != 100 || in->samples != 100L * in->batch ||
        in->iter != (in->epoch - 1) * 20L + in->batch || !in->train)
        p->bad_info++;
    return p->stop_at && in->batch == p->stop_at;
}

static int probe_epoch(void *ctx, mx_model *m, const mx_cb_info *in)
{
    (void)m;
    fit_probe *p = ctx;
    p->epoch_calls++;
    if (in->epoch == 0 && (in->eval || in->n_train)) p->bad_info++; /* before training: nothing yet */
    if (in->epoch < 1 || in->epoch > 3) return 0;
    const char *name = "";
    if (in->n_train != 1 || strcmp(in->train_names[0], "accuracy")) p->bad_info++;
    p->train_acc[in->epoch] = in->train_values[0];
    p->eval_seen[in->epoch] = in->eval != NULL;
    if (in->eval) mx_metric_get(in->eval, &name, &p->eval_acc[in->epoch], 1);
    return 0;
}

static void probe_log(void *ctx, const char *level, const char *line)
{
    fit_probe *p = ctx;
    int e;
    double v;
    if (strcmp(level, "INFO")) return;
    if (sscanf(line, "== Epoch %d/", &e) == 1) p->log_epoch = p->last_logged_epoch = e, p->log_part = 0;
    else if (!strcmp(line, "## Training summary")) p->log_part = 1;
    else if (!strcmp(line, "## Validation summary")) p->log_part = 2;
    else if (!strncmp(line, "Speed: ", 7)) p->speed_lines++;
    else if (sscanf(line, " accuracy = %lf", &v) == 1 && p->log_epoch >= 1 && p->log_epoch <= 3)
        (p->log_part == 1 ? p->log_train : p->log_eval)[p->log_epoch] = v;
}

/* Fits the tutorial MLP for 2 epochs on 2000 training samples (batch 100)
 * with eval on 500 test samples, running cbs; log lines go to p. */
static mx_status fit_mnist(mx_callback **cbs, int ncb, fit_probe *p)
{
    char img[512], lab[512], vimg[512], vlab[512];
    mx_mnist_opts tr = mx_mnist_defaults();
    tr.image = mx_test_mnist_path("train-images-idx3-ubyte", img, sizeof img);
    tr.label = mx_test_mnist_path("train-labels-idx1-ubyte", lab, sizeof lab);
    tr.batch_size = 100, tr.flat = 1, tr.shuffle = 1, tr.seed = 5, tr.limit = 2000;
    mx_mnist_opts va = tr;
    va.image = mx_test_mnist_path("t10k-images-idx3-ubyte", vimg, sizeof vimg);
    va.label = mx_test_mnist_path("t10k-labels-idx1-ubyte", vlab, sizeof vlab);
    va.shuffle = 0, va.limit = 500;
    mx_provider *train = mx_mnist_provider(&tr), *eval = mx_mnist_provider(&va);
    mx_random_seed(5);
    mx_sym *net = mx_test_mlp();
    mx_model *m = mx_model_create(net, NULL, 0);
    mx_sgd_opts so = mx_sgd_defaults();
    so.lr = 0.1f, so.momentum = 0.9f;
    mx_optimizer *opt = mx_sgd_create(&so);
    mx_fit_opts fo = mx_fit_defaults();
    fo.n_epoch = 2, fo.eval_data = eval, fo.callbacks = cbs, fo.ncallbacks = ncb;
    mx_log_set_sink(probe_log, p);
    mx_status st = train && eval && m && opt ? mx_model_fit(m, opt, train, &fo) : MX_EINVAL;
    mx_log_set_sink(NULL, NULL);
    mx_optimizer_free(opt);
    mx_model_free(m);
    mx_sym_free(net);
    mx_provider_free(train);
    mx_provider_free(eval);
    return st;
}

static void test_callback_fit_runs_batch_and_epoch_callbacks_on_schedule(void)
{
    if (!mx_test_have_mnist("callbacks during fit")) return;
    fit_probe p = {0}, p0 = {0}, e = {0}, e0 = {0}, log = {0};
    char path[512], text[4][512];
    snprintf(path, sizeof path, "%s/fit-metrics.jsonl", mx_test_tmp_dir());
    mx_callback *cbs[6] = {mx_every_n_batch(probe_batch, &p, 5, 0), mx_every_n_batch(probe_batch, &p0, 5, 1),
                           mx_every_n_epoch(probe_epoch, &e, 1, 0), mx_every_n_epoch(probe_epoch, &e0, 1, 1),
                           mx_speedometer(5), mx_metrics_log(path)};
    CU_ASSERT_EQUAL_FATAL(fit_mnist(cbs, 6, &log), MX_OK);
    /* 20 batches per epoch, every 5th: 4 per epoch, 8 in all; +2 at batch 0 */
    CU_ASSERT_EQUAL(p.batch_calls, 2 * (20 / 5));
    CU_ASSERT_EQUAL(p0.batch_calls, 2 * (20 / 5) + 2);
    CU_ASSERT_EQUAL(p.bad_info + p0.bad_info, 0);
    CU_ASSERT_EQUAL(e.epoch_calls, 2);
    CU_ASSERT_EQUAL(e0.epoch_calls, 3); /* + epoch 0 before training */
    CU_ASSERT_EQUAL(e.bad_info + e0.bad_info, 0);
    CU_ASSERT_EQUAL(log.speed_lines, 8);
    CU_ASSERT_EQUAL(log.last_logged_epoch, 2);
    for (int ep = 1; ep <= 2; ep++) {
        CU_ASSERT(e.eval_seen[ep]);
        CU_ASSERT(e.train_acc[ep] > 0 && e.train_acc[ep] <= 1.0);
        /* the values callbacks see are the ones the summary printed (%.4f) */
        CU_ASSERT_DOUBLE_EQUAL(e.train_acc[ep], log.log_train[ep], 5.01e-5);
        CU_ASSERT_DOUBLE_EQUAL(e.eval_acc[ep], log.log_eval[ep], 5.01e-5);
        CU_ASSERT_DOUBLE_EQUAL(e0.train_acc[ep], e.train_acc[ep], 0.0);
    }
    CU_ASSERT(e.train_acc[1] != e.eval_acc[1]); /* train and eval are not mixed up */
    CU_ASSERT_EQUAL_FATAL(read_lines(path, text, 4), 2);
    for (int ep = 1; ep <= 2; ep++) {
        int epoch = 0;
        double t, sps, tr, ev;
        CU_ASSERT_FATAL(parse_log_line(text[ep - 1], &epoch, &t, &sps, &tr, &ev));
        CU_ASSERT_EQUAL(epoch, ep);
        CU_ASSERT(t > 0 && sps > 0);
        CU_ASSERT_DOUBLE_EQUAL(tr, e.train_acc[ep], 1e-8);
        CU_ASSERT_DOUBLE_EQUAL(ev, e.eval_acc[ep], 1e-8);
    }
    for (int i = 0; i < 6; i++) mx_callback_free(cbs[i]);
}

static void test_callback_fit_stops_when_a_batch_callback_returns_nonzero(void)
{
    if (!mx_test_have_mnist("early stop")) return;
    fit_probe p = {0}, e = {0}, log = {0};
    p.stop_at = 7;
    mx_callback *cbs[2] = {mx_every_n_batch(probe_batch, &p, 1, 0), mx_every_n_epoch(probe_epoch, &e, 1, 0)};
    CU_ASSERT_EQUAL(fit_mnist(cbs, 2, &log), MX_OK);
    CU_ASSERT_EQUAL(p.batch_calls, 7); /* batches 1..7 of epoch 1, then no more */
    CU_ASSERT(e.epoch_calls <= 1);
    CU_ASSERT(log.last_logged_epoch <= 1); /* "== Epoch 002/002" never came */
    for (int i = 0; i < 2; i++) mx_callback_free(cbs[i]);
}

CU_ErrorCode mx_test_register_callback(void)
{
    CU_pSuite s = CU_add_suite("callback", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "every_n_batch fires at multiples of n (batch 0 with call_on_0)", test_callback_every_n_batch_fires_at_multiples_of_n);
    CU_add_test(s, "every_n_epoch fires at multiples of n (epoch 0 with call_on_0)", test_callback_every_n_epoch_fires_at_multiples_of_n);
    CU_add_test(s, "non-zero return is passed through when fired", test_callback_nonzero_return_is_passed_through_when_fired);
    CU_add_test(s, "frequency below one fails with an error", test_callback_frequency_below_one_fails_with_an_error);
    CU_add_test(s, "speedometer logs Speed lines every frequency batches", test_callback_speedometer_logs_speed_lines_every_frequency_batches);
    CU_add_test(s, "metrics log writes one JSON line per epoch, appends on resume", test_callback_metrics_log_writes_one_json_line_per_epoch_and_appends_on_resume);
    CU_add_test(s, "progress line writes nothing to a non-terminal", test_callback_progress_line_writes_nothing_to_a_non_terminal);
    CU_add_test(s, "progress line on a terminal shows the job's samples/s", test_callback_progress_line_shows_the_job_rate);
    CU_add_test(s, "fit runs batch and epoch callbacks on schedule", test_callback_fit_runs_batch_and_epoch_callbacks_on_schedule);
    CU_add_test(s, "fit stops when a batch callback returns non-zero", test_callback_fit_stops_when_a_batch_callback_returns_nonzero);
    return CU_get_error();
}
