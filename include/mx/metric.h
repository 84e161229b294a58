/** @file
 * metric.h — evaluation metrics, MXNet.jl's reset!/update!/get.
 *
 * Arrays are row-major with the batch first: a prediction is (N, C, …)
 * with the class axis 1 and any further axes "positions"; an index label is
 * (N, …) holding one class number per sample and position. Updates take the
 * real sample count of a (possibly padded) batch — only the first count
 * samples of every array count — and allocate nothing: only constructors
 * allocate. A label/prediction pair whose shapes do not fit the metric is
 * skipped and leaves a message for mx_last_error. A metric that has seen
 * nothing reports 0 for every value (perplexity 1). */
#ifndef MX_METRIC_H
#define MX_METRIC_H

#include "mx/ndarray.h"

/** Evaluation metric (opaque; MXNet.jl's AbstractEvalMetric): running sums and how to report them. */
typedef struct mx_metric mx_metric;

/** Accuracy ("accuracy"): argmax over the class axis (axis 1) against float
 * labels; outputs with more axes compare every position, lists of outputs
 * every position of every output (the mean over all of them). */
mx_metric *mx_metric_accuracy(void);

/** ACE ("ACE"), averaged cross-entropy: −mean log(p_label + eps) over samples
 * and positions; a label of the prediction's exact shape is a probability
 * distribution instead: −Σ label·log(pred + eps) / number of elements.
 * eps ≤ 0 means MXNet.jl's default 1e-8. A label outside [0, C) has p = 0. */
mx_metric *mx_metric_ace(float eps);

/** MultiACE: ACE per class, reported as "ACE_1" … "ACE_<n_classes>" (class
 * 0 … n−1, MXNet.jl's names) followed by the overall "ACE". Labels outside
 * [0, min(n_classes, C)) are skipped. */
mx_metric *mx_metric_multi_ace(int n_classes, float eps);

/** MSE ("MSE"): mean (label − pred)² over all elements; label and prediction
 * hold the same number of elements per sample. */
mx_metric *mx_metric_mse(void);

/** NMSE ("NMSE"): mean ((label − pred)/label)² over all elements; as in
 * MXNet.jl an element whose label is 0 adds nothing but still counts. */
mx_metric *mx_metric_nmse(void);

/** The char-LSTM's NLL ("NLL", "perplexity"): each update of T outputs
 * (steps) adds −Σ log max(p_label, 1e-20) over the steps and samples,
 * divided by T; NLL is the total over the samples seen (positions count as
 * samples), so the per-sample mean of the per-step mean; perplexity =
 * exp(NLL). */
mx_metric *mx_metric_nll(void);

/** MultiMetric: updates every metric with the same lists; get concatenates
 * their (name, value) pairs in order. Takes ownership of the n metrics
 * always, even when it fails (a NULL among them makes it fail), so
 * constructors can be nested inline; each metric may be given once. */
mx_metric *mx_metric_multi(int n, mx_metric *const *metrics);

/** SeqMetric: metric i sees output i only (mx.Group outputs); get
 * concatenates their pairs. Ownership as mx_metric_multi. */
mx_metric *mx_metric_seq(int n, mx_metric *const *metrics);

/** NullMetric: computes and reports nothing (an ignored output). */
mx_metric *mx_metric_null(void);

/** One-line name for logs: "Accuracy", "ACE", …, "MultiMetric(Accuracy, ACE)". */
const char *mx_metric_name(const mx_metric *m);

/** Forgets everything seen. */
void mx_metric_reset(mx_metric *m);

/** Adds a batch: label (N, …) and pred (N, C, …), first count samples. */
void mx_metric_update(mx_metric *m, const mx_nd *label, const mx_nd *pred, int count);

/** Adds a batch of a network with n outputs (labels[i] goes with preds[i]),
 * first count samples of each: MXNet.jl's update!(metric, labels, preds). */
void mx_metric_update_list(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds,
                           int count);

/** Fills up to cap (name, value) pairs; returns how many the metric has. */
int mx_metric_get(const mx_metric *m, const char **names, double *values, int cap);

/** Number of running sums behind the metric's values; with buf, copies up
 * to cap of them there (merging metrics across workers). */
int mx_metric_state(const mx_metric *m, double *buf, int cap);

/** Replaces the running sums with n values as mx_metric_state wrote them. */
void mx_metric_set_state(mx_metric *m, const double *buf, int n);

/** Frees the metric (and, for MultiMetric/SeqMetric, the metrics it owns). */
void mx_metric_free(mx_metric *m);

#endif
