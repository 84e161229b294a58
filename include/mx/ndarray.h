/** @file
 * ndarray.h — NDArray: a float32 array with a shape and a context, owning
 * its memory (malloc or an arena) or viewing another's (slices). */
#ifndef MX_NDARRAY_H
#define MX_NDARRAY_H

#include <stdio.h>
#include "mx/arena.h"
#include "mx/context.h"
#include "mx/error.h"
#include "mx/random.h"
#include "mx/shape.h"

/** NDArray handle (opaque): float32 elements, a shape and a context. */
typedef struct mx_nd mx_nd;

/** Elementwise operator of mx_nd_binary and mx_nd_scalar: +, −, ×, ÷. */
typedef enum mx_nd_op { MX_ND_ADD, MX_ND_SUB, MX_ND_MUL, MX_ND_DIV } mx_nd_op;

/** Uninitialised array of shape s on the CPU (one malloc). */
mx_nd *mx_nd_empty(mx_shape s);

/** Uninitialised array whose handle and data come from arena a. */
mx_nd *mx_nd_empty_in(mx_arena *a, mx_shape s);

/** Uninitialised array of shape s on context ctx (a GPU array's data is
 * device memory: read it with mx_nd_copy_to). */
mx_nd *mx_nd_empty_ctx(mx_ctx ctx, mx_shape s);

/** Array on ctx whose handle comes from arena handles and data from arena
 * data (memory on ctx): how a GPU executor keeps handles on the host. */
mx_nd *mx_nd_empty_split(mx_arena *handles, mx_arena *data, mx_ctx ctx, mx_shape s);

/** Arena bytes of one array handle (mx_nd_empty_split's share of handles). */
size_t mx_nd_handle_bytes(void);

/** Arena bytes mx_nd_empty_in takes for an array of shape s. */
size_t mx_nd_arena_bytes(mx_shape s);

/** Array of zeros. */
mx_nd *mx_nd_zeros(mx_shape s);

/** Array of ones. */
mx_nd *mx_nd_ones(mx_shape s);

/** New array holding a copy of n = size(s) floats from src. */
mx_nd *mx_nd_from(mx_shape s, const float *src);

/** Handle viewing caller memory (not freed by mx_nd_free). */
mx_nd *mx_nd_wrap(mx_shape s, float *data);

/** Handle viewing memory on ctx (device memory for a GPU context). */
mx_nd *mx_nd_wrap_ctx(mx_ctx ctx, mx_shape s, float *data);

/** Frees an array made by empty/zeros/ones/from/wrap/slice (arena arrays: no-op). */
void mx_nd_free(mx_nd *nd);

/** Copies n floats from src into nd; n must equal nd's size. */
mx_status mx_nd_copy_from(mx_nd *nd, const float *src, size_t n);

/** Copies nd's contents into dst of capacity n (n must equal nd's size). */
mx_status mx_nd_copy_to(const mx_nd *nd, float *dst, size_t n);

/** dst = src (same size). */
mx_status mx_nd_copy(mx_nd *dst, const mx_nd *src);

/** View of rows [begin, end) along the first axis, sharing memory; the
 * parent must outlive it. */
mx_nd *mx_nd_slice(mx_nd *nd, int64_t begin, int64_t end);

/** Shape of nd. */
mx_shape mx_nd_shape(const mx_nd *nd);

/** Number of elements. */
size_t mx_nd_size(const mx_nd *nd);

/** Number of dimensions. */
int mx_nd_ndim(const mx_nd *nd);

/** Pointer to the elements (host memory for CPU arrays, device memory for GPU ones). */
float *mx_nd_data(const mx_nd *nd);

/** Context of nd. */
mx_ctx mx_nd_context(const mx_nd *nd);

/** New array a op b (same shapes), or NULL with an error naming both shapes. */
mx_nd *mx_nd_binary(mx_nd_op op, const mx_nd *a, const mx_nd *b);

/** In place: dst = dst op b (add_to!, sub_from!, mul_to!, div_from!). */
mx_status mx_nd_binary_to(mx_nd_op op, mx_nd *dst, const mx_nd *b);

/** New array a op s. */
mx_nd *mx_nd_scalar(mx_nd_op op, const mx_nd *a, float s);

/** In place: dst = dst op s. */
mx_status mx_nd_scalar_to(mx_nd_op op, mx_nd *dst, float s);

/** Sets every element to v. */
void mx_nd_fill(mx_nd *nd, float v);

/** Fills with U(lo, hi) from rng (NULL: the global generator). */
void mx_nd_rand_uniform(mx_nd *nd, float lo, float hi, mx_rng *rng);

/** Fills with N(mean, std²) from rng (NULL: the global generator). */
void mx_nd_rand_normal(mx_nd *nd, float mean, float std, mx_rng *rng);

/** Prints shape and (up to max_items) values, MXNet style. */
void mx_nd_print(const mx_nd *nd, FILE *out, size_t max_items);

/** Waits for the operations pending on nd (MXNet's wait_to_read). Reads
 * wait by themselves: mx_nd_data, copies to the host, printing. */
void mx_nd_wait_to_read(const mx_nd *nd);

/** Waits for every pending NDArray operation (MXNet's waitall). */
void mx_nd_wait_all(void);

/** On the CPU, arithmetic, fills and array-to-array copies are pushed
 * and run later by dependency, independent ones side by side (on: the
 * default; MX_ND_ASYNC=0 at start-up turns it off), or at once (off).
 * The same bits either way. */
void mx_nd_set_async(int on);

#endif
