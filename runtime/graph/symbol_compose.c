/* symbol_compose.c — filling free variables with other symbols, and
 * symbol arithmetic (which is just ops named _Plus, _MulScalar, ...). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

/* Rebuilds the op nodes above replaced variables; untouched subgraphs are
 * shared with the original. map[i] is the new node for order[i]. */
static mx_node *rebuild(mx_node *old, mx_node **order, mx_node **map, int n)
{
    int idx = 0;
    while (idx < n && order[idx] != old) idx++;
    return map[idx];
}

mx_sym *mx_compose(const mx_sym *sym, int n, const char *const *names, mx_sym *const *values)
{
    int count;
    mx_node **order = mx_graph_topo(sym, &count);
    if (!order) return NULL;
    mx_node **map = calloc((size_t)(count ? count : 1), sizeof *map);
    int *repl_index = calloc((size_t)(count ? count : 1), sizeof *repl_index);
    int *used = calloc((size_t)(n ? n : 1), sizeof *used);
    mx_sym *result = NULL;
    int built = 0; /* map[0..built) hold a reference taken here */
    if (!map || !repl_index || !used) { mx_set_error(MX_ENOMEM, "mx_compose: out of memory"); goto done; }
    for (int i = 0; i < n; i++) {
        if (!values[i] || values[i]->nout != 1) {
            mx_set_error(MX_EINVAL, "mx_compose: value for '%s' must be a single-output symbol", names[i]);
            goto done;
        }
    }
    /* Variables are replaced by the node of the value's only output; an
     * output index other than 0 is kept by remembering it per node. */
    for (int i = 0; i < count; i++) {
        mx_node *nd = order[i];
        repl_index[i] = -1;
        if (nd->op) continue;
        for (int j = 0; j < n; j++) {
            if (!strcmp(nd->name, names[j])) {
                map[i] = values[j]->outs[0].node;
                repl_index[i] = values[j]->outs[0].index;
                used[j] = 1;
            }
        }
    }
    for (int j = 0; j < n; j++) {
        if (!used[j]) {
            mx_set_error(MX_EINVAL, "mx_compose: the symbol has no free variable named '%s'", names[j]);
            goto done;
        }
    }
    for (int i = 0; i < count; i++, built++) {
        mx_node *nd = order[i];
        if (!nd->op) {
            if (!map[i]) map[i] = nd;
            map[i]->refs++;
            continue;
        }
        int changed = 0;
        mx_entry *in = malloc((size_t)nd->ninputs * sizeof *in + 1);
        if (!in) { mx_set_error(MX_ENOMEM, "mx_compose: out of memory"); goto done; }
        for (int k = 0; k < nd->ninputs; k++) {
            mx_node *src = nd->inputs[k].node;
            int si = 0;
            while (order[si] != src) si++;
            in[k].node = rebuild(src, order, map, count);
            in[k].index = repl_index[si] >= 0 ? repl_index[si] : nd->inputs[k].index;
            changed |= in[k].node != src || in[k].index != nd->inputs[k].index;
        }
        if (!changed) {
            free(in);
            map[i] = nd;
            nd->refs++;
            continue;
        }
        void *param = malloc(nd->op->param_size ? nd->op->param_size : 1);
        if (!param) { free(in); mx_set_error(MX_ENOMEM, "mx_compose: out of memory"); goto done; }
        memcpy(param, nd->param, nd->op->param_size);
        mx_node *copy = mx_node_new_op(nd->op, nd->name, param, nd->ninputs, in);
        free(in);
        if (!copy) { free(param); goto done; }
        if (mx_node_copy_meta(copy, nd) != MX_OK) {
            mx_node_release(copy);
            goto done;
        }
        map[i] = copy;
    }
    {
        mx_entry *outs = malloc((size_t)sym->nout * sizeof *outs);
        if (!outs) { mx_set_error(MX_ENOMEM, "mx_compose: out of memory"); goto done; }
        for (int i = 0; i < sym->nout; i++) {
            int si = 0;
            while (order[si] != sym->outs[i].node) si++;
            outs[i].node = map[si];
            outs[i].index = repl_index[si] >= 0 ? repl_index[si] : sym->outs[i].index;
        }
        result = mx_sym_from_entries(sym->nout, outs);
        free(outs);
    }
done:
    /* Release the one reference the build loop took on each map entry. */
    for (int i = 0; i < built; i++) mx_node_release(map[i]);
    free(order);
    free(map);
    free(repl_index);
    free(used);
    return result;
}

static const char *binary_op(char op)
{
    switch (op) {
    case '+': return "_Plus";
    case '-': return "_Minus";
    case '*': return "_Mul";
    case '/': return "_Div";
    }
    return NULL;
}

mx_sym *mx_sym_arith(const mx_sym *a, char op, const mx_sym *b)
{
    const char *name = binary_op(op);
    if (!name) {
        mx_set_error(MX_EINVAL, "symbol arithmetic: unknown operator '%c'", op);
        return NULL;
    }
    mx_sym *in[2] = {(mx_sym *)a, (mx_sym *)b};
    return mx_op_args(name, "", 2, NULL, in);
}

static mx_sym *scalar_op(const char *name, const mx_sym *a, float s)
{
    char params[64];
    snprintf(params, sizeof params, "scalar=%.9g", (double)s);
    mx_sym *in[1] = {(mx_sym *)a};
    return mx_op_args(name, params, 1, NULL, in);
}

mx_sym *mx_sym_arith_scalar(const mx_sym *a, char op, float s)
{
    switch (op) {
    case '+': return scalar_op("_PlusScalar", a, s);
    case '-': return scalar_op("_MinusScalar", a, s);
    case '*': return scalar_op("_MulScalar", a, s);
    case '/': return scalar_op("_DivScalar", a, s);
    }
    mx_set_error(MX_EINVAL, "symbol arithmetic: unknown operator '%c'", op);
    return NULL;
}

mx_sym *mx_sym_rarith_scalar(float s, char op, const mx_sym *a)
{
    switch (op) {
    case '+': return scalar_op("_PlusScalar", a, s);
    case '-': return scalar_op("_RMinusScalar", a, s);
    case '*': return scalar_op("_MulScalar", a, s);
    case '/': return scalar_op("_RDivScalar", a, s);
    }
    mx_set_error(MX_EINVAL, "symbol arithmetic: unknown operator '%c'", op);
    return NULL;
}
