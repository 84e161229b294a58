/* test_optimizer_ref.c — double-precision reference optimizers for the
 * "optimizer" suite (see test_optimizer_ref.h). Each rule is transcribed
 * from MXNet.jl's src/optimizers/<name>.jl (libmxnet's optimizer.py for NAG). */
#include "test_optimizer_ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

float ref_opt_uniform(uint32_t *state, float lo, float hi)
{
    *state = *state * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)(*state >> 8) / 16777216.0f;
}

int ref_opt_init(ref_opt *r, const mx_optimizer_opts *o, size_t n, const float *w0)
{
    memset(r, 0, sizeof *r);
    r->o = *o;
    r->n = n;
    r->w = malloc(n * sizeof(double));
    r->a = calloc(n, sizeof(double));
    r->b = calloc(n, sizeof(double));
    if (!r->w || !r->a || !r->b) return 0;
    for (size_t i = 0; i < n; i++) r->w[i] = w0[i];
    r->b1t = o->beta1, r->b2t = o->beta2;
    r->prod = 1.0, r->t = 1.0;
    return 1;
}

void ref_opt_free(ref_opt *r) { free(r->w), free(r->a), free(r->b); }

double ref_opt_lr(const mx_optimizer_opts *o, const mx_opt_state *st)
{
    const mx_lr_schedule *s = &o->lr_schedule;
    double t = s->decay_on_iteration ? (double)st->iter - 1 : (double)st->epoch - 1;
    if (t < 0) t = 0;
    if (s->kind == MX_LR_EXP) return o->lr * pow(s->gamma, t);
    if (s->kind == MX_LR_INV) return o->lr * pow(1.0 + s->gamma * t, -(double)s->power);
    return o->lr;
}

double ref_opt_nadam_mu(const mx_optimizer_opts *o, double t)
{
    const mx_momentum_schedule *m = &o->momentum_schedule;
    if (m->kind == MX_MOM_AUTO) return o->beta1 * (1.0 - 0.5 * pow(0.96, t * 0.004));
    return m->mu * (1.0 - m->gamma * pow(m->alpha, t * m->delta));
}

/* μ of SGD/NAG: an explicit Fixed schedule, else the momentum field. */
static double sgd_mu(const mx_optimizer_opts *o)
{
    if (o->momentum_schedule.kind == MX_MOM_FIXED) return o->momentum_schedule.mu;
    if (o->momentum_schedule.kind == MX_MOM_NULL) return 0.0;
    return o->momentum;
}

void ref_opt_step(ref_opt *r, const float *gf, double lr)
{
    const mx_optimizer_opts *o = &r->o;
    double b1 = o->beta1, b2 = o->beta2, eps = o->epsilon, rho = o->rho, mu = sgd_mu(o);
    double at = sqrt(1.0 - r->b2t) / (1.0 - r->b1t);          /* ADAM */
    double mu_t = 0, mu_t1 = 0, prod_next = 0;                /* Nadam */
    if (o->kind == MX_OPT_NADAM) {
        mu_t = ref_opt_nadam_mu(o, r->t), mu_t1 = ref_opt_nadam_mu(o, r->t + 1);
        r->prod *= mu_t;
        prod_next = r->prod * mu_t1;
    }
    for (size_t i = 0; i < r->n; i++) {
        double *w = &r->w[i], *a = &r->a[i], *b = &r->b[i];
        double g = gf[i];
        if (o->rescale_grad != 0) g *= o->rescale_grad; /* normgrad! */
        if (o->clip_gradient > 0) g = fmin(fmax(g, -(double)o->clip_gradient), o->clip_gradient);
        if (o->weight_decay > 0) g += o->weight_decay * *w;
        switch (o->kind) {
        case MX_OPT_SGD:
            if (mu > 0) { *a = mu * *a - lr * g; *w += *a; }
            else *w -= lr * g;
            break;
        case MX_OPT_NAG:
            if (mu > 0) { *a = mu * *a + g; *w -= lr * (g + mu * *a); }
            else *w -= lr * g;
            break;
        case MX_OPT_ADAM:
            *a = b1 * *a + (1 - b1) * g;
            *b = b2 * *b + (1 - b2) * g * g;
            *w -= lr * at * *a / (sqrt(*b) + eps);
            break;
        case MX_OPT_ADAGRAD:
            *a += g * g;
            *w -= lr * g / sqrt(*a + eps);
            break;
        case MX_OPT_ADADELTA: {
            *a = rho * *a + (1 - rho) * g * g;
            double d = g * sqrt(*b + eps) / sqrt(*a + eps);
            *w -= lr * d;
            *b = rho * *b + (1 - rho) * d * d;
            break;
        }
        case MX_OPT_ADAMAX:
            *a = b1 * *a + (1 - b1) * g;
            *b = fmax(b2 * *b, fabs(g));
            *w -= lr / (1 - r->b1t) * *a / (*b + eps);
            break;
        case MX_OPT_RMSPROP:
            *a = rho * *a + (1 - rho) * g * g;
            *w -= lr * g / sqrt(*a + eps);
            break;
        case MX_OPT_NADAM: {
            double gp = g / (1 - r->prod);
            *a = b1 * *a + (1 - b1) * g;
            double mhat = *a / (1 - prod_next);
            *b = b2 * *b + (1 - b2) * g * g;
            double nhat = *b / (1 - r->b2t);
            double mbar = (1 - mu_t) * gp + mu_t1 * mhat;
            *w -= lr * mbar / (sqrt(nhat) + eps);
            break;
        }
        }
    }
    r->b1t *= b1, r->b2t *= b2, r->t += 1;
}

size_t ref_opt_run(const mx_optimizer_opts *o, const ref_opt_cfg *c, size_t *clipped)
{
    mx_optimizer *opt = mx_optimizer_create(o);
    CU_ASSERT_FATAL(opt != NULL);
    size_t n = c->n, ns = mx_optimizer_state_size(opt, n);
    mx_nd *w = mx_nd_empty(mx_shape_make(1, (int)n)), *g = mx_nd_empty(mx_shape_make(1, (int)n));
    float *state = ns ? calloc(ns, sizeof(float)) : NULL;
    CU_ASSERT_FATAL(w && g && (state || !ns));
    uint32_t seed = (uint32_t)n * 7919u + 17u + (uint32_t)o->kind;
    for (size_t i = 0; i < n; i++) mx_nd_data(w)[i] = ref_opt_uniform(&seed, -1.0f, 1.0f);
    ref_opt r;
    CU_ASSERT_FATAL(ref_opt_init(&r, o, n, mx_nd_data(w)));
    double rescale = o->rescale_grad > 0 ? o->rescale_grad : 1.0, lr = o->lr;
    size_t bad = 0;
    *clipped = 0;
    for (int step = 0; step < c->steps; step++) {
        float *gd = mx_nd_data(g);
        for (size_t i = 0; i < n; i++) {
            gd[i] = ref_opt_uniform(&seed, -c->grange, c->grange);
            if (o->clip_gradient > 0 && fabs(gd[i] * rescale) > o->clip_gradient) (*clipped)++;
        }
        if (c->batches_per_epoch > 0) {
            int k = c->batches_per_epoch;
            mx_opt_state st = {step / k + 1, step % k + 1, step + 1, 32};
            mx_optimizer_begin_batch(opt, &st);
            lr = ref_opt_lr(o, &st);
            CU_ASSERT_DOUBLE_EQUAL(mx_optimizer_lr(opt), lr, 1e-7 * lr);
        }
        ref_opt_step(&r, gd, lr);
        mx_optimizer_update(opt, w, g, state);
        for (size_t i = 0; i < n; i++) {
            double got = mx_nd_data(w)[i];
            if (!(fabs(got - r.w[i]) <= c->tol * (1.0 + fabs(r.w[i])))) {
                if (!bad) fprintf(stderr, "\n  %s step %d [%zu]: %.9g vs %.9g", mx_optimizer_name(opt), step, i, got, r.w[i]);
                bad++;
            }
        }
    }
    ref_opt_free(&r);
    free(state);
    mx_nd_free(w), mx_nd_free(g);
    mx_optimizer_free(opt);
    return bad;
}

/* See test_optimizer_ref.h. */
void ref_opt_steps(mx_optimizer *opt, mx_nd *w, mx_nd *g, float *state, int steps, uint32_t *seed)
{
    for (int s = 0; s < steps; s++) {
        for (size_t i = 0; i < mx_nd_size(g); i++) mx_nd_data(g)[i] = ref_opt_uniform(seed, -2.0f, 2.0f);
        mx_optimizer_update(opt, w, g, state);
    }
}

/* See test_optimizer_ref.h. */
void ref_opt_bits(const mx_optimizer_opts *o, size_t n, float **w_out, float **s_out, size_t *ns)
{
    mx_optimizer *opt = mx_optimizer_create(o);
    CU_ASSERT_FATAL(opt != NULL);
    *ns = mx_optimizer_state_size(opt, n);
    mx_nd *w = mx_nd_empty(mx_shape_make(1, (int)n)), *g = mx_nd_empty(mx_shape_make(1, (int)n));
    *s_out = calloc(*ns + 1, sizeof(float));
    *w_out = malloc(n * sizeof(float));
    CU_ASSERT_FATAL(w && g && *s_out && *w_out);
    uint32_t seed = 7;
    for (size_t i = 0; i < n; i++) mx_nd_data(w)[i] = ref_opt_uniform(&seed, -1, 1);
    ref_opt_steps(opt, w, g, *ns ? *s_out : NULL, 5, &seed);
    memcpy(*w_out, mx_nd_data(w), n * sizeof(float));
    mx_nd_free(w), mx_nd_free(g), mx_optimizer_free(opt);
}
