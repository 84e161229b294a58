/* fit_one.c — fit's contexts strategy for one CPU context: the provider
 * writes each batch straight into the executor's input arrays, the step
 * is forward, backward and the update in place (gradients summed over the
 * workers first), and the metric reads the executor's own arrays. Nothing
 * here allocates. */
#include <string.h>

#include "fit_strategy.h"

static mx_status one_setup(mx_model *m, mx_provider *train, mx_optimizer *opt, const char *kvstore)
{
    (void)m, (void)train, (void)opt, (void)kvstore;
    return MX_OK; /* bind made everything: the executor, its arena, the optimizer states */
}

static mx_status one_feed(mx_model *m, const mx_provider *p, mx_fit_feed *f)
{
    const mx_exec *e = m->exec[0];
    mx_batch *b = &f->batch;
    memset(b, 0, sizeof *b);
    f->n_pairs = 0;
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
        if (i < mx_exec_num_outputs(e)) {
            f->label[i] = mx_exec_arg(e, a);
            f->pred[i] = mx_exec_output(e, i);
            f->n_pairs = i + 1;
        }
    }
    return MX_OK;
}

/* The hot path. */
static mx_status one_step(mx_model *m, mx_optimizer *opt, int *stop)
{
    mx_exec *e = m->exec[0];
    mx_exec_forward(e, 1);
    mx_exec_backward(e, NULL);
    mx_status st = m->workers->reduce_grads(m, e, stop);
    if (st != MX_OK || *stop) return st;
    for (int i = 0; i < m->nparams; i++)
        mx_optimizer_update(opt, mx_exec_arg(e, m->param_arg[i]), mx_exec_grad(e, m->param_arg[i]), m->state[i]);
    return MX_OK;
}

static mx_status one_forward(mx_model *m)
{
    return mx_exec_forward(m->exec[0], 0);
}

static void one_metric(mx_model *m, const mx_fit_feed *f, mx_metric *metric, int count)
{
    (void)m;
    mx_metric_update_list(metric, f->n_pairs, f->label, f->pred, count);
}

const mx_fit_contexts_ops mx_fit_one_context = {
    "one context", one_setup, one_feed, one_step, one_forward, one_metric,
};
