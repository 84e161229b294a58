/** @file
 * arena.h — the bump allocator every planned buffer comes from: one block
 * (malloc'd once, or a caller's static buffer), 64-byte alignment,
 * mark/reset. Exhaustion is an error with the sizes, never an abort. */
#ifndef MX_ARENA_H
#define MX_ARENA_H

#include <stddef.h>
#include "mx/error.h"

/** Alignment in bytes of every arena allocation. */
#define MX_ARENA_ALIGN 64

/** Public so firmware can keep one in static storage and never malloc. */
typedef struct mx_arena {
    unsigned char *base; /**< first aligned byte of the block */
    size_t size;         /**< usable bytes from base */
    size_t used;         /**< bytes handed out (bump offset) */
    size_t peak;         /**< high-water mark of used */
    void *owned;         /**< the malloc'd block, or NULL for a caller's buffer */
    const char *name;    /**< for error messages ("executor", "model") */
} mx_arena;

/** Sets up a over a malloc'd block of size bytes (one allocation). */
mx_status mx_arena_init(mx_arena *a, const char *name, size_t size);

/** Sets up a over the caller's buffer; nothing is ever allocated. */
mx_status mx_arena_init_buffer(mx_arena *a, const char *name, void *buf, size_t size);

/** Returns 64-byte aligned memory, or NULL with an error naming the sizes. */
void *mx_arena_alloc(mx_arena *a, size_t bytes);

/** Like mx_arena_alloc, zero-filled. */
void *mx_arena_calloc(mx_arena *a, size_t bytes);

/** Current bump offset, to hand back later to mx_arena_reset. */
size_t mx_arena_mark(const mx_arena *a);

/** Frees everything allocated after mark (mark 0 empties the arena). */
void mx_arena_reset(mx_arena *a, size_t mark);

/** Releases the block if the arena owns it; a is empty afterwards. */
void mx_arena_release(mx_arena *a);

/** Bytes an arena must hold to serve allocations of these sizes in turn. */
size_t mx_arena_round(size_t bytes);

#endif
