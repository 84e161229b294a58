/* fuzz_sym.h — private to fuzz/: what the symbol targets do with a graph
 * that was built from fuzz input, the way a user would use it. Errors
 * are expected; crashes, leaks and broken invariants are findings. */
#ifndef MX_FUZZ_SYM_H
#define MX_FUZZ_SYM_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mx/graphviz.h"
#include "mx/symbol.h"
#include "mx/symbol_json.h"

/* A shape that inference reports must be usable: a known rank, no
 * negative sizes, and an element count whose float bytes fit in int64
 * (the given shapes all do), since it will size an allocation. */
static void fuzz_check_shape(const mx_shape *s, const char *what)
{
    int ok = s->ndim >= 1 && s->ndim <= MX_MAX_NDIM;
    int64_t bytes = (int64_t)sizeof(float);
    for (int i = 0; ok && i < s->ndim; i++)
        ok = s->dims[i] >= 0 && !__builtin_mul_overflow(bytes, s->dims[i], &bytes);
    if (ok) return;
    char buf[256];
    fprintf(stderr, "fuzz: infer_shape succeeded with a bad %s shape %s (ndim %d)\n", what,
            mx_shape_str(s, buf, sizeof buf), s->ndim);
    abort();
}

/* Lists sym, infers its shapes with argument name (NULL: the first
 * argument) given *shape, draws it as DOT and prints it. */
static void fuzz_use_symbol(mx_sym *sym, const char *name, const mx_shape *shape)
{
    static FILE *devnull;
    if (!devnull) devnull = fopen("/dev/null", "w");
    const char *const *args;
    int nargs = mx_list_arguments(sym, &args);
    int nout = mx_list_outputs(sym, NULL, 0);
    int naux = mx_list_auxiliary_states(sym, NULL, 0);
    const char **outs = malloc((size_t)(nout + 1) * sizeof *outs);
    const char **aux = malloc((size_t)(naux + 1) * sizeof *aux);
    mx_shape *arg_shapes = malloc((size_t)(nargs + 1) * sizeof *arg_shapes);
    mx_shape *out_shapes = malloc((size_t)(nout + 1) * sizeof *out_shapes);
    mx_shape *aux_shapes = malloc((size_t)(naux + 1) * sizeof *aux_shapes);
    if (outs && aux && arg_shapes && out_shapes && aux_shapes && (name || nargs > 0)) {
        mx_list_outputs(sym, outs, nout);
        mx_list_auxiliary_states(sym, aux, naux);
        const char *known = name ? name : args[0];
        if (mx_infer_shape(sym, 1, &known, shape, arg_shapes, out_shapes, aux_shapes) == MX_OK) {
            for (int i = 0; i < nargs; i++) fuzz_check_shape(&arg_shapes[i], "argument");
            for (int i = 0; i < nout; i++) fuzz_check_shape(&out_shapes[i], "output");
            for (int i = 0; i < naux; i++) fuzz_check_shape(&aux_shapes[i], "auxiliary");
        }
        if (devnull) mx_sym_to_graphviz(sym, devnull, NULL, 1, &known, shape);
    }
    if (devnull) mx_sym_print(sym, devnull);
    free(outs);
    free(aux);
    free(arg_shapes);
    free(out_shapes);
    free(aux_shapes);
}

/* to_json ∘ from_json must be the identity on what mxrt writes: a graph
 * mxrt saves, mxrt must load back unchanged. */
static void fuzz_check_round_trip(const mx_sym *sym)
{
    char *json = mx_sym_to_json(sym);
    if (!json) return; /* out of memory only */
    mx_sym *again = mx_sym_from_json(json, "round trip");
    if (!again) {
        fprintf(stderr, "fuzz: mxrt cannot load the JSON it wrote: %s\n%s\n", mx_last_error(), json);
        abort();
    }
    char *json2 = mx_sym_to_json(again);
    if (json2 && strcmp(json, json2)) {
        fprintf(stderr, "fuzz: the JSON changed on a round trip:\n%s\n---\n%s\n", json, json2);
        abort();
    }
    free(json2);
    mx_sym_free(again);
    free(json);
}

#endif
