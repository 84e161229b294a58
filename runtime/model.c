/* model.c — FeedForward fit/predict with MXNet.jl's log lines. The
 * model's parameters are the training executor's argument arrays, so a
 * step copies nothing; optimizer states sit in one arena sized at fit. */
#include "mx/model.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mx/log.h"

struct mx_model {
    mx_sym *sym;
    mx_ctx ctx;
    mx_exec *exec;
    int nparams;
    int *param_arg;        /* argument index in exec of each parameter */
    int initialized;
    mx_arena states;       /* optimizer states, one block */
    float **state;         /* per parameter, into states */
    double last_epoch_seconds;
};

mx_fit_opts mx_fit_defaults(void)
{
    mx_fit_opts o;
    memset(&o, 0, sizeof o);
    o.n_epoch = 10;
    return o;
}

mx_model *mx_model_create(const mx_sym *sym, const mx_ctx *ctxs, int nctx)
{
    if (!sym) { mx_set_error(MX_EINVAL, "FeedForward: symbol is NULL"); return NULL; }
    if (nctx > 1) {
        mx_set_error(MX_ENOTSUP, "FeedForward: %d contexts given; data parallel over several contexts is not "
                                 "supported yet, use one", nctx);
        return NULL;
    }
    mx_ctx ctx = nctx == 1 && ctxs ? ctxs[0] : mx_cpu();
    if (ctx.dev_type != MX_CPU) {
        mx_set_error(MX_ENOTSUP, "FeedForward: context GPU%d: this build has no GPU support", ctx.dev_id);
        return NULL;
    }
    mx_model *m = calloc(1, sizeof *m);
    if (!m) { mx_set_error(MX_ENOMEM, "FeedForward: out of memory"); return NULL; }
    m->sym = mx_sym_copy(sym);
    m->ctx = ctx;
    if (!m->sym) { free(m); return NULL; }
    return m;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Input names and shapes of a provider (data, then labels). */
static int provider_inputs(const mx_provider *p, const char **names, mx_shape *shapes, int with_labels)
{
    int n = 0;
    for (int i = 0; i < mx_provider_num_data(p); i++) {
        mx_io_desc d = mx_provider_data_desc(p, i);
        names[n] = d.name;
        shapes[n++] = d.shape;
    }
    for (int i = 0; with_labels && i < mx_provider_num_label(p); i++) {
        mx_io_desc d = mx_provider_label_desc(p, i);
        names[n] = d.name;
        shapes[n++] = d.shape;
    }
    return n;
}

/* Same input shapes as the bound executor? */
static int exec_matches(const mx_exec *e, int n, const char **names, const mx_shape *shapes)
{
    for (int i = 0; i < n; i++) {
        int a = mx_exec_arg_index(e, names[i]);
        if (a < 0) return 0;
        mx_shape s = mx_nd_shape(mx_exec_arg(e, a));
        if (!mx_shape_equal(&s, &shapes[i])) return 0;
    }
    return 1;
}

/* Copies same-named parameters from one executor to another. */
static void copy_params(mx_exec *dst, const mx_exec *src)
{
    for (int i = 0; i < mx_exec_num_args(src); i++) {
        int j = mx_exec_arg_index(dst, mx_exec_arg_name(src, i));
        if (j >= 0 && mx_nd_size(mx_exec_arg(dst, j)) == mx_nd_size(mx_exec_arg(src, i)))
            mx_nd_copy(mx_exec_arg(dst, j), mx_exec_arg(src, i));
    }
    for (int i = 0; i < mx_exec_num_aux(src) && i < mx_exec_num_aux(dst); i++)
        mx_nd_copy(mx_exec_aux(dst, i), mx_exec_aux(src, i));
}

/* Binds (or rebinds) the training executor for the provider's shapes. */
static mx_status bind_training(mx_model *m, mx_provider *train)
{
    const char *names[2 * MX_IO_MAX];
    mx_shape shapes[2 * MX_IO_MAX];
    int n = provider_inputs(train, names, shapes, 1);
    if (m->exec && exec_matches(m->exec, n, names, shapes)) return MX_OK;
    mx_exec *e = mx_simple_bind(m->sym, m->ctx, n, names, shapes, NULL);
    if (!e) return MX_EINVAL;
    if (m->exec) copy_params(e, m->exec);
    mx_exec_free(m->exec);
    m->exec = e;
    free(m->param_arg);
    m->param_arg = malloc((size_t)(mx_exec_num_args(e) + 1) * sizeof *m->param_arg);
    if (!m->param_arg) return mx_set_error(MX_ENOMEM, "fit: out of memory");
    m->nparams = 0;
    for (int a = 0; a < mx_exec_num_args(e); a++)
        if (mx_exec_grad_req(e, a) != MX_GRAD_NULL) m->param_arg[m->nparams++] = a;
    return MX_OK;
}

static mx_status init_states(mx_model *m, mx_optimizer *opt)
{
    size_t total = 0;
    for (int i = 0; i < m->nparams; i++)
        total += mx_arena_round(mx_optimizer_state_size(opt, mx_nd_size(mx_model_param(m, i))) * sizeof(float));
    mx_arena_release(&m->states);
    free(m->state);
    m->state = calloc((size_t)(m->nparams + 1), sizeof *m->state);
    if (!m->state) return mx_set_error(MX_ENOMEM, "fit: out of memory");
    mx_status st = mx_arena_init(&m->states, "optimizer states", total + MX_ARENA_ALIGN);
    for (int i = 0; st == MX_OK && i < m->nparams; i++) {
        size_t n = mx_optimizer_state_size(opt, mx_nd_size(mx_model_param(m, i)));
        if (n && !(m->state[i] = mx_arena_calloc(&m->states, n * sizeof(float)))) st = MX_ENOMEM;
    }
    return st;
}

static void log_metric(const mx_metric *metric)
{
    const char *names[16];
    double values[16];
    int n = mx_metric_get(metric, names, values, 16);
    for (int i = 0; i < n && i < 16; i++) mx_log_info("%18s = %.4f", names[i], values[i]);
}

/* Points a batch at the executor's input arrays. */
static mx_status batch_targets(const mx_exec *e, const mx_provider *p, mx_batch *b, mx_nd **label0)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < mx_provider_num_data(p); i++) {
        int a = mx_exec_arg_index(e, mx_provider_data_desc(p, i).name);
        if (a < 0) return mx_set_error(MX_EINVAL, "provider data '%s' is not an argument of the network",
                                       mx_provider_data_desc(p, i).name);
        b->data[i] = mx_nd_data(mx_exec_arg(e, a));
    }
    for (int i = 0; i < mx_provider_num_label(p); i++) {
        int a = mx_exec_arg_index(e, mx_provider_label_desc(p, i).name);
        if (a < 0) return mx_set_error(MX_EINVAL, "provider label '%s' is not an argument of the network",
                                       mx_provider_label_desc(p, i).name);
        b->label[i] = mx_nd_data(mx_exec_arg(e, a));
        if (i == 0 && label0) *label0 = mx_exec_arg(e, a);
    }
    return MX_OK;
}

static mx_status evaluate(mx_model *m, mx_provider *eval, mx_metric *metric)
{
    const char *names[2 * MX_IO_MAX];
    mx_shape shapes[2 * MX_IO_MAX];
    int n = provider_inputs(eval, names, shapes, 1);
    if (!exec_matches(m->exec, n, names, shapes))
        return mx_set_error(MX_EINVAL, "fit: eval_data batch shapes differ from the training data's "
                                       "(use the same batch size)");
    mx_batch b;
    mx_nd *label = NULL;
    mx_status st = batch_targets(m->exec, eval, &b, &label);
    if (st != MX_OK) return st;
    mx_metric_reset(metric);
    mx_provider_reset(eval);
    while (mx_provider_next(eval, &b) > 0) {
        mx_exec_forward(m->exec, 0);
        mx_metric_update(metric, label, mx_exec_output(m->exec, 0), b.count);
    }
    return MX_OK;
}

mx_status mx_model_fit(mx_model *m, mx_optimizer *opt, mx_provider *train, const mx_fit_opts *opts)
{
    mx_fit_opts o = opts ? *opts : mx_fit_defaults();
    if (!opt || !train) return mx_set_error(MX_EINVAL, "fit: optimizer and training data are required");
    if (o.n_epoch < 1) return mx_set_error(MX_EINVAL, "fit: n_epoch must be >= 1 (got %d)", o.n_epoch);
    char ctxname[16];
    mx_log_info("Start training on [%s]", mx_ctx_str(m->ctx, ctxname, sizeof ctxname));
    mx_status st = bind_training(m, train);
    if (st != MX_OK) return st;
    mx_log_info("Planned %.2f MB for activations and gradients (naive %.2f MB)",
                (double)mx_exec_planned_bytes(m->exec) / 1e6, (double)mx_exec_naive_bytes(m->exec) / 1e6);
    if (!m->initialized) {
        mx_log_info("Initializing parameters...");
        mx_initializer def = mx_init_uniform(0.01f);
        const mx_initializer *init = o.initializer ? o.initializer : &def;
        for (int i = 0; i < m->nparams; i++) {
            st = mx_init_param(init, mx_model_param_name(m, i), mx_model_param(m, i), NULL);
            if (st != MX_OK) return st;
        }
        for (int i = 0; i < mx_exec_num_aux(m->exec); i++)
            if ((st = mx_init_param(init, mx_exec_aux_name(m->exec, i), mx_exec_aux(m->exec, i), NULL)) != MX_OK)
                return st;
        m->initialized = 1;
    }
    if ((st = init_states(m, opt)) != MX_OK) return st;
    if (mx_optimizer_rescale(opt) == 0.0f) mx_optimizer_set_rescale(opt, 1.0f / (float)mx_provider_batch_size(train));
    mx_metric *own = o.eval_metric ? NULL : mx_metric_accuracy();
    mx_metric *metric = o.eval_metric ? o.eval_metric : own;
    if (!metric) return MX_ENOMEM;
    mx_batch b;
    mx_nd *label = NULL;
    if ((st = batch_targets(m->exec, train, &b, &label)) != MX_OK) goto done;
    int stop = 0;
    for (int epoch = 1; epoch <= o.n_epoch && !stop; epoch++) {
        double t0 = now_seconds();
        mx_metric_reset(metric);
        mx_provider_reset(train);
        int batch = 0;
        /* The hot path: nothing below allocates. */
        while (!stop && mx_provider_next(train, &b) > 0) {
            mx_exec_forward(m->exec, 1);
            mx_exec_backward(m->exec, NULL);
            for (int i = 0; i < m->nparams; i++)
                mx_optimizer_update(opt, mx_exec_arg(m->exec, m->param_arg[i]),
                                    mx_exec_grad(m->exec, m->param_arg[i]), m->state[i]);
            if (label) mx_metric_update(metric, label, mx_exec_output(m->exec, 0), b.count);
            batch++;
            if (o.batch_callback && o.batch_callback(o.batch_ctx, m, epoch, batch)) stop = 1;
        }
        m->last_epoch_seconds = now_seconds() - t0;
        mx_log_info("== Epoch %03d/%03d ==========", epoch, o.n_epoch);
        mx_log_info("## Training summary");
        log_metric(metric);
        mx_log_info("%18s = %.4f seconds", "time", m->last_epoch_seconds);
        if (o.epoch_callback && o.epoch_callback(o.epoch_ctx, m, epoch, metric)) stop = 1;
        if (o.eval_data) {
            /* The training figures are logged: the metric can be reused. */
            if ((st = evaluate(m, o.eval_data, metric)) != MX_OK) goto done;
            mx_log_info("## Validation summary");
            log_metric(metric);
            if (o.eval_callback && o.eval_callback(o.eval_ctx, m, epoch, metric)) stop = 1;
        }
    }
    mx_log_info("Finish training on [%s]", ctxname);
done:
    mx_metric_free(own);
    return st;
}

mx_status mx_model_predict(mx_model *m, mx_provider *data, mx_nd **out)
{
    *out = NULL;
    if (!m->exec || !m->initialized)
        return mx_set_error(MX_EINVAL, "predict: the model has no parameters yet (fit it first)");
    const char *names[2 * MX_IO_MAX];
    mx_shape shapes[2 * MX_IO_MAX];
    int n = provider_inputs(data, names, shapes, 0);
    mx_grad_req *none = calloc((size_t)mx_exec_num_args(m->exec) + 1, sizeof *none);
    if (!none) return mx_set_error(MX_ENOMEM, "predict: out of memory");
    mx_exec *e = mx_simple_bind(m->sym, m->ctx, n, names, shapes, none);
    free(none);
    if (!e) return MX_EINVAL;
    copy_params(e, m->exec);
    mx_batch b;
    mx_status st = batch_targets(e, data, &b, NULL);
    /* Labels are not needed to predict; give the provider nowhere to write them. */
    for (int i = 0; i < MX_IO_MAX; i++) b.label[i] = NULL;
    mx_shape os = mx_nd_shape(mx_exec_output(e, 0));
    size_t row = mx_shape_tail(&os, 1);
    os.dims[0] = mx_provider_num_samples(data);
    mx_nd *result = st == MX_OK ? mx_nd_empty(os) : NULL;
    if (st == MX_OK && !result) st = MX_ENOMEM;
    long done = 0;
    if (st == MX_OK) {
        mx_provider_reset(data);
        while (mx_provider_next(data, &b) > 0 && done < os.dims[0]) {
            mx_exec_forward(e, 0);
            long take = b.count < os.dims[0] - done ? b.count : (long)(os.dims[0] - done);
            memcpy(mx_nd_data(result) + (size_t)done * row, mx_nd_data(mx_exec_output(e, 0)),
                   (size_t)take * row * sizeof(float));
            done += take;
        }
    }
    mx_exec_free(e);
    if (st != MX_OK) { mx_nd_free(result); return st; }
    *out = result;
    return MX_OK;
}

int mx_model_num_params(const mx_model *m) { return m->nparams; }

const char *mx_model_param_name(const mx_model *m, int i)
{
    return i >= 0 && i < m->nparams ? mx_exec_arg_name(m->exec, m->param_arg[i]) : NULL;
}

mx_nd *mx_model_param(const mx_model *m, int i)
{
    return i >= 0 && i < m->nparams ? mx_exec_arg(m->exec, m->param_arg[i]) : NULL;
}

mx_exec *mx_model_exec(const mx_model *m) { return m->exec; }

double mx_model_last_epoch_seconds(const mx_model *m) { return m->last_epoch_seconds; }

void mx_model_free(mx_model *m)
{
    if (!m) return;
    mx_exec_free(m->exec);
    mx_sym_free(m->sym);
    mx_arena_release(&m->states);
    free(m->state);
    free(m->param_arg);
    free(m);
}
