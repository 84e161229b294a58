/* test_ndarray.c — the "ndarray" suite: creation, copies, slices that share
 * memory, arithmetic against hand-computed values, seeded random fills,
 * arena-backed arrays, printing, the shape helpers and the generator. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mx/ndarray.h"
#include "suites.h"

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

static int equal_floats(const mx_nd *a, const float *want, size_t n)
{
    if (mx_nd_size(a) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (mx_nd_data(a)[i] != want[i]) return 0;
    return 1;
}

static void test_nd_empty_has_shape_and_aligned_data_and_rejects_bad_shapes(void)
{
    mx_nd *a = mx_nd_empty(mx_shape_make(3, 2, 3, 4));
    CU_ASSERT_FATAL(a != NULL);
    mx_shape s = mx_nd_shape(a), want = mx_shape_make(3, 2, 3, 4);
    CU_ASSERT(mx_shape_equal(&s, &want));
    CU_ASSERT_EQUAL(mx_nd_size(a), 24);
    CU_ASSERT_EQUAL(mx_nd_ndim(a), 3);
    CU_ASSERT((uintptr_t)mx_nd_data(a) % 64 == 0);
    CU_ASSERT_EQUAL(mx_nd_context(a).dev_type, MX_CPU);
    for (int i = 0; i < 24; i++) mx_nd_data(a)[i] = (float)i; /* writable */
    mx_nd_free(a);
    mx_clear_error(); /* bad shapes: no dimensions, a negative one */
    CU_ASSERT_PTR_NULL(mx_nd_empty(mx_shape_make(0)));
    CU_ASSERT(mx_last_error()[0] != '\0');
    CU_ASSERT_PTR_NULL(mx_nd_zeros(mx_shape_make(2, 2, -1)));
    CU_ASSERT(has(mx_last_error(), "(2,-1)"));
}

static void test_nd_zeros_ones_from_and_fill_set_values(void)
{
    const float src[6] = {1.5f, -2, 3, 0, 7.25f, -0.5f};
    float copy[6];
    memcpy(copy, src, sizeof copy);
    mx_nd *z = mx_nd_zeros(mx_shape_make(2, 2, 3)), *o = mx_nd_ones(mx_shape_make(1, 5));
    mx_nd *f = mx_nd_from(mx_shape_make(2, 3, 2), copy);
    CU_ASSERT_FATAL(z && o && f);
    const float zeros[6] = {0}, ones[5] = {1, 1, 1, 1, 1};
    CU_ASSERT(equal_floats(z, zeros, 6));
    CU_ASSERT(equal_floats(o, ones, 5));
    CU_ASSERT(equal_floats(f, src, 6));
    copy[0] = 99; /* from copies: later changes to the source do not show */
    CU_ASSERT_EQUAL(mx_nd_data(f)[0], 1.5f);
    CU_ASSERT_PTR_NOT_EQUAL(mx_nd_data(f), copy);
    mx_nd_free(z), mx_nd_free(o), mx_nd_free(f);
    mx_nd *a = mx_nd_empty(mx_shape_make(2, 301, 7));
    CU_ASSERT_FATAL(a != NULL);
    mx_nd_fill(a, -3.25f);
    int wrong = 0;
    for (size_t i = 0; i < mx_nd_size(a); i++) wrong += mx_nd_data(a)[i] != -3.25f;
    CU_ASSERT_EQUAL(wrong, 0);
    mx_nd_free(a);
}

static void test_nd_copy_round_trips_and_rejects_size_mismatch(void)
{
    const float src[6] = {1, 2, 3, 4, 5, 6};
    float back[6] = {0};
    mx_nd *a = mx_nd_empty(mx_shape_make(2, 2, 3));
    CU_ASSERT_FATAL(a != NULL);
    CU_ASSERT_EQUAL(mx_nd_copy_from(a, src, 6), MX_OK);
    CU_ASSERT_EQUAL(mx_nd_copy_to(a, back, 6), MX_OK);
    CU_ASSERT(memcmp(src, back, sizeof src) == 0);
    mx_nd *b = mx_nd_zeros(mx_shape_make(2, 3, 2)); /* same size, other shape */
    CU_ASSERT_EQUAL(mx_nd_copy(b, a), MX_OK);
    CU_ASSERT(equal_floats(b, src, 6));
    float buf[8] = {0}, guard[8];
    for (int i = 0; i < 8; i++) buf[i] = guard[i] = (float)(i + 100);
    mx_nd_fill(a, 0.0f);
    mx_clear_error();
    CU_ASSERT_EQUAL(mx_nd_copy_from(a, buf, 5), MX_EINVAL);
    CU_ASSERT(has(mx_last_error(), "(2,3)") && has(mx_last_error(), "6") && has(mx_last_error(), "5"));
    CU_ASSERT_EQUAL(mx_nd_data(a)[0], 0.0f); /* nothing copied */
    mx_clear_error();
    CU_ASSERT_EQUAL(mx_nd_copy_to(a, buf, 8), MX_EINVAL);
    CU_ASSERT(has(mx_last_error(), "(2,3)") && has(mx_last_error(), "6") && has(mx_last_error(), "8"));
    CU_ASSERT(memcmp(buf, guard, sizeof buf) == 0);
    mx_nd *c = mx_nd_zeros(mx_shape_make(1, 7));
    CU_ASSERT_NOT_EQUAL(mx_nd_copy(c, a), MX_OK);
    mx_nd_free(a), mx_nd_free(b), mx_nd_free(c);
}

static void test_nd_slice_shares_memory_with_parent(void)
{
    float v[12];
    for (int i = 0; i < 12; i++) v[i] = (float)i;
    mx_nd *p = mx_nd_from(mx_shape_make(2, 4, 3), v);
    mx_nd *s = mx_nd_slice(p, 1, 3);
    CU_ASSERT_FATAL(p && s);
    mx_shape got = mx_nd_shape(s), want = mx_shape_make(2, 2, 3);
    CU_ASSERT(mx_shape_equal(&got, &want));
    CU_ASSERT_PTR_EQUAL(mx_nd_data(s), mx_nd_data(p) + 3);
    CU_ASSERT_EQUAL(mx_nd_data(s)[0], 3.0f);
    mx_nd_data(s)[0] = 100; /* write through the slice */
    CU_ASSERT_EQUAL(mx_nd_data(p)[3], 100.0f);
    mx_nd_data(p)[8] = -8; /* and through the parent */
    CU_ASSERT_EQUAL(mx_nd_data(s)[5], -8.0f);
    mx_nd_fill(s, 7);
    CU_ASSERT(mx_nd_data(p)[2] == 2 && mx_nd_data(p)[3] == 7 && mx_nd_data(p)[8] == 7 && mx_nd_data(p)[9] == 9);
    mx_nd *ss = mx_nd_slice(s, 1, 2); /* a slice of a slice: parent row 2 */
    CU_ASSERT_FATAL(ss != NULL);
    CU_ASSERT_PTR_EQUAL(mx_nd_data(ss), mx_nd_data(p) + 6);
    mx_nd_free(ss), mx_nd_free(s);
    CU_ASSERT_EQUAL(mx_nd_data(p)[11], 11.0f); /* freeing views leaves the parent */
    mx_nd_free(p);
}

static void test_nd_slice_rejects_bad_ranges(void)
{
    mx_nd *p = mx_nd_zeros(mx_shape_make(2, 4, 3));
    CU_ASSERT_FATAL(p != NULL);
    static const int64_t bad[][2] = {{-1, 2}, {0, 5}, {2, 2}, {3, 1}, {4, 5}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mx_clear_error();
        CU_ASSERT_PTR_NULL(mx_nd_slice(p, bad[i][0], bad[i][1]));
        CU_ASSERT(has(mx_last_error(), "(4,3)"));
    }
    mx_nd *all = mx_nd_slice(p, 0, 4);
    CU_ASSERT(all != NULL && mx_nd_size(all) == 12);
    mx_nd_free(all), mx_nd_free(p);
}

static const float A6[6] = {1, 2, 3, 4, 5, 6}, B6[6] = {2, 4, -1, 0.5f, 8, 3};

static void test_nd_binary_ops_match_hand_values(void)
{
    static const float want[4][6] = {{3, 6, 2, 4.5f, 13, 9},
                                     {-1, -2, 4, 3.5f, -3, 3},
                                     {2, 8, -3, 2, 40, 18},
                                     {0.5f, 0.5f, -3, 8, 0.625f, 2}};
    mx_nd *a = mx_nd_from(mx_shape_make(2, 2, 3), A6), *b = mx_nd_from(mx_shape_make(2, 2, 3), B6);
    CU_ASSERT_FATAL(a && b);
    for (int op = MX_ND_ADD; op <= MX_ND_DIV; op++) {
        mx_nd *y = mx_nd_binary((mx_nd_op)op, a, b);
        CU_ASSERT_FATAL(y != NULL);
        CU_ASSERT(equal_floats(y, want[op], 6));
        CU_ASSERT(equal_floats(a, A6, 6) && equal_floats(b, B6, 6)); /* inputs untouched */
        mx_nd_free(y);
        mx_nd *d = mx_nd_from(mx_shape_make(2, 2, 3), A6);
        CU_ASSERT_EQUAL(mx_nd_binary_to((mx_nd_op)op, d, b), MX_OK);
        CU_ASSERT(equal_floats(d, want[op], 6));
        mx_nd_free(d);
    }
    mx_nd_free(a), mx_nd_free(b);
}

static void test_nd_binary_rejects_shape_mismatch_naming_both(void)
{
    mx_nd *a = mx_nd_from(mx_shape_make(2, 2, 3), A6), *b = mx_nd_from(mx_shape_make(2, 3, 2), B6);
    CU_ASSERT_FATAL(a && b);
    mx_clear_error();
    CU_ASSERT_PTR_NULL(mx_nd_binary(MX_ND_ADD, a, b));
    CU_ASSERT(has(mx_last_error(), "(2,3)") && has(mx_last_error(), "(3,2)"));
    mx_clear_error();
    CU_ASSERT_EQUAL(mx_nd_binary_to(MX_ND_MUL, a, b), MX_EINVAL);
    CU_ASSERT(has(mx_last_error(), "(2,3)") && has(mx_last_error(), "(3,2)"));
    CU_ASSERT(equal_floats(a, A6, 6));
    mx_nd_free(a), mx_nd_free(b);
}

static void test_nd_scalar_ops_match_hand_values(void)
{
    static const float x[4] = {1, 2, 3, -4};
    static const float want[4][4] = {{3, 4, 5, -2}, {-1, 0, 1, -6}, {2, 4, 6, -8}, {0.5f, 1, 1.5f, -2}};
    mx_nd *a = mx_nd_from(mx_shape_make(1, 4), x);
    CU_ASSERT_FATAL(a != NULL);
    for (int op = MX_ND_ADD; op <= MX_ND_DIV; op++) {
        mx_nd *y = mx_nd_scalar((mx_nd_op)op, a, 2.0f); /* a op s, not s op a */
        CU_ASSERT_FATAL(y != NULL);
        CU_ASSERT(equal_floats(y, want[op], 4));
        CU_ASSERT(equal_floats(a, x, 4));
        mx_nd_free(y);
        mx_nd *d = mx_nd_from(mx_shape_make(1, 4), x);
        CU_ASSERT_EQUAL(mx_nd_scalar_to((mx_nd_op)op, d, 2.0f), MX_OK);
        CU_ASSERT(equal_floats(d, want[op], 4));
        mx_nd_free(d);
    }
    mx_nd_free(a);
}

/* Mean and variance in double. */
static void moments(const float *x, size_t n, double *mean, double *var)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++) ss += (x[i] - *mean) * (x[i] - *mean);
    *var = ss / (double)(n - 1);
}

#define NR 200000

static void test_nd_rand_uniform_is_seeded_in_range_with_right_moments(void)
{
    mx_nd *a = mx_nd_empty(mx_shape_make(1, NR)), *b = mx_nd_empty(mx_shape_make(1, NR));
    CU_ASSERT_FATAL(a && b);
    mx_rng r1, r2;
    mx_rng_seed(&r1, 42), mx_rng_seed(&r2, 42);
    mx_nd_rand_uniform(a, -2.0f, 3.0f, &r1);
    mx_nd_rand_uniform(b, -2.0f, 3.0f, &r2);
    CU_ASSERT(memcmp(mx_nd_data(a), mx_nd_data(b), NR * sizeof(float)) == 0);
    int out = 0;
    for (size_t i = 0; i < NR; i++) out += !(mx_nd_data(a)[i] >= -2.0f && mx_nd_data(a)[i] < 3.0f);
    CU_ASSERT_EQUAL(out, 0);
    double m, v;
    moments(mx_nd_data(a), NR, &m, &v);
    CU_ASSERT(fabs(m - 0.5) < 0.02);            /* sd of the mean ~0.003 */
    CU_ASSERT(fabs(v - 25.0 / 12.0) < 0.04);    /* (hi-lo)^2 / 12 */
    mx_rng_seed(&r2, 43);
    mx_nd_rand_uniform(b, -2.0f, 3.0f, &r2);
    size_t same = 0;
    for (size_t i = 0; i < NR; i++) same += mx_nd_data(a)[i] == mx_nd_data(b)[i];
    CU_ASSERT(same < NR / 100);
    /* NULL uses the global generator, which mx_random_seed makes repeatable. */
    mx_random_seed(7);
    mx_nd_rand_uniform(a, 0.0f, 1.0f, NULL);
    mx_random_seed(7);
    mx_nd_rand_uniform(b, 0.0f, 1.0f, NULL);
    CU_ASSERT(memcmp(mx_nd_data(a), mx_nd_data(b), NR * sizeof(float)) == 0);
    mx_nd_free(a), mx_nd_free(b);
}

/* [lo, hi) must hold even where float rounding of lo + (hi-lo)*u could reach hi. */
static void test_nd_rand_uniform_never_returns_hi_at_large_offsets(void)
{
    mx_nd *a = mx_nd_empty(mx_shape_make(1, 4096));
    mx_rng r;
    mx_rng_seed(&r, 1);
    const float lo = 1000000.0f, hi = 1000001.0f;
    CU_ASSERT_FATAL(a != NULL);
    mx_nd_rand_uniform(a, lo, hi, &r);
    int at_hi = 0, below = 0;
    for (int i = 0; i < 4096; i++) at_hi += mx_nd_data(a)[i] >= hi, below += mx_nd_data(a)[i] < lo;
    CU_ASSERT(below == 0 && at_hi == 0);
    if (at_hi) fprintf(stderr, "\n  %d of 4096 values of U(%.0f, %.0f) were %.0f\n", at_hi, lo, hi, hi);
    mx_nd_free(a);
}

static void test_nd_rand_normal_has_right_mean_and_std(void)
{
    mx_nd *a = mx_nd_empty(mx_shape_make(2, 400, 500));
    mx_rng r;
    CU_ASSERT_FATAL(a != NULL);
    mx_rng_seed(&r, 2024);
    mx_nd_rand_normal(a, 1.5f, 0.5f, &r);
    double m, v;
    moments(mx_nd_data(a), NR, &m, &v);
    CU_ASSERT(fabs(m - 1.5) < 0.01); /* sd of the mean ~0.0011 */
    CU_ASSERT(fabs(sqrt(v) - 0.5) < 0.01);
    size_t within = 0; /* ~68.27% within one std */
    for (size_t i = 0; i < NR; i++) within += fabs(mx_nd_data(a)[i] - 1.5) < 0.5;
    CU_ASSERT(fabs((double)within / NR - 0.6827) < 0.01);
    mx_nd_free(a);
}

static void test_nd_empty_in_takes_handle_and_data_from_arena(void)
{
    mx_arena ar;
    CU_ASSERT_FATAL(mx_arena_init(&ar, "ndarena", 4096) == MX_OK);
    mx_nd *a = mx_nd_empty_in(&ar, mx_shape_make(2, 3, 5));
    CU_ASSERT_FATAL(a != NULL);
    unsigned char *lo = ar.base, *hi = ar.base + ar.size;
    CU_ASSERT((unsigned char *)a >= lo && (unsigned char *)a < hi);
    unsigned char *d = (unsigned char *)mx_nd_data(a);
    CU_ASSERT(d >= lo && d + 15 * sizeof(float) <= hi);
    CU_ASSERT((uintptr_t)d % 64 == 0);
    CU_ASSERT(ar.used >= 64 + 64); /* both pieces counted */
    CU_ASSERT_EQUAL(mx_nd_size(a), 15);
    mx_nd_fill(a, 4.0f);
    size_t used = ar.used;
    mx_nd_free(a); /* no-op for arena arrays (a free() would upset ASan) */
    CU_ASSERT_EQUAL(ar.used, used);
    CU_ASSERT_EQUAL(mx_nd_data(a)[14], 4.0f);
    mx_clear_error();
    CU_ASSERT_PTR_NULL(mx_nd_empty_in(&ar, mx_shape_make(1, 4096)));
    CU_ASSERT(has(mx_last_error(), "ndarena"));
    mx_arena_release(&ar);
}

/* Prints nd into a memory stream; returns a malloc'd string. */
static char *print_to_string(const mx_nd *nd, size_t max_items)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    mx_nd_print(nd, f, max_items);
    fclose(f);
    return buf;
}

static void test_nd_print_shows_shape_and_values(void)
{
    static const float v[6] = {1, 2, 3, 4, 5, 6.5f};
    mx_nd *a = mx_nd_from(mx_shape_make(2, 2, 3), v);
    CU_ASSERT_FATAL(a != NULL);
    char *s = print_to_string(a, 100);
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT(has(s, "(2,3)") && has(s, "CPU0"));
    CU_ASSERT(has(s, "2") && has(s, "5") && has(s, "6.5"));
    if (!has(s, "(2,3)") || !has(s, "CPU0")) fprintf(stderr, "\n  mx_nd_print wrote: %s", s);
    free(s);
    float w[10];
    for (int i = 0; i < 10; i++) w[i] = (float)(101 + i);
    mx_nd *b = mx_nd_from(mx_shape_make(1, 10), w);
    s = print_to_string(b, 4); /* only the first 4 values */
    CU_ASSERT(s && has(s, "101") && has(s, "104") && !has(s, "105") && !has(s, "110"));
    free(s);
    mx_nd_free(a), mx_nd_free(b);
}

/* Printing an array with no elements must not crash (run in a child). */
static void test_nd_print_empty_array_does_not_crash(void)
{
    fflush(NULL);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        FILE *f = fopen("/dev/null", "w");
        mx_nd *a = mx_nd_empty(mx_shape_make(2, 3, 0));
        if (!f || !a) _exit(3);
        mx_nd_print(a, f, 10);
        _exit(0);
    }
    int status = 0;
    CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status)) fprintf(stderr, "\n  mx_nd_print on shape (3,0) died of signal %d\n", WTERMSIG(status));
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_shape_str_size_and_equal(void)
{
    char buf[64];
    mx_shape s = mx_shape_make(2, 100, 784);
    CU_ASSERT_STRING_EQUAL(mx_shape_str(&s, buf, sizeof buf), "(100,784)");
    s = mx_shape_make(3, 2, 3, 4);
    CU_ASSERT_STRING_EQUAL(mx_shape_str(&s, buf, sizeof buf), "(2,3,4)");
    CU_ASSERT_EQUAL(mx_shape_size(&s), 24);
    CU_ASSERT_EQUAL(mx_shape_tail(&s, 1), 12);
    memset(buf, 'x', sizeof buf);
    mx_shape_str(&s, buf, 5); /* truncated, terminated, nothing past cap */
    CU_ASSERT(strlen(buf) < 5 && buf[5] == 'x');
    s = mx_shape_make(0);
    CU_ASSERT_EQUAL(mx_shape_size(&s), 0);
    s = mx_shape_make(2, 5, 0);
    CU_ASSERT_EQUAL(mx_shape_size(&s), 0);
    mx_shape a = mx_shape_make(2, 2, 3), b = mx_shape_make(2, 2, 3), c = mx_shape_make(2, 3, 2),
             d = mx_shape_make(3, 2, 3, 1);
    int64_t dims[2] = {2, 3};
    mx_shape e = mx_shape_from(2, dims);
    CU_ASSERT(mx_shape_equal(&a, &b) && mx_shape_equal(&a, &e));
    CU_ASSERT(!mx_shape_equal(&a, &c) && !mx_shape_equal(&a, &d));
}

static void test_shape_parse_accepts_mxnet_forms_and_rejects_malformed(void)
{
    mx_shape t;
    static const struct { const char *text; int ndim; int64_t d0, d1; } good[] = {
        {"(2,3)", 2, 2, 3}, {"2,3", 2, 2, 3}, {"(5, 5)", 2, 5, 5}, {"3L,4", 2, 3, 4},
        {"(3L, 4L)", 2, 3, 4}, {" ( 7 ) ", 1, 7, 0}, {"60000", 1, 60000, 0}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int rc = mx_shape_parse(good[i].text, &t);
        CU_ASSERT(rc == 0 && t.ndim == good[i].ndim && t.dims[0] == good[i].d0);
        if (good[i].ndim > 1) CU_ASSERT_EQUAL(t.dims[1], good[i].d1);
    }
    static const char *bad[] = {"(", "(2,3", "2,,3", "abc", "(2,3)x", "2;3", "(2,a)", "1,2,3,4,5,6,7,8,9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CU_ASSERT_EQUAL(mx_shape_parse(bad[i], &t), -1);
}

/* splitmix64 seeding and xoshiro256** as published by Blackman and Vigna. */
static uint64_t ref_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t ref_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static void test_rng_matches_reference_xoshiro256ss(void)
{
    uint64_t x = 0, s[4];
    CU_ASSERT_EQUAL(ref_splitmix(&x), 0xe220a8397b1dcdafULL); /* published first value, seed 0 */
    x = 12345;
    for (int i = 0; i < 4; i++) s[i] = ref_splitmix(&x);
    mx_rng r;
    mx_rng_seed(&r, 12345);
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t want = ref_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
        s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = ref_rotl(s[3], 45);
        differ += mx_rng_next(&r) != want;
    }
    CU_ASSERT_EQUAL(differ, 0);
}

static void test_rng_is_seeded_repeatable_and_in_range(void)
{
    mx_rng a, b;
    mx_rng_seed(&a, 99), mx_rng_seed(&b, 99);
    int differ = 0;
    for (int i = 0; i < 1000; i++) differ += mx_rng_next(&a) != mx_rng_next(&b);
    CU_ASSERT_EQUAL(differ, 0);
    mx_rng_seed(&a, 99), mx_rng_seed(&b, 100);
    int same = 0;
    for (int i = 0; i < 1000; i++) same += mx_rng_next(&a) == mx_rng_next(&b);
    CU_ASSERT(same < 5);
    static const uint64_t ns[] = {1, 2, 3, 7, 10, 1000, ((uint64_t)1 << 63) + 1};
    int out = 0;
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
        for (int i = 0; i < 2000; i++) out += mx_rng_below(&a, ns[k]) >= ns[k];
    CU_ASSERT_EQUAL(out, 0);
    int count[7] = {0}; /* every value of [0,7) comes up about equally */
    for (int i = 0; i < 70000; i++) count[mx_rng_below(&a, 7) % 7]++;
    for (int v = 0; v < 7; v++) CU_ASSERT(count[v] > 9500 && count[v] < 10500);
    int bad_u = 0;
    for (int i = 0; i < 100000; i++) {
        float u = mx_rng_uniform(&a);
        bad_u += !(u >= 0.0f && u < 1.0f);
    }
    CU_ASSERT_EQUAL(bad_u, 0);
}

#define ADD(fn) CU_add_test(s, #fn + 5, fn) /* named after the function, less "test_" */

CU_ErrorCode mx_test_register_ndarray(void)
{
    CU_pSuite s = CU_add_suite("ndarray", NULL, NULL);
    if (!s) return CU_get_error();
    ADD(test_nd_empty_has_shape_and_aligned_data_and_rejects_bad_shapes);
    ADD(test_nd_zeros_ones_from_and_fill_set_values);
    ADD(test_nd_copy_round_trips_and_rejects_size_mismatch);
    ADD(test_nd_slice_shares_memory_with_parent);
    ADD(test_nd_slice_rejects_bad_ranges);
    ADD(test_nd_binary_ops_match_hand_values);
    ADD(test_nd_binary_rejects_shape_mismatch_naming_both);
    ADD(test_nd_scalar_ops_match_hand_values);
    ADD(test_nd_rand_uniform_is_seeded_in_range_with_right_moments);
    ADD(test_nd_rand_uniform_never_returns_hi_at_large_offsets);
    ADD(test_nd_rand_normal_has_right_mean_and_std);
    ADD(test_nd_empty_in_takes_handle_and_data_from_arena);
    ADD(test_nd_print_shows_shape_and_values);
    ADD(test_nd_print_empty_array_does_not_crash);
    ADD(test_shape_str_size_and_equal);
    ADD(test_shape_parse_accepts_mxnet_forms_and_rejects_malformed);
    ADD(test_rng_matches_reference_xoshiro256ss);
    ADD(test_rng_is_seeded_repeatable_and_in_range);
    return CU_get_error();
}
