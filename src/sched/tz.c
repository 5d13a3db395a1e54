/* tz: TZif (RFC 8536) reader, POSIX TZ rule evaluation and the process-wide
 * zone cache.  Only the cache is mutable shared state; tz_cache_lock guards
 * it.  Leap-second ("right/") zones are refused: cron and Airflow count POSIX
 * seconds. */
#include "sched/tz.h"

#include "sched/civil.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* When a POSIX rule switches: Mm.w.d (month, week 1-5, weekday), Jn (day
 * 1-365 never counting Feb 29) or n (day 0-365 counting it), plus the local
 * time of day of the switch (may be negative or beyond 24h). */
typedef struct {
    char kind; /* 'M', 'J' or 'n' */
    int month, week, weekday, day;
    int32_t time;
} posix_date;

typedef struct {
    int32_t std_offset, dst_offset; /* seconds east */
    bool has_dst;
    posix_date start, end;
} posix_rule;

struct tz_zone {
    char *name;
    size_t ntrans;
    int64_t *trans;      /* UTC instants of transitions, ascending */
    int32_t *trans_off;  /* offset in effect from trans[i] on */
    int32_t initial_off; /* before the first transition */
    bool has_rule;       /* footer rule applies after the last transition */
    posix_rule rule;
    tz_zone *next; /* cache list */
};

static pthread_mutex_t tz_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static tz_zone *tz_cache;

/* --- POSIX TZ strings ----------------------------------------------------- */

static bool posix_name(const char **p)
{
    const char *s = *p;
    if (*s == '<') {
        while (*s && *s != '>')
            s++;
        if (*s != '>')
            return false;
        *p = s + 1;
        return true;
    }
    const char *start = s;
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
        s++;
    if (s - start < 3)
        return false;
    *p = s;
    return true;
}

/* [+-]h[h][:mm[:ss]] -> seconds (sign as written). */
static bool posix_hms(const char **p, int32_t *out)
{
    const char *s = *p;
    int sign = 1;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    if (*s < '0' || *s > '9')
        return false;
    int32_t h = 0, m = 0, sec = 0;
    while (*s >= '0' && *s <= '9')
        h = h * 10 + (*s++ - '0');
    if (*s == ':') {
        s++;
        m = (int32_t)strtol(s, (char **)&s, 10);
        if (*s == ':') {
            s++;
            sec = (int32_t)strtol(s, (char **)&s, 10);
        }
    }
    *out = sign * (h * 3600 + m * 60 + sec);
    *p = s;
    return true;
}

static bool posix_date_parse(const char **p, posix_date *d)
{
    const char *s = *p;
    memset(d, 0, sizeof *d);
    if (*s == 'M') {
        d->kind = 'M';
        s++;
        d->month = (int)strtol(s, (char **)&s, 10);
        if (*s++ != '.')
            return false;
        d->week = (int)strtol(s, (char **)&s, 10);
        if (*s++ != '.')
            return false;
        d->weekday = (int)strtol(s, (char **)&s, 10);
        if (d->month < 1 || d->month > 12 || d->week < 1 || d->week > 5 || d->weekday < 0 ||
            d->weekday > 6)
            return false;
    } else if (*s == 'J') {
        d->kind = 'J';
        s++;
        d->day = (int)strtol(s, (char **)&s, 10);
        if (d->day < 1 || d->day > 365)
            return false;
    } else if (*s >= '0' && *s <= '9') {
        d->kind = 'n';
        d->day = (int)strtol(s, (char **)&s, 10);
        if (d->day > 365)
            return false;
    } else {
        return false;
    }
    d->time = 7200;
    if (*s == '/') {
        s++;
        if (!posix_hms(&s, &d->time))
            return false;
    }
    *p = s;
    return true;
}

static bool posix_rule_parse(const char *text, posix_rule *r)
{
    const char *p = text;
    int32_t west;
    memset(r, 0, sizeof *r);
    if (!posix_name(&p) || !posix_hms(&p, &west))
        return false;
    r->std_offset = -west;
    if (!*p)
        return true;
    if (!posix_name(&p))
        return false;
    r->has_dst = true;
    r->dst_offset = r->std_offset + 3600;
    if (*p && *p != ',') {
        if (!posix_hms(&p, &west))
            return false;
        r->dst_offset = -west;
    }
    /* A DST zone without rules has no defined switch dates. */
    if (*p++ != ',' || !posix_date_parse(&p, &r->start) || *p++ != ',' ||
        !posix_date_parse(&p, &r->end) || *p)
        return false;
    return true;
}

/* The wall-clock second (naive seconds) at which d happens in year. */
static int64_t posix_date_local(const posix_date *d, int year)
{
    int64_t day;
    if (d->kind == 'M') {
        int64_t first = civil_days_from_date(year, d->month, 1);
        int wd = civil_weekday(first);
        int64_t day_of = first + (d->weekday - wd + 7) % 7 + 7 * (d->week - 1);
        int dim = civil_days_in_month(year, d->month);
        while (day_of >= first + dim)
            day_of -= 7;
        day = day_of;
    } else if (d->kind == 'J') {
        int n = d->day - 1;
        if (civil_is_leap(year) && d->day >= 60)
            n++;
        day = civil_days_from_date(year, 1, 1) + n;
    } else {
        day = civil_days_from_date(year, 1, 1) + d->day;
    }
    return day * 86400 + d->time;
}

static int32_t posix_rule_offset(const posix_rule *r, int64_t utc)
{
    if (!r->has_dst)
        return r->std_offset;
    int y, m, d;
    civil_date_from_days(civil_floor_div(utc + r->std_offset, 86400), &y, &m, &d);
    /* The start is given in standard time, the end in daylight time. */
    int64_t start = posix_date_local(&r->start, y) - r->std_offset;
    int64_t end = posix_date_local(&r->end, y) - r->dst_offset;
    bool dst = start < end ? (utc >= start && utc < end) : !(utc >= end && utc < start);
    return dst ? r->dst_offset : r->std_offset;
}

/* --- TZif ----------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct {
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_counts;

static bool tzif_header(const unsigned char *p, size_t len, tzif_counts *c, int *version)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0)
        return false;
    *version = p[4] ? p[4] - '0' : 1;
    c->isutcnt = be32(p + 20);
    c->isstdcnt = be32(p + 24);
    c->leapcnt = be32(p + 28);
    c->timecnt = be32(p + 32);
    c->typecnt = be32(p + 36);
    c->charcnt = be32(p + 40);
    return c->typecnt > 0 && c->typecnt < 256 && c->timecnt < 100000 && c->charcnt < 100000;
}

static size_t tzif_block_size(const tzif_counts *c, int timesize)
{
    return (size_t)c->timecnt * timesize + c->timecnt + (size_t)c->typecnt * 6 + c->charcnt +
           (size_t)c->leapcnt * (timesize + 4) + c->isstdcnt + c->isutcnt;
}

static bool tzif_parse(tz_zone *z, const unsigned char *data, size_t len, const char *path,
                       mlerr *err)
{
    tzif_counts c;
    int version;
    if (!tzif_header(data, len, &c, &version)) {
        mlerr_set(err, EXIT_SETUP, "%s: not a TZif time zone file", path);
        return false;
    }
    const unsigned char *p = data + 44;
    int timesize = 4;
    if (version >= 2) {
        size_t skip = tzif_block_size(&c, 4);
        if (44 + skip + 44 > len || !tzif_header(data + 44 + skip, len - 44 - skip, &c, &version)) {
            mlerr_set(err, EXIT_SETUP, "%s: truncated TZif time zone file", path);
            return false;
        }
        p = data + 44 + skip + 44;
        timesize = 8;
    }
    size_t block = tzif_block_size(&c, timesize);
    if ((size_t)(p - data) + block > len) {
        mlerr_set(err, EXIT_SETUP, "%s: truncated TZif time zone file", path);
        return false;
    }
    if (c.leapcnt) {
        mlerr_set(err, EXIT_SETUP,
                  "%s: time zones with leap seconds are not supported (use the zone without "
                  "the right/ prefix)",
                  path);
        return false;
    }
    const unsigned char *times = p;
    const unsigned char *idx = times + (size_t)c.timecnt * timesize;
    const unsigned char *types = idx + c.timecnt;
    z->ntrans = c.timecnt;
    z->trans = xcalloc(c.timecnt + 1, sizeof *z->trans);
    z->trans_off = xcalloc(c.timecnt + 1, sizeof *z->trans_off);
    for (uint32_t i = 0; i < c.timecnt; i++) {
        z->trans[i] = timesize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
        if (idx[i] >= c.typecnt) {
            mlerr_set(err, EXIT_SETUP, "%s: corrupt TZif time zone file", path);
            return false;
        }
        z->trans_off[i] = (int32_t)be32(types + 6 * idx[i]);
    }
    z->initial_off = (int32_t)be32(types);
    if (version >= 2) {
        const char *footer = (const char *)(p + block);
        const char *end = (const char *)data + len;
        if (footer < end && *footer == '\n') {
            const char *nl = memchr(footer + 1, '\n', (size_t)(end - footer - 1));
            if (nl && nl > footer + 1) {
                char *text = xstrndup(footer + 1, (size_t)(nl - footer - 1));
                z->has_rule = posix_rule_parse(text, &z->rule);
                free(text);
            }
        }
    }
    return true;
}

int32_t tz_offset_at(const tz_zone *z, int64_t utc)
{
    if (z->ntrans == 0)
        return z->has_rule ? posix_rule_offset(&z->rule, utc) : z->initial_off;
    if (utc < z->trans[0])
        return z->initial_off;
    if (utc >= z->trans[z->ntrans - 1] && z->has_rule)
        return posix_rule_offset(&z->rule, utc);
    size_t lo = 0, hi = z->ntrans; /* find the last trans <= utc */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (z->trans[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    return z->trans_off[lo];
}

int64_t tz_utc_to_local(const tz_zone *z, int64_t utc)
{
    return utc + tz_offset_at(z, utc);
}

int64_t tz_local_to_utc(const tz_zone *z, int64_t local)
{
    /* Real zones change offset at most once within two days, so the offsets a
     * day either side are the ones before and after any nearby transition. */
    int32_t before = tz_offset_at(z, local - 86400 - 14 * 3600);
    int32_t after = tz_offset_at(z, local + 86400 + 14 * 3600);
    int64_t as_before = local - before, as_after = local - after;
    bool before_ok = tz_offset_at(z, as_before) == before;
    bool after_ok = tz_offset_at(z, as_after) == after;
    if (before_ok && after_ok)
        return as_before > as_after ? as_before : as_after; /* overlap: the later one */
    if (after_ok)
        return as_after;
    /* Valid only with the earlier offset, or in a gap: reading the wall time
     * with the offset from before the gap lands after it, shifted forward. */
    return as_before;
}

static void tz_free(tz_zone *z)
{
    free(z->name);
    free(z->trans);
    free(z->trans_off);
    free(z);
}

static bool valid_zone_name(const char *name)
{
    if (!*name || name[0] == '/' || strstr(name, ".."))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              strchr("/_+-", *p)))
            return false;
    return true;
}

static tz_zone *tz_load(const char *name, mlerr *err)
{
    tz_zone *z = xcalloc(1, sizeof *z);
    z->name = xstrdup(name);
    if (!valid_zone_name(name)) {
        mlerr_set(err, EXIT_SETUP, "unknown time zone '%s'", name);
        tz_free(z);
        return NULL;
    }
    const char *dir = getenv("TZDIR");
    char *path = xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    strbuf data = STRBUF_INIT;
    mlerr ignored = MLERR_INIT;
    bool ok;
    if (!fs_is_file(path) || !fs_read_file(path, &data, &ignored)) {
        if (strcmp(name, "UTC") == 0) { /* no tz database installed: UTC still works */
            ok = true;
        } else {
            mlerr_set(err, EXIT_SETUP, "unknown time zone '%s' (no file %s)", name, path);
            mlerr_hint(err, "use an IANA name such as UTC, Europe/Berlin or America/New_York");
            ok = false;
        }
    } else {
        ok = tzif_parse(z, (const unsigned char *)data.buf, data.len, path, err);
    }
    mlerr_clear(&ignored);
    strbuf_release(&data);
    free(path);
    if (!ok) {
        tz_free(z);
        return NULL;
    }
    return z;
}

const tz_zone *tz_get(const char *name, mlerr *err)
{
    pthread_mutex_lock(&tz_cache_lock);
    tz_zone *z;
    for (z = tz_cache; z; z = z->next)
        if (strcmp(z->name, name) == 0)
            break;
    if (!z) {
        z = tz_load(name, err);
        if (z) {
            z->next = tz_cache;
            tz_cache = z;
        }
    }
    pthread_mutex_unlock(&tz_cache_lock);
    return z;
}

const char *tz_zone_name(const tz_zone *z)
{
    return z->name;
}

void tz_cache_clear(void)
{
    pthread_mutex_lock(&tz_cache_lock);
    while (tz_cache) {
        tz_zone *next = tz_cache->next;
        tz_free(tz_cache);
        tz_cache = next;
    }
    pthread_mutex_unlock(&tz_cache_lock);
}
