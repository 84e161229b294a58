/* fuzz_params.c — libFuzzer target for the NDArray list loader
 * (mx_nd_load): `.params` checkpoints come from users and from MXNet,
 * so every count, shape, type flag and name length must be checked
 * against the bytes the file holds before anything is allocated or read.
 * The input is the file's bytes. A success must be self-consistent:
 * n arrays, each present, names all present or absent. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "mx/ndfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    mx_nd_list l;
    if (mx_nd_load(path, &l) != MX_OK) {
        /* a failed load leaves the list zeroed */
        if (l.n || l.names || l.arrays) abort();
        return 0;
    }
    if (l.n < 0 || (l.n > 0 && !l.arrays)) abort();
    for (int i = 0; i < l.n; i++) {
        if (!l.arrays[i]) abort();
        size_t n = mx_nd_size(l.arrays[i]);
        /* every element was read from the file (at least a byte each) */
        if (n > size) abort();
        if (n) {
            volatile float sink = mx_nd_data(l.arrays[i])[n - 1];
            (void)sink;
        }
        if (l.names && (!l.names[i] || mx_nd_list_find(&l, l.names[i]) < 0)) abort();
    }
    mx_nd_list_free(&l);
    return 0;
}
