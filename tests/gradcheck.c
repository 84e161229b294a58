/* gradcheck.c — see gradcheck.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "suites.h"
#include "test_util.h"

static int is_label(const char *name) { return strstr(name, "label") != NULL; }

static double objective_value(const mx_gc_check *c, mx_exec *e, const mx_nd *head)
{
    mx_nd *out = mx_exec_output(e, 0);
    const float *y = mx_nd_data(out);
    size_t n = mx_nd_size(out);
    if (c->obj == OBJ_HEAD) {
        double j = 0.0;
        const float *h = mx_nd_data(head);
        for (size_t i = 0; i < n; i++) j += (double)y[i] * h[i];
        return j;
    }
    int li = -1;
    for (int a = 0; a < mx_exec_num_args(e); a++)
        if (is_label(mx_exec_arg_name(e, a))) li = a;
    const float *lab = mx_nd_data(mx_exec_arg(e, li));
    mx_shape s = mx_nd_shape(out);
    size_t per_sample = mx_shape_tail(&s, 1);
    if (c->obj == OBJ_LINEAR || c->obj == OBJ_LOGISTIC) {
        double j = 0.0;
        for (size_t i = 0; i < n; i++) {
            double d = (double)y[i] - lab[i];
            j += c->obj == OBJ_LINEAR ? 0.5 * d * d
                                      : -(lab[i] * log(y[i]) + (1.0 - lab[i]) * log(1.0 - y[i]));
        }
        return j * c->grad_scale / (double)per_sample;
    }
    /* softmax cross-entropy over the class axis */
    size_t outer = (size_t)s.dims[0], ch = c->multi_output ? (size_t)s.dims[1] : per_sample;
    size_t inner = c->multi_output ? mx_shape_tail(&s, 2) : 1;
    double j = 0.0, count = 0.0;
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < inner; k++) {
            float l = lab[o * inner + k];
            if (c->use_ignore && l == c->ignore) continue;
            j -= log(y[(o * ch + (size_t)l) * inner + k]);
            count += 1.0;
        }
    double norm = c->norm == 1 ? (double)outer * (c->multi_output ? (double)inner : 1.0)
                : c->norm == 2 ? (count > 0 ? count : 1.0) : 1.0;
    if (c->norm == 2 && !c->use_ignore) norm = (double)(outer * inner);
    return j * c->grad_scale / norm;
}

static void fill_inputs(const mx_gc_check *c, mx_exec *e, unsigned seed)
{
    mx_rng rng;
    mx_rng_seed(&rng, seed);
    for (int a = 0; a < mx_exec_num_args(e); a++) {
        mx_nd *arr = mx_exec_arg(e, a);
        float *p = mx_nd_data(arr);
        size_t n = mx_nd_size(arr);
        for (size_t i = 0; i < n; i++) {
            if (is_label(mx_exec_arg_name(e, a))) {
                p[i] = c->obj == OBJ_SOFTMAX ? (float)mx_rng_below(&rng, (uint64_t)c->classes)
                                             : mx_rng_uniform(&rng) * 0.8f + 0.1f;
                if (c->use_ignore && i % 3 == 1) p[i] = c->ignore;
                continue;
            }
            float v = c->lo + (c->hi - c->lo) * mx_rng_uniform(&rng);
            if (fabsf(v) < c->nudge) v = v < 0 ? -c->nudge : c->nudge;
            p[i] = v;
        }
    }
}

/* Returns the number of gradient entries compared. */
int mx_gradcheck(const mx_gc_check *c, mx_sym *sym, int n, const char *const *names, const mx_shape *shapes)
{
    int nargs;
    const char *const *argn;
    nargs = mx_list_arguments(sym, &argn);
    mx_grad_req reqs[16];
    for (int a = 0; a < nargs; a++) reqs[a] = is_label(argn[a]) ? MX_GRAD_NULL : MX_GRAD_WRITE;
    mx_exec *e = mx_simple_bind(sym, mx_cpu(), n, names, shapes, reqs);
    if (!e) fprintf(stderr, "\n  %s: bind failed: %s\n", c->what, mx_last_error());
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    /* the objective reads output 0 and backward gets one head gradient:
     * a symbol with more outputs must be reduced to one first (Concat) */
    if (mx_exec_num_outputs(e) != 1) fprintf(stderr, "\n  %s: gradcheck needs one output\n", c->what);
    CU_ASSERT_EQUAL_FATAL(mx_exec_num_outputs(e), 1);
    fill_inputs(c, e, 7);
    mx_shape os = mx_nd_shape(mx_exec_output(e, 0));
    mx_nd *head = mx_nd_empty(os);
    mx_test_fill(head, -1.0f, 1.0f, 11);
    mx_nd *heads[] = {head};
    CU_ASSERT_EQUAL(mx_exec_forward(e, 1), MX_OK);
    CU_ASSERT_EQUAL(mx_exec_backward(e, heads), MX_OK);
    int compared = 0, bad = 0;
    const double eps = 1e-3;
    for (int a = 0; a < nargs; a++) {
        mx_nd *g = mx_exec_grad(e, a);
        if (!g) continue;
        float *x = mx_nd_data(mx_exec_arg(e, a));
        size_t sz = mx_nd_size(g);
        float *analytic = malloc(sz * sizeof(float));
        memcpy(analytic, mx_nd_data(g), sz * sizeof(float));
        size_t stride = sz > 40 ? sz / 40 : 1;
        for (size_t i = 0; i < sz; i += stride) {
            float keep = x[i];
            x[i] = (float)(keep + eps);
            mx_exec_forward(e, 1);
            double jp = objective_value(c, e, head);
            x[i] = (float)(keep - eps);
            mx_exec_forward(e, 1);
            double jm = objective_value(c, e, head);
            x[i] = keep;
            double numeric = (jp - jm) / (2 * eps);
            double diff = fabs(numeric - analytic[i]);
            if (diff > 3e-3 + 2e-2 * fabs(numeric)) {
                if (bad++ < 3)
                    fprintf(stderr, "\n  %s: d/d%s[%zu]: analytic %.6f numeric %.6f\n", c->what,
                            argn[a], i, (double)analytic[i], numeric);
            }
            compared++;
        }
        free(analytic);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(compared > 0);
    mx_nd_free(head);
    mx_exec_free(e);
    return compared;
}

mx_gc_check mx_gc_head(const char *what)
{
    mx_gc_check c = {what, OBJ_HEAD, 1.0f, 0, 0, -1.0f, 0, 0, -1.0f, 1.0f, 0.0f};
    return c;
}

void mx_gradcheck_unary(const char *op, const char *params, mx_shape s, mx_gc_check c)
{
    mx_sym *x = mx_var("x");
    mx_sym *y = mx_op(op, params, x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    const char *names[] = {"x"};
    mx_gradcheck(&c, y, 1, names, &s);
    mx_sym_free(x);
    mx_sym_free(y);
}

