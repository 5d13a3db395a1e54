/* xalloc: allocation that never returns NULL.
 *
 * Mallard has no sensible way to continue without memory, so every heap
 * allocation goes through these and an exhausted heap ends the process with
 * a message instead of a NULL dereference somewhere far away. */
#ifndef MALLARD_UTIL_XALLOC_H
#define MALLARD_UTIL_XALLOC_H

#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
