/* test_arena.c — the "arena" suite: every allocation is 64-byte aligned,
 * used/peak account for the rounded sizes, mark/reset hands the same
 * addresses back, exhaustion is a NULL with a message naming the arena and
 * the sizes, a caller's (unaligned) buffer is used without any malloc,
 * calloc zeroes and release empties the arena. */
#include <stdint.h>
#include <string.h>

#include "mx/arena.h"
#include "mx/error.h"
#include "suites.h"

/* Independent round-up to the next multiple of 64. */
static size_t up64(size_t n) { return (n + 63) / 64 * 64; }

static int aligned64(const void *p) { return ((uintptr_t)p % 64) == 0; }

static int has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

static const size_t odd_sizes[] = {1, 3, 7, 63, 64, 65, 100, 127, 129, 1000, 4095, 33};
#define N_ODD (sizeof odd_sizes / sizeof odd_sizes[0])

static void test_arena_aligns_every_allocation_to_64_bytes(void)
{
    mx_arena a;
    CU_ASSERT_FATAL(mx_arena_init(&a, "align", 1 << 16) == MX_OK);
    unsigned char *p[N_ODD];
    for (size_t i = 0; i < N_ODD; i++) {
        p[i] = mx_arena_alloc(&a, odd_sizes[i]);
        CU_ASSERT_FATAL(p[i] != NULL);
        CU_ASSERT(aligned64(p[i]));
        memset(p[i], (int)(i + 1), odd_sizes[i]); /* writable over the asked size */
    }
    /* Allocations do not overlap: each byte still holds its block's tag. */
    for (size_t i = 0; i < N_ODD; i++) {
        CU_ASSERT(p[i][0] == (unsigned char)(i + 1));
        CU_ASSERT(p[i][odd_sizes[i] - 1] == (unsigned char)(i + 1));
        if (i > 0) CU_ASSERT(p[i] >= p[i - 1] + odd_sizes[i - 1]);
    }
    mx_arena_release(&a);
}

static void test_arena_accounts_used_and_peak_in_rounded_sizes(void)
{
    mx_arena a;
    CU_ASSERT_FATAL(mx_arena_init(&a, "acct", 1 << 16) == MX_OK);
    CU_ASSERT_EQUAL(a.used, 0);
    CU_ASSERT_EQUAL(a.peak, 0);
    size_t expect = 0;
    for (size_t i = 0; i < N_ODD; i++) {
        CU_ASSERT_FATAL(mx_arena_alloc(&a, odd_sizes[i]) != NULL);
        expect += up64(odd_sizes[i]);
        CU_ASSERT_EQUAL(a.used, expect);
        CU_ASSERT_EQUAL(mx_arena_mark(&a), expect);
    }
    CU_ASSERT_EQUAL(a.peak, expect);
    size_t high = expect;
    mx_arena_reset(&a, 0);
    CU_ASSERT_EQUAL(a.used, 0);
    CU_ASSERT_EQUAL(a.peak, high); /* the high-water mark survives a reset */
    CU_ASSERT_FATAL(mx_arena_alloc(&a, 10) != NULL);
    CU_ASSERT_EQUAL(a.used, 64);
    CU_ASSERT_EQUAL(a.peak, high);
    mx_arena_release(&a);
}

static void test_arena_round_matches_what_allocations_consume(void)
{
    CU_ASSERT_EQUAL(mx_arena_round(0), 0);
    CU_ASSERT_EQUAL(mx_arena_round(1), 64);
    CU_ASSERT_EQUAL(mx_arena_round(64), 64);
    CU_ASSERT_EQUAL(mx_arena_round(65), 128);
    CU_ASSERT_EQUAL(mx_arena_round(1000), 1024);
    /* An arena sized by summing mx_arena_round serves exactly those sizes. */
    size_t total = 0;
    for (size_t i = 0; i < N_ODD; i++) total += mx_arena_round(odd_sizes[i]);
    mx_arena a;
    CU_ASSERT_FATAL(mx_arena_init(&a, "exact", total) == MX_OK);
    for (size_t i = 0; i < N_ODD; i++) CU_ASSERT(mx_arena_alloc(&a, odd_sizes[i]) != NULL);
    CU_ASSERT_EQUAL(a.used, total);
    CU_ASSERT_PTR_NULL(mx_arena_alloc(&a, 1));
    mx_arena_release(&a);
}

static void test_arena_reset_to_mark_reuses_same_addresses(void)
{
    mx_arena a;
    CU_ASSERT_FATAL(mx_arena_init(&a, "reuse", 8192) == MX_OK);
    void *keep = mx_arena_alloc(&a, 100);
    CU_ASSERT_FATAL(keep != NULL);
    memset(keep, 0x5A, 100);
    size_t mark = mx_arena_mark(&a);
    CU_ASSERT_EQUAL(mark, 128);
    void *first[4], *second[4];
    for (int i = 0; i < 4; i++) first[i] = mx_arena_alloc(&a, 200 + (size_t)i * 10);
    mx_arena_reset(&a, mark);
    CU_ASSERT_EQUAL(a.used, mark);
    for (int i = 0; i < 4; i++) second[i] = mx_arena_alloc(&a, 200 + (size_t)i * 10);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_PTR_NOT_NULL(first[i]);
        CU_ASSERT_PTR_EQUAL(first[i], second[i]);
    }
    /* What was allocated before the mark is untouched. */
    CU_ASSERT(((unsigned char *)keep)[0] == 0x5A && ((unsigned char *)keep)[99] == 0x5A);
    CU_ASSERT(mx_arena_alloc(&a, 1) != keep);
    mx_arena_reset(&a, 0);
    CU_ASSERT_PTR_EQUAL(mx_arena_alloc(&a, 1), keep); /* mark 0 empties it */
    mx_arena_release(&a);
}

static void test_arena_rejects_allocation_past_capacity(void)
{
    mx_arena a;
    CU_ASSERT_FATAL(mx_arena_init(&a, "planner", 1024) == MX_OK);
    CU_ASSERT_FATAL(mx_arena_alloc(&a, 600) != NULL); /* 640 used */
    mx_clear_error();
    CU_ASSERT_PTR_NULL(mx_arena_alloc(&a, 500));
    const char *msg = mx_last_error();
    CU_ASSERT(has(msg, "planner"));
    CU_ASSERT(has(msg, "500"));
    CU_ASSERT(has(msg, "640"));
    CU_ASSERT(has(msg, "1024"));
    CU_ASSERT_EQUAL(a.used, 640); /* a failed allocation takes nothing */
    CU_ASSERT_EQUAL(a.peak, 640);
    /* What still fits is still served, up to the last byte. */
    CU_ASSERT_PTR_NOT_NULL(mx_arena_alloc(&a, 384));
    CU_ASSERT_EQUAL(a.used, 1024);
    CU_ASSERT_PTR_NULL(mx_arena_alloc(&a, 1));
    mx_arena_release(&a);
}

static void test_arena_rejects_sizes_that_would_wrap_around(void)
{
    mx_arena a;
    CU_ASSERT_FATAL(mx_arena_init(&a, "wrap", 4096) == MX_OK);
    CU_ASSERT_FATAL(mx_arena_alloc(&a, 64) != NULL);
    CU_ASSERT_PTR_NULL(mx_arena_alloc(&a, SIZE_MAX));
    CU_ASSERT_PTR_NULL(mx_arena_alloc(&a, SIZE_MAX - 10));
    CU_ASSERT_PTR_NULL(mx_arena_alloc(&a, SIZE_MAX - 4096));
    CU_ASSERT(has(mx_last_error(), "wrap"));
    CU_ASSERT_EQUAL(a.used, 64);
    mx_arena_release(&a);
}

static void test_arena_aligns_unaligned_caller_buffer_without_malloc(void)
{
    static _Alignas(64) unsigned char storage[4096 + 128];
    unsigned char *buf = storage + 5; /* deliberately misaligned */
    size_t size = 4096;
    mx_arena a;
    CU_ASSERT_FATAL(mx_arena_init_buffer(&a, "firmware", buf, size) == MX_OK);
    CU_ASSERT_PTR_NULL(a.owned);
    CU_ASSERT(aligned64(a.base));
    CU_ASSERT_PTR_EQUAL(a.base, storage + 64); /* first aligned byte at or after buf */
    CU_ASSERT_EQUAL(a.size, size - 59);        /* 59 bytes lost to alignment */
    /* Fill it with 64-byte blocks: all inside the caller's buffer. */
    int count = 0;
    unsigned char *p;
    while ((p = mx_arena_alloc(&a, 64)) != NULL) {
        CU_ASSERT(aligned64(p));
        CU_ASSERT(p >= buf && p + 64 <= buf + size);
        count++;
    }
    CU_ASSERT_EQUAL(count, (int)((size - 59) / 64));
    CU_ASSERT(has(mx_last_error(), "firmware"));
    mx_arena_release(&a); /* must not free the caller's storage */
    CU_ASSERT_PTR_NULL(a.base);
}

static void test_arena_uses_aligned_caller_buffer_whole(void)
{
    static _Alignas(64) unsigned char storage[1024];
    mx_arena a;
    CU_ASSERT_FATAL(mx_arena_init_buffer(&a, NULL, storage, sizeof storage) == MX_OK);
    CU_ASSERT_PTR_EQUAL(a.base, storage);
    CU_ASSERT_EQUAL(a.size, sizeof storage);
    CU_ASSERT_PTR_NULL(a.owned);
    CU_ASSERT_PTR_NOT_NULL(a.name); /* a default name for messages */
    CU_ASSERT_PTR_EQUAL(mx_arena_alloc(&a, 1), storage);
    mx_arena_release(&a);
}

static void test_arena_rejects_null_caller_buffer(void)
{
    mx_arena a;
    mx_clear_error();
    CU_ASSERT_EQUAL(mx_arena_init_buffer(&a, "nullbuf", NULL, 256), MX_EINVAL);
    CU_ASSERT(has(mx_last_error(), "nullbuf"));
    CU_ASSERT(has(mx_last_error(), "256"));
}

static void test_arena_owned_block_is_aligned_and_recorded(void)
{
    mx_arena a;
    CU_ASSERT_FATAL(mx_arena_init(&a, "owned", 1024) == MX_OK);
    CU_ASSERT_PTR_NOT_NULL(a.owned);
    CU_ASSERT(aligned64(a.base));
    CU_ASSERT_EQUAL(a.used, 0);
    CU_ASSERT(has(a.name, "owned"));
    /* A multiple of 64 asked for is usable in full, in one piece. */
    unsigned char *p = mx_arena_alloc(&a, 1024);
    CU_ASSERT_PTR_NOT_NULL(p);
    if (p) memset(p, 1, 1024);
    mx_arena_release(&a);
}

static void test_arena_calloc_zeroes_reused_memory(void)
{
    mx_arena a;
    CU_ASSERT_FATAL(mx_arena_init(&a, "calloc", 4096) == MX_OK);
    unsigned char *p = mx_arena_alloc(&a, 1000);
    CU_ASSERT_FATAL(p != NULL);
    memset(p, 0xAB, 1000);
    mx_arena_reset(&a, 0);
    unsigned char *q = mx_arena_calloc(&a, 1000);
    CU_ASSERT_PTR_EQUAL(q, p);
    int nonzero = 0;
    for (int i = 0; i < 1000; i++) nonzero += q[i] != 0;
    CU_ASSERT_EQUAL(nonzero, 0);
    CU_ASSERT(aligned64(q));
    mx_clear_error();
    CU_ASSERT_PTR_NULL(mx_arena_calloc(&a, 8192)); /* exhaustion, not a crash */
    CU_ASSERT(has(mx_last_error(), "calloc"));
    mx_arena_release(&a);
}

static void test_arena_release_leaves_it_empty(void)
{
    mx_arena a;
    CU_ASSERT_FATAL(mx_arena_init(&a, "rel", 2048) == MX_OK);
    CU_ASSERT_FATAL(mx_arena_alloc(&a, 100) != NULL);
    mx_arena_release(&a);
    CU_ASSERT_PTR_NULL(a.base);
    CU_ASSERT_PTR_NULL(a.owned);
    CU_ASSERT_EQUAL(a.size, 0);
    CU_ASSERT_EQUAL(a.used, 0);
    CU_ASSERT_EQUAL(a.peak, 0);
    CU_ASSERT_PTR_NULL(mx_arena_alloc(&a, 1)); /* nothing left to hand out */
    mx_arena_release(&a);                      /* twice is harmless */
    CU_ASSERT_PTR_NULL(a.owned);
}

CU_ErrorCode mx_test_register_arena(void)
{
    CU_pSuite s = CU_add_suite("arena", NULL, NULL);
    if (!s) return CU_get_error();
    CU_add_test(s, "aligns every allocation to 64 bytes", test_arena_aligns_every_allocation_to_64_bytes);
    CU_add_test(s, "accounts used and peak in rounded sizes", test_arena_accounts_used_and_peak_in_rounded_sizes);
    CU_add_test(s, "round matches what allocations consume", test_arena_round_matches_what_allocations_consume);
    CU_add_test(s, "reset to a mark reuses the same addresses", test_arena_reset_to_mark_reuses_same_addresses);
    CU_add_test(s, "rejects an allocation past capacity", test_arena_rejects_allocation_past_capacity);
    CU_add_test(s, "rejects sizes that would wrap around", test_arena_rejects_sizes_that_would_wrap_around);
    CU_add_test(s, "aligns an unaligned caller buffer without malloc",
                test_arena_aligns_unaligned_caller_buffer_without_malloc);
    CU_add_test(s, "uses an aligned caller buffer whole", test_arena_uses_aligned_caller_buffer_whole);
    CU_add_test(s, "rejects a NULL caller buffer", test_arena_rejects_null_caller_buffer);
    CU_add_test(s, "owned block is aligned and recorded", test_arena_owned_block_is_aligned_and_recorded);
    CU_add_test(s, "calloc zeroes reused memory", test_arena_calloc_zeroes_reused_memory);
    CU_add_test(s, "release leaves it empty", test_arena_release_leaves_it_empty);
    return CU_get_error();
}
