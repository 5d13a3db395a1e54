/* arena: bump allocation in chained blocks; large requests get their own. */
#include "util/arena.h"

#include "util/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct arena_block {
    arena_block *next;
    size_t used;
    size_t size;
    _Alignas(16) unsigned char data[];
};

enum {
    ARENA_DEFAULT_BLOCK = 64 * 1024,
    ARENA_ALIGN = 16
};

void *arena_alloc(arena *a, size_t n)
{
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (n == 0)
        n = ARENA_ALIGN;
    arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = a->block_size ? a->block_size : ARENA_DEFAULT_BLOCK;
        if (n > size / 4) {
            /* A big request gets a block of its own behind the head, so the
             * head's free space is not thrown away. */
            arena_block *big = xmalloc(sizeof(*big) + n);
            big->size = n;
            big->used = n;
            if (b) {
                big->next = b->next;
                b->next = big;
            } else {
                big->next = NULL;
                a->head = big;
            }
            a->total += n;
            return big->data;
        }
        b = xmalloc(sizeof(*b) + size);
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->total += n;
    return p;
}

void *arena_zalloc(arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(arena *a, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void arena_free(arena *a)
{
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}
