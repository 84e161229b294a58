/* app_train.c — see app_train.h. */
#include "app_train.h"

#include "app_dist.h"
#include "mx/dist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int app_die(const char *prog, const char *what)
{
    if (mx_dist_size() > 1)
        fprintf(stderr, "%s [rank %d]: %s%s%s\n", prog, mx_dist_rank(), what, *mx_last_error() ? ": " : "",
                mx_last_error());
    else
        fprintf(stderr, "%s: %s%s%s\n", prog, what, *mx_last_error() ? ": " : "", mx_last_error());
    app_dist_abort(1); /* the other ranks would wait for this one forever */
    return 1;
}

int app_train_args(app_train *t, const char *prog, int epochs, int batch, float lr, float momentum, float wd,
                   app_arg *args)
{
    memset(t, 0, sizeof *t);
    t->prog = prog;
    t->epochs = epochs;
    t->batch_size = batch;
    t->lr = lr;
    t->momentum = momentum;
    t->wd = wd;
    t->checkpoint_every = 1;
    t->nan_check = 1;
    t->context = "cpu";
    t->init_spec = "uniform:0.01";
    t->kvstore = "local";
    t->bucket_kb = (int)(mx_fit_defaults().allreduce_bucket_bytes / 1024);
    t->nranks = 1;
    app_arg shared[APP_TRAIN_NARGS] = {
        {"epochs", APP_INT, &t->epochs, 1, 100000, "training epochs"},
        {"batch-size", APP_INT, &t->batch_size, 1, 1 << 20, "samples per batch"},
        {"lr", APP_FLOAT, &t->lr, 1e-12, 1e6, "SGD learning rate"},
        {"momentum", APP_FLOAT, &t->momentum, 0, 0.999999, "SGD momentum"},
        {"wd", APP_FLOAT, &t->wd, 0, 1e3, "weight decay"},
        {"optimizer", APP_STRING, &t->optimizer, 0, 0,
         "optimizer spec, e.g. \"adam lr=0.001 clip_gradient=1\" (overrides --lr/--momentum/--wd)"},
        {"threads", APP_INT, &t->threads, 0, 1024, "CPU threads, 0 = one per core (MX_NUM_THREADS)"},
        {"bind", APP_STRING, &t->bind, 0, 0, "thread pinning: core or none (default MX_BIND, else core)"},
        {"context", APP_STRING, &t->context, 0, 0,
         "cpu, gpu (= gpu:0), or a list cpu:0,cpu:1 / gpu:0,gpu:1 for data parallel over contexts"},
        {"seed", APP_INT, &t->seed, 0, 2147483647, "random seed (initialization and shuffling)"},
        {"init", APP_STRING, &t->init_spec, 0, 0,
         "weight initializer: uniform:SCALE (MXNet.jl's default, uniform:0.01), normal:SIGMA or xavier"},
        {"checkpoint", APP_STRING, &t->checkpoint, 0, 0,
         "save PREFIX-symbol.json and PREFIX-%04d.params (+ .states) after epochs"},
        {"checkpoint-every", APP_INT, &t->checkpoint_every, 1, 100000, "epochs between checkpoints"},
        {"resume", APP_PAIR, t->resume, 0, 0, "continue from checkpoint PREFIX at EPOCH, exactly"},
        {"metrics-log", APP_STRING, &t->metrics_log, 0, 0, "write one JSON line per epoch to FILE"},
        {"nan-check", APP_INT, &t->nan_check, 0, 1,
         "1: stop at the first batch whose outputs hold NaN or Inf, naming it; 0: train on"},
        {"speedometer", APP_INT, &t->speedometer, 0, 1 << 20, "log 'Speed: … samples/sec' every N batches (0 = off)"},
        {"kvstore", APP_STRING, &t->kvstore, 0, 0,
         "local, or dist_sync: data parallel over MPI ranks (mpirun -np N / srun; build with scons mpi=1)"},
        {"bucket-kb", APP_INT, &t->bucket_kb, 0, 1 << 20,
         "dist_sync: KiB of gradients per allreduce started during backward (0 = one allreduce after it)"},
        {"quiet", APP_FLAG, &t->quiet, 0, 0, "print only the final figures"},
    };
    memcpy(args, shared, sizeof shared);
    return APP_TRAIN_NARGS;
}

/* "uniform:S", "normal:S" or "xavier" (MXNet's Xavier(uniform, avg, 3)). */
static int parse_init(app_train *t)
{
    const char *s = t->init_spec;
    if (!strcmp(s, "xavier")) {
        t->init = mx_init_xavier(MX_XAVIER_UNIFORM, MX_XAVIER_AVG, 3.0f);
        return 0;
    }
    const char *colon = strchr(s, ':');
    if (colon) {
        char *end;
        double v = strtod(colon + 1, &end);
        int ok = colon[1] && !*end && v > 0 && v <= 1e3;
        if (ok && colon - s == 7 && !strncmp(s, "uniform", 7)) {
            t->init = mx_init_uniform((float)v);
            return 0;
        }
        if (ok && colon - s == 6 && !strncmp(s, "normal", 6)) {
            t->init = mx_init_normal((float)v);
            return 0;
        }
    }
    fprintf(stderr, "%s: --init: bad value '%s' (expected uniform:SCALE, normal:SIGMA or xavier, SCALE and "
            "SIGMA in (0, 1000])\n", t->prog, s);
    return 2;
}

/* "cpu", "cpu:1", "cpu:0,cpu:1", "gpu", "gpu:0,gpu:1": the contexts to
 * train on; a GPU that this build or machine cannot give is refused here,
 * before any data is read. */
static int parse_contexts(app_train *t)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", t->context);
    t->nctx = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int id = 0;
        char kind[8];
        char *colon = strchr(tok, ':');
        if (colon) {
            char *end;
            long v = strtol(colon + 1, &end, 10);
            if (*end || v < 0 || v > 1023 || colon == tok) goto bad;
            id = (int)v;
            *colon = '\0';
        }
        snprintf(kind, sizeof kind, "%s", tok);
        if (t->nctx == 16) goto bad;
        if (!strcmp(kind, "cpu")) t->ctx[t->nctx++] = (mx_ctx){MX_CPU, id};
        else if (!strcmp(kind, "gpu")) t->ctx[t->nctx++] = mx_gpu(id);
        else goto bad;
        if (t->ctx[t->nctx - 1].dev_type != t->ctx[0].dev_type) {
            fprintf(stderr, "%s: --context: '%s' mixes cpu and gpu contexts\n", t->prog, t->context);
            return 2;
        }
    }
    for (int k = 0; k < t->nctx; k++) {
        if (mx_ctx_check(t->ctx[k]) != MX_OK) {
            fprintf(stderr, "%s: --context %s: %s\n", t->prog, t->context, mx_last_error());
            return 2;
        }
    }
    if (t->nctx > 0) return 0;
bad:
    fprintf(stderr, "%s: --context: bad value '%s' (expected cpu or a list like cpu:0,cpu:1)\n", t->prog, t->context);
    return 2;
}

int app_train_prepare(app_train *t)
{
    /* Flags win over MX_NUM_THREADS / MX_BIND, which win over the defaults. */
    const char *env_bind = getenv("MX_BIND");
    const char *bind_s = t->bind ? t->bind : env_bind && *env_bind ? env_bind : "core";
    if (strcmp(bind_s, "core") && strcmp(bind_s, "none")) {
        fprintf(stderr, "%s: %s: bad value '%s' (expected core or none)\n", t->prog, t->bind ? "--bind" : "MX_BIND",
                bind_s);
        return 2;
    }
    int threads = t->threads;
    const char *env_threads = getenv("MX_NUM_THREADS");
    if (threads == 0 && env_threads && *env_threads) {
        char *end;
        long v = strtol(env_threads, &end, 10);
        if (*end || v < 1 || v > 1024) {
            fprintf(stderr, "%s: MX_NUM_THREADS: bad value '%s' (expected 1..1024)\n", t->prog, env_threads);
            return 2;
        }
        threads = (int)v;
    }
    if (t->resume[0]) {
        char *end;
        long e = strtol(t->resume[1], &end, 10);
        if (*end || e < 1 || e > 100000) {
            fprintf(stderr, "%s: --resume: bad epoch '%s' (expected a number >= 1)\n", t->prog, t->resume[1]);
            return 2;
        }
        t->resume_epoch = (int)e;
        if (t->resume_epoch >= t->epochs) {
            fprintf(stderr, "%s: --resume: epoch %d is not before --epochs %d: nothing to train\n", t->prog,
                    t->resume_epoch, t->epochs);
            return 2;
        }
        if (!t->checkpoint) t->checkpoint = t->resume[0];
    }
    int rc = parse_contexts(t);
    if (!rc) rc = parse_init(t);
    int first_core = 0;
    if (!rc) rc = app_dist_start(t->prog, t->kvstore, threads, &t->rank, &t->nranks, &threads, &first_core);
    if (rc) return rc;
    /* A rank's threads take its share of the node's cores (first_core on). */
    mx_engine_opts eo = {threads, strcmp(bind_s, "none") ? MX_BIND_CORE : MX_BIND_NONE, first_core, 1, 1};
    if (mx_engine_set_default_ex(&eo) != MX_OK) return app_die(t->prog, "threads");
    app_dist_report(mx_engine_describe(mx_engine_default()));
    mx_log_set_quiet(t->quiet);
    mx_random_seed((uint64_t)t->seed);
    return 0;
}

mx_optimizer *app_train_optimizer(const app_train *t)
{
    if (t->optimizer) return mx_optimizer_parse(t->optimizer);
    mx_sgd_opts so = mx_sgd_defaults();
    so.lr = t->lr;
    so.momentum = t->momentum;
    so.weight_decay = t->wd;
    return mx_sgd_create(&so);
}

/* Remembers the epoch's values: the first validation value as
 * last_accuracy (the MNIST apps' accuracy), and every value by name. */
static int keep_accuracy(void *ctx, mx_model *m, const mx_cb_info *info)
{
    (void)m;
    app_train *t = ctx;
    t->n_last_train = info->n_train < MX_CB_MAX_VALUES ? info->n_train : MX_CB_MAX_VALUES;
    for (int i = 0; i < t->n_last_train; i++) {
        t->last_train_names[i] = info->train_names[i];
        t->last_train_values[i] = info->train_values[i];
    }
    if (info->eval) {
        int n = mx_metric_get(info->eval, t->last_eval_names, t->last_eval_values, MX_CB_MAX_VALUES);
        t->n_last_eval = n < MX_CB_MAX_VALUES ? n : MX_CB_MAX_VALUES;
        if (t->n_last_eval > 0) t->last_accuracy = t->last_eval_values[0];
    }
    return 0;
}

int app_train_last(const app_train *t, int eval, const char *name, double *value)
{
    int n = eval ? t->n_last_eval : t->n_last_train;
    const char *const *names = eval ? t->last_eval_names : t->last_train_names;
    for (int i = 0; i < n; i++)
        if (names[i] && !strcmp(names[i], name)) {
            *value = eval ? t->last_eval_values[i] : t->last_train_values[i];
            return 1;
        }
    return 0;
}

int app_train_callbacks(app_train *t, mx_fit_opts *opts)
{
    mx_callback **c = t->callbacks;
    int n = 0;
    /* Not in MPI runs: mpirun hands rank 0 a pseudo-terminal even in batch
     * jobs, and the live line would fill the job's output file. */
    if (mx_dist_size() == 1 && !t->quiet) c[n++] = mx_progress_line(stdout);
    c[n++] = mx_every_n_epoch(keep_accuracy, t, 1, 0);
    if (t->speedometer) c[n++] = mx_speedometer(t->speedometer);
    if (t->checkpoint) c[n++] = mx_do_checkpoint(t->checkpoint, t->checkpoint_every, 0);
    if (t->metrics_log) c[n++] = mx_metrics_log(t->metrics_log);
    for (int i = 0; i < n; i++)
        if (!c[i]) return app_die(t->prog, "callbacks");
    t->ncallbacks = n;
    opts->callbacks = c;
    opts->ncallbacks = n;
    opts->initializer = &t->init;
    opts->no_nan_check = !t->nan_check;
    opts->kvstore = t->kvstore;
    opts->allreduce_bucket_bytes = (size_t)t->bucket_kb * 1024;
    return 0;
}

mx_status app_train_resume(app_train *t, mx_model *m)
{
    if (!t->resume[0]) return MX_OK;
    mx_status st = mx_model_resume(m, t->resume[0], t->resume_epoch);
    if (st == MX_OK) mx_log_info("Resuming from '%s' epoch %d", t->resume[0], t->resume_epoch);
    return st;
}

void app_train_finish(app_train *t)
{
    for (int i = 0; i < t->ncallbacks; i++) mx_callback_free(t->callbacks[i]);
    t->ncallbacks = 0;
    app_dist_finish();
}

int app_train_fit(app_train *t, const mx_sym *net, mx_provider *train, mx_provider *eval, mx_metric *metric,
                  const char *note)
{
    mx_model *model = mx_model_create(net, t->ctx, t->nctx);
    mx_optimizer *opt = app_train_optimizer(t);
    int rc = 0;
    if (!model || !opt) rc = app_die(t->prog, "model");
    else if (app_train_resume(t, model) != MX_OK) rc = app_die(t->prog, "resume");
    if (rc == 0) {
        mx_log_info("%s; %s%s%s", mx_build_info(), mx_engine_describe(mx_engine_default()), note ? "; " : "",
                    note ? note : "");
        mx_fit_opts fo = mx_fit_defaults();
        fo.n_epoch = t->epochs;
        fo.eval_data = eval;
        fo.eval_metric = metric;
        if (app_train_callbacks(t, &fo) != 0) rc = 1;
        else if (mx_model_fit(model, opt, train, &fo) != MX_OK) rc = app_die(t->prog, "fit");
    }
    mx_optimizer_free(opt);
    mx_model_free(model);
    return rc;
}
