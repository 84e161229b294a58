/* test_optimizer_ref.h — the optimizer suite's reference: MXNet.jl's
 * update rules (and libmxnet's NAG) evaluated in double precision straight
 * from the formulas, written independently of runtime/train/optimizer.c (running
 * β powers and Πμ as MXNet.jl keeps them, not mxrt's header), and a driver
 * that runs mxrt's optimizer beside it. */
#ifndef MX_TEST_OPTIMIZER_REF_H
#define MX_TEST_OPTIMIZER_REF_H

#include <stddef.h>
#include <stdint.h>
#include "mx/optimizer.h"

typedef struct ref_opt {
    mx_optimizer_opts o;
    size_t n;
    double *w, *a, *b;   /* weights and the two state arrays */
    double b1t, b2t;     /* β1ᵗ, β2ᵗ of the next step (start at β) */
    double prod;         /* Nadam's Πμ (starts at 1) */
    double t;            /* Nadam's scheduler t (starts at 1) */
} ref_opt;

/* Reference over n weights starting at w0; 0 on allocation failure. */
int ref_opt_init(ref_opt *r, const mx_optimizer_opts *o, size_t n, const float *w0);

/* Frees the reference's arrays. */
void ref_opt_free(ref_opt *r);

/* One reference update with gradient g at learning rate lr (this batch's η). */
void ref_opt_step(ref_opt *r, const float *g, double lr);

/* Closed-form η of o's schedule at state st (t = epoch − 1 or iter − 1). */
double ref_opt_lr(const mx_optimizer_opts *o, const mx_opt_state *st);

/* Nadam's μₜ for o (MXNet.jl's NadamScheduler, μ₀ = β1 when AUTO). */
double ref_opt_nadam_mu(const mx_optimizer_opts *o, double t);

/* Deterministic value in [lo, hi) from a small LCG. */
float ref_opt_uniform(uint32_t *state, float lo, float hi);

typedef struct ref_opt_cfg {
    size_t n;
    int steps;
    float grange;          /* gradients drawn from [-grange, grange) */
    double tol;            /* |mxrt − ref| ≤ tol·(1 + |ref|) for every weight at every step */
    int batches_per_epoch; /* > 0: begin_batch before each step, η from ref_opt_lr */
} ref_opt_cfg;

/* Runs mxrt's optimizer and the reference side by side; returns the number
 * of weights beyond tolerance over all steps, and in *clipped how many
 * rescaled gradients exceeded ±clip_gradient. */
size_t ref_opt_run(const mx_optimizer_opts *o, const ref_opt_cfg *c, size_t *clipped);

/* Runs steps updates of opt on w/state with gradients in [-2, 2) from *seed. */
void ref_opt_steps(mx_optimizer *opt, mx_nd *w, mx_nd *g, float *state, int steps, uint32_t *seed);

/* Weights and state after 5 updates of n elements from fixed data, in
 * buffers the caller frees (for bit-for-bit comparisons). */
void ref_opt_bits(const mx_optimizer_opts *o, size_t n, float **w_out, float **s_out, size_t *ns);

#endif
