/* run_results: target/run_results.json (dbt's run-results schema v6), the
 * artifact orchestrators read after a run: one entry per node with its
 * status, timing, thread, execution time, adapter response, message,
 * failures, compiled code and relation name. */
#ifndef MALLARD_EXEC_RUN_RESULTS_H
#define MALLARD_EXEC_RUN_RESULTS_H

#include "exec/result.h"
#include "jinja/value.h"
#include "util/error.h"
#include "util/strbuf.h"

/* The JSON text.  `which` (the command) and `threads` go into "args" as
 * dbt records them; NULL and 0 leave them out. */
void run_results_json(const project *p, const exec_result *results, int n, double elapsed,
                      const char *which, int threads, strbuf *out);
/* Writes <project>/<target-path>/run_results.json atomically. */
bool run_results_write(const project *p, const exec_result *results, int n, double elapsed,
                       const char *which, int threads, mlerr *err);

/* One entry of "results" (status, timing, thread_id, execution_time,
 * adapter_response, message, failures, unique_id, compiled_code...). */
jv run_results_entry(arena *a, const exec_result *r);

/* dbt's timestamp: "2026-11-29T19:40:00.123456Z". */
void run_results_timestamp(const struct timespec *t, char out[32]);

#endif
