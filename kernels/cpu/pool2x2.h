/* pool2x2.h — private to kernels/cpu: the fast path of pooling.c for
 * 2×2 windows, stride 2, no padding, over planes of even height and width
 * (LeNet's pooling). The planes are then a sequence of row pairs, each
 * input row pair (2·iw floats, a then b) giving one output row of ow =
 * iw/2 values, independent of plane boundaries: the functions take a run
 * of `pairs` consecutive row pairs. Results equal the general path's bit
 * for bit (same operations on each window in the same order, the first
 * maximum in row-major order winning ties). Types as in pooling.c: 0 max,
 * 1 avg, 2 sum. */
#ifndef MX_KERNELS_CPU_POOL2X2_H
#define MX_KERNELS_CPU_POOL2X2_H

#include <stddef.h>

#include "kernels/kernels.h"

/* y (req) = pool(x) over `pairs` row pairs: x holds pairs·2·2ow floats,
 * y pairs·ow. */
void mx_cpu_pool2x2_forward(int type, const float *x, float *y, size_t pairs, int ow, mx_req req);

/* dx (req) = the gradient routed from dy: every cell of dx is written
 * (a write needs no clearing first). x is needed for max only. */
void mx_cpu_pool2x2_backward(int type, const float *x, const float *dy, float *dx, size_t pairs, int ow,
                             mx_req req);

/* The plain C forms the two use on CPUs without AVX-512 (exposed so that
 * tests/test_pool.c checks them on any machine). */
void mx_cpu_pool2x2_forward_plain(int type, const float *x, float *y, size_t pairs, int ow, mx_req req);
void mx_cpu_pool2x2_backward_plain(int type, const float *x, const float *dy, float *dx, size_t pairs,
                                   int ow, mx_req req);

#endif
