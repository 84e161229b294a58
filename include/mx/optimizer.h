/** @file
 * optimizer.h — MXNet.jl's optimizers (SGD, ADAM, AdaGrad, AdaDelta,
 * AdaMax, RMSProp, Nadam) plus libmxnet's NAG, with MXNet.jl's gradient
 * normalisation before every update:
 *   g ← g·rescale_grad (if ≠ 0); clip to ±clip_gradient (if > 0); g ← g + λ·W.
 * Learning-rate and momentum schedules follow MXNet.jl's LearningRate and
 * Momentum modules.
 *
 * All mutable per-parameter state lives in a float buffer the caller owns
 * (the model's arena), zero-filled before the first update, so a raw copy
 * of it (a checkpoint) resumes training bit for bit. Optimizers that count
 * steps (ADAM, AdaMax, Nadam) keep a header of MX_OPT_HEADER floats at its
 * front: bytes 0–7 the uint64 number of updates done, bytes 8–15 (Nadam)
 * the double product of the momenta μ₁…μₜ; then the per-element arrays.
 * Updates make no allocation. */
#ifndef MX_OPTIMIZER_H
#define MX_OPTIMIZER_H

#include <stddef.h>
#include <stdint.h>
#include "mx/ndarray.h"

/** Optimizer (opaque; MXNet.jl's AbstractOptimizer): options, schedules and this batch's η. */
typedef struct mx_optimizer mx_optimizer;

/** Floats of the state header (64 bytes, keeps the arrays 64-byte aligned). */
#define MX_OPT_HEADER 16

/** Update rule: MXNet.jl's optimizers plus libmxnet's NAG. */
typedef enum mx_opt_kind {
    MX_OPT_SGD,      /**< v = μv − ηg, W += v (μ = 0: W −= ηg) */
    MX_OPT_NAG,      /**< libmxnet's Nesterov SGD: v = μv + g, W −= η(g + μv) */
    MX_OPT_ADAM,
    MX_OPT_ADAGRAD,
    MX_OPT_ADADELTA,
    MX_OPT_ADAMAX,
    MX_OPT_RMSPROP,
    MX_OPT_NADAM
} mx_opt_kind;

/** Kind of learning-rate schedule (MXNet.jl's LearningRate.Fixed, Exp, Inv). */
typedef enum mx_lr_kind {
    MX_LR_FIXED, /**< η */
    MX_LR_EXP,   /**< η·γᵗ */
    MX_LR_INV    /**< η·(1 + γt)^(−p) */
} mx_lr_kind;

/** Learning-rate schedule; η₀ is the optimizer's lr. t counts the epochs
 * completed before the current batch (MXNet.jl's fit with η_decay = :epoch),
 * or the batches completed when decay_on_iteration (η_decay = :batch). */
typedef struct mx_lr_schedule {
    mx_lr_kind kind;        /**< MX_LR_FIXED */
    float gamma;            /**< γ (0.9), 0 < γ < 1 (Exp, Inv) */
    float power;            /**< p (0.5), ≥ 0 (Inv) */
    int decay_on_iteration; /**< 0: t in epochs; 1: t in iterations */
} mx_lr_schedule;

/** Kind of momentum schedule (MXNet.jl's Momentum.Null, Fixed, NadamScheduler). */
typedef enum mx_mom_kind {
    MX_MOM_AUTO,  /**< MXNet.jl's default for the optimizer: SGD/NAG Null if
                   * momentum = 0 else Fixed(momentum); Nadam
                   * NadamScheduler(μ = beta1, 0.004, 0.5, 0.96); others none */
    MX_MOM_NULL,  /**< μ = 0, no momentum state (SGD, NAG) */
    MX_MOM_FIXED, /**< μ = mu (SGD, NAG) */
    MX_MOM_NADAM  /**< μₜ = mu·(1 − gamma·alpha^(t·delta)), t the update count (Nadam) */
} mx_mom_kind;

/** Momentum schedule; an explicit one overrides the momentum field. */
typedef struct mx_momentum_schedule {
    mx_mom_kind kind; /**< MX_MOM_AUTO */
    float mu;         /**< Fixed: μ; Nadam: μ₀ (0.99), 0 ≤ μ < 1 */
    float delta;      /**< δ (0.004), ≥ 0 */
    float gamma;      /**< γ (0.5), 0 ≤ γ ≤ 1 */
    float alpha;      /**< α (0.96), 0 ≤ α ≤ 1 */
} mx_momentum_schedule;

/** Options of every optimizer; fields a kind does not use are ignored. */
typedef struct mx_optimizer_opts {
    mx_opt_kind kind;    /**< the update rule */
    float lr;            /**< η (η₀ of the schedule) */
    float momentum;      /**< μ of SGD/NAG, 0 ≤ μ < 1 */
    float weight_decay;  /**< λ ≥ 0 */
    float rescale_grad;  /**< 0 = not set: fit uses 1/batch_size; else ≥ 0 */
    float clip_gradient; /**< 0 = no clipping; else > 0 */
    /** β₁ of ADAM, AdaMax, Nadam (0.9; Nadam 0.99), 0 ≤ β₁ < 1. */
    float beta1, beta2;  /**< β₂ of ADAM, AdaMax, Nadam (0.999), 0 ≤ β₂ < 1 */
    float epsilon;       /**< ϵ > 0 (all but SGD/NAG) */
    float rho;           /**< ρ of AdaDelta, RMSProp: 0 < ρ < 1 */
    mx_lr_schedule lr_schedule;             /**< η schedule (fixed) */
    mx_momentum_schedule momentum_schedule; /**< μ schedule (auto: from momentum, or beta1 for Nadam) */
} mx_optimizer_opts;

/** MXNet.jl's OptimizationState: epoch is 1 during the first pass, batch
 * counts from 1 within the epoch, iter counts batches over all epochs
 * (1 during the first batch). */
typedef struct mx_opt_state {
    int epoch;      /**< current epoch, from 1 */
    int batch;      /**< current batch within the epoch, from 1 */
    long iter;      /**< current batch over all epochs, from 1 */
    int batch_size; /**< samples per batch */
} mx_opt_state;

/** MXNet.jl's defaults for kind (NAG takes SGD's). */
mx_optimizer_opts mx_optimizer_defaults(mx_opt_kind kind);

/** Creates an optimizer; NULL and an error naming the bad field and value. */
mx_optimizer *mx_optimizer_create(const mx_optimizer_opts *opts);

/** Creates an optimizer from "adam lr=0.01 clip_gradient=1 lr_schedule=exp
 * gamma=0.9": a name (sgd nag adam adagrad adadelta adamax rmsprop nadam)
 * then key=value pairs (the opts field names; lr_schedule=fixed|exp|inv,
 * gamma, power, decay_on_iteration=0|1; Nadam's mu, delta, mu_gamma, alpha).
 * Unknown names, keys, keys the optimizer does not use and bad values fail
 * with an error naming them. */
mx_optimizer *mx_optimizer_parse(const char *spec);

/** The options the optimizer was created with. */
mx_optimizer_opts mx_optimizer_get_opts(const mx_optimizer *opt);

/** η of schedule s with base rate lr at optimization state st (NULL = start). */
double mx_lr_schedule_at(const mx_lr_schedule *s, double lr, const mx_opt_state *st);

/** μ of schedule s at update count t (Null/Auto 0, Fixed mu, Nadam μₜ). */
double mx_momentum_schedule_at(const mx_momentum_schedule *s, double t);

/** Called by fit before each batch's updates: sets this batch's η. */
void mx_optimizer_begin_batch(mx_optimizer *opt, const mx_opt_state *st);

/** η of the current batch. */
float mx_optimizer_lr(const mx_optimizer *opt);

/** Name of the optimizer ("SGD", "ADAM", …, MXNet.jl's type names). */
const char *mx_optimizer_name(const mx_optimizer *opt);

/** Floats of state needed for a parameter of n elements (header included). */
size_t mx_optimizer_state_size(const mx_optimizer *opt, size_t n);

/** Updates done with this state buffer (0 where the kind keeps no count). */
uint64_t mx_optimizer_state_steps(const mx_optimizer *opt, const float *state);

/** One update of weight w from gradient g; state has state_size floats,
 * zeroed before the first update. */
void mx_optimizer_update(mx_optimizer *opt, mx_nd *w, const mx_nd *g, float *state);

/** Current rescale_grad (0 means "not set": fit uses 1/batch_size). */
float mx_optimizer_rescale(const mx_optimizer *opt);

/** Sets rescale_grad. */
void mx_optimizer_set_rescale(mx_optimizer *opt, float rescale);

/** Writes the step headers of states in GPU memory, which the optimizer
 * keeps on the host between updates, to the device (before the states are
 * saved or read). */
mx_status mx_optimizer_flush(mx_optimizer *opt);

/** Drops those cached headers (after the states were overwritten, as by a
 * resume); the next update reads them from the device. */
void mx_optimizer_forget(mx_optimizer *opt);

/** Frees the optimizer. */
void mx_optimizer_free(mx_optimizer *opt);

/** The SGD-only interface of the first apps (kept for their callers). */
typedef struct mx_sgd_opts {
    float lr;            /**< η (0.01) */
    float momentum;      /**< μ (0): v = μv − ηg, W += v */
    float weight_decay;  /**< λ (1e-4) */
    float rescale_grad;  /**< 0 = 1/batch_size, set by fit */
    float clip_gradient; /**< 0 = no clipping */
} mx_sgd_opts;

/** MXNet.jl's SGD defaults. */
mx_sgd_opts mx_sgd_defaults(void);

/** Creates an SGD optimizer; errors name a bad option. */
mx_optimizer *mx_sgd_create(const mx_sgd_opts *opts);

#endif
