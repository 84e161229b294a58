/* infer.h — private: shape inference over a whole graph, shared by
 * mx_infer_shape and bind. */
#ifndef MX_RUNTIME_INFER_H
#define MX_RUNTIME_INFER_H

#include "graph.h"

typedef struct mx_graph_shapes {
    int n;
    mx_node **order;  /* topological order */
    mx_shape **out;   /* out[i][k]: shape of output k of order[i] */
    mx_shape **aux;   /* aux[i][k]: shape of aux state k of order[i] */
} mx_graph_shapes;

/* Index of node in gs->order, or -1. */
int mx_graph_index(const mx_graph_shapes *gs, const mx_node *node);

/* Infers every entry's shape from the known argument shapes; errors name
 * the node and the argument. gs must be freed with mx_graph_shapes_free. */
mx_status mx_graph_infer(const mx_sym *sym, int n_known, const char *const *names,
                         const mx_shape *shapes, mx_graph_shapes *gs);

/* Frees what mx_graph_infer allocated. */
void mx_graph_shapes_free(mx_graph_shapes *gs);

#endif
