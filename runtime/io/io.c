/* io.c — the provider interface, the sample order, and ArrayDataProvider. */
#include "mx/io.h"

#include <stdlib.h>
#include <string.h>

#include "io_sampler.h"

int mx_provider_batch_size(const mx_provider *p) { return p->batch_size; }
int mx_provider_num_data(const mx_provider *p) { return p->v->num_data(p); }
mx_io_desc mx_provider_data_desc(const mx_provider *p, int i) { return p->v->data_desc(p, i); }
int mx_provider_num_label(const mx_provider *p) { return p->v->num_label(p); }
mx_io_desc mx_provider_label_desc(const mx_provider *p, int i) { return p->v->label_desc(p, i); }
long mx_provider_num_samples(const mx_provider *p) { return p->v->num_samples(p); }
mx_status mx_provider_reset(mx_provider *p) { return p->v->reset(p); }

void mx_provider_set_epoch(mx_provider *p, long epochs)
{
    if (p->v->set_epoch) p->v->set_epoch(p, epochs);
}
int mx_provider_next(mx_provider *p, mx_batch *b) { return p->v->next(p, b); }

void mx_provider_free(mx_provider *p)
{
    if (p) p->v->free(p);
}

mx_status mx_sampler_init(mx_sampler *s, long n, int shuffle, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->perm = malloc((size_t)(n > 0 ? n : 1) * sizeof *s->perm);
    if (!s->perm) return mx_set_error(MX_ENOMEM, "provider: out of memory for %ld samples", n);
    s->n = n;
    s->shuffle = shuffle;
    s->seed = seed;
    for (long i = 0; i < n; i++) s->perm[i] = i;
    s->cursor = n; /* nothing until the first reset */
    return MX_OK;
}

void mx_sampler_set_epoch(mx_sampler *s, long epochs) { s->epochs = epochs; }

void mx_sampler_reset(mx_sampler *s)
{
    s->epochs++;
    if (s->shuffle) {
        /* Fisher–Yates from the identity with a generator seeded by (seed,
         * epoch): an epoch's order does not depend on earlier epochs, so a
         * resumed run sees the same orders as an uninterrupted one. */
        mx_rng rng;
        mx_rng_seed(&rng, s->seed ^ (0x9e3779b97f4a7c15ULL * (uint64_t)s->epochs));
        for (long i = 0; i < s->n; i++) s->perm[i] = i;
        for (long i = s->n - 1; i > 0; i--) {
            long j = (long)mx_rng_below(&rng, (uint64_t)i + 1);
            long t = s->perm[i];
            s->perm[i] = s->perm[j];
            s->perm[j] = t;
        }
    }
    s->cursor = 0;
}

int mx_sampler_take(mx_sampler *s, int batch, const long **idx)
{
    long left = s->n - s->cursor;
    if (left <= 0) return 0;
    int take = left < batch ? (int)left : batch;
    *idx = s->perm + s->cursor;
    s->cursor += take;
    return take;
}

int mx_sampler_take_part(mx_sampler *s, int batch, int part, int parts, const long **idx, int *got)
{
    if (s->cursor >= s->n) return 0;
    long from = s->cursor + (long)part * batch, left = s->n - from;
    *got = left <= 0 ? 0 : left < batch ? (int)left : batch;
    *idx = s->perm + (left > 0 ? from : 0);
    s->cursor += (long)batch * parts;
    return 1;
}

long mx_sampler_part_samples(const mx_sampler *s, int batch, int part, int parts)
{
    long global = (long)batch * parts, full = s->n / global, rest = s->n % global - (long)part * batch;
    return full * batch + (rest <= 0 ? 0 : rest < batch ? rest : batch);
}

void mx_sampler_free(mx_sampler *s)
{
    free(s->perm);
    s->perm = NULL;
}

/* ---- ArrayDataProvider ---- */

typedef struct array_provider {
    mx_provider base;
    int ndata, nlabel;
    mx_io_desc desc[2 * MX_IO_MAX];
    mx_nd *arrays[2 * MX_IO_MAX];
    float padding[2];
    mx_sampler order;
} array_provider;

static int ap_num_data(const mx_provider *p) { return ((const array_provider *)p)->ndata; }
static int ap_num_label(const mx_provider *p) { return ((const array_provider *)p)->nlabel; }
static mx_io_desc ap_data_desc(const mx_provider *p, int i) { return ((const array_provider *)p)->desc[i]; }

static mx_io_desc ap_label_desc(const mx_provider *p, int i)
{
    const array_provider *a = (const array_provider *)p;
    return a->desc[a->ndata + i];
}

static long ap_num_samples(const mx_provider *p) { return ((const array_provider *)p)->order.n; }

static mx_status ap_reset(mx_provider *p)
{
    mx_sampler_reset(&((array_provider *)p)->order);
    return MX_OK;
}

static void ap_set_epoch(mx_provider *p, long epochs) { mx_sampler_set_epoch(&((array_provider *)p)->order, epochs); }

static int ap_next(mx_provider *p, mx_batch *b)
{
    array_provider *a = (array_provider *)p;
    const long *idx;
    int got = mx_sampler_take(&a->order, p->batch_size, &idx);
    if (!got) return 0;
    for (int k = 0; k < a->ndata + a->nlabel; k++) {
        float *dst = k < a->ndata ? b->data[k] : b->label[k - a->ndata];
        if (!dst) continue;
        size_t row = mx_shape_tail(&a->desc[k].shape, 1);
        const float *src = mx_nd_data(a->arrays[k]);
        for (int i = 0; i < got; i++) memcpy(dst + (size_t)i * row, src + (size_t)idx[i] * row, row * sizeof(float));
        float pad = a->padding[k < a->ndata ? 0 : 1];
        for (size_t j = (size_t)got * row; j < (size_t)p->batch_size * row; j++) dst[j] = pad;
    }
    b->count = got;
    return 1;
}

static void ap_free(mx_provider *p)
{
    array_provider *a = (array_provider *)p;
    mx_sampler_free(&a->order);
    free(a);
}

static const mx_provider_vtbl array_vtbl = {ap_num_data, ap_data_desc, ap_num_label, ap_label_desc,
                                            ap_num_samples, ap_reset, ap_next, ap_free, ap_set_epoch};

mx_provider *mx_array_provider(int ndata, const char *const *data_names, mx_nd *const *data,
                               int nlabel, const char *const *label_names, mx_nd *const *labels,
                               const mx_array_provider_opts *opts)
{
    if (ndata < 1 || ndata > MX_IO_MAX || nlabel < 0 || nlabel > MX_IO_MAX) {
        mx_set_error(MX_EINVAL, "ArrayDataProvider: %d data and %d label arrays (1..%d and 0..%d allowed)",
                     ndata, nlabel, MX_IO_MAX, MX_IO_MAX);
        return NULL;
    }
    if (!opts || opts->batch_size < 1) {
        mx_set_error(MX_EINVAL, "ArrayDataProvider: batch_size must be >= 1");
        return NULL;
    }
    array_provider *a = calloc(1, sizeof *a);
    if (!a) { mx_set_error(MX_ENOMEM, "ArrayDataProvider: out of memory"); return NULL; }
    a->base.v = &array_vtbl;
    a->base.batch_size = opts->batch_size;
    a->ndata = ndata;
    a->nlabel = nlabel;
    a->padding[0] = opts->data_padding;
    a->padding[1] = opts->label_padding;
    long n = -1;
    for (int k = 0; k < ndata + nlabel; k++) {
        mx_nd *arr = k < ndata ? data[k] : labels[k - ndata];
        const char *name = k < ndata ? data_names[k] : label_names[k - ndata];
        if (!arr || !name) {
            mx_set_error(MX_EINVAL, "ArrayDataProvider: %s %d is NULL", k < ndata ? "data" : "label",
                         k < ndata ? k : k - ndata);
            free(a);
            return NULL;
        }
        mx_shape s = mx_nd_shape(arr);
        if (n >= 0 && s.dims[0] != n) {
            mx_set_error(MX_EINVAL, "ArrayDataProvider: '%s' has %lld samples, expected %ld", name,
                         (long long)s.dims[0], n);
            free(a);
            return NULL;
        }
        n = (long)s.dims[0];
        a->arrays[k] = arr;
        a->desc[k].name = name;
        a->desc[k].shape = s;
        a->desc[k].shape.dims[0] = opts->batch_size;
    }
    if (mx_sampler_init(&a->order, n, opts->shuffle, opts->seed) != MX_OK) {
        free(a);
        return NULL;
    }
    return &a->base;
}
