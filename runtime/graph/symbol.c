/* symbol.c — building symbolic graphs: variables, ops, chains, groups,
 * composition, listing and printing. Graph memory is setup-time only. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

#define NAME_CAP 256

static char *dup_str(const char *s)
{
    char *d = strdup(s);
    if (!d) mx_set_error(MX_ENOMEM, "symbol: out of memory");
    return d;
}

static char *join_name(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s_%s", a, b);
    return s;
}

void mx_node_release(mx_node *node)
{
    /* A worklist, not recursion: a graph loaded from a file can be deeper
     * than the C stack. */
    if (!node || --node->refs > 0) return;
    node->next_dead = NULL;
    while (node) {
        mx_node *next = node->next_dead;
        /* (a node that failed half-built may lack any of its arrays) */
        for (int i = 0; node->inputs && i < node->ninputs; i++) {
            mx_node *in = node->inputs[i].node;
            if (in && --in->refs <= 0) {
                in->next_dead = next;
                next = in;
            }
        }
        for (int i = 0; node->attr_keys && i < node->nattr; i++) free(node->attr_keys[i]);
        for (int i = 0; node->attr_vals && i < node->nattr; i++) free(node->attr_vals[i]);
        for (int i = 0; node->out_names && i < node->noutputs; i++) free(node->out_names[i]);
        for (int i = 0; node->aux_names && i < node->naux; i++) free(node->aux_names[i]);
        for (int i = 0; node->aux_attrs && i < node->naux; i++) mx_attrs_clear(&node->aux_attrs[i]);
        free(node->aux_attrs);
        free(node->attr_keys);
        free(node->attr_vals);
        free(node->out_names);
        free(node->aux_names);
        free(node->inputs);
        free(node->param);
        free(node->name);
        free(node);
        node = next;
    }
}

mx_status mx_attrs_add(mx_attrs *a, const char *key, const char *value)
{
    char **keys = realloc(a->keys, (size_t)(a->n + 1) * sizeof *keys);
    if (keys) a->keys = keys;
    char **vals = realloc(a->vals, (size_t)(a->n + 1) * sizeof *vals);
    if (vals) a->vals = vals;
    char *k = keys && vals ? strdup(key) : NULL, *v = k ? strdup(value) : NULL;
    if (!v) {
        free(k);
        return mx_set_error(MX_ENOMEM, "symbol: out of memory");
    }
    a->keys[a->n] = k;
    a->vals[a->n] = v;
    a->n++;
    return MX_OK;
}

void mx_attrs_clear(mx_attrs *a)
{
    for (int i = 0; i < a->n; i++) {
        free(a->keys[i]);
        free(a->vals[i]);
    }
    free(a->keys);
    free(a->vals);
    memset(a, 0, sizeof *a);
}

mx_status mx_node_copy_meta(mx_node *dst, const mx_node *src)
{
    mx_attrs own = {dst->nattr, dst->attr_keys, dst->attr_vals};
    mx_status st = MX_OK;
    for (int i = 0; i < src->nattr && st == MX_OK; i++) st = mx_attrs_add(&own, src->attr_keys[i], src->attr_vals[i]);
    dst->nattr = own.n;
    dst->attr_keys = own.keys;
    dst->attr_vals = own.vals;
    for (int k = 0; k < dst->naux && k < src->naux && st == MX_OK; k++) {
        char *name = strdup(src->aux_names[k]);
        if (!name) return mx_set_error(MX_ENOMEM, "symbol: out of memory");
        free(dst->aux_names[k]);
        dst->aux_names[k] = name;
        if (!src->aux_attrs || !src->aux_attrs[k].n) continue;
        if (!dst->aux_attrs && !(dst->aux_attrs = calloc((size_t)dst->naux, sizeof *dst->aux_attrs)))
            return mx_set_error(MX_ENOMEM, "symbol: out of memory");
        for (int i = 0; i < src->aux_attrs[k].n && st == MX_OK; i++)
            st = mx_attrs_add(&dst->aux_attrs[k], src->aux_attrs[k].keys[i], src->aux_attrs[k].vals[i]);
    }
    return st;
}

static mx_node *node_alloc(const char *name, int noutputs)
{
    mx_node *n = calloc(1, sizeof *n);
    if (!n) { mx_set_error(MX_ENOMEM, "symbol: out of memory"); return NULL; }
    n->refs = 1;
    n->noutputs = noutputs;
    n->name = dup_str(name);
    n->out_names = calloc((size_t)noutputs, sizeof *n->out_names);
    if (!n->name || !n->out_names) { mx_node_release(n); mx_set_error(MX_ENOMEM, "symbol: out of memory"); return NULL; }
    return n;
}

static mx_sym *sym_alloc(int nout)
{
    mx_sym *s = calloc(1, sizeof *s);
    if (s) s->outs = calloc((size_t)(nout ? nout : 1), sizeof *s->outs);
    if (!s || !s->outs) {
        free(s);
        mx_set_error(MX_ENOMEM, "symbol: out of memory");
        return NULL;
    }
    s->nout = nout;
    return s;
}

mx_sym *mx_sym_from_entries(int n, const mx_entry *entries)
{
    mx_sym *s = sym_alloc(n);
    if (!s) return NULL;
    for (int i = 0; i < n; i++) {
        s->outs[i] = entries[i];
        entries[i].node->refs++;
    }
    return s;
}

void mx_sym_free(mx_sym *sym)
{
    if (!sym) return;
    for (int i = 0; i < sym->nout; i++) mx_node_release(sym->outs[i].node);
    free(sym->arg_cache);
    free(sym->outs);
    free(sym);
}

mx_sym *mx_sym_copy(const mx_sym *sym) { return mx_sym_from_entries(sym->nout, sym->outs); }

mx_sym *mx_var(const char *name)
{
    if (!name || !*name) {
        mx_set_error(MX_EINVAL, "mx_var: a variable needs a name");
        return NULL;
    }
    mx_node *n = node_alloc(name, 1);
    if (!n) return NULL;
    if (!(n->out_names[0] = dup_str(name))) { mx_node_release(n); return NULL; }
    mx_entry e = {n, 0};
    mx_sym *s = mx_sym_from_entries(1, &e);
    mx_node_release(n);
    return s;
}

/* Output i's name suffix: the op's own (MXNet's list), else output, or
 * output<i> when there are several. */
static void out_suffix(const mx_op_def *op, const void *param, int nout, int i, char *buf, size_t n)
{
    const char *own = op->output_name ? op->output_name(param, i) : NULL;
    if (own) snprintf(buf, n, "%s", own);
    else snprintf(buf, n, nout == 1 && !(op->flags & MX_OP_NUMBERED_OUTPUTS) ? "output" : "output%d", i);
}

mx_node *mx_node_new_op(const mx_op_def *op, const char *name, void *param, int ninputs,
                        const mx_entry *inputs)
{
    int nout = op->num_outputs ? op->num_outputs(param) : 1;
    mx_node *n = node_alloc(name, nout);
    if (!n) return NULL;
    n->op = op;
    n->param = param;
    n->ninputs = ninputs;
    n->inputs = calloc((size_t)(ninputs ? ninputs : 1), sizeof *n->inputs);
    if (!n->inputs) goto oom;
    for (int i = 0; i < ninputs; i++) {
        n->inputs[i] = inputs[i];
        inputs[i].node->refs++;
    }
    for (int i = 0; i < nout; i++) {
        char suffix[32];
        out_suffix(op, param, nout, i, suffix, sizeof suffix);
        if (!(n->out_names[i] = join_name(name, suffix))) goto oom;
    }
    const char *aux[MX_OP_MAX_AUX];
    n->naux = op->list_aux ? op->list_aux(param, aux) : 0;
    if (n->naux) {
        n->aux_names = calloc((size_t)n->naux, sizeof *n->aux_names);
        if (!n->aux_names) goto oom;
        for (int i = 0; i < n->naux; i++)
            if (!(n->aux_names[i] = join_name(name, aux[i]))) goto oom;
    }
    return n;
oom:
    n->param = NULL; /* the caller still owns param on failure */
    mx_node_release(n);
    mx_set_error(MX_ENOMEM, "symbol: out of memory");
    return NULL;
}

mx_status mx_node_rename(mx_node *node, const char *name)
{
    char *nn = dup_str(name);
    if (!nn) return MX_ENOMEM;
    char **outs = calloc((size_t)node->noutputs, sizeof *outs);
    for (int i = 0; outs && i < node->noutputs; i++) {
        char suffix[32];
        if (node->op) out_suffix(node->op, node->param, node->noutputs, i, suffix, sizeof suffix);
        if (!(outs[i] = node->op ? join_name(name, suffix) : dup_str(name))) {
            for (int k = 0; k < i; k++) free(outs[k]);
            free(outs);
            outs = NULL;
        }
    }
    if (!outs) {
        free(nn);
        return mx_set_error(MX_ENOMEM, "symbol: out of memory");
    }
    for (int i = 0; i < node->noutputs; i++) free(node->out_names[i]);
    free(node->out_names);
    free(node->name);
    node->out_names = outs;
    node->name = nn;
    return MX_OK;
}

static mx_status single_output(const mx_sym *s, const char *opname, const char *node, const char *arg)
{
    if (!s) return mx_set_error(MX_EINVAL, "%s '%s': input for '%s' is NULL", opname, node, arg);
    if (s->nout != 1)
        return mx_set_error(MX_EINVAL, "%s '%s': input for '%s' has %d outputs, expected one",
                            opname, node, arg, s->nout);
    return MX_OK;
}

mx_sym *mx_op_args(const char *opname, const char *params, int n, const char *const *arg_names,
                   mx_sym *const *inputs)
{
    const mx_op_def *op = mx_op_lookup(opname);
    if (!op) {
        if (!opname) mx_set_error(MX_EINVAL, "operator name is NULL");
        else mx_set_error(MX_ENOTSUP, "operator '%s' is not supported by mxrt (docs/operators.md lists its ops)",
                          opname);
        return NULL;
    }
    void *param = calloc(1, op->param_size ? op->param_size : 1);
    if (!param) { mx_set_error(MX_ENOMEM, "symbol: out of memory"); return NULL; }
    char given[NAME_CAP], name[NAME_CAP];
    char **keys = NULL, **vals = NULL;
    int nattr = 0;
    mx_status pst = mx_params_parse(op, params, param, given, sizeof given, &keys, &vals, &nattr);
    if (pst != MX_OK) {
        free(param);
        /* name the node too, when the text gives a valid name (the one
         * place that does: the parser's messages name the op only) */
        const char *at = params ? strstr(params, "name=") : NULL;
        while (at && at != params && at[-1] != ' ' && at[-1] != ',' && at[-1] != '\t') at = strstr(at + 1, "name=");
        int len = at ? (int)strcspn(at + 5, " ,\t") : 0;
        if (len > 0 && len < NAME_CAP) {
            char msg[768];
            snprintf(msg, sizeof msg, "%s", mx_last_error());
            mx_set_error(pst, "%s (node '%.*s')", msg, len, at + 5);
        }
        return NULL;
    }
    /* MXNet's name manager: <hint><n> when none is given, and a scope's prefix (names.c) */
    if (mx_graph_node_name(given, opname, name, sizeof name) != MX_OK) {
        for (int i = 0; i < nattr; i++) { free(keys[i]); free(vals[i]); }
        free(keys);
        free(vals);
        free(param);
        return NULL;
    }
    /* A variadic op's inputs are all given, or none (a free symbol whose
     * variables <name>_arg0, … are made here, as MXNet's compose does): a
     * huge num_args must not size allocations or loops by itself. */
    int want = op->num_arguments ? op->num_arguments(param) : 0;
    if (want && want != n && (n || want > MX_OP_MAX_FREE_ARGS)) {
        if (n)
            mx_set_error(MX_EINVAL, "%s '%s': %d inputs given, num_args says %d", op->name, name, n, want);
        else
            mx_set_error(MX_EINVAL, "%s '%s': num_args=%d with no inputs given (at most %d variables are made "
                         "for a free symbol)", op->name, name, want, MX_OP_MAX_FREE_ARGS);
        for (int i = 0; i < nattr; i++) { free(keys[i]); free(vals[i]); }
        free(keys);
        free(vals);
        free(param);
        return NULL;
    }
    int room = mx_op_args_room(op, param), nargs = 0;
    const char **args = calloc((size_t)room, sizeof *args);
    mx_entry *in = calloc((size_t)room, sizeof *in);
    mx_node **made = calloc((size_t)room, sizeof *made);
    mx_node *node = NULL;
    if (!args || !in || !made) {
        mx_set_error(MX_ENOMEM, "symbol: out of memory");
        goto done;
    }
    nargs = op->list_arguments(param, args);
    if (n > nargs) {
        mx_set_error(MX_EINVAL, "%s '%s': %d inputs given, the op takes %d", op->name, name, n, nargs);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        int slot = i;
        if (arg_names && arg_names[i]) {
            for (slot = 0; slot < nargs && strcmp(args[slot], arg_names[i]); slot++) {}
            if (slot == nargs) {
                char list[256];
                size_t len = 0;
                for (int a = 0; a < nargs && len < sizeof list; a++)
                    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", a ? ", " : "", args[a]);
                mx_set_error(MX_EINVAL, "%s '%s': no argument named '%s' (arguments: %s)", op->name,
                             name, arg_names[i], list);
                goto done;
            }
        }
        if (single_output(inputs[i], op->name, name, args[slot]) != MX_OK) goto done;
        in[slot] = inputs[i]->outs[0];
    }
    for (int a = 0; a < nargs; a++) {
        if (in[a].node) continue;
        char *vname = join_name(name, args[a]);
        mx_sym *v = vname ? mx_var(vname) : NULL;
        free(vname);
        if (!v) goto done;
        made[a] = v->outs[0].node;
        made[a]->refs++;
        in[a] = v->outs[0];
        mx_sym_free(v);
    }
    node = mx_node_new_op(op, name, param, nargs, in);
    if (node) {
        node->attr_keys = keys;
        node->attr_vals = vals;
        node->nattr = nattr;
        keys = vals = NULL;
        nattr = 0;
        param = NULL;
    }
done:
    for (int a = 0; made && a < nargs; a++) mx_node_release(made[a]);
    free(made);
    free(in);
    free(args);
    for (int i = 0; i < nattr; i++) { free(keys[i]); free(vals[i]); }
    free(keys);
    free(vals);
    free(param);
    if (!node) return NULL;
    mx_sym *s = sym_alloc(node->noutputs);
    if (s) {
        for (int i = 0; i < node->noutputs; i++) {
            s->outs[i] = (mx_entry){node, i};
            node->refs++;
        }
    }
    mx_node_release(node);
    return s;
}

mx_sym *mx_op_(const char *op, const char *params, ...)
{
    int n = 0;
    va_list ap, again;
    va_start(ap, params);
    va_copy(again, ap);
    while (va_arg(ap, mx_sym *) != NULL) n++;
    va_end(ap);
    mx_sym **inputs = malloc((size_t)(n ? n : 1) * sizeof *inputs);
    for (int i = 0; i < n; i++) {
        mx_sym *s = va_arg(again, mx_sym *);
        if (inputs) inputs[i] = s;
    }
    va_end(again);
    if (!inputs) {
        mx_set_error(MX_ENOMEM, "%s: out of memory", op ? op : "mx_op");
        return NULL;
    }
    mx_sym *s = mx_op_args(op, params, n, NULL, inputs);
    free(inputs);
    return s;
}

mx_sym *mx_chain(mx_sym *first, ...)
{
    if (!first) {
        mx_set_error(MX_EINVAL, "mx_chain: first symbol is NULL");
        return NULL;
    }
    mx_sym *cur = mx_sym_copy(first);
    va_list ap;
    va_start(ap, first);
    const char *spec;
    while (cur && (spec = va_arg(ap, const char *)) != NULL) {
        while (isspace((unsigned char)*spec)) spec++;
        char opname[64];
        size_t len = strcspn(spec, " \t\n");
        if (len == 0 || len >= sizeof opname) {
            mx_set_error(MX_EINVAL, "mx_chain: bad layer '%s' (expected \"OpName key=value ...\")", spec);
            mx_sym_free(cur);
            cur = NULL;
            break;
        }
        memcpy(opname, spec, len);
        opname[len] = '\0';
        mx_sym *next = mx_op_args(opname, spec + len, 1, NULL, &cur);
        mx_sym_free(cur);
        cur = next;
    }
    va_end(ap);
    return cur;
}

mx_sym *mx_group(int n, mx_sym *const *syms)
{
    int total = 0;
    for (int i = 0; i < n; i++) {
        if (!syms[i]) { mx_set_error(MX_EINVAL, "mx_group: symbol %d is NULL", i); return NULL; }
        total += syms[i]->nout;
    }
    mx_sym *g = sym_alloc(total);
    if (!g) return NULL;
    int k = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < syms[i]->nout; j++) {
            g->outs[k] = syms[i]->outs[j];
            g->outs[k++].node->refs++;
        }
    return g;
}

mx_sym *mx_sym_output(const mx_sym *sym, int i)
{
    if (i < 0 || i >= sym->nout) {
        mx_set_error(MX_EINVAL, "symbol: output %d out of range (%d outputs)", i, sym->nout);
        return NULL;
    }
    return mx_sym_from_entries(1, &sym->outs[i]);
}

const char *mx_sym_name(const mx_sym *sym) { return sym->nout ? sym->outs[0].node->name : ""; }

/* One node of the depth-first walk and the next input it will visit. */
typedef struct topo_frame {
    mx_node *node;
    int next;
} topo_frame;

mx_node **mx_graph_topo(const mx_sym *sym, int *n)
{
    /* Post-order with an explicit stack, not recursion: a graph loaded
     * from a file can be deeper than the C stack. mark = visited. */
    int cap = 64, scap = 64, count = 0, sp = 0;
    mx_node **order = malloc((size_t)cap * sizeof *order);
    topo_frame *stack = malloc((size_t)scap * sizeof *stack);
    int ok = order && stack;
    for (int i = 0; ok && i < sym->nout; i++) {
        mx_node *root = sym->outs[i].node;
        if (root->mark) continue;
        root->mark = 1;
        stack[sp++] = (topo_frame){root, 0};
        while (ok && sp) {
            topo_frame *f = &stack[sp - 1];
            if (f->next < f->node->ninputs) {
                mx_node *in = f->node->inputs[f->next++].node;
                if (in->mark) continue;
                if (sp == scap) {
                    topo_frame *more = realloc(stack, (size_t)scap * 2 * sizeof *more);
                    if (!(ok = more != NULL)) break;
                    stack = more;
                    scap *= 2;
                }
                in->mark = 1;
                stack[sp++] = (topo_frame){in, 0};
            } else {
                if (count == cap) {
                    mx_node **more = realloc(order, (size_t)cap * 2 * sizeof *more);
                    if (!(ok = more != NULL)) break;
                    order = more;
                    cap *= 2;
                }
                order[count++] = f->node;
                sp--;
            }
        }
    }
    /* every marked node is in order or still on the stack */
    for (int i = 0; order && i < count; i++) order[i]->mark = 0;
    for (int i = 0; stack && i < sp; i++) stack[i].node->mark = 0;
    free(stack);
    if (!ok) {
        free(order);
        mx_set_error(MX_ENOMEM, "symbol: out of memory");
        return NULL;
    }
    *n = count;
    return order;
}

int mx_list_arguments(const mx_sym *sym, const char *const **names)
{
    mx_sym *s = (mx_sym *)sym; /* the cache is logically const */
    if (!s->arg_cache) {
        int n;
        mx_node **order = mx_graph_topo(sym, &n);
        if (!order) { *names = NULL; return 0; }
        s->arg_cache = malloc((size_t)(n ? n : 1) * sizeof *s->arg_cache);
        if (!s->arg_cache) { free(order); *names = NULL; return 0; }
        s->narg_cache = 0;
        for (int i = 0; i < n; i++)
            if (!order[i]->op) s->arg_cache[s->narg_cache++] = order[i]->name;
        free(order);
    }
    *names = s->arg_cache;
    return s->narg_cache;
}

int mx_list_outputs(const mx_sym *sym, const char **names, int cap)
{
    for (int i = 0; i < sym->nout && i < cap; i++)
        names[i] = sym->outs[i].node->out_names[sym->outs[i].index];
    return sym->nout;
}

int mx_list_auxiliary_states(const mx_sym *sym, const char **names, int cap)
{
    int n, k = 0;
    mx_node **order = mx_graph_topo(sym, &n);
    if (!order) return -1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < order[i]->naux; j++, k++)
            if (k < cap) names[k] = order[i]->aux_names[j];
    free(order);
    return k;
}

void mx_sym_print(const mx_sym *sym, FILE *out)
{
    int n;
    mx_node **order = mx_graph_topo(sym, &n);
    if (!order) return;
    fprintf(out, "Symbol: %d nodes, %d outputs\n", n, sym->nout);
    for (int i = 0; i < n; i++) {
        mx_node *nd = order[i];
        if (!nd->op) { fprintf(out, "  var   %s\n", nd->name); continue; }
        fprintf(out, "  op    %s = %s(", nd->name, nd->op->name);
        for (int j = 0; j < nd->ninputs; j++) {
            mx_entry e = nd->inputs[j];
            fprintf(out, "%s%s", j ? ", " : "", e.node->op ? e.node->out_names[e.index] : e.node->name);
        }
        for (int j = 0; j < nd->nattr; j++)
            fprintf(out, "%s%s=%s", j ? ", " : "; ", nd->attr_keys[j], nd->attr_vals[j]);
        fprintf(out, ")\n");
    }
    fprintf(out, "  outputs:");
    for (int i = 0; i < sym->nout; i++)
        fprintf(out, " %s", sym->outs[i].node->out_names[sym->outs[i].index]);
    fprintf(out, "\n");
    free(order);
}

