/* task_runner: the narrow interface between the scheduler loop and whatever
 * executes a task -- "run these dbt nodes, as run/seed/test/build, with
 * these vars, on this project's database, logging to this file".
 *
 * The loop calls tasks() on its own thread when a DAG run starts, to learn
 * the run's task graph, and run() on a thread of its own per running task.
 * A run() must return promptly once its task_ctl is cancelled (timeout or
 * shutdown): it registers how to interrupt itself with task_ctl_watch.
 * The real implementation (dbt_runner.h) runs nodes through the exec layer;
 * tests plug in fakes. */
#ifndef MALLARD_SCHED_TASK_RUNNER_H
#define MALLARD_SCHED_TASK_RUNNER_H

#include "sched/dagfile.h"
#include "sched/dbt_tasks.h"
#include "sched/state.h"
#include "util/arena.h"
#include "util/error.h"

#include <pthread.h>
#include <stdbool.h>

typedef enum {
    TASK_SUCCESS,
    TASK_FAILED,
    TASK_INTERRUPTED, /* its task_ctl was cancelled */
} task_outcome;

/* A cancellation token for one running task, shared by the loop (which
 * cancels) and the task's thread (which watches).  lock guards every field;
 * the cancel callback runs under it, so task_ctl_unwatch waits for a cancel
 * in progress and the callback's argument may die right after. */
typedef struct task_ctl {
    pthread_mutex_t lock;
    bool cancelled;
    void (*on_cancel)(void *arg);
    void *arg;
} task_ctl;

void task_ctl_init(task_ctl *c);
void task_ctl_destroy(task_ctl *c);
/* Cancels: calls the watcher, if any, once. */
void task_ctl_cancel(task_ctl *c);
bool task_ctl_cancelled(task_ctl *c);
/* Registers fn(arg) to interrupt the task; false (nothing registered) when
 * the task is already cancelled. */
bool task_ctl_watch(task_ctl *c, void (*fn)(void *arg), void *arg);
void task_ctl_unwatch(task_ctl *c);

/* Everything a task needs, copied so it stays valid while the loop rescans
 * the dags folder. */
typedef struct task_request {
    const char *dag_id, *run_id, *task_id;
    int try_number;
    dbt_task_kind kind;
    const char *const *nodes; /* unique_ids */
    size_t nnodes;
    const char *project_dir;                     /* absolute */
    const char *profiles_dir, *profile, *target; /* NULL: the defaults */
    const char *vars_yaml; /* the DAG's dbt vars rendered for this run, or NULL */
    bool full_refresh;
    const char *log_path; /* the try's log file (its directory exists) */
} task_request;

typedef struct task_runner {
    void *userdata;
    /* The run's tasks, in a (on the loop thread). */
    bool (*tasks)(void *userdata, const dag_def *dag, const dag_run *run, const char *vars_yaml,
                  arena *a, dbt_task_graph *out, mlerr *err);
    /* Runs one task on its own thread. */
    task_outcome (*run)(void *userdata, const task_request *req, task_ctl *ctl);
    /* Optional, on the loop thread: the loop forgot the run's task graph
     * (the run ended, or left this scheduler's hands) and none of its tasks
     * is running, so whatever the runner keeps for the run can go. */
    void (*run_ended)(void *userdata, const char *dag_id, const char *run_id);
    /* Optional, on the loop thread after every rescan of the dags folder:
     * the DAGs there now; changed says whether a DAG file was added,
     * changed or removed since the last call (true at the first).  A runner
     * opens here what the DAGs' tasks will use, so that it holds it before
     * any task runs.  Called every tick: it must return promptly. */
    void (*dags_seen)(void *userdata, const dag_def *const *dags, size_t n, bool changed);
} task_runner;

#endif
