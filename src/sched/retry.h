/* retry: when a failed task may run again (Airflow's next_retry_datetime).
 *
 * retry_delay after the try ended; with exponential backoff, a delay
 * between retry_delay * 2^(try-1) and twice that, picked by a hash of the
 * task instance so it is stable for a given try; never more than
 * max_retry_delay when that is set (> 0). */
#ifndef MALLARD_SCHED_RETRY_H
#define MALLARD_SCHED_RETRY_H

#include "sched/states.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct retry_policy {
    int retries;         /* max_tries */
    int64_t retry_delay; /* seconds; Airflow's default is 300 */
    bool exponential_backoff;
    int64_t max_retry_delay; /* seconds, 0 = no cap */
} retry_policy;

/* Seconds to wait after try try_number (1-based) of the task instance. */
int64_t retry_delay_seconds(const retry_policy *p, const char *dag_id, const char *task_id,
                            const char *run_id, int try_number);

/* What a failed try leads to, as Airflow's handle_failure decides: another
 * try (up_for_retry, not before *next_retry_at) while try_number <= max_tries,
 * else failed.  try_number is the try that just failed (1-based). */
ti_state retry_after_failure(const retry_policy *p, const char *dag_id, const char *task_id,
                             const char *run_id, int try_number, int max_tries, double ended_at,
                             double *next_retry_at);

#endif
