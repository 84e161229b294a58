/* dropout.c — CPU kernels for the random layers: the dropout mask and its
 * gradient, and the uniform draws RReLU uses for its slopes. Draws come
 * from cpu_hash.h, so a seed gives the same mask for any thread count. */
#include <math.h>

#include "kernels/cpu_hash.h"
#include "cpu_kernels.h"
#include "cpu_par.h"
#include "cpu_simd.h"

typedef struct drop_job {
    uint64_t seed;
    int32_t threshold; /* keep when the draw's 24 bits are below this */
    float scale, lo, hi;
    const float *x;
    float *y;
    unsigned char *mask;
    const unsigned char *cmask;
    mx_req req;
} drop_job;

/* Mask and scaled output over [lo, hi). */
MX_SIMD_CLONES static void forward_range(void *p, size_t lo, size_t hi)
{
    drop_job *j = p;
    /* Locals: the byte stores could alias *j, which would reload it every step. */
    const float *x = j->x;
    float *y = j->y, scale = j->scale;
    unsigned char *mask = j->mask;
    uint64_t seed = j->seed;
    int32_t threshold = j->threshold;
    for (size_t i = lo; i < hi; i++) {
        int keep = mx_hash_bits24(seed, i) < threshold;
        mask[i] = (unsigned char)keep;
        /* A product as MXNet's (mask·x·scale), not a branch: it vectorises. */
        y[i] = x[i] * ((float)keep * scale);
    }
}

void mx_cpu_dropout_forward(mx_engine *eng, unsigned long long seed, float keep, float scale,
                            const float *x, float *y, unsigned char *mask, size_t n)
{
    /* u < keep with u = bits·2⁻²⁴ is bits < ⌈keep·2²⁴⌉ exactly (keep·2²⁴ is exact). */
    drop_job j = {seed, (int32_t)ceilf(keep * 16777216.0f), scale, 0.0f, 0.0f, x, y, mask, NULL,
                  MX_REQ_WRITE};
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN / 4, forward_range, &j);
}

/* dx through the mask over [lo, hi). */
MX_SIMD_CLONES static void backward_range(void *p, size_t lo, size_t hi)
{
    drop_job *j = p;
    const unsigned char *m = j->cmask;
    const float *dy = j->x;
    float *dx = j->y, scale = j->scale;
    if (j->req == MX_REQ_ADD) {
        for (size_t i = lo; i < hi; i++) dx[i] += dy[i] * ((float)m[i] * scale);
    } else {
        for (size_t i = lo; i < hi; i++) dx[i] = dy[i] * ((float)m[i] * scale);
    }
}

void mx_cpu_dropout_backward(mx_engine *eng, const unsigned char *mask, float scale, const float *dy,
                             float *dx, size_t n, mx_req req)
{
    if (req == MX_REQ_NULL) return;
    drop_job j = {0, 0, scale, 0.0f, 0.0f, dy, dx, NULL, mask, req};
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, backward_range, &j);
}

/* U(lo, hi) draws over [lo, hi) of the index. */
MX_SIMD_CLONES static void uniform_range(void *p, size_t lo, size_t hi)
{
    drop_job *j = p;
    float *y = j->y, base = j->lo, span = j->hi - j->lo;
    uint64_t seed = j->seed;
    for (size_t i = lo; i < hi; i++) y[i] = base + span * mx_hash_uniform(seed, i);
}

void mx_cpu_uniform_fill(mx_engine *eng, unsigned long long seed, float *dst, size_t n, float lo,
                         float hi)
{
    drop_job j = {seed, 0, 0.0f, lo, hi, NULL, dst, NULL, NULL, MX_REQ_WRITE};
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN / 4, uniform_range, &j);
}
