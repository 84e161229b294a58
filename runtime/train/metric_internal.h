/* metric_internal.h — private: the metric object and the label/prediction
 * geometry, shared by the per-output metrics (metric.c) and the metrics over
 * lists of outputs (metric_seq.c). */
#ifndef MX_RUNTIME_METRIC_INTERNAL_H
#define MX_RUNTIME_METRIC_INTERNAL_H

#include <stddef.h>

#include "mx/metric.h"

typedef struct metric_vtbl {
    const char *name;
    /* n label/prediction pairs, first count samples of each. */
    void (*update)(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds, int count);
    int (*get)(const mx_metric *m, const char **names, double *values, int cap);
} metric_vtbl;

/* One struct for every kind, so reset and free are generic: each kind uses
 * the fields it needs and leaves the others zero. */
struct mx_metric {
    const metric_vtbl *v;
    double sum, count; /* running numerator and denominator */
    double eps;        /* ACE, MultiACE */
    int n;             /* classes (MultiACE) or owned metrics (Multi/Seq) */
    double *sums, *counts;   /* MultiACE: per class */
    const char **labels;     /* MultiACE: "ACE_1" … pointing into text */
    char *text;              /* MultiACE label storage; Multi/Seq display name */
    mx_metric **kids;        /* Multi/Seq */
};

/* What a metric accepts as the label of a prediction (N, C, …). */
typedef enum metric_labels {
    METRIC_INDEX,          /* (N, …): one class number per sample and position */
    METRIC_INDEX_OR_PROBS, /* that, or pred's exact shape (probabilities) */
    METRIC_SAME_SIZE       /* N samples and as many elements as pred */
} metric_labels;

/* Where one label/prediction pair's numbers are. */
typedef struct metric_pair {
    const float *l, *p;
    size_t n;       /* samples that count: min(count, N), at least 0 */
    size_t classes; /* pred's axis 1 (1 for a 1-d prediction) */
    size_t inner;   /* positions per sample: product of pred's axes 2… */
    int dense;      /* label is elementwise (same size as pred) */
} metric_pair;

/* Fills g for one pair; 0, with an error naming who, when the label does
 * not fit the prediction as kind says. */
int metric_pair_geom(const char *who, const mx_nd *label, const mx_nd *pred, int count, metric_labels kind,
                     metric_pair *g);

/* Class number of a float label, or -1 outside [0, classes). Rounded, as
 * the char-LSTM's round(Int, label): labels are exact small integers. */
static inline long metric_label_class(float l, size_t classes)
{
    if (!(l > -0.5f && (double)l < (double)classes - 0.5)) return -1; /* NaN too */
    return (long)(l + 0.5f);
}

/* A calloc'ed metric of kind v, or NULL with MX_ENOMEM recorded. */
mx_metric *metric_new(const metric_vtbl *v);

#endif
