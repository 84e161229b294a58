/* dag.h — private: running the nodes of a dependency graph over a pool's
 * workers, each node whole on one worker as soon as its predecessors are
 * done (the executor's dependency schedule, runtime/exec/schedule.c, and
 * the NDArray queue, runtime/ndarray/nd_queue.c). The graph is the
 * caller's; running it allocates nothing and takes no lock: atomic
 * counters and a one-shot queue (each node enters it once per run). */
#ifndef MX_CORE_DAG_H
#define MX_CORE_DAG_H

#include <stdatomic.h>
#include <stdint.h>

#include "mx/engine.h"

/* Runs node `node` with its kernels on eng (one worker's view of the
 * pool, or the pool itself in a random run). */
typedef void (*mx_dag_fn)(void *ctx, int node, mx_engine *eng);

typedef struct mx_dag {
    int n;
    const int *npred;          /* [n] predecessors of each node */
    const int *succ_at, *succ; /* successors of p: succ[succ_at[p] .. succ_at[p+1]) */
    atomic_int *remaining;     /* [n] scratch the caller provides */
    atomic_int *queue;         /* [n] scratch the caller provides */
    atomic_int head, tail;
    mx_dag_fn fn;
    void *ctx;
} mx_dag;

/* Runs every node on eng's workers, by dependency, and returns when all are done. */
void mx_dag_run(mx_engine *eng, mx_dag *d);

/* Runs every node on the calling thread in a seeded random order that
 * respects the dependencies, each with eng (the test mode that shuffles
 * ready nodes). */
void mx_dag_run_random(mx_engine *eng, mx_dag *d, uint64_t seed);

#endif
