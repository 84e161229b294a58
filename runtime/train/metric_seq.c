/* metric_seq.c — metrics over lists of outputs: the char-LSTM's NLL (one
 * SoftmaxOutput per time step), MultiMetric and SeqMetric (which combine
 * other metrics), and NullMetric. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metric_internal.h"

/* ---- NLL --------------------------------------------------------------- */

static void nll_update(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds, int count)
{
    double nll = 0.0;
    for (int t = 0; t < n; t++) {
        metric_pair g;
        if (!metric_pair_geom("NLL", labels[t], preds[t], count, METRIC_INDEX, &g)) continue;
        for (size_t i = 0; i < g.n; i++) {
            const float *p = g.p + i * g.classes * g.inner, *l = g.l + i * g.inner;
            for (size_t pos = 0; pos < g.inner; pos++) {
                /* A label outside the classes has p = 0, floored as any. */
                long c = metric_label_class(l[pos], g.classes);
                double pk = c < 0 ? 0.0 : (double)p[(size_t)c * g.inner + pos];
                nll -= log(pk > 1e-20 ? pk : 1e-20);
            }
        }
    }
    /* MXNet.jl divides by the number of outputs (steps) and counts the
     * samples of the first label only: each sample adds its mean per step. */
    metric_pair g0;
    if (!metric_pair_geom("NLL", labels[0], preds[0], count, METRIC_INDEX, &g0)) return;
    m->sum += nll / n;
    m->count += (double)(g0.n * g0.inner);
}

static int nll_get(const mx_metric *m, const char **names, double *values, int cap)
{
    double nll = m->count > 0 ? m->sum / m->count : 0.0;
    if (cap > 0) { names[0] = "NLL"; values[0] = nll; }
    if (cap > 1) { names[1] = "perplexity"; values[1] = exp(nll); }
    return 2;
}

static const metric_vtbl nll_vtbl = {"NLL", nll_update, nll_get};

mx_metric *mx_metric_nll(void) { return metric_new(&nll_vtbl); }

/* ---- MultiMetric and SeqMetric ------------------------------------------ */

static void multi_update(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds, int count)
{
    for (int i = 0; i < m->n; i++) mx_metric_update_list(m->kids[i], n, labels, preds, count);
}

static void seq_update(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds, int count)
{
    /* MXNet.jl asserts the lengths match; here the common prefix is used. */
    if (n != m->n)
        mx_set_error(MX_EINVAL, "SeqMetric: %d outputs for %d metrics; the extra ones are skipped", n, m->n);
    for (int i = 0; i < m->n && i < n; i++) mx_metric_update(m->kids[i], labels[i], preds[i], count);
}

static int combined_get(const mx_metric *m, const char **names, double *values, int cap)
{
    int total = 0;
    for (int i = 0; i < m->n; i++) {
        int room = cap - total;
        if (room < 0) room = 0;
        /* Past cap nothing is written, so no offset is formed (names may
         * be NULL with cap 0). */
        total += room ? mx_metric_get(m->kids[i], names + total, values + total, room)
                      : mx_metric_get(m->kids[i], names, values, 0);
    }
    return total;
}

static const metric_vtbl multi_vtbl = {"MultiMetric", multi_update, combined_get};
static const metric_vtbl seq_vtbl = {"SeqMetric", seq_update, combined_get};

/* Owns metrics[0..n) from the start, so that every failure frees them. */
static mx_metric *combined_new(const metric_vtbl *v, int n, mx_metric *const *metrics)
{
    int ok = n >= 1 && metrics;
    for (int i = 0; ok && i < n; i++) ok = metrics[i] != NULL;
    mx_metric *m = ok ? metric_new(v) : NULL;
    size_t len = strlen(v->name) + 3; /* "Name(" … ")" and the NUL */
    for (int i = 0; metrics && i < n; i++)
        if (metrics[i]) len += strlen(mx_metric_name(metrics[i])) + 2;
    if (m && (!(m->kids = calloc((size_t)n, sizeof *m->kids)) || !(m->text = malloc(len)))) {
        free(m->kids);
        free(m);
        m = NULL;
        mx_set_error(MX_ENOMEM, "%s: out of memory", v->name);
    } else if (!ok) {
        mx_set_error(MX_EINVAL, "%s: needs n >= 1 metrics, none NULL (got n = %d)", v->name, n);
    }
    if (!m) {
        for (int i = 0; metrics && i < n; i++) mx_metric_free(metrics[i]);
        return NULL;
    }
    m->n = n;
    char *s = m->text;
    s += strlen(strcpy(s, v->name));
    *s++ = '(';
    for (int i = 0; i < n; i++) {
        m->kids[i] = metrics[i];
        if (i) { *s++ = ','; *s++ = ' '; }
        s += strlen(strcpy(s, mx_metric_name(metrics[i])));
    }
    strcpy(s, ")");
    return m;
}

mx_metric *mx_metric_multi(int n, mx_metric *const *metrics) { return combined_new(&multi_vtbl, n, metrics); }

mx_metric *mx_metric_seq(int n, mx_metric *const *metrics) { return combined_new(&seq_vtbl, n, metrics); }

/* ---- NullMetric -------------------------------------------------------- */

static void null_update(mx_metric *m, int n, const mx_nd *const *labels, const mx_nd *const *preds, int count)
{
    (void)m, (void)n, (void)labels, (void)preds, (void)count;
}

static int null_get(const mx_metric *m, const char **names, double *values, int cap)
{
    (void)m, (void)names, (void)values, (void)cap;
    return 0;
}

static const metric_vtbl null_vtbl = {"NullMetric", null_update, null_get};

mx_metric *mx_metric_null(void) { return metric_new(&null_vtbl); }
