/* batchnorm.c — CPU BatchNorm over x viewed as (outer, c, inner). Work is
 * split by channel: each channel is reduced by one thread in a fixed order
 * (double accumulators), so statistics and gradients have the same bits
 * for any thread count. Channels go in blocks so that the (N, C) layout
 * (inner = 1) still reads rows contiguously. */
#include <math.h>

#include "cpu_kernels.h"
#include "cpu_par.h"
#include "cpu_simd.h"

#define BN_BLOCK 32 /* channels reduced together */

typedef struct bn_job {
    const float *x, *dy, *gamma, *beta, *cmean, *cinvstd;
    float *y, *dx, *mean, *var, *invstd, *dgamma, *dbeta;
    size_t outer, c, inner;
    float eps;
    int batch_stats;
    mx_req req_x, req_g, req_b;
} bn_job;

/* Sums in 8 independent double lanes, combined in a fixed order: the
 * loop vectorises without reassociation and the bits never change. */
#define LANES 8

/* The lanes added pairwise, always in this order. */
static inline double lane_total(const double *acc)
{
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* Σ x[i]. */
static inline double sum_x(const float *x, size_t n)
{
    double acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) acc[l] += x[i + l];
    for (; i < n; i++) acc[0] += x[i];
    return lane_total(acc);
}

/* Σ (x[i] − m)². */
static inline double sum_sq_dev(const float *x, double m, size_t n)
{
    double acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) {
            double d = x[i + l] - m;
            acc[l] += d * d;
        }
    for (; i < n; i++) acc[0] += (x[i] - m) * (x[i] - m);
    return lane_total(acc);
}

/* Σ dy[i] into *a and Σ dy[i]·(x[i] − m) into *b. */
static inline void sum_dy_dot(const float *dy, const float *x, double m, size_t n, double *a,
                              double *b)
{
    double sa[LANES] = {0}, sb[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) {
            sa[l] += dy[i + l];
            sb[l] += dy[i + l] * (x[i + l] - m);
        }
    for (; i < n; i++) {
        sa[0] += dy[i];
        sb[0] += dy[i] * (x[i] - m);
    }
    *a = lane_total(sa);
    *b = lane_total(sb);
}

/* Per-channel sums over (outer, inner) for channels [c0, c1): Σx (mean
 * NULL), Σ(x − mean)² (mean given), or with j->dy set Σdy and
 * Σdy·(x − mean) (backward). */
static inline void channel_sums(const bn_job *j, size_t c0, size_t c1, const float *mean, double *s1,
                                double *s2)
{
    size_t stride = j->c * j->inner;
    for (size_t k = 0; k < c1 - c0; k++) s1[k] = s2[k] = 0.0;
    if (j->inner == 1) {
        /* (N, C): each row holds the block's channels side by side, so
         * the channel loop is the contiguous (vector) one. */
        for (size_t o = 0; o < j->outer; o++) {
            const float *xr = j->x + o * stride, *gr = j->dy ? j->dy + o * stride : NULL;
            if (gr)
                for (size_t ch = c0; ch < c1; ch++) {
                    s1[ch - c0] += gr[ch];
                    s2[ch - c0] += (double)gr[ch] * (xr[ch] - mean[ch]);
                }
            else if (!mean)
                for (size_t ch = c0; ch < c1; ch++) s1[ch - c0] += xr[ch];
            else
                for (size_t ch = c0; ch < c1; ch++) {
                    double d = (double)xr[ch] - mean[ch];
                    s2[ch - c0] += d * d;
                }
        }
        return;
    }
    for (size_t o = 0; o < j->outer; o++) {
        for (size_t ch = c0; ch < c1; ch++) {
            const float *xr = j->x + o * stride + ch * j->inner;
            double a = 0.0, b = 0.0;
            if (j->dy) sum_dy_dot(j->dy + o * stride + ch * j->inner, xr, mean[ch], j->inner, &a, &b);
            else if (!mean) a = sum_x(xr, j->inner);
            else b = sum_sq_dev(xr, mean[ch], j->inner);
            s1[ch - c0] += a;
            s2[ch - c0] += b;
        }
    }
}

/* Statistics (training) and output for channels [lo, hi). */
MX_SIMD_CLONES static void forward_channels(void *p, size_t lo, size_t hi)
{
    bn_job *j = p;
    double m = (double)j->outer * (double)j->inner;
    size_t stride = j->c * j->inner;
    double s1[BN_BLOCK], s2[BN_BLOCK];
    for (size_t c0 = lo; c0 < hi; c0 += BN_BLOCK) {
        size_t c1 = c0 + BN_BLOCK < hi ? c0 + BN_BLOCK : hi;
        if (j->batch_stats) {
            /* Two passes (mean, then squared deviations): no cancellation. */
            channel_sums(j, c0, c1, NULL, s1, s2);
            for (size_t ch = c0; ch < c1; ch++) j->mean[ch] = (float)(s1[ch - c0] / m);
            channel_sums(j, c0, c1, j->mean, s1, s2);
            for (size_t ch = c0; ch < c1; ch++) j->var[ch] = (float)(s2[ch - c0] / m);
        }
        for (size_t ch = c0; ch < c1; ch++) j->invstd[ch] = 1.0f / sqrtf(j->var[ch] + j->eps);
        for (size_t o = 0; o < j->outer; o++) {
            for (size_t ch = c0; ch < c1; ch++) {
                const float *xr = j->x + o * stride + ch * j->inner;
                float *yr = j->y + o * stride + ch * j->inner;
                float mu = j->mean[ch], a = j->invstd[ch] * (j->gamma ? j->gamma[ch] : 1.0f);
                float b = j->beta[ch];
                for (size_t i = 0; i < j->inner; i++) yr[i] = (xr[i] - mu) * a + b;
            }
        }
    }
}

/* Runs fn over the channels: inline when the whole tensor is small. */
static void run_channels(mx_engine *eng, bn_job *j, mx_range_fn fn)
{
    size_t total = j->outer * j->c * j->inner;
    mx_cpu_parallel(eng, j->c, total < MX_CPU_PAR_MIN ? j->c + 1 : 2, fn, j);
}

void mx_cpu_batchnorm_forward(mx_engine *eng, const float *x, float *y, size_t outer, size_t c,
                              size_t inner, const float *gamma, const float *beta, float eps,
                              float *mean, float *var, float *invstd, int batch_stats)
{
    bn_job j = {0};
    j.x = x; j.y = y; j.gamma = gamma; j.beta = beta;
    j.mean = mean; j.var = var; j.invstd = invstd;
    j.outer = outer; j.c = c; j.inner = inner;
    j.eps = eps;
    j.batch_stats = batch_stats;
    run_channels(eng, &j, forward_channels);
}

/* *dst = v or += v as req says. */
static void store(float *dst, float v, mx_req req)
{
    if (req == MX_REQ_ADD) *dst += v;
    else if (req == MX_REQ_WRITE) *dst = v;
}

/* Sums, dgamma/dbeta and dx for channels [lo, hi). */
MX_SIMD_CLONES static void backward_channels(void *p, size_t lo, size_t hi)
{
    bn_job *j = p;
    double m = (double)j->outer * (double)j->inner;
    size_t stride = j->c * j->inner;
    double s1[BN_BLOCK], s2[BN_BLOCK];
    for (size_t c0 = lo; c0 < hi; c0 += BN_BLOCK) {
        size_t c1 = c0 + BN_BLOCK < hi ? c0 + BN_BLOCK : hi;
        /* All of a block's sums are taken before its dx is written, so dx
         * may share dy's buffer. */
        channel_sums(j, c0, c1, j->cmean, s1, s2);
        for (size_t ch = c0; ch < c1; ch++) {
            float sdy = (float)s1[ch - c0], sdx = (float)(s2[ch - c0] * j->cinvstd[ch]);
            if (j->dbeta) store(&j->dbeta[ch], sdy, j->req_b);
            if (j->dgamma) store(&j->dgamma[ch], j->gamma ? sdx : 0.0f, j->req_g);
        }
        if (j->req_x == MX_REQ_NULL) continue;
        for (size_t o = 0; o < j->outer; o++) {
            for (size_t ch = c0; ch < c1; ch++) {
                size_t off = o * stride + ch * j->inner;
                const float *xr = j->x + off, *gr = j->dy + off;
                float *dr = j->dx + off;
                float is = j->cinvstd[ch], g = is * (j->gamma ? j->gamma[ch] : 1.0f);
                float mu = j->cmean[ch], gm = 0.0f, k = 0.0f;
                if (j->batch_stats) {
                    gm = (float)(s1[ch - c0] / m);
                    k = (float)(s2[ch - c0] / m) * is * is;
                }
                if (j->req_x == MX_REQ_ADD)
                    for (size_t i = 0; i < j->inner; i++) dr[i] += (gr[i] - gm - (xr[i] - mu) * k) * g;
                else
                    for (size_t i = 0; i < j->inner; i++) dr[i] = (gr[i] - gm - (xr[i] - mu) * k) * g;
            }
        }
    }
}

void mx_cpu_batchnorm_backward(mx_engine *eng, const float *x, const float *dy, float *dx,
                               size_t outer, size_t c, size_t inner, const float *mean,
                               const float *invstd, const float *gamma, int batch_stats,
                               mx_req req_x, float *dgamma, mx_req req_g, float *dbeta, mx_req req_b)
{
    bn_job j = {0};
    j.x = x; j.dy = dy; j.dx = dx; j.gamma = gamma;
    j.cmean = mean; j.cinvstd = invstd;
    j.outer = outer; j.c = c; j.inner = inner;
    j.batch_stats = batch_stats;
    j.req_x = dx ? req_x : MX_REQ_NULL;
    j.dgamma = req_g != MX_REQ_NULL ? dgamma : NULL;
    j.dbeta = req_b != MX_REQ_NULL ? dbeta : NULL;
    j.req_g = req_g; j.req_b = req_b;
    run_channels(eng, &j, backward_channels);
}
