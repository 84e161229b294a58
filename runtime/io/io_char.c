/* io_char.c — the char-LSTM's data provider (CharSeqProvider): the text's
 * vocabulary indices computed once at construction, so next() only copies
 * floats into the caller's buffers and allocates nothing. */
#include "mx/io_char.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct char_provider {
    mx_provider base;
    int seq_len, num_layers, num_hidden;
    int ndata, nlabel;   /* seq_len + 2·num_layers, seq_len */
    long batches;        /* per epoch */
    long cursor;         /* next batch */
    int part, parts;     /* this shard of every global batch */
    float *idx;          /* the cut range's indices, then the last one's label */
    mx_io_desc *desc;    /* data, then labels */
    char *names;         /* storage of the desc names */
} char_provider;

mx_char_opts mx_char_defaults(void)
{
    mx_char_opts o;
    memset(&o, 0, sizeof o);
    o.batch_size = 32;
    o.seq_len = 32;
    o.num_layers = 2;
    o.num_hidden = 256;
    o.prefix = "ptb";
    return o;
}

size_t mx_char_split_point(size_t len, double train_fraction)
{
    if (!(train_fraction > 0.0)) return 0; /* NaN too */
    if (train_fraction >= 1.0) return len;
    double at = round((double)len * train_fraction);
    return at >= (double)len ? len : (size_t)at;
}

static int cp_num_data(const mx_provider *p) { return ((const char_provider *)p)->ndata; }
static int cp_num_label(const mx_provider *p) { return ((const char_provider *)p)->nlabel; }
static mx_io_desc cp_data_desc(const mx_provider *p, int i) { return ((const char_provider *)p)->desc[i]; }

static mx_io_desc cp_label_desc(const mx_provider *p, int i)
{
    const char_provider *c = (const char_provider *)p;
    return c->desc[c->ndata + i];
}

static long cp_num_samples(const mx_provider *p)
{
    const char_provider *c = (const char_provider *)p;
    return c->batches * c->base.batch_size;
}

static mx_status cp_reset(mx_provider *p)
{
    ((char_provider *)p)->cursor = 0;
    return MX_OK;
}

static int cp_next(mx_provider *p, mx_batch *b)
{
    char_provider *c = (char_provider *)p;
    if (c->cursor >= c->batches) return 0;
    int batch = p->batch_size, seq = c->seq_len;
    const float *block = c->idx + ((size_t)c->cursor * (size_t)c->parts + (size_t)c->part) * (size_t)batch * (size_t)seq;
    for (int t = 0; t < seq; t++) {
        float *d = b->data[t], *l = b->label[t];
        for (int i = 0; d && i < batch; i++) d[i] = block[(size_t)i * seq + t];
        for (int i = 0; l && i < batch; i++) l[i] = block[(size_t)i * seq + t + 1];
    }
    /* The initial states: zero for every sequence (the executor may have
     * been handed other values since the last batch). */
    for (int k = seq; k < c->ndata; k++)
        if (b->data[k]) memset(b->data[k], 0, (size_t)batch * (size_t)c->num_hidden * sizeof(float));
    b->count = batch;
    c->cursor++;
    return 1;
}

static void cp_free(mx_provider *p)
{
    char_provider *c = (char_provider *)p;
    free(c->idx);
    free(c->desc);
    free(c->names);
    free(c);
}

static const mx_provider_vtbl char_vtbl = {cp_num_data, cp_data_desc, cp_num_label, cp_label_desc,
                                           cp_num_samples, cp_reset, cp_next, cp_free, NULL};

/* Names every input, MXNet.jl's order: data_1.., l1_init_c.., l1_init_h.., label_1.. */
static mx_status name_inputs(char_provider *c, const char *prefix)
{
    int n = c->ndata + c->nlabel;
    size_t width = strlen(prefix) + 32; /* "_label_" or "_l<i>_init_c" and an int */
    c->desc = calloc((size_t)n, sizeof *c->desc);
    c->names = malloc((size_t)n * width);
    if (!c->desc || !c->names) return mx_set_error(MX_ENOMEM, "CharSeqProvider: out of memory");
    int batch = c->base.batch_size;
    for (int k = 0; k < n; k++) {
        char *name = c->names + (size_t)k * width;
        int layer = k - c->seq_len;
        if (k < c->seq_len) {
            snprintf(name, width, "%s_data_%d", prefix, k + 1);
            c->desc[k].shape = mx_shape_make(1, batch);
        } else if (k < c->ndata) {
            int cell = layer < c->num_layers; /* init_c first, then init_h */
            snprintf(name, width, "%s_l%d_init_%c", prefix, layer % c->num_layers + 1, cell ? 'c' : 'h');
            c->desc[k].shape = mx_shape_make(2, batch, c->num_hidden);
        } else {
            snprintf(name, width, "%s_label_%d", prefix, k - c->ndata + 1);
            c->desc[k].shape = mx_shape_make(1, batch);
        }
        c->desc[k].name = name;
    }
    return MX_OK;
}

/* The provider over text[0, len); who starts every message. */
static mx_provider *create(const mx_char_opts *o, const char *text, size_t len, const char *who)
{
    if (!o->vocab) { mx_set_error(MX_EINVAL, "%s: vocab is required", who); return NULL; }
    if (o->batch_size < 1 || o->seq_len < 1 || o->num_layers < 0 || (o->num_layers > 0 && o->num_hidden < 1)) {
        mx_set_error(MX_EINVAL, "%s: batch_size %d, seq_len %d, num_layers %d, num_hidden %d (batch_size, seq_len, "
                     "num_hidden >= 1, num_layers >= 0)", who, o->batch_size, o->seq_len, o->num_layers,
                     o->num_hidden);
        return NULL;
    }
    if (o->seq_len > MX_IO_MAX || o->num_layers > MX_IO_MAX ||
        o->seq_len + 2 * o->num_layers > MX_IO_MAX) {
        mx_set_error(MX_EINVAL, "%s: seq_len %d + 2 x num_layers %d data inputs are more than MX_IO_MAX (%d)", who,
                     o->seq_len, o->num_layers, MX_IO_MAX);
        return NULL;
    }
    size_t end = o->end ? o->end : len;
    if (o->begin > end || end > len) {
        mx_set_error(MX_EINVAL, "%s: range [%zu, %zu) is not inside the text of %zu characters", who, o->begin, end,
                     len);
        return NULL;
    }
    int parts = o->num_parts > 1 ? o->num_parts : 1;
    if (o->part_index < 0 || o->part_index >= parts) {
        mx_set_error(MX_EINVAL, "%s: part_index %d outside 0..num_parts-1 (num_parts %d)", who, o->part_index,
                     parts);
        return NULL;
    }
    size_t per_batch = (size_t)o->batch_size * (size_t)o->seq_len * (size_t)parts;
    size_t batches = (end - o->begin) / per_batch;
    if (batches == 0) {
        mx_set_error(MX_EINVAL, "%s: the range [%zu, %zu) holds %zu characters, fewer than one batch of %d x %d%s",
                     who, o->begin, end, end - o->begin, o->batch_size * parts, o->seq_len,
                     parts > 1 ? " (batch x workers)" : "");
        return NULL;
    }
    char_provider *c = calloc(1, sizeof *c);
    if (!c) { mx_set_error(MX_ENOMEM, "%s: out of memory", who); return NULL; }
    c->base.v = &char_vtbl;
    c->base.batch_size = o->batch_size;
    c->seq_len = o->seq_len;
    c->num_layers = o->num_layers;
    c->num_hidden = o->num_hidden;
    c->ndata = o->seq_len + 2 * o->num_layers;
    c->nlabel = o->seq_len;
    c->batches = (long)batches;
    c->part = o->part_index;
    c->parts = parts;
    size_t used = batches * per_batch;
    c->idx = malloc((used + 1) * sizeof *c->idx);
    if (!c->idx || name_inputs(c, o->prefix ? o->prefix : "ptb") != MX_OK) {
        mx_set_error(MX_ENOMEM, "%s: out of memory for %zu characters", who, used);
        cp_free(&c->base);
        return NULL;
    }
    const unsigned char *t = (const unsigned char *)text + o->begin;
    for (size_t k = 0; k < used; k++) c->idx[k] = (float)mx_vocab_index(o->vocab, t[k]);
    /* The last character's label: the text's next byte, wherever the range ends. */
    c->idx[used] = (float)(o->begin + used < len ? mx_vocab_index(o->vocab, t[used]) : mx_vocab_unknown(o->vocab));
    return &c->base;
}

mx_provider *mx_char_provider(const mx_char_opts *opts)
{
    if (!opts) { mx_set_error(MX_EINVAL, "CharSeqProvider: options are required"); return NULL; }
    if (!opts->text && opts->len) { mx_set_error(MX_EINVAL, "CharSeqProvider: text is NULL"); return NULL; }
    return create(opts, opts->text, opts->len, "CharSeqProvider");
}

mx_provider *mx_char_provider_file(const char *path, const mx_char_opts *opts)
{
    if (!opts || !path) { mx_set_error(MX_EINVAL, "CharSeqProvider: path and options are required"); return NULL; }
    char *text;
    size_t len;
    if (mx_text_read(path, &text, &len) != MX_OK) return NULL;
    char who[4200];
    snprintf(who, sizeof who, "CharSeqProvider: %s", path);
    mx_provider *p = create(opts, text, len, who);
    free(text);
    return p;
}
