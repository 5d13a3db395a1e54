/* Unit tests for dagrun_plan.c (readiness, propagation, limits, final
 * state) and run_macros.c (Airflow's ds/ts values). */
#include "check.h"

#include "sched/dagrun_plan.h"
#include "sched/run_macros.h"

/* seed -> a -> b -> tests;  seed -> c */
enum {
    SEED,
    A,
    B,
    TESTS,
    C,
    NTASKS
};
static const size_t up_a[] = {SEED}, up_b[] = {A}, up_tests[] = {B}, up_c[] = {SEED};

static void graph(plan_task *t)
{
    memset(t, 0, sizeof(plan_task) * NTASKS);
    t[A] = (plan_task){up_a, 1, TI_NONE, 0};
    t[B] = (plan_task){up_b, 1, TI_NONE, 0};
    t[TESTS] = (plan_task){up_tests, 1, TI_NONE, 0};
    t[C] = (plan_task){up_c, 1, TI_NONE, 0};
}

TEST(ready_tasks_start_by_priority_within_limits)
{
    arena a = ARENA_INIT;
    plan_task t[NTASKS];
    dagrun_plan p;
    graph(t);
    dagrun_plan_make(&a, t, NTASKS, 16, 100, 0, &p);
    CHECK(p.nstart == 1 && p.to_start[0] == SEED && !p.finished);
    t[SEED].state = TI_SUCCESS;
    dagrun_plan_make(&a, t, NTASKS, 16, 100, 0, &p);
    CHECK(p.nstart == 2 && p.to_start[0] == A && p.to_start[1] == C); /* A has 3 downstream */
    dagrun_plan_make(&a, t, NTASKS, 1, 100, 0, &p);
    CHECK(p.nstart == 1 && p.to_start[0] == A);
    dagrun_plan_make(&a, t, NTASKS, 16, 0, 0, &p); /* no global slot free */
    CHECK(p.nstart == 0 && !p.finished);
    t[A].state = TI_RUNNING;
    dagrun_plan_make(&a, t, NTASKS, 1, 100, 0, &p); /* A holds the only slot */
    CHECK(p.nstart == 0 && !p.finished && !p.deadlocked);
    arena_free(&a);
}

TEST(failure_propagates_and_fails_the_run)
{
    arena a = ARENA_INIT;
    plan_task t[NTASKS];
    dagrun_plan p;
    graph(t);
    t[SEED].state = TI_SUCCESS;
    t[A].state = TI_FAILED;
    dagrun_plan_make(&a, t, NTASKS, 16, 100, 0, &p);
    CHECK(p.nupstream_failed == 2 && p.to_upstream_failed[0] == B &&
          p.to_upstream_failed[1] == TESTS);
    CHECK(p.nstart == 1 && p.to_start[0] == C && !p.finished);
    t[B].state = t[TESTS].state = TI_UPSTREAM_FAILED;
    t[C].state = TI_SUCCESS;
    dagrun_plan_make(&a, t, NTASKS, 16, 100, 0, &p);
    CHECK(p.finished && p.failed && !p.deadlocked);
    t[A].state = t[B].state = t[TESTS].state = TI_SUCCESS;
    dagrun_plan_make(&a, t, NTASKS, 16, 100, 0, &p);
    CHECK(p.finished && !p.failed);
    arena_free(&a);
}

TEST(retries_wait_for_their_time)
{
    arena a = ARENA_INIT;
    plan_task t[NTASKS];
    dagrun_plan p;
    graph(t);
    t[SEED].state = TI_UP_FOR_RETRY;
    t[SEED].next_retry_at = 50;
    dagrun_plan_make(&a, t, NTASKS, 16, 100, 10, &p);
    CHECK(p.nstart == 0 && !p.finished && p.next_wake_at == 50);
    dagrun_plan_make(&a, t, NTASKS, 16, 100, 50, &p);
    CHECK(p.nstart == 1 && p.to_start[0] == SEED);
    arena_free(&a);
}

TEST(skips_and_deadlocks)
{
    arena a = ARENA_INIT;
    plan_task t[NTASKS];
    dagrun_plan p;
    graph(t);
    t[SEED].state = TI_SUCCESS;
    t[A].state = TI_SKIPPED;
    dagrun_plan_make(&a, t, NTASKS, 16, 100, 0, &p);
    CHECK(p.nskip == 2 && p.to_skip[0] == B);
    /* A cycle can never start. */
    static const size_t up0[] = {1}, up1[] = {0};
    plan_task cyc[2] = {{up0, 1, TI_NONE, 0}, {up1, 1, TI_NONE, 0}};
    dagrun_plan_make(&a, cyc, 2, 16, 100, 0, &p);
    CHECK(p.finished && p.deadlocked && p.failed && p.nstart == 0);
    /* An empty run (nothing selected) succeeds at once. */
    dagrun_plan_make(&a, NULL, 0, 16, 100, 0, &p);
    CHECK(p.finished && !p.failed);
    arena_free(&a);
}

TEST(airflow_macros)
{
    dag_run r = {.run_id = "scheduled__2025-01-01T00:00:00+00:00",
                 .logical_date = 1735689600,
                 .interval = {1735689600, 1735689600 + 86400}};
    run_macros m;
    run_macros_fill(&r, &m);
    CHECK_STR(m.ds, "2025-01-01");
    CHECK_STR(m.ds_nodash, "20250101");
    CHECK_STR(m.ts, "2025-01-01T00:00:00+00:00");
    CHECK_STR(m.ts_nodash, "20250101T000000");
    CHECK_STR(m.ts_nodash_with_tz, "20250101T000000+0000");
    CHECK_STR(m.logical_date, "2025-01-01T00:00:00+00:00");
    CHECK_STR(m.data_interval_end, "2025-01-02T00:00:00+00:00");
    CHECK_STR(m.run_id, "scheduled__2025-01-01T00:00:00+00:00");
    CHECK_STR(m.conf_json, "{}");
}

int main(void)
{
    RUN(ready_tasks_start_by_priority_within_limits);
    RUN(failure_propagates_and_fails_the_run);
    RUN(retries_wait_for_their_time);
    RUN(skips_and_deadlocks);
    RUN(airflow_macros);
    return CHECK_DONE();
}
