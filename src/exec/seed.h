/* seed: loading a CSV seed into its table, as dbt-duckdb does it, through
 * DuckDB's own CSV reader.
 *
 * The file is read once, with explicit options (header, delimiter, '"' for
 * quote and escape, strict mode, every column as VARCHAR), into a temporary
 * staging table; a malformed file fails there, with the file and line, and
 * nothing else has been touched.  Column types are then inferred in SQL the
 * way dbt's agate type tester infers them, and the target is filled in one
 * transaction: created when missing, emptied and refilled on a re-run,
 * dropped and recreated on --full-refresh.
 *
 * Type inference (dbt's agate tester, first type that every non-null
 * value passes; "" and "null" in any case count as null):
 *   - no values at all                      -> INTEGER (agate's Integer)
 *   - integers                              -> INTEGER; BIGINT past 32 bits
 *     (dbt would declare integer and fail to load those; we widen instead)
 *   - numbers with a fractional part or an exponent -> DOUBLE (dbt: float8)
 *   - YYYY-MM-DD                            -> DATE
 *   - YYYY-MM-DD HH:MM:SS, or ISO 8601 with T (no zone) -> TIMESTAMP
 *   - true/false, any case                  -> BOOLEAN
 *   - anything else                         -> VARCHAR
 * column_types overrides a column's type by exact name, as in dbt.
 * VARCHAR columns keep the text as the CSV reader gives it (an empty field
 * is NULL, "null" stays text), like dbt-duckdb's COPY. */
#ifndef MALLARD_EXEC_SEED_H
#define MALLARD_EXEC_SEED_H

#include "exec/materialize.h"
#include "exec/relation.h"
#include "project/graph.h"
#include "util/arena.h"
#include "util/error.h"

#include <stdbool.h>

typedef struct seed_column_type {
    const char *column;
    const char *type; /* SQL type as written in column_types */
} seed_column_type;

typedef struct seed_spec {
    const char *name;
    const char *csv_path;     /* absolute, read by DuckDB */
    const char *display_path; /* for messages: the path relative to the project */
    relation target;
    char delimiter; /* ',' unless configured */
    bool quote_columns;
    const seed_column_type *column_types;
    size_t n_column_types;
    int full_refresh_config; /* -1 unset, 0, 1 */
    mat_hooks hooks;
} seed_spec;

/* Fills s from a seed node (path, names, delimiter, quote_columns,
 * column_types, full_refresh); type errors name the node's file. */
bool seed_spec_from_node(const pnode *n, arena *a, seed_spec *s, mlerr *err);

typedef struct seed_result {
    long long rows;
    bool full_refresh;   /* dropped and recreated */
    const char *message; /* dbt's status: "INSERT 12" or "CREATE 12" (arena) */
    column_list columns; /* the target's columns and types (arena) */
    /* what dbt's seed writes to target/run/: the create-or-truncate, "--
     * dbt seed --", the load (arena); NULL if loading never got that far */
    const char *main_sql;
} seed_result;

/* Loads the seed on c.  Errors: a malformed CSV is "<display_path>:<line>:
 * malformed CSV: ...", a view in the target's place is an error, and in
 * every failure the previous table is left as it was. */
bool seed_load(db_conn *c, const seed_spec *s, bool full_refresh_flag, const mat_exec_opts *o,
               arena *a, seed_result *res, mlerr *err);

#endif
