/* onnx_export.c — an mxrt/MXNet checkpoint as an ONNX model (issue #17).
 * The symbol is read as MXNet's graph JSON (what mxrt and MXNet write:
 * op names and "key": "value" parameters, defaults left out), shapes come
 * from mxrt's shape inference over every internal output, and each op
 * becomes the ONNX nodes that compute the same thing at the chosen opset
 * (9 to 17). Parameters become initializers under their own names; each
 * ONNX node is named after the mxrt node, each tensor after the mxrt
 * output ("fc1_output"). Loss heads (SoftmaxOutput …) export their
 * forward pass (Softmax …) and drop their labels. The file is written
 * atomically. An op without an ONNX form is MX_ENOTSUP naming it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/atomic_file.h"
#include "formats/json.h"
#include "mx/ndarray.h"
#include "mx/onnx.h"
#include "mx/symbol_json.h"
#include "mx/version.h"
#include "onnx/onnx.pb-c.h"
#include "runtime/graph/graph.h"

#define EX_MAX_NODES (1 << 20)

typedef struct ex_node {  /* a node of the graph JSON */
    const char *op, *name;
    const mx_json *attrs;
    int nin;
    int *in_node, *in_idx;
    char **out;           /* ONNX tensor name of each output */
    int nout;
    int is_param, is_label, is_input, int_input; /* variables */
} ex_node;

typedef struct ex {
    const char *what;
    int opset;
    ex_node *nodes;
    int n;
    const mx_nd_list *params;
    char **shape_names;   /* every internal output's name and shape */
    mx_shape *shapes;
    int nshapes;
    /* the model under construction; everything allocated goes in pool */
    void **pool;
    size_t npool, cappool;
    Onnx__NodeProto **onodes;
    size_t nonodes, caponodes;
    Onnx__TensorProto **inits;
    size_t ninits, capinits;
    Onnx__ValueInfoProto **inputs, **outputs;
    size_t ninputs, noutputs;
    const ex_node *cur;
} ex;

static mx_status ex_fail(ex *e, mx_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static mx_status ex_fail(ex *e, mx_status st, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (e->cur) return mx_set_error(st, "%s: node '%s' (%s): %s", e->what, e->cur->name, e->cur->op, msg);
    return mx_set_error(st, "%s: %s", e->what, msg);
}

static void *ex_alloc(ex *e, size_t size)
{
    if (e->npool == e->cappool) {
        size_t cap = e->cappool ? 2 * e->cappool : 256;
        void **np = realloc(e->pool, cap * sizeof *np);
        if (!np) return NULL;
        e->pool = np;
        e->cappool = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (p) e->pool[e->npool++] = p;
    return p;
}

static char *ex_strdup(ex *e, const char *s)
{
    char *p = ex_alloc(e, strlen(s) + 1);
    if (p) strcpy(p, s);
    return p;
}

static int grow(void ***arr, size_t *n, size_t *cap, void *item)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        void **na = realloc(*arr, c * sizeof *na);
        if (!na) return 0;
        *arr = na;
        *cap = c;
    }
    (*arr)[(*n)++] = item;
    return 1;
}

/* ---- attributes of the graph JSON's nodes, with MXNet's defaults ---- */

static const char *attr(const ex_node *nd, const char *key, const char *def)
{
    const mx_json *v = nd->attrs ? mx_json_get(nd->attrs, key) : NULL;
    return v && v->type == MX_JSON_STRING ? v->str : def;
}

static int attr_bool(const ex_node *nd, const char *key, int def)
{
    const char *v = attr(nd, key, NULL);
    if (!v) return def;
    return !strcmp(v, "1") || !strcmp(v, "True") || !strcmp(v, "true");
}

static double attr_num(const ex_node *nd, const char *key, double def)
{
    const char *v = attr(nd, key, NULL);
    return v ? strtod(v, NULL) : def;
}

/* A tuple attribute ("(2,2)", "[2, 2]", "2") into out; its count, or -1 if absent. */
static int attr_tuple(const ex_node *nd, const char *key, int64_t *out, int cap)
{
    const char *v = attr(nd, key, NULL);
    if (!v) return -1;
    int n = 0;
    for (const char *p = v; *p && n < cap;) {
        while (*p && !(*p == '-' || (*p >= '0' && *p <= '9'))) p++;
        if (!*p) break;
        char *end;
        out[n++] = strtoll(p, &end, 10);
        p = end;
    }
    return n;
}

/* Index in p of the parameter called name ("arg:"/"aux:" dropped), or -1. */
static int param_index(const mx_nd_list *p, const char *name);

/* ---- shapes ---- */

static const mx_shape *shape_of(const ex *e, const char *tensor)
{
    for (int i = 0; i < e->nshapes; i++)
        if (!strcmp(e->shape_names[i], tensor)) return &e->shapes[i];
    return NULL;
}

static int in_ndim(const ex *e, const ex_node *nd, int i)
{
    const mx_shape *s = shape_of(e, e->nodes[nd->in_node[i]].out[nd->in_idx[i]]);
    return s ? s->ndim : -1;
}

static const char *in_name(const ex *e, const ex_node *nd, int i)
{
    return e->nodes[nd->in_node[i]].out[nd->in_idx[i]];
}

/* ---- building the ONNX model ---- */

static Onnx__AttributeProto *new_attr(ex *e, const char *name, Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = ex_alloc(e, sizeof *a);
    if (!a) return NULL;
    onnx__attribute_proto__init(a);
    a->name = ex_strdup(e, name);
    a->has_type = 1;
    a->type = type;
    return a->name ? a : NULL;
}

typedef struct ex_onode {
    Onnx__NodeProto *n;
    ex *e;
    int ok;
} ex_onode;

/* A new ONNX node op_type named name (NULL: the current node's name). */
static ex_onode onode(ex *e, const char *op_type, const char *name)
{
    ex_onode o = {ex_alloc(e, sizeof(Onnx__NodeProto)), e, 1};
    if (!o.n) return o.ok = 0, o;
    onnx__node_proto__init(o.n);
    o.n->op_type = ex_strdup(e, op_type);
    o.n->name = ex_strdup(e, name ? name : e->cur->name);
    o.n->domain = ex_strdup(e, "");
    o.ok = o.n->op_type && o.n->name && o.n->domain &&
           grow((void ***)&e->onodes, &e->nonodes, &e->caponodes, o.n);
    return o;
}

static void add_str(ex_onode *o, char ***arr, size_t *n, const char *s)
{
    if (!o->ok) return;
    char **na = ex_alloc(o->e, (*n + 1) * sizeof *na);
    char *c = ex_strdup(o->e, s);
    if (!na || !c) { o->ok = 0; return; }
    if (*n) memcpy(na, *arr, *n * sizeof *na);
    na[(*n)++] = c;
    *arr = na;
}

static void in_(ex_onode *o, const char *t) { add_str(o, &o->n->input, &o->n->n_input, t); }
static void out_(ex_onode *o, const char *t) { add_str(o, &o->n->output, &o->n->n_output, t); }

static void add_attr(ex_onode *o, Onnx__AttributeProto *a)
{
    if (!o->ok || !a) { o->ok = 0; return; }
    Onnx__AttributeProto **na = ex_alloc(o->e, (o->n->n_attribute + 1) * sizeof *na);
    if (!na) { o->ok = 0; return; }
    if (o->n->n_attribute) memcpy(na, o->n->attribute, o->n->n_attribute * sizeof *na);
    na[o->n->n_attribute++] = a;
    o->n->attribute = na;
}

static void a_int(ex_onode *o, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = o->ok ? new_attr(o->e, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT) : NULL;
    if (a) a->has_i = 1, a->i = v;
    add_attr(o, a);
}

static void a_float(ex_onode *o, const char *name, float v)
{
    Onnx__AttributeProto *a = o->ok ? new_attr(o->e, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT) : NULL;
    if (a) a->has_f = 1, a->f = v;
    add_attr(o, a);
}

static void a_ints(ex_onode *o, const char *name, const int64_t *v, int n)
{
    Onnx__AttributeProto *a = o->ok ? new_attr(o->e, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS) : NULL;
    int64_t *c = a ? ex_alloc(o->e, (size_t)(n ? n : 1) * sizeof *c) : NULL;
    if (c) {
        memcpy(c, v, (size_t)n * sizeof *c);
        a->ints = c;
        a->n_ints = (size_t)n;
    }
    add_attr(o, c ? a : NULL);
}

static void a_floats(ex_onode *o, const char *name, const float *v, int n)
{
    Onnx__AttributeProto *a = o->ok ? new_attr(o->e, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS) : NULL;
    float *c = a ? ex_alloc(o->e, (size_t)(n ? n : 1) * sizeof *c) : NULL;
    if (c) {
        memcpy(c, v, (size_t)n * sizeof *c);
        a->floats = c;
        a->n_floats = (size_t)n;
    }
    add_attr(o, c ? a : NULL);
}

static void a_str(ex_onode *o, const char *name, const char *v)
{
    Onnx__AttributeProto *a = o->ok ? new_attr(o->e, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING) : NULL;
    char *c = a ? ex_strdup(o->e, v) : NULL;
    if (c) a->has_s = 1, a->s.data = (uint8_t *)c, a->s.len = strlen(c);
    add_attr(o, c ? a : NULL);
}

static mx_status done(ex *e, ex_onode *o)
{
    return o->ok ? MX_OK : ex_fail(e, MX_ENOMEM, "no memory");
}

/* An initializer: float32 (data) or int64 (idata) values of shape. */
static mx_status add_init(ex *e, const char *name, const int64_t *dims, int ndim, const float *data,
                          const int64_t *idata, size_t n)
{
    Onnx__TensorProto *t = ex_alloc(e, sizeof *t);
    int64_t *d = ex_alloc(e, (size_t)(ndim ? ndim : 1) * sizeof *d);
    size_t bytes = n * (data ? sizeof(float) : sizeof(int64_t));
    uint8_t *raw = ex_alloc(e, bytes);
    if (!t || !d || !raw) return ex_fail(e, MX_ENOMEM, "no memory for initializer '%s'", name);
    onnx__tensor_proto__init(t);
    if (ndim) memcpy(d, dims, (size_t)ndim * sizeof *d); /* a scalar has no dims */
    /* raw_data is little-endian: every target mxrt builds for is */
    if (bytes) memcpy(raw, data ? (const void *)data : (const void *)idata, bytes);
    t->name = ex_strdup(e, name);
    t->n_dims = (size_t)ndim;
    t->dims = d;
    t->has_data_type = 1;
    t->data_type = data ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    t->has_raw_data = 1;
    t->raw_data.data = raw;
    t->raw_data.len = bytes;
    if (!t->name || !grow((void ***)&e->inits, &e->ninits, &e->capinits, t))
        return ex_fail(e, MX_ENOMEM, "no memory");
    return MX_OK;
}

static mx_status add_ints_init(ex *e, const char *name, const int64_t *v, int n)
{
    int64_t dims[1] = {n};
    return add_init(e, name, dims, 1, NULL, v, (size_t)n);
}

static mx_status add_scalar_init(ex *e, const char *name, float v)
{
    return add_init(e, name, NULL, 0, &v, NULL, 1);
}

static Onnx__ValueInfoProto *value_info(ex *e, const char *name, int elem_type, const mx_shape *s)
{
    Onnx__ValueInfoProto *vi = ex_alloc(e, sizeof *vi);
    Onnx__TypeProto *tp = ex_alloc(e, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = ex_alloc(e, sizeof *tt);
    Onnx__TensorShapeProto *sp = ex_alloc(e, sizeof *sp);
    Onnx__TensorShapeProto__Dimension **dims = ex_alloc(e, sizeof *dims * (size_t)(s && s->ndim ? s->ndim : 1));
    if (!vi || !tp || !tt || !sp || !dims) return NULL;
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sp);
    for (int d = 0; s && d < s->ndim; d++) {
        if (!(dims[d] = ex_alloc(e, sizeof *dims[d]))) return NULL;
        onnx__tensor_shape_proto__dimension__init(dims[d]);
        dims[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        dims[d]->dim_value = s->dims[d];
    }
    sp->n_dim = s ? (size_t)s->ndim : 0;
    sp->dim = dims;
    tt->has_elem_type = 1;
    tt->elem_type = elem_type;
    tt->shape = s ? sp : NULL;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->type = tp;
    vi->name = ex_strdup(e, name);
    return vi->name ? vi : NULL;
}

/* ---- the ops ---- */

static char *tmp_name(ex *e, const char *suffix)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s%s", e->cur->name, suffix);
    return ex_strdup(e, buf);
}

/* A 1-input, 1-output ONNX op on the node's input 0. */
static mx_status simple(ex *e, const ex_node *nd, const char *op)
{
    ex_onode o = onode(e, op, NULL);
    in_(&o, in_name(e, nd, 0));
    out_(&o, nd->out[0]);
    return done(e, &o);
}

static mx_status ex_activation(ex *e, const ex_node *nd)
{
    const char *t = attr(nd, "act_type", "relu");
    const char *op = !strcmp(t, "relu") ? "Relu" : !strcmp(t, "sigmoid") ? "Sigmoid" : !strcmp(t, "tanh") ? "Tanh"
                     : !strcmp(t, "softrelu") ? "Softplus" : !strcmp(t, "softsign") ? "Softsign" : NULL;
    if (!op) return ex_fail(e, MX_ENOTSUP, "act_type %s has no ONNX export", t);
    return simple(e, nd, op);
}

static mx_status ex_softmax_axis(ex *e, const ex_node *nd, const char *op, int axis)
{
    int nd_in = in_ndim(e, nd, 0);
    if (axis < 0) axis += nd_in;
    /* before opset 13 Softmax flattens from axis on: the same only for the last axis */
    if (e->opset < 13 && axis != nd_in - 1)
        return ex_fail(e, MX_ENOTSUP, "%s over axis %d of a rank-%d input needs opset 13 or later", op, axis, nd_in);
    ex_onode o = onode(e, op, NULL);
    in_(&o, in_name(e, nd, 0));
    out_(&o, nd->out[0]);
    a_int(&o, "axis", axis);
    return done(e, &o);
}

static mx_status ex_softmax_output(ex *e, const ex_node *nd)
{
    if (attr_bool(nd, "multi_output", 0) || attr_bool(nd, "preserve_shape", 0))
        return ex_fail(e, MX_ENOTSUP, "multi_output or preserve_shape has no ONNX export");
    int n = in_ndim(e, nd, 0);
    if (n > 2) { /* MXNet takes the input as (batch, rest): flatten first */
        ex_onode f = onode(e, "Flatten", tmp_name(e, "_flatten"));
        in_(&f, in_name(e, nd, 0));
        char *t = tmp_name(e, "_flat");
        out_(&f, t ? t : "");
        a_int(&f, "axis", 1);
        if (done(e, &f) != MX_OK || !t) return mx_last_status();
        ex_onode o = onode(e, "Softmax", NULL);
        in_(&o, t);
        out_(&o, nd->out[0]);
        a_int(&o, "axis", 1);
        return done(e, &o);
    }
    return ex_softmax_axis(e, nd, "Softmax", -1);
}

static mx_status ex_fully_connected(ex *e, const ex_node *nd)
{
    int no_bias = attr_bool(nd, "no_bias", 0), flatten = attr_bool(nd, "flatten", 1);
    int n = in_ndim(e, nd, 0);
    const char *x = in_name(e, nd, 0);
    if (n > 2 && !flatten) {
        /* over the last axis: MatMul with W^T, then the bias */
        const mx_shape *ws = shape_of(e, in_name(e, nd, 1));
        int wi = param_index(e->params, in_name(e, nd, 1));
        if (!ws || wi < 0) return ex_fail(e, MX_ENOTSUP, "flatten=False needs the weight as a parameter");
        int64_t r = ws->dims[0], k = ws->dims[1], dims[2] = {k, r};
        float *wt = malloc(sizeof(float) * (size_t)(r * k));
        if (!wt) return ex_fail(e, MX_ENOMEM, "no memory");
        const float *w = mx_nd_data(e->params->arrays[wi]);
        for (int64_t i = 0; i < r; i++)
            for (int64_t j = 0; j < k; j++) wt[j * r + i] = w[i * k + j];
        char *tn = tmp_name(e, "_weight_T");
        mx_status st = tn ? add_init(e, tn, dims, 2, wt, NULL, (size_t)(r * k)) : MX_ENOMEM;
        free(wt);
        if (st != MX_OK) return st;
        ex_onode o = onode(e, "MatMul", no_bias ? NULL : tmp_name(e, "_matmul"));
        in_(&o, x);
        in_(&o, tn);
        char *mm = no_bias ? NULL : tmp_name(e, "_mm");
        out_(&o, no_bias ? nd->out[0] : mm ? mm : "");
        if (done(e, &o) != MX_OK || no_bias) return mx_last_status();
        ex_onode a = onode(e, "Add", NULL);
        in_(&a, mm);
        in_(&a, in_name(e, nd, 2));
        out_(&a, nd->out[0]);
        return done(e, &a);
    }
    if (n > 2) {
        ex_onode f = onode(e, "Flatten", tmp_name(e, "_flatten"));
        in_(&f, x);
        char *t = tmp_name(e, "_flat");
        out_(&f, t ? t : "");
        a_int(&f, "axis", 1);
        if (done(e, &f) != MX_OK || !t) return mx_last_status();
        x = t;
    }
    const char *bias = no_bias ? NULL : in_name(e, nd, 2);
    if (no_bias && e->opset < 11) { /* Gemm's C is optional only from opset 11 */
        const mx_shape *ws = shape_of(e, in_name(e, nd, 1));
        char *bn = tmp_name(e, "_zero_bias");
        float *zeros = ws ? calloc((size_t)ws->dims[0], sizeof *zeros) : NULL;
        mx_status st = zeros && bn ? add_init(e, bn, ws->dims, 1, zeros, NULL, (size_t)ws->dims[0])
                                   : ex_fail(e, MX_ENOMEM, "no memory");
        free(zeros);
        if (st != MX_OK) return st;
        bias = bn;
    }
    ex_onode o = onode(e, "Gemm", NULL);
    in_(&o, x);
    in_(&o, in_name(e, nd, 1));
    if (bias) in_(&o, bias);
    out_(&o, nd->out[0]);
    a_int(&o, "transB", 1);
    return done(e, &o);
}

/* Kernel, stride, dilate, pad of a conv/pool node over sp spatial axes. */
static void window(const ex_node *nd, int sp, int64_t *kernel, int64_t *stride, int64_t *dilate, int64_t *pads)
{
    int64_t v[MX_MAX_NDIM];
    int n = attr_tuple(nd, "kernel", v, MX_MAX_NDIM);
    for (int d = 0; d < sp; d++) kernel[d] = n == sp ? v[d] : 1;
    n = attr_tuple(nd, "stride", v, MX_MAX_NDIM);
    for (int d = 0; d < sp; d++) stride[d] = n == sp ? v[d] : 1;
    n = attr_tuple(nd, "dilate", v, MX_MAX_NDIM);
    for (int d = 0; d < sp; d++) dilate[d] = n == sp ? v[d] : 1;
    n = attr_tuple(nd, "pad", v, MX_MAX_NDIM);
    for (int d = 0; d < sp; d++) pads[d] = pads[sp + d] = n == sp ? v[d] : 0;
}

static mx_status ex_conv(ex *e, const ex_node *nd, int transpose)
{
    int sp = in_ndim(e, nd, 0) - 2;
    if (sp < 1 || sp > 3) return ex_fail(e, MX_ENOTSUP, "input of rank %d", sp + 2);
    const char *layout = attr(nd, "layout", NULL);
    if (layout && strcmp(layout, "None") && strncmp(layout, "NC", 2))
        return ex_fail(e, MX_ENOTSUP, "layout %s (ONNX is channels-first)", layout);
    int64_t k[MX_MAX_NDIM], s[MX_MAX_NDIM], d[MX_MAX_NDIM], p[2 * MX_MAX_NDIM], adj[MX_MAX_NDIM];
    window(nd, sp, k, s, d, p);
    ex_onode o = onode(e, transpose ? "ConvTranspose" : "Conv", NULL);
    in_(&o, in_name(e, nd, 0));
    in_(&o, in_name(e, nd, 1));
    if (!attr_bool(nd, "no_bias", transpose)) in_(&o, in_name(e, nd, 2));
    out_(&o, nd->out[0]);
    a_ints(&o, "kernel_shape", k, sp);
    a_ints(&o, "strides", s, sp);
    a_ints(&o, "dilations", d, sp);
    a_ints(&o, "pads", p, 2 * sp);
    a_int(&o, "group", (int64_t)attr_num(nd, "num_group", 1));
    if (transpose) {
        if (attr_tuple(nd, "target_shape", adj, MX_MAX_NDIM) > 0)
            return ex_fail(e, MX_ENOTSUP, "target_shape has no ONNX export (give adj)");
        int n = attr_tuple(nd, "adj", adj, MX_MAX_NDIM);
        if (n == sp) a_ints(&o, "output_padding", adj, sp);
    }
    return done(e, &o);
}

static mx_status ex_pooling(ex *e, const ex_node *nd)
{
    const char *type = attr(nd, "pool_type", "max");
    int avg = !strcmp(type, "avg");
    if (!avg && strcmp(type, "max")) return ex_fail(e, MX_ENOTSUP, "pool_type %s has no ONNX export", type);
    if (attr_bool(nd, "global_pool", 0)) return simple(e, nd, avg ? "GlobalAveragePool" : "GlobalMaxPool");
    int sp = in_ndim(e, nd, 0) - 2;
    if (sp < 1 || sp > 3) return ex_fail(e, MX_ENOTSUP, "input of rank %d", sp + 2);
    int64_t k[MX_MAX_NDIM], s[MX_MAX_NDIM], d[MX_MAX_NDIM], p[2 * MX_MAX_NDIM];
    window(nd, sp, k, s, d, p);
    const char *conv = attr(nd, "pooling_convention", "valid");
    int full = !strcmp(conv, "full");
    if (!full && strcmp(conv, "valid")) return ex_fail(e, MX_ENOTSUP, "pooling_convention %s", conv);
    if (full && e->opset < 10) return ex_fail(e, MX_ENOTSUP, "pooling_convention full needs opset 10 or later (ceil_mode)");
    ex_onode o = onode(e, avg ? "AveragePool" : "MaxPool", NULL);
    in_(&o, in_name(e, nd, 0));
    out_(&o, nd->out[0]);
    a_ints(&o, "kernel_shape", k, sp);
    a_ints(&o, "strides", s, sp);
    a_ints(&o, "pads", p, 2 * sp);
    if (full) a_int(&o, "ceil_mode", 1);
    if (avg) a_int(&o, "count_include_pad", attr_bool(nd, "count_include_pad", 1));
    return done(e, &o);
}

static mx_status ex_batchnorm(ex *e, const ex_node *nd)
{
    if ((int)attr_num(nd, "axis", 1) != 1) return ex_fail(e, MX_ENOTSUP, "axis other than 1");
    const char *gamma = in_name(e, nd, 1);
    if (attr_bool(nd, "fix_gamma", 1)) { /* MXNet then uses gamma = 1 whatever the array holds */
        const mx_shape *gs = shape_of(e, gamma);
        if (!gs) return ex_fail(e, MX_EINTERNAL, "no shape for %s", gamma);
        size_t n = (size_t)gs->dims[0];
        float *ones = malloc(n * sizeof *ones);
        char *name = tmp_name(e, "_gamma_fixed");
        if (!ones || !name) return free(ones), ex_fail(e, MX_ENOMEM, "no memory");
        for (size_t i = 0; i < n; i++) ones[i] = 1;
        mx_status st = add_init(e, name, gs->dims, 1, ones, NULL, n);
        free(ones);
        if (st != MX_OK) return st;
        gamma = name;
    }
    ex_onode o = onode(e, "BatchNormalization", NULL);
    in_(&o, in_name(e, nd, 0));
    in_(&o, gamma);
    for (int i = 2; i < 5; i++) in_(&o, in_name(e, nd, i));
    out_(&o, nd->out[0]);
    a_float(&o, "epsilon", (float)attr_num(nd, "eps", 1e-3));
    a_float(&o, "momentum", (float)attr_num(nd, "momentum", 0.9));
    return done(e, &o);
}

static mx_status ex_binary(ex *e, const ex_node *nd, const char *op)
{
    ex_onode o = onode(e, op, NULL);
    in_(&o, in_name(e, nd, 0));
    in_(&o, in_name(e, nd, 1));
    out_(&o, nd->out[0]);
    return done(e, &o);
}

/* x op scalar (or scalar op x with reverse) via a scalar initializer. */
static mx_status ex_scalar(ex *e, const ex_node *nd, const char *op, int reverse)
{
    char *c = tmp_name(e, "_scalar");
    if (!c) return ex_fail(e, MX_ENOMEM, "no memory");
    mx_status st = add_scalar_init(e, c, (float)attr_num(nd, "scalar", 0));
    if (st != MX_OK) return st;
    ex_onode o = onode(e, op, NULL);
    in_(&o, reverse ? c : in_name(e, nd, 0));
    in_(&o, reverse ? in_name(e, nd, 0) : c);
    out_(&o, nd->out[0]);
    return done(e, &o);
}

static mx_status ex_concat(ex *e, const ex_node *nd)
{
    int dim = (int)attr_num(nd, "dim", 1);
    ex_onode o = onode(e, "Concat", NULL);
    for (int i = 0; i < nd->nin; i++) in_(&o, in_name(e, nd, i));
    out_(&o, nd->out[0]);
    a_int(&o, "axis", dim);
    return done(e, &o);
}

static mx_status ex_slice_channel(ex *e, const ex_node *nd)
{
    int n = (int)attr_num(nd, "num_outputs", 1), axis = (int)attr_num(nd, "axis", 1);
    int squeeze = attr_bool(nd, "squeeze_axis", 0);
    const mx_shape *s = shape_of(e, in_name(e, nd, 0));
    if (!s || n < 1 || n != nd->nout) return ex_fail(e, MX_EINTERNAL, "outputs do not match num_outputs");
    if (axis < 0) axis += s->ndim;
    int64_t *split = ex_alloc(e, sizeof *split * (size_t)n);
    if (!split) return ex_fail(e, MX_ENOMEM, "no memory");
    for (int i = 0; i < n; i++) split[i] = s->dims[axis] / n;
    ex_onode o = onode(e, "Split", NULL);
    in_(&o, in_name(e, nd, 0));
    char *sname = tmp_name(e, "_split");
    if (e->opset >= 13) {
        if (!sname || add_ints_init(e, sname, split, n) != MX_OK) return mx_last_status();
        in_(&o, sname);
    } else {
        a_ints(&o, "split", split, n);
    }
    a_int(&o, "axis", axis);
    char buf[512];
    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "%s_part%d", nd->out[i], i);
        out_(&o, squeeze ? buf : nd->out[i]);
    }
    if (done(e, &o) != MX_OK || !squeeze) return mx_last_status();
    int64_t ax[1] = {axis};
    char *axname = NULL;
    if (e->opset >= 13 && (!(axname = tmp_name(e, "_squeeze_axes")) || add_ints_init(e, axname, ax, 1) != MX_OK))
        return mx_last_status();
    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "%s_squeeze%d", nd->name, i);
        ex_onode q = onode(e, "Squeeze", buf);
        snprintf(buf, sizeof buf, "%s_part%d", nd->out[i], i);
        in_(&q, buf);
        if (axname) in_(&q, axname);
        else a_ints(&q, "axes", ax, 1);
        out_(&q, nd->out[i]);
        if (done(e, &q) != MX_OK) return mx_last_status();
    }
    return MX_OK;
}

static mx_status ex_embedding(ex *e, const ex_node *nd)
{
    const ex_node *src = &e->nodes[nd->in_node[0]];
    const char *idx = in_name(e, nd, 0);
    if (!src->int_input) { /* computed indices: cast them */
        ex_onode c = onode(e, "Cast", tmp_name(e, "_cast"));
        in_(&c, idx);
        char *t = tmp_name(e, "_indices");
        out_(&c, t ? t : "");
        a_int(&c, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
        if (done(e, &c) != MX_OK || !t) return mx_last_status();
        idx = t;
    }
    ex_onode o = onode(e, "Gather", NULL);
    in_(&o, in_name(e, nd, 1));
    in_(&o, idx);
    out_(&o, nd->out[0]);
    a_int(&o, "axis", 0);
    return done(e, &o);
}

static mx_status ex_leaky(ex *e, const ex_node *nd)
{
    const char *t = attr(nd, "act_type", "leaky");
    float slope = (float)attr_num(nd, "slope", 0.25);
    if (!strcmp(t, "leaky") || !strcmp(t, "elu")) {
        ex_onode o = onode(e, t[0] == 'l' ? "LeakyRelu" : "Elu", NULL);
        in_(&o, in_name(e, nd, 0));
        out_(&o, nd->out[0]);
        a_float(&o, "alpha", slope);
        return done(e, &o);
    }
    if (strcmp(t, "prelu")) return ex_fail(e, MX_ENOTSUP, "act_type %s has no ONNX export", t);
    /* MXNet's gamma runs over axis 1; ONNX's slope broadcasts from the right: shape (C,1,...) */
    int n = in_ndim(e, nd, 0);
    const mx_shape *gs = shape_of(e, in_name(e, nd, 1));
    int gi = param_index(e->params, in_name(e, nd, 1));
    if (!gs || gi < 0) return ex_fail(e, MX_ENOTSUP, "prelu's gamma must be a parameter");
    int64_t dims[MX_MAX_NDIM] = {gs->dims[0]};
    for (int d = 1; d < n - 1; d++) dims[d] = 1;
    char *name = tmp_name(e, "_slope");
    if (!name) return ex_fail(e, MX_ENOMEM, "no memory");
    mx_status st = add_init(e, name, dims, n > 1 ? n - 1 : 1, mx_nd_data(e->params->arrays[gi]), NULL, (size_t)gs->dims[0]);
    if (st != MX_OK) return st;
    ex_onode o = onode(e, "PRelu", NULL);
    in_(&o, in_name(e, nd, 0));
    in_(&o, name);
    out_(&o, nd->out[0]);
    return done(e, &o);
}

static mx_status ex_reshape(ex *e, const ex_node *nd)
{
    const mx_shape *in = shape_of(e, in_name(e, nd, 0)), *out = shape_of(e, nd->out[0]);
    if (!in || !out) return ex_fail(e, MX_EINTERNAL, "no shapes");
    int64_t dims[MX_MAX_NDIM];
    for (int d = 0; d < out->ndim; d++) dims[d] = out->dims[d];
    if (out->ndim > 1 && in->ndim > 1 && out->dims[0] == in->dims[0]) dims[0] = 0; /* any batch size */
    char *name = tmp_name(e, "_shape");
    if (!name || add_ints_init(e, name, dims, out->ndim) != MX_OK) return mx_last_status();
    ex_onode o = onode(e, "Reshape", NULL);
    in_(&o, in_name(e, nd, 0));
    in_(&o, name);
    out_(&o, nd->out[0]);
    return done(e, &o);
}

static mx_status ex_transpose(ex *e, const ex_node *nd)
{
    int64_t perm[MX_MAX_NDIM];
    int n = attr_tuple(nd, "axes", perm, MX_MAX_NDIM), r = in_ndim(e, nd, 0);
    if (n <= 0) {
        n = r;
        for (int d = 0; d < r; d++) perm[d] = r - 1 - d;
    }
    ex_onode o = onode(e, "Transpose", NULL);
    in_(&o, in_name(e, nd, 0));
    out_(&o, nd->out[0]);
    a_ints(&o, "perm", perm, n);
    return done(e, &o);
}

static mx_status ex_expand_dims(ex *e, const ex_node *nd)
{
    int64_t ax[1] = {(int64_t)attr_num(nd, "axis", 0)};
    ex_onode o = onode(e, "Unsqueeze", NULL);
    in_(&o, in_name(e, nd, 0));
    if (e->opset >= 13) {
        char *name = tmp_name(e, "_axes");
        if (!name || add_ints_init(e, name, ax, 1) != MX_OK) return mx_last_status();
        in_(&o, name);
    } else {
        a_ints(&o, "axes", ax, 1);
    }
    out_(&o, nd->out[0]);
    return done(e, &o);
}

static mx_status ex_clip(ex *e, const ex_node *nd)
{
    float lo = (float)attr_num(nd, "a_min", 0), hi = (float)attr_num(nd, "a_max", 0);
    ex_onode o = onode(e, "Clip", NULL);
    in_(&o, in_name(e, nd, 0));
    if (e->opset >= 11) {
        char *a = tmp_name(e, "_min"), *b = tmp_name(e, "_max");
        if (!a || !b || add_scalar_init(e, a, lo) != MX_OK || add_scalar_init(e, b, hi) != MX_OK) return mx_last_status();
        in_(&o, a);
        in_(&o, b);
    } else {
        a_float(&o, "min", lo);
        a_float(&o, "max", hi);
    }
    out_(&o, nd->out[0]);
    return done(e, &o);
}

static mx_status ex_upsampling(ex *e, const ex_node *nd)
{
    if (strcmp(attr(nd, "sample_type", "nearest"), "nearest") || nd->nin != 1)
        return ex_fail(e, MX_ENOTSUP, "only nearest UpSampling of one input has an ONNX export");
    float sc = (float)attr_num(nd, "scale", 1), scales[MX_MAX_NDIM];
    int n = in_ndim(e, nd, 0);
    for (int d = 0; d < n; d++) scales[d] = d < 2 ? 1 : sc;
    char *name = tmp_name(e, "_scales");
    int64_t dims[1] = {n};
    if (!name || add_init(e, name, dims, 1, scales, NULL, (size_t)n) != MX_OK) return mx_last_status();
    ex_onode o = onode(e, e->opset >= 11 ? "Resize" : "Upsample", NULL);
    in_(&o, in_name(e, nd, 0));
    if (e->opset >= 13) {
        in_(&o, ""); /* roi: optional from opset 13 */
    } else if (e->opset >= 11) {
        char *roi = tmp_name(e, "_roi");
        int64_t zero[1] = {0};
        if (!roi || add_init(e, roi, zero, 1, scales, NULL, 0) != MX_OK) return mx_last_status();
        in_(&o, roi);
    }
    in_(&o, name);
    out_(&o, nd->out[0]);
    a_str(&o, "mode", "nearest");
    if (e->opset >= 11) {
        a_str(&o, "coordinate_transformation_mode", "asymmetric");
        a_str(&o, "nearest_mode", "floor");
    }
    (void)a_floats;
    return done(e, &o);
}

static mx_status ex_reduce(ex *e, const ex_node *nd, const char *op)
{
    if (attr_bool(nd, "exclude", 0)) return ex_fail(e, MX_ENOTSUP, "exclude=True");
    int64_t axes[MX_MAX_NDIM];
    int n = attr_tuple(nd, "axis", axes, MX_MAX_NDIM);
    ex_onode o = onode(e, op, NULL);
    in_(&o, in_name(e, nd, 0));
    if (n > 0) {
        if (!strcmp(op, "ReduceSum") && e->opset >= 13) {
            char *name = tmp_name(e, "_axes");
            if (!name || add_ints_init(e, name, axes, n) != MX_OK) return mx_last_status();
            in_(&o, name);
        } else {
            a_ints(&o, "axes", axes, n);
        }
    }
    a_int(&o, "keepdims", attr_bool(nd, "keepdims", 0));
    out_(&o, nd->out[0]);
    return done(e, &o);
}

static mx_status ex_pad(ex *e, const ex_node *nd)
{
    const char *mode = attr(nd, "mode", "constant");
    if (strcmp(mode, "constant") && strcmp(mode, "edge") && strcmp(mode, "reflect"))
        return ex_fail(e, MX_ENOTSUP, "Pad mode %s", mode);
    int64_t pw[2 * MX_MAX_NDIM], pads[2 * MX_MAX_NDIM];
    int n = attr_tuple(nd, "pad_width", pw, 2 * MX_MAX_NDIM), r = in_ndim(e, nd, 0);
    if (n != 2 * r) return ex_fail(e, MX_EINVAL, "pad_width has %d values for rank %d", n, r);
    for (int d = 0; d < r; d++) pads[d] = pw[2 * d], pads[r + d] = pw[2 * d + 1];
    float value = (float)attr_num(nd, "constant_value", 0);
    ex_onode o = onode(e, "Pad", NULL);
    in_(&o, in_name(e, nd, 0));
    if (e->opset >= 11) {
        char *pn = tmp_name(e, "_pads"), *vn = tmp_name(e, "_value");
        if (!pn || !vn || add_ints_init(e, pn, pads, 2 * r) != MX_OK || add_scalar_init(e, vn, value) != MX_OK)
            return mx_last_status();
        in_(&o, pn);
        in_(&o, vn);
    } else {
        a_ints(&o, "pads", pads, 2 * r);
        a_float(&o, "value", value);
    }
    a_str(&o, "mode", mode);
    out_(&o, nd->out[0]);
    return done(e, &o);
}

static mx_status ex_slice_axis(ex *e, const ex_node *nd)
{
    int r = in_ndim(e, nd, 0);
    const mx_shape *s = shape_of(e, in_name(e, nd, 0));
    int64_t axis = (int64_t)attr_num(nd, "axis", 0);
    if (axis < 0) axis += r;
    if (!s || axis < 0 || axis >= r) return ex_fail(e, MX_EINVAL, "axis out of range");
    const char *end_text = attr(nd, "end", "None");
    int64_t begin = (int64_t)attr_num(nd, "begin", 0);
    int64_t end = strcmp(end_text, "None") ? (int64_t)strtoll(end_text, NULL, 10) : s->dims[axis];
    ex_onode o = onode(e, "Slice", NULL);
    in_(&o, in_name(e, nd, 0));
    if (e->opset >= 10) {
        char *b = tmp_name(e, "_starts"), *en = tmp_name(e, "_ends"), *ax = tmp_name(e, "_axes");
        if (!b || !en || !ax || add_ints_init(e, b, &begin, 1) != MX_OK || add_ints_init(e, en, &end, 1) != MX_OK ||
            add_ints_init(e, ax, &axis, 1) != MX_OK)
            return mx_last_status();
        in_(&o, b);
        in_(&o, en);
        in_(&o, ax);
    } else {
        a_ints(&o, "starts", &begin, 1);
        a_ints(&o, "ends", &end, 1);
        a_ints(&o, "axes", &axis, 1);
    }
    out_(&o, nd->out[0]);
    return done(e, &o);
}

static mx_status ex_squeeze(ex *e, const ex_node *nd)
{
    int64_t axes[MX_MAX_NDIM];
    int n = attr_tuple(nd, "axis", axes, MX_MAX_NDIM);
    ex_onode o = onode(e, "Squeeze", NULL);
    in_(&o, in_name(e, nd, 0));
    if (n > 0 && e->opset >= 13) {
        char *name = tmp_name(e, "_axes");
        if (!name || add_ints_init(e, name, axes, n) != MX_OK) return mx_last_status();
        in_(&o, name);
    } else if (n > 0) {
        a_ints(&o, "axes", axes, n);
    }
    out_(&o, nd->out[0]);
    return done(e, &o);
}

/* broadcast_to, broadcast_axis, broadcast_like: Expand to the inferred output shape. */
static mx_status ex_expand(ex *e, const ex_node *nd)
{
    const mx_shape *out = shape_of(e, nd->out[0]);
    if (!out) return ex_fail(e, MX_EINTERNAL, "no shape");
    char *name = tmp_name(e, "_shape");
    if (!name || add_ints_init(e, name, out->dims, out->ndim) != MX_OK) return mx_last_status();
    ex_onode o = onode(e, "Expand", NULL);
    in_(&o, in_name(e, nd, 0));
    in_(&o, name);
    out_(&o, nd->out[0]);
    return done(e, &o);
}

/* An int64 initializer named after the current node plus suffix. */
static const char *ints_init(ex *e, const char *suffix, const int64_t *v, int n)
{
    char *name = tmp_name(e, suffix);
    return name && add_ints_init(e, name, v, n) == MX_OK ? name : NULL;
}

/* Rows [lo, hi) of axis 0 of tensor t (opset 10+: Slice's inputs). */
static const char *slice_rows(ex *e, const char *t, int64_t lo, int64_t hi, const char *suffix)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s_slice", suffix);
    ex_onode o = onode(e, "Slice", tmp_name(e, buf));
    in_(&o, t);
    int64_t zero = 0;
    if (e->opset >= 10) {
        snprintf(buf, sizeof buf, "%s_lo", suffix);
        const char *a = ints_init(e, buf, &lo, 1);
        snprintf(buf, sizeof buf, "%s_hi", suffix);
        const char *b = ints_init(e, buf, &hi, 1);
        snprintf(buf, sizeof buf, "%s_axes", suffix);
        const char *c = ints_init(e, buf, &zero, 1);
        if (!a || !b || !c) return NULL;
        in_(&o, a);
        in_(&o, b);
        in_(&o, c);
    } else {
        a_ints(&o, "starts", &lo, 1);
        a_ints(&o, "ends", &hi, 1);
        a_ints(&o, "axes", &zero, 1);
    }
    char *out = tmp_name(e, suffix);
    out_(&o, out ? out : "");
    return done(e, &o) == MX_OK && out ? out : NULL;
}

/* MXNet's fused RNN op, layer by layer as ONNX LSTM / GRU / RNN nodes:
 * the packed parameters (every W_i2h, W_h2h, then every b_i2h, b_h2h;
 * gates in cuDNN's order) cut into each layer's W, R, B in ONNX's gate
 * order, the states sliced per layer, each layer's Y (T, D, N, H) turned
 * back into (T, N, D·H) for the next; the last states concatenated. */
static mx_status ex_rnn(ex *e, const ex_node *nd)
{
    const char *mode = attr(nd, "mode", "");
    int lstm = !strcmp(mode, "lstm"), gru = !strcmp(mode, "gru");
    int plain = !strcmp(mode, "rnn_tanh") || !strcmp(mode, "rnn_relu");
    if (!lstm && !gru && !plain) return ex_fail(e, MX_ENOTSUP, "RNN mode '%s'", mode);
    if (attr_num(nd, "projection_size", 0) > 0) return ex_fail(e, MX_ENOTSUP, "projection_size");
    int G = lstm ? 4 : gru ? 3 : 1;
    int64_t H = (int64_t)attr_num(nd, "state_size", 0), L = (int64_t)attr_num(nd, "num_layers", 1);
    int D = attr_bool(nd, "bidirectional", 0) ? 2 : 1;
    const mx_shape *xs = shape_of(e, in_name(e, nd, 0));
    int pi = param_index(e->params, in_name(e, nd, 1));
    if (!xs || xs->ndim != 3 || H < 1 || L < 1) return ex_fail(e, MX_EINVAL, "bad RNN shapes");
    if (pi < 0) return ex_fail(e, MX_ENOTSUP, "the RNN's parameters must be a parameter of the checkpoint");
    const float *P = mx_nd_data(e->params->arrays[pi]);
    size_t GH = (size_t)(G * H), I0 = (size_t)xs->dims[2], need = 0;
    for (int64_t l = 0; l < L; l++) need += (size_t)D * GH * ((l ? (size_t)D * H : I0) + (size_t)H + 2);
    if (mx_nd_size(e->params->arrays[pi]) != need)
        return ex_fail(e, MX_EINVAL, "parameters hold %zu values, the RNN needs %zu", mx_nd_size(e->params->arrays[pi]), need);
    static const int lstm_from[4] = {0, 3, 1, 2}; /* ONNX i, o, f, c <- mxrt i, f, g, o */
    static const int gru_from[3] = {1, 0, 2};     /* ONNX z, r, h <- mxrt r, z, n */
    static const int one[1] = {0};
    const int *from = lstm ? lstm_from : gru ? gru_from : one;
    const char *x = in_name(e, nd, 0);
    size_t woff = 0, boff = 0;
    for (int64_t l = 0; l < L; l++) boff += (size_t)D * GH * ((l ? (size_t)D * H : I0) + (size_t)H);
    char **hy = ex_alloc(e, sizeof(char *) * (size_t)L), **cy = ex_alloc(e, sizeof(char *) * (size_t)L);
    if (!hy || !cy) return ex_fail(e, MX_ENOMEM, "no memory");
    for (int64_t l = 0; l < L; l++) {
        size_t I = l ? (size_t)D * H : I0;
        size_t nw = (size_t)D * GH * I, nr = (size_t)D * GH * (size_t)H, nb = (size_t)D * 2 * GH;
        float *W = malloc(nw * sizeof *W), *R = malloc(nr * sizeof *R), *B = malloc(nb * sizeof *B);
        if (!W || !R || !B) return free(W), free(R), free(B), ex_fail(e, MX_ENOMEM, "no memory");
        for (int d = 0; d < D; d++) {
            const float *wi = P + woff, *wh = wi + GH * I;
            woff += GH * (I + (size_t)H);
            const float *bi = P + boff, *bh = bi + GH;
            boff += 2 * GH;
            for (int j = 0; j < G; j++) {
                size_t src = (size_t)from[j] * (size_t)H, dst = (size_t)j * (size_t)H;
                memcpy(W + (size_t)d * GH * I + dst * I, wi + src * I, sizeof(float) * (size_t)H * I);
                memcpy(R + (size_t)d * GH * (size_t)H + dst * (size_t)H, wh + src * (size_t)H, sizeof(float) * (size_t)(H * H));
                memcpy(B + (size_t)d * 2 * GH + dst, bi + src, sizeof(float) * (size_t)H);
                memcpy(B + (size_t)d * 2 * GH + GH + dst, bh + src, sizeof(float) * (size_t)H);
            }
        }
        char sfx[64];
        int64_t wd[3] = {D, (int64_t)GH, (int64_t)I}, rd[3] = {D, (int64_t)GH, H}, bd[2] = {D, 2 * (int64_t)GH};
        snprintf(sfx, sizeof sfx, "_l%lld_W", (long long)l);
        char *wn = tmp_name(e, sfx);
        snprintf(sfx, sizeof sfx, "_l%lld_R", (long long)l);
        char *rn = tmp_name(e, sfx);
        snprintf(sfx, sizeof sfx, "_l%lld_B", (long long)l);
        char *bn = tmp_name(e, sfx);
        mx_status st = wn && rn && bn ? add_init(e, wn, wd, 3, W, NULL, nw) : MX_ENOMEM;
        if (st == MX_OK) st = add_init(e, rn, rd, 3, R, NULL, nr);
        if (st == MX_OK) st = add_init(e, bn, bd, 2, B, NULL, nb);
        free(W), free(R), free(B);
        if (st != MX_OK) return mx_last_status() ? mx_last_status() : ex_fail(e, MX_ENOMEM, "no memory");
        snprintf(sfx, sizeof sfx, "_l%lld_h0", (long long)l);
        const char *h0 = slice_rows(e, in_name(e, nd, 2), l * D, (l + 1) * D, sfx);
        const char *c0 = NULL;
        if (lstm) {
            snprintf(sfx, sizeof sfx, "_l%lld_c0", (long long)l);
            c0 = slice_rows(e, in_name(e, nd, 3), l * D, (l + 1) * D, sfx);
        }
        if (!h0 || (lstm && !c0)) return mx_last_status();
        snprintf(sfx, sizeof sfx, "_l%lld", (long long)l);
        ex_onode o = onode(e, lstm ? "LSTM" : gru ? "GRU" : "RNN", tmp_name(e, sfx));
        in_(&o, x);
        in_(&o, wn);
        in_(&o, rn);
        in_(&o, bn);
        in_(&o, "");
        in_(&o, h0);
        if (lstm) in_(&o, c0);
        a_int(&o, "hidden_size", H);
        if (D == 2) a_str(&o, "direction", "bidirectional");
        if (gru) a_int(&o, "linear_before_reset", 1);
        if (plain) {
            const char *act = !strcmp(mode, "rnn_relu") ? "Relu" : "Tanh";
            Onnx__AttributeProto *a = o.ok ? new_attr(e, "activations", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS) : NULL;
            ProtobufCBinaryData *sv = a ? ex_alloc(e, sizeof *sv * (size_t)D) : NULL;
            for (int d = 0; sv && d < D; d++) sv[d].data = (uint8_t *)ex_strdup(e, act), sv[d].len = strlen(act);
            if (a && sv) a->strings = sv, a->n_strings = (size_t)D;
            add_attr(&o, sv ? a : NULL);
        }
        snprintf(sfx, sizeof sfx, "_l%lld_Y", (long long)l);
        char *y = tmp_name(e, sfx);
        snprintf(sfx, sizeof sfx, "_l%lld_Yh", (long long)l);
        hy[l] = tmp_name(e, sfx);
        snprintf(sfx, sizeof sfx, "_l%lld_Yc", (long long)l);
        cy[l] = lstm ? tmp_name(e, sfx) : NULL;
        out_(&o, y ? y : "");
        out_(&o, hy[l] ? hy[l] : "");
        if (lstm) out_(&o, cy[l] ? cy[l] : "");
        if (done(e, &o) != MX_OK || !y || !hy[l] || (lstm && !cy[l])) return mx_last_status();
        /* Y (T, D, N, H) -> (T, N, D·H): the next layer's input, or the output */
        snprintf(sfx, sizeof sfx, "_l%lld_Yt", (long long)l);
        ex_onode t = onode(e, "Transpose", tmp_name(e, sfx));
        char *yt = tmp_name(e, sfx);
        int64_t perm[4] = {0, 2, 1, 3}, shape3[3] = {0, 0, -1};
        in_(&t, y);
        out_(&t, yt ? yt : "");
        a_ints(&t, "perm", perm, 4);
        if (done(e, &t) != MX_OK || !yt) return mx_last_status();
        snprintf(sfx, sizeof sfx, "_l%lld_shape", (long long)l);
        const char *sh = ints_init(e, sfx, shape3, 3);
        snprintf(sfx, sizeof sfx, "_l%lld_out", (long long)l);
        ex_onode r = onode(e, "Reshape", tmp_name(e, sfx));
        char *yo = l == L - 1 ? nd->out[0] : tmp_name(e, sfx);
        in_(&r, yt);
        in_(&r, sh ? sh : "");
        out_(&r, yo ? yo : "");
        if (done(e, &r) != MX_OK || !sh || !yo) return mx_last_status();
        x = yo;
    }
    /* the last states, all layers stacked as mxrt gives them */
    for (int k = 1; k < nd->nout && k <= 1 + lstm; k++) {
        ex_onode c = onode(e, "Concat", tmp_name(e, k == 1 ? "_hy" : "_cy"));
        for (int64_t l = 0; l < L; l++) in_(&c, k == 1 ? hy[l] : cy[l]);
        out_(&c, nd->out[k]);
        a_int(&c, "axis", 0);
        if (done(e, &c) != MX_OK) return mx_last_status();
    }
    return MX_OK;
}

static int is(const char *op, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(op, names[i])) return 1;
    return 0;
}

static mx_status export_node(ex *e, const ex_node *nd)
{
    const char *op = nd->op;
    static const char *const add[] = {"elemwise_add", "_plus", "_Plus", "_add", "broadcast_add", "broadcast_plus", NULL};
    static const char *const sub[] = {"elemwise_sub", "_minus", "_Minus", "_sub", "broadcast_sub", "broadcast_minus", NULL};
    static const char *const mul[] = {"elemwise_mul", "_mul", "_Mul", "broadcast_mul", NULL};
    static const char *const div[] = {"elemwise_div", "_div", "_Div", "broadcast_div", NULL};
    static const char *const ident[] = {"Dropout", "identity", "_copy", "BlockGrad", "stop_gradient",
                                        "LinearRegressionOutput", "MakeLoss", "make_loss", NULL};
    if (!strcmp(op, "Activation")) return ex_activation(e, nd);
    if (!strcmp(op, "FullyConnected")) return ex_fully_connected(e, nd);
    if (!strcmp(op, "SoftmaxOutput") || !strcmp(op, "Softmax")) return ex_softmax_output(e, nd);
    if (!strcmp(op, "SoftmaxActivation")) return ex_softmax_axis(e, nd, "Softmax", attr(nd, "mode", NULL) &&
                                                                 !strcmp(attr(nd, "mode", ""), "channel") ? 1 : -1);
    if (!strcmp(op, "softmax")) return ex_softmax_axis(e, nd, "Softmax", (int)attr_num(nd, "axis", -1));
    if (!strcmp(op, "log_softmax")) return ex_softmax_axis(e, nd, "LogSoftmax", (int)attr_num(nd, "axis", -1));
    if (!strcmp(op, "LogisticRegressionOutput")) return simple(e, nd, "Sigmoid");
    if (!strcmp(op, "Convolution") || !strcmp(op, "Convolution_v1")) return ex_conv(e, nd, 0);
    if (!strcmp(op, "Deconvolution")) return ex_conv(e, nd, 1);
    if (!strcmp(op, "Pooling") || !strcmp(op, "Pooling_v1")) return ex_pooling(e, nd);
    if (!strcmp(op, "Flatten") || !strcmp(op, "flatten")) {
        ex_onode o = onode(e, "Flatten", NULL);
        in_(&o, in_name(e, nd, 0));
        out_(&o, nd->out[0]);
        a_int(&o, "axis", 1);
        return done(e, &o);
    }
    if (!strcmp(op, "BatchNorm") || !strcmp(op, "BatchNorm_v1")) return ex_batchnorm(e, nd);
    if (is(op, add)) return ex_binary(e, nd, "Add");
    if (is(op, sub)) return ex_binary(e, nd, "Sub");
    if (is(op, mul)) return ex_binary(e, nd, "Mul");
    if (is(op, div)) return ex_binary(e, nd, "Div");
    if (is(op, ident)) return simple(e, nd, "Identity");
    if (!strcmp(op, "_plus_scalar") || !strcmp(op, "_PlusScalar")) return ex_scalar(e, nd, "Add", 0);
    if (!strcmp(op, "_minus_scalar") || !strcmp(op, "_MinusScalar")) return ex_scalar(e, nd, "Sub", 0);
    if (!strcmp(op, "_rminus_scalar") || !strcmp(op, "_RMinusScalar")) return ex_scalar(e, nd, "Sub", 1);
    if (!strcmp(op, "_mul_scalar") || !strcmp(op, "_MulScalar")) return ex_scalar(e, nd, "Mul", 0);
    if (!strcmp(op, "_div_scalar") || !strcmp(op, "_DivScalar")) return ex_scalar(e, nd, "Div", 0);
    if (!strcmp(op, "_rdiv_scalar") || !strcmp(op, "_RDivScalar")) return ex_scalar(e, nd, "Div", 1);
    if (!strcmp(op, "Concat") || !strcmp(op, "concat")) return ex_concat(e, nd);
    if (!strcmp(op, "SliceChannel") || !strcmp(op, "split")) return ex_slice_channel(e, nd);
    if (!strcmp(op, "Embedding")) return ex_embedding(e, nd);
    if (!strcmp(op, "LeakyReLU")) return ex_leaky(e, nd);
    if (!strcmp(op, "Reshape") || !strcmp(op, "reshape")) return ex_reshape(e, nd);
    if (!strcmp(op, "transpose")) return ex_transpose(e, nd);
    if (!strcmp(op, "expand_dims")) return ex_expand_dims(e, nd);
    if (!strcmp(op, "clip")) return ex_clip(e, nd);
    if (!strcmp(op, "relu")) return simple(e, nd, "Relu");
    if (!strcmp(op, "sigmoid")) return simple(e, nd, "Sigmoid");
    if (!strcmp(op, "tanh")) return simple(e, nd, "Tanh");
    if (!strcmp(op, "exp")) return simple(e, nd, "Exp");
    if (!strcmp(op, "log")) return simple(e, nd, "Log");
    if (!strcmp(op, "sqrt")) return simple(e, nd, "Sqrt");
    if (!strcmp(op, "abs")) return simple(e, nd, "Abs");
    if (!strcmp(op, "negative")) return simple(e, nd, "Neg");
    if (!strcmp(op, "UpSampling")) return ex_upsampling(e, nd);
    if (!strcmp(op, "RNN")) return ex_rnn(e, nd);
    if (!strcmp(op, "Pad") || !strcmp(op, "pad")) return ex_pad(e, nd);
    if (!strcmp(op, "slice_axis")) return ex_slice_axis(e, nd);
    if (!strcmp(op, "squeeze")) return ex_squeeze(e, nd);
    if (!strcmp(op, "broadcast_to") || !strcmp(op, "broadcast_axis") || !strcmp(op, "broadcast_axes") ||
        !strcmp(op, "broadcast_like"))
        return ex_expand(e, nd);
    if (!strcmp(op, "mean")) return ex_reduce(e, nd, "ReduceMean");
    if (!strcmp(op, "sum")) return ex_reduce(e, nd, "ReduceSum");
    if (!strcmp(op, "max")) return ex_reduce(e, nd, "ReduceMax");
    if (!strcmp(op, "min")) return ex_reduce(e, nd, "ReduceMin");
    return ex_fail(e, MX_ENOTSUP, "op %s has no ONNX export in mxrt", op);
}

/* ---- reading the graph ---- */

static int param_index(const mx_nd_list *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (p->names && p->names[i] && strlen(p->names[i]) > 4 && !strcmp(p->names[i] + 4, name)) return i;
    return -1;
}

static const char *const loss_ops[] = {"SoftmaxOutput", "Softmax", "LinearRegressionOutput",
                                       "LogisticRegressionOutput", NULL};

static mx_status read_graph(ex *e, const mx_json *root, mx_node *const *ops, int nops)
{
    int next_op = 0;
    const mx_json *nodes = mx_json_get(root, "nodes");
    if (!nodes || nodes->type != MX_JSON_ARRAY || nodes->n > EX_MAX_NODES) return ex_fail(e, MX_EFORMAT, "no nodes");
    e->n = nodes->n;
    if (!(e->nodes = ex_alloc(e, sizeof *e->nodes * (size_t)(e->n ? e->n : 1)))) return ex_fail(e, MX_ENOMEM, "no memory");
    for (int i = 0; i < e->n; i++) {
        const mx_json *j = &nodes->items[i], *in = mx_json_get(j, "inputs");
        ex_node *nd = &e->nodes[i];
        const mx_json *op = mx_json_get(j, "op"), *name = mx_json_get(j, "name");
        nd->op = op && op->type == MX_JSON_STRING ? op->str : "null";
        nd->name = name && name->type == MX_JSON_STRING ? name->str : "";
        nd->attrs = mx_json_get(j, "attrs");
        if (!nd->attrs) nd->attrs = mx_json_get(j, "param");
        nd->nin = in && in->type == MX_JSON_ARRAY ? in->n : 0;
        nd->in_node = ex_alloc(e, sizeof(int) * (size_t)(nd->nin + 1));
        nd->in_idx = ex_alloc(e, sizeof(int) * (size_t)(nd->nin + 1));
        if (!nd->in_node || !nd->in_idx) return ex_fail(e, MX_ENOMEM, "no memory");
        for (int k = 0; k < nd->nin; k++) {
            const mx_json *ent = &in->items[k];
            if (ent->type != MX_JSON_ARRAY || ent->n < 2 || !ent->items[0].is_int || ent->items[0].ival < 0 ||
                ent->items[0].ival >= i)
                return ex_fail(e, MX_EFORMAT, "node '%s': bad input entry", nd->name);
            nd->in_node[k] = (int)ent->items[0].ival;
            nd->in_idx[k] = (int)ent->items[1].ival;
        }
        /* output tensors: the graph's own output names; JSON writes the op
         * nodes in mx_graph_topo's order (aux variables put before their op) */
        if (!strcmp(nd->op, "null")) {
            nd->nout = 1;
            nd->out = ex_alloc(e, sizeof(char *));
            if (!nd->out || !(nd->out[0] = ex_strdup(e, nd->name))) return ex_fail(e, MX_ENOMEM, "no memory");
        } else {
            if (next_op >= nops || strcmp(ops[next_op]->name, nd->name))
                return ex_fail(e, MX_EINTERNAL, "node '%s': the graph JSON and the graph disagree", nd->name);
            const mx_node *gn = ops[next_op++];
            nd->nout = gn->noutputs;
            nd->out = ex_alloc(e, sizeof(char *) * (size_t)(nd->nout ? nd->nout : 1));
            if (!nd->out) return ex_fail(e, MX_ENOMEM, "no memory");
            for (int k = 0; k < nd->nout; k++)
                if (!(nd->out[k] = ex_strdup(e, gn->out_names[k]))) return ex_fail(e, MX_ENOMEM, "no memory");
        }
        for (int k = 0; k < nd->nin; k++)
            if (nd->in_idx[k] < 0 || nd->in_idx[k] >= e->nodes[nd->in_node[k]].nout)
                return ex_fail(e, MX_EFORMAT, "node '%s': input %d names output %d of '%s'", nd->name, k, nd->in_idx[k],
                               e->nodes[nd->in_node[k]].name);
    }
    /* variables: parameters, labels (read only by a loss's label slot), or graph inputs */
    for (int i = 0; i < e->n; i++) {
        ex_node *v = &e->nodes[i];
        if (strcmp(v->op, "null")) continue;
        v->is_param = param_index(e->params, v->name) >= 0;
        int other = 0, label = 0, embed = 0;
        for (int j = i + 1; j < e->n; j++) {
            const ex_node *u = &e->nodes[j];
            for (int k = 0; k < u->nin; k++) {
                if (u->in_node[k] != i) continue;
                if (is(u->op, loss_ops) && k == 1) label = 1;
                else if (!strcmp(u->op, "Embedding") && k == 0) embed = 1;
                else other = 1;
            }
        }
        v->is_label = label && !other && !embed && !v->is_param;
        v->is_input = !v->is_param && !v->is_label;
        v->int_input = v->is_input && embed && !other;
    }
    return MX_OK;
}

static mx_status infer_all(ex *e, const mx_sym *sym, int n, const char *const *names, const mx_shape *shapes)
{
    mx_sym *internals = mx_sym_get_internals(sym);
    if (!internals) return mx_last_status();
    const char *const *args;
    int na = mx_list_arguments(internals, &args);
    int nout = mx_list_outputs(internals, NULL, 0), naux = mx_list_auxiliary_states(internals, NULL, 0);
    const char **known = calloc((size_t)na + 1, sizeof *known), **outs = calloc((size_t)nout + 1, sizeof *outs);
    mx_shape *ks = calloc((size_t)na + 1, sizeof *ks), *as = calloc((size_t)na + 1, sizeof *as);
    mx_shape *os = calloc((size_t)nout + 1, sizeof *os), *xs = calloc((size_t)naux + 1, sizeof *xs);
    mx_status st = MX_OK;
    if (!known || !outs || !ks || !as || !os || !xs) st = ex_fail(e, MX_ENOMEM, "no memory");
    int nk = 0;
    for (int a = 0; st == MX_OK && a < na; a++) {
        int pi = param_index(e->params, args[a]);
        if (pi >= 0) {
            known[nk] = args[a], ks[nk++] = mx_nd_shape(e->params->arrays[pi]);
            continue;
        }
        for (int k = 0; k < n; k++)
            if (!strcmp(names[k], args[a])) known[nk] = args[a], ks[nk++] = shapes[k];
    }
    for (int k = 0; st == MX_OK && k < n; k++) {
        int found = 0;
        for (int a = 0; a < na; a++) found |= !strcmp(names[k], args[a]);
        if (!found) st = ex_fail(e, MX_EINVAL, "the graph has no argument '%s' (--shape)", names[k]);
    }
    if (st == MX_OK && mx_infer_shape(internals, nk, known, ks, as, os, xs) != MX_OK)
        st = ex_fail(e, MX_EINVAL, "%s (every data input needs its shape: --shape NAME=D1,D2,...)", mx_last_error());
    if (st == MX_OK) mx_list_outputs(internals, outs, nout);
    for (int a = 0; st == MX_OK && a < na; a++)
        if (as[a].ndim == 0 && param_index(e->params, args[a]) < 0 && !strstr(args[a], "label"))
            st = ex_fail(e, MX_EINVAL, "the shape of input '%s' is unknown: give --shape %s=D1,D2,...", args[a], args[a]);
    if (st == MX_OK) {
        e->nshapes = nout + na;
        e->shape_names = ex_alloc(e, sizeof(char *) * (size_t)(e->nshapes + 1));
        e->shapes = ex_alloc(e, sizeof(mx_shape) * (size_t)(e->nshapes + 1));
        if (!e->shape_names || !e->shapes) st = ex_fail(e, MX_ENOMEM, "no memory");
        for (int k = 0; st == MX_OK && k < nout; k++) {
            e->shape_names[k] = ex_strdup(e, outs[k]);
            e->shapes[k] = os[k];
        }
        for (int a = 0; st == MX_OK && a < na; a++) {
            e->shape_names[nout + a] = ex_strdup(e, args[a]);
            e->shapes[nout + a] = as[a];
        }
        for (int k = 0; st == MX_OK && k < e->nshapes; k++)
            if (!e->shape_names[k]) st = ex_fail(e, MX_ENOMEM, "no memory");
    }
    free(known);
    free(outs);
    free(ks);
    free(as);
    free(os);
    free(xs);
    mx_sym_free(internals);
    return st;
}

static mx_status write_model(ex *e, Onnx__ModelProto *m, const char *path)
{
    size_t len = onnx__model_proto__get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) return ex_fail(e, MX_ENOMEM, "no memory for %zu bytes", len);
    onnx__model_proto__pack(m, buf);
    mx_atomic_file af;
    mx_status st = mx_atomic_open(&af, path);
    if (st == MX_OK) {
        if (fwrite(buf, 1, len, af.f) != len) {
            mx_atomic_abort(&af);
            st = mx_set_error(MX_EIO, "%s: write failed", path);
        } else {
            st = mx_atomic_commit(&af);
        }
    }
    free(buf);
    return st;
}

mx_status mx_onnx_export(const mx_sym *sym, const mx_nd_list *params, int n, const char *const *names,
                         const mx_shape *shapes, int opset, const char *path)
{
    if (!opset) opset = 13;
    if (opset < 9 || opset > 17) return mx_set_error(MX_ENOTSUP, "%s: opset %d: mxrt exports opsets 9 to 17", path, opset);
    ex e = {.what = path, .opset = opset, .params = params};
    Onnx__ModelProto m;
    Onnx__GraphProto g;
    Onnx__OperatorSetIdProto ops, *opsp = &ops;
    onnx__model_proto__init(&m);
    onnx__graph_proto__init(&g);
    onnx__operator_set_id_proto__init(&ops);
    char *json = mx_sym_to_json(sym);
    char err[256] = "";
    mx_json *root = json ? mx_json_parse(json, err, sizeof err) : NULL;
    mx_status st = root ? MX_OK : ex_fail(&e, MX_EINTERNAL, "symbol JSON: %s", err);
    if (st == MX_OK) st = infer_all(&e, sym, n, names, shapes);
    int ntopo = 0, nops = 0;
    mx_node **topo = st == MX_OK ? mx_graph_topo(sym, &ntopo) : NULL;
    if (st == MX_OK && !topo) st = ex_fail(&e, MX_ENOMEM, "no memory");
    for (int i = 0; topo && i < ntopo; i++)
        if (topo[i]->op) topo[nops++] = topo[i];
    if (st == MX_OK) st = read_graph(&e, root, topo, nops);
    free(topo);
    /* initializers and inputs first, then the nodes in order */
    for (int i = 0; st == MX_OK && i < e.n; i++) {
        ex_node *v = &e.nodes[i];
        e.cur = v;
        if (strcmp(v->op, "null")) {
            st = export_node(&e, v);
            continue;
        }
        if (v->is_param) {
            const mx_nd *a = params->arrays[param_index(params, v->name)];
            mx_shape s = mx_nd_shape(a);
            st = add_init(&e, v->name, s.dims, s.ndim, mx_nd_data(a), NULL, mx_nd_size(a));
        } else if (v->is_input) {
            Onnx__ValueInfoProto *vi = value_info(&e, v->name, v->int_input ? ONNX__TENSOR_PROTO__DATA_TYPE__INT64
                                                                            : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
                                                  shape_of(&e, v->name));
            size_t cap = e.ninputs;
            if (!vi || !grow((void ***)&e.inputs, &e.ninputs, &cap, vi)) st = ex_fail(&e, MX_ENOMEM, "no memory");
        }
    }
    e.cur = NULL;
    const mx_json *heads = root ? mx_json_get(root, "heads") : NULL;
    for (int h = 0; st == MX_OK && heads && h < heads->n; h++) {
        const mx_json *ent = &heads->items[h];
        if (ent->type != MX_JSON_ARRAY || ent->n < 2 || ent->items[0].ival < 0 || ent->items[0].ival >= e.n) {
            st = ex_fail(&e, MX_EFORMAT, "bad heads");
            break;
        }
        const ex_node *nd = &e.nodes[ent->items[0].ival];
        const char *t = nd->out[ent->items[1].ival < nd->nout ? ent->items[1].ival : 0];
        Onnx__ValueInfoProto *vi = value_info(&e, t, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, NULL);
        size_t cap = e.noutputs;
        if (!vi || !grow((void ***)&e.outputs, &e.noutputs, &cap, vi)) st = ex_fail(&e, MX_ENOMEM, "no memory");
        const mx_shape *s = shape_of(&e, t);
        if (st == MX_OK && s) { /* the output's shape, as PyTorch's exporter states it */
            Onnx__ValueInfoProto *full = value_info(&e, t, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, s);
            if (full) e.outputs[e.noutputs - 1] = full;
        }
    }
    if (st == MX_OK) {
        ops.domain = "";
        ops.has_version = 1;
        ops.version = opset;
        g.name = "mxrt";
        g.n_node = e.nonodes;
        g.node = e.onodes;
        g.n_initializer = e.ninits;
        g.initializer = e.inits;
        g.n_input = e.ninputs;
        g.input = e.inputs;
        g.n_output = e.noutputs;
        g.output = e.outputs;
        m.has_ir_version = 1;
        m.ir_version = 8; /* ONNX 1.10+: opsets up to 17 */
        m.n_opset_import = 1;
        m.opset_import = &opsp;
        m.producer_name = "mxrt";
        m.producer_version = MX_VERSION;
        m.graph = &g;
        st = write_model(&e, &m, path);
    }
    mx_json_free(root);
    free(json);
    for (size_t i = 0; i < e.npool; i++) free(e.pool[i]);
    free(e.pool);
    free(e.onodes);
    free(e.inits);
    free(e.inputs);
    free(e.outputs);
    return st;
}

mx_status mx_onnx_export_file(const char *prefix, int epoch, int n, const char *const *names, const mx_shape *shapes,
                              int opset, const char *path)
{
    /* a checkpoint's two files, read here (not through runtime/train: onnx/ sits below it) */
    size_t len = strlen(prefix) + 32;
    char *file = malloc(len);
    if (!file) return mx_set_error(MX_ENOMEM, "onnx: no memory");
    snprintf(file, len, "%s-symbol.json", prefix);
    mx_sym *sym = mx_sym_load_json(file);
    mx_nd_list params = {0};
    snprintf(file, len, "%s-%04d.params", prefix, epoch);
    mx_status st = sym ? mx_nd_load(file, &params) : mx_last_status();
    free(file);
    if (st == MX_OK) st = mx_onnx_export(sym, &params, n, names, shapes, opset, path);
    mx_sym_free(sym);
    mx_nd_list_free(&params);
    return st;
}
