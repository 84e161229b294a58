/* csv.c — the numeric CSV reader behind CSVIter. The file is read whole
 * (mx_text_read) and parsed in one pass: each field is a strtof number
 * that must use the whole field and be finite; every line must have the
 * same number of fields. Sizes are checked before they are multiplied,
 * and the matrix grows by doubling, so a damaged or hostile file costs at
 * most what it holds. */
#include "mx/csv.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mx/vocab.h" /* mx_text_read */

void mx_csv_free(mx_csv *c)
{
    if (!c) return;
    free(c->data);
    memset(c, 0, sizeof *c);
}

/* One field [p, end) as a finite float; 0 on failure. */
static int parse_field(const char *p, const char *end, float *v)
{
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    if (p == end || end - p > 64) return 0;
    char buf[72];
    memcpy(buf, p, (size_t)(end - p));
    buf[end - p] = '\0';
    char *stop;
    errno = 0;
    float f = strtof(buf, &stop);
    if (*stop || !isfinite(f)) return 0;
    *v = f;
    return 1;
}

mx_status mx_csv_load(const char *path, size_t cols, mx_csv *out)
{
    memset(out, 0, sizeof *out);
    char *text;
    size_t len;
    mx_status st = mx_text_read(path, &text, &len);
    if (st != MX_OK) return st;
    size_t cap = 0, used = 0, line = 0;
    float *data = NULL;
    const char *p = text, *end = text + len;
    while (p < end && st == MX_OK) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        const char *stop = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
        line++;
        const char *q = p;
        while (q < stop && (*q == ' ' || *q == '\t')) q++;
        if (q == stop) { /* blank line */
            p = eol + 1;
            continue;
        }
        size_t fields = 0;
        for (const char *f = p; st == MX_OK;) {
            const char *comma = memchr(f, ',', (size_t)(stop - f));
            const char *fe = comma ? comma : stop;
            float v;
            if (!parse_field(f, fe, &v)) {
                int n = (int)(fe - f > 24 ? 24 : fe - f);
                st = mx_set_error(MX_EFORMAT, "%s: line %zu, field %zu: '%.*s%s' is not a finite number", path, line,
                                  fields + 1, n, f, fe - f > 24 ? "..." : "");
                break;
            }
            if (used == cap) {
                size_t want = cap ? cap * 2 : 1024;
                float *grown = want < SIZE_MAX / sizeof *grown ? realloc(data, want * sizeof *grown) : NULL;
                if (!grown) {
                    st = mx_set_error(MX_ENOMEM, "%s: out of memory at line %zu", path, line);
                    break;
                }
                data = grown;
                cap = want;
            }
            data[used++] = v;
            fields++;
            if (!comma) break;
            f = comma + 1;
        }
        if (st != MX_OK) break;
        if (!cols) cols = fields;
        if (fields != cols)
            st = mx_set_error(MX_EFORMAT, "%s: line %zu has %zu fields, expected %zu", path, line, fields, cols);
        out->rows++;
        p = eol + 1;
    }
    free(text);
    if (st == MX_OK && out->rows == 0) st = mx_set_error(MX_EFORMAT, "%s: no rows", path);
    if (st != MX_OK) {
        free(data);
        memset(out, 0, sizeof *out);
        return st;
    }
    out->cols = cols;
    out->data = data;
    return MX_OK;
}
