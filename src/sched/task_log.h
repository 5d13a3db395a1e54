/* task_log: where each task try's log lives, as Airflow lays it out:
 * MALLARD_HOME/logs/dag_id=<d>/run_id=<r>/task_id=<t>/attempt=<n>.log */
#ifndef MALLARD_SCHED_TASK_LOG_H
#define MALLARD_SCHED_TASK_LOG_H

#include "util/arena.h"
#include "util/error.h"

#include <stdbool.h>

/* The path (arena-allocated).  A '/' in an id (a user-chosen run id) is
 * written as %2F, and '%' as %25, so ids map to paths one to one. */
char *task_log_path(arena *a, const char *home, const char *dag_id, const char *run_id,
                    const char *task_id, int attempt);
/* Creates the log's directory. */
bool task_log_prepare(const char *path, mlerr *err);

#endif
