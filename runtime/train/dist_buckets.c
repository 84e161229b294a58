/* dist_buckets.c — dist_sync's gradient buckets, started during backward
 * (dist_buckets.h).
 *
 * Threads: the executor calls the hook on whichever worker ran a step.
 * Every call counts down the buckets of the gradients it completed; only
 * fit's own thread (the one that called backward, worker 0 of the pool)
 * talks to the transport — MPI is initialised FUNNELED — and it starts
 * the buckets strictly in order, so every worker starts the same sums in
 * the same order whatever its schedule. */
#include "dist_buckets.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mx/dist.h"

struct mx_buckets {
    int nparams, nbuckets;
    float *buf;
    int *param_of_arg; /* [argument]: parameter index, or -1 */
    int *bucket_of;    /* [parameter] */
    int *order;        /* parameters in completion order */
    int *first;        /* [bucket + 1]: its parameters are order[first[b] .. first[b+1]) */
    size_t *at;        /* [bucket + 1]: its floats in buf; the stop flag at at[nbuckets] */
    size_t *param_at;  /* [parameter]: its gradient's place in buf */
    float **grad;      /* [parameter] */
    size_t *size;      /* [parameter] floats */
    atomic_int *left;  /* [bucket]: gradients still to complete in this backward */
    int next;          /* the next bucket to start (fit's thread only) */
    int early;         /* buckets the hook started in this backward */
    int last_early;    /* ... in the last finished step */
    mx_status err;     /* a start that failed inside the hook, reported by finish */
    pthread_t owner;   /* fit's thread: the only one that calls the transport */
};

/* Copies bucket k's gradients into buf and starts its sum. */
static mx_status start(mx_buckets *b, int k)
{
    for (int j = b->first[k]; j < b->first[k + 1]; j++) {
        int p = b->order[j];
        memcpy(b->buf + b->param_at[p], b->grad[p], b->size[p] * sizeof(float));
    }
    size_t n = b->at[k + 1] - b->at[k] + (k == b->nbuckets - 1); /* the last one carries the stop flag */
    int r = mx_dist_iallreduce(b->buf + b->at[k], n, k);
    return r < 0 ? (mx_status)-r : MX_OK;
}

/* The executor's gradient hook. The last bucket waits for finish (it
 * carries the stop flag, known only then; backward ends with it anyway). */
static void grads_done(void *ctx, const int *args, int nargs)
{
    mx_buckets *b = ctx;
    for (int k = 0; k < nargs; k++) {
        int p = b->param_of_arg[args[k]];
        if (p >= 0) atomic_fetch_sub_explicit(&b->left[b->bucket_of[p]], 1, memory_order_acq_rel);
    }
    if (!pthread_equal(pthread_self(), b->owner)) return;
    while (b->err == MX_OK && b->next < b->nbuckets - 1 &&
           atomic_load_explicit(&b->left[b->next], memory_order_acquire) == 0) {
        b->err = start(b, b->next++);
        b->early++;
    }
    mx_dist_progress();
}

void mx_buckets_free(mx_buckets *b, mx_exec *e)
{
    if (!b) return;
    if (e) mx_exec_set_grad_hook(e, NULL, NULL);
    free(b->param_of_arg);
    free(b->bucket_of);
    free(b->order);
    free(b->first);
    free(b->at);
    free(b->param_at);
    free(b->grad);
    free(b->size);
    free(b->left);
    free(b);
}

/* Sets each bucket's count of gradients to wait for. */
static void arm(mx_buckets *b)
{
    for (int k = 0; k < b->nbuckets; k++)
        atomic_store_explicit(&b->left[k], b->first[k + 1] - b->first[k], memory_order_relaxed);
    b->next = 0;
    b->err = MX_OK;
    b->owner = pthread_self();
}

mx_buckets *mx_buckets_create(mx_exec *e, const int *param_arg, int nparams, size_t bucket_bytes, float *buf)
{
    int nargs = mx_exec_num_args(e);
    size_t np = nparams > 0 ? (size_t)nparams : 1;
    mx_buckets *b = calloc(1, sizeof *b);
    int *args = calloc((size_t)(nargs ? nargs : 1), sizeof *args);
    if (b) {
        b->param_of_arg = malloc((size_t)(nargs ? nargs : 1) * sizeof *b->param_of_arg);
        b->bucket_of = calloc(np, sizeof *b->bucket_of);
        b->order = calloc(np, sizeof *b->order);
        b->first = calloc(np + 1, sizeof *b->first);
        b->at = calloc(np + 1, sizeof *b->at);
        b->param_at = calloc(np, sizeof *b->param_at);
        b->grad = calloc(np, sizeof *b->grad);
        b->size = calloc(np, sizeof *b->size);
        b->left = calloc(np, sizeof *b->left);
    }
    if (!b || !args || !b->param_of_arg || !b->bucket_of || !b->order || !b->first || !b->at || !b->param_at ||
        !b->grad || !b->size || !b->left) {
        free(args);
        mx_buckets_free(b, NULL);
        mx_set_error(MX_ENOMEM, "fit: out of memory for the gradient buckets");
        return NULL;
    }
    b->nparams = nparams;
    b->buf = buf;
    for (int a = 0; a < nargs; a++) b->param_of_arg[a] = -1;
    for (int p = 0; p < nparams; p++) {
        b->param_of_arg[param_arg[p]] = p;
        b->grad[p] = mx_nd_data(mx_exec_grad(e, param_arg[p]));
        b->size[p] = mx_nd_size(mx_exec_grad(e, param_arg[p]));
    }
    /* Completion order; parameters no step writes go last. */
    int n = 0, got = mx_exec_grad_order(e, args, nargs);
    unsigned char *seen = got >= 0 ? calloc(np, 1) : NULL;
    if (!seen) {
        free(args);
        mx_buckets_free(b, NULL);
        mx_set_error(MX_ENOMEM, "fit: out of memory for the gradient buckets");
        return NULL;
    }
    for (int i = 0; i < got && i < nargs; i++) {
        int p = b->param_of_arg[args[i]];
        if (p >= 0 && !seen[p]) seen[p] = 1, b->order[n++] = p;
    }
    for (int p = 0; p < nparams; p++)
        if (!seen[p]) b->order[n++] = p;
    free(seen);
    free(args);
    /* Cut into buckets of at least bucket_bytes (the last takes what is
     * left, and everything past MX_DIST_SLOTS - 1 buckets). */
    size_t at = 0, in_bucket = 0;
    int k = 0;
    b->first[0] = 0;
    for (int j = 0; j < n; j++) {
        int p = b->order[j];
        b->bucket_of[p] = k;
        b->param_at[p] = at;
        at += b->size[p];
        in_bucket += b->size[p] * sizeof(float);
        if (in_bucket >= bucket_bytes && j < n - 1 && k < MX_DIST_SLOTS - 1) {
            b->first[++k] = j + 1;
            b->at[k] = at;
            in_bucket = 0;
        }
    }
    b->nbuckets = n ? k + 1 : 0;
    b->first[b->nbuckets] = n;
    b->at[b->nbuckets] = at;
    arm(b);
    mx_status st = mx_exec_set_grad_hook(e, grads_done, b);
    if (st != MX_OK) {
        mx_buckets_free(b, NULL);
        return NULL;
    }
    return b;
}

mx_status mx_buckets_finish(mx_buckets *b, mx_exec *e, int *stop)
{
    (void)e;
    size_t flag = b->at[b->nbuckets];
    b->buf[flag] = *stop ? 1.0f : 0.0f;
    mx_status st = b->err;
    while (st == MX_OK && b->next < b->nbuckets) st = start(b, b->next++);
    for (int k = 0; k < b->nbuckets; k++) {
        mx_status w = mx_dist_wait(k);
        if (st == MX_OK) st = w;
    }
    b->last_early = b->early;
    b->early = 0;
    arm(b);
    if (st != MX_OK) return st;
    *stop = b->buf[flag] > 0.0f;
    if (*stop) return MX_OK; /* no update follows: the gradients stay where they are */
    for (int p = 0; p < b->nparams; p++) memcpy(b->grad[p], b->buf + b->param_at[p], b->size[p] * sizeof(float));
    return MX_OK;
}

int mx_buckets_count(const mx_buckets *b) { return b ? b->nbuckets : 0; }

size_t mx_buckets_largest(const mx_buckets *b)
{
    size_t most = 0;
    for (int k = 0; b && k < b->nbuckets; k++)
        if (b->at[k + 1] - b->at[k] > most) most = b->at[k + 1] - b->at[k];
    return most;
}

int mx_buckets_started_early(const mx_buckets *b) { return b ? b->last_early : 0; }
