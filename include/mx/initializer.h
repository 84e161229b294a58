/** @file
 * initializer.h — parameter initializers with MXNet.jl's by-name rules:
 * *bias, *beta, *moving_mean, *moving_var → 0; *gamma → 1; *weight → the
 * initializer's distribution. */
#ifndef MX_INITIALIZER_H
#define MX_INITIALIZER_H

#include "mx/ndarray.h"
#include "mx/random.h"

/** Distribution of the weights (MXNet.jl's Uniform, Normal and Xavier initializers). */
typedef enum mx_init_kind { MX_INIT_UNIFORM, MX_INIT_NORMAL, MX_INIT_XAVIER } mx_init_kind;
/** Xavier's distribution (MXNet.jl's xv_uniform, xv_normal): U(−σ, σ) or N(0, σ²). */
typedef enum mx_xavier_dist { MX_XAVIER_UNIFORM, MX_XAVIER_NORMAL } mx_xavier_dist;
/** Xavier's factor (MXNet.jl's xv_avg, xv_in, xv_out): (fan_in + fan_out)/2, fan_in or fan_out. */
typedef enum mx_xavier_reg { MX_XAVIER_AVG, MX_XAVIER_IN, MX_XAVIER_OUT } mx_xavier_reg;

/** How weights are drawn; make one with mx_init_uniform, mx_init_normal or
 * mx_init_xavier. Fields of the other kinds are ignored. */
typedef struct mx_initializer {
    mx_init_kind kind;  /**< which distribution */
    float scale;        /**< uniform: U(−scale, scale) */
    float sigma;        /**< normal: N(0, sigma²) */
    mx_xavier_dist dist; /**< Xavier: uniform or normal */
    mx_xavier_reg reg;  /**< Xavier: factor, from fan_out = dims[0] and fan_in = the other dims' product */
    float magnitude;    /**< Xavier: σ = √(magnitude / factor) (MXNet.jl's default 3) */
} mx_initializer;

/** UniformInitializer(scale) (MXNet.jl's default for fit is 0.01). */
mx_initializer mx_init_uniform(float scale);

/** NormalInitializer(σ). */
mx_initializer mx_init_normal(float sigma);

/** XavierInitializer(distribution, regularization, magnitude). */
mx_initializer mx_init_xavier(mx_xavier_dist dist, mx_xavier_reg reg, float magnitude);

/** Initializes the array of parameter name by the rules above; an
 * unrecognised name is an error naming it. rng NULL: the global one. */
mx_status mx_init_param(const mx_initializer *init, const char *name, mx_nd *arr, mx_rng *rng);

#endif
