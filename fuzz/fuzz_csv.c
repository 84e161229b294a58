/* fuzz_csv.c — libFuzzer target for the numeric CSV reader
 * (mx_csv_load, behind CSVIter): data files come from users, so field
 * counts, numbers, line endings and sizes must all be checked. The input
 * is the file's bytes, read with the column count taken from the first
 * line and again with a fixed 3. A success must be self-consistent:
 * rows × cols finite values, no more values than the bytes could hold. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "mx/csv.h"

static void check(const char *path, size_t cols, size_t size)
{
    mx_csv c;
    if (mx_csv_load(path, cols, &c) != MX_OK) {
        if (c.data || c.rows || c.cols) abort(); /* a failed load leaves nothing */
        return;
    }
    if (!c.rows || !c.cols || !c.data || (cols && c.cols != cols)) abort();
    if (c.rows * c.cols > size) abort(); /* every value takes at least one byte */
    for (size_t i = 0; i < c.rows * c.cols; i++)
        if (!isfinite(c.data[i])) abort();
    mx_csv_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    check(path, 0, size);
    check(path, 3, size);
    return 0;
}
