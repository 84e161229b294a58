/* schedule.h — private: a bound graph's steps as a dependency graph, run
 * by the pool's workers side by side (issue #18), and the memory spans
 * the dependencies are found from (shared with the GPU recorder,
 * executor_graph.c). */
#ifndef MX_RUNTIME_SCHEDULE_H
#define MX_RUNTIME_SCHEDULE_H

#include <stdint.h>

#include "executor_internal.h"

/* A byte range a step reads or writes. */
typedef struct mx_span {
    uintptr_t lo, hi; /* [lo, hi) */
    int write;
} mx_span;

/* Upper bound on the spans of step st (room for mx_step_spans). */
int mx_step_span_cap(const mx_step *st);

/* What step st of e reads and writes in forward or backward, into a;
 * returns the count. Conservative: aux states and the workspace count as
 * written, and a step that draws from the executor's generator writes it
 * (so random draws keep their order and their bits). */
int mx_step_spans(const mx_exec *e, const mx_step *st, int backward, mx_span *a);

/* 1 when two span lists overlap somewhere and one of the two writes there. */
int mx_spans_conflict(const mx_span *a, int na, const mx_span *b, int nb);

/* The plan of one direction (forward or backward): its steps in the
 * sequential order and, for each, the later steps that wait for it. */
typedef struct mx_sched mx_sched;

/* Builds the plan of e's forward (backward 0) or backward at bind: step q
 * precedes p when q comes first in the sequential order and their spans
 * conflict (data flow, and the planner's reuse of a buffer: a write
 * waits for every earlier reader). no_war (tests only) leaves out the
 * write-after-read edges, to show the random schedule test catches it. */
mx_status mx_sched_build(const mx_exec *e, int backward, int no_war, mx_sched **out);

/* Frees a plan (NULL is fine). */
void mx_sched_free(mx_sched *s);

/* Steps and dependency edges of a plan. */
int mx_sched_steps(const mx_sched *s);
int mx_sched_edges(const mx_sched *s);

/* Runs the plan's steps on every worker of e's engine, each step whole
 * on one worker as soon as its predecessors are done. No allocation and
 * no lock: atomic counters and a one-shot queue made at build. */
void mx_sched_run(mx_exec *e, mx_sched *s, int is_train);

/* Runs the plan on the calling thread in a random order that respects
 * the dependencies (seeded: the test mode that shuffles ready steps). */
void mx_sched_run_random(mx_exec *e, mx_sched *s, int is_train, uint64_t seed);

/* Runs the plan in the sequential order, timing each step, and returns
 * its parallelism: the summed step times over the longest dependency
 * chain's (what a schedule over enough workers could gain at most). */
double mx_sched_measure(mx_exec *e, mx_sched *s, int is_train);

#endif
