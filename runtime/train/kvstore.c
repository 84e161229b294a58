/* kvstore.c — the "local" KVStore: per key a stored value, a merge buffer
 * for sums and (with an optimizer) its state, all allocated at init on
 * the context of the value it was initialised with — a GPU's values are
 * summed and updated on that GPU (MXNet's "device" store), and arrays
 * from another device pass through a staging buffer there. */
#include "mx/kvstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ndarray/device.h"
#include "mx/dist.h"

typedef struct kv_entry {
    mx_nd *value;  /* the stored weight */
    mx_nd *merge;  /* sum of a push */
    mx_nd *stage;  /* a pushed array from another device, copied here first (GPU stores) */
    float *host;   /* dist GPU stores: the sum's trip through the host for the allreduce */
    float *state;  /* optimizer state (state_n floats), on the value's context */
    size_t state_n;
} kv_entry;

struct mx_kvstore {
    char type[16];
    int nkeys;           /* capacity of entries */
    kv_entry *entries;   /* by key; value NULL = not initialised */
    mx_optimizer *opt;
    mx_kv_updater updater; /* set_updater's: runs instead of opt */
    void *updater_ctx;
    int dist;            /* dist_sync: push also sums over every worker */
};

mx_kvstore *mx_kvstore_create(const char *type)
{
    const char *t = type ? type : "local";
    int dist = !strcmp(t, "dist_sync") || !strcmp(t, "dist");
    if (!strcmp(t, "dist_async")) {
        mx_set_error(MX_ENOTSUP, "kvstore 'dist_async': not supported (updates are synchronous: use dist_sync)");
        return NULL;
    }
    if (dist && !mx_dist_get()) {
        mx_set_error(MX_ENOTSUP, "kvstore '%s': distributed stores need the MPI build (scons mpi=1) and an MPI "
                                 "launch (mpirun, srun)", t);
        return NULL;
    }
    if (!dist && strcmp(t, "local") && strcmp(t, "device")) {
        mx_set_error(MX_EINVAL, "kvstore: unknown type '%s' (local, device, dist_sync, dist_async)", t);
        return NULL;
    }
    mx_kvstore *kv = calloc(1, sizeof *kv);
    if (!kv) { mx_set_error(MX_ENOMEM, "kvstore: out of memory"); return NULL; }
    snprintf(kv->type, sizeof kv->type, "%s", t);
    kv->dist = dist;
    return kv;
}

const char *mx_kvstore_type(const mx_kvstore *kv) { return kv->type; }
int mx_kvstore_rank(const mx_kvstore *kv) { return kv->dist ? mx_dist_rank() : 0; }
int mx_kvstore_num_workers(const mx_kvstore *kv) { return kv->dist ? mx_dist_size() : 1; }

static kv_entry *entry(mx_kvstore *kv, int key, const char *what)
{
    if (key < 0 || key >= kv->nkeys || !kv->entries[key].value) {
        mx_set_error(MX_EINVAL, "kvstore %s: key %d was never initialised", what, key);
        return NULL;
    }
    return &kv->entries[key];
}

static mx_status alloc_state(mx_kvstore *kv, kv_entry *e)
{
    e->state_n = mx_optimizer_state_size(kv->opt, mx_nd_size(e->value));
    if (!e->state_n) return MX_OK;
    mx_ctx c = mx_nd_context(e->value);
    e->state = mx_dev_alloc(c, e->state_n * sizeof(float));
    if (!e->state) return mx_set_error(MX_ENOMEM, "kvstore: out of memory for optimizer state");
    return mx_dev_zero(c, e->state, e->state_n * sizeof(float));
}

mx_status mx_kvstore_init(mx_kvstore *kv, int key, const mx_nd *value)
{
    if (key < 0) return mx_set_error(MX_EINVAL, "kvstore init: negative key %d", key);
    if (key < kv->nkeys && kv->entries[key].value)
        return mx_set_error(MX_EINVAL, "kvstore init: key %d is already initialised", key);
    if (key >= kv->nkeys) {
        int cap = key + 1 > 2 * kv->nkeys ? key + 1 : 2 * kv->nkeys;
        kv_entry *grown = realloc(kv->entries, (size_t)cap * sizeof *grown);
        if (!grown) return mx_set_error(MX_ENOMEM, "kvstore: out of memory");
        memset(grown + kv->nkeys, 0, (size_t)(cap - kv->nkeys) * sizeof *grown);
        kv->entries = grown;
        kv->nkeys = cap;
    }
    kv_entry *e = &kv->entries[key];
    mx_shape s = mx_nd_shape(value);
    mx_ctx c = mx_nd_context(value);
    e->value = mx_nd_empty_ctx(c, s);
    e->merge = mx_nd_empty_ctx(c, s);
    e->stage = c.dev_type == MX_CPU ? NULL : mx_nd_empty_ctx(c, s);
    if (kv->dist && c.dev_type != MX_CPU) e->host = mx_dev_host_alloc(mx_shape_size(&s) * sizeof(float));
    if (!e->value || !e->merge || (c.dev_type != MX_CPU && !e->stage) || (kv->dist && c.dev_type != MX_CPU && !e->host)) {
        mx_dev_host_free(e->host);
        e->host = NULL;
        mx_nd_free(e->value);
        mx_nd_free(e->merge);
        mx_nd_free(e->stage);
        e->value = e->merge = e->stage = NULL;
        return MX_ENOMEM;
    }
    mx_nd_copy(e->value, value);
    return kv->opt ? alloc_state(kv, e) : MX_OK;
}

static mx_status check_list(const kv_entry *e, int key, int n, mx_nd *const *arrays, const char *what)
{
    if (n < 1) return mx_set_error(MX_EINVAL, "kvstore %s: key %d: empty list", what, key);
    mx_shape want = mx_nd_shape(e->value);
    for (int i = 0; i < n; i++) {
        mx_shape got = arrays[i] ? mx_nd_shape(arrays[i]) : (mx_shape){0, {0}};
        if (!mx_shape_equal(&got, &want)) {
            char a[128], b[128];
            return mx_set_error(MX_EINVAL, "kvstore %s: key %d: array %d has shape %s, the key holds %s", what,
                                key, i, mx_shape_str(&got, a, sizeof a), mx_shape_str(&want, b, sizeof b));
        }
    }
    return MX_OK;
}

mx_status mx_kvstore_push(mx_kvstore *kv, int key, int n, mx_nd *const *values)
{
    kv_entry *e = entry(kv, key, "push");
    if (!e) return MX_EINVAL;
    mx_status st = check_list(e, key, n, values, "push");
    if (st != MX_OK) return st;
    /* Summed in list order, so the result does not depend on timing. */
    mx_nd_copy(e->merge, values[0]);
    mx_ctx c = mx_nd_context(e->merge);
    for (int i = 1; i < n; i++) {
        mx_ctx v = mx_nd_context(values[i]);
        if (c.dev_type == MX_CPU || (v.dev_type == c.dev_type && v.dev_id == c.dev_id)) {
            mx_nd_binary_to(MX_ND_ADD, e->merge, values[i]);
        } else {
            mx_nd_copy(e->stage, values[i]);
            mx_nd_binary_to(MX_ND_ADD, e->merge, e->stage);
        }
    }
    if (kv->dist) {
        /* The same sum on every worker, so every worker's update agrees. */
        size_t n = mx_nd_size(e->merge), bytes = n * sizeof(float);
        if (c.dev_type == MX_CPU) {
            if ((st = mx_dist_allreduce(mx_nd_data(e->merge), n)) != MX_OK) return st;
        } else if ((st = mx_dev_copy(e->host, mx_cpu(), mx_nd_data(e->merge), c, bytes)) != MX_OK ||
                   (st = mx_dist_allreduce(e->host, n)) != MX_OK ||
                   (st = mx_dev_copy(mx_nd_data(e->merge), c, e->host, mx_cpu(), bytes)) != MX_OK) {
            return st;
        }
    }
    if (kv->updater) return kv->updater(kv->updater_ctx, key, e->merge, e->value);
    if (kv->opt) mx_optimizer_update(kv->opt, e->value, e->merge, e->state);
    else mx_nd_copy(e->value, e->merge);
    return MX_OK;
}

mx_status mx_kvstore_pull(mx_kvstore *kv, int key, int n, mx_nd *const *outs)
{
    kv_entry *e = entry(kv, key, "pull");
    if (!e) return MX_EINVAL;
    mx_status st = check_list(e, key, n, outs, "pull");
    if (st != MX_OK) return st;
    for (int i = 0; i < n; i++) mx_nd_copy(outs[i], e->value);
    return MX_OK;
}

mx_status mx_kvstore_set_optimizer(mx_kvstore *kv, mx_optimizer *opt)
{
    kv->opt = opt;
    for (int k = 0; k < kv->nkeys; k++) {
        kv_entry *e = &kv->entries[k];
        mx_dev_free(e->value ? mx_nd_context(e->value) : mx_cpu(), e->state);
        e->state = NULL;
        e->state_n = 0;
        if (e->value && opt) {
            mx_status st = alloc_state(kv, e);
            if (st != MX_OK) return st;
        }
    }
    return MX_OK;
}

mx_status mx_kvstore_set_updater(mx_kvstore *kv, mx_kv_updater fn, void *ctx)
{
    if (!kv) return mx_set_error(MX_EINVAL, "mx_kvstore_set_updater: store is NULL");
    kv->updater = fn;
    kv->updater_ctx = ctx;
    return MX_OK;
}

float *mx_kvstore_state(mx_kvstore *kv, int key, size_t *n)
{
    kv_entry *e = entry(kv, key, "state");
    if (n) *n = e ? e->state_n : 0;
    return e ? e->state : NULL;
}

mx_nd *mx_kvstore_value(mx_kvstore *kv, int key)
{
    kv_entry *e = entry(kv, key, "value");
    return e ? e->value : NULL;
}

void mx_kvstore_free(mx_kvstore *kv)
{
    if (!kv) return;
    for (int k = 0; k < kv->nkeys; k++) {
        if (kv->entries[k].value) mx_dev_free(mx_nd_context(kv->entries[k].value), kv->entries[k].state);
        mx_nd_free(kv->entries[k].value);
        mx_nd_free(kv->entries[k].merge);
        mx_nd_free(kv->entries[k].stage);
        mx_dev_host_free(kv->entries[k].host);
    }
    free(kv->entries);
    free(kv);
}
