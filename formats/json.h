/* json.h — private to the library: a small strict JSON reader (RFC 8259)
 * for symbol files. It builds a tree whose values remember the line and
 * column where they start, so format errors can point into the file. */
#ifndef MX_FORMATS_JSON_H
#define MX_FORMATS_JSON_H

#include <stddef.h>

typedef enum mx_json_type {
    MX_JSON_NULL,
    MX_JSON_BOOL,
    MX_JSON_NUMBER,
    MX_JSON_STRING,
    MX_JSON_ARRAY,
    MX_JSON_OBJECT
} mx_json_type;

typedef struct mx_json mx_json;

struct mx_json {
    mx_json_type type;
    int line, col;      /* 1-based position of the value's first character */
    int boolean;        /* MX_JSON_BOOL */
    double num;         /* MX_JSON_NUMBER */
    int is_int;         /* number written without fraction/exponent and fits long long */
    long long ival;     /* its value when is_int */
    char *str;          /* MX_JSON_STRING: decoded UTF-8, NUL-terminated (no NUL inside) */
    int n;              /* MX_JSON_ARRAY / MX_JSON_OBJECT: element count */
    mx_json *items;     /* the elements, or the object's values */
    char **keys;        /* MX_JSON_OBJECT: the keys, in file order */
};

/* Parses text (NUL-terminated). On failure returns NULL and writes
 * "line L, column C: what was expected" into err. */
mx_json *mx_json_parse(const char *text, char *err, size_t err_cap);

/* Frees a tree from mx_json_parse (NULL is fine). */
void mx_json_free(mx_json *v);

/* The value of key in an object (the last one if repeated), or NULL. */
const mx_json *mx_json_get(const mx_json *obj, const char *key);

/* "an object", "a string", ... for messages. */
const char *mx_json_type_name(mx_json_type t);

#endif
