/* session: one execution of a work plan against one database -- what
 * `mallard build/run/seed/test` call once they have loaded, selected and
 * (optionally) compiled the project.
 *
 * It ties the pieces of this layer together: a runner over the plan's
 * graph, one DuckDB connection per worker thread (opened and closed on that
 * thread), each item executed by its kind (materialize.h, seed.h,
 * datatest.h), dbt's console lines with "N of M" numbered in start order,
 * SKIP lines for nodes below a failure, and the results for the end
 * summary and run_results.json.
 *
 * Compilation.  A model's SQL can depend on the database (is_incremental()
 * asks whether the table exists), so the compile hook, when given, runs on
 * the worker right before the node executes, with that worker's
 * connection.  Without a hook the node's compiled_code is used as is.
 *
 * Cancelling.  exec_session_cancel (from a sigwatch callback, say) stops
 * handing out nodes, interrupts the running statements through DuckDB and
 * marks the rest skipped; a table swap interrupted mid-way rolls back, so
 * no relation is left half-replaced.  The end summary and run_results.json
 * are still written, and the report's exit code is 2. */
#ifndef MALLARD_EXEC_SESSION_H
#define MALLARD_EXEC_SESSION_H

#include "engine/database.h"
#include "exec/materialize.h"
#include "exec/result.h"
#include "exec/workplan.h"
#include "project/graph.h"
#include "util/arena.h"
#include "util/error.h"

/* Compiles one node on the worker's thread, with that worker's connection:
 * sets *sql (models and tests; arena) and fills the rendered hooks (models
 * and seeds).  False (with err) makes the node an ERROR.  Without a hook,
 * compiled_code is used and hooks come from config as plain SQL. */
typedef bool (*exec_compile_fn)(void *ctx, const pnode *n, db_conn *c, arena *a, const char **sql,
                                mat_hooks *hooks, mlerr *err);

/* Renders the project's on-run-start hooks (at_end false, no results) or
 * on-run-end hooks (with the run's results) into SQL appended to out (arena
 * a), on the connection c the hooks will run on. */
typedef bool (*exec_run_hooks_fn)(void *ctx, bool at_end, const exec_result *results, int n,
                                  db_conn *c, arena *a, sql_list *out, mlerr *err);

typedef struct exec_options {
    const char *which; /* "build", "run", "seed", "test": for run_results args */
    int threads;
    bool fail_fast;
    bool full_refresh;
    bool store_failures;
    mat_exec_opts mat; /* retries and backoff; full_refresh is copied in */
    exec_compile_fn compile;
    void *compile_ctx;
    /* On-run-start / on-run-end SQL, run on the calling thread's own
     * connection before and after the nodes: these lists as they are, then
     * what run_hooks renders (with compile_ctx), if given. */
    sql_list on_run_start, on_run_end;
    exec_run_hooks_fn run_hooks;
    bool quiet;             /* no console lines (tests) */
    bool write_run_results; /* write <target>/run_results.json at the end */
    bool write_run_sql;     /* write each node's main statement to <target>/run/ (run_sql.h) */
} exec_options;

typedef struct exec_report {
    exec_result *results; /* in completion order, as dbt lists them */
    int n;
    double elapsed;
    bool interrupted;
    int exit_code; /* 0 ok, 1 a node failed, 2 interrupted or setup failure */
} exec_report;

typedef struct exec_session exec_session;

exec_session *exec_session_new(const project *p, const work_plan *w, db *d, const exec_options *o);
/* Runs every item; the report is allocated in a.  False only for a setup
 * failure (a worker could not connect, a hook failed): err says why and the
 * report still lists what happened. */
bool exec_session_run(exec_session *s, arena *a, exec_report *out, mlerr *err);
/* Safe from any thread while exec_session_run is in progress. */
void exec_session_cancel(exec_session *s);
void exec_session_free(exec_session *s);

#endif
