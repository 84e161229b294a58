/* json.c — strict recursive-descent JSON reader. Every value records
 * where it starts; errors say line and column and what was expected. */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper nesting than any symbol file needs; stops stack exhaustion. */
#define JSON_MAX_DEPTH 128

typedef struct parser {
    const char *p;
    int line, col;
    char *err;
    size_t err_cap;
    int failed;
} parser;

static void fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(parser *ps, const char *fmt, ...)
{
    if (ps->failed) return;
    ps->failed = 1;
    int n = snprintf(ps->err, ps->err_cap, "line %d, column %d: ", ps->line, ps->col);
    if (n < 0 || (size_t)n >= ps->err_cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->err_cap - (size_t)n, fmt, ap);
    va_end(ap);
}

static void advance(parser *ps)
{
    if (*ps->p == '\n') { ps->line++; ps->col = 1; }
    else ps->col++;
    ps->p++;
}

static void skip_ws(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') advance(ps);
}

/* What the parser is looking at, quoted for a message. */
static const char *seen(const parser *ps, char *buf, size_t cap)
{
    unsigned char c = (unsigned char)*ps->p;
    if (!c) snprintf(buf, cap, "the end of the text");
    else if (c < 0x20 || c >= 0x7f) snprintf(buf, cap, "byte 0x%02x", c);
    else snprintf(buf, cap, "'%c'", c);
    return buf;
}

static void free_value(mx_json *v)
{
    if (v->type == MX_JSON_STRING) free(v->str);
    if (v->type == MX_JSON_ARRAY || v->type == MX_JSON_OBJECT) {
        for (int i = 0; i < v->n; i++) {
            free_value(&v->items[i]);
            if (v->keys) free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
    }
}

void mx_json_free(mx_json *v)
{
    if (!v) return;
    free_value(v);
    free(v);
}

static int hex4(parser *ps, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *ps->p;
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else { fail(ps, "expected 4 hex digits after \\u"); return -1; }
        advance(ps);
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *dst, unsigned cp)
{
    if (cp < 0x80) { dst[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Reads a string at '"'; the decoded text is never longer than the raw. */
static char *parse_string(parser *ps)
{
    advance(ps); /* opening quote */
    const char *end = ps->p;
    while (*end && *end != '"') end += (*end == '\\' && end[1]) ? 2 : 1;
    char *out = malloc((size_t)(end - ps->p) + 1);
    if (!out) { fail(ps, "out of memory"); return NULL; }
    size_t n = 0;
    for (;;) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') { advance(ps); break; }
        if (!c) { fail(ps, "unterminated string"); goto bad; }
        if (c < 0x20) { fail(ps, "control character 0x%02x inside a string (escape it)", c); goto bad; }
        if (c != '\\') { out[n++] = (char)c; advance(ps); continue; }
        advance(ps);
        char e = *ps->p;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char repl[] = "\"\\/\b\f\n\r\t";
            out[n++] = repl[simple - "\"\\/bfnrt"];
            advance(ps);
            continue;
        }
        if (e != 'u') { fail(ps, "unknown escape in a string"); goto bad; }
        advance(ps);
        unsigned cp;
        if (hex4(ps, &cp)) goto bad;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo;
            if (ps->p[0] != '\\' || ps->p[1] != 'u') { fail(ps, "unpaired surrogate in \\u escape"); goto bad; }
            advance(ps);
            advance(ps);
            if (hex4(ps, &lo)) goto bad;
            if (lo < 0xDC00 || lo > 0xDFFF) { fail(ps, "unpaired surrogate in \\u escape"); goto bad; }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail(ps, "unpaired surrogate in \\u escape");
            goto bad;
        }
        /* Names become C strings: an embedded NUL would silently cut them. */
        if (cp == 0) { fail(ps, "\\u0000 is not allowed in a string"); goto bad; }
        n += put_utf8(out + n, cp);
    }
    out[n] = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

static void parse_number(parser *ps, mx_json *v)
{
    const char *s = ps->p;
    int is_int = 1;
    if (*ps->p == '-') advance(ps);
    if (*ps->p == '0') advance(ps);
    else if (*ps->p >= '1' && *ps->p <= '9') { while (*ps->p >= '0' && *ps->p <= '9') advance(ps); }
    else { fail(ps, "expected a digit"); return; }
    if (*ps->p == '.') {
        is_int = 0;
        advance(ps);
        if (!(*ps->p >= '0' && *ps->p <= '9')) { fail(ps, "expected a digit after '.'"); return; }
        while (*ps->p >= '0' && *ps->p <= '9') advance(ps);
    }
    if (*ps->p == 'e' || *ps->p == 'E') {
        is_int = 0;
        advance(ps);
        if (*ps->p == '+' || *ps->p == '-') advance(ps);
        if (!(*ps->p >= '0' && *ps->p <= '9')) { fail(ps, "expected a digit in the exponent"); return; }
        while (*ps->p >= '0' && *ps->p <= '9') advance(ps);
    }
    v->type = MX_JSON_NUMBER;
    v->num = strtod(s, NULL);
    if (is_int) {
        errno = 0;
        v->ival = strtoll(s, NULL, 10);
        v->is_int = errno == 0;
    }
}

static int match_word(parser *ps, const char *w)
{
    size_t n = strlen(w);
    if (strncmp(ps->p, w, n)) return 0;
    for (size_t i = 0; i < n; i++) advance(ps);
    return 1;
}

static void parse_value(parser *ps, mx_json *v, int depth);

/* Appends one slot to an array/object; returns it zeroed, or NULL. */
static mx_json *grow(parser *ps, mx_json *v, int *cap)
{
    if (v->n == *cap) {
        int nc = *cap ? *cap * 2 : 4;
        mx_json *ni = realloc(v->items, (size_t)nc * sizeof *ni);
        if (!ni) { fail(ps, "out of memory"); return NULL; }
        v->items = ni;
        if (v->type == MX_JSON_OBJECT) {
            char **nk = realloc(v->keys, (size_t)nc * sizeof *nk);
            if (!nk) { fail(ps, "out of memory"); return NULL; }
            v->keys = nk;
        }
        *cap = nc;
    }
    mx_json *slot = &v->items[v->n];
    memset(slot, 0, sizeof *slot);
    if (v->keys) v->keys[v->n] = NULL;
    v->n++;
    return slot;
}

static void parse_container(parser *ps, mx_json *v, int depth, int is_obj)
{
    char close = is_obj ? '}' : ']', buf[32];
    int cap = 0;
    v->type = is_obj ? MX_JSON_OBJECT : MX_JSON_ARRAY;
    advance(ps);
    skip_ws(ps);
    if (*ps->p == close) { advance(ps); return; }
    for (;;) {
        skip_ws(ps);
        char *key = NULL;
        if (is_obj) {
            if (*ps->p != '"') { fail(ps, "expected a key string, found %s", seen(ps, buf, sizeof buf)); return; }
            if (!(key = parse_string(ps))) return;
            skip_ws(ps);
            if (*ps->p != ':') {
                free(key);
                fail(ps, "expected ':' after the key, found %s", seen(ps, buf, sizeof buf));
                return;
            }
            advance(ps);
            skip_ws(ps);
        }
        mx_json *slot = grow(ps, v, &cap);
        if (!slot) { free(key); return; }
        if (is_obj) v->keys[v->n - 1] = key;
        parse_value(ps, slot, depth + 1);
        if (ps->failed) return;
        skip_ws(ps);
        if (*ps->p == ',') { advance(ps); continue; }
        if (*ps->p == close) { advance(ps); return; }
        fail(ps, "expected ',' or '%c', found %s", close, seen(ps, buf, sizeof buf));
        return;
    }
}

static void parse_value(parser *ps, mx_json *v, int depth)
{
    char buf[32];
    v->line = ps->line;
    v->col = ps->col;
    if (depth > JSON_MAX_DEPTH) { fail(ps, "nested deeper than %d levels", JSON_MAX_DEPTH); return; }
    char c = *ps->p;
    if (c == '{' || c == '[') parse_container(ps, v, depth, c == '{');
    else if (c == '"') {
        v->type = MX_JSON_STRING;
        v->str = parse_string(ps);
    } else if (c == '-' || (c >= '0' && c <= '9')) parse_number(ps, v);
    else if (match_word(ps, "true")) { v->type = MX_JSON_BOOL; v->boolean = 1; }
    else if (match_word(ps, "false")) v->type = MX_JSON_BOOL;
    else if (match_word(ps, "null")) v->type = MX_JSON_NULL;
    else fail(ps, "expected a value, found %s", seen(ps, buf, sizeof buf));
}

mx_json *mx_json_parse(const char *text, char *err, size_t err_cap)
{
    parser ps = {text, 1, 1, err, err_cap, 0};
    if (err_cap) err[0] = '\0';
    mx_json *root = calloc(1, sizeof *root);
    if (!root) { snprintf(err, err_cap, "out of memory"); return NULL; }
    skip_ws(&ps);
    parse_value(&ps, root, 0);
    if (!ps.failed) {
        skip_ws(&ps);
        char buf[32];
        if (*ps.p) fail(&ps, "unexpected %s after the end of the document", seen(&ps, buf, sizeof buf));
    }
    if (ps.failed) {
        mx_json_free(root);
        return NULL;
    }
    return root;
}

const mx_json *mx_json_get(const mx_json *obj, const char *key)
{
    if (!obj || obj->type != MX_JSON_OBJECT) return NULL;
    for (int i = obj->n - 1; i >= 0; i--)
        if (!strcmp(obj->keys[i], key)) return &obj->items[i];
    return NULL;
}

const char *mx_json_type_name(mx_json_type t)
{
    switch (t) {
    case MX_JSON_NULL: return "null";
    case MX_JSON_BOOL: return "a boolean";
    case MX_JSON_NUMBER: return "a number";
    case MX_JSON_STRING: return "a string";
    case MX_JSON_ARRAY: return "an array";
    case MX_JSON_OBJECT: return "an object";
    }
    return "a value";
}
