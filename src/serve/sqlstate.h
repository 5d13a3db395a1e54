/* sqlstate: DuckDB errors as PostgreSQL SQLSTATE codes, so clients can act on
 * them (retry 40001, report 23505) the way they do against PostgreSQL. */
#ifndef MALLARD_SERVE_SQLSTATE_H
#define MALLARD_SERVE_SQLSTATE_H

#include <duckdb.h>

/* The five-character SQLSTATE for a DuckDB error of this type and text. */
const char *pg_sqlstate(duckdb_error_type type, const char *message);

/* DuckDB's error type from its message's "Xxx Error:" prefix, for the C API
 * calls that give only text (a failed prepare). */
duckdb_error_type pg_error_type_from_message(const char *message);

#endif
