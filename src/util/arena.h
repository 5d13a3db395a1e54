/* arena: region allocation for data that dies together.
 *
 * Per-compile and per-render data (parsed YAML, template ASTs, rendered SQL)
 * is allocated from an arena and freed in one call, like PostgreSQL's memory
 * contexts: no per-object free, no leaks by construction.  An arena is not
 * thread-safe; each thread allocates from its own. */
#ifndef MALLARD_UTIL_ARENA_H
#define MALLARD_UTIL_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena_block arena_block;

typedef struct arena {
    arena_block *head;
    size_t block_size; /* 0 picks the default */
    size_t total;      /* bytes handed out, for benchmarks and limits */
} arena;

#define ARENA_INIT                                                                                 \
    {                                                                                              \
        0                                                                                          \
    }

void *arena_alloc(arena *a, size_t n);  /* 16-byte aligned, uninitialised */
void *arena_zalloc(arena *a, size_t n); /* zeroed */
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(arena *a, const char *fmt, va_list ap);
/* Frees every block; the arena can be used again afterwards. */
void arena_free(arena *a);

#define ARENA_NEW(a, type)          ((type *)arena_zalloc((a), sizeof(type)))
#define ARENA_NEW_ARRAY(a, type, n) ((type *)arena_zalloc((a), sizeof(type) * (n)))

#endif
