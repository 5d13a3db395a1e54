/* run_macros: Airflow's ds/ts family for a run (see run_macros.h). */
#include "sched/run_macros.h"

#include "sched/civil.h"

#include <stdio.h>

void run_macros_fill(const dag_run *run, run_macros *out)
{
    civil_time ct;
    civil_from_seconds(run->logical_date, &ct);
    snprintf(out->ds, sizeof out->ds, "%04d-%02d-%02d", ct.year, ct.month, ct.day);
    snprintf(out->ds_nodash, sizeof out->ds_nodash, "%04d%02d%02d", ct.year, ct.month, ct.day);
    civil_format_iso(run->logical_date, 0, out->ts);
    civil_format_iso(run->logical_date, 0, out->logical_date);
    snprintf(out->ts_nodash, sizeof out->ts_nodash, "%04d%02d%02dT%02d%02d%02d", ct.year, ct.month,
             ct.day, ct.hour, ct.minute, ct.second);
    snprintf(out->ts_nodash_with_tz, sizeof out->ts_nodash_with_tz,
             "%04d%02d%02dT%02d%02d%02d+0000", ct.year, ct.month, ct.day, ct.hour, ct.minute,
             ct.second);
    civil_format_iso(run->interval.start, 0, out->data_interval_start);
    civil_format_iso(run->interval.end, 0, out->data_interval_end);
    out->run_id = run->run_id;
    out->conf_json = run->conf ? run->conf : "{}";
}
