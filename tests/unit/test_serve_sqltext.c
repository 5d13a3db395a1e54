/* test_serve_sqltext: statement splitting, keywords, command tags, the
 * catalog-query rewrites, and COPY statement parsing. */
#include "check.h"
#include "serve/copy.h"
#include "serve/sqlstate.h"
#include "serve/sqltext.h"

#include <stdlib.h>

static const char *const shadowed[] = {"pg_class", NULL};

/* The statements of sql, each trimmed of its ';', joined with '|'. */
static void split(const char *sql, char *out, size_t cap)
{
    size_t len = strlen(sql), pos = 0, o = 0;
    out[0] = 0;
    while (pos < len) {
        size_t n = sqltext_statement_len(sql + pos, len - pos);
        if (!sqltext_is_blank(sql + pos, n))
            o += (size_t)snprintf(out + o, cap - o, "%s%.*s", o ? "|" : "",
                                  (int)(n - (sql[pos + n - 1] == ';')), sql + pos);
        pos += n;
    }
}

TEST(splits_statements_safely)
{
    char out[256];
    split("SELECT 1; SELECT 2", out, sizeof(out));
    CHECK_STR(out, "SELECT 1| SELECT 2");
    split("SELECT 'a;b'; SELECT \"x;y\"", out, sizeof(out));
    CHECK_STR(out, "SELECT 'a;b'| SELECT \"x;y\"");
    split("SELECT $$;$$; SELECT $tag$ ; $ $tag$", out, sizeof(out));
    CHECK_STR(out, "SELECT $$;$$| SELECT $tag$ ; $ $tag$");
    split("SELECT 1 -- ; not here\n; /* ; /* nested ; */ */ SELECT 2", out, sizeof(out));
    CHECK_STR(out, "SELECT 1 -- ; not here\n| /* ; /* nested ; */ */ SELECT 2");
    split("SELECT E'\\';'; SELECT 3", out, sizeof(out));
    CHECK_STR(out, "SELECT E'\\';'| SELECT 3");
    split("SELECT $1; SELECT 2", out, sizeof(out)); /* $1 is a parameter, not a quote */
    CHECK_STR(out, "SELECT $1| SELECT 2");
    split(" ;; -- only a comment\n", out, sizeof(out));
    CHECK_STR(out, "");
    CHECK(sqltext_is_blank("  /* c */ ; -- x", 16));
    CHECK(!sqltext_is_blank(" x ", 3));
    /* An unterminated quote runs to the end rather than past it. */
    split("SELECT 'oops; SELECT 2", out, sizeof(out));
    CHECK_STR(out, "SELECT 'oops; SELECT 2");
}

static const char *tag_of(const char *sql)
{
    static char kw[96], tag[64];
    sqltext_keywords(sql, strlen(sql), 6, kw, sizeof(kw));
    sqltext_command_tag(kw, tag, sizeof(tag));
    return tag;
}

TEST(command_tags)
{
    CHECK_STR(tag_of("create table t (a int)"), "CREATE TABLE");
    CHECK_STR(tag_of("CREATE OR REPLACE TEMP VIEW v AS SELECT 1"), "CREATE VIEW");
    CHECK_STR(tag_of("create unique index i on t(a)"), "CREATE INDEX");
    CHECK_STR(tag_of("/* hi */ DROP TABLE IF EXISTS t"), "DROP TABLE");
    CHECK_STR(tag_of("alter table t add column b int"), "ALTER TABLE");
    CHECK_STR(tag_of("begin"), "BEGIN");
    CHECK_STR(tag_of("START TRANSACTION"), "START TRANSACTION");
    CHECK_STR(tag_of("end"), "COMMIT");
    CHECK_STR(tag_of("abort"), "ROLLBACK");
    CHECK_STR(tag_of("SET threads = 2"), "SET");
    char kw[96];
    sqltext_keywords("  begin transaction", 19, 6, kw, sizeof(kw));
    CHECK(sqltext_txn_kind(kw) == SQL_TXN_BEGIN);
    sqltext_keywords("COMMIT", 6, 6, kw, sizeof(kw));
    CHECK(sqltext_txn_kind(kw) == SQL_TXN_COMMIT);
    sqltext_keywords("beginning", 9, 6, kw, sizeof(kw));
    CHECK(sqltext_txn_kind(kw) == SQL_TXN_NONE);
}

static char *rw(const char *sql)
{
    return sqltext_pg_rewrite(sql, strlen(sql), shadowed);
}

TEST(catalog_rewrites)
{
    char *s = rw("WHERE c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default");
    CHECK_STR(s, "WHERE c.relname  ~  '^(t)$' ");
    free(s);
    s = rw("SELECT pg_catalog.format_type(a.atttypid, NULL) FROM pg_catalog.pg_class c, "
           "pg_catalog.pg_namespace n");
    CHECK_STR(s, "SELECT format_type(a.atttypid, NULL) FROM pg_class c, pg_catalog.pg_namespace n");
    free(s);
    s = rw("SELECT 'main.orders'::regclass, c.oid::pg_catalog.regclass::pg_catalog.text");
    CHECK_STR(s, "SELECT (SELECT min(oid) FROM pg_catalog.pg_class WHERE relname = 'orders'), "
                 "c.oid::BIGINT::text");
    free(s);
    s = rw("SELECT x FROM pg_catalog.generate_series(0, 3) s, t WHERE a[s] > 0");
    CHECK_STR(s, "SELECT x FROM generate_series(0, 3) s(s), t WHERE a[s] > 0");
    free(s);
    s = rw("SELECT generate_series(1, 3) g"); /* not a table function: left alone */
    CHECK(s == NULL);
    s = rw("INSERT INTO t VALUES ('\\x00ff'::bytea)");
    CHECK_STR(s, "INSERT INTO t VALUES (from_hex('00ff'))");
    free(s);
    /* Inside quotes nothing changes. */
    CHECK(rw("SELECT 'pg_catalog.format_type(1)' AS x") == NULL);
    CHECK(rw("SELECT 1") == NULL);
}

TEST(next_word_and_declare)
{
    char name[64];
    bool hold;
    size_t at;
    const char *d = "DECLARE \"My \"\"Cur\" NO SCROLL CURSOR WITH HOLD FOR SELECT 1";
    CHECK(sqltext_parse_declare(d, strlen(d), name, sizeof(name), &hold, &at));
    CHECK_STR(name, "My \"Cur");
    CHECK(hold);
    CHECK_STR(d + at, " SELECT 1");
    d = "declare c cursor without hold for select 2";
    CHECK(sqltext_parse_declare(d, strlen(d), name, sizeof(name), &hold, &at));
    CHECK_STR(name, "c");
    CHECK(!hold);
    CHECK(!sqltext_parse_declare("DECLARE x", 9, name, sizeof(name), &hold, &at));
}

TEST(copy_statements)
{
    copy_spec sp;
    strbuf why = STRBUF_INIT;
    const char *c = "COPY main.\"Items\" (id, \"Name\") FROM STDIN WITH (FORMAT csv, HEADER true, "
                    "DELIMITER ';', NULL 'NA')";
    CHECK(copy_parse(c, strlen(c), &sp, &why));
    CHECK(why.len == 0);
    CHECK(sp.from_stdin && sp.csv && sp.header && sp.delimiter == ';');
    CHECK_STR(sp.schema, "main");
    CHECK_STR(sp.table, "Items");
    CHECK(sp.n_columns == 2);
    CHECK_STR(sp.columns[1], "Name");
    CHECK_STR(sp.null_string, "NA");
    copy_spec_release(&sp);

    c = "copy (select 1) to stdout csv header";
    CHECK(copy_parse(c, strlen(c), &sp, &why));
    CHECK(!sp.from_stdin && sp.csv && sp.header && sp.query);
    CHECK_STR(sp.null_string, "");
    copy_spec_release(&sp);

    c = "COPY t TO STDOUT";
    CHECK(copy_parse(c, strlen(c), &sp, &why));
    CHECK(!sp.csv && sp.delimiter == '\t');
    CHECK_STR(sp.null_string, "\\N");
    copy_spec_release(&sp);

    /* To a file: DuckDB's business, not ours. */
    c = "COPY t TO 'out.csv' (FORMAT csv)";
    CHECK(!copy_parse(c, strlen(c), &sp, &why));
    c = "COPY t FROM STDIN (FORMAT binary)";
    CHECK(copy_parse(c, strlen(c), &sp, &why));
    CHECK_CONTAINS(strbuf_str(&why), "not supported yet");
    copy_spec_release(&sp);
    strbuf_release(&why);
}

TEST(sqlstates)
{
    CHECK_STR(pg_sqlstate(DUCKDB_ERROR_CATALOG, "Catalog Error: Table with name x does not exist!"),
              "42P01");
    CHECK_STR(pg_sqlstate(DUCKDB_ERROR_BINDER, "Binder Error: Referenced column \"x\" not found"),
              "42703");
    CHECK_STR(pg_sqlstate(DUCKDB_ERROR_PARSER, "Parser Error: syntax error at or near"), "42601");
    CHECK_STR(pg_sqlstate(DUCKDB_ERROR_TRANSACTION,
                          "TransactionContext Error: Catalog write-write conflict on alter"),
              "40001");
    CHECK_STR(pg_sqlstate(DUCKDB_ERROR_INTERRUPT, "INTERRUPT Error: Interrupted!"), "57014");
    CHECK_STR(pg_sqlstate(DUCKDB_ERROR_CONSTRAINT, "Constraint Error: Duplicate key \"a: 1\" "
                                                   "violates primary key constraint."),
              "23505");
    CHECK_STR(pg_sqlstate(DUCKDB_ERROR_CONSTRAINT, "Constraint Error: NOT NULL constraint failed"),
              "23502");
    CHECK(pg_error_type_from_message("Catalog Error: x") == DUCKDB_ERROR_CATALOG);
    CHECK(pg_error_type_from_message("something else") == DUCKDB_ERROR_INVALID);
}

int main(void)
{
    RUN(splits_statements_safely);
    RUN(command_tags);
    RUN(catalog_rewrites);
    RUN(next_word_and_declare);
    RUN(copy_statements);
    RUN(sqlstates);
    return CHECK_DONE();
}
