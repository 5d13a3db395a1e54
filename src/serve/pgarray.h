/* pgarray: PostgreSQL's text form of an array ('{1,2}', '{"a b",NULL}',
 * '{{1,2},{3,4}}') read into a DuckDB list value, for text-format Bind
 * parameters whose target is a list (DuckDB's own VARCHAR-to-list cast reads
 * '[...]', not PostgreSQL's braces and quoting). */
#ifndef MALLARD_SERVE_PGARRAY_H
#define MALLARD_SERVE_PGARRAY_H

#include "util/strbuf.h"

#include <duckdb.h>
#include <stdbool.h>
#include <stddef.h>

/* Whether text looks like a PostgreSQL array literal (starts with '{'). */
bool pgarray_is_literal(const char *p, size_t n);

/* Parses the literal into a list of VARCHAR elements (nested lists for a
 * multi-dimensional array); DuckDB casts the elements when it binds.  NULL
 * with why filled for malformed text. */
duckdb_value pgarray_parse(const char *p, size_t n, strbuf *why);

#endif
