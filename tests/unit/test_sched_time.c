/* Unit tests for the scheduler's time arithmetic: civil.c, tz.c, cron.c and
 * timetable.c (Airflow's data intervals).  The bulk comparison with croniter
 * is tests/sched/cron_diff.py (t0600); these pin down named cases. */
#include "check.h"

#include "sched/civil.h"
#include "sched/cron.h"
#include "sched/timetable.h"
#include "sched/tz.h"

#include <stdlib.h>

/* An ISO instant ("...Z" or with offset) as UTC seconds. */
static int64_t at(const char *iso)
{
    civil_time ct;
    bool has_offset;
    int offset;
    if (!civil_parse_iso(iso, &ct, &has_offset, &offset))
        abort();
    return civil_to_seconds(&ct) - offset;
}

static const char *iso(int64_t t)
{
    static char buf[4][CIVIL_ISO_MAX];
    static int next;
    char *b = buf[next++ % 4];
    civil_format_iso(t, 0, b);
    return b;
}

TEST(civil_round_trips)
{
    civil_time ct;
    civil_from_seconds(at("2024-02-29T23:59:59Z"), &ct);
    CHECK(ct.year == 2024 && ct.month == 2 && ct.day == 29 && ct.hour == 23 && ct.second == 59);
    CHECK(civil_weekday(civil_days_from_date(2025, 1, 1)) == 3); /* a Wednesday */
    CHECK(civil_weekday(civil_days_from_date(1969, 12, 31)) == 3);
    CHECK(at("1960-06-15T12:00:00Z") < 0);
    civil_from_seconds(at("1960-06-15T12:00:00Z"), &ct);
    CHECK(ct.year == 1960 && ct.month == 6 && ct.day == 15 && ct.hour == 12);
    CHECK_STR(iso(at("2025-01-01T01:00:00+01:00")), "2025-01-01T00:00:00+00:00");
    char buf[CIVIL_ISO_MAX];
    civil_format_iso(at("2025-07-01T00:00:00Z"), -4 * 3600, buf);
    CHECK_STR(buf, "2025-06-30T20:00:00-04:00");
    bool has_offset;
    int off;
    CHECK(civil_parse_iso("2025-01-01", &ct, &has_offset, &off) && !has_offset);
    CHECK(civil_parse_iso("2025-01-01 06:30", &ct, &has_offset, &off) && ct.minute == 30);
    CHECK(!civil_parse_iso("2025-02-30", &ct, &has_offset, &off));
    CHECK(!civil_parse_iso("2025-01-01T25:00", &ct, &has_offset, &off));
    CHECK(!civil_parse_iso("2025-01-01T00:00:00.5Z", &ct, &has_offset, &off));
}

TEST(zones_resolve_gaps_and_overlaps)
{
    mlerr err = MLERR_INIT;
    const tz_zone *ny = tz_get("America/New_York", &err);
    CHECK(ny != NULL);
    if (!ny)
        return;
    CHECK(tz_get("America/New_York", &err) == ny); /* cached */
    CHECK(tz_offset_at(ny, at("2025-01-15T12:00:00Z")) == -5 * 3600);
    CHECK(tz_offset_at(ny, at("2025-07-15T12:00:00Z")) == -4 * 3600);
    /* Beyond the file's last transition the POSIX footer rule applies. */
    CHECK(tz_offset_at(ny, at("2077-07-15T12:00:00Z")) == -4 * 3600);
    CHECK(tz_offset_at(ny, at("2077-12-15T12:00:00Z")) == -5 * 3600);
    /* 2025-03-09 02:30 does not exist in New York: moved forward to 03:30 EDT. */
    CHECK_STR(iso(tz_local_to_utc(ny, at("2025-03-09T02:30:00Z"))), "2025-03-09T07:30:00+00:00");
    /* 2025-11-02 01:30 happens twice: the later one (EST) wins, as fold=1. */
    CHECK_STR(iso(tz_local_to_utc(ny, at("2025-11-02T01:30:00Z"))), "2025-11-02T06:30:00+00:00");
    CHECK_STR(iso(tz_local_to_utc(ny, at("2025-06-01T12:00:00Z"))), "2025-06-01T16:00:00+00:00");
    const tz_zone *berlin = tz_get("Europe/Berlin", &err);
    CHECK(berlin && tz_offset_at(berlin, at("2025-03-30T01:00:00Z")) == 7200);
    CHECK(berlin && tz_offset_at(berlin, at("2025-03-30T00:59:59Z")) == 3600);
    CHECK(tz_get("Mars/Olympus_Mons", &err) == NULL);
    CHECK_CONTAINS(mlerr_message(&err), "unknown time zone 'Mars/Olympus_Mons'");
    mlerr_clear(&err);
    CHECK(tz_get("../../etc/passwd", &err) == NULL);
    mlerr_clear(&err);
}

static int64_t next_of(const char *expr, const char *from)
{
    cron_expr c;
    mlerr err = MLERR_INIT;
    int64_t t = -1;
    if (cron_parse(expr, &c, &err))
        cron_next(&c, at(from), &t);
    mlerr_clear(&err);
    return t;
}

static void check_cron_error(const char *expr, const char *want)
{
    cron_expr c;
    mlerr err = MLERR_INIT;
    CHECK(!cron_parse(expr, &c, &err));
    CHECK_CONTAINS(mlerr_message(&err), want);
    mlerr_clear(&err);
}

TEST(cron_matches_croniter)
{
    CHECK_STR(iso(next_of("*/15 * * * *", "2025-01-01T00:00:00Z")), "2025-01-01T00:15:00+00:00");
    CHECK_STR(iso(next_of("*/15 * * * *", "2025-01-01T00:14:59Z")), "2025-01-01T00:15:00+00:00");
    CHECK_STR(iso(next_of("0 0 29 2 *", "2025-01-01T00:00:00Z")), "2028-02-29T00:00:00+00:00");
    /* Both day fields restricted: either matches (the 13th, or a Friday). */
    CHECK_STR(iso(next_of("0 0 13 * fri", "2025-01-01T00:00:00Z")), "2025-01-03T00:00:00+00:00");
    CHECK_STR(iso(next_of("0 0 13 * FRI", "2025-01-04T00:00:00Z")), "2025-01-10T00:00:00+00:00");
    CHECK_STR(iso(next_of("0 0 * * 7", "2025-01-01T00:00:00Z")), "2025-01-05T00:00:00+00:00");
    CHECK_STR(iso(next_of("0 9 * jan-mar mon-fri", "2025-03-31T10:00:00Z")),
              "2026-01-01T09:00:00+00:00");
    CHECK_STR(iso(next_of("@quarterly", "2025-01-01T00:00:00Z")), "2025-04-01T00:00:00+00:00");
    CHECK_STR(iso(next_of("@weekly", "2025-01-01T00:00:00Z")), "2025-01-05T00:00:00+00:00");
    cron_expr c;
    mlerr err = MLERR_INIT;
    int64_t t = 0;
    CHECK(cron_parse("0 0 29 2 *", &c, &err) && cron_prev(&c, at("2025-01-01T00:00:00Z"), &t));
    CHECK_STR(iso(t), "2024-02-29T00:00:00+00:00");
    /* Airflow's every-hour test sees croniter's expansion of the hour field. */
    CHECK(cron_parse("0 * * * *", &c, &err) && c.every_hour);
    CHECK(cron_parse("0 0-23 * * *", &c, &err) && c.every_hour);
    CHECK(cron_parse("0 */1 * * *", &c, &err) && c.every_hour);
    CHECK(cron_parse("0 *,5 * * *", &c, &err) && !c.every_hour);
    CHECK(cron_parse("0 */2 * * *", &c, &err) && !c.every_hour);
    check_cron_error("0 0 * *", "expected 5 fields");
    check_cron_error("0 0 0 * * *", "seconds field is not supported");
    check_cron_error("60 * * * *", "minute field takes values 0-59");
    check_cron_error("5-2 * * * *", "runs backwards");
    check_cron_error("*/0 * * * *", "step of 0");
    /* croniter's L, N#K and LN. */
    CHECK_STR(iso(next_of("0 0 L * *", "2024-02-10T00:00:00Z")), "2024-02-29T00:00:00+00:00");
    CHECK_STR(iso(next_of("0 0 25-L 2 *", "2025-02-26T12:00:00Z")), "2025-02-27T00:00:00+00:00");
    CHECK_STR(iso(next_of("0 0 * * 5#2", "2025-01-01T00:00:00Z")), "2025-01-10T00:00:00+00:00");
    CHECK_STR(iso(next_of("0 0 * * fri#2", "2025-01-11T00:00:00Z")), "2025-02-14T00:00:00+00:00");
    CHECK_STR(iso(next_of("0 0 * * L1", "2025-01-01T00:00:00Z")), "2025-01-27T00:00:00+00:00");
    /* ... where croniter ignores day-of-month. */
    CHECK_STR(iso(next_of("0 0 1 * 5#2", "2025-01-01T00:00:00Z")), "2025-01-10T00:00:00+00:00");
    check_cron_error("0 0 LW * *", "not supported");
    check_cron_error("0 0 ? * 1", "not supported yet");
    check_cron_error("0 0 * * 1,5#2", "cannot mix plain weekdays");
    check_cron_error("0 0 * * 5#6", "not a valid day-of-week");
    check_cron_error("0 0 5#2 * *", "'#' only works in the day-of-week field");
    check_cron_error("0 0 30 2 *", "never fires");
    check_cron_error("0 0 * foo *", "'foo' is not valid in the month field");
    check_cron_error("@fortnightly", "unknown schedule preset");
    check_cron_error("1,,2 * * * *", "empty");
}

static timetable tt_of(const char *schedule, const char *zone)
{
    timetable tt;
    mlerr err = MLERR_INIT;
    const tz_zone *z = tz_get(zone, &err);
    if (!z || !timetable_parse(schedule, z, &tt, &err))
        abort();
    return tt;
}

TEST(catchup_creates_every_missed_interval)
{
    timetable tt = tt_of("@daily", "UTC");
    time_restriction r = {
        .has_earliest = true, .earliest = at("2025-01-01T00:00:00Z"), .catchup = true};
    int64_t now = at("2025-01-04T00:00:00Z");
    dagrun_info info;
    data_interval last, *lastp = NULL;
    int due = 0;
    while (timetable_next_dagrun_info(&tt, lastp, &r, now, &info) && info.run_after <= now) {
        if (due == 0) {
            CHECK_STR(iso(info.interval.start), "2025-01-01T00:00:00+00:00");
            CHECK_STR(iso(info.interval.end), "2025-01-02T00:00:00+00:00");
        }
        last = info.interval;
        lastp = &last;
        due++;
    }
    CHECK(due == 3);
    CHECK_STR(iso(last.start), "2025-01-03T00:00:00+00:00");
    CHECK_STR(iso(info.interval.start), "2025-01-04T00:00:00+00:00"); /* not due yet */

    /* end_date bounds the logical dates (interval starts), as in Airflow. */
    r.has_latest = true;
    r.latest = at("2025-01-02T00:00:00Z");
    CHECK(timetable_next_dagrun_info(&tt, NULL, &r, now, &info));
    last = info.interval;
    CHECK(timetable_next_dagrun_info(&tt, &last, &r, now, &info));
    CHECK_STR(iso(info.interval.start), "2025-01-02T00:00:00+00:00");
    last = info.interval;
    CHECK(!timetable_next_dagrun_info(&tt, &last, &r, now, &info));
}

TEST(no_catchup_runs_only_the_latest_interval)
{
    timetable tt = tt_of("@daily", "UTC");
    time_restriction r = {.has_earliest = true, .earliest = at("2025-01-01T00:00:00Z")};
    dagrun_info info;
    CHECK(timetable_next_dagrun_info(&tt, NULL, &r, at("2025-01-04T10:00:00Z"), &info));
    CHECK_STR(iso(info.interval.start), "2025-01-03T00:00:00+00:00");
    CHECK_STR(iso(info.run_after), "2025-01-04T00:00:00+00:00");
    /* Exactly on a boundary: the interval that just ended. */
    CHECK(timetable_next_dagrun_info(&tt, NULL, &r, at("2025-01-04T00:00:00Z"), &info));
    CHECK_STR(iso(info.interval.start), "2025-01-03T00:00:00+00:00");
    data_interval last = info.interval;
    CHECK(timetable_next_dagrun_info(&tt, &last, &r, at("2025-01-04T10:00:00Z"), &info));
    CHECK_STR(iso(info.interval.start), "2025-01-04T00:00:00+00:00");
    CHECK(info.run_after > at("2025-01-04T10:00:00Z"));
    /* A start_date in the future wins over "latest". */
    r.earliest = at("2025-02-01T00:00:00Z");
    CHECK(timetable_next_dagrun_info(&tt, NULL, &r, at("2025-01-04T10:00:00Z"), &info));
    CHECK_STR(iso(info.interval.start), "2025-02-01T00:00:00+00:00");
}

TEST(once_null_delta_and_manual)
{
    time_restriction r = {.has_earliest = true, .earliest = at("2025-01-01T06:00:00Z")};
    int64_t now = at("2025-03-01T00:00:00Z");
    dagrun_info info;
    timetable once = tt_of("@once", "UTC");
    CHECK(timetable_next_dagrun_info(&once, NULL, &r, now, &info));
    CHECK(info.interval.start == r.earliest && info.interval.end == r.earliest);
    CHECK(!timetable_next_dagrun_info(&once, &info.interval, &r, now, &info));
    timetable none = tt_of(NULL, "UTC");
    CHECK(!timetable_next_dagrun_info(&none, NULL, &r, now, &info));
    data_interval m = timetable_manual_interval(&none, now);
    CHECK(m.start == now && m.end == now);

    timetable six = tt_of("6h", "UTC");
    r.catchup = true;
    CHECK(timetable_next_dagrun_info(&six, NULL, &r, now, &info));
    CHECK_STR(iso(info.interval.end), "2025-01-01T12:00:00+00:00");
    r.catchup = false;
    CHECK(timetable_next_dagrun_info(&six, NULL, &r, at("2025-03-01T13:00:00Z"), &info));
    CHECK_STR(iso(info.interval.start), "2025-03-01T06:00:00+00:00");
    m = timetable_manual_interval(&six, at("2025-03-01T13:00:00Z"));
    CHECK_STR(iso(m.start), "2025-03-01T07:00:00+00:00");

    /* A manual run of a cron DAG covers the last complete interval. */
    timetable daily = tt_of("@daily", "UTC");
    m = timetable_manual_interval(&daily, at("2025-01-25T01:00:00Z"));
    CHECK_STR(iso(m.start), "2025-01-24T00:00:00+00:00");
    CHECK_STR(iso(m.end), "2025-01-25T00:00:00+00:00");
}

TEST(daily_in_berlin_across_dst)
{
    timetable tt = tt_of("@daily", "Europe/Berlin");
    time_restriction r = {
        .has_earliest = true, .earliest = at("2025-03-29T00:00:00+01:00"), .catchup = true};
    dagrun_info info;
    CHECK(timetable_next_dagrun_info(&tt, NULL, &r, at("2025-04-01T00:00:00Z"), &info));
    CHECK_STR(iso(info.interval.start), "2025-03-28T23:00:00+00:00");
    data_interval last = info.interval;
    CHECK(timetable_next_dagrun_info(&tt, &last, &r, at("2025-04-01T00:00:00Z"), &info));
    /* The 30th has 23 hours: midnight to midnight local. */
    CHECK_STR(iso(info.interval.start), "2025-03-29T23:00:00+00:00");
    CHECK_STR(iso(info.interval.end), "2025-03-30T22:00:00+00:00");
}

TEST(durations)
{
    int64_t s;
    CHECK(duration_parse("300", &s) && s == 300);
    CHECK(duration_parse("5m", &s) && s == 300);
    CHECK(duration_parse("1h30m", &s) && s == 5400);
    CHECK(duration_parse("2d", &s) && s == 172800);
    CHECK(duration_parse("00:05:00", &s) && s == 300);
    CHECK(duration_parse("1:30:00", &s) && s == 5400);
    CHECK(!duration_parse("1h30", &s));
    CHECK(!duration_parse("", &s));
    CHECK(!duration_parse("5 minutes", &s));
    CHECK(!duration_parse("-5m", &s));
    timetable tt;
    mlerr err = MLERR_INIT;
    CHECK(!timetable_parse("30x", NULL, &tt, &err));
    CHECK_CONTAINS(mlerr_message(&err), "bad schedule interval '30x'");
    mlerr_clear(&err);
}

int main(void)
{
    RUN(civil_round_trips);
    RUN(zones_resolve_gaps_and_overlaps);
    RUN(cron_matches_croniter);
    RUN(catchup_creates_every_missed_interval);
    RUN(no_catchup_runs_only_the_latest_interval);
    RUN(once_null_delta_and_manual);
    RUN(daily_in_berlin_across_dst);
    RUN(durations);
    tz_cache_clear();
    return CHECK_DONE();
}
