/* model_parallel.c — FeedForward over several contexts, or over GPUs, as
 * MXNet.jl does it: the provider writes each batch into staging buffers
 * (page-locked when a GPU is there), the batch is split into near-equal
 * slices (_split_inputs), each context copies its slice in and runs its
 * executor (CPU contexts on their own pinned cores), and the KVStore sums
 * the gradients and runs the update (update on push; on the first GPU
 * for GPU contexts) before every context pulls the new weights. A GPU
 * context's outputs are copied back after its forward pass, so metrics
 * and the NaN check read host memory while backward and the update run
 * on; its labels are read from the staging buffers. Everything is set up
 * before the first batch; a step allocates nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ndarray/device.h"
#include "kernels/kernels.h"
#include "fit_strategy.h"
#include "mx/arena.h"
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
    for (int i = 0; i < 2 * MX_IO_MAX; i++) m->stage[i] = NULL;
    mx_dev_host_free(m->stage_block);
    m->stage_block = NULL;
    for (int k = 0; k < MX_MAX_CTX; k++) {
        mx_dev_free(m->ctx[k], m->land_in[k]);
        mx_dev_free(m->ctx[k], m->land_out[k]);
        m->land_in[k] = m->land_out[k] = NULL;
    }
    free(m->seg_dst);
    free(m->seg_src);
    free(m->seg_n);
    m->seg_dst = m->seg_src = NULL;
    m->seg_n = NULL;
    for (int i = 0; m->mirror && i < m->nctx * m->n_out; i++) mx_nd_free(m->mirror[i]);
    for (int k = 0; k < MX_MAX_CTX; k++) {
        mx_dev_host_free(m->mirror_block[k]);
        m->mirror_block[k] = NULL;
    }
    for (int i = 0; m->label_view && i < m->nctx * m->n_label; i++) mx_nd_free(m->label_view[i]);
    free(m->mirror);
    free(m->label_view);
    m->mirror = m->label_view = NULL;
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

static mx_status stage_inputs(mx_model *m, mx_provider *train);
static mx_status make_landing(mx_model *m);

/* GPU contexts: host copies of every output, and views of each context's
 * label slice in the staging buffers, for the metric and the NaN check. */
static mx_status make_mirrors(mx_model *m)
{
    m->n_out = mx_exec_num_outputs(m->exec[0]);
    m->mirror = calloc((size_t)(m->nctx * m->n_out) + 1, sizeof *m->mirror);
    m->label_view = calloc((size_t)(m->nctx * m->n_label) + 1, sizeof *m->label_view);
    if (!m->mirror || !m->label_view) return mx_set_error(MX_ENOMEM, "fit: out of memory");
    long offset = 0;
    for (int k = 0; k < m->nctx; k++) {
        /* One page-locked block per context: its outputs come back with
         * queued copies and a single wait. */
        size_t floats = 0;
        for (int o = 0; o < m->n_out; o++) floats += mx_nd_size(mx_exec_output(m->exec[k], o));
        if (!(m->mirror_block[k] = mx_dev_host_alloc(floats * sizeof(float)))) return MX_ENOMEM;
        float *at = m->mirror_block[k];
        for (int o = 0; o < m->n_out; o++) {
            mx_shape s = mx_nd_shape(mx_exec_output(m->exec[k], o));
            if (!(m->mirror[k * m->n_out + o] = mx_nd_wrap(s, at))) return MX_ENOMEM;
            at += mx_shape_size(&s);
        }
        for (int i = 0; i < m->n_label; i++) {
            int in = m->n_inputs - m->n_label + i;
            mx_shape s = mx_nd_shape(mx_exec_arg(m->exec[k], m->input_arg[in]));
            m->label_view[k * m->n_label + i] = mx_nd_wrap(s, m->stage[in] + (size_t)offset * m->input_row[in]);
            if (!m->label_view[k * m->n_label + i]) return MX_ENOMEM;
        }
        offset += m->slice[k];
    }
    return MX_OK;
}

static mx_status parallel_setup(mx_model *m, mx_provider *train, mx_optimizer *opt, const char *kvstore)
{
    mx_log_info("Creating KVStore...");
    mx_model_parallel_free(m);
    mx_status st = make_pools(m);
    if (st != MX_OK) return st;
    m->opt = opt;
    if (m->nctx == 1) return stage_inputs(m, train); /* one GPU: updates in place, no KVStore */
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
    return stage_inputs(m, train);
}

/* Staging: the provider writes a whole batch here; contexts copy their slice. */
static mx_status stage_inputs(mx_model *m, mx_provider *train)
{
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
        m->n_inputs++;
    }
    /* One page-locked block, the inputs back to back (64-byte aligned): a
     * GPU takes the whole batch with one copy. */
    size_t off[2 * MX_IO_MAX], total = 0;
    for (int i = 0; i < m->n_inputs; i++) {
        off[i] = total;
        total += mx_arena_round((size_t)batch * m->input_row[i] * sizeof(float));
    }
    if (!(m->stage_block = mx_dev_host_alloc(total ? total : 1))) return mx_set_error(MX_ENOMEM, "fit: out of memory");
    memset(m->stage_block, 0, total);
    m->stage_bytes = total;
    for (int i = 0; i < m->n_inputs; i++) m->stage[i] = (float *)((unsigned char *)m->stage_block + off[i]);
    m->n_label = mx_provider_num_label(train);
    if (m->ctx[0].dev_type == MX_CPU) return MX_OK;
    mx_status st = make_mirrors(m);
    return st == MX_OK ? make_landing(m) : st;
}

/* GPU contexts: a device copy of the stage block and a block the outputs
 * are gathered into, with the segments a step scatters and gathers:
 * one copy each way a step, whatever the number of inputs and outputs
 * (the char-LSTM has 68 and 32). */
static mx_status make_landing(mx_model *m)
{
    int nseg = m->n_inputs + m->n_out;
    size_t cells = (size_t)m->nctx * (size_t)(nseg ? nseg : 1);
    m->seg_dst = calloc(cells, sizeof *m->seg_dst);
    m->seg_src = calloc(cells, sizeof *m->seg_src);
    m->seg_n = calloc(cells, sizeof *m->seg_n);
    if (!m->seg_dst || !m->seg_src || !m->seg_n) return mx_set_error(MX_ENOMEM, "fit: out of memory");
    long offset = 0;
    for (int k = 0; k < m->nctx; k++) {
        mx_exec *e = m->exec[k];
        if (!(m->land_in[k] = mx_dev_alloc(m->ctx[k], m->stage_bytes))) return MX_ENOMEM;
        size_t out = 0;
        for (int o = 0; o < m->n_out; o++) out += mx_nd_size(mx_exec_output(e, o));
        m->out_floats[k] = out;
        if (!(m->land_out[k] = mx_dev_alloc(m->ctx[k], out * sizeof(float)))) return MX_ENOMEM;
        float **dst = m->seg_dst + (size_t)k * nseg, **src = m->seg_src + (size_t)k * nseg;
        size_t *n = m->seg_n + (size_t)k * nseg;
        for (int i = 0; i < m->n_inputs; i++) {
            size_t at = (size_t)((unsigned char *)m->stage[i] - (unsigned char *)m->stage_block) / sizeof(float);
            dst[i] = mx_nd_data(mx_exec_arg(e, m->input_arg[i]));
            src[i] = m->land_in[k] + at + (size_t)offset * m->input_row[i];
            n[i] = (size_t)m->slice[k] * m->input_row[i];
        }
        float *at = m->land_out[k];
        for (int o = 0; o < m->n_out; o++) {
            const mx_nd *y = mx_exec_output(e, o);
            dst[m->n_inputs + o] = at;
            src[m->n_inputs + o] = mx_nd_data(y);
            n[m->n_inputs + o] = mx_nd_size(y);
            at += mx_nd_size(y);
        }
        offset += m->slice[k];
    }
    return MX_OK;
}

/* The provider writes the whole batch into the staging buffers; the
 * metric reads each context's mirrors and label views (parallel_metric). */
static mx_status parallel_feed(mx_model *m, const mx_provider *p, mx_fit_feed *f)
{
    mx_batch *b = &f->batch;
    memset(b, 0, sizeof *b);
    f->n_pairs = 0;
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
    mx_status st[MX_MAX_CTX]; /* each context's first failure (a GPU's kernel errors) */
    char err[MX_MAX_CTX][256];
} step_job;

/* Records context tid's first failure with its message. */
static void job_fail(step_job *j, int tid, mx_status st)
{
    if (st == MX_OK || j->st[tid] != MX_OK) return;
    j->st[tid] = st;
    snprintf(j->err[tid], sizeof j->err[tid], "%s", mx_last_error());
}

/* Runs context_step for every context: side by side on their CPU cores,
 * or, for GPUs, one after another from this thread. GPU work is queued
 * asynchronously, so the devices still overlap; and two executors must
 * never record CUDA graphs from two threads onto one device's stream (a
 * recording takes in whatever any thread queues there). */
static void run_contexts(mx_model *m, step_job *j);

/* The first context's failure as this thread's error, else MX_OK. */
static mx_status job_status(const step_job *j, int n)
{
    for (int k = 0; k < n; k++)
        if (j->st[k] != MX_OK) return mx_set_error(j->st[k], "context %d: %s", k, j->err[k]);
    return MX_OK;
}

/* Context tid copies its slice of the staged batch and runs its step. */
static void context_step(void *p, int tid, int n)
{
    (void)n;
    step_job *j = p;
    mx_model *m = j->m;
    long offset = 0;
    for (int k = 0; k < tid; k++) offset += m->slice[k];
    mx_exec *e = m->exec[tid];
    mx_ctx c = m->ctx[tid];
    int nseg = m->n_inputs + m->n_out;
    const mx_kernels *kt = m->land_in[tid] ? mx_kernels_for(c) : NULL;
    if (kt) { /* the whole stage block in one copy, then each slice into its argument */
        job_fail(j, tid, mx_dev_copy_async(m->land_in[tid], c, m->stage_block, mx_cpu(), m->stage_bytes));
        kt->copy_segments(NULL, m->n_inputs, m->seg_dst + (size_t)tid * nseg,
                         (const float *const *)(m->seg_src + (size_t)tid * nseg), m->seg_n + (size_t)tid * nseg,
                          MX_REQ_WRITE);
    } else {
        for (int i = 0; i < m->n_inputs; i++)
            job_fail(j, tid, mx_dev_copy(mx_nd_data(mx_exec_arg(e, m->input_arg[i])), c,
                                         m->stage[i] + (size_t)offset * m->input_row[i], mx_cpu(),
                                         (size_t)m->slice[tid] * m->input_row[i] * sizeof(float)));
    }
    job_fail(j, tid, mx_exec_forward(e, j->train));
    /* Outputs back to the host now (this waits for forward only), so the
     * metric reads them while backward and the update run on the GPU:
     * gathered into one block on the device, then one copy. */
    if (m->mirror && kt) { /* GPU contexts always have both */
        size_t first = (size_t)tid * nseg + (size_t)m->n_inputs;
        kt->copy_segments(NULL, m->n_out, m->seg_dst + first, (const float *const *)(m->seg_src + first),
                          m->seg_n + first, MX_REQ_WRITE);
        job_fail(j, tid, mx_dev_copy_async(m->mirror_block[tid], mx_cpu(), m->land_out[tid], c,
                                           m->out_floats[tid] * sizeof(float)));
        job_fail(j, tid, mx_dev_sync(c));
    }
    if (j->train) job_fail(j, tid, mx_exec_backward(e, NULL));
    /* Several GPUs: the KVStore reads this device's gradients from another
     * device's stream, so they must be finished. */
    if (m->nctx > 1 && c.dev_type != MX_CPU) job_fail(j, tid, mx_dev_sync(c));
}

static mx_status parallel_step(mx_model *m, mx_optimizer *opt, int *stop)
{
    (void)opt; /* the KVStore's (or, for one GPU, m->opt: the same one) */
    step_job j;
    memset(j.st, 0, sizeof j.st);
    j.m = m;
    j.train = 1;
    run_contexts(m, &j);
    mx_status st = job_status(&j, m->nctx);
    if (st != MX_OK) return st;
    if (m->nctx == 1) { /* one GPU: the update runs on it, state in the executor's arena */
        mx_exec *e = m->exec[0];
        if ((st = m->workers->reduce_grads(m, e, stop)) != MX_OK) return st; /* dist_sync: over every rank */
        if (*stop) return MX_OK;
        for (int i = 0; i < m->nparams; i++)
            mx_optimizer_update(m->opt, mx_exec_arg(e, m->param_arg[i]), mx_exec_grad(e, m->param_arg[i]), m->state[i]);
        return MX_OK;
    }
    /* dist_sync: the pushes update as they reduce, so the ranks agree on
     * stopping first. */
    if ((st = m->workers->agree_stop(m, stop)) != MX_OK || *stop) return st;
    for (int i = 0; i < m->nparams; i++) {
        /* A dist_sync store reduces over the ranks inside push. */
        if ((st = mx_kvstore_push(m->kv, i, m->nctx, &m->grad_list[i * m->nctx])) != MX_OK) return st;
        mx_kvstore_pull(m->kv, i, m->nctx, &m->param_list[i * m->nctx]);
    }
    /* Several GPUs: the pulls ran on the store's stream; the next forward
     * of the other devices must not start before they land. */
    if (m->nctx > 1 && m->ctx[0].dev_type != MX_CPU) return mx_dev_sync(m->ctx[0]);
    return MX_OK;
}

static mx_status parallel_forward(mx_model *m)
{
    step_job j;
    memset(j.st, 0, sizeof j.st);
    j.m = m;
    j.train = 0;
    run_contexts(m, &j);
    return job_status(&j, m->nctx);
}

static void run_contexts(mx_model *m, step_job *j)
{
    if (m->ctx[0].dev_type == MX_CPU) {
        mx_engine_run(m->outer, context_step, j);
        return;
    }
    for (int k = 0; k < m->nctx; k++) context_step(j, k, m->nctx);
}

/* Each context's share of the batch against its labels (padding, in the
 * last contexts' slices, left out). */
static void parallel_metric(mx_model *m, const mx_fit_feed *f, mx_metric *metric, int count)
{
    (void)f;
    const mx_nd *labels[MX_IO_MAX], *preds[MX_IO_MAX];
    long offset = 0;
    for (int k = 0; k < m->nctx; k++) {
        long real = count - offset;
        if (real > m->slice[k]) real = m->slice[k];
        int n = m->n_label < mx_exec_num_outputs(m->exec[k]) ? m->n_label : mx_exec_num_outputs(m->exec[k]);
        for (int i = 0; i < n; i++) {
            labels[i] = m->label_view ? m->label_view[k * m->n_label + i]
                                      : mx_exec_arg(m->exec[k], m->input_arg[m->n_inputs - m->n_label + i]);
            preds[i] = m->mirror ? m->mirror[k * m->n_out + i] : mx_exec_output(m->exec[k], i);
        }
        if (real > 0) mx_metric_update_list(metric, n, labels, preds, (int)real);
        offset += m->slice[k];
    }
}

const mx_fit_contexts_ops mx_fit_contexts = {
    "several contexts", parallel_setup, parallel_feed, parallel_step, parallel_forward, parallel_metric,
};
