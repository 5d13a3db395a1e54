/* dagrun_plan: what a DAG run should do next, decided from its task
 * instances' states -- the scheduler loop's core, kept pure so it is tested
 * without running anything.
 *
 * Airflow's semantics with every task on the default trigger rule
 * all_success:
 *   - a task is ready when all its upstream tasks succeeded (a task in
 *     up_for_retry is ready again once next_retry_at has passed);
 *   - a failed or upstream_failed upstream makes it upstream_failed, a
 *     skipped one makes it skipped (transitively, in one pass);
 *   - at most max_active_tasks task instances of the run are queued or
 *     running, and at most free_slots start now (the global parallelism
 *     left); ready tasks start by Airflow's default priority weight (the
 *     number of downstream tasks, plus one), then by index;
 *   - the run ends when every task is finished: failed if any leaf failed or
 *     is upstream_failed, else success; a run where nothing runs, nothing is
 *     ready and nothing waits for a retry, but tasks are unfinished, is
 *     deadlocked and fails (Airflow's rule). */
#ifndef MALLARD_SCHED_DAGRUN_PLAN_H
#define MALLARD_SCHED_DAGRUN_PLAN_H

#include "sched/states.h"
#include "util/arena.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct plan_task {
    const size_t *upstream; /* indices into the task array */
    size_t nupstream;
    ti_state state;
    double next_retry_at; /* up_for_retry only */
} plan_task;

typedef struct dagrun_plan {
    size_t *to_start; /* indices, highest priority first */
    size_t nstart;
    size_t *to_upstream_failed, *to_skip;
    size_t nupstream_failed, nskip;
    bool finished;
    bool deadlocked;
    bool failed;         /* the final state, when finished */
    double next_wake_at; /* the earliest pending retry, 0 if none */
} dagrun_plan;

/* Plans the run at now.  The arrays are allocated in a.  A cycle among the
 * tasks is reported as a deadlock. */
void dagrun_plan_make(arena *a, const plan_task *tasks, size_t n, int max_active_tasks,
                      int free_slots, double now, dagrun_plan *out);

#endif
