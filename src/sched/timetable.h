/* timetable: a DAG's schedule and Airflow 2's data-interval semantics.
 *
 * A schedule is null (manual only), @once, a cron expression or preset
 * (evaluated in the DAG's time zone), or a fixed interval such as 30m, 6h,
 * 1d (a timedelta, stepped in absolute seconds).  Instants are int64 UTC
 * seconds.  The logical date of a run is the start of its data interval; a
 * scheduled run may start once its interval has ended (run_after = end).
 *
 * The functions mirror airflow/timetables (CronDataIntervalTimetable,
 * DeltaDataIntervalTimetable, OnceTimetable, NullTimetable) and
 * airflow/timetables/_cron.py's DST handling. */
#ifndef MALLARD_SCHED_TIMETABLE_H
#define MALLARD_SCHED_TIMETABLE_H

#include "sched/cron.h"
#include "sched/tz.h"
#include "util/error.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    SCHEDULE_NONE,  /* null: only manual runs */
    SCHEDULE_ONCE,  /* @once */
    SCHEDULE_CRON,  /* cron expression or preset */
    SCHEDULE_DELTA, /* fixed interval */
} schedule_kind;

typedef struct timetable {
    schedule_kind kind;
    cron_expr cron;
    int64_t delta; /* seconds, SCHEDULE_DELTA */
    const tz_zone *zone;
} timetable;

typedef struct data_interval {
    int64_t start, end;
} data_interval;

/* Airflow's TimeRestriction: the DAG's start_date, end_date and catchup. */
typedef struct time_restriction {
    bool has_earliest, has_latest;
    int64_t earliest, latest;
    bool catchup;
} time_restriction;

typedef struct dagrun_info {
    data_interval interval; /* interval.start is the logical date */
    int64_t run_after;      /* the run may be created at or after this */
} dagrun_info;

/* Parses a schedule: NULL or "" for null, "@once", a cron expression or
 * preset, or a duration ("30m", "6h", "1d", "1h30m", "90s").  zone must
 * outlive the timetable (tz_get's zones do). */
bool timetable_parse(const char *schedule, const tz_zone *zone, timetable *out, mlerr *err);

/* Airflow's next_dagrun_info: the next automated run after last (NULL before
 * the first), or false when there is none (null schedule, @once already run,
 * past end_date, no start_date).  now matters only with catchup off, where it
 * skips to the latest complete interval.  The returned run may lie in the
 * future: create it only once run_after <= now. */
bool timetable_next_dagrun_info(const timetable *tt, const data_interval *last,
                                const time_restriction *r, int64_t now, dagrun_info *out);

/* Airflow's infer_manual_data_interval for a run triggered at run_after: the
 * last complete cron interval, [run_after - delta, run_after] for a fixed
 * interval, and the zero-length [run_after, run_after] for null and @once. */
data_interval timetable_manual_interval(const timetable *tt, int64_t run_after);

/* The first cron/interval boundary strictly after, or strictly before, t
 * (Airflow's _get_next/_get_prev); the timetable must be cron or delta. */
int64_t timetable_get_next(const timetable *tt, int64_t t);
int64_t timetable_get_prev(const timetable *tt, int64_t t);

/* Parses a duration: a number of seconds, "5m", "1h30m", "2d", "90s",
 * "00:05:00" or "1:30:00".  Units: s, m, h, d, w. */
bool duration_parse(const char *text, int64_t *seconds);

#endif
