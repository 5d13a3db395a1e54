/* state: the scheduler's state store, an SQLite database in MALLARD_HOME.
 *
 * One row per DAG, DAG run, task instance and task try, with Airflow's state
 * names (states.h).  The database runs in WAL mode with a busy timeout, and
 * every write is one BEGIN IMMEDIATE transaction retried while the database
 * is busy, so a scheduler and any number of CLI processes read and write at
 * once without "database is locked" errors.  A run's logical date is unique
 * per DAG (UNIQUE(dag_id, logical_date)), so no interval can get two runs,
 * whoever races to create it.
 *
 * Times: logical dates and data intervals are int64 UTC seconds (they come
 * from timetable.h); wall-clock stamps (queued/start/end, retry times) are
 * double UTC seconds, because task latencies are measured in milliseconds.
 * 0 means "not set".
 *
 * A state_store may be shared by threads: st->lock (a mutex) serialises its
 * use of the one SQLite connection.  Strings in returned rows live in the
 * arena the caller passes. */
#ifndef MALLARD_SCHED_STATE_H
#define MALLARD_SCHED_STATE_H

#include "sched/states.h"
#include "sched/timetable.h"
#include "util/arena.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct state_store state_store;

/* The schema version this build writes; older databases are migrated. */
#define STATE_SCHEMA_VERSION 2

/* Opens home/mallard.db, creating home and the database as needed, and
 * migrates it to STATE_SCHEMA_VERSION.  A database from a newer Mallard is
 * refused. */
state_store *state_open(const char *home, mlerr *err);
void state_close(state_store *st);
const char *state_home(const state_store *st);
int state_schema_version(state_store *st);

/* --- DAGs ----------------------------------------------------------------- */

/* Records that dag_id was parsed from fileloc at now.  A DAG seen for the
 * first time starts paused if paused_upon_creation. */
bool state_dag_seen(state_store *st, const char *dag_id, const char *fileloc,
                    bool paused_upon_creation, double now, mlerr *err);
/* Errors (exit 2) naming the DAG when it is unknown. */
bool state_dag_set_paused(state_store *st, const char *dag_id, bool paused, mlerr *err);
bool state_dag_is_paused(state_store *st, const char *dag_id, bool *paused, mlerr *err);

/* --- DAG runs ------------------------------------------------------------- */

typedef struct dag_run {
    const char *dag_id, *run_id;
    run_type type;
    dagrun_state state;
    int64_t logical_date;
    data_interval interval;
    const char *conf; /* JSON object text, "{}" when none */
    double queued_at, start_date, end_date;
} dag_run;

/* Airflow's run id: "<type>__<logical date isoformat>", e.g.
 * "scheduled__2025-01-01T00:00:00+00:00".  Arena-allocated. */
char *state_make_run_id(arena *a, run_type type, int64_t logical_date);

/* Inserts the run unless the DAG already has one with that run id or
 * logical date: then *created is false and nothing changes. */
bool state_run_create(state_store *st, const dag_run *run, bool *created, mlerr *err);
/* *found is false for an unknown run (no error). */
bool state_run_get(state_store *st, arena *a, const char *dag_id, const char *run_id, dag_run *out,
                   bool *found, mlerr *err);
/* Every run of the DAG, newest logical date first. */
bool state_runs_list(state_store *st, arena *a, const char *dag_id, dag_run **out, size_t *n,
                     mlerr *err);
/* Sets the state; running stamps start_date (once), success/failed end_date. */
bool state_run_set_state(state_store *st, const char *dag_id, const char *run_id,
                         dagrun_state state, double now, mlerr *err);
/* The data interval of the latest scheduled or backfill run (Airflow's
 * last_automated_dagrun), for timetable_next_dagrun_info. */
bool state_last_automated_interval(state_store *st, const char *dag_id, data_interval *out,
                                   bool *found, mlerr *err);
/* queued + running runs, for max_active_runs. */
bool state_active_run_count(state_store *st, const char *dag_id, int *n, mlerr *err);

/* --- task instances and tries --------------------------------------------- */

typedef struct task_instance {
    const char *dag_id, *run_id, *task_id;
    ti_state state;
    int try_number; /* tries started so far; the current one while running */
    int max_tries;  /* = retries: a task may run max_tries + 1 times */
    double start_date, end_date, duration;
    const char *hostname;
    int pid;
    double next_retry_at; /* up_for_retry: not before this */
} task_instance;
/* state is TI_RESTARTING for a running task instance that was cleared and
 * whose try its scheduler has yet to end (stored as running + a flag). */

typedef struct task_try {
    const char *task_id;
    int try_number;
    ti_state state;
    double start_date, end_date, duration;
    const char *hostname;
    int pid;
} task_try;

/* Creates the run's task instances in state none (existing ones are kept). */
bool state_tis_create(state_store *st, const char *dag_id, const char *run_id,
                      const char *const *task_ids, const int *max_tries, size_t n, mlerr *err);
/* The run's task instances, by task id. */
bool state_tis_list(state_store *st, arena *a, const char *dag_id, const char *run_id,
                    task_instance **out, size_t *n, mlerr *err);
/* For the states that involve no try: scheduled, queued, upstream_failed,
 * skipped, none (clear). */
bool state_ti_set_state(state_store *st, const char *dag_id, const char *run_id,
                        const char *task_id, ti_state state, mlerr *err);
/* Starts the next try: state running, try_number + 1, this host and pid, a
 * new task_tries row.  *try_number is the try now running; *max_tries
 * (optional) the tries it may have (renewed by clears). */
bool state_ti_begin_try(state_store *st, const char *dag_id, const char *run_id,
                        const char *task_id, double now, int *try_number, int *max_tries,
                        mlerr *err);
/* Ends the running try with success, failed or up_for_retry (then
 * next_retry_at says when it may run again).  A task instance cleared while
 * running (restarting) goes back to none instead, whatever `state` says,
 * and its try is recorded as restarting.  *ended_as (optional) is the state
 * recorded. */
bool state_ti_end_try(state_store *st, const char *dag_id, const char *run_id, const char *task_id,
                      ti_state state, double now, double next_retry_at, ti_state *ended_as,
                      mlerr *err);
/* The task instances cleared while running that are still running
 * (restarting), of every DAG: for the scheduler to interrupt. */
typedef struct ti_key {
    const char *dag_id, *run_id, *task_id;
} ti_key;
bool state_restarting_list(state_store *st, arena *a, ti_key **out, size_t *n, mlerr *err);
/* Every try of a run's tasks, by task id then try number. */
bool state_tries_list(state_store *st, arena *a, const char *dag_id, const char *run_id,
                      task_try **out, size_t *n, mlerr *err);

/* Airflow's clear: the named task instances go back to state none with
 * their retries renewed (max_tries = try_number + retries), and the run to
 * queued, so the scheduler runs them again.  A running task instance
 * becomes restarting, its retries renewed counting the running try: the
 * scheduler running it interrupts that try and it goes back to none
 * (state_ti_end_try), so its next try starts at once without costing a
 * retry.  Unknown task ids are an error and nothing changes.  *cleared
 * (optional) counts. */
bool state_clear_tasks(state_store *st, const char *dag_id, const char *run_id,
                       const char *const *task_ids, size_t n, int retries, int *cleared,
                       mlerr *err);

/* Clears a whole run the same way: every task instance, running ones
 * becoming restarting (only failed and upstream_failed ones when
 * only_failed), and requeues the run when it is finished.  An unknown run
 * is an error. */
bool state_clear_run(state_store *st, const char *dag_id, const char *run_id, bool only_failed,
                     int retries, int *cleared, mlerr *err);

/* Crash recovery, as Airflow's heartbeat timeout hands the task instance
 * to handle_failure: every task instance left running (call this only
 * while holding the instance lock, when no live scheduler can own one) goes
 * to up_for_retry if it has tries left -- not before delay(...) seconds
 * from now, the failure being detected now (next_retry_datetime counts
 * from end_date) -- else to failed; its try is closed as failed.  One left
 * restarting (cleared while running) goes back to none, as its scheduler
 * would have done.  delay NULL: retry at once.  counts is optional. */
typedef int64_t (*state_retry_delay_fn)(void *ctx, const char *dag_id, const char *run_id,
                                        const char *task_id, int try_number);
typedef struct orphan_counts {
    int up_for_retry, failed, restarted;
} orphan_counts;
bool state_recover_orphans(state_store *st, double now, state_retry_delay_fn delay, void *ctx,
                           orphan_counts *counts, mlerr *err);

/* The current time as double UTC seconds. */
double state_now(void);

#endif
