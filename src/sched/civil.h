/* civil: proleptic Gregorian calendar arithmetic on 64-bit seconds.
 *
 * The scheduler keeps every instant as int64 seconds since the Unix epoch
 * (UTC) and every wall-clock time as the same count read as if the clock were
 * UTC ("naive" seconds, as Python's naive datetimes).  This file converts
 * between those counts and year/month/day fields, without the C library's
 * locale- and TZ-dependent functions, so it is thread-safe by construction. */
#ifndef MALLARD_SCHED_CIVIL_H
#define MALLARD_SCHED_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct civil_time {
    int year, month, day; /* month 1-12, day 1-31 */
    int hour, minute, second;
} civil_time;

bool civil_is_leap(int year);
int civil_days_in_month(int year, int month);
/* Days since 1970-01-01 (negative before). */
int64_t civil_days_from_date(int year, int month, int day);
void civil_date_from_days(int64_t days, int *year, int *month, int *day);
/* 0 = Sunday ... 6 = Saturday, as cron counts them. */
int civil_weekday(int64_t days);
int64_t civil_to_seconds(const civil_time *ct);
void civil_from_seconds(int64_t seconds, civil_time *out);
/* Floor division for negative instants. */
int64_t civil_floor_div(int64_t a, int64_t b);

/* Parses an ISO 8601 date or date-time as users write start_date:
 * "2025-01-01", "2025-01-01T06:30", "2025-01-01 06:30:00", with an optional
 * "Z" or "+HH:MM"/"-HH:MM" suffix.  *has_offset says whether a suffix was
 * given (then *offset_seconds holds it, seconds east of UTC); fractional
 * seconds are not accepted. */
bool civil_parse_iso(const char *text, civil_time *out, bool *has_offset, int *offset_seconds);

/* Formats an instant as Python's datetime.isoformat() with the given UTC
 * offset, e.g. "2025-01-01T00:00:00+00:00" (the form Airflow puts in run
 * ids).  buf must hold CIVIL_ISO_MAX bytes. */
#define CIVIL_ISO_MAX 40
void civil_format_iso(int64_t utc_seconds, int offset_seconds, char *buf);
/* "2025-01-01" of the wall-clock time utc_seconds + offset_seconds. */
void civil_format_date(int64_t utc_seconds, int offset_seconds, char *buf);

#endif
