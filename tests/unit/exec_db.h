/* exec_db: helpers the exec tests share -- a scratch DuckDB file, a
 * connection, and one-line queries that return text. */
#ifndef MALLARD_TESTS_EXEC_DB_H
#define MALLARD_TESTS_EXEC_DB_H

#include "engine/database.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char exec_db_dir[256];

/* A fresh directory for this test binary's database files. */
__attribute__((unused)) static const char *scratch_dir(void)
{
    if (!exec_db_dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(exec_db_dir, sizeof(exec_db_dir), "%s/mallard-exec-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(exec_db_dir)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return exec_db_dir;
}

static db *open_db(const char *path)
{
    db_options o = {.path = path, .threads = 2, .lock_timeout = 5};
    db *d = NULL;
    mlerr err = MLERR_INIT;
    if (!db_open(&o, &d, &err)) {
        fprintf(stderr, "db_open %s: %s\n", path, mlerr_message(&err));
        exit(2);
    }
    mlerr_clear(&err);
    return d;
}

static db_conn *connect_db(db *d)
{
    db_conn *c = NULL;
    mlerr err = MLERR_INIT;
    if (!db_connect(d, &c, &err)) {
        fprintf(stderr, "db_connect: %s\n", mlerr_message(&err));
        exit(2);
    }
    return c;
}

/* Runs sql; aborts the test binary on failure (set-up statements). */
static void sql_ok(db_conn *c, const char *sql)
{
    db_error e = {0};
    if (!db_exec(c, sql, NULL, &e)) {
        fprintf(stderr, "set-up SQL failed: %s\n  %s\n", sql, e.message);
        exit(2);
    }
}

/* The rows of a query as "a|b\nc|d" (NULL as "NULL"), in a static buffer
 * that the next call overwrites; "ERROR: ..." if it fails. */
static const char *rows_of(db_conn *c, const char *sql)
{
    static char buf[8192];
    duckdb_result r;
    db_error e = {0};
    buf[0] = 0;
    if (!db_exec(c, sql, &r, &e)) {
        snprintf(buf, sizeof(buf), "ERROR: %s", e.message);
        db_error_release(&e);
        return buf;
    }
    size_t len = 0;
    for (idx_t i = 0; i < duckdb_row_count(&r); i++) {
        for (idx_t j = 0; j < duckdb_column_count(&r); j++) {
            char *v = duckdb_value_is_null(&r, j, i) ? NULL : duckdb_value_varchar(&r, j, i);
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", j ? "|" : "",
                                    v ? v : "NULL");
            duckdb_free(v);
        }
        if (i + 1 < duckdb_row_count(&r))
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\n");
    }
    duckdb_destroy_result(&r);
    return buf;
}

#endif
