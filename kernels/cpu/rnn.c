/* rnn.c — CPU kernels of the GRU cell of MXNet's fused RNN op: one
 * element a call of kernel_shared.h's formulas (the CUDA kernels call the
 * same), rows split across the engine's workers. */
#include <math.h>

#include "cpu_kernels.h"
#include "cpu_par.h"
#include "kernels/kernel_shared.h"

typedef struct gru_job {
    const float *a, *b, *hp, *act, *dh;
    float *h, *actw, *da, *db, *dhp;
    size_t hs;
} gru_job;

static void gru_fwd_range(void *p, size_t lo, size_t hi)
{
    const gru_job *j = p;
    for (size_t i = lo; i < hi; i++) mx_gru_cell(j->a, j->b, j->hp, j->h, j->actw, i / j->hs, i % j->hs, j->hs);
}

static void gru_bwd_range(void *p, size_t lo, size_t hi)
{
    const gru_job *j = p;
    for (size_t i = lo; i < hi; i++)
        mx_gru_cell_grad(j->act, j->hp, j->dh, j->da, j->db, j->dhp, i / j->hs, i % j->hs, j->hs);
}

void mx_cpu_gru_cell_forward(mx_engine *eng, const float *a, const float *b, const float *hp, float *h, float *act,
                             size_t n, size_t hs)
{
    gru_job j = {.a = a, .b = b, .hp = hp, .h = h, .actw = act, .hs = hs};
    mx_cpu_parallel(eng, n * hs, MX_CPU_PAR_MIN / 4, gru_fwd_range, &j);
}

void mx_cpu_gru_cell_backward(mx_engine *eng, const float *act, const float *hp, const float *dh, float *da,
                              float *db, float *dhp, size_t n, size_t hs)
{
    gru_job j = {.act = act, .hp = hp, .dh = dh, .da = da, .db = db, .dhp = dhp, .hs = hs};
    mx_cpu_parallel(eng, n * hs, MX_CPU_PAR_MIN / 4, gru_bwd_range, &j);
}
