/* symbol_query.c — looking inside a symbol and labelling it, as MXNet.jl
 * does: every internal output (get_internals), one output by name, the
 * inputs of the output nodes (get_children), composition that names the
 * result, and attributes set, read and listed (they are written to symbol
 * JSON and read back). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

mx_sym *mx_sym_get_internals(const mx_sym *sym)
{
    if (!sym) { mx_set_error(MX_EINVAL, "mx_sym_get_internals: symbol is NULL"); return NULL; }
    int n;
    mx_node **order = mx_graph_topo(sym, &n);
    if (!order) return NULL;
    int total = 0;
    for (int i = 0; i < n; i++) total += order[i]->noutputs;
    mx_entry *e = malloc((size_t)(total ? total : 1) * sizeof *e);
    mx_sym *out = NULL;
    if (e) {
        int k = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < order[i]->noutputs; j++) e[k++] = (mx_entry){order[i], j};
        out = mx_sym_from_entries(total, e);
    } else {
        mx_set_error(MX_ENOMEM, "mx_sym_get_internals: out of memory");
    }
    free(e);
    free(order);
    return out;
}

mx_sym *mx_sym_output_named(const mx_sym *sym, const char *name)
{
    if (!sym || !name) { mx_set_error(MX_EINVAL, "mx_sym_output_named: symbol or name is NULL"); return NULL; }
    int found = -1, hits = 0;
    for (int i = 0; i < sym->nout; i++)
        if (!strcmp(sym->outs[i].node->out_names[sym->outs[i].index], name)) {
            if (found < 0) found = i;
            hits++;
        }
    if (hits == 1) return mx_sym_from_entries(1, &sym->outs[found]);
    char list[512];
    size_t len = 0;
    list[0] = '\0';
    for (int i = 0; i < sym->nout && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                                sym->outs[i].node->out_names[sym->outs[i].index]);
    mx_set_error(MX_EINVAL, "symbol: %s output named '%s' (outputs: %s)", hits ? "more than one" : "no", name, list);
    return NULL;
}

mx_sym *mx_sym_get_children(const mx_sym *sym)
{
    if (!sym) { mx_set_error(MX_EINVAL, "mx_sym_get_children: symbol is NULL"); return NULL; }
    int total = 0;
    for (int i = 0; i < sym->nout; i++) total += sym->outs[i].node->ninputs;
    if (total == 0) {
        mx_set_error(MX_EINVAL, "symbol '%s': a variable has no children", mx_sym_name(sym));
        return NULL;
    }
    mx_entry *e = malloc((size_t)total * sizeof *e);
    if (!e) { mx_set_error(MX_ENOMEM, "mx_sym_get_children: out of memory"); return NULL; }
    int k = 0;
    for (int i = 0; i < sym->nout; i++)
        for (int j = 0; j < sym->outs[i].node->ninputs; j++) e[k++] = sym->outs[i].node->inputs[j];
    mx_sym *out = mx_sym_from_entries(total, e);
    free(e);
    return out;
}

mx_sym *mx_compose_named(const mx_sym *sym, const char *name, int n, const char *const *names,
                         mx_sym *const *values)
{
    mx_sym *c = mx_compose(sym, n, names, values);
    if (!c || !name || !name[0]) return c;
    mx_node *head = c->outs[0].node;
    if (!head->op) {
        mx_sym_free(c);
        mx_set_error(MX_EINVAL, "mx_compose_named: a variable cannot be composed");
        return NULL;
    }
    /* The head may be shared with sym (or with other symbols): rename a copy. */
    void *param = head->op->param_size ? malloc(head->op->param_size) : NULL;
    if (head->op->param_size && !param) {
        mx_sym_free(c);
        mx_set_error(MX_ENOMEM, "mx_compose_named: out of memory");
        return NULL;
    }
    if (param) memcpy(param, head->param, head->op->param_size);
    mx_node *copy = mx_node_new_op(head->op, name, param, head->ninputs, head->inputs);
    if (!copy) free(param);
    mx_status st = copy ? mx_node_copy_meta(copy, head) : MX_ENOMEM;
    mx_sym *out = NULL;
    if (st == MX_OK) {
        mx_entry *e = malloc((size_t)c->nout * sizeof *e);
        if (e) {
            for (int i = 0; i < c->nout; i++) e[i] = c->outs[i].node == head ? (mx_entry){copy, c->outs[i].index} : c->outs[i];
            out = mx_sym_from_entries(c->nout, e);
            free(e);
        } else {
            mx_set_error(MX_ENOMEM, "mx_compose_named: out of memory");
        }
    }
    mx_node_release(copy);
    mx_sym_free(c);
    return out;
}

/* The head node attributes are set on, read from and listed for. */
static mx_node *head_of(const mx_sym *sym, const char *what)
{
    if (!sym) { mx_set_error(MX_EINVAL, "%s: symbol is NULL", what); return NULL; }
    if (sym->nout != 1) {
        mx_set_error(MX_EINVAL, "%s: a group of %d outputs has no single node (pick one with mx_sym_output)", what,
                     sym->nout);
        return NULL;
    }
    return sym->outs[0].node;
}

mx_status mx_sym_set_attr(mx_sym *sym, const char *key, const char *value)
{
    mx_node *nd = head_of(sym, "mx_sym_set_attr");
    if (!nd) return MX_EINVAL;
    if (!key || !key[0] || !value) return mx_set_error(MX_EINVAL, "mx_sym_set_attr: empty key or NULL value");
    if (nd->op && mx_param_known(nd->op, key))
        return mx_set_error(MX_EINVAL, "mx_sym_set_attr: '%s' is a parameter of %s '%s', set when the op is made",
                            key, nd->op->name, nd->name);
    size_t len = strlen(key);
    /* MXNet parses every other plain key of an op node as a parameter when
     * it loads the file: an op's own attributes are hidden keys. */
    if (nd->op && (len < 5 || strncmp(key, "__", 2) || strcmp(key + len - 2, "__")))
        return mx_set_error(MX_EINVAL, "mx_sym_set_attr: %s '%s': an op's attribute needs a hidden key like __%s__ "
                            "(MXNet would read '%s' as a parameter)", nd->op->name, nd->name, key, key);
    for (int i = 0; i < nd->nattr; i++)
        if (!strcmp(nd->attr_keys[i], key)) {
            char *v = strdup(value);
            if (!v) return mx_set_error(MX_ENOMEM, "mx_sym_set_attr: out of memory");
            free(nd->attr_vals[i]);
            nd->attr_vals[i] = v;
            return MX_OK;
        }
    mx_attrs a = {nd->nattr, nd->attr_keys, nd->attr_vals};
    mx_status st = mx_attrs_add(&a, key, value);
    nd->nattr = a.n;
    nd->attr_keys = a.keys;
    nd->attr_vals = a.vals;
    return st;
}

const char *mx_sym_get_attr(const mx_sym *sym, const char *key)
{
    const mx_node *nd = head_of(sym, "mx_sym_get_attr");
    if (!nd || !key) return NULL;
    for (int i = nd->nattr - 1; i >= 0; i--) /* a key given twice: the last value, as MXNet's dict */
        if (!strcmp(nd->attr_keys[i], key)) return nd->attr_vals[i];
    return NULL;
}

int mx_sym_list_attr(const mx_sym *sym, const char **keys, const char **values, int cap)
{
    const mx_node *nd = head_of(sym, "mx_sym_list_attr");
    if (!nd) return -1;
    for (int i = 0; i < nd->nattr && i < cap; i++) {
        keys[i] = nd->attr_keys[i];
        values[i] = nd->attr_vals[i];
    }
    return nd->nattr;
}

int mx_sym_list_all_attr(const mx_sym *sym, const char **nodes, const char **keys, const char **values, int cap)
{
    if (!sym) { mx_set_error(MX_EINVAL, "mx_sym_list_all_attr: symbol is NULL"); return -1; }
    int n, k = 0;
    mx_node **order = mx_graph_topo(sym, &n);
    if (!order) return -1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < order[i]->nattr; j++, k++)
            if (k < cap) {
                nodes[k] = order[i]->name;
                keys[k] = order[i]->attr_keys[j];
                values[k] = order[i]->attr_vals[j];
            }
    free(order);
    return k;
}
