/* executor.c — bind, the memory plan and the forward/backward loops.
 *
 * Bind works in two steps, like llm.c: first every buffer's size and
 * lifetime (steps 0..n-1 are forward nodes, n..2n-1 backward in reverse),
 * then one arena holding the bound arrays and the planned block, carved
 * into pointers. Forward and backward only walk the prepared steps. */
#include <stdlib.h>
#include <string.h>

#include "runtime/ndarray/device.h"
#include "executor_internal.h"
#include "runtime/graph/fuse.h"
#include "plan.h"

static mx_status fail_oom(void) { return mx_set_error(MX_ENOMEM, "bind: out of memory"); }

/* ---- union-find over buffer ids, for in-place sharing ---- */

static int uf_find(int *parent, int x)
{
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
}

static void uf_union(int *parent, int a, int b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a != b) parent[b] = a;
}

/* ---- the plan ---- */

typedef struct bind_state {
    mx_graph_shapes gs;
    int nnodes, nops, nentries;
    int *ebase;        /* first entry id of node i */
    int *opstep;       /* forward step of op node i (-1 for variables) */
    int *argidx;       /* argument index of variable node i */
    int *uses;         /* slots consuming entry e */
    int *head;         /* output index of entry e, or -1 */
    int *needs_grad;   /* entry e carries a gradient */
    int *run_bwd;      /* node i runs backward */
    int *ibase;        /* node i's first slot in slot_req */
    mx_req *slot_req;  /* per (node, input slot) */
    const mx_kernels *k; /* the executor's device: sizes workspaces */
    int nbufs;
    int *bdata, *bgrad, *bws; /* buffer id per entry / per node, -1 = none */
    mx_plan_buf *bufs;
    int *parent;
    mx_shape *in_shapes; /* scratch: one node's input shapes (the most any node has) */
    int slack;           /* steps every buffer's lifetime is stretched by (schedule_slack) */
} bind_state;

static int entry_of(const bind_state *s, const mx_node *nd, int k)
{
    return s->ebase[mx_graph_index(&s->gs, nd)] + k;
}

static int new_buf(bind_state *s, size_t bytes, int first, int last)
{
    int id = s->nbufs++;
    s->bufs[id] = (mx_plan_buf){bytes, first, last, 0};
    s->parent[id] = id;
    return id;
}

static void widen(mx_plan_buf *b, int step)
{
    if (step < b->first) b->first = step;
    if (step > b->last) b->last = step;
}

static void free_state(bind_state *s)
{
    mx_graph_shapes_free(&s->gs);
    free(s->ebase); free(s->opstep); free(s->argidx); free(s->uses); free(s->head);
    free(s->needs_grad); free(s->run_bwd); free(s->slot_req); free(s->ibase);
    free(s->bdata); free(s->bgrad); free(s->bws); free(s->bufs); free(s->parent);
    free(s->in_shapes);
}

static size_t entry_bytes(const bind_state *s, int node, int k)
{
    return mx_shape_size(&s->gs.out[node][k]) * sizeof(float);
}

/* argidx[i]: the position of gs's variable node i among e->sym's
 * arguments (-1 for op nodes). The steps run e->run_sym, whose variables
 * are e->sym's own nodes but may come in another order (a group node of
 * fuse.h visits all its parts' data before the shared weight), so the
 * arrays are matched by node, not by position. */
static mx_status map_args(const mx_exec *e, const mx_graph_shapes *gs, int *argidx)
{
    int n;
    mx_node **user = mx_graph_topo(e->sym, &n);
    if (!user) return fail_oom();
    for (int i = 0, a = 0; i < n; i++)
        if (!user[i]->op) user[i]->mark = ++a;
    mx_status st = MX_OK;
    for (int i = 0; i < gs->n; i++) {
        argidx[i] = gs->order[i]->op ? -1 : gs->order[i]->mark - 1;
        if (!gs->order[i]->op && argidx[i] < 0)
            st = mx_set_error(MX_EINVAL, "bind: variable '%s' of the rewritten graph is not an argument",
                              gs->order[i]->name);
    }
    for (int i = 0; i < n; i++) user[i]->mark = 0;
    free(user);
    return st;
}

/* Counts, indices and which entries carry gradients. */
static mx_status index_graph(mx_exec *e, bind_state *s)
{
    int n = s->nnodes = s->gs.n;
    s->ebase = calloc((size_t)n + 1, sizeof(int));
    s->opstep = calloc((size_t)n, sizeof(int));
    s->argidx = calloc((size_t)n, sizeof(int));
    s->run_bwd = calloc((size_t)n, sizeof(int));
    s->ibase = calloc((size_t)n + 1, sizeof(int));
    s->bws = malloc((size_t)n * sizeof(int));
    if (!s->ebase || !s->opstep || !s->argidx || !s->run_bwd || !s->ibase || !s->bws) return fail_oom();
    int most = 1;
    for (int i = 0; i < n; i++) {
        s->ibase[i + 1] = s->ibase[i] + s->gs.order[i]->ninputs;
        if (s->gs.order[i]->ninputs > most) most = s->gs.order[i]->ninputs;
    }
    s->slot_req = calloc((size_t)s->ibase[n] + 1, sizeof(mx_req));
    s->in_shapes = malloc((size_t)most * sizeof *s->in_shapes);
    if (!s->slot_req || !s->in_shapes) return fail_oom();
    mx_status st = map_args(e, &s->gs, s->argidx);
    if (st != MX_OK) return st;
    for (int i = 0; i < n; i++) {
        mx_node *nd = s->gs.order[i];
        s->ebase[i + 1] = s->ebase[i] + nd->noutputs;
        s->opstep[i] = nd->op ? s->nops++ : -1;
        s->bws[i] = -1;
    }
    int ne = s->nentries = s->ebase[n];
    s->uses = calloc((size_t)ne, sizeof(int));
    s->head = malloc((size_t)ne * sizeof(int));
    s->needs_grad = calloc((size_t)ne, sizeof(int));
    s->bdata = malloc((size_t)ne * sizeof(int));
    s->bgrad = malloc((size_t)ne * sizeof(int));
    /* data + grad per entry + one workspace per op node, at most */
    s->bufs = calloc((size_t)(2 * ne + n + 1), sizeof *s->bufs);
    s->parent = calloc((size_t)(2 * ne + n + 1), sizeof(int));
    if (!s->uses || !s->head || !s->needs_grad || !s->bdata || !s->bgrad || !s->bufs || !s->parent)
        return fail_oom();
    for (int x = 0; x < ne; x++) s->head[x] = s->bdata[x] = s->bgrad[x] = -1;
    for (int o = e->nout - 1; o >= 0; o--) s->head[entry_of(s, e->run_sym->outs[o].node, e->run_sym->outs[o].index)] = o;
    for (int i = 0; i < n; i++) {
        mx_node *nd = s->gs.order[i];
        if (!nd->op) {
            int ai = s->argidx[i];
            s->needs_grad[s->ebase[i]] = e->reqs[ai] != MX_GRAD_NULL;
            continue;
        }
        int any = 0;
        for (int k = 0; k < nd->ninputs; k++) {
            int x = entry_of(s, nd->inputs[k].node, nd->inputs[k].index);
            s->uses[x]++;
            any |= s->needs_grad[x];
        }
        s->run_bwd[i] = any;
        for (int k = 0; k < nd->noutputs; k++) s->needs_grad[s->ebase[i] + k] = any;
    }
    return MX_OK;
}

/* Write for the first gradient writer in backward order, add after. */
static void assign_reqs(mx_exec *e, bind_state *s)
{
    int *written = calloc((size_t)s->nentries, sizeof(int));
    for (int i = s->nnodes - 1; i >= 0; i--) {
        mx_node *nd = s->gs.order[i];
        if (!nd->op || !s->run_bwd[i]) continue;
        for (int k = 0; k < nd->ninputs; k++) {
            int src = mx_graph_index(&s->gs, nd->inputs[k].node);
            int x = s->ebase[src] + nd->inputs[k].index;
            mx_req r = MX_REQ_NULL;
            if (s->needs_grad[x]) {
                int user_add = !nd->inputs[k].node->op && e->reqs[s->argidx[src]] == MX_GRAD_ADD;
                int head_seeded = s->head[x] >= 0 && !(nd->inputs[k].node->op->flags & MX_OP_LOSS);
                r = (user_add || head_seeded || (written && written[x])) ? MX_REQ_ADD : MX_REQ_WRITE;
                if (written) written[x] = 1;
            }
            s->slot_req[s->ibase[i] + k] = r;
        }
    }
    free(written);
}

/* Buffers, lifetimes and in-place merges. */
static void plan_buffers(bind_state *s)
{
    int nops = s->nops;
    for (int i = 0; i < s->nnodes; i++) {
        mx_node *nd = s->gs.order[i];
        if (!nd->op) continue;
        int f = s->opstep[i], b = 2 * nops - 1 - f;
        for (int k = 0; k < nd->noutputs; k++) {
            int x = s->ebase[i] + k;
            if (s->head[x] < 0) {
                s->bdata[x] = new_buf(s, entry_bytes(s, i, k), f, f);
                if (s->run_bwd[i] && (nd->op->bwd_needs_out >> k & 1u)) widen(&s->bufs[s->bdata[x]], b);
            }
            /* No buffer (a NULL out_grad, read as zero) for a loss head or an
             * output nothing consumes: nobody would write it. */
            if (s->needs_grad[x] && (s->uses[x] > 0 || s->head[x] >= 0) &&
                !(s->head[x] >= 0 && (nd->op->flags & MX_OP_LOSS))) {
                s->bgrad[x] = new_buf(s, entry_bytes(s, i, k), b, b);
                if (s->head[x] >= 0) widen(&s->bufs[s->bgrad[x]], nops); /* seeded at backward start */
            }
        }
        size_t ws = 0;
        if (nd->op->workspace) {
            mx_shape *in = s->in_shapes;
            for (int k = 0; k < nd->ninputs; k++)
                in[k] = s->gs.out[mx_graph_index(&s->gs, nd->inputs[k].node)][nd->inputs[k].index];
            ws = mx_op_workspace(nd->op, s->k, nd->param, in, s->gs.out[i], s->run_bwd[i]);
        }
        if (ws) {
            s->bws[i] = new_buf(s, ws, f, f);
            if (s->run_bwd[i]) widen(&s->bufs[s->bws[i]], b); /* reused by backward: keep simple */
        }
        for (int k = 0; k < nd->ninputs; k++) {
            int x = entry_of(s, nd->inputs[k].node, nd->inputs[k].index);
            if (s->bdata[x] >= 0) {
                widen(&s->bufs[s->bdata[x]], f);
                if (s->run_bwd[i] && (nd->op->bwd_needs_in >> k & 1u)) widen(&s->bufs[s->bdata[x]], b);
            }
        }
    }
    /* Gradient buffers are written by their consumers' backward steps. */
    for (int i = 0; i < s->nnodes; i++) {
        mx_node *nd = s->gs.order[i];
        if (!nd->op || !s->run_bwd[i]) continue;
        int b = 2 * nops - 1 - s->opstep[i];
        for (int k = 0; k < nd->ninputs; k++) {
            int x = entry_of(s, nd->inputs[k].node, nd->inputs[k].index);
            if (s->bgrad[x] >= 0) widen(&s->bufs[s->bgrad[x]], b);
        }
    }
    /* In place, forward: output 0 takes input 0's buffer when nothing else
     * will read the input. Backward: in_grad 0 takes out_grad 0's buffer
     * when this node is the input gradient's first writer. */
    for (int i = 0; i < s->nnodes; i++) {
        mx_node *nd = s->gs.order[i];
        if (!nd->op || nd->ninputs < 1) continue;
        mx_node *src = nd->inputs[0].node;
        int si = mx_graph_index(&s->gs, src);
        int x = s->ebase[si] + nd->inputs[0].index, y = s->ebase[i];
        int same_size = entry_bytes(s, si, nd->inputs[0].index) == entry_bytes(s, i, 0);
        if ((nd->op->flags & MX_OP_INPLACE) && src->op && same_size && s->uses[x] == 1 &&
            s->bdata[x] >= 0 && s->bdata[y] >= 0 &&
            !(s->run_bwd[i] && (nd->op->bwd_needs_in & 1u)) &&
            !(s->run_bwd[si] && (src->op->bwd_needs_out >> nd->inputs[0].index & 1u)))
            uf_union(s->parent, s->bdata[x], s->bdata[y]);
        if ((nd->op->flags & MX_OP_BWD_INPLACE) && s->run_bwd[i] && src->op && same_size &&
            s->bgrad[x] >= 0 && s->bgrad[y] >= 0 && s->slot_req[s->ibase[i]] == MX_REQ_WRITE)
            uf_union(s->parent, s->bgrad[x], s->bgrad[y]);
    }
}

/* Plans merged buffers; returns the block size and the naive sum. */
static size_t assign_offsets(bind_state *s, size_t *naive)
{
    *naive = 0;
    int *root_slot = malloc((size_t)(s->nbufs ? s->nbufs : 1) * sizeof(int));
    mx_plan_buf *roots = calloc((size_t)(s->nbufs ? s->nbufs : 1), sizeof *roots);
    if (!root_slot || !roots) { free(root_slot); free(roots); return (size_t)-1; }
    int nroots = 0;
    for (int id = 0; id < s->nbufs; id++) {
        *naive += mx_arena_round(s->bufs[id].bytes);
        if (uf_find(s->parent, id) == id) { root_slot[id] = nroots; roots[nroots++] = s->bufs[id]; }
    }
    for (int id = 0; id < s->nbufs; id++) {
        int r = uf_find(s->parent, id);
        if (r == id) continue;
        mx_plan_buf *rb = &roots[root_slot[r]];
        if (s->bufs[id].bytes > rb->bytes) rb->bytes = s->bufs[id].bytes;
        widen(rb, s->bufs[id].first);
        widen(rb, s->bufs[id].last);
    }
    for (int r = 0; r < nroots; r++) roots[r].last += s->slack;
    size_t total = mx_plan_assign(roots, nroots);
    for (int id = 0; id < s->nbufs; id++) s->bufs[id].offset = roots[root_slot[uf_find(s->parent, id)]].offset;
    free(root_slot);
    free(roots);
    return total;
}

/* ---- building the steps ---- */

static float *buf_ptr(mx_exec *e, const bind_state *s, int id)
{
    return id < 0 ? NULL : (float *)(e->planned_base + s->bufs[id].offset);
}

static mx_status build_steps(mx_exec *e, bind_state *s)
{
    size_t ntensors = 0;
    for (int i = 0; i < s->nnodes; i++) {
        mx_node *nd = s->gs.order[i];
        if (nd->op) ntensors += (size_t)(2 * nd->ninputs + 2 * nd->noutputs + nd->naux);
    }
    e->steps = calloc((size_t)(s->nops ? s->nops : 1), sizeof *e->steps);
    e->tensors = calloc(ntensors ? ntensors : 1, sizeof *e->tensors);
    e->step_reqs = calloc((size_t)s->ibase[s->nnodes] + 1, sizeof *e->step_reqs);
    if (!e->steps || !e->tensors || !e->step_reqs) return fail_oom();
    mx_tensor *t = e->tensors;
    int aux_base = 0;
    for (int i = 0; i < s->nnodes; i++) {
        mx_node *nd = s->gs.order[i];
        if (!nd->op) continue;
        mx_step *st = &e->steps[e->nsteps++];
        st->op = nd->op;
        st->param = nd->param;
        st->name = nd->name;
        st->nin = nd->ninputs;
        st->nout = nd->noutputs;
        st->naux = nd->naux;
        st->run_bwd = s->run_bwd[i];
        st->req = e->step_reqs + s->ibase[i];
        st->in = t; t += st->nin;
        st->in_grad = t; t += st->nin;
        st->out = t; t += st->nout;
        st->out_grad = t; t += st->nout;
        st->aux = t; t += st->naux;
        st->workspace = buf_ptr(e, s, s->bws[i]);
        st->ws_bytes = s->bws[i] >= 0 ? s->bufs[s->bws[i]].bytes : 0;
        for (int k = 0; k < st->nin; k++) {
            mx_node *src = nd->inputs[k].node;
            int si = mx_graph_index(&s->gs, src), ki = nd->inputs[k].index, x = s->ebase[si] + ki;
            st->in[k].shape = s->gs.out[si][ki];
            st->in_grad[k].shape = st->in[k].shape;
            st->req[k] = s->slot_req[s->ibase[i] + k];
            if (!src->op) {
                int ai = s->argidx[si];
                st->in[k].data = mx_nd_data(e->args[ai]);
                st->in_grad[k].data = e->grads[ai] && st->req[k] ? mx_nd_data(e->grads[ai]) : NULL;
            } else {
                st->in[k].data = s->head[x] >= 0 ? mx_nd_data(e->outputs[s->head[x]]) : buf_ptr(e, s, s->bdata[x]);
                st->in_grad[k].data = st->req[k] ? buf_ptr(e, s, s->bgrad[x]) : NULL;
            }
        }
        for (int k = 0; k < st->nout; k++) {
            int x = s->ebase[i] + k;
            st->out[k].shape = st->out_grad[k].shape = s->gs.out[i][k];
            st->out[k].data = s->head[x] >= 0 ? mx_nd_data(e->outputs[s->head[x]]) : buf_ptr(e, s, s->bdata[x]);
            st->out_grad[k].data = buf_ptr(e, s, s->bgrad[x]);
            if (s->head[x] >= 0 && s->bgrad[x] >= 0) {
                mx_head_seed *hs = &e->seeds[e->nseeds++];
                hs->output = s->head[x];
                hs->dst = st->out_grad[k].data;
            }
        }
        for (int k = 0; k < st->naux; k++) {
            st->aux[k].shape = s->gs.aux[i][k];
            st->aux[k].data = mx_nd_data(e->aux[aux_base + k]);
        }
        aux_base += st->naux;
    }
    return MX_OK;
}

/* ---- bind ---- */

static mx_exec *exec_new(const mx_sym *sym, mx_ctx ctx)
{
    const mx_kernels *k = mx_kernels_for(ctx);
    if (!k) return NULL;
    mx_engine *eng = mx_engine_default();
    if (!eng) return NULL;
    mx_exec *e = calloc(1, sizeof *e);
    if (!e) { fail_oom(); return NULL; }
    e->sym = e->run_sym = mx_sym_copy(sym);
    if (!e->sym) { free(e); fail_oom(); return NULL; }
    e->ctx = ctx;
    e->k = k;
    e->eng = eng;
    const char *prof = getenv("MX_PROFILE");
    e->profile = prof && *prof && strcmp(prof, "0") != 0;
    e->graphs = -1;
    if (mx_exec_schedule_env(e) != MX_OK) {
        mx_exec_free(e);
        return NULL;
    }
    /* Derived from the global generator without advancing it, so binding
     * (one executor or one per context) never changes what the
     * initializer draws after it; contexts get different streams. */
    mx_rng peek = *mx_rng_global();
    mx_rng_seed(&e->rng, mx_rng_next(&peek) ^ (0x9e3779b97f4a7c15ULL * (uint64_t)(ctx.dev_id + 1)));
    e->nargs = mx_list_arguments(e->sym, &e->arg_names);
    if (!e->arg_names) { mx_exec_free(e); fail_oom(); return NULL; } /* (NULL only when out of memory) */
    e->nout = sym->nout;
    e->naux = mx_list_auxiliary_states(e->sym, NULL, 0);
    if (e->naux < 0) { e->naux = 0; mx_exec_free(e); fail_oom(); return NULL; }
    e->aux_names = calloc((size_t)(e->naux ? e->naux : 1), sizeof *e->aux_names);
    e->args = calloc((size_t)(e->nargs ? e->nargs : 1), sizeof *e->args);
    e->grads = calloc((size_t)(e->nargs ? e->nargs : 1), sizeof *e->grads);
    e->reqs = calloc((size_t)(e->nargs ? e->nargs : 1), sizeof *e->reqs);
    e->aux = calloc((size_t)(e->naux ? e->naux : 1), sizeof *e->aux);
    e->outputs = calloc((size_t)(e->nout ? e->nout : 1), sizeof *e->outputs);
    e->head_src = calloc((size_t)(e->nout ? e->nout : 1), sizeof *e->head_src);
    e->seeds = calloc((size_t)(e->nout ? e->nout : 1), sizeof *e->seeds);
    if (!e->sym || !e->aux_names || !e->args || !e->grads || !e->reqs || !e->aux || !e->outputs ||
        !e->head_src || !e->seeds) {
        mx_exec_free(e);
        fail_oom();
        return NULL;
    }
    if (mx_list_auxiliary_states(e->sym, e->aux_names, e->naux) != e->naux) {
        mx_exec_free(e);
        fail_oom();
        return NULL;
    }
    return e;
}

/* Data bytes of the arrays the executor owns besides the planned block;
 * *nhandles gets their count. */
static size_t owned_bytes(const mx_exec *e, const bind_state *s, int own_args, size_t *nhandles)
{
    size_t total = 0, n = 0;
    for (int o = 0; o < e->nout; o++) {
        const mx_entry *h = &e->run_sym->outs[o];
        mx_shape sh = s->gs.out[mx_graph_index(&s->gs, h->node)][h->index];
        total += 2 * mx_arena_round(mx_shape_size(&sh) * sizeof(float)); /* output + head grad */
        n += 2;
    }
    if (own_args) {
        for (int i = 0; i < s->nnodes; i++) {
            mx_node *nd = s->gs.order[i];
            if (!nd->op) {
                total += 2 * mx_arena_round(mx_shape_size(&s->gs.out[i][0]) * sizeof(float));
                n += 2;
            }
            for (int k = 0; k < nd->naux; k++, n++) total += mx_arena_round(mx_shape_size(&s->gs.aux[i][k]) * sizeof(float));
        }
    }
    *nhandles = n;
    return total;
}

/* An array handed to bind must live where the executor runs. */
static mx_status same_ctx(const mx_exec *e, const mx_nd *a, const char *what, const char *name)
{
    mx_ctx c = mx_nd_context(a);
    if (c.dev_type == e->ctx.dev_type && (c.dev_type == MX_CPU || c.dev_id == e->ctx.dev_id)) return MX_OK;
    char x[16], y[16];
    return mx_set_error(MX_EINVAL, "bind: %s '%s' is on %s but the executor runs on %s", what, name,
                        mx_ctx_str(c, x, sizeof x), mx_ctx_str(e->ctx, y, sizeof y));
}

/* 1 when sym has as many arguments as e (map_args matches them by node:
 * a rewrite keeps the variable nodes) and exactly e's aux states in
 * order (the steps take aux arrays by position). */
static int same_inputs(const mx_exec *e, const mx_sym *sym)
{
    const char *const *names;
    int n = mx_list_arguments(sym, &names);
    if (!names || n != e->nargs) return 0;
    if (mx_list_auxiliary_states(sym, NULL, 0) != e->naux) return 0;
    const char **aux = calloc((size_t)(e->naux ? e->naux : 1), sizeof *aux);
    int same = aux && mx_list_auxiliary_states(sym, aux, e->naux) == e->naux;
    for (int i = 0; same && i < e->naux; i++) same = !strcmp(aux[i], e->aux_names[i]);
    free(aux);
    return same;
}

/* The steps run f (a rewrite of e->run_sym), inferred again from the
 * same inputs, unless it does not keep the inputs or does not infer: then
 * it is dropped (the graph before it is always correct). */
static void adopt(mx_exec *e, bind_state *s, mx_sym *f, int n, const char *const *names, const mx_shape *shapes)
{
    mx_graph_shapes gs;
    memset(&gs, 0, sizeof gs);
    if (!same_inputs(e, f) || mx_graph_infer(f, n, names, shapes, &gs) != MX_OK) {
        mx_graph_shapes_free(&gs);
        mx_sym_free(f);
        mx_clear_error();
        return;
    }
    mx_graph_shapes_free(&s->gs);
    s->gs = gs;
    if (e->fused) mx_sym_free(e->fused); /* f holds the nodes it shares with it */
    e->fused = e->run_sym = f;
}

/* Runs the graph rewrites of fuse.h on the inferred graph, one after the
 * other: LSTM cells, then FullyConnected groups. */
static mx_status fuse_graph(mx_exec *e, bind_state *s, int n, const char *const *names, const mx_shape *shapes)
{
    int count;
    mx_sym *f = mx_fuse_lstm_cells(e->sym, &s->gs, e->k, &count);
    if (!f && count) return MX_ENOMEM;
    if (f) adopt(e, s, f, n, names, shapes);
    f = mx_fuse_fc_groups(e->run_sym, &s->gs, e->k, &count);
    if (!f && count) return MX_ENOMEM;
    if (f) adopt(e, s, f, n, names, shapes);
    return MX_OK;
}

/* The graph's width: op nodes over the longest chain of them, each
 * counted once (the forward data flow, from the symbol). A chain (the
 * MLP, LeNet) has width 1; the char-LSTM's unrolled steps about 4. */
static double graph_width(const bind_state *s)
{
    int *level = calloc((size_t)(s->nnodes ? s->nnodes : 1), sizeof *level);
    if (!level) return 1.0;
    int depth = 0;
    for (int i = 0; i < s->nnodes; i++) {
        const mx_node *nd = s->gs.order[i];
        if (!nd->op) continue;
        int l = 0;
        for (int k = 0; k < nd->ninputs; k++) {
            int j = mx_graph_index(&s->gs, nd->inputs[k].node);
            if (level[j] > l) l = level[j];
        }
        level[i] = l + 1;
        if (level[i] > depth) depth = level[i];
    }
    free(level);
    return depth ? (double)s->nops / depth : 1.0;
}

/* Decides, before buffers are placed, whether the steps may run side by
 * side (schedule.c) and so how far the planner must keep buffers apart.
 * The planner reuses a buffer as soon as its last reader is done in the
 * sequential order; run by dependency, such reuse is still correct (the
 * reusing step waits for every earlier reader) but serialises steps that
 * could overlap. Stretching every lifetime by a few graph levels' worth
 * of steps keeps reuse between steps that are far apart anyway: on the
 * char-LSTM 8 steps per unit of width (40) cost 3.2 MB over 13.9 and
 * removed 94% of the forward dependency edges. Narrow graphs (width under 3/4
 * of the threads) keep the tight plan and the sequential schedule. */
static void schedule_slack(mx_exec *e, bind_state *s)
{
    e->sched_width = graph_width(s);
    int threads = mx_engine_threads(e->eng);
    int wide = e->sched_width >= 0.75 * (threads > 1 ? threads : 2);
    /* Plans (mx_exec_init_schedule) for a forced schedule, or in auto for a
     * wide graph with several threads: nothing to gain otherwise. */
    e->sched_plan = e->ctx.dev_type == MX_CPU && e->sched_mode != MX_SCHEDULE_SEQUENTIAL &&
                    (e->sched_mode != MX_SCHEDULE_AUTO || (threads > 1 && wide));
    if (!e->sched_plan || !wide) return;
    int slack = 8 * (int)(e->sched_width + 0.999);
    s->slack = slack < 2 * s->nops ? slack : 2 * s->nops;
}

/* Everything between shape inference and the arena: indices, requests,
 * buffers, in-place merges and offsets. */
static mx_status plan_graph(mx_exec *e, bind_state *s)
{
    s->k = e->k;
    mx_status st = index_graph(e, s);
    if (st != MX_OK) return st;
    assign_reqs(e, s);
    plan_buffers(s);
    schedule_slack(e, s);
    size_t naive;
    size_t planned = assign_offsets(s, &naive);
    if (planned == (size_t)-1) return fail_oom();
    e->planned = planned;
    e->naive = naive;
    return MX_OK;
}

mx_exec *mx_bind(const mx_sym *sym, mx_ctx ctx, mx_nd *const *args, mx_nd *const *arg_grads,
                 const mx_grad_req *reqs, mx_nd *const *aux)
{
    mx_exec *e = exec_new(sym, ctx);
    if (!e) return NULL;
    bind_state s;
    memset(&s, 0, sizeof s);
    mx_shape *shapes = calloc((size_t)(e->nargs ? e->nargs : 1), sizeof *shapes);
    mx_status st = shapes ? MX_OK : fail_oom();
    for (int i = 0; st == MX_OK && i < e->nargs; i++) {
        if (!args || !args[i]) { st = mx_set_error(MX_EINVAL, "bind: argument '%s' has no array", e->arg_names[i]); break; }
        e->args[i] = args[i];
        e->grads[i] = arg_grads ? arg_grads[i] : NULL;
        e->reqs[i] = reqs ? reqs[i] : (e->grads[i] ? MX_GRAD_WRITE : MX_GRAD_NULL);
        if (e->reqs[i] != MX_GRAD_NULL && !e->grads[i])
            st = mx_set_error(MX_EINVAL, "bind: argument '%s' asks for a gradient but has no gradient array", e->arg_names[i]);
        shapes[i] = mx_nd_shape(args[i]);
        if (st == MX_OK) st = same_ctx(e, args[i], "argument", e->arg_names[i]);
        if (st == MX_OK && e->grads[i]) st = same_ctx(e, e->grads[i], "gradient of", e->arg_names[i]);
        if (st == MX_OK && e->grads[i]) {
            mx_shape gsh = mx_nd_shape(e->grads[i]);
            if (!mx_shape_equal(&gsh, &shapes[i])) {
                char a[128], b[128];
                st = mx_set_error(MX_EINVAL, "bind: gradient of '%s' has shape %s, argument has %s", e->arg_names[i],
                                  mx_shape_str(&gsh, a, sizeof a), mx_shape_str(&shapes[i], b, sizeof b));
            }
        }
    }
    if (st == MX_OK) st = mx_graph_infer(sym, e->nargs, e->arg_names, shapes, &s.gs);
    if (st == MX_OK) st = fuse_graph(e, &s, e->nargs, e->arg_names, shapes);
    free(shapes);
    if (st == MX_OK) st = plan_graph(e, &s);
    size_t nh = 0, db = 0;
    if (st == MX_OK) db = owned_bytes(e, &s, 0, &nh);
    if (st == MX_OK) st = mx_exec_allocate(e, &s.gs, s.argidx, nh, db, 0);
    for (int i = 0; st == MX_OK && i < e->naux; i++) {
        if (!aux || !aux[i]) { st = mx_set_error(MX_EINVAL, "bind: auxiliary state '%s' has no array", e->aux_names[i]); break; }
        st = same_ctx(e, aux[i], "auxiliary state", e->aux_names[i]);
        e->aux[i] = aux[i];
    }
    if (st == MX_OK) st = build_steps(e, &s);
    if (st == MX_OK) st = mx_exec_init_schedule(e);
    free_state(&s);
    if (st != MX_OK) { mx_exec_free(e); return NULL; }
    return e;
}

mx_exec *mx_simple_bind(const mx_sym *sym, mx_ctx ctx, int n, const char *const *names,
                        const mx_shape *shapes, const mx_grad_req *reqs)
{
    return mx_simple_bind_ex(sym, ctx, n, names, shapes, reqs, 0);
}

mx_exec *mx_simple_bind_ex(const mx_sym *sym, mx_ctx ctx, int n, const char *const *names,
                           const mx_shape *shapes, const mx_grad_req *reqs, size_t extra_bytes)
{
    mx_exec *e = exec_new(sym, ctx);
    if (!e) return NULL;
    bind_state s;
    memset(&s, 0, sizeof s);
    mx_status st = mx_graph_infer(sym, n, names, shapes, &s.gs);
    for (int i = 0; st == MX_OK && i < e->nargs; i++) {
        int named = 0;
        for (int j = 0; j < n; j++) named |= !strcmp(names[j], e->arg_names[i]);
        e->reqs[i] = reqs ? reqs[i] : (named ? MX_GRAD_NULL : MX_GRAD_WRITE);
    }
    if (st == MX_OK) st = fuse_graph(e, &s, n, names, shapes);
    if (st == MX_OK) st = plan_graph(e, &s);
    size_t nh = 0, db = 0;
    if (st == MX_OK) db = owned_bytes(e, &s, 1, &nh);
    if (st == MX_OK) st = mx_exec_allocate(e, &s.gs, s.argidx, nh, db + mx_arena_round(extra_bytes), 1);
    if (st == MX_OK && extra_bytes && !(e->extra = mx_arena_alloc(e->data, extra_bytes))) st = MX_ENOMEM;
    if (st == MX_OK && extra_bytes) st = mx_dev_zero(e->ctx, e->extra, extra_bytes);
    if (st == MX_OK) st = build_steps(e, &s);
    if (st == MX_OK) st = mx_exec_init_schedule(e);
    free_state(&s);
    if (st != MX_OK) { mx_exec_free(e); return NULL; }
    return e;
}
