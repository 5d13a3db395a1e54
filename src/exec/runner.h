/* runner: runs a DAG of work items on a pool of worker threads.
 *
 * The runner knows nothing about SQL or dbt: an item is an index, its
 * parents are indexes, and the caller's run() callback does the work.  It
 * owns only the scheduling:
 *
 *   - an item becomes ready when every parent succeeded; ready items wait in
 *     a priority queue ordered by the longest remaining path from the item to
 *     a sink (the critical path, weighted by optional per-item costs), so the
 *     chain that bounds the total time starts first; ties go to the lower
 *     index, which keeps single-threaded runs deterministic;
 *   - a failed item skips all of its descendants at once, while independent
 *     branches go on; with fail_fast the first failure cancels the run;
 *   - runner_cancel() (from any thread, e.g. a signal-watching thread) stops
 *     handing out work, marks every unstarted item skipped and asks each
 *     running item to stop through the interrupt() callback.
 *
 * Threads.  Each worker calls worker_start() once before its first item and
 * worker_stop() once at the end, on its own thread: that is where a worker
 * opens and closes the per-thread DuckDB connection.  All scheduling state is
 * guarded by one lock (runner->lock) with one condition variable for "work or
 * completion"; idle workers sleep on it, nothing polls. */
#ifndef MALLARD_EXEC_RUNNER_H
#define MALLARD_EXEC_RUNNER_H

#include "util/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* What run() reports.  RUNNER_FAILED skips the item's descendants; the
 * caller keeps its own finer status (PASS/WARN/FAIL/ERROR) beside it. */
typedef enum runner_outcome {
    RUNNER_OK = 0,
    RUNNER_FAILED = 1,
} runner_outcome;

typedef enum runner_status {
    RUNNER_PENDING = 0, /* not started (only seen before runner_run ends) */
    RUNNER_RUNNING,
    RUNNER_SUCCESS,
    RUNNER_FAILURE,
    RUNNER_SKIPPED,
} runner_status;

typedef enum runner_skip_reason {
    RUNNER_SKIP_NONE = 0,
    RUNNER_SKIP_UPSTREAM, /* an ancestor failed: failed_ancestor names it */
    RUNNER_SKIP_CANCEL,   /* runner_cancel() came before it started */
    RUNNER_SKIP_FAIL_FAST /* fail_fast: another item failed first */
} runner_skip_reason;

typedef struct runner_result {
    runner_status status;
    runner_skip_reason skip_reason;
    int32_t failed_ancestor;     /* RUNNER_SKIP_UPSTREAM: the failed item; else -1 */
    int worker;                  /* 0-based worker that ran it; -1 if it never ran */
    uint32_t start_order;        /* 1 for the first item started, ...; 0 if never */
    struct timespec started_at;  /* CLOCK_REALTIME, for run_results.json */
    struct timespec finished_at; /* CLOCK_REALTIME */
    double seconds;              /* CLOCK_MONOTONIC duration of run() */
} runner_result;

/* The DAG in compressed-row form: item i's parents are
 * parents[parent_start[i] .. parent_start[i+1]).  Borrowed during
 * runner_new only. */
typedef struct runner_graph {
    uint32_t n;
    const uint32_t *parent_start; /* n + 1 entries */
    const uint32_t *parents;
    /* Optional relative cost of each item (e.g. last run's seconds); NULL
     * counts every item as 1.  Used only for the critical-path priority. */
    const double *cost;
} runner_graph;

typedef struct runner_callbacks {
    void *ctx;
    /* Optional.  On the worker's thread, before its first item.  A false
     * return (with err set) cancels the run and makes runner_run fail. */
    bool (*worker_start)(void *ctx, int worker, mlerr *err);
    /* Optional.  On the worker's thread, after its last item; only for
     * workers whose worker_start succeeded. */
    void (*worker_stop)(void *ctx, int worker);
    /* Required.  Runs one item on a worker's thread. */
    runner_outcome (*run)(void *ctx, uint32_t item, int worker);
    /* Optional.  From the cancelling thread while run(item) is in progress
     * on `worker`; must be quick and must not call back into the runner
     * (the runner's lock is held, which keeps the item running meanwhile). */
    void (*interrupt)(void *ctx, uint32_t item, int worker);
    /* Optional.  Told about each skipped item (in dependency order per
     * failure), from whichever thread decided the skip, without the lock. */
    void (*skipped)(void *ctx, uint32_t item, const runner_result *result);
} runner_callbacks;

typedef struct runner_opts {
    int threads;    /* worker threads, >= 1 */
    bool fail_fast; /* the first failure cancels the rest */
} runner_opts;

typedef struct runner runner;

/* Validates the graph (parent indexes in range, no self-edge, no cycle) and
 * computes the priorities.  The error names an item in the cycle. */
bool runner_new(const runner_graph *g, runner **out, mlerr *err);
void runner_free(runner *r);

/* Runs every item and returns when all are finished or skipped.  False only
 * when the pool could not be set up (a thread or worker_start failed); the
 * results are complete either way.  A runner runs once. */
bool runner_run(runner *r, const runner_opts *opts, const runner_callbacks *cb, mlerr *err);

/* Cancels a run in progress (or the next one); safe from any thread, not
 * from a signal handler (see sigwatch.h for the bridge). */
void runner_cancel(runner *r);
bool runner_cancelled(runner *r);

const runner_result *runner_results(const runner *r);
uint32_t runner_count(const runner *r);
/* The critical-path priority of an item (its cost plus the longest chain of
 * costs below it). */
double runner_priority(const runner *r, uint32_t item);

/* Counts of terminal statuses after a run. */
typedef struct runner_summary {
    uint32_t success, failure, skipped, pending;
} runner_summary;
runner_summary runner_summarize(const runner *r);

const char *runner_status_name(runner_status s);

#endif
