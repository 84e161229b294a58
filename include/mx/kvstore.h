/** @file
 * kvstore.h — the key-value store that sums gradients across contexts and
 * holds the weights they share (MXNet's KVStore, type "local"). push sums
 * a list of arrays; with an optimizer set the sum is a gradient and
 * updates the stored weight (update on push), otherwise it replaces the
 * stored value; pull copies the stored value out. Every buffer is made at
 * init, so push and pull allocate nothing. A "dist_sync" store (with a
 * transport registered, mx/dist.h) also sums every push over the workers
 * before the update. */
#ifndef MX_KVSTORE_H
#define MX_KVSTORE_H

#include "mx/ndarray.h"
#include "mx/optimizer.h"

/** Key-value store (opaque; MXNet's KVStore). */
typedef struct mx_kvstore mx_kvstore;

/** A store of type "local" (or its alias "device"), or "dist_sync" where a
 * transport is registered (the MPI build under mpirun/srun); "dist_async"
 * is refused. */
mx_kvstore *mx_kvstore_create(const char *type);

/** The store's type name. */
const char *mx_kvstore_type(const mx_kvstore *kv);

/** Rank of this worker (0 for local stores). */
int mx_kvstore_rank(const mx_kvstore *kv);

/** Number of workers (1 for local stores). */
int mx_kvstore_num_workers(const mx_kvstore *kv);

/** Creates key (>= 0, once) holding a copy of value. */
mx_status mx_kvstore_init(mx_kvstore *kv, int key, const mx_nd *value);

/** Sums the n values (same shape as the key's); updates or replaces the
 * stored value as described above. */
mx_status mx_kvstore_push(mx_kvstore *kv, int key, int n, mx_nd *const *values);

/** Copies the stored value of key into each of the n outputs. */
mx_status mx_kvstore_pull(mx_kvstore *kv, int key, int n, mx_nd *const *outs);

/** Makes push run opt's update on the summed gradient; optimizer states
 * for every key already initialised are allocated now (zeroed). Keys
 * initialised later get theirs at init. */
mx_status mx_kvstore_set_optimizer(mx_kvstore *kv, mx_optimizer *opt);

/** A custom update (MXNet.jl's set_updater): weight from the key's summed
 * gradient; return MX_OK, or a status the push returns. */
typedef mx_status (*mx_kv_updater)(void *ctx, int key, const mx_nd *grad, mx_nd *weight);

/** Runs fn(ctx, key, sum, stored weight) on every push instead of the
 * optimizer (NULL: back to the optimizer, or to storing the sum). */
mx_status mx_kvstore_set_updater(mx_kvstore *kv, mx_kv_updater fn, void *ctx);

/** Optimizer state of key (NULL without optimizer), and its float count. */
float *mx_kvstore_state(mx_kvstore *kv, int key, size_t *n);

/** The stored value of key (NULL if unknown), for checkpoints. */
mx_nd *mx_kvstore_value(mx_kvstore *kv, int key);

/** Frees the store. */
void mx_kvstore_free(mx_kvstore *kv);

#endif
