/* dagrun_plan: readiness, state propagation and limits for one run (see
 * dagrun_plan.h).  Works on a topological order (Kahn's algorithm) so
 * propagation reaches every descendant in one pass. */
#include "sched/dagrun_plan.h"

#include <stdlib.h>
#include <string.h>

typedef struct ranked {
    size_t index;
    size_t weight;
} ranked;

static int by_priority(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

void dagrun_plan_make(arena *a, const plan_task *tasks, size_t n, int max_active_tasks,
                      int free_slots, double now, dagrun_plan *out)
{
    memset(out, 0, sizeof *out);
    size_t alloc = n ? n : 1;
    out->to_start = ARENA_NEW_ARRAY(a, size_t, alloc);
    out->to_upstream_failed = ARENA_NEW_ARRAY(a, size_t, alloc);
    out->to_skip = ARENA_NEW_ARRAY(a, size_t, alloc);

    /* Downstream adjacency and a topological order. */
    size_t *indegree = ARENA_NEW_ARRAY(a, size_t, alloc);
    size_t *down_count = ARENA_NEW_ARRAY(a, size_t, alloc + 1);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < tasks[i].nupstream; k++) {
            down_count[tasks[i].upstream[k]]++;
            indegree[i]++;
        }
    size_t *down_start = ARENA_NEW_ARRAY(a, size_t, alloc + 1);
    for (size_t i = 0; i < n; i++)
        down_start[i + 1] = down_start[i] + down_count[i];
    size_t *down = ARENA_NEW_ARRAY(a, size_t, down_start[n] ? down_start[n] : 1);
    size_t *fill = ARENA_NEW_ARRAY(a, size_t, alloc);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < tasks[i].nupstream; k++) {
            size_t u = tasks[i].upstream[k];
            down[down_start[u] + fill[u]++] = i;
        }
    size_t *order = ARENA_NEW_ARRAY(a, size_t, alloc);
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < n; i++)
        if (indegree[i] == 0)
            order[tail++] = i;
    while (head < tail) {
        size_t u = order[head++];
        for (size_t k = down_start[u]; k < down_start[u + 1]; k++)
            if (--indegree[down[k]] == 0)
                order[tail++] = down[k];
    }
    bool cyclic = tail < n;

    /* Effective states after propagation, in topological order. */
    ti_state *state = ARENA_NEW_ARRAY(a, ti_state, alloc);
    for (size_t i = 0; i < n; i++)
        state[i] = tasks[i].state;
    bool *ready = ARENA_NEW_ARRAY(a, bool, alloc);
    for (size_t o = 0; o < tail; o++) {
        size_t i = order[o];
        bool all_success = true, any_failed = false, any_skipped = false;
        for (size_t k = 0; k < tasks[i].nupstream; k++) {
            ti_state us = state[tasks[i].upstream[k]];
            all_success = all_success && us == TI_SUCCESS;
            any_failed = any_failed || us == TI_FAILED || us == TI_UPSTREAM_FAILED;
            any_skipped = any_skipped || us == TI_SKIPPED;
        }
        bool waiting = state[i] == TI_NONE || state[i] == TI_SCHEDULED;
        if (waiting && any_failed) {
            state[i] = TI_UPSTREAM_FAILED;
            out->to_upstream_failed[out->nupstream_failed++] = i;
        } else if (waiting && any_skipped) {
            state[i] = TI_SKIPPED;
            out->to_skip[out->nskip++] = i;
        } else if (waiting && all_success) {
            ready[i] = true;
        } else if (state[i] == TI_UP_FOR_RETRY) {
            if (tasks[i].next_retry_at <= now)
                ready[i] = true;
            else if (!out->next_wake_at || tasks[i].next_retry_at < out->next_wake_at)
                out->next_wake_at = tasks[i].next_retry_at;
        }
    }

    /* Priority weight: the task and its descendants (Airflow's "downstream"
     * rule), counted over the reversed topological order.  Descendants
     * reached by two paths count once per path, an upper bound that orders
     * tasks the same way for dbt's graphs; it is only a tie-breaker. */
    size_t *weight = ARENA_NEW_ARRAY(a, size_t, alloc);
    for (size_t o = tail; o-- > 0;) {
        size_t u = order[o];
        weight[u] = 1;
        for (size_t k = down_start[u]; k < down_start[u + 1]; k++)
            weight[u] += weight[down[k]];
    }

    size_t active = 0, nready = 0, unfinished = 0;
    for (size_t i = 0; i < n; i++) {
        active += state[i] == TI_QUEUED || state[i] == TI_RUNNING;
        nready += ready[i];
        unfinished += !ti_state_finished(state[i]);
    }
    ranked *candidates = ARENA_NEW_ARRAY(a, ranked, alloc);
    size_t ncand = 0;
    for (size_t i = 0; i < n; i++)
        if (ready[i])
            candidates[ncand++] = (ranked){i, weight[i]};
    qsort(candidates, ncand, sizeof *candidates, by_priority);
    long room = (long)max_active_tasks - (long)active;
    if (room > free_slots)
        room = free_slots;
    for (size_t c = 0; c < ncand && (long)out->nstart < room; c++)
        out->to_start[out->nstart++] = candidates[c].index;

    if (unfinished == 0) {
        out->finished = true;
        for (size_t i = 0; i < n; i++)
            if (down_start[i + 1] == down_start[i] &&
                (state[i] == TI_FAILED || state[i] == TI_UPSTREAM_FAILED))
                out->failed = true;
    } else if (cyclic || (active == 0 && nready == 0 && out->next_wake_at == 0)) {
        out->finished = out->deadlocked = out->failed = true;
    }
}
