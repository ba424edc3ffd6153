/* Allocation that dies cleanly (exit 125) instead of returning NULL. */
#ifndef CBEXEC_XMALLOC_H
#define CBEXEC_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
/* Growth of an array: n elements of size bytes, overflow checked (reallocarray). */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
