/* onnx_import.c — the ONNX importer's driver: the model's initializers
 * and inputs become values, each node in order is folded (shape
 * arithmetic on constants) or converted to mxrt ops (onnx_ops.c), and the
 * graph's outputs become the symbol's. Shapes are inferred node by node
 * with mxrt's own shape inference, so that converters can decide on them
 * (Gemm's bias, broadcasting ranks, Reshape's 0 and -1). */
#include "onnx/onnx_import.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/ndarray.h"
#include "mx/symbol_json.h"

/* The lowest and highest opsets of the default domain tested (issue #17). */
#define OX_OPSET_MIN 9
#define OX_OPSET_MAX 17

mx_status ox_fail(ox_ctx *c, mx_status st, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->node)
        return mx_set_error(st, "%s: node '%s' (%s, opset %d): %s", c->path, c->label,
                            c->node->op_type ? c->node->op_type : "?", c->opset, msg);
    return mx_set_error(st, "%s: %s", c->path, msg);
}

const char *ox_tuple(const int64_t *v, int n, char *buf, size_t cap)
{
    size_t k = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < n && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, "%s%lld", i ? "," : "", (long long)v[i]);
    if (k < cap) snprintf(buf + k, cap - k, n == 1 ? ",)" : ")");
    return buf;
}

int ox_axis(ox_ctx *c, int64_t axis, int ndim, const char *what)
{
    if (axis < -ndim || axis >= (ndim ? ndim : 1)) {
        ox_fail(c, MX_EINVAL, "%s %lld out of range for a rank-%d input", what, (long long)axis, ndim);
        return -1;
    }
    return (int)(axis < 0 ? axis + ndim : axis);
}

static ox_value *find_value(ox_ctx *c, const char *name)
{
    for (int i = c->nvals - 1; i >= 0; i--)
        if (!strcmp(c->vals[i]->name, name)) return c->vals[i];
    return NULL;
}

/* A new value slot called name (replacing one of the same name, which
 * ONNX forbids but an importer should not crash on). */
static ox_value *new_value(ox_ctx *c, const char *name)
{
    ox_value *v = find_value(c, name);
    if (v) {
        ox_tensor_free(&v->c);
        mx_sym_free(v->sym);
        char *keep = v->name;
        memset(v, 0, sizeof *v);
        v->name = keep;
        return v;
    }
    if (c->nvals == c->capvals) {
        int cap = c->capvals ? 2 * c->capvals : 64;
        ox_value **nv = realloc(c->vals, (size_t)cap * sizeof *nv);
        if (!nv) return NULL;
        c->vals = nv;
        c->capvals = cap;
    }
    /* each value on its own: converters hold pointers across new outputs */
    if (!(v = calloc(1, sizeof *v))) return NULL;
    if (!(v->name = strdup(name))) return free(v), NULL;
    c->vals[c->nvals++] = v;
    return v;
}

int ox_ninputs(const ox_ctx *c)
{
    int n = (int)c->node->n_input;
    while (n > 0 && !*c->node->input[n - 1]) n--;
    return n;
}

ox_value *ox_input(ox_ctx *c, int i, int required)
{
    if (i >= (int)c->node->n_input || !*c->node->input[i]) {
        if (required) ox_fail(c, MX_EFORMAT, "input %d missing", i);
        return NULL;
    }
    ox_value *v = find_value(c, c->node->input[i]);
    if (!v) ox_fail(c, MX_EFORMAT, "input '%s' is not produced by an earlier node, an initializer or a graph input "
                    "(nodes out of order?)", c->node->input[i]);
    return v;
}

const ox_tensor *ox_const_input(ox_ctx *c, int i, const char *what)
{
    ox_value *v = ox_input(c, i, 1);
    if (!v) return NULL;
    if (!v->is_const) {
        ox_fail(c, MX_ENOTSUP, "%s ('%s') is computed at run time: mxrt needs it constant (an initializer, or "
                "computed from shapes)", what, v->name);
        return NULL;
    }
    return &v->c;
}

static ox_param *find_param(ox_ctx *c, const char *name)
{
    for (int i = 0; i < c->nparams; i++)
        if (!strcmp(c->params[i].name, name)) return &c->params[i];
    return NULL;
}

mx_status ox_add_param(ox_ctx *c, const char *name, const ox_tensor *t, int aux)
{
    if (find_param(c, name)) return MX_OK; /* shared weights: one parameter */
    if (c->nparams == c->capparams) {
        int cap = c->capparams ? 2 * c->capparams : 64;
        ox_param *np = realloc(c->params, (size_t)cap * sizeof *np);
        if (!np) return mx_set_error(MX_ENOMEM, "onnx: no memory");
        c->params = np;
        c->capparams = cap;
    }
    ox_param *p = &c->params[c->nparams];
    memset(p, 0, sizeof *p);
    p->aux = aux;
    if (!(p->name = strdup(name))) return mx_set_error(MX_ENOMEM, "onnx: no memory");
    mx_status st;
    if (t->dtype == OX_F32) {
        st = ox_tensor_copy(&p->t, t);
    } else { /* integer constants read by runtime ops are float32 there */
        st = ox_tensor_alloc(&p->t, OX_F32, t->shape);
        for (size_t k = 0; st == MX_OK && k < t->n; k++) p->t.f[k] = (float)t->i[k];
    }
    if (st != MX_OK) {
        free(p->name);
        return st;
    }
    c->nparams++;
    return MX_OK;
}

mx_sym *ox_param_sym(ox_ctx *c, const char *name, const ox_tensor *t)
{
    if (ox_add_param(c, name, t, 0) != MX_OK) return NULL;
    ox_param *p = find_param(c, name);
    if (!p->var) {
        /* with its shape (MXNet's Variable(shape=)): a parameter read only by a
         * broadcast has no other way to it when the checkpoint is bound */
        char tuple[160];
        if (!(p->var = mx_var(name)) ||
            mx_sym_set_attr(p->var, "__shape__", ox_tuple(p->t.shape.dims, p->t.shape.ndim, tuple, sizeof tuple)) != MX_OK) {
            mx_sym_free(p->var);
            p->var = NULL;
            mx_set_error(MX_ENOMEM, "onnx: no memory");
            return NULL;
        }
    }
    return mx_sym_copy(p->var);
}

mx_sym *ox_sym(ox_ctx *c, ox_value *v)
{
    if (!v->sym && v->is_const) v->sym = ox_param_sym(c, v->name, &v->c);
    if (!v->sym) return NULL;
    return mx_sym_copy(v->sym);
}

mx_status ox_infer(ox_ctx *c, mx_sym *sym, mx_shape *out)
{
    const char *const *args;
    int na = mx_list_arguments(sym, &args);
    if (na < 0) return mx_last_status();
    const char **names = calloc((size_t)na + 1, sizeof *names);
    mx_shape *shapes = calloc((size_t)na + 1, sizeof *shapes), *arg_shapes = calloc((size_t)na + 1, sizeof *arg_shapes);
    const char *outs[1];
    int nout = mx_list_outputs(sym, outs, 1);
    int naux = mx_list_auxiliary_states(sym, NULL, 0);
    mx_shape *out_shapes = calloc((size_t)(nout > 0 ? nout : 1), sizeof *out_shapes);
    mx_shape *aux_shapes = calloc((size_t)(naux > 0 ? naux : 1), sizeof *aux_shapes);
    mx_status st = MX_OK;
    if (!names || !shapes || !arg_shapes || !out_shapes || !aux_shapes) st = mx_set_error(MX_ENOMEM, "onnx: no memory");
    int nk = 0;
    for (int a = 0; st == MX_OK && a < na; a++) {
        ox_param *p = find_param(c, args[a]);
        if (p) {
            names[nk] = args[a], shapes[nk++] = p->t.shape;
            continue;
        }
        for (int i = 0; i < c->nin; i++)
            if (!strcmp(c->in_names[i], args[a])) {
                names[nk] = args[a], shapes[nk++] = c->in_shapes[i];
                break;
            }
    }
    if (st == MX_OK) st = mx_infer_shape(sym, nk, names, shapes, arg_shapes, out_shapes, aux_shapes);
    if (st == MX_OK) *out = out_shapes[0];
    free(names);
    free(shapes);
    free(arg_shapes);
    free(out_shapes);
    free(aux_shapes);
    return st;
}

mx_sym *ox_emit(ox_ctx *c, const char *suffix, const char *op, const char *params, int n,
                const char *const *arg_names, mx_sym *const *inputs)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "name=%s%s %s", c->base, suffix ? suffix : "", params ? params : "");
    mx_sym *s = mx_op_args(op, buf, n, arg_names, inputs);
    if (!s) ox_fail(c, mx_last_status() == MX_OK ? MX_EINTERNAL : mx_last_status(), "as %s: %s", op, mx_last_error());
    return s;
}

static const char *out_name(ox_ctx *c, int i)
{
    return i < (int)c->node->n_output && *c->node->output[i] ? c->node->output[i] : NULL;
}

mx_status ox_set_output(ox_ctx *c, int i, mx_sym *sym)
{
    const char *name = out_name(c, i);
    if (!name) {
        mx_sym_free(sym);
        return MX_OK;
    }
    mx_shape shape;
    mx_status st = ox_infer(c, sym, &shape);
    if (st != MX_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", mx_last_error());
        mx_sym_free(sym);
        return ox_fail(c, st == MX_EINTERNAL ? st : MX_EINVAL, "shapes do not agree: %s", msg);
    }
    ox_value *v = new_value(c, name);
    if (!v) {
        mx_sym_free(sym);
        return mx_set_error(MX_ENOMEM, "onnx: no memory");
    }
    v->sym = sym;
    v->shape = shape;
    return MX_OK;
}

mx_status ox_set_const(ox_ctx *c, int i, ox_tensor *t)
{
    const char *name = out_name(c, i);
    if (ox_shape_size(t->shape) != t->n) { /* a fold's result must hold what its shape says */
        ox_tensor_free(t);
        return ox_fail(c, MX_EINTERNAL, "folded constant's shape does not match its values");
    }
    ox_value *v = name ? new_value(c, name) : NULL;
    if (!v) {
        ox_tensor_free(t);
        return name ? mx_set_error(MX_ENOMEM, "onnx: no memory") : MX_OK;
    }
    v->is_const = 1;
    v->c = *t;
    v->shape = t->shape;
    memset(t, 0, sizeof *t);
    return MX_OK;
}

mx_status ox_set_alias(ox_ctx *c, int i, const ox_value *src)
{
    const char *name = out_name(c, i);
    if (!name) return MX_OK;
    ox_value copy = *src; /* src may be the value replaced below */
    mx_status st = MX_OK;
    ox_tensor t = {0};
    mx_sym *s = NULL;
    if (copy.is_const) st = ox_tensor_copy(&t, &copy.c);
    if (st == MX_OK && copy.sym && !(s = mx_sym_copy(copy.sym))) st = mx_set_error(MX_ENOMEM, "onnx: no memory");
    ox_value *v = st == MX_OK ? new_value(c, name) : NULL;
    if (!v) {
        ox_tensor_free(&t);
        mx_sym_free(s);
        return st == MX_OK ? mx_set_error(MX_ENOMEM, "onnx: no memory") : st;
    }
    v->is_const = copy.is_const;
    v->is_int = copy.is_int;
    v->c = t;
    v->sym = s;
    v->shape = copy.shape;
    return MX_OK;
}

/* mxrt node names go into "name=…" parameter text: no spaces or '='. */
static void set_base(ox_ctx *c, const Onnx__GraphProto *g, const Onnx__NodeProto *n, int index)
{
    const char *b = n->name && *n->name ? n->name : n->n_output && *n->output[0] ? n->output[0] : NULL;
    if (b) snprintf(c->label, sizeof c->label, "%s", b);
    else snprintf(c->label, sizeof c->label, "#%d", index);
    int named = 0; /* by the first of its outputs that is a graph output */
    for (size_t o = 0; o < n->n_output && !named; o++)
        for (size_t k = 0; k < g->n_output && !named; k++)
            if (*n->output[o] && g->output[k]->name && !strcmp(n->output[o], g->output[k]->name)) b = n->output[o], named = 1;
    if (b) snprintf(c->base, sizeof c->base, "%s", b);
    else snprintf(c->base, sizeof c->base, "node%d", index);
    /* a graph output mxrt exported ("fc3_output") names its node "fc3", so it is fc3_output again */
    size_t len = strlen(c->base);
    if (b && n->n_output && b == n->output[0] && len > 7 && !strcmp(c->base + len - 7, "_output")) c->base[len - 7] = '\0';
    for (char *p = c->base; *p; p++)
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '=') *p = '_';
}

/* The shape of graph input vi: from the caller's names/shapes, else its
 * ONNX type, whose dimensions must then all be known. */
static mx_status input_shape(ox_ctx *c, const Onnx__ValueInfoProto *vi, int n, const char *const *names,
                             const mx_shape *shapes, mx_shape *out)
{
    for (int k = 0; k < n; k++)
        if (!strcmp(names[k], vi->name)) {
            *out = shapes[k];
            return MX_OK;
        }
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type || !tp->tensor_type->shape)
        return ox_fail(c, MX_EINVAL, "graph input '%s' has no shape in the file: give one (--shape %s=D1,D2,...)",
                       vi->name, vi->name);
    const Onnx__TensorShapeProto *sp = tp->tensor_type->shape;
    if (sp->n_dim > MX_MAX_NDIM)
        return ox_fail(c, MX_ENOTSUP, "graph input '%s' has %zu dimensions (mxrt: at most %d)", vi->name, sp->n_dim,
                       MX_MAX_NDIM);
    out->ndim = (int)sp->n_dim;
    for (size_t d = 0; d < sp->n_dim; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = sp->dim[d];
        if (dim->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || dim->dim_value <= 0)
            return ox_fail(c, MX_EINVAL, "graph input '%s': dimension %zu is %s%s%s: give the shape (--shape %s=D1,D2,...)",
                           vi->name, d,
                           dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? "symbolic ('" : "unknown",
                           dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? dim->dim_param : "",
                           dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? "')" : "",
                           vi->name);
        out->dims[d] = dim->dim_value;
    }
    return MX_OK;
}

static void ctx_free(ox_ctx *c)
{
    for (int i = 0; i < c->nvals; i++) {
        free(c->vals[i]->name);
        ox_tensor_free(&c->vals[i]->c);
        mx_sym_free(c->vals[i]->sym);
        free(c->vals[i]);
    }
    free(c->vals);
    for (int i = 0; i < c->nparams; i++) {
        free(c->params[i].name);
        ox_tensor_free(&c->params[i].t);
        mx_sym_free(c->params[i].var);
    }
    free(c->params);
    for (int i = 0; i < c->nin; i++) free(c->in_names[i]);
    free(c->in_names);
    free(c->in_shapes);
}

static int is_initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++)
        if (g->initializer[i]->name && !strcmp(g->initializer[i]->name, name)) return 1;
    return 0;
}

/* Initializers and graph inputs into values. */
static mx_status load_inputs(ox_ctx *c, const Onnx__GraphProto *g, int n, const char *const *names,
                             const mx_shape *shapes)
{
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Onnx__TensorProto *t = g->initializer[i];
        if (!t->name || !*t->name) return ox_fail(c, MX_EFORMAT, "initializer %zu has no name", i);
        ox_tensor v;
        mx_status st = ox_tensor_read(t, c->path, &v);
        if (st != MX_OK) return st;
        ox_value *val = new_value(c, t->name);
        if (!val) {
            ox_tensor_free(&v);
            return mx_set_error(MX_ENOMEM, "onnx: no memory");
        }
        val->is_const = 1;
        val->c = v;
        val->shape = v.shape;
    }
    for (int k = 0; k < n; k++) { /* every shape given names a runtime input */
        int found = 0;
        for (size_t i = 0; i < g->n_input; i++)
            found |= g->input[i]->name && !strcmp(g->input[i]->name, names[k]) && !is_initializer(g, names[k]);
        if (!found) {
            char list[512] = "";
            for (size_t i = 0; i < g->n_input; i++)
                if (g->input[i]->name && !is_initializer(g, g->input[i]->name))
                    snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", *list ? ", " : "", g->input[i]->name);
            return ox_fail(c, MX_EINVAL, "the graph has no input '%s' (its inputs: %s)", names[k], list);
        }
    }
    c->in_names = calloc(g->n_input + 1, sizeof *c->in_names);
    c->in_shapes = calloc(g->n_input + 1, sizeof *c->in_shapes);
    if (!c->in_names || !c->in_shapes) return mx_set_error(MX_ENOMEM, "onnx: no memory");
    for (size_t i = 0; i < g->n_input; i++) {
        const Onnx__ValueInfoProto *vi = g->input[i];
        if (!vi->name || !*vi->name) return ox_fail(c, MX_EFORMAT, "graph input %zu has no name", i);
        if (is_initializer(g, vi->name)) continue; /* IR < 4 lists initializers as inputs too */
        mx_shape s;
        mx_status st = input_shape(c, vi, n, names, shapes, &s);
        if (st != MX_OK) return st;
        if (!(c->in_names[c->nin] = strdup(vi->name))) return mx_set_error(MX_ENOMEM, "onnx: no memory");
        c->in_shapes[c->nin++] = s;
        ox_value *val = new_value(c, vi->name);
        if (!val || !(val->sym = mx_var(vi->name))) return mx_set_error(MX_ENOMEM, "onnx: no memory");
        val->shape = s;
        const Onnx__TypeProto *tp = vi->type;
        if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type) {
            int et = tp->tensor_type->elem_type;
            val->is_int = et != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && et != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE &&
                          et != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 && et != ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16 &&
                          et != ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED;
        }
    }
    return MX_OK;
}

static mx_status convert_nodes(ox_ctx *c, const Onnx__GraphProto *g)
{
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        c->node = n;
        set_base(c, g, n, (int)i);
        if (!n->op_type) return ox_fail(c, MX_EFORMAT, "node has no op_type");
        if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx"))
            return ox_fail(c, MX_ENOTSUP, "op domain '%s' is not supported by mxrt (only ONNX's own ops)", n->domain);
        int folded = ox_try_fold(c);
        if (folded < 0) return mx_last_status();
        if (folded) continue;
        ox_convert_fn fn = ox_find_converter(n->op_type);
        if (!fn) return ox_fail(c, MX_ENOTSUP, "op %s is not supported by mxrt's ONNX import", n->op_type);
        mx_status st = fn(c);
        if (st != MX_OK) return st;
    }
    c->node = NULL;
    return MX_OK;
}

/* The parameters the final graph uses, as a checkpoint names them. */
static mx_status collect_params(ox_ctx *c, const mx_sym *sym, mx_nd_list *out)
{
    const char *const *args;
    int na = mx_list_arguments(sym, &args);
    int naux = mx_list_auxiliary_states(sym, NULL, 0);
    const char **aux = calloc((size_t)naux + 1, sizeof *aux);
    out->names = calloc((size_t)(na + naux) + 1, sizeof *out->names);
    out->arrays = calloc((size_t)(na + naux) + 1, sizeof *out->arrays);
    if (!aux || !out->names || !out->arrays) {
        free(aux);
        return mx_set_error(MX_ENOMEM, "onnx: no memory");
    }
    mx_list_auxiliary_states(sym, aux, naux);
    mx_status st = MX_OK;
    for (int pass = 0; pass < 2 && st == MX_OK; pass++) {
        int cnt = pass ? naux : na;
        for (int k = 0; k < cnt && st == MX_OK; k++) {
            ox_param *p = find_param(c, pass ? aux[k] : args[k]);
            if (!p) continue; /* a graph input */
            size_t len = strlen(p->name) + 5;
            char *name = malloc(len);
            mx_nd *nd = mx_nd_from(p->t.shape, p->t.f);
            if (!name || !nd) {
                free(name);
                mx_nd_free(nd);
                st = mx_set_error(MX_ENOMEM, "onnx: no memory");
                break;
            }
            snprintf(name, len, "%s:%s", pass ? "aux" : "arg", p->name);
            out->names[out->n] = name;
            out->arrays[out->n++] = nd;
        }
    }
    free(aux);
    return st;
}

mx_status ox_import_model(const Onnx__ModelProto *m, const char *what, int n, const char *const *names,
                          const mx_shape *shapes, mx_sym **sym, mx_nd_list *params)
{
    *sym = NULL;
    memset(params, 0, sizeof *params);
    ox_ctx c = {.path = what, .opset = ox_model_opset(m)};
    mx_status st = MX_OK;
    if (c.opset < OX_OPSET_MIN || c.opset > OX_OPSET_MAX)
        st = mx_set_error(MX_ENOTSUP, "%s: opset %d: mxrt imports ONNX opsets %d to %d (re-export with "
                          "opset_version=13)", what, c.opset, OX_OPSET_MIN, OX_OPSET_MAX);
    const Onnx__GraphProto *g = m->graph;
    if (st == MX_OK && !g->n_output) st = ox_fail(&c, MX_EFORMAT, "the graph has no outputs");
    if (st == MX_OK) st = load_inputs(&c, g, n, names, shapes);
    if (st == MX_OK) st = convert_nodes(&c, g);
    mx_sym **outs = calloc(g->n_output + 1, sizeof *outs);
    if (st == MX_OK && !outs) st = mx_set_error(MX_ENOMEM, "onnx: no memory");
    for (size_t o = 0; st == MX_OK && o < g->n_output; o++) {
        const char *on = g->output[o]->name ? g->output[o]->name : "";
        ox_value *v = find_value(&c, on);
        if (!v) st = ox_fail(&c, MX_EFORMAT, "graph output '%s' is not produced by any node", on);
        else if (!(outs[o] = ox_sym(&c, v))) st = mx_last_status() ? mx_last_status() : MX_ENOMEM;
    }
    if (st == MX_OK) {
        *sym = g->n_output == 1 ? mx_sym_copy(outs[0]) : mx_group((int)g->n_output, outs);
        if (!*sym) st = mx_set_error(MX_ENOMEM, "onnx: no memory");
    }
    for (size_t o = 0; outs && o < g->n_output; o++) mx_sym_free(outs[o]);
    free(outs);
    if (st == MX_OK) st = collect_params(&c, *sym, params);
    if (st != MX_OK) {
        mx_sym_free(*sym);
        *sym = NULL;
        mx_nd_list_free(params);
    }
    ctx_free(&c);
    return st;
}

mx_status mx_onnx_import(const char *path, int n, const char *const *names, const mx_shape *shapes, mx_sym **sym,
                         mx_nd_list *params)
{
    *sym = NULL;
    memset(params, 0, sizeof *params);
    Onnx__ModelProto *m = ox_model_load(path);
    if (!m) return mx_last_status();
    mx_status st = ox_import_model(m, path, n, names, shapes, sym, params);
    ox_model_free(m);
    return st;
}

mx_status mx_onnx_import_file(const char *path, int n, const char *const *names, const mx_shape *shapes,
                              const char *prefix)
{
    mx_sym *sym;
    mx_nd_list params;
    mx_status st = mx_onnx_import(path, n, names, shapes, &sym, &params);
    if (st != MX_OK) return st;
    size_t len = strlen(prefix) + 32;
    char *file = malloc(len);
    if (!file) st = mx_set_error(MX_ENOMEM, "onnx: no memory");
    if (st == MX_OK) {
        snprintf(file, len, "%s-symbol.json", prefix);
        st = mx_sym_save_json(sym, file);
    }
    if (st == MX_OK) {
        snprintf(file, len, "%s-0000.params", prefix);
        st = mx_nd_save(file, params.n, (const char *const *)params.names, params.arrays);
    }
    free(file);
    mx_sym_free(sym);
    mx_nd_list_free(&params);
    return st;
}
