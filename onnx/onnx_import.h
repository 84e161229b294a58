/* onnx_import.h — private: the importer's state, shared by the driver
 * (onnx_import.c), the converters of runtime ops (onnx_ops.c) and the
 * constant folding of shape arithmetic (onnx_fold.c).
 *
 * Every ONNX tensor name maps to a value: a constant known at import time
 * (initializers, Constant nodes, and everything computed from constants or
 * from a known shape: the Shape -> Gather -> Concat sub-graphs), or a
 * runtime symbol with its inferred shape. A constant that a runtime op
 * reads becomes a parameter (a variable of the graph, saved in .params). */
#ifndef MX_ONNX_IMPORT_H
#define MX_ONNX_IMPORT_H

#include "mx/onnx.h"
#include "mx/symbol.h"
#include "onnx/onnx_read.h"

typedef struct ox_value {
    char *name;
    int is_const;
    ox_tensor c;   /* is_const: the value */
    mx_sym *sym;   /* a runtime value, or a constant made a parameter (else NULL) */
    mx_shape shape;
    int is_int; /* a runtime value of an integer type (a graph input of indices): float32 in mxrt, exact */
} ox_value;

typedef struct ox_param {
    char *name; /* the variable's name (aux states: the node's name + _moving_mean …) */
    int aux;
    ox_tensor t; /* float32 */
    mx_sym *var; /* its one variable: every reader shares it (one name, one node) */
} ox_param;

typedef struct ox_ctx {
    const char *path;
    int opset;
    ox_value **vals;
    int nvals, capvals;
    ox_param *params;
    int nparams, capparams;
    char **in_names; /* the graph's runtime inputs and their shapes */
    mx_shape *in_shapes;
    int nin;
    const Onnx__NodeProto *node; /* the node being converted, for errors */
    char base[256];              /* its mxrt node name */
    char label[256];             /* its name in errors: the ONNX node's name, else its first output */
} ox_ctx;

/* mx_onnx_import of an unpacked model (what names it in errors). */
mx_status ox_import_model(const Onnx__ModelProto *m, const char *what, int n, const char *const *names,
                          const mx_shape *shapes, mx_sym **sym, mx_nd_list *params);

/* Records an error naming the file, the current node, its op and the opset. */
mx_status ox_fail(ox_ctx *c, mx_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Value of the node's input i; NULL (an error recorded) when missing and required. */
ox_value *ox_input(ox_ctx *c, int i, int required);

/* Number of the node's inputs, trailing empty names dropped. */
int ox_ninputs(const ox_ctx *c);

/* The node's input i as a constant; NULL (an error naming it) when it is computed at run time. */
const ox_tensor *ox_const_input(ox_ctx *c, int i, const char *what);

/* A runtime symbol for v (a constant becomes a parameter named after it). */
mx_sym *ox_sym(ox_ctx *c, ox_value *v);

/* Adds a float32 parameter (copied); aux for BatchNorm's moving statistics. */
mx_status ox_add_param(ox_ctx *c, const char *name, const ox_tensor *t, int aux);

/* A new variable symbol for a parameter made from t (copied) called name. */
mx_sym *ox_param_sym(ox_ctx *c, const char *name, const ox_tensor *t);

/* Applies op to n inputs (arg_names may be NULL: positional) as node
 * base+suffix with the "key=value …" params; the new symbol, or NULL. */
mx_sym *ox_emit(ox_ctx *c, const char *suffix, const char *op, const char *params, int n,
                const char *const *arg_names, mx_sym *const *inputs);

/* Binds the node's output i to sym (taking it) and infers its shape. */
mx_status ox_set_output(ox_ctx *c, int i, mx_sym *sym);

/* Binds the node's output i to a constant (taking t's data). */
mx_status ox_set_const(ox_ctx *c, int i, ox_tensor *t);

/* Binds the node's output i to an existing value (Identity, Dropout). */
mx_status ox_set_alias(ox_ctx *c, int i, const ox_value *v);

/* The inferred shape of a runtime symbol. */
mx_status ox_infer(ox_ctx *c, mx_sym *sym, mx_shape *out);

/* A converter: reads c->node, binds its outputs. */
typedef mx_status (*ox_convert_fn)(ox_ctx *c);

/* The converter of a runtime op type, NULL if mxrt has none (onnx_ops.c). */
ox_convert_fn ox_find_converter(const char *op_type);

/* Folds the node if op_type is one constant folding knows and its inputs
 * are constants (Shape needs only its input's shape): 1 folded, 0 not
 * foldable, -1 error (onnx_fold.c). */
int ox_try_fold(ox_ctx *c);

/* Reshape's target for input shape in: 0 copies the input's dimension
 * (unless allowzero), -1 is inferred (onnx_fold.c). */
mx_status ox_reshape_target(ox_ctx *c, mx_shape in, const ox_tensor *shape, int allowzero, mx_shape *out);

/* numpy broadcasting of a and b into out; 0 if they do not broadcast. */
int ox_broadcast_shape(mx_shape a, mx_shape b, mx_shape *out);

/* "(a,b,c)" of n int64 values into buf, for op parameters. */
const char *ox_tuple(const int64_t *v, int n, char *buf, size_t cap);

/* Normalises a possibly negative axis for rank ndim; -1 (error recorded) if out of range. */
int ox_axis(ox_ctx *c, int64_t axis, int ndim, const char *what);

#endif
