/** @file
 * executor.h — a symbol bound to arrays: bind plans every internal buffer
 * (activations, gradients, workspaces) by liveness into one arena, with
 * in-place reuse, then forward/backward run with no allocation. */
#ifndef MX_EXECUTOR_H
#define MX_EXECUTOR_H

#include <stddef.h>
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
