/* test_wrap.h — how the test binary replaces C library calls (malloc and
 * friends in test_hotpath.c, fread and read in test_faults.c). The dynamic
 * native binary defines the functions themselves and reaches glibc's
 * through __libc_malloc / dlsym(RTLD_NEXT); a static binary cannot (libc.a
 * would define malloc twice), so the cross builds link with
 * -Wl,--wrap=malloc,… and MX_TEST_WRAP: every reference to f, from any
 * object or archive, goes to __wrap_f, and __real_f is the library's. */
#ifndef MX_TEST_WRAP_H
#define MX_TEST_WRAP_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef MX_TEST_WRAP
#define MX_HOOK(f) __wrap_##f
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__real_memalign(size_t align, size_t n);
size_t __real_fread(void *p, size_t size, size_t n, FILE *f);
ssize_t __real_read(int fd, void *buf, size_t n);
/* The wrappers the test files define (prototypes: no header declares
 * these names). */
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_aligned_alloc(size_t align, size_t n);
void *__wrap_memalign(size_t align, size_t n);
int __wrap_posix_memalign(void **out, size_t align, size_t n);
size_t __wrap_fread(void *p, size_t size, size_t n, FILE *f);
ssize_t __wrap_read(int fd, void *buf, size_t n);
#else
#define MX_HOOK(f) f
#endif

#endif
