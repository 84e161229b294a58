/* model_parallel.c — FeedForward over several CPU contexts, as MXNet.jl
 * does it: each batch is split into near-equal slices (_split_inputs),
 * each context runs its executor on its slice on its own pinned cores,
 * and the KVStore sums the gradients and runs the update (update on push)
 * before every context pulls the new weights. Everything is set up before
 * the first batch; a step allocates nothing. */
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "mx/log.h"

void mx_model_parallel_free(mx_model *m)
{
    for (int k = 0; k < MX_MAX_CTX; k++) {
        if (m->exec[k] && m->eng[k]) mx_exec_set_engine(m->exec[k], mx_engine_default());
        mx_engine_free(m->eng[k]);
        m->eng[k] = NULL;
    }
    mx_engine_free(m->outer);
    m->outer = NULL;
    mx_kvstore_free(m->kv);
    m->kv = NULL;
    for (int i = 0; i < 2 * MX_IO_MAX; i++) {
        free(m->stage[i]);
        m->stage[i] = NULL;
    }
    free(m->grad_list);
    free(m->param_list);
    m->grad_list = m->param_list = NULL;
}

/* Pools: context k gets cores [k·per, (k+1)·per); the outer pool runs
 * context k's step on its first core. */
static mx_status make_pools(mx_model *m)
{
    mx_engine *def = mx_engine_default();
    if (!def) return MX_EINVAL;
    int total = mx_engine_threads(def);
    int per = total / m->nctx > 0 ? total / m->nctx : 1;
    mx_engine_opts outer = {m->nctx, MX_BIND_CORE, 0, per, 1};
    if (!(m->outer = mx_engine_create_ex(&outer))) return MX_EINVAL;
    for (int k = 0; k < m->nctx; k++) {
        mx_engine_opts mine = {per, MX_BIND_CORE, k * per, 1, 0};
        if (!(m->eng[k] = mx_engine_create_ex(&mine))) return MX_EINVAL;
        mx_exec_set_engine(m->exec[k], m->eng[k]);
        char name[16];
        mx_log_info("Context %s: %d samples a batch, %s", mx_ctx_str(m->ctx[k], name, sizeof name), m->slice[k],
                    mx_engine_describe(m->eng[k]));
    }
    return MX_OK;
}

mx_status mx_model_parallel_setup(mx_model *m, mx_provider *train, mx_optimizer *opt, const char *kvstore)
{
    mx_model_parallel_free(m);
    mx_status st = make_pools(m);
    if (st != MX_OK) return st;
    if (!(m->kv = mx_kvstore_create(kvstore ? kvstore : "local"))) return MX_EINVAL;
    int np = m->nparams;
    m->grad_list = calloc((size_t)(np ? np : 1) * (size_t)m->nctx, sizeof *m->grad_list);
    m->param_list = calloc((size_t)(np ? np : 1) * (size_t)m->nctx, sizeof *m->param_list);
    if (!m->grad_list || !m->param_list) return mx_set_error(MX_ENOMEM, "fit: out of memory");
    for (int i = 0; i < np; i++) {
        for (int k = 0; k < m->nctx; k++) {
            m->grad_list[i * m->nctx + k] = mx_exec_grad(m->exec[k], m->param_arg[i]);
            m->param_list[i * m->nctx + k] = mx_exec_arg(m->exec[k], m->param_arg[i]);
        }
        if ((st = mx_kvstore_init(m->kv, i, mx_exec_arg(m->exec[0], m->param_arg[i]))) != MX_OK) return st;
    }
    if ((st = mx_kvstore_set_optimizer(m->kv, opt)) != MX_OK) return st;
    /* Every context starts from the same weights. */
    for (int i = 0; i < np; i++)
        if ((st = mx_kvstore_pull(m->kv, i, m->nctx, &m->param_list[i * m->nctx])) != MX_OK) return st;
    for (int k = 1; k < m->nctx; k++)
        for (int i = 0; i < mx_exec_num_aux(m->exec[0]); i++) mx_nd_copy(mx_exec_aux(m->exec[k], i), mx_exec_aux(m->exec[0], i));
    /* Staging: the provider writes a whole batch here; contexts copy their slice. */
    int batch = mx_provider_batch_size(train);
    m->n_inputs = 0;
    m->n_label = 0;
    for (int i = 0; i < mx_provider_num_data(train) + mx_provider_num_label(train); i++) {
        int is_label = i >= mx_provider_num_data(train);
        mx_io_desc d = is_label ? mx_provider_label_desc(train, i - mx_provider_num_data(train))
                                : mx_provider_data_desc(train, i);
        int a = mx_exec_arg_index(m->exec[0], d.name);
        if (a < 0) return mx_set_error(MX_EINVAL, "provider input '%s' is not an argument of the network", d.name);
        m->input_arg[m->n_inputs] = a;
        m->input_row[m->n_inputs] = mx_shape_tail(&d.shape, 1);
        m->stage[m->n_inputs] = calloc((size_t)batch * m->input_row[m->n_inputs], sizeof(float));
        if (!m->stage[m->n_inputs]) return mx_set_error(MX_ENOMEM, "fit: out of memory");
        m->n_inputs++;
    }
    m->n_label = mx_provider_num_label(train);
    return MX_OK;
}

mx_status mx_model_parallel_targets(mx_model *m, const mx_provider *p, mx_batch *b)
{
    memset(b, 0, sizeof *b);
    int nd = mx_provider_num_data(p);
    for (int i = 0; i < m->n_inputs; i++) {
        if (i < nd) b->data[i] = m->stage[i];
        else b->label[i - nd] = m->stage[i];
    }
    return MX_OK;
}

typedef struct step_job {
    mx_model *m;
    int train;
} step_job;

/* Context tid copies its slice of the staged batch and runs its step. */
static void context_step(void *p, int tid, int n)
{
    (void)n;
    step_job *j = p;
    mx_model *m = j->m;
    long offset = 0;
    for (int k = 0; k < tid; k++) offset += m->slice[k];
    mx_exec *e = m->exec[tid];
    for (int i = 0; i < m->n_inputs; i++)
        memcpy(mx_nd_data(mx_exec_arg(e, m->input_arg[i])), m->stage[i] + (size_t)offset * m->input_row[i],
               (size_t)m->slice[tid] * m->input_row[i] * sizeof(float));
    mx_exec_forward(e, j->train);
    if (j->train) mx_exec_backward(e, NULL);
}

void mx_model_parallel_step(mx_model *m, const mx_batch *full)
{
    (void)full;
    step_job j = {m, 1};
    mx_engine_run(m->outer, context_step, &j);
    for (int i = 0; i < m->nparams; i++) {
        mx_kvstore_push(m->kv, i, m->nctx, &m->grad_list[i * m->nctx]);
        mx_kvstore_pull(m->kv, i, m->nctx, &m->param_list[i * m->nctx]);
    }
}

void mx_model_parallel_forward(mx_model *m, const mx_batch *full)
{
    (void)full;
    step_job j = {m, 0};
    mx_engine_run(m->outer, context_step, &j);
}

void mx_model_parallel_metric(mx_model *m, mx_metric *metric, int count)
{
    const mx_nd *labels[MX_IO_MAX], *preds[MX_IO_MAX];
    long offset = 0;
    for (int k = 0; k < m->nctx; k++) {
        long real = count - offset;
        if (real > m->slice[k]) real = m->slice[k];
        int n = m->n_label < mx_exec_num_outputs(m->exec[k]) ? m->n_label : mx_exec_num_outputs(m->exec[k]);
        for (int i = 0; i < n; i++) {
            labels[i] = mx_exec_arg(m->exec[k], m->input_arg[m->n_inputs - m->n_label + i]);
            preds[i] = mx_exec_output(m->exec[k], i);
        }
        if (real > 0) mx_metric_update_list(metric, n, labels, preds, (int)real);
        offset += m->slice[k];
    }
}
