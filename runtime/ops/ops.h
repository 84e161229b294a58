/* ops.h — private: the operator definitions the registry lists. */
#ifndef MX_RUNTIME_OPS_H
#define MX_RUNTIME_OPS_H

#include <stddef.h>
#include "op.h"

extern const mx_op_def mx_op_fully_connected;
extern const mx_op_def mx_op_activation;
extern const mx_op_def mx_op_softmax_output;
extern const mx_op_def mx_op_linear_regression_output;
extern const mx_op_def mx_op_logistic_regression_output;
extern const mx_op_def mx_op_flatten;
extern const mx_op_def mx_op_block_grad;
extern const mx_op_def mx_op_copy; /* _copy, alias identity */
extern const mx_op_def mx_op_plus, mx_op_minus, mx_op_mul, mx_op_div;
extern const mx_op_def mx_op_plus_scalar, mx_op_minus_scalar, mx_op_rminus_scalar;
extern const mx_op_def mx_op_mul_scalar, mx_op_div_scalar, mx_op_rdiv_scalar;
extern const mx_op_def mx_op_add_n; /* alias ElementWiseSum */
/* -- unary math (math.c; issue #16) -- */
extern const mx_op_def mx_op_abs, mx_op_negative, mx_op_square, mx_op_sqrt, mx_op_rsqrt, mx_op_exp, mx_op_log;
extern const mx_op_def mx_op_clip, mx_op_relu, mx_op_sigmoid, mx_op_tanh;
/* -- shapes and constants (shape_ops.c; issue #16) -- */
extern const mx_op_def mx_op_expand_dims, mx_op_squeeze, mx_op_reshape_like, mx_op_cast;
extern const mx_op_def mx_op_zeros_like, mx_op_ones_like, mx_op_zeros, mx_op_ones, mx_op_make_loss, mx_op_slice_axis;
/* -- reductions, broadcasts, softmax over an axis (issue #16) -- */
extern const mx_op_def mx_op_sum, mx_op_mean, mx_op_max, mx_op_min, mx_op_prod;
extern const mx_op_def mx_op_broadcast_add, mx_op_broadcast_sub, mx_op_broadcast_mul, mx_op_broadcast_div;
extern const mx_op_def mx_op_broadcast_maximum, mx_op_broadcast_minimum, mx_op_broadcast_to, mx_op_broadcast_axis;
extern const mx_op_def mx_op_softmax, mx_op_log_softmax;
/* -- moves, products and the rest (layout_ops.c, dot.c; issue #16) -- */
extern const mx_op_def mx_op_transpose, mx_op_swapaxis, mx_op_slice, mx_op_pad, mx_op_where;
extern const mx_op_def mx_op_dot, mx_op_batch_dot, mx_op_smooth_l1, mx_op_make_loss_plain;

/* -- convolution ops (issue #3) -- */
extern const mx_op_def mx_op_convolution;
extern const mx_op_def mx_op_deconvolution;
extern const mx_op_def mx_op_upsampling;
extern const mx_op_def mx_op_lrn;
extern const mx_op_def mx_op_full;
extern const mx_op_def mx_op_broadcast_like;
extern const mx_op_def mx_op_crop;
extern const mx_op_def mx_op_rnn;
extern const mx_op_def mx_op_l2_normalization;
extern const mx_op_def mx_op_instance_norm;
/* -- pooling and shape ops (issue #3) -- */
extern const mx_op_def mx_op_pooling, mx_op_reshape, mx_op_concat;
/* -- layer ops (issue #3) -- */
extern const mx_op_def mx_op_dropout, mx_op_batch_norm, mx_op_leaky_relu, mx_op_softmax_activation;
/* -- sequence ops (char-LSTM issue) -- */
extern const mx_op_def mx_op_slice_channel, mx_op_embedding;

/* -- fused ops (runtime/graph/fuse.c; not in the registry) -- */
/* _FusedLSTMCell's parameter: gate[r] is the slice of the 4h pre-activation
 * holding role r (0 input σ, 1 transform tanh, 2 forget σ, 3 output σ). */
typedef struct mx_lstm_cell_param {
    int gate[4];
} mx_lstm_cell_param;
extern const mx_op_def mx_op_lstm_cell;
/* _FCGroup's parameter (runtime/graph/fuse_fc.c): parts FullyConnected nodes
 * sharing weight (num_hidden, input width) and bias, each on its own
 * (rows, input width) data. */
typedef struct mx_fc_group_param {
    int parts, num_hidden, no_bias;
} mx_fc_group_param;
extern const mx_op_def mx_op_fc_group;

/* FullyConnected's num_hidden, no_bias and flatten. */
void mx_fc_params(const void *param, int *num_hidden, int *no_bias, int *flatten);

/* SliceChannel's num_outputs; *axis gets its axis resolved for nd-D data
 * (-1 when out of range), *squeeze its squeeze_axis. */
int mx_slice_channel_layout(const void *param, int nd, int *axis, int *squeeze);

/* Activation's function. */
mx_act mx_activation_kind(const void *param);

/* Argument list of ops taking only "data". */
int mx_args_data(const void *param, const char **names);

/* Shape rule of ops whose output has the data's shape (and back). */
mx_status mx_infer_same_as_data(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                                mx_shape *aux, int naux);

/* The reduction of x over the axes where reduced[d] is set, for the
 * kernel table's reduce entries: runs of one kind merged, size-1 axes
 * dropped (reduce.c). */
void mx_reduce_geom_build(const mx_shape *x, const int *reduced, mx_reduce_geom *g);

/* req for a kernel: write, add or nothing. */
static inline float mx_req_beta(mx_req req) { return req == MX_REQ_ADD ? 1.0f : 0.0f; }

#endif
