/* states: Airflow's state names for DAG runs and task instances, and the
 * run types, with conversions to and from the names stored and printed. */
#ifndef MALLARD_SCHED_STATES_H
#define MALLARD_SCHED_STATES_H

#include <stdbool.h>

typedef enum {
    RUN_TYPE_SCHEDULED,
    RUN_TYPE_MANUAL,
    RUN_TYPE_BACKFILL,
} run_type;

typedef enum {
    DAGRUN_QUEUED,
    DAGRUN_RUNNING,
    DAGRUN_SUCCESS,
    DAGRUN_FAILED,
} dagrun_state;

typedef enum {
    TI_NONE,
    TI_SCHEDULED,
    TI_QUEUED,
    TI_RUNNING,
    TI_SUCCESS,
    TI_FAILED,
    TI_UP_FOR_RETRY,
    TI_UPSTREAM_FAILED,
    TI_SKIPPED,
    TI_RESTARTING, /* cleared while running: its try is being interrupted */
} ti_state;

const char *run_type_name(run_type t);         /* "scheduled", "manual", "backfill" */
const char *dagrun_state_name(dagrun_state s); /* "queued", ... */
const char *ti_state_name(ti_state s);         /* "none", "up_for_retry", ... */
bool run_type_parse(const char *name, run_type *out);
bool dagrun_state_parse(const char *name, dagrun_state *out);
bool ti_state_parse(const char *name, ti_state *out);
/* success, failed, upstream_failed, skipped: the task will not run again
 * unless cleared. */
bool ti_state_finished(ti_state s);

#endif
