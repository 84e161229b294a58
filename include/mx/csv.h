/** @file
 * csv.h — numeric CSV files (MXNet's CSVIter): the reader, and a data
 * provider over a data file and an optional label file whose rows are
 * samples, each row reshaped to data_shape / label_shape. */
#ifndef MX_CSV_H
#define MX_CSV_H

#include <stddef.h>
#include "mx/error.h"
#include "mx/io.h"

/** A numeric CSV file read whole: rows × cols floats, row-major. */
typedef struct mx_csv {
    size_t rows; /**< non-blank lines */
    size_t cols; /**< numbers per line */
    float *data; /**< the rows·cols values (malloc'd; mx_csv_free) */
} mx_csv;

/** Reads path: comma-separated finite numbers, the same count on every
 * line (cols > 0 fixes it, 0 takes the first line's), blank lines
 * skipped, `\n` or `\r\n` line ends. Errors name the file, line and field. */
mx_status mx_csv_load(const char *path, size_t cols, mx_csv *out);

/** Frees what mx_csv_load filled (out is zeroed). */
void mx_csv_free(mx_csv *c);

/** Options of mx_csv_provider (MXNet's CSVIter); start from mx_csv_defaults. */
typedef struct mx_csv_opts {
    const char *data_csv;   /**< required */
    mx_shape data_shape;    /**< one row as this shape (its size = the columns) */
    const char *label_csv;  /**< NULL: no labels */
    mx_shape label_shape;   /**< default (1,) */
    int batch_size;         /**< required */
    int shuffle;            /**< 0; non-zero reshuffles every epoch */
    uint64_t seed;          /**< shuffle seed (0) */
    const char *data_name;  /**< "data" */
    const char *label_name; /**< "softmax_label" */
} mx_csv_opts;

/** Defaults: label_shape (1,), names "data" and "softmax_label". */
mx_csv_opts mx_csv_defaults(void);

/** Provider over the CSV files (read whole at creation; the last batch is
 * padded, its count says how many samples are real). The label file must
 * have one row per data row. */
mx_provider *mx_csv_provider(const mx_csv_opts *opts);

#endif
