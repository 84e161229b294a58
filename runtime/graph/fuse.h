/* fuse.h — private: graph rewrites bind applies between shape inference
 * and the memory plan. The user's symbol is never changed: the rewrite is
 * a new graph that shares every node it does not replace. */
#ifndef MX_RUNTIME_FUSE_H
#define MX_RUNTIME_FUSE_H

#include "graph.h"
#include "infer.h"
#include "kernels/kernels.h"

/* A copy of sym (whose shapes gs holds) with every LSTM cell made of plain
 * ops replaced by one _FusedLSTMCell node, or NULL when there is none,
 * when k has no fused kernel, or when MX_FUSE=0; *ncells gets the count.
 * NULL with *ncells > 0 means out of memory (error set). */
mx_sym *mx_fuse_lstm_cells(const mx_sym *sym, const mx_graph_shapes *gs, const mx_kernels *k, int *ncells);

/* A copy of sym (whose shapes gs holds) in which FullyConnected nodes
 * that share weight and bias, take 2-D data of one shape and do not
 * depend on one another are replaced by _FCGroup nodes (up to
 * MX_FC_GROUP_MAX parts each), or NULL when there are none, when MX_FUSE
 * or MX_FUSE_FC is 0, or when k does not ask for them (k->fc_groups;
 * MX_FUSE_FC=1 groups on every device). *ngroups gets the count; NULL
 * with *ngroups > 0 means out of memory (error set). */
mx_sym *mx_fuse_fc_groups(const mx_sym *sym, const mx_graph_shapes *gs, const mx_kernels *k, int *ngroups);

/* A new node like old (a copy of its parameters) over inputs. */
mx_node *mx_fuse_clone_node(const mx_node *old, const mx_entry *inputs);

#endif
