/* dagrun_create: creating DAG runs -- scheduled ones as they fall due,
 * manual triggers and backfills -- with Airflow's rules, in the state store.
 * Runs are created queued; starting them (and their task instances, which
 * come from the dbt graph) is the scheduler loop's job. */
#ifndef MALLARD_SCHED_DAGRUN_CREATE_H
#define MALLARD_SCHED_DAGRUN_CREATE_H

#include "sched/dagfile.h"
#include "sched/state.h"

/* The next automated run of dag after last (NULL: none yet), as Airflow's
 * DAG.next_dagrun_info: may lie in the future (run_after > now). */
bool dag_next_dagrun_info(const dag_def *dag, const data_interval *last, int64_t now,
                          dagrun_info *out);

/* Creates every scheduled run of dag that is due at now, oldest first, while
 * the DAG has fewer than max_active_runs queued or running runs (Airflow
 * stops creating runs at the limit and creates the next when one ends).
 * Registers the DAG (state_dag_seen) and does nothing while it is paused.
 * *created (optional) counts the new runs.  Safe against other processes:
 * an interval that already has a run is skipped, never duplicated. */
bool dagrun_create_due(state_store *st, const dag_def *dag, int64_t now, int *created, mlerr *err);

/* A manual run (mallard dags trigger): logical date = logical_date, or now
 * when logical_date is 0; data interval from the timetable's manual rule;
 * conf a JSON object text or NULL.  A second run at the same logical date
 * is an error naming it.  The run id is written to *run_id (arena a). */
bool dagrun_trigger(state_store *st, arena *a, const dag_def *dag, int64_t logical_date,
                    const char *conf, int64_t now, const char **run_id, mlerr *err);

typedef enum {
    REPROCESS_NONE,   /* leave intervals that already have a run alone */
    REPROCESS_FAILED, /* clear the failed tasks of failed runs */
    REPROCESS_ALL,    /* clear every task of every existing run */
} backfill_reprocess;

typedef struct backfill_result {
    int created;  /* new backfill runs */
    int requeued; /* existing runs cleared and queued again */
    int skipped;  /* existing runs left alone */
} backfill_result;

/* mallard dags backfill: a backfill run (queued) for every interval whose
 * logical date lies in [start, end], aligned to the schedule as Airflow's
 * iter_dagrun_infos_between does; intervals that already have a run are
 * handled per reprocess.  A null or @once schedule has no intervals. */
bool dagrun_backfill(state_store *st, const dag_def *dag, int64_t start, int64_t end,
                     backfill_reprocess reprocess, backfill_result *out, mlerr *err);

#endif
