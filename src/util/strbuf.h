/* strbuf: a growable, always NUL-terminated byte string (after git's strbuf).
 *
 * A zeroed strbuf is valid and empty, so STRBUF_INIT or {0} both work.  The
 * buffer is owned by the strbuf until strbuf_detach() hands it to the caller.
 * Allocation failure aborts: Mallard treats out-of-memory as fatal. */
#ifndef MALLARD_UTIL_STRBUF_H
#define MALLARD_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf {
    char *buf; /* never NULL after the first write; "" via strbuf_str() before */
    size_t len;
    size_t cap;
} strbuf;

#define STRBUF_INIT                                                                                \
    {                                                                                              \
        0                                                                                          \
    }

void strbuf_grow(strbuf *sb, size_t extra);
void strbuf_add(strbuf *sb, const void *data, size_t len);
void strbuf_adds(strbuf *sb, const char *s);
void strbuf_addc(strbuf *sb, char c);
void strbuf_addf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(strbuf *sb, const char *fmt, va_list ap);
void strbuf_reset(strbuf *sb);
void strbuf_release(strbuf *sb);
/* Hands the heap buffer to the caller (never NULL) and leaves sb empty. */
char *strbuf_detach(strbuf *sb);
/* The contents as a C string, "" for a never-written strbuf. */
const char *strbuf_str(const strbuf *sb);

#endif
