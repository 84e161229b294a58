/* fixed_infer.c — the layout and run half of fixed-buffer inference (see
 * fixed_infer.h). One function, carve, both measures and fills the
 * buffer: with no base it only adds up the sizes, with a base it writes,
 * so the size reported and the size used are the same by construction. */
#include "mx/fixed_infer.h"

#include <stdint.h>
#include <string.h>

#include "fixed_prep.h"
#include "mx/arena.h"

/* One op node, its tensors resolved to buffer pointers at open. */
typedef struct fx_step {
    const mx_op_def *op;
    const void *param; /* a copy in the buffer */
    mx_tensor *in, *out, *aux;
    void *workspace;
    _Alignas(16) unsigned char state[MX_OP_STATE_BYTES];
} fx_step;

struct mx_fixed {
    mx_rng rng; /* ops that draw (none at inference) still get one */
    int nsteps;
    fx_step *steps;
    float *input;
    const float *output;
    mx_shape in_shape, out_shape;
    size_t bytes;
};

/* The next piece of the buffer: 64-byte aligned offsets from base; NULL
 * while measuring (base NULL). */
typedef struct fx_layout {
    unsigned char *base;
    size_t used;
} fx_layout;

static void *take(fx_layout *L, size_t bytes)
{
    size_t off = L->used;
    L->used += mx_arena_round(bytes ? bytes : 1);
    return L->base ? L->base + off : NULL;
}

static size_t shape_bytes(const mx_shape *s) { return mx_shape_size(s) * sizeof(float); }

/* Where entry (node si, output k) lives: the planned block, or a
 * variable's own array. */
static float *entry_data(const fx_prep *p, unsigned char *planned, int si, int k)
{
    if (!p->gs.order[si]->op) return p->vdata[si];
    return (float *)(planned + p->bufs[p->bdata[p->ebase[si] + k]].offset);
}

/* Lays the model out from L->base (or measures it); returns the handle. */
static mx_fixed *carve(fx_prep *p, fx_layout *L, const mx_shape *in_shape)
{
    size_t ntensors = 0;
    for (int i = 0; i < p->gs.n; i++) {
        mx_node *nd = p->gs.order[i];
        if (nd->op) ntensors += (size_t)(nd->ninputs + nd->noutputs + nd->naux);
    }
    mx_fixed *f = take(L, sizeof *f);
    fx_step *steps = take(L, (size_t)p->nops * sizeof *steps);
    mx_tensor *t = take(L, ntensors * sizeof *t);
    /* Variables: the input, the weights (copied), labels (zeros, unread). */
    for (int i = 0; i < p->gs.n; i++) {
        if (p->gs.order[i]->op) continue;
        size_t bytes = shape_bytes(&p->gs.out[i][0]);
        float *d = p->vdata[i] = take(L, bytes);
        if (!d) continue;
        if (p->var_src[i] >= 0) memcpy(d, mx_nd_data(p->params.arrays[p->var_src[i]]), bytes);
        else memset(d, 0, bytes);
    }
    unsigned char *planned = take(L, p->planned);
    if (planned) memset(planned, 0, p->planned);
    int s = 0;
    for (int i = 0; i < p->gs.n; i++) {
        mx_node *nd = p->gs.order[i];
        if (!nd->op) continue;
        void *param = take(L, nd->op->param_size);
        float *aux[MX_OP_MAX_AUX];
        for (int k = 0; k < nd->naux; k++) aux[k] = take(L, shape_bytes(&p->gs.aux[i][k]));
        if (!L->base) continue;
        fx_step *st = &steps[s++];
        memset(st, 0, sizeof *st);
        st->op = nd->op;
        st->param = memcpy(param, nd->param, nd->op->param_size);
        st->workspace = p->bws[i] >= 0 ? planned + p->bufs[p->bws[i]].offset : NULL;
        st->in = t; t += nd->ninputs;
        st->out = t; t += nd->noutputs;
        st->aux = t; t += nd->naux;
        for (int k = 0; k < nd->ninputs; k++) {
            int si = mx_graph_index(&p->gs, nd->inputs[k].node);
            st->in[k].shape = p->gs.out[si][nd->inputs[k].index];
            st->in[k].data = entry_data(p, planned, si, nd->inputs[k].index);
        }
        for (int k = 0; k < nd->noutputs; k++) {
            st->out[k].shape = p->gs.out[i][k];
            st->out[k].data = entry_data(p, planned, i, k);
        }
        for (int k = 0; k < nd->naux; k++) {
            st->aux[k].shape = p->gs.aux[i][k];
            st->aux[k].data = memcpy(aux[k], mx_nd_data(p->params.arrays[p->aux_src[p->aux_base[i] + k]]),
                                     shape_bytes(&p->gs.aux[i][k]));
        }
    }
    if (!f) return NULL;
    memset(f, 0, sizeof *f);
    mx_rng_seed(&f->rng, 42);
    f->nsteps = p->nops;
    f->steps = steps;
    f->input = p->vdata[p->input_node];
    f->in_shape = *in_shape;
    const mx_entry *h = &p->sym->outs[0];
    int hi = mx_graph_index(&p->gs, h->node);
    f->output = entry_data(p, planned, hi, h->index);
    f->out_shape = p->gs.out[hi][h->index];
    return f;
}

mx_status mx_fixed_size(const mx_fixed_spec *spec, size_t *bytes)
{
    fx_prep p;
    mx_status st = fx_prep_load(&p, spec);
    if (st != MX_OK) return st;
    fx_layout L = {NULL, 0};
    carve(&p, &L, &spec->shape);
    fx_prep_free(&p);
    *bytes = L.used;
    return MX_OK;
}

mx_fixed *mx_fixed_open(const mx_fixed_spec *spec, void *buf, size_t size)
{
    if (!buf) {
        mx_set_error(MX_EINVAL, "mx_fixed_open: the buffer is NULL");
        return NULL;
    }
    fx_prep p;
    if (fx_prep_load(&p, spec) != MX_OK) return NULL;
    fx_layout L = {NULL, 0};
    carve(&p, &L, &spec->shape);
    uintptr_t at = (uintptr_t)buf;
    size_t lost = (size_t)(((at + MX_ARENA_ALIGN - 1) & ~(uintptr_t)(MX_ARENA_ALIGN - 1)) - at);
    if (size < L.used || size - L.used < lost) {
        if (lost)
            mx_set_error(MX_ENOMEM, "mx_fixed_open: buffer of %zu bytes is too small: %s needs %zu bytes "
                         "(%zu for the model + %zu to reach 64-byte alignment)", size, spec->params,
                         L.used + lost, L.used, lost);
        else
            mx_set_error(MX_ENOMEM, "mx_fixed_open: buffer of %zu bytes is too small: %s needs %zu bytes", size,
                         spec->params, L.used);
        fx_prep_free(&p);
        return NULL;
    }
    size_t need = L.used;
    L = (fx_layout){(unsigned char *)buf + lost, 0};
    mx_fixed *f = carve(&p, &L, &spec->shape);
    fx_prep_free(&p);
    f->bytes = lost + need;
    return f;
}

mx_status mx_fixed_run(mx_fixed *f, const float *in, float *out)
{
    if (in && in != f->input) memcpy(f->input, in, shape_bytes(&f->in_shape));
    for (int i = 0; i < f->nsteps; i++) {
        fx_step *st = &f->steps[i];
        /* No engine: kernels run inline on this thread; is_train 0. */
        mx_op_run r = {&mx_cpu_kernels, NULL, 0, st->workspace, &f->rng, st->state};
        st->op->forward(&r, st->param, st->in, st->out, st->aux);
    }
    if (out) memcpy(out, f->output, shape_bytes(&f->out_shape));
    return MX_OK;
}

float *mx_fixed_input(mx_fixed *f) { return f->input; }
const float *mx_fixed_output(const mx_fixed *f) { return f->output; }
mx_shape mx_fixed_input_shape(const mx_fixed *f) { return f->in_shape; }
mx_shape mx_fixed_output_shape(const mx_fixed *f) { return f->out_shape; }
size_t mx_fixed_bytes(const mx_fixed *f) { return f->bytes; }
