/* sgd.c — the CPU SGD update, fused with MXNet.jl's gradient
 * normalisation (rescale, clip, weight decay) in one pass. */
#include "cpu_kernels.h"
#include "cpu_par.h"
#include "cpu_simd.h"

typedef struct sgd_job {
    float *w, *mom;
    const float *g;
    float lr, momentum, wd, rescale, clip;
} sgd_job;

MX_SIMD_CLONES static void sgd_range(void *p, size_t lo, size_t hi)
{
    sgd_job *j = p;
    for (size_t i = lo; i < hi; i++) {
        float g = j->g[i] * j->rescale;
        if (j->clip > 0.0f) g = g > j->clip ? j->clip : (g < -j->clip ? -j->clip : g);
        g += j->wd * j->w[i];
        if (j->mom) {
            float v = j->momentum * j->mom[i] - j->lr * g;
            j->mom[i] = v;
            j->w[i] += v;
        } else {
            j->w[i] -= j->lr * g;
        }
    }
}

void mx_cpu_sgd_update(mx_engine *eng, float *w, const float *g, float *mom, size_t n, float lr,
                       float momentum, float wd, float rescale, float clip)
{
    sgd_job j = {w, mom, g, lr, momentum, wd, rescale, clip};
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, sgd_range, &j);
}
