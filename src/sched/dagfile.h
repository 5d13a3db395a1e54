/* dagfile: DAG definitions read from YAML files in a dags folder.
 *
 * A file holds one DAG (a mapping with dag_id), several (a sequence of such
 * mappings), or several YAML documents separated by `---`, each one of
 * those.  Keys (Airflow's and Cosmos' names and defaults, except where
 * noted):
 *   dag_id (required; letters, digits, _ . -), description, tags (list),
 *   schedule: null | @once | preset | 5-field cron | interval (30m, 6h, 1d);
 *     absent means Airflow 2's default, a 1-day interval (schedule_interval
 *     is accepted as the old name),
 *   start_date (required unless schedule is null), end_date: ISO dates or
 *     date-times, in `timezone` unless they carry an offset,
 *   timezone (IANA name, default UTC), catchup (default false, as the issue
 *   asks; Airflow's own default is true), max_active_runs (16),
 *   max_active_tasks (16), is_paused_upon_creation (default false: the file
 *   is the deployment; Airflow's global default pauses new DAGs),
 *   default_args: retries (0), retry_delay (300s), retry_exponential_backoff
 *     (false), max_retry_delay (none), execution_timeout (none),
 *   dbt: project_dir (required), profiles_dir, profile, target, select,
 *     exclude (a string or a list), full_refresh (false), vars (a mapping,
 *     templated per run with Airflow's macros), test_behavior (none |
 *     after_each | after_all | build; Cosmos' default after_each).
 * Durations are a number of seconds or a string: 90, 5m, 1h30m, 2d, 1w,
 * 00:05:00.
 *
 * Errors carry file:line:col.  As in Airflow, a file with any error is an
 * import error as a whole (its DAGs do not load) and every other file still
 * loads; all of a file's errors are reported at once. */
#ifndef MALLARD_SCHED_DAGFILE_H
#define MALLARD_SCHED_DAGFILE_H

#include "sched/timetable.h"
#include "util/arena.h"
#include "util/yaml_tree.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    TEST_BEHAVIOR_NONE,
    TEST_BEHAVIOR_AFTER_EACH,
    TEST_BEHAVIOR_AFTER_ALL,
    TEST_BEHAVIOR_BUILD,
} test_behavior;

const char *test_behavior_name(test_behavior b);

typedef struct dag_default_args {
    int retries;
    int64_t retry_delay; /* seconds */
    bool retry_exponential_backoff;
    int64_t max_retry_delay;   /* seconds, 0 = none */
    int64_t execution_timeout; /* seconds, 0 = none */
} dag_default_args;

typedef struct dag_dbt {
    const char *project_dir; /* as written, relative to the DAG file's folder */
    const char *project_dir_abs;
    const char *profiles_dir, *profile, *target; /* NULL when not given */
    const char **select, **exclude;
    size_t nselect, nexclude;
    bool full_refresh;
    const ynode *vars; /* a mapping, or NULL */
    test_behavior test_behavior;
} dag_dbt;

typedef struct dag_def {
    const char *dag_id, *description;
    const char **tags;
    size_t ntags;
    const char *schedule; /* as written; NULL for null */
    timetable timetable;
    const char *timezone;
    bool has_start_date, has_end_date;
    int64_t start_date, end_date; /* UTC seconds */
    bool catchup;
    int max_active_runs, max_active_tasks;
    bool is_paused_upon_creation;
    dag_default_args default_args;
    dag_dbt dbt;
    const char *file; /* where it was defined */
    int line, col;
} dag_def;

/* One file's parse: its DAGs, or its errors ("file:line:col: message"). */
typedef struct dag_file {
    const char *path;
    dag_def *dags;
    size_t ndags;
    const char **errors;
    size_t nerrors;
} dag_file;

/* Parses text as the DAG file path; everything lands in arena a. */
void dag_file_parse(arena *a, const char *path, const char *text, size_t len, dag_file *out);
/* Reads and parses a file. */
void dag_file_load(arena *a, const char *path, dag_file *out);
/* The time restriction (start_date, end_date, catchup) for the timetable. */
time_restriction dag_time_restriction(const dag_def *dag);

#endif
