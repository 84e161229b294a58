/* optimizers.c — the CPU optimizer steps. Each is one pass over the
 * parameter that normalises the gradient as MXNet.jl does (rescale, clip,
 * + λ·W) and updates W and its state arrays in the same loop, so every
 * array is read and written once per step. Each element's arithmetic is
 * independent of the others and of the split across threads, so any thread
 * count gives the same bits. */
#include <math.h>

#include "cpu_kernels.h"
#include "cpu_par.h"
#include "cpu_simd.h"

/* The loops that take square roots stay scalar under C's default
 * -fmath-errno (gcc keeps sqrtf's errno path, and neither the optimize
 * attribute nor a pragma lifts it in gcc 12); -fno-math-errno in the build
 * would vectorise them with no change to the results. */

/* One job type for every kernel: p1/p2 are the kernel's two decay factors
 * (μ, β1/β2 or ρ), a/b its state arrays. */
typedef struct opt_job {
    float *w, *a, *b;
    const float *g;
    float lr, p1, p2, eps;
    mx_nadam_coef c;
    float rescale, clip, wd; /* clip is +∞ when off: one branch-free clamp */
} opt_job;

static opt_job make_job(float *w, const float *g, float *a, float *b, float lr, float p1, float p2,
                        float eps, mx_gnorm gn)
{
    opt_job j = {w, a, b, g, lr, p1, p2, eps, {0, 0, 0}, gn.rescale, gn.clip > 0.0f ? gn.clip : INFINITY, gn.wd};
    return j;
}

/* MXNet.jl's normgrad!: rescale, clamp to ±clip, add λ·W. */
static inline float norm_grad(const opt_job *j, float g, float w)
{
    g *= j->rescale;
    g = g > j->clip ? j->clip : (g < -j->clip ? -j->clip : g);
    return g + j->wd * w;
}

/* The loop heads: restrict-qualified locals let the loops vectorise. */
#define OPT_LOCALS(j)                                                   \
    float *restrict w = (j)->w, *restrict a = (j)->a, *restrict b = (j)->b; \
    const float *restrict g = (j)->g;                                   \
    (void)a, (void)b

MX_SIMD_CLONES static void sgd_range(void *p, size_t lo, size_t hi)
{
    const opt_job *j = p;
    OPT_LOCALS(j);
    for (size_t i = lo; i < hi; i++) w[i] -= j->lr * norm_grad(j, g[i], w[i]);
}

MX_SIMD_CLONES static void sgd_mom_range(void *p, size_t lo, size_t hi)
{
    const opt_job *j = p;
    OPT_LOCALS(j);
    for (size_t i = lo; i < hi; i++) {
        float v = j->p1 * a[i] - j->lr * norm_grad(j, g[i], w[i]);
        a[i] = v;
        w[i] += v;
    }
}

void mx_cpu_sgd_update(mx_engine *eng, float *w, const float *g, float *mom, size_t n, float lr,
                       float momentum, mx_gnorm gn)
{
    opt_job j = make_job(w, g, mom, NULL, lr, momentum, 0, 0, gn);
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, mom ? sgd_mom_range : sgd_range, &j);
}

MX_SIMD_CLONES static void nag_range(void *p, size_t lo, size_t hi)
{
    const opt_job *j = p;
    OPT_LOCALS(j);
    for (size_t i = lo; i < hi; i++) {
        float gi = norm_grad(j, g[i], w[i]);
        float v = j->p1 * a[i] + gi;
        a[i] = v;
        w[i] -= j->lr * (gi + j->p1 * v);
    }
}

void mx_cpu_nag_update(mx_engine *eng, float *w, const float *g, float *mom, size_t n, float lr,
                       float momentum, mx_gnorm gn)
{
    opt_job j = make_job(w, g, mom, NULL, lr, momentum, 0, 0, gn);
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, mom ? nag_range : sgd_range, &j);
}

MX_SIMD_CLONES static void adam_range(void *p, size_t lo, size_t hi)
{
    const opt_job *j = p;
    OPT_LOCALS(j);
    for (size_t i = lo; i < hi; i++) {
        float gi = norm_grad(j, g[i], w[i]);
        float m = j->p1 * a[i] + (1.0f - j->p1) * gi;
        float v = j->p2 * b[i] + (1.0f - j->p2) * (gi * gi);
        a[i] = m;
        b[i] = v;
        w[i] -= j->lr * m / (sqrtf(v) + j->eps);
    }
}

void mx_cpu_adam_update(mx_engine *eng, float *w, const float *g, float *m, float *v, size_t n,
                        float lr, float beta1, float beta2, float eps, mx_gnorm gn)
{
    opt_job j = make_job(w, g, m, v, lr, beta1, beta2, eps, gn);
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, adam_range, &j);
}

MX_SIMD_CLONES static void adagrad_range(void *p, size_t lo, size_t hi)
{
    const opt_job *j = p;
    OPT_LOCALS(j);
    for (size_t i = lo; i < hi; i++) {
        float gi = norm_grad(j, g[i], w[i]);
        float s = a[i] + gi * gi;
        a[i] = s;
        w[i] -= j->lr * gi / sqrtf(s + j->eps);
    }
}

void mx_cpu_adagrad_update(mx_engine *eng, float *w, const float *g, float *s, size_t n, float lr,
                           float eps, mx_gnorm gn)
{
    opt_job j = make_job(w, g, s, NULL, lr, 0, 0, eps, gn);
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, adagrad_range, &j);
}

MX_SIMD_CLONES static void adadelta_range(void *p, size_t lo, size_t hi)
{
    const opt_job *j = p;
    OPT_LOCALS(j);
    for (size_t i = lo; i < hi; i++) {
        float gi = norm_grad(j, g[i], w[i]);
        float r = j->p1 * a[i] + (1.0f - j->p1) * (gi * gi);
        /* The step uses the accumulated update of the previous steps. */
        float d = gi * sqrtf(b[i] + j->eps) / sqrtf(r + j->eps);
        a[i] = r;
        w[i] -= j->lr * d;
        b[i] = j->p1 * b[i] + (1.0f - j->p1) * (d * d);
    }
}

void mx_cpu_adadelta_update(mx_engine *eng, float *w, const float *g, float *r, float *s, size_t n,
                            float lr, float rho, float eps, mx_gnorm gn)
{
    opt_job j = make_job(w, g, r, s, lr, rho, 0, eps, gn);
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, adadelta_range, &j);
}

MX_SIMD_CLONES static void adamax_range(void *p, size_t lo, size_t hi)
{
    const opt_job *j = p;
    OPT_LOCALS(j);
    for (size_t i = lo; i < hi; i++) {
        float gi = norm_grad(j, g[i], w[i]);
        float m = j->p1 * a[i] + (1.0f - j->p1) * gi;
        float bu = j->p2 * b[i], ag = fabsf(gi);
        float u = bu > ag ? bu : ag;
        a[i] = m;
        b[i] = u;
        w[i] -= j->lr * m / (u + j->eps);
    }
}

void mx_cpu_adamax_update(mx_engine *eng, float *w, const float *g, float *m, float *u, size_t n,
                          float lr, float beta1, float beta2, float eps, mx_gnorm gn)
{
    opt_job j = make_job(w, g, m, u, lr, beta1, beta2, eps, gn);
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, adamax_range, &j);
}

MX_SIMD_CLONES static void rmsprop_range(void *p, size_t lo, size_t hi)
{
    const opt_job *j = p;
    OPT_LOCALS(j);
    for (size_t i = lo; i < hi; i++) {
        float gi = norm_grad(j, g[i], w[i]);
        float s = j->p1 * a[i] + (1.0f - j->p1) * (gi * gi);
        a[i] = s;
        w[i] -= j->lr * gi / sqrtf(s + j->eps);
    }
}

void mx_cpu_rmsprop_update(mx_engine *eng, float *w, const float *g, float *s, size_t n, float lr,
                           float rho, float eps, mx_gnorm gn)
{
    opt_job j = make_job(w, g, s, NULL, lr, rho, 0, eps, gn);
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, rmsprop_range, &j);
}

MX_SIMD_CLONES static void nadam_range(void *p, size_t lo, size_t hi)
{
    const opt_job *j = p;
    OPT_LOCALS(j);
    for (size_t i = lo; i < hi; i++) {
        float gi = norm_grad(j, g[i], w[i]);
        float m = j->p1 * a[i] + (1.0f - j->p1) * gi;
        float v = j->p2 * b[i] + (1.0f - j->p2) * (gi * gi);
        a[i] = m;
        b[i] = v;
        w[i] -= j->lr * (j->c.g * gi + j->c.m * m) / (sqrtf(j->c.v * v) + j->eps);
    }
}

void mx_cpu_nadam_update(mx_engine *eng, float *w, const float *g, float *m, float *v, size_t n,
                         float lr, float beta1, float beta2, float eps, mx_nadam_coef c, mx_gnorm gn)
{
    opt_job j = make_job(w, g, m, v, lr, beta1, beta2, eps, gn);
    j.c = c;
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, nadam_range, &j);
}
