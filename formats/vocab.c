/* vocab.c — the char-LSTM vocabulary: building from a text, the vocab
 * file (write atomically, read strictly), lookups; and reading a text. */
#include "mx/vocab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"

struct mx_vocab {
    int n;                    /* known characters; the unknown entry is n */
    unsigned char chars[256]; /* entry → byte */
    int index[256];           /* byte → entry, n when absent */
};

static mx_vocab *vocab_new(void)
{
    mx_vocab *v = calloc(1, sizeof *v);
    if (!v) mx_set_error(MX_ENOMEM, "vocab: out of memory");
    return v;
}

/* Fills index from chars[0..n). */
static void vocab_index(mx_vocab *v)
{
    for (int c = 0; c < 256; c++) v->index[c] = v->n;
    for (int i = 0; i < v->n; i++) v->index[v->chars[i]] = i;
}

typedef struct char_count {
    size_t count;
    int byte;
} char_count;

static int by_frequency(const void *a, const void *b)
{
    const char_count *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->byte - y->byte;
}

mx_vocab *mx_vocab_build(const char *text, size_t len, int max_chars)
{
    if (!text && len) { mx_set_error(MX_EINVAL, "vocab: text is NULL"); return NULL; }
    if (max_chars < 0) { mx_set_error(MX_EINVAL, "vocab: max_chars must be >= 0 (got %d)", max_chars); return NULL; }
    char_count counts[256];
    for (int c = 0; c < 256; c++) counts[c] = (char_count){0, c};
    const unsigned char *t = (const unsigned char *)text;
    for (size_t i = 0; i < len; i++) counts[t[i]].count++;
    qsort(counts, 256, sizeof counts[0], by_frequency);
    mx_vocab *v = vocab_new();
    if (!v) return NULL;
    while (v->n < 256 && counts[v->n].count > 0 && (max_chars == 0 || v->n < max_chars)) {
        v->chars[v->n] = (unsigned char)counts[v->n].byte;
        v->n++;
    }
    vocab_index(v);
    return v;
}

mx_vocab *mx_vocab_build_file(const char *path, int max_chars)
{
    char *text;
    size_t len;
    if (mx_text_read(path, &text, &len) != MX_OK) return NULL;
    mx_vocab *v = mx_vocab_build(text, len, max_chars);
    free(text);
    return v;
}

/* "0x41 'A'" or "0x0a" for a byte in messages. */
static const char *byte_str(unsigned char c, char *buf, size_t cap)
{
    if (c >= 0x20 && c < 0x7f && c != '\'') snprintf(buf, cap, "0x%02x '%c'", c, c);
    else snprintf(buf, cap, "0x%02x", c);
    return buf;
}

static const char vocab_magic[] = "mxrt-vocab ";

/* Reads a non-negative decimal of at most 9 digits at *p; -1 if none. */
static long read_number(const char **p, const char *end)
{
    long long x = 0; /* a tenth digit must not overflow a 32-bit long */
    int digits = 0;
    while (*p < end && **p >= '0' && **p <= '9' && digits < 10) {
        x = x * 10 + (**p - '0');
        (*p)++;
        digits++;
    }
    return digits == 0 || digits > 9 ? -1 : (long)x;
}

mx_vocab *mx_vocab_load(const char *path)
{
    char *buf;
    size_t len;
    if (mx_text_read(path, &buf, &len) != MX_OK) return NULL;
    const char *p = buf, *end = buf + len;
    size_t magic = sizeof vocab_magic - 1;
    mx_vocab *v = NULL;
    if (len < magic || memcmp(buf, vocab_magic, magic) != 0) {
        mx_set_error(MX_EFORMAT, "%s: not a vocab file (it does not start with \"mxrt-vocab \")", path);
        goto done;
    }
    p += magic;
    long version = read_number(&p, end);
    if (version != 1) {
        if (version < 0) mx_set_error(MX_EFORMAT, "%s: corrupt vocab header (no version number)", path);
        else mx_set_error(MX_EFORMAT, "%s: vocab file version %ld (this build reads version 1)", path, version);
        goto done;
    }
    long n = p < end && *p == ' ' ? (p++, read_number(&p, end)) : -1;
    if (n < 0 || p >= end || *p != '\n') {
        mx_set_error(MX_EFORMAT, "%s: corrupt vocab header (want \"mxrt-vocab 1 <count>\\n\")", path);
        goto done;
    }
    p++;
    if (n > 256) {
        mx_set_error(MX_EFORMAT, "%s: vocab header lists %ld characters; a byte vocabulary has at most 256", path, n);
        goto done;
    }
    size_t have = (size_t)(end - p);
    if (have < (size_t)n) {
        mx_set_error(MX_EFORMAT, "%s: truncated vocab file: the header lists %ld characters, %zu follow", path, n,
                     have);
        goto done;
    }
    if (have > (size_t)n) {
        mx_set_error(MX_EFORMAT, "%s: corrupt vocab file: %zu bytes after the %ld characters the header lists", path,
                     have - (size_t)n, n);
        goto done;
    }
    int seen[256];
    for (int c = 0; c < 256; c++) seen[c] = -1;
    for (long i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (seen[c] >= 0) {
            char s[16];
            mx_set_error(MX_EFORMAT, "%s: corrupt vocab file: character %s is listed twice (entries %d and %ld)",
                         path, byte_str(c, s, sizeof s), seen[c], i);
            goto done;
        }
        seen[c] = (int)i;
    }
    if (!(v = vocab_new())) goto done;
    v->n = (int)n;
    memcpy(v->chars, p, (size_t)n);
    vocab_index(v);
done:
    free(buf);
    return v;
}

mx_status mx_vocab_save(const mx_vocab *v, const char *path)
{
    if (!v || !path) return mx_set_error(MX_EINVAL, "vocab save: vocabulary and path are required");
    mx_atomic_file af;
    mx_status st = mx_atomic_open(&af, path);
    if (st != MX_OK) return st;
    if (fprintf(af.f, "mxrt-vocab 1 %d\n", v->n) < 0 || fwrite(v->chars, 1, (size_t)v->n, af.f) != (size_t)v->n) {
        int e = errno;
        mx_atomic_abort(&af);
        return mx_set_error(MX_EIO, "%s: write error: %s", path, strerror(e ? e : EIO));
    }
    return mx_atomic_commit(&af);
}

int mx_vocab_size(const mx_vocab *v) { return v->n + 1; }

int mx_vocab_unknown(const mx_vocab *v) { return v->n; }

int mx_vocab_index(const mx_vocab *v, unsigned char c) { return v->index[c]; }

int mx_vocab_char(const mx_vocab *v, int index) { return index >= 0 && index < v->n ? v->chars[index] : -1; }

void mx_vocab_free(mx_vocab *v) { free(v); }

mx_status mx_text_read(const char *path, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    if (!path) return mx_set_error(MX_EINVAL, "read: path is NULL");
    FILE *f = fopen(path, "rb");
    if (!f) return mx_set_error(MX_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n < cap - 1) break; /* end of file or an error: told apart below */
        char *more = realloc(buf, cap * 2);
        if (!more) { free(buf); buf = NULL; break; }
        buf = more;
        cap *= 2;
    }
    int bad = ferror(f), e = errno;
    fclose(f);
    if (!buf) return mx_set_error(MX_ENOMEM, "%s: out of memory reading the file", path);
    if (bad) {
        free(buf);
        return mx_set_error(MX_EIO, "%s: read error: %s", path, strerror(e ? e : EIO));
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return MX_OK;
}
