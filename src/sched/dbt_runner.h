/* dbt_runner: the real task_runner -- a task's dbt nodes run through the
 * exec layer, on the one database handle this process holds per DuckDB
 * file.
 *
 * A DAG run's project is loaded once, with the run's vars, when the run's
 * task graph is built, and shared read-only by the run's tasks through a
 * project_cache (vars can change what a model compiles to, so a project
 * loaded with one run's vars is not reused for another run).  Each task
 * selects its nodes and runs them as a work plan in an exec session of its
 * own; every node -- tests too -- is rendered on its worker with the task's
 * own flags (flags.WHICH), so tasks of one run can run at once.  Like the
 * dbt process Cosmos starts per task, every task runs the project's
 * on-run-start and on-run-end hooks around its own nodes, on-run-end with
 * that task's results (a failing hook fails the task).  The
 * database is shared: the runner keeps every file it opened open until
 * it is freed, and db_open's registry hands every later task -- of any DAG --
 * that same handle.  The files are opened ahead of the tasks too: at every
 * change of the dags folder (dags_seen) each DAG's profile target is
 * resolved as its tasks will resolve it, and each local DuckDB file is
 * opened (without waiting for another process's lock: a held file is tried
 * again every few seconds), so a scheduler owns its DAGs' files -- and
 * advertises them, routing other commands here -- from its first tick.  A
 * DAG whose target cannot be resolved is logged and skipped.  Each try's
 * log gets dbt's result line for every node.
 * A cancelled task_ctl cancels the session, which interrupts DuckDB. */
#ifndef MALLARD_SCHED_DBT_RUNNER_H
#define MALLARD_SCHED_DBT_RUNNER_H

#include "sched/task_runner.h"

typedef struct dbt_runner dbt_runner;

/* threads: the exec workers per task (dbt's threads inside one task). */
dbt_runner *dbt_runner_new(int threads);
void dbt_runner_free(dbt_runner *r);
/* The task_runner to hand to the scheduler. */
task_runner dbt_runner_iface(dbt_runner *r);
/* Projects loaded so far (one per DAG run while its files do not change). */
unsigned long dbt_runner_project_loads(dbt_runner *r);

#endif
