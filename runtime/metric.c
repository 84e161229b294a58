/* metric.c — Accuracy (more metrics join through the same vtable). */
#include "mx/metric.h"

#include <stdlib.h>

typedef struct metric_vtbl {
    void (*update)(mx_metric *m, const mx_nd *label, const mx_nd *pred, int count);
    int (*get)(const mx_metric *m, const char **names, double *values, int cap);
} metric_vtbl;

struct mx_metric {
    const metric_vtbl *v;
    double sum;
    double count;
};

static void accuracy_update(mx_metric *m, const mx_nd *label, const mx_nd *pred, int count)
{
    mx_shape ps = mx_nd_shape(pred);
    size_t n = (size_t)ps.dims[0];
    size_t classes = ps.ndim > 1 ? (size_t)ps.dims[1] : 1;
    size_t inner = mx_shape_tail(&ps, 2);
    if ((size_t)count < n) n = (size_t)count;
    const float *p = mx_nd_data(pred), *l = mx_nd_data(label);
    long hits = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t pos = 0; pos < inner; pos++) {
            const float *row = p + i * classes * inner + pos;
            size_t best = 0;
            for (size_t c = 1; c < classes; c++)
                if (row[c * inner] > row[best * inner]) best = c;
            hits += (long)best == (long)l[i * inner + pos];
        }
    }
    m->sum += (double)hits;
    m->count += (double)(n * inner);
}

static int accuracy_get(const mx_metric *m, const char **names, double *values, int cap)
{
    if (cap > 0) {
        names[0] = "accuracy";
        values[0] = m->count > 0 ? m->sum / m->count : 0.0;
    }
    return 1;
}

static const metric_vtbl accuracy_vtbl = {accuracy_update, accuracy_get};

mx_metric *mx_metric_accuracy(void)
{
    mx_metric *m = calloc(1, sizeof *m);
    if (!m) { mx_set_error(MX_ENOMEM, "metric: out of memory"); return NULL; }
    m->v = &accuracy_vtbl;
    return m;
}

void mx_metric_reset(mx_metric *m) { m->sum = m->count = 0.0; }

void mx_metric_update(mx_metric *m, const mx_nd *label, const mx_nd *pred, int count)
{
    m->v->update(m, label, pred, count);
}

int mx_metric_get(const mx_metric *m, const char **names, double *values, int cap)
{
    return m->v->get(m, names, values, cap);
}

void mx_metric_free(mx_metric *m) { free(m); }
