/* fuse.c — the LSTM-cell fusion. An unrolled LSTM (lstm.c, MXNet.jl's
 * lstm.jl) spends eleven nodes per cell and step on elementwise work:
 *   P = _Plus(i2h, h2h);  S = SliceChannel(P, 4);  A_q = Activation(S_q)
 *   M_ig = _Mul(A_i, A_g);  M_f = _Mul(A_f, c_prev);  C = _Plus(M_f, M_ig)
 *   T = Activation(C, tanh);  H = _Mul(A_o, T)
 * On a GPU each node is at least one launch (the char-LSTM step was ~3,000
 * of them), on the CPU one pass over memory. Matching that pattern and
 * binding one _FusedLSTMCell per cell instead keeps the symbol (and so
 * graphviz and symbol JSON) MXNet's while the executor runs two kernels.
 *
 * The roles are found from the structure, not from names or slice order:
 * g is the one tanh gate, i the σ gate multiplied with it, f the σ gate
 * multiplied with the previous cell state, o the one left; operands may
 * come in either order. Every intermediate must have exactly one consumer
 * and not be an output of the symbol, so nothing else can observe what
 * the fused node no longer computes; C and H may be used anywhere. */
#include "fuse.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/ops/ops.h"

typedef struct cell {
    int p, s, a[4], mig, mf, c, t, h; /* node indices */
    mx_entry c_prev;
    int gate[4];                      /* slice index of role i, g, f, o */
    mx_node *fused;
} cell;

typedef struct fuse_state {
    const mx_graph_shapes *gs;
    int n;
    int *ebase;    /* first entry of node i */
    int *uses;     /* consumers of entry e, plus one per symbol output */
    int *consumer; /* a consumer node of entry e (the one, when uses is 1) */
    int *role;     /* node i: -1 kept, -2 absorbed, ≥ 0 the cell whose C or H it is */
    cell *cells;
    int ncells;
} fuse_state;

static int idx(const mx_node *nd) { return nd->mark - 1; }

static int entry(const fuse_state *f, mx_entry e) { return f->ebase[idx(e.node)] + e.index; }

/* The node index consuming node i's output k when it is its only use. */
static int sole_consumer(const fuse_state *f, int i, int k)
{
    int e = f->ebase[i] + k;
    return f->uses[e] == 1 ? f->consumer[e] : -1;
}

static int is_op(const fuse_state *f, int i, const mx_op_def *op) { return i >= 0 && f->gs->order[i]->op == op; }

/* Index of the gate among a[0..3] whose activation node is j, or -1. */
static int gate_of(const cell *c, int j)
{
    for (int q = 0; q < 4; q++)
        if (c->a[q] == j) return q;
    return -1;
}

/* Matches the cell whose SliceChannel is node s; fills c. */
static int match(const fuse_state *f, int s, cell *c)
{
    mx_node *const *order = f->gs->order;
    mx_node *sn = order[s];
    if (sn->op != &mx_op_slice_channel || sn->noutputs != 4) return 0;
    const mx_shape *x = &f->gs->out[idx(sn->inputs[0].node)][sn->inputs[0].index];
    int axis, squeeze;
    if (x->ndim != 2 || mx_slice_channel_layout(sn->param, 2, &axis, &squeeze) != 4 || axis != 1 || squeeze)
        return 0;
    memset(c, -1, sizeof *c);
    c->fused = NULL;
    c->s = s;
    c->p = idx(sn->inputs[0].node);
    if (!is_op(f, c->p, &mx_op_plus) || sole_consumer(f, c->p, 0) != s) return 0;
    int ntanh = 0, g = -1;
    for (int q = 0; q < 4; q++) {
        c->a[q] = sole_consumer(f, s, q);
        if (!is_op(f, c->a[q], &mx_op_activation)) return 0;
        mx_act k = mx_activation_kind(order[c->a[q]]->param);
        if (k == MX_ACT_TANH) ntanh++, g = q;
        else if (k != MX_ACT_SIGMOID) return 0;
    }
    if (ntanh != 1) return 0;
    /* M_ig = A_i · A_g */
    c->mig = sole_consumer(f, c->a[g], 0);
    if (!is_op(f, c->mig, &mx_op_mul)) return 0;
    mx_node *m = order[c->mig];
    int i = gate_of(c, idx(m->inputs[0].node) == c->a[g] ? idx(m->inputs[1].node) : idx(m->inputs[0].node));
    if (i < 0 || i == g || sole_consumer(f, c->a[i], 0) != c->mig) return 0;
    /* C = M_f + M_ig, M_f = A_f · c_prev */
    c->c = sole_consumer(f, c->mig, 0);
    if (!is_op(f, c->c, &mx_op_plus)) return 0;
    mx_node *cn = order[c->c];
    mx_entry other = idx(cn->inputs[0].node) == c->mig ? cn->inputs[1] : cn->inputs[0];
    c->mf = idx(other.node);
    if (c->mf == c->mig || !is_op(f, c->mf, &mx_op_mul) || sole_consumer(f, c->mf, 0) != c->c) return 0;
    mx_node *mf = order[c->mf];
    int fq = -1;
    for (int side = 0; side < 2 && fq < 0; side++) {
        int q = gate_of(c, idx(mf->inputs[side].node));
        if (q >= 0 && q != g && q != i && sole_consumer(f, c->a[q], 0) == c->mf) {
            fq = q;
            c->c_prev = mf->inputs[1 - side];
        }
    }
    if (fq < 0) return 0;
    int o = 6 - g - i - fq; /* the remaining one of 0..3 */
    /* H = A_o · T, T = tanh(C) */
    c->h = sole_consumer(f, c->a[o], 0);
    if (!is_op(f, c->h, &mx_op_mul) || c->h == c->mig || c->h == c->mf) return 0;
    mx_node *hn = order[c->h];
    c->t = idx(hn->inputs[0].node) == c->a[o] ? idx(hn->inputs[1].node) : idx(hn->inputs[0].node);
    if (!is_op(f, c->t, &mx_op_activation) || mx_activation_kind(order[c->t]->param) != MX_ACT_TANH ||
        sole_consumer(f, c->t, 0) != c->h || idx(order[c->t]->inputs[0].node) != c->c)
        return 0;
    c->gate[0] = i;
    c->gate[1] = g;
    c->gate[2] = fq;
    c->gate[3] = o;
    return 1;
}

/* Counts, consumers and the matched cells. */
static int analyse(fuse_state *f, const mx_sym *sym)
{
    int n = f->n = f->gs->n;
    f->ebase = calloc((size_t)n + 1, sizeof *f->ebase);
    f->role = malloc((size_t)(n ? n : 1) * sizeof *f->role);
    if (!f->ebase || !f->role) return 0;
    for (int i = 0; i < n; i++) {
        f->gs->order[i]->mark = i + 1;
        f->ebase[i + 1] = f->ebase[i] + f->gs->order[i]->noutputs;
        f->role[i] = -1;
    }
    int ne = f->ebase[n];
    f->uses = calloc((size_t)ne + 1, sizeof *f->uses);
    f->consumer = calloc((size_t)ne + 1, sizeof *f->consumer);
    f->cells = calloc((size_t)n / 11 + 1, sizeof *f->cells);
    if (!f->uses || !f->consumer || !f->cells) return 0;
    for (int i = 0; i < n; i++) {
        mx_node *nd = f->gs->order[i];
        for (int k = 0; k < nd->ninputs; k++) {
            int e = entry(f, nd->inputs[k]);
            f->uses[e]++;
            f->consumer[e] = i;
        }
    }
    for (int o = 0; o < sym->nout; o++) f->uses[entry(f, sym->outs[o])]++;
    for (int s = 0; s < n; s++) {
        cell *c = &f->cells[f->ncells];
        if (!match(f, s, c)) continue;
        int absorbed[] = {c->p, c->s, c->a[0], c->a[1], c->a[2], c->a[3], c->mig, c->mf, c->t, c->c, c->h};
        int nabs = (int)(sizeof absorbed / sizeof absorbed[0]), free_ = 1;
        for (int q = 0; q < nabs; q++) free_ &= f->role[absorbed[q]] == -1;
        if (!free_) continue; /* shares a node with a cell already taken (not seen in practice) */
        for (int q = 0; q < nabs - 2; q++) f->role[absorbed[q]] = -2;
        f->role[c->c] = f->role[c->h] = f->ncells++;
    }
    return 1;
}

/* Where entry e of the old graph is in the new one. */
static mx_entry remap(const fuse_state *f, mx_node *const *nn, mx_entry e)
{
    int i = idx(e.node);
    if (f->role[i] >= 0) {
        const cell *c = &f->cells[f->role[i]];
        return (mx_entry){c->fused, i == c->c ? 0 : 1};
    }
    return (mx_entry){nn[i], e.index};
}

mx_node *mx_fuse_clone_node(const mx_node *old, const mx_entry *inputs)
{
    void *param = NULL;
    if (old->param && old->op->param_size) {
        if (!(param = malloc(old->op->param_size))) return NULL;
        memcpy(param, old->param, old->op->param_size);
    }
    mx_node *n = mx_node_new_op(old->op, old->name, param, old->ninputs, inputs);
    if (!n) free(param);
    return n;
}

/* The new graph, in the old one's order; nn[i] is node i's counterpart
 * (created[i] when this pass made it). */
static mx_sym *rebuild(fuse_state *f, const mx_sym *sym, mx_node **nn, int *created)
{
    mx_node *const *order = f->gs->order;
    for (int i = 0; i < f->n; i++) {
        mx_node *nd = order[i];
        if (f->role[i] == -2) continue;
        if (f->role[i] >= 0) {
            cell *c = &f->cells[f->role[i]];
            if (c->fused) continue; /* H after C */
            mx_lstm_cell_param *p = malloc(sizeof *p);
            if (!p) return NULL;
            memcpy(p->gate, c->gate, sizeof p->gate);
            mx_node *pn = order[c->p];
            mx_entry in[3] = {remap(f, nn, pn->inputs[0]), remap(f, nn, pn->inputs[1]), remap(f, nn, c->c_prev)};
            c->fused = mx_node_new_op(&mx_op_lstm_cell, order[c->s]->name, p, 3, in);
            if (!c->fused) { free(p); return NULL; }
            nn[i] = c->fused;
            created[i] = 1;
            continue;
        }
        nn[i] = nd;
        if (!nd->op) continue;
        mx_entry *in = malloc((size_t)nd->ninputs * sizeof *in + 1);
        if (!in) return NULL;
        int same = 1;
        for (int k = 0; k < nd->ninputs; k++) {
            in[k] = remap(f, nn, nd->inputs[k]);
            same &= in[k].node == nd->inputs[k].node && in[k].index == nd->inputs[k].index;
        }
        if (!same) {
            nn[i] = mx_fuse_clone_node(nd, in);
            created[i] = nn[i] != NULL;
        }
        free(in);
        if (!nn[i]) return NULL;
    }
    mx_entry *outs = malloc((size_t)(sym->nout ? sym->nout : 1) * sizeof *outs);
    if (!outs) return NULL;
    for (int o = 0; o < sym->nout; o++) outs[o] = remap(f, nn, sym->outs[o]);
    mx_sym *fused = mx_sym_from_entries(sym->nout, outs);
    free(outs);
    return fused;
}

mx_sym *mx_fuse_lstm_cells(const mx_sym *sym, const mx_graph_shapes *gs, const mx_kernels *k, int *ncells)
{
    *ncells = 0;
    const char *env = getenv("MX_FUSE");
    if ((env && !strcmp(env, "0")) || !k->lstm_cell_forward || !k->lstm_cell_backward) return NULL;
    fuse_state f = {.gs = gs};
    mx_sym *out = NULL;
    mx_node **nn = NULL;
    int *created = NULL, ok = analyse(&f, sym);
    *ncells = f.ncells;
    if (ok && f.ncells > 0) {
        nn = calloc((size_t)f.n, sizeof *nn);
        created = calloc((size_t)f.n, sizeof *created);
        if (nn && created) out = rebuild(&f, sym, nn, created);
        /* the symbol holds what it needs; drop this pass's own references */
        for (int i = 0; nn && created && i < f.n; i++)
            if (created[i]) mx_node_release(nn[i]);
    }
    if (!ok || (f.ncells > 0 && !out)) {
        mx_set_error(MX_ENOMEM, "bind: out of memory fusing LSTM cells");
        *ncells = ok ? f.ncells : 1;
    }
    for (int i = 0; i < gs->n; i++) gs->order[i]->mark = 0;
    free(nn);
    free(created);
    free(f.ebase);
    free(f.uses);
    free(f.consumer);
    free(f.role);
    free(f.cells);
    return out;
}
