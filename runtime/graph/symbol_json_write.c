/* symbol_json_write.c — symbols to MXNet graph JSON in libmxnet's exact
 * layout (dmlc's JSON writer: 2-space indents, ", " before each line
 * break, arrays of more than ten numbers one per line, maps of one key
 * inline), so files mxrt writes are the files MXNet writes. */
#include "mx/symbol_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/atomic_file.h"
#include "graph.h"

#define MXNET_VERSION 10600 /* what mxrt claims to be compatible with: 1.6.0 */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + n + 1) nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) { b->oom = 1; return; }
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_cat(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_int(sbuf *b, long v)
{
    char t[32];
    sb_put(b, t, (size_t)snprintf(t, sizeof t, "%ld", v));
}

/* A line break inside a multi-line scope at the given depth. */
static void sb_newline(sbuf *b, int depth)
{
    sb_put(b, "\n", 1);
    for (int i = 0; i < depth; i++) sb_put(b, "  ", 2);
}

/* dmlc escapes only these; other control bytes get \u so the JSON stays valid. */
static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        switch (c) {
        case '\r': sb_put(b, "\\r", 2); break;
        case '\n': sb_put(b, "\\n", 2); break;
        case '\t': sb_put(b, "\\t", 2); break;
        case '\\': sb_put(b, "\\\\", 2); break;
        case '"': sb_put(b, "\\\"", 2); break;
        default:
            if (c < 0x20) sb_put(b, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", c));
            else sb_put(b, (const char *)s, 1);
        }
    }
    sb_put(b, "\"", 1);
}

/* Starts item i of a scope whose items sit at depth (multi-line or not). */
static void sb_item(sbuf *b, int i, int multi, int depth)
{
    if (i) sb_put(b, ", ", 2);
    if (multi) sb_newline(b, depth);
}

static void sb_close(sbuf *b, int n, int multi, int depth, const char *bracket)
{
    if (multi && n) sb_newline(b, depth);
    sb_cat(b, bracket);
}

/* Entries [node, index, version]; (n > 10) one per line, as dmlc writes. */
static void sb_entries(sbuf *b, const int *ids, const int *idx, int n, int depth)
{
    int multi = n > 10;
    sb_cat(b, "[");
    for (int i = 0; i < n; i++) {
        sb_item(b, i, multi, depth + 1);
        sb_cat(b, "[");
        sb_int(b, ids[i]);
        sb_cat(b, ", ");
        sb_int(b, idx[i]);
        sb_cat(b, ", 0]");
    }
    sb_close(b, n, multi, depth, "]");
}

static void sb_ints(sbuf *b, const int *v, int n, int depth)
{
    int multi = n > 10;
    sb_cat(b, "[");
    for (int i = 0; i < n; i++) {
        sb_item(b, i, multi, depth + 1);
        sb_int(b, v[i]);
    }
    sb_close(b, n, multi, depth, "]");
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* A node's attributes sorted by key (MXNet keeps them in a std::map); a
 * key given twice keeps its last value, as MXNet's dict would. */
static void sb_attrs(sbuf *b, int nattr, char **keys, char **vals, int depth)
{
    char ***order = malloc((size_t)nattr * 2 * sizeof *order);
    if (!order) { b->oom = 1; return; }
    int n = 0;
    for (int i = 0; i < nattr; i++) {
        int later = 0;
        for (int j = i + 1; j < nattr && !later; j++) later = !strcmp(keys[i], keys[j]);
        if (later) continue;
        order[2 * n] = &keys[i];
        order[2 * n + 1] = &vals[i];
        n++;
    }
    qsort(order, (size_t)n, 2 * sizeof *order, cmp_key);
    int multi = n > 1;
    sb_cat(b, "{");
    for (int i = 0; i < n; i++) {
        sb_item(b, i, multi, depth + 1);
        sb_str(b, *order[2 * i]);
        sb_cat(b, ": ");
        sb_str(b, *order[2 * i + 1]);
    }
    sb_close(b, n, multi, depth, "}");
    free(order);
}

/* One JSON node: a graph node, or (node NULL) an auxiliary-state variable. */
typedef struct jnode {
    const mx_node *node;
    const char *aux_name;
    const mx_attrs *aux_attrs; /* the aux variable's attributes, or NULL */
    int aux_first; /* op nodes: index of their first aux id in aux_ids */
} jnode;

static void write_node(sbuf *b, const jnode *j, const int *aux_ids, int *in_ids, int *in_idx)
{
    const mx_node *nd = j->node;
    sb_cat(b, "{");
    sb_newline(b, 3);
    sb_cat(b, "\"op\": ");
    sb_str(b, nd && nd->op ? nd->op->name : "null");
    sb_cat(b, ", ");
    sb_newline(b, 3);
    sb_cat(b, "\"name\": ");
    sb_str(b, nd ? nd->name : j->aux_name);
    int nattr = nd ? nd->nattr : j->aux_attrs ? j->aux_attrs->n : 0;
    if (nattr) {
        sb_cat(b, ", ");
        sb_newline(b, 3);
        sb_cat(b, "\"attrs\": ");
        if (nd) sb_attrs(b, nd->nattr, nd->attr_keys, nd->attr_vals, 3);
        else sb_attrs(b, j->aux_attrs->n, j->aux_attrs->keys, j->aux_attrs->vals, 3);
    }
    sb_cat(b, ", ");
    sb_newline(b, 3);
    sb_cat(b, "\"inputs\": ");
    int n = 0;
    if (nd) {
        for (int k = 0; k < nd->ninputs; k++, n++) {
            in_ids[n] = nd->inputs[k].node->mark - 1;
            in_idx[n] = nd->inputs[k].index;
        }
        for (int k = 0; k < nd->naux; k++, n++) {
            in_ids[n] = aux_ids[j->aux_first + k];
            in_idx[n] = 0;
        }
    }
    sb_entries(b, in_ids, in_idx, n, 3);
    sb_newline(b, 2);
    sb_cat(b, "}");
}

char *mx_sym_to_json(const mx_sym *sym)
{
    if (!sym) { mx_set_error(MX_EINVAL, "mx_sym_to_json: symbol is NULL"); return NULL; }
    if (sym->nout < 1) { mx_set_error(MX_EINVAL, "mx_sym_to_json: symbol has no outputs"); return NULL; }
    int n, naux = 0;
    mx_node **order = mx_graph_topo(sym, &n);
    if (!order) return NULL;
    int most = 1; /* the most inputs and aux states of a node */
    for (int i = 0; i < n; i++) {
        naux += order[i]->naux;
        if (order[i]->ninputs + order[i]->naux > most) most = order[i]->ninputs + order[i]->naux;
    }
    size_t cnt = (size_t)(n > 0 ? n : 0) + (size_t)naux;
    jnode *jn = calloc(cnt + 1, sizeof *jn);
    int *aux_ids = calloc((size_t)(naux ? naux : 1), sizeof *aux_ids);
    /* scratch for one node's inputs, then arg_nodes and node_row_ptr */
    int *ints = calloc(cnt + 1 + 2 * (size_t)most, sizeof *ints);
    int *heads = calloc((size_t)sym->nout * 2, sizeof *heads);
    sbuf b = {0};
    if (!jn || !aux_ids || !ints || !heads) { b.oom = 1; goto done; }
    /* Ids in MXNet's order: each op's aux variables come right before it
     * (they are its last inputs); one shared aux name is one node. */
    int total = 0, na = 0;
    for (int i = 0; i < n; i++) {
        mx_node *nd = order[i];
        jn[total].aux_first = na;
        int first = na;
        for (int k = 0; k < nd->naux; k++, na++) {
            int found = -1;
            for (int t = 0; t < total && found < 0; t++)
                if (!jn[t].node && !strcmp(jn[t].aux_name, nd->aux_names[k])) found = t;
            if (found < 0) {
                jn[total].aux_name = nd->aux_names[k];
                jn[total].aux_attrs = nd->aux_attrs ? &nd->aux_attrs[k] : NULL;
                found = total++;
            }
            aux_ids[na] = found;
        }
        jn[total].node = nd;
        jn[total].aux_first = first;
        nd->mark = ++total; /* id + 1; cleared below */
    }
    sb_cat(&b, "{");
    sb_newline(&b, 1);
    sb_cat(&b, "\"nodes\": [");
    for (int t = 0; t < total; t++) {
        sb_item(&b, t, 1, 2);
        write_node(&b, &jn[t], aux_ids, ints, ints + most);
    }
    sb_newline(&b, 1);
    sb_cat(&b, "], ");
    sb_newline(&b, 1);
    /* arg_nodes: every variable node, aux ones included (MXNet's rule). */
    int *args = ints, nargs = 0;
    for (int t = 0; t < total; t++)
        if (!jn[t].node || !jn[t].node->op) args[nargs++] = t;
    sb_cat(&b, "\"arg_nodes\": ");
    sb_ints(&b, args, nargs, 1);
    sb_cat(&b, ", ");
    sb_newline(&b, 1);
    int *rows = ints;
    rows[0] = 0;
    for (int t = 0; t < total; t++) rows[t + 1] = rows[t] + (jn[t].node ? jn[t].node->noutputs : 1);
    sb_cat(&b, "\"node_row_ptr\": ");
    sb_ints(&b, rows, total + 1, 1);
    sb_cat(&b, ", ");
    sb_newline(&b, 1);
    int *hid = heads, *hidx = heads + sym->nout;
    for (int o = 0; o < sym->nout; o++) {
        hid[o] = sym->outs[o].node->mark - 1;
        hidx[o] = sym->outs[o].index;
    }
    sb_cat(&b, "\"heads\": ");
    sb_entries(&b, hid, hidx, sym->nout, 1);
    sb_cat(&b, ", ");
    sb_newline(&b, 1);
    sb_cat(&b, "\"attrs\": {\"mxnet_version\": [\"int\", ");
    sb_int(&b, MXNET_VERSION);
    sb_cat(&b, "]}");
    sb_newline(&b, 0);
    sb_cat(&b, "}");
done:
    for (int i = 0; i < n; i++) order[i]->mark = 0;
    free(order);
    free(jn);
    free(aux_ids);
    free(ints);
    free(heads);
    if (b.oom) {
        free(b.s);
        mx_set_error(MX_ENOMEM, "mx_sym_to_json: out of memory");
        return NULL;
    }
    return b.s;
}

mx_status mx_sym_save_json(const mx_sym *sym, const char *path)
{
    char *text = mx_sym_to_json(sym);
    if (!text) return sym && sym->nout ? MX_ENOMEM : MX_EINVAL;
    mx_atomic_file af;
    mx_status st = mx_atomic_open(&af, path);
    if (st == MX_OK) {
        fputs(text, af.f);
        st = mx_atomic_commit(&af);
    }
    free(text);
    return st;
}
