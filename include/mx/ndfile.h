/** @file
 * ndfile.h — NDArray list files in MXNet's format (`.params` checkpoints,
 * mx.save / mx.load), so parameters move between mxrt and MXNet.
 * mxrt writes V2 dense float32 arrays; it reads V2, V1 and legacy arrays
 * of any dense numeric type MXNet 1.x saves, converting them to float32.
 * An array saved by MXNet with no shape (ndim 0, "none") loads as a
 * shape (0,) array with no elements. */
#ifndef MX_NDFILE_H
#define MX_NDFILE_H

#include "mx/error.h"
#include "mx/ndarray.h"

/** A loaded file: n arrays and, if the file has them, their n names. */
typedef struct mx_nd_list {
    int n;           /**< number of arrays */
    char **names;    /**< NULL if the file has none */
    mx_nd **arrays;  /**< the n arrays, owned by the list (mx_nd_list_free) */
} mx_nd_list;

/** Atomically writes n arrays with their names (names may be NULL) to path. */
mx_status mx_nd_save(const char *path, int n, const char *const *names, mx_nd *const *arrays);

/** Reads every array and name of path into out (zeroed on failure). */
mx_status mx_nd_load(const char *path, mx_nd_list *out);

/** Frees the arrays and names of l and zeroes it (NULL is fine). */
void mx_nd_list_free(mx_nd_list *l);

/** Index of the array called name in l, or -1. */
int mx_nd_list_find(const mx_nd_list *l, const char *name);

#endif
