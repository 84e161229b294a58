/* rnn.c — MXNet's fused RNN op (cuDNN's layout), the op Gluon's LSTM,
 * GRU and RNN layers export: mode lstm, gru, rnn_tanh or rnn_relu,
 * num_layers layers, one or two directions, dropout p between layers in
 * training.
 *
 * Arguments data (T, N, I), parameters (one packed vector), state
 * (L·D, N, H) and, for lstm, state_cell; outputs output (T, N, D·H) and,
 * with state_outputs, the last states state_output and statecell_output.
 * The packed vector holds every weight first, layer by layer and in each
 * layer direction by direction, W_i2h (G·H × in) then W_h2h (G·H × H);
 * then the biases in the same order, b_i2h then b_h2h (G·H each); G = 4
 * (lstm gates i, f, g, o), 3 (gru r, z, n) or 1.
 *
 * Each layer and direction: one GEMM for the input projections of every
 * step, then per step one GEMM for the recurrent projection and a cell
 * kernel (the table's fused LSTM cell, the GRU cell, or an activation).
 * The states, cells and gates of every step stay in the workspace, which
 * bind keeps from forward to backward, for backpropagation through time;
 * the weight gradients are one GEMM a step (recurrent) and one a layer
 * (input). Not supported: projection_size, the LSTM state clips,
 * use_sequence_length. */
#include <limits.h>
#include <stdio.h>

#include "ops.h"

typedef struct rnn_param {
    int state_size, num_layers, bidirectional, mode, state_outputs, projection_size, use_sequence_length;
    float p, clip_min, clip_max;
} rnn_param;

enum { GRU, LSTM, RNN_RELU, RNN_TANH };
static const char *const modes[] = {"gru", "lstm", "rnn_relu", "rnn_tanh", NULL};
static const char *const bool_true[] = {"true", NULL};

/* The clips' None is ±3e38: clipping there changes nothing, and a value
 * given inside that range is refused as not supported. */
static const mx_param_spec rnn_params[] = {
    {"state_size", MX_P_INT, NULL, offsetof(rnn_param, state_size), NULL, 1, 0, NULL},
    {"num_layers", MX_P_INT, NULL, offsetof(rnn_param, num_layers), NULL, 1, 0, NULL},
    {"bidirectional", MX_P_BOOL, "false", offsetof(rnn_param, bidirectional), NULL, 0, 0, NULL},
    {"mode", MX_P_ENUM, NULL, offsetof(rnn_param, mode), modes, 0, 0, NULL},
    {"p", MX_P_FLOAT, "0", offsetof(rnn_param, p), NULL, 0, 0, NULL},
    {"state_outputs", MX_P_BOOL, "false", offsetof(rnn_param, state_outputs), NULL, 0, 0, NULL},
    {"projection_size", MX_P_INT, "0", offsetof(rnn_param, projection_size), NULL, 0, MX_PF_OPTIONAL, NULL},
    {"lstm_state_clip_min", MX_P_FLOAT, "-3e38", offsetof(rnn_param, clip_min), NULL, 0, MX_PF_OPTIONAL, NULL},
    {"lstm_state_clip_max", MX_P_FLOAT, "3e38", offsetof(rnn_param, clip_max), NULL, 0, MX_PF_OPTIONAL, NULL},
    {"lstm_state_clip_nan", MX_P_BOOL, "false", 0, NULL, 0, MX_PF_IGNORED, NULL},
    {"use_sequence_length", MX_P_BOOL, "false", offsetof(rnn_param, use_sequence_length), NULL, 0, 0, bool_true},
    MX_PARAMS_END,
};

/* The sizes of one call. */
typedef struct dims {
    size_t T, N, I, H, L, D, G, GH;
} dims;

static dims dims_of(const rnn_param *p, const mx_shape *data)
{
    dims d;
    d.T = (size_t)data->dims[0], d.N = (size_t)data->dims[1], d.I = (size_t)data->dims[2];
    d.H = (size_t)p->state_size, d.L = (size_t)p->num_layers, d.D = p->bidirectional ? 2 : 1;
    d.G = p->mode == LSTM ? 4 : p->mode == GRU ? 3 : 1;
    d.GH = d.G * d.H;
    return d;
}

static size_t in_of(const dims *d, size_t l) { return l ? d->D * d->H : d->I; }

/* Offsets in the packed vector of layer l, direction dir: its two weights
 * and two biases. */
static void param_offsets(const dims *d, size_t l, size_t dir, size_t *wi, size_t *wh, size_t *bi, size_t *bh)
{
    size_t w = 0, b = 0;
    for (size_t k = 0; k < d->L; k++) w += d->D * d->GH * (in_of(d, k) + d->H);
    size_t at = 0;
    for (size_t k = 0; k < l; k++) at += d->D * d->GH * (in_of(d, k) + d->H);
    at += dir * d->GH * (in_of(d, l) + d->H);
    *wi = at, *wh = at + d->GH * in_of(d, l);
    b = w + (l * d->D + dir) * 2 * d->GH;
    *bi = b, *bh = b + d->GH;
}

static size_t param_count(const dims *d)
{
    size_t n = 0;
    for (size_t l = 0; l < d->L; l++) n += d->D * (d->GH * (in_of(d, l) + d->H) + 2 * d->GH);
    return n;
}

static int rnn_args(const void *param, const char **names)
{
    names[0] = "data";
    names[1] = "parameters";
    names[2] = "state";
    if (((const rnn_param *)param)->mode != LSTM) return 3;
    names[3] = "state_cell";
    return 4;
}

static int rnn_outputs(const void *param)
{
    const rnn_param *p = param;
    return p->state_outputs ? (p->mode == LSTM ? 3 : 2) : 1;
}

static const char *rnn_output_name(const void *param, int i)
{
    (void)param;
    static const char *const names[] = {"output", "state_output", "statecell_output"};
    return i >= 0 && i < 3 ? names[i] : NULL;
}

static mx_status rnn_infer(const void *param, mx_shape *in, int nin, mx_shape *out, int nout, mx_shape *aux,
                           int naux)
{
    (void)aux, (void)naux;
    const rnn_param *p = param;
    char b[128];
    if (p->projection_size > 0)
        return mx_set_error(MX_ENOTSUP, "parameter 'projection_size': %d: LSTM projections are not supported by mxrt",
                            p->projection_size);
    if (p->clip_min > -3e38f || p->clip_max < 3e38f)
        return mx_set_error(MX_ENOTSUP, "parameters 'lstm_state_clip_min'/'lstm_state_clip_max': LSTM state clipping "
                            "is not supported by mxrt");
    if (!(p->p >= 0.0f && p->p < 1.0f))
        return mx_set_error(MX_EINVAL, "parameter 'p': %g is not a dropout probability in [0, 1)", (double)p->p);
    if (in[0].ndim == 0) return MX_OK;
    if (in[0].ndim != 3 || in[0].dims[0] < 1 || in[0].dims[1] < 1 || in[0].dims[2] < 1)
        return mx_set_error(MX_EINVAL, "argument 'data': %s must be (T, N, I): steps, batch, features",
                            mx_shape_str(&in[0], b, sizeof b));
    dims d = dims_of(p, &in[0]);
    /* the GEMMs index with int */
    if (d.T * d.N > INT_MAX / 4 || d.GH > INT_MAX / 4 || d.D * d.H > INT_MAX / 4 || d.I > INT_MAX / 4 ||
        d.T * d.N * d.GH * (d.L * d.D + 2) > (size_t)INT_MAX * 4)
        return mx_set_error(MX_EINVAL, "argument 'data': %s with state_size %d is too large for one RNN",
                            mx_shape_str(&in[0], b, sizeof b), p->state_size);
    mx_shape ps = mx_shape_make(1, (int64_t)param_count(&d));
    mx_shape st = mx_shape_make(3, (int64_t)(d.L * d.D), (int64_t)d.N, (int64_t)d.H);
    mx_shape y = mx_shape_make(3, (int64_t)d.T, (int64_t)d.N, (int64_t)(d.D * d.H));
    mx_status s = mx_shape_assign(&in[1], &ps, "argument 'parameters'");
    if (s == MX_OK) s = mx_shape_assign(&in[2], &st, "argument 'state'");
    if (s == MX_OK && nin > 3) s = mx_shape_assign(&in[3], &st, "argument 'state_cell'");
    if (s == MX_OK) s = mx_shape_assign(&out[0], &y, "output");
    for (int k = 1; s == MX_OK && k < nout; k++)
        s = mx_shape_assign(&out[k], &st, k == 1 ? "state_output" : "statecell_output");
    return s;
}

/* -- the workspace: what forward keeps for backward, then scratch -- */

typedef struct carve {
    float *hs, *cs, *act; /* per layer-direction: T·N·H states, cells (lstm), T·N·4H gates (lstm, gru) */
    float *ys;            /* per layer but the last: its output (T, N, D·H), dropped in training */
    float *pre;           /* T·N·GH: the input projections; backward: their gradients */
    float *stepb;         /* N·GH: a step's recurrent projection; backward: its gradient (gru) */
    float *dh, *dh2, *dc, *dc2; /* N·H each */
    float *dcur, *dnext;  /* backward: gradients of a layer's output and of its input (T·N·D·H) */
    unsigned char *mask;  /* per layer but the last: its dropout mask (T·N·D·H) */
    size_t ah;            /* act floats a row: 4H or 0 */
} carve;

static size_t carve_floats(const rnn_param *p, const dims *d, carve *c, float *base)
{
    size_t tnh = d->T * d->N * d->H, tny = d->T * d->N * d->D * d->H, nld = d->L * d->D, at = 0;
    size_t ah = p->mode == LSTM || p->mode == GRU ? 4 * d->H : 0;
#define TAKE(field, n)                              \
    do {                                            \
        if (c) c->field = base ? base + at : NULL;  \
        at += (n);                                  \
    } while (0)
    TAKE(hs, nld * tnh);
    TAKE(cs, p->mode == LSTM ? nld * tnh : 0);
    TAKE(act, nld * d->T * d->N * ah);
    TAKE(ys, (d->L - 1) * tny);
    TAKE(pre, d->T * d->N * d->GH);
    TAKE(stepb, d->N * d->GH);
    TAKE(dh, d->N * d->H);
    TAKE(dh2, d->N * d->H);
    TAKE(dc, d->N * d->H);
    TAKE(dc2, d->N * d->H);
    TAKE(dcur, d->L > 1 ? tny : 0);
    TAKE(dnext, d->L > 1 ? tny : 0);
#undef TAKE
    if (c) {
        c->mask = base ? (unsigned char *)(base + at) : NULL;
        c->ah = ah;
    }
    return at;
}

static size_t rnn_workspace(const mx_kernels *k, const void *param, const mx_shape *in, const mx_shape *out)
{
    (void)k, (void)out;
    const rnn_param *p = param;
    dims d = dims_of(p, &in[0]);
    size_t masks = p->p > 0.0f ? (d.L - 1) * d.T * d.N * d.D * d.H : 0;
    return carve_floats(p, &d, NULL, NULL) * sizeof(float) + masks;
}

static const int lstm_gates[4] = {0, 2, 1, 3}; /* roles input, transform, forget, output: MXNet's i, f, g, o */

typedef struct rnn_state {
    int dropped; /* forward applied dropout between layers */
} rnn_state;

/* One layer and direction forward over the steps. */
static void run_dir(const mx_op_run *r, const rnn_param *p, const dims *d, const carve *c, size_t l, size_t dir,
                    const float *x, const float *w, const float *h0, const float *c0, float *y)
{
    size_t in = in_of(d, l), ld = l * d->D + dir, nh = d->N * d->H, tn = d->T * d->N;
    size_t wi, wh, bi, bh;
    param_offsets(d, l, dir, &wi, &wh, &bi, &bh);
    float *hs = c->hs + ld * d->T * nh, *cs = c->cs ? c->cs + ld * d->T * nh : NULL;
    float *act = c->act + ld * d->T * d->N * c->ah;
    r->k->fill_rows(r->eng, c->pre, w + bi, tn, d->GH);
    r->k->gemm(r->eng, 0, 1, (int)tn, (int)d->GH, (int)in, 1.0f, x, (int)in, w + wi, (int)in, 1.0f, c->pre,
               (int)d->GH);
    const float *hp = h0, *cp = c0;
    for (size_t s = 0; s < d->T; s++) {
        size_t t = dir ? d->T - 1 - s : s;
        float *pre = c->pre + t * d->N * d->GH, *ht = hs + t * nh;
        r->k->fill_rows(r->eng, c->stepb, w + bh, d->N, d->GH);
        r->k->gemm(r->eng, 0, 1, (int)d->N, (int)d->GH, (int)d->H, 1.0f, hp, (int)d->H, w + wh, (int)d->H, 1.0f,
                   c->stepb, (int)d->GH);
        if (p->mode == LSTM) {
            r->k->lstm_cell_forward(r->eng, pre, c->stepb, cp, cs + t * nh, ht, act + t * d->N * c->ah, d->N, d->H,
                                    lstm_gates);
            cp = cs + t * nh;
        } else if (p->mode == GRU) {
            r->k->gru_cell_forward(r->eng, pre, c->stepb, hp, ht, act + t * d->N * c->ah, d->N, d->H);
        } else {
            r->k->binary(r->eng, MX_BIN_ADD, pre, c->stepb, c->stepb, nh);
            r->k->act_forward(r->eng, p->mode == RNN_RELU ? MX_ACT_RELU : MX_ACT_TANH, c->stepb, ht, nh);
        }
        hp = ht;
    }
    /* this direction's half of the layer's output */
    r->k->copy_block(r->eng, y + dir * d->H, d->D * d->H, hs, d->H, tn, d->H, MX_REQ_WRITE);
}

static void rnn_forward(const mx_op_run *r, const void *param, const mx_tensor *in, mx_tensor *out, mx_tensor *aux)
{
    (void)aux;
    const rnn_param *p = param;
    dims d = dims_of(p, &in[0].shape);
    carve c;
    carve_floats(p, &d, &c, r->workspace);
    rnn_state *st = r->state;
    st->dropped = r->is_train && p->p > 0.0f;
    size_t nh = d.N * d.H, tny = d.T * d.N * d.D * d.H;
    for (size_t l = 0; l < d.L; l++) {
        const float *x = l ? c.ys + (l - 1) * tny : in[0].data;
        float *y = l + 1 < d.L ? c.ys + l * tny : out[0].data;
        for (size_t dir = 0; dir < d.D; dir++) {
            size_t ld = l * d.D + dir;
            run_dir(r, p, &d, &c, l, dir, x, in[1].data, in[2].data + ld * nh,
                    p->mode == LSTM ? in[3].data + ld * nh : NULL, y);
            size_t last = dir ? 0 : d.T - 1; /* the direction's last step */
            if (p->state_outputs) {
                r->k->scale_copy(r->eng, out[1].data + ld * nh, c.hs + (ld * d.T + last) * nh, 1.0f, nh,
                                 MX_REQ_WRITE);
                if (p->mode == LSTM)
                    r->k->scale_copy(r->eng, out[2].data + ld * nh, c.cs + (ld * d.T + last) * nh, 1.0f, nh,
                                     MX_REQ_WRITE);
            }
        }
        if (st->dropped && l + 1 < d.L) { /* dropout on the outputs of every layer but the last */
            float keep = 1.0f - p->p;
            r->k->dropout_forward(r->eng, mx_rng_next(r->rng), keep, 1.0f / keep, y, y, c.mask + l * tny, tny);
        }
    }
}

/* One layer and direction backward: dy is the gradient of the layer's
 * output (NULL: zero); fills dh/dc with the initial states' gradients
 * and accumulates the weight gradients (first: write them, by req). */
static void back_dir(const mx_op_run *r, const rnn_param *p, const dims *d, carve *c, size_t l, size_t dir,
                     const float *x, const float *w, const float *h0, const float *c0, const float *dy,
                     float *dw, mx_req req_w)
{
    size_t in = in_of(d, l), ld = l * d->D + dir, nh = d->N * d->H, tn = d->T * d->N;
    size_t wi, wh, bi, bh;
    param_offsets(d, l, dir, &wi, &wh, &bi, &bh);
    const float *hs = c->hs + ld * d->T * nh, *cs = c->cs ? c->cs + ld * d->T * nh : NULL;
    const float *act = c->act + ld * d->T * d->N * c->ah;
    for (size_t s = 0; s < d->T; s++) {
        size_t t = dir ? s : d->T - 1 - s; /* forward's order reversed */
        int first = dir ? t == d->T - 1 : t == 0; /* forward's first step: the initial state before it */
        size_t tp = dir ? t + 1 : t - 1;
        const float *hp = first ? h0 : hs + tp * nh, *cp = first ? c0 : (cs ? cs + tp * nh : NULL);
        float *da = c->pre + t * d->N * d->GH, *db = da;
        if (dy) r->k->copy_block(r->eng, c->dh, d->H, dy + t * d->N * d->D * d->H + dir * d->H, d->D * d->H, d->N,
                                 d->H, MX_REQ_ADD);
        float beta_h = 0.0f;
        if (p->mode == LSTM) {
            r->k->lstm_cell_backward(r->eng, act + t * d->N * c->ah, cp, c->dc, c->dh, da, MX_REQ_WRITE, NULL,
                                     MX_REQ_NULL, c->dc2, MX_REQ_WRITE, d->N, d->H, lstm_gates);
            float *sw = c->dc;
            c->dc = c->dc2, c->dc2 = sw;
        } else if (p->mode == GRU) {
            db = c->stepb;
            r->k->gru_cell_backward(r->eng, act + t * d->N * c->ah, hp, c->dh, da, db, c->dh2, d->N, d->H);
            beta_h = 1.0f; /* dh2 holds z·dh already */
        } else {
            r->k->act_backward(r->eng, p->mode == RNN_RELU ? MX_ACT_RELU : MX_ACT_TANH, hs + t * nh, c->dh, da, nh,
                               MX_REQ_WRITE);
        }
        if (req_w != MX_REQ_NULL) { /* recurrent weight and bias: dbᵀ·hp, Σ db */
            int write = req_w == MX_REQ_WRITE && s == 0;
            r->k->gemm(r->eng, 1, 0, (int)d->GH, (int)d->H, (int)d->N, 1.0f, db, (int)d->GH, hp, (int)d->H,
                       write ? 0.0f : 1.0f, dw + wh, (int)d->H);
            r->k->sum_rows(r->eng, dw + bh, db, d->N, d->GH, write ? MX_REQ_WRITE : MX_REQ_ADD);
        }
        /* the previous state's gradient: db·W_h2h (plus gru's direct part) */
        r->k->gemm(r->eng, 0, 0, (int)d->N, (int)d->H, (int)d->GH, 1.0f, db, (int)d->GH, w + wh, (int)d->H, beta_h,
                   c->dh2, (int)d->H);
        float *sw = c->dh;
        c->dh = c->dh2, c->dh2 = sw;
    }
    if (req_w != MX_REQ_NULL) { /* input weight and bias over every step at once */
        float beta = req_w == MX_REQ_WRITE ? 0.0f : 1.0f;
        r->k->gemm(r->eng, 1, 0, (int)d->GH, (int)in, (int)tn, 1.0f, c->pre, (int)d->GH, x, (int)in, beta, dw + wi,
                   (int)in);
        r->k->sum_rows(r->eng, dw + bi, c->pre, tn, d->GH, req_w);
    }
}

static void rnn_backward(const mx_op_run *r, const void *param, const mx_tensor *dy, const mx_tensor *in,
                         const mx_tensor *out, mx_tensor *din, const mx_req *req, mx_tensor *aux)
{
    (void)out, (void)aux;
    const rnn_param *p = param;
    dims d = dims_of(p, &in[0].shape);
    carve c;
    carve_floats(p, &d, &c, r->workspace);
    const rnn_state *st = r->state;
    size_t nh = d.N * d.H, tny = d.T * d.N * d.D * d.H, tn = d.T * d.N;
    const float *dtop = dy[0].data;
    for (size_t l = d.L; l-- > 0;) {
        const float *x = l ? c.ys + (l - 1) * tny : in[0].data;
        const float *dl = l + 1 == d.L ? dtop : c.dcur;
        size_t inw = in_of(&d, l);
        /* the input's gradient: the data's (req[0]) or the layer below's output */
        float *dx = l ? c.dnext : (req[0] != MX_REQ_NULL ? din[0].data : NULL);
        for (size_t dir = 0; dir < d.D; dir++) {
            size_t ld = l * d.D + dir, wi, wh, bi, bh;
            /* the last states' gradients start the recursion */
            if (p->state_outputs && dy[1].data)
                r->k->scale_copy(r->eng, c.dh, dy[1].data + ld * nh, 1.0f, nh, MX_REQ_WRITE);
            else
                r->k->fill(r->eng, c.dh, 0.0f, nh);
            if (p->mode == LSTM) {
                if (p->state_outputs && dy[2].data)
                    r->k->scale_copy(r->eng, c.dc, dy[2].data + ld * nh, 1.0f, nh, MX_REQ_WRITE);
                else
                    r->k->fill(r->eng, c.dc, 0.0f, nh);
            }
            back_dir(r, p, &d, &c, l, dir, x, in[1].data, in[2].data + ld * nh,
                     p->mode == LSTM ? in[3].data + ld * nh : NULL, dl, din[1].data, req[1]);
            if (req[2] != MX_REQ_NULL)
                r->k->scale_copy(r->eng, din[2].data + ld * nh, c.dh, 1.0f, nh, req[2]);
            if (p->mode == LSTM && req[3] != MX_REQ_NULL)
                r->k->scale_copy(r->eng, din[3].data + ld * nh, c.dc, 1.0f, nh, req[3]);
            if (dx) {
                param_offsets(&d, l, dir, &wi, &wh, &bi, &bh);
                float beta = dir ? 1.0f : (!l && req[0] == MX_REQ_ADD ? 1.0f : 0.0f);
                r->k->gemm(r->eng, 0, 0, (int)tn, (int)inw, (int)d.GH, 1.0f, c.pre, (int)d.GH, in[1].data + wi,
                           (int)inw, beta, dx, (int)inw);
            }
        }
        if (l) {
            if (st->dropped) /* through the dropout applied to the layer below's output */
                r->k->dropout_backward(r->eng, c.mask + (l - 1) * tny, 1.0f / (1.0f - p->p), c.dnext, c.dnext, tny,
                                       MX_REQ_WRITE);
            float *sw = c.dcur;
            c.dcur = c.dnext, c.dnext = sw;
        }
    }
}

/* dropout draws fresh masks each call */
static int rnn_graph_unsafe(const void *param) { return ((const rnn_param *)param)->p > 0.0f; }

const mx_op_def mx_op_rnn = {
    .name = "RNN",
    .param_size = sizeof(rnn_param),
    .params = rnn_params,
    .list_arguments = rnn_args,
    .num_outputs = rnn_outputs,
    .output_name = rnn_output_name,
    .infer_shape = rnn_infer,
    .bwd_needs_in = 15u,
    .workspace = rnn_workspace,
    .graph_unsafe = rnn_graph_unsafe,
    .forward = rnn_forward,
    .backward = rnn_backward,
};
