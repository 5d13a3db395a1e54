/* catalog: what PostgreSQL clients expect of the catalog beyond DuckDB's own
 * pg_catalog -- functions psql's \d commands and drivers call
 * (pg_get_userbyid, format_type, pg_table_is_visible, current_setting, ...),
 * installed as temporary macros on each session's connection so nothing is
 * written into the user's database file. */
#ifndef MALLARD_SERVE_CATALOG_H
#define MALLARD_SERVE_CATALOG_H

#include "util/strbuf.h"

#include <duckdb.h>
#include <stdbool.h>

/* Whether a query might use a shim (it names pg_* or one of the functions),
 * so a session installs them only when first needed: creating them costs
 * more than most connections' whole work. */
bool catalog_may_need(const char *sql);

/* Creates the shims on c; false (with why) if DuckDB rejects one. */
bool catalog_install(duckdb_connection c, const char *user, strbuf *why);

/* The pg_catalog relations the session replaces with fuller temp views. */
extern const char *const catalog_shadowed_relations[];

/* Whether a SET statement names a PostgreSQL setting DuckDB does not have
 * and that only affects the client side (accepted and ignored). */
bool catalog_ignored_setting(const char *sql, size_t len);

#endif
