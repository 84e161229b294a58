/* names.c — node names, MXNet's NameManager: an op given no name is called
 * <hint><n>, the hint being the op name as called, lowercased (_Plus gives
 * _plus0, FullyConnected fullyconnected0), with one counter per hint; in a
 * name scope (mx_name_scope_begin, MXNet's mx.name.Prefix) every op name,
 * given or made, starts with the scope's prefix, and the counters start
 * again from 0. Per thread, as MXNet's managers are. Set-up time only. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

#define HINT_CAP 48
#define MAX_DEPTH 32

typedef struct name_scope {
    char prefix[128];
    int n, cap;
    char (*hints)[HINT_CAP];
    int *counts;
} name_scope;

/* scopes[0] is the thread's default manager (no prefix). */
static _Thread_local name_scope scopes[MAX_DEPTH + 1];
static _Thread_local int depth;

/* The counter of hint in s, made on first use; -1 if memory ran out. */
static int next_count(name_scope *s, const char *hint)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->hints[i], hint)) return s->counts[i]++;
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        char (*h)[HINT_CAP] = realloc(s->hints, (size_t)cap * sizeof *h);
        if (h) s->hints = h;
        int *c = realloc(s->counts, (size_t)cap * sizeof *c);
        if (c) s->counts = c;
        if (!h || !c) return -1;
        s->cap = cap;
    }
    snprintf(s->hints[s->n], HINT_CAP, "%s", hint);
    s->counts[s->n] = 1;
    s->n++;
    return 0;
}

mx_status mx_graph_node_name(const char *given, const char *called, char *out, size_t cap)
{
    name_scope *s = &scopes[depth];
    char made[HINT_CAP + 16];
    if (!given || !given[0]) {
        char hint[HINT_CAP];
        size_t i = 0;
        for (; called[i] && i + 1 < HINT_CAP; i++) hint[i] = (char)tolower((unsigned char)called[i]);
        hint[i] = '\0';
        int k = next_count(s, hint);
        if (k < 0) return mx_set_error(MX_ENOMEM, "symbol: out of memory naming a node");
        snprintf(made, sizeof made, "%s%d", hint, k);
        given = made;
    }
    if ((size_t)snprintf(out, cap, "%s%s", s->prefix, given) >= cap)
        return mx_set_error(MX_EINVAL, "symbol: node name '%s%s' is too long (at most %zu bytes)", s->prefix,
                            given, cap - 1);
    return MX_OK;
}

mx_status mx_name_scope_begin(const char *prefix)
{
    if (depth == MAX_DEPTH) return mx_set_error(MX_EINVAL, "mx_name_scope_begin: more than %d scopes", MAX_DEPTH);
    if (prefix && strlen(prefix) >= sizeof scopes[0].prefix)
        return mx_set_error(MX_EINVAL, "mx_name_scope_begin: prefix '%s' is too long", prefix);
    name_scope *s = &scopes[++depth];
    snprintf(s->prefix, sizeof s->prefix, "%s", prefix ? prefix : "");
    s->n = 0;
    return MX_OK;
}

mx_status mx_name_scope_end(void)
{
    if (depth == 0) return mx_set_error(MX_EINVAL, "mx_name_scope_end: no scope is open");
    name_scope *s = &scopes[depth--];
    free(s->hints);
    free(s->counts);
    memset(s, 0, sizeof *s);
    return MX_OK;
}
