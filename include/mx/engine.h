/** @file
 * engine.h — the CPU engine: one thread pool, created once, workers pinned
 * to cores with hwloc (or sched_setaffinity without it), running
 * parallel_for with static partitioning so that a seed and a thread count
 * give bit-identical results. Dispatch makes no allocation. */
#ifndef MX_ENGINE_H
#define MX_ENGINE_H

#include <stddef.h>
#include "mx/error.h"

/** A CPU thread pool (opaque), made by mx_engine_create or mx_engine_default. */
typedef struct mx_engine mx_engine;

/** Whether workers are pinned: one per core (hwloc, or sched_setaffinity), or left to the OS. */
typedef enum mx_bind_policy { MX_BIND_NONE = 0, MX_BIND_CORE = 1 } mx_bind_policy;

/** Body of a parallel region: worker tid of nthreads, with its scratch. */
typedef void (*mx_task_fn)(void *ctx, int tid, int nthreads);

/** Per-thread scratch every worker owns, for GEMM packing and the like. */
#define MX_ENGINE_SCRATCH_BYTES ((size_t)2 << 20)

/** Where a pool's threads go. Worker i (the caller of mx_engine_run is
 * worker 0) is pinned to core first_core + i·core_stride. pin_caller 0
 * leaves the creating thread alone: for pools whose runs are started by
 * another pool's worker, already pinned (one pool per context). */
typedef struct mx_engine_opts {
    int nthreads;        /**< workers, the caller included: 1..1024 (set_default_ex: 0 = one per core) */
    mx_bind_policy bind; /**< MX_BIND_NONE pins nothing, only describes */
    int first_core;      /**< core of worker 0 (negative means 0) */
    int core_stride; /**< 0 means 1 */
    int pin_caller;      /**< non-zero: pin the creating thread as worker 0 */
} mx_engine_opts;

/** Creates a pool of nthreads (>= 1, the caller is worker 0) pinned as asked. */
mx_engine *mx_engine_create(int nthreads, mx_bind_policy bind);

/** Creates a pool placed as opts says. */
mx_engine *mx_engine_create_ex(const mx_engine_opts *opts);

/** Stops and joins the workers and frees the pool. */
void mx_engine_free(mx_engine *eng);

/** The process-wide engine, made on first use from MX_NUM_THREADS and
 * MX_BIND (core|none); NULL with mx_last_error set if they are invalid. */
mx_engine *mx_engine_default(void);

/** Replaces the process-wide engine with one of nthreads (0 = one per core). */
mx_status mx_engine_set_default(int nthreads, mx_bind_policy bind);

/** Replaces the default pool with one placed as opts says (an MPI rank's
 * share of its node's cores; nthreads 0: one per core). */
mx_status mx_engine_set_default_ex(const mx_engine_opts *opts);

/** Cores this process may run on (hwloc's allowed set, or sched_getaffinity's). */
int mx_engine_cores(void);

/** Number of threads of eng (1 for NULL). */
int mx_engine_threads(const mx_engine *eng);

/** A one-thread view of worker tid of eng (eng itself when it has one
 * thread): runs regions inline, with that worker's scratch. For a worker
 * inside a region of eng that runs a whole op by itself (the executor's
 * graph schedule). Owned by eng; never freed by the caller. */
mx_engine *mx_engine_solo(mx_engine *eng, int tid);

/** Runs fn(ctx, tid, n) on every worker and waits for all; eng NULL runs
 * it inline as one thread. Never allocates. */
void mx_engine_run(mx_engine *eng, mx_task_fn fn, void *ctx);

/** 1 when the calling thread is running a region's body (of any pool):
 * code that would start a region of its own must then run inline. */
int mx_engine_in_region(void);

/** Scratch buffer of worker tid (MX_ENGINE_SCRATCH_BYTES, 64-byte aligned). */
void *mx_engine_scratch(mx_engine *eng, int tid);

/** Static split of [0, n) into nthreads contiguous ranges: range of tid. */
void mx_split_range(long n, int tid, int nthreads, long *begin, long *end);

/** One line describing threads and where they are pinned, for logs. */
const char *mx_engine_describe(const mx_engine *eng);

#endif
