/** @file
 * error.h — status codes and the thread-local last-error message.
 * Every fallible mxrt call returns an mx_status (or NULL) and leaves a
 * message here, the way SQLite's sqlite3_errmsg works. */
#ifndef MX_ERROR_H
#define MX_ERROR_H

/** What a call did: MX_OK, or the kind of failure (the details are in mx_last_error). */
typedef enum mx_status {
    MX_OK = 0,
    MX_EINVAL,   /**< bad argument, parameter or shape */
    MX_ENOMEM,   /**< arena exhausted or allocation failed */
    MX_EIO,      /**< file missing, unreadable or unwritable */
    MX_EFORMAT,  /**< file content corrupt or of the wrong kind */
    MX_ENOTSUP,  /**< not supported: valid for MXNet, but an op, a parameter value or a build
                      feature mxrt lacks (never reported as a corrupt file) */
    MX_EINTERNAL /**< broken invariant inside mxrt */
} mx_status;

/** Message of the last failed call on this thread ("" if none). */
const char *mx_last_error(void);

/** Status of the last error recorded on this thread (MX_OK if none): what
 * a call that returned NULL failed with, e.g. MX_ENOTSUP for a symbol file
 * using an op mxrt lacks. */
mx_status mx_last_status(void);

/** Records a printf-style message for mx_last_error and returns st. */
mx_status mx_set_error(mx_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Clears the last-error message and status of this thread. */
void mx_clear_error(void);

/** Short name of a status code ("MX_EINVAL"). */
const char *mx_status_name(mx_status st);

#endif
