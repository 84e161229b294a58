/* fixed_prep.c — the set-up half of fixed-buffer inference: load the
 * checkpoint, match every variable and aux state with its array, infer
 * shapes, and plan the forward pass's buffers (activations by lifetime,
 * in place where the op allows, workspaces). Heap only, and only here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixed_prep.h"
#include "mx/symbol_json.h"

static mx_status fail_oom(void) { return mx_set_error(MX_ENOMEM, "mx_fixed: out of memory while loading"); }

/* Index of the array for a variable or aux state: "arg:name" /
 * "aux:name" as checkpoints write, or the bare name (mx.save files). */
static int find_param(const mx_nd_list *l, const char *kind, const char *name)
{
    char key[512];
    snprintf(key, sizeof key, "%s:%s", kind, name);
    int i = mx_nd_list_find(l, key);
    return i >= 0 ? i : mx_nd_list_find(l, name);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static mx_status check_spec(const mx_fixed_spec *spec)
{
    if (!spec || !spec->symbol || !spec->params)
        return mx_set_error(MX_EINVAL, "mx_fixed: the symbol and params paths are required");
    const mx_shape *s = &spec->shape;
    if (s->ndim < 1 || s->ndim > MX_MAX_NDIM)
        return mx_set_error(MX_EINVAL, "mx_fixed: the input shape has %d dimensions (1..%d)", s->ndim, MX_MAX_NDIM);
    for (int d = 0; d < s->ndim; d++) {
        if (s->dims[d] < 1) {
            char b[128];
            return mx_set_error(MX_EINVAL, "mx_fixed: bad input shape %s (every dimension must be >= 1)",
                                mx_shape_str(s, b, sizeof b));
        }
    }
    return MX_OK;
}

/* Shapes of the whole graph from the input's and the arrays' shapes;
 * arguments that are neither must be labels (inferred, never read). */
static mx_status infer(fx_prep *p, const mx_fixed_spec *spec, const char *input)
{
    const char *const *args;
    int nargs = mx_list_arguments(p->sym, &args);
    if (!args) return fail_oom();
    const char **names = malloc((size_t)(nargs + 1) * sizeof *names);
    mx_shape *shapes = malloc((size_t)(nargs + 1) * sizeof *shapes);
    if (!names || !shapes) { free(names); free(shapes); return fail_oom(); }
    int n = 0, found = 0;
    for (int a = 0; a < nargs; a++) found |= !strcmp(args[a], input);
    mx_status st = found ? MX_OK
                         : mx_set_error(MX_EINVAL, "%s: the symbol has no argument '%s' (the input)", spec->symbol, input);
    for (int a = 0; st == MX_OK && a < nargs; a++) {
        int j = find_param(&p->params, "arg", args[a]);
        if (!strcmp(args[a], input)) {
            names[n] = args[a];
            shapes[n++] = spec->shape;
        } else if (j >= 0) {
            names[n] = args[a];
            shapes[n++] = mx_nd_shape(p->params.arrays[j]);
        } else if (!ends_with(args[a], "_label")) {
            st = mx_set_error(MX_EFORMAT, "%s: no array for argument '%s' (expected 'arg:%s')", spec->params,
                              args[a], args[a]);
        }
    }
    if (st == MX_OK) st = mx_graph_infer(p->sym, n, names, shapes, &p->gs);
    free(names);
    free(shapes);
    return st;
}

/* Which array feeds each variable and aux state; checks aux shapes. */
static mx_status match_arrays(fx_prep *p, const mx_fixed_spec *spec, const char *input)
{
    int n = p->gs.n;
    p->ebase = calloc((size_t)n + 1, sizeof(int));
    p->var_src = malloc((size_t)n * sizeof(int));
    p->aux_base = calloc((size_t)n + 1, sizeof(int));
    p->vdata = calloc((size_t)n, sizeof *p->vdata);
    if (!p->ebase || !p->var_src || !p->aux_base || !p->vdata) return fail_oom();
    p->input_node = -1;
    for (int i = 0; i < n; i++) {
        mx_node *nd = p->gs.order[i];
        p->ebase[i + 1] = p->ebase[i] + nd->noutputs;
        p->aux_base[i + 1] = p->aux_base[i] + nd->naux;
        p->nops += nd->op != NULL;
        p->var_src[i] = -1;
        if (nd->op) continue;
        if (!strcmp(nd->name, input)) p->input_node = i;
        else p->var_src[i] = find_param(&p->params, "arg", nd->name);
    }
    p->aux_src = malloc((size_t)(p->aux_base[n] ? p->aux_base[n] : 1) * sizeof(int));
    if (!p->aux_src) return fail_oom();
    for (int i = 0; i < n; i++) {
        mx_node *nd = p->gs.order[i];
        for (int k = 0; k < nd->naux; k++) {
            int j = find_param(&p->params, "aux", nd->aux_names[k]);
            if (j < 0)
                return mx_set_error(MX_EFORMAT, "%s: no array for auxiliary state '%s' (expected 'aux:%s')",
                                    spec->params, nd->aux_names[k], nd->aux_names[k]);
            mx_shape have = mx_nd_shape(p->params.arrays[j]);
            if (!mx_shape_equal(&have, &p->gs.aux[i][k])) {
                char a[128], b[128];
                return mx_set_error(MX_EFORMAT, "%s: auxiliary state '%s' has shape %s, node '%s' needs %s",
                                    spec->params, nd->aux_names[k], mx_shape_str(&have, a, sizeof a), nd->name,
                                    mx_shape_str(&p->gs.aux[i][k], b, sizeof b));
            }
            p->aux_src[p->aux_base[i] + k] = j;
        }
    }
    const mx_entry *h = &p->sym->outs[0];
    int hi = mx_graph_index(&p->gs, h->node);
    if (!h->node->op) return mx_set_error(MX_EINVAL, "%s: the output '%s' is a variable", spec->symbol, h->node->name);
    p->head = p->ebase[hi] + h->index;
    return MX_OK;
}

static size_t entry_bytes(const fx_prep *p, int node, int k)
{
    return mx_shape_size(&p->gs.out[node][k]) * sizeof(float);
}

static int new_buf(fx_prep *p, size_t bytes, int first, int last)
{
    p->bufs[p->nbufs] = (mx_plan_buf){bytes, first, last, 0};
    return p->nbufs++;
}

/* Forward-only plan: an output lives from its step to its last reader
 * (the output to the end); output 0 takes input 0's buffer when the op
 * computes in place and nothing else reads the input; workspaces live
 * for their step. Offsets by TFLM's greedy planner (plan.c). */
static mx_status plan(fx_prep *p)
{
    int n = p->gs.n, ne = p->ebase[n];
    int *uses = calloc((size_t)(ne ? ne : 1), sizeof(int));
    p->bdata = malloc((size_t)(ne ? ne : 1) * sizeof(int));
    p->bws = malloc((size_t)n * sizeof(int));
    p->bufs = calloc((size_t)(ne + n + 1), sizeof *p->bufs);
    int most = 1;
    for (int i = 0; i < n; i++)
        if (p->gs.order[i]->ninputs > most) most = p->gs.order[i]->ninputs;
    mx_shape *in = malloc((size_t)most * sizeof *in);
    if (!uses || !in || !p->bdata || !p->bws || !p->bufs) { free(uses); free(in); return fail_oom(); }
    for (int x = 0; x < ne; x++) p->bdata[x] = -1;
    for (int i = 0; i < n; i++) {
        mx_node *nd = p->gs.order[i];
        p->bws[i] = -1;
        for (int k = 0; nd->op && k < nd->ninputs; k++)
            uses[p->ebase[mx_graph_index(&p->gs, nd->inputs[k].node)] + nd->inputs[k].index]++;
    }
    int step = 0;
    for (int i = 0; i < n; i++) {
        mx_node *nd = p->gs.order[i];
        if (!nd->op) continue;
        int src0 = -1;
        for (int k = 0; k < nd->ninputs; k++) {
            int si = mx_graph_index(&p->gs, nd->inputs[k].node), x = p->ebase[si] + nd->inputs[k].index;
            in[k] = p->gs.out[si][nd->inputs[k].index];
            if (p->bdata[x] >= 0) {
                mx_plan_buf *b = &p->bufs[p->bdata[x]];
                if (step > b->last) b->last = step;
            }
            if (k == 0) src0 = x;
        }
        size_t ws = mx_op_workspace(nd->op, &mx_cpu_kernels, nd->param, in, p->gs.out[i], 0);
        if (ws) p->bws[i] = new_buf(p, ws, step, step);
        for (int k = 0; k < nd->noutputs; k++) {
            int x = p->ebase[i] + k, last = x == p->head ? p->nops : step;
            int inplace = k == 0 && (nd->op->flags & MX_OP_INPLACE) && src0 >= 0 && p->bdata[src0] >= 0 &&
                          uses[src0] == 1 && src0 != p->head && x != p->head &&
                          mx_shape_size(&in[0]) * sizeof(float) == entry_bytes(p, i, 0);
            if (inplace) p->bdata[x] = p->bdata[src0];
            else p->bdata[x] = new_buf(p, entry_bytes(p, i, k), step, last);
        }
        step++;
    }
    free(uses);
    free(in);
    p->planned = mx_plan_assign(p->bufs, p->nbufs);
    return MX_OK;
}

mx_status fx_prep_load(fx_prep *p, const mx_fixed_spec *spec)
{
    memset(p, 0, sizeof *p);
    mx_status st = check_spec(spec);
    if (st != MX_OK) return st;
    const char *input = spec->input ? spec->input : "data";
    p->sym = mx_sym_load_json(spec->symbol);
    if (!p->sym) return MX_EFORMAT;
    if (p->sym->nout != 1)
        st = mx_set_error(MX_ENOTSUP, "%s: the symbol has %d outputs; fixed-buffer inference takes one",
                          spec->symbol, p->sym->nout);
    if (st == MX_OK) st = mx_nd_load(spec->params, &p->params);
    if (st == MX_OK) st = infer(p, spec, input);
    if (st == MX_OK) st = match_arrays(p, spec, input);
    if (st == MX_OK) st = plan(p);
    if (st != MX_OK) fx_prep_free(p);
    return st;
}

void fx_prep_free(fx_prep *p)
{
    mx_graph_shapes_free(&p->gs);
    mx_nd_list_free(&p->params);
    mx_sym_free(p->sym);
    free(p->ebase);
    free(p->var_src);
    free(p->aux_src);
    free(p->aux_base);
    free(p->bdata);
    free(p->bws);
    free(p->bufs);
    free(p->vdata);
    memset(p, 0, sizeof *p);
}
