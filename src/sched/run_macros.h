/* run_macros: the Airflow template variables of a DAG run, as the text
 * Airflow renders them, for templating the dbt `vars` of a DAG.
 *
 * As in Airflow 2 the dates are in UTC whatever the DAG's time zone (ds of a
 * run at Berlin midnight is the previous UTC day), and str() of a date-time
 * is its isoformat:
 *   ds 2025-01-01, ds_nodash 20250101, ts / logical_date /
 *   data_interval_start / data_interval_end 2025-01-01T00:00:00+00:00,
 *   ts_nodash 20250101T000000, ts_nodash_with_tz 20250101T000000+0000,
 *   run_id, and dag_run.conf (the run's conf, a JSON object text). */
#ifndef MALLARD_SCHED_RUN_MACROS_H
#define MALLARD_SCHED_RUN_MACROS_H

#include "sched/state.h"

#define RUN_MACROS_DATE_MAX 80

typedef struct run_macros {
    char ds[RUN_MACROS_DATE_MAX], ds_nodash[RUN_MACROS_DATE_MAX];
    char ts[RUN_MACROS_DATE_MAX], ts_nodash[RUN_MACROS_DATE_MAX];
    char ts_nodash_with_tz[RUN_MACROS_DATE_MAX];
    char logical_date[RUN_MACROS_DATE_MAX];
    char data_interval_start[RUN_MACROS_DATE_MAX], data_interval_end[RUN_MACROS_DATE_MAX];
    const char *run_id;    /* borrowed from the run */
    const char *conf_json; /* borrowed from the run */
} run_macros;

void run_macros_fill(const dag_run *run, run_macros *out);

#endif
