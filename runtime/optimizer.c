/* optimizer.c — SGD over the context's kernel table (the update and the
 * normalisation are one fused pass in kernels/<device>/). */
#include "mx/optimizer.h"

#include <math.h>
#include <stdlib.h>

#include "kernels.h"

struct mx_optimizer {
    const char *name;
    mx_sgd_opts sgd;
};

mx_sgd_opts mx_sgd_defaults(void)
{
    mx_sgd_opts o = {0.01f, 0.0f, 1e-4f, 0.0f, 0.0f};
    return o;
}

mx_optimizer *mx_sgd_create(const mx_sgd_opts *opts)
{
    mx_sgd_opts o = opts ? *opts : mx_sgd_defaults();
    const char *bad = NULL;
    float v = 0.0f;
    if (!(o.lr > 0.0f) || !isfinite(o.lr)) { bad = "lr"; v = o.lr; }
    else if (!(o.momentum >= 0.0f && o.momentum < 1.0f)) { bad = "momentum"; v = o.momentum; }
    else if (!(o.weight_decay >= 0.0f) || !isfinite(o.weight_decay)) { bad = "weight_decay"; v = o.weight_decay; }
    else if (!(o.rescale_grad >= 0.0f) || !isfinite(o.rescale_grad)) { bad = "rescale_grad"; v = o.rescale_grad; }
    else if (!(o.clip_gradient >= 0.0f) || !isfinite(o.clip_gradient)) { bad = "clip_gradient"; v = o.clip_gradient; }
    if (bad) {
        mx_set_error(MX_EINVAL, "SGD: bad value %g for '%s'", (double)v, bad);
        return NULL;
    }
    mx_optimizer *opt = calloc(1, sizeof *opt);
    if (!opt) { mx_set_error(MX_ENOMEM, "SGD: out of memory"); return NULL; }
    opt->name = "SGD";
    opt->sgd = o;
    return opt;
}

const char *mx_optimizer_name(const mx_optimizer *opt) { return opt->name; }

size_t mx_optimizer_state_size(const mx_optimizer *opt, size_t n)
{
    return opt->sgd.momentum > 0.0f ? n : 0;
}

void mx_optimizer_update(mx_optimizer *opt, mx_nd *w, const mx_nd *g, float *state)
{
    const mx_kernels *k = mx_kernels_for(mx_nd_context(w));
    const mx_sgd_opts *o = &opt->sgd;
    float rescale = o->rescale_grad > 0.0f ? o->rescale_grad : 1.0f;
    k->sgd_update(mx_engine_default(), mx_nd_data(w), mx_nd_data(g), o->momentum > 0.0f ? state : NULL,
                  mx_nd_size(w), o->lr, o->momentum, o->weight_decay, rescale, o->clip_gradient);
}

float mx_optimizer_rescale(const mx_optimizer *opt) { return opt->sgd.rescale_grad; }

void mx_optimizer_set_rescale(mx_optimizer *opt, float rescale) { opt->sgd.rescale_grad = rescale; }

void mx_optimizer_free(mx_optimizer *opt) { free(opt); }
