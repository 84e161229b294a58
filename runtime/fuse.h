/* fuse.h — private: graph rewrites bind applies between shape inference
 * and the memory plan. The user's symbol is never changed: the rewrite is
 * a new graph that shares every node it does not replace. */
#ifndef MX_RUNTIME_FUSE_H
#define MX_RUNTIME_FUSE_H

#include "graph.h"
#include "infer.h"
#include "kernels.h"

/* A copy of sym (whose shapes gs holds) with every LSTM cell made of plain
 * ops replaced by one _FusedLSTMCell node, or NULL when there is none,
 * when k has no fused kernel, or when MX_FUSE=0; *ncells gets the count.
 * NULL with *ncells > 0 means out of memory (error set). */
mx_sym *mx_fuse_lstm_cells(const mx_sym *sym, const mx_graph_shapes *gs, const mx_kernels *k, int *ncells);

#endif
