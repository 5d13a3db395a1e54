/* relation: quoting of relation names and catalog probes (see relation.h). */
#include "exec/relation.h"

#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static void add_quoted(strbuf *sb, const char *text, char q)
{
    strbuf_addc(sb, q);
    for (const char *p = text; *p; p++) {
        if (*p == q)
            strbuf_addc(sb, q);
        strbuf_addc(sb, *p);
    }
    strbuf_addc(sb, q);
}

void sql_add_ident(strbuf *sb, const char *name)
{
    add_quoted(sb, name, '"');
}

void sql_add_literal(strbuf *sb, const char *text)
{
    add_quoted(sb, text, '\'');
}

void relation_render(strbuf *sb, const relation *r)
{
    bool first = true;
    const char *parts[3] = {r->database, r->schema, r->identifier};
    for (int i = 0; i < 3; i++) {
        if (!parts[i])
            continue;
        if (!first)
            strbuf_addc(sb, '.');
        sql_add_ident(sb, parts[i]);
        first = false;
    }
}

const char *relation_str(arena *a, const relation *r)
{
    strbuf sb = STRBUF_INIT;
    relation_render(&sb, r);
    const char *s = arena_strdup(a, strbuf_str(&sb));
    strbuf_release(&sb);
    return s;
}

relation relation_suffixed(arena *a, const relation *r, const char *suffix)
{
    relation out = *r;
    out.identifier = arena_printf(a, "%s%s", r->identifier, suffix);
    return out;
}

/* "<col> = 'value'" or, when value is NULL, the session's current one. */
static void add_match(strbuf *sb, const char *col, const char *value, const char *current)
{
    strbuf_addf(sb, "lower(%s) = lower(", col);
    if (value)
        sql_add_literal(sb, value);
    else
        strbuf_adds(sb, current);
    strbuf_addc(sb, ')');
}

/* The catalog query: exact, but tens of milliseconds on a big catalog. */
static bool probe_by_query(db_conn *c, const relation *r, relation_kind *kind, db_error *e)
{
    strbuf q = STRBUF_INIT;
    strbuf_adds(&q, "select table_type from information_schema.tables where ");
    add_match(&q, "table_catalog", r->database, "current_database()");
    strbuf_adds(&q, " and ");
    add_match(&q, "table_schema", r->schema, "current_schema()");
    strbuf_adds(&q, " and ");
    add_match(&q, "table_name", r->identifier, "''");
    strbuf_adds(&q, " limit 1");
    char *type = NULL;
    bool ok = db_query_text(c, strbuf_str(&q), &type, e);
    strbuf_release(&q);
    if (ok && type)
        *kind = strcmp(type, "VIEW") == 0 ? REL_VIEW : REL_TABLE;
    free(type);
    return ok;
}

/* Probing is on every model's path, so it goes through DuckDB's table
 * description (a catalog lookup, microseconds) rather than
 * information_schema; only an answer it does not recognise falls back to
 * the query. */
bool relation_probe(db_conn *c, const relation *r, relation_kind *kind, db_error *e)
{
    *kind = REL_NONE;
    duckdb_table_description d = NULL;
    duckdb_state st = duckdb_table_description_create_ext(db_conn_raw(c), r->database, r->schema,
                                                          r->identifier, &d);
    const char *why = st == DuckDBSuccess ? NULL : duckdb_table_description_error(d);
    bool decided = true;
    if (st == DuckDBSuccess)
        *kind = REL_TABLE;
    else if (why && strstr(why, "No table with that"))
        *kind = REL_NONE;
    else if (why && (strstr(why, "is not an table") || strstr(why, "is not a table")))
        *kind = REL_VIEW;
    else
        decided = false;
    duckdb_table_description_destroy(&d);
    return decided ? true : probe_by_query(c, r, kind, e);
}

bool relation_columns(db_conn *c, const relation *r, arena *a, column_list *out, db_error *e)
{
    out->items = NULL;
    out->n = 0;
    strbuf q = STRBUF_INIT;
    strbuf_adds(&q, "describe ");
    relation_render(&q, r);
    duckdb_result res;
    bool ok = db_exec(c, strbuf_str(&q), &res, e);
    strbuf_release(&q);
    if (!ok)
        return false;
    idx_t n = duckdb_row_count(&res);
    out->items = ARENA_NEW_ARRAY(a, column_info, n ? n : 1);
    for (idx_t i = 0; i < n; i++) {
        char *name = duckdb_value_varchar(&res, 0, i);
        char *type = duckdb_value_varchar(&res, 1, i);
        out->items[i].name = arena_strdup(a, name ? name : "");
        out->items[i].type = arena_strdup(a, type ? type : "");
        duckdb_free(name);
        duckdb_free(type);
    }
    out->n = (size_t)n;
    duckdb_destroy_result(&res);
    return true;
}
