/* op.h — private: what an operator definition is. The registry
 * (op_registry.c) is one table of these; each op family is one file in
 * runtime/ops/ holding semantics (parameters, arguments, shapes, in-place
 * rules) and calling kernels through the per-device table for the math. */
#ifndef MX_RUNTIME_OP_H
#define MX_RUNTIME_OP_H

#include <stddef.h>
#include <stdint.h>
#include "kernels/kernels.h"
#include "mx/error.h"
#include "mx/random.h"
#include "mx/shape.h"

/* variables mx_op_args makes for a variadic op given no inputs */
#define MX_OP_MAX_FREE_ARGS 4096
#define MX_OP_MAX_ARGS 8 /* a fixed-argument op's arguments; variadic ops (Concat) have num_arguments */
/* Inputs of any node, the rewrites' own ops too (fuse_fc.c's group of
 * MX_FC_GROUP_MAX FullyConnected parts takes each part's data, the weight
 * and the bias). Code walking a graph sizes its arrays by this. */
#define MX_FC_GROUP_MAX 62
#define MX_NODE_MAX_INPUTS (MX_FC_GROUP_MAX + 2)
#define MX_OP_MAX_OUTPUTS 64 /* SliceChannel's num_outputs; only infer.c sizes a stack array by it */
#define MX_OP_MAX_AUX 4

/* MX_P_TEXT: any string (a context name MXNet writes), only as MX_PF_IGNORED.
 * MX_P_TUPLE: a tuple whose entries may be None (slice's begin, end, step),
 * into an mx_shape with MX_TUPLE_NONE for each None. */
typedef enum mx_param_type { MX_P_INT, MX_P_FLOAT, MX_P_BOOL, MX_P_ENUM, MX_P_SHAPE, MX_P_TEXT, MX_P_TUPLE } mx_param_type;
#define MX_TUPLE_NONE INT64_MIN

/* mx_param_spec.flags */
enum {
    /* MXNet's "X or None" (dmlc::optional): the text None means the default. */
    MX_PF_OPTIONAL = 1,
    /* Accepted and checked, but it does not change a result here (cuDNN
     * choices, workspace sizes, quantization ranges): stored nowhere. */
    MX_PF_IGNORED = 2,
};

/* One parameter: MXNet's name, type, default text (NULL = required), where
 * it goes in the op's param struct, enum choices, and an integer floor.
 * Every parameter MXNet 1.9 defines for an op is listed, so any file MXNet
 * wrote parses; values mxrt cannot run are refused as not supported. */
typedef struct mx_param_spec {
    const char *name;
    mx_param_type type;
    const char *def;
    size_t offset;
    const char *const *choices; /* MX_P_ENUM: NULL-terminated names mxrt runs */
    long min;                   /* MX_P_INT: smallest accepted value */
    unsigned flags;             /* MX_PF_* */
    /* MX_P_ENUM: values MXNet defines that mxrt does not run (NULL-terminated,
     * or NULL): MX_ENOTSUP naming the value, never a format error. */
    const char *const *unsupported;
} mx_param_spec;

/* The entry that ends a table of specs. */
#define MX_PARAMS_END {NULL, 0, NULL, 0, NULL, 0, 0, NULL}

typedef struct mx_tensor {
    float *data;
    mx_shape shape;
} mx_tensor;

/* Bytes of host memory each node keeps from forward to backward. */
#define MX_OP_STATE_BYTES 64

/* Everything a kernel call needs besides its tensors. */
typedef struct mx_op_run {
    const mx_kernels *k;
    mx_engine *eng;
    int is_train;
    void *workspace; /* device memory of the executor's context (kernels only) */
    mx_rng *rng;
    void *state;     /* MX_OP_STATE_BYTES of host memory, zeroed at bind, kept
                      * from forward to backward: flags the op itself reads */
} mx_op_run;

enum {
    MX_OP_INPLACE = 1,     /* forward: output 0 may take input 0's buffer */
    MX_OP_BWD_INPLACE = 2, /* backward: in_grad 0 may take out_grad 0's buffer */
    MX_OP_LOSS = 4,        /* backward ignores the head gradient */
    MX_OP_NO_GRAD = 8,     /* no gradient flows through (BlockGrad) */
    MX_OP_NUMBERED_OUTPUTS = 16 /* outputs named <name>_output0… even when there is one */
};

typedef struct mx_op_def {
    const char *name;
    size_t param_size;
    const mx_param_spec *params; /* terminated by an entry with name NULL */
    /* Argument names in order into names (room for mx_op_args_room
     * entries); returns their count. */
    int (*list_arguments)(const void *param, const char **names);
    /* Argument count of an op whose count is a parameter (Concat's and
     * add_n's num_args, no fixed limit); NULL: at most MX_OP_MAX_ARGS. */
    int (*num_arguments)(const void *param);
    /* Output count (NULL: 1), at most MX_OP_MAX_OUTPUTS: clamp a larger
     * request here and fail it in infer_shape (as Concat's num_args). */
    int (*num_outputs)(const void *param);
    /* Output i's name suffix, as MXNet lists it (RNN's output, state_output,
     * statecell_output); NULL: output, or output0, output1, … for several. */
    const char *(*output_name)(const void *param, int i);
    /* Auxiliary state names; returns their count (NULL: none). */
    int (*list_aux)(const void *param, const char **names);
    /* Fills unknown shapes (ndim 0) of in/out/aux and checks known ones; on
     * a mismatch sets an error naming the argument and returns non-OK. */
    mx_status (*infer_shape)(const void *param, mx_shape *in, int nin, mx_shape *out, int nout,
                             mx_shape *aux, int naux);
    unsigned flags;
    uint64_t bwd_needs_in;  /* bit i: backward reads input i */
    uint64_t bwd_needs_out; /* bit i: backward reads output i */
    /* Scratch bytes for one forward or backward call on the device of k
     * (NULL: none). */
    size_t (*workspace)(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out);
    /* Scratch bytes forward alone needs, at most workspace's (NULL: the
     * same as workspace): what a node gets when backward never runs
     * (inference executors, the fixed buffer). */
    size_t (*forward_workspace)(const mx_kernels *k, const void *param, const mx_shape *in,
                                const mx_shape *out);
    void (*forward)(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out,
                    mx_tensor *aux);
    /* in_grad[i] is NULL-data when req[i] is MX_REQ_NULL; out_grad[k] is
     * NULL-data, meaning zero, for a loss head and for an output that
     * nothing consumes (an unused output of a multi-output op). */
    void (*backward)(const mx_op_run *r, const void *param, const mx_tensor *out_grad,
                     const mx_tensor *in, const mx_tensor *out, mx_tensor *in_grad,
                     const mx_req *req, mx_tensor *aux);
    /* 1 when a call with param cannot be replayed from a recorded GPU
     * graph: it draws fresh random numbers each call, or waits for the
     * device to compute a host value (NULL: always replayable). */
    int (*graph_unsafe)(const void *param);
} mx_op_def;

/* Entries a list_arguments(param, names) call may fill. */
static inline int mx_op_args_room(const mx_op_def *op, const void *param)
{
    int n = op->num_arguments ? op->num_arguments(param) : 0;
    return n > MX_OP_MAX_ARGS ? n : MX_OP_MAX_ARGS;
}

/* "arg<i>", the i-th argument name of variadic ops (MXNet's), made once
 * and kept for the process ("arg?" if memory ran out making it). */
const char *mx_op_arg_name(int i);

/* The op registered under name (or an alias), NULL if none. */
const mx_op_def *mx_op_lookup(const char *name);

/* Scratch bytes a node of op needs on k's device: workspace, or
 * forward_workspace where the op has one and backward never runs. */
size_t mx_op_workspace(const mx_op_def *op, const mx_kernels *k, const void *param, const mx_shape *in,
                       const mx_shape *out, int backward);

/* Parses "key=value" pairs into param (defaults first); the node name,
 * if given as name=..., is copied into name_out. Errors name the op, the
 * key and the value. */
mx_status mx_params_parse(const mx_op_def *op, const char *text, void *param, char *name_out,
                          size_t name_cap, char ***keys_out, char ***vals_out, int *n_out);

/* Parses one key=value pair into param (used by symbol JSON loading).
 * MX_EINVAL for a key or value MXNet would refuse too, MX_ENOTSUP for a
 * value MXNet accepts but mxrt cannot run; both name the op, the key and
 * the value. */
mx_status mx_param_set(const mx_op_def *op, void *param, const char *key, const char *value);

/* 1 when key is a parameter of op's. */
int mx_param_known(const mx_op_def *op, const char *key);

/* Sets every parameter to its default; fails naming a missing required one. */
mx_status mx_params_defaults(const mx_op_def *op, void *param);

/* Shape-inference helper: unify *slot with want, or fail naming what. */
mx_status mx_shape_assign(mx_shape *slot, const mx_shape *want, const char *what);

#endif
