/* idx.c — loader for MNIST IDX files, raw or gzip-compressed. Every field
 * is validated and each failure leaves a one-line message that starts
 * with the file path; nothing stays allocated after an error. */
#include "mx/idx.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_TYPE_UBYTE 0x08
#define IDX_MAX_BYTES ((uint64_t)1 << 32) /* far above MNIST, stops absurd mallocs */
#define IDX_GZ_CHUNK ((size_t)1 << 30)    /* gzread takes an int-sized length */
#define IDX_FIRST_BLOCK ((size_t)1 << 20) /* the payload buffer's first size */

/* One open input: exactly one of f / gz is set. */
typedef struct idx_reader {
    const char *path;
    FILE *f;
    gzFile gz;
} idx_reader;

static mx_status reader_open(idx_reader *r, const char *path)
{
    unsigned char magic[2];
    r->path = path;
    r->gz = NULL;
    r->f = fopen(path, "rb");
    if (!r->f) return mx_set_error(MX_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t n = fread(magic, 1, 2, r->f);
    if (ferror(r->f)) {
        int e = errno;
        fclose(r->f);
        r->f = NULL;
        return mx_set_error(MX_EIO, "%s: read error: %s", path, strerror(e));
    }
    if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        fclose(r->f);
        r->f = NULL;
        errno = 0;
        r->gz = gzopen(path, "rb");
        if (!r->gz)
            return mx_set_error(MX_EIO, "%s: cannot open gzip stream: %s", path,
                                errno ? strerror(errno) : "out of memory");
        gzbuffer(r->gz, 1 << 18); /* fewer syscalls than zlib's 8 KiB default */
        return MX_OK;
    }
    rewind(r->f);
    return MX_OK;
}

static void reader_close(idx_reader *r)
{
    if (r->f) fclose(r->f);
    if (r->gz) gzclose_r(r->gz);
    r->f = NULL;
    r->gz = NULL;
}

/* Maps the gzip stream's error state (if any) to a status and message. */
static mx_status gz_status(idx_reader *r)
{
    int zerr = Z_OK;
    const char *msg = gzerror(r->gz, &zerr);
    if (zerr == Z_OK) return MX_OK;
    if (zerr == Z_ERRNO) return mx_set_error(MX_EIO, "%s: read error: %s", r->path, strerror(errno));
    if (zerr == Z_MEM_ERROR) return mx_set_error(MX_ENOMEM, "%s: out of memory inflating", r->path);
    size_t plen = strlen(r->path);
    /* zlib prefixes its message with "path: "; we add our own */
    if (!strncmp(msg, r->path, plen) && !strncmp(msg + plen, ": ", 2)) msg += plen + 2;
    return mx_set_error(MX_EFORMAT, "%s: corrupt gzip stream: %s", r->path, msg);
}

/* Reads up to n bytes; *got < n only at end of input. */
static mx_status reader_read(idx_reader *r, void *buf, size_t n, size_t *got)
{
    *got = 0;
    if (r->f) {
        *got = fread(buf, 1, n, r->f);
        if (ferror(r->f)) return mx_set_error(MX_EIO, "%s: read error: %s", r->path, strerror(errno));
        return MX_OK;
    }
    while (*got < n) {
        size_t want = n - *got < IDX_GZ_CHUNK ? n - *got : IDX_GZ_CHUNK;
        int k = gzread(r->gz, (unsigned char *)buf + *got, (unsigned)want);
        if (k <= 0) {
            mx_status st = gz_status(r);
            if (st != MX_OK || k == 0) return st;
        }
        *got += (size_t)k;
    }
    /* a short gzip read can also mean a stream cut off mid-way */
    return gz_status(r);
}

/* Parses the magic and dims; fills ndim and dims of out, and *bytes with
 * the payload size (64-bit: on 32-bit targets it may exceed size_t). */
static mx_status read_header(idx_reader *r, mx_idx *out, uint64_t *bytes)
{
    unsigned char h[4 + 4 * MX_IDX_MAX_DIMS];
    size_t got;
    mx_status st = reader_read(r, h, 4, &got);
    if (st != MX_OK) return st;
    if (got < 4)
        return mx_set_error(MX_EFORMAT, "%s: truncated: expected a 4-byte IDX header, found %zu bytes",
                            r->path, got);
    if (h[0] != 0 || h[1] != 0)
        return mx_set_error(MX_EFORMAT, "%s: not an IDX file: bad magic 0x%02X%02X%02X%02X", r->path,
                            h[0], h[1], h[2], h[3]);
    if (h[2] != IDX_TYPE_UBYTE)
        return mx_set_error(MX_EFORMAT, "%s: unsupported element type 0x%02X (mxrt reads only 0x08, unsigned byte)",
                            r->path, h[2]);
    int ndim = h[3];
    if (ndim < 1 || ndim > MX_IDX_MAX_DIMS)
        return mx_set_error(MX_EFORMAT, "%s: bad number of dimensions %d (must be 1..%d)", r->path, ndim,
                            MX_IDX_MAX_DIMS);
    st = reader_read(r, h + 4, 4 * (size_t)ndim, &got);
    if (st != MX_OK) return st;
    if (got < 4 * (size_t)ndim)
        return mx_set_error(MX_EFORMAT, "%s: truncated: expected %d dimension sizes, found %zu bytes of them",
                            r->path, ndim, got);
    uint64_t size = 1;
    for (int i = 0; i < ndim; i++) {
        const unsigned char *p = h + 4 + 4 * i;
        uint64_t d = (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
        if (d == 0) return mx_set_error(MX_EFORMAT, "%s: dimension %d is zero", r->path, i);
        /* divide instead of multiply so the check itself cannot overflow */
        if (size > IDX_MAX_BYTES / d)
            return mx_set_error(MX_EFORMAT, "%s: too large: dimensions exceed %llu bytes", r->path,
                                (unsigned long long)IDX_MAX_BYTES);
        size *= d;
        out->dims[i] = (int64_t)d;
    }
    out->ndim = ndim;
    *bytes = size;
    return MX_OK;
}

/* Formats the dims as "60000x28x28" for messages. */
static const char *dims_str(const mx_idx *x, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < x->ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? "x%lld" : "%lld", (long long)x->dims[i]);
    return buf;
}

/* Fails if anything follows the payload, counting the extra bytes. */
static mx_status check_no_trailing(idx_reader *r, const mx_idx *x)
{
    unsigned char buf[1 << 16];
    uint64_t extra = 0;
    size_t got;
    do {
        mx_status st = reader_read(r, buf, sizeof buf, &got);
        if (st != MX_OK) return st;
        extra += got;
    } while (got == sizeof buf);
    if (extra)
        return mx_set_error(MX_EFORMAT, "%s: %llu trailing bytes after the %zu-byte payload", r->path,
                            (unsigned long long)extra, x->size);
    return MX_OK;
}

/* Reads the size payload bytes into x->data, which grows (doubling)
 * with the bytes actually read: a header that claims gigabytes in a tiny
 * or compressed file fails as truncated without allocating them (also
 * where size_t is 32-bit and cannot hold the claim). */
static mx_status read_payload(idx_reader *r, mx_idx *x, uint64_t size, size_t *got)
{
    char dims[64];
    size_t cap = 0;
    *got = 0;
    while (*got < size) {
        if (*got == cap) {
            uint64_t want = cap ? (uint64_t)cap * 2 : IDX_FIRST_BLOCK;
            if (want > size) want = size;
            uint8_t *p = want <= SIZE_MAX ? realloc(x->data, (size_t)want) : NULL;
            if (!p)
                return mx_set_error(MX_ENOMEM, "%s: cannot allocate %llu bytes for %s", r->path,
                                    (unsigned long long)size, dims_str(x, dims, sizeof dims));
            x->data = p;
            cap = (size_t)want;
        }
        size_t k;
        mx_status st = reader_read(r, x->data + *got, cap - *got, &k);
        if (st != MX_OK) return st;
        *got += k;
        if (*got < cap) break; /* end of input */
    }
    return MX_OK;
}

static mx_status load(idx_reader *r, mx_idx *x)
{
    char dims[64];
    size_t got;
    uint64_t size = 0;
    mx_status st = read_header(r, x, &size);
    if (st != MX_OK) return st;
    st = read_payload(r, x, size, &got);
    if (st != MX_OK) return st;
    if (got < size)
        return mx_set_error(MX_EFORMAT, "%s: truncated: expected %llu data bytes for %s, found %zu", r->path,
                            (unsigned long long)size, dims_str(x, dims, sizeof dims), got);
    x->size = got; /* == size, so it fits size_t */
    return check_no_trailing(r, x);
}

mx_status mx_idx_load(const char *path, mx_idx *out)
{
    if (!out) return mx_set_error(MX_EINVAL, "mx_idx_load: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path || !*path) return mx_set_error(MX_EINVAL, "mx_idx_load: empty path");
    idx_reader r;
    mx_status st = reader_open(&r, path);
    if (st != MX_OK) return st;
    mx_idx x = {0};
    st = load(&r, &x);
    reader_close(&r);
    if (st != MX_OK) {
        free(x.data);
        return st;
    }
    *out = x;
    return MX_OK;
}

void mx_idx_free(mx_idx *idx)
{
    if (!idx) return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}
