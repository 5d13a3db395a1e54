/* copy: COPY ... FROM STDIN and COPY ... TO STDOUT, the client side of
 * COPY, in PostgreSQL's text and CSV formats.  Loads go through DuckDB's
 * appender inside one transaction, so a failed load leaves nothing behind.
 * COPY to or from a file is not this file's business: DuckDB runs it. */
#ifndef MALLARD_SERVE_COPY_H
#define MALLARD_SERVE_COPY_H

#include "serve/pgwire.h"
#include "util/strbuf.h"

#include <duckdb.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct copy_spec {
    bool from_stdin; /* else TO STDOUT */
    char *schema;    /* NULL: the default schema */
    char *table;     /* NULL when query is set */
    char **columns;  /* optional column list */
    int n_columns;
    char *query; /* COPY (query) TO STDOUT */
    bool csv;
    bool header;
    char delimiter;
    char quote;
    char escape;
    char *null_string;
} copy_spec;

/* Whether sql is a COPY from STDIN or to STDOUT; if so fills spec (or, for
 * an option that is not supported, sets why and still returns true). */
bool copy_parse(const char *sql, size_t len, copy_spec *spec, strbuf *why);
void copy_spec_release(copy_spec *spec);

/* The outcome of a COPY: rows moved, or an error with its SQLSTATE. */
typedef struct copy_result {
    uint64_t rows;
    char sqlstate[6];
    strbuf message; /* empty on success */
    bool connection_lost;
} copy_result;

/* Runs COPY ... TO STDOUT: CopyOutResponse, CopyData rows, CopyDone. */
void copy_out(pg_writer *w, duckdb_connection c, const copy_spec *spec, copy_result *r);
/* Runs COPY ... FROM STDIN: CopyInResponse, then reads CopyData until
 * CopyDone or CopyFail.  in_transaction says the session already has a
 * transaction open (else the load runs in one of its own). */
void copy_in(pg_reader *in, pg_writer *w, duckdb_connection c, const copy_spec *spec,
             bool in_transaction, copy_result *r);

#endif
