/* graph.h — private: the nodes behind symbols. A symbol is a list of
 * output entries (node, output index); nodes are reference-counted and
 * shared between symbols, so composing never copies a graph. */
#ifndef MX_RUNTIME_GRAPH_H
#define MX_RUNTIME_GRAPH_H

#include "mx/symbol.h"
#include "runtime/ops/op.h"

typedef struct mx_node mx_node;

/* Attributes as symbol JSON holds them: key/value strings in file order. */
typedef struct mx_attrs {
    int n;
    char **keys, **vals;
} mx_attrs;

typedef struct mx_entry {
    mx_node *node;
    int index;
} mx_entry;

struct mx_node {
    int refs;
    const mx_op_def *op; /* NULL for a variable */
    char *name;
    void *param;         /* op->param_size bytes */
    int nattr;           /* parameters exactly as given, for symbol JSON */
    char **attr_keys, **attr_vals;
    int ninputs;
    mx_entry *inputs;
    int noutputs;
    char **out_names;    /* "<name>_output" or "<name>_output<i>" */
    int naux;
    char **aux_names;    /* "<name>_<aux>" */
    mx_attrs *aux_attrs; /* naux lists: the attributes of each aux state's
                          * variable in symbol JSON (NULL: none) */
    int mark;            /* scratch for traversals */
    mx_node *next_dead;  /* mx_node_release's worklist of nodes to free */
};

struct mx_sym {
    int nout;
    mx_entry *outs;
    const char **arg_cache;  /* list_arguments, computed on first use */
    int narg_cache;
};

/* All nodes reachable from sym's outputs in post-order (inputs first, in
 * argument order): MXNet's topological order. Caller frees the array. */
mx_node **mx_graph_topo(const mx_sym *sym, int *n);

/* A new symbol over the given entries (takes new references). */
mx_sym *mx_sym_from_entries(int n, const mx_entry *entries);

/* Creates an op node with parsed params; takes a reference on inputs. */
mx_node *mx_node_new_op(const mx_op_def *op, const char *name, void *param, int ninputs,
                        const mx_entry *inputs);

/* Drops a reference; frees the node (and its input references) at zero. */
void mx_node_release(mx_node *node);

/* Appends key=value to a (a copy of each); MX_ENOMEM on failure. */
mx_status mx_attrs_add(mx_attrs *a, const char *key, const char *value);

/* Frees a's strings and arrays and zeroes it. */
void mx_attrs_clear(mx_attrs *a);

/* The name of a new op node (MXNet's NameManager, names.c): given, or
 * <called lowercased><n> when given is empty, after the current name
 * scope's prefix; into out (cap bytes). */
mx_status mx_graph_node_name(const char *given, const char *called, char *out, size_t cap);

/* Renames an op node and its outputs ("<name>_output"); aux state names
 * stay (they are variables' names in MXNet's files). */
mx_status mx_node_rename(mx_node *node, const char *name);

/* Copies what a node carries besides its op and inputs — its attributes,
 * its aux states' names and attributes — from src to dst (same op). */
mx_status mx_node_copy_meta(mx_node *dst, const mx_node *src);

#endif
