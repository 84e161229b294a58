/* symbol_json.c — rebuilding symbols from MXNet graph JSON (any version
 * from 0.8 on), every field validated; each failure is one line that
 * starts with the file name and names the node and field at fault. */
#include "mx/symbol_json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "formats/json.h"

typedef struct loader {
    const char *what;
    const mx_json *nodes;
    mx_node **built; /* one reference each; NULL until built */
} loader;

/* A name fit for a one-line message: control bytes become '?', long
 * names are cut. */
static const char *clip(const char *s, char *buf, size_t cap)
{
    size_t i = 0;
    for (; s[i] && i + 4 < cap; i++) buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    if (s[i]) { buf[i++] = '.'; buf[i++] = '.'; buf[i++] = '.'; }
    buf[i] = '\0';
    return buf;
}

static mx_status lerr(const loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static mx_status lerr(const loader *L, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mx_set_error(MX_EFORMAT, "%s: %s", L->what, msg);
}

/* "node 3 'fc1' (FullyConnected, line 20)" for messages about node i. */
static const char *node_ctx(const loader *L, int i, char *buf, size_t cap)
{
    const mx_json *nd = &L->nodes->items[i];
    const mx_json *name = mx_json_get(nd, "name"), *op = mx_json_get(nd, "op");
    char nb[80], ob[80];
    snprintf(buf, cap, "node %d%s%s%s (%s, line %d)", i, name && name->type == MX_JSON_STRING ? " '" : "",
             name && name->type == MX_JSON_STRING ? clip(name->str, nb, sizeof nb) : "",
             name && name->type == MX_JSON_STRING ? "'" : "",
             op && op->type == MX_JSON_STRING ? clip(op->str, ob, sizeof ob) : "no op", nd->line);
    return buf;
}

static int as_index(const mx_json *v, long long *out)
{
    if (v->type != MX_JSON_NUMBER || !v->is_int || v->ival < 0 || v->ival > 0x7fffffff) return 0;
    *out = v->ival;
    return 1;
}

/* [node_id, output_index] or [node_id, output_index, version]. */
static int parse_entry(const mx_json *e, long long *id, long long *index)
{
    long long version;
    return e->type == MX_JSON_ARRAY && (e->n == 2 || e->n == 3) && as_index(&e->items[0], id) &&
           as_index(&e->items[1], index) && (e->n == 2 || as_index(&e->items[2], &version));
}

/* Checks an input or head entry against the nodes built so far. */
static mx_status resolve_entry(const loader *L, const mx_json *e, int limit, const char *where,
                               mx_entry *out)
{
    long long id, index;
    if (!parse_entry(e, &id, &index))
        return lerr(L, "%s: expected [node_id, output_index, version] of non-negative integers (line %d)",
                    where, e->line);
    if (id >= L->nodes->n)
        return lerr(L, "%s: node id %lld out of range (%d nodes)", where, id, L->nodes->n);
    if (id >= limit)
        return lerr(L, "%s: refers to node %lld, which is not an earlier node (inputs must come first)",
                    where, id);
    mx_node *src = L->built[id];
    if (index >= src->noutputs)
        return lerr(L, "%s: output index %lld out of range (node %lld '%s' has %d output%s)", where, index,
                    id, src->name, src->noutputs, src->noutputs == 1 ? "" : "s");
    out->node = src;
    out->index = (int)index;
    return MX_OK;
}

/* Which object holds the node's attributes, and which holds extra user
 * attributes that are never parameters (0.8 files: "param" + "attr"). */
static void attr_sources(const mx_json *nd, const mx_json **params, const mx_json **extra)
{
    *params = mx_json_get(nd, "attrs");
    *extra = NULL;
    if (*params) return;
    const mx_json *param = mx_json_get(nd, "param"), *attr = mx_json_get(nd, "attr");
    if (param) { *params = param; *extra = attr; }
    else *params = attr;
}

static mx_status check_attr_object(const loader *L, const char *ctx, const char *field, const mx_json *o)
{
    if (!o) return MX_OK;
    if (o->type != MX_JSON_OBJECT)
        return lerr(L, "%s: \"%s\" must be an object of strings, not %s", ctx, field, mx_json_type_name(o->type));
    for (int k = 0; k < o->n; k++)
        if (o->items[k].type != MX_JSON_STRING)
            return lerr(L, "%s: attribute '%s' must be a string, not %s", ctx, o->keys[k],
                        mx_json_type_name(o->items[k].type));
    return MX_OK;
}

/* Copies the chosen attributes onto the node (keys with "__" skipped when
 * skip_internal: they are MXNet bookkeeping, not op parameters). */
static mx_status keep_attrs(mx_node *nd, const mx_json *o, int skip_internal)
{
    if (!o || !o->n) return MX_OK;
    size_t cap = (size_t)nd->nattr + (size_t)o->n;
    char **keys = realloc(nd->attr_keys, cap * sizeof *keys);
    if (keys) nd->attr_keys = keys;
    char **vals = realloc(nd->attr_vals, cap * sizeof *vals);
    if (vals) nd->attr_vals = vals;
    if (!keys || !vals) return mx_set_error(MX_ENOMEM, "symbol JSON: out of memory");
    for (int k = 0; k < o->n; k++) {
        if (skip_internal && !strncmp(o->keys[k], "__", 2)) continue;
        char *key = strdup(o->keys[k]), *val = strdup(o->items[k].str);
        if (!key || !val) {
            free(key);
            free(val);
            return mx_set_error(MX_ENOMEM, "symbol JSON: out of memory");
        }
        nd->attr_keys[nd->nattr] = key;
        nd->attr_vals[nd->nattr] = val;
        nd->nattr++;
    }
    return MX_OK;
}

static mx_status build_variable(loader *L, int i, const char *ctx, const mx_json *inputs,
                                const mx_json *attrs, const mx_json *extra, const mx_json *name)
{
    if (inputs->n)
        return lerr(L, "%s: a variable (op \"null\") cannot have inputs (it has %d)", ctx, inputs->n);
    mx_sym *v = mx_var(name->str);
    if (!v) return MX_ENOMEM;
    mx_node *nd = v->outs[0].node;
    nd->refs++;
    mx_sym_free(v);
    L->built[i] = nd;
    /* Variables keep every attribute ("__shape__", "__init__", ...): mxrt
     * never interprets them, and re-saving should not lose them. */
    mx_status st = keep_attrs(nd, attrs, 0);
    return st == MX_OK ? keep_attrs(nd, extra, 0) : st;
}

static mx_status build_op(loader *L, int i, const char *ctx, const mx_json *op_name,
                          const mx_json *inputs, const mx_json *attrs, const mx_json *name)
{
    const mx_op_def *op = mx_op_lookup(op_name->str);
    if (!op) return lerr(L, "%s: unknown operator '%s'", ctx, op_name->str);
    void *param = calloc(1, op->param_size ? op->param_size : 1);
    if (!param) return mx_set_error(MX_ENOMEM, "symbol JSON: out of memory");
    mx_status st = mx_params_defaults(op, param);
    for (int k = 0; st == MX_OK && attrs && k < attrs->n; k++) {
        if (!strncmp(attrs->keys[k], "__", 2)) continue;
        if (mx_param_set(op, param, attrs->keys[k], attrs->items[k].str) != MX_OK) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", mx_last_error());
            st = lerr(L, "%s: %s", ctx, msg);
        }
    }
    for (const mx_param_spec *s = op->params; st == MX_OK && s && s->name; s++)
        if (!s->def && !mx_json_get(attrs, s->name))
            st = lerr(L, "%s: required parameter '%s' missing", ctx, s->name);
    if (st != MX_OK) { free(param); return st; }
    const char *args[MX_OP_MAX_ARGS], *aux[MX_OP_MAX_AUX];
    int nargs = op->list_arguments(param, args);
    int naux = op->list_aux ? op->list_aux(param, aux) : 0;
    if (inputs->n != nargs + naux) {
        char list[256];
        size_t len = 0;
        list[0] = '\0';
        for (int a = 0; a < nargs + naux && len < sizeof list; a++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", a ? ", " : "",
                                    a < nargs ? args[a] : aux[a - nargs]);
        free(param);
        return lerr(L, "%s: %d inputs, the op takes %d (%s)", ctx, inputs->n, nargs + naux, list);
    }
    mx_entry in[MX_OP_MAX_ARGS + MX_OP_MAX_AUX];
    for (int k = 0; k < inputs->n; k++) {
        char where[384];
        snprintf(where, sizeof where, "%s: input %d ('%s')", ctx, k, k < nargs ? args[k] : aux[k - nargs]);
        st = resolve_entry(L, &inputs->items[k], i, where, &in[k]);
        if (st == MX_OK && k >= nargs && (in[k].node->op || in[k].index))
            st = lerr(L, "%s: an auxiliary state must be a variable node", where);
        if (st != MX_OK) { free(param); return st; }
    }
    mx_node *nd = mx_node_new_op(op, name->str, param, nargs, in);
    if (!nd) { free(param); return MX_ENOMEM; }
    L->built[i] = nd;
    /* Aux states are names on the op in mxrt; keep the file's names. */
    for (int k = 0; k < nd->naux; k++) {
        char *aname = strdup(in[nargs + k].node->name);
        if (!aname) return mx_set_error(MX_ENOMEM, "symbol JSON: out of memory");
        free(nd->aux_names[k]);
        nd->aux_names[k] = aname;
    }
    return keep_attrs(nd, attrs, 1);
}

static mx_status build_node(loader *L, int i)
{
    const mx_json *nd = &L->nodes->items[i];
    char ctx[256];
    node_ctx(L, i, ctx, sizeof ctx);
    if (nd->type != MX_JSON_OBJECT)
        return lerr(L, "node %d (line %d): expected an object, found %s", i, nd->line, mx_json_type_name(nd->type));
    const mx_json *op = mx_json_get(nd, "op"), *name = mx_json_get(nd, "name");
    const mx_json *inputs = mx_json_get(nd, "inputs");
    if (!op || op->type != MX_JSON_STRING)
        return lerr(L, "%s: \"op\" %s", ctx, op ? "must be a string" : "missing");
    if (!name || name->type != MX_JSON_STRING || !name->str[0])
        return lerr(L, "%s: \"name\" %s", ctx, name ? "must be a non-empty string" : "missing");
    if (!inputs || inputs->type != MX_JSON_ARRAY)
        return lerr(L, "%s: \"inputs\" %s", ctx, inputs ? "must be an array" : "missing");
    const mx_json *attrs, *extra;
    attr_sources(nd, &attrs, &extra);
    const char *field = mx_json_get(nd, "attrs") ? "attrs" : mx_json_get(nd, "param") ? "param" : "attr";
    mx_status st = check_attr_object(L, ctx, field, attrs);
    if (st == MX_OK) st = check_attr_object(L, ctx, "attr", extra);
    if (st != MX_OK) return st;
    if (!strcmp(op->str, "null")) return build_variable(L, i, ctx, inputs, attrs, extra, name);
    return build_op(L, i, ctx, op, inputs, attrs, name);
}

/* arg_nodes must list variable nodes only, as MXNet checks on load. */
static mx_status check_arg_nodes(const loader *L, const mx_json *arg_nodes)
{
    for (int k = 0; k < arg_nodes->n; k++) {
        long long id;
        if (!as_index(&arg_nodes->items[k], &id))
            return lerr(L, "arg_nodes[%d]: expected a non-negative integer (line %d)", k, arg_nodes->items[k].line);
        if (id >= L->nodes->n)
            return lerr(L, "arg_nodes[%d]: node id %lld out of range (%d nodes)", k, id, L->nodes->n);
        if (L->built[id]->op) {
            char ctx[256];
            return lerr(L, "arg_nodes[%d]: %s is not a variable node", k, node_ctx(L, (int)id, ctx, sizeof ctx));
        }
    }
    return MX_OK;
}

static const mx_json *top_field(const loader *L, const mx_json *root, const char *key, mx_json_type want,
                                int required, mx_status *st)
{
    const mx_json *v = mx_json_get(root, key);
    if (*st != MX_OK) return NULL; /* report the first problem only */
    if (!v && required) *st = lerr(L, "missing field \"%s\"", key);
    else if (v && v->type != want)
        *st = lerr(L, "\"%s\" must be %s, not %s (line %d)", key, mx_json_type_name(want),
                   mx_json_type_name(v->type), v->line);
    return *st == MX_OK ? v : NULL;
}

mx_sym *mx_sym_from_json(const char *text, const char *what)
{
    loader L = {what ? what : "symbol JSON", NULL, NULL};
    if (!text) { mx_set_error(MX_EINVAL, "%s: no text", L.what); return NULL; }
    char err[256];
    mx_json *root = mx_json_parse(text, err, sizeof err);
    if (!root) { lerr(&L, "malformed JSON: %s", err); return NULL; }
    mx_sym *sym = NULL;
    mx_entry *heads_in = NULL;
    mx_status st = MX_OK;
    if (root->type != MX_JSON_OBJECT) {
        lerr(&L, "expected a JSON object at the top, found %s", mx_json_type_name(root->type));
        goto done;
    }
    const mx_json *nodes = top_field(&L, root, "nodes", MX_JSON_ARRAY, 1, &st);
    const mx_json *arg_nodes = top_field(&L, root, "arg_nodes", MX_JSON_ARRAY, 1, &st);
    const mx_json *heads = top_field(&L, root, "heads", MX_JSON_ARRAY, 1, &st);
    const mx_json *row_ptr = top_field(&L, root, "node_row_ptr", MX_JSON_ARRAY, 0, &st);
    top_field(&L, root, "attrs", MX_JSON_OBJECT, 0, &st);
    if (st != MX_OK) goto done;
    /* node_row_ptr is derived data MXNet recomputes; only its form is checked. */
    for (int k = 0; row_ptr && k < row_ptr->n; k++) {
        long long v;
        if (!as_index(&row_ptr->items[k], &v)) {
            lerr(&L, "node_row_ptr[%d]: expected a non-negative integer (line %d)", k, row_ptr->items[k].line);
            goto done;
        }
    }
    if (heads->n == 0) { lerr(&L, "\"heads\" is empty: a symbol needs at least one output"); goto done; }
    L.nodes = nodes;
    L.built = calloc((size_t)(nodes->n ? nodes->n : 1), sizeof *L.built);
    heads_in = calloc((size_t)heads->n, sizeof *heads_in);
    if (!L.built || !heads_in) { mx_set_error(MX_ENOMEM, "%s: out of memory", L.what); goto done; }
    for (int i = 0; i < nodes->n; i++)
        if (build_node(&L, i) != MX_OK) goto done;
    if (check_arg_nodes(&L, arg_nodes) != MX_OK) goto done;
    for (int h = 0; h < heads->n; h++) {
        char where[32];
        snprintf(where, sizeof where, "heads[%d]", h);
        if (resolve_entry(&L, &heads->items[h], nodes->n, where, &heads_in[h]) != MX_OK) goto done;
    }
    sym = mx_sym_from_entries(heads->n, heads_in);
done:
    /* The symbol holds its own references; nodes no head reaches go away. */
    for (int i = 0; L.built && i < L.nodes->n; i++) mx_node_release(L.built[i]);
    free(L.built);
    free(heads_in);
    mx_json_free(root);
    return sym;
}

mx_sym *mx_sym_load_json(const char *path)
{
    if (!path) { mx_set_error(MX_EINVAL, "mx_sym_load_json: path is NULL"); return NULL; }
    FILE *f = fopen(path, "rb");
    if (!f) { mx_set_error(MX_EIO, "%s: cannot open: %s", path, strerror(errno)); return NULL; }
    char *text = NULL;
    size_t len = 0, cap = 0, chunk = 1 << 16;
    for (;;) {
        if (len + chunk + 1 > cap) {
            cap = (len + chunk + 1) * 2;
            char *nt = realloc(text, cap);
            if (!nt) {
                free(text);
                fclose(f);
                mx_set_error(MX_ENOMEM, "%s: out of memory", path);
                return NULL;
            }
            text = nt;
        }
        size_t got = fread(text + len, 1, chunk, f);
        len += got;
        if (got < chunk) break;
    }
    int bad = ferror(f);
    fclose(f);
    mx_sym *sym = NULL;
    if (bad) mx_set_error(MX_EIO, "%s: read failed", path);
    else if (text[len] = '\0', strlen(text) != len)
        mx_set_error(MX_EFORMAT, "%s: malformed JSON: a NUL byte at offset %zu", path, strlen(text));
    else sym = mx_sym_from_json(text, path);
    free(text);
    return sym;
}
