/* fixed_prep.h — private: what mx_fixed_size and mx_fixed_open learn
 * from a checkpoint before laying it out (fixed_prep.c): the graph with
 * its shapes, the loaded arrays of every variable and aux state, and a
 * forward-only memory plan. All of it is heap memory, freed by
 * fx_prep_free before the public call returns. */
#ifndef MX_RUNTIME_FIXED_PREP_H
#define MX_RUNTIME_FIXED_PREP_H

#include "runtime/graph/infer.h"
#include "mx/fixed_infer.h"
#include "mx/ndfile.h"
#include "runtime/exec/plan.h"

typedef struct fx_prep {
    mx_sym *sym;
    mx_nd_list params;
    mx_graph_shapes gs;
    int nops;          /* op nodes = steps */
    int input_node;    /* node index (in gs.order) of the input variable */
    int head;          /* entry id of the one output */
    int *ebase;        /* first entry id of node i (n + 1 entries) */
    int *var_src;      /* variable node i: index in params, -1 = input or zeroed label */
    int *aux_src;      /* params index of aux state k of node i: aux_src[aux_base[i] + k] */
    int *aux_base;     /* node i's first slot in aux_src (n + 1 entries) */
    int *bdata;        /* plan buffer of entry e */
    int *bws;          /* plan buffer of node i's workspace, -1 = none */
    mx_plan_buf *bufs;
    int nbufs;
    size_t planned;    /* bytes of the planned block */
    float **vdata;     /* layout scratch: where variable node i's data went */
} fx_prep;

/* Loads, checks, infers shapes and plans spec; on failure p is freed and
 * the error names the file, node or argument. */
mx_status fx_prep_load(fx_prep *p, const mx_fixed_spec *spec);

/* Frees everything fx_prep_load allocated (a zeroed p is fine). */
void fx_prep_free(fx_prep *p);

#endif
