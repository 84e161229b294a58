/* gradcheck.h — the numerical gradient check every op's tests use: the
 * objective is Σ out·H (random head gradient H) for ordinary ops and the
 * loss itself for output layers; central differences in float32 inputs,
 * compared against backward with a stated tolerance. */
#ifndef MX_TESTS_GRADCHECK_H
#define MX_TESTS_GRADCHECK_H

#include "mx/mx.h"

typedef enum mx_gc_objective { OBJ_HEAD, OBJ_SOFTMAX, OBJ_LINEAR, OBJ_LOGISTIC } mx_gc_objective;

typedef struct mx_gc_check {
    const char *what;
    mx_gc_objective obj;
    float grad_scale;     /* loss ops */
    int norm;             /* softmax: 0 null, 1 batch, 2 valid */
    int use_ignore;
    float ignore;
    int multi_output;
    int classes;          /* labels drawn from 0..classes-1 */
    float lo, hi;         /* range of non-label inputs */
    float nudge;          /* keep |x| above this (kinks at 0) */
} mx_gc_check;

/* Binds sym (one output; arguments named "*label*" get no gradient), fills inputs,
 * runs backward and compares up to ~40 entries per argument with central
 * differences (|a − n| ≤ 3e-3 + 2e-2·|n|); CUnit assertions on failure.
 * Returns how many entries were compared. */
int mx_gradcheck(const mx_gc_check *c, mx_sym *sym, int n, const char *const *names, const mx_shape *shapes);

/* A check of Σ out·H over inputs in [-1, 1]. */
mx_gc_check mx_gc_head(const char *what);

/* Applies op(params) to one variable "x" of shape s and checks it. */
void mx_gradcheck_unary(const char *op, const char *params, mx_shape s, mx_gc_check c);

#endif
