/* retry: Airflow 2's retry delay arithmetic.  Airflow hashes the task
 * instance with SHA-1 for its jitter; any stable hash serves the same
 * purpose (spreading retries), so FNV-1a is used. */
#include "sched/retry.h"

#include <math.h>

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(1099511628211);
    }
    return h ^ '#';
}

int64_t retry_delay_seconds(const retry_policy *p, const char *dag_id, const char *task_id,
                            const char *run_id, int try_number)
{
    int64_t delay = p->retry_delay;
    if (p->exponential_backoff) {
        double min_backoff = ceil((double)p->retry_delay * pow(2.0, try_number - 1));
        const double cap = 1e12; /* keeps the arithmetic finite for huge try numbers */
        if (min_backoff > cap)
            min_backoff = cap;
        if (min_backoff < 1)
            min_backoff = 1;
        uint64_t h = fnv1a(UINT64_C(14695981039346656037), dag_id);
        h = fnv1a(h, task_id);
        h = fnv1a(h, run_id);
        h ^= (uint64_t)try_number;
        int64_t lo = (int64_t)min_backoff;
        delay = lo + (int64_t)(h % (uint64_t)lo);
    }
    if (p->max_retry_delay > 0 && delay > p->max_retry_delay)
        delay = p->max_retry_delay;
    return delay;
}

ti_state retry_after_failure(const retry_policy *p, const char *dag_id, const char *task_id,
                             const char *run_id, int try_number, int max_tries, double ended_at,
                             double *next_retry_at)
{
    *next_retry_at = 0;
    if (try_number > max_tries)
        return TI_FAILED;
    *next_retry_at = ended_at + (double)retry_delay_seconds(p, dag_id, task_id, run_id, try_number);
    return TI_UP_FOR_RETRY;
}
