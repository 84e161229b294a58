/* fuse_fc.c — FullyConnected grouping. An unrolled RNN applies the same
 * layer once per time step: the char-LSTM's input projections of both
 * layers and its output layer are 3 × 32 FullyConnected nodes a batch,
 * each a GEMM of only 32 rows, and in backward two more GEMMs and a bias
 * sum each. On a GPU every one of those is a launch of a few microseconds
 * with little work in it, and they were most of a training step. The
 * steps of one layer that do not depend on one another (every projection
 * whose input is computed without the layer's own outputs: not h2h,
 * whose input is the previous step's output) become one _FCGroup node
 * (ops/fc_group.c) that runs one GEMM over all their rows.
 *
 * Parts must share the weight and bias entries, num_hidden and no_bias,
 * and take 2-D data of one shape. Independence is checked on the graph:
 * no part's data may depend on another candidate's output, so the group
 * node cannot close a cycle. The new graph is built in the topological
 * order of the graph with each group contracted to one node (Kahn's
 * algorithm), since the group must exist before the first consumer of any
 * of its parts. */
#include "fuse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/ops/ops.h"

typedef struct fc_group {
    int n;
    int member[MX_FC_GROUP_MAX]; /* node indices, in topological order */
    mx_node *node;               /* the _FCGroup, once built */
} fc_group;

typedef struct group_state {
    const mx_graph_shapes *gs;
    int n;
    int *group;  /* node i: the group it is a part of, or -1 */
    int *part;   /* and its part index */
    fc_group *groups;
    int ngroups;
    mx_node **nn; /* node i's counterpart in the new graph */
    int *created; /* 1 when this pass made nn[i] */
} group_state;

static int idx(const mx_node *nd) { return nd->mark - 1; }

static const mx_shape *data_shape(const group_state *g, const mx_node *nd)
{
    return &g->gs->out[idx(nd->inputs[0].node)][nd->inputs[0].index];
}

/* 1 when node i is a FullyConnected on 2-D data. */
static int candidate(const group_state *g, int i)
{
    const mx_node *nd = g->gs->order[i];
    return nd->op == &mx_op_fully_connected && data_shape(g, nd)->ndim == 2;
}

/* 1 when FullyConnected nodes a and b compute the same layer: the same
 * weight and bias entries, parameters and data shape. */
static int same_layer(const group_state *g, const mx_node *a, const mx_node *b)
{
    int ha, na, fa, hb, nb, fb;
    mx_fc_params(a->param, &ha, &na, &fa);
    mx_fc_params(b->param, &hb, &nb, &fb);
    if (ha != hb || na != nb || a->ninputs != b->ninputs) return 0;
    for (int k = 1; k < a->ninputs; k++)
        if (a->inputs[k].node != b->inputs[k].node || a->inputs[k].index != b->inputs[k].index) return 0;
    return mx_shape_equal(data_shape(g, a), data_shape(g, b));
}

/* Of the candidates m[0..nm) (one layer, topological order), the ones
 * whose data depends on none of them go into a new group when there are
 * two or more. dep[x] (scratch, n entries) gets the set of candidates node
 * x depends on, as bits, over the nodes from m[0] to m[nm-1]. */
static void take_independent(group_state *g, const int *m, int nm, uint64_t *dep)
{
    mx_node *const *order = g->gs->order;
    int first = m[0], last = m[nm - 1], q = 0;
    for (int x = first; x <= last; x++) {
        dep[x] = 0;
        mx_node *nd = order[x];
        for (int k = 0; k < nd->ninputs; k++) {
            int u = idx(nd->inputs[k].node);
            if (u >= first) dep[x] |= dep[u];
        }
        if (q < nm && m[q] == x) dep[x] |= (uint64_t)1 << q++;
    }
    fc_group *grp = &g->groups[g->ngroups];
    grp->n = 0;
    for (q = 0; q < nm; q++) {
        int u = idx(order[m[q]]->inputs[0].node);
        if (u < first || dep[u] == 0) grp->member[grp->n++] = m[q];
    }
    if (grp->n < 2) return;
    for (int p = 0; p < grp->n; p++) {
        g->group[grp->member[p]] = g->ngroups;
        g->part[grp->member[p]] = p;
    }
    g->ngroups++;
}

/* Marks, scratch and the groups. */
static int find_groups(group_state *g)
{
    int n = g->n = g->gs->n;
    g->group = malloc((size_t)(n ? n : 1) * sizeof *g->group);
    g->part = calloc((size_t)(n ? n : 1), sizeof *g->part);
    g->groups = calloc((size_t)n / 2 + 1, sizeof *g->groups);
    uint64_t *dep = calloc((size_t)(n ? n : 1), sizeof *dep);
    unsigned char *seen = calloc((size_t)(n ? n : 1), 1);
    int ok = g->group && g->part && g->groups && dep && seen;
    for (int i = 0; ok && i < n; i++) {
        g->gs->order[i]->mark = i + 1;
        g->group[i] = -1;
    }
    for (int i = 0; ok && i < n; i++) {
        if (seen[i] || !candidate(g, i)) continue;
        int m[MX_FC_GROUP_MAX], nm = 0;
        for (int j = i; j < n && nm < MX_FC_GROUP_MAX; j++)
            if (!seen[j] && candidate(g, j) && same_layer(g, g->gs->order[i], g->gs->order[j])) {
                m[nm++] = j;
                seen[j] = 1;
            }
        if (nm >= 2) take_independent(g, m, nm, dep);
    }
    free(dep);
    free(seen);
    return ok;
}

/* Where entry e of the old graph is in the new one. */
static mx_entry remap(const group_state *g, mx_entry e)
{
    int i = idx(e.node);
    if (g->group[i] >= 0) return (mx_entry){g->groups[g->group[i]].node, g->part[i]};
    return (mx_entry){g->nn[i], e.index};
}

/* The _FCGroup of group q over its parts' (already built) inputs. */
static mx_node *build_group(group_state *g, int q)
{
    fc_group *grp = &g->groups[q];
    const mx_node *first = g->gs->order[grp->member[0]];
    mx_fc_group_param *p = malloc(sizeof *p);
    if (!p) return NULL;
    int flatten;
    p->parts = grp->n;
    mx_fc_params(first->param, &p->num_hidden, &p->no_bias, &flatten);
    mx_entry in[MX_NODE_MAX_INPUTS];
    for (int t = 0; t < grp->n; t++) in[t] = remap(g, g->gs->order[grp->member[t]]->inputs[0]);
    for (int k = 1; k < first->ninputs; k++) in[grp->n + k - 1] = remap(g, first->inputs[k]);
    char name[256];
    snprintf(name, sizeof name, "%s_x%d", first->name, grp->n);
    mx_node *node = mx_node_new_op(&mx_op_fc_group, name, p, grp->n + first->ninputs - 1, in);
    if (!node) free(p);
    return grp->node = node;
}

/* Node i's counterpart: itself, or a copy over remapped inputs. */
static int build_node(group_state *g, int i)
{
    mx_node *nd = g->gs->order[i];
    g->nn[i] = nd;
    if (!nd->op) return 1;
    mx_entry *in = malloc((size_t)nd->ninputs * sizeof *in + 1);
    if (!in) return 0;
    int same = 1;
    for (int k = 0; k < nd->ninputs; k++) {
        in[k] = remap(g, nd->inputs[k]);
        same &= in[k].node == nd->inputs[k].node && in[k].index == nd->inputs[k].index;
    }
    if (!same) g->created[i] = (g->nn[i] = mx_fuse_clone_node(nd, in)) != NULL;
    free(in);
    return g->nn[i] != NULL;
}

/* Builds every node in a topological order of the contracted graph:
 * super node s < n is node s, n + q is group q. Returns 0 when out of
 * memory, -1 on a cycle (which take_independent rules out). */
static int rebuild(group_state *g)
{
    int n = g->n, ns = n + g->ngroups, ok = 0;
    int *indeg = calloc((size_t)ns + 1, sizeof *indeg), *start = calloc((size_t)ns + 2, sizeof *start);
    int *queue = malloc((size_t)ns * sizeof *queue), nedges = 0, *edge = NULL;
    if (!indeg || !start || !queue) goto out;
    mx_node *const *order = g->gs->order;
#define SID(i) (g->group[i] >= 0 ? n + g->group[i] : (i))
    for (int i = 0; i < n; i++)
        for (int k = 0; k < order[i]->ninputs; k++) {
            start[SID(idx(order[i]->inputs[k].node)) + 1]++;
            indeg[SID(i)]++;
            nedges++;
        }
    for (int s = 0; s < ns; s++) start[s + 1] += start[s];
    if (!(edge = malloc((size_t)(nedges ? nedges : 1) * sizeof *edge))) goto out;
    int *fill = calloc((size_t)ns + 1, sizeof *fill);
    if (!fill) goto out;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < order[i]->ninputs; k++) {
            int s = SID(idx(order[i]->inputs[k].node));
            edge[start[s] + fill[s]++] = SID(i);
        }
    free(fill);
    int head = 0, tail = 0, live = 0;
    for (int s = 0; s < ns; s++) {
        if (s < n && g->group[s] >= 0) continue; /* a part: its group stands for it */
        live++;
        if (!indeg[s]) queue[tail++] = s;
    }
#undef SID
    ok = 1;
    while (ok && head < tail) {
        int s = queue[head++];
        ok = s < n ? build_node(g, s) : build_group(g, s - n) != NULL;
        for (int e = start[s]; ok && e < start[s + 1]; e++)
            if (--indeg[edge[e]] == 0) queue[tail++] = edge[e];
    }
    if (ok && tail != live) ok = -1;
out:
    free(indeg);
    free(start);
    free(queue);
    free(edge);
    return ok;
}

mx_sym *mx_fuse_fc_groups(const mx_sym *sym, const mx_graph_shapes *gs, const mx_kernels *k, int *ngroups)
{
    *ngroups = 0;
    const char *all = getenv("MX_FUSE"), *env = getenv("MX_FUSE_FC");
    if ((all && !strcmp(all, "0")) || (env && !strcmp(env, "0"))) return NULL;
    if (!k->fc_groups && !(env && !strcmp(env, "1"))) return NULL;
    group_state g = {.gs = gs};
    mx_sym *out = NULL;
    int ok = find_groups(&g), built = 0;
    if (ok && g.ngroups > 0) {
        g.nn = calloc((size_t)g.n, sizeof *g.nn);
        g.created = calloc((size_t)g.n, sizeof *g.created);
        built = g.nn && g.created ? rebuild(&g) : 0;
        if (built == 1) {
            mx_entry *outs = malloc((size_t)(sym->nout ? sym->nout : 1) * sizeof *outs);
            for (int o = 0; outs && o < sym->nout; o++) outs[o] = remap(&g, sym->outs[o]);
            out = outs ? mx_sym_from_entries(sym->nout, outs) : NULL;
            free(outs);
        }
        /* the symbol holds what it needs; drop this pass's own references */
        for (int i = 0; g.created && i < g.n; i++)
            if (g.created[i] && g.nn[i]) mx_node_release(g.nn[i]);
        for (int q = 0; q < g.ngroups; q++)
            if (g.groups[q].node) mx_node_release(g.groups[q].node);
    }
    *ngroups = g.ngroups;
    if (built == -1) {
        *ngroups = 0; /* not expected: keep the graph as it is */
    } else if (!ok || (g.ngroups > 0 && !out)) {
        mx_set_error(MX_ENOMEM, "bind: out of memory grouping FullyConnected nodes");
        *ngroups = ok ? g.ngroups : 1;
    }
    for (int i = 0; i < gs->n; i++) gs->order[i]->mark = 0;
    free(g.nn);
    free(g.created);
    free(g.group);
    free(g.part);
    free(g.groups);
    return out;
}
