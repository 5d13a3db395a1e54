/* test_util_arena: the arena's growth (doubling blocks up to huge-page
 * blocks) and its one-pass printf at a block's edge. */
#include "check.h"
#include "util/arena.h"

#include <stdint.h>
#include <string.h>

static int aligned16(const void *p)
{
    return ((uintptr_t)p & 15) == 0;
}

TEST(printf_at_block_edges)
{
    /* fill the head block to every possible remainder, then format text
     * longer and shorter than what is left */
    for (size_t fill = 64 * 1024 - 64; fill <= 64 * 1024; fill += 16) {
        arena a = ARENA_INIT;
        char *first = arena_alloc(&a, fill);
        memset(first, 'x', fill);
        char *s = arena_printf(&a, "%s-%d-%s", "abcdefghijklmnopqrstuvwxyz", 42,
                               "0123456789012345678901234567890123456789");
        CHECK_STR(s, "abcdefghijklmnopqrstuvwxyz-42-0123456789012345678901234567890123456789");
        char *t = arena_printf(&a, "%d", 7);
        CHECK_STR(t, "7");
        CHECK(aligned16(s) && aligned16(t));
        char *after = arena_alloc(&a, 32);
        CHECK(aligned16(after));
        memset(after, 0, 32);
        /* nothing handed out overlaps what came before */
        CHECK(strcmp(s, "abcdefghijklmnopqrstuvwxyz-42-0123456789012345678901234567890123456789") ==
              0);
        CHECK(first[fill - 1] == 'x');
        arena_free(&a);
    }
}

TEST(grows_to_big_blocks_and_frees)
{
    arena a = ARENA_INIT;
    /* 40 MB in small pieces crosses into 2 MB blocks */
    char *prev = NULL;
    for (int i = 0; i < 40 * 1024; i++) {
        char *p = arena_alloc(&a, 1024);
        CHECK(aligned16(p));
        memset(p, (char)i, 1024);
        if (prev && i % 4096 == 0)
            CHECK(prev[1023] == (char)(i - 1));
        prev = p;
    }
    CHECK(a.total == 40u * 1024 * 1024);
    /* a big request still gets a block of its own */
    char *big = arena_zalloc(&a, 5u * 1024 * 1024);
    CHECK(big[0] == 0 && big[5u * 1024 * 1024 - 1] == 0);
    arena_free(&a);
    CHECK(a.total == 0 && a.head == NULL);
    /* and the arena is usable again */
    CHECK_STR(arena_strdup(&a, "again"), "again");
    arena_free(&a);
}

int main(void)
{
    RUN(printf_at_block_edges);
    RUN(grows_to_big_blocks_and_frees);
    return CHECK_DONE();
}
