/* fuzz_idx.c — libFuzzer target for the MNIST IDX loader (mx_idx_load).
 * IDX files are user input (any path given to the MNIST iterator or the
 * apps), so every header field, size and gzip stream must fail cleanly.
 * The input is the file's bytes, loaded as-is (gzip detected by magic,
 * as the loader does); an input that is not gzip is also loaded once
 * more gzip-compressed, so the gzip reader sees every IDX shape the
 * fuzzer finds for the raw one. A success must account for every byte. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "fuzz_file.h"
#include "mx/idx.h"

/* Loads path; aborts (a finding) if a success disagrees with raw_size,
 * the input length, when the file was not compressed (0: unknown). */
static void load(const char *path, size_t raw_size)
{
    mx_idx x;
    if (mx_idx_load(path, &x) != MX_OK) return;
    uint64_t prod = 1;
    for (int i = 0; i < x.ndim; i++) prod *= (uint64_t)x.dims[i];
    if (x.ndim < 1 || x.ndim > MX_IDX_MAX_DIMS || !x.data || prod != x.size) abort();
    if (raw_size && raw_size != 4 + 4 * (size_t)x.ndim + x.size) abort();
    volatile uint8_t sink = x.data[x.size - 1]; /* the payload is really there */
    (void)sink;
    mx_idx_free(&x);
}

/* The gzip (RFC 1952) form of data, malloc'd; NULL on failure. */
static uint8_t *gzip_of(const uint8_t *data, size_t size, size_t *out_size)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return NULL;
    uLong cap = deflateBound(&z, (uLong)size);
    uint8_t *out = malloc(cap);
    if (!out) { deflateEnd(&z); return NULL; }
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)size;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_size = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) { free(out); return NULL; }
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    if (!path) return 0;
    int is_gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    load(path, is_gzip ? 0 : size);
    if (is_gzip) return 0;
    size_t gz_size;
    uint8_t *gz = gzip_of(data, size, &gz_size);
    if (!gz) return 0;
    path = fuzz_file(gz, gz_size);
    free(gz);
    if (path) load(path, 0);
    return 0;
}
