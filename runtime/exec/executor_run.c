/* executor_run.c — the executor's arena, its forward and backward loops
 * (the hot path: no allocation, only the prepared steps) and accessors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/ndarray/device.h"
#include "schedule.h"

/* A new array of the executor: handle on the host, data on its device. */
static mx_nd *exec_nd(mx_exec *e, mx_shape s)
{
    return mx_nd_empty_split(&e->arena, e->data, e->ctx, s);
}

mx_status mx_exec_allocate(mx_exec *e, const mx_graph_shapes *gs, const int *argidx, size_t nhandles,
                           size_t data_bytes, int own_args)
{
    size_t handles = nhandles * mx_nd_handle_bytes();
    size_t dbytes = data_bytes + e->planned + MX_ARENA_ALIGN;
    mx_status st;
    if (e->ctx.dev_type == MX_CPU) {
        st = mx_arena_init(&e->arena, "executor", handles + dbytes);
        e->data = &e->arena;
    } else {
        st = mx_arena_init(&e->arena, "executor handles", handles + MX_ARENA_ALIGN);
        if (st == MX_OK && !(e->dblock = mx_dev_alloc(e->ctx, dbytes))) st = MX_ENOMEM;
        if (st == MX_OK) st = mx_arena_init_buffer(&e->darena, "executor device", e->dblock, dbytes);
        e->data = &e->darena;
    }
    if (st != MX_OK) return st;
    if (own_args) {
        int x = 0;
        for (int i = 0; i < gs->n; i++) {
            mx_node *nd = gs->order[i];
            if (!nd->op) {
                int a = argidx[i];
                e->args[a] = exec_nd(e, gs->out[i][0]);
                if (!e->args[a]) return MX_ENOMEM;
                mx_nd_fill(e->args[a], 0.0f);
                if (e->reqs[a] != MX_GRAD_NULL) {
                    e->grads[a] = exec_nd(e, gs->out[i][0]);
                    if (!e->grads[a]) return MX_ENOMEM;
                    mx_nd_fill(e->grads[a], 0.0f);
                }
            }
            for (int k = 0; k < nd->naux; k++, x++) {
                e->aux[x] = exec_nd(e, gs->aux[i][k]);
                if (!e->aux[x]) return MX_ENOMEM;
                mx_nd_fill(e->aux[x], 0.0f);
            }
        }
    }
    for (int o = 0; o < e->nout; o++) {
        const mx_entry *h = &e->run_sym->outs[o];
        int dup = -1;
        for (int p = 0; p < o && dup < 0; p++)
            if (e->run_sym->outs[p].node == h->node && e->run_sym->outs[p].index == h->index) dup = p;
        int ni = mx_graph_index(gs, h->node);
        if (dup >= 0) {
            e->outputs[o] = e->outputs[dup];
        } else if (!h->node->op) {
            e->outputs[o] = e->args[argidx[ni]];
        } else {
            e->outputs[o] = exec_nd(e, gs->out[ni][h->index]);
            if (!e->outputs[o]) return MX_ENOMEM;
            mx_nd_fill(e->outputs[o], 0.0f);
        }
        e->head_src[o] = exec_nd(e, gs->out[ni][h->index]);
        if (!e->head_src[o]) return MX_ENOMEM;
        mx_nd_fill(e->head_src[o], 1.0f);
    }
    e->planned_base = mx_arena_alloc(e->data, e->planned ? e->planned : 1);
    if (!e->planned_base) return MX_ENOMEM;
    return mx_dev_zero(e->ctx, e->planned_base, e->planned);
}

/* Monotonic seconds, for MX_PROFILE. CPU kernels finish before they
 * return (the engine joins its workers), so a step's wall time is its
 * cost; on a GPU the profiler waits for each step. */
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void mx_exec_run_step(mx_exec *e, mx_engine *eng, int i, int backward, int is_train)
{
    mx_step *st = &e->steps[i];
    mx_op_run r = {e->k, eng, backward ? 1 : is_train, st->workspace, &e->rng, st->state};
    double t0 = e->profile ? now_s() : 0.0;
    if (backward) st->op->backward(&r, st->param, st->out_grad, st->in, st->out, st->in_grad, st->req, st->aux);
    else st->op->forward(&r, st->param, st->in, st->out, st->aux);
    if (e->profile) {
        mx_dev_sync(e->ctx);
        if (backward) st->t_bwd += now_s() - t0, st->n_bwd++;
        else st->t_fwd += now_s() - t0, st->n_fwd++;
    }
}

/* Runs the steps by dependency when the schedule says so (schedule.c),
 * else every step in order (backward: reversed, skipping steps without
 * one). Auto: the second call of a direction runs in order while timing
 * each step; the dependency schedule is kept when the graph's measured
 * parallelism reaches 3/4 of the pool's threads (the char-LSTM's does,
 * the MLP's chain, whose steps each use every thread, does not). */
static void run_steps(mx_exec *e, int backward, int is_train)
{
    mx_sched *s = e->sched[backward];
    int threads = mx_engine_threads(e->eng);
    if (s && e->ctx.dev_type == MX_CPU) {
        if (e->sched_mode == MX_SCHEDULE_RANDOM) {
            mx_sched_run_random(e, s, is_train, e->sched_seed + e->sched_runs++);
            return;
        }
        if (threads > 1 && e->sched_mode == MX_SCHEDULE_GRAPH) {
            mx_sched_run(e, s, is_train);
            return;
        }
        if (threads > 1 && e->sched_mode == MX_SCHEDULE_AUTO) {
            if (e->sched_use[backward] > 0) {
                mx_sched_run(e, s, is_train);
                return;
            }
            if (e->sched_use[backward] < 0 && e->sched_calls[backward]++ >= 1) {
                e->sched_par[backward] = mx_sched_measure(e, s, is_train);
                e->sched_use[backward] = e->sched_par[backward] >= 0.75 * threads;
                return;
            }
        }
    }
    for (int k = 0; k < e->nsteps; k++) {
        int i = backward ? e->nsteps - 1 - k : k;
        if (backward && e->steps[i].run_bwd) {
            mx_exec_run_step(e, e->eng, i, 1, is_train);
            mx_exec_step_done(e, i);
        } else if (!backward) {
            mx_exec_run_step(e, e->eng, i, 0, is_train);
        }
    }
}

/* last[a]: the step that writes argument a's gradient last in backward
 * (the smallest step index among its writers), -1 for none. */
static void last_writers(const mx_exec *e, int *last)
{
    for (int a = 0; a < e->nargs; a++) last[a] = -1;
    for (int i = e->nsteps - 1; i >= 0; i--) { /* backward order: a smaller i writes later */
        const mx_step *st = &e->steps[i];
        if (!st->run_bwd) continue;
        for (int k = 0; k < st->nin; k++) {
            if (st->req[k] == MX_REQ_NULL || !st->in_grad[k].data) continue;
            for (int a = 0; a < e->nargs; a++)
                if (e->grads[a] && e->reqs[a] != MX_GRAD_NULL && st->in_grad[k].data == mx_nd_data(e->grads[a]))
                    last[a] = i;
        }
    }
}

mx_status mx_exec_set_grad_hook(mx_exec *e, mx_grad_hook fn, void *ctx)
{
    if (fn && e->ctx.dev_type != MX_CPU)
        return mx_set_error(MX_EINVAL, "set_grad_hook: only CPU executors call a gradient hook");
    e->hook = NULL;
    if (!fn) return MX_OK;
    if (!e->done_at) {
        int *at = calloc((size_t)e->nsteps + 2, sizeof *at);
        int *args = calloc((size_t)(e->nargs ? e->nargs : 1), sizeof *args);
        int *last = calloc((size_t)(e->nargs ? e->nargs : 1), sizeof *last);
        int *fill = calloc((size_t)e->nsteps + 1, sizeof *fill);
        if (!at || !args || !last || !fill) {
            free(at), free(args), free(last), free(fill);
            return mx_set_error(MX_ENOMEM, "set_grad_hook: out of memory");
        }
        last_writers(e, last);
        for (int a = 0; a < e->nargs; a++)
            if (last[a] >= 0) at[last[a] + 1]++;
        for (int i = 0; i < e->nsteps; i++) at[i + 1] += at[i];
        for (int a = 0; a < e->nargs; a++)
            if (last[a] >= 0) args[at[last[a]] + fill[last[a]]++] = a;
        free(last);
        free(fill);
        e->done_at = at;
        e->done_args = args;
    }
    e->hook_ctx = ctx;
    e->hook = fn;
    return MX_OK;
}

int mx_exec_grad_order(const mx_exec *e, int *order, int room)
{
    int *last = calloc((size_t)(e->nargs ? e->nargs : 1), sizeof *last);
    if (!last) return mx_set_error(MX_ENOMEM, "grad_order: out of memory"), -1;
    last_writers(e, last);
    int n = 0;
    for (int i = e->nsteps - 1; i >= 0; i--) /* backward order */
        for (int a = 0; a < e->nargs; a++)
            if (last[a] == i) {
                if (n < room) order[n] = a;
                n++;
            }
    free(last);
    return n;
}

/* MX_SCHED=auto|seq|graph|random[:SEED] */
static mx_status schedule_from_env(mx_schedule *mode, uint64_t *seed)
{
    const char *v = getenv("MX_SCHED");
    *mode = MX_SCHEDULE_AUTO;
    *seed = 1;
    if (!v || !*v || !strcmp(v, "auto")) return MX_OK;
    if (!strcmp(v, "seq")) { *mode = MX_SCHEDULE_SEQUENTIAL; return MX_OK; }
    if (!strcmp(v, "graph")) { *mode = MX_SCHEDULE_GRAPH; return MX_OK; }
    if (!strncmp(v, "random", 6) && (!v[6] || v[6] == ':')) {
        char *end = NULL;
        *mode = MX_SCHEDULE_RANDOM;
        if (!v[6]) return MX_OK;
        *seed = strtoull(v + 7, &end, 10);
        if (v[7] && !*end) return MX_OK;
    }
    return mx_set_error(MX_EINVAL, "MX_SCHED: bad value '%s' (expected auto, seq, graph or random[:SEED])", v);
}

static mx_status build_plans(mx_exec *e)
{
    for (int b = 0; b < 2; b++) {
        if (e->sched[b]) continue;
        mx_status st = mx_sched_build(e, b, 0, &e->sched[b]);
        if (st != MX_OK) return st;
        e->sched_use[b] = -1;
    }
    return MX_OK;
}

mx_status mx_exec_schedule_env(mx_exec *e) { return schedule_from_env(&e->sched_mode, &e->sched_seed); }

mx_status mx_exec_init_schedule(mx_exec *e)
{
    e->sched_use[0] = e->sched_use[1] = 0;
    return e->sched_plan ? build_plans(e) : MX_OK; /* a chain's bind stays as cheap as before */
}

mx_status mx_exec_set_schedule(mx_exec *e, mx_schedule mode, uint64_t seed)
{
    if (mode < MX_SCHEDULE_AUTO || mode > MX_SCHEDULE_RANDOM)
        return mx_set_error(MX_EINVAL, "set_schedule: unknown schedule %d", (int)mode);
    if (e->ctx.dev_type != MX_CPU && mode != MX_SCHEDULE_AUTO && mode != MX_SCHEDULE_SEQUENTIAL)
        return mx_set_error(MX_EINVAL, "set_schedule: a GPU executor orders its steps with CUDA graphs");
    e->sched_mode = mode;
    e->sched_seed = seed;
    e->sched_runs = 0;
    for (int b = 0; b < 2; b++) e->sched_use[b] = -1, e->sched_calls[b] = 0, e->sched_par[b] = 0.0;
    return mode == MX_SCHEDULE_SEQUENTIAL || e->ctx.dev_type != MX_CPU ? MX_OK : build_plans(e);
}

const char *mx_exec_schedule_describe(const mx_exec *e, char *buf, size_t n)
{
    static const char *const names[] = {"auto", "seq", "graph", "random"};
    int len = snprintf(buf, n, "schedule %s, %d thread%s, graph width %.2f", names[e->sched_mode],
                       mx_engine_threads(e->eng), mx_engine_threads(e->eng) == 1 ? "" : "s", e->sched_width);
    for (int b = 0; b < 2 && len >= 0 && (size_t)len < n; b++) {
        const mx_sched *s = e->sched[b];
        if (!s || !mx_sched_steps(s)) continue;
        const char *use = e->sched_mode != MX_SCHEDULE_AUTO ? "" : e->sched_use[b] > 0 ? ", by dependency"
                          : e->sched_use[b] == 0 ? ", in order" : ", undecided";
        len += snprintf(buf + len, n - (size_t)len, "; %s %d steps, %d edges", b ? "backward" : "forward",
                        mx_sched_steps(s), mx_sched_edges(s));
        if (len >= 0 && (size_t)len < n && e->sched_par[b] > 0)
            len += snprintf(buf + len, n - (size_t)len, ", parallelism %.2f", e->sched_par[b]);
        if (len >= 0 && (size_t)len < n) len += snprintf(buf + len, n - (size_t)len, "%s", use);
    }
    return buf;
}

/* CUDA graphs: a step of the char-LSTM is ~3000 small kernels, and each
 * launch costs the host ~4 µs; replaying a recorded graph costs one. They
 * are used on a GPU unless profiling, MX_CUDA_GRAPHS=0, or an op draws
 * fresh random numbers or waits for the device (mx_op_def.graph_unsafe). */
static int graphs_allowed(const mx_exec *e)
{
    if (!mx_dev_can_record(e->ctx) || e->profile) return 0;
    const char *env = getenv("MX_CUDA_GRAPHS");
    if (env && !strcmp(env, "0")) return 0;
    for (int i = 0; i < e->nsteps; i++)
        if (e->steps[i].op->graph_unsafe && e->steps[i].op->graph_unsafe(e->steps[i].param)) return 0;
    return 1;
}

/* Runs the steps — directly, or as recorded graph `slot`: the first call
 * runs directly (lazy module loading, cuBLAS's first-call set-up), the
 * second records (executor_graph.c) and launches, later ones launch. A
 * recording that fails turns graphs off for this executor and runs
 * directly. */
static mx_status run_maybe_graph(mx_exec *e, int slot, int backward, int is_train)
{
    if (e->graphs < 0) e->graphs = graphs_allowed(e);
    if (e->graphs && e->graph[slot]) return mx_dev_graph_launch(e->ctx, e->graph[slot]);
    if (e->graphs && e->graph_calls[slot]++ >= 1) {
        if (mx_exec_record(e, backward, is_train, &e->graph[slot]) == MX_OK)
            return mx_dev_graph_launch(e->ctx, e->graph[slot]);
        e->graphs = 0; /* and run it the plain way */
    }
    run_steps(e, backward, is_train);
    return mx_dev_poll(e->ctx); /* a GPU reports a failed launch here or at the next wait */
}

mx_status mx_exec_forward(mx_exec *e, int is_train)
{
    mx_nd_wait_all(); /* the steps read and write arrays through pointers kept since bind */
    mx_dev_use(e->ctx);
    return run_maybe_graph(e, is_train ? 0 : 1, 0, is_train);
}

mx_status mx_exec_backward(mx_exec *e, mx_nd *const *head_grads)
{
    mx_nd_wait_all();
    for (int s = 0; s < e->nseeds; s++) {
        int o = e->seeds[s].output;
        const mx_nd *src = head_grads && head_grads[o] ? head_grads[o] : e->head_src[o];
        if (mx_nd_size(src) != mx_nd_size(e->outputs[o]))
            return mx_set_error(MX_EINVAL, "backward: head gradient %d has %zu elements, output has %zu", o,
                                mx_nd_size(src), mx_nd_size(e->outputs[o]));
        mx_status cst = mx_dev_copy(e->seeds[s].dst, e->ctx, mx_nd_data(src), mx_nd_context(src),
                                    mx_nd_size(src) * sizeof(float));
        if (cst != MX_OK) return cst;
    }
    mx_dev_use(e->ctx);
    return run_maybe_graph(e, 2, 1, 1);
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
    char buf[512];
    fprintf(f, "profile: %s\n", mx_exec_schedule_describe(e, buf, sizeof buf));
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

int mx_exec_num_steps(const mx_exec *e) { return e->nsteps; }
size_t mx_exec_naive_bytes(const mx_exec *e) { return e->naive; }
size_t mx_exec_arena_bytes(const mx_exec *e) { return e->arena.size + (e->data != &e->arena ? e->darena.size : 0); }
mx_ctx mx_exec_context(const mx_exec *e) { return e->ctx; }
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
    mx_nd_wait_all(); /* a pushed NDArray operation may still write into the arena */
    mx_arena_release(&e->arena);
    for (int i = 0; i < 3; i++) mx_dev_graph_free(e->graph[i]);
    mx_sched_free(e->sched[0]);
    mx_sched_free(e->sched[1]);
    free(e->done_at);
    free(e->done_args);
    if (e->dblock) {
        mx_dev_sync(e->ctx); /* nothing may still write into the block */
        mx_dev_free(e->ctx, e->dblock);
    }
    mx_sym_free(e->fused);
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
    free(e->step_reqs);
    free(e);
}
