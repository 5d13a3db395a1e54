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
    "pg_get_expr(expr, relid) AS expr::VARCHAR, (expr, relid, pretty) AS expr::VARCHAR",
    "obj_description(oid) AS NULL::VARCHAR, (oid, cat) AS NULL::VARCHAR",
    "col_description(table_oid, column_number) AS NULL::VARCHAR",
    "shobj_description(oid, cat) AS NULL::VARCHAR",
    "has_table_privilege(tbl, priv) AS true, (u, tbl, priv) AS true",
    "has_schema_privilege(sch, priv) AS true, (u, sch, priv) AS true",
    "has_database_privilege(d, priv) AS true",
    "pg_get_constraintdef(oid) AS NULL::VARCHAR, (oid, pretty) AS NULL::VARCHAR",
    "pg_get_indexdef(oid) AS NULL::VARCHAR, (oid, col, pretty) AS NULL::VARCHAR",
    "pg_get_statisticsobjdef_columns(oid) AS NULL::VARCHAR",
    "pg_relation_is_publishable(oid) AS false",
    "pg_backend_pid() AS 0",
    "array_upper(arr, dim) AS len(arr)",
    "array_lower(arr, dim) AS CASE WHEN len(arr) > 0 THEN 1 END",
    "pg_get_viewdef(oid) AS NULL::VARCHAR, (oid, pretty) AS NULL::VARCHAR",
    "pg_get_triggerdef(oid) AS NULL::VARCHAR, (oid, pretty) AS NULL::VARCHAR",
    "pg_get_ruledef(oid) AS NULL::VARCHAR, (oid, pretty) AS NULL::VARCHAR",
    "pg_get_partkeydef(oid) AS NULL::VARCHAR",
    "pg_get_function_result(oid) AS NULL::VARCHAR",
    "pg_get_function_arguments(oid) AS NULL::VARCHAR",
    "pg_tablespace_location(oid) AS ''",
    "pg_postmaster_start_time() AS now()",
    "pg_is_in_recovery() AS false",
    "txid_current() AS 1",
    ("current_setting(setting_name) AS (SELECT CASE lower(setting_name) "
     "WHEN 'server_version_num' THEN '150000' WHEN 'server_version' THEN '15.0' "
     "WHEN 'standard_conforming_strings' THEN 'on' WHEN 'client_encoding' THEN 'UTF8' "
     "WHEN 'datestyle' THEN 'ISO, MDY' WHEN 'integer_datetimes' THEN 'on' "
     "WHEN 'max_identifier_length' THEN '63' WHEN 'intervalstyle' THEN 'postgres' "
     "ELSE (SELECT any_value(value) FROM duckdb_settings() WHERE lower(duckdb_settings.name) = "
     "lower(setting_name)) END)"),
    "set_config(setting_name, new_value, is_local) AS new_value",
    ("pg_get_keywords() AS TABLE SELECT keyword_name AS word, "
     "CASE keyword_category WHEN 'reserved' THEN 'R' WHEN 'unreserved' THEN 'U' "
     "WHEN 'type_function' THEN 'T' ELSE 'C' END AS catcode, "
     "keyword_category AS catdesc FROM duckdb_keywords()"),
    ("version() AS (SELECT 'PostgreSQL 15.0 (Mallard, DuckDB ' || library_version || ')' "
     "FROM pragma_version())"),
};

const char *const catalog_shadowed_relations[] = {"pg_database",
                                                  "pg_class",
                                                  "pg_collation",
                                                  "pg_inherits",
                                                  "pg_policy",
                                                  "pg_statistic_ext",
                                                  "pg_publication",
                                                  "pg_publication_rel",
                                                  "pg_trigger",
                                                  "pg_rewrite",
                                                  "pg_roles",
                                                  "pg_user",
                                                  "pg_publication_namespace",
                                                  NULL};

/* Temp views with the columns psql reads that DuckDB's pg_catalog lacks. */
static const char *const views[] = {
    ("pg_database AS SELECT database_oid AS oid, database_name AS datname, 10::BIGINT AS datdba, "
     "6 AS encoding, 'c' AS datlocprovider, false AS datistemplate, true AS datallowconn, "
     "-1 AS datconnlimit, 'C' AS datcollate, 'C' AS datctype, NULL::VARCHAR AS daticulocale, "
     "NULL::VARCHAR[] AS datacl FROM duckdb_databases() WHERE NOT internal"),
    "pg_class AS SELECT *, false AS relforcerowsecurity FROM pg_catalog.pg_class",
    /* Catalogs DuckDB does not have: empty, with the columns psql's \d reads. */
    ("pg_collation AS SELECT 0::BIGINT AS oid, ''::VARCHAR AS collname, 0::BIGINT AS "
     "collnamespace WHERE false"),
    ("pg_inherits AS SELECT 0::BIGINT AS inhrelid, 0::BIGINT AS inhparent, 0 AS inhseqno, "
     "false AS inhdetachpending WHERE false"),
    ("pg_policy AS SELECT 0::BIGINT AS oid, ''::VARCHAR AS polname, 0::BIGINT AS polrelid, "
     "''::VARCHAR AS polcmd, true AS polpermissive, NULL::BIGINT[] AS polroles, "
     "NULL::VARCHAR AS polqual, NULL::VARCHAR AS polwithcheck WHERE false"),
    ("pg_statistic_ext AS SELECT 0::BIGINT AS oid, 0::BIGINT AS stxrelid, ''::VARCHAR AS "
     "stxname, 0::BIGINT AS stxnamespace, NULL::VARCHAR[] AS stxkind, NULL::INTEGER[] AS stxkeys, "
     "-1 AS stxstattarget, NULL::VARCHAR AS stxexprs WHERE false"),
    ("pg_publication AS SELECT 0::BIGINT AS oid, ''::VARCHAR AS pubname, false AS puballtables "
     "WHERE false"),
    ("pg_publication_rel AS SELECT 0::BIGINT AS oid, 0::BIGINT AS prpubid, 0::BIGINT AS prrelid, "
     "NULL::VARCHAR AS prqual, NULL::SMALLINT[] AS prattrs WHERE false"),
    ("pg_publication_namespace AS SELECT 0::BIGINT AS oid, 0::BIGINT AS pnpubid, 0::BIGINT AS "
     "pnnspid WHERE false"),
    ("pg_trigger AS SELECT 0::BIGINT AS oid, 0::BIGINT AS tgrelid, ''::VARCHAR AS tgname, "
     "false AS tgisinternal, 'O' AS tgenabled, 0::BIGINT AS tgparentid WHERE false"),
    ("pg_roles AS SELECT 10::BIGINT AS oid, 'mallard' AS rolname, true AS rolsuper, "
     "true AS rolinherit, true AS rolcreaterole, true AS rolcreatedb, true AS rolcanlogin, "
     "false AS rolreplication, false AS rolbypassrls, -1 AS rolconnlimit, "
     "NULL::TIMESTAMPTZ AS rolvaliduntil, NULL::VARCHAR[] AS rolconfig"),
    ("pg_user AS SELECT 'mallard' AS usename, 10::BIGINT AS usesysid, true AS usecreatedb, "
     "true AS usesuper"),
    ("pg_rewrite AS SELECT 0::BIGINT AS oid, ''::VARCHAR AS rulename, 0::BIGINT AS ev_class, "
     "'O' AS ev_enabled, '1' AS ev_type WHERE false"),
};

bool catalog_may_need(const char *sql)
{
    static const char *const hints[] = {
        "pg_",          "format_type", "current_setting",    "set_config",  "version",
        "_description", "_privilege",  "array_upper",        "array_lower", "txid_current",
        "regclass",     "regtype",     "information_schema", NULL,
    };
    for (const char *const *h = hints; *h; h++) {
        if (strcasestr(sql, *h))
            return true;
    }
    return false;
}

bool catalog_install(duckdb_connection c, const char *user, strbuf *why)
{
    strbuf sql = STRBUF_INIT;
    for (size_t i = 0; i < sizeof(shims) / sizeof(shims[0]); i++)
        strbuf_addf(&sql, "CREATE OR REPLACE TEMP MACRO %s;\n", shims[i]);
    for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
        strbuf_addf(&sql, "CREATE OR REPLACE TEMP VIEW %s;\n", views[i]);
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
    sqltext_keywords(sql, len, 6, kw, sizeof(kw));
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
