/* ndfile.c — MXNet NDArray list files (.params, mx.save / mx.load).
 *
 * Layout (REFERENCE.md): uint64 0x112, uint64 reserved, uint64 count, the
 * arrays, then uint64 name count (0 or count) and each name as uint64
 * length + bytes. Every integer and element is little-endian; we encode and
 * decode byte by byte so the code is right on any host, and only take the
 * fread-straight-into-the-array shortcut where the host is little-endian.
 *
 * Loading trusts nothing: every count and size is checked against the
 * bytes the file still holds before anything is allocated, so a corrupt
 * header fails with a message instead of a giant malloc. Each failure
 * leaves one line that starts with the path and says what was being read. */
#include "mx/ndfile.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/atomic_file.h"

#define LIST_MAGIC 0x112u
#define V1_MAGIC 0xF993FAC8u /* int64 dims, no storage type */
#define V2_MAGIC 0xF993FAC9u /* adds the storage type */
#define V3_MAGIC 0xF993FACAu /* numpy shape semantics (ndim 0 = scalar) */
#define STYPE_DENSE 0
#define CTX_CPU 1
#define TYPE_FLOAT32 0
#define MAX_ELEMS ((uint64_t)1 << 34) /* far above any real layer; bounds mallocs */
#define MAX_NAME ((uint64_t)1 << 16)  /* names are identifiers, never this long */
#define SIZE_UNKNOWN UINT64_MAX       /* pipes and devices: no size to check against */

static int host_is_le(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* ---- element types (mshadow's type flags) ---- */

static const char *const type_names[] = {"float32", "float64", "float16", "uint8", "int32", "int8", "int64"};
static const size_t type_sizes[] = {4, 8, 2, 1, 4, 1, 8};
#define N_TYPES 7

/* IEEE binary16 → binary32, exact for every input: normals rebias the
 * exponent, subnormals are scaled (mant · 2^-24 is exact in float), and
 * inf/NaN keep their payload. */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu, bits;
    float f;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | man << 13;
    } else if (exp) {
        bits = sign | (exp + 112) << 23 | man << 13;
    } else {
        f = (float)man * 0x1p-24f;
        memcpy(&bits, &f, 4);
        bits |= sign;
    }
    memcpy(&f, &bits, 4);
    return f;
}

/* Decodes n little-endian elements of type flag t into floats. */
static void convert(int t, const unsigned char *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = src + i * type_sizes[t];
        switch (t) {
        case 0: { uint32_t u = le32(p); memcpy(&dst[i], &u, 4); break; }
        case 1: { uint64_t u = le64(p); double d; memcpy(&d, &u, 8); dst[i] = (float)d; break; }
        case 2: dst[i] = half_to_float((uint16_t)(p[0] | p[1] << 8)); break;
        case 3: dst[i] = (float)p[0]; break;
        case 4: { uint32_t u = le32(p); int32_t v; memcpy(&v, &u, 4); dst[i] = (float)v; break; }
        case 5: { int8_t v; memcpy(&v, p, 1); dst[i] = (float)v; break; }
        default: { uint64_t u = le64(p); int64_t v; memcpy(&v, &u, 8); dst[i] = (float)v; break; }
        }
    }
}

/* ---- saving ---- */

static void write_bytes(FILE *f, const void *p, size_t n) { (void)fwrite(p, 1, n, f); }

static void write_u32(FILE *f, uint32_t v)
{
    unsigned char b[4];
    put32(b, v);
    write_bytes(f, b, 4);
}

static void write_u64(FILE *f, uint64_t v)
{
    unsigned char b[8];
    put64(b, v);
    write_bytes(f, b, 8);
}

static void write_floats(FILE *f, const float *x, size_t n)
{
    if (host_is_le()) {
        write_bytes(f, x, n * sizeof(float));
        return;
    }
    unsigned char buf[4096];
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; k < sizeof buf / 4 && i < n; k++, i++) {
            uint32_t u;
            memcpy(&u, &x[i], 4);
            put32(buf + 4 * k, u);
        }
        write_bytes(f, buf, 4 * k);
    }
}

/* One array in V2 form: dense, shape with int64 dims, cpu(0), float32.
 * A GPU array is written from a host copy (the file says cpu(0), as
 * MXNet loads parameters onto the CPU first). */
static mx_status write_array(FILE *f, const mx_nd *a)
{
    mx_shape s = mx_nd_shape(a);
    write_u32(f, V2_MAGIC);
    write_u32(f, STYPE_DENSE);
    write_u32(f, (uint32_t)s.ndim);
    for (int d = 0; d < s.ndim; d++) write_u64(f, (uint64_t)s.dims[d]);
    write_u32(f, CTX_CPU);
    write_u32(f, 0);
    write_u32(f, TYPE_FLOAT32);
    if (mx_nd_context(a).dev_type == MX_CPU) {
        write_floats(f, mx_nd_data(a), mx_nd_size(a));
        return MX_OK;
    }
    float *h = malloc(mx_nd_size(a) * sizeof(float) + 1);
    if (!h) return mx_set_error(MX_ENOMEM, "out of memory for a host copy of a GPU array");
    mx_status st = mx_nd_copy_to(a, h, mx_nd_size(a));
    if (st == MX_OK) write_floats(f, h, mx_nd_size(a));
    free(h);
    return st;
}

mx_status mx_nd_save(const char *path, int n, const char *const *names, mx_nd *const *arrays)
{
    if (!path || !*path) return mx_set_error(MX_EINVAL, "mx_nd_save: empty path");
    if (n < 0 || (n > 0 && !arrays))
        return mx_set_error(MX_EINVAL, "%s: cannot save: bad array list (n = %d)", path, n);
    /* check everything first so a bad argument never replaces a good file */
    for (int i = 0; i < n; i++) {
        if (!arrays[i]) return mx_set_error(MX_EINVAL, "%s: cannot save: array %d is NULL", path, i);
        if (names && !names[i]) return mx_set_error(MX_EINVAL, "%s: cannot save: name %d is NULL", path, i);
    }
    mx_atomic_file af;
    mx_status st = mx_atomic_open(&af, path);
    if (st != MX_OK) return st;
    write_u64(af.f, LIST_MAGIC);
    write_u64(af.f, 0);
    write_u64(af.f, (uint64_t)n);
    for (int i = 0; i < n && !ferror(af.f) && st == MX_OK; i++) st = write_array(af.f, arrays[i]);
    if (st != MX_OK) {
        mx_status keep = st;
        char msg[512];
        snprintf(msg, sizeof msg, "%s", mx_last_error());
        mx_atomic_abort(&af);
        return mx_set_error(keep, "%s: cannot save: %s", path, msg);
    }
    /* MXNet writes an empty name vector for unnamed lists */
    write_u64(af.f, names ? (uint64_t)n : 0);
    for (int i = 0; names && i < n; i++) {
        size_t len = strlen(names[i]);
        write_u64(af.f, len);
        write_bytes(af.f, names[i], len);
    }
    return mx_atomic_commit(&af); /* reports any write error seen above */
}

/* ---- loading ---- */

typedef struct reader {
    const char *path;
    FILE *f;
    uint64_t pos;
    uint64_t size; /* SIZE_UNKNOWN when the input is not a regular file */
} reader;

static uint64_t remaining(const reader *r) { return r->size == SIZE_UNKNOWN ? SIZE_UNKNOWN : r->size - r->pos; }

static mx_status truncated(const reader *r, uint64_t at, const char *what, uint64_t want, uint64_t found)
{
    return mx_set_error(MX_EFORMAT, "%s: truncated at byte %llu: %s: expected %llu bytes, found %llu", r->path,
                        (unsigned long long)at, what, (unsigned long long)want, (unsigned long long)found);
}

/* Reads exactly n bytes of the part called what. */
static mx_status get_bytes(reader *r, void *buf, size_t n, const char *what)
{
    size_t got = fread(buf, 1, n, r->f);
    if (ferror(r->f)) return mx_set_error(MX_EIO, "%s: read error in %s: %s", r->path, what, strerror(errno));
    uint64_t at = r->pos;
    r->pos += got;
    if (got < n) return truncated(r, at, what, n, got);
    return MX_OK;
}

static mx_status get_u32(reader *r, uint32_t *v, const char *what)
{
    unsigned char b[4];
    mx_status st = get_bytes(r, b, 4, what);
    *v = le32(b);
    return st;
}

static mx_status get_u64(reader *r, uint64_t *v, const char *what)
{
    unsigned char b[8];
    mx_status st = get_bytes(r, b, 8, what);
    *v = le64(b);
    return st;
}

/* Reads n elements of type t into dst, converting to float32. */
static mx_status read_elements(reader *r, int t, float *dst, uint64_t n, const char *what)
{
    uint64_t start = r->pos, want = n * type_sizes[t];
    if (t == TYPE_FLOAT32) {
        size_t got = fread(dst, 1, (size_t)want, r->f);
        if (ferror(r->f)) return mx_set_error(MX_EIO, "%s: read error in %s: %s", r->path, what, strerror(errno));
        r->pos += got;
        if (got < want) return truncated(r, start, what, want, got);
        if (!host_is_le()) convert(t, (const unsigned char *)dst, dst, (size_t)n);
        return MX_OK;
    }
    unsigned char buf[1 << 14];
    size_t per = sizeof buf / type_sizes[t];
    for (uint64_t done = 0; done < n;) {
        size_t k = n - done < per ? (size_t)(n - done) : per;
        size_t got = fread(buf, type_sizes[t], k, r->f);
        if (ferror(r->f)) return mx_set_error(MX_EIO, "%s: read error in %s: %s", r->path, what, strerror(errno));
        convert(t, buf, dst + done, got);
        done += got;
        r->pos += got * type_sizes[t];
        if (got < k) return truncated(r, start, what, want, r->pos - start);
    }
    return MX_OK;
}

static const char *stype_name(int32_t stype)
{
    return stype == 1 ? "row_sparse" : stype == 2 ? "csr" : NULL;
}

/* Reads the ndim dims (int64 for V1/V2, uint32 for legacy) into s and
 * checks them before anything is allocated; *elems gets their product. */
static mx_status read_dims(reader *r, int i, int legacy, uint32_t ndim, mx_shape *s, uint64_t *elems)
{
    char what[64];
    unsigned char b[8 * MX_MAX_NDIM];
    size_t w = legacy ? 4 : 8;
    snprintf(what, sizeof what, "array %d shape", i);
    mx_status st = get_bytes(r, b, w * ndim, what);
    if (st != MX_OK) return st;
    s->ndim = (int)ndim;
    *elems = 1;
    for (uint32_t d = 0; d < ndim; d++) {
        int64_t v;
        if (legacy) {
            v = le32(b + 4 * d);
        } else {
            uint64_t u = le64(b + 8 * d);
            memcpy(&v, &u, 8);
        }
        if (v < 0)
            return mx_set_error(MX_EFORMAT, "%s: array %d shape: negative dimension %lld", r->path, i, (long long)v);
        if ((uint64_t)v > MAX_ELEMS || (v && *elems > MAX_ELEMS / (uint64_t)v))
            return mx_set_error(MX_EFORMAT, "%s: array %d shape: more than 2^34 elements (dimension %u is %lld)",
                                r->path, i, d, (long long)v);
        s->dims[d] = v;
        *elems *= (uint64_t)v;
    }
    return MX_OK;
}

/* Reads array i (V2, V1 or legacy) into a new float32 array. */
static mx_status read_array(reader *r, int i, mx_nd **out)
{
    char what[64];
    uint32_t magic, ndim, ctx[2], tflag;
    uint64_t at = r->pos;
    snprintf(what, sizeof what, "array %d header", i);
    mx_status st = get_u32(r, &magic, what);
    if (st != MX_OK) return st;
    int legacy = magic != V1_MAGIC && magic != V2_MAGIC;
    if (magic == V3_MAGIC)
        return mx_set_error(MX_ENOTSUP, "%s: array %d: numpy-shape arrays (V3, magic 0xF993FACA) are not supported by mxrt",
                            r->path, i);
    if (magic == V2_MAGIC) {
        uint32_t u;
        snprintf(what, sizeof what, "array %d storage type", i);
        if ((st = get_u32(r, &u, what)) != MX_OK) return st;
        int32_t stype;
        memcpy(&stype, &u, 4);
        if (stype != STYPE_DENSE && stype_name(stype))
            return mx_set_error(MX_ENOTSUP, "%s: array %d: sparse storage (%s) is not supported by mxrt (dense arrays)",
                                r->path, i, stype_name(stype));
        if (stype != STYPE_DENSE)
            return mx_set_error(MX_EFORMAT, "%s: array %d: unknown storage type %d", r->path, i, (int)stype);
    }
    if (legacy) {
        ndim = magic; /* legacy arrays start with the shape */
    } else {
        snprintf(what, sizeof what, "array %d shape", i);
        if ((st = get_u32(r, &ndim, what)) != MX_OK) return st;
    }
    if (ndim > MX_MAX_NDIM) {
        if (legacy)
            return mx_set_error(MX_EFORMAT, "%s: array %d at byte %llu: unknown array magic 0x%08X", r->path, i,
                                (unsigned long long)at, magic);
        return mx_set_error(MX_EFORMAT, "%s: array %d shape: %u dimensions (mxrt supports at most %d)", r->path, i,
                            ndim, MX_MAX_NDIM);
    }
    mx_shape s = {.ndim = 1, .dims = {0}};
    if (ndim == 0) { /* MXNet's "none" array: nothing more follows */
        *out = mx_nd_empty(s);
        return *out ? MX_OK : mx_set_error(MX_ENOMEM, "%s: array %d: out of memory", r->path, i);
    }
    uint64_t elems;
    if ((st = read_dims(r, i, legacy, ndim, &s, &elems)) != MX_OK) return st;
    snprintf(what, sizeof what, "array %d context", i);
    if ((st = get_u32(r, &ctx[0], what)) != MX_OK || (st = get_u32(r, &ctx[1], what)) != MX_OK) return st;
    snprintf(what, sizeof what, "array %d type flag", i);
    if ((st = get_u32(r, &tflag, what)) != MX_OK) return st;
    /* 7..12 are MXNet's bool, int16, uint16, uint32, uint64, bfloat16 */
    if (tflag >= N_TYPES && tflag <= 12)
        return mx_set_error(MX_ENOTSUP, "%s: array %d: type flag %d is not supported by mxrt (it reads 0..6: float32, "
                            "float64, float16, uint8, int32, int8, int64)", r->path, i, (int)tflag);
    if (tflag >= N_TYPES)
        return mx_set_error(MX_EFORMAT, "%s: array %d: unknown type flag %d (mxrt reads 0..6: float32, float64, "
                            "float16, uint8, int32, int8, int64)", r->path, i, (int)tflag);
    uint64_t bytes = elems * type_sizes[tflag];
    snprintf(what, sizeof what, "array %d data", i);
    if (bytes > remaining(r)) return truncated(r, r->pos, what, bytes, remaining(r));
    if (bytes > SIZE_MAX / 2)
        return mx_set_error(MX_ENOMEM, "%s: array %d: %llu elements do not fit in memory", r->path, i,
                            (unsigned long long)elems);
    mx_nd *a = mx_nd_empty(s);
    if (!a)
        return mx_set_error(MX_ENOMEM, "%s: array %d: cannot allocate %llu %s elements (%s)", r->path, i,
                            (unsigned long long)elems, type_names[tflag], mx_last_error());
    if ((st = read_elements(r, (int)tflag, mx_nd_data(a), elems, what)) != MX_OK) {
        mx_nd_free(a);
        return st;
    }
    *out = a;
    return MX_OK;
}

/* Reads the name vector; l->n arrays are already in l. */
static mx_status read_names(reader *r, mx_nd_list *l)
{
    char what[64];
    uint64_t count;
    mx_status st = get_u64(r, &count, "names count");
    if (st != MX_OK) return st;
    if (count != 0 && count != (uint64_t)l->n)
        return mx_set_error(MX_EFORMAT, "%s: names count %llu matches neither 0 nor the %d arrays", r->path,
                            (unsigned long long)count, l->n);
    if (!count) return MX_OK;
    l->names = calloc((size_t)count, sizeof *l->names);
    if (!l->names) return mx_set_error(MX_ENOMEM, "%s: out of memory for %d names", r->path, l->n);
    for (int i = 0; i < l->n; i++) {
        uint64_t len;
        snprintf(what, sizeof what, "name %d length", i);
        if ((st = get_u64(r, &len, what)) != MX_OK) return st;
        snprintf(what, sizeof what, "name %d", i);
        if (len > remaining(r)) return truncated(r, r->pos, what, len, remaining(r));
        if (len > MAX_NAME)
            return mx_set_error(MX_EFORMAT, "%s: name %d: length %llu is absurd", r->path, i, (unsigned long long)len);
        l->names[i] = malloc((size_t)len + 1);
        if (!l->names[i]) return mx_set_error(MX_ENOMEM, "%s: out of memory for name %d", r->path, i);
        if ((st = get_bytes(r, l->names[i], (size_t)len, what)) != MX_OK) return st;
        l->names[i][len] = '\0';
        if (strlen(l->names[i]) != len)
            return mx_set_error(MX_EFORMAT, "%s: name %d contains a NUL byte", r->path, i);
    }
    return MX_OK;
}

static mx_status read_list(reader *r, mx_nd_list *l)
{
    uint64_t magic, reserved, count;
    mx_status st = get_u64(r, &magic, "file header");
    if (st != MX_OK) return st;
    if (magic != LIST_MAGIC)
        return mx_set_error(MX_EFORMAT, "%s: not an MXNet NDArray file: bad magic 0x%llX (expected 0x112)", r->path,
                            (unsigned long long)magic);
    /* MXNet ignores the reserved word, and so do we */
    if ((st = get_u64(r, &reserved, "file header")) != MX_OK) return st;
    if ((st = get_u64(r, &count, "array count")) != MX_OK) return st;
    /* the smallest array (a legacy "none" one) takes 4 bytes */
    if (count > INT_MAX || count > remaining(r) / 4)
        return mx_set_error(MX_EFORMAT, "%s: truncated or corrupt: array count %llu is more than the %llu "
                            "remaining bytes can hold", r->path, (unsigned long long)count,
                            (unsigned long long)remaining(r));
    l->arrays = calloc(count ? (size_t)count : 1, sizeof *l->arrays);
    if (!l->arrays) return mx_set_error(MX_ENOMEM, "%s: out of memory for %llu arrays", r->path,
                                        (unsigned long long)count);
    for (uint64_t i = 0; i < count; i++) {
        if ((st = read_array(r, (int)i, &l->arrays[i])) != MX_OK) return st;
        l->n = (int)i + 1;
    }
    if ((st = read_names(r, l)) != MX_OK) return st;
    uint64_t extra = r->size == SIZE_UNKNOWN ? (fgetc(r->f) != EOF) : r->size - r->pos;
    if (extra)
        return mx_set_error(MX_EFORMAT, "%s: %llu trailing bytes after the names (at byte %llu)", r->path,
                            (unsigned long long)extra, (unsigned long long)r->pos);
    return MX_OK;
}

mx_status mx_nd_load(const char *path, mx_nd_list *out)
{
    if (!out) return mx_set_error(MX_EINVAL, "mx_nd_load: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path || !*path) return mx_set_error(MX_EINVAL, "mx_nd_load: empty path");
    reader r = {.path = path, .pos = 0, .size = SIZE_UNKNOWN};
    r.f = fopen(path, "rb");
    if (!r.f) return mx_set_error(MX_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(r.f), &sb) == 0 && S_ISREG(sb.st_mode)) r.size = (uint64_t)sb.st_size;
    mx_nd_list l = {0};
    mx_status st = read_list(&r, &l);
    fclose(r.f);
    if (st != MX_OK) {
        mx_nd_list_free(&l); /* names has n slots (calloc'd), arrays the n read so far */
        return st;
    }
    *out = l;
    return MX_OK;
}

void mx_nd_list_free(mx_nd_list *l)
{
    if (!l) return;
    for (int i = 0; i < l->n; i++) {
        if (l->arrays) mx_nd_free(l->arrays[i]);
        if (l->names) free(l->names[i]);
    }
    free(l->arrays);
    free(l->names);
    memset(l, 0, sizeof *l);
}

int mx_nd_list_find(const mx_nd_list *l, const char *name)
{
    if (!l || !l->names || !name) return -1;
    for (int i = 0; i < l->n; i++)
        if (l->names[i] && !strcmp(l->names[i], name)) return i;
    return -1;
}
