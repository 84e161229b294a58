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
    .fill = mx_cpu_fill,
    .scaled_diff = mx_cpu_scaled_diff,
    .sgd_update = mx_cpu_sgd_update,
    .nag_update = mx_cpu_nag_update,
    .adam_update = mx_cpu_adam_update,
    .adagrad_update = mx_cpu_adagrad_update,
    .adadelta_update = mx_cpu_adadelta_update,
    .adamax_update = mx_cpu_adamax_update,
    .rmsprop_update = mx_cpu_rmsprop_update,
    .nadam_update = mx_cpu_nadam_update,
    /* -- convolution kernels (issue #3) -- */
    /* -- pooling and shape kernels (issue #3) -- */
    /* -- layer kernels: dropout, batchnorm, leakyrelu, softmax activation (issue #3) -- */
};
