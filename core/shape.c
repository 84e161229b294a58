/* shape.c — small helpers over mx_shape. */
#include "mx/shape.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mx_shape mx_shape_make(int ndim, ...)
{
    mx_shape s;
    memset(&s, 0, sizeof s);
    va_list ap;
    va_start(ap, ndim);
    s.ndim = ndim > MX_MAX_NDIM ? MX_MAX_NDIM : ndim;
    for (int i = 0; i < s.ndim; i++) s.dims[i] = va_arg(ap, int);
    va_end(ap);
    return s;
}

mx_shape mx_shape_from(int ndim, const int64_t *dims)
{
    mx_shape s;
    memset(&s, 0, sizeof s);
    s.ndim = ndim > MX_MAX_NDIM ? MX_MAX_NDIM : ndim;
    for (int i = 0; i < s.ndim; i++) s.dims[i] = dims[i];
    return s;
}

size_t mx_shape_size(const mx_shape *s)
{
    if (s->ndim <= 0) return 0;
    return mx_shape_tail(s, 0);
}

size_t mx_shape_tail(const mx_shape *s, int from)
{
    size_t n = 1;
    for (int i = from; i < s->ndim; i++) n *= (size_t)s->dims[i];
    return n;
}

int mx_shape_equal(const mx_shape *a, const mx_shape *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

char *mx_shape_str(const mx_shape *s, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap == 0) return buf;
    buf[0] = '\0';
    if (s->ndim <= 0) { snprintf(buf, cap, "(?)"); return buf; }
    len += (size_t)snprintf(buf + len, cap - len, "(");
    for (int i = 0; i < s->ndim && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? "," : "", (long long)s->dims[i]);
    if (len < cap) snprintf(buf + len, cap - len, ")");
    return buf;
}

int mx_shape_parse(const char *text, mx_shape *s)
{
    memset(s, 0, sizeof *s);
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    char close = *p == '(' ? ')' : *p == '[' ? ']' : 0;
    if (close) p++;
    /* Strictly "int, int, ...": no empty entries, no missing commas. */
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        /* "()" (rejected below), or Python's 1-tuple "(3,)" as MXNet writes it */
        if (close && *p == close) { p++; break; }
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || s->ndim >= MX_MAX_NDIM) return -1;
        s->dims[s->ndim++] = v;
        p = end;
        if (*p == 'L') p++; /* old MXNet JSON writes longs as "3L" */
        while (isspace((unsigned char)*p)) p++;
        if (*p == ',') { p++; continue; }
        if (close) {
            if (*p != close) return -1;
            p++;
        }
        break;
    }
    while (isspace((unsigned char)*p)) p++;
    return *p || s->ndim == 0 ? -1 : 0;
}
