/* cron_next: the scheduler's cron and time-zone arithmetic on stdin/stdout,
 * for tests/sched/cron_diff.py to compare with croniter and Airflow.
 *
 * Each input line is one query; each output line its answer:
 *   N COUNT NAIVE EXPR    next COUNT wall-clock matches after NAIVE (seconds
 *   P COUNT NAIVE EXPR    ... or before it; croniter on naive datetimes)
 *   A ZONE COUNT UTC EXPR Airflow's _get_next applied COUNT times from the
 *   B ZONE COUNT UTC EXPR instant UTC (or _get_prev), in ZONE
 *   M ZONE UTC EXPR       Airflow's manual data interval at UTC
 * Times are integer seconds since the epoch.  Answers are space-separated
 * integers, or "ERR message" for an expression we refuse. */
#include "sched/cron.h"
#include "sched/timetable.h"
#include "sched/tz.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line per answer: the hint goes on the same line. */
static void print_error(mlerr *err)
{
    printf("ERR ");
    for (const char *p = mlerr_message(err); *p; p++)
        putchar(*p == '\n' ? ' ' : *p);
    printf("\n");
    mlerr_clear(err);
}

static void answer_naive(char mode, int count, int64_t t, const char *expr)
{
    cron_expr c;
    mlerr err = MLERR_INIT;
    if (!cron_parse(expr, &c, &err)) {
        print_error(&err);
        return;
    }
    for (int i = 0; i < count; i++) {
        bool ok = mode == 'N' ? cron_next(&c, t, &t) : cron_prev(&c, t, &t);
        if (!ok) {
            printf("%sNONE", i ? " " : "");
            break;
        }
        printf("%s%" PRId64, i ? " " : "", t);
    }
    printf("\n");
}

static void answer_zoned(char mode, const char *zone_name, int count, int64_t t, const char *expr)
{
    mlerr err = MLERR_INIT;
    const tz_zone *zone = tz_get(zone_name, &err);
    timetable tt;
    if (!zone || !timetable_parse(expr, zone, &tt, &err)) {
        print_error(&err);
        return;
    }
    if (mode == 'M') {
        data_interval di = timetable_manual_interval(&tt, t);
        printf("%" PRId64 " %" PRId64 "\n", di.start, di.end);
        return;
    }
    for (int i = 0; i < count; i++) {
        t = mode == 'A' ? timetable_get_next(&tt, t) : timetable_get_prev(&tt, t);
        printf("%s%" PRId64, i ? " " : "", t);
    }
    printf("\n");
}

int main(void)
{
    char line[1024];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        char mode = line[0], zone[128];
        int count = 1, used = 0;
        int64_t t;
        if ((mode == 'N' || mode == 'P') &&
            sscanf(line + 1, " %d %" SCNd64 " %n", &count, &t, &used) == 2) {
            answer_naive(mode, count, t, line + 1 + used);
        } else if ((mode == 'A' || mode == 'B') &&
                   sscanf(line + 1, " %127s %d %" SCNd64 " %n", zone, &count, &t, &used) == 3) {
            answer_zoned(mode, zone, count, t, line + 1 + used);
        } else if (mode == 'M' && sscanf(line + 1, " %127s %" SCNd64 " %n", zone, &t, &used) == 2) {
            answer_zoned(mode, zone, 1, t, line + 1 + used);
        } else {
            printf("ERR bad query\n");
        }
        fflush(stdout);
    }
    tz_cache_clear();
    return 0;
}
