/* test_pool.c — the pool suite: Pooling forward and backward against a
 * naive reference written from MXNet's definition, output sizes under
 * both conventions, the avg divisor and arg-max ties at the edges,
 * gradients against central differences, thread-count independence, the
 * 2×2 stride-2 fast path against the general path, and the errors
 * infer_shape gives. Reshape and Concat (the suite's other
 * ops) are tested in tests/test_pool_shape.c. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/cpu_kernels.h"
#include "gradcheck.h"
#include "kernels/cpu/pool2x2.h"
#include "suites.h"
#include "test_util.h"

/* Reshape and Concat tests, in tests/test_pool_shape.c. */
void mx_test_add_shape_op_tests(CU_pSuite s);

/* ---- pooling against a naive reference ---- */

/* One pooling configuration; nd 1 pools the last axis only. */
typedef struct pcfg {
    int type; /* 0 max, 1 avg, 2 sum */
    int full, global, include_pad, nd;
    int k[2], s[2], p[2]; /* {h, w}; h unused for nd 1 */
} pcfg;

static const char *const type_names[] = {"max", "avg", "sum"};

/* A gradient for the one argument x (simple_bind gives none to named inputs). */
static const mx_grad_req write1[] = {MX_GRAD_WRITE};

/* The Pooling parameters of c, every one spelled out. */
static void pcfg_params(const pcfg *c, char *buf, size_t cap)
{
    if (c->nd == 1)
        snprintf(buf, cap, "pool_type=%s kernel=(%d) stride=(%d) pad=(%d)", type_names[c->type], c->k[1],
                 c->s[1], c->p[1]);
    else
        snprintf(buf, cap, "pool_type=%s kernel=(%d,%d) stride=(%d,%d) pad=(%d,%d)", type_names[c->type],
                 c->k[0], c->k[1], c->s[0], c->s[1], c->p[0], c->p[1]);
    size_t len = strlen(buf);
    snprintf(buf + len, cap - len, " pooling_convention=%s global_pool=%s count_include_pad=%s",
             c->full ? "full" : "valid", c->global ? "true" : "false", c->include_pad ? "true" : "false");
}

/* Output length as MXNet's documentation defines it. */
static int ref_len(int n, int k, int s, int p, int full)
{
    double v = (double)(n + 2 * p - k) / s;
    return (int)(full ? ceil(v) : floor(v)) + 1;
}

/* One plane, straight from the definition: visit every kernel offset; a
 * cell counts for the max and the sum when inside the input, and for the
 * avg divisor when inside the padded input (include_pad) or the input.
 * dx += the gradient of Σ y·dy. */
static void ref_plane(const pcfg *c, int ih, int iw, int oh, int ow, const int k[2], const int s[2],
                      const int p[2], const float *x, float *y, const float *dy, float *dx)
{
    for (int a = 0; a < oh; a++)
        for (int b = 0; b < ow; b++) {
            int best = -1, cells = 0, padded = 0;
            float sum = 0.0f;
            for (int u = 0; u < k[0]; u++)
                for (int v = 0; v < k[1]; v++) {
                    int h = a * s[0] - p[0] + u, w = b * s[1] - p[1] + v;
                    if (h < ih + p[0] && w < iw + p[1]) padded++;
                    if (h < 0 || h >= ih || w < 0 || w >= iw) continue;
                    cells++;
                    sum += x[h * iw + w];
                    if (best < 0 || x[h * iw + w] > x[best]) best = h * iw + w;
                }
            int div = c->include_pad ? padded : cells;
            float g = dy[a * ow + b];
            if (c->type == 0) {
                y[a * ow + b] = best < 0 ? -FLT_MAX : x[best];
                if (best >= 0) dx[best] += g;
                continue;
            }
            float scale = c->type == 2 ? 1.0f : (cells && div > 0 ? 1.0f / (float)div : 0.0f);
            y[a * ow + b] = c->type == 2 ? sum : (cells && div > 0 ? sum / (float)div : 0.0f);
            for (int u = 0; u < k[0]; u++)
                for (int v = 0; v < k[1]; v++) {
                    int h = a * s[0] - p[0] + u, w = b * s[1] - p[1] + v;
                    if (h >= 0 && h < ih && w >= 0 && w < iw) dx[h * iw + w] += g * scale;
                }
        }
}

/* Equal up to float rounding (sums and divisions may round differently). */
static int close_enough(float a, float b) { return fabsf(a - b) <= 1e-5f * (1.0f + fabsf(b)); }

/* Binds Pooling on data (n, ch, [ih,] iw), runs forward and backward with
 * a random head gradient, and compares shape, output and input gradient
 * with the reference. */
static void check_pool(const pcfg *c, int n, int ch, int ih, int iw, unsigned seed)
{
    char params[256];
    pcfg_params(c, params, sizeof params);
    int k[2] = {c->nd == 1 ? 1 : c->k[0], c->k[1]}, s[2] = {c->nd == 1 ? 1 : c->s[0], c->s[1]};
    int p[2] = {c->nd == 1 ? 0 : c->p[0], c->p[1]};
    if (c->global) { k[0] = ih; k[1] = iw; s[0] = s[1] = 1; p[0] = p[1] = 0; }
    int oh = ref_len(ih, k[0], s[0], p[0], c->full), ow = ref_len(iw, k[1], s[1], p[1], c->full);
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("Pooling", params, x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *names[] = {"x"};
    mx_shape xs = c->nd == 1 ? mx_shape_make(3, n, ch, iw) : mx_shape_make(4, n, ch, ih, iw);
    mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, names, &xs, write1);
    if (!e) fprintf(stderr, "\n  %s: %s\n", params, mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    mx_shape want = c->nd == 1 ? mx_shape_make(3, n, ch, ow) : mx_shape_make(4, n, ch, oh, ow);
    mx_shape got = mx_nd_shape(mx_exec_output(e, 0));
    CU_ASSERT(mx_shape_equal(&got, &want));
    mx_test_fill(mx_exec_arg(e, 0), -1.0f, 1.0f, seed);
    mx_nd *head = mx_nd_empty(want);
    mx_test_fill(head, -1.0f, 1.0f, seed + 1);
    mx_exec_forward(e, 1);
    mx_exec_backward(e, &head);
    mx_exec_backward(e, &head); /* a write, not an accumulation */
    size_t planes = (size_t)n * (size_t)ch, in = (size_t)ih * (size_t)iw, out = (size_t)oh * (size_t)ow;
    float *ry = malloc(planes * out * sizeof(float)), *rdx = calloc(planes * in, sizeof(float));
    const float *xd = mx_nd_data(mx_exec_arg(e, 0));
    for (size_t pl = 0; pl < planes; pl++)
        ref_plane(c, ih, iw, oh, ow, k, s, p, xd + pl * in, ry + pl * out, mx_nd_data(head) + pl * out,
                  rdx + pl * in);
    int bad = 0;
    const float *yd = mx_nd_data(mx_exec_output(e, 0)), *gd = mx_nd_data(mx_exec_grad(e, 0));
    for (size_t i = 0; i < planes * out; i++) bad += !close_enough(yd[i], ry[i]);
    for (size_t i = 0; i < planes * in; i++) bad += !close_enough(gd[i], rdx[i]);
    if (bad) fprintf(stderr, "\n  %s on (%d,%d,%d,%d): %d mismatches\n", params, n, ch, ih, iw, bad);
    CU_ASSERT_EQUAL(bad, 0);
    free(ry);
    free(rdx);
    mx_nd_free(head);
    mx_exec_free(e);
    mx_sym_free(x);
    mx_sym_free(y);
}

static void test_pool_random_configs_match_reference(void)
{
    mx_rng rng;
    mx_rng_seed(&rng, 2024);
    int types[3] = {0}, fulls = 0, pads = 0, globals = 0, ones = 0;
    for (int t = 0; t < 40; t++) {
        pcfg c = {0};
        c.type = (int)mx_rng_below(&rng, 3);
        c.nd = mx_rng_below(&rng, 4) ? 2 : 1;
        c.full = (int)mx_rng_below(&rng, 2);
        c.global = mx_rng_below(&rng, 8) == 0;
        c.include_pad = mx_rng_below(&rng, 4) != 0;
        int in[2] = {c.nd == 1 ? 1 : 1 + (int)mx_rng_below(&rng, 9), 1 + (int)mx_rng_below(&rng, 9)};
        for (int a = 0; a < 2; a++) {
            c.p[a] = (int)mx_rng_below(&rng, 3);
            int kmax = in[a] + 2 * c.p[a] < 4 ? in[a] + 2 * c.p[a] : 4;
            c.k[a] = 1 + (int)mx_rng_below(&rng, (uint64_t)kmax);
            c.s[a] = 1 + (int)mx_rng_below(&rng, 3);
        }
        types[c.type]++; fulls += c.full; pads += c.p[1] > 0; globals += c.global; ones += c.nd == 1;
        int n = 1 + (int)mx_rng_below(&rng, 3), ch = 1 + (int)mx_rng_below(&rng, 3);
        check_pool(&c, n, ch, in[0], in[1], 100u + (unsigned)t);
    }
    CU_ASSERT(types[0] && types[1] && types[2] && fulls && pads && globals && ones);
    /* and the edges random draws seldom reach: full windows that end past
     * the padding (avg divisor), windows all in the padding, 1-D */
    static const struct { pcfg c; int ih, iw; } edge[] = {
        {{1, 1, 0, 1, 2, {3, 3}, {2, 2}, {1, 1}}, 7, 6},
        {{1, 1, 0, 0, 2, {3, 3}, {2, 2}, {1, 1}}, 7, 6},
        {{2, 1, 0, 1, 2, {2, 2}, {2, 2}, {0, 0}}, 5, 5},
        {{0, 1, 0, 1, 2, {3, 3}, {3, 3}, {0, 0}}, 11, 11},
        {{0, 0, 0, 1, 2, {2, 2}, {1, 1}, {2, 2}}, 3, 3},
        {{1, 0, 0, 1, 2, {2, 2}, {1, 1}, {2, 2}}, 3, 3},
        {{1, 1, 0, 1, 1, {1, 3}, {1, 2}, {0, 1}}, 1, 6},
        /* rows longer than the kernels' 256-output chunks */
        {{0, 0, 0, 1, 2, {2, 3}, {1, 2}, {0, 1}}, 3, 600},
        {{1, 1, 0, 1, 2, {1, 3}, {1, 1}, {0, 1}}, 2, 530},
        {{2, 0, 0, 1, 1, {1, 4}, {1, 3}, {0, 2}}, 1, 900},
    };
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        check_pool(&edge[i].c, 2, 3, edge[i].ih, edge[i].iw, 300u + (unsigned)i);
}

static void test_pool_lenet_shapes(void)
{
    pcfg c = {0, 0, 0, 1, 2, {2, 2}, {2, 2}, {0, 0}};
    check_pool(&c, 100, 20, 24, 24, 1); /* → (100,20,12,12) */
    check_pool(&c, 100, 50, 8, 8, 2);   /* → (100,50,4,4) */
}

/* Output shape of Pooling(params) on data d, via infer_shape. */
static mx_shape pooled(const char *params, mx_shape d)
{
    mx_sym *x = mx_var("data");
    mx_sym *y = mx_op("Pooling", params, x);
    const char *names[] = {"data"};
    mx_shape arg, out = {0};
    if (!y || mx_infer_shape(y, 1, names, &d, &arg, &out, NULL) != MX_OK) out.ndim = 0;
    mx_sym_free(x);
    mx_sym_free(y);
    return out;
}

static void test_pool_full_vs_valid_on_odd_inputs(void)
{
    static const struct { const char *params; int h, w, valid, full; } t[] = {
        {"kernel=(2,2) stride=(2,2)", 5, 5, 2, 3},
        {"kernel=(3,3) stride=(2,2)", 7, 7, 3, 3},
        {"kernel=(3,3) stride=(2,2)", 6, 6, 2, 3},
        {"kernel=(3,3) stride=(2,2) pad=(1,1)", 6, 6, 3, 4},
        {"kernel=(3,3) stride=(3,3)", 11, 11, 3, 4},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char p[128];
        for (int full = 0; full < 2; full++) {
            snprintf(p, sizeof p, "%s pooling_convention=%s", t[i].params, full ? "full" : "valid");
            mx_shape o = pooled(p, mx_shape_make(4, 1, 2, t[i].h, t[i].w));
            int want = full ? t[i].full : t[i].valid;
            CU_ASSERT(o.ndim == 4 && o.dims[2] == want && o.dims[3] == want);
        }
    }
    mx_shape o = pooled("kernel=(4) stride=(3) pooling_convention=full", mx_shape_make(3, 2, 3, 9));
    CU_ASSERT(o.ndim == 3 && o.dims[2] == 3);
    o = pooled("kernel=(4) stride=(3)", mx_shape_make(3, 2, 3, 9));
    CU_ASSERT(o.ndim == 3 && o.dims[2] == 2);
    o = pooled("global_pool=true pool_type=avg", mx_shape_make(4, 2, 3, 9, 7));
    CU_ASSERT(o.ndim == 4 && o.dims[2] == 1 && o.dims[3] == 1);
}

/* The avg divisor at the edges: the window's cells inside the padded
 * input (MXNet's count_include_pad default), or inside the input. */
static void test_pool_avg_divisor_at_edges(void)
{
    for (int incl = 1; incl >= 0; incl--) {
        char p[160];
        snprintf(p, sizeof p, "pool_type=avg kernel=(1,3) stride=(1,2) pad=(0,1) pooling_convention=full count_include_pad=%s",
                 incl ? "true" : "false");
        mx_sym *x = mx_var("x");
        mx_sym *y = mx_op("Pooling", p, x);
        const char *names[] = {"x"};
        mx_shape s = mx_shape_make(4, 1, 1, 1, 6);
        mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, names, &s, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        float *xd = mx_nd_data(mx_exec_arg(e, 0));
        for (int i = 0; i < 6; i++) xd[i] = (float)(i + 1);
        mx_exec_forward(e, 0);
        const float *yd = mx_nd_data(mx_exec_output(e, 0));
        CU_ASSERT_EQUAL(mx_nd_size(mx_exec_output(e, 0)), 4);
        /* windows [-1,2) [1,4) [3,6) [5,8): the last reaches past the padding */
        float want[2][4] = {{3.0f / 2, 9.0f / 3, 15.0f / 3, 6.0f / 1}, {3.0f / 3, 9.0f / 3, 15.0f / 3, 6.0f / 2}};
        for (int i = 0; i < 4; i++) CU_ASSERT(close_enough(yd[i], want[incl][i]));
        mx_exec_free(e);
        mx_sym_free(x);
        mx_sym_free(y);
    }
}

/* Ties: max backward routes each window's gradient to its first maximum
 * in row-major order (MXNet's rule), so on a constant input every 2×2
 * window of stride 1 credits its top-left cell. */
static void test_pool_max_ties_go_to_the_first(void)
{
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("Pooling", "kernel=(2,2)", x);
    const char *names[] = {"x"};
    mx_shape s = mx_shape_make(4, 1, 1, 4, 4);
    mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, names, &s, write1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    mx_nd_fill(mx_exec_arg(e, 0), 0.5f);
    mx_exec_forward(e, 1);
    mx_exec_backward(e, NULL);
    const float *g = mx_nd_data(mx_exec_grad(e, 0));
    for (int h = 0; h < 4; h++)
        for (int w = 0; w < 4; w++) CU_ASSERT_EQUAL(g[h * 4 + w], h < 3 && w < 3 ? 1.0f : 0.0f);
    mx_exec_free(e);
    mx_sym_free(x);
    mx_sym_free(y);
}

/* ---- the 2×2 stride-2 fast path against the general path ---- */

/* A value for x: few distinct ones, so windows tie often, with ±0 (equal
 * under >, different bits) and now and then NaN or ±inf. */
static float tie_value(mx_rng *r)
{
    static const float v[] = {-1.0f, -0.5f, -0.0f, 0.0f, 0.5f, 1.0f, 1.0f, 2.0f};
    uint64_t k = mx_rng_below(r, 200);
    if (k == 0) return NAN;
    if (k == 1) return INFINITY;
    if (k == 2) return -INFINITY;
    return v[k % 8];
}

/* Same bits, or both NaN: which NaN a sum of NaNs and infinities gives
 * (sign, payload) hangs on operand order, which the compiler may swap
 * (float addition is commutative to it), so no kernel pins it. */
static int same_bits(float a, float b) { return (isnan(a) && isnan(b)) || !memcmp(&a, &b, sizeof a); }

/* Runs type (0 max, 1 avg, 2 sum) with req over planes of ih × iw (even)
 * through the fast path, and through the general path on the same values
 * laid out in (ih+1) × (iw+1) planes — one more row and column, filled
 * with +inf, that no window covers (valid convention) but that make the
 * shape miss the fast path. Outputs and gradients must match bit for bit
 * (any NaN for NaN), and the general path's extra cells must be
 * left alone. plain: the fast side is pool2x2.c's plain C form (what
 * CPUs without AVX-512 run), called directly. Returns the number of
 * mismatches. */
static int fast_vs_general(mx_engine *eng, int plain, int type, mx_req req, int planes, int ih, int iw,
                           uint64_t seed)
{
    int oh = ih / 2, ow = iw / 2, gh = ih + 1, gw = iw + 1;
    size_t in = (size_t)ih * iw, gin = (size_t)gh * gw, out = (size_t)oh * ow, np = (size_t)planes;
    float *x = malloc(np * in * 4), *gx = malloc(np * gin * 4), *dy = malloc(np * out * 4);
    float *y = malloc(np * out * 4), *gy = malloc(np * out * 4), *dx = malloc(np * in * 4),
          *gdx = malloc(np * gin * 4);
    mx_rng r;
    mx_rng_seed(&r, seed);
    for (size_t i = 0; i < np * gin; i++) { gx[i] = INFINITY; gdx[i] = 7.0f; }
    for (size_t pl = 0; pl < np; pl++)
        for (int h = 0; h < ih; h++)
            for (int w = 0; w < iw; w++) {
                float v = tie_value(&r), d = tie_value(&r);
                x[pl * in + (size_t)h * iw + w] = gx[pl * gin + (size_t)h * gw + w] = v;
                /* accumulate onto the same starting dx in both layouts */
                dx[pl * in + (size_t)h * iw + w] = gdx[pl * gin + (size_t)h * gw + w] = d;
            }
    for (size_t i = 0; i < np * out; i++) {
        dy[i] = (float)((int)mx_rng_below(&r, 9) - 4) * 0.25f;
        if (mx_rng_below(&r, 50) == 0) dy[i] = -0.0f;
        y[i] = gy[i] = tie_value(&r);
    }
    const int k[2] = {2, 2}, s[2] = {2, 2}, p[2] = {0, 0}, o[2] = {oh, ow};
    const int fi[2] = {ih, iw}, gi[2] = {gh, gw};
    if (plain) {
        mx_cpu_pool2x2_forward_plain(type, x, y, np * (size_t)oh, ow, req);
        mx_cpu_pool2x2_backward_plain(type, x, dy, dx, np * (size_t)oh, ow, req);
    } else {
        mx_cpu_pool_forward(eng, type, np, fi, o, k, s, p, 1, x, y, req);
        mx_cpu_pool_backward(eng, type, np, fi, o, k, s, p, 1, x, dy, dx, req);
    }
    mx_cpu_pool_forward(eng, type, np, gi, o, k, s, p, 1, gx, gy, req);
    mx_cpu_pool_backward(eng, type, np, gi, o, k, s, p, 1, gx, dy, gdx, req);
    int bad = 0;
    for (size_t i = 0; i < np * out; i++) bad += !same_bits(y[i], gy[i]);
    for (size_t pl = 0; pl < np; pl++)
        for (int h = 0; h < gh; h++)
            for (int w = 0; w < gw; w++) {
                float g = gdx[pl * gin + (size_t)h * gw + w];
                if (h == ih || w == iw) bad += !(g == (req == MX_REQ_ADD ? 7.0f : 0.0f));
                else bad += !same_bits(g, dx[pl * in + (size_t)h * iw + w]);
            }
    if (bad)
        fprintf(stderr, "\n  %s%s req %d on %d × %d×%d: %d mismatches", plain ? "plain " : "", type_names[type],
                (int)req, planes, ih, iw, bad);
    free(x); free(gx); free(dy); free(y); free(gy); free(dx); free(gdx);
    return bad;
}

/* LeNet's two poolings and widths around the 16-output vector steps, for
 * max/avg/sum, write and add, inline and on 2 threads, both forms. */
static void test_pool_2x2_fast_path_matches_general(void)
{
    static const int shapes[][3] = {{2000, 24, 24}, {5000, 8, 8}, {3, 2, 2}, {5, 6, 32},
                                    {4, 4, 34}, {3, 10, 66}, {2, 2, 96}};
    mx_engine *two = mx_engine_create(2, MX_BIND_NONE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(two);
    int bad = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int type = 0; type < 3; type++)
            for (int req = MX_REQ_WRITE; req <= MX_REQ_ADD; req++)
                for (int plain = 0; plain < 2; plain++)
                    bad += fast_vs_general(i % 2 ? two : NULL, plain, type, (mx_req)req, shapes[i][0],
                                           shapes[i][1], shapes[i][2],
                                           1000u * i + 10u * (unsigned)type + (unsigned)req);
    CU_ASSERT_EQUAL(bad, 0);
    mx_engine_free(two);
}

/* Forward and backward of pooling + concat on 1 and 2 threads: planes
 * are split statically and each is computed whole, so bits agree. */
static void test_pool_threads_bit_identical(void)
{
    mx_sym *x = mx_var("x");
    mx_sym *a = mx_op("Pooling", "name=pa pool_type=avg kernel=(3,3) stride=(2,2) pad=(1,1) pooling_convention=full", x);
    mx_sym *m = mx_op("Pooling", "name=pm pool_type=max kernel=(3,3) stride=(2,2) pad=(1,1) pooling_convention=full", x);
    mx_sym *ins[] = {a, m};
    mx_sym *y = mx_op_args("Concat", "num_args=2 dim=1", 2, NULL, ins);
    const char *names[] = {"x"};
    mx_shape s = mx_shape_make(4, 4, 8, 24, 24);
    float *res[2][2] = {{NULL}};
    size_t ny = 0, nx = 0;
    for (int t = 0; t < 2; t++) {
        mx_engine *eng = mx_engine_create(t + 1, MX_BIND_NONE);
        mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, names, &s, write1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        mx_exec_set_engine(e, eng);
        mx_test_fill(mx_exec_arg(e, 0), -1.0f, 1.0f, 5);
        mx_nd *head = mx_nd_empty(mx_nd_shape(mx_exec_output(e, 0)));
        mx_test_fill(head, -1.0f, 1.0f, 6);
        mx_exec_forward(e, 1);
        mx_exec_backward(e, &head);
        ny = mx_nd_size(mx_exec_output(e, 0));
        nx = mx_nd_size(mx_exec_grad(e, 0));
        res[t][0] = malloc(ny * sizeof(float));
        res[t][1] = malloc(nx * sizeof(float));
        memcpy(res[t][0], mx_nd_data(mx_exec_output(e, 0)), ny * sizeof(float));
        memcpy(res[t][1], mx_nd_data(mx_exec_grad(e, 0)), nx * sizeof(float));
        mx_nd_free(head);
        mx_exec_free(e);
        mx_engine_free(eng);
    }
    CU_ASSERT_EQUAL(memcmp(res[0][0], res[1][0], ny * sizeof(float)), 0);
    CU_ASSERT_EQUAL(memcmp(res[0][1], res[1][1], nx * sizeof(float)), 0);
    for (int t = 0; t < 2; t++) { free(res[t][0]); free(res[t][1]); }
    mx_sym_free(x); mx_sym_free(a); mx_sym_free(m); mx_sym_free(y);
}

/* ---- gradient checks ---- */

/* Central differences of Σ out·H for max pooling. The inputs are a
 * shuffled lattice (every two differ by ≥ 0.01, ten steps of 1e-3), so
 * no window ties and no perturbation changes an arg-max; the shared
 * mx_gradcheck draws uniform inputs that may come that close. */
static void gradcheck_max(const char *params, mx_shape s)
{
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op("Pooling", params, x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *names[] = {"x"};
    mx_exec *e = mx_simple_bind(y, mx_cpu(), 1, names, &s, write1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    float *xd = mx_nd_data(mx_exec_arg(e, 0));
    size_t n = mx_nd_size(mx_exec_arg(e, 0));
    mx_rng rng;
    mx_rng_seed(&rng, 77);
    for (size_t i = 0; i < n; i++) xd[i] = 0.01f * (float)i - 0.005f * (float)n;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)mx_rng_below(&rng, i + 1);
        float t = xd[i]; xd[i] = xd[j]; xd[j] = t;
    }
    mx_nd *out = mx_exec_output(e, 0), *head = mx_nd_empty(mx_nd_shape(out));
    mx_test_fill(head, -1.0f, 1.0f, 78);
    mx_exec_forward(e, 1);
    mx_exec_backward(e, &head);
    const float *g = mx_nd_data(mx_exec_grad(e, 0)), *h = mx_nd_data(head);
    int bad = 0;
    for (size_t i = 0; i < n; i += n > 40 ? n / 40 : 1) {
        double j[2];
        float keep = xd[i];
        for (int sgn = 0; sgn < 2; sgn++) {
            xd[i] = keep + (sgn ? -1e-3f : 1e-3f);
            mx_exec_forward(e, 1);
            j[sgn] = 0.0;
            for (size_t o = 0; o < mx_nd_size(out); o++) j[sgn] += (double)mx_nd_data(out)[o] * h[o];
        }
        xd[i] = keep;
        double num = (j[0] - j[1]) / 2e-3;
        if (fabs(num - g[i]) > 3e-3 + 2e-2 * fabs(num) && bad++ < 3)
            fprintf(stderr, "\n  max %s: dx[%zu]: analytic %.5f numeric %.5f\n", params, i, (double)g[i], num);
    }
    CU_ASSERT_EQUAL(bad, 0);
    mx_nd_free(head);
    mx_exec_free(e);
    mx_sym_free(x);
    mx_sym_free(y);
}

static void test_gradcheck_pooling(void)
{
    static const struct { const char *params; int nd; } cfg[] = {
        {"kernel=(2,2)", 4},
        {"kernel=(3,3) stride=(2,2)", 4},
        {"kernel=(3,2) stride=(2,1) pad=(1,1)", 4},
        {"kernel=(3,3) stride=(2,2) pad=(1,1) pooling_convention=full", 4},
        {"kernel=(2,2) stride=(2,2) pooling_convention=full", 4},
        {"kernel=(3,3) stride=(2,2) pad=(1,1) pooling_convention=full count_include_pad=false", 4},
        {"global_pool=true", 4},
        {"kernel=(3) stride=(2) pad=(1) pooling_convention=full", 3},
    };
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        mx_shape s = cfg[i].nd == 4 ? mx_shape_make(4, 2, 3, 7, 6) : mx_shape_make(3, 2, 3, 9);
        char p[192];
        for (int t = 0; t < 3; t++) {
            snprintf(p, sizeof p, "pool_type=%s %s", type_names[t], cfg[i].params);
            if (t == 0) gradcheck_max(p, s);
            else mx_gradcheck_unary("Pooling", p, s, mx_gc_head(p));
        }
    }
}

/* ---- infer_shape errors ---- */

static void test_pool_infer_errors(void)
{
    static const struct { const char *in, *params, *needle; } pool[] = {
        {"(1,1,3,3)", "kernel=(5,5)", "size 5 exceeds input 3 (padded to 3)"},
        {"(1,1,3,3)", "kernel=(4,4) pad=(0,1)", "size 4 exceeds input 3 (padded to 3)"},
        {"(1,1,3,3)", "kernel=(0,2)", "parameter 'kernel': (0,2) must have every value positive"},
        {"(1,1,3,3)", "kernel=(-1,2)", "parameter 'kernel'"},
        {"(1,1,3,3)", "kernel=(2,2) stride=(0,1)", "parameter 'stride': (0,1) must have every value positive"},
        {"(1,1,3,3)", "kernel=(2,2) stride=(-2,1)", "parameter 'stride'"},
        {"(1,1,3,3)", "kernel=(2,2) pad=(-1,0)", "parameter 'pad': (-1,0) must have every value >= 0"},
        {"(1,1,3,3)", "kernel=(2,2) stride=(2)", "parameter 'stride': (2) has 1 dims, the kernel has 2"},
        {"(1,1,9)", "kernel=(2,2)", "parameter 'kernel': (2,2) is 2-D but data (1,1,9) needs a 1-D kernel"},
        {"(1,1,3,3)", "kernel=(2)", "is 1-D but data (1,1,3,3) needs a 2-D kernel"},
        {"(1,1,3,3,3)", "kernel=(2,2,2)", "3-D pooling is not supported by mxrt"},
        {"(4,9)", "kernel=(2,2)", "argument 'data': Pooling needs (N,C,W) or (N,C,H,W) data, got (4,9)"},
        {"(1,1,3,3)", "pool_type=avg", "parameter 'kernel' is required unless global_pool=true"},
    };
    for (size_t i = 0; i < sizeof pool / sizeof pool[0]; i++) {
        mx_shape d;
        CU_ASSERT_EQUAL(mx_shape_parse(pool[i].in, &d), 0);
        char p[128];
        snprintf(p, sizeof p, "name=pool1 %s", pool[i].params);
        CU_ASSERT_EQUAL(pooled(p, d).ndim, 0);
        ASSERT_ERROR_HAS(pool[i].needle);
        ASSERT_ERROR_HAS("infer_shape: Pooling 'pool1'");
    }
    CU_ASSERT_PTR_NULL(mx_op("Pooling", "kernel=(2,2) pool_type=min", NULL));
    ASSERT_ERROR_HAS("parameter 'pool_type'");
}

CU_ErrorCode mx_test_register_pool(void)
{
    CU_pSuite s = CU_add_suite("pool", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "Pooling: 40 random and 10 edge configurations against the reference", test_pool_random_configs_match_reference);
    CU_add_test(s, "Pooling: LeNet shapes", test_pool_lenet_shapes);
    CU_add_test(s, "Pooling: full vs valid on odd inputs", test_pool_full_vs_valid_on_odd_inputs);
    CU_add_test(s, "Pooling: avg divisor at the edges", test_pool_avg_divisor_at_edges);
    CU_add_test(s, "Pooling: max ties go to the first maximum", test_pool_max_ties_go_to_the_first);
    CU_add_test(s, "Pooling: 2x2 stride-2 fast path = general path, bit for bit (ties, ±0, NaN)",
                test_pool_2x2_fast_path_matches_general);
    CU_add_test(s, "Pooling + Concat: 1 and 2 threads bit-identical", test_pool_threads_bit_identical);
    CU_add_test(s, "gradcheck: Pooling max/avg/sum x stride, pad, global, valid/full", test_gradcheck_pooling);
    CU_add_test(s, "Pooling: infer_shape errors", test_pool_infer_errors);
    mx_test_add_shape_op_tests(s);
    return CU_get_error();
}
