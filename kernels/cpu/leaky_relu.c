/* leaky_relu.c — CPU kernels of the LeakyReLU family. One pair serves
 * leaky, prelu and rrelu: a slope per channel of x viewed as (outer, c,
 * inner), with c = 1 for a single slope and (1, n, 1) for one slope per
 * element. Gradients use the input x, which is right for any slope sign. */
#include <math.h>

#include "cpu_kernels.h"
#include "cpu_par.h"
#include "cpu_simd.h"

typedef struct leaky_job {
    const float *x, *slope, *dy;
    float *y, *dx, *dslope;
    size_t outer, c, inner;
    float alpha;
    mx_req req;
} leaky_job;

/* y over [lo, hi) of the flat index. */
MX_SIMD_CLONES static void prelu_fwd_range(void *p, size_t lo, size_t hi)
{
    leaky_job *j = p;
    const float *x = j->x;
    float *y = j->y;
    if (j->outer == 1 && j->inner == 1) {
        /* one slope per element (rrelu) */
        for (size_t i = lo; i < hi; i++) y[i] = x[i] > 0.0f ? x[i] : j->slope[i] * x[i];
        return;
    }
    /* One run of a channel at a time, so the slope is a loop constant. */
    for (size_t i = lo; i < hi;) {
        size_t row = i / j->inner, end = (row + 1) * j->inner;
        if (end > hi) end = hi;
        float s = j->slope[row % j->c];
        for (; i < end; i++) y[i] = x[i] > 0.0f ? x[i] : s * x[i];
    }
}

void mx_cpu_prelu_forward(mx_engine *eng, const float *x, const float *slope, float leak, float *y,
                          size_t outer, size_t c, size_t inner)
{
    /* (the pool has joined before we return, so &leak outlives its readers) */
    leaky_job j = {x, slope ? slope : &leak, NULL, y, NULL, NULL, outer, c, inner, 0.0f, MX_REQ_WRITE};
    mx_cpu_parallel(eng, outer * c * inner, MX_CPU_PAR_MIN, prelu_fwd_range, &j);
}

/* dslope over channels [lo, hi): each channel summed by one thread in a
 * fixed order (8 double lanes), the same bits for any thread count. */
MX_SIMD_CLONES static void prelu_dslope_range(void *p, size_t lo, size_t hi)
{
    leaky_job *j = p;
    for (size_t ch = lo; ch < hi; ch++) {
        double acc[8] = {0};
        for (size_t o = 0; o < j->outer; o++) {
            size_t off = (o * j->c + ch) * j->inner, i = 0;
            const float *x = j->x + off, *dy = j->dy + off;
            for (; i + 8 <= j->inner; i += 8)
                for (int l = 0; l < 8; l++) acc[l] += x[i + l] < 0.0f ? (double)dy[i + l] * x[i + l] : 0.0;
            for (; i < j->inner; i++) acc[0] += x[i] < 0.0f ? (double)dy[i] * x[i] : 0.0;
        }
        float s = (float)(((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
        if (j->req == MX_REQ_ADD) j->dslope[ch] += s;
        else j->dslope[ch] = s;
    }
}

/* dx over [lo, hi) of the flat index. */
MX_SIMD_CLONES static void prelu_dx_range(void *p, size_t lo, size_t hi)
{
    leaky_job *j = p;
    const float *x = j->x, *dy = j->dy;
    float *dx = j->dx;
    if (j->outer == 1 && j->inner == 1) {
        /* one slope per element (rrelu) */
        for (size_t i = lo; i < hi; i++) {
            float g = x[i] > 0.0f ? dy[i] : j->slope[i] * dy[i];
            if (j->req == MX_REQ_ADD) dx[i] += g;
            else dx[i] = g;
        }
        return;
    }
    for (size_t i = lo; i < hi;) {
        size_t row = i / j->inner, end = (row + 1) * j->inner;
        if (end > hi) end = hi;
        float s = j->slope[row % j->c];
        if (j->req == MX_REQ_ADD)
            for (; i < end; i++) dx[i] += x[i] > 0.0f ? dy[i] : s * dy[i];
        else
            for (; i < end; i++) dx[i] = x[i] > 0.0f ? dy[i] : s * dy[i];
    }
}

void mx_cpu_prelu_backward(mx_engine *eng, const float *x, const float *slope, float leak, const float *dy,
                           float *dx, size_t outer, size_t c, size_t inner, mx_req req_x,
                           float *dslope, mx_req req_s)
{
    if (!slope) slope = &leak;
    /* The slope gradient reads dy in full before dx (maybe dy's buffer) is written. */
    if (dslope && req_s != MX_REQ_NULL) {
        leaky_job js = {x, slope, dy, NULL, NULL, dslope, outer, c, inner, 0.0f, req_s};
        size_t total = outer * c * inner;
        mx_cpu_parallel(eng, c, total < MX_CPU_PAR_MIN ? c + 1 : 2, prelu_dslope_range, &js);
    }
    if (req_x == MX_REQ_NULL || !dx) return;
    leaky_job j = {x, slope, dy, NULL, dx, NULL, outer, c, inner, 0.0f, req_x};
    mx_cpu_parallel(eng, outer * c * inner, MX_CPU_PAR_MIN, prelu_dx_range, &j);
}

/* ELU over [lo, hi). */
MX_SIMD_CLONES static void elu_fwd_range(void *p, size_t lo, size_t hi)
{
    leaky_job *j = p;
    const float *x = j->x;
    float *y = j->y;
    for (size_t i = lo; i < hi; i++) y[i] = x[i] > 0.0f ? x[i] : j->alpha * expm1f(x[i]);
}

void mx_cpu_elu_forward(mx_engine *eng, const float *x, float *y, size_t n, float alpha)
{
    leaky_job j = {x, NULL, NULL, y, NULL, NULL, 1, 1, 1, alpha, MX_REQ_WRITE};
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN / 8, elu_fwd_range, &j);
}

/* ELU gradient over [lo, hi). */
MX_SIMD_CLONES static void elu_bwd_range(void *p, size_t lo, size_t hi)
{
    leaky_job *j = p;
    const float *x = j->x, *dy = j->dy;
    float *dx = j->dx;
    if (j->req == MX_REQ_ADD)
        for (size_t i = lo; i < hi; i++) dx[i] += x[i] > 0.0f ? dy[i] : dy[i] * j->alpha * expf(x[i]);
    else
        for (size_t i = lo; i < hi; i++) dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * j->alpha * expf(x[i]);
}

void mx_cpu_elu_backward(mx_engine *eng, const float *x, const float *dy, float *dx, size_t n,
                         float alpha, mx_req req)
{
    if (req == MX_REQ_NULL) return;
    leaky_job j = {x, NULL, dy, NULL, dx, NULL, 1, 1, 1, alpha, req};
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN / 8, elu_bwd_range, &j);
}
