/** @file
 * shape.h — array shapes in libmxnet order (row-major, batch first). */
#ifndef MX_SHAPE_H
#define MX_SHAPE_H

#include <stddef.h>
#include <stdint.h>

/** Most dimensions a shape can have. */
#define MX_MAX_NDIM 8

/** ndim 0 means "unknown" during shape inference. */
typedef struct mx_shape {
    int ndim;                  /**< number of dimensions, 0..MX_MAX_NDIM */
    int64_t dims[MX_MAX_NDIM]; /**< extent of each axis, outermost first; only the first ndim count */
} mx_shape;

/** Builds a shape from ndim dimensions given as ints. */
mx_shape mx_shape_make(int ndim, ...);

/** Builds a shape from an array of ndim dims. */
mx_shape mx_shape_from(int ndim, const int64_t *dims);

/** Number of elements (1 for a 0-d known shape is never used: 0 if unknown). */
size_t mx_shape_size(const mx_shape *s);

/** 1 if a and b have the same ndim and dims. */
int mx_shape_equal(const mx_shape *a, const mx_shape *b);

/** Writes "(100,784)" into buf and returns buf. */
char *mx_shape_str(const mx_shape *s, char *buf, size_t cap);

/** Product of dims[from..ndim). */
size_t mx_shape_tail(const mx_shape *s, int from);

/** Parses "(2,3)" or "2,3" into s; -1 on a malformed string. */
int mx_shape_parse(const char *text, mx_shape *s);

#endif
