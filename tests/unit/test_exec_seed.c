/* Seeds against real DuckDB: type inference as dbt-duckdb does it,
 * column_types, delimiter, quote_columns, re-runs, --full-refresh, and a
 * malformed CSV that names file and line and leaves the table intact. */
#include "check.h"
#include "exec/seed.h"
#include "exec_db.h"

static arena A;

static const char *write_csv(const char *name, const char *text)
{
    char *path = arena_printf(&A, "%s/%s", scratch_dir(), name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static seed_spec spec(const char *name, const char *path)
{
    seed_spec s = {0};
    s.name = name;
    s.csv_path = path;
    s.display_path = arena_printf(&A, "seeds/%s.csv", name);
    s.target = (relation){.schema = "raw", .identifier = name};
    s.delimiter = ',';
    s.full_refresh_config = -1;
    return s;
}

static const char *load(db_conn *c, const seed_spec *s, bool full_refresh, seed_result *out)
{
    static char msg[4096];
    mat_exec_opts o = mat_exec_defaults();
    seed_result res;
    mlerr err = MLERR_INIT;
    bool ok = seed_load(c, s, full_refresh, &o, &A, &res, &err);
    snprintf(msg, sizeof(msg), "%s", ok ? "" : mlerr_message(&err));
    mlerr_clear(&err);
    if (out)
        *out = res;
    return msg;
}

static const char *types_of(db_conn *c, const char *table)
{
    static char q[512];
    snprintf(q, sizeof(q),
             "select string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position) "
             "from information_schema.columns where table_name = '%s'",
             table);
    return rows_of(c, q);
}

TEST(infers_types_like_dbt_duckdb)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    const char *path =
        write_csv("people.csv", "id,score,born,seen_at,active,name,empty,big,iso,mixed_dt,nullish\n"
                                "1,1.5,2020-01-31,2021-02-03 04:05:06,true,Ann,,3000000000,"
                                "2021-02-03T04:05:06,2020-01-01,null\n"
                                "2,2,1999-12-01,2021-02-03 14:00:00,False,\"Bo, Jr.\",,1,"
                                "2021-02-03T04:05:06.5,2020-01-01 00:00:00,3\n"
                                "-3,-0.25,2000-02-29,2021-12-31 23:59:59,TRUE,\"say \"\"hi\"\"\",,"
                                "2,2022-01-01T00:00,x,NULL\n");
    seed_spec s = spec("people", path);
    seed_result res;
    CHECK_STR(load(c, &s, false, &res), "");
    CHECK(res.rows == 3);
    CHECK_STR(res.message, "INSERT 3");
    CHECK_STR(types_of(c, "people"),
              "id INTEGER, score DOUBLE, born DATE, seen_at TIMESTAMP, active BOOLEAN, name "
              "VARCHAR, empty INTEGER, big BIGINT, iso TIMESTAMP, mixed_dt VARCHAR, nullish "
              "INTEGER");
    CHECK_STR(rows_of(c, "select id, score, born, seen_at, active, name, empty, big, iso, nullish "
                         "from raw.people order by id"),
              "-3|-0.25|2000-02-29|2021-12-31 23:59:59|true|say \"hi\"|NULL|2|2022-01-01 "
              "00:00:00|NULL\n"
              "1|1.5|2020-01-31|2021-02-03 04:05:06|true|Ann|NULL|3000000000|2021-02-03 "
              "04:05:06|NULL\n"
              "2|2.0|1999-12-01|2021-02-03 14:00:00|false|Bo, Jr.|NULL|1|2021-02-03 "
              "04:05:06.5|3");
    db_disconnect(c);
    db_close(d);
}

TEST(column_types_delimiter_and_quoting)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    const char *path = write_csv("codes.csv", "Code;Amount;Label\n007;10;a\n010;12.50;b\n");
    seed_spec s = spec("codes", path);
    s.delimiter = ';';
    seed_column_type types[] = {{"Code", "VARCHAR"}, {"Amount", "DECIMAL(10,2)"}};
    s.column_types = types;
    s.n_column_types = 2;
    s.quote_columns = true;
    CHECK_STR(load(c, &s, false, NULL), "");
    CHECK_STR(types_of(c, "codes"), "Code VARCHAR, Amount DECIMAL(10,2), Label VARCHAR");
    CHECK_STR(rows_of(c, "select \"Code\", \"Amount\" from raw.codes order by 1"),
              "007|10.00\n010|12.50");
    db_disconnect(c);
    db_close(d);
}

TEST(rerun_replaces_and_full_refresh_recreates)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    const char *path = write_csv("r.csv", "id,v\n1,a\n2,b\n");
    seed_spec s = spec("r", path);
    CHECK_STR(load(c, &s, false, NULL), "");
    write_csv("r.csv", "id,v\n3,c\n");
    seed_result res;
    CHECK_STR(load(c, &s, false, &res), "");
    CHECK_STR(res.message, "INSERT 1");
    CHECK_STR(rows_of(c, "select id, v from raw.r"), "3|c");
    /* A changed type needs --full-refresh: without it the old column type
     * is kept and the load fails, leaving the data as it was. */
    write_csv("r.csv", "id,v\nx,c\n");
    CHECK_CONTAINS(load(c, &s, false, NULL), "seeds/r.csv");
    CHECK_STR(rows_of(c, "select id, v from raw.r"), "3|c");
    CHECK_STR(load(c, &s, true, &res), "");
    CHECK_STR(res.message, "CREATE 1");
    CHECK_STR(types_of(c, "r"), "id VARCHAR, v VARCHAR");
    CHECK_STR(rows_of(c, "select id from raw.r"), "x");
    /* full_refresh: false in config wins over the flag. */
    write_csv("r.csv", "id,v\n5,e\n");
    s.full_refresh_config = 0;
    CHECK_STR(load(c, &s, true, &res), "");
    CHECK_STR(res.message, "INSERT 1");
    CHECK_STR(types_of(c, "r"), "id VARCHAR, v VARCHAR");
    CHECK_STR(rows_of(c, "select count(*) from information_schema.tables where table_catalog = "
                         "'temp'"),
              "0");
    db_disconnect(c);
    db_close(d);
}

TEST(malformed_csv_names_file_and_line)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    const char *path = write_csv("bad.csv", "id,v\n1,a\n2,b\n");
    seed_spec s = spec("bad", path);
    CHECK_STR(load(c, &s, false, NULL), "");
    write_csv("bad.csv", "id,v\n1,a\n2,b,extra\n3,c\n");
    const char *msg = load(c, &s, false, NULL);
    CHECK_CONTAINS(msg, "seeds/bad.csv:3:");
    CHECK_CONTAINS(msg, "malformed CSV");
    CHECK_CONTAINS(msg, "2,b,extra");
    CHECK_STR(rows_of(c, "select count(*) from raw.bad"), "2");
    /* A missing file is an error too. */
    seed_spec gone = spec("gone", arena_printf(&A, "%s/nope.csv", scratch_dir()));
    CHECK_CONTAINS(load(c, &gone, false, NULL), "seeds/gone.csv");
    /* A view in the seed's place. */
    sql_ok(c, "create view raw.v as select 1 as id");
    seed_spec v = spec("v", write_csv("v.csv", "id\n1\n"));
    CHECK_CONTAINS(load(c, &v, false, NULL), "it is a view");
    db_disconnect(c);
    db_close(d);
}

TEST(large_seed_loads)
{
    char *path = arena_printf(&A, "%s/large.csv", scratch_dir());
    FILE *f = fopen(path, "w");
    fputs("id,amount,day,flag,label\n", f);
    for (int i = 0; i < 100000; i++)
        fprintf(f, "%d,%d.%02d,2024-01-%02d,%s,item %d\n", i, i % 1000, i % 100, 1 + i % 28,
                i % 2 ? "true" : "false", i);
    fclose(f);
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    seed_spec s = spec("large", path);
    seed_result res;
    CHECK_STR(load(c, &s, false, &res), "");
    CHECK(res.rows == 100000);
    CHECK_STR(types_of(c, "large"),
              "id INTEGER, amount DOUBLE, day DATE, flag BOOLEAN, label VARCHAR");
    CHECK_STR(rows_of(c, "select sum(id), count(*) filter (where flag) from raw.large"),
              "4999950000|50000");
    db_disconnect(c);
    db_close(d);
}

int main(void)
{
    RUN(infers_types_like_dbt_duckdb);
    RUN(column_types_delimiter_and_quoting);
    RUN(rerun_replaces_and_full_refresh_recreates);
    RUN(malformed_csv_names_file_and_line);
    RUN(large_seed_loads);
    arena_free(&A);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch_dir());
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", scratch_dir());
    return CHECK_DONE();
}
