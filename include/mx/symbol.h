/** @file
 * symbol.h — symbolic graphs, MXNet style: variables, operators with
 * key=value parameters, chains, groups, composition, listing, shape
 * inference and a debug print. Symbols are immutable handles: every call
 * returns a new one the caller frees with mx_sym_free. */
#ifndef MX_SYMBOL_H
#define MX_SYMBOL_H

#include <stdio.h>
#include "mx/error.h"
#include "mx/shape.h"

/** Symbol handle (opaque; MXNet's Symbol): an immutable graph, freed with mx_sym_free. */
typedef struct mx_sym mx_sym;

/** A variable (a free input of the graph) named name. */
mx_sym *mx_var(const char *name);

/** Applies op with "key=value ..." params to inputs (NULL-terminated,
 * filling the op's arguments in order; missing ones become variables
 * named `<node>_<argument>`). Prefer the mx_op macro. */
mx_sym *mx_op_(const char *op, const char *params, ...);

/** mx_op("FullyConnected", "name=fc1 num_hidden=128", data) */
#define mx_op(op, ...) mx_op_(op, __VA_ARGS__, (mx_sym *)0)

/** Applies op to n inputs, each bound to the argument named in arg_names
 * (or positionally when arg_names is NULL). */
mx_sym *mx_op_args(const char *op, const char *params, int n, const char *const *arg_names,
                   mx_sym *const *inputs);

/** Feeds first through ops given as "OpName key=value ..." strings,
 * NULL-terminated (MXNet.jl's `@mx.chain`). */
mx_sym *mx_chain(mx_sym *first, ...);

/** One symbol whose outputs are the outputs of syms in order. */
mx_sym *mx_group(int n, mx_sym *const *syms);

/** Copy of sym with the free variables named in names replaced by values. */
mx_sym *mx_compose(const mx_sym *sym, int n, const char *const *names, mx_sym *const *values);

/** mx_compose, with the resulting head node called name (MXNet.jl's
 * net2(data2=net, name=:composed), whose output is composed_output); name
 * NULL or "" keeps the name. */
mx_sym *mx_compose_named(const mx_sym *sym, const char *name, int n, const char *const *names,
                         mx_sym *const *values);

/** Output i of a multi-output symbol, as a symbol of its own. */
mx_sym *mx_sym_output(const mx_sym *sym, int i);

/** Every output of every node of sym, inputs first: its variables and
 * internal outputs such as fc1_output, grouped (MXNet's get_internals). */
mx_sym *mx_sym_get_internals(const mx_sym *sym);

/** sym's output called name ("fc1_output", or a variable's name) as a
 * symbol of its own (MXNet.jl's sym[:fc1_output]); NULL, listing the
 * outputs, when none or several have that name. */
mx_sym *mx_sym_output_named(const mx_sym *sym, const char *name);

/** The inputs of sym's output nodes, grouped (MXNet's get_children); NULL
 * for a variable, which has none. */
mx_sym *mx_sym_get_children(const mx_sym *sym);

/** Sets attribute key of sym's node (one output) to value, kept in symbol
 * JSON. A variable takes any key; an op node only hidden keys like
 * __mood__ (MXNet reads its other keys as parameters). The node may be
 * shared with other symbols, which see the change too, as in MXNet. */
mx_status mx_sym_set_attr(mx_sym *sym, const char *key, const char *value);

/** The value of attribute key of sym's node (an op's parameters included),
 * or NULL; valid while the node lives. */
const char *mx_sym_get_attr(const mx_sym *sym, const char *key);

/** The attributes of sym's node (MXNet's list_attr): fills up to cap keys
 * and values, returns the count (-1 for a group). */
int mx_sym_list_attr(const mx_sym *sym, const char **keys, const char **values, int cap);

/** Every attribute of every node of sym (MXNet's list_all_attr): node
 * name, key and value, up to cap; returns the count (-1: out of memory). */
int mx_sym_list_all_attr(const mx_sym *sym, const char **nodes, const char **keys, const char **values, int cap);

/** Opens a name scope (MXNet's mx.name.Prefix): until mx_name_scope_end,
 * every op name, given or made (fullyconnected0, …), starts with prefix,
 * and made names count from 0 again. Scopes nest; per thread. */
mx_status mx_name_scope_begin(const char *prefix);

/** Closes the innermost name scope. */
mx_status mx_name_scope_end(void);

/** Another handle on the same graph. */
mx_sym *mx_sym_copy(const mx_sym *sym);

/** Releases a handle (NULL is fine). */
void mx_sym_free(mx_sym *sym);

/** Name of the node behind a single-output symbol. */
const char *mx_sym_name(const mx_sym *sym);

/** Symbol arithmetic: a op b, op one of '+', '-', '*', '/' (_Plus …). */
mx_sym *mx_sym_arith(const mx_sym *a, char op, const mx_sym *b);

/** a op s (_PlusScalar, _MinusScalar, _MulScalar, _DivScalar). */
mx_sym *mx_sym_arith_scalar(const mx_sym *a, char op, float s);

/** s op a (_PlusScalar, _RMinusScalar, _MulScalar, _RDivScalar). */
mx_sym *mx_sym_rarith_scalar(float s, char op, const mx_sym *a);

/** Argument names in order; the array is owned by sym. Returns the count
 * (*names NULL and 0 when out of memory). */
int mx_list_arguments(const mx_sym *sym, const char *const **names);

/** Output names ("fc1_output"); returns the count, fills up to cap. */
int mx_list_outputs(const mx_sym *sym, const char **names, int cap);

/** Auxiliary state names; returns the count, fills up to cap (-1: out of
 * memory). */
int mx_list_auxiliary_states(const mx_sym *sym, const char **names, int cap);

/** Infers every argument, output and aux shape from the known ones
 * (names[i] has shape shapes[i]). Output arrays are sized by the list_*
 * counts. A mismatch names the node and the argument. */
mx_status mx_infer_shape(const mx_sym *sym, int n_known, const char *const *names,
                         const mx_shape *shapes, mx_shape *arg_shapes, mx_shape *out_shapes,
                         mx_shape *aux_shapes);

/** Readable listing of the graph, one node per line. */
void mx_sym_print(const mx_sym *sym, FILE *out);

/** Number of op names registered (aliases included: elemwise_add, _Plus, … count apart). */
int mx_op_count(void);

/** Registered op name i (0 ≤ i < mx_op_count). */
const char *mx_op_name(int i);

#endif
