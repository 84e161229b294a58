/* conv_param.h — private to runtime/ops: the per-axis parameter helpers
 * Convolution and Deconvolution share (kernel, stride, dilate, pad, adj
 * given as (w,) or (h, w), or unset). */
#ifndef MX_RUNTIME_OPS_CONV_PARAM_H
#define MX_RUNTIME_OPS_CONV_PARAM_H

#include "ops.h"
#include "shape_param.h"

/* Entry i of an optional per-axis parameter, def when not given. */
int64_t mx_conv_axis(const mx_shape *s, int i, int64_t def);

/* A per-axis parameter, when given, must have rank entries, each in
 * [lo, INT_MAX]; the error names the parameter. */
mx_status mx_conv_check_axes(const mx_shape *s, const char *name, int rank, int64_t lo);

/* The checks Convolution and Deconvolution share, what names the op in
 * messages: a 1-D or 2-D kernel (3-D: not supported), stride, dilate and
 * pad of its rank, layout (0 None, 1 NCW, 2 NCHW) fitting it, num_filter
 * divisible by num_group. */
mx_status mx_conv_check_common(const char *what, const mx_shape *kernel, const mx_shape *stride,
                               const mx_shape *dilate, const mx_shape *pad, int layout, int num_filter, int num_group);

/* The convolution geometry g run backwards (a deconvolution: g's output
 * is the data, g's input the result; deconvolution.c): y = deconv(x, w)
 * + b (b NULL: none); r->workspace holds mx_deconv_workspace(g) bytes. */
void mx_deconv_forward(const mx_op_run *r, const mx_conv_geom *g, const float *x, const float *w, const float *b,
                       float *y);

/* Its gradients from dy: dx (rx), dw (rw), db (rb; db NULL: none). */
void mx_deconv_backward(const mx_op_run *r, const mx_conv_geom *g, const float *x, const float *w, const float *dy,
                        float *dx, mx_req rx, float *dw, mx_req rw, float *db, mx_req rb);

/* Workspace bytes the two need on the device of k. */
size_t mx_deconv_workspace(const mx_kernels *k, const mx_conv_geom *g);

#endif
