/* arena: bump allocation in chained blocks; large requests get their own.
 *
 * Blocks double from 64 KB as an arena grows, up to 2 MB blocks mapped on
 * 2 MB boundaries with MADV_HUGEPAGE: a project load touches hundreds of
 * megabytes once, and on virtual machines a page fault per 4 KB page costs
 * more than the work done in it.  A small arena (one render's scratch)
 * never leaves its first 64 KB block. */
#include "util/arena.h"

#include "util/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

struct arena_block {
    arena_block *next;
    size_t used;
    size_t size;
    size_t mapped; /* bytes mapped with mmap, 0 when malloc'd */
    _Alignas(16) unsigned char data[];
};

enum {
    ARENA_DEFAULT_BLOCK = 64 * 1024,
    ARENA_HUGE_BLOCK = 2 * 1024 * 1024,
    ARENA_ALIGN = 16
};

/* Sanitizers see into malloc'd memory only: LeakSanitizer would not scan a
 * mapped block for the heap pointers stored in it. */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_MAP_HUGE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_MAP_HUGE 0
#endif
#endif
#ifndef ARENA_MAP_HUGE
#define ARENA_MAP_HUGE 1
#endif

/* A 2 MB block on a 2 MB boundary (so the kernel can back it with one huge
 * page), or NULL to fall back to malloc. */
static arena_block *map_huge_block(void)
{
#if ARENA_MAP_HUGE && defined(MADV_HUGEPAGE)
    size_t len = ARENA_HUGE_BLOCK;
    unsigned char *p =
        mmap(NULL, 2 * len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uintptr_t start = ((uintptr_t)p + len - 1) & ~(uintptr_t)(len - 1);
    size_t head = start - (uintptr_t)p;
    if (head)
        munmap(p, head);
    munmap((unsigned char *)start + len, len - head);
    madvise((void *)start, len, MADV_HUGEPAGE);
    arena_block *b = (arena_block *)start;
    b->size = len - sizeof(*b);
    b->mapped = len;
    return b;
#else
    return NULL;
#endif
}

/* The next block's data size: double the head block's, up to a huge page. */
static size_t next_block_size(const arena *a)
{
    if (a->block_size)
        return a->block_size;
    if (!a->head)
        return ARENA_DEFAULT_BLOCK;
    size_t huge = ARENA_HUGE_BLOCK - sizeof(arena_block), next = 2 * a->head->size;
    return next < ARENA_DEFAULT_BLOCK ? ARENA_DEFAULT_BLOCK : next < huge ? next : huge;
}

static arena_block *new_block(const arena *a, size_t size)
{
    if (!a->block_size && size == ARENA_HUGE_BLOCK - sizeof(arena_block)) {
        arena_block *b = map_huge_block();
        if (b)
            return b;
    }
    arena_block *b = xmalloc(sizeof(*b) + size);
    b->size = size;
    b->mapped = 0;
    return b;
}

void *arena_alloc(arena *a, size_t n)
{
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (n == 0)
        n = ARENA_ALIGN;
    arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = next_block_size(a);
        if (n > size / 4) {
            /* A big request gets a block of its own behind the head, so the
             * head's free space is not thrown away. */
            arena_block *big = xmalloc(sizeof(*big) + n);
            big->size = n;
            big->used = n;
            big->mapped = 0;
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
        b = new_block(a, size);
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
    /* Usually the text fits in the head block's free space: format it there
     * in one pass and keep it (formatting is the cost, not the copy). */
    arena_block *b = a->head;
    if (b && b->size > b->used) {
        size_t room = b->size - b->used;
        char *dst = (char *)b->data + b->used;
        va_list first;
        va_copy(first, ap);
        int n = vsnprintf(dst, room, fmt, first);
        va_end(first);
        if (n >= 0 && (size_t)n < room) {
            size_t take = ((size_t)n + 1 + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
            if (take > room)
                take = room;
            b->used += take;
            a->total += take;
            return dst;
        }
    }
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
        if (b->mapped)
            munmap(b, b->mapped);
        else
            free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}
