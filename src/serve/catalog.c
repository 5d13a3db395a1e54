/* catalog: PostgreSQL catalog functions as DuckDB temporary macros. */
#include "serve/catalog.h"

#include "serve/sqltext.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Constraint "indexes" (see pg_index below) read back as PostgreSQL prints
 * them; DuckDB's own indexes as their CREATE statement. */
#define INDEXDEF_SQL                                                                               \
    "coalesce((SELECT 'CREATE UNIQUE INDEX ' || table_name || CASE constraint_type WHEN "          \
    "'PRIMARY KEY' THEN '_pkey' ELSE '_' || array_to_string(constraint_column_names, '_') || "     \
    "'_key' END || ' ON ' || schema_name || '.' || table_name || ' USING btree (' || "             \
    "array_to_string(constraint_column_names, ', ') || ')' FROM duckdb_constraints() WHERE "       \
    "table_oid * 1000000 + constraint_index = idx_oid AND constraint_type IN ('PRIMARY KEY', "     \
    "'UNIQUE')), (SELECT sql FROM duckdb_indexes() WHERE index_oid = idx_oid))"

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
    "pg_get_indexdef(idx_oid) AS " INDEXDEF_SQL ", (idx_oid, col, pretty) AS " INDEXDEF_SQL,
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
    /* The OID a column of DuckDB type name t is announced with in RowDescription
     * (pgtype_oid in pgtypes.c; the two must agree), for pg_attribute.atttypid. */
    ("mallard_scalar_oid(t) AS CASE t WHEN 'BOOLEAN' THEN 16 WHEN 'TINYINT' THEN 21 "
     "WHEN 'SMALLINT' THEN 21 WHEN 'UTINYINT' THEN 21 WHEN 'INTEGER' THEN 23 "
     "WHEN 'USMALLINT' THEN 23 WHEN 'BIGINT' THEN 20 WHEN 'UINTEGER' THEN 20 "
     "WHEN 'UBIGINT' THEN 1700 WHEN 'HUGEINT' THEN 1700 WHEN 'UHUGEINT' THEN 1700 "
     "WHEN 'BIGNUM' THEN 1700 WHEN 'FLOAT' THEN 700 WHEN 'DOUBLE' THEN 701 WHEN 'VARCHAR' THEN 25 "
     "WHEN 'JSON' THEN 114 WHEN 'BLOB' THEN 17 WHEN 'DATE' THEN 1082 WHEN 'TIME' THEN 1083 "
     "WHEN 'TIME_NS' THEN 1083 WHEN 'TIME WITH TIME ZONE' THEN 1266 WHEN 'TIMESTAMP' THEN 1114 "
     "WHEN 'TIMESTAMP_S' THEN 1114 WHEN 'TIMESTAMP_MS' THEN 1114 WHEN 'TIMESTAMP_NS' THEN 1114 "
     "WHEN 'TIMESTAMP WITH TIME ZONE' THEN 1184 WHEN 'INTERVAL' THEN 1186 WHEN 'UUID' THEN 2950 "
     "WHEN 'BIT' THEN 1560 ELSE CASE WHEN t LIKE 'DECIMAL(%' THEN 1700 "
     "WHEN t LIKE 'ENUM(%' THEN 1043 ELSE 25 END END"),
    ("mallard_array_oid(e) AS CASE e WHEN 16 THEN 1000 WHEN 17 THEN 1001 WHEN 21 THEN 1005 "
     "WHEN 23 THEN 1007 WHEN 20 THEN 1016 WHEN 700 THEN 1021 WHEN 701 THEN 1022 "
     "WHEN 1700 THEN 1231 WHEN 1043 THEN 1015 WHEN 1082 THEN 1182 WHEN 1083 THEN 1183 "
     "WHEN 1114 THEN 1115 WHEN 1184 THEN 1185 WHEN 1186 THEN 1187 WHEN 1266 THEN 1270 "
     "WHEN 2950 THEN 2951 WHEN 114 THEN 199 ELSE 1009 END"),
    ("mallard_type_oid(t) AS CASE WHEN regexp_matches(t, '\\[[0-9]*\\]$') THEN "
     "mallard_array_oid(mallard_scalar_oid(regexp_replace(t, '(\\[[0-9]*\\])+$', ''))) "
     "WHEN t LIKE 'STRUCT(%' OR t LIKE 'MAP(%' OR t LIKE 'UNION(%' THEN 25 "
     "ELSE mallard_scalar_oid(t) END"),
    /* PostgreSQL's names for the OIDs above; numeric's typmod is
     * ((precision << 16) | scale) + 4. */
    ("mallard_type_name(name, typmod) AS CASE name "
     "WHEN 'int4' THEN 'integer' WHEN 'int8' THEN 'bigint' WHEN 'int2' THEN 'smallint' "
     "WHEN 'bool' THEN 'boolean' WHEN 'float4' THEN 'real' WHEN 'float8' THEN 'double precision' "
     "WHEN 'varchar' THEN 'character varying' "
     "WHEN 'timestamp' THEN 'timestamp without time zone' "
     "WHEN 'timestamptz' THEN 'timestamp with time zone' "
     "WHEN 'time' THEN 'time without time zone' WHEN 'timetz' THEN 'time with time zone' "
     "WHEN 'numeric' THEN 'numeric' || CASE WHEN typmod >= 4 THEN '(' || ((typmod - 4) >> 16) "
     "|| ',' || ((typmod - 4) & 65535) || ')' ELSE '' END ELSE name END"),
    /* information_schema._pg_expandarray (the schema is dropped by the
     * rewrite): one row per element, as PostgreSQL's set-returning function. */
    ("_pg_expandarray(arr) AS unnest(list_transform(range(1, len(arr) + 1), "
     "i -> {'x': arr[i], 'n': i}))"),
};

const char *const catalog_shadowed_relations[] = {"pg_database",
                                                  "pg_type",
                                                  "pg_attribute",
                                                  "pg_index",
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
    /* Primary keys and UNIQUE constraints are not indexes in DuckDB, but
     * clients find them through pg_index and their pg_class entry (JDBC's
     * getPrimaryKeys); the oids match DuckDB's pg_constraint. */
    ("pg_class AS SELECT *, false AS relforcerowsecurity FROM pg_catalog.pg_class "
     "UNION ALL BY NAME SELECT table_oid * 1000000 + constraint_index AS oid, "
     "table_name || CASE constraint_type WHEN 'PRIMARY KEY' THEN '_pkey' "
     "ELSE '_' || array_to_string(constraint_column_names, '_') || '_key' END AS relname, "
     "schema_oid AS relnamespace, 'i' AS relkind, 'p' AS relpersistence, "
     "len(constraint_column_indexes) AS relnatts, false AS relforcerowsecurity, "
     "false AS relhasindex, false AS relisshared, 0 AS reltablespace "
     "FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')"),
    ("pg_index AS SELECT * FROM pg_catalog.pg_index UNION ALL BY NAME "
     "SELECT table_oid * 1000000 + constraint_index AS indexrelid, table_oid AS indrelid, "
     "len(constraint_column_indexes) AS indnatts, len(constraint_column_indexes) AS indnkeyatts, "
     "true AS indisunique, constraint_type = 'PRIMARY KEY' AS indisprimary, "
     "false AS indisexclusion, true AS indimmediate, false AS indisclustered, true AS indisvalid, "
     "false AS indcheckxmin, true AS indisready, true AS indislive, false AS indisreplident, "
     "list_transform(constraint_column_indexes, i -> (i + 1)::INTEGER) AS indkey "
     "FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE')"),
    /* atttypid as the OIDs RowDescription announces (DuckDB's view has its
     * own type ids there). */
    ("pg_attribute AS SELECT a.* REPLACE (mallard_type_oid(c.data_type)::BIGINT AS atttypid, "
     "CASE WHEN c.data_type LIKE 'DECIMAL(%' THEN "
     "((c.numeric_precision << 16) | c.numeric_scale) + 4 ELSE -1 END AS atttypmod) "
     "FROM pg_catalog.pg_attribute a JOIN duckdb_columns() c "
     "ON c.table_oid = a.attrelid AND c.column_index = a.attnum"),
    /* Every type RowDescription can announce, arrays included. */
    ("pg_type AS SELECT oid::BIGINT AS oid, typname, "
     "(SELECT min(oid) FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog') AS typnamespace, "
     "10::BIGINT AS typowner, typlen::SMALLINT AS typlen, typlen > 0 AND typlen <= 8 AS typbyval, "
     "'b' AS typtype, typcategory, false AS typispreferred, true AS typisdefined, ',' AS typdelim, "
     "0::BIGINT AS typrelid, typelem::BIGINT AS typelem, typarray::BIGINT AS typarray, "
     "CASE WHEN typelem <> 0 THEN 'array_in' ELSE typname || 'in' END AS typinput, "
     "CASE WHEN typelem <> 0 THEN 'array_out' ELSE typname || 'out' END AS typoutput, "
     "CASE WHEN typlen = 8 THEN 'd' WHEN typlen = 4 THEN 'i' WHEN typlen = 2 THEN 's' "
     "WHEN typlen = 1 THEN 'c' ELSE 'i' END AS typalign, "
     "CASE WHEN typlen > 0 THEN 'p' ELSE 'x' END AS typstorage, false AS typnotnull, "
     "0::BIGINT AS typbasetype, -1 AS typtypmod, 0 AS typndims, 0::BIGINT AS typcollation, "
     "NULL::VARCHAR AS typdefaultbin, NULL::VARCHAR AS typdefault, NULL::VARCHAR[] AS typacl "
     "FROM (VALUES (16, 'bool', 1, 'B', 0, 1000), (17, 'bytea', -1, 'U', 0, 1001), "
     "(20, 'int8', 8, 'N', 0, 1016), (21, 'int2', 2, 'N', 0, 1005), (23, 'int4', 4, 'N', 0, 1007), "
     "(25, 'text', -1, 'S', 0, 1009), (26, 'oid', 4, 'N', 0, 1028), (114, 'json', -1, 'U', 0, "
     "199), "
     "(700, 'float4', 4, 'N', 0, 1021), (701, 'float8', 8, 'N', 0, 1022), "
     "(705, 'unknown', -2, 'X', 0, 0), (1043, 'varchar', -1, 'S', 0, 1015), "
     "(1082, 'date', 4, 'D', 0, 1182), (1083, 'time', 8, 'D', 0, 1183), "
     "(1114, 'timestamp', 8, 'D', 0, 1115), (1184, 'timestamptz', 8, 'D', 0, 1185), "
     "(1186, 'interval', 16, 'T', 0, 1187), (1266, 'timetz', 12, 'D', 0, 1270), "
     "(1560, 'bit', -1, 'V', 0, 1561), (1700, 'numeric', -1, 'N', 0, 1231), "
     "(2950, 'uuid', 16, 'U', 0, 2951), "
     "(1000, '_bool', -1, 'A', 16, 0), (1001, '_bytea', -1, 'A', 17, 0), "
     "(1005, '_int2', -1, 'A', 21, 0), (1007, '_int4', -1, 'A', 23, 0), "
     "(1009, '_text', -1, 'A', 25, 0), (1016, '_int8', -1, 'A', 20, 0), "
     "(1021, '_float4', -1, 'A', 700, 0), (1022, '_float8', -1, 'A', 701, 0), "
     "(1015, '_varchar', -1, 'A', 1043, 0), (1028, '_oid', -1, 'A', 26, 0), "
     "(1115, '_timestamp', -1, 'A', 1114, 0), (1182, '_date', -1, 'A', 1082, 0), "
     "(1183, '_time', -1, 'A', 1083, 0), (1185, '_timestamptz', -1, 'A', 1184, 0), "
     "(1187, '_interval', -1, 'A', 1186, 0), (1231, '_numeric', -1, 'A', 1700, 0), "
     "(1270, '_timetz', -1, 'A', 1266, 0), (1561, '_bit', -1, 'A', 1560, 0), "
     "(199, '_json', -1, 'A', 114, 0), (2951, '_uuid', -1, 'A', 2950, 0)) "
     "AS t(oid, typname, typlen, typcategory, typelem, typarray)"),
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

/* Macros that read the views above, so are created after them. */
static const char *const late_shims[] = {
    ("format_type(fmt_oid, fmt_typmod) AS (SELECT CASE WHEN t.typelem <> 0 THEN "
     "(SELECT mallard_type_name(e.typname, fmt_typmod) FROM pg_type e "
     "WHERE e.oid = t.typelem) || '[]' ELSE mallard_type_name(t.typname, fmt_typmod) END "
     "FROM pg_type t WHERE t.oid = fmt_oid)"),
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
    for (size_t i = 0; i < sizeof(late_shims) / sizeof(late_shims[0]); i++)
        strbuf_addf(&sql, "CREATE OR REPLACE TEMP MACRO %s;\n", late_shims[i]);
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
