/* error.c — the thread-local last-error buffer behind mx_last_error. */
#include "mx/error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];
static _Thread_local mx_status last_status;

const char *mx_last_error(void) { return last_error; }

mx_status mx_last_status(void) { return last_status; }

mx_status mx_set_error(mx_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    last_status = st;
    return st;
}

void mx_clear_error(void)
{
    last_error[0] = '\0';
    last_status = MX_OK;
}

const char *mx_status_name(mx_status st)
{
    switch (st) {
    case MX_OK: return "MX_OK";
    case MX_EINVAL: return "MX_EINVAL";
    case MX_ENOMEM: return "MX_ENOMEM";
    case MX_EIO: return "MX_EIO";
    case MX_EFORMAT: return "MX_EFORMAT";
    case MX_ENOTSUP: return "MX_ENOTSUP";
    case MX_EINTERNAL: return "MX_EINTERNAL";
    }
    return "MX_UNKNOWN";
}
