/* optimizer.h — optimizers with MXNet.jl's gradient normalisation:
 * g ← g·rescale_grad; clip to ±clip_gradient (if > 0); g ← g + wd·W.
 * States (e.g. momentum) live in memory the caller plans (the model's
 * arena); updates make no allocation. */
#ifndef MX_OPTIMIZER_H
#define MX_OPTIMIZER_H

#include <stddef.h>
#include "mx/ndarray.h"

typedef struct mx_optimizer mx_optimizer;

typedef struct mx_sgd_opts {
    float lr;            /* η (0.01) */
    float momentum;      /* μ (0): v = μv − ηg, W += v */
    float weight_decay;  /* λ (1e-4) */
    float rescale_grad;  /* 0 = 1/batch_size, set by fit */
    float clip_gradient; /* 0 = no clipping */
} mx_sgd_opts;

/* MXNet.jl's SGD defaults. */
mx_sgd_opts mx_sgd_defaults(void);

/* Creates an SGD optimizer; errors name a bad option. */
mx_optimizer *mx_sgd_create(const mx_sgd_opts *opts);

/* Name of the optimizer ("SGD"). */
const char *mx_optimizer_name(const mx_optimizer *opt);

/* Floats of state needed for a parameter of n elements. */
size_t mx_optimizer_state_size(const mx_optimizer *opt, size_t n);

/* One update of weight w from gradient g; state has state_size floats,
 * zeroed before the first update. */
void mx_optimizer_update(mx_optimizer *opt, mx_nd *w, const mx_nd *g, float *state);

/* Current rescale_grad (0 means "not set": fit uses 1/batch_size). */
float mx_optimizer_rescale(const mx_optimizer *opt);

/* Sets rescale_grad. */
void mx_optimizer_set_rescale(mx_optimizer *opt, float rescale);

/* Frees the optimizer. */
void mx_optimizer_free(mx_optimizer *opt);

#endif
