/** @file
 * executor.h — a symbol bound to arrays: bind plans every internal buffer
 * (activations, gradients, workspaces) by liveness into one arena, with
 * in-place reuse, then forward/backward run with no allocation. */
#ifndef MX_EXECUTOR_H
#define MX_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "mx/context.h"
#include "mx/engine.h"
#include "mx/ndarray.h"
#include "mx/symbol.h"

/** Executor (opaque; MXNet's Executor): a symbol bound to arrays, with its planned arena. */
typedef struct mx_exec mx_exec;

/** What backward does with an argument's gradient (MXNet's grad_req "null", "write", "add"). */
typedef enum mx_grad_req { MX_GRAD_NULL = 0, MX_GRAD_WRITE = 1, MX_GRAD_ADD = 2 } mx_grad_req;

/** Binds sym to caller arrays, in mx_list_arguments / _auxiliary_states
 * order. arg_grads[i] may be NULL (no gradient); reqs NULL means write
 * wherever a gradient array is given. The arrays must outlive the executor. */
mx_exec *mx_bind(const mx_sym *sym, mx_ctx ctx, mx_nd *const *args, mx_nd *const *arg_grads,
                 const mx_grad_req *reqs, mx_nd *const *aux);

/** Infers shapes from the named inputs and allocates arguments, gradients
 * and aux states in the executor's own arena. reqs (per argument, NULL =
 * write for every argument not named in names, null for those named). */
mx_exec *mx_simple_bind(const mx_sym *sym, mx_ctx ctx, int n, const char *const *names,
                        const mx_shape *shapes, const mx_grad_req *reqs);

/** mx_simple_bind that also reserves extra_bytes (zeroed, 64-byte
 * aligned) in the executor's arena for the caller: optimizer states. */
mx_exec *mx_simple_bind_ex(const mx_sym *sym, mx_ctx ctx, int n, const char *const *names,
                           const mx_shape *shapes, const mx_grad_req *reqs, size_t extra_bytes);

/** How a CPU executor orders its steps (issue #18). AUTO times the second
 * call of forward and of backward in order and keeps the dependency
 * schedule when the graph's parallelism pays (several threads only);
 * SEQUENTIAL runs each step over every thread, one after another; GRAPH
 * runs each step whole on one worker as soon as its inputs are ready,
 * steps side by side; RANDOM (a test mode) runs them on the calling
 * thread in a seeded random order that respects the dependencies. Every
 * schedule gives the same bits. */
typedef enum mx_schedule {
    MX_SCHEDULE_AUTO = 0,
    MX_SCHEDULE_SEQUENTIAL = 1,
    MX_SCHEDULE_GRAPH = 2,
    MX_SCHEDULE_RANDOM = 3
} mx_schedule;

/** Sets e's schedule (at bind: MX_SCHED=auto|seq|graph|random[:SEED]);
 * seed starts RANDOM's orders (each call draws a new one). */
mx_status mx_exec_set_schedule(mx_exec *e, mx_schedule mode, uint64_t seed);

/** Describes e's schedule into buf (n bytes): mode, threads, and per
 * direction its steps, dependency edges, measured parallelism and choice. */
const char *mx_exec_schedule_describe(const mx_exec *e, char *buf, size_t n);

/** Called during a CPU executor's backward after each step, on the thread
 * that ran it, with the arguments whose gradients that step completed
 * (their last writer); nargs may be 0 — a chance to let communication
 * progress. dist_sync starts a bucket's allreduce from it. */
typedef void (*mx_grad_hook)(void *ctx, const int *args, int nargs);

/** Installs fn (NULL removes it) for e's backward passes (CPU executors only). */
mx_status mx_exec_set_grad_hook(mx_exec *e, mx_grad_hook fn, void *ctx);

/** Fills order (room entries) with the arguments that have gradients, in
 * the order the sequential backward completes them; returns their count
 * (-1 with the error set when out of memory). */
int mx_exec_grad_order(const mx_exec *e, int *order, int room);

/** The extra bytes reserved by mx_simple_bind_ex (NULL if none). */
void *mx_exec_extra(const mx_exec *e);

/** The executor's random generator (dropout and the like), for checkpoints. */
mx_rng *mx_exec_rng(mx_exec *e);

/** Runs the graph forward (is_train selects training behaviour). */
mx_status mx_exec_forward(mx_exec *e, int is_train);

/** Runs backward; head_grads (one per output, NULL = ones) are ignored by
 * loss outputs such as SoftmaxOutput. */
mx_status mx_exec_backward(mx_exec *e, mx_nd *const *head_grads);

/** Number of outputs. */
int mx_exec_num_outputs(const mx_exec *e);

/** Output i (valid until the next forward). */
mx_nd *mx_exec_output(const mx_exec *e, int i);

/** Number of arguments. */
int mx_exec_num_args(const mx_exec *e);

/** Argument i, in mx_list_arguments order. */
mx_nd *mx_exec_arg(const mx_exec *e, int i);

/** Gradient array of argument i, or NULL when it has none. */
mx_nd *mx_exec_grad(const mx_exec *e, int i);

/** Gradient request of argument i. */
mx_grad_req mx_exec_grad_req(const mx_exec *e, int i);

/** Name of argument i. */
const char *mx_exec_arg_name(const mx_exec *e, int i);

/** Index of the argument named name, or -1. */
int mx_exec_arg_index(const mx_exec *e, const char *name);

/** Number of auxiliary states. */
int mx_exec_num_aux(const mx_exec *e);

/** Auxiliary state i. */
mx_nd *mx_exec_aux(const mx_exec *e, int i);

/** Name of auxiliary state i. */
const char *mx_exec_aux_name(const mx_exec *e, int i);

/** Bytes of the planned internal block (activations, gradients, workspaces). */
size_t mx_exec_planned_bytes(const mx_exec *e);

/** What the same buffers take with one allocation each (no reuse). */
size_t mx_exec_naive_bytes(const mx_exec *e);

/** Total bytes of the executor's arena (planned block + bound arrays it owns). */
size_t mx_exec_arena_bytes(const mx_exec *e);

/** Op steps a forward pass runs: the symbol's op nodes, fewer where bind
 * fused an LSTM cell's eleven into one (MX_FUSE=0 at bind turns that off). */
int mx_exec_num_steps(const mx_exec *e);

/** The context the executor runs on. */
mx_ctx mx_exec_context(const mx_exec *e);

/** Runs the executor's kernels on eng instead of the default engine. */
void mx_exec_set_engine(mx_exec *e, mx_engine *eng);

/** Writes each op's calls and mean forward/backward milliseconds (timed
 * only when MX_PROFILE was set non-zero at bind) as a table to f. */
void mx_exec_print_profile(const mx_exec *e, FILE *f);

/** Frees the executor and everything in its arena; with MX_PROFILE set,
 * prints the profile table to stderr first. */
void mx_exec_free(mx_exec *e);

#endif
