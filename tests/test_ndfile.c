/* test_ndfile.c — the "ndfile" suite: MXNet NDArray list files. Saved lists
 * load back bit-exact; fixtures written here byte by byte from the format
 * description (V2, V1, legacy, every element type) load with the right
 * values and names; every kind of damage is rejected with a message naming
 * the file and the part; writes are atomic and leave no temporaries. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mx/ndfile.h"
#include "suites.h"
#include "test_util.h"

#define V1 0xF993FAC8u
#define V2 0xF993FAC9u

/* ---- fixtures built byte by byte (little-endian) ---- */

typedef struct fbuf {
    unsigned char b[4096];
    size_t n;
} fbuf;

static void b_u32(fbuf *f, uint32_t v)
{
    for (int i = 0; i < 4; i++) f->b[f->n++] = (unsigned char)(v >> (8 * i));
}

static void b_u64(fbuf *f, uint64_t v)
{
    b_u32(f, (uint32_t)v);
    b_u32(f, (uint32_t)(v >> 32));
}

static void b_raw(fbuf *f, const void *p, size_t n)
{
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static void b_f32(fbuf *f, float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    b_u32(f, u);
}

static void b_name(fbuf *f, const char *s)
{
    b_u64(f, strlen(s));
    b_raw(f, s, strlen(s));
}

static void b_list_head(fbuf *f, uint64_t count)
{
    b_u64(f, 0x112);
    b_u64(f, 0);
    b_u64(f, count);
}

/* V2 array header: magic, storage type, shape (int64 dims), ctx, type flag. */
static void b_v2(fbuf *f, uint32_t stype, int ndim, const int64_t *dims, uint32_t type)
{
    b_u32(f, V2);
    b_u32(f, stype);
    b_u32(f, (uint32_t)ndim);
    for (int i = 0; i < ndim; i++) b_u64(f, (uint64_t)dims[i]);
    b_u32(f, 1), b_u32(f, 0), b_u32(f, type);
}

/* V1: no storage type. */
static void b_v1(fbuf *f, int ndim, const int64_t *dims, uint32_t type)
{
    b_u32(f, V1);
    b_u32(f, (uint32_t)ndim);
    for (int i = 0; i < ndim; i++) b_u64(f, (uint64_t)dims[i]);
    b_u32(f, 2), b_u32(f, 1), b_u32(f, type); /* gpu(1): still loads on the CPU */
}

/* Legacy: no magic, uint32 dims. */
static void b_legacy(fbuf *f, int ndim, const uint32_t *dims, uint32_t type)
{
    b_u32(f, (uint32_t)ndim);
    for (int i = 0; i < ndim; i++) b_u32(f, dims[i]);
    b_u32(f, 1), b_u32(f, 0), b_u32(f, type);
}

static const char *tmp_path(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", mx_test_tmp_dir(), name);
    return buf;
}

static const char *write_file(const char *name, const void *bytes, size_t n)
{
    const char *p = tmp_path(name);
    FILE *f = fopen(p, "wb");
    CU_ASSERT_FATAL(f != NULL);
    CU_ASSERT_FATAL(fwrite(bytes, 1, n, f) == n);
    CU_ASSERT_FATAL(fclose(f) == 0);
    return p;
}

/* Loads path expecting status st, a message starting with the path and
 * containing needle, and a zeroed list. */
static void expect_failure(const char *path, mx_status st, const char *needle)
{
    mx_nd_list l;
    mx_clear_error();
    mx_status got = mx_nd_load(path, &l);
    const char *msg = mx_last_error();
    CU_ASSERT_EQUAL(got, st);
    CU_ASSERT_EQUAL(strncmp(msg, path, strlen(path)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, needle));
    if (got != st || !strstr(msg, needle) || strncmp(msg, path, strlen(path)))
        printf("\n  status %s, message: %s (wanted '%s')\n", mx_status_name(got), msg, needle);
    CU_ASSERT(l.n == 0 && l.arrays == NULL && l.names == NULL);
    mx_nd_list_free(&l);
}

static void expect_bytes(const fbuf *f, const char *name, mx_status st, const char *needle)
{
    expect_failure(write_file(name, f->b, f->n), st, needle);
}

static int shape_is(const mx_nd *a, int ndim, const int64_t *dims)
{
    mx_shape s = mx_nd_shape(a);
    if (s.ndim != ndim) return 0;
    for (int i = 0; i < ndim; i++)
        if (s.dims[i] != dims[i]) return 0;
    return 1;
}

/* ---- round trips through mx_nd_save ---- */

static void test_round_trip_is_bit_exact(void)
{
    static const int64_t shapes[5][4] = {{7}, {3, 5}, {2, 3, 5}, {2, 1, 3, 7}, {0}};
    static const int ndims[5] = {1, 2, 3, 4, 1};
    const char *names[5] = {"arg:fc1_weight", "arg:fc1_bias", "aux:bn_moving_mean", "arg:conv_weight", "empty"};
    mx_nd *a[5];
    for (int i = 0; i < 5; i++) {
        a[i] = mx_nd_empty(mx_shape_from(ndims[i], shapes[i]));
        CU_ASSERT_FATAL(a[i] != NULL);
        mx_test_fill(a[i], -3.0f, 3.0f, 11u + (unsigned)i);
    }
    float *x = mx_nd_data(a[0]); /* values whose bits must survive */
    x[0] = -0.0f, x[1] = INFINITY, x[2] = -INFINITY, x[3] = NAN, x[4] = 1e-45f, x[5] = 3.4028235e38f;
    const char *path = tmp_path("round.params");
    CU_ASSERT_EQUAL_FATAL(mx_nd_save(path, 5, names, a), MX_OK);
    mx_nd_list l;
    CU_ASSERT_EQUAL_FATAL(mx_nd_load(path, &l), MX_OK);
    CU_ASSERT_EQUAL_FATAL(l.n, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l.names);
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_STRING_EQUAL(l.names[i], names[i]);
        CU_ASSERT(shape_is(l.arrays[i], ndims[i], shapes[i]));
        CU_ASSERT_EQUAL(mx_nd_size(l.arrays[i]), mx_nd_size(a[i]));
        CU_ASSERT(memcmp(mx_nd_data(l.arrays[i]), mx_nd_data(a[i]), mx_nd_size(a[i]) * 4) == 0);
        CU_ASSERT_EQUAL(mx_nd_list_find(&l, names[i]), i);
    }
    CU_ASSERT_EQUAL(mx_nd_list_find(&l, "arg:fc2_weight"), -1);
    CU_ASSERT_EQUAL(mx_nd_list_find(&l, NULL), -1);
    mx_nd_list_free(&l);
    CU_ASSERT(l.n == 0 && l.arrays == NULL);
    mx_nd_list_free(&l); /* twice is harmless */
    mx_nd_list_free(NULL);
    for (int i = 0; i < 5; i++) mx_nd_free(a[i]);
}

/* mx_nd_save's bytes are exactly the documented layout. */
static void test_save_writes_the_documented_bytes(void)
{
    float v[6] = {1.5f, -2, 0, 3.25f, 1e-3f, 7};
    mx_nd *a = mx_nd_from(mx_shape_make(2, 2, 3), v);
    mx_nd *b = mx_nd_from(mx_shape_make(1, 1), v);
    mx_nd *arrays[2] = {a, b};
    const char *names[2] = {"arg:w", "aux:m"};
    fbuf want = {.n = 0};
    b_list_head(&want, 2);
    b_v2(&want, 0, 2, (const int64_t[]){2, 3}, 0);
    for (int i = 0; i < 6; i++) b_f32(&want, v[i]);
    b_v2(&want, 0, 1, (const int64_t[]){1}, 0);
    b_f32(&want, v[0]);
    b_u64(&want, 2);
    b_name(&want, "arg:w");
    b_name(&want, "aux:m");
    char path[512];
    snprintf(path, sizeof path, "%s", tmp_path("layout.params"));
    CU_ASSERT_EQUAL_FATAL(mx_nd_save(path, 2, names, arrays), MX_OK);
    unsigned char got[4096];
    FILE *f = fopen(path, "rb");
    CU_ASSERT_FATAL(f != NULL);
    size_t n = fread(got, 1, sizeof got, f);
    fclose(f);
    CU_ASSERT_EQUAL(n, want.n);
    CU_ASSERT(n == want.n && memcmp(got, want.b, n) == 0);
    mx_nd_free(a);
    mx_nd_free(b);
}

static void test_unnamed_and_empty_lists(void)
{
    mx_nd *a = mx_nd_ones(mx_shape_make(1, 3));
    mx_nd *b = mx_nd_zeros(mx_shape_make(2, 2, 2));
    mx_nd *arrays[2] = {a, b};
    const char *path = tmp_path("unnamed.params");
    CU_ASSERT_EQUAL_FATAL(mx_nd_save(path, 2, NULL, arrays), MX_OK);
    mx_nd_list l;
    CU_ASSERT_EQUAL_FATAL(mx_nd_load(path, &l), MX_OK);
    CU_ASSERT_EQUAL(l.n, 2);
    CU_ASSERT_PTR_NULL(l.names);
    CU_ASSERT_EQUAL(mx_nd_list_find(&l, "a"), -1);
    CU_ASSERT_EQUAL(mx_nd_data(l.arrays[0])[2], 1.0f);
    CU_ASSERT_EQUAL(mx_nd_size(l.arrays[1]), 4);
    mx_nd_list_free(&l);
    /* an empty list is 32 bytes: header, count 0, names count 0 */
    CU_ASSERT_EQUAL_FATAL(mx_nd_save(path, 0, NULL, NULL), MX_OK);
    struct stat sb;
    CU_ASSERT(stat(path, &sb) == 0 && sb.st_size == 32);
    CU_ASSERT_EQUAL_FATAL(mx_nd_load(path, &l), MX_OK);
    CU_ASSERT(l.n == 0 && l.names == NULL);
    mx_nd_list_free(&l);
    mx_nd_free(a);
    mx_nd_free(b);
}

/* ---- fixtures of every version and type ---- */

/* V2 float32 + V1 float64 + legacy int32, with arg:/aux: names. */
static void test_v2_v1_and_legacy_fixtures_load(void)
{
    fbuf f = {.n = 0};
    b_list_head(&f, 4);
    b_v2(&f, 0, 2, (const int64_t[]){2, 3}, 0);
    for (int i = 0; i < 6; i++) b_f32(&f, (float)i * 0.5f - 1.0f);
    b_v1(&f, 1, (const int64_t[]){3}, 1);
    const double d[3] = {0.1, -1e300, 12345.678};
    for (int i = 0; i < 3; i++) {
        uint64_t u;
        memcpy(&u, &d[i], 8);
        b_u64(&f, u);
    }
    b_legacy(&f, 3, (const uint32_t[]){1, 2, 2}, 4);
    const int32_t iv[4] = {-7, 0, 16777217, -2147483647 - 1};
    for (int i = 0; i < 4; i++) b_u32(&f, (uint32_t)iv[i]);
    b_u32(&f, 0); /* legacy "none" array: ndim 0 and nothing else */
    b_u64(&f, 4);
    b_name(&f, "arg:fc1_weight");
    b_name(&f, "arg:fc1_bias");
    b_name(&f, "aux:bn_moving_var");
    b_name(&f, "");
    mx_nd_list l;
    CU_ASSERT_EQUAL_FATAL(mx_nd_load(write_file("versions.params", f.b, f.n), &l), MX_OK);
    CU_ASSERT_EQUAL_FATAL(l.n, 4);
    CU_ASSERT(shape_is(l.arrays[0], 2, (const int64_t[]){2, 3}));
    for (int i = 0; i < 6; i++) CU_ASSERT_EQUAL(mx_nd_data(l.arrays[0])[i], (float)i * 0.5f - 1.0f);
    CU_ASSERT(shape_is(l.arrays[1], 1, (const int64_t[]){3}));
    CU_ASSERT_EQUAL(mx_nd_data(l.arrays[1])[0], 0.1f);
    CU_ASSERT(isinf(mx_nd_data(l.arrays[1])[1]) && mx_nd_data(l.arrays[1])[1] < 0);
    CU_ASSERT_EQUAL(mx_nd_data(l.arrays[1])[2], (float)12345.678);
    CU_ASSERT_EQUAL(mx_nd_context(l.arrays[1]).dev_type, MX_CPU);
    CU_ASSERT(shape_is(l.arrays[2], 3, (const int64_t[]){1, 2, 2}));
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(mx_nd_data(l.arrays[2])[i], (float)iv[i]);
    CU_ASSERT(shape_is(l.arrays[3], 1, (const int64_t[]){0}));
    CU_ASSERT_EQUAL(mx_nd_size(l.arrays[3]), 0);
    CU_ASSERT_EQUAL(mx_nd_list_find(&l, "aux:bn_moving_var"), 2);
    CU_ASSERT_EQUAL(mx_nd_list_find(&l, "arg:fc1_bias"), 1);
    CU_ASSERT_EQUAL(mx_nd_list_find(&l, ""), 3);
    mx_nd_list_free(&l);
}

/* float16 (normals, subnormals, ±0, ±inf, NaN), uint8, int8, int64. */
static void test_small_and_wide_types_convert(void)
{
    static const uint16_t h[12] = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x0400,
                                   0x8000, 0x7C00, 0xFC00, 0x7E00, 0x3555, 0x8001};
    const float hw[12] = {1, -2, 65504, 0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f,
                          -0.0f, INFINITY, -INFINITY, NAN, 0.333251953125f, -0x1p-24f};
    fbuf f = {.n = 0};
    b_list_head(&f, 4);
    b_v2(&f, 0, 2, (const int64_t[]){3, 4}, 2);
    for (int i = 0; i < 12; i++) b_raw(&f, (const unsigned char[]){h[i] & 0xFF, h[i] >> 8}, 2);
    b_v2(&f, 0, 1, (const int64_t[]){3}, 3);
    b_raw(&f, (const unsigned char[]){0, 128, 255}, 3);
    b_v1(&f, 1, (const int64_t[]){3}, 5);
    b_raw(&f, (const unsigned char[]){0x80, 0xFF, 0x7F}, 3);
    b_legacy(&f, 1, (const uint32_t[]){2}, 6);
    b_u64(&f, (uint64_t)(int64_t)-5), b_u64(&f, (uint64_t)1 << 40);
    b_u64(&f, 0);
    mx_nd_list l;
    CU_ASSERT_EQUAL_FATAL(mx_nd_load(write_file("types.params", f.b, f.n), &l), MX_OK);
    CU_ASSERT_EQUAL_FATAL(l.n, 4);
    const float *x = mx_nd_data(l.arrays[0]);
    for (int i = 0; i < 12; i++) {
        if (isnan(hw[i])) {
            CU_ASSERT(isnan(x[i]));
        } else {
            CU_ASSERT(memcmp(&x[i], &hw[i], 4) == 0); /* bits: -0 stays -0 */
        }
    }
    x = mx_nd_data(l.arrays[1]);
    CU_ASSERT(x[0] == 0 && x[1] == 128 && x[2] == 255);
    x = mx_nd_data(l.arrays[2]);
    CU_ASSERT(x[0] == -128 && x[1] == -1 && x[2] == 127);
    x = mx_nd_data(l.arrays[3]);
    CU_ASSERT(x[0] == -5 && x[1] == 0x1p40f);
    mx_nd_list_free(&l);
}

/* ---- rejections ---- */

/* The good file truncation runs over: 2 arrays (V2 float32, V1 float16) and names. */
static size_t good_fixture(fbuf *f, size_t *a1_data, size_t *name1)
{
    f->n = 0;
    b_list_head(f, 2);
    b_v2(f, 0, 2, (const int64_t[]){2, 3}, 0);
    for (int i = 0; i < 6; i++) b_f32(f, (float)i);
    b_v1(f, 1, (const int64_t[]){3}, 2);
    *a1_data = f->n;
    for (int i = 0; i < 3; i++) b_raw(f, (const unsigned char[]){0x00, 0x3C}, 2);
    b_u64(f, 2);
    b_name(f, "arg:w");
    *name1 = f->n;
    b_name(f, "aux:moving_mean");
    return f->n;
}

static void test_truncation_anywhere_is_rejected(void)
{
    fbuf f;
    size_t a1_data, name1, n = good_fixture(&f, &a1_data, &name1);
    mx_nd_list l;
    CU_ASSERT_EQUAL_FATAL(mx_nd_load(write_file("good.params", f.b, n), &l), MX_OK);
    CU_ASSERT_EQUAL(mx_nd_list_find(&l, "aux:moving_mean"), 1);
    CU_ASSERT_EQUAL(mx_nd_data(l.arrays[1])[2], 1.0f);
    mx_nd_list_free(&l);
    for (size_t cut = 0; cut < n; cut++) {
        char name[64];
        snprintf(name, sizeof name, "cut%zu.params", cut);
        expect_failure(write_file(name, f.b, cut), MX_EFORMAT, "truncated");
        remove(tmp_path(name));
    }
    expect_failure(write_file("cut_a.params", f.b, 3), MX_EFORMAT, "file header");
    expect_failure(write_file("cut_b.params", f.b, 30), MX_EFORMAT, "array count");
    expect_failure(write_file("cut_c.params", f.b, 24 + 10), MX_EFORMAT, "array 0 shape");
    expect_failure(write_file("cut_d.params", f.b, a1_data + 1), MX_EFORMAT,
                   "array 1 data: expected 6 bytes, found 1");
    expect_failure(write_file("cut_e.params", f.b, a1_data + 6 + 3), MX_EFORMAT, "names count");
    expect_failure(write_file("cut_f.params", f.b, name1 + 4), MX_EFORMAT, "name 1 length");
    expect_failure(write_file("cut_g.params", f.b, name1 + 8 + 5), MX_EFORMAT,
                   "name 1: expected 15 bytes, found 5");
}

static void test_bad_headers_and_fields_are_rejected(void)
{
    fbuf f;
    size_t a1_data, name1;
    good_fixture(&f, &a1_data, &name1);
    f.b[0] = 0x13; /* file magic */
    expect_bytes(&f, "magic.params", MX_EFORMAT, "bad magic 0x113");
    /* MXNet's sparse arrays are not supported (not a corrupt file); 7 is no storage type */
    const uint32_t stypes[3] = {1, 2, 7};
    const mx_status sst[3] = {MX_ENOTSUP, MX_ENOTSUP, MX_EFORMAT};
    const char *why[3] = {"sparse storage (row_sparse) is not supported", "sparse storage (csr)",
                          "array 0: unknown storage type 7"};
    for (int i = 0; i < 3; i++) {
        good_fixture(&f, &a1_data, &name1);
        f.b[24 + 4] = (unsigned char)stypes[i];
        expect_bytes(&f, "stype.params", sst[i], why[i]);
    }
    /* 9 (uint16) is MXNet's but not read here; 13 is no type at all */
    good_fixture(&f, &a1_data, &name1);
    f.b[a1_data - 4] = 9; /* array 1 type flag */
    expect_bytes(&f, "tflag.params", MX_ENOTSUP, "array 1: type flag 9 is not supported");
    good_fixture(&f, &a1_data, &name1);
    f.b[a1_data - 4] = 13;
    expect_bytes(&f, "tflag.params", MX_EFORMAT, "array 1: unknown type flag 13");
    good_fixture(&f, &a1_data, &name1);
    f.b[a1_data + 6] = 1; /* names count 1 of 2 arrays */
    expect_bytes(&f, "ncount.params", MX_EFORMAT, "names count 1 matches neither 0 nor the 2 arrays");
    good_fixture(&f, &a1_data, &name1);
    b_raw(&f, "xyz", 3);
    expect_bytes(&f, "trail.params", MX_EFORMAT, "3 trailing bytes");
    good_fixture(&f, &a1_data, &name1);
    f.b[name1 + 7] = 0x40; /* name 1 length 2^62 */
    expect_bytes(&f, "namelen.params", MX_EFORMAT, "name 1: expected 4611686018427387919 bytes");
    good_fixture(&f, &a1_data, &name1);
    f.b[name1 + 8 + 3] = 0; /* "aux\0moving_mean" */
    expect_bytes(&f, "nul.params", MX_EFORMAT, "name 1 contains a NUL byte");
    good_fixture(&f, &a1_data, &name1);
    f.b[a1_data - 28] = 0xCA; /* array 1 magic (V1) → V3 */
    expect_bytes(&f, "v3.params", MX_ENOTSUP, "array 1: numpy-shape arrays (V3"); /* MXNet's: not supported */
    good_fixture(&f, &a1_data, &name1);
    f.b[a1_data - 28] = 0xBE; /* neither a known magic nor a small legacy ndim */
    expect_bytes(&f, "unknown.params", MX_EFORMAT, "array 1 at byte");
}

static void test_absurd_shapes_are_rejected_before_allocating(void)
{
    fbuf f = {.n = 0};
    b_list_head(&f, 1);
    b_u32(&f, V2), b_u32(&f, 0), b_u32(&f, 9);
    expect_bytes(&f, "ndim.params", MX_EFORMAT, "array 0 shape: 9 dimensions");
    f.n = 0;
    b_list_head(&f, 1);
    b_u32(&f, V2), b_u32(&f, 0), b_u32(&f, 0xFFFFFFFFu); /* ndim -1: MXNet's unknown shape */
    expect_bytes(&f, "ndimneg.params", MX_EFORMAT, "dimensions");
    f.n = 0;
    b_list_head(&f, 1);
    b_v2(&f, 0, 2, (const int64_t[]){4, -3}, 0);
    expect_bytes(&f, "negdim.params", MX_EFORMAT, "array 0 shape: negative dimension -3");
    f.n = 0;
    b_list_head(&f, 1);
    b_v2(&f, 0, 3, (const int64_t[]){1 << 20, 1 << 20, 1 << 20}, 0); /* 2^60 elements */
    expect_bytes(&f, "huge.params", MX_EFORMAT, "more than 2^34 elements");
    f.n = 0;
    b_list_head(&f, 1);
    b_v2(&f, 0, 2, (const int64_t[]){0, INT64_MAX}, 0); /* zero size, absurd dim */
    expect_bytes(&f, "zerohuge.params", MX_EFORMAT, "more than 2^34 elements");
    f.n = 0;
    b_list_head(&f, 1);
    b_v2(&f, 0, 3, (const int64_t[]){1024, 1024, 1024}, 1); /* 8 GiB claimed by a tiny file */
    expect_bytes(&f, "big.params", MX_EFORMAT, "array 0 data: expected 8589934592 bytes, found 0");
    f.n = 0;
    b_list_head(&f, (uint64_t)1 << 40);
    expect_bytes(&f, "count.params", MX_EFORMAT, "array count 1099511627776");
}

static void test_missing_file_and_bad_arguments(void)
{
    const char *p = tmp_path("no-such-file.params");
    expect_failure(p, MX_EIO, "cannot open");
    mx_nd_list l;
    CU_ASSERT_EQUAL(mx_nd_load(NULL, &l), MX_EINVAL);
    CU_ASSERT_EQUAL(mx_nd_load(p, NULL), MX_EINVAL);
}

/* ---- atomic writes ---- */

static int count_temporaries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    CU_ASSERT_FATAL(d != NULL);
    for (struct dirent *e; (e = readdir(d));) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static void test_saves_are_atomic_and_failures_name_the_file(void)
{
    char dir[512], path[600], bad[600];
    snprintf(dir, sizeof dir, "%s/ndfile-atomic", mx_test_tmp_dir());
    CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
    snprintf(path, sizeof path, "%s/model-0001.params", dir);
    mx_nd *a = mx_nd_ones(mx_shape_make(2, 4, 4));
    mx_nd *b = mx_nd_zeros(mx_shape_make(1, 9));
    const char *names[2] = {"arg:a", "arg:b"};
    mx_nd *arrays[2] = {a, b};
    CU_ASSERT_EQUAL_FATAL(mx_nd_save(path, 2, names, arrays), MX_OK);
    CU_ASSERT_EQUAL_FATAL(mx_nd_save(path, 1, names + 1, arrays + 1), MX_OK); /* over the old one */
    CU_ASSERT_EQUAL(count_temporaries(dir), 0);
    mx_nd_list l;
    CU_ASSERT_EQUAL_FATAL(mx_nd_load(path, &l), MX_OK);
    CU_ASSERT(l.n == 1 && !strcmp(l.names[0], "arg:b") && mx_nd_size(l.arrays[0]) == 9);
    mx_nd_list_free(&l);

    /* a bad argument fails before the good file is touched */
    mx_nd *holes[2] = {a, NULL};
    mx_clear_error();
    CU_ASSERT_EQUAL(mx_nd_save(path, 2, names, holes), MX_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(mx_last_error(), path));
    CU_ASSERT_PTR_NOT_NULL(strstr(mx_last_error(), "array 1 is NULL"));
    const char *no_name[2] = {"arg:a", NULL};
    CU_ASSERT_EQUAL(mx_nd_save(path, 2, no_name, arrays), MX_EINVAL);
    CU_ASSERT_EQUAL(mx_nd_save(path, -1, NULL, arrays), MX_EINVAL);
    CU_ASSERT_EQUAL_FATAL(mx_nd_load(path, &l), MX_OK);
    CU_ASSERT(l.n == 1 && !strcmp(l.names[0], "arg:b"));
    mx_nd_list_free(&l);

    /* a write that cannot happen reports the target and leaves nothing */
    snprintf(bad, sizeof bad, "%s/missing-dir/model.params", dir);
    mx_clear_error();
    CU_ASSERT_EQUAL(mx_nd_save(bad, 2, names, arrays), MX_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(mx_last_error(), bad));
    CU_ASSERT_EQUAL(count_temporaries(dir), 0);
    mx_nd_free(a);
    mx_nd_free(b);
}

CU_ErrorCode mx_test_register_ndfile(void)
{
    CU_pSuite s = CU_add_suite("ndfile", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "round trip is bit-exact", test_round_trip_is_bit_exact);
    CU_add_test(s, "save writes the documented bytes", test_save_writes_the_documented_bytes);
    CU_add_test(s, "unnamed and empty lists", test_unnamed_and_empty_lists);
    CU_add_test(s, "V2, V1 and legacy fixtures load", test_v2_v1_and_legacy_fixtures_load);
    CU_add_test(s, "float16/uint8/int8/int64 convert", test_small_and_wide_types_convert);
    CU_add_test(s, "truncation anywhere is rejected", test_truncation_anywhere_is_rejected);
    CU_add_test(s, "bad headers and fields are rejected", test_bad_headers_and_fields_are_rejected);
    CU_add_test(s, "absurd shapes rejected before allocating", test_absurd_shapes_are_rejected_before_allocating);
    CU_add_test(s, "missing file and bad arguments", test_missing_file_and_bad_arguments);
    CU_add_test(s, "saves are atomic, failures name the file", test_saves_are_atomic_and_failures_name_the_file);
    return CU_get_error();
}
