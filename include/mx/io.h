/** @file
 * io.h — data providers (MXNet.jl's AbstractDataProvider): a vtable
 * with batch size, data/label descriptions and iteration. next() writes
 * the batch straight into caller buffers (the executor's input arrays)
 * and allocates nothing. */
#ifndef MX_IO_H
#define MX_IO_H

#include <stdint.h>
#include "mx/ndarray.h"

/** Most data inputs, and most label inputs, of one provider: an unrolled
 * char-LSTM has seq_len data + 2·layers state inputs and seq_len labels. */
#define MX_IO_MAX 128

typedef struct mx_provider mx_provider;

/** Name and shape (batch first) of one data or label input. */
typedef struct mx_io_desc {
    const char *name; /**< "data", "softmax_label", …; valid while the provider lives */
    mx_shape shape;   /**< one batch: (batch_size, …) */
} mx_io_desc;

/** Where next() writes: one buffer per data/label input (size of its desc). */
typedef struct mx_batch {
    float *data[MX_IO_MAX];  /**< buffer of data input i (host memory); NULL: skipped */
    float *label[MX_IO_MAX]; /**< buffer of label input i (host memory); NULL: skipped */
    int count; /**< real samples; < batch size only in a padded last batch */
} mx_batch;

/** A provider's functions (MXNet.jl's AbstractDataProvider interface);
 * the mx_provider_* calls dispatch through it. Only set_epoch may be NULL. */
typedef struct mx_provider_vtbl {
    int (*num_data)(const mx_provider *p);                 /**< number of data inputs (1..MX_IO_MAX) */
    mx_io_desc (*data_desc)(const mx_provider *p, int i);  /**< name and batch shape of data input i */
    int (*num_label)(const mx_provider *p);                /**< number of label inputs (0..MX_IO_MAX) */
    mx_io_desc (*label_desc)(const mx_provider *p, int i); /**< name and batch shape of label input i */
    long (*num_samples)(const mx_provider *p);             /**< samples per epoch, before padding */
    mx_status (*reset)(mx_provider *p);                    /**< starts a new epoch */
    int (*next)(mx_provider *p, mx_batch *b);              /**< fills b: 1, or 0 at the end of the epoch */
    void (*free)(mx_provider *p);                          /**< frees the provider and what it owns */
    void (*set_epoch)(mx_provider *p, long epochs); /**< optional, for resume */
} mx_provider_vtbl;

/** Every provider starts with this header. */
struct mx_provider {
    const mx_provider_vtbl *v; /**< the provider's functions */
    int batch_size;            /**< samples in every batch (the last one padded) */
};

/** Batch size of p. */
int mx_provider_batch_size(const mx_provider *p);

/** Number of data inputs. */
int mx_provider_num_data(const mx_provider *p);

/** Description of data input i. */
mx_io_desc mx_provider_data_desc(const mx_provider *p, int i);

/** Number of label inputs. */
int mx_provider_num_label(const mx_provider *p);

/** Description of label input i. */
mx_io_desc mx_provider_label_desc(const mx_provider *p, int i);

/** Samples per epoch (before padding). */
long mx_provider_num_samples(const mx_provider *p);

/** Starts a new epoch (reshuffles when shuffling). */
mx_status mx_provider_reset(mx_provider *p);

/** Declares epochs already run (resume): the next reset gives the order of
 * epoch epochs + 1, the same as in an uninterrupted run. */
void mx_provider_set_epoch(mx_provider *p, long epochs);

/** Fills b's buffers with the next batch: 1, or 0 at the end of the epoch. */
int mx_provider_next(mx_provider *p, mx_batch *b);

/** Frees the provider (NULL is fine). */
void mx_provider_free(mx_provider *p);

/** Options of mx_array_provider (MXNet.jl's ArrayDataProvider keywords). */
typedef struct mx_array_provider_opts {
    int batch_size;      /**< required */
    int shuffle;         /**< reshuffle every epoch */
    float data_padding;  /**< value filling the padded tail of the last batch */
    float label_padding; /**< the same for the labels */
    uint64_t seed;       /**< shuffle seed */
} mx_array_provider_opts;

/** ArrayDataProvider over arrays whose first axis is the sample axis; the
 * arrays must outlive the provider. */
mx_provider *mx_array_provider(int ndata, const char *const *data_names, mx_nd *const *data,
                               int nlabel, const char *const *label_names, mx_nd *const *labels,
                               const mx_array_provider_opts *opts);

/** Options of mx_mnist_provider (libmxnet's MNISTIter); start from mx_mnist_defaults. */
typedef struct mx_mnist_opts {
    const char *image;      /**< IDX images (raw or .gz) */
    const char *label;      /**< IDX labels */
    int batch_size;         /**< 128 in libmxnet; the tutorial uses 100 */
    int shuffle;            /**< 0; non-zero reshuffles every epoch */
    int flat;               /**< (N, 784) instead of (N, 1, 28, 28) */
    uint64_t seed;          /**< shuffle seed (0): an epoch's order depends on seed and epoch only */
    /** Shards for distributed training: of each global batch of
     * batch_size·num_parts samples (in the epoch's order, the same for every
     * part) part i reads slice i — N parts at batch B see exactly what one
     * reader at batch N·B sees, and every part gets the same number of
     * batches (a slice past the end is padding, count 0). */
    int part_index;         /**< this shard, 0..num_parts-1 */
    int num_parts;          /**< 1 */
    long limit;             /**< use only the first limit samples (0 = all) */
    const char *data_name;  /**< "data" */
    const char *label_name; /**< "softmax_label" */
} mx_mnist_opts;

/** libmxnet's MNISTIter defaults, with the tutorial's names. */
mx_mnist_opts mx_mnist_defaults(void);

/** MNIST provider: pixels stay uint8 and are scaled to [0, 1] per batch. */
mx_provider *mx_mnist_provider(const mx_mnist_opts *opts);

#endif
