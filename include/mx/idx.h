/** @file
 * idx.h — MNIST IDX files (raw or gzip-compressed), validated on load:
 * magic, element type, dimensions and exact payload size. */
#ifndef MX_IDX_H
#define MX_IDX_H

#include <stddef.h>
#include <stdint.h>
#include "mx/error.h"

/** Most dimensions of an IDX file mx_idx_load accepts (MNIST's have 1 or 3). */
#define MX_IDX_MAX_DIMS 4

/** An unsigned-byte IDX file loaded whole. */
typedef struct mx_idx {
    int ndim;                        /**< 1..MX_IDX_MAX_DIMS */
    int64_t dims[MX_IDX_MAX_DIMS];   /**< dims[0] = number of items */
    uint8_t *data;                   /**< prod(dims) bytes, row-major */
    size_t size;                     /**< prod(dims) */
} mx_idx;

/** Loads an unsigned-byte IDX file (gzip detected by its magic); errors
 * name the file and what is wrong with it. */
mx_status mx_idx_load(const char *path, mx_idx *out);

/** Releases the data of an IDX file (safe on a zeroed struct). */
void mx_idx_free(mx_idx *idx);

#endif
