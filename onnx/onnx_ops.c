/* onnx_ops.c — ONNX ops that run at run time, each converted to the mxrt
 * ops (MXNet's names and parameters) that compute the same thing: one
 * converter per ONNX op, reading the node's attributes as the ONNX spec
 * defines them for opsets 9 to 17 (attribute-to-input moves included:
 * Clip 11, Pad 11, Split/Squeeze/Unsqueeze 13, Resize 11). What mxrt's ops
 * cannot express is MX_ENOTSUP naming the attribute and its value. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_import.h"

#define TUPLE_BUF 160

static mx_sym *input_sym(ox_ctx *c, int i)
{
    ox_value *v = ox_input(c, i, 1);
    return v ? ox_sym(c, v) : NULL;
}

/* Emits op on the given inputs, frees them, binds output 0. */
static mx_status emit_out(ox_ctx *c, const char *op, const char *params, int n, const char *const *names,
                          mx_sym **ins)
{
    for (int i = 0; i < n; i++)
        if (!ins[i]) {
            for (int k = 0; k < n; k++) mx_sym_free(ins[k]);
            return mx_last_status() ? mx_last_status() : MX_ENOMEM;
        }
    mx_sym *s = ox_emit(c, NULL, op, params, n, names, ins);
    for (int i = 0; i < n; i++) mx_sym_free(ins[i]);
    if (!s) return mx_last_status();
    return ox_set_output(c, 0, s);
}

/* Unary op on input 0. */
static mx_status unary(ox_ctx *c, const char *op, const char *params)
{
    mx_sym *in[1] = {input_sym(c, 0)};
    return emit_out(c, op, params, 1, NULL, in);
}

static mx_status cv_relu(ox_ctx *c) { return unary(c, "Activation", "act_type=relu"); }
static mx_status cv_sigmoid(ox_ctx *c) { return unary(c, "Activation", "act_type=sigmoid"); }
static mx_status cv_tanh(ox_ctx *c) { return unary(c, "Activation", "act_type=tanh"); }
static mx_status cv_softplus(ox_ctx *c) { return unary(c, "Activation", "act_type=softrelu"); }
static mx_status cv_exp(ox_ctx *c) { return unary(c, "exp", ""); }
static mx_status cv_log(ox_ctx *c) { return unary(c, "log", ""); }
static mx_status cv_sqrt(ox_ctx *c) { return unary(c, "sqrt", ""); }
static mx_status cv_neg(ox_ctx *c) { return unary(c, "negative", ""); }
static mx_status cv_abs(ox_ctx *c) { return unary(c, "abs", ""); }

static mx_status cv_leaky(ox_ctx *c)
{
    char p[64];
    snprintf(p, sizeof p, "act_type=leaky slope=%.9g", ox_attr_float(c->node, "alpha", 0.01f));
    return unary(c, "LeakyReLU", p);
}

static mx_status cv_elu(ox_ctx *c)
{
    char p[64];
    snprintf(p, sizeof p, "act_type=elu slope=%.9g", ox_attr_float(c->node, "alpha", 1.0f));
    return unary(c, "LeakyReLU", p);
}

static mx_status cv_prelu(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    const ox_tensor *slope = ox_const_input(c, 1, "slope");
    if (!x || !slope) return mx_last_status();
    int64_t ch = x->shape.ndim >= 2 ? x->shape.dims[1] : 1;
    if (slope->n != 1 && (int64_t)slope->n != ch)
        return ox_fail(c, MX_ENOTSUP, "slope of %zu values: mxrt's prelu takes one per channel (%lld) or one", slope->n,
                       (long long)ch);
    /* one slope per channel, whatever the broadcast shape it was given in ((C,1,1) from PyTorch) */
    ox_tensor g;
    if (ox_tensor_copy(&g, slope) != MX_OK) return mx_last_status();
    g.shape = (mx_shape){1, {(int64_t)slope->n}};
    char name[300];
    snprintf(name, sizeof name, "%s", c->node->input[1]);
    if (slope->shape.ndim != 1) snprintf(name, sizeof name, "%s_c", c->node->input[1]);
    mx_sym *in[2] = {ox_sym(c, x), ox_param_sym(c, name, &g)};
    ox_tensor_free(&g);
    static const char *const names[] = {"data", "gamma"};
    return emit_out(c, "LeakyReLU", "act_type=prelu", 2, names, in);
}

/* Softmax and LogSoftmax: before opset 13 the input is taken as 2-D
 * (axes before `axis` by those from it); since 13 one axis, default -1. */
static mx_status softmax_common(ox_ctx *c, const char *op)
{
    ox_value *x = ox_input(c, 0, 1);
    if (!x) return mx_last_status();
    int nd = x->shape.ndim;
    int ax = ox_axis(c, ox_attr_int(c->node, "axis", c->opset >= 13 ? -1 : 1), nd, "axis");
    if (ax < 0) return mx_last_status();
    char p[64];
    if (c->opset >= 13 || ax == nd - 1) {
        snprintf(p, sizeof p, "axis=%d", ax);
        return unary(c, op, p);
    }
    /* coerced to 2-D: reshape, softmax over the last axis, reshape back */
    int64_t rows = 1, cols = 1;
    for (int d = 0; d < nd; d++) *(d < ax ? &rows : &cols) *= x->shape.dims[d];
    char shp[TUPLE_BUF], back[TUPLE_BUF], p2[TUPLE_BUF + 16];
    int64_t two[2] = {rows, cols};
    snprintf(p2, sizeof p2, "shape=%s", ox_tuple(two, 2, shp, sizeof shp));
    mx_sym *in = ox_sym(c, x);
    mx_sym *r = in ? ox_emit(c, "_2d", "Reshape", p2, 1, NULL, &in) : NULL;
    mx_sym_free(in);
    mx_sym *s = r ? ox_emit(c, "_softmax", op, "axis=-1", 1, NULL, &r) : NULL;
    mx_sym_free(r);
    snprintf(p2, sizeof p2, "shape=%s", ox_tuple(x->shape.dims, nd, back, sizeof back));
    mx_sym *o = s ? ox_emit(c, NULL, "Reshape", p2, 1, NULL, &s) : NULL;
    mx_sym_free(s);
    return o ? ox_set_output(c, 0, o) : mx_last_status();
}

static mx_status cv_softmax(ox_ctx *c) { return softmax_common(c, "softmax"); }
static mx_status cv_log_softmax(ox_ctx *c) { return softmax_common(c, "log_softmax"); }

/* Kernel, strides, dilations and pads of a conv or pool over sp spatial
 * axes of x; auto_pad SAME_* resolved against x's shape. Pads come back
 * as begin[sp], end[sp]. */
typedef struct window {
    int sp;
    int64_t kernel[MX_MAX_NDIM], stride[MX_MAX_NDIM], dilate[MX_MAX_NDIM], begin[MX_MAX_NDIM], end[MX_MAX_NDIM];
} window;

static mx_status read_window(ox_ctx *c, const ox_value *x, int sp, const int64_t *wkernel, window *w)
{
    memset(w, 0, sizeof *w);
    w->sp = sp;
    if (sp < 1 || sp > 3) return ox_fail(c, MX_ENOTSUP, "%d spatial axes (mxrt: 1 to 3)", sp);
    if (x->shape.ndim != sp + 2)
        return ox_fail(c, MX_EINVAL, "input '%s' has rank %d, expected %d", x->name, x->shape.ndim, sp + 2);
    int64_t v[2 * MX_MAX_NDIM];
    int n = ox_attr_ints(c->node, "kernel_shape", v, MX_MAX_NDIM);
    if (n >= 0 && n != sp) return ox_fail(c, MX_EINVAL, "kernel_shape has %d values for %d spatial axes", n, sp);
    if (n < 0 && !wkernel) return ox_fail(c, MX_EFORMAT, "kernel_shape missing");
    for (int d = 0; d < sp; d++) w->kernel[d] = n >= 0 ? v[d] : wkernel[d];
    n = ox_attr_ints(c->node, "strides", v, MX_MAX_NDIM);
    if (n >= 0 && n != sp) return ox_fail(c, MX_EINVAL, "strides has %d values for %d spatial axes", n, sp);
    for (int d = 0; d < sp; d++) w->stride[d] = n >= 0 ? v[d] : 1;
    n = ox_attr_ints(c->node, "dilations", v, MX_MAX_NDIM);
    if (n >= 0 && n != sp) return ox_fail(c, MX_EINVAL, "dilations has %d values for %d spatial axes", n, sp);
    for (int d = 0; d < sp; d++) w->dilate[d] = n >= 0 ? v[d] : 1;
    for (int d = 0; d < sp; d++)
        if (w->kernel[d] < 1 || w->stride[d] < 1 || w->dilate[d] < 1 || w->kernel[d] > (1 << 20) ||
            w->stride[d] > (1 << 20) || w->dilate[d] > (1 << 20))
            return ox_fail(c, MX_EINVAL, "kernel, stride and dilation must be 1..2^20");
    char ap[32];
    const char *auto_pad = ox_attr_str(c->node, "auto_pad", "NOTSET", ap, sizeof ap);
    n = ox_attr_ints(c->node, "pads", v, 2 * MX_MAX_NDIM);
    if (n >= 0 && n != 2 * sp) return ox_fail(c, MX_EINVAL, "pads has %d values for %d spatial axes", n, sp);
    for (int d = 0; d < sp; d++) w->begin[d] = n >= 0 ? v[d] : 0, w->end[d] = n >= 0 ? v[sp + d] : 0;
    if (!strcmp(auto_pad, "SAME_UPPER") || !strcmp(auto_pad, "SAME_LOWER")) {
        for (int d = 0; d < sp; d++) {
            int64_t in = x->shape.dims[2 + d], out = (in + w->stride[d] - 1) / w->stride[d];
            int64_t total = (out - 1) * w->stride[d] + (w->kernel[d] - 1) * w->dilate[d] + 1 - in;
            if (total < 0) total = 0;
            w->begin[d] = auto_pad[5] == 'U' ? total / 2 : total - total / 2;
            w->end[d] = total - w->begin[d];
        }
    } else if (!strcmp(auto_pad, "VALID")) {
        for (int d = 0; d < sp; d++) w->begin[d] = w->end[d] = 0;
    } else if (strcmp(auto_pad, "NOTSET")) {
        return ox_fail(c, MX_EINVAL, "auto_pad '%s' unknown (NOTSET, SAME_UPPER, SAME_LOWER, VALID)", auto_pad);
    }
    for (int d = 0; d < sp; d++)
        if (w->begin[d] < 0 || w->end[d] < 0 || w->begin[d] > (1 << 30) || w->end[d] > (1 << 30))
            return ox_fail(c, w->begin[d] < 0 || w->end[d] < 0 ? MX_ENOTSUP : MX_EINVAL, "pads out of range");
    return MX_OK;
}

static int symmetric(const window *w)
{
    for (int d = 0; d < w->sp; d++)
        if (w->begin[d] != w->end[d]) return 0;
    return 1;
}

/* Asymmetric pads (SAME_UPPER with an even kernel, TensorFlow exports) as
 * an explicit Pad of value before the op, whose own pads become 0. */
static mx_sym *pad_before(ox_ctx *c, mx_sym *x, window *w, float value)
{
    if (symmetric(w)) return x;
    int64_t pw[2 * (MX_MAX_NDIM + 2)] = {0};
    for (int d = 0; d < w->sp; d++) pw[2 * (d + 2)] = w->begin[d], pw[2 * (d + 2) + 1] = w->end[d];
    char t[TUPLE_BUF], p[TUPLE_BUF + 64];
    snprintf(p, sizeof p, "mode=constant pad_width=%s constant_value=%.9g", ox_tuple(pw, 2 * (w->sp + 2), t, sizeof t),
             value);
    mx_sym *s = ox_emit(c, "_pad", "Pad", p, 1, NULL, &x);
    mx_sym_free(x);
    for (int d = 0; d < w->sp; d++) w->begin[d] = w->end[d] = 0;
    return s;
}

static mx_status conv_common(ox_ctx *c, int transpose)
{
    ox_value *x = ox_input(c, 0, 1), *wv = ox_input(c, 1, 1);
    const ox_tensor *wt = ox_const_input(c, 1, "weight");
    if (!x || !wt) return mx_last_status();
    int nb = ox_ninputs(c) > 2;
    if (nb && !ox_const_input(c, 2, "bias")) return mx_last_status();
    int sp = wt->shape.ndim - 2;
    window w;
    mx_status st = read_window(c, x, sp, wt->shape.ndim > 2 ? wt->shape.dims + 2 : NULL, &w);
    if (st != MX_OK) return st;
    int64_t group = ox_attr_int(c->node, "group", 1);
    if (group < 1) return ox_fail(c, MX_EINVAL, "group %lld", (long long)group);
    char kt[TUPLE_BUF], stt[TUPLE_BUF], dt[TUPLE_BUF], pt[TUPLE_BUF], at[TUPLE_BUF], p[6 * TUPLE_BUF];
    int64_t num_filter = transpose ? wt->shape.dims[1] * group : wt->shape.dims[0];
    int64_t adj[MX_MAX_NDIM] = {0};
    if (transpose) {
        int n = ox_attr_ints(c->node, "output_padding", adj, MX_MAX_NDIM);
        if (n >= 0 && n != sp) return ox_fail(c, MX_EINVAL, "output_padding has %d values for %d spatial axes", n, sp);
        if (ox_attr(c->node, "output_shape"))
            return ox_fail(c, MX_ENOTSUP, "output_shape is not supported (give pads and output_padding)");
        if (!symmetric(&w)) return ox_fail(c, MX_ENOTSUP, "asymmetric pads in ConvTranspose");
    }
    mx_sym *in[3] = {ox_sym(c, x), ox_sym(c, wv), nb ? input_sym(c, 2) : NULL};
    if (in[0] && !transpose) in[0] = pad_before(c, in[0], &w, 0.0f);
    snprintf(p, sizeof p, "num_filter=%lld kernel=%s stride=%s dilate=%s pad=%s num_group=%lld no_bias=%d%s%s",
             (long long)num_filter, ox_tuple(w.kernel, sp, kt, sizeof kt), ox_tuple(w.stride, sp, stt, sizeof stt),
             ox_tuple(w.dilate, sp, dt, sizeof dt), ox_tuple(w.begin, sp, pt, sizeof pt), (long long)group, !nb,
             transpose ? " adj=" : "", transpose ? ox_tuple(adj, sp, at, sizeof at) : "");
    static const char *const names[] = {"data", "weight", "bias"};
    return emit_out(c, transpose ? "Deconvolution" : "Convolution", p, nb ? 3 : 2, names, in);
}

static mx_status cv_conv(ox_ctx *c) { return conv_common(c, 0); }
static mx_status cv_conv_transpose(ox_ctx *c) { return conv_common(c, 1); }

static mx_status pool_common(ox_ctx *c, const char *type)
{
    ox_value *x = ox_input(c, 0, 1);
    if (!x) return mx_last_status();
    if (c->node->n_output > 1 && *c->node->output[1])
        return ox_fail(c, MX_ENOTSUP, "the Indices output of MaxPool is not supported");
    if (ox_attr_int(c->node, "storage_order", 0)) return ox_fail(c, MX_ENOTSUP, "storage_order 1 is not supported");
    window w;
    mx_status st = read_window(c, x, x->shape.ndim - 2, NULL, &w);
    if (st != MX_OK) return st;
    for (int d = 0; d < w.sp; d++)
        if (w.dilate[d] != 1) return ox_fail(c, MX_ENOTSUP, "pooling with dilations is not supported");
    int ceil_mode = (int)ox_attr_int(c->node, "ceil_mode", 0);
    int include = (int)ox_attr_int(c->node, "count_include_pad", 0);
    int avg = !strcmp(type, "avg");
    if (!symmetric(&w) && avg && !include)
        return ox_fail(c, MX_ENOTSUP, "asymmetric pads with count_include_pad=0");
    mx_sym *in[1] = {ox_sym(c, x)};
    if (in[0]) in[0] = pad_before(c, in[0], &w, avg ? 0.0f : -FLT_MAX);
    char kt[TUPLE_BUF], stt[TUPLE_BUF], pt[TUPLE_BUF], p[4 * TUPLE_BUF];
    snprintf(p, sizeof p, "pool_type=%s kernel=%s stride=%s pad=%s pooling_convention=%s%s", type,
             ox_tuple(w.kernel, w.sp, kt, sizeof kt), ox_tuple(w.stride, w.sp, stt, sizeof stt),
             ox_tuple(w.begin, w.sp, pt, sizeof pt), ceil_mode ? "full" : "valid",
             avg ? include ? " count_include_pad=1" : " count_include_pad=0" : "");
    return emit_out(c, "Pooling", p, 1, NULL, in);
}

static mx_status cv_maxpool(ox_ctx *c) { return pool_common(c, "max"); }
static mx_status cv_avgpool(ox_ctx *c) { return pool_common(c, "avg"); }

static mx_status global_pool(ox_ctx *c, const char *type)
{
    ox_value *x = ox_input(c, 0, 1);
    if (!x) return mx_last_status();
    int sp = x->shape.ndim - 2;
    if (sp < 1 || sp > 3) return ox_fail(c, MX_ENOTSUP, "input of rank %d", x->shape.ndim);
    int64_t ones[3] = {1, 1, 1};
    char kt[TUPLE_BUF], p[TUPLE_BUF + 64];
    snprintf(p, sizeof p, "pool_type=%s global_pool=1 kernel=%s", type, ox_tuple(ones, sp, kt, sizeof kt));
    return unary(c, "Pooling", p);
}

static mx_status cv_gap(ox_ctx *c) { return global_pool(c, "avg"); }
static mx_status cv_gmp(ox_ctx *c) { return global_pool(c, "max"); }

static mx_status cv_batchnorm(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    const ox_tensor *mean = ox_const_input(c, 3, "mean"), *var = ox_const_input(c, 4, "var");
    if (!x || !mean || !var || !ox_const_input(c, 1, "scale") || !ox_const_input(c, 2, "B")) return mx_last_status();
    if (ox_attr_int(c->node, "training_mode", 0) || (c->node->n_output > 1 && *c->node->output[1]))
        return ox_fail(c, MX_ENOTSUP, "BatchNormalization in training mode (export the model in eval mode)");
    char p[128];
    snprintf(p, sizeof p, "eps=%.9g momentum=%.9g fix_gamma=0 use_global_stats=1",
             ox_attr_float(c->node, "epsilon", 1e-5f), ox_attr_float(c->node, "momentum", 0.9f));
    /* the moving statistics are the node's auxiliary states: named after it, as MXNet names them */
    char name[320];
    snprintf(name, sizeof name, "%s_moving_mean", c->base);
    mx_status st = ox_add_param(c, name, mean, 1);
    snprintf(name, sizeof name, "%s_moving_var", c->base);
    if (st == MX_OK) st = ox_add_param(c, name, var, 1);
    if (st != MX_OK) return st;
    mx_sym *in[3] = {ox_sym(c, x), input_sym(c, 1), input_sym(c, 2)};
    static const char *const names[] = {"data", "gamma", "beta"};
    return emit_out(c, "BatchNorm", p, 3, names, in);
}

static mx_status cv_identity(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    return x ? ox_set_alias(c, 0, x) : mx_last_status();
}

static mx_status cv_dropout(ox_ctx *c)
{
    if (c->node->n_output > 1 && *c->node->output[1])
        return ox_fail(c, MX_ENOTSUP, "Dropout's mask output is not supported (inference: Dropout is the identity)");
    return cv_identity(c);
}

static mx_status cv_cast(ox_ctx *c)
{
    int64_t to = ox_attr_int(c->node, "to", 0);
    ox_value *x = ox_input(c, 0, 1);
    if (!x) return mx_last_status();
    /* integers already (indices given as int64): float32 holds them exactly, a cast changes nothing */
    if (to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && to != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE &&
        to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 && !x->is_int)
        return ox_fail(c, MX_ENOTSUP, "Cast to data type %lld of a value computed at run time (mxrt runs float32)",
                       (long long)to);
    return cv_identity(c);
}

/* Reshape to explicit dims, except that dimension 0 is written as 0 (copy)
 * when it stays the input's: the checkpoint then runs at any batch size. */
static mx_status reshape_to(ox_ctx *c, ox_value *x, mx_shape s, const char *suffix, mx_sym **out)
{
    int64_t dims[MX_MAX_NDIM];
    for (int d = 0; d < s.ndim; d++) dims[d] = s.dims[d];
    if (s.ndim > 1 && x->shape.ndim > 1 && s.dims[0] == x->shape.dims[0]) dims[0] = 0;
    char t[TUPLE_BUF], p[TUPLE_BUF + 16];
    snprintf(p, sizeof p, "shape=%s", ox_tuple(dims, s.ndim, t, sizeof t));
    mx_sym *in = ox_sym(c, x);
    *out = in ? ox_emit(c, suffix, "Reshape", p, 1, NULL, &in) : NULL;
    mx_sym_free(in);
    return *out ? MX_OK : mx_last_status();
}

static mx_status cv_reshape(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    const ox_tensor *sh = ox_const_input(c, 1, "shape");
    if (!x || !sh) return mx_last_status();
    mx_shape s;
    mx_status st = ox_reshape_target(c, x->shape, sh, (int)ox_attr_int(c->node, "allowzero", 0), &s);
    mx_sym *o;
    if (st == MX_OK) st = reshape_to(c, x, s, NULL, &o);
    return st == MX_OK ? ox_set_output(c, 0, o) : st;
}

static mx_status cv_flatten(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    if (!x) return mx_last_status();
    int nd = x->shape.ndim;
    int64_t axis = ox_attr_int(c->node, "axis", 1);
    if (axis < 0) axis += nd;
    if (axis < 0 || axis > nd) return ox_fail(c, MX_EINVAL, "axis %lld for rank %d", (long long)axis, nd);
    if (axis == 1 && nd >= 2) return unary(c, "Flatten", "");
    mx_shape s = {2, {1, 1}};
    for (int d = 0; d < nd; d++) s.dims[d >= axis] *= x->shape.dims[d];
    mx_sym *o;
    mx_status st = reshape_to(c, x, s, NULL, &o);
    return st == MX_OK ? ox_set_output(c, 0, o) : st;
}

static mx_status cv_transpose(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    if (!x) return mx_last_status();
    int nd = x->shape.ndim;
    int64_t perm[MX_MAX_NDIM];
    int np = ox_attr_ints(c->node, "perm", perm, MX_MAX_NDIM);
    if (np < 0)
        for (int d = 0; d < nd; d++) perm[d] = nd - 1 - d;
    else if (np != nd) return ox_fail(c, MX_EINVAL, "perm has %d entries for rank %d", np, nd);
    char t[TUPLE_BUF], p[TUPLE_BUF + 16];
    snprintf(p, sizeof p, "axes=%s", ox_tuple(perm, nd, t, sizeof t));
    return unary(c, "transpose", p);
}

static mx_status cv_concat(ox_ctx *c)
{
    int n = ox_ninputs(c);
    ox_value *x0 = ox_input(c, 0, 1);
    if (!x0) return mx_last_status();
    int ax = ox_axis(c, ox_attr_int(c->node, "axis", 1), x0->shape.ndim, "axis");
    if (ax < 0) return mx_last_status();
    if (n == 1) return cv_identity(c);
    mx_sym **in = calloc((size_t)n, sizeof *in);
    if (!in) return mx_set_error(MX_ENOMEM, "onnx: no memory");
    for (int i = 0; i < n; i++) in[i] = input_sym(c, i);
    char p[64];
    snprintf(p, sizeof p, "dim=%d num_args=%d", ax, n);
    mx_status st = emit_out(c, "Concat", p, n, NULL, in);
    free(in);
    return st;
}

static mx_status cv_split(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    if (!x) return mx_last_status();
    int nout = (int)c->node->n_output;
    int ax = ox_axis(c, ox_attr_int(c->node, "axis", 0), x->shape.ndim, "axis");
    if (ax < 0 || nout < 1) return nout < 1 ? ox_fail(c, MX_EFORMAT, "no outputs") : mx_last_status();
    int64_t *sizes = calloc((size_t)nout, sizeof *sizes);
    if (!sizes) return mx_set_error(MX_ENOMEM, "onnx: no memory");
    int ns = ox_attr_ints(c->node, "split", sizes, nout);
    if (ns < 0 && ox_ninputs(c) > 1) {
        const ox_tensor *t = ox_const_input(c, 1, "split");
        if (!t) return free(sizes), mx_last_status();
        ns = (int)t->n;
        for (int k = 0; k < ns && k < nout; k++) sizes[k] = ox_tensor_geti(t, (size_t)k);
    }
    int64_t dim = x->shape.dims[ax], sum = 0;
    int equal = 1;
    if (ns < 0) {
        if (dim % nout) return free(sizes), ox_fail(c, MX_EINVAL, "axis of %lld does not split into %d", (long long)dim, nout);
        for (int k = 0; k < nout; k++) sizes[k] = dim / nout;
    } else if (ns != nout) {
        return free(sizes), ox_fail(c, MX_EINVAL, "split has %d sizes for %d outputs", ns, nout);
    }
    for (int k = 0; k < nout; k++) {
        if (sizes[k] < 0 || sizes[k] > dim) {
            long long bad_size = (long long)sizes[k];
            free(sizes);
            return ox_fail(c, MX_EINVAL, "split size %lld", bad_size);
        }
        sum += sizes[k], equal &= sizes[k] == sizes[0];
    }
    if (sum != dim) return free(sizes), ox_fail(c, MX_EINVAL, "split sizes add to %lld, the axis is %lld", (long long)sum, (long long)dim);
    mx_status st = MX_OK;
    char p[128];
    if (equal && nout > 1) {
        snprintf(p, sizeof p, "num_outputs=%d axis=%d", nout, ax);
        mx_sym *in = ox_sym(c, x);
        mx_sym *s = in ? ox_emit(c, NULL, "SliceChannel", p, 1, NULL, &in) : NULL;
        mx_sym_free(in);
        for (int k = 0; s && st == MX_OK && k < nout; k++) {
            mx_sym *o = mx_sym_output(s, k);
            st = o ? ox_set_output(c, k, o) : mx_set_error(MX_ENOMEM, "onnx: no memory");
        }
        if (!s) st = mx_last_status();
        mx_sym_free(s);
    } else {
        int64_t begin = 0;
        for (int k = 0; st == MX_OK && k < nout; k++) {
            char suffix[32];
            snprintf(suffix, sizeof suffix, k ? "_%d" : "", k);
            snprintf(p, sizeof p, "axis=%d begin=%lld end=%lld", ax, (long long)begin, (long long)(begin + sizes[k]));
            begin += sizes[k];
            mx_sym *in = ox_sym(c, x);
            mx_sym *o = in ? ox_emit(c, suffix, "slice_axis", p, 1, NULL, &in) : NULL;
            mx_sym_free(in);
            st = o ? ox_set_output(c, k, o) : mx_last_status();
        }
    }
    free(sizes);
    return st;
}

/* Axes of Squeeze/Unsqueeze/Reduce*: attribute, or input 1 (opset 13+). */
static int node_axes(ox_ctx *c, int64_t *axes)
{
    int n = ox_attr_ints(c->node, "axes", axes, MX_MAX_NDIM);
    if (n > MX_MAX_NDIM) return ox_fail(c, MX_ENOTSUP, "too many axes"), -1;
    if (n >= 0 || ox_ninputs(c) < 2) return n < 0 ? 0 : n;
    const ox_tensor *t = ox_const_input(c, 1, "axes");
    if (!t) return -1;
    if (t->n > MX_MAX_NDIM) return ox_fail(c, MX_ENOTSUP, "too many axes"), -1;
    for (size_t k = 0; k < t->n; k++) axes[k] = ox_tensor_geti(t, k);
    return (int)t->n;
}

static mx_status cv_squeeze(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    int64_t axes[MX_MAX_NDIM];
    int na = x ? node_axes(c, axes) : -1;
    if (na < 0) return mx_last_status();
    for (int k = 0; k < na; k++)
        if ((axes[k] = ox_axis(c, axes[k], x->shape.ndim, "axis")) < 0) return mx_last_status();
    if (!na)
        for (int d = 0; d < x->shape.ndim; d++)
            if (x->shape.dims[d] == 1) axes[na++] = d;
    char t[TUPLE_BUF], p[TUPLE_BUF + 16];
    snprintf(p, sizeof p, "axis=%s", ox_tuple(axes, na, t, sizeof t));
    return na ? unary(c, "squeeze", p) : cv_identity(c);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static mx_status cv_unsqueeze(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    int64_t axes[MX_MAX_NDIM];
    int na = x ? node_axes(c, axes) : -1;
    if (na < 0) return mx_last_status();
    int nd = x->shape.ndim + na;
    if (nd > MX_MAX_NDIM) return ox_fail(c, MX_ENOTSUP, "result of rank %d (mxrt: at most %d)", nd, MX_MAX_NDIM);
    for (int k = 0; k < na; k++)
        if ((axes[k] = ox_axis(c, axes[k], nd, "axis")) < 0) return mx_last_status();
    qsort(axes, (size_t)na, sizeof *axes, cmp_i64);
    mx_sym *s = ox_sym(c, x);
    for (int k = 0; s && k < na; k++) { /* ascending: each axis is final once inserted */
        char p[32], suffix[32];
        snprintf(p, sizeof p, "axis=%lld", (long long)axes[k]);
        snprintf(suffix, sizeof suffix, k < na - 1 ? "_%d" : "", k);
        mx_sym *o = ox_emit(c, suffix, "expand_dims", p, 1, NULL, &s);
        mx_sym_free(s);
        s = o;
    }
    return s ? ox_set_output(c, 0, s) : mx_last_status();
}

static mx_status reduce_common(ox_ctx *c, const char *op)
{
    ox_value *x = ox_input(c, 0, 1);
    int64_t axes[MX_MAX_NDIM];
    int na = x ? node_axes(c, axes) : -1;
    if (na < 0) return mx_last_status();
    for (int k = 0; k < na; k++)
        if ((axes[k] = ox_axis(c, axes[k], x->shape.ndim, "axis")) < 0) return mx_last_status();
    int keep = (int)ox_attr_int(c->node, "keepdims", 1);
    if (!na && ox_attr_int(c->node, "noop_with_empty_axes", 0)) return cv_identity(c);
    char t[TUPLE_BUF], p[TUPLE_BUF + 32];
    if (na) snprintf(p, sizeof p, "axis=%s keepdims=%d", ox_tuple(axes, na, t, sizeof t), keep);
    else snprintf(p, sizeof p, "keepdims=%d", keep);
    return unary(c, op, p);
}

static mx_status cv_reduce_mean(ox_ctx *c) { return reduce_common(c, "mean"); }
static mx_status cv_reduce_sum(ox_ctx *c) { return reduce_common(c, "sum"); }
static mx_status cv_reduce_max(ox_ctx *c) { return reduce_common(c, "max"); }
static mx_status cv_reduce_min(ox_ctx *c) { return reduce_common(c, "min"); }

static mx_status cv_clip(ox_ctx *c)
{
    float lo = -FLT_MAX, hi = FLT_MAX;
    if (c->opset < 11) {
        lo = ox_attr_float(c->node, "min", lo);
        hi = ox_attr_float(c->node, "max", hi);
    } else {
        for (int i = 1; i <= 2; i++) {
            if (i >= ox_ninputs(c) || !*c->node->input[i]) continue;
            const ox_tensor *t = ox_const_input(c, i, i == 1 ? "min" : "max");
            if (!t) return mx_last_status();
            if (t->n != 1) return ox_fail(c, MX_EINVAL, "%s must be a scalar", i == 1 ? "min" : "max");
            *(i == 1 ? &lo : &hi) = (float)ox_tensor_get(t, 0);
        }
    }
    if (lo == 0 && hi == FLT_MAX) return cv_relu(c);
    char p[96];
    snprintf(p, sizeof p, "a_min=%.9g a_max=%.9g", lo, hi);
    return unary(c, "clip", p);
}

static mx_status cv_pad(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    if (!x) return mx_last_status();
    char mb[32];
    const char *mode = ox_attr_str(c->node, "mode", "constant", mb, sizeof mb);
    if (strcmp(mode, "constant")) return ox_fail(c, MX_ENOTSUP, "Pad mode '%s' (mxrt imports mode constant)", mode);
    int nd = x->shape.ndim;
    int64_t pads[2 * MX_MAX_NDIM];
    float value = 0;
    int np;
    if (c->opset < 11) {
        np = ox_attr_ints(c->node, "pads", pads, 2 * MX_MAX_NDIM);
        value = ox_attr_float(c->node, "value", 0);
    } else {
        const ox_tensor *t = ox_const_input(c, 1, "pads");
        if (!t) return mx_last_status();
        np = (int)t->n;
        for (int k = 0; k < np && k < 2 * MX_MAX_NDIM; k++) pads[k] = ox_tensor_geti(t, (size_t)k);
        if (ox_ninputs(c) > 2 && *c->node->input[2]) {
            const ox_tensor *v = ox_const_input(c, 2, "constant_value");
            if (!v) return mx_last_status();
            value = v->n ? (float)ox_tensor_get(v, 0) : 0;
        }
        if (ox_ninputs(c) > 3) return ox_fail(c, MX_ENOTSUP, "the axes input of Pad");
    }
    if (np != 2 * nd) return ox_fail(c, MX_EINVAL, "pads has %d values for rank %d", np, nd);
    int64_t pw[2 * MX_MAX_NDIM];
    int any = 0;
    for (int d = 0; d < nd; d++) {
        if (pads[d] < 0 || pads[nd + d] < 0) return ox_fail(c, MX_ENOTSUP, "negative pads (cropping)");
        if (pads[d] > (1 << 30) || pads[nd + d] > (1 << 30)) return ox_fail(c, MX_EINVAL, "pads beyond 2^30");
        pw[2 * d] = pads[d], pw[2 * d + 1] = pads[nd + d];
        any |= pads[d] || pads[nd + d];
    }
    if (!any) return cv_identity(c);
    char t[TUPLE_BUF], p[TUPLE_BUF + 64];
    snprintf(p, sizeof p, "mode=constant pad_width=%s constant_value=%.9g", ox_tuple(pw, 2 * nd, t, sizeof t), value);
    return unary(c, "Pad", p);
}

/* Resize (opset 10+) and Upsample (opset 9): nearest, one integer scale on
 * the spatial axes of an NCHW input, N and C unscaled. */
static mx_status cv_resize(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    if (!x) return mx_last_status();
    char mb[32];
    const char *mode = ox_attr_str(c->node, "mode", "nearest", mb, sizeof mb);
    if (strcmp(mode, "nearest")) return ox_fail(c, MX_ENOTSUP, "mode '%s' (mxrt imports nearest)", mode);
    int nd = x->shape.ndim;
    double scale[MX_MAX_NDIM];
    int scales_idx = !strcmp(c->node->op_type, "Upsample") || c->opset < 11 ? 1 : 2;
    const ox_tensor *sc = NULL, *sz = NULL;
    if (scales_idx < ox_ninputs(c) && *c->node->input[scales_idx]) {
        if (!(sc = ox_const_input(c, scales_idx, "scales"))) return mx_last_status();
        if (!sc->n) sc = NULL;
    }
    if (!sc && scales_idx == 2 && ox_ninputs(c) > 3) {
        if (!(sz = ox_const_input(c, 3, "sizes"))) return mx_last_status();
    }
    if (!sc && !sz) {
        float f[MX_MAX_NDIM];
        int n = ox_attr_floats(c->node, "scales", f, MX_MAX_NDIM);
        if (n != nd) return ox_fail(c, MX_EINVAL, "no scales or sizes for rank %d", nd);
        for (int d = 0; d < nd; d++) scale[d] = f[d];
    } else {
        const ox_tensor *t = sc ? sc : sz;
        if ((int)t->n != nd) return ox_fail(c, MX_EINVAL, "%s has %zu values for rank %d", sc ? "scales" : "sizes", t->n, nd);
        for (int d = 0; d < nd; d++)
            scale[d] = sc ? ox_tensor_get(t, (size_t)d) : ox_tensor_get(t, (size_t)d) / (double)x->shape.dims[d];
    }
    if (nd < 3 || scale[0] != 1 || scale[1] != 1)
        return ox_fail(c, MX_ENOTSUP, "scaling other than the spatial axes of an N,C,... input");
    for (int d = 2; d < nd; d++)
        if (scale[d] != scale[2] || !(scale[d] >= 1 && scale[d] <= 4096) || scale[d] != floor(scale[d]))
            return ox_fail(c, MX_ENOTSUP, "scales other than one integer for every spatial axis (%g)", scale[d]);
    char cb[48], nb[48];
    const char *ctm = ox_attr_str(c->node, "coordinate_transformation_mode", "asymmetric", cb, sizeof cb);
    const char *nm = ox_attr_str(c->node, "nearest_mode", "round_prefer_floor", nb, sizeof nb);
    /* with an integer scale every mode below picks source pixel floor(x / s) */
    if (scale[2] > 1 && strcmp(ctm, "asymmetric") && strcmp(ctm, "half_pixel") && strcmp(ctm, "pytorch_half_pixel"))
        return ox_fail(c, MX_ENOTSUP, "coordinate_transformation_mode '%s'", ctm);
    if (scale[2] > 1 && !strcmp(ctm, "asymmetric") && strcmp(nm, "floor") && scale[2] != 1)
        if (strcmp(nm, "round_prefer_floor") || scale[2] > 2)
            return ox_fail(c, MX_ENOTSUP, "nearest_mode '%s' with coordinate_transformation_mode asymmetric", nm);
    if (scale[2] == 1) return cv_identity(c);
    char p[96];
    snprintf(p, sizeof p, "scale=%d sample_type=nearest num_args=1", (int)scale[2]);
    return unary(c, "UpSampling", p);
}

/* The rank-nd version of x: a constant reshaped in place (a new parameter),
 * a runtime value through expand_dims on axis 0. */
static mx_sym *to_rank(ox_ctx *c, ox_value *v, int nd, const char *suffix)
{
    int add = nd - v->shape.ndim;
    if (add <= 0) return ox_sym(c, v);
    if (v->is_const) {
        ox_tensor t;
        if (ox_tensor_copy(&t, &v->c) != MX_OK) return NULL;
        mx_shape s = {.ndim = nd};
        for (int d = 0; d < nd; d++) s.dims[d] = d < add ? 1 : v->shape.dims[d - add];
        t.shape = s;
        char name[320];
        snprintf(name, sizeof name, "%s_rank%d", v->name, nd);
        mx_sym *p = ox_param_sym(c, name, &t);
        ox_tensor_free(&t);
        return p;
    }
    mx_sym *s = ox_sym(c, v);
    for (int k = 0; s && k < add; k++) {
        char sfx[48];
        snprintf(sfx, sizeof sfx, "%s_expand%d", suffix, k);
        mx_sym *o = ox_emit(c, sfx, "expand_dims", "axis=0", 1, NULL, &s);
        mx_sym_free(s);
        s = o;
    }
    return s;
}

/* Add, Sub, Mul, Div with at least one runtime input: a scalar constant
 * becomes a *_scalar op; equal shapes elemwise_*; otherwise broadcast_*
 * after bringing both inputs to the same rank (ONNX aligns on the right). */
static mx_status binary_common(ox_ctx *c, char op)
{
    ox_value *a = ox_input(c, 0, 1), *b = ox_input(c, 1, 1);
    if (!a || !b) return mx_last_status();
    static const char *const elem[] = {"elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div"};
    static const char *const bc[] = {"broadcast_add", "broadcast_sub", "broadcast_mul", "broadcast_div"};
    int k = op == '+' ? 0 : op == '-' ? 1 : op == '*' ? 2 : 3;
    for (int side = 0; side < 2; side++) {
        ox_value *cv = side ? b : a, *rv = side ? a : b;
        if (!cv->is_const || cv->c.n != 1 || cv->shape.ndim > rv->shape.ndim) continue;
        static const char *const scal[2][4] = {{"_plus_scalar", "_rminus_scalar", "_mul_scalar", "_rdiv_scalar"},
                                               {"_plus_scalar", "_minus_scalar", "_mul_scalar", "_div_scalar"}};
        char p[64];
        snprintf(p, sizeof p, "scalar=%.9g", ox_tensor_get(&cv->c, 0));
        mx_sym *in[1] = {ox_sym(c, rv)};
        return emit_out(c, scal[side][k], p, 1, NULL, in);
    }
    mx_shape s;
    char sa[128], sb[128];
    if (!ox_broadcast_shape(a->shape, b->shape, &s))
        return ox_fail(c, MX_EINVAL, "shapes %s and %s do not broadcast", ox_shape_str(a->shape, sa, sizeof sa),
                       ox_shape_str(b->shape, sb, sizeof sb));
    int same = a->shape.ndim == b->shape.ndim;
    for (int d = 0; same && d < a->shape.ndim; d++) same = a->shape.dims[d] == b->shape.dims[d];
    mx_sym *in[2] = {to_rank(c, a, s.ndim, "_lhs"), to_rank(c, b, s.ndim, "_rhs")};
    return emit_out(c, same ? elem[k] : bc[k], "", 2, NULL, in);
}

static mx_status cv_add(ox_ctx *c) { return binary_common(c, '+'); }
static mx_status cv_sub(ox_ctx *c) { return binary_common(c, '-'); }
static mx_status cv_mul(ox_ctx *c) { return binary_common(c, '*'); }
static mx_status cv_div(ox_ctx *c) { return binary_common(c, '/'); }

static mx_status cv_sum(ox_ctx *c)
{
    int n = ox_ninputs(c);
    if (n == 1) return cv_identity(c);
    ox_value *x0 = ox_input(c, 0, 1);
    if (!x0) return mx_last_status();
    mx_sym **in = calloc((size_t)n, sizeof *in);
    if (!in) return mx_set_error(MX_ENOMEM, "onnx: no memory");
    for (int i = 0; i < n; i++) {
        ox_value *v = ox_input(c, i, 1);
        if (v && (v->shape.ndim != x0->shape.ndim ||
                  memcmp(v->shape.dims, x0->shape.dims, sizeof(int64_t) * (size_t)x0->shape.ndim))) {
            for (int k = 0; k < i; k++) mx_sym_free(in[k]);
            free(in);
            return ox_fail(c, MX_ENOTSUP, "Sum of inputs of different shapes");
        }
        in[i] = v ? ox_sym(c, v) : NULL;
    }
    char p[32];
    snprintf(p, sizeof p, "num_args=%d", n);
    mx_status st = emit_out(c, "add_n", p, n, NULL, in);
    free(in);
    return st;
}

/* A constant 2-D matrix m (K,N) as FullyConnected's weight (N,K), scaled. */
static mx_sym *weight_nk(ox_ctx *c, const char *name, const ox_tensor *m, int transposed, float scale)
{
    int64_t r = m->shape.dims[0], k = m->shape.dims[1];
    ox_tensor t;
    if (ox_tensor_alloc(&t, OX_F32, (mx_shape){2, {transposed ? k : r, transposed ? r : k}}) != MX_OK) return NULL;
    for (int64_t i = 0; i < r; i++)
        for (int64_t j = 0; j < k; j++)
            t.f[transposed ? j * r + i : i * k + j] = (float)ox_tensor_get(m, (size_t)(i * k + j)) * scale;
    char pname[320];
    snprintf(pname, sizeof pname, "%s%s%s", name, transposed ? "_T" : "", scale != 1 ? "_scaled" : "");
    mx_sym *s = ox_param_sym(c, pname, &t);
    ox_tensor_free(&t);
    return s;
}

static mx_status cv_gemm(ox_ctx *c)
{
    ox_value *a = ox_input(c, 0, 1), *b = ox_input(c, 1, 1), *cc = ox_ninputs(c) > 2 ? ox_input(c, 2, 1) : NULL;
    if (!a || !b || (ox_ninputs(c) > 2 && !cc)) return mx_last_status();
    float alpha = ox_attr_float(c->node, "alpha", 1), beta = ox_attr_float(c->node, "beta", 1);
    int ta = (int)ox_attr_int(c->node, "transA", 0), tb = (int)ox_attr_int(c->node, "transB", 0);
    if (a->shape.ndim != 2 || b->shape.ndim != 2) return ox_fail(c, MX_EINVAL, "A and B must be 2-D");
    if (!b->is_const) return ox_fail(c, MX_ENOTSUP, "B ('%s') computed at run time", b->name);
    int64_t n = tb ? b->shape.dims[0] : b->shape.dims[1];
    /* C as FullyConnected's bias when it is one value per output; else added after */
    int bias = cc && cc->is_const && cc->c.n == (size_t)n && (cc->shape.ndim == 1 || cc->shape.dims[0] == 1);
    mx_sym *in[3] = {ox_sym(c, a), (!tb || alpha != 1) ? weight_nk(c, b->name, &b->c, !tb, alpha) : ox_sym(c, b), NULL};
    if (in[0] && ta) {
        mx_sym *t = ox_emit(c, "_transA", "transpose", "axes=(1,0)", 1, NULL, &in[0]);
        mx_sym_free(in[0]);
        in[0] = t;
    }
    if (bias) {
        ox_tensor t;
        if (ox_tensor_copy(&t, &cc->c) == MX_OK) {
            t.shape = (mx_shape){1, {n}};
            for (size_t k = 0; k < t.n; k++) t.f[k] *= beta;
            char name[320];
            snprintf(name, sizeof name, "%s%s%s", cc->name, cc->shape.ndim != 1 ? "_1d" : "", beta != 1 ? "_scaled" : "");
            in[2] = ox_param_sym(c, name, &t);
            ox_tensor_free(&t);
        }
        if (!in[2]) {
            mx_sym_free(in[0]);
            mx_sym_free(in[1]);
            return mx_last_status() ? mx_last_status() : MX_ENOMEM;
        }
    }
    char p[64];
    snprintf(p, sizeof p, "num_hidden=%lld no_bias=%d", (long long)n, !bias);
    static const char *const names[] = {"data", "weight", "bias"};
    if (bias || !cc) return emit_out(c, "FullyConnected", p, bias ? 3 : 2, names, in);
    /* C of another shape (or computed): FullyConnected, then beta*C broadcast on top */
    for (int i = 0; i < 2; i++)
        if (!in[i]) return mx_sym_free(in[0]), mx_sym_free(in[1]), mx_last_status();
    mx_sym *fc = ox_emit(c, "_fc", "FullyConnected", p, 2, names, in);
    mx_sym_free(in[0]);
    mx_sym_free(in[1]);
    mx_sym *cs = fc ? to_rank(c, cc, 2, "_c") : NULL;
    if (cs && beta != 1) {
        char q[64];
        snprintf(q, sizeof q, "scalar=%.9g", beta);
        mx_sym *t = ox_emit(c, "_beta", "_mul_scalar", q, 1, NULL, &cs);
        mx_sym_free(cs);
        cs = t;
    }
    mx_sym *pair[2] = {fc, cs};
    return emit_out(c, "broadcast_add", "", 2, NULL, pair);
}

/* MatMul: with a constant 2-D B a FullyConnected over the last axis
 * (flatten=0, weight B transposed); two runtime matrices dot / batch_dot. */
static mx_status cv_matmul(ox_ctx *c)
{
    ox_value *a = ox_input(c, 0, 1), *b = ox_input(c, 1, 1);
    if (!a || !b) return mx_last_status();
    if (b->is_const && b->shape.ndim == 2 && a->shape.ndim >= 2) {
        mx_sym *in[2] = {ox_sym(c, a), weight_nk(c, b->name, &b->c, 1, 1)};
        char p[64];
        snprintf(p, sizeof p, "num_hidden=%lld no_bias=1 flatten=0", (long long)b->shape.dims[1]);
        static const char *const names[] = {"data", "weight"};
        return emit_out(c, "FullyConnected", p, 2, names, in);
    }
    if (a->shape.ndim == 2 && b->shape.ndim == 2) {
        mx_sym *in[2] = {ox_sym(c, a), ox_sym(c, b)};
        return emit_out(c, "dot", "", 2, NULL, in);
    }
    if (a->shape.ndim == 3 && b->shape.ndim == 3) {
        mx_sym *in[2] = {ox_sym(c, a), ox_sym(c, b)};
        return emit_out(c, "batch_dot", "", 2, NULL, in);
    }
    return ox_fail(c, MX_ENOTSUP, "MatMul of ranks %d and %d", a->shape.ndim, b->shape.ndim);
}

/* Gather: rows of a constant table by runtime indices is an Embedding;
 * a constant index into a runtime value a slice_axis. */
static mx_status cv_gather(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1), *idx = ox_input(c, 1, 1);
    if (!x || !idx) return mx_last_status();
    int ax = ox_axis(c, ox_attr_int(c->node, "axis", 0), x->shape.ndim, "axis");
    if (ax < 0) return mx_last_status();
    if (x->is_const && x->shape.ndim == 2 && ax == 0) {
        char p[96];
        snprintf(p, sizeof p, "input_dim=%lld output_dim=%lld", (long long)x->shape.dims[0], (long long)x->shape.dims[1]);
        mx_sym *in[2] = {ox_sym(c, idx), ox_sym(c, x)};
        static const char *const names[] = {"data", "weight"};
        return emit_out(c, "Embedding", p, 2, names, in);
    }
    if (idx->is_const && idx->c.n == 1 && idx->shape.ndim <= 1) {
        int64_t k = ox_tensor_geti(&idx->c, 0), dim = x->shape.dims[ax];
        if (k < 0) k += dim;
        if (k < 0 || k >= dim) return ox_fail(c, MX_EINVAL, "index %lld out of range [0, %lld)", (long long)k, (long long)dim);
        char p[96];
        snprintf(p, sizeof p, "axis=%d begin=%lld end=%lld", ax, (long long)k, (long long)k + 1);
        mx_sym *in = ox_sym(c, x);
        mx_sym *s = in ? ox_emit(c, idx->shape.ndim ? NULL : "_slice", "slice_axis", p, 1, NULL, &in) : NULL;
        mx_sym_free(in);
        if (s && !idx->shape.ndim) { /* a scalar index drops the axis */
            snprintf(p, sizeof p, "axis=(%d,)", ax);
            mx_sym *o = ox_emit(c, NULL, "squeeze", p, 1, NULL, &s);
            mx_sym_free(s);
            s = o;
        }
        return s ? ox_set_output(c, 0, s) : mx_last_status();
    }
    return ox_fail(c, MX_ENOTSUP, "Gather of a runtime tensor by %s indices (mxrt: embedding rows of a constant table, "
                   "or one constant index)", idx->is_const ? "several" : "runtime");
}

static mx_status cv_expand(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    const ox_tensor *sh = ox_const_input(c, 1, "shape");
    if (!x || !sh) return mx_last_status();
    if (sh->shape.ndim != 1 || sh->n > MX_MAX_NDIM) return ox_fail(c, MX_EINVAL, "shape must be 1-D, at most %d values", MX_MAX_NDIM);
    mx_shape want = {.ndim = (int)sh->n}, s;
    for (int d = 0; d < want.ndim; d++) want.dims[d] = ox_tensor_geti(sh, (size_t)d);
    char sa[128], sb[128];
    if (!ox_broadcast_shape(x->shape, want, &s))
        return ox_fail(c, MX_EINVAL, "%s does not expand to %s", ox_shape_str(x->shape, sa, sizeof sa),
                       ox_shape_str(want, sb, sizeof sb));
    int same = s.ndim == x->shape.ndim && !memcmp(s.dims, x->shape.dims, sizeof(int64_t) * (size_t)s.ndim);
    if (same) return cv_identity(c);
    char t[TUPLE_BUF], p[TUPLE_BUF + 16];
    snprintf(p, sizeof p, "shape=%s", ox_tuple(s.dims, s.ndim, t, sizeof t));
    mx_sym *in[1] = {to_rank(c, x, s.ndim, "")};
    return emit_out(c, "broadcast_to", p, 1, NULL, in);
}

/* Slice of a runtime value: mxrt's slice, begin/end/step per axis (None
 * where ONNX leaves the axis whole). Starts, ends (and axes, steps) are
 * attributes before opset 10, inputs since. */
static mx_status cv_slice(ox_ctx *c)
{
    ox_value *x = ox_input(c, 0, 1);
    if (!x) return mx_last_status();
    int nd = x->shape.ndim;
    int64_t v[4][MX_MAX_NDIM];
    int cnt[4] = {-1, -1, -1, -1};
    if (c->opset < 10) {
        static const char *const names[3] = {"starts", "ends", "axes"};
        for (int k = 0; k < 3; k++) cnt[k] = ox_attr_ints(c->node, names[k], v[k], MX_MAX_NDIM);
    } else {
        static const char *const names[4] = {"starts", "ends", "axes", "steps"};
        for (int k = 0; k < 4; k++) {
            if (k + 1 >= ox_ninputs(c) || !*c->node->input[k + 1]) continue;
            const ox_tensor *t = ox_const_input(c, k + 1, names[k]);
            if (!t) return mx_last_status();
            if (t->n > MX_MAX_NDIM) return ox_fail(c, MX_EINVAL, "%s has %zu values", names[k], t->n);
            cnt[k] = (int)t->n;
            for (size_t j = 0; j < t->n; j++) v[k][j] = ox_tensor_geti(t, j);
        }
    }
    int n = cnt[0];
    if (n < 0 || cnt[1] != n || n > nd || (cnt[2] >= 0 && cnt[2] != n) || (cnt[3] >= 0 && cnt[3] != n))
        return ox_fail(c, MX_EINVAL, "starts, ends, axes and steps disagree");
    int64_t b[MX_MAX_NDIM], en[MX_MAX_NDIM], st[MX_MAX_NDIM];
    int set[MX_MAX_NDIM] = {0};
    for (int k = 0; k < n; k++) {
        int ax = ox_axis(c, cnt[2] >= 0 ? v[2][k] : k, nd, "axis");
        if (ax < 0) return mx_last_status();
        int64_t dim = x->shape.dims[ax], step = cnt[3] >= 0 ? v[3][k] : 1, lo = v[0][k], hi = v[1][k];
        if (step != 1) return ox_fail(c, MX_ENOTSUP, "Slice with step %lld of a value computed at run time", (long long)step);
        if (lo < -dim) lo = -dim;
        if (hi < -dim) hi = -dim;
        if (lo < 0) lo += dim;
        if (hi < 0) hi += dim;
        lo = lo > dim ? dim : lo;
        hi = hi > dim ? dim : hi < lo ? lo : hi;
        b[ax] = lo, en[ax] = hi, st[ax] = 1, set[ax] = 1;
    }
    char bt[TUPLE_BUF] = "(", et[TUPLE_BUF] = "(", p[3 * TUPLE_BUF];
    for (int d = 0; d < nd; d++) {
        size_t lb = strlen(bt), le = strlen(et);
        if (set[d]) {
            snprintf(bt + lb, sizeof bt - lb, "%s%lld", d ? "," : "", (long long)b[d]);
            snprintf(et + le, sizeof et - le, "%s%lld", d ? "," : "", (long long)en[d]);
        } else {
            snprintf(bt + lb, sizeof bt - lb, "%sNone", d ? "," : "");
            snprintf(et + le, sizeof et - le, "%sNone", d ? "," : "");
        }
    }
    (void)st;
    snprintf(p, sizeof p, "begin=%s%s) end=%s%s)", bt, nd == 1 ? "," : "", et, nd == 1 ? "," : "");
    return unary(c, "slice", p);
}

/* LSTM, GRU and RNN: one layer (one or two directions) as MXNet's fused RNN op.
 * ONNX keeps W (D, G·H, I), R (D, G·H, H), B (D, 2·G·H) with gates in
 * ONNX's order (LSTM i, o, f, c; GRU z, r, h); mxrt packs every weight
 * then every bias, direction by direction, in cuDNN's order (LSTM i, f,
 * g, o; GRU r, z, n): the blocks are reordered into one "parameters"
 * vector. mxrt's GRU is cuDNN's, the reset gate applied after the
 * recurrent product: ONNX's linear_before_reset=1, which PyTorch writes. */
/* kind: 'l' LSTM, 'g' GRU, 'r' RNN (tanh or relu). */
static mx_status rnn_common(ox_ctx *c, char kind)
{
    int lstm = kind == 'l';
    ox_value *x = ox_input(c, 0, 1);
    const ox_tensor *w = ox_const_input(c, 1, "W"), *r = w ? ox_const_input(c, 2, "R") : NULL;
    if (!x || !w || !r) return mx_last_status();
    const ox_tensor *b = NULL;
    if (ox_ninputs(c) > 3 && *c->node->input[3] && !(b = ox_const_input(c, 3, "B"))) return mx_last_status();
    int G = lstm ? 4 : kind == 'g' ? 3 : 1;
    const char *mode = lstm ? "lstm" : kind == 'g' ? "gru" : "rnn_tanh";
    int64_t H = ox_attr_int(c->node, "hidden_size", 0);
    char db[32], ab[64];
    const char *dir = ox_attr_str(c->node, "direction", "forward", db, sizeof db);
    int D = !strcmp(dir, "bidirectional") ? 2 : 1;
    if (strcmp(dir, "forward") && D == 1) return ox_fail(c, MX_ENOTSUP, "direction '%s' (mxrt: forward or bidirectional)", dir);
    if (ox_attr_int(c->node, "layout", 0)) return ox_fail(c, MX_ENOTSUP, "layout 1 (batch first)");
    if (ox_attr(c->node, "clip")) return ox_fail(c, MX_ENOTSUP, "clip");
    if (lstm && ox_attr_int(c->node, "input_forget", 0)) return ox_fail(c, MX_ENOTSUP, "input_forget 1");
    if (kind == 'g' && !ox_attr_int(c->node, "linear_before_reset", 0))
        return ox_fail(c, MX_ENOTSUP, "linear_before_reset 0 (mxrt's GRU is cuDNN's: linear_before_reset 1)");
    const Onnx__AttributeProto *acts = ox_attr(c->node, "activations");
    for (size_t k = 0; acts && k < acts->n_strings; k++) {
        size_t len = acts->strings[k].len < sizeof ab - 1 ? acts->strings[k].len : sizeof ab - 1;
        if (len) memcpy(ab, acts->strings[k].data, len);
        ab[len] = 0;
        if (kind == 'r') { /* one activation, the same in both directions */
            if (!k && !strcmp(ab, "Relu")) mode = "rnn_relu";
            if (strcmp(ab, !strcmp(mode, "rnn_relu") ? "Relu" : "Tanh"))
                return ox_fail(c, MX_ENOTSUP, "activation '%s' (mxrt: Tanh or Relu, the same in both directions)", ab);
        } else if (strcmp(ab, k % (lstm ? 3 : 2) == 0 ? "Sigmoid" : "Tanh")) {
            return ox_fail(c, MX_ENOTSUP, "activation '%s' (mxrt: the defaults)", ab);
        }
    }
    if (lstm && ox_ninputs(c) > 7 && *c->node->input[7]) return ox_fail(c, MX_ENOTSUP, "peephole weights (P)");
    if (x->shape.ndim != 3) return ox_fail(c, MX_EINVAL, "X has rank %d, expected 3 (seq, batch, input)", x->shape.ndim);
    int64_t T = x->shape.dims[0], N = x->shape.dims[1], I = x->shape.dims[2];
    if (H < 1 || w->shape.ndim != 3 || w->shape.dims[0] != D || w->shape.dims[1] != G * H || w->shape.dims[2] != I ||
        r->shape.ndim != 3 || r->shape.dims[0] != D || r->shape.dims[1] != G * H || r->shape.dims[2] != H ||
        (b && (b->shape.ndim != 2 || b->shape.dims[0] != D || b->shape.dims[1] != 2 * G * H)))
        return ox_fail(c, MX_EINVAL, "W, R or B do not match hidden_size %lld, %d direction(s), input %lld", (long long)H, D,
                       (long long)I);
    if (ox_ninputs(c) > 4 && *c->node->input[4]) { /* sequence_lens: all full length, or not supported */
        const ox_tensor *sl = ox_const_input(c, 4, "sequence_lens");
        if (!sl) return mx_last_status();
        for (size_t k = 0; k < sl->n; k++)
            if (ox_tensor_geti(sl, k) != T) return ox_fail(c, MX_ENOTSUP, "sequence_lens shorter than the sequence");
    }
    static const int lstm_order[4] = {0, 2, 3, 1}; /* mxrt block k <- ONNX block: i<-i, f<-f, g<-c, o<-o */
    static const int gru_order[3] = {1, 0, 2};     /* r<-r, z<-z, n<-h */
    static const int rnn_order[1] = {0};
    const int *order = lstm ? lstm_order : kind == 'g' ? gru_order : rnn_order;
    size_t GH = (size_t)(G * H), nw = (size_t)D * GH * (size_t)(I + H), total = nw + (size_t)D * 2 * GH;
    ox_tensor packed;
    if (ox_tensor_alloc(&packed, OX_F32, (mx_shape){1, {(int64_t)total}}) != MX_OK) return mx_last_status();
    float *p = packed.f;
    for (int d = 0; d < D; d++)
        for (int m = 0; m < 2; m++) { /* W_i2h then W_h2h */
            const ox_tensor *src = m ? r : w;
            size_t cols = (size_t)(m ? H : I);
            for (int k = 0; k < G; k++)
                for (int64_t row = 0; row < H; row++)
                    for (size_t col = 0; col < cols; col++)
                        *p++ = (float)ox_tensor_get(src, ((size_t)d * GH + (size_t)(order[k] * H + row)) * cols + col);
        }
    for (int d = 0; d < D; d++)
        for (int m = 0; m < 2; m++) /* b_i2h (ONNX Wb) then b_h2h (Rb) */
            for (int k = 0; k < G; k++)
                for (int64_t row = 0; row < H; row++)
                    *p++ = b ? (float)ox_tensor_get(b, (size_t)d * 2 * GH + (size_t)m * GH + (size_t)(order[k] * H + row)) : 0;
    char pname[300];
    snprintf(pname, sizeof pname, "%s_parameters", c->base);
    mx_sym *params = ox_param_sym(c, pname, &packed);
    ox_tensor_free(&packed);
    if (!params) return mx_last_status();
    /* initial states: given, or zeros of (D, N, H) */
    mx_sym *st[2] = {NULL, NULL};
    char shp[TUPLE_BUF], zp[TUPLE_BUF + 16];
    int64_t sdims[3] = {D, N, H};
    snprintf(zp, sizeof zp, "shape=%s", ox_tuple(sdims, 3, shp, sizeof shp));
    for (int k = 0; k < 1 + lstm; k++) {
        int idx = 5 + k;
        if (idx < ox_ninputs(c) && *c->node->input[idx]) st[k] = input_sym(c, idx);
        else st[k] = ox_emit(c, k ? "_c0" : "_h0", "_zeros", zp, 0, NULL, NULL);
        if (!st[k]) return mx_sym_free(params), mx_sym_free(st[0]), mx_last_status();
    }
    char prm[160];
    snprintf(prm, sizeof prm, "mode=%s state_size=%lld num_layers=1 bidirectional=%d state_outputs=1", mode,
             (long long)H, D == 2);
    mx_sym *in[4] = {ox_sym(c, x), params, st[0], st[1]};
    static const char *const names[] = {"data", "parameters", "state", "state_cell"};
    mx_sym *rnn = in[0] ? ox_emit(c, NULL, "RNN", prm, 3 + lstm, names, in) : NULL;
    for (int k = 0; k < 4; k++) mx_sym_free(in[k]);
    if (!rnn) return mx_last_status();
    mx_status status = MX_OK;
    /* Y (T, D, N, H) from mxrt's (T, N, D·H); Y_h, Y_c as they are */
    if (c->node->n_output > 0 && *c->node->output[0]) {
        mx_sym *y = mx_sym_output(rnn, 0), *o = NULL;
        char q[64];
        int64_t four[4] = {T, N, D, H};
        snprintf(q, sizeof q, "shape=%s", ox_tuple(four, 4, shp, sizeof shp));
        mx_sym *r4 = y ? ox_emit(c, "_y4", "Reshape", q, 1, NULL, &y) : NULL;
        o = r4 ? ox_emit(c, "_y", "transpose", "axes=(0,2,1,3)", 1, NULL, &r4) : NULL;
        mx_sym_free(y);
        mx_sym_free(r4);
        status = o ? ox_set_output(c, 0, o) : mx_last_status();
    }
    for (int k = 1; status == MX_OK && k < (int)c->node->n_output && k <= 1 + lstm; k++) {
        if (!*c->node->output[k]) continue;
        mx_sym *o = mx_sym_output(rnn, k);
        status = o ? ox_set_output(c, k, o) : mx_set_error(MX_ENOMEM, "onnx: no memory");
    }
    mx_sym_free(rnn);
    return status;
}

static mx_status cv_lstm(ox_ctx *c) { return rnn_common(c, 'l'); }
static mx_status cv_gru(ox_ctx *c) { return rnn_common(c, 'g'); }
static mx_status cv_rnn(ox_ctx *c) { return rnn_common(c, 'r'); }

static const struct {
    const char *op;
    ox_convert_fn fn;
} converters[] = {
    {"Abs", cv_abs}, {"Add", cv_add}, {"AveragePool", cv_avgpool}, {"BatchNormalization", cv_batchnorm},
    {"Cast", cv_cast}, {"Clip", cv_clip}, {"Concat", cv_concat}, {"Conv", cv_conv},
    {"ConvTranspose", cv_conv_transpose}, {"Div", cv_div}, {"Dropout", cv_dropout}, {"Elu", cv_elu},
    {"Exp", cv_exp}, {"Expand", cv_expand}, {"Flatten", cv_flatten}, {"Gather", cv_gather}, {"Gemm", cv_gemm},
    {"GlobalAveragePool", cv_gap}, {"GlobalMaxPool", cv_gmp}, {"GRU", cv_gru}, {"Identity", cv_identity}, {"LSTM", cv_lstm},
    {"LeakyRelu", cv_leaky}, {"Log", cv_log}, {"LogSoftmax", cv_log_softmax}, {"MatMul", cv_matmul},
    {"MaxPool", cv_maxpool}, {"Mul", cv_mul}, {"Neg", cv_neg}, {"PRelu", cv_prelu}, {"Pad", cv_pad},
    {"ReduceMax", cv_reduce_max}, {"ReduceMean", cv_reduce_mean}, {"ReduceMin", cv_reduce_min},
    {"ReduceSum", cv_reduce_sum}, {"RNN", cv_rnn}, {"Relu", cv_relu}, {"Reshape", cv_reshape}, {"Resize", cv_resize},
    {"Sigmoid", cv_sigmoid}, {"Slice", cv_slice}, {"Softmax", cv_softmax}, {"Softplus", cv_softplus}, {"Split", cv_split},
    {"Sqrt", cv_sqrt}, {"Squeeze", cv_squeeze}, {"Sub", cv_sub}, {"Sum", cv_sum}, {"Tanh", cv_tanh},
    {"Transpose", cv_transpose}, {"Unsqueeze", cv_unsqueeze}, {"Upsample", cv_resize},
};

ox_convert_fn ox_find_converter(const char *op_type)
{
    for (size_t i = 0; i < sizeof converters / sizeof converters[0]; i++)
        if (!strcmp(converters[i].op, op_type)) return converters[i].fn;
    return NULL;
}
