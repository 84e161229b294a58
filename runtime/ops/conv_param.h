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

#endif
