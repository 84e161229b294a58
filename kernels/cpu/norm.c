/* norm.c — CPU kernels of MXNet's local response normalisation (LRN):
 * one element at a time over the flat index, the formulas shared with
 * CUDA (kernel_shared.h), so the devices agree bit for bit on the math. */
#include <math.h>

#include "cpu_kernels.h"
#include "cpu_par.h"
#include "kernels/kernel_shared.h"

typedef struct lrn_job {
    const float *x, *dy;
    float *y;
    size_t c, inner;
    int n;
    float alpha, beta, knorm;
    mx_req req;
} lrn_job;

static void lrn_fwd_range(void *p, size_t lo, size_t hi)
{
    const lrn_job *j = p;
    for (size_t i = lo; i < hi; i++)
        j->y[i] = j->x[i] * powf(mx_lrn_scale(j->x, i, j->c, j->inner, j->n, j->alpha, j->knorm), -j->beta);
}

static void lrn_bwd_range(void *p, size_t lo, size_t hi)
{
    const lrn_job *j = p;
    for (size_t i = lo; i < hi; i++) {
        float g = mx_lrn_grad(j->x, j->dy, i, j->c, j->inner, j->n, j->alpha, j->beta, j->knorm);
        if (j->req == MX_REQ_ADD) j->y[i] += g;
        else j->y[i] = g;
    }
}

void mx_cpu_lrn_forward(mx_engine *eng, const float *x, float *y, size_t outer, size_t c, size_t inner, int nsize,
                        float alpha, float beta, float knorm)
{
    lrn_job j = {x, NULL, y, c, inner, nsize, alpha, beta, knorm, MX_REQ_WRITE};
    mx_cpu_parallel(eng, outer * c * inner, MX_CPU_PAR_MIN / 8, lrn_fwd_range, &j);
}

void mx_cpu_lrn_backward(mx_engine *eng, const float *x, const float *dy, float *dx, mx_req req, size_t outer,
                         size_t c, size_t inner, int nsize, float alpha, float beta, float knorm)
{
    if (req == MX_REQ_NULL) return;
    lrn_job j = {x, dy, dx, c, inner, nsize, alpha, beta, knorm, req};
    mx_cpu_parallel(eng, outer * c * inner, MX_CPU_PAR_MIN / 32, lrn_bwd_range, &j);
}
