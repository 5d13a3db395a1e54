/* scheduler: the loop behind `mallard scheduler` -- it owns MALLARD_HOME
 * (instance lock), recovers what a crashed scheduler left running, and then
 * every tick (at most a second apart, sooner when a task ends or a retry
 * falls due):
 *   - rescans the dags folder (changed files are picked up live);
 *   - creates the scheduled runs that are due (dagrun_create_due);
 *   - starts queued runs while the DAG has fewer than max_active_runs
 *     running, creating their task instances from the task graph the
 *     task_runner renders;
 *   - plans each running run (dagrun_plan) and applies it: upstream_failed
 *     and skipped states, new tries started on threads of their own within
 *     max_active_tasks per run and `parallelism` overall, finished runs;
 *   - ends tries as they finish (success, or the retry policy's verdict)
 *     and interrupts those past their execution_timeout or cleared while
 *     running (restarting: their next try starts at once, costing no retry).
 * Triggers and clears made by other processes are seen on the next tick.
 * Tries a crashed scheduler left running fail at start-up, their retries
 * due retry_delay later.
 *
 * Stopping (scheduler_stop, e.g. on SIGINT/SIGTERM) interrupts the running
 * tasks, waits for them, and ends each try as failed -- up_for_retry when
 * it has tries left, as Airflow's SIGTERMed tasks -- so the state is
 * consistent and a restart carries on.  With `once`, the runs due when it
 * starts (and those already queued or running) are run to the end, then the
 * loop returns. */
#ifndef MALLARD_SCHED_SCHEDULER_H
#define MALLARD_SCHED_SCHEDULER_H

#include "sched/task_runner.h"
#include "util/error.h"

#include <stdbool.h>

typedef struct scheduler_opts {
    const char *home;        /* MALLARD_HOME */
    const char *dags_folder; /* absolute */
    bool once;
    int parallelism; /* running tasks overall, >= 1 */
    task_runner runner;
    bool quiet; /* no console lines (tests) */
} scheduler_opts;

typedef struct scheduler scheduler;

/* Takes the instance lock (failing with the holder's PID), opens the state
 * store and recovers orphaned tasks. */
bool scheduler_new(const scheduler_opts *opts, scheduler **out, mlerr *err);
void scheduler_free(scheduler *s);

typedef struct scheduler_result {
    int runs_succeeded, runs_failed; /* runs this scheduler finished */
    int tries_started;
    bool stopped; /* scheduler_stop ended it */
    /* CPU time the loop thread spent on its own work (ticks: state store,
     * planning, dispatch), excluding its waits: the scheduler's cost beside
     * the tasks', steadier than wall time on a busy machine */
    double loop_cpu_seconds;
} scheduler_result;

/* Loops until stopped (or, with once, until the due runs are done).  False
 * only when the state store or dags folder fails. */
bool scheduler_run(scheduler *s, scheduler_result *out, mlerr *err);
/* Safe from any thread (not from a signal handler: see exec/sigwatch.h). */
void scheduler_stop(scheduler *s);

#endif
