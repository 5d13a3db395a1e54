/* result: what happened to one node in a run, in dbt's terms -- the record
 * the console lines and target/run_results.json are printed from. */
#ifndef MALLARD_EXEC_RESULT_H
#define MALLARD_EXEC_RESULT_H

#include "project/graph.h"

#include <stdbool.h>
#include <time.h>

/* dbt's NodeStatus values that a run produces. */
typedef enum exec_status {
    EXEC_SUCCESS, /* models, seeds, hooks */
    EXEC_ERROR,
    EXEC_SKIPPED,
    EXEC_PASS, /* tests */
    EXEC_WARN,
    EXEC_FAIL,
} exec_status;

/* "success", "error", "skipped", "pass", "warn", "fail" */
const char *exec_status_name(exec_status s);

typedef struct exec_timing {
    struct timespec started_at, completed_at; /* CLOCK_REALTIME; zero: not run */
} exec_timing;

typedef struct exec_result {
    const pnode *node;
    exec_status status;
    exec_timing compile, execute;
    double execution_time; /* seconds */
    int thread;            /* 0-based worker, -1 if it never ran */
    const char *message;   /* dbt's: "OK", "INSERT 3", "Got 2 results, ...", the error; or NULL */
    const char *adapter_message; /* adapter_response._message, or NULL for {} */
    long long rows_affected;     /* adapter_response.rows_affected, -1 to leave out */
    long long failures;          /* tests: the failure count; -1 for null */
    const char *compiled_code;   /* NULL when not compiled */
    const char *relation_name;   /* NULL for tests and ephemeral models */
    bool fail_fast_skip;         /* skipped because --fail-fast stopped the run */
} exec_result;

#endif
