/** @file
 * graphviz.h — a symbol as a Graphviz DOT graph, like MXNet.jl's
 * mx.to_graphviz and MXNet's plot_network: one box per op, labelled with
 * its name, op and key parameters (`"fc1\nFullyConnected\n128"`) and
 * coloured by op kind with MXNet's palette; data variables as ovals;
 * parameter variables (weights, biases, labels and other `<node>_<arg>`
 * variables an op created, or names ending like MXNet's weights) hidden
 * unless they are outputs. Edges point from consumer back to input
 * (dir=back), labelled with full shapes (batch included) when the
 * shapes of some arguments are given. Render with `dot -Tsvg`. */
#ifndef MX_GRAPHVIZ_H
#define MX_GRAPHVIZ_H

#include <stdio.h>
#include "mx/error.h"
#include "mx/shape.h"
#include "mx/symbol.h"

/** Writes sym as DOT to out; title NULL means "Network Visualization";
 * n_shapes > 0 runs shape inference from names[i] = shapes[i]. */
mx_status mx_sym_to_graphviz(const mx_sym *sym, FILE *out, const char *title, int n_shapes,
                             const char *const *names, const mx_shape *shapes);

/** mx_sym_to_graphviz into the file at path, written atomically. */
mx_status mx_sym_save_graphviz(const mx_sym *sym, const char *title, int n_shapes,
                               const char *const *names, const mx_shape *shapes, const char *path);

#endif
