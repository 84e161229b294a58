/* atomic_file.c — temp file + fsync + rename + directory fsync. */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

mx_status mx_atomic_open(mx_atomic_file *af, const char *path)
{
    af->f = NULL;
    if (!path || !*path) return mx_set_error(MX_EINVAL, "cannot write: empty file name");
    if (strlen(path) + 16 > sizeof af->path)
        return mx_set_error(MX_EINVAL, "%s: file name too long", path);
    snprintf(af->path, sizeof af->path, "%s", path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(af->tmp);
    if (fd < 0) return mx_set_error(MX_EIO, "%s: cannot create a temporary file: %s", path, strerror(errno));
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        int e = errno;
        close(fd);
        unlink(af->tmp);
        return mx_set_error(MX_EIO, "%s: %s", path, strerror(e));
    }
    return MX_OK;
}

void mx_atomic_abort(mx_atomic_file *af)
{
    if (!af->f) return;
    fclose(af->f);
    af->f = NULL;
    unlink(af->tmp);
}

/* Makes the rename durable: fsync the directory holding the target. */
static void sync_dir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) dir[1] = '\0';
    else if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

mx_status mx_atomic_commit(mx_atomic_file *af)
{
    if (!af->f) return mx_set_error(MX_EINVAL, "%s: file was not open", af->path);
    int failed = ferror(af->f) != 0;
    int e = failed ? EIO : 0;
    if (!failed && fflush(af->f) != 0) { failed = 1; e = errno; }
    if (!failed && fsync(fileno(af->f)) != 0) { failed = 1; e = errno; }
    if (fclose(af->f) != 0 && !failed) { failed = 1; e = errno; }
    af->f = NULL;
    if (!failed && rename(af->tmp, af->path) != 0) { failed = 1; e = errno; }
    if (failed) {
        unlink(af->tmp);
        return mx_set_error(MX_EIO, "%s: write failed: %s (the previous file, if any, is unchanged)",
                            af->path, strerror(e ? e : EIO));
    }
    sync_dir(af->path);
    return MX_OK;
}

mx_status mx_atomic_rename(const char *from, const char *to)
{
    if (rename(from, to) != 0)
        return mx_set_error(MX_EIO, "%s: cannot rename %s over it: %s", to, from, strerror(errno));
    sync_dir(to);
    return MX_OK;
}
