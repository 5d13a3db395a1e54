/* pystr: Python's str semantics over UTF-8 bytes, for filters and methods.
 *
 * Python strings are sequences of code points; jv strings are UTF-8.  These
 * helpers count, slice, case-map, strip and split by code point as Python
 * does.  Bytes that are not valid UTF-8 travel through unchanged (decoded as
 * U+DC80..U+DCFF, as Python's surrogateescape does, and encoded back).
 * Case mapping covers Latin, Greek, Cyrillic, Armenian and full-width
 * letters, which is what templates meet in practice. */
#ifndef MALLARD_JINJA_PYSTR_H
#define MALLARD_JINJA_PYSTR_H

#include "jinja/value.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stddef.h>

/* Decodes the code point at *pos and advances *pos past it. */
long pystr_next(const char *s, size_t len, size_t *pos);
/* Appends the UTF-8 encoding of cp (U+DC80..U+DCFF become the raw byte). */
void pystr_put(strbuf *sb, long cp);

long pystr_lower_cp(long cp);
long pystr_upper_cp(long cp);
bool pystr_isspace_cp(long cp);
bool pystr_isalpha_cp(long cp);
bool pystr_isdigit_cp(long cp);
bool pystr_isalnum_cp(long cp);
/* A character with case (a letter that has another case). */
bool pystr_iscased_cp(long cp);

/* len(s): the number of code points. */
size_t pystr_len(const char *s, size_t n);
/* The byte offset of code point index i (clamped to n). */
size_t pystr_offset(const char *s, size_t n, size_t i);

void pystr_lower(const char *s, size_t n, strbuf *out);
void pystr_upper(const char *s, size_t n, strbuf *out);
void pystr_title(const char *s, size_t n, strbuf *out);      /* str.title() */
void pystr_capitalize(const char *s, size_t n, strbuf *out); /* str.capitalize() */
void pystr_swapcase(const char *s, size_t n, strbuf *out);
bool pystr_islower(const char *s, size_t n);
bool pystr_isupper(const char *s, size_t n);

enum {
    PYSTR_LEFT = 1,
    PYSTR_RIGHT = 2,
    PYSTR_BOTH = 3,
};
/* str.strip/lstrip/rstrip: chars NULL strips whitespace.  Sets the kept
 * byte range [*start, *end). */
void pystr_strip(const char *s, size_t n, const char *chars, size_t nchars, int sides,
                 size_t *start, size_t *end);

/* str.split / str.rsplit: sep NULL splits on runs of whitespace, as Python
 * does.  maxsplit < 0 means no limit.  Returns a new list of strings. */
jv pystr_split(arena *a, const char *s, size_t n, const char *sep, size_t nsep, long maxsplit);
jv pystr_rsplit(arena *a, const char *s, size_t n, const char *sep, size_t nsep, long maxsplit);
/* str.splitlines(keepends=False). */
jv pystr_splitlines(arena *a, const char *s, size_t n, bool keepends);
/* str.replace(old, new, count): count < 0 replaces all. */
void pystr_replace(const char *s, size_t n, const char *old, size_t nold, const char *new_,
                   size_t nnew, long count, strbuf *out);
/* str.find: the byte offset of needle in s at or after byte from, or -1. */
long pystr_find(const char *s, size_t n, const char *needle, size_t nneedle, size_t from);

#endif
