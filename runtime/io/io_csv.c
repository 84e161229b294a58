/* io_csv.c — CSVIter: a provider over a numeric data CSV and an optional
 * label CSV, both read whole at creation (formats/csv.c), each row one
 * sample reshaped to data_shape / label_shape. The batches come from the
 * array provider over arrays this provider owns. */
#include <stdlib.h>
#include <string.h>

#include "mx/csv.h"

typedef struct csv_provider {
    mx_provider hdr;
    mx_provider *inner;
    mx_nd *data, *label;
} csv_provider;

static mx_provider *in(const mx_provider *p) { return ((const csv_provider *)p)->inner; }
static int c_num_data(const mx_provider *p) { return mx_provider_num_data(in(p)); }
static mx_io_desc c_data_desc(const mx_provider *p, int i) { return mx_provider_data_desc(in(p), i); }
static int c_num_label(const mx_provider *p) { return mx_provider_num_label(in(p)); }
static mx_io_desc c_label_desc(const mx_provider *p, int i) { return mx_provider_label_desc(in(p), i); }
static long c_num_samples(const mx_provider *p) { return mx_provider_num_samples(in(p)); }
static mx_status c_reset(mx_provider *p) { return mx_provider_reset(in(p)); }
static int c_next(mx_provider *p, mx_batch *b) { return mx_provider_next(in(p), b); }
static void c_set_epoch(mx_provider *p, long epochs) { mx_provider_set_epoch(in(p), epochs); }

static void c_free(mx_provider *p)
{
    csv_provider *c = (csv_provider *)p;
    mx_provider_free(c->inner);
    mx_nd_free(c->data);
    mx_nd_free(c->label);
    free(c);
}

static const mx_provider_vtbl csv_vtbl = {c_num_data, c_data_desc, c_num_label, c_label_desc, c_num_samples,
                                          c_reset,    c_next,      c_free,      c_set_epoch};

mx_csv_opts mx_csv_defaults(void)
{
    mx_csv_opts o;
    memset(&o, 0, sizeof o);
    o.label_shape = mx_shape_make(1, 1);
    o.data_name = "data";
    o.label_name = "softmax_label";
    return o;
}

/* (rows, shape...) — or (rows,) for a shape of (1,), as labels are fed. */
static mx_nd *rows_of(const mx_csv *c, mx_shape shape)
{
    mx_shape s = {1, {(int64_t)c->rows}};
    if (!(shape.ndim == 1 && shape.dims[0] == 1)) {
        if (shape.ndim + 1 > MX_MAX_NDIM) {
            mx_set_error(MX_EINVAL, "CSV: a row shape of %d dims leaves no room for the sample axis", shape.ndim);
            return NULL;
        }
        for (int i = 0; i < shape.ndim; i++) s.dims[i + 1] = shape.dims[i];
        s.ndim = shape.ndim + 1;
    }
    mx_nd *nd = mx_nd_empty(s);
    if (nd) memcpy(mx_nd_data(nd), c->data, c->rows * c->cols * sizeof(float));
    return nd;
}

/* Columns a row shape asks for; 0 (with the error set) when it is empty. */
static size_t shape_cols(mx_shape s, const char *what)
{
    if (s.ndim < 1) {
        mx_set_error(MX_EINVAL, "CSV: %s is empty", what);
        return 0;
    }
    size_t n = 1;
    for (int i = 0; i < s.ndim; i++) {
        if (s.dims[i] < 1 || s.dims[i] > (1 << 24)) {
            mx_set_error(MX_EINVAL, "CSV: %s has a dimension of %lld", what, (long long)s.dims[i]);
            return 0;
        }
        n *= (size_t)s.dims[i];
        if (n > (1u << 24)) {
            mx_set_error(MX_EINVAL, "CSV: %s asks for more than 2^24 columns", what);
            return 0;
        }
    }
    return n;
}

mx_provider *mx_csv_provider(const mx_csv_opts *opts)
{
    if (!opts || !opts->data_csv) {
        mx_set_error(MX_EINVAL, "CSV: data_csv is required");
        return NULL;
    }
    if (opts->batch_size < 1) {
        mx_set_error(MX_EINVAL, "CSV: batch_size must be >= 1 (got %d)", opts->batch_size);
        return NULL;
    }
    size_t dcols = shape_cols(opts->data_shape, "data_shape");
    size_t lcols = opts->label_csv ? shape_cols(opts->label_shape, "label_shape") : 1;
    if (!dcols || !lcols) return NULL;
    mx_csv d = {0, 0, NULL}, l = {0, 0, NULL};
    if (mx_csv_load(opts->data_csv, dcols, &d) != MX_OK) return NULL;
    if (opts->label_csv && mx_csv_load(opts->label_csv, lcols, &l) != MX_OK) {
        mx_csv_free(&d);
        return NULL;
    }
    if (opts->label_csv && l.rows != d.rows) {
        mx_set_error(MX_EFORMAT, "CSV: %s has %zu rows but %s has %zu", opts->label_csv, l.rows, opts->data_csv,
                     d.rows);
        mx_csv_free(&d);
        mx_csv_free(&l);
        return NULL;
    }
    csv_provider *c = calloc(1, sizeof *c);
    if (c) {
        c->data = rows_of(&d, opts->data_shape);
        c->label = opts->label_csv ? rows_of(&l, opts->label_shape) : NULL;
    }
    mx_csv_free(&d);
    mx_csv_free(&l);
    if (!c || !c->data || (opts->label_csv && !c->label)) {
        if (!c) mx_set_error(MX_ENOMEM, "CSV: out of memory");
        if (c) c_free(&c->hdr);
        return NULL;
    }
    mx_array_provider_opts ao = {opts->batch_size, opts->shuffle, 0.0f, 0.0f, opts->seed};
    const char *dn = opts->data_name ? opts->data_name : "data";
    const char *ln = opts->label_name ? opts->label_name : "softmax_label";
    c->inner = mx_array_provider(1, &dn, &c->data, c->label ? 1 : 0, &ln, &c->label, &ao);
    if (!c->inner) {
        c_free(&c->hdr);
        return NULL;
    }
    c->hdr.v = &csv_vtbl;
    c->hdr.batch_size = opts->batch_size;
    return &c->hdr;
}
