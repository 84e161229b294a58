/* infer.c — shape inference: every op's rule is applied over the graph
 * until nothing changes (rules run both ways, e.g. a label's shape from
 * the data), then any unknown argument is an error. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"

int mx_graph_index(const mx_graph_shapes *gs, const mx_node *node)
{
    for (int i = 0; i < gs->n; i++)
        if (gs->order[i] == node) return i;
    return -1;
}

void mx_graph_shapes_free(mx_graph_shapes *gs)
{
    for (int i = 0; i < gs->n; i++) {
        if (gs->out) free(gs->out[i]);
        if (gs->aux) free(gs->aux[i]);
    }
    free(gs->out);
    free(gs->aux);
    free(gs->order);
    memset(gs, 0, sizeof *gs);
}

/* 1 when s's floats fit in memory at all: its byte count, in 64 bits
 * (a dim cast to a 32-bit size_t would wrap), at most PTRDIFF_MAX, the
 * largest object a C program may have (2 GB on 32-bit boards); an
 * unknown shape passes. */
static int shape_fits(const mx_shape *s)
{
    int64_t bytes = (int64_t)sizeof(float);
    for (int i = 0; i < s->ndim; i++)
        if (s->dims[i] < 0 || __builtin_mul_overflow(bytes, s->dims[i], &bytes)) return 0;
    return (uint64_t)bytes <= (uint64_t)PTRDIFF_MAX;
}

/* The error for a shape an op inferred that no memory can hold. */
static mx_status too_large(const mx_node *nd, const char *what, int k, const mx_shape *s)
{
    char buf[128];
    return mx_set_error(MX_EINVAL, "infer_shape: %s '%s': %s %d would be %s, more floats than memory can address",
                        nd->op->name, nd->name, what, k, mx_shape_str(s, buf, sizeof buf));
}

/* One pass over op nodes; *changed counts shapes learnt. in, before and
 * src have room for the most inputs a node of the graph has. */
static mx_status infer_pass(mx_graph_shapes *gs, int *changed, mx_shape *in, mx_shape *before, int *src)
{
    for (int i = 0; i < gs->n; i++) {
        mx_node *nd = gs->order[i];
        if (!nd->op) continue;
        for (int k = 0; k < nd->ninputs; k++) {
            src[k] = mx_graph_index(gs, nd->inputs[k].node);
            in[k] = before[k] = gs->out[src[k]][nd->inputs[k].index];
        }
        mx_shape out_before[MX_OP_MAX_OUTPUTS], aux_before[MX_OP_MAX_AUX];
        memcpy(out_before, gs->out[i], (size_t)nd->noutputs * sizeof(mx_shape));
        if (nd->naux) memcpy(aux_before, gs->aux[i], (size_t)nd->naux * sizeof(mx_shape));
        mx_status st = nd->op->infer_shape(nd->param, in, nd->ninputs, gs->out[i], nd->noutputs,
                                           gs->aux[i], nd->naux);
        if (st != MX_OK) {
            char msg[768];
            snprintf(msg, sizeof msg, "%s", mx_last_error());
            return mx_set_error(st, "infer_shape: %s '%s': %s", nd->op->name, nd->name, msg);
        }
        for (int k = 0; k < nd->noutputs; k++)
            if (!shape_fits(&gs->out[i][k])) return too_large(nd, "output", k, &gs->out[i][k]);
        for (int k = 0; k < nd->naux; k++)
            if (!shape_fits(&gs->aux[i][k])) return too_large(nd, "auxiliary state", k, &gs->aux[i][k]);
        for (int k = 0; k < nd->ninputs; k++) {
            if (mx_shape_equal(&in[k], &before[k])) continue;
            if (!shape_fits(&in[k])) return too_large(nd, "input", k, &in[k]);
            mx_shape *slot = &gs->out[src[k]][nd->inputs[k].index];
            if (slot->ndim && !mx_shape_equal(slot, &in[k])) {
                char a[128], b[128];
                return mx_set_error(MX_EINVAL, "infer_shape: %s '%s': input %d has shape %s but %s is expected",
                                    nd->op->name, nd->name, k, mx_shape_str(slot, a, sizeof a),
                                    mx_shape_str(&in[k], b, sizeof b));
            }
            *slot = in[k];
            (*changed)++;
        }
        for (int k = 0; k < nd->noutputs; k++)
            if (!mx_shape_equal(&out_before[k], &gs->out[i][k])) (*changed)++;
        for (int k = 0; k < nd->naux; k++)
            if (!mx_shape_equal(&aux_before[k], &gs->aux[i][k])) (*changed)++;
    }
    return MX_OK;
}

mx_status mx_graph_infer(const mx_sym *sym, int n_known, const char *const *names,
                         const mx_shape *shapes, mx_graph_shapes *gs)
{
    memset(gs, 0, sizeof *gs);
    gs->order = mx_graph_topo(sym, &gs->n);
    if (!gs->order) return MX_ENOMEM;
    gs->out = calloc((size_t)gs->n, sizeof *gs->out);
    gs->aux = calloc((size_t)gs->n, sizeof *gs->aux);
    if (!gs->out || !gs->aux) goto oom;
    for (int i = 0; i < gs->n; i++) {
        gs->out[i] = calloc((size_t)gs->order[i]->noutputs, sizeof(mx_shape));
        gs->aux[i] = calloc((size_t)(gs->order[i]->naux ? gs->order[i]->naux : 1), sizeof(mx_shape));
        if (!gs->out[i] || !gs->aux[i]) goto oom;
    }
    for (int k = 0; k < n_known; k++) {
        int found = 0;
        for (int i = 0; i < gs->n; i++) {
            if (gs->order[i]->op || strcmp(gs->order[i]->name, names[k])) continue;
            if (shapes[k].ndim < 1) {
                mx_graph_shapes_free(gs);
                return mx_set_error(MX_EINVAL, "infer_shape: argument '%s' given an empty shape", names[k]);
            }
            gs->out[i][0] = shapes[k];
            found = 1;
        }
        if (!found) {
            mx_graph_shapes_free(gs);
            return mx_set_error(MX_EINVAL, "infer_shape: the symbol has no argument named '%s'", names[k]);
        }
    }
    /* A variable with a "__shape__" attribute (MXNet's Variable(shape=...))
     * starts from it, as MXNet's InferShape does, unless given a shape; one
     * with an unknown (0) dimension is only a hint MXNet fills in: skipped. */
    for (int i = 0; i < gs->n; i++) {
        mx_node *nd = gs->order[i];
        if (nd->op || gs->out[i][0].ndim) continue;
        for (int a = 0; a < nd->nattr; a++) {
            mx_shape s;
            if (strcmp(nd->attr_keys[a], "__shape__") || mx_shape_parse(nd->attr_vals[a], &s) != 0) continue;
            int known = 1;
            for (int d = 0; d < s.ndim; d++) known &= s.dims[d] > 0;
            if (known) gs->out[i][0] = s;
        }
    }
    int most = 1;
    for (int i = 0; i < gs->n; i++)
        if (gs->order[i]->ninputs > most) most = gs->order[i]->ninputs;
    mx_shape *in = malloc((size_t)most * sizeof *in), *before = malloc((size_t)most * sizeof *before);
    int *src = malloc((size_t)most * sizeof *src);
    mx_status st = in && before && src ? MX_OK : mx_set_error(MX_ENOMEM, "infer_shape: out of memory");
    for (int pass = 0; pass < 16 && st == MX_OK; pass++) {
        int changed = 0;
        st = infer_pass(gs, &changed, in, before, src);
        if (!changed) break;
    }
    free(in);
    free(before);
    free(src);
    if (st != MX_OK) { mx_graph_shapes_free(gs); return st; }
    for (int i = 0; i < gs->n; i++) {
        mx_node *nd = gs->order[i];
        for (int k = 0; k < nd->noutputs; k++) {
            if (gs->out[i][k].ndim) continue;
            mx_status st = nd->op ? mx_set_error(MX_EINVAL, "infer_shape: cannot infer output %d of %s '%s'",
                                                 k, nd->op->name, nd->name)
                                  : mx_set_error(MX_EINVAL, "infer_shape: cannot infer the shape of argument '%s' (give it)",
                                                 nd->name);
            mx_graph_shapes_free(gs);
            return st;
        }
    }
    return MX_OK;
oom:
    mx_graph_shapes_free(gs);
    return mx_set_error(MX_ENOMEM, "infer_shape: out of memory");
}

mx_status mx_infer_shape(const mx_sym *sym, int n_known, const char *const *names,
                         const mx_shape *shapes, mx_shape *arg_shapes, mx_shape *out_shapes,
                         mx_shape *aux_shapes)
{
    mx_graph_shapes gs;
    mx_status st = mx_graph_infer(sym, n_known, names, shapes, &gs);
    if (st != MX_OK) return st;
    int a = 0, x = 0;
    for (int i = 0; i < gs.n; i++) {
        mx_node *nd = gs.order[i];
        if (!nd->op && arg_shapes) arg_shapes[a++] = gs.out[i][0];
        for (int k = 0; k < nd->naux && aux_shapes; k++) aux_shapes[x++] = gs.aux[i][k];
    }
    for (int o = 0; o < sym->nout && out_shapes; o++)
        out_shapes[o] = gs.out[mx_graph_index(&gs, sym->outs[o].node)][sym->outs[o].index];
    mx_graph_shapes_free(&gs);
    return MX_OK;
}
