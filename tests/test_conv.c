/* test_conv.c — the Convolution op: gradients against central differences
 * for every parameter that changes the math, forward and backward against
 * a naive double-precision reference on random shapes (1 and 2 threads,
 * which must agree bit for bit, and every gradient req), shape-inference
 * errors, and LeNet's two layers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "kernels/cpu/cpu_kernels.h"
#include "mx/random.h"
#include "suites.h"
#include "test_util.h"

/* ---- numerical gradient checks ---- */

static void check_grad(const char *params, mx_shape s)
{
    char what[160];
    snprintf(what, sizeof what, "conv %s", params);
    mx_gradcheck_unary("Convolution", params, s, mx_gc_head(what));
}

static void test_conv_gradcheck_basic(void)
{
    check_grad("kernel=(3,3) num_filter=4", mx_shape_make(4, 2, 3, 6, 5));
    check_grad("kernel=(3,3) num_filter=3 no_bias=true", mx_shape_make(4, 2, 2, 5, 5));
    check_grad("kernel=(2,3) num_filter=3", mx_shape_make(4, 3, 2, 4, 6)); /* non-square */
}

static void test_conv_gradcheck_stride_pad_dilate(void)
{
    check_grad("kernel=(3,3) stride=(2,2) num_filter=3", mx_shape_make(4, 2, 2, 7, 6));
    check_grad("kernel=(3,3) pad=(1,1) num_filter=3", mx_shape_make(4, 2, 2, 5, 4));
    check_grad("kernel=(3,2) stride=(2,1) pad=(2,1) num_filter=2", mx_shape_make(4, 2, 3, 5, 5));
    check_grad("kernel=(3,3) dilate=(2,2) num_filter=2", mx_shape_make(4, 2, 2, 7, 7));
    check_grad("kernel=(2,3) dilate=(2,1) stride=(1,2) pad=(1,2) num_filter=3",
               mx_shape_make(4, 2, 2, 6, 5));
    /* 72 taps per filter: the weight gradient through im2row */
    check_grad("kernel=(3,3) stride=(2,1) pad=(1,2) dilate=(1,2) num_filter=2", mx_shape_make(4, 2, 8, 5, 4));
}

static void test_conv_gradcheck_groups(void)
{
    check_grad("kernel=(3,3) num_filter=4 num_group=2", mx_shape_make(4, 2, 4, 5, 5));
    /* depthwise (C = groups = F), and with a channel multiplier of 2 */
    check_grad("kernel=(3,3) pad=(1,1) num_filter=3 num_group=3", mx_shape_make(4, 2, 3, 4, 4));
    check_grad("kernel=(3,3) num_filter=6 num_group=3 no_bias=true", mx_shape_make(4, 2, 3, 5, 4));
}

static void test_conv_gradcheck_pointwise_and_1d(void)
{
    check_grad("kernel=(1,1) num_filter=4", mx_shape_make(4, 3, 3, 4, 3)); /* x is its own col */
    check_grad("kernel=(1,1) stride=(2,2) num_filter=2", mx_shape_make(4, 2, 3, 5, 5));
    check_grad("kernel=(1,1) pad=(1,1) num_filter=2 num_group=2", mx_shape_make(4, 2, 2, 3, 3));
    check_grad("kernel=(3) stride=(2) pad=(1) dilate=(2) num_filter=3", mx_shape_make(3, 3, 2, 11));
    check_grad("kernel=(1) num_filter=2", mx_shape_make(3, 2, 3, 5));
}

static void test_conv_gradcheck_network(void)
{
    /* two convolutions, tanh in between and an FC + softmax on top: the
     * planner shares and reuses buffers (workspaces included) around them */
    mx_sym *data = mx_var("data");
    mx_sym *net = mx_chain(data, "Convolution name=c1 kernel=(3,3) num_filter=3 pad=(1,1)",
                           "Activation name=t1 act_type=tanh",
                           "Convolution name=c2 kernel=(2,2) stride=(2,2) num_filter=4",
                           "Activation name=t2 act_type=tanh", "Flatten name=flat",
                           "FullyConnected name=fc num_hidden=3",
                           "SoftmaxOutput name=softmax normalization=batch", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    const char *names[] = {"data"};
    mx_shape s = mx_shape_make(4, 3, 2, 6, 6);
    mx_gc_check c = {"conv network", OBJ_SOFTMAX, 1.0f, 1, 0, -1.0f, 0, 3, -1.0f, 1.0f, 0.0f};
    CU_ASSERT(mx_gradcheck(&c, net, 1, names, &s) > 200);
    mx_sym_free(data);
    mx_sym_free(net);
}

/* ---- against a naive reference ---- */

typedef struct conv_case {
    int n, c, h, w, f, g, kh, kw, sh, sw, ph, pw, dh, dw, one_d, no_bias;
} conv_case;

/* Results of one bind: output and the three gradients (NULL if none). */
typedef struct conv_out {
    float *y, *dx, *dw, *db;
    size_t ny, nx, nw, nb;
} conv_out;

static int out_size(int in, int k, int s, int p, int d) { return (in + 2 * p - d * (k - 1) - 1) / s + 1; }

static void case_params(const conv_case *k, char *buf, size_t cap)
{
    if (k->one_d)
        snprintf(buf, cap, "name=conv kernel=(%d) stride=(%d) pad=(%d) dilate=(%d) num_filter=%d num_group=%d no_bias=%d",
                 k->kw, k->sw, k->pw, k->dw, k->f, k->g, k->no_bias);
    else
        snprintf(buf, cap,
                 "name=conv kernel=(%d,%d) stride=(%d,%d) pad=(%d,%d) dilate=(%d,%d) num_filter=%d num_group=%d no_bias=%d",
                 k->kh, k->kw, k->sh, k->sw, k->ph, k->pw, k->dh, k->dw, k->f, k->g, k->no_bias);
}

static float *copy_of(const mx_nd *a, size_t *n)
{
    *n = a ? mx_nd_size(a) : 0;
    if (!a) return NULL;
    float *p = malloc(*n * sizeof *p);
    memcpy(p, mx_nd_data(a), *n * sizeof *p);
    return p;
}

/* Binds the case on `threads` threads, fills x, W, b and the head
 * gradient from fixed seeds (gradients with req add start at 0.25), runs
 * forward and backward, and copies the results out. */
static conv_out conv_run(const conv_case *k, int threads, const mx_grad_req *reqs)
{
    conv_out o = {0};
    char params[256];
    case_params(k, params, sizeof params);
    CU_ASSERT_FATAL(mx_engine_set_default(threads, MX_BIND_NONE) == MX_OK);
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("Convolution", params, x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *names[] = {"x"};
    mx_shape s = k->one_d ? mx_shape_make(3, k->n, k->c, k->w) : mx_shape_make(4, k->n, k->c, k->h, k->w);
    mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, names, &s, reqs);
    if (!e) fprintf(stderr, "\n  bind %s: %s\n", params, mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    for (int a = 0; a < mx_exec_num_args(e); a++) {
        mx_test_fill(mx_exec_arg(e, a), -1.0f, 1.0f, 100u + (unsigned)a);
        if (reqs[a] == MX_GRAD_ADD) mx_nd_fill(mx_exec_grad(e, a), 0.25f);
    }
    mx_nd *head = mx_nd_empty(mx_nd_shape(mx_exec_output(e, 0)));
    mx_test_fill(head, -1.0f, 1.0f, 7);
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    CU_ASSERT_EQUAL(mx_exec_backward(e, &head), MX_OK);
    o.y = copy_of(mx_exec_output(e, 0), &o.ny);
    o.dx = copy_of(mx_exec_grad(e, 0), &o.nx);
    o.dw = copy_of(mx_exec_grad(e, 1), &o.nw);
    o.db = k->no_bias ? NULL : copy_of(mx_exec_grad(e, 2), &o.nb);
    mx_nd_free(head);
    mx_exec_free(e);
    mx_sym_free(x);
    mx_sym_free(y);
    return o;
}

static void out_free(conv_out *o) { free(o->y); free(o->dx); free(o->dw); free(o->db); }

/* The same operands as conv_run, regenerated. */
static void fill_like(float *p, size_t n, unsigned seed, size_t dims_n, const int *dims)
{
    mx_nd *a = mx_nd_empty(mx_shape_make((int)dims_n, dims[0], dims[1], dims[2], dims[3]));
    mx_test_fill(a, -1.0f, 1.0f, seed);
    memcpy(p, mx_nd_data(a), n * sizeof *p);
    mx_nd_free(a);
}

/* |got − want| within float rounding of a sum whose terms total absum. */
static int near(float got, double want, double absum) { return fabs(got - want) <= 2e-6 * (absum + 1.0); }

/* Naive convolution in double (value and Σ|term| per entry), compared
 * with o; grads with req add must be 0.25 + the reference. */
static void check_reference(const conv_case *k, const conv_out *o, const mx_grad_req *reqs)
{
    int oh = k->one_d ? 1 : out_size(k->h, k->kh, k->sh, k->ph, k->dh);
    int ow = out_size(k->w, k->kw, k->sw, k->pw, k->dw);
    int cg = k->c / k->g, fg = k->f / k->g;
    size_t nx = (size_t)k->n * k->c * k->h * k->w, nw = (size_t)k->f * cg * k->kh * k->kw;
    size_t ny = (size_t)k->n * k->f * oh * ow;
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)k->f * 4), *hd = malloc(ny * 4);
    /* the 1-D shapes pad with ones: the same element counts, the same draws */
    fill_like(x, nx, 100, 4, (int[]){k->n, k->c, k->h, k->w});
    fill_like(w, nw, 101, 4, (int[]){k->f, cg, k->kh, k->kw});
    fill_like(b, (size_t)k->f, 102, 4, (int[]){k->f, 1, 1, 1});
    fill_like(hd, ny, 7, 4, (int[]){k->n, k->f, oh, ow});
    double *r = calloc(2 * (ny + nx + nw + (size_t)k->f), sizeof *r);
    double *y = r, *ya = y + ny, *dx = ya + ny, *dxa = dx + nx, *dw = dxa + nx, *dwa = dw + nw;
    double *db = dwa + nw, *dba = db + k->f;
    for (int n = 0; n < k->n; n++)
        for (int f = 0; f < k->f; f++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    size_t yi = (((size_t)n * k->f + f) * oh + oy) * ow + ox;
                    double h = hd[yi];
                    if (!k->no_bias) { y[yi] = b[f]; ya[yi] = fabs(b[f]); db[f] += h; dba[f] += fabs(h); }
                    for (int c = 0; c < cg; c++)
                        for (int ky = 0; ky < k->kh; ky++)
                            for (int kx = 0; kx < k->kw; kx++) {
                                int iy = oy * k->sh - k->ph + ky * k->dh, ix = ox * k->sw - k->pw + kx * k->dw;
                                if (iy < 0 || iy >= k->h || ix < 0 || ix >= k->w) continue;
                                size_t xi = (((size_t)n * k->c + f / fg * cg + c) * k->h + iy) * k->w + ix;
                                size_t wi = (((size_t)f * cg + c) * k->kh + ky) * k->kw + kx;
                                y[yi] += (double)x[xi] * w[wi], ya[yi] += fabs((double)x[xi] * w[wi]);
                                dx[xi] += h * w[wi], dxa[xi] += fabs(h * w[wi]);
                                dw[wi] += h * x[xi], dwa[wi] += fabs(h * x[xi]);
                            }
                }
    int bad = 0;
    CU_ASSERT_EQUAL(o->ny, ny);
    for (size_t i = 0; i < ny && i < o->ny; i++) bad += !near(o->y[i], y[i], ya[i]);
    const float *got[3] = {o->dx, o->dw, o->db};
    const double *want[3] = {dx, dw, db}, *abs_[3] = {dxa, dwa, dba};
    size_t len[3] = {nx, nw, (size_t)k->f};
    for (int a = 0; a < 3; a++) {
        if (a == 2 && k->no_bias) continue;
        if (reqs[a] == MX_GRAD_NULL) { CU_ASSERT_PTR_NULL(got[a]); continue; }
        CU_ASSERT_PTR_NOT_NULL_FATAL(got[a]);
        double base = reqs[a] == MX_GRAD_ADD ? 0.25 : 0.0;
        for (size_t i = 0; i < len[a]; i++) bad += !near(got[a][i], base + want[a][i], abs_[a][i]);
    }
    if (bad) {
        char p[256];
        case_params(k, p, sizeof p);
        fprintf(stderr, "\n  reference: %d entries differ for (%d,%d,%d,%d) %s\n", bad, k->n, k->c, k->h, k->w, p);
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(x); free(w); free(b); free(hd); free(r);
}

static int same_bits(const float *a, const float *b, size_t n)
{
    return (!a && !b) || (a && b && !memcmp(a, b, n * sizeof *a));
}

/* Runs a case on 1 and 2 threads: both must match the reference and each
 * other bit for bit. */
static void check_case(const conv_case *k, const mx_grad_req *reqs)
{
    conv_out one = conv_run(k, 1, reqs), two = conv_run(k, 2, reqs);
    check_reference(k, &one, reqs);
    int same = same_bits(one.y, two.y, one.ny) && same_bits(one.dx, two.dx, one.nx) &&
               same_bits(one.dw, two.dw, one.nw) && same_bits(one.db, two.db, one.nb);
    if (!same) {
        char p[256];
        case_params(k, p, sizeof p);
        fprintf(stderr, "\n  1 and 2 threads differ for (%d,%d,%d,%d) %s\n", k->n, k->c, k->h, k->w, p);
    }
    CU_ASSERT(same);
    out_free(&one);
    out_free(&two);
}

static int pick(mx_rng *r, int lo, int hi) { return lo + (int)mx_rng_below(r, (uint64_t)(hi - lo + 1)); }

/* A random valid case: the input is at least the dilated kernel minus
 * the padding, and 1-D cases keep h = kh = 1. */
static conv_case random_case(mx_rng *r, int i)
{
    conv_case k = {0};
    k.one_d = i % 5 == 4;
    k.g = pick(r, 1, 3);
    /* odd cases: 64 or more taps per filter, where the weight gradient
     * goes through im2row instead of im2col */
    int wide = i % 2, kmin = wide ? 2 : 1;
    k.c = k.g * (wide ? pick(r, 8, 10) : pick(r, 1, 3)), k.f = k.g * pick(r, 1, 3);
    k.n = i % 4 == 0 || i % 8 == 3 ? pick(r, 17, 40) : pick(r, 1, 4); /* > 16: several a slot */
    k.kw = pick(r, wide && k.one_d ? 8 : kmin, wide && k.one_d ? 9 : 4);
    k.sw = pick(r, 1, 3), k.dw = pick(r, 1, 2), k.pw = pick(r, 0, 2);
    k.kh = k.one_d ? 1 : pick(r, wide ? 4 : 1, 4), k.sh = k.one_d ? 1 : pick(r, 1, 3);
    k.dh = k.one_d ? 1 : pick(r, 1, 2), k.ph = k.one_d ? 0 : pick(r, 0, 2);
    int exh = k.dh * (k.kh - 1) + 1 - 2 * k.ph, exw = k.dw * (k.kw - 1) + 1 - 2 * k.pw;
    k.h = k.one_d ? 1 : (exh > 1 ? exh : 1) + pick(r, 0, 6);
    k.w = (exw > 1 ? exw : 1) + pick(r, 0, 6);
    k.no_bias = i % 7 == 3;
    return k;
}

static void test_conv_reference_random(void)
{
    mx_rng r;
    mx_rng_seed(&r, 2024);
    for (int i = 0; i < 24; i++) {
        conv_case k = random_case(&r, i);
        /* every third case accumulates into its gradients */
        mx_grad_req q = i % 3 == 2 ? MX_GRAD_ADD : MX_GRAD_WRITE;
        mx_grad_req reqs[3] = {q, q, q};
        check_case(&k, reqs);
    }
}

static void test_conv_reference_fixed(void)
{
    const mx_grad_req all[3] = {MX_GRAD_WRITE, MX_GRAD_WRITE, MX_GRAD_WRITE};
    /* LeNet's conv1 as the model binds it: no gradient for the data */
    const mx_grad_req no_dx[3] = {MX_GRAD_NULL, MX_GRAD_WRITE, MX_GRAD_WRITE};
    const mx_grad_req only_dx[3] = {MX_GRAD_WRITE, MX_GRAD_NULL, MX_GRAD_NULL};
    const mx_grad_req mixed[3] = {MX_GRAD_ADD, MX_GRAD_WRITE, MX_GRAD_ADD};
    conv_case lenet1 = {20, 1, 28, 28, 20, 1, 5, 5, 1, 1, 0, 0, 1, 1, 0, 0};
    conv_case lenet2 = {20, 20, 12, 12, 50, 1, 5, 5, 1, 1, 0, 0, 1, 1, 0, 0};
    conv_case point = {5, 6, 4, 5, 4, 2, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0};
    conv_case depth = {3, 4, 6, 6, 8, 4, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0};
    conv_case single = {1, 3, 9, 8, 5, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0}; /* fewer slots than threads */
    conv_case padded = {2, 3, 10, 10, 4, 1, 3, 3, 1, 1, 2, 2, 1, 1, 0, 0}; /* whole padding rows */
    check_case(&lenet1, no_dx);
    check_case(&lenet2, all);
    check_case(&point, mixed);
    check_case(&point, only_dx);
    check_case(&depth, mixed);
    check_case(&single, all);
    check_case(&padded, all);
    /* forward's own paths (kernels/cpu/conv.c): depthwise layers computed
     * directly (MobileNet's; stride 2 and dilation too), a col matrix built
     * in bands of output rows (16·9 taps × 48·48 pixels), and a layer with
     * few pixels taking several samples to one GEMM */
    conv_case dw1 = {3, 6, 9, 9, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0};
    conv_case dw2 = {18, 4, 11, 10, 4, 4, 3, 3, 2, 2, 1, 1, 2, 2, 0, 1};
    conv_case band = {2, 16, 48, 48, 8, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0};
    conv_case multi = {5, 8, 4, 4, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0};
    /* a tap whose valid pixels are 8 of a 9-wide row (pad 1): im2col's
     * one-vector copy once took it for a whole row of 8 */
    conv_case nine = {2, 3, 9, 9, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0};
    check_case(&nine, all);
    check_case(&dw1, all);
    check_case(&dw2, mixed);
    check_case(&band, all);
    check_case(&multi, no_dx);
}

/* ---- forward in a forward-only workspace ---- */

/* An executor that runs no backward gives Convolution only
 * conv_forward_workspace bytes (an exact heap block here, so AddressSanitizer
 * sees any write past it): y must be the bits forward gives in the full
 * training workspace, on 1 and 2 threads, on every forward path. */
static void forward_only_case(const conv_case *k, int *smaller)
{
    mx_conv_geom g = {k->n, k->c, k->h, k->w, k->f, k->g, k->kh, k->kw, k->sh, k->sw, k->ph, k->pw, k->dh, k->dw,
                      out_size(k->h, k->kh, k->sh, k->ph, k->dh), out_size(k->w, k->kw, k->sw, k->pw, k->dw)};
    size_t nx = (size_t)g.n * g.c * g.h * g.w, nw = (size_t)g.f * (g.c / g.groups) * g.kh * g.kw;
    size_t ny = (size_t)g.n * g.f * g.oh * g.ow;
    size_t full = mx_cpu_kernels.conv_workspace(&g), fwd = mx_cpu_kernels.conv_forward_workspace(&g);
    CU_ASSERT(fwd <= full);
    *smaller += fwd < full;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *b = malloc((size_t)g.f * sizeof *b);
    float *y_full = malloc(ny * sizeof *y_full), *y_fwd = malloc(ny * sizeof *y_fwd);
    void *ws_full = aligned_alloc(64, (full + 63) / 64 * 64 + 64);
    void *ws_fwd = fwd ? aligned_alloc(64, fwd) : NULL; /* fwd: a multiple of 64 (16 floats) */
    CU_ASSERT_FATAL(x && w && b && y_full && y_fwd && ws_full && (ws_fwd || !fwd));
    mx_rng r;
    mx_rng_seed(&r, 11);
    for (size_t i = 0; i < nx; i++) x[i] = mx_rng_uniform(&r) * 2.0f - 1.0f;
    for (size_t i = 0; i < nw; i++) w[i] = mx_rng_uniform(&r) * 2.0f - 1.0f;
    for (int i = 0; i < g.f; i++) b[i] = mx_rng_uniform(&r);
    for (int t = 1; t <= 2; t++) {
        mx_engine *eng = mx_engine_create(t, MX_BIND_NONE);
        CU_ASSERT_PTR_NOT_NULL_FATAL(eng);
        mx_cpu_kernels.conv_forward(eng, &g, x, w, k->no_bias ? NULL : b, y_full, ws_full);
        memset(y_fwd, 0xff, ny * sizeof *y_fwd);
        mx_cpu_kernels.conv_forward(eng, &g, x, w, k->no_bias ? NULL : b, y_fwd, ws_fwd);
        int same = same_bits(y_full, y_fwd, ny);
        if (!same) fprintf(stderr, "\n  forward-only workspace (%zu of %zu bytes) changes y: n=%d c=%d %dx%d f=%d, %d threads\n",
                           fwd, full, g.n, g.c, g.h, g.w, g.f, t);
        CU_ASSERT(same);
        mx_engine_free(eng);
    }
    free(x), free(w), free(b), free(y_full), free(y_fwd), free(ws_full), free(ws_fwd);
}

static void test_conv_forward_only_workspace(void)
{
    const conv_case cases[] = {
        {20, 20, 12, 12, 50, 1, 5, 5, 1, 1, 0, 0, 1, 1, 0, 0},  /* LeNet's conv2: several samples a GEMM */
        {5, 8, 4, 4, 64, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0},      /* few pixels */
        {2, 16, 48, 48, 8, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0},    /* bands of output rows */
        {1, 16, 48, 48, 8, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1},    /* one sample: bands side by side */
        {20, 64, 24, 24, 16, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0},  /* slots cut by the budget, bands */
        {3, 6, 10, 10, 6, 2, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0},     /* groups */
        {5, 6, 4, 5, 4, 2, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0},       /* pointwise: no col */
        {3, 6, 9, 9, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0},       /* depthwise: direct */
    };
    int smaller = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) forward_only_case(&cases[i], &smaller);
    CU_ASSERT(smaller >= 6); /* every case with a weight gradient to hold */
}

/* ---- shape inference ---- */

static mx_status infer(const char *params, mx_shape data, mx_shape *w, mx_shape *y)
{
    mx_sym *x = mx_var("data");
    mx_sym *c = mx_op("Convolution", params, x);
    mx_sym_free(x);
    if (!c) return MX_EINVAL;
    const char *names[] = {"data"};
    mx_shape args[3], outs[1];
    mx_status st = mx_infer_shape(c, 1, names, &data, args, outs, NULL);
    if (st == MX_OK) { *w = args[1]; *y = outs[0]; }
    mx_sym_free(c);
    return st;
}

static void expect_error(const char *params, mx_shape data, const char *needle)
{
    mx_shape w, y;
    CU_ASSERT_NOT_EQUAL(infer(params, data, &w, &y), MX_OK);
    ASSERT_ERROR_HAS(needle);
}

static void test_conv_infer_errors(void)
{
    mx_shape d = mx_shape_make(4, 2, 4, 6, 6);
    expect_error("name=c1 kernel=(7,3) num_filter=2", d, "parameter 'kernel'");
    expect_error("name=c1 kernel=(7,3) num_filter=2", d, "Convolution 'c1'");
    expect_error("kernel=(3,3) dilate=(3,3) num_filter=2", d, "parameter 'kernel'"); /* spans 7 > 6 */
    expect_error("kernel=(3,3) stride=(0,1) num_filter=2", d, "parameter 'stride'");
    expect_error("kernel=(3,3) stride=(1,-2) num_filter=2", d, "parameter 'stride'");
    expect_error("kernel=(3,3) dilate=(0,1) num_filter=2", d, "parameter 'dilate'");
    expect_error("kernel=(3,3) pad=(-1,0) num_filter=2", d, "parameter 'pad'");
    expect_error("kernel=(3,3) pad=(2000000000,0) num_filter=2", d, "parameter 'pad'");
    expect_error("kernel=(3,3) dilate=(1,2000000000) num_filter=2", d, "parameter 'kernel'");
    expect_error("kernel=(0,3) num_filter=2", d, "parameter 'kernel'");
    expect_error("kernel=(3,3,3) num_filter=2", d, "parameter 'kernel'");
    expect_error("kernel=(3,3) stride=(1,1,1) num_filter=2", d, "parameter 'stride'");
    expect_error("kernel=(3,3) pad=(1) num_filter=2", d, "parameter 'pad'");
    expect_error("kernel=(3,3) dilate=(1) num_filter=2", d, "parameter 'dilate'");
    expect_error("kernel=(3,3) num_filter=3 num_group=3", d, "parameter 'num_group'");
    expect_error("kernel=(3,3) num_filter=3 num_group=2", d, "parameter 'num_filter'");
    expect_error("kernel=(3,3) num_filter=2 layout=NHWC", d, "parameter 'layout'");
    expect_error("kernel=(3) num_filter=2 layout=NCHW", mx_shape_make(3, 2, 4, 6), "parameter 'layout'");
    expect_error("kernel=(3,3) num_filter=2", mx_shape_make(3, 2, 4, 6), "argument 'data'");
    expect_error("kernel=(3) num_filter=2", d, "argument 'data'");
    expect_error("kernel=(3,3) num_filter=2", mx_shape_make(4, 2, 0, 6, 6), "argument 'data'");
    expect_error("kernel=(3,3) num_filter=0", d, "num_filter");
    expect_error("num_filter=2", d, "kernel");
    /* a weight of the wrong shape names the argument */
    mx_sym *x = mx_var("data"), *wv = mx_var("w");
    mx_sym *c = mx_op("Convolution", "name=c2 kernel=(3,3) num_filter=2 no_bias=true", x, wv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    const char *names[] = {"data", "w"};
    mx_shape shapes[] = {d, mx_shape_make(4, 2, 4, 3, 2)}, args[2], outs[1];
    CU_ASSERT_NOT_EQUAL(mx_infer_shape(c, 2, names, shapes, args, outs, NULL), MX_OK);
    ASSERT_ERROR_HAS("weight");
    mx_sym_free(x); mx_sym_free(wv); mx_sym_free(c);
}

static void test_conv_infer_shapes(void)
{
    mx_shape w, y;
    /* LeNet: (100,1,28,28) → 5×5×20 → (100,20,24,24); (100,20,12,12) → 5×5×50 → (100,50,8,8) */
    CU_ASSERT_EQUAL_FATAL(infer("kernel=(5,5) num_filter=20", mx_shape_make(4, 100, 1, 28, 28), &w, &y), MX_OK);
    mx_shape w1 = mx_shape_make(4, 20, 1, 5, 5), y1 = mx_shape_make(4, 100, 20, 24, 24);
    CU_ASSERT(mx_shape_equal(&w, &w1) && mx_shape_equal(&y, &y1));
    CU_ASSERT_EQUAL_FATAL(infer("kernel=(5,5) num_filter=50", mx_shape_make(4, 100, 20, 12, 12), &w, &y), MX_OK);
    mx_shape w2 = mx_shape_make(4, 50, 20, 5, 5), y2 = mx_shape_make(4, 100, 50, 8, 8);
    CU_ASSERT(mx_shape_equal(&w, &w2) && mx_shape_equal(&y, &y2));
    /* ⌊(in + 2·pad − dilate·(k−1) − 1)/stride⌋ + 1 per axis, groups in the weight */
    CU_ASSERT_EQUAL_FATAL(infer("kernel=(3,2) stride=(2,3) pad=(1,2) dilate=(2,1) num_filter=6 num_group=3 "
                                "workspace=512 cudnn_tune=fastest cudnn_off=true layout=NCHW",
                                mx_shape_make(4, 2, 9, 11, 7), &w, &y), MX_OK);
    mx_shape w3 = mx_shape_make(4, 6, 3, 3, 2), y3 = mx_shape_make(4, 2, 6, 5, 4);
    CU_ASSERT(mx_shape_equal(&w, &w3) && mx_shape_equal(&y, &y3));
    /* 1-D */
    CU_ASSERT_EQUAL_FATAL(infer("kernel=(3,) stride=(2,) num_filter=4 layout=NCW", mx_shape_make(3, 2, 5, 10), &w, &y), MX_OK);
    mx_shape w4 = mx_shape_make(3, 4, 5, 3), y4 = mx_shape_make(3, 2, 4, 4);
    CU_ASSERT(mx_shape_equal(&w, &w4) && mx_shape_equal(&y, &y4));
    /* a kernel exactly as large as the padded input gives one pixel */
    CU_ASSERT_EQUAL_FATAL(infer("kernel=(3,3) dilate=(2,2) pad=(1,1) num_filter=1", mx_shape_make(4, 1, 1, 3, 3), &w, &y), MX_OK);
    mx_shape y5 = mx_shape_make(4, 1, 1, 1, 1);
    CU_ASSERT(mx_shape_equal(&y, &y5));
}

CU_ErrorCode mx_test_register_conv(void)
{
    CU_pSuite s = CU_add_suite("conv", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "gradcheck: plain, no_bias, non-square", test_conv_gradcheck_basic);
    CU_add_test(s, "gradcheck: stride, pad, dilate", test_conv_gradcheck_stride_pad_dilate);
    CU_add_test(s, "gradcheck: groups and depthwise", test_conv_gradcheck_groups);
    CU_add_test(s, "gradcheck: 1x1 kernels and 1-D", test_conv_gradcheck_pointwise_and_1d);
    CU_add_test(s, "gradcheck: a small network of two convolutions", test_conv_gradcheck_network);
    CU_add_test(s, "24 random shapes vs a naive reference, 1 and 2 threads bit-identical", test_conv_reference_random);
    CU_add_test(s, "LeNet layers, pointwise, depthwise, banded, several samples a GEMM, every req", test_conv_reference_fixed);
    CU_add_test(s, "forward in the forward-only workspace: the same bits, a smaller block", test_conv_forward_only_workspace);
    CU_add_test(s, "infer_shape rejects bad parameters naming them", test_conv_infer_errors);
    CU_add_test(s, "infer_shape: LeNet, strides, groups, 1-D", test_conv_infer_shapes);
    return CU_get_error();
}
