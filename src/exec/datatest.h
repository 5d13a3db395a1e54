/* datatest: running a dbt data test -- the SQL dbt wraps around a test's
 * query, store_failures, and turning the counts into PASS/WARN/FAIL/ERROR.
 *
 * dbt runs every test as
 *
 *   select <fail_calc> as failures,
 *          <fail_calc> <warn_if> as should_warn,
 *          <fail_calc> <error_if> as should_error
 *   from (<test sql> [limit N]) dbt_internal_test
 *
 * with fail_calc count(*), warn_if and error_if "!=0" by default, and
 * classifies the one row it returns: with severity error and should_error,
 * FAIL; else with should_warn, WARN; else PASS.  A test whose SQL fails is
 * ERROR.
 *
 * `where` is not applied here: dbt applies it while compiling a generic
 * test, by replacing the tested relation with a filtered subquery
 * (test_where_subquery below); a singular test ignores it, as in dbt. */
#ifndef MALLARD_EXEC_DATATEST_H
#define MALLARD_EXEC_DATATEST_H

#include "engine/database.h"
#include "exec/materialize.h"
#include "exec/relation.h"
#include "project/graph.h"
#include "util/arena.h"
#include "util/error.h"

#include <stdbool.h>

typedef enum test_severity {
    TEST_SEVERITY_ERROR = 0,
    TEST_SEVERITY_WARN,
} test_severity;

typedef struct test_config {
    test_severity severity;
    const char *fail_calc; /* "count(*)" */
    const char *warn_if;   /* "!=0" */
    const char *error_if;  /* "!=0" */
    bool has_limit;
    long long limit;
    bool store_failures;
    relation audit; /* where failures are stored: the test's own relation,
                     * in "<target schema>_dbt_test__audit" as the project
                     * layer resolves a test's schema */
} test_config;

/* dbt's defaults (severity error, count(*), "!=0", "!=0"). */
test_config test_config_defaults(void);
/* From a test node's config: severity, warn_if, error_if, fail_calc, limit,
 * store_failures (the config wins over --store-failures when set), and the
 * audit relation from the node's database, schema and alias. */
bool test_config_from_node(const pnode *n, bool store_failures_flag, test_config *out, mlerr *err);

/* The wrapped query (arena).  main_sql is the compiled test SQL, or
 * "select * from <audit>" once failures are stored. */
const char *test_wrap_sql(arena *a, const char *main_sql, const test_config *c);
/* dbt's get_where_subquery: "(select * from <relation_sql> where <where>)
 * dbt_subquery", or relation_sql itself without a where. */
const char *test_where_subquery(arena *a, const char *relation_sql, const char *where);

typedef enum test_status {
    TEST_PASS,
    TEST_WARN,
    TEST_FAIL,
    TEST_ERROR,
} test_status;

const char *test_status_name(test_status s); /* "pass", "warn", "fail", "error" */

typedef struct test_outcome {
    test_status status;
    long long failures;    /* the failures column (0 for ERROR) */
    const char *message;   /* dbt's: "Got 3 results, configured to fail if !=0"; NULL on PASS */
    const char *stored_in; /* store_failures: the audit relation as SQL; else NULL */
    const char *main_sql;  /* the wrapped query sent (target/run/), or NULL */
} test_outcome;

/* dbt's classification of the one result row. */
void test_classify(arena *a, const test_config *c, long long failures, bool should_warn,
                   bool should_error, test_outcome *out);

/* Runs a test on conn: stores failures first when configured (dropping the
 * previous audit table, in one transaction), then the wrapped query.  A
 * database error gives TEST_ERROR with DuckDB's text as the message and
 * returns true: that is a result, not a failure to run.  False only when
 * err says the runner itself could not proceed. */
bool test_execute(db_conn *conn, const char *test_name, const char *compiled_sql,
                  const test_config *c, const mat_exec_opts *o, arena *a, test_outcome *out,
                  mlerr *err);

#endif
