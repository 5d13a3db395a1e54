/* civil: calendar arithmetic (Howard Hinnant's days_from_civil algorithms)
 * and the ISO 8601 forms the scheduler reads and writes. */
#include "sched/civil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool civil_is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int civil_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && civil_is_leap(year))
        return 29;
    return days[month - 1];
}

int64_t civil_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t civil_days_from_date(int year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = civil_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civil_date_from_days(int64_t days, int *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = civil_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = m;
    *day = d;
}

int civil_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday. */
    int64_t w = (days + 4) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

int64_t civil_to_seconds(const civil_time *ct)
{
    return civil_days_from_date(ct->year, ct->month, ct->day) * 86400 + ct->hour * 3600 +
           ct->minute * 60 + ct->second;
}

void civil_from_seconds(int64_t seconds, civil_time *out)
{
    int64_t days = civil_floor_div(seconds, 86400);
    int64_t rest = seconds - days * 86400;
    civil_date_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(rest / 3600);
    out->minute = (int)(rest / 60 % 60);
    out->second = (int)(rest % 60);
}

/* Reads exactly n digits. */
static bool read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

bool civil_parse_iso(const char *text, civil_time *out, bool *has_offset, int *offset_seconds)
{
    const char *p = text;
    civil_time ct = {0};
    *has_offset = false;
    *offset_seconds = 0;
    if (!read_digits(&p, 4, &ct.year) || *p++ != '-' || !read_digits(&p, 2, &ct.month) ||
        *p++ != '-' || !read_digits(&p, 2, &ct.day))
        return false;
    if (ct.month < 1 || ct.month > 12 || ct.day < 1 ||
        ct.day > civil_days_in_month(ct.year, ct.month))
        return false;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!read_digits(&p, 2, &ct.hour) || *p++ != ':' || !read_digits(&p, 2, &ct.minute))
            return false;
        if (*p == ':') {
            p++;
            if (!read_digits(&p, 2, &ct.second))
                return false;
        }
        if (ct.hour > 23 || ct.minute > 59 || ct.second > 59)
            return false;
    }
    if (*p == 'Z' || *p == 'z') {
        *has_offset = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (!read_digits(&p, 2, &oh))
            return false;
        if (*p == ':')
            p++;
        if (*p && !read_digits(&p, 2, &om))
            return false;
        if (oh > 23 || om > 59)
            return false;
        *has_offset = true;
        *offset_seconds = sign * (oh * 3600 + om * 60);
    }
    if (*p)
        return false;
    *out = ct;
    return true;
}

void civil_format_iso(int64_t utc_seconds, int offset_seconds, char *buf)
{
    civil_time ct;
    civil_from_seconds(utc_seconds + offset_seconds, &ct);
    int off = offset_seconds < 0 ? -offset_seconds : offset_seconds;
    snprintf(buf, CIVIL_ISO_MAX, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", ct.year, ct.month,
             ct.day, ct.hour, ct.minute, ct.second, offset_seconds < 0 ? '-' : '+', off / 3600,
             off / 60 % 60);
}

void civil_format_date(int64_t utc_seconds, int offset_seconds, char *buf)
{
    civil_time ct;
    civil_from_seconds(utc_seconds + offset_seconds, &ct);
    snprintf(buf, CIVIL_ISO_MAX, "%04d-%02d-%02d", ct.year, ct.month, ct.day);
}
