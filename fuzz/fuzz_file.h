/* fuzz_file.h — private to fuzz/: hands a fuzz input to loaders that read
 * a path. One memfd per process (no disk I/O, nothing left behind),
 * rewritten for each input and opened by name through /proc/self/fd;
 * a per-pid file under $TMPDIR where memfd is missing. */
#ifndef MX_FUZZ_FILE_H
#define MX_FUZZ_FILE_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static char fuzz_tmp_path[256];

static void fuzz_file_remove(void) { unlink(fuzz_tmp_path); }

/* Replaces the file's content with data[0..size) and returns its path
 * (static storage), or NULL when even that fails. The includer defines
 * _GNU_SOURCE first (memfd_create). */
static const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[256];
    if (fd < 0) {
        fd = memfd_create("mxrt-fuzz", 0);
        if (fd >= 0) {
            snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        } else {
            const char *dir = getenv("TMPDIR");
            snprintf(fuzz_tmp_path, sizeof fuzz_tmp_path, "%s/mxrt-fuzz-%ld", dir && *dir ? dir : "/tmp",
                     (long)getpid());
            fd = open(fuzz_tmp_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
            if (fd < 0) return NULL;
            atexit(fuzz_file_remove);
            snprintf(path, sizeof path, "%s", fuzz_tmp_path);
        }
    }
    if (ftruncate(fd, 0) != 0) return NULL;
    for (size_t done = 0; done < size;) {
        ssize_t k = pwrite(fd, data + done, size - done, (off_t)done);
        if (k <= 0) return NULL;
        done += (size_t)k;
    }
    return path;
}

#endif
