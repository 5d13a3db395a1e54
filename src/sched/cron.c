/* cron: parsing into bit sets, and the search for the next or previous
 * matching minute.  The search walks days (skipping whole months that cannot
 * match) and then hours and minutes by bit set, so it costs at most a few
 * thousand cheap steps even for sparse expressions such as Feb 29. */
#include "sched/cron.h"

#include "sched/civil.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    F_MINUTE,
    F_HOUR,
    F_DOM,
    F_MONTH,
    F_DOW
};

static const struct {
    const char *name;
    int min, max; /* max is what `*` and N/S expand to (7 for day-of-week) */
    int count;    /* distinct values that make the field `*` */
} fields[] = {
    {"minute", 0, 59, 60}, {"hour", 0, 23, 24},      {"day-of-month", 1, 31, 31},
    {"month", 1, 12, 12},  {"day-of-week", 0, 7, 7},
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const struct {
    const char *alias, *expr;
} aliases[] = {
    {"@hourly", "0 * * * *"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@weekly", "0 0 * * 0"}, {"@monthly", "0 0 1 * *"},  {"@quarterly", "0 0 1 */3 *"},
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"},
};

/* A number or (month/day-of-week only) a three-letter name; -1 if neither. */
static int field_value(int field, const char *s, size_t n)
{
    if (n == 0)
        return -1;
    bool digits = true;
    for (size_t i = 0; i < n; i++)
        digits = digits && isdigit((unsigned char)s[i]);
    if (digits) {
        if (n > 4)
            return -1;
        return atoi(s);
    }
    if (n == 3 && field == F_MONTH)
        for (int i = 0; i < 12; i++)
            if (strncasecmp(s, month_names[i], 3) == 0)
                return i + 1;
    if (n == 3 && field == F_DOW)
        for (int i = 0; i < 7; i++)
            if (strncasecmp(s, dow_names[i], 3) == 0)
                return i;
    return -1;
}

/* Parses one comma-separated item of a field into bits. */
/* What croniter adds to plain cron: L in day-of-month, and N#K / LN in
 * day-of-week. */
typedef struct cron_extras {
    bool dom_last;
    uint8_t nth[7]; /* per weekday: bit K for the Kth, bit 6 for the last */
    bool any_nth, any_plain_dow;
} cron_extras;

static bool parse_item(int field, const char *item, size_t len, uint64_t *bits, bool *star,
                       cron_extras *x, const char *text, mlerr *err)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf) {
        mlerr_set(err, EXIT_SETUP, "bad cron expression '%s': empty or overlong %s item", text,
                  fields[field].name);
        return false;
    }
    memcpy(buf, item, len);
    buf[len] = 0;
    if (strchr(buf, '?')) {
        mlerr_set(err, EXIT_SETUP,
                  "bad cron expression '%s': '?' in the %s field is not supported yet", text,
                  fields[field].name);
        return false;
    }
    if (field == F_DOW) {
        /* croniter's N#K (the Kth weekday N of the month) and LN (the last). */
        char *hash = strchr(buf, '#');
        bool last = (buf[0] == 'l' || buf[0] == 'L') && buf[1] &&
                    strspn(buf + 1, "0123456789") == strlen(buf + 1);
        if (hash || last) {
            const char *day = last ? buf + 1 : buf;
            size_t day_len = last ? strlen(day) : (size_t)(hash - buf);
            int wd = field_value(F_DOW, day, day_len);
            int k = 6;
            if (hash) {
                const char *ks = hash + 1;
                k = *ks && strspn(ks, "0123456789") == strlen(ks) && strlen(ks) < 3 ? atoi(ks) : 0;
            }
            if (wd < 0 || wd > 7 || k < 1 || (hash && k > 5)) {
                mlerr_set(err, EXIT_SETUP,
                          "bad cron expression '%s': '%s' is not a valid day-of-week (write "
                          "weekday#1 to weekday#5, or L and a weekday number)",
                          text, buf);
                return false;
            }
            x->nth[wd % 7] |= (uint8_t)(1u << k);
            x->any_nth = true;
            return true;
        }
        x->any_plain_dow = x->any_plain_dow || strcmp(buf, "*") != 0;
    }
    if (field == F_DOM && (strcmp(buf, "L") == 0 || strcmp(buf, "l") == 0)) {
        x->dom_last = true;
        return true;
    }
    if (strchr(buf, '#')) {
        mlerr_set(err, EXIT_SETUP,
                  "bad cron expression '%s': '#' only works in the day-of-week field", text);
        return false;
    }
    int lo, hi, step = 1;
    bool ranged = false;
    char *slash = strchr(buf, '/');
    if (slash) {
        *slash = 0;
        const char *s = slash + 1;
        if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 4) {
            mlerr_set(err, EXIT_SETUP, "bad cron expression '%s': bad step '%s' in the %s field",
                      text, s, fields[field].name);
            return false;
        }
        step = atoi(s);
        if (step == 0) {
            mlerr_set(err, EXIT_SETUP, "bad cron expression '%s': a step of 0 in the %s field",
                      text, fields[field].name);
            return false;
        }
        ranged = true;
    }
    if (strcmp(buf, "*") == 0) {
        lo = fields[field].min;
        hi = fields[field].max;
        if (!slash) {
            *star = true;
            return true;
        }
    } else {
        char *dash = strchr(buf, '-');
        if (dash == buf) {
            mlerr_set(err, EXIT_SETUP,
                      "bad cron expression '%s': negative numbers are not allowed (%s field)", text,
                      fields[field].name);
            return false;
        }
        if (dash) {
            lo = field_value(field, buf, (size_t)(dash - buf));
            hi = field == F_DOM && (strcmp(dash + 1, "L") == 0 || strcmp(dash + 1, "l") == 0)
                     ? 31
                     : field_value(field, dash + 1, strlen(dash + 1));
            ranged = true;
        } else {
            lo = field_value(field, buf, strlen(buf));
            hi = slash ? fields[field].max : lo;
        }
        if ((lo < 0 || hi < 0) && strpbrk(buf, "LlWwHh")) {
            mlerr_set(err, EXIT_SETUP,
                      "bad cron expression '%s': '%s' in the %s field is not supported (L works "
                      "alone in day-of-month, as N#K or LN in day-of-week; W and H not at all)",
                      text, buf, fields[field].name);
            return false;
        }
        if (lo < 0 || hi < 0) {
            mlerr_set(err, EXIT_SETUP,
                      "bad cron expression '%s': '%s' is not valid in the %s field", text, buf,
                      fields[field].name);
            return false;
        }
        if (ranged && lo > hi) {
            if (field == F_DOW && hi == 0) {
                hi = 7; /* fri-sun */
            } else {
                mlerr_set(err, EXIT_SETUP,
                          "bad cron expression '%s': range %d-%d in the %s field runs backwards",
                          text, lo, hi, fields[field].name);
                return false;
            }
        }
    }
    if (lo < fields[field].min || hi > fields[field].max) {
        mlerr_set(err, EXIT_SETUP, "bad cron expression '%s': the %s field takes values %d-%d",
                  text, fields[field].name, fields[field].min,
                  field == F_DOW ? 7 : fields[field].max);
        return false;
    }
    for (int v = lo; v <= hi; v += step)
        *bits |= 1ULL << (field == F_DOW && v == 7 ? 0 : v);
    return true;
}

static int popcount64(uint64_t v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

bool cron_parse(const char *text, cron_expr *out, mlerr *err)
{
    memset(out, 0, sizeof *out);
    const char *expr = text;
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strcasecmp(text, aliases[i].alias) == 0)
            expr = aliases[i].expr;
    if (expr[0] == '@') {
        mlerr_set(err, EXIT_SETUP, "unknown schedule preset '%s'", text);
        mlerr_hint(err, "presets are @once, @hourly, @daily, @weekly, @monthly, @quarterly, "
                        "@yearly, @annually and @midnight");
        return false;
    }
    int nfields = 0;
    for (const char *q = expr; *q; q++)
        if (!isspace((unsigned char)*q) && (q == expr || isspace((unsigned char)q[-1])))
            nfields++;
    if (nfields != 5) {
        mlerr_set(err, EXIT_SETUP,
                  "bad cron expression '%s': expected 5 fields (minute hour day-of-month month "
                  "day-of-week), got %d%s",
                  text, nfields, nfields == 6 ? "; a seconds field is not supported" : "");
        return false;
    }
    uint64_t bits[5] = {0};
    bool star[5] = {false};
    cron_extras x = {0};
    int field = 0;
    const char *p = expr;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && !isspace((unsigned char)*end))
            end++;
        const char *item = p;
        for (const char *q = p; q <= end; q++) {
            if (q == end || *q == ',') {
                if (!parse_item(field, item, (size_t)(q - item), &bits[field], &star[field], &x,
                                text, err))
                    return false;
                item = q + 1;
            }
        }
        field++;
        p = end;
    }
    /* croniter keeps a `*` item beside the listed numbers ("*,5" expands to
     * ['*', 5]), and Airflow's every-hour test compares that list with ['*'];
     * so a `*` mixed with numbers only counts as "every hour" when the
     * union has exactly 24 entries, as croniter then collapses it. */
    int hour_values = popcount64(bits[F_HOUR]);
    bool croniter_hour_star =
        star[F_HOUR] ? (hour_values == 0 || hour_values == 23) : hour_values == 24;
    if (x.any_nth && x.any_plain_dow) {
        mlerr_set(err, EXIT_SETUP,
                  "bad cron expression '%s': the day-of-week field cannot mix plain weekdays "
                  "with N#K or LN (croniter refuses it too)",
                  text);
        return false;
    }
    /* With L, croniter's day-of-month list is never just `*` unless a `*`
     * item is there too. */
    bool dom_star_item = star[F_DOM];
    for (int f = 0; f < 5; f++)
        if (star[f] || (popcount64(bits[f]) == fields[f].count && !(f == F_DOM && x.dom_last))) {
            star[f] = true;
            bits[f] = 0;
            for (int v = fields[f].min; v < fields[f].min + fields[f].count; v++)
                bits[f] |= 1ULL << v;
        }
    out->minutes = bits[F_MINUTE];
    out->hours = (uint32_t)bits[F_HOUR];
    out->days_of_month = (uint32_t)bits[F_DOM];
    out->months = (uint16_t)bits[F_MONTH];
    out->days_of_week = (uint8_t)bits[F_DOW];
    out->dom_last = x.dom_last && !dom_star_item;
    out->dom_restricted = !star[F_DOM] || out->dom_last;
    out->dow_restricted = !star[F_DOW] || x.any_nth;
    out->dow_nth = x.any_nth;
    memcpy(out->nth_weekdays, x.nth, sizeof out->nth_weekdays);
    out->every_hour = croniter_hour_star;
    /* An expression that can never fire (Feb 30) is an error now rather than
     * a scheduler that silently never runs. */
    if (out->dom_restricted && !out->dow_restricted && !out->dom_last) {
        bool possible = false;
        for (int m = 1; m <= 12 && !possible; m++)
            if (out->months & (1u << m))
                for (int d = 1; d <= civil_days_in_month(2000, m); d++)
                    possible = possible || (out->days_of_month & (1u << d));
        if (!possible) {
            mlerr_set(err, EXIT_SETUP,
                      "bad cron expression '%s': it never fires (no month has "
                      "that day)",
                      text);
            return false;
        }
    }
    return true;
}

static bool day_matches(const cron_expr *c, int64_t days)
{
    int y, m, d;
    civil_date_from_days(days, &y, &m, &d);
    if (!(c->months & (1u << m)))
        return false;
    int wd = civil_weekday(days), dim = civil_days_in_month(y, m);
    if (c->dow_nth) {
        /* croniter then ignores day-of-month altogether (its OR branch
         * keeps the N#K rule on both sides). */
        uint8_t k = c->nth_weekdays[wd];
        return ((k >> ((d - 1) / 7 + 1)) & 1) || ((k >> 6) & 1 && d + 7 > dim);
    }
    bool dom = ((c->days_of_month >> d) & 1) || (c->dom_last && d == dim);
    bool dow = (c->days_of_week >> wd) & 1;
    if (c->dom_restricted && c->dow_restricted)
        return dom || dow;
    return dom && dow;
}

bool cron_matches(const cron_expr *c, int64_t naive)
{
    int64_t days = civil_floor_div(naive, 86400);
    int64_t minute_of_day = (naive - days * 86400) / 60;
    return day_matches(c, days) && ((c->hours >> (minute_of_day / 60)) & 1) &&
           ((c->minutes >> (minute_of_day % 60)) & 1);
}

/* First matching minute of the day at or after minute_of_day, or -1. */
static int first_time_from(const cron_expr *c, int minute_of_day)
{
    for (int h = minute_of_day / 60; h < 24; h++) {
        if (!((c->hours >> h) & 1))
            continue;
        for (int m = h == minute_of_day / 60 ? minute_of_day % 60 : 0; m < 60; m++)
            if ((c->minutes >> m) & 1)
                return h * 60 + m;
    }
    return -1;
}

/* Last matching minute of the day at or before minute_of_day, or -1. */
static int last_time_until(const cron_expr *c, int minute_of_day)
{
    for (int h = minute_of_day / 60; h >= 0; h--) {
        if (!((c->hours >> h) & 1))
            continue;
        for (int m = h == minute_of_day / 60 ? minute_of_day % 60 : 59; m >= 0; m--)
            if ((c->minutes >> m) & 1)
                return h * 60 + m;
    }
    return -1;
}

enum {
    SEARCH_DAYS = 50 * 366
};

bool cron_next(const cron_expr *c, int64_t naive, int64_t *out)
{
    int64_t start = civil_floor_div(naive, 60) * 60 + 60;
    int64_t days = civil_floor_div(start, 86400);
    int minute = (int)((start - days * 86400) / 60);
    for (int64_t i = 0; i < SEARCH_DAYS; i++, days++, minute = 0) {
        int y, m, d;
        civil_date_from_days(days, &y, &m, &d);
        if (!(c->months & (1u << m))) { /* skip to the 1st of the next month */
            days += civil_days_in_month(y, m) - d;
            continue;
        }
        if (!day_matches(c, days))
            continue;
        int t = first_time_from(c, minute);
        if (t >= 0) {
            *out = days * 86400 + (int64_t)t * 60;
            return true;
        }
    }
    return false;
}

bool cron_prev(const cron_expr *c, int64_t naive, int64_t *out)
{
    int64_t last = civil_floor_div(naive - 1, 60) * 60;
    int64_t days = civil_floor_div(last, 86400);
    int minute = (int)((last - days * 86400) / 60);
    for (int64_t i = 0; i < SEARCH_DAYS; i++, days--, minute = 24 * 60 - 1) {
        int y, m, d;
        civil_date_from_days(days, &y, &m, &d);
        if (!(c->months & (1u << m))) { /* skip to the last day of the previous month */
            days -= d - 1;
            continue;
        }
        if (!day_matches(c, days))
            continue;
        int t = last_time_until(c, minute);
        if (t >= 0) {
            *out = days * 86400 + (int64_t)t * 60;
            return true;
        }
    }
    return false;
}
