/* executor_internal.h — private: the executor's prepared steps, shared by
 * bind (executor.c) and the run loops and accessors (executor_run.c). */
#ifndef MX_RUNTIME_EXECUTOR_INTERNAL_H
#define MX_RUNTIME_EXECUTOR_INTERNAL_H

#include "runtime/graph/infer.h"
#include "mx/arena.h"
#include "mx/executor.h"

/* One op node, with its tensors resolved to arena pointers at bind. */
typedef struct mx_step {
    const mx_op_def *op;
    const void *param;
    int nin, nout, naux;
    int run_bwd;
    mx_tensor *in, *in_grad, *out, *out_grad, *aux;
    mx_req *req;      /* nin of them (in the executor's step_reqs) */
    void *workspace;
    size_t ws_bytes;  /* of workspace (graph recording orders its users) */
    const char *name; /* the node's, owned by the executor's symbol */
    _Alignas(16) unsigned char state[MX_OP_STATE_BYTES]; /* the op's host flags (mx_op_run.state) */
    double t_fwd, t_bwd; /* seconds summed over calls, MX_PROFILE only */
    long n_fwd, n_bwd;
} mx_step;

/* A non-loss output's gradient, seeded at the start of backward. */
typedef struct mx_head_seed {
    int output;
    float *dst;
} mx_head_seed;

struct mx_exec {
    mx_sym *sym;     /* the caller's symbol: argument and aux names */
    mx_sym *run_sym; /* the graph the steps run: sym, or its fused copy (fuse.h) */
    mx_sym *fused;   /* that copy, owned; NULL when nothing was fused */
    mx_ctx ctx;
    const mx_kernels *k;
    mx_engine *eng;
    mx_rng rng;
    int nargs, naux, nout;
    const char *const *arg_names; /* owned by sym */
    const char **aux_names;
    mx_nd **args, **grads, **aux, **outputs;
    mx_nd **head_src; /* default head gradients (ones) */
    mx_grad_req *reqs;
    int nsteps;
    mx_step *steps;
    mx_tensor *tensors;
    mx_req *step_reqs;
    int nseeds;
    mx_head_seed *seeds;
    mx_arena arena;      /* CPU: everything; GPU: the array handles */
    mx_arena darena;     /* GPU: the device block (one cudaMalloc at bind) */
    mx_arena *data;      /* where array data and planned buffers go: &arena or &darena */
    void *dblock;        /* the device block, freed with the executor */
    unsigned char *planned_base;
    void *extra;              /* caller's share of the arena (optimizer states) */
    size_t planned, naive;
    int profile; /* MX_PROFILE set at bind: time each step */
    /* GPU: forward (train, inference) and backward recorded as CUDA graphs
     * on their second call and replayed after (see executor_run.c). */
    /* CPU: the steps' dependency plans, forward [0] and backward [1]
     * (schedule.c), and how they are used (mx_exec_set_schedule). */
    struct mx_sched *sched[2];
    mx_schedule sched_mode;
    uint64_t sched_seed, sched_runs;
    int sched_use[2];    /* auto: -1 undecided, 0 sequential, 1 by dependency */
    int sched_calls[2];
    double sched_par[2]; /* measured parallelism (0: not measured) */
    double sched_width;  /* the graph's width at bind (executor.c, graph_width) */
    int sched_plan;      /* bind builds the plans (executor.c, schedule_slack) */
    /* mx_exec_set_grad_hook: after backward step i, the arguments it
     * completed are done_args[done_at[i] .. done_at[i+1]). */
    mx_grad_hook hook;
    void *hook_ctx;
    int *done_at, *done_args;
    int graphs;        /* -1 undecided, 0 off, 1 on */
    int graph_calls[3];
    void *graph[3];
};

/* Creates the arena(s) — nhandles array handles, data_bytes of array data
 * and extra, plus the planned block — the output and head-gradient
 * arrays, and with own_args the arguments, gradients and aux states;
 * argidx[i] is gs's variable node i's argument position. */
mx_status mx_exec_allocate(mx_exec *e, const mx_graph_shapes *gs, const int *argidx, size_t nhandles,
                           size_t data_bytes, int own_args);

/* Runs step i's forward or backward once, its kernels on eng (the
 * executor's pool, or one worker's view of it), on the current lane. */
void mx_exec_run_step(mx_exec *e, mx_engine *eng, int i, int backward, int is_train);

/* After backward step i: tells the gradient hook, if any, what step i completed. */
static inline void mx_exec_step_done(mx_exec *e, int i)
{
    if (e->hook) e->hook(e->hook_ctx, e->done_args + e->done_at[i], e->done_at[i + 1] - e->done_at[i]);
}

/* Reads MX_SCHED into e's schedule mode (at bind, before planning). */
mx_status mx_exec_schedule_env(mx_exec *e);

/* Builds, at the end of bind, the dependency plans when the planner
 * decided they are wanted (sched_plan). */
mx_status mx_exec_init_schedule(mx_exec *e);

/* Records the executor's forward (is_train) or backward as a CUDA graph
 * in *graph, independent steps spread over the device's lanes
 * (executor_graph.c). */
mx_status mx_exec_record(mx_exec *e, int backward, int is_train, void **graph);

#endif
