/* metric.h — evaluation metrics, MXNet.jl's reset!/update!/get. Updates
 * take the real sample count of a (possibly padded) batch and allocate
 * nothing. */
#ifndef MX_METRIC_H
#define MX_METRIC_H

#include "mx/ndarray.h"

typedef struct mx_metric mx_metric;

/* Accuracy: argmax over the class axis (axis 1) against float labels;
 * outputs with more axes compare every position. */
mx_metric *mx_metric_accuracy(void);

/* Forgets everything seen. */
void mx_metric_reset(mx_metric *m);

/* Adds a batch: label (N, …) and pred (N, C, …), first count samples. */
void mx_metric_update(mx_metric *m, const mx_nd *label, const mx_nd *pred, int count);

/* Fills up to cap (name, value) pairs; returns how many the metric has. */
int mx_metric_get(const mx_metric *m, const char **names, double *values, int cap);

/* Frees the metric. */
void mx_metric_free(mx_metric *m);

#endif
