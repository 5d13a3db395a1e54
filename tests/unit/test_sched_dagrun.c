/* Unit tests for run creation (dagrun_create.c): catchup, max_active_runs,
 * pausing, manual triggers, and no interval ever run twice. */
#include "check.h"

#include "sched/civil.h"
#include "sched/dagrun_create.h"
#include "sched/tz.h"

#include <stdlib.h>
#include <unistd.h>

static char home[256];

static int64_t at(const char *iso)
{
    civil_time ct;
    bool has_offset;
    int offset;
    if (!civil_parse_iso(iso, &ct, &has_offset, &offset))
        abort();
    return civil_to_seconds(&ct) - offset;
}

static const char *iso(int64_t t)
{
    static char buf[4][CIVIL_ISO_MAX];
    static int next;
    char *b = buf[next++ % 4];
    civil_format_iso(t, 0, b);
    return b;
}

static dag_def daily(const char *dag_id, bool catchup, int max_active_runs)
{
    dag_def d;
    memset(&d, 0, sizeof d);
    mlerr err = MLERR_INIT;
    d.dag_id = dag_id;
    d.file = "dags/test.yml";
    d.schedule = "@daily";
    if (!timetable_parse("@daily", tz_get("UTC", &err), &d.timetable, &err))
        abort();
    d.has_start_date = true;
    d.start_date = at("2025-01-01T00:00:00Z");
    d.catchup = catchup;
    d.max_active_runs = max_active_runs;
    d.max_active_tasks = 16;
    return d;
}

static size_t run_count(state_store *st, const char *dag_id)
{
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    dag_run *runs;
    size_t n = 0;
    if (!state_runs_list(st, &a, dag_id, &runs, &n, &err))
        n = (size_t)-1;
    arena_free(&a);
    return n;
}

TEST(catchup_creates_each_due_interval_once)
{
    mlerr err = MLERR_INIT;
    state_store *st = state_open(home, &err);
    if (!st)
        return;
    dag_def d = daily("catchup", true, 16);
    int created = -1;
    CHECK(dagrun_create_due(st, &d, at("2025-01-04T00:00:00Z"), &created, &err));
    CHECK(created == 3);
    CHECK(dagrun_create_due(st, &d, at("2025-01-04T00:00:00Z"), &created, &err));
    CHECK(created == 0);
    arena a = ARENA_INIT;
    dag_run *runs;
    size_t n;
    CHECK(state_runs_list(st, &a, "catchup", &runs, &n, &err) && n == 3);
    if (n == 3) {
        CHECK_STR(runs[2].run_id, "scheduled__2025-01-01T00:00:00+00:00");
        CHECK_STR(iso(runs[2].interval.end), "2025-01-02T00:00:00+00:00");
        CHECK_STR(iso(runs[0].interval.start), "2025-01-03T00:00:00+00:00");
        CHECK(runs[0].state == DAGRUN_QUEUED && runs[0].type == RUN_TYPE_SCHEDULED);
    }
    arena_free(&a);
    state_close(st);
}

TEST(max_active_runs_holds_back_creation)
{
    mlerr err = MLERR_INIT;
    state_store *st = state_open(home, &err);
    if (!st)
        return;
    dag_def d = daily("one_at_a_time", true, 1);
    int created = -1;
    int64_t now = at("2025-01-04T00:00:00Z");
    CHECK(dagrun_create_due(st, &d, now, &created, &err) && created == 1);
    CHECK(dagrun_create_due(st, &d, now, &created, &err) && created == 0);
    CHECK(state_run_set_state(st, "one_at_a_time", "scheduled__2025-01-01T00:00:00+00:00",
                              DAGRUN_SUCCESS, 1, &err));
    CHECK(dagrun_create_due(st, &d, now, &created, &err) && created == 1);
    CHECK(run_count(st, "one_at_a_time") == 2);
    state_close(st);
}

TEST(no_catchup_and_paused)
{
    mlerr err = MLERR_INIT;
    state_store *st = state_open(home, &err);
    if (!st)
        return;
    dag_def d = daily("latest_only", false, 16);
    int created = -1;
    CHECK(dagrun_create_due(st, &d, at("2025-01-10T05:00:00Z"), &created, &err) && created == 1);
    arena a = ARENA_INIT;
    dag_run *runs;
    size_t n;
    CHECK(state_runs_list(st, &a, "latest_only", &runs, &n, &err) && n == 1);
    CHECK(n == 1 && runs[0].logical_date == at("2025-01-09T00:00:00Z"));
    arena_free(&a);

    dag_def p = daily("paused", true, 16);
    p.is_paused_upon_creation = true;
    CHECK(dagrun_create_due(st, &p, at("2025-01-10T05:00:00Z"), &created, &err) && created == 0);
    CHECK(state_dag_set_paused(st, "paused", false, &err));
    CHECK(dagrun_create_due(st, &p, at("2025-01-03T05:00:00Z"), &created, &err) && created == 2);
    state_close(st);
}

TEST(manual_triggers)
{
    mlerr err = MLERR_INIT;
    state_store *st = state_open(home, &err);
    if (!st)
        return;
    arena a = ARENA_INIT;
    dag_def d = daily("manual", true, 16);
    const char *run_id = NULL;
    int64_t now = at("2025-01-02T10:30:00Z");
    CHECK(dagrun_trigger(st, &a, &d, 0, "{\"k\": \"v\"}", now, &run_id, &err));
    CHECK_STR(run_id, "manual__2025-01-02T10:30:00+00:00");
    dag_run r;
    bool found;
    CHECK(state_run_get(st, &a, "manual", run_id, &r, &found, &err) && found);
    CHECK_STR(iso(r.interval.start), "2025-01-01T00:00:00+00:00"); /* last complete day */
    CHECK_STR(iso(r.interval.end), "2025-01-02T00:00:00+00:00");
    CHECK_STR(r.conf, "{\"k\": \"v\"}");
    CHECK(!dagrun_trigger(st, &a, &d, 0, NULL, now, &run_id, &err));
    CHECK_CONTAINS(mlerr_message(&err), "already has a run with logical date 2025-01-02T10:30");
    mlerr_clear(&err);

    /* A manual run on a scheduled logical date stands for that interval:
     * scheduling skips it instead of failing or running it twice. */
    CHECK(dagrun_trigger(st, &a, &d, at("2025-01-02T00:00:00Z"), NULL, now, &run_id, &err));
    int created = -1;
    CHECK(dagrun_create_due(st, &d, at("2025-01-04T00:00:00Z"), &created, &err));
    CHECK(created == 2); /* 01-01 and 01-03; 01-02 is the manual run's */
    CHECK(run_count(st, "manual") == 4);
    arena_free(&a);
    state_close(st);
}

TEST(backfills)
{
    mlerr err = MLERR_INIT;
    state_store *st = state_open(home, &err);
    if (!st)
        return;
    arena a = ARENA_INIT;
    dag_def d = daily("bf", false, 1);
    d.default_args.retries = 2;
    /* 01-03 already ran, and failed. */
    dag_run old = {.dag_id = "bf",
                   .run_id = "scheduled__2025-01-03T00:00:00+00:00",
                   .type = RUN_TYPE_SCHEDULED,
                   .state = DAGRUN_FAILED,
                   .logical_date = at("2025-01-03T00:00:00Z"),
                   .interval = {at("2025-01-03T00:00:00Z"), at("2025-01-04T00:00:00Z")}};
    bool made;
    CHECK(state_run_create(st, &old, &made, &err) && made);
    const char *tasks[] = {"a_run", "b_run"};
    CHECK(state_tis_create(st, "bf", old.run_id, tasks, NULL, 2, &err));
    int tn;
    CHECK(state_ti_begin_try(st, "bf", old.run_id, "a_run", 1, &tn, NULL, &err));
    CHECK(state_ti_end_try(st, "bf", old.run_id, "a_run", TI_SUCCESS, 2, 0, NULL, &err));
    CHECK(state_ti_begin_try(st, "bf", old.run_id, "b_run", 3, &tn, NULL, &err));
    CHECK(state_ti_end_try(st, "bf", old.run_id, "b_run", TI_FAILED, 4, 0, NULL, &err));

    backfill_result r;
    CHECK(dagrun_backfill(st, &d, at("2025-01-01T00:00:00Z"), at("2025-01-05T00:00:00Z"),
                          REPROCESS_NONE, &r, &err));
    CHECK(r.created == 4 && r.skipped == 1 && r.requeued == 0);
    dag_run got;
    bool found;
    CHECK(state_run_get(st, &a, "bf", "backfill__2025-01-05T00:00:00+00:00", &got, &found, &err));
    CHECK(found && got.type == RUN_TYPE_BACKFILL && got.state == DAGRUN_QUEUED);

    CHECK(dagrun_backfill(st, &d, at("2025-01-01T00:00:00Z"), at("2025-01-05T00:00:00Z"),
                          REPROCESS_FAILED, &r, &err));
    CHECK(r.created == 0 && r.requeued == 1 && r.skipped == 4);
    task_instance *tis;
    size_t n;
    CHECK(state_tis_list(st, &a, "bf", old.run_id, &tis, &n, &err) && n == 2);
    CHECK(n == 2 && tis[0].state == TI_SUCCESS); /* a_run kept */
    CHECK(n == 2 && tis[1].state == TI_NONE && tis[1].max_tries == 3);
    CHECK(state_run_get(st, &a, "bf", old.run_id, &got, &found, &err) && found);
    CHECK(got.state == DAGRUN_QUEUED);

    CHECK(dagrun_backfill(st, &d, at("2025-01-01T00:00:00Z"), at("2025-01-05T00:00:00Z"),
                          REPROCESS_ALL, &r, &err));
    CHECK(r.requeued == 5 && r.created == 0);
    CHECK(state_tis_list(st, &a, "bf", old.run_id, &tis, &n, &err) && n == 2);
    CHECK(n == 2 && tis[0].state == TI_NONE);

    /* Unaligned bounds snap to the schedule; reversed bounds are an error. */
    dag_def e = daily("bf2", false, 1);
    CHECK(dagrun_backfill(st, &e, at("2025-01-01T06:00:00Z"), at("2025-01-03T06:00:00Z"),
                          REPROCESS_NONE, &r, &err));
    CHECK(r.created == 2); /* 01-02 and 01-03 */
    CHECK(!dagrun_backfill(st, &e, at("2025-01-03T00:00:00Z"), at("2025-01-01T00:00:00Z"),
                           REPROCESS_NONE, &r, &err));
    CHECK_CONTAINS(mlerr_message(&err), "start date is after its end date");
    mlerr_clear(&err);
    arena_free(&a);
    state_close(st);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(home, sizeof home, "%s/mallard-dagrun-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(home))
        abort();
    RUN(catchup_creates_each_due_interval_once);
    RUN(max_active_runs_holds_back_creation);
    RUN(no_catchup_and_paused);
    RUN(manual_triggers);
    RUN(backfills);
    int rc = CHECK_DONE();
    tz_cache_clear();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    if (rc == 0 && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", home);
    return rc;
}
