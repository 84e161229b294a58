/* cpu_par.h — private to kernels/cpu: run a range kernel over the engine,
 * or inline when the range is too small to repay a dispatch (a few µs). */
#ifndef MX_KERNELS_CPU_PAR_H
#define MX_KERNELS_CPU_PAR_H

#include <stddef.h>
#include "mx/engine.h"

/* Below this many elements an elementwise kernel runs on one thread. */
#define MX_CPU_PAR_MIN 8192

/* Body over [begin, end). */
typedef void (*mx_range_fn)(void *ctx, size_t begin, size_t end);

/* Runs fn over [0, n) split statically across eng's workers (or inline
 * when n < min_parallel or eng is NULL). */
void mx_cpu_parallel(mx_engine *eng, size_t n, size_t min_parallel, mx_range_fn fn, void *ctx);

#endif
