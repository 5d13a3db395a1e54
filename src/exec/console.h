/* console: the lines dbt prints while it runs a project, character for
 * character (dbt 1.8's format_fancy_output_line: an 80-column dot-filled
 * message, then "[STATUS in 0.02s]"), so logs and the tools that scrape
 * them read the same.
 *
 *   1 of 5 START sql view model main.stg_orders .......................... [RUN]
 *   1 of 5 OK created sql view model main.stg_orders ..................... [OK in 0.02s]
 *   2 of 5 OK loaded seed file main.raw_orders ........................... [INSERT 12 in 0.10s]
 *   3 of 5 FAIL 2 not_null_orders_id ..................................... [FAIL 2 in 0.01s]
 *   4 of 5 SKIP relation main.orders ..................................... [SKIP]
 *
 * The builders return arena strings without the timestamp (log_info adds
 * it); colour codes are included only when `color` is set. */
#ifndef MALLARD_EXEC_CONSOLE_H
#define MALLARD_EXEC_CONSOLE_H

#include "exec/result.h"
#include "util/arena.h"

#include <stdbool.h>

/* dbt's description of a node: "sql view model main.orders", "seed file
 * main.raw", "test not_null_orders_id" (schema.alias as dbt displays it,
 * without the database). */
const char *console_describe(arena *a, const pnode *n);

/* format_fancy_output_line: index/total (0 total leaves them out), the
 * message dot-filled to 80 columns, then " [status]" or " [status in
 * 1.23s]" when seconds >= 0. */
const char *console_fancy_line(arena *a, const char *msg, const char *status, int index, int total,
                               double seconds);

const char *console_start_line(arena *a, const pnode *n, int index, int total, bool color);
/* The result line for a finished or skipped node. */
const char *console_result_line(arena *a, const exec_result *r, int index, int total, bool color);

/* "3 view models, 1 table model, 2 seeds, 5 data tests" in the order the
 * kinds first appear in results. */
const char *console_stat_line(arena *a, const exec_result *results, int n);
/* "Finished running <stat line> in 0 hours 0 minutes and 1.23 seconds (1.23s)." */
const char *console_finished_line(arena *a, const exec_result *results, int n, double seconds);
/* "Completed successfully", "Completed with 1 error and 0 warnings:",
 * "Completed with 2 warnings:" or "Exited because of keyboard interrupt". */
const char *console_end_summary(arena *a, const exec_result *results, int n, bool interrupted,
                                bool color);
/* "Done. PASS=3 WARN=0 ERROR=1 SKIP=2 TOTAL=6" */
const char *console_done_line(arena *a, const exec_result *results, int n);

/* Prints the end of a run as dbt does: a blank line, Finished running...,
 * a blank line, the summary, each error and warning with its message, and
 * the Done line. */
void console_print_run_end(const exec_result *results, int n, double seconds, bool interrupted);

#endif
