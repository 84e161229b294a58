/* arena.c — bump allocation over one block; see arena.h. */
#include "mx/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t mx_arena_round(size_t bytes)
{
    return (bytes + MX_ARENA_ALIGN - 1) & ~(size_t)(MX_ARENA_ALIGN - 1);
}

mx_status mx_arena_init_buffer(mx_arena *a, const char *name, void *buf, size_t size)
{
    memset(a, 0, sizeof *a);
    a->name = name ? name : "arena";
    if (!buf && size) return mx_set_error(MX_EINVAL, "%s: NULL buffer of %zu bytes", a->name, size);
    uintptr_t p = (uintptr_t)buf;
    uintptr_t aligned = (p + MX_ARENA_ALIGN - 1) & ~(uintptr_t)(MX_ARENA_ALIGN - 1);
    size_t lost = (size_t)(aligned - p);
    a->base = (unsigned char *)aligned;
    a->size = size > lost ? size - lost : 0;
    return MX_OK;
}

mx_status mx_arena_init(mx_arena *a, const char *name, size_t size)
{
    void *block = NULL;
    memset(a, 0, sizeof *a);
    a->name = name ? name : "arena";
    if (size && posix_memalign(&block, MX_ARENA_ALIGN, size) != 0)
        return mx_set_error(MX_ENOMEM, "%s: cannot allocate %zu bytes", a->name, size);
    mx_arena_init_buffer(a, name, block, size);
    a->owned = block;
    return MX_OK;
}

void *mx_arena_alloc(mx_arena *a, size_t bytes)
{
    size_t need = mx_arena_round(bytes ? bytes : 1);
    if (need < bytes || a->used > a->size || need > a->size - a->used) {
        mx_set_error(MX_ENOMEM, "%s: arena exhausted: asked %zu bytes with %zu of %zu used",
                     a->name, bytes, a->used, a->size);
        return NULL;
    }
    void *p = a->base + a->used;
    a->used += need;
    if (a->used > a->peak) a->peak = a->used;
    return p;
}

void *mx_arena_calloc(mx_arena *a, size_t bytes)
{
    void *p = mx_arena_alloc(a, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

size_t mx_arena_mark(const mx_arena *a) { return a->used; }

void mx_arena_reset(mx_arena *a, size_t mark)
{
    if (mark <= a->used) a->used = mark;
}

void mx_arena_release(mx_arena *a)
{
    free(a->owned);
    memset(a, 0, sizeof *a);
}
