/* optimizers.cu — the CUDA optimizer steps (formulas: kernels/kernels.h
 * and kernels/cpu/optimizers.c). Each is one launch that normalises the
 * gradient as MXNet.jl does (rescale, clamp to ±clip, + wd·W) and updates
 * W and its state in the same pass, so every array is read and written
 * once per step; elements are independent, so there is nothing to order.
 * Results match the CPU to rounding: nvcc may fuse a·b + c into one FMA
 * where the C build rounds twice. */
#include <math.h>

#include "cuda_util.cuh"

/* The gradient normalisation with clip already +∞ when off (gnorm_on). */
__device__ static inline float norm_grad(mx_gnorm gn, float g, float w)
{
    g *= gn.rescale;
    /* the CPU's clamp, NaN passing through as NaN */
    g = g > gn.clip ? gn.clip : (g < -gn.clip ? -gn.clip : g);
    return g + gn.wd * w;
}

/* gn with clip +∞ when clipping is off, so the kernels clamp branch-free. */
static mx_gnorm gnorm_on(mx_gnorm gn)
{
    if (!(gn.clip > 0.0f)) gn.clip = INFINITY;
    return gn;
}

#define BLOCKS(n) mx_cuda_blocks(n, MX_CUDA_THREADS), MX_CUDA_THREADS, 0, mx_cuda_stream()

/* Plain SGD, and NAG without momentum: W −= lr·g. */
__global__ static void sgd_kernel(float *w, const float *g, size_t n, float lr, mx_gnorm gn)
{
    MX_CUDA_FOR(i, n) w[i] -= lr * norm_grad(gn, g[i], w[i]);
}

__global__ static void sgd_mom_kernel(float *w, const float *g, float *mom, size_t n, float lr,
                                      float mu, mx_gnorm gn)
{
    MX_CUDA_FOR(i, n) {
        float wi = w[i];
        float v = mu * mom[i] - lr * norm_grad(gn, g[i], wi);
        mom[i] = v;
        w[i] = wi + v;
    }
}

void mx_cuda_sgd_update(mx_engine *eng, float *w, const float *g, float *mom, size_t n, float lr,
                        float momentum, mx_gnorm gn)
{
    (void)eng;
    if (n == 0) return;
    if (mom) sgd_mom_kernel<<<BLOCKS(n)>>>(w, g, mom, n, lr, momentum, gnorm_on(gn));
    else sgd_kernel<<<BLOCKS(n)>>>(w, g, n, lr, gnorm_on(gn));
    MX_CUDA_LAUNCHED("sgd_update");
}

__global__ static void nag_kernel(float *w, const float *g, float *mom, size_t n, float lr, float mu,
                                  mx_gnorm gn)
{
    MX_CUDA_FOR(i, n) {
        float wi = w[i], gi = norm_grad(gn, g[i], wi);
        float v = mu * mom[i] + gi;
        mom[i] = v;
        w[i] = wi - lr * (gi + mu * v);
    }
}

void mx_cuda_nag_update(mx_engine *eng, float *w, const float *g, float *mom, size_t n, float lr,
                        float momentum, mx_gnorm gn)
{
    (void)eng;
    if (n == 0) return;
    if (mom) nag_kernel<<<BLOCKS(n)>>>(w, g, mom, n, lr, momentum, gnorm_on(gn));
    else sgd_kernel<<<BLOCKS(n)>>>(w, g, n, lr, gnorm_on(gn));
    MX_CUDA_LAUNCHED("nag_update");
}

/* lr holds η·√(1−β2ᵗ)/(1−β1ᵗ) (the caller folds in the bias corrections). */
__global__ static void adam_kernel(float *w, const float *g, float *m, float *v, size_t n, float lr,
                                   float b1, float b2, float eps, mx_gnorm gn)
{
    MX_CUDA_FOR(i, n) {
        float wi = w[i], gi = norm_grad(gn, g[i], wi);
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        w[i] = wi - lr * mi / (sqrtf(vi) + eps);
    }
}

void mx_cuda_adam_update(mx_engine *eng, float *w, const float *g, float *m, float *v, size_t n,
                         float lr, float beta1, float beta2, float eps, mx_gnorm gn)
{
    (void)eng;
    if (n == 0) return;
    adam_kernel<<<BLOCKS(n)>>>(w, g, m, v, n, lr, beta1, beta2, eps, gnorm_on(gn));
    MX_CUDA_LAUNCHED("adam_update");
}

__global__ static void adagrad_kernel(float *w, const float *g, float *s, size_t n, float lr, float eps,
                                      mx_gnorm gn)
{
    MX_CUDA_FOR(i, n) {
        float wi = w[i], gi = norm_grad(gn, g[i], wi);
        float si = s[i] + gi * gi;
        s[i] = si;
        w[i] = wi - lr * gi / sqrtf(si + eps);
    }
}

void mx_cuda_adagrad_update(mx_engine *eng, float *w, const float *g, float *s, size_t n, float lr,
                            float eps, mx_gnorm gn)
{
    (void)eng;
    if (n == 0) return;
    adagrad_kernel<<<BLOCKS(n)>>>(w, g, s, n, lr, eps, gnorm_on(gn));
    MX_CUDA_LAUNCHED("adagrad_update");
}

/* The step uses the accumulated update s of the previous steps, then s
 * takes this step's d². */
__global__ static void adadelta_kernel(float *w, const float *g, float *r, float *s, size_t n,
                                       float lr, float rho, float eps, mx_gnorm gn)
{
    MX_CUDA_FOR(i, n) {
        float wi = w[i], gi = norm_grad(gn, g[i], wi), si = s[i];
        float ri = rho * r[i] + (1.0f - rho) * (gi * gi);
        float d = gi * sqrtf(si + eps) / sqrtf(ri + eps);
        r[i] = ri;
        w[i] = wi - lr * d;
        s[i] = rho * si + (1.0f - rho) * (d * d);
    }
}

void mx_cuda_adadelta_update(mx_engine *eng, float *w, const float *g, float *r, float *s, size_t n,
                             float lr, float rho, float eps, mx_gnorm gn)
{
    (void)eng;
    if (n == 0) return;
    adadelta_kernel<<<BLOCKS(n)>>>(w, g, r, s, n, lr, rho, eps, gnorm_on(gn));
    MX_CUDA_LAUNCHED("adadelta_update");
}

/* lr holds η/(1−β1ᵗ). u = max(β2·u, |g|) as the CPU's compare (not fmaxf,
 * which would drop a NaN gradient). */
__global__ static void adamax_kernel(float *w, const float *g, float *m, float *u, size_t n, float lr,
                                     float b1, float b2, float eps, mx_gnorm gn)
{
    MX_CUDA_FOR(i, n) {
        float wi = w[i], gi = norm_grad(gn, g[i], wi);
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float bu = b2 * u[i], ag = fabsf(gi);
        float ui = bu > ag ? bu : ag;
        m[i] = mi;
        u[i] = ui;
        w[i] = wi - lr * mi / (ui + eps);
    }
}

void mx_cuda_adamax_update(mx_engine *eng, float *w, const float *g, float *m, float *u, size_t n,
                           float lr, float beta1, float beta2, float eps, mx_gnorm gn)
{
    (void)eng;
    if (n == 0) return;
    adamax_kernel<<<BLOCKS(n)>>>(w, g, m, u, n, lr, beta1, beta2, eps, gnorm_on(gn));
    MX_CUDA_LAUNCHED("adamax_update");
}

__global__ static void rmsprop_kernel(float *w, const float *g, float *s, size_t n, float lr, float rho,
                                      float eps, mx_gnorm gn)
{
    MX_CUDA_FOR(i, n) {
        float wi = w[i], gi = norm_grad(gn, g[i], wi);
        float si = rho * s[i] + (1.0f - rho) * (gi * gi);
        s[i] = si;
        w[i] = wi - lr * gi / sqrtf(si + eps);
    }
}

void mx_cuda_rmsprop_update(mx_engine *eng, float *w, const float *g, float *s, size_t n, float lr,
                            float rho, float eps, mx_gnorm gn)
{
    (void)eng;
    if (n == 0) return;
    rmsprop_kernel<<<BLOCKS(n)>>>(w, g, s, n, lr, rho, eps, gnorm_on(gn));
    MX_CUDA_LAUNCHED("rmsprop_update");
}

/* c: the caller's bias corrections (see kernels/kernels.h). */
__global__ static void nadam_kernel(float *w, const float *g, float *m, float *v, size_t n, float lr,
                                    float b1, float b2, float eps, mx_nadam_coef c, mx_gnorm gn)
{
    MX_CUDA_FOR(i, n) {
        float wi = w[i], gi = norm_grad(gn, g[i], wi);
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        w[i] = wi - lr * (c.g * gi + c.m * mi) / (sqrtf(c.v * vi) + eps);
    }
}

void mx_cuda_nadam_update(mx_engine *eng, float *w, const float *g, float *m, float *v, size_t n,
                          float lr, float beta1, float beta2, float eps, mx_nadam_coef c, mx_gnorm gn)
{
    (void)eng;
    if (n == 0) return;
    nadam_kernel<<<BLOCKS(n)>>>(w, g, m, v, n, lr, beta1, beta2, eps, c, gnorm_on(gn));
    MX_CUDA_LAUNCHED("nadam_update");
}
