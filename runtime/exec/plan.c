/* plan.c — greedy by size, lowest gap by offset among the buffers whose
 * lifetimes overlap; O(n² log n) over a graph's buffers, once at bind. */
#include "plan.h"

#include <stdlib.h>

#include "mx/arena.h"

static const mx_plan_buf *sort_base;

static int by_size_desc(const void *a, const void *b)
{
    const mx_plan_buf *x = sort_base + *(const int *)a, *y = sort_base + *(const int *)b;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    if (x->first != y->first) return x->first < y->first ? -1 : 1;
    return *(const int *)a - *(const int *)b; /* stable: same plan every run */
}

static int by_offset(const void *a, const void *b)
{
    size_t x = sort_base[*(const int *)a].offset, y = sort_base[*(const int *)b].offset;
    return (x > y) - (x < y);
}

static int overlaps(const mx_plan_buf *a, const mx_plan_buf *b)
{
    return a->first <= b->last && b->first <= a->last;
}

size_t mx_plan_assign(mx_plan_buf *bufs, int n)
{
    if (n <= 0) return 0;
    int *order = malloc((size_t)n * sizeof *order);
    int *placed = malloc((size_t)n * sizeof *placed);
    int *live = malloc((size_t)n * sizeof *live);
    if (!order || !placed || !live) {
        /* No room to plan: lay buffers end to end, which is always valid. */
        size_t off = 0;
        for (int i = 0; i < n; i++) { bufs[i].offset = off; off += mx_arena_round(bufs[i].bytes); }
        free(order);
        free(placed);
        free(live);
        return off;
    }
    for (int i = 0; i < n; i++) {
        order[i] = i;
        bufs[i].bytes = mx_arena_round(bufs[i].bytes);
    }
    sort_base = bufs;
    qsort(order, (size_t)n, sizeof *order, by_size_desc);
    size_t total = 0;
    int nplaced = 0;
    for (int oi = 0; oi < n; oi++) {
        mx_plan_buf *b = &bufs[order[oi]];
        /* The live buffers it must avoid, by offset; then the lowest gap. */
        int nlive = 0;
        for (int j = 0; j < nplaced; j++)
            if (overlaps(b, &bufs[placed[j]])) live[nlive++] = placed[j];
        sort_base = bufs;
        qsort(live, (size_t)nlive, sizeof *live, by_offset);
        size_t off = 0;
        for (int j = 0; j < nlive; j++) {
            const mx_plan_buf *p = &bufs[live[j]];
            if (p->offset >= off + b->bytes) break;
            if (p->offset + p->bytes > off) off = p->offset + p->bytes;
        }
        b->offset = off;
        placed[nplaced++] = order[oi];
        if (off + b->bytes > total) total = off + b->bytes;
    }
    free(live);
    free(order);
    free(placed);
    return total;
}
