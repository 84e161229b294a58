/* elementwise.c — symbol arithmetic: _Plus, _Minus, _Mul, _Div on two
 * same-shaped inputs, and their scalar forms (_PlusScalar, _MinusScalar,
 * _RMinusScalar, _MulScalar, _DivScalar, _RDivScalar). */
#include <stddef.h>

#include "ops.h"

static int binary_args(const void *param, const char **names)
{
    (void)param;
    names[0] = "lhs";
    names[1] = "rhs";
    return 2;
}

static mx_status binary_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                              mx_shape *aux, int naux)
{
    (void)param; (void)nin; (void)nout; (void)aux; (void)naux;
    mx_status st = mx_shape_assign(&in[1], &in[0], "argument 'rhs'");
    if (st == MX_OK) st = mx_shape_assign(&in[0], &in[1], "argument 'lhs'");
    if (st == MX_OK) st = mx_shape_assign(&out[0], &in[0], "output");
    if (st == MX_OK) st = mx_shape_assign(&in[0], &out[0], "argument 'lhs'");
    if (st == MX_OK) st = mx_shape_assign(&in[1], &out[0], "argument 'rhs'");
    return st;
}

#define BINARY_FWD(fn, BIN)                                                                    \
    static void fn(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, \
                   mx_tensor *aux)                                                             \
    {                                                                                          \
        (void)param; (void)aux;                                                                \
        r->k->binary(r->eng, BIN, in[0].data, in[1].data, out[0].data,                         \
                     mx_shape_size(&out[0].shape));                                            \
    }                                                                                          \
    static void fn##_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy,           \
                         const mx_tensor *in, const mx_tensor *out, mx_tensor *din,            \
                         const mx_req *req, mx_tensor *aux)                                    \
    {                                                                                          \
        (void)param; (void)out; (void)aux;                                                     \
        r->k->binary_backward(r->eng, BIN, in[0].data, in[1].data, dy[0].data, din[0].data,    \
                              req[0], din[1].data, req[1], mx_shape_size(&dy[0].shape));       \
    }

BINARY_FWD(plus_fwd, MX_BIN_ADD)
BINARY_FWD(minus_fwd, MX_BIN_SUB)
BINARY_FWD(mul_fwd, MX_BIN_MUL)
BINARY_FWD(div_fwd, MX_BIN_DIV)

#define BINARY_DEF(var, NAME, fn, FLAGS, NEEDS)                                                \
    const mx_op_def var = {.name = NAME, .list_arguments = binary_args,                        \
                           .infer_shape = binary_infer, .flags = FLAGS, .bwd_needs_in = NEEDS, \
                           .forward = fn, .backward = fn##_bwd};

/* + and − need no inputs in backward, so they may overwrite lhs. */
BINARY_DEF(mx_op_plus, "_Plus", plus_fwd, MX_OP_INPLACE, 0u)
BINARY_DEF(mx_op_minus, "_Minus", minus_fwd, MX_OP_INPLACE, 0u)
BINARY_DEF(mx_op_mul, "_Mul", mul_fwd, 0, 3u)
BINARY_DEF(mx_op_div, "_Div", div_fwd, 0, 3u)

typedef struct scalar_param {
    float scalar;
} scalar_param;

static const mx_param_spec scalar_params[] = {
    {"scalar", MX_P_FLOAT, NULL, offsetof(scalar_param, scalar), NULL, 0},
    {NULL, 0, NULL, 0, NULL, 0},
};

#define SCALAR_FWD(fn, BIN)                                                                    \
    static void fn(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, \
                   mx_tensor *aux)                                                             \
    {                                                                                          \
        (void)aux;                                                                             \
        r->k->scalar(r->eng, BIN, in[0].data, ((const scalar_param *)param)->scalar,           \
                     out[0].data, mx_shape_size(&out[0].shape));                               \
    }                                                                                          \
    static void fn##_bwd(const mx_op_run *r, const void *param, const mx_tensor *dy,           \
                         const mx_tensor *in, const mx_tensor *out, mx_tensor *din,            \
                         const mx_req *req, mx_tensor *aux)                                    \
    {                                                                                          \
        (void)out; (void)aux;                                                                  \
        r->k->scalar_backward(r->eng, BIN, in[0].data, ((const scalar_param *)param)->scalar,  \
                              dy[0].data, din[0].data, req[0], mx_shape_size(&dy[0].shape));   \
    }

SCALAR_FWD(plus_s, MX_BIN_ADD)
SCALAR_FWD(minus_s, MX_BIN_SUB)
SCALAR_FWD(rminus_s, MX_BIN_RSUB)
SCALAR_FWD(mul_s, MX_BIN_MUL)
SCALAR_FWD(div_s, MX_BIN_DIV)
SCALAR_FWD(rdiv_s, MX_BIN_RDIV)

#define SCALAR_DEF(var, NAME, fn, FLAGS, NEEDS)                                                \
    const mx_op_def var = {.name = NAME, .param_size = sizeof(scalar_param),                   \
                           .params = scalar_params, .list_arguments = mx_args_data,            \
                           .infer_shape = mx_infer_same_as_data, .flags = FLAGS,               \
                           .bwd_needs_in = NEEDS, .forward = fn, .backward = fn##_bwd};

#define SCALAR_INPLACE (MX_OP_INPLACE | MX_OP_BWD_INPLACE)
SCALAR_DEF(mx_op_plus_scalar, "_PlusScalar", plus_s, SCALAR_INPLACE, 0u)
SCALAR_DEF(mx_op_minus_scalar, "_MinusScalar", minus_s, SCALAR_INPLACE, 0u)
SCALAR_DEF(mx_op_rminus_scalar, "_RMinusScalar", rminus_s, SCALAR_INPLACE, 0u)
SCALAR_DEF(mx_op_mul_scalar, "_MulScalar", mul_s, SCALAR_INPLACE, 0u)
SCALAR_DEF(mx_op_div_scalar, "_DivScalar", div_s, SCALAR_INPLACE, 0u)
/* d(s/x) = −s/x² needs x, so x must survive: not in place. */
SCALAR_DEF(mx_op_rdiv_scalar, "_RDivScalar", rdiv_s, 0, 1u)
