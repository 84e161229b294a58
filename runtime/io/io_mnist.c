/* io_mnist.c — the MNIST provider (libmxnet's MNISTIter): IDX images and
 * labels kept as bytes, converted to [0, 1] floats per batch straight
 * into the caller's buffers; shuffling, padding and sharding included. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/cpu_kernels.h"
#include "io_sampler.h"
#include "mx/idx.h"
#include "mx/io.h"

typedef struct mnist_provider {
    mx_provider base;
    mx_idx images, labels;
    int part, parts;   /* this shard of the batches (io.h: num_parts) */
    size_t pixels;     /* per image */
    mx_io_desc data, label;
    char data_name[64], label_name[64];
    mx_sampler order;
} mnist_provider;

mx_mnist_opts mx_mnist_defaults(void)
{
    mx_mnist_opts o;
    memset(&o, 0, sizeof o);
    o.batch_size = 128;
    o.flat = 0;
    o.shuffle = 0;
    o.seed = 0;
    o.num_parts = 1;
    o.data_name = "data";
    o.label_name = "softmax_label";
    return o;
}

static int mn_num_one(const mx_provider *p) { (void)p; return 1; }
static mx_io_desc mn_data_desc(const mx_provider *p, int i) { (void)i; return ((const mnist_provider *)p)->data; }
static mx_io_desc mn_label_desc(const mx_provider *p, int i) { (void)i; return ((const mnist_provider *)p)->label; }
static long mn_num_samples(const mx_provider *p)
{
    const mnist_provider *m = (const mnist_provider *)p;
    return mx_sampler_part_samples(&m->order, p->batch_size, m->part, m->parts);
}

static mx_status mn_reset(mx_provider *p)
{
    mx_sampler_reset(&((mnist_provider *)p)->order);
    return MX_OK;
}

static void mn_set_epoch(mx_provider *p, long epochs) { mx_sampler_set_epoch(&((mnist_provider *)p)->order, epochs); }

static int mn_next(mx_provider *p, mx_batch *b)
{
    mnist_provider *m = (mnist_provider *)p;
    const long *idx;
    int got;
    if (!mx_sampler_take_part(&m->order, p->batch_size, m->part, m->parts, &idx, &got)) return 0;
    const float scale = 1.0f / 255.0f;
    float *dst = b->data[0];
    for (int i = 0; i < got && dst; i++) {
        const uint8_t *src = m->images.data + (size_t)idx[i] * m->pixels;
        mx_cpu_u8_to_f32(dst + (size_t)i * m->pixels, src, m->pixels, scale);
    }
    if (dst) memset(dst + (size_t)got * m->pixels, 0, (size_t)(p->batch_size - got) * m->pixels * sizeof(float));
    if (b->label[0]) {
        for (int i = 0; i < got; i++) b->label[0][i] = (float)m->labels.data[idx[i]];
        for (int i = got; i < p->batch_size; i++) b->label[0][i] = 0.0f;
    }
    b->count = got;
    return 1;
}

static void mn_free(mx_provider *p)
{
    mnist_provider *m = (mnist_provider *)p;
    mx_idx_free(&m->images);
    mx_idx_free(&m->labels);
    mx_sampler_free(&m->order);
    free(m);
}

static const mx_provider_vtbl mnist_vtbl = {mn_num_one, mn_data_desc, mn_num_one, mn_label_desc,
                                            mn_num_samples, mn_reset, mn_next, mn_free, mn_set_epoch};

static mx_status check_files(mnist_provider *m, const mx_mnist_opts *o)
{
    if (m->images.ndim != 3)
        return mx_set_error(MX_EFORMAT, "%s: expected 3 dimensions (items, rows, cols) for MNIST images, found %d",
                            o->image, m->images.ndim);
    if (m->labels.ndim != 1)
        return mx_set_error(MX_EFORMAT, "%s: expected 1 dimension for MNIST labels, found %d", o->label,
                            m->labels.ndim);
    if (m->images.dims[0] != m->labels.dims[0])
        return mx_set_error(MX_EFORMAT, "%s: %lld labels for %lld images in %s", o->label,
                            (long long)m->labels.dims[0], (long long)m->images.dims[0], o->image);
    for (size_t i = 0; i < m->labels.size; i++)
        if (m->labels.data[i] > 9)
            return mx_set_error(MX_EFORMAT, "%s: label %u of item %zu outside 0..9", o->label,
                                m->labels.data[i], i);
    return MX_OK;
}

mx_provider *mx_mnist_provider(const mx_mnist_opts *o)
{
    if (!o || !o->image || !o->label) {
        mx_set_error(MX_EINVAL, "MNIST provider: image and label paths are required");
        return NULL;
    }
    if (o->batch_size < 1) {
        mx_set_error(MX_EINVAL, "MNIST provider: batch_size must be >= 1 (got %d)", o->batch_size);
        return NULL;
    }
    if (o->num_parts < 1 || o->part_index < 0 || o->part_index >= o->num_parts) {
        mx_set_error(MX_EINVAL, "MNIST provider: part_index %d outside 0..num_parts-1 (num_parts %d)",
                     o->part_index, o->num_parts);
        return NULL;
    }
    mnist_provider *m = calloc(1, sizeof *m);
    if (!m) { mx_set_error(MX_ENOMEM, "MNIST provider: out of memory"); return NULL; }
    m->base.v = &mnist_vtbl;
    m->base.batch_size = o->batch_size;
    mx_status st = mx_idx_load(o->image, &m->images);
    if (st == MX_OK) st = mx_idx_load(o->label, &m->labels);
    if (st == MX_OK) st = check_files(m, o);
    if (st != MX_OK) { mn_free(&m->base); return NULL; }
    long total = (long)m->images.dims[0];
    if (o->limit > 0 && o->limit < total) total = o->limit;
    m->part = o->part_index;
    m->parts = o->num_parts;
    m->pixels = (size_t)(m->images.dims[1] * m->images.dims[2]);
    snprintf(m->data_name, sizeof m->data_name, "%s", o->data_name ? o->data_name : "data");
    snprintf(m->label_name, sizeof m->label_name, "%s", o->label_name ? o->label_name : "softmax_label");
    m->data.name = m->data_name;
    m->data.shape = o->flat ? mx_shape_make(2, o->batch_size, (int)m->pixels)
                            : mx_shape_make(4, o->batch_size, 1, (int)m->images.dims[1], (int)m->images.dims[2]);
    m->label.name = m->label_name;
    m->label.shape = mx_shape_make(1, o->batch_size);
    if (mx_sampler_init(&m->order, total, o->shuffle, o->seed) != MX_OK) {
        mn_free(&m->base);
        return NULL;
    }
    return &m->base;
}
