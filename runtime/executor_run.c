/* executor_run.c — the executor's arena, its forward and backward loops
 * (the hot path: no allocation, only the prepared steps) and accessors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "executor_internal.h"

mx_status mx_exec_allocate(mx_exec *e, const mx_graph_shapes *gs, size_t owned, int own_args)
{
    mx_status st = mx_arena_init(&e->arena, "executor", owned + e->planned + MX_ARENA_ALIGN);
    if (st != MX_OK) return st;
    if (own_args) {
        int a = 0, x = 0;
        for (int i = 0; i < gs->n; i++) {
            mx_node *nd = gs->order[i];
            if (!nd->op) {
                e->args[a] = mx_nd_empty_in(&e->arena, gs->out[i][0]);
                if (!e->args[a]) return MX_ENOMEM;
                mx_nd_fill(e->args[a], 0.0f);
                if (e->reqs[a] != MX_GRAD_NULL) {
                    e->grads[a] = mx_nd_empty_in(&e->arena, gs->out[i][0]);
                    if (!e->grads[a]) return MX_ENOMEM;
                    mx_nd_fill(e->grads[a], 0.0f);
                }
                a++;
            }
            for (int k = 0; k < nd->naux; k++, x++) {
                e->aux[x] = mx_nd_empty_in(&e->arena, gs->aux[i][k]);
                if (!e->aux[x]) return MX_ENOMEM;
                mx_nd_fill(e->aux[x], 0.0f);
            }
        }
    }
    for (int o = 0; o < e->nout; o++) {
        const mx_entry *h = &e->sym->outs[o];
        int dup = -1;
        for (int p = 0; p < o && dup < 0; p++)
            if (e->sym->outs[p].node == h->node && e->sym->outs[p].index == h->index) dup = p;
        int ni = mx_graph_index(gs, h->node);
        if (dup >= 0) {
            e->outputs[o] = e->outputs[dup];
        } else if (!h->node->op) {
            int ai = 0;
            for (int i = 0; i < ni; i++) ai += !gs->order[i]->op;
            e->outputs[o] = e->args[ai];
        } else {
            e->outputs[o] = mx_nd_empty_in(&e->arena, gs->out[ni][h->index]);
            if (!e->outputs[o]) return MX_ENOMEM;
            mx_nd_fill(e->outputs[o], 0.0f);
        }
        e->head_src[o] = mx_nd_empty_in(&e->arena, gs->out[ni][h->index]);
        if (!e->head_src[o]) return MX_ENOMEM;
        mx_nd_fill(e->head_src[o], 1.0f);
    }
    e->planned_base = mx_arena_alloc(&e->arena, e->planned ? e->planned : 1);
    if (!e->planned_base) return MX_ENOMEM;
    memset(e->planned_base, 0, e->planned);
    return MX_OK;
}

/* Monotonic seconds, for MX_PROFILE. Kernels finish before they return
 * (the engine joins its workers), so a step's wall time is its cost. */
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

mx_status mx_exec_forward(mx_exec *e, int is_train)
{
    mx_op_run r = {e->k, e->eng, is_train, NULL, &e->rng};
    for (int i = 0; i < e->nsteps; i++) {
        mx_step *st = &e->steps[i];
        r.workspace = st->workspace;
        double t0 = e->profile ? now_s() : 0.0;
        st->op->forward(&r, st->param, st->in, st->out, st->aux);
        if (e->profile) {
            st->t_fwd += now_s() - t0;
            st->n_fwd++;
        }
    }
    return MX_OK;
}

mx_status mx_exec_backward(mx_exec *e, mx_nd *const *head_grads)
{
    for (int s = 0; s < e->nseeds; s++) {
        int o = e->seeds[s].output;
        const mx_nd *src = head_grads && head_grads[o] ? head_grads[o] : e->head_src[o];
        if (mx_nd_size(src) != mx_nd_size(e->outputs[o]))
            return mx_set_error(MX_EINVAL, "backward: head gradient %d has %zu elements, output has %zu", o,
                                mx_nd_size(src), mx_nd_size(e->outputs[o]));
        memcpy(e->seeds[s].dst, mx_nd_data(src), mx_nd_size(src) * sizeof(float));
    }
    mx_op_run r = {e->k, e->eng, 1, NULL, &e->rng};
    for (int i = e->nsteps - 1; i >= 0; i--) {
        mx_step *st = &e->steps[i];
        if (!st->run_bwd) continue;
        r.workspace = st->workspace;
        double t0 = e->profile ? now_s() : 0.0;
        st->op->backward(&r, st->param, st->out_grad, st->in, st->out, st->in_grad, st->req, st->aux);
        if (e->profile) {
            st->t_bwd += now_s() - t0;
            st->n_bwd++;
        }
    }
    return MX_OK;
}

void mx_exec_print_profile(const mx_exec *e, FILE *f)
{
    double total = 0.0;
    for (int i = 0; i < e->nsteps; i++) total += e->steps[i].t_fwd + e->steps[i].t_bwd;
    fprintf(f, "profile: %-20s %-18s %8s %10s %8s %10s %6s\n", "node", "op", "fwd n", "fwd ms/call", "bwd n",
            "bwd ms/call", "share");
    for (int i = 0; i < e->nsteps; i++) {
        const mx_step *st = &e->steps[i];
        double t = st->t_fwd + st->t_bwd;
        fprintf(f, "profile: %-20s %-18s %8ld %10.4f %8ld %10.4f %5.1f%%\n", st->name ? st->name : "?",
                st->op->name, st->n_fwd, st->n_fwd ? 1e3 * st->t_fwd / (double)st->n_fwd : 0.0, st->n_bwd,
                st->n_bwd ? 1e3 * st->t_bwd / (double)st->n_bwd : 0.0, total > 0 ? 100.0 * t / total : 0.0);
    }
    fprintf(f, "profile: total %.3f s in %d ops\n", total, e->nsteps);
}

int mx_exec_num_outputs(const mx_exec *e) { return e->nout; }
mx_nd *mx_exec_output(const mx_exec *e, int i) { return i >= 0 && i < e->nout ? e->outputs[i] : NULL; }
int mx_exec_num_args(const mx_exec *e) { return e->nargs; }
mx_nd *mx_exec_arg(const mx_exec *e, int i) { return i >= 0 && i < e->nargs ? e->args[i] : NULL; }
mx_nd *mx_exec_grad(const mx_exec *e, int i) { return i >= 0 && i < e->nargs ? e->grads[i] : NULL; }
mx_grad_req mx_exec_grad_req(const mx_exec *e, int i) { return i >= 0 && i < e->nargs ? e->reqs[i] : MX_GRAD_NULL; }
const char *mx_exec_arg_name(const mx_exec *e, int i) { return i >= 0 && i < e->nargs ? e->arg_names[i] : NULL; }
int mx_exec_num_aux(const mx_exec *e) { return e->naux; }
mx_nd *mx_exec_aux(const mx_exec *e, int i) { return i >= 0 && i < e->naux ? e->aux[i] : NULL; }
const char *mx_exec_aux_name(const mx_exec *e, int i) { return i >= 0 && i < e->naux ? e->aux_names[i] : NULL; }
size_t mx_exec_planned_bytes(const mx_exec *e) { return e->planned; }
size_t mx_exec_naive_bytes(const mx_exec *e) { return e->naive; }
size_t mx_exec_arena_bytes(const mx_exec *e) { return e->arena.size; }
void mx_exec_set_engine(mx_exec *e, mx_engine *eng) { e->eng = eng; }
void *mx_exec_extra(const mx_exec *e) { return e->extra; }
mx_rng *mx_exec_rng(mx_exec *e) { return &e->rng; }

int mx_exec_arg_index(const mx_exec *e, const char *name)
{
    for (int i = 0; i < e->nargs; i++)
        if (!strcmp(e->arg_names[i], name)) return i;
    return -1;
}

void mx_exec_free(mx_exec *e)
{
    if (!e) return;
    if (e->profile && e->nsteps && e->steps[0].n_fwd) mx_exec_print_profile(e, stderr);
    mx_arena_release(&e->arena);
    mx_sym_free(e->sym);
    free(e->aux_names);
    free(e->args);
    free(e->grads);
    free(e->reqs);
    free(e->aux);
    free(e->outputs);
    free(e->head_src);
    free(e->seeds);
    free(e->steps);
    free(e->tensors);
    free(e);
}
