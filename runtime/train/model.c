/* model.c — FeedForward: creation, parameters, binding and predict. The
 * training loop is fit.c; several contexts are model_parallel.c. The
 * model's parameters are the training executor's argument arrays, so a
 * step copies nothing; optimizer states sit in that executor's arena. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ndarray/device.h"
#include "model_internal.h"

mx_fit_opts mx_fit_defaults(void)
{
    mx_fit_opts o;
    memset(&o, 0, sizeof o);
    o.n_epoch = 10;
    o.kvstore = "local";
    o.allreduce_bucket_bytes = (size_t)1 << 20;
    return o;
}

mx_model *mx_model_create(const mx_sym *sym, const mx_ctx *ctxs, int nctx)
{
    if (!sym) { mx_set_error(MX_EINVAL, "FeedForward: symbol is NULL"); return NULL; }
    if (nctx < 0 || nctx > MX_MAX_CTX) {
        mx_set_error(MX_EINVAL, "FeedForward: %d contexts (1..%d)", nctx, MX_MAX_CTX);
        return NULL;
    }
    mx_model *m = calloc(1, sizeof *m);
    if (!m) { mx_set_error(MX_ENOMEM, "FeedForward: out of memory"); return NULL; }
    m->nctx = nctx > 0 && ctxs ? nctx : 1;
    for (int i = 0; i < m->nctx; i++) m->ctx[i] = nctx > 0 && ctxs ? ctxs[i] : mx_cpu();
    for (int i = 1; i < m->nctx; i++)
        if (m->ctx[i].dev_type != m->ctx[0].dev_type) {
            char a[16], b[16];
            mx_set_error(MX_ENOTSUP, "FeedForward: context %s mixes with %s (use all CPU or all GPU contexts)",
                         mx_ctx_str(m->ctx[i], a, sizeof a), mx_ctx_str(m->ctx[0], b, sizeof b));
            free(m);
            return NULL;
        }
    for (int i = 0; i < m->nctx; i++) {
        if (mx_dev_check(m->ctx[i]) != MX_OK) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", mx_last_error());
            mx_set_error(MX_ENOTSUP, "FeedForward: %s", msg);
            free(m);
            return NULL;
        }
    }
    m->sym = mx_sym_copy(sym);
    if (!m->sym) { free(m); return NULL; }
    return m;
}

int mx_model_staged(const mx_model *m)
{
    if (m->nctx > 1) return 1;
    return m->ctx[0].dev_type != MX_CPU;
}

/* Input names and shapes of a provider (data, then labels). */
int mx_model_provider_inputs(const mx_provider *p, const char **names, mx_shape *shapes, int with_labels)
{
    /* mx_batch has MX_IO_MAX slots of each kind: a provider with more cannot be fed. */
    if (mx_provider_num_data(p) > MX_IO_MAX || mx_provider_num_label(p) > MX_IO_MAX) {
        mx_set_error(MX_EINVAL, "provider has %d data and %d label inputs (at most %d of each, MX_IO_MAX)",
                     mx_provider_num_data(p), mx_provider_num_label(p), MX_IO_MAX);
        return -1;
    }
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

static int is_input(const char *name, int n, const char *const *names)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(name, names[i])) return 1;
    return 0;
}

/* Copies one array by name from the checkpoint list; strict on shapes. */
static mx_status take_pending(mx_model *m, const char *prefix, const char *name, mx_nd *dst)
{
    char key[512];
    snprintf(key, sizeof key, "%s:%s", prefix, name);
    int i = mx_nd_list_find(&m->pending, key);
    if (i < 0) return mx_set_error(MX_EFORMAT, "checkpoint has no parameter '%s'", key);
    mx_shape want = mx_nd_shape(dst), got = mx_nd_shape(m->pending.arrays[i]);
    if (!mx_shape_equal(&want, &got)) {
        char a[128], b[128];
        return mx_set_error(MX_EFORMAT, "checkpoint parameter '%s' has shape %s, the network needs %s", key,
                            mx_shape_str(&got, a, sizeof a), mx_shape_str(&want, b, sizeof b));
    }
    return mx_nd_copy(dst, m->pending.arrays[i]);
}

/* Parameters of e (arguments with gradients) and its aux states. */
static int n_params_of(const mx_exec *e)
{
    int n = 0;
    for (int a = 0; a < mx_exec_num_args(e); a++) n += mx_exec_grad_req(e, a) != MX_GRAD_NULL;
    return n;
}

static int pending_key(const mx_nd_list *l, const char *kind, const char *name)
{
    char key[512];
    snprintf(key, sizeof key, "%s:%s", kind, name);
    return mx_nd_list_find(l, key);
}

mx_status mx_model_apply_params(mx_model *m, mx_exec *e, const mx_exec *src, int n_inputs,
                                const char *const *inputs)
{
    if (src) {
        /* Same network, other shapes: copy by name. */
        for (int a = 0; a < mx_exec_num_args(src); a++) {
            if (is_input(mx_exec_arg_name(src, a), n_inputs, inputs)) continue;
            int j = mx_exec_arg_index(e, mx_exec_arg_name(src, a));
            if (j >= 0) mx_nd_copy(mx_exec_arg(e, j), mx_exec_arg(src, a));
        }
        for (int i = 0; i < mx_exec_num_aux(src) && i < mx_exec_num_aux(e); i++)
            mx_nd_copy(mx_exec_aux(e, i), mx_exec_aux(src, i));
        return MX_OK;
    }
    if (!m->has_pending) return MX_OK;
    /* From a checkpoint: every argument that is not an input (data,
     * labels) and every aux state must be there, and nothing else. */
    int used = 0;
    for (int a = 0; a < mx_exec_num_args(e); a++) {
        if (is_input(mx_exec_arg_name(e, a), n_inputs, inputs)) continue;
        mx_status st = take_pending(m, "arg", mx_exec_arg_name(e, a), mx_exec_arg(e, a));
        if (st != MX_OK) return st;
        used++;
    }
    for (int i = 0; i < mx_exec_num_aux(e); i++) {
        mx_status st = take_pending(m, "aux", mx_exec_aux_name(e, i), mx_exec_aux(e, i));
        if (st != MX_OK) return st;
        used++;
    }
    for (int k = 0; used != m->pending.n && k < m->pending.n; k++) {
        const char *key = m->pending.names ? m->pending.names[k] : "(unnamed)";
        int known = 0;
        for (int a = 0; a < mx_exec_num_args(e) && !known; a++)
            known = !is_input(mx_exec_arg_name(e, a), n_inputs, inputs) &&
                    pending_key(&m->pending, "arg", mx_exec_arg_name(e, a)) == k;
        for (int i = 0; i < mx_exec_num_aux(e) && !known; i++)
            known = pending_key(&m->pending, "aux", mx_exec_aux_name(e, i)) == k;
        if (!known) return mx_set_error(MX_EFORMAT, "checkpoint parameter '%s' is not in the network", key);
    }
    return MX_OK;
}

/* Same input shapes as the bound executor? */
static int exec_matches(const mx_exec *e, int n, const char *const *names, const mx_shape *shapes)
{
    for (int i = 0; i < n; i++) {
        int a = mx_exec_arg_index(e, names[i]);
        if (a < 0) return 0;
        mx_shape s = mx_nd_shape(mx_exec_arg(e, a));
        if (!mx_shape_equal(&s, &shapes[i])) return 0;
    }
    return 1;
}

/* Splits a batch as MXNet.jl's _split_inputs: near-equal slices, the
 * first batch % n one sample larger. */
static void split_batch(int batch, int n, int *slice)
{
    for (int k = 0; k < n; k++) slice[k] = batch / n + (k < batch % n ? 1 : 0);
}

/* Floats of optimizer state for every parameter, given argument shapes. */
static size_t state_bytes(mx_optimizer *opt, int nargs, const char *const *argn, const mx_shape *shapes, int n,
                          const char *const *inputs)
{
    size_t total = 0;
    for (int a = 0; a < nargs; a++)
        if (!is_input(argn[a], n, inputs))
            total += mx_arena_round(mx_optimizer_state_size(opt, mx_shape_size(&shapes[a])) * sizeof(float));
    return total;
}

mx_status mx_model_bind_training(mx_model *m, mx_provider *train, mx_optimizer *opt)
{
    const char *names[2 * MX_IO_MAX];
    mx_shape shapes[2 * MX_IO_MAX];
    int n = mx_model_provider_inputs(train, names, shapes, 1);
    if (n < 0) return MX_EINVAL;
    int batch = mx_provider_batch_size(train);
    if (batch < m->nctx)
        return mx_set_error(MX_EINVAL, "fit: batch size %d is smaller than the %d contexts", batch, m->nctx);
    int slice[MX_MAX_CTX];
    split_batch(batch, m->nctx, slice);
    mx_shape first[2 * MX_IO_MAX];
    for (int i = 0; i < n; i++) { first[i] = shapes[i]; first[i].dims[0] = slice[0]; }
    const char *const *argn;
    int nargs = mx_list_arguments(m->sym, &argn);
    /* (no list, only when out of memory: then nargs is 0, not the count) */
    mx_shape *arg_shapes = argn ? calloc((size_t)nargs + 1, sizeof *arg_shapes) : NULL;
    if (!arg_shapes) return mx_set_error(MX_ENOMEM, "fit: out of memory");
    mx_status st = mx_infer_shape(m->sym, n, names, first, arg_shapes, NULL, NULL);
    size_t want_state = m->nctx == 1 ? state_bytes(opt, nargs, argn, arg_shapes, n, names) : 0;
    free(arg_shapes);
    if (st != MX_OK) return st;
    if (m->exec[0] && exec_matches(m->exec[0], n, names, first) && want_state == m->state_bytes) {
        if (m->state_bytes && (st = mx_dev_zero(m->ctx[0], mx_exec_extra(m->exec[0]), m->state_bytes)) != MX_OK)
            return st;
        if (m->pending_fresh) { /* resumed into a model that was already bound */
            if ((st = mx_model_apply_params(m, m->exec[0], NULL, n, names)) != MX_OK) return st;
            m->pending_fresh = 0;
            m->initialized = 1;
        }
        return MX_OK;
    }
    mx_exec *old = m->exec[0];
    mx_exec *fresh[MX_MAX_CTX] = {0};
    for (int k = 0; k < m->nctx && st == MX_OK; k++) {
        mx_shape mine[2 * MX_IO_MAX];
        for (int i = 0; i < n; i++) { mine[i] = shapes[i]; mine[i].dims[0] = slice[k]; }
        fresh[k] = mx_simple_bind_ex(m->sym, m->ctx[k], n, names, mine, NULL, k == 0 ? want_state : 0);
        if (!fresh[k]) st = MX_EINVAL;
    }
    if (st == MX_OK && old) st = mx_model_apply_params(m, fresh[0], m->pending_fresh ? NULL : old, n, names);
    if (st == MX_OK && old && m->pending_fresh) { m->pending_fresh = 0; m->initialized = 1; }
    if (st == MX_OK && !old) {
        m->nparams = n_params_of(fresh[0]);
        free(m->param_arg);
        m->param_arg = malloc((size_t)(m->nparams + 1) * sizeof *m->param_arg);
        if (!m->param_arg) st = mx_set_error(MX_ENOMEM, "fit: out of memory");
        for (int a = 0, i = 0; st == MX_OK && a < mx_exec_num_args(fresh[0]); a++)
            if (mx_exec_grad_req(fresh[0], a) != MX_GRAD_NULL) m->param_arg[i++] = a;
        if (st == MX_OK && m->has_pending) {
            st = mx_model_apply_params(m, fresh[0], NULL, n, names);
            if (st == MX_OK) { m->initialized = 1; m->pending_fresh = 0; }
        }
    }
    if (st != MX_OK) {
        for (int k = 0; k < m->nctx; k++) mx_exec_free(fresh[k]);
        return st;
    }
    mx_model_dist_free(m); /* its buckets point into the old executor; fit's setup makes new ones */
    for (int k = 0; k < m->nctx; k++) {
        mx_exec_free(m->exec[k]);
        m->exec[k] = fresh[k];
        m->slice[k] = slice[k];
    }
    /* Optimizer states: carved from the executor's arena, in parameter order. */
    free(m->state);
    free(m->state_n);
    m->state = calloc((size_t)m->nparams + 1, sizeof *m->state);
    m->state_n = calloc((size_t)m->nparams + 1, sizeof *m->state_n);
    if (!m->state || !m->state_n) return mx_set_error(MX_ENOMEM, "fit: out of memory");
    m->state_bytes = want_state;
    unsigned char *base = mx_exec_extra(m->exec[0]);
    for (int i = 0; m->nctx == 1 && i < m->nparams; i++) {
        size_t floats = mx_optimizer_state_size(opt, mx_nd_size(mx_model_param(m, i)));
        m->state_n[i] = floats;
        m->state[i] = floats ? (float *)base : NULL;
        base += mx_arena_round(floats * sizeof(float));
    }
    return MX_OK;
}

mx_status mx_model_predict(mx_model *m, mx_provider *data, mx_nd **out)
{
    *out = NULL;
    if (!(m->exec[0] && m->initialized) && !m->has_pending)
        return mx_set_error(MX_EINVAL, "predict: the model has no parameters yet (fit or load it first)");
    const char *names[2 * MX_IO_MAX];
    mx_shape shapes[2 * MX_IO_MAX];
    int n = mx_model_provider_inputs(data, names, shapes, 0);
    if (n < 0) return MX_EINVAL;
    const char *const *argn;
    int nargs = mx_list_arguments(m->sym, &argn);
    mx_grad_req *none = argn ? calloc((size_t)nargs + 1, sizeof *none) : NULL;
    if (!none) return mx_set_error(MX_ENOMEM, "predict: out of memory");
    mx_exec *e = mx_simple_bind(m->sym, m->ctx[0], n, names, shapes, none);
    free(none);
    if (!e) return MX_EINVAL;
    /* Labels are arguments too but never parameters: the provider's, and
     * by MXNet's naming rule every "<output>_label" argument. */
    const char *inputs[3 * MX_IO_MAX];
    mx_shape unused[2 * MX_IO_MAX];
    int ni = mx_model_provider_inputs(data, inputs, unused, 1);
    for (int a = 0; a < nargs && ni < 3 * MX_IO_MAX; a++) {
        size_t len = strlen(argn[a]);
        if (len > 6 && !strcmp(argn[a] + len - 6, "_label")) inputs[ni++] = argn[a];
    }
    mx_status st = mx_model_apply_params(m, e, m->exec[0] && m->initialized ? m->exec[0] : NULL, ni, inputs);
    mx_batch b;
    memset(&b, 0, sizeof b);
    /* A GPU executor's inputs are filled on the host, then copied over. */
    int on_gpu = m->ctx[0].dev_type != MX_CPU, nd = mx_provider_num_data(data);
    float *host_in[MX_IO_MAX] = {0};
    mx_nd *dev_in[MX_IO_MAX] = {0};
    for (int i = 0; st == MX_OK && i < nd; i++) {
        int a = mx_exec_arg_index(e, mx_provider_data_desc(data, i).name);
        if (a < 0) {
            st = mx_set_error(MX_EINVAL, "predict: provider data '%s' is not an argument of the network",
                              mx_provider_data_desc(data, i).name);
        } else if (on_gpu) {
            dev_in[i] = mx_exec_arg(e, a);
            if (!(b.data[i] = host_in[i] = malloc(mx_nd_size(dev_in[i]) * sizeof(float) + 1)))
                st = mx_set_error(MX_ENOMEM, "predict: out of memory");
        } else {
            b.data[i] = mx_nd_data(mx_exec_arg(e, a));
        }
    }
    mx_shape os = mx_nd_shape(mx_exec_output(e, 0));
    size_t row = mx_shape_tail(&os, 1);
    os.dims[0] = mx_provider_num_samples(data);
    mx_nd *result = st == MX_OK ? mx_nd_empty(os) : NULL;
    if (st == MX_OK && !result) st = MX_ENOMEM;
    long done = 0;
    if (st == MX_OK) {
        mx_provider_reset(data);
        while (st == MX_OK && mx_provider_next(data, &b) > 0 && done < os.dims[0]) {
            for (int i = 0; on_gpu && i < nd; i++) st = mx_nd_copy_from(dev_in[i], host_in[i], mx_nd_size(dev_in[i]));
            if (st == MX_OK) st = mx_exec_forward(e, 0);
            long take = b.count < os.dims[0] - done ? b.count : (long)(os.dims[0] - done);
            if (st == MX_OK)
                st = mx_dev_copy(mx_nd_data(result) + (size_t)done * row, mx_cpu(), mx_nd_data(mx_exec_output(e, 0)),
                                 m->ctx[0], (size_t)take * row * sizeof(float));
            done += take;
        }
    }
    for (int i = 0; i < nd && i < MX_IO_MAX; i++) free(host_in[i]);
    mx_exec_free(e);
    if (st != MX_OK) { mx_nd_free(result); return st; }
    *out = result;
    return MX_OK;
}

int mx_model_num_params(const mx_model *m) { return m->nparams; }

const char *mx_model_param_name(const mx_model *m, int i)
{
    return i >= 0 && i < m->nparams ? mx_exec_arg_name(m->exec[0], m->param_arg[i]) : NULL;
}

mx_nd *mx_model_param(const mx_model *m, int i)
{
    return i >= 0 && i < m->nparams ? mx_exec_arg(m->exec[0], m->param_arg[i]) : NULL;
}

mx_exec *mx_model_exec(const mx_model *m) { return m->exec[0]; }

int mx_model_num_contexts(const mx_model *m) { return m->nctx; }

mx_ctx mx_model_context(const mx_model *m, int i) { return i >= 0 && i < m->nctx ? m->ctx[i] : mx_cpu(); }

const mx_sym *mx_model_symbol(const mx_model *m) { return m->sym; }

double mx_model_last_epoch_seconds(const mx_model *m) { return m->last_epoch_seconds; }

void mx_model_free(mx_model *m)
{
    if (!m) return;
    mx_model_parallel_free(m);
    mx_model_dist_free(m);
    for (int k = 0; k < m->nctx; k++) mx_exec_free(m->exec[k]);
    mx_sym_free(m->sym);
    if (m->has_pending) mx_nd_list_free(&m->pending);
    if (m->has_pending_states) mx_nd_list_free(&m->pending_states);
    free(m->state);
    free(m->state_n);
    free(m->param_arg);
    free(m);
}
