/* materialize: a model's materialization as the SQL statements that build
 * it, following dbt-duckdb's semantics, and the executor that runs them on
 * one connection.
 *
 *   view         create or replace view; an existing TABLE of that name is
 *                dropped and the view created in one transaction.
 *   table        build "<name>__dbt_tmp", then in the same transaction
 *                rename the old relation to "<name>__dbt_backup" and the new
 *                one in; commit; drop the backup.  Until the commit nothing
 *                is visible, so a failure or a kill leaves the old table.
 *   incremental  first run, an existing view, or full refresh: as table.
 *                Otherwise the SQL goes into a temporary table (per
 *                connection, so workers never collide), then in one
 *                transaction: on_schema_change, then the strategy
 *                (append, delete+insert (default), merge).
 *   ephemeral    nothing runs: consumers inline it as a CTE.
 *
 * Planning is pure (mat_plan_*: inputs in, statements out) so tests can
 * read the SQL; mat_execute probes the catalog, plans and runs, retrying a
 * transaction conflict a bounded number of times with backoff. */
#ifndef MALLARD_EXEC_MATERIALIZE_H
#define MALLARD_EXEC_MATERIALIZE_H

#include "exec/relation.h"
#include "jinja/value.h"
#include "project/graph.h"
#include "util/arena.h"
#include "util/error.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum mat_kind {
    MAT_VIEW,
    MAT_TABLE,
    MAT_INCREMENTAL,
    MAT_EPHEMERAL,
} mat_kind;

typedef enum mat_strategy {
    MAT_DELETE_INSERT = 0, /* dbt-duckdb's default */
    MAT_APPEND,
    MAT_MERGE,
} mat_strategy;

typedef enum mat_schema_change {
    MAT_OSC_IGNORE = 0,
    MAT_OSC_FAIL,
    MAT_OSC_APPEND_NEW_COLUMNS,
    MAT_OSC_SYNC_ALL_COLUMNS,
} mat_schema_change;

/* A list of SQL strings (owned by whoever built them: an arena). */
typedef struct sql_list {
    const char **items;
    size_t n, cap;
} sql_list;

void sql_list_add(arena *a, sql_list *l, const char *sql);

/* A node's rendered hooks, split as dbt splits them: hooks configured with
 * transaction: false run outside the transaction (before it begins and
 * after it commits), the rest inside it, around the main statement. */
typedef struct mat_hooks {
    sql_list pre, post;
    sql_list pre_outside, post_outside;
} mat_hooks;

/* Everything a materialization needs to know about one model. */
typedef struct mat_model {
    const char *name; /* for messages: the node's name */
    mat_kind kind;
    relation target;
    const char *sql; /* the compiled SELECT */
    mat_hooks hooks;
    /* incremental only */
    mat_strategy strategy;
    const char *const *unique_key; /* column names or expressions, as written */
    size_t n_unique_key;
    bool unique_key_is_list;       /* a list (even of one) takes dbt's "using" form */
    const char *const *predicates; /* incremental_predicates */
    size_t n_predicates;
    mat_schema_change on_schema_change;
    int full_refresh_config; /* config full_refresh: -1 unset, 0 false, 1 true */
} mat_model;

/* dbt's should_full_refresh(): the config wins over the flag when set. */
bool mat_should_full_refresh(const mat_model *m, bool full_refresh_flag);

/* Fills m from a node's resolved config (materialized, incremental_strategy,
 * unique_key, incremental_predicates, on_schema_change, full_refresh) and
 * names (database, schema, alias).  A value of the wrong type or an unknown
 * strategy is an error naming the node's file.  Hooks are left empty: they
 * are rendered at run time by the caller (see mat_hooks_from_config). */
bool mat_model_from_node(const pnode *n, const char *compiled_sql, arena *a, mat_model *m,
                         mlerr *err);

/* Turns one hook's text into the SQL to run; *sql NULL means nothing to run. */
typedef bool (*mat_hook_text_fn)(void *ctx, const pnode *n, const char *key, const char *text,
                                 arena *a, const char **sql, mlerr *err);
/* Walks a node's config[key] ("pre-hook"/"post-hook": a string, a list, or
 * {sql, transaction} dicts) as dbt does, turning each hook's text into SQL
 * with fn and splitting it by `transaction` into inside and outside. */
bool mat_hooks_collect(const pnode *n, const char *key, mat_hook_text_fn fn, void *ctx, arena *a,
                       sql_list *inside, sql_list *outside, mlerr *err);

/* A node's pre-hook/post-hook config as plain SQL, for callers that do not
 * render them: a hook with Jinja in it is an error ("not supported yet")
 * rather than sent raw. */
bool mat_hooks_from_config(const pnode *n, arena *a, mat_hooks *out, mlerr *err);

/* The statements of one materialization step. */
typedef struct mat_plan {
    const char *create_schema; /* "create schema if not exists ...", or NULL */
    sql_list before;           /* autocommit, before the transaction (leftover drops, schema) */
    sql_list txn;              /* one transaction */
    sql_list after;            /* autocommit, after the commit (drop the backup) */
    sql_list on_failure;       /* best effort after a rollback (drop temporary tables) */
    int main;                  /* index in txn of dbt's "main" statement, or -1 */
    int main_first;            /* where dbt's "main" block starts in txn when it is more than main
                                * itself (delete+insert's delete), else -1 */
} mat_plan;

/* The pure planners.  `existing` is what the catalog holds under the
 * target's name. */
void mat_plan_view(arena *a, const mat_model *m, relation_kind existing, mat_plan *out);
void mat_plan_table(arena *a, const mat_model *m, relation_kind existing, mat_plan *out);
/* The incremental model's first step: a full build (returns true: the plan
 * is complete) or staging into the temporary relation (returns false: the
 * plan creates it inside its transaction, and mat_plan_incremental_apply
 * adds the rest once its columns are known). */
bool mat_plan_incremental_build(arena *a, const mat_model *m, relation_kind existing,
                                bool full_refresh_flag, mat_plan *out);
/* The temporary relation incremental staging uses: "<name>__dbt_tmp" in
 * DuckDB's temp catalog. */
relation mat_incremental_temp(arena *a, const mat_model *m);
/* on_schema_change and the strategy's statements, appended to out->txn.
 * False (with err) for on_schema_change=fail when the schemas differ, or
 * when the strategy's inputs are unusable. */
bool mat_plan_incremental_apply(arena *a, const mat_model *m, const column_list *target_cols,
                                const column_list *temp_cols, mat_plan *out, mlerr *err);

/* --- execution ------------------------------------------------------------ */

typedef struct mat_exec_opts {
    bool full_refresh; /* --full-refresh */
    int max_retries;   /* transaction conflicts; 0 picks 5 */
    int backoff_ms;    /* first retry's delay, doubling; 0 picks 20 */
    /* The caller created every schema up front (as a session does): skip
     * the plans' "create schema if not exists", which collides in DuckDB's
     * catalog when workers run it at once. */
    bool schemas_exist;
    /* Set (from any thread) to stop between statements: DuckDB's interrupt
     * only reaches a statement that is running, so a cancel that lands
     * between two statements is caught here.  NULL: never. */
    const atomic_bool *cancelled;
    /* Where to copy the main block's SQL (mat_result.main_sql, for
     * target/run/); NULL: not kept. */
    arena *keep_main;
} mat_exec_opts;

mat_exec_opts mat_exec_defaults(void);

typedef struct mat_result {
    long long rows_affected; /* of the main statement, -1 if unknown */
    int retries;             /* transaction conflicts retried */
    bool full_refresh;       /* incremental: it was (re)built whole */
    const char *message;     /* dbt's adapter response message: "OK" (static) */
    /* dbt's "main" block as it was sent (statements joined by ";\n\n"), in
     * o->keep_main; NULL when not kept or it was never reached. */
    const char *main_sql;
} mat_result;

/* Runs a plan on c: create_schema (unless o->schemas_exist), before,
 * BEGIN + txn + COMMIT (ROLLBACK and on_failure on error), after.  A transaction conflict is
 * retried up to max_retries times with doubling backoff, each retry logged. */
bool mat_run_plan(db_conn *c, const char *node_name, const mat_plan *p, const mat_exec_opts *o,
                  mat_result *res, mlerr *err);

/* Probes, plans and runs the model on c.  Ephemeral models do nothing.
 * Errors carry DuckDB's text and exit code 1 (a handled node failure). */
bool mat_execute(db_conn *c, const mat_model *m, const mat_exec_opts *o, mat_result *res,
                 mlerr *err);

#endif
