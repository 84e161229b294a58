/* activation.c — CPU activation kernels. Backward is written in terms of
 * the output y, so Activation can run in place over its input. Forward
 * uses vmath.h's branch-free functions rather than libm's scalar calls, so
 * each loop vectorises (tanh ~30x faster under AVX-512). */
#include <math.h>

#include "cpu_kernels.h"
#include "cpu_par.h"
#include "cpu_simd.h"
#include "vmath.h"

typedef struct act_job {
    mx_act act;
    const float *x, *dy;
    float *y;
    mx_req req;
} act_job;

MX_SIMD_CLONES static void forward_range(void *p, size_t lo, size_t hi)
{
    act_job *j = p;
    const float *x = j->x;
    float *y = j->y;
    switch (j->act) {
    case MX_ACT_RELU: for (size_t i = lo; i < hi; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f; break;
    case MX_ACT_SIGMOID: for (size_t i = lo; i < hi; i++) y[i] = mx_vsigmoidf(x[i]); break;
    case MX_ACT_TANH: for (size_t i = lo; i < hi; i++) y[i] = mx_vtanhf(x[i]); break;
    case MX_ACT_SOFTRELU: for (size_t i = lo; i < hi; i++) y[i] = mx_vsoftreluf(x[i]); break;
    case MX_ACT_SOFTSIGN: for (size_t i = lo; i < hi; i++) y[i] = x[i] / (1.0f + fabsf(x[i])); break;
    }
}

void mx_cpu_act_forward(mx_engine *eng, mx_act act, const float *x, float *y, size_t n)
{
    act_job j = {act, x, NULL, y, MX_REQ_WRITE};
    /* the transcendental ones cost a few relu-like passes per element */
    mx_cpu_parallel(eng, n, act == MX_ACT_RELU ? MX_CPU_PAR_MIN : MX_CPU_PAR_MIN / 4, forward_range, &j);
}

static inline float dact(mx_act act, float y)
{
    switch (act) {
    case MX_ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
    case MX_ACT_SIGMOID: return y * (1.0f - y);
    case MX_ACT_TANH: return 1.0f - y * y;
    case MX_ACT_SOFTRELU: return -expm1f(-y); /* sigmoid(x) = 1 - e^-y */
    case MX_ACT_SOFTSIGN: { float a = 1.0f - fabsf(y); return a * a; } /* 1/(1+|x|)^2 */
    }
    return 0.0f;
}

/* dx (req) = dy · dact(y) over [lo, hi), one loop per activation: with
 * the switch inside the loop GCC vectorised none of them (softrelu's
 * expm1f call is scalar), and this pass was ~7% of a LeNet epoch. */
#define ACT_LOOP(expr)                                                          \
    do {                                                                        \
        if (j->req == MX_REQ_ADD)                                               \
            for (size_t i = lo; i < hi; i++) dx[i] += dy[i] * (expr);           \
        else                                                                    \
            for (size_t i = lo; i < hi; i++) dx[i] = dy[i] * (expr);            \
    } while (0)

MX_SIMD_CLONES static void backward_range(void *p, size_t lo, size_t hi)
{
    act_job *j = p;
    const float *y = j->x, *dy = j->dy;
    float *dx = j->y;
    switch (j->act) {
    case MX_ACT_RELU:
        if (j->req == MX_REQ_WRITE) {
            for (size_t i = lo; i < hi; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
            break;
        }
        ACT_LOOP(dact(MX_ACT_RELU, y[i]));
        break;
    case MX_ACT_SIGMOID: ACT_LOOP(dact(MX_ACT_SIGMOID, y[i])); break;
    case MX_ACT_TANH: ACT_LOOP(dact(MX_ACT_TANH, y[i])); break;
    case MX_ACT_SOFTRELU: ACT_LOOP(dact(MX_ACT_SOFTRELU, y[i])); break;
    case MX_ACT_SOFTSIGN: ACT_LOOP(dact(MX_ACT_SOFTSIGN, y[i])); break;
    }
}
#undef ACT_LOOP

void mx_cpu_act_backward(mx_engine *eng, mx_act act, const float *y, const float *dy, float *dx,
                         size_t n, mx_req req)
{
    if (req == MX_REQ_NULL) return;
    act_job j = {act, y, dy, dx, req};
    mx_cpu_parallel(eng, n, MX_CPU_PAR_MIN, backward_range, &j);
}
