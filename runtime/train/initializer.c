/* initializer.c — by-name parameter initialisation. */
#include "mx/initializer.h"

#include <math.h>
#include <string.h>

mx_initializer mx_init_uniform(float scale)
{
    mx_initializer i = {MX_INIT_UNIFORM, scale, 0.0f, MX_XAVIER_UNIFORM, MX_XAVIER_AVG, 0.0f};
    return i;
}

mx_initializer mx_init_normal(float sigma)
{
    mx_initializer i = {MX_INIT_NORMAL, 0.0f, sigma, MX_XAVIER_UNIFORM, MX_XAVIER_AVG, 0.0f};
    return i;
}

mx_initializer mx_init_xavier(mx_xavier_dist dist, mx_xavier_reg reg, float magnitude)
{
    mx_initializer i = {MX_INIT_XAVIER, 0.0f, 0.0f, dist, reg, magnitude};
    return i;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static void init_weight(const mx_initializer *init, mx_nd *arr, mx_rng *rng)
{
    switch (init->kind) {
    case MX_INIT_UNIFORM: mx_nd_rand_uniform(arr, -init->scale, init->scale, rng); return;
    case MX_INIT_NORMAL: mx_nd_rand_normal(arr, 0.0f, init->sigma, rng); return;
    case MX_INIT_XAVIER: {
        mx_shape s = mx_nd_shape(arr);
        double fan_out = (double)s.dims[0];
        double fan_in = (double)mx_shape_tail(&s, 1);
        double factor = init->reg == MX_XAVIER_IN ? fan_in
                      : init->reg == MX_XAVIER_OUT ? fan_out : (fan_in + fan_out) / 2.0;
        float sigma = (float)sqrt(init->magnitude / factor);
        if (init->dist == MX_XAVIER_UNIFORM) mx_nd_rand_uniform(arr, -sigma, sigma, rng);
        else mx_nd_rand_normal(arr, 0.0f, sigma, rng);
        return;
    }
    }
}

mx_status mx_init_param(const mx_initializer *init, const char *name, mx_nd *arr, mx_rng *rng)
{
    if (!rng) rng = mx_rng_global();
    if (ends_with(name, "bias") || ends_with(name, "beta") || ends_with(name, "moving_mean") ||
        ends_with(name, "moving_var")) {
        mx_nd_fill(arr, 0.0f);
    } else if (ends_with(name, "gamma")) {
        mx_nd_fill(arr, 1.0f);
    } else if (ends_with(name, "weight")) {
        init_weight(init, arr, rng);
    } else {
        return mx_set_error(MX_EINVAL,
                            "initializer: do not know how to initialize '%s' (expected a name ending in "
                            "weight, bias, gamma, beta, moving_mean or moving_var)", name);
    }
    return MX_OK;
}
