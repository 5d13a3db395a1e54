/* timetable: Airflow 2's data-interval timetables over cron.c and tz.c.
 *
 * DST follows airflow/timetables/_cron.py: croniter runs on the naive
 * wall-clock time in the DAG's zone.  For most expressions the wall-clock
 * result is made aware with make_aware (the later occurrence of a repeated
 * time, a skipped time moved forward).  When the hour field is `*`, Airflow
 * instead adds the wall-clock difference to the aware time (pendulum
 * arithmetic: a difference of less than a day is elapsed time, so an hourly
 * schedule fires every real hour through a DST change). */
#include "sched/timetable.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nothing matches within croniter's 50 years: a far-future sentinel keeps
 * the arithmetic total; such runs are never due. */
static const int64_t NEVER = INT64_C(253402300799); /* 9999-12-31T23:59:59Z */

/* pendulum's DateTime + timedelta(days, seconds): whole days move the wall
 * clock (then resolved like make_aware), a sub-day delta is elapsed time. */
static int64_t pendulum_shift(const tz_zone *zone, int64_t utc, int64_t local, int64_t delta)
{
    int64_t days = delta >= 0 ? delta / 86400 : -((-delta + 86399) / 86400);
    if (days != 0)
        return tz_local_to_utc(zone, local + delta);
    return utc + delta;
}

int64_t timetable_get_next(const timetable *tt, int64_t t)
{
    if (tt->kind == SCHEDULE_DELTA)
        return t + tt->delta;
    int64_t naive = tz_utc_to_local(tt->zone, t), scheduled;
    if (!cron_next(&tt->cron, naive, &scheduled))
        return NEVER;
    if (!tt->cron.every_hour)
        return tz_local_to_utc(tt->zone, scheduled);
    return pendulum_shift(tt->zone, t, naive, scheduled - naive);
}

int64_t timetable_get_prev(const timetable *tt, int64_t t)
{
    if (tt->kind == SCHEDULE_DELTA)
        return t - tt->delta;
    int64_t naive = tz_utc_to_local(tt->zone, t), scheduled;
    if (!cron_prev(&tt->cron, naive, &scheduled))
        return -NEVER;
    if (!tt->cron.every_hour)
        return tz_local_to_utc(tt->zone, scheduled);
    /* Python normalises naive - scheduled to timedelta(days>=0, seconds). */
    int64_t delta = naive - scheduled;
    if (delta / 86400 != 0)
        return tz_local_to_utc(tt->zone, naive - delta);
    return t - delta;
}

static int64_t align_to_next(const timetable *tt, int64_t t)
{
    if (tt->kind == SCHEDULE_DELTA)
        return t;
    int64_t next = timetable_get_next(tt, t);
    return timetable_get_prev(tt, next) != t ? next : t;
}

static int64_t align_to_prev(const timetable *tt, int64_t t)
{
    if (tt->kind == SCHEDULE_DELTA)
        return t;
    int64_t prev = timetable_get_prev(tt, t);
    return timetable_get_next(tt, prev) != t ? prev : t;
}

static int64_t floor_to(int64_t t, int64_t step)
{
    int64_t r = t % step;
    return r < 0 ? t - r - step : t - r;
}

/* Airflow's _skip_to_latest: the start of the latest interval that has
 * completed by now (or that starts exactly now), but not before earliest. */
static int64_t skip_to_latest(const timetable *tt, const time_restriction *r, int64_t now)
{
    int64_t start;
    if (tt->kind == SCHEDULE_DELTA) {
        start = floor_to(now, tt->delta) - tt->delta;
        if (r->has_earliest && r->earliest > start)
            start = r->earliest;
        return start;
    }
    int64_t last_start = timetable_get_prev(tt, now);
    int64_t next_start = timetable_get_next(tt, last_start);
    start = next_start == now ? last_start : timetable_get_prev(tt, last_start);
    if (r->has_earliest) {
        int64_t aligned = align_to_next(tt, r->earliest);
        if (aligned > start)
            start = aligned;
    }
    return start;
}

bool timetable_next_dagrun_info(const timetable *tt, const data_interval *last,
                                const time_restriction *r, int64_t now, dagrun_info *out)
{
    switch (tt->kind) {
    case SCHEDULE_NONE:
        return false;
    case SCHEDULE_ONCE:
        /* @once runs at start_date, whatever catchup says. */
        if (last || !r->has_earliest || (r->has_latest && r->earliest > r->latest))
            return false;
        out->interval.start = out->interval.end = out->run_after = r->earliest;
        return true;
    case SCHEDULE_CRON:
    case SCHEDULE_DELTA:
        break;
    }
    bool has_earliest = r->has_earliest;
    int64_t earliest = r->earliest;
    if (!r->catchup) {
        earliest = skip_to_latest(tt, r, now);
        has_earliest = true;
    } else if (has_earliest) {
        earliest = align_to_next(tt, earliest);
    }
    int64_t start;
    if (!last) {
        if (!has_earliest)
            return false;
        start = earliest;
    } else {
        start = align_to_prev(tt, last->end);
        if (has_earliest && earliest > start)
            start = earliest;
    }
    if (r->has_latest && start > r->latest)
        return false;
    int64_t end = timetable_get_next(tt, start);
    if (end >= NEVER)
        return false;
    out->interval.start = start;
    out->interval.end = end;
    out->run_after = end;
    return true;
}

data_interval timetable_manual_interval(const timetable *tt, int64_t run_after)
{
    data_interval di = {run_after, run_after};
    if (tt->kind == SCHEDULE_CRON) {
        di.end = align_to_prev(tt, run_after);
        di.start = timetable_get_prev(tt, di.end);
    } else if (tt->kind == SCHEDULE_DELTA) {
        di.start = run_after - tt->delta;
    }
    return di;
}

bool duration_parse(const char *text, int64_t *seconds)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p)
        return false;
    if (strchr(p, ':')) { /* [H]H:MM[:SS] */
        int h, m, s = 0, n = 0;
        if (sscanf(p, "%d:%2d:%2d%n", &h, &m, &s, &n) == 3 && !p[n]) {
        } else if (sscanf(p, "%d:%2d%n", &h, &m, &n) == 2 && !p[n]) {
            s = 0;
        } else {
            return false;
        }
        if (h < 0 || m < 0 || m > 59 || s < 0 || s > 59)
            return false;
        *seconds = (int64_t)h * 3600 + m * 60 + s;
        return true;
    }
    int64_t total = 0;
    bool any = false;
    while (*p) {
        if (!isdigit((unsigned char)*p))
            return false;
        int64_t n = 0;
        while (isdigit((unsigned char)*p)) {
            n = n * 10 + (*p++ - '0');
            if (n > INT64_C(1000000000))
                return false;
        }
        int64_t unit;
        switch (*p) {
        case 0:
            /* A bare number is seconds, but only on its own ("1h30" is a typo). */
            if (any)
                return false;
            unit = 1;
            break;
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        case 'w':
            unit = 7 * 86400;
            break;
        default:
            return false;
        }
        if (*p)
            p++;
        total += n * unit;
        any = true;
    }
    *seconds = total;
    return true;
}

bool timetable_parse(const char *schedule, const tz_zone *zone, timetable *out, mlerr *err)
{
    memset(out, 0, sizeof *out);
    out->zone = zone;
    if (!schedule || !*schedule || strcmp(schedule, "null") == 0 || strcmp(schedule, "None") == 0) {
        out->kind = SCHEDULE_NONE;
        return true;
    }
    if (strcmp(schedule, "@once") == 0) {
        out->kind = SCHEDULE_ONCE;
        return true;
    }
    if (strcmp(schedule, "@continuous") == 0) {
        mlerr_set(err, EXIT_SETUP, "schedule @continuous is not supported yet");
        return false;
    }
    if (isdigit((unsigned char)schedule[0]) && !strchr(schedule, ' ')) {
        int64_t seconds;
        if (!duration_parse(schedule, &seconds) || seconds <= 0) {
            mlerr_set(err, EXIT_SETUP, "bad schedule interval '%s'", schedule);
            mlerr_hint(err, "write a fixed interval as 30m, 6h, 1d or 1h30m");
            return false;
        }
        out->kind = SCHEDULE_DELTA;
        out->delta = seconds;
        return true;
    }
    out->kind = SCHEDULE_CRON;
    return cron_parse(schedule, &out->cron, err);
}
