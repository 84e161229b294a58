/* graphviz.c — DOT output of a symbol, following MXNet.jl's to_graphviz
 * layout and MXNet's plot_network rules for labels, colours and which
 * variables to hide. */
#include "mx/graphviz.h"

#include <stdlib.h>
#include <string.h>

#include "formats/atomic_file.h"
#include "infer.h"

/* MXNet's palette: fill colours and the matching border colours. */
static const char *const fill_colors[] = {"#8dd3c7", "#fb8072", "#ffffb3", "#bebada",
                                          "#80b1d3", "#fdb462", "#b3de69", "#fccde5"};
static const char *const edge_colors[] = {"#245b51", "#941305", "#999900", "#3b3564",
                                          "#275372", "#975102", "#597d1c", "#90094e"};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* Colour index by op kind, as MXNet assigns them. */
static int color_key(const char *op)
{
    if (!strcmp(op, "FullyConnected") || !strcmp(op, "Convolution")) return 1;
    if (!strcmp(op, "Activation") || !strcmp(op, "LeakyReLU")) return 2;
    if (!strcmp(op, "BatchNorm")) return 3;
    if (!strcmp(op, "Pooling")) return 4;
    if (!strcmp(op, "Concat") || !strcmp(op, "Flatten") || !strcmp(op, "Reshape")) return 5;
    if (ends_with(op, "Output") || !strcmp(op, "Softmax") || !strcmp(op, "BlockGrad")) return 6;
    return 7;
}

/* The parameter as the user gave it, else its default, else "?". */
static const char *param_text(const mx_node *nd, const char *key)
{
    for (int i = nd->nattr - 1; i >= 0; i--)
        if (!strcmp(nd->attr_keys[i], key)) return nd->attr_vals[i];
    for (const mx_param_spec *s = nd->op->params; s && s->name; s++)
        if (!strcmp(s->name, key) && s->def) return s->def;
    return "?";
}

/* "(5, 5)" -> "5x5", the way MXNet prints kernels and strides. */
static void dims_text(const char *v, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = v; *p && n + 2 < cap; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n && (p == v || p[-1] < '0' || p[-1] > '9')) out[n++] = 'x';
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

/* Second label line: the op and the parameters that tell layers apart. */
static void op_label(const mx_node *nd, char *out, size_t cap)
{
    const char *op = nd->op->name;
    char k[64], s[64];
    if (!strcmp(op, "FullyConnected"))
        snprintf(out, cap, "%s\\n%s", op, param_text(nd, "num_hidden"));
    else if (!strcmp(op, "Activation") || !strcmp(op, "LeakyReLU"))
        snprintf(out, cap, "%s\\n%s", op, param_text(nd, "act_type"));
    else if (!strcmp(op, "Convolution")) {
        dims_text(param_text(nd, "kernel"), k, sizeof k);
        dims_text(param_text(nd, "stride"), s, sizeof s);
        snprintf(out, cap, "%s\\n%s/%s, %s", op, k, s[0] ? s : "1", param_text(nd, "num_filter"));
    } else if (!strcmp(op, "Pooling")) {
        dims_text(param_text(nd, "kernel"), k, sizeof k);
        dims_text(param_text(nd, "stride"), s, sizeof s);
        snprintf(out, cap, "%s\\n%s, %s/%s", op, param_text(nd, "pool_type"), k, s[0] ? s : "1");
    } else if (strcmp(param_text(nd, "scalar"), "?"))
        snprintf(out, cap, "%s\\n%s", op, param_text(nd, "scalar"));
    else if (strcmp(param_text(nd, "num_outputs"), "?"))
        snprintf(out, cap, "%s\\n%s", op, param_text(nd, "num_outputs"));
    else snprintf(out, cap, "%s", op);
}

/* Text inside a DOT string: quotes and backslashes escaped, newlines as \n. */
static void put_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', out);
        if (*s == '\n') fputs("\\n", out);
        else fputc(*s, out);
    }
}

static void put_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    put_escaped(out, s);
    fputc('"', out);
}

/* DOT id of node i: its name, made unique with "#i" when names repeat. */
static void put_id(FILE *out, mx_node *const *order, const int *dup, int i)
{
    if (!dup[i]) { put_quoted(out, order[i]->name); return; }
    char *s = malloc(strlen(order[i]->name) + 16);
    if (!s) { fprintf(out, "\"node#%d\"", i); return; }
    sprintf(s, "%s#%d", order[i]->name, i);
    put_quoted(out, s);
    free(s);
}

/* Variables that hold parameters rather than data: names MXNet treats as
 * weights, and the <node>_<argument> variables an op made for itself. */
static int looks_like_parameter(const char *name)
{
    static const char *const suffixes[] = {"_weight", "_bias", "_beta", "_gamma", "_moving_var",
                                           "_moving_mean", "_running_var", "_running_mean"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (ends_with(name, suffixes[i])) return 1;
    return 0;
}

static void mark_auto_named(mx_node *const *order, int n, int *hidden)
{
    for (int i = 0; i < n; i++) {
        const mx_node *c = order[i];
        if (!c->op) continue;
        const char *few[MX_OP_MAX_ARGS], **args = few;
        int room = mx_op_args_room(c->op, c->param);
        /* (out of memory: the variables are drawn rather than hidden) */
        if (room > MX_OP_MAX_ARGS && !(args = malloc((size_t)room * sizeof *args))) continue;
        int nargs = c->op->list_arguments(c->param, args);
        size_t ln = strlen(c->name);
        for (int k = 0; k < c->ninputs && k < nargs; k++) {
            const mx_node *v = c->inputs[k].node;
            if (v->op || strncmp(v->name, c->name, ln) || v->name[ln] != '_' || strcmp(v->name + ln + 1, args[k]))
                continue;
            hidden[v->mark - 1] = 1;
        }
        if (args != few) free(args);
    }
}

static void write_graph(FILE *out, const char *title, mx_node *const *order, int n,
                        const int *dup, const int *hidden, const mx_graph_shapes *gs)
{
    fputs("digraph ", out);
    put_quoted(out, title ? title : "Network Visualization");
    fputs(" {\nnode [fontsize=10];\nedge [fontsize=10];\n", out);
    for (int i = 0; i < n; i++) {
        const mx_node *nd = order[i];
        if (hidden[i]) continue;
        int key = nd->op ? color_key(nd->op->name) : 0;
        char opl[256];
        if (nd->op) op_label(nd, opl, sizeof opl);
        put_id(out, order, dup, i);
        /* the op part already holds DOT's \n escapes; only the name needs escaping */
        fputs(" [label=\"", out);
        put_escaped(out, nd->name);
        if (nd->op) fprintf(out, "\\n%s", opl);
        fprintf(out, "\",shape=%s,fixedsize=true,width=1.3,height=0.8034,style=\"rounded,filled\","
                     "penwidth=2,fillcolor=\"%s\",color=\"%s\"];\n",
                nd->op ? "box" : "oval", fill_colors[key], edge_colors[key]);
    }
    for (int i = 0; i < n; i++) {
        const mx_node *nd = order[i];
        if (!nd->op) continue;
        for (int k = 0; k < nd->ninputs; k++) {
            int src = nd->inputs[k].node->mark - 1;
            if (hidden[src]) continue;
            put_id(out, order, dup, i);
            fputs(" -> ", out);
            put_id(out, order, dup, src);
            fputs(" [dir=back,arrowtail=open,color=\"#737373\"", out);
            if (gs) {
                char shape[160];
                mx_shape_str(&gs->out[src][nd->inputs[k].index], shape, sizeof shape);
                fprintf(out, ",label=\"%s\"", shape);
            }
            fputs("];\n", out);
        }
    }
    fputs("}\n", out);
}

mx_status mx_sym_to_graphviz(const mx_sym *sym, FILE *out, const char *title, int n_shapes,
                             const char *const *names, const mx_shape *shapes)
{
    if (!sym || !out) return mx_set_error(MX_EINVAL, "mx_sym_to_graphviz: symbol or stream is NULL");
    mx_graph_shapes gs = {0};
    int have_shapes = n_shapes > 0, n;
    mx_node **order;
    if (have_shapes) {
        mx_status st = mx_graph_infer(sym, n_shapes, names, shapes, &gs);
        if (st != MX_OK) return st;
        order = gs.order;
        n = gs.n;
    } else if (!(order = mx_graph_topo(sym, &n))) return MX_ENOMEM;
    int *dup = calloc((size_t)(n ? n : 1), sizeof *dup);
    int *hidden = calloc((size_t)(n ? n : 1), sizeof *hidden);
    mx_status st = MX_OK;
    if (!dup || !hidden) { st = mx_set_error(MX_ENOMEM, "mx_sym_to_graphviz: out of memory"); goto done; }
    for (int i = 0; i < n; i++) {
        order[i]->mark = i + 1; /* index + 1; cleared below */
        for (int j = i + 1; j < n; j++)
            if (!strcmp(order[i]->name, order[j]->name)) dup[i] = dup[j] = 1;
    }
    for (int i = 0; i < n; i++) hidden[i] = !order[i]->op && looks_like_parameter(order[i]->name);
    mark_auto_named(order, n, hidden);
    for (int o = 0; o < sym->nout; o++) hidden[sym->outs[o].node->mark - 1] = 0; /* outputs always show */
    write_graph(out, title, order, n, dup, hidden, have_shapes ? &gs : NULL);
    if (ferror(out)) st = mx_set_error(MX_EIO, "mx_sym_to_graphviz: write failed");
done:
    for (int i = 0; i < n; i++) order[i]->mark = 0;
    free(dup);
    free(hidden);
    if (have_shapes) mx_graph_shapes_free(&gs);
    else free(order);
    return st;
}

mx_status mx_sym_save_graphviz(const mx_sym *sym, const char *title, int n_shapes,
                               const char *const *names, const mx_shape *shapes, const char *path)
{
    mx_atomic_file af;
    mx_status st = mx_atomic_open(&af, path);
    if (st != MX_OK) return st;
    st = mx_sym_to_graphviz(sym, af.f, title, n_shapes, names, shapes);
    if (st != MX_OK) {
        mx_atomic_abort(&af);
        return st;
    }
    return mx_atomic_commit(&af);
}
