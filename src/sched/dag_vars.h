/* dag_vars: a DAG's dbt vars rendered for one run -- every string that
 * holds Jinja is rendered with Airflow's template variables (ds,
 * ds_nodash, ts, logical_date, data_interval_start/end, run_id,
 * dag_run.conf, ...; see run_macros.h), everything else keeps its YAML type.
 * The result is JSON text, which dbt's --vars (YAML) accepts. */
#ifndef MALLARD_SCHED_DAG_VARS_H
#define MALLARD_SCHED_DAG_VARS_H

#include "sched/dagfile.h"
#include "sched/state.h"
#include "util/arena.h"
#include "util/error.h"

/* *out is NULL when the DAG has no vars.  A template error names the DAG
 * file, line and column. */
bool dag_vars_render(arena *a, const dag_def *dag, const dag_run *run, const char **out,
                     mlerr *err);

#endif
