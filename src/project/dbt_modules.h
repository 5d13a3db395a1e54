/* dbt_modules: the `modules` namespace dbt gives templates -- the commonly
 * used parts of Python's datetime and re -- and run_started_at, which is a
 * datetime in dbt. */
#ifndef MALLARD_PROJECT_DBT_MODULES_H
#define MALLARD_PROJECT_DBT_MODULES_H

#include "jinja/jinja.h"

#include <time.h>

/* {"datetime": ..., "re": ...}, allocated in a. */
jv dbt_modules(arena *a);
/* A timezone-aware UTC datetime, as run_started_at is. */
jv dbt_datetime(arena *a, time_t secs, long usec, bool utc_aware);

#endif
