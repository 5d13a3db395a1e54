/* tz: IANA time zones read from the system tz database (TZif files).
 *
 * Thread safety: the C library's zone support works through the global TZ
 * environment variable, which is neither thread-safe nor per-DAG.  Mallard
 * therefore parses /usr/share/zoneinfo/<name> (or $TZDIR/<name>) itself,
 * including the POSIX TZ footer that describes the rules after the last
 * listed transition.  A loaded zone is immutable, so any thread may use it
 * without a lock; only the process-wide cache of loaded zones is shared, and
 * it is guarded by tz_cache_lock (see tz.c). */
#ifndef MALLARD_SCHED_TZ_H
#define MALLARD_SCHED_TZ_H

#include "util/error.h"

#include <stdint.h>

typedef struct tz_zone tz_zone;

/* The zone named name ("UTC", "Europe/Berlin"), loaded once per process and
 * valid until tz_cache_clear().  NULL with an error for an unknown name. */
const tz_zone *tz_get(const char *name, mlerr *err);
const char *tz_zone_name(const tz_zone *zone);
/* Seconds east of UTC in effect at the instant utc. */
int32_t tz_offset_at(const tz_zone *zone, int64_t utc);
int64_t tz_utc_to_local(const tz_zone *zone, int64_t utc);
/* The instant of a wall-clock time, resolved as Airflow resolves it (pendulum's
 * POST_TRANSITION rule, which Airflow's make_aware selects with fold=1): a
 * time that occurs twice (clocks turned back) is the later occurrence; a time
 * that never occurs (clocks turned forward) is moved forward by the size of
 * the gap, so 02:30 on a spring-forward night in New York is 03:30 EDT. */
int64_t tz_local_to_utc(const tz_zone *zone, int64_t local);
/* Frees every loaded zone (for leak-free tests; no zone may be in use). */
void tz_cache_clear(void);

#endif
