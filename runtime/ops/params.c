/* params.c — operator parameters as MXNet writes them: key=value text,
 * parsed into each op's struct through its table of specs, with MXNet's
 * defaults and errors that name the op, the key and the value. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "op.h"
#include "shape_param.h"

static void *field(void *param, const mx_param_spec *s) { return (char *)param + s->offset; }

static const mx_param_spec *find_spec(const mx_op_def *op, const char *key)
{
    for (const mx_param_spec *s = op->params; s && s->name; s++)
        if (!strcmp(s->name, key)) return s;
    return NULL;
}

int mx_param_known(const mx_op_def *op, const char *key) { return find_spec(op, key) != NULL; }

static void list_known(const mx_op_def *op, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const mx_param_spec *s = op->params; s && s->name && len < cap; s++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", s->name);
    if (!len) snprintf(buf, cap, "none");
}

static mx_status bad_value(const mx_op_def *op, const mx_param_spec *s, const char *value,
                           const char *expected)
{
    return mx_set_error(MX_EINVAL, "%s: parameter '%s': bad value '%s' (expected %s)", op->name,
                        s->name, value, expected);
}

/* "()" or "[]": MXNet's empty tuple, the "not given" of optional shapes. */
static int empty_tuple(const char *v)
{
    while (isspace((unsigned char)*v)) v++;
    char close = *v == '(' ? ')' : *v == '[' ? ']' : 0;
    if (!close) return 0;
    v++;
    while (isspace((unsigned char)*v)) v++;
    if (*v++ != close) return 0;
    while (isspace((unsigned char)*v)) v++;
    return !*v;
}

/* One of MXNet's values mxrt does not run: not a bad file. A boolean's
 * list holds "true" or "false". */
static int is_unsupported(const mx_param_spec *s, const char *v)
{
    for (int i = 0; s->unsupported && s->unsupported[i]; i++)
        if (!strcmp(v, s->unsupported[i])) return 1;
    return 0;
}

/* Parses v as s's type into dst (an int, float or mx_shape). */
static mx_status parse_value(const mx_op_def *op, const mx_param_spec *s, void *dst, const char *v)
{
    char *end;
    switch (s->type) {
    case MX_P_INT: {
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (*end == 'L') end++; /* old MXNet JSON writes longs as "3L" */
        if (end == v || *end || errno) return bad_value(op, s, v, "an integer");
        /* long long is wider than the int field (long is not, on 32-bit
         * targets): a bigger value would wrap */
        if (x > INT_MAX) {
            char want[64];
            snprintf(want, sizeof want, "an integer <= %d", INT_MAX);
            return bad_value(op, s, v, want);
        }
        if (x < s->min || x < INT_MIN) {
            char want[64];
            snprintf(want, sizeof want, "an integer >= %ld", s->min);
            return bad_value(op, s, v, want);
        }
        *(int *)dst = (int)x;
        return MX_OK;
    }
    case MX_P_FLOAT: {
        errno = 0;
        double x = strtod(v, &end);
        if (end == v || *end || errno || !isfinite(x)) return bad_value(op, s, v, "a finite number");
        *(float *)dst = (float)x;
        return MX_OK;
    }
    case MX_P_BOOL:
        /* dmlc's rule: true/false in any case, or 1/0 */
        if (!strcasecmp(v, "true") || !strcmp(v, "1")) *(int *)dst = 1;
        else if (!strcasecmp(v, "false") || !strcmp(v, "0")) *(int *)dst = 0;
        else return bad_value(op, s, v, "true or false");
        if (is_unsupported(s, *(int *)dst ? "true" : "false"))
            return mx_set_error(MX_ENOTSUP, "%s: parameter '%s': value '%s' is not supported by mxrt", op->name,
                                s->name, v);
        return MX_OK;
    case MX_P_ENUM: {
        char want[256];
        size_t len = 0;
        for (int i = 0; s->choices[i]; i++) {
            if (!strcmp(v, s->choices[i])) {
                *(int *)dst = i;
                return MX_OK;
            }
            len += (size_t)snprintf(want + len, sizeof want - len, "%s%s", i ? ", " : "one of ",
                                    s->choices[i]);
            if (len >= sizeof want) len = sizeof want - 1;
        }
        if (is_unsupported(s, v))
            return mx_set_error(MX_ENOTSUP, "%s: parameter '%s': value '%s' is not supported by mxrt (it runs %s)",
                                op->name, s->name, v, want + 7);
        for (int i = 0; s->unsupported && s->unsupported[i]; i++) {
            len += (size_t)snprintf(want + len, sizeof want - len, ", %s", s->unsupported[i]);
            if (len >= sizeof want) len = sizeof want - 1;
        }
        return bad_value(op, s, v, want);
    }
    case MX_P_TEXT:
        return MX_OK;
    case MX_P_TUPLE: {
        /* "(1, None, -2)", "[0,None]", "()": MXNet's Tuple<optional<int>> */
        mx_shape sh = {0, {0}};
        const char *q = v;
        while (isspace((unsigned char)*q)) q++;
        char close = *q == '(' ? ')' : *q == '[' ? ']' : 0;
        if (!close) return bad_value(op, s, v, "a tuple like (0, None, 2)");
        q++;
        for (;;) {
            while (isspace((unsigned char)*q)) q++;
            if (*q == close) { q++; break; }
            if (sh.ndim == MX_MAX_NDIM) return bad_value(op, s, v, "a tuple of at most 8 entries");
            if (!strncmp(q, "None", 4)) {
                sh.dims[sh.ndim++] = MX_TUPLE_NONE;
                q += 4;
            } else {
                errno = 0;
                long long x = strtoll(q, &end, 10);
                if (end == q || errno) return bad_value(op, s, v, "a tuple like (0, None, 2)");
                sh.dims[sh.ndim++] = x;
                q = *end == 'L' ? end + 1 : end;
            }
            while (isspace((unsigned char)*q)) q++;
            if (*q == ',') { q++; continue; }
            if (*q != close) return bad_value(op, s, v, "a tuple like (0, None, 2)");
        }
        while (isspace((unsigned char)*q)) q++;
        if (*q) return bad_value(op, s, v, "a tuple like (0, None, 2)");
        *(mx_shape *)dst = sh;
        return MX_OK;
    }
    case MX_P_SHAPE: {
        mx_shape sh;
        if (s->def && !strcmp(s->def, MX_UNSET_SHAPE_TEXT) && empty_tuple(v)) v = MX_UNSET_SHAPE_TEXT;
        if (mx_shape_parse(v, &sh) != 0) return bad_value(op, s, v, "a shape like (5,5)");
        *(mx_shape *)dst = sh;
        return MX_OK;
    }
    }
    return mx_set_error(MX_EINTERNAL, "%s: parameter '%s' has no type", op->name, s->name);
}

static mx_status set_value(const mx_op_def *op, const mx_param_spec *s, void *param, const char *v)
{
    /* "None" for an optional parameter is MXNet's "not given". */
    if ((s->flags & MX_PF_OPTIONAL) && !strcmp(v, "None")) {
        if (!s->def) return (s->flags & MX_PF_IGNORED) ? MX_OK : bad_value(op, s, v, "a value");
        v = s->def;
    }
    union {
        int i;
        float f;
        mx_shape sh;
    } scratch;
    return parse_value(op, s, (s->flags & MX_PF_IGNORED) ? (void *)&scratch : field(param, s), v);
}

mx_status mx_param_set(const mx_op_def *op, void *param, const char *key, const char *value)
{
    const mx_param_spec *s = find_spec(op, key);
    if (!s) {
        char known[512];
        list_known(op, known, sizeof known);
        return mx_set_error(MX_EINVAL, "%s: unknown parameter '%s' (known: %s)", op->name, key, known);
    }
    return set_value(op, s, param, value);
}

mx_status mx_params_defaults(const mx_op_def *op, void *param)
{
    memset(param, 0, op->param_size);
    for (const mx_param_spec *s = op->params; s && s->name; s++)
        if (s->def && set_value(op, s, param, s->def) != MX_OK)
            return mx_set_error(MX_EINTERNAL, "%s: default of '%s' does not parse", op->name, s->name);
    return MX_OK;
}

/* Splits at whitespace or commas outside parentheses: "kernel=(5, 5) a=1". */
static const char *next_token(const char *p, const char **start, size_t *len)
{
    while (*p && (isspace((unsigned char)*p) || *p == ',')) p++;
    *start = p;
    int depth = 0;
    while (*p && (depth > 0 || !(isspace((unsigned char)*p) || *p == ','))) {
        if (*p == '(' || *p == '[') depth++;
        if ((*p == ')' || *p == ']') && depth > 0) depth--;
        p++;
    }
    *len = (size_t)(p - *start);
    return p;
}

static void free_attrs(char **keys, char **vals, int n)
{
    for (int i = 0; i < n; i++) { free(keys[i]); free(vals[i]); }
    free(keys);
    free(vals);
}

mx_status mx_params_parse(const mx_op_def *op, const char *text, void *param, char *name_out,
                          size_t name_cap, char ***keys_out, char ***vals_out, int *n_out)
{
    mx_status st = mx_params_defaults(op, param);
    if (st != MX_OK) return st;
    if (name_out && name_cap) name_out[0] = '\0';
    size_t nspecs = 0;
    for (const mx_param_spec *s = op->params; s && s->name; s++) nspecs++;
    int given[64] = {0};
    char **keys = NULL, **vals = NULL;
    int n = 0;
    const char *p = text ? text : "";
    for (;;) {
        const char *tok;
        size_t len;
        p = next_token(p, &tok, &len);
        if (!len) break;
        const char *eq = memchr(tok, '=', len);
        if (!eq || eq == tok) {
            st = mx_set_error(MX_EINVAL, "%s: expected key=value, got '%.*s'", op->name, (int)len, tok);
            goto fail;
        }
        char key[64], value[256];
        size_t klen = (size_t)(eq - tok), vlen = len - klen - 1;
        if (klen >= sizeof key || vlen >= sizeof value) {
            st = mx_set_error(MX_EINVAL, "%s: parameter '%.*s' too long", op->name, (int)len, tok);
            goto fail;
        }
        memcpy(key, tok, klen);
        key[klen] = '\0';
        memcpy(value, eq + 1, vlen);
        value[vlen] = '\0';
        if (!strcmp(key, "name")) {
            if (!vlen || vlen >= name_cap) {
                st = mx_set_error(MX_EINVAL, "%s: bad node name '%s'", op->name, value);
                goto fail;
            }
            if (name_out) memcpy(name_out, value, vlen + 1);
            continue;
        }
        st = mx_param_set(op, param, key, value);
        if (st != MX_OK) goto fail;
        const mx_param_spec *s = find_spec(op, key);
        given[s - op->params] = 1;
        char **nk = realloc(keys, (size_t)(n + 1) * sizeof *keys);
        if (nk) keys = nk;
        char **nv = realloc(vals, (size_t)(n + 1) * sizeof *vals);
        if (nv) vals = nv;
        if (!nk || !nv || !(keys[n] = strdup(key)) || !(vals[n] = strdup(value))) {
            st = mx_set_error(MX_ENOMEM, "%s: out of memory", op->name);
            goto fail;
        }
        n++;
    }
    for (size_t i = 0; i < nspecs && i < 64; i++) {
        if (!op->params[i].def && !given[i] && !(op->params[i].flags & MX_PF_OPTIONAL)) {
            /* (mx_op_args names the node after the message) */
            st = mx_set_error(MX_EINVAL, "%s: required parameter '%s' missing", op->name, op->params[i].name);
            goto fail;
        }
    }
    if (keys_out) { *keys_out = keys; *vals_out = vals; *n_out = n; }
    else free_attrs(keys, vals, n);
    return MX_OK;
fail:
    free_attrs(keys, vals, n);
    return st;
}

mx_status mx_shape_assign(mx_shape *slot, const mx_shape *want, const char *what)
{
    if (want->ndim == 0) return MX_OK;
    if (slot->ndim == 0) { *slot = *want; return MX_OK; }
    if (mx_shape_equal(slot, want)) return MX_OK;
    char a[128], b[128];
    return mx_set_error(MX_EINVAL, "%s has shape %s but %s is expected", what,
                        mx_shape_str(slot, a, sizeof a), mx_shape_str(want, b, sizeof b));
}
