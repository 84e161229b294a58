/* test_rnn_op.c — the rnnop suite: MXNet's fused RNN op (issue #16) in
 * every mode (lstm, gru, rnn_tanh, rnn_relu), one and two layers, one and
 * two directions, against a reference written here in double precision
 * from MXNet's definition (cuDNN's gate equations and packed parameter
 * layout); numerical gradient checks through the output and through the
 * last states; dropout between layers; MXNet's output names; errors and
 * the values mxrt does not run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "suites.h"
#include "test_util.h"

typedef struct rcase {
    const char *mode;
    int L, D, T, N, I, H;
} rcase;

static int gates_of(const char *mode) { return !strcmp(mode, "lstm") ? 4 : !strcmp(mode, "gru") ? 3 : 1; }

static double sigm(double v) { return 1.0 / (1.0 + exp(-v)); }

/* The packed vector's size: per layer and direction G·H·(in + H) weights and 2·G·H biases. */
static size_t packed_size(const rcase *c)
{
    size_t gh = (size_t)gates_of(c->mode) * c->H, n = 0;
    for (int l = 0; l < c->L; l++) n += (size_t)c->D * (gh * ((l ? c->D * c->H : c->I) + c->H) + 2 * gh);
    return n;
}

/* MXNet's RNN forward in double: y (T, N, D·H), hy and cy (L·D, N, H). */
static void reference(const rcase *c, const float *x, const float *w, const float *h0, const float *c0, double *y,
                      double *hy, double *cy)
{
    int G = gates_of(c->mode), GH = G * c->H, lstm = G == 4, gru = G == 3, relu = !strcmp(c->mode, "rnn_relu");
    size_t wtotal = 0;
    for (int l = 0; l < c->L; l++) wtotal += (size_t)c->D * GH * ((l ? c->D * c->H : c->I) + c->H);
    double *in = malloc(sizeof(double) * c->T * c->N * (c->I > c->D * c->H ? c->I : c->D * c->H));
    double *out = malloc(sizeof(double) * c->T * c->N * c->D * c->H);
    double *h = malloc(sizeof(double) * c->N * c->H), *cc = malloc(sizeof(double) * c->N * c->H);
    double *a = malloc(sizeof(double) * GH), *b = malloc(sizeof(double) * GH), *hn = malloc(sizeof(double) * c->H);
    for (int i = 0; i < c->T * c->N * c->I; i++) in[i] = x[i];
    size_t woff = 0;
    for (int l = 0; l < c->L; l++) {
        int nin = l ? c->D * c->H : c->I;
        for (int d = 0; d < c->D; d++) {
            int ld = l * c->D + d;
            const float *wi = w + woff, *wh = wi + (size_t)GH * nin;
            woff += (size_t)GH * (nin + c->H);
            const float *bi = w + wtotal + (size_t)ld * 2 * GH, *bh = bi + GH;
            for (int i = 0; i < c->N * c->H; i++) h[i] = h0[ld * c->N * c->H + i], cc[i] = lstm ? c0[ld * c->N * c->H + i] : 0;
            for (int s = 0; s < c->T; s++) {
                int t = d ? c->T - 1 - s : s;
                for (int n = 0; n < c->N; n++) {
                    const double *xt = in + ((size_t)t * c->N + n) * nin;
                    for (int g = 0; g < GH; g++) {
                        a[g] = bi[g], b[g] = bh[g];
                        for (int k = 0; k < nin; k++) a[g] += (double)wi[(size_t)g * nin + k] * xt[k];
                        for (int k = 0; k < c->H; k++) b[g] += (double)wh[(size_t)g * c->H + k] * h[n * c->H + k];
                    }
                    for (int j = 0; j < c->H; j++) {
                        double *hj = &h[n * c->H + j], *cj = &cc[n * c->H + j];
                        if (lstm) {
                            double ig = sigm(a[j] + b[j]), fg = sigm(a[c->H + j] + b[c->H + j]);
                            double gg = tanh(a[2 * c->H + j] + b[2 * c->H + j]), og = sigm(a[3 * c->H + j] + b[3 * c->H + j]);
                            *cj = fg * *cj + ig * gg;
                            hn[j] = og * tanh(*cj);
                        } else if (gru) {
                            double r = sigm(a[j] + b[j]), z = sigm(a[c->H + j] + b[c->H + j]);
                            double nn = tanh(a[2 * c->H + j] + r * b[2 * c->H + j]);
                            hn[j] = (1 - z) * nn + z * *hj;
                        } else {
                            double v = a[j] + b[j];
                            hn[j] = relu ? (v > 0 ? v : 0) : tanh(v);
                        }
                    }
                    for (int j = 0; j < c->H; j++) {
                        h[n * c->H + j] = hn[j];
                        out[((size_t)t * c->N + n) * c->D * c->H + d * c->H + j] = hn[j];
                    }
                }
            }
            for (int i = 0; i < c->N * c->H; i++) hy[ld * c->N * c->H + i] = h[i], cy[ld * c->N * c->H + i] = cc[i];
        }
        for (int i = 0; i < c->T * c->N * c->D * c->H; i++) in[i] = out[i];
    }
    for (int i = 0; i < c->T * c->N * c->D * c->H; i++) y[i] = out[i];
    free(in), free(out), free(h), free(cc), free(a), free(b), free(hn);
}

static const rcase cases[] = {
    {"lstm", 1, 1, 4, 3, 5, 4}, {"lstm", 2, 2, 3, 2, 3, 4}, {"gru", 1, 1, 4, 3, 5, 4}, {"gru", 2, 2, 3, 2, 4, 3},
    {"rnn_tanh", 2, 1, 5, 2, 3, 4}, {"rnn_relu", 1, 2, 4, 3, 2, 5},
};

static mx_sym *make_rnn(const rcase *c, const char *extra)
{
    char p[256];
    snprintf(p, sizeof p, "name=rnn mode=%s num_layers=%d state_size=%d bidirectional=%d %s", c->mode, c->L, c->H,
             c->D == 2, extra);
    mx_sym *d = mx_var("data"), *y = mx_op("RNN", p, d);
    mx_sym_free(d);
    if (!y) fprintf(stderr, "\n  RNN %s: %s\n", p, mx_last_error());
    return y;
}

static void test_forward_against_reference(void)
{
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const rcase *c = &cases[k];
        mx_sym *y = make_rnn(c, "state_outputs=true");
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        mx_shape ds = mx_shape_make(3, c->T, c->N, c->I);
        mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, (const char *[]){"data"}, &ds, NULL);
        if (!e) fprintf(stderr, "\n  bind: %s\n", mx_last_error());
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        int lstm = !strcmp(c->mode, "lstm");
        CU_ASSERT_EQUAL(mx_exec_num_args(e), lstm ? 4 : 3);
        CU_ASSERT_EQUAL(mx_nd_size(mx_exec_arg(e, 1)), packed_size(c));
        for (int i = 0; i < mx_exec_num_args(e); i++) mx_test_fill(mx_exec_arg(e, i), -0.8f, 0.8f, 51u + (unsigned)i);
        CU_ASSERT_EQUAL(mx_exec_forward(e, 0), MX_OK);
        size_t ny = (size_t)c->T * c->N * c->D * c->H, ns = (size_t)c->L * c->D * c->N * c->H;
        double *ref = malloc(sizeof(double) * (ny + 2 * ns));
        reference(c, mx_nd_data(mx_exec_arg(e, 0)), mx_nd_data(mx_exec_arg(e, 1)), mx_nd_data(mx_exec_arg(e, 2)),
                  lstm ? mx_nd_data(mx_exec_arg(e, 3)) : NULL, ref, ref + ny, ref + ny + ns);
        double worst = 0;
        for (int o = 0; o < (lstm ? 3 : 2); o++) {
            const mx_nd *out = mx_exec_output(e, o);
            const double *want = o == 0 ? ref : o == 1 ? ref + ny : ref + ny + ns;
            CU_ASSERT_EQUAL_FATAL(mx_nd_size(out), o ? ns : ny);
            for (size_t i = 0; i < mx_nd_size(out); i++) worst = fmax(worst, fabs(mx_nd_data(out)[i] - want[i]));
        }
        if (worst > 2e-6) fprintf(stderr, "\n  RNN %s L%d D%d: |Δ| %.3g\n", c->mode, c->L, c->D, worst);
        CU_ASSERT(worst <= 2e-6);
        free(ref);
        mx_exec_free(e);
        mx_sym_free(y);
    }
}

static void test_gradients(void)
{
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const rcase *c = &cases[k];
        mx_sym *y = make_rnn(c, "");
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        mx_shape ds = mx_shape_make(3, c->T, c->N, c->I);
        mx_gc_check gc = mx_gc_head("RNN");
        gc.lo = -0.8f, gc.hi = 0.8f;
        if (!strcmp(c->mode, "rnn_relu")) gc.nudge = 0.02f;
        CU_ASSERT(mx_gradcheck(&gc, y, 1, (const char *[]){"data"}, &ds) > 0);
        mx_sym_free(y);
        /* through the last states alone (the output unused: its gradient is zero) */
        y = make_rnn(c, "state_outputs=true");
        for (int o = 1; o < (!strcmp(c->mode, "lstm") ? 3 : 2); o++) {
            mx_sym *s = mx_sym_output(y, o);
            CU_ASSERT(mx_gradcheck(&gc, s, 1, (const char *[]){"data"}, &ds) > 0);
            mx_sym_free(s);
        }
        mx_sym_free(y);
    }
}

static void test_dropout_names_and_errors(void)
{
    /* dropout between two layers: training differs, inference is exact */
    rcase c = {"lstm", 2, 1, 3, 4, 3, 8};
    mx_sym *a = make_rnn(&c, "p=0.5"), *b = make_rnn(&c, "");
    mx_shape ds = mx_shape_make(3, c.T, c.N, c.I);
    mx_grad_req req[4] = {MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE};
    mx_exec *ea = mx_simple_bind(a, mx_cpu(), 1, (const char *[]){"data"}, &ds, req);
    mx_exec *eb = mx_simple_bind(b, mx_cpu(), 1, (const char *[]){"data"}, &ds, req);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ea);
    CU_ASSERT_PTR_NOT_NULL_FATAL(eb);
    for (int i = 0; i < 4; i++) {
        mx_test_fill(mx_exec_arg(ea, i), -1, 1, 7u + (unsigned)i);
        mx_test_fill(mx_exec_arg(eb, i), -1, 1, 7u + (unsigned)i);
    }
    CU_ASSERT_EQUAL(mx_exec_forward(ea, 0), MX_OK);
    CU_ASSERT_EQUAL(mx_exec_forward(eb, 0), MX_OK);
    size_t n = mx_nd_size(mx_exec_output(ea, 0));
    CU_ASSERT_EQUAL(memcmp(mx_nd_data(mx_exec_output(ea, 0)), mx_nd_data(mx_exec_output(eb, 0)), n * sizeof(float)), 0);
    CU_ASSERT_EQUAL(mx_exec_forward(ea, 1), MX_OK);
    int differs = memcmp(mx_nd_data(mx_exec_output(ea, 0)), mx_nd_data(mx_exec_output(eb, 0)), n * sizeof(float));
    CU_ASSERT(differs != 0);
    mx_nd *h = mx_nd_ones(mx_nd_shape(mx_exec_output(ea, 0)));
    CU_ASSERT_EQUAL(mx_exec_backward(ea, &h), MX_OK);
    const float *g = mx_nd_data(mx_exec_grad(ea, 0));
    int finite = 1;
    for (size_t i = 0; i < mx_nd_size(mx_exec_grad(ea, 0)); i++) finite &= isfinite(g[i]) != 0;
    CU_ASSERT(finite);
    mx_nd_free(h);
    mx_exec_free(ea);
    mx_exec_free(eb);
    mx_sym_free(a);
    mx_sym_free(b);
    /* MXNet's names: arguments and outputs */
    mx_sym *y = make_rnn(&c, "state_outputs=1");
    const char *const *args;
    CU_ASSERT_EQUAL(mx_list_arguments(y, &args), 4);
    CU_ASSERT(!strcmp(args[1], "rnn_parameters") && !strcmp(args[2], "rnn_state") && !strcmp(args[3], "rnn_state_cell"));
    const char *outs[4];
    CU_ASSERT_EQUAL(mx_list_outputs(y, outs, 4), 3);
    CU_ASSERT(!strcmp(outs[0], "rnn_output") && !strcmp(outs[1], "rnn_state_output") &&
              !strcmp(outs[2], "rnn_statecell_output"));
    mx_sym_free(y);
    /* errors and the values mxrt does not run */
    static const struct {
        const char *extra, *needle;
        mx_status st;
    } bad[] = {
        {"projection_size=4", "LSTM projections are not supported by mxrt", MX_ENOTSUP},
        {"lstm_state_clip_min=-1 lstm_state_clip_max=1", "LSTM state clipping is not supported by mxrt", MX_ENOTSUP},
        {"p=1", "parameter 'p': 1 is not a dropout probability in [0, 1)", MX_EINVAL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        y = make_rnn(&c, bad[i].extra);
        CU_ASSERT_PTR_NOT_NULL_FATAL(y);
        mx_shape argsh[4], outsh[3];
        CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 1, (const char *[]){"data"}, &ds, argsh, outsh, NULL), MX_OK);
        ASSERT_ERROR_HAS(bad[i].needle);
        CU_ASSERT_EQUAL(mx_last_status(), bad[i].st);
        mx_sym_free(y);
    }
    CU_ASSERT_PTR_NULL(make_rnn(&c, "use_sequence_length=true"));
    CU_ASSERT_EQUAL(mx_last_status(), MX_ENOTSUP);
    y = make_rnn(&c, "projection_size=None lstm_state_clip_min=None lstm_state_clip_nan=false");
    CU_ASSERT_PTR_NOT_NULL(y); /* None: the defaults */
    mx_shape two = mx_shape_make(2, 3, 4), argsh[4], outsh[1];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(y, 1, (const char *[]){"data"}, &two, argsh, outsh, NULL), MX_OK);
    ASSERT_ERROR_HAS("argument 'data': (3,4) must be (T, N, I)");
    mx_sym_free(y);
    mx_sym *d = mx_var("data");
    CU_ASSERT_PTR_NULL(mx_op("RNN", "mode=lstm num_layers=1", d));
    ASSERT_ERROR_HAS("required parameter 'state_size' missing");
    mx_sym_free(d);
}

/* A graph as MXNet 1.9 writes it, chaining the ops of #16 item 5 (the
 * JSON fuzzer's seed): loads, infers, binds, runs forward and backward,
 * and save → load → save is a fixed point. */
static void test_mxnet_graph_of_item5_ops(void)
{
    const char *path = "fuzz/corpus/symjson/mxnet-1.9-item5-symbol.json";
    FILE *f = fopen(path, "rb");
    if (!f) {
        mx_test_skip("%s not found (run from the repository root)", path);
        return;
    }
    fclose(f);
    mx_sym *s = mx_sym_load_json(path);
    if (!s) fprintf(stderr, "\n  %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    mx_shape d = mx_shape_make(4, 2, 3, 5, 5);
    mx_exec *e = mx_simple_bind(s, mx_cpu(), 1, (const char *[]){"data"}, &d, NULL);
    if (!e) fprintf(stderr, "\n  bind: %s\n", mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    for (int i = 0; i < mx_exec_num_args(e); i++) mx_test_fill(mx_exec_arg(e, i), -0.5f, 0.5f, 61u + (unsigned)i);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    CU_ASSERT_EQUAL(mx_exec_backward(e, NULL), MX_OK);
    mx_shape o = mx_nd_shape(mx_exec_output(e, 0));
    CU_ASSERT(o.ndim == 2 && o.dims[0] == 2 && o.dims[1] == 2);
    int finite = 1;
    for (int i = 0; i < mx_exec_num_args(e); i++) {
        const mx_nd *g = mx_exec_grad(e, i);
        for (size_t k = 0; g && k < mx_nd_size(g); k++) finite &= isfinite(mx_nd_data(g)[k]) != 0;
    }
    CU_ASSERT(finite);
    char *j1 = mx_sym_to_json(s);
    mx_sym *t = j1 ? mx_sym_from_json(j1, "again.json") : NULL;
    char *j2 = t ? mx_sym_to_json(t) : NULL;
    CU_ASSERT(j1 && j2 && !strcmp(j1, j2));
    CU_ASSERT(j1 && strstr(j1, "\"op\": \"RNN\"") && strstr(j1, "\"op\": \"Deconvolution\""));
    free(j1);
    free(j2);
    mx_sym_free(t);
    mx_exec_free(e);
    mx_sym_free(s);
}

CU_ErrorCode mx_test_register_rnnop(void)
{
    CU_pSuite s = CU_add_suite("rnnop", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "RNN: lstm, gru, rnn_tanh, rnn_relu, 1-2 layers, 1-2 directions against the double reference",
                test_forward_against_reference);
    CU_add_test(s, "RNN: gradchecks through the output and through each last state", test_gradients);
    CU_add_test(s, "RNN: dropout between layers, MXNet's names, errors and not-supported values",
                test_dropout_names_and_errors);
    CU_add_test(s, "an MXNet 1.9 graph chaining #16's ops: load, bind, forward, backward, JSON fixed point",
                test_mxnet_graph_of_item5_ops);
    return CUE_SUCCESS;
}
