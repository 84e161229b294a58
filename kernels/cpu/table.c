/* table.c — the CPU entry of the per-device kernel table. */
#include "cpu_kernels.h"
#include "sgemm.h"

const mx_kernels mx_cpu_kernels = {
    .name = "cpu",
    .gemm = mx_sgemm,
    .fill_rows = mx_cpu_fill_rows,
    .sum_rows = mx_cpu_sum_rows,
    .act_forward = mx_cpu_act_forward,
    .act_backward = mx_cpu_act_backward,
    .softmax = mx_cpu_softmax,
    .softmax_ce_grad = mx_cpu_softmax_ce_grad,
    .count_not_equal = mx_cpu_count_not_equal,
    .binary = mx_cpu_binary,
    .scalar = mx_cpu_scalar,
    .binary_backward = mx_cpu_binary_backward,
    .scalar_backward = mx_cpu_scalar_backward,
    .scale_copy = mx_cpu_scale_copy,
    .unary = mx_cpu_unary,
    .unary_backward = mx_cpu_unary_backward,
    .copy_block = mx_cpu_copy_block,
    .reduce = mx_cpu_reduce,
    .reduce_backward = mx_cpu_reduce_backward,
    .bcast_binary = mx_cpu_bcast_binary,
    .bcast_grad = mx_cpu_bcast_grad,
    .scatter = mx_cpu_scatter,
    .where = mx_cpu_where,
    .where_backward = mx_cpu_where_backward,
    .lrn_forward = mx_cpu_lrn_forward,
    .lrn_backward = mx_cpu_lrn_backward,
    .log_softmax = mx_cpu_log_softmax,
    .log_softmax_backward = mx_cpu_log_softmax_backward,
    .fill = mx_cpu_fill,
    .copy_segments = mx_cpu_copy_segments,
    .scaled_diff = mx_cpu_scaled_diff,
#ifndef MX_INFER_ONLY /* profile=infer links no optimizer (the entries stay NULL) */
    .sgd_update = mx_cpu_sgd_update,
    .nag_update = mx_cpu_nag_update,
    .adam_update = mx_cpu_adam_update,
    .adagrad_update = mx_cpu_adagrad_update,
    .adadelta_update = mx_cpu_adadelta_update,
    .adamax_update = mx_cpu_adamax_update,
    .rmsprop_update = mx_cpu_rmsprop_update,
    .nadam_update = mx_cpu_nadam_update,
#endif
    /* -- convolution kernels (issue #3) -- */
    .conv_workspace = mx_cpu_conv_workspace,
    .conv_forward = mx_cpu_conv_forward,
    .conv_backward = mx_cpu_conv_backward,
    /* -- pooling and shape kernels (issue #3) -- */
    .pool_forward = mx_cpu_pool_forward,
    .pool_backward = mx_cpu_pool_backward,
    .concat = mx_cpu_concat,
    .split = mx_cpu_split,
    /* -- layer kernels: dropout, batchnorm, leakyrelu, softmax activation (issue #3) -- */
    .dropout_forward = mx_cpu_dropout_forward,
    .dropout_backward = mx_cpu_dropout_backward,
    .uniform_fill = mx_cpu_uniform_fill,
    .batchnorm_forward = mx_cpu_batchnorm_forward,
    .batchnorm_backward = mx_cpu_batchnorm_backward,
    .prelu_forward = mx_cpu_prelu_forward,
    .prelu_backward = mx_cpu_prelu_backward,
    .elu_forward = mx_cpu_elu_forward,
    .elu_backward = mx_cpu_elu_backward,
    .softmax_backward = mx_cpu_softmax_backward,
    .embedding_forward = mx_cpu_embedding_forward,
    .embedding_backward = mx_cpu_embedding_backward,
#ifndef MX_INFER_ONLY /* only bind fuses cells; fixed inference plans the plain ops */
    /* -- the fused LSTM cell (issue #7) -- */
    .lstm_cell_forward = mx_cpu_lstm_cell_forward,
    .lstm_cell_backward = mx_cpu_lstm_cell_backward,
#endif
};
