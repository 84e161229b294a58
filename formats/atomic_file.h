/* atomic_file.h — private to the library: files that appear complete or
 * not at all. Writes go to a temporary file beside the target (same file
 * system), which is flushed, fsync'ed and renamed over the target; the
 * directory is fsync'ed too, so a crash or kill at any point leaves either
 * the old file or the new one, never a torn one. */
#ifndef MX_FORMATS_ATOMIC_FILE_H
#define MX_FORMATS_ATOMIC_FILE_H

#include <stdio.h>
#include "mx/error.h"

typedef struct mx_atomic_file {
    FILE *f;          /* write here */
    char tmp[4096];   /* the temporary file */
    char path[4096];  /* the target */
} mx_atomic_file;

/* Opens a temporary file next to path for writing; errors name path. */
mx_status mx_atomic_open(mx_atomic_file *af, const char *path);

/* Flushes, fsyncs and renames the temporary over the target; on any
 * failure removes the temporary, leaves the target as it was, and returns
 * an error naming the target and the cause. */
mx_status mx_atomic_commit(mx_atomic_file *af);

/* Abandons the write: closes and removes the temporary file. */
void mx_atomic_abort(mx_atomic_file *af);

/* Renames a complete file over to and fsyncs the directory (the second
 * half of a commit, for files published in a chosen order). */
mx_status mx_atomic_rename(const char *from, const char *to);

#endif
