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
    long version;    /* the writer's MXNet version (10600 = 1.6.0); 800 when the file has none */
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

/* A node's attributes as MXNet's loader sees them: "attrs" (or the older
 * "attr"), then "param" (0.8 files: every op parameter, defaults too)
 * for keys not already given. Pointers into the parsed JSON. */
typedef struct node_attrs {
    int n;
    const char **keys, **vals;
} node_attrs;

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

static mx_status gather_attrs(const loader *L, const char *ctx, const mx_json *nd, node_attrs *out)
{
    static const char *const fields[] = {"attrs", "attr", "param"};
    const mx_json *src[3];
    int cap = 0;
    for (int f = 0; f < 3; f++) {
        src[f] = mx_json_get(nd, fields[f]);
        mx_status st = check_attr_object(L, ctx, fields[f], src[f]);
        if (st != MX_OK) return st;
        cap += src[f] ? src[f]->n : 0;
    }
    out->n = 0;
    out->keys = calloc((size_t)cap + 1, sizeof *out->keys);
    out->vals = calloc((size_t)cap + 1, sizeof *out->vals);
    if (!out->keys || !out->vals) return mx_set_error(MX_ENOMEM, "%s: out of memory", L->what);
    for (int f = 0; f < 3; f++) {
        for (int k = 0; src[f] && k < src[f]->n; k++) {
            int seen = 0;
            for (int j = 0; j < out->n && !seen; j++) seen = !strcmp(out->keys[j], src[f]->keys[k]);
            if (seen) continue;
            out->keys[out->n] = src[f]->keys[k];
            out->vals[out->n] = src[f]->items[k].str;
            out->n++;
        }
    }
    return MX_OK;
}

static void free_attrs(node_attrs *a)
{
    free(a->keys);
    free(a->vals);
}

/* Keys MXNet before 0.9 wrote without underscores; its loader turns them
 * into hidden attributes (UpgradeJSON_FixParsing). */
static const char *const legacy_hidden[] = {"ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage"};
#define N_LEGACY ((int)(sizeof legacy_hidden / sizeof legacy_hidden[0]))

/* The legacy key key is, or ends with "_" + one of them: its index, with
 * *prefix_len the length before "_" (0 for the key itself); -1 if none. */
static int legacy_key(const char *key, size_t *prefix_len)
{
    size_t n = strlen(key);
    for (int h = 0; h < N_LEGACY; h++) {
        size_t m = strlen(legacy_hidden[h]);
        if (n == m && !strcmp(key, legacy_hidden[h])) { *prefix_len = 0; return h; }
        if (n > m + 1 && key[n - m - 1] == '_' && !strcmp(key + n - m, legacy_hidden[h])) {
            *prefix_len = n - m - 1;
            return h;
        }
    }
    return -1;
}

static mx_status add_attr(mx_node *nd, const char *key, const char *val)
{
    mx_attrs a = {nd->nattr, nd->attr_keys, nd->attr_vals};
    mx_status st = mx_attrs_add(&a, key, val);
    nd->nattr = a.n;
    nd->attr_keys = a.keys;
    nd->attr_vals = a.vals;
    return st;
}

/* Sets a hidden attribute "__name__" on nd, replacing an earlier value. */
static mx_status set_hidden(mx_node *nd, const char *name, const char *val)
{
    char key[64];
    snprintf(key, sizeof key, "__%s__", name);
    for (int i = 0; i < nd->nattr; i++)
        if (!strcmp(nd->attr_keys[i], key)) {
            char *v = strdup(val);
            if (!v) return mx_set_error(MX_ENOMEM, "symbol JSON: out of memory");
            free(nd->attr_vals[i]);
            nd->attr_vals[i] = v;
            return MX_OK;
        }
    return add_attr(nd, key, val);
}

static mx_status build_variable(loader *L, int i, const char *ctx, const mx_json *inputs, const node_attrs *a,
                                const mx_json *name)
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
    mx_status st = MX_OK;
    for (int k = 0; k < a->n && st == MX_OK; k++) st = add_attr(nd, a->keys[k], a->vals[k]);
    return st;
}

/* Parses the op's parameters from a: hidden keys ("__x__") and legacy
 * ones are skipped here (apply_hidden). A value mxrt cannot run keeps
 * its not-supported status; any other refusal is a bad file. */
static mx_status parse_params(const loader *L, const char *ctx, const mx_op_def *op, void *param,
                              const node_attrs *a)
{
    mx_status st = mx_params_defaults(op, param);
    size_t plen;
    for (int k = 0; st == MX_OK && k < a->n; k++) {
        if (!strncmp(a->keys[k], "__", 2)) continue;
        if (!mx_param_known(op, a->keys[k]) && legacy_key(a->keys[k], &plen) >= 0) continue;
        mx_status pst = mx_param_set(op, param, a->keys[k], a->vals[k]);
        if (pst != MX_OK) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", mx_last_error());
            st = pst == MX_ENOTSUP ? mx_set_error(MX_ENOTSUP, "%s: %s: %s", L->what, ctx, msg)
                                   : lerr(L, "%s: %s", ctx, msg);
        }
    }
    for (const mx_param_spec *s = op->params; st == MX_OK && s && s->name; s++) {
        int given = 0;
        for (int k = 0; k < a->n && !given; k++) given = !strcmp(a->keys[k], s->name);
        if (!s->def && !given && !(s->flags & MX_PF_OPTIONAL))
            st = lerr(L, "%s: required parameter '%s' missing", ctx, s->name);
    }
    return st;
}

/* The node's attributes besides its parameters: hidden ones kept as they
 * are, legacy ones as MXNet's loader turns them: "lr_mult" becomes the
 * node's "__lr_mult__", "<arg>_lr_mult" the "__lr_mult__" of that input's
 * variable. */
static mx_status apply_hidden(const loader *L, const char *ctx, mx_node *nd, const node_attrs *a,
                              const char *const *args, int nargs)
{
    for (int k = 0; k < a->n; k++) {
        const char *key = a->keys[k];
        size_t plen;
        int h;
        mx_status st = MX_OK;
        if (mx_param_known(nd->op, key)) st = add_attr(nd, key, a->vals[k]);
        else if (!strncmp(key, "__", 2)) st = add_attr(nd, key, a->vals[k]);
        else if ((h = legacy_key(key, &plen)) >= 0 && plen == 0) st = set_hidden(nd, legacy_hidden[h], a->vals[k]);
        else if (h >= 0) {
            int arg = -1;
            for (int j = 0; j < nargs && arg < 0; j++)
                if (strlen(args[j]) == plen && !strncmp(args[j], key, plen)) arg = j;
            mx_node *in = arg >= 0 ? nd->inputs[arg].node : NULL;
            if (!in || in->op)
                return lerr(L, "%s: attribute '%s' names no variable input of the op", ctx, key);
            st = set_hidden(in, legacy_hidden[h], a->vals[k]);
        }
        if (st != MX_OK) return st;
    }
    return MX_OK;
}

static mx_status build_op_with(loader *L, int i, const char *ctx, const mx_op_def *op, void *param,
                               const mx_json *inputs, const node_attrs *a, const mx_json *name, const char **args,
                               const char **aux, mx_entry *in);

static mx_status build_op(loader *L, int i, const char *ctx, const mx_json *op_name, const mx_json *inputs,
                          const node_attrs *a, const mx_json *name)
{
    const mx_op_def *op = mx_op_lookup(op_name->str);
    if (!op)
        return mx_set_error(MX_ENOTSUP, "%s: %s: operator '%s' is not supported by mxrt (docs/operators.md "
                            "lists its ops)", L->what, ctx, op_name->str);
    void *param = calloc(1, op->param_size ? op->param_size : 1);
    if (!param) return mx_set_error(MX_ENOMEM, "symbol JSON: out of memory");
    mx_status st = parse_params(L, ctx, op, param, a);
    if (st != MX_OK) { free(param); return st; }
    /* a variadic op's count must match the node before anything is sized by it */
    if (op->num_arguments && op->num_arguments(param) > inputs->n) {
        int want = op->num_arguments(param);
        free(param);
        return lerr(L, "%s: %d inputs, num_args says %d", ctx, inputs->n, want);
    }
    int room = mx_op_args_room(op, param);
    const char **args = malloc((size_t)room * sizeof *args), *aux[MX_OP_MAX_AUX];
    mx_entry *in = malloc((size_t)(room + MX_OP_MAX_AUX) * sizeof *in);
    if (!args || !in) {
        free(args);
        free(in);
        free(param);
        return mx_set_error(MX_ENOMEM, "symbol JSON: out of memory");
    }
    st = build_op_with(L, i, ctx, op, param, inputs, a, name, args, aux, in);
    free(args);
    free(in);
    return st;
}

/* build_op's work, with its scratch lists: args (room entries), aux, in. */
static mx_status build_op_with(loader *L, int i, const char *ctx, const mx_op_def *op, void *param,
                               const mx_json *inputs, const node_attrs *a, const mx_json *name, const char **args,
                               const char **aux, mx_entry *in)
{
    mx_status st;
    int nargs = op->list_arguments(param, args);
    int naux = op->list_aux ? op->list_aux(param, aux) : 0;
    /* Before 0.9 the aux states were not in the file; MXNet's loader adds
     * their variables (UpgradeJSON_000800_000900). */
    int add_aux = naux && inputs->n == nargs && L->version < 900;
    if (inputs->n != nargs + naux && !add_aux) {
        char list[256];
        size_t len = 0;
        list[0] = '\0';
        for (int k = 0; k < nargs + naux && len < sizeof list; k++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "",
                                    k < nargs ? args[k] : aux[k - nargs]);
        free(param);
        return lerr(L, "%s: %d inputs, the op takes %d (%s)", ctx, inputs->n, nargs + naux, list);
    }
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
    if ((st = apply_hidden(L, ctx, nd, a, args, nargs)) != MX_OK) return st;
    if (naux && !(nd->aux_attrs = calloc((size_t)naux, sizeof *nd->aux_attrs)))
        return mx_set_error(MX_ENOMEM, "symbol JSON: out of memory");
    for (int k = 0; k < naux; k++) {
        mx_attrs *dst = &nd->aux_attrs[k];
        if (add_aux) { /* named <node>_<aux> (mx_node_new_op's), with the op's attributes as MXNet copies them */
            for (int j = 0; j < nd->nattr && st == MX_OK; j++) st = mx_attrs_add(dst, nd->attr_keys[j], nd->attr_vals[j]);
            if (st != MX_OK) return st;
            continue;
        }
        /* Aux states are names on the op in mxrt; keep the file's names and attributes. */
        const mx_node *v = in[nargs + k].node;
        char *aname = strdup(v->name);
        if (!aname) return mx_set_error(MX_ENOMEM, "symbol JSON: out of memory");
        free(nd->aux_names[k]);
        nd->aux_names[k] = aname;
        for (int j = 0; j < v->nattr && st == MX_OK; j++) st = mx_attrs_add(dst, v->attr_keys[j], v->attr_vals[j]);
        if (st != MX_OK) return st;
    }
    return MX_OK;
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
    node_attrs a = {0, NULL, NULL};
    mx_status st = gather_attrs(L, ctx, nd, &a);
    if (st == MX_OK)
        st = !strcmp(op->str, "null") ? build_variable(L, i, ctx, inputs, &a, name)
                                      : build_op(L, i, ctx, op, inputs, &a, name);
    free_attrs(&a);
    return st;
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
    loader L = {what ? what : "symbol JSON", NULL, NULL, 800};
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
    const mx_json *gattrs = top_field(&L, root, "attrs", MX_JSON_OBJECT, 0, &st);
    if (st != MX_OK) goto done;
    /* "mxnet_version": ["int", 10600]: what upgrades the file needs. */
    const mx_json *ver = gattrs ? mx_json_get(gattrs, "mxnet_version") : NULL;
    if (ver) {
        long long v;
        if (ver->type != MX_JSON_ARRAY || ver->n != 2 || ver->items[0].type != MX_JSON_STRING ||
            !as_index(&ver->items[1], &v)) {
            lerr(&L, "attrs.mxnet_version: expected [\"int\", version] (line %d)", ver->line);
            goto done;
        }
        L.version = (long)v;
    }
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
