/* op_registry.c — the one table of operators, with MXNet's aliases. */
#include <string.h>

#include "mx/symbol.h"
#include "ops.h"

typedef struct op_entry {
    const char *name;
    const mx_op_def *def;
} op_entry;

static const op_entry registry[] = {
    {"FullyConnected", &mx_op_fully_connected},
    {"Activation", &mx_op_activation},
    {"SoftmaxOutput", &mx_op_softmax_output},
    {"Softmax", &mx_op_softmax_output},
    {"LinearRegressionOutput", &mx_op_linear_regression_output},
    {"LogisticRegressionOutput", &mx_op_logistic_regression_output},
    {"Flatten", &mx_op_flatten},
    {"BlockGrad", &mx_op_block_grad},
    {"_Plus", &mx_op_plus},
    {"_Minus", &mx_op_minus},
    {"_Mul", &mx_op_mul},
    {"_Div", &mx_op_div},
    {"_PlusScalar", &mx_op_plus_scalar},
    {"_MinusScalar", &mx_op_minus_scalar},
    {"_RMinusScalar", &mx_op_rminus_scalar},
    {"_MulScalar", &mx_op_mul_scalar},
    {"_DivScalar", &mx_op_div_scalar},
    {"_RDivScalar", &mx_op_rdiv_scalar},
    /* -- convolution ops (issue #3) -- */
    {"Convolution", &mx_op_convolution},
    /* -- pooling and shape ops (issue #3) -- */
    {"Pooling", &mx_op_pooling},
    {"Reshape", &mx_op_reshape},
    {"reshape", &mx_op_reshape},
    {"Concat", &mx_op_concat},
    {"concat", &mx_op_concat},
    /* -- layer ops (issue #3) -- */
    {"Dropout", &mx_op_dropout},
    {"BatchNorm", &mx_op_batch_norm},
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

const char *mx_op_name(int i) { return i >= 0 && i < NOPS ? registry[i].name : NULL; }
