/* pgtypes: DuckDB types as PostgreSQL sees them -- type OIDs, and values in
 * PostgreSQL's text format (what psql prints: t/f, \x.. bytea, "2024-01-02
 * 03:04:05", {1,2} arrays) and, for the common scalars, its binary format. */
#ifndef MALLARD_SERVE_PGTYPES_H
#define MALLARD_SERVE_PGTYPES_H

#include "util/strbuf.h"

#include <duckdb.h>
#include <stdbool.h>
#include <stdint.h>

enum {
    PG_OID_BOOL = 16,
    PG_OID_BYTEA = 17,
    PG_OID_INT8 = 20,
    PG_OID_INT2 = 21,
    PG_OID_INT4 = 23,
    PG_OID_TEXT = 25,
    PG_OID_OID = 26,
    PG_OID_JSON = 114,
    PG_OID_FLOAT4 = 700,
    PG_OID_FLOAT8 = 701,
    PG_OID_UNKNOWN = 705,
    PG_OID_VARCHAR = 1043,
    PG_OID_DATE = 1082,
    PG_OID_TIME = 1083,
    PG_OID_TIMESTAMP = 1114,
    PG_OID_TIMESTAMPTZ = 1184,
    PG_OID_INTERVAL = 1186,
    PG_OID_TIMETZ = 1266,
    PG_OID_BIT = 1560,
    PG_OID_NUMERIC = 1700,
    PG_OID_UUID = 2950,
};

/* The OID a column of this DuckDB type is announced with. */
int32_t pgtype_oid(duckdb_logical_type t);
/* pg_type.typlen for an OID (-1 for variable length). */
int16_t pgtype_len(int32_t oid);
/* PostgreSQL's name for an OID ("int4"), for messages. */
const char *pgtype_name(int32_t oid);
/* Whether pgtype_format_binary handles columns of this DuckDB type. */
bool pgtype_binary_supported(duckdb_logical_type t);

/* Whether row of v is NULL. */
bool pgtype_is_null(duckdb_vector v, idx_t row);
/* Appends row of v (not NULL) in text format.  False (with why filled) for a
 * type that has no text form here yet. */
bool pgtype_format_text(duckdb_vector v, duckdb_logical_type t, idx_t row, strbuf *out,
                        strbuf *why);
/* Appends row of v (not NULL) in binary format; only for supported types. */
bool pgtype_format_binary(duckdb_vector v, duckdb_logical_type t, idx_t row, strbuf *out,
                          strbuf *why);

/* Decodes a binary-format parameter of the given OID into a DuckDB value
 * (NULL with why filled if the bytes are wrong or the OID is not handled). */
duckdb_value pgtype_binary_param(int32_t oid, const unsigned char *p, size_t n, strbuf *why);

#endif
