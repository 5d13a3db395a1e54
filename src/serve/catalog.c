/* catalog: PostgreSQL catalog functions as DuckDB temporary macros. */
#include "serve/catalog.h"

#include "serve/sqltext.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Each entry is created as CREATE OR REPLACE TEMP MACRO pg_catalog-free name,
 * so it resolves both bare and (via DuckDB's search path) as pg_catalog.x. */
static const char *const shims[] = {
    "pg_get_userbyid(id) AS 'mallard'",
    "pg_table_is_visible(oid) AS true",
    "pg_type_is_visible(oid) AS true",
    "pg_function_is_visible(oid) AS true",
    "pg_encoding_to_char(enc) AS 'UTF8'",
    "pg_get_expr(expr, relid) AS expr::VARCHAR",
    "pg_get_expr(expr, relid, pretty) AS expr::VARCHAR",
    "obj_description(oid) AS NULL::VARCHAR",
    "obj_description(oid, cat) AS NULL::VARCHAR",
    "col_description(table_oid, column_number) AS NULL::VARCHAR",
    "shobj_description(oid, cat) AS NULL::VARCHAR",
    "has_table_privilege(tbl, priv) AS true",
    "has_table_privilege(u, tbl, priv) AS true",
    "has_schema_privilege(sch, priv) AS true",
    "has_schema_privilege(u, sch, priv) AS true",
    "has_database_privilege(d, priv) AS true",
    "pg_get_constraintdef(oid) AS NULL::VARCHAR",
    "pg_get_constraintdef(oid, pretty) AS NULL::VARCHAR",
    "pg_get_indexdef(oid) AS NULL::VARCHAR",
    "pg_get_indexdef(oid, col, pretty) AS NULL::VARCHAR",
    "pg_get_statisticsobjdef_columns(oid) AS NULL::VARCHAR",
    "pg_relation_is_publishable(oid) AS false",
    "pg_backend_pid() AS 0",
    "current_setting(setting_name) AS (SELECT CASE lower(setting_name) "
    "WHEN 'server_version_num' THEN '150000' WHEN 'server_version' THEN '15.0' "
    "WHEN 'standard_conforming_strings' THEN 'on' WHEN 'client_encoding' THEN 'UTF8' "
    "WHEN 'datestyle' THEN 'ISO, MDY' WHEN 'integer_datetimes' THEN 'on' "
    "WHEN 'max_identifier_length' THEN '63' WHEN 'intervalstyle' THEN 'postgres' "
    "ELSE (SELECT any_value(value) FROM duckdb_settings() WHERE lower(duckdb_settings.name) = "
    "lower(setting_name)) END)",
    "current_setting(setting_name, missing_ok) AS current_setting(setting_name)",
    "set_config(setting_name, new_value, is_local) AS new_value",
    "pg_get_keywords() AS TABLE SELECT keyword_name AS word, "
    "CASE keyword_category WHEN 'reserved' THEN 'R' WHEN 'unreserved' THEN 'U' "
    "WHEN 'type_function' THEN 'T' ELSE 'C' END AS catcode, "
    "keyword_category AS catdesc FROM duckdb_keywords()",
    "version() AS (SELECT 'PostgreSQL 15.0 (Mallard, DuckDB ' || library_version || ')' "
    "FROM pragma_version())",
};

bool catalog_install(duckdb_connection c, const char *user, strbuf *why)
{
    strbuf sql = STRBUF_INIT;
    for (size_t i = 0; i < sizeof(shims) / sizeof(shims[0]); i++)
        strbuf_addf(&sql, "CREATE OR REPLACE TEMP MACRO %s;\n", shims[i]);
    duckdb_result r;
    bool ok = duckdb_query(c, strbuf_str(&sql), &r) == DuckDBSuccess;
    if (!ok)
        strbuf_addf(why, "installing the PostgreSQL catalog functions failed: %s",
                    duckdb_result_error(&r));
    duckdb_destroy_result(&r);
    strbuf_release(&sql);
    (void)user;
    return ok;
}

static const char *const client_side_settings[] = {
    "APPLICATION_NAME",
    "EXTRA_FLOAT_DIGITS",
    "CLIENT_ENCODING",
    "DATESTYLE",
    "INTERVALSTYLE",
    "CLIENT_MIN_MESSAGES",
    "STANDARD_CONFORMING_STRINGS",
    "BYTEA_OUTPUT",
    "SYNCHRONOUS_COMMIT",
    "JIT",
    "ROW_SECURITY",
    "LOCK_TIMEOUT",
    "IDLE_IN_TRANSACTION_SESSION_TIMEOUT",
    "STATEMENT_TIMEOUT",
    "DEFAULT_TRANSACTION_ISOLATION",
    "TRANSACTION",
    "SESSION CHARACTERISTICS",
    "NAMES",
    "TIME ZONE",
    NULL,
};

bool catalog_ignored_setting(const char *sql, size_t len)
{
    char kw[96];
    sqltext_keywords(sql, len, 4, kw, sizeof(kw));
    const char *p;
    if (strncmp(kw, "SET SESSION ", 12) == 0 && strncmp(kw + 12, "CHARACTERISTICS", 15) != 0)
        p = kw + 12;
    else if (strncmp(kw, "SET LOCAL ", 10) == 0)
        p = kw + 10;
    else if (strncmp(kw, "SET ", 4) == 0)
        p = kw + 4;
    else
        return false;
    for (const char *const *s = client_side_settings; *s; s++) {
        size_t n = strlen(*s);
        if (strncmp(p, *s, n) == 0 && (p[n] == 0 || p[n] == ' '))
            return true;
    }
    return false;
}
