/* cron: 5-field cron expressions, matched as croniter matches them.
 *
 * Fields: minute hour day-of-month month day-of-week, each a comma list of
 * `*`, N, A-B, `*`/S, A-B/S or N/S (N/S means N-max/S), with JAN-DEC and
 * SUN-SAT names in any case; day-of-week 7 is Sunday.  croniter's extensions
 * work too: L in day-of-month (the last day, also as a range end: 15-L),
 * and in day-of-week N#K (the Kth weekday N of the month, K 1-5) and LN
 * (the last weekday N), which make croniter ignore the day-of-month field.
 * The aliases @hourly,
 * @daily, @midnight, @weekly, @monthly, @quarterly, @yearly and @annually are
 * accepted.  As in croniter, a field whose values cover its whole range counts
 * as `*`, and when both day-of-month and day-of-week are restricted a day
 * matches if either matches (Vixie cron's OR).  Not supported (clear error):
 * a seconds field, W, ? and Jenkins' H.
 *
 * Times are "naive" seconds: wall-clock time read as if it were UTC (see
 * civil.h).  Zones are the timetable's business. */
#ifndef MALLARD_SCHED_CRON_H
#define MALLARD_SCHED_CRON_H

#include "util/error.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct cron_expr {
    uint64_t minutes; /* bit n: minute n */
    uint32_t hours;
    uint32_t days_of_month; /* bits 1-31 */
    uint16_t months;        /* bits 1-12 */
    uint8_t days_of_week;   /* bits 0-6, 0 = Sunday */
    bool dom_restricted, dow_restricted;
    bool dom_last;           /* L: the month's last day */
    bool dow_nth;            /* N#K / LN used: day-of-month is then ignored */
    uint8_t nth_weekdays[7]; /* per weekday: bit K = the Kth, bit 6 = the last */
    /* croniter expands the hour field to exactly ['*'] (Airflow's
     * _covers_every_hour): Airflow then steps by elapsed time across DST
     * changes instead of by wall clock (see timetable.c). */
    bool every_hour;
} cron_expr;

/* Parses text; on failure the error says what is wrong (no position: the
 * caller knows where the text came from). */
bool cron_parse(const char *text, cron_expr *out, mlerr *err);
/* The first matching minute strictly after naive (croniter's get_next).
 * False when nothing matches within 50 years (croniter's limit). */
bool cron_next(const cron_expr *c, int64_t naive, int64_t *out);
/* The last matching minute strictly before naive (croniter's get_prev). */
bool cron_prev(const cron_expr *c, int64_t naive, int64_t *out);
/* Whether the wall-clock minute starting at naive matches. */
bool cron_matches(const cron_expr *c, int64_t naive);

#endif
