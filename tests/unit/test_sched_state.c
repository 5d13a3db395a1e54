/* Unit tests for the state store (state.c), the instance lock, task log
 * paths and retry delays, including several processes writing at once. */
#include "check.h"

#include "sched/instance_lock.h"
#include "sched/retry.h"
#include "sched/state.h"
#include "sched/task_log.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char home[256];

static void make_home(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(home, sizeof home, "%s/mallard-state-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(home))
        abort();
}

static void remove_home(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", home);
}

static dag_run run_at(arena *a, const char *dag_id, run_type type, int64_t logical)
{
    dag_run r = {.dag_id = dag_id, .type = type, .state = DAGRUN_QUEUED};
    r.run_id = state_make_run_id(a, type, logical);
    r.logical_date = logical;
    r.interval.start = logical;
    r.interval.end = logical + 86400;
    r.queued_at = state_now();
    return r;
}

TEST(schema_is_created_and_migrated_once)
{
    mlerr err = MLERR_INIT;
    state_store *st = state_open(home, &err);
    CHECK(st != NULL);
    if (!st) {
        fprintf(stderr, "%s\n", mlerr_message(&err));
        return;
    }
    CHECK(state_schema_version(st) == STATE_SCHEMA_VERSION);
    state_close(st);
    st = state_open(home, &err);
    CHECK(st && state_schema_version(st) == STATE_SCHEMA_VERSION);
    state_close(st);

    /* A database from a newer mallard is refused, not scribbled on. */
    char path[300];
    snprintf(path, sizeof path, "%s/newer", home);
    char dbpath[320];
    snprintf(dbpath, sizeof dbpath, "%s/mallard.db", path);
    mkdir(path, 0777);
    sqlite3 *db;
    CHECK(sqlite3_open(dbpath, &db) == SQLITE_OK);
    sqlite3_exec(db,
                 "CREATE TABLE schema_version (version INTEGER); "
                 "INSERT INTO schema_version VALUES (99)",
                 NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK(state_open(path, &err) == NULL);
    CHECK_CONTAINS(mlerr_message(&err), "schema version 99, newer than this mallard knows");
    mlerr_clear(&err);
}

TEST(dags_and_pausing)
{
    mlerr err = MLERR_INIT;
    state_store *st = state_open(home, &err);
    if (!st)
        return;
    bool paused = false;
    CHECK(state_dag_seen(st, "d1", "dags/d1.yml", true, state_now(), &err));
    CHECK(state_dag_is_paused(st, "d1", &paused, &err) && paused);
    /* is_paused_upon_creation only matters the first time. */
    CHECK(state_dag_seen(st, "d1", "dags/d1.yml", false, state_now(), &err));
    CHECK(state_dag_is_paused(st, "d1", &paused, &err) && paused);
    CHECK(state_dag_set_paused(st, "d1", false, &err));
    CHECK(state_dag_is_paused(st, "d1", &paused, &err) && !paused);
    CHECK(!state_dag_set_paused(st, "nope", true, &err));
    CHECK_CONTAINS(mlerr_message(&err), "unknown dag_id 'nope'");
    mlerr_clear(&err);
    state_close(st);
}

TEST(one_run_per_interval)
{
    mlerr err = MLERR_INIT;
    arena a = ARENA_INIT;
    state_store *st = state_open(home, &err);
    if (!st)
        return;
    bool created;
    dag_run r = run_at(&a, "d1", RUN_TYPE_SCHEDULED, 1735689600); /* 2025-01-01 */
    CHECK_STR(r.run_id, "scheduled__2025-01-01T00:00:00+00:00");
    CHECK(state_run_create(st, &r, &created, &err) && created);
    CHECK(state_run_create(st, &r, &created, &err) && !created);
    dag_run other = run_at(&a, "d1", RUN_TYPE_BACKFILL, 1735689600);
    CHECK(state_run_create(st, &other, &created, &err) && !created); /* same interval */
    dag_run next = run_at(&a, "d1", RUN_TYPE_SCHEDULED, 1735689600 + 86400);
    CHECK(state_run_create(st, &next, &created, &err) && created);
    dag_run manual = run_at(&a, "d1", RUN_TYPE_MANUAL, 1735689600 + 5 * 86400);
    manual.conf = "{\"x\": 1}";
    CHECK(state_run_create(st, &manual, &created, &err) && created);

    data_interval last;
    bool found;
    CHECK(state_last_automated_interval(st, "d1", &last, &found, &err) && found);
    CHECK(last.start == 1735689600 + 86400); /* the manual run does not count */
    int active = -1;
    CHECK(state_active_run_count(st, "d1", &active, &err) && active == 3);
    CHECK(state_run_set_state(st, "d1", r.run_id, DAGRUN_RUNNING, 100.5, &err));
    CHECK(state_run_set_state(st, "d1", r.run_id, DAGRUN_SUCCESS, 110.25, &err));
    CHECK(state_active_run_count(st, "d1", &active, &err) && active == 2);
    dag_run got;
    CHECK(state_run_get(st, &a, "d1", r.run_id, &got, &found, &err) && found);
    CHECK(got.state == DAGRUN_SUCCESS && got.start_date == 100.5 && got.end_date == 110.25);
    CHECK(state_run_get(st, &a, "d1", "nope", &got, &found, &err) && !found);
    CHECK(!state_run_set_state(st, "d1", "nope", DAGRUN_FAILED, 1, &err));
    CHECK_CONTAINS(mlerr_message(&err), "unknown run_id 'nope'");
    mlerr_clear(&err);

    dag_run *runs;
    size_t n;
    CHECK(state_runs_list(st, &a, "d1", &runs, &n, &err) && n == 3);
    CHECK(n == 3 && runs[0].type == RUN_TYPE_MANUAL && strcmp(runs[0].conf, "{\"x\": 1}") == 0);
    state_close(st);
    arena_free(&a);
}

static task_instance *find_ti(task_instance *tis, size_t n, const char *task_id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tis[i].task_id, task_id) == 0)
            return &tis[i];
    return NULL;
}

/* A retry delay of 7 s per try number, to see which try it was asked for. */
static int64_t delay_by_try(void *ctx, const char *dag_id, const char *run_id, const char *task_id,
                            int try_number)
{
    (void)ctx;
    (void)run_id;
    CHECK_STR(dag_id, "d2");
    CHECK_STR(task_id, "model_c_run");
    return 7 * try_number;
}

TEST(tries_and_crash_recovery)
{
    mlerr err = MLERR_INIT;
    arena a = ARENA_INIT;
    state_store *st = state_open(home, &err);
    if (!st)
        return;
    bool created;
    dag_run r = run_at(&a, "d2", RUN_TYPE_SCHEDULED, 1735689600);
    CHECK(state_run_create(st, &r, &created, &err) && created);
    const char *tasks[] = {"seed_a_seed", "model_b_run", "model_c_run"};
    int max_tries[] = {0, 1, 2};
    CHECK(state_tis_create(st, "d2", r.run_id, tasks, max_tries, 3, &err));
    int try_number = 0;
    CHECK(state_ti_begin_try(st, "d2", r.run_id, "seed_a_seed", 10, &try_number, NULL, &err));
    CHECK(try_number == 1);
    CHECK(state_ti_end_try(st, "d2", r.run_id, "seed_a_seed", TI_SUCCESS, 12, 0, NULL, &err));
    CHECK(!state_ti_end_try(st, "d2", r.run_id, "seed_a_seed", TI_SUCCESS, 12, 0, NULL, &err));
    CHECK_CONTAINS(mlerr_message(&err), "is not running");
    mlerr_clear(&err);

    CHECK(state_ti_begin_try(st, "d2", r.run_id, "model_c_run", 20, &try_number, NULL, &err));
    CHECK(state_ti_end_try(st, "d2", r.run_id, "model_c_run", TI_UP_FOR_RETRY, 21, 81, NULL, &err));
    CHECK(state_ti_begin_try(st, "d2", r.run_id, "model_c_run", 90, &try_number, NULL, &err));
    CHECK(try_number == 2);

    /* The scheduler dies here with model_c_run (try 2 of 3) and model_b_run
     * (try 2 of 2) running. */
    CHECK(state_ti_begin_try(st, "d2", r.run_id, "model_b_run", 30, &try_number, NULL, &err));
    CHECK(state_ti_end_try(st, "d2", r.run_id, "model_b_run", TI_UP_FOR_RETRY, 31, 31, NULL, &err));
    CHECK(state_ti_begin_try(st, "d2", r.run_id, "model_b_run", 40, &try_number, NULL, &err));
    orphan_counts rec = {-1, -1, -1};
    CHECK(state_recover_orphans(st, 100, delay_by_try, NULL, &rec, &err));
    CHECK(rec.up_for_retry == 1 && rec.failed == 1 && rec.restarted == 0);

    task_instance *tis;
    size_t n;
    CHECK(state_tis_list(st, &a, "d2", r.run_id, &tis, &n, &err) && n == 3);
    task_instance *b = find_ti(tis, n, "model_b_run"), *c = find_ti(tis, n, "model_c_run");
    task_instance *s = find_ti(tis, n, "seed_a_seed");
    CHECK(s && s->state == TI_SUCCESS && s->try_number == 1 && s->duration == 2);
    CHECK(b && b->state == TI_FAILED && b->try_number == 2);
    CHECK(c && c->state == TI_UP_FOR_RETRY && c->try_number == 2 &&
          c->next_retry_at == 100 + 2 * 7);
    CHECK(c && c->pid == (int)getpid() && c->hostname && c->hostname[0]);

    task_try *tries;
    CHECK(state_tries_list(st, &a, "d2", r.run_id, &tries, &n, &err) && n == 5);
    for (size_t i = 0; i < n; i++)
        CHECK(tries[i].state == (strcmp(tries[i].task_id, "seed_a_seed") ? TI_FAILED : TI_SUCCESS));
    CHECK(state_recover_orphans(st, 200, NULL, NULL, &rec, &err));
    CHECK(rec.up_for_retry == 0 && rec.failed == 0 && rec.restarted == 0);

    /* Clearing renews the retries and requeues the run. */
    CHECK(state_run_set_state(st, "d2", r.run_id, DAGRUN_FAILED, 300, &err));
    const char *clear[] = {"model_b_run", "model_c_run"};
    int cleared = -1;
    CHECK(state_clear_tasks(st, "d2", r.run_id, clear, 2, 1, &cleared, &err) && cleared == 2);
    CHECK(state_tis_list(st, &a, "d2", r.run_id, &tis, &n, &err) && n == 3);
    b = find_ti(tis, n, "model_b_run");
    CHECK(b && b->state == TI_NONE && b->try_number == 2 && b->max_tries == 3);
    dag_run after;
    bool found;
    CHECK(state_run_get(st, &a, "d2", r.run_id, &after, &found, &err) && found);
    CHECK(after.state == DAGRUN_QUEUED && after.end_date == 0);
    const char *bogus[] = {"model_b_run", "nope"};
    CHECK(!state_clear_tasks(st, "d2", r.run_id, bogus, 2, 1, &cleared, &err));
    CHECK_CONTAINS(mlerr_message(&err), "unknown task 'nope'");
    mlerr_clear(&err);
    CHECK(state_ti_set_state(st, "d2", r.run_id, "model_b_run", TI_NONE, &err));
    CHECK(!state_ti_set_state(st, "d2", r.run_id, "nope", TI_NONE, &err));
    CHECK_CONTAINS(mlerr_message(&err), "unknown task 'nope'");
    mlerr_clear(&err);
    state_close(st);
    arena_free(&a);
}

/* Airflow's clear of a running task instance: restarting until its try
 * ends, then none with the retries renewed counting the killed try, which
 * is recorded as restarting; a restarting one left by a crash goes back to
 * none the same way. */
TEST(clear_while_running_restarts)
{
    mlerr err = MLERR_INIT;
    arena a = ARENA_INIT;
    state_store *st = state_open(home, &err);
    if (!st)
        return;
    bool created;
    dag_run r = run_at(&a, "d3", RUN_TYPE_MANUAL, 1735689600);
    CHECK(state_run_create(st, &r, &created, &err) && created);
    const char *tasks[] = {"a_run", "b_run", "c_run"};
    int max_tries[] = {0, 0, 0};
    CHECK(state_tis_create(st, "d3", r.run_id, tasks, max_tries, 3, &err));
    int try_number = 0, tries_allowed = -1;
    CHECK(state_ti_begin_try(st, "d3", r.run_id, "a_run", 10, &try_number, &tries_allowed, &err));
    CHECK(try_number == 1 && tries_allowed == 0);
    CHECK(state_ti_begin_try(st, "d3", r.run_id, "b_run", 10, &try_number, NULL, &err));
    ti_key *keys = NULL;
    size_t nkeys = 9;
    CHECK(state_restarting_list(st, &a, &keys, &nkeys, &err) && nkeys == 0);

    const char *clear[] = {"a_run", "b_run"};
    int cleared = -1;
    CHECK(state_clear_tasks(st, "d3", r.run_id, clear, 2, 0, &cleared, &err) && cleared == 2);
    task_instance *tis;
    size_t n;
    CHECK(state_tis_list(st, &a, "d3", r.run_id, &tis, &n, &err) && n == 3);
    const task_instance *ta = find_ti(tis, n, "a_run");
    CHECK(ta && ta->state == TI_RESTARTING && ta->try_number == 1 && ta->max_tries == 1);
    CHECK(state_restarting_list(st, &a, &keys, &nkeys, &err) && nkeys == 2);
    CHECK(nkeys == 2 && strcmp(keys[0].dag_id, "d3") == 0 && strcmp(keys[0].run_id, r.run_id) == 0);

    /* whatever the try's outcome, it ends in none: no retry consumed */
    ti_state recorded = TI_SUCCESS;
    CHECK(state_ti_end_try(st, "d3", r.run_id, "a_run", TI_FAILED, 12, 0, &recorded, &err));
    CHECK(recorded == TI_NONE);
    CHECK(state_tis_list(st, &a, "d3", r.run_id, &tis, &n, &err) && n == 3);
    ta = find_ti(tis, n, "a_run");
    CHECK(ta && ta->state == TI_NONE && ta->end_date == 12 && ta->next_retry_at == 0);
    CHECK(state_ti_begin_try(st, "d3", r.run_id, "a_run", 13, &try_number, &tries_allowed, &err));
    CHECK(try_number == 2 && tries_allowed == 1);
    CHECK(state_ti_end_try(st, "d3", r.run_id, "a_run", TI_SUCCESS, 14, 0, &recorded, &err));
    CHECK(recorded == TI_SUCCESS);

    /* b_run's scheduler dies before ending the try: recovery restarts it */
    orphan_counts rec = {-1, -1, -1};
    CHECK(state_recover_orphans(st, 20, NULL, NULL, &rec, &err));
    CHECK(rec.restarted == 1 && rec.up_for_retry == 0 && rec.failed == 0);
    CHECK(state_restarting_list(st, &a, &keys, &nkeys, &err) && nkeys == 0);
    CHECK(state_tis_list(st, &a, "d3", r.run_id, &tis, &n, &err) && n == 3);
    const task_instance *tb = find_ti(tis, n, "b_run");
    CHECK(tb && tb->state == TI_NONE && tb->try_number == 1 && tb->max_tries == 1);

    task_try *tries;
    CHECK(state_tries_list(st, &a, "d3", r.run_id, &tries, &n, &err) && n == 3);
    CHECK(n == 3 && strcmp(tries[0].task_id, "a_run") == 0 && tries[0].state == TI_RESTARTING);
    CHECK(n == 3 && tries[1].try_number == 2 && tries[1].state == TI_SUCCESS);
    CHECK(n == 3 && strcmp(tries[2].task_id, "b_run") == 0 && tries[2].state == TI_RESTARTING);
    state_close(st);
    arena_free(&a);
}

/* Several processes create runs for the same intervals and update task
 * instances at once: no lock errors, and exactly one run per interval. */
TEST(concurrent_writers)
{
    enum {
        WRITERS = 4,
        INTERVALS = 40
    };
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            mlerr err = MLERR_INIT;
            arena a = ARENA_INIT;
            state_store *st = state_open(home, &err);
            int failures = st ? 0 : 1;
            int created_count = 0;
            for (int i = 0; st && i < INTERVALS; i++) {
                bool created;
                dag_run r = run_at(&a, "race", RUN_TYPE_SCHEDULED, 1700000000 + 86400 * i);
                if (!state_run_create(st, &r, &created, &err))
                    failures++;
                created_count += created;
                const char *task = "t";
                if (!state_tis_create(st, "race", r.run_id, &task, NULL, 1, &err))
                    failures++;
                int active;
                if (!state_active_run_count(st, "race", &active, &err))
                    failures++;
            }
            if (failures)
                fprintf(stderr, "writer %d: %s\n", w, mlerr_message(&err));
            state_close(st);
            arena_free(&a);
            _exit(failures ? 100 : created_count);
        }
    }
    int total_created = 0, errors = 0;
    for (int w = 0; w < WRITERS; w++) {
        int status;
        waitpid(pids[w], &status, 0);
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 100;
        if (code == 100)
            errors++;
        else
            total_created += code;
    }
    CHECK(errors == 0);
    CHECK(total_created == INTERVALS);
    mlerr err = MLERR_INIT;
    arena a = ARENA_INIT;
    state_store *st = state_open(home, &err);
    dag_run *runs;
    size_t n = 0;
    CHECK(st && state_runs_list(st, &a, "race", &runs, &n, &err) && n == INTERVALS);
    state_close(st);
    arena_free(&a);
}

/* kill -9 in the middle of a stream of writes loses nothing committed and
 * leaves a database that passes SQLite's integrity check. */
TEST(kill_9_keeps_every_commit)
{
    int report[2];
    CHECK(pipe(report) == 0);
    pid_t child = fork();
    if (child == 0) {
        mlerr err = MLERR_INIT;
        arena a = ARENA_INIT;
        state_store *st = state_open(home, &err);
        if (!st)
            _exit(1);
        /* Writes until the parent kills it. */
        for (int i = 0;; i++) {
            bool created;
            dag_run r = run_at(&a, "crash", RUN_TYPE_SCHEDULED, 1600000000 + 60 * (int64_t)i);
            if (!state_run_create(st, &r, &created, &err))
                _exit(1);
            if (write(report[1], &i, sizeof i) != sizeof i)
                _exit(1);
        }
    }
    close(report[1]);
    int last = -1, i;
    while (last < 200 && read(report[0], &i, sizeof i) == sizeof i)
        last = i;
    kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);
    while (read(report[0], &i, sizeof i) == sizeof i) /* commits reported before the kill */
        last = i;
    close(report[0]);

    mlerr err = MLERR_INIT;
    arena a = ARENA_INIT;
    state_store *st = state_open(home, &err);
    dag_run *runs;
    size_t n = 0;
    CHECK(st && state_runs_list(st, &a, "crash", &runs, &n, &err));
    CHECK(last >= 200 && n >= (size_t)last + 1);
    state_close(st);
    arena_free(&a);
    char path[320];
    snprintf(path, sizeof path, "%s/mallard.db", home);
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    sqlite3_stmt *stmt;
    CHECK(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(stmt) == SQLITE_ROW &&
          strcmp((const char *)sqlite3_column_text(stmt, 0), "ok") == 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

TEST(one_scheduler_per_home)
{
    mlerr err = MLERR_INIT;
    instance_lock lock;
    CHECK(instance_lock_acquire(home, &lock, &err));
    CHECK(instance_lock_holder(home) == getpid());
    pid_t child = fork();
    if (child == 0) {
        mlerr cerr = MLERR_INIT;
        instance_lock second;
        bool got = instance_lock_acquire(home, &second, &cerr);
        char want[64];
        snprintf(want, sizeof want, "(pid %ld)", (long)getppid());
        _exit(!got && strstr(mlerr_message(&cerr), want) &&
                      strstr(mlerr_message(&cerr), "another scheduler is already running")
                  ? 0
                  : 1);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    instance_lock_release(&lock);
    CHECK(instance_lock_holder(home) == 0);

    /* A scheduler killed with -9 leaves its pid file; the next one starts. */
    int ready[2];
    CHECK(pipe(ready) == 0);
    child = fork();
    if (child == 0) {
        mlerr cerr = MLERR_INIT;
        instance_lock held;
        if (!instance_lock_acquire(home, &held, &cerr))
            _exit(1);
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1);
    CHECK(instance_lock_holder(home) == child);
    CHECK(!instance_lock_acquire(home, &lock, &err));
    mlerr_clear(&err);
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    CHECK(instance_lock_acquire(home, &lock, &err));
    instance_lock_release(&lock);
    close(ready[0]);
    close(ready[1]);
}

TEST(log_paths_and_retry_delays)
{
    arena a = ARENA_INIT;
    CHECK_STR(
        task_log_path(&a, "/h", "my_dag", "manual__2025-01-01T00:00:00+00:00", "stg_orders_run", 2),
        "/h/logs/dag_id=my_dag/run_id=manual__2025-01-01T00:00:00+00:00/"
        "task_id=stg_orders_run/attempt=2.log");
    CHECK_STR(task_log_path(&a, "/h", "d", "a/b%c", "t", 1),
              "/h/logs/dag_id=d/run_id=a%2Fb%25c/task_id=t/attempt=1.log");
    arena_free(&a);

    retry_policy p = {.retries = 3, .retry_delay = 300};
    CHECK(retry_delay_seconds(&p, "d", "t", "r", 1) == 300);
    p.retry_delay = 10;
    p.exponential_backoff = true;
    int64_t d1 = retry_delay_seconds(&p, "d", "t", "r", 1);
    int64_t d3 = retry_delay_seconds(&p, "d", "t", "r", 3);
    CHECK(d1 >= 10 && d1 < 20);
    CHECK(d3 >= 40 && d3 < 80);
    CHECK(retry_delay_seconds(&p, "d", "t", "r", 3) == d3); /* stable */
    p.max_retry_delay = 30;
    CHECK(retry_delay_seconds(&p, "d", "t", "r", 3) == 30);
    CHECK(retry_delay_seconds(&p, "d", "t", "r", 200) == 30);

    /* retries: 2 means three tries in all. */
    retry_policy two = {.retries = 2, .retry_delay = 60};
    double next;
    CHECK(retry_after_failure(&two, "d", "t", "r", 1, 2, 1000, &next) == TI_UP_FOR_RETRY);
    CHECK(next == 1060);
    CHECK(retry_after_failure(&two, "d", "t", "r", 2, 2, 1000, &next) == TI_UP_FOR_RETRY);
    CHECK(retry_after_failure(&two, "d", "t", "r", 3, 2, 1000, &next) == TI_FAILED);
    CHECK(next == 0);
}

int main(void)
{
    make_home();
    RUN(schema_is_created_and_migrated_once);
    RUN(dags_and_pausing);
    RUN(one_run_per_interval);
    RUN(tries_and_crash_recovery);
    RUN(clear_while_running_restarts);
    RUN(concurrent_writers);
    RUN(kill_9_keeps_every_commit);
    RUN(one_scheduler_per_home);
    RUN(log_paths_and_retry_delays);
    int rc = CHECK_DONE();
    if (rc == 0)
        remove_home();
    else
        fprintf(stderr, "state kept in %s\n", home);
    return rc;
}
