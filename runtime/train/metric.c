/* metric.c — the metric API and the per-output metrics (Accuracy, ACE,
 * MultiACE, MSE, NMSE), each a vtable over one shared struct. The metrics
 * over lists of outputs (NLL, MultiMetric, SeqMetric, NullMetric) live in
 * metric_seq.c. Sums are kept in double: an epoch adds millions of terms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metric_internal.h"

mx_metric *metric_new(const metric_vtbl *v)
{
    mx_metric *m = calloc(1, sizeof *m);
    if (!m) { mx_set_error(MX_ENOMEM, "metric: out of memory"); return NULL; }
    m->v = v;
    return m;
}

int metric_pair_geom(const char *who, const mx_nd *label, const mx_nd *pred, int count, metric_labels kind,
                     metric_pair *g)
{
    /* Only ints and strings in these messages: vsnprintf of a float may
     * allocate, and updates must not. */
    mx_shape ps = mx_nd_shape(pred), ls = mx_nd_shape(label);
    if (ps.ndim < 1 || ls.ndim < 1 || ls.dims[0] != ps.dims[0]) {
        mx_set_error(MX_EINVAL, "%s: label and prediction differ in samples (%d vs %d); pair skipped", who,
                     ls.ndim ? (int)ls.dims[0] : 0, ps.ndim ? (int)ps.dims[0] : 0);
        return 0;
    }
    size_t samples = (size_t)ps.dims[0];
    g->classes = ps.ndim > 1 ? (size_t)ps.dims[1] : 1;
    g->inner = mx_shape_tail(&ps, 2);
    g->n = count < 0 ? 0 : (size_t)count < samples ? (size_t)count : samples;
    g->l = mx_nd_data(label);
    g->p = mx_nd_data(pred);
    size_t lsize = mx_nd_size(label), psize = mx_nd_size(pred);
    /* Exact shape, as MXNet.jl's size(label) == size(pred): with one class,
     * (N,) labels of an (N, 1) prediction stay class indices. */
    g->dense = kind == METRIC_SAME_SIZE ? lsize == psize
               : kind == METRIC_INDEX_OR_PROBS ? mx_shape_equal(&ls, &ps) : 0;
    if (g->dense || (kind != METRIC_SAME_SIZE && lsize == samples * g->inner)) return 1;
    mx_set_error(MX_EINVAL, "%s: a label of %d elements does not fit a prediction of %d; pair skipped", who,
                 (int)lsize, (int)psize);
    return 0;
}

/* ---- Accuracy ---------------------------------------------------------- */

static void accuracy_update(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds,
                            int count)
{
    for (int k = 0; k < n; k++) {
        metric_pair g;
        if (!metric_pair_geom("Accuracy", labels[k], preds[k], count, METRIC_INDEX, &g)) continue;
        long hits = 0;
        for (size_t i = 0; i < g.n; i++) {
            for (size_t pos = 0; pos < g.inner; pos++) {
                const float *row = g.p + i * g.classes * g.inner + pos;
                size_t best = 0; /* the first maximum wins, as Julia's indmax */
                for (size_t c = 1; c < g.classes; c++)
                    if (row[c * g.inner] > row[best * g.inner]) best = c;
                /* float compare, as klass == label in MXNet.jl */
                hits += (float)best == g.l[i * g.inner + pos];
            }
        }
        m->sum += (double)hits;
        m->count += (double)(g.n * g.inner);
    }
}

static int accuracy_get(const mx_metric *m, const char **names, double *values, int cap)
{
    if (cap > 0) {
        names[0] = "accuracy";
        values[0] = m->count > 0 ? m->sum / m->count : 0.0;
    }
    return 1;
}

static const metric_vtbl accuracy_vtbl = {"Accuracy", accuracy_update, accuracy_get};

mx_metric *mx_metric_accuracy(void) { return metric_new(&accuracy_vtbl); }

/* ---- ACE and MultiACE ---------------------------------------------------- */

/* Adds one pair's cross-entropy to sums[class] and counts[class]; with
 * nclass 0 everything goes to sums[0] (plain ACE, where a label outside
 * the classes is p = 0), else to its class (MultiACE skips the rest). */
static void ace_pair(const metric_pair *g, double eps, double *sums, double *counts, size_t nclass)
{
    size_t per_class = nclass ? (nclass < g->classes ? nclass : g->classes) : g->classes;
    for (size_t i = 0; i < g->n; i++) {
        const float *p = g->p + i * g->classes * g->inner, *l = g->l;
        if (g->dense) {
            /* probabilities: Σ label·log(pred + eps) over every element */
            l += i * g->classes * g->inner;
            for (size_t c = 0; c < per_class; c++) {
                double s = 0.0;
                for (size_t pos = 0; pos < g->inner; pos++)
                    s -= (double)l[c * g->inner + pos] * log((double)p[c * g->inner + pos] + eps);
                sums[nclass ? c : 0] += s;
                counts[nclass ? c : 0] += (double)g->inner;
            }
            continue;
        }
        l += i * g->inner;
        for (size_t pos = 0; pos < g->inner; pos++) {
            long c = metric_label_class(l[pos], per_class);
            if (c < 0 && nclass) continue;
            double pk = c < 0 ? 0.0 : (double)p[(size_t)c * g->inner + pos];
            sums[nclass ? (size_t)c : 0] -= log(pk + eps);
            counts[nclass ? (size_t)c : 0] += 1.0;
        }
    }
}

static void ace_update(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds, int count)
{
    for (int k = 0; k < n; k++) {
        metric_pair g;
        if (metric_pair_geom("ACE", labels[k], preds[k], count, METRIC_INDEX_OR_PROBS, &g))
            ace_pair(&g, m->eps, &m->sum, &m->count, 0);
    }
}

static int ace_get(const mx_metric *m, const char **names, double *values, int cap)
{
    if (cap > 0) {
        names[0] = "ACE";
        values[0] = m->count > 0 ? m->sum / m->count : 0.0;
    }
    return 1;
}

static const metric_vtbl ace_vtbl = {"ACE", ace_update, ace_get};

mx_metric *mx_metric_ace(float eps)
{
    mx_metric *m = metric_new(&ace_vtbl);
    if (m) m->eps = eps > 0.0f ? (double)eps : 1e-8;
    return m;
}

static void multi_ace_update(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds,
                             int count)
{
    for (int k = 0; k < n; k++) {
        metric_pair g;
        if (metric_pair_geom("MultiACE", labels[k], preds[k], count, METRIC_INDEX_OR_PROBS, &g))
            ace_pair(&g, m->eps, m->sums, m->counts, (size_t)m->n);
    }
}

static int multi_ace_get(const mx_metric *m, const char **names, double *values, int cap)
{
    double sum = 0.0, count = 0.0;
    for (int c = 0; c < m->n; c++) {
        if (c < cap) {
            names[c] = m->labels[c];
            values[c] = m->counts[c] > 0 ? m->sums[c] / m->counts[c] : 0.0;
        }
        sum += m->sums[c];
        count += m->counts[c];
    }
    if (m->n < cap) {
        names[m->n] = "ACE";
        values[m->n] = count > 0 ? sum / count : 0.0;
    }
    return m->n + 1;
}

static const metric_vtbl multi_ace_vtbl = {"MultiACE", multi_ace_update, multi_ace_get};

enum { ACE_LABEL_CAP = 16 }; /* "ACE_" and up to 11 digits */

mx_metric *mx_metric_multi_ace(int n_classes, float eps)
{
    if (n_classes < 1) {
        mx_set_error(MX_EINVAL, "MultiACE: n_classes must be >= 1 (got %d)", n_classes);
        return NULL;
    }
    mx_metric *m = mx_metric_ace(eps);
    if (!m) return NULL;
    m->v = &multi_ace_vtbl;
    m->n = n_classes;
    m->sums = calloc((size_t)n_classes, sizeof *m->sums);
    m->counts = calloc((size_t)n_classes, sizeof *m->counts);
    m->labels = calloc((size_t)n_classes, sizeof *m->labels);
    m->text = malloc((size_t)n_classes * ACE_LABEL_CAP);
    if (!m->sums || !m->counts || !m->labels || !m->text) {
        mx_metric_free(m);
        mx_set_error(MX_ENOMEM, "MultiACE: out of memory");
        return NULL;
    }
    /* MXNet.jl numbers them from 1: ACE_1 is class 0. */
    for (int c = 0; c < n_classes; c++) {
        char *s = m->text + (size_t)c * ACE_LABEL_CAP;
        snprintf(s, ACE_LABEL_CAP, "ACE_%d", c + 1);
        m->labels[c] = s;
    }
    return m;
}

/* ---- MSE and NMSE ------------------------------------------------------ */

static void squared_errors(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds,
                           int count, int normalized)
{
    for (int k = 0; k < n; k++) {
        metric_pair g;
        if (!metric_pair_geom(normalized ? "NMSE" : "MSE", labels[k], preds[k], count, METRIC_SAME_SIZE, &g))
            continue;
        size_t elems = g.n * g.classes * g.inner; /* the first n samples, contiguous */
        double s = 0.0;
        for (size_t i = 0; i < elems; i++) {
            double d = (double)g.l[i] - (double)g.p[i];
            /* NMSE: a zero label (MXNet.jl: "batch padding") adds nothing */
            if (normalized) d = g.l[i] != 0.0f ? d / (double)g.l[i] : 0.0;
            s += d * d;
        }
        m->sum += s;
        m->count += (double)elems;
    }
}

static void mse_update(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds, int count)
{
    squared_errors(m, n, labels, preds, count, 0);
}

static void nmse_update(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds, int count)
{
    squared_errors(m, n, labels, preds, count, 1);
}

static int mse_get(const mx_metric *m, const char **names, double *values, int cap)
{
    if (cap > 0) {
        names[0] = m->v->name; /* "MSE" or "NMSE", MXNet.jl's symbols */
        values[0] = m->count > 0 ? m->sum / m->count : 0.0;
    }
    return 1;
}

static const metric_vtbl mse_vtbl = {"MSE", mse_update, mse_get};
static const metric_vtbl nmse_vtbl = {"NMSE", nmse_update, mse_get};

mx_metric *mx_metric_mse(void) { return metric_new(&mse_vtbl); }

mx_metric *mx_metric_nmse(void) { return metric_new(&nmse_vtbl); }

/* ---- the API ------------------------------------------------------------- */

const char *mx_metric_name(const mx_metric *m)
{
    /* Multi/Seq build "MultiMetric(…)" at construction; MultiACE's text
     * holds its labels, not a name. */
    return m->kids && m->text ? m->text : m->v->name;
}

void mx_metric_reset(mx_metric *m)
{
    m->sum = m->count = 0.0;
    if (m->sums) memset(m->sums, 0, (size_t)m->n * sizeof *m->sums);
    if (m->counts) memset(m->counts, 0, (size_t)m->n * sizeof *m->counts);
    if (m->kids)
        for (int i = 0; i < m->n; i++) mx_metric_reset(m->kids[i]);
}

void mx_metric_update(mx_metric *m, const mx_nd *label, const mx_nd *pred, int count)
{
    m->v->update(m, 1, &label, &pred, count);
}

void mx_metric_update_list(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds,
                           int count)
{
    if (n > 0) m->v->update(m, n, labels, preds, count);
}

int mx_metric_get(const mx_metric *m, const char **names, double *values, int cap)
{
    return m->v->get(m, names, values, cap < 0 ? 0 : cap);
}

/* Walks the running sums in a fixed order (sum, count, per-class sums and
 * counts, then the owned metrics), copying them out (store 0) or in. */
static int metric_walk(mx_metric *m, double *buf, int cap, int at, int store)
{
    double *fields[2] = {&m->sum, &m->count};
    for (int i = 0; i < 2; i++, at++)
        if (buf && at < cap) {
            if (store) *fields[i] = buf[at];
            else buf[at] = *fields[i];
        }
    for (int c = 0; c < m->n && m->sums; c++) {
        if (buf && at + 1 < cap) {
            if (store) { m->sums[c] = buf[at]; m->counts[c] = buf[at + 1]; }
            else { buf[at] = m->sums[c]; buf[at + 1] = m->counts[c]; }
        }
        at += 2;
    }
    for (int k = 0; k < m->n && m->kids; k++) at = metric_walk(m->kids[k], buf, cap, at, store);
    return at;
}

int mx_metric_state(const mx_metric *m, double *buf, int cap)
{
    return metric_walk((mx_metric *)m, buf, cap, 0, 0); /* store 0 only reads */
}

void mx_metric_set_state(mx_metric *m, const double *buf, int n)
{
    metric_walk(m, (double *)buf, n, 0, 1); /* store 1 only reads buf */
}

void mx_metric_free(mx_metric *m)
{
    if (!m) return;
    if (m->kids)
        for (int i = 0; i < m->n; i++) mx_metric_free(m->kids[i]);
    free(m->kids);
    free(m->sums);
    free(m->counts);
    free(m->labels);
    free(m->text);
    free(m);
}
