/* dist.c — the collectives table and the helpers fit uses on top of it. */
#include "mx/dist.h"

#include <stdlib.h>
#include <time.h>

static const mx_dist_ops *dist_ops;
static double stat_seconds, stat_floats;
static long stat_calls;

void mx_dist_register(const mx_dist_ops *ops) { dist_ops = ops; }
const mx_dist_ops *mx_dist_get(void) { return dist_ops; }
int mx_dist_rank(void) { return dist_ops ? dist_ops->rank : 0; }
int mx_dist_size(void) { return dist_ops ? dist_ops->size : 1; }

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

mx_status mx_dist_allreduce(float *buf, size_t n)
{
    if (!dist_ops || dist_ops->size == 1 || n == 0) return MX_OK;
    double t0 = now_seconds();
    mx_status st = dist_ops->allreduce_f32(buf, n);
    stat_seconds += now_seconds() - t0;
    stat_calls++;
    stat_floats += (double)n;
    return st;
}

static unsigned char slot_started[MX_DIST_SLOTS];

int mx_dist_iallreduce(float *buf, size_t n, int slot)
{
    if (!dist_ops || dist_ops->size == 1 || n == 0) return 0;
    if (slot < 0 || slot >= MX_DIST_SLOTS || !dist_ops->iallreduce_f32 || n > (size_t)0x7fffffff) {
        mx_status st = mx_dist_allreduce(buf, n);
        return st == MX_OK ? 0 : -(int)st;
    }
    mx_status st = dist_ops->iallreduce_f32(buf, n, slot);
    if (st != MX_OK) return -(int)st;
    slot_started[slot] = 1;
    stat_floats += (double)n;
    return 1;
}

mx_status mx_dist_wait(int slot)
{
    if (slot < 0 || slot >= MX_DIST_SLOTS || !slot_started[slot]) return MX_OK;
    slot_started[slot] = 0;
    double t0 = now_seconds();
    mx_status st = dist_ops->wait(slot);
    stat_seconds += now_seconds() - t0;
    stat_calls++;
    return st;
}

void mx_dist_progress(void)
{
    if (dist_ops && dist_ops->progress) dist_ops->progress();
}

mx_status mx_dist_allreduce_f64(double *buf, size_t n)
{
    if (!dist_ops || dist_ops->size == 1 || n == 0) return MX_OK;
    return dist_ops->allreduce_f64(buf, n);
}

mx_status mx_dist_bcast(float *buf, size_t n)
{
    if (!dist_ops || dist_ops->size == 1 || n == 0) return MX_OK;
    return dist_ops->bcast_f32(buf, n);
}

mx_status mx_dist_reduce_metric(mx_metric *metric)
{
    if (!dist_ops || dist_ops->size == 1) return MX_OK;
    double local[256];
    int n = mx_metric_state(metric, NULL, 0);
    /* MultiACE over many classes can hold more; this runs once an epoch. */
    double *buf = n <= 256 ? local : malloc((size_t)n * sizeof *buf);
    if (!buf) return mx_set_error(MX_ENOMEM, "dist: out of memory for %d metric sums", n);
    mx_metric_state(metric, buf, n);
    mx_status st = dist_ops->allreduce_f64(buf, (size_t)n);
    if (st == MX_OK) mx_metric_set_state(metric, buf, n);
    if (buf != local) free(buf);
    return st;
}

void mx_dist_abort(int code)
{
    if (dist_ops && dist_ops->size > 1) dist_ops->abort(code);
}

void mx_dist_stats(double *seconds, long *calls, double *floats)
{
    if (seconds) *seconds = stat_seconds;
    if (calls) *calls = stat_calls;
    if (floats) *floats = stat_floats;
}

void mx_dist_stats_reset(void)
{
    stat_seconds = stat_floats = 0;
    stat_calls = 0;
}
