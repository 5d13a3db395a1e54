/* sched_show: shared by the read-only scheduler commands (runs, tasks, logs):
 * opening the state store of the dags folder's MALLARD_HOME and checking
 * that a DAG exists, and printing stamps and durations. */
#ifndef MALLARD_CLI_SCHED_SHOW_H
#define MALLARD_CLI_SCHED_SHOW_H

#include "cli/sched_setup.h"
#include "sched/state.h"

/* Opens the state store for reading.  Errors (exit 2) when the DAG is
 * neither in the dags folder nor in the store.  *st is NULL when nothing has
 * been scheduled yet (no store), which is not an error. */
bool cli_sched_open_for_dag(arena *a, const char *dags_folder_flag, const char *dag_id,
                            cli_sched_paths *paths, state_store **st, mlerr *err);
/* "2025-01-01 06:00:01" (UTC), or "" for an unset stamp; buf >= 32 bytes. */
const char *cli_format_stamp(double t, char *buf);
/* "1.25s", "3m04s", "1h02m", or "" for none; buf >= 32 bytes. */
const char *cli_format_duration(double seconds, char *buf);

#endif
