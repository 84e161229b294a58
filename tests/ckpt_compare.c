/* ckpt_compare.c — two checkpoints that should compute the same function
 * (an mxrt model and its ONNX export imported back, issue #17) run
 * forward on the same inputs; every output of the second must be within
 * TOL of the first, relative to the first's largest magnitude. Inputs are
 * drawn from a fixed seed: uniform in [-1, 1), or, for names given with
 * --int NAME=N, integers in [0, N) (embedding indices).
 *
 *   ckpt_compare PREFIX_A EPOCH_A PREFIX_B EPOCH_B --shape NAME=D1,... [--int NAME=N] [--tol T]
 *
 * Prints the worst ratio per output; exit 0 if all are within TOL, 1 if
 * not, 2 on usage errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/mx.h"

#define MAX_IN 64

typedef struct side {
    mx_sym *sym;
    mx_nd_list params;
    mx_exec *ex;
} side;

static int load(side *s, const char *prefix, const char *epoch, int n, const char *const *names, const mx_shape *shapes)
{
    if (mx_checkpoint_load(prefix, atoi(epoch), &s->sym, &s->params) != MX_OK) return 0;
    const char *const *args;
    int na = mx_list_arguments(s->sym, &args);
    const char *kn[MAX_IN];
    mx_shape ks[MAX_IN];
    int nk = 0;
    for (int k = 0; k < n; k++) /* only the arguments this graph has (labels differ) */
        for (int a = 0; a < na; a++)
            if (!strcmp(args[a], names[k]) && nk < MAX_IN) kn[nk] = names[k], ks[nk++] = shapes[k];
    mx_grad_req *reqs = calloc((size_t)na + 1, sizeof *reqs);
    if (!reqs) return 0;
    s->ex = mx_simple_bind(s->sym, mx_cpu(), nk, kn, ks, reqs);
    free(reqs);
    if (!s->ex) return 0;
    for (int i = 0; i < s->params.n; i++) {
        const char *nm = s->params.names[i] + 4;
        int a = mx_exec_arg_index(s->ex, nm);
        mx_nd *dst = NULL;
        if (a >= 0) dst = mx_exec_arg(s->ex, a);
        for (int x = 0; !dst && x < mx_exec_num_aux(s->ex); x++)
            if (!strcmp(mx_exec_aux_name(s->ex, x), nm)) dst = mx_exec_aux(s->ex, x);
        if (dst && mx_nd_copy(dst, s->params.arrays[i]) != MX_OK) return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: ckpt_compare PREFIX_A EPOCH_A PREFIX_B EPOCH_B --shape NAME=D1,... [--int NAME=N] [--tol T]\n");
        return 2;
    }
    const char *names[MAX_IN], *int_names[MAX_IN];
    char name_buf[MAX_IN][128], int_buf[MAX_IN][128];
    mx_shape shapes[MAX_IN];
    int n = 0, ni = 0, int_max[MAX_IN];
    double tol = 1e-4;
    for (int i = 5; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL, *eq = v ? strchr(v, '=') : NULL;
        if (!strcmp(argv[i], "--tol") && v) {
            tol = atof(v);
        } else if ((!strcmp(argv[i], "--shape") || !strcmp(argv[i], "--int")) && eq && eq - v < 127 && n < MAX_IN) {
            int is_int = argv[i][2] == 'i';
            char *dst = is_int ? int_buf[ni] : name_buf[n];
            memcpy(dst, v, (size_t)(eq - v));
            dst[eq - v] = 0;
            if (is_int) int_names[ni] = dst, int_max[ni++] = atoi(eq + 1);
            else if (mx_shape_parse(eq + 1, &shapes[n]) == 0) names[n++] = dst;
            else return fprintf(stderr, "ckpt_compare: bad --shape %s\n", v), 2;
        } else {
            return fprintf(stderr, "ckpt_compare: bad argument %s\n", argv[i]), 2;
        }
        i++;
    }
    side a = {0}, b = {0};
    if (!load(&a, argv[1], argv[2], n, names, shapes) || !load(&b, argv[3], argv[4], n, names, shapes)) {
        fprintf(stderr, "ckpt_compare: %s\n", mx_last_error());
        return 1;
    }
    mx_rng rng;
    mx_rng_seed(&rng, 42);
    for (int k = 0; k < n; k++) {
        size_t cnt = 1;
        for (int d = 0; d < shapes[k].ndim; d++) cnt *= (size_t)shapes[k].dims[d];
        float *v = malloc(cnt * sizeof *v);
        int imax = 0;
        for (int j = 0; j < ni; j++)
            if (!strcmp(int_names[j], names[k])) imax = int_max[j];
        for (size_t j = 0; v && j < cnt; j++)
            v[j] = imax ? (float)(mx_rng_next(&rng) % (uint64_t)imax) : 2 * mx_rng_uniform(&rng) - 1;
        int ia = mx_exec_arg_index(a.ex, names[k]), ib = mx_exec_arg_index(b.ex, names[k]);
        if (!v || ia < 0 || ib < 0 || mx_nd_copy_from(mx_exec_arg(a.ex, ia), v, cnt) != MX_OK ||
            mx_nd_copy_from(mx_exec_arg(b.ex, ib), v, cnt) != MX_OK) {
            fprintf(stderr, "ckpt_compare: input %s: not an argument of both (%s)\n", names[k], mx_last_error());
            return 1;
        }
        free(v);
    }
    if (mx_exec_forward(a.ex, 0) != MX_OK || mx_exec_forward(b.ex, 0) != MX_OK) {
        fprintf(stderr, "ckpt_compare: forward: %s\n", mx_last_error());
        return 1;
    }
    int no = mx_exec_num_outputs(a.ex);
    if (no != mx_exec_num_outputs(b.ex)) {
        fprintf(stderr, "ckpt_compare: %d outputs against %d\n", no, mx_exec_num_outputs(b.ex));
        return 1;
    }
    double worst = 0;
    for (int o = 0; o < no; o++) {
        mx_nd *x = mx_exec_output(a.ex, o), *y = mx_exec_output(b.ex, o);
        size_t cnt = mx_nd_size(x);
        if (cnt != mx_nd_size(y)) {
            fprintf(stderr, "ckpt_compare: output %d has %zu values against %zu\n", o, cnt, mx_nd_size(y));
            return 1;
        }
        const float *p = mx_nd_data(x), *q = mx_nd_data(y);
        double big = 0, diff = 0;
        for (size_t j = 0; j < cnt; j++) {
            big = fmax(big, fabs(p[j]));
            diff = fmax(diff, fabs((double)p[j] - q[j]));
            if (isnan(q[j]) != isnan(p[j])) diff = INFINITY;
        }
        double r = big > 0 ? diff / big : diff;
        if (r > tol) printf("  output %d: |B - A| / max |A| = %.2e\n", o, r);
        worst = fmax(worst, r);
    }
    printf("%d outputs, worst |B - A| / max |A| = %.2e (tolerance %g)\n", no, worst, tol);
    side *both[2] = {&a, &b};
    for (int k = 0; k < 2; k++) {
        mx_exec_free(both[k]->ex);
        mx_sym_free(both[k]->sym);
        mx_nd_list_free(&both[k]->params);
    }
    return worst <= tol ? 0 : 1;
}
