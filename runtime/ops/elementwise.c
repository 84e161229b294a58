/* elementwise.c — symbol arithmetic under MXNet's canonical names:
 * elemwise_add, elemwise_sub, elemwise_mul, elemwise_div on two
 * same-shaped inputs (_Plus, _Minus, … are aliases: op_registry.c), and
 * the scalar forms _plus_scalar, _minus_scalar, _rminus_scalar,
 * _mul_scalar, _div_scalar, _rdiv_scalar (_PlusScalar, …), and add_n
 * (ElementWiseSum) over any number of inputs. */
#include <stddef.h>
#include <stdio.h>

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
BINARY_DEF(mx_op_plus, "elemwise_add", plus_fwd, MX_OP_INPLACE, 0u)
BINARY_DEF(mx_op_minus, "elemwise_sub", minus_fwd, MX_OP_INPLACE, 0u)
BINARY_DEF(mx_op_mul, "elemwise_mul", mul_fwd, 0, 3u)
BINARY_DEF(mx_op_div, "elemwise_div", div_fwd, 0, 3u)

typedef struct scalar_param {
    float scalar;
} scalar_param;

static const mx_param_spec scalar_params[] = {
    {"scalar", MX_P_FLOAT, NULL, offsetof(scalar_param, scalar), NULL, 0, 0, NULL},
    /* MXNet 2.0's: whether the scalar is an integer (only integer inputs see it) */
    {"is_int", MX_P_BOOL, "true", 0, NULL, 0, MX_PF_IGNORED, NULL},
    MX_PARAMS_END,
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
SCALAR_DEF(mx_op_plus_scalar, "_plus_scalar", plus_s, SCALAR_INPLACE, 0u)
SCALAR_DEF(mx_op_minus_scalar, "_minus_scalar", minus_s, SCALAR_INPLACE, 0u)
SCALAR_DEF(mx_op_rminus_scalar, "_rminus_scalar", rminus_s, SCALAR_INPLACE, 0u)
SCALAR_DEF(mx_op_mul_scalar, "_mul_scalar", mul_s, SCALAR_INPLACE, 0u)
SCALAR_DEF(mx_op_div_scalar, "_div_scalar", div_s, SCALAR_INPLACE, 0u)
/* d(s/x) = −s/x² needs x, so x must survive: not in place. */
SCALAR_DEF(mx_op_rdiv_scalar, "_rdiv_scalar", rdiv_s, 0, 1u)

/* -- add_n (alias ElementWiseSum): the sum of num_args same-shaped inputs -- */

typedef struct add_n_param {
    int num_args;
} add_n_param;

static const mx_param_spec add_n_params[] = {
    {"num_args", MX_P_INT, NULL, offsetof(add_n_param, num_args), NULL, 1, 0, NULL},
    MX_PARAMS_END,
};

static int add_n_nargs(const void *param) { return ((const add_n_param *)param)->num_args; }

static int add_n_args(const void *param, const char **names)
{
    const add_n_param *p = param;
    for (int i = 0; i < p->num_args; i++) names[i] = mx_op_arg_name(i);
    return p->num_args;
}

/* Every input and the output share one shape, learnt from any of them. */
static mx_status add_n_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                             mx_shape *aux, int naux)
{
    (void)nout; (void)aux; (void)naux;
    const add_n_param *p = param;
    if (nin != p->num_args)
        return mx_set_error(MX_EINVAL, "parameter 'num_args': %d, but the node has %d inputs", p->num_args, nin);
    const mx_shape *known = out[0].ndim ? &out[0] : NULL;
    for (int i = 0; i < nin && !known; i++)
        if (in[i].ndim) known = &in[i];
    if (!known) return MX_OK;
    mx_shape s = *known;
    char what[32];
    for (int i = 0; i < nin; i++) {
        snprintf(what, sizeof what, "argument 'arg%d'", i);
        mx_status st = mx_shape_assign(&in[i], &s, what);
        if (st != MX_OK) return st;
    }
    return mx_shape_assign(&out[0], &s, "output");
}

static void add_n_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                          mx_tensor *aux)
{
    (void)aux;
    const add_n_param *p = param;
    size_t n = mx_shape_size(&out[0].shape);
    if (p->num_args == 1) {
        if (out[0].data != in[0].data) r->k->scale_copy(r->eng, out[0].data, in[0].data, 1.0f, n, MX_REQ_WRITE);
        return;
    }
    /* left to right, as MXNet sums: ((x0 + x1) + x2) + … */
    r->k->binary(r->eng, MX_BIN_ADD, in[0].data, in[1].data, out[0].data, n);
    for (int i = 2; i < p->num_args; i++) r->k->binary(r->eng, MX_BIN_ADD, out[0].data, in[i].data, out[0].data, n);
}

/* Each input's gradient is the output's. */
static void add_n_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                           const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)in; (void)out; (void)aux;
    const add_n_param *p = param;
    size_t n = mx_shape_size(&dy[0].shape);
    for (int i = 0; i < p->num_args; i++)
        if (req[i] != MX_REQ_NULL) r->k->scale_copy(r->eng, din[i].data, dy[0].data, 1.0f, n, req[i]);
}

const mx_op_def mx_op_add_n = {
    .name = "add_n",
    .param_size = sizeof(add_n_param),
    .params = add_n_params,
    .list_arguments = add_n_args,
    .num_arguments = add_n_nargs,
    .infer_shape = add_n_infer,
    .flags = MX_OP_INPLACE,
    .forward = add_n_forward,
    .backward = add_n_backward,
};
