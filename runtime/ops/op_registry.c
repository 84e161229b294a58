/* op_registry.c — the one table of operators, with MXNet's aliases, and
 * the argument names of variadic ops. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/symbol.h"
#include "ops.h"

typedef struct op_entry {
    const char *name;
    const mx_op_def *def;
} op_entry;

/* Every name MXNet 1.9 registers for the ops mxrt has that a dense,
 * non-numpy model's symbol file can hold: the canonical name (the def's,
 * which symbol JSON is written with) and its aliases, so any such file
 * MXNet wrote, from 0.8 on, finds its ops (_sparse_* and _npx_* names are
 * left out). */
static const op_entry registry[] = {
    {"FullyConnected", &mx_op_fully_connected},
    {"Activation", &mx_op_activation},
    {"SoftmaxOutput", &mx_op_softmax_output},
    {"Softmax", &mx_op_softmax_output},
    {"LinearRegressionOutput", &mx_op_linear_regression_output},
    {"LogisticRegressionOutput", &mx_op_logistic_regression_output},
    {"Flatten", &mx_op_flatten},
    {"flatten", &mx_op_flatten},
    {"BlockGrad", &mx_op_block_grad},
    {"stop_gradient", &mx_op_block_grad},
    {"_copy", &mx_op_copy},
    {"identity", &mx_op_copy},
    /* symbol arithmetic: MXNet writes elemwise_*; _Plus, … are what its
     * front ends call */
    {"elemwise_add", &mx_op_plus},
    {"_add", &mx_op_plus},
    {"_plus", &mx_op_plus},
    {"_Plus", &mx_op_plus},
    {"elemwise_sub", &mx_op_minus},
    {"_sub", &mx_op_minus},
    {"_minus", &mx_op_minus},
    {"_Minus", &mx_op_minus},
    {"elemwise_mul", &mx_op_mul},
    {"_mul", &mx_op_mul},
    {"_Mul", &mx_op_mul},
    {"elemwise_div", &mx_op_div},
    {"_div", &mx_op_div},
    {"_Div", &mx_op_div},
    {"_plus_scalar", &mx_op_plus_scalar},
    {"_PlusScalar", &mx_op_plus_scalar},
    {"_minus_scalar", &mx_op_minus_scalar},
    {"_MinusScalar", &mx_op_minus_scalar},
    {"_rminus_scalar", &mx_op_rminus_scalar},
    {"_RMinusScalar", &mx_op_rminus_scalar},
    {"_mul_scalar", &mx_op_mul_scalar},
    {"_MulScalar", &mx_op_mul_scalar},
    {"_div_scalar", &mx_op_div_scalar},
    {"_DivScalar", &mx_op_div_scalar},
    {"_rdiv_scalar", &mx_op_rdiv_scalar},
    {"_RDivScalar", &mx_op_rdiv_scalar},
    {"add_n", &mx_op_add_n},
    {"ElementWiseSum", &mx_op_add_n},
    /* -- unary math (issue #16) -- */
    {"abs", &mx_op_abs},
    {"negative", &mx_op_negative},
    {"square", &mx_op_square},
    {"sqrt", &mx_op_sqrt},
    {"rsqrt", &mx_op_rsqrt},
    {"exp", &mx_op_exp},
    {"log", &mx_op_log},
    {"clip", &mx_op_clip},
    {"relu", &mx_op_relu},
    {"sigmoid", &mx_op_sigmoid},
    {"tanh", &mx_op_tanh},
    /* -- shapes and constants (issue #16) -- */
    {"expand_dims", &mx_op_expand_dims},
    {"squeeze", &mx_op_squeeze},
    {"reshape_like", &mx_op_reshape_like},
    {"Cast", &mx_op_cast},
    {"cast", &mx_op_cast},
    {"zeros_like", &mx_op_zeros_like},
    {"ones_like", &mx_op_ones_like},
    {"_zeros", &mx_op_zeros},
    {"_ones", &mx_op_ones},
    {"MakeLoss", &mx_op_make_loss},
    {"slice_axis", &mx_op_slice_axis},
    /* -- reductions, broadcasts, softmax over an axis (issue #16) -- */
    {"sum", &mx_op_sum},
    {"sum_axis", &mx_op_sum},
    {"mean", &mx_op_mean},
    {"max", &mx_op_max},
    {"max_axis", &mx_op_max},
    {"min", &mx_op_min},
    {"min_axis", &mx_op_min},
    {"prod", &mx_op_prod},
    {"broadcast_add", &mx_op_broadcast_add},
    {"broadcast_plus", &mx_op_broadcast_add},
    {"broadcast_sub", &mx_op_broadcast_sub},
    {"broadcast_minus", &mx_op_broadcast_sub},
    {"broadcast_mul", &mx_op_broadcast_mul},
    {"broadcast_div", &mx_op_broadcast_div},
    {"broadcast_maximum", &mx_op_broadcast_maximum},
    {"broadcast_minimum", &mx_op_broadcast_minimum},
    {"broadcast_to", &mx_op_broadcast_to},
    {"broadcast_axis", &mx_op_broadcast_axis},
    {"broadcast_axes", &mx_op_broadcast_axis},
    {"softmax", &mx_op_softmax},
    {"log_softmax", &mx_op_log_softmax},
    /* -- moves, products and the rest (issue #16) -- */
    {"transpose", &mx_op_transpose},
    {"SwapAxis", &mx_op_swapaxis},
    {"swapaxes", &mx_op_swapaxis},
    {"slice", &mx_op_slice},
    {"crop", &mx_op_slice},
    {"Pad", &mx_op_pad},
    {"pad", &mx_op_pad},
    {"where", &mx_op_where},
    {"dot", &mx_op_dot},
    {"batch_dot", &mx_op_batch_dot},
    {"smooth_l1", &mx_op_smooth_l1},
    {"Deconvolution", &mx_op_deconvolution},
    {"UpSampling", &mx_op_upsampling},
    {"LRN", &mx_op_lrn},
    {"L2Normalization", &mx_op_l2_normalization},
    {"InstanceNorm", &mx_op_instance_norm},
    {"_full", &mx_op_full},
    {"broadcast_like", &mx_op_broadcast_like},
    {"Crop", &mx_op_crop},
    {"RNN", &mx_op_rnn},
    {"make_loss", &mx_op_make_loss_plain},
    /* -- convolution ops (issue #3) -- */
    {"Convolution", &mx_op_convolution},
    {"Convolution_v1", &mx_op_convolution}, /* MXNet's legacy op: the same math, a subset of the parameters */
    /* -- pooling and shape ops (issue #3) -- */
    {"Pooling", &mx_op_pooling},
    {"Pooling_v1", &mx_op_pooling}, /* MXNet's legacy op: the same math, a subset of the parameters */
    {"Reshape", &mx_op_reshape},
    {"reshape", &mx_op_reshape},
    {"Concat", &mx_op_concat},
    {"concat", &mx_op_concat},
    /* -- layer ops (issue #3) -- */
    {"Dropout", &mx_op_dropout},
    {"BatchNorm", &mx_op_batch_norm},
    {"BatchNorm_v1", &mx_op_batch_norm}, /* MXNet's legacy op: the same math, a subset of the parameters */
    {"LeakyReLU", &mx_op_leaky_relu},
    {"SoftmaxActivation", &mx_op_softmax_activation},
    /* -- sequence ops (char-LSTM issue) -- */
    {"SliceChannel", &mx_op_slice_channel},
    {"split", &mx_op_slice_channel},
    {"Embedding", &mx_op_embedding},
};

#define NOPS ((int)(sizeof registry / sizeof registry[0]))

const mx_op_def *mx_op_lookup(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; i < NOPS; i++)
        if (!strcmp(registry[i].name, name)) return registry[i].def;
    return NULL;
}

int mx_op_count(void) { return NOPS; }

size_t mx_op_workspace(const mx_op_def *op, const mx_kernels *k, const void *param, const mx_shape *in,
                       const mx_shape *out, int backward)
{
    if (!backward && op->forward_workspace) return op->forward_workspace(k, param, in, out);
    return op->workspace ? op->workspace(k, param, in, out) : 0;
}

/* The names grow in blocks as larger ops are built; a block is never moved
 * or freed, so a name stays valid for the process. */
#define NAMES_PER_BLOCK 1024
#define NAME_BYTES 16

const char *mx_op_arg_name(int i)
{
    static char *blocks[4096]; /* 4M names */
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    if (i < 0 || i / NAMES_PER_BLOCK >= (int)(sizeof blocks / sizeof blocks[0])) return "arg?";
    int b = i / NAMES_PER_BLOCK;
    pthread_mutex_lock(&lock);
    if (!blocks[b] && (blocks[b] = malloc((size_t)NAMES_PER_BLOCK * NAME_BYTES)) != NULL)
        for (int k = 0; k < NAMES_PER_BLOCK; k++)
            snprintf(blocks[b] + (size_t)k * NAME_BYTES, NAME_BYTES, "arg%d", b * NAMES_PER_BLOCK + k);
    const char *name = blocks[b] ? blocks[b] + (size_t)(i % NAMES_PER_BLOCK) * NAME_BYTES : "arg?";
    pthread_mutex_unlock(&lock);
    return name;
}

const char *mx_op_name(int i) { return i >= 0 && i < NOPS ? registry[i].name : NULL; }
