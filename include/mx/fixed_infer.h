/** @file
 * fixed_infer.h — inference on one fixed, caller-provided buffer, for
 * embedded boards (TFLM's tensor_arena, sized before running).
 *
 * A checkpoint (prefix-symbol.json + prefix-NNNN.params) and an input
 * shape give an exact byte count (mx_fixed_size); mx_fixed_open lays the
 * whole model out in the caller's buffer of that size: the handle, the
 * prepared steps, op parameters, weights, aux states, the input, the
 * planned activations and workspaces (reused by lifetime, in place where
 * the op allows) and the output. After open nothing else is used:
 * mx_fixed_run makes no allocation and creates no thread (one thread,
 * inline). Besides the buffer there is only the library's static GEMM
 * packing scratch (engine.c, MX_ENGINE_SCRATCH_BYTES of .bss, touched only
 * by products large enough to pack) and the stack.
 *
 * Parsing at open does use the heap for a while — the symbol JSON, the
 * .params file, shape inference and the plan — and frees all of it before
 * open (or size) returns: the heap is back where it was, and nothing
 * allocated then is referenced afterwards. Firmware that must not touch
 * the heap at all sizes and opens on the build host, or at start-up.
 *
 * There is nothing to close: the model is gone when the buffer is reused. */
#ifndef MX_FIXED_INFER_H
#define MX_FIXED_INFER_H

#include <stddef.h>
#include "mx/error.h"
#include "mx/shape.h"

/** A model laid out in the caller's buffer (opaque); nothing to free. */
typedef struct mx_fixed mx_fixed;

/** What to load and for which input. */
typedef struct mx_fixed_spec {
    const char *symbol; /**< path of prefix-symbol.json */
    const char *params; /**< path of prefix-NNNN.params (arg:/aux: names) */
    const char *input;  /**< name of the input argument (NULL: "data") */
    mx_shape shape;     /**< input shape, batch first: (N, 784) or (N, 1, 28, 28) */
} mx_fixed_spec;

/** Exact bytes mx_fixed_open needs for spec in a 64-byte aligned buffer
 * (MX_ARENA_ALIGN; a less aligned buffer needs the bytes up to the next
 * 64-byte boundary on top). */
mx_status mx_fixed_size(const mx_fixed_spec *spec, size_t *bytes);

/** Loads spec into buf (size bytes): NULL with an error naming the needed
 * and the given sizes when buf is too small, or naming the file, node or
 * parameter at fault. */
mx_fixed *mx_fixed_open(const mx_fixed_spec *spec, void *buf, size_t size);

/** One forward pass: copies in (input-shape floats; NULL: the input buffer
 * already holds them) and writes the output to out (NULL: read it with
 * mx_fixed_output). No allocation, no thread. */
mx_status mx_fixed_run(mx_fixed *f, const float *in, float *out);

/** The input buffer inside the arena (fill it, then run with in NULL). */
float *mx_fixed_input(mx_fixed *f);

/** The output of the last run, inside the arena. */
const float *mx_fixed_output(const mx_fixed *f);

/** The input shape given at open. */
mx_shape mx_fixed_input_shape(const mx_fixed *f);

/** The output shape (batch first). */
mx_shape mx_fixed_output_shape(const mx_fixed *f);

/** Bytes of the buffer in use, from its start (alignment included). */
size_t mx_fixed_bytes(const mx_fixed *f);

#endif
