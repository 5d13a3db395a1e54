/* test_project_parse_pool: the loader's pool runs every item once on any
 * thread count and reports the lowest failing item's error. */
#include "check.h"
#include "project/parse_pool.h"

#include <stdlib.h>

/* items fail at 50 and at 900: the pool always reports 50 */
static bool fail_two(void *ctx, size_t i, arena *keep, mlerr *err)
{
    int *seen = ctx;
    __atomic_add_fetch(seen, 1, __ATOMIC_RELAXED);
    (void)arena_strdup(keep, "kept");
    if (i == 50 || i == 900) {
        mlerr_set(err, 2, "item %zu failed", i);
        return false;
    }
    return true;
}

static bool ok_all(void *ctx, size_t i, arena *keep, mlerr *err)
{
    (void)err;
    unsigned char *marks = ctx;
    marks[i]++;
    (void)arena_printf(keep, "%zu", i);
    return true;
}

TEST(pool_reports_the_earliest_failure)
{
    static const char *const counts[] = {"1", "2", "3", "8"};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        setenv("MALLARD_PARSE_THREADS", counts[c], 1);
        project p = {0};
        mlerr err = MLERR_INIT;
        mlerr_set(&err, 1, "an earlier error is replaced");
        int seen = 0;
        size_t at = 0;
        CHECK(!parse_pool_run(&p, &p.arena, 1000, 7, fail_two, &seen, &err, &at));
        CHECK(at == 50);
        CHECK_STR(mlerr_message(&err), "item 50 failed");
        CHECK(err.exit_code == 2);
        mlerr_clear(&err);

        unsigned char marks[3000] = {0};
        CHECK(parse_pool_run(&p, &p.arena, 3000, 16, ok_all, marks, &err, NULL));
        int once = 1;
        for (size_t i = 0; i < 3000; i++)
            once &= marks[i] == 1;
        CHECK(once);
        CHECK(!err.set);
        for (size_t i = 0; i < p.n_side_arenas; i++)
            arena_free(&p.side_arenas[i]);
        free(p.side_arenas);
        arena_free(&p.arena);
    }
    unsetenv("MALLARD_PARSE_THREADS");
}

int main(void)
{
    RUN(pool_reports_the_earliest_failure);
    return CHECK_DONE();
}
