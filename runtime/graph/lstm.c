/* lstm.c — mx_lstm_unroll: MXNet.jl's char-LSTM network (examples/char-
 * lstm/lstm.jl) built from plain ops, so bind plans it like any graph:
 * one cell per layer and step,
 *   gates = SliceChannel(FC(x; i2h) + FC(h; h2h), 4)
 *   c' = σ(forget)·c + σ(input)·tanh(transform);  h' = σ(output)·tanh(c')
 * with the same weight variables at every step. Every intermediate handle
 * is freed as soon as the graph holds it. */
#include "mx/lstm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mx_lstm_opts mx_lstm_defaults(void)
{
    mx_lstm_opts o = {"ptb", 2, 32, 256, 256, 0, 0.0f, 0};
    return o;
}

/* The symbols that outlive one step: weights and each layer's state. */
typedef struct lstm_vars {
    mx_sym *embed_w, *pred_w, *pred_b;
    mx_sym **i2h_w, **i2h_b, **h2h_w, **h2h_b, **c, **h;
} lstm_vars;

/* A variable named <name><suffix> (printf-style suffix). */
__attribute__((format(printf, 2, 3))) static mx_sym *var(const char *name, const char *fmt, ...)
{
    char suffix[96], full[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(suffix, sizeof suffix, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "%s%s", name, suffix);
    return mx_var(full);
}

/* Applies op to n named inputs; params built printf-style. */
__attribute__((format(printf, 5, 6))) static mx_sym *op(const char *opname, int n, const char *const *args,
                                                        mx_sym *const *in, const char *fmt, ...)
{
    char params[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(params, sizeof params, fmt, ap);
    va_end(ap);
    return mx_op_args(opname, params, n, args, in);
}

/* Frees a and returns b: for chaining "x = step(x)". */
static mx_sym *swap(mx_sym *a, mx_sym *b)
{
    mx_sym_free(a);
    return b;
}

static const char *const FC_ARGS[] = {"data", "weight", "bias"};
static const char *const ONE_ARG[] = {"data"};

/* One cell of layer i (1-based) at step t: updates v->c[i-1], v->h[i-1]
 * from input x. Returns 0 on failure. */
static int cell(const mx_lstm_opts *o, lstm_vars *v, int i, int t, mx_sym *x)
{
    const char *nm = o->name;
    int H = o->num_hidden, k = i - 1;
    mx_sym *i2h = op("FullyConnected", 3, FC_ARGS, (mx_sym *[]){x, v->i2h_w[k], v->i2h_b[k]},
                     "name=%s_l%d_t%d_i2h num_hidden=%d", nm, i, t, 4 * H);
    mx_sym *h2h = op("FullyConnected", 3, FC_ARGS, (mx_sym *[]){v->h[k], v->h2h_w[k], v->h2h_b[k]},
                     "name=%s_l%d_t%d_h2h num_hidden=%d", nm, i, t, 4 * H);
    mx_sym *sum = i2h && h2h ? mx_sym_arith(i2h, '+', h2h) : NULL;
    mx_sym_free(i2h);
    mx_sym_free(h2h);
    mx_sym *gates = sum ? op("SliceChannel", 1, ONE_ARG, &sum, "name=%s_l%d_t%d_gates num_outputs=4", nm, i, t)
                        : NULL;
    mx_sym_free(sum);
    if (!gates) return 0;
    static const char *const acts[4] = {"sigmoid", "tanh", "sigmoid", "sigmoid"};
    static const char *const what[4] = {"in_gate", "in_trans", "forget_gate", "out_gate"};
    mx_sym *g[4] = {NULL, NULL, NULL, NULL};
    int ok = 1;
    for (int q = 0; q < 4 && ok; q++) {
        mx_sym *part = mx_sym_output(gates, q);
        g[q] = part ? op("Activation", 1, ONE_ARG, &part, "name=%s_l%d_t%d_%s act_type=%s", nm, i, t, what[q],
                         acts[q])
                    : NULL;
        mx_sym_free(part);
        ok = g[q] != NULL;
    }
    mx_sym_free(gates);
    mx_sym *c = NULL, *h = NULL;
    if (ok) {
        mx_sym *fc = mx_sym_arith(g[2], '*', v->c[k]);
        mx_sym *it = mx_sym_arith(g[0], '*', g[1]);
        c = fc && it ? mx_sym_arith(fc, '+', it) : NULL;
        mx_sym_free(fc);
        mx_sym_free(it);
        mx_sym *tc = c ? op("Activation", 1, ONE_ARG, &c, "name=%s_l%d_t%d_tanh_c act_type=tanh", nm, i, t) : NULL;
        h = tc ? mx_sym_arith(g[3], '*', tc) : NULL;
        mx_sym_free(tc);
    }
    for (int q = 0; q < 4; q++) mx_sym_free(g[q]);
    if (!c || !h) {
        mx_sym_free(c);
        mx_sym_free(h);
        return 0;
    }
    v->c[k] = swap(v->c[k], c);
    v->h[k] = swap(v->h[k], h);
    return 1;
}

/* x through Dropout(p) when p > 0 (x consumed). */
static mx_sym *maybe_dropout(const mx_lstm_opts *o, mx_sym *x, const char *where, int t)
{
    if (!x || o->dropout <= 0.0f) return x;
    return swap(x, op("Dropout", 1, ONE_ARG, &x, "name=%s_%s_t%d_dropout p=%g", o->name, where, t,
                      (double)o->dropout));
}

/* Step t: embedding, L cells, prediction and its SoftmaxOutput. */
static mx_sym *step(const mx_lstm_opts *o, lstm_vars *v, int t)
{
    const char *nm = o->name;
    mx_sym *data = var(nm, "_data_%d", t), *label = var(nm, "_label_%d", t);
    mx_sym *x = data ? op("Embedding", 2, (const char *const[]){"data", "weight"}, (mx_sym *[]){data, v->embed_w},
                          "name=%s_embed_%d input_dim=%d output_dim=%d", nm, t, o->num_label, o->num_embed)
                     : NULL;
    mx_sym_free(data);
    for (int i = 1; x && i <= o->num_layers; i++) {
        if (i > 1) x = maybe_dropout(o, x, "layer", t);
        if (!x || !cell(o, v, i, t, x)) {
            mx_sym_free(x);
            x = NULL;
            break;
        }
        x = swap(x, mx_sym_copy(v->h[i - 1]));
    }
    x = maybe_dropout(o, x, "pred", t);
    mx_sym *pred = x ? op("FullyConnected", 3, FC_ARGS, (mx_sym *[]){x, v->pred_w, v->pred_b},
                          "name=%s_pred_%d num_hidden=%d", nm, t, o->num_label)
                     : NULL;
    mx_sym_free(x);
    mx_sym *out = pred && label ? op("SoftmaxOutput", 2, (const char *const[]){"data", "label"},
                                     (mx_sym *[]){pred, label}, "name=%s_softmax_%d", nm, t)
                                : NULL;
    mx_sym_free(pred);
    mx_sym_free(label);
    return out;
}

static void vars_free(lstm_vars *v, int L)
{
    mx_sym_free(v->embed_w);
    mx_sym_free(v->pred_w);
    mx_sym_free(v->pred_b);
    mx_sym **lists[] = {v->i2h_w, v->i2h_b, v->h2h_w, v->h2h_b, v->c, v->h};
    for (int l = 0; l < 6; l++) {
        if (!lists[l]) continue;
        for (int i = 0; i < L; i++) mx_sym_free(lists[l][i]);
        free(lists[l]);
    }
}

mx_sym *mx_lstm_unroll(const mx_lstm_opts *o)
{
    if (!o || !o->name || !*o->name || strcspn(o->name, " \t\r\n,=()[]") != strlen(o->name) ||
        strlen(o->name) > 48) {
        mx_set_error(MX_EINVAL, "mx_lstm_unroll: name must be a plain word of at most 48 characters");
        return NULL;
    }
    if (o->num_layers < 1 || o->num_layers > 64 || o->seq_len < 1 || o->seq_len > 4096 || o->num_hidden < 1 ||
        o->num_embed < 1 || o->num_label < 1 || !(o->dropout >= 0.0f && o->dropout < 1.0f)) {
        mx_set_error(MX_EINVAL,
                     "mx_lstm_unroll: bad sizes (num_layers %d in 1..64, seq_len %d in 1..4096, num_hidden %d, "
                     "num_embed %d, num_label %d all >= 1, dropout %g in [0, 1))",
                     o->num_layers, o->seq_len, o->num_hidden, o->num_embed, o->num_label, (double)o->dropout);
        return NULL;
    }
    int L = o->num_layers, T = o->seq_len, nout = T + (o->output_states ? 2 * L : 0);
    lstm_vars v;
    memset(&v, 0, sizeof v);
    mx_sym **outs = calloc((size_t)nout, sizeof *outs);
    v.i2h_w = calloc((size_t)L, sizeof(mx_sym *));
    v.i2h_b = calloc((size_t)L, sizeof(mx_sym *));
    v.h2h_w = calloc((size_t)L, sizeof(mx_sym *));
    v.h2h_b = calloc((size_t)L, sizeof(mx_sym *));
    v.c = calloc((size_t)L, sizeof(mx_sym *));
    v.h = calloc((size_t)L, sizeof(mx_sym *));
    mx_sym *result = NULL;
    int ok = outs && v.i2h_w && v.i2h_b && v.h2h_w && v.h2h_b && v.c && v.h;
    if (!ok) mx_set_error(MX_ENOMEM, "mx_lstm_unroll: out of memory");
    if (ok) {
        v.embed_w = var(o->name, "_embed_weight");
        v.pred_w = var(o->name, "_pred_weight");
        v.pred_b = var(o->name, "_pred_bias");
        for (int i = 0; i < L; i++) {
            v.i2h_w[i] = var(o->name, "_l%d_i2h_weight", i + 1);
            v.i2h_b[i] = var(o->name, "_l%d_i2h_bias", i + 1);
            v.h2h_w[i] = var(o->name, "_l%d_h2h_weight", i + 1);
            v.h2h_b[i] = var(o->name, "_l%d_h2h_bias", i + 1);
            v.c[i] = var(o->name, "_l%d_init_c", i + 1);
            v.h[i] = var(o->name, "_l%d_init_h", i + 1);
        }
        for (int t = 1; ok && t <= T; t++) ok = (outs[t - 1] = step(o, &v, t)) != NULL;
    }
    /* the final states as outputs, through BlockGrad: no gradient flows
     * back into the sequence from them (without output_states they are
     * simply not part of the graph) */
    for (int i = 0; ok && o->output_states && i < L; i++) {
        outs[T + 2 * i] = op("BlockGrad", 1, ONE_ARG, &v.c[i], "name=%s_l%d_last_c", o->name, i + 1);
        outs[T + 2 * i + 1] = op("BlockGrad", 1, ONE_ARG, &v.h[i], "name=%s_l%d_last_h", o->name, i + 1);
        ok = outs[T + 2 * i] && outs[T + 2 * i + 1];
    }
    if (ok) result = mx_group(nout, outs);
    if (outs)
        for (int i = 0; i < nout; i++) mx_sym_free(outs[i]);
    free(outs);
    vars_free(&v, L);
    return result;
}
