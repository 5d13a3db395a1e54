/* Materializations against real DuckDB: view, table (swap, failure leaves
 * the old table, leftovers cleaned), incremental (every strategy, key
 * forms, predicates, on_schema_change, full refresh), ephemeral, schemas
 * created on demand, concurrent workers, and a kill -9 mid-swap. */
#include "check.h"
#include "exec/materialize.h"
#include "exec_db.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

static arena A;

static mat_model model(mat_kind kind, const char *schema, const char *name, const char *sql)
{
    mat_model m = {0};
    m.name = name;
    m.kind = kind;
    m.target = (relation){.database = NULL, .schema = schema, .identifier = name};
    m.sql = sql;
    m.full_refresh_config = -1;
    return m;
}

/* Runs m; returns the error text ("" on success). */
static const char *build(db_conn *c, const mat_model *m, bool full_refresh, mat_result *out)
{
    static char msg[4096];
    mat_exec_opts o = mat_exec_defaults();
    o.full_refresh = full_refresh;
    mat_result res;
    mlerr err = MLERR_INIT;
    bool ok = mat_execute(c, m, &o, &res, &err);
    snprintf(msg, sizeof(msg), "%s", ok ? "" : mlerr_message(&err));
    if (ok && err.set)
        snprintf(msg, sizeof(msg), "ok but error set: %s", mlerr_message(&err));
    mlerr_clear(&err);
    if (out)
        *out = res;
    return msg;
}

static const char *leftovers(db_conn *c)
{
    return rows_of(c, "select count(*) from information_schema.tables where table_name like "
                      "'%__dbt_tmp' or table_name like '%__dbt_backup'");
}

TEST(view_create_replace_and_over_table)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    mat_model m = model(MAT_VIEW, "main", "v1", "select 1 as x");
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select x from v1"), "1");
    m.sql = "select 2 as x -- a trailing comment";
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select x from v1"), "2");
    CHECK_STR(rows_of(c, "select table_type from information_schema.tables where table_name='v1'"),
              "VIEW");
    /* A table of that name becomes a view. */
    sql_ok(c, "create table t1 as select 5 as y");
    mat_model m2 = model(MAT_VIEW, "main", "t1", "select 6 as y");
    CHECK_STR(build(c, &m2, false, NULL), "");
    CHECK_STR(rows_of(c, "select table_type from information_schema.tables where table_name='t1'"),
              "VIEW");
    CHECK_STR(rows_of(c, "select y from t1"), "6");
    /* A failing view leaves the old one. */
    m.sql = "select no_such_column from v1";
    CHECK_CONTAINS(build(c, &m, false, NULL), "no_such_column");
    CHECK_STR(rows_of(c, "select x from v1"), "2");
    db_disconnect(c);
    db_close(d);
}

TEST(table_swap_and_failure_keeps_old)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    mat_model m = model(MAT_TABLE, "analytics", "orders", "select range as id from range(3)");
    mat_result res;
    CHECK_STR(build(c, &m, false, &res), "");
    CHECK(res.rows_affected == 3);
    CHECK_STR(rows_of(c, "select count(*), sum(id) from analytics.orders"), "3|3");
    m.sql = "select range as id, 'x' as tag from range(10)";
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select count(*), max(tag) from analytics.orders"), "10|x");
    CHECK_STR(leftovers(c), "0");

    /* A model that fails at run time, after rows were produced. */
    m.sql = "select range as id, case when range = 5 then error('boom') else 'y' end as tag "
            "from range(10)";
    CHECK_CONTAINS(build(c, &m, false, NULL), "boom");
    CHECK_STR(rows_of(c, "select count(*), max(tag) from analytics.orders"), "10|x");
    CHECK_STR(leftovers(c), "0");

    /* A post-hook that fails rolls back the swap too. */
    m.sql = "select 1 as id";
    sql_list_add(&A, &m.hooks.post, "insert into no_such_table values (1)");
    CHECK_CONTAINS(build(c, &m, false, NULL), "no_such_table");
    CHECK_STR(rows_of(c, "select count(*) from analytics.orders"), "10");
    CHECK_STR(leftovers(c), "0");

    /* Hooks run, in the transaction, in order. */
    m.hooks.post = (sql_list){0};
    sql_ok(c, "create table hook_log (msg varchar)");
    sql_list_add(&A, &m.hooks.pre, "insert into hook_log values ('pre')");
    sql_list_add(&A, &m.hooks.post,
                 "insert into hook_log select 'post ' || count(*) from "
                 "analytics.orders");
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select string_agg(msg, ',' order by rowid) from hook_log"), "pre,post 1");

    /* A view of the same name becomes a table. */
    sql_ok(c, "create view analytics.v as select 1 as a");
    mat_model v = model(MAT_TABLE, "analytics", "v", "select 2 as a");
    CHECK_STR(build(c, &v, false, NULL), "");
    CHECK_STR(rows_of(c, "select table_type from information_schema.tables where table_name='v'"),
              "BASE TABLE");

    /* Leftovers of a killed run (between commit and drop) are cleared. */
    sql_ok(c, "create table analytics.orders__dbt_backup as select 1 as junk");
    sql_ok(c, "create view analytics.orders__dbt_tmp as select 1 as junk");
    m.hooks.pre = m.hooks.post = (sql_list){0};
    m.sql = "select 42 as id";
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select id from analytics.orders"), "42");
    CHECK_STR(leftovers(c), "0");
    db_disconnect(c);
    db_close(d);
}

TEST(table_plan_statements)
{
    mat_model m = model(MAT_TABLE, "s", "t", "select 1");
    m.target.database = "db";
    mat_plan p;
    mat_plan_table(&A, &m, REL_TABLE, &p);
    CHECK(p.before.n == 0);
    CHECK_STR(p.create_schema, "create schema if not exists \"db\".\"s\"");
    CHECK(p.txn.n == 3);
    CHECK(p.main == 0);
    CHECK_STR(p.txn.items[0], "create table \"db\".\"s\".\"t__dbt_tmp\" as (\nselect 1\n)");
    CHECK_STR(p.txn.items[1], "alter table \"db\".\"s\".\"t\" rename to \"t__dbt_backup\"");
    CHECK_STR(p.txn.items[2], "alter table \"db\".\"s\".\"t__dbt_tmp\" rename to \"t\"");
    CHECK(p.after.n == 1);
    CHECK_STR(p.after.items[0], "drop table if exists \"db\".\"s\".\"t__dbt_backup\"");
    mat_plan_table(&A, &m, REL_NONE, &p);
    CHECK(p.txn.n == 2 && p.after.n == 0);

    /* Hooks with transaction: false run outside, before and after. */
    jv cfg = jv_dict(&A);
    jv pre = jv_list(&A), outside = jv_dict(&A);
    jv_dict_set_str(outside, "sql", jv_string(&A, "select 'before begin'"));
    jv_dict_set_str(outside, "transaction", jv_bool(false));
    jv_list_append(pre, jv_string(&A, "select 'inside'"));
    jv_list_append(pre, outside);
    jv_dict_set_str(cfg, "pre-hook", pre);
    jv post = jv_dict(&A);
    jv_dict_set_str(post, "sql", jv_string(&A, "select 'after commit'"));
    jv_dict_set_str(post, "transaction", jv_bool(false));
    jv_dict_set_str(cfg, "post-hook", post);
    pnode n = {.name = "t", .original_file_path = "models/t.sql", .config = cfg};
    mlerr err = MLERR_INIT;
    CHECK(mat_hooks_from_config(&n, &A, &m.hooks, &err));
    mat_plan_table(&A, &m, REL_TABLE, &p);
    CHECK_STR(p.before.items[p.before.n - 1], "select 'before begin'");
    CHECK_STR(p.txn.items[0], "select 'inside'");
    CHECK_STR(p.after.items[0], "drop table if exists \"db\".\"s\".\"t__dbt_backup\"");
    CHECK_STR(p.after.items[1], "select 'after commit'");
    jv_dict_set_str(cfg, "post-hook", jv_string(&A, "grant select on {{ this }} to x"));
    CHECK(!mat_hooks_from_config(&n, &A, &m.hooks, &err));
    CHECK_CONTAINS(mlerr_message(&err), "not supported yet");
    mlerr_clear(&err);
}

static mat_model incremental(const char *name, const char *sql)
{
    mat_model m = model(MAT_INCREMENTAL, "main", name, sql);
    return m;
}

TEST(incremental_append)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    mat_model m = incremental("events", "select 1 as id, 'a' as v union all select 2, 'b'");
    m.strategy = MAT_APPEND;
    mat_result res;
    CHECK_STR(build(c, &m, false, &res), "");
    CHECK(res.full_refresh);
    m.sql = "select 2 as id, 'B' as v union all select 3, 'c'";
    CHECK_STR(build(c, &m, false, &res), "");
    CHECK(!res.full_refresh);
    CHECK(res.rows_affected == 2);
    CHECK_STR(rows_of(c, "select id, v from events order by id, v"), "1|a\n2|B\n2|b\n3|c");
    /* --full-refresh rebuilds; full_refresh: false in config wins over it. */
    m.full_refresh_config = 0;
    CHECK_STR(build(c, &m, true, &res), "");
    CHECK(!res.full_refresh);
    CHECK_STR(rows_of(c, "select count(*) from events"), "6");
    m.full_refresh_config = -1;
    CHECK_STR(build(c, &m, true, &res), "");
    CHECK(res.full_refresh);
    CHECK_STR(rows_of(c, "select id, v from events order by id"), "2|B\n3|c");
    CHECK_STR(rows_of(c, "select count(*) from information_schema.tables where table_name like "
                         "'%dbt_tmp' or table_name like '%dbt_backup'"),
              "0");
    db_disconnect(c);
    db_close(d);
}

TEST(incremental_delete_insert_string_and_list_keys)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    mat_model m = incremental("dim", "select 1 as id, 'a' as v union all select 2, 'b'");
    const char *key[] = {"id"};
    m.unique_key = key;
    m.n_unique_key = 1;
    CHECK_STR(build(c, &m, false, NULL), "");
    m.sql = "select 2 as id, 'B' as v union all select 3, 'c'";
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select id, v from dim order by id"), "1|a\n2|B\n3|c");

    /* A list key matches on every column. */
    mat_model l = incremental("facts", "select 1 as a, 1 as b, 'x' as v union all "
                                       "select 1, 2, 'y'");
    const char *keys[] = {"a", "b"};
    l.unique_key = keys;
    l.n_unique_key = 2;
    l.unique_key_is_list = true;
    CHECK_STR(build(c, &l, false, NULL), "");
    l.sql = "select 1 as a, 2 as b, 'Y' as v union all select 2, 1, 'z'";
    CHECK_STR(build(c, &l, false, NULL), "");
    CHECK_STR(rows_of(c, "select a, b, v from facts order by a, b"), "1|1|x\n1|2|Y\n2|1|z");

    /* incremental_predicates narrow the delete: rows outside keep their
     * old copy, so the key appears twice. */
    const char *preds[] = {"v <> 'z'"};
    l.predicates = preds;
    l.n_predicates = 1;
    l.unique_key_is_list = false;
    l.unique_key = keys;
    l.n_unique_key = 1; /* string key "a" */
    l.sql = "select 2 as a, 1 as b, 'w' as v";
    CHECK_STR(build(c, &l, false, NULL), "");
    CHECK_STR(rows_of(c, "select a, b, v from facts where a = 2 order by v"), "2|1|w\n2|1|z");
    db_disconnect(c);
    db_close(d);
}

TEST(incremental_merge)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    mat_model m = incremental("m", "select 1 as id, 10 as n union all select 2, 20");
    m.strategy = MAT_MERGE;
    const char *key[] = {"id"};
    m.unique_key = key;
    m.n_unique_key = 1;
    CHECK_STR(build(c, &m, false, NULL), "");
    m.sql = "select 2 as id, 21 as n union all select 3, 30";
    mat_result res;
    CHECK_STR(build(c, &m, false, &res), "");
    CHECK(res.rows_affected == 2);
    CHECK_STR(rows_of(c, "select id, n from m order by id"), "1|10\n2|21\n3|30");
    /* Without a key, merge only inserts. */
    m.n_unique_key = 0;
    m.sql = "select 3 as id, 31 as n";
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select count(*) from m where id = 3"), "2");
    db_disconnect(c);
    db_close(d);
}

TEST(incremental_on_schema_change)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    const char *key[] = {"id"};
    /* ignore: new column dropped, missing one must still exist in source */
    mat_model m = incremental("osc", "select 1 as id, 'a' as v");
    m.unique_key = key;
    m.n_unique_key = 1;
    CHECK_STR(build(c, &m, false, NULL), "");
    m.sql = "select 2 as id, 'b' as v, 99 as extra";
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select string_agg(column_name, ',' order by ordinal_position) from "
                         "information_schema.columns where table_name = 'osc'"),
              "id,v");
    CHECK_STR(rows_of(c, "select count(*) from osc"), "2");

    /* fail: an error that names the differences; the table is untouched */
    m.on_schema_change = MAT_OSC_FAIL;
    m.sql = "select 3 as id, 'c' as v, 1 as extra";
    const char *msg = build(c, &m, false, NULL);
    CHECK_CONTAINS(msg, "out of sync");
    CHECK_CONTAINS(msg, "Source columns not in target: extra");
    CHECK_STR(rows_of(c, "select count(*) from osc"), "2");
    CHECK_STR(rows_of(c, "select count(*) from information_schema.tables where "
                         "table_catalog = 'temp' and table_name = 'osc__dbt_tmp'"),
              "0");

    /* append_new_columns: the column is added, old rows get NULL */
    m.on_schema_change = MAT_OSC_APPEND_NEW_COLUMNS;
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select id, v, extra from osc order by id"), "1|a|NULL\n2|b|NULL\n3|c|1");

    /* sync_all_columns: v removed, extra retyped to VARCHAR */
    m.on_schema_change = MAT_OSC_SYNC_ALL_COLUMNS;
    m.sql = "select 4 as id, 'four' as extra";
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select string_agg(column_name || ':' || data_type, ',' order by "
                         "ordinal_position) from information_schema.columns where table_name = "
                         "'osc'"),
              "id:INTEGER,extra:VARCHAR");
    CHECK_STR(rows_of(c, "select id, extra from osc order by id"), "1|NULL\n2|NULL\n3|1\n4|four");
    db_disconnect(c);
    db_close(d);
}

TEST(incremental_over_view_and_failure)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    sql_ok(c, "create view inc as select 1 as id");
    mat_model m = incremental("inc", "select 7 as id");
    mat_result res;
    CHECK_STR(build(c, &m, false, &res), "");
    CHECK(res.full_refresh);
    CHECK_STR(rows_of(c, "select table_type from information_schema.tables where "
                         "table_name='inc'"),
              "BASE TABLE");
    /* A failing increment changes nothing and leaves no temp table. */
    m.sql = "select error('nope')::int as id";
    CHECK_CONTAINS(build(c, &m, false, NULL), "nope");
    CHECK_STR(rows_of(c, "select id from inc"), "7");
    m.sql = "select 8 as id";
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select id from inc order by id"), "7\n8");
    db_disconnect(c);
    db_close(d);
}

TEST(ephemeral_runs_nothing)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    mat_model m = model(MAT_EPHEMERAL, "main", "eph", "select broken sql");
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select count(*) from information_schema.tables where table_name='eph'"),
              "0");
    db_disconnect(c);
    db_close(d);
}

TEST(cancel_flag_stops_between_statements)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    mat_model m = model(MAT_TABLE, "main", "kept", "select 1 as id");
    CHECK_STR(build(c, &m, false, NULL), "");
    atomic_bool stop;
    atomic_init(&stop, true);
    mat_exec_opts o = mat_exec_defaults();
    o.cancelled = &stop;
    m.sql = "select 2 as id";
    mat_result res;
    mlerr err = MLERR_INIT;
    CHECK(!mat_execute(c, &m, &o, &res, &err));
    CHECK_CONTAINS(mlerr_message(&err), "Interrupted");
    mlerr_clear(&err);
    CHECK_STR(rows_of(c, "select id from kept"), "1");
    CHECK_STR(leftovers(c), "0");
    db_disconnect(c);
    db_close(d);
}

/* --- concurrency ---------------------------------------------------------- */

typedef struct worker_arg {
    db *d;
    int id;
    int rounds;
    int failures;
    int retries;
    char first_error[512];
} worker_arg;

static void *concurrent_worker(void *p)
{
    worker_arg *w = p;
    db_conn *c = connect_db(w->d);
    arena a = ARENA_INIT;
    for (int r = 0; r < w->rounds; r++) {
        /* Each worker owns a table, view and incremental in shared schemas,
         * and reads the others' tables. */
        const char *schemas[] = {"shared_a", "shared_b"};
        mat_model models[3];
        models[0] = model(MAT_TABLE, schemas[w->id % 2], arena_printf(&a, "t%d", w->id),
                          arena_printf(&a, "select range as id, %d as round from range(2000)", r));
        models[1] =
            model(MAT_VIEW, schemas[(w->id + 1) % 2], arena_printf(&a, "v%d", w->id),
                  arena_printf(&a, "select count(*) as n from %s.t%d", schemas[w->id % 2], w->id));
        models[2] = model(MAT_INCREMENTAL, "shared_inc", arena_printf(&a, "i%d", w->id),
                          arena_printf(&a, "select %d as id, %d as round", r % 5, r));
        static const char *key[] = {"id"};
        models[2].unique_key = key;
        models[2].n_unique_key = 1;
        for (int k = 0; k < 3; k++) {
            mat_exec_opts o = mat_exec_defaults();
            o.max_retries = 20;
            mat_result res;
            mlerr err = MLERR_INIT;
            if (!mat_execute(c, &models[k], &o, &res, &err)) {
                if (!w->failures++)
                    snprintf(w->first_error, sizeof(w->first_error), "%s", mlerr_message(&err));
            }
            w->retries += res.retries;
            mlerr_clear(&err);
        }
    }
    arena_free(&a);
    db_disconnect(c);
    return NULL;
}

TEST(eight_workers_share_one_database)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/concurrent.duckdb", scratch_dir());
    db *d = open_db(path);
    enum {
        N = 8
    };
    pthread_t t[N];
    worker_arg w[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker_arg){.d = d, .id = i, .rounds = 6};
        pthread_create(&t[i], NULL, concurrent_worker, &w[i]);
    }
    int failures = 0, retries = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        failures += w[i].failures;
        retries += w[i].retries;
        if (w[i].failures)
            fprintf(stderr, "worker %d: %s\n", i, w[i].first_error);
    }
    CHECK(failures == 0);
    printf("  (8 workers x 6 rounds x 3 models: %d conflict retries)\n", retries);
    db_conn *c = connect_db(d);
    CHECK_STR(rows_of(c, "select count(*), min(round), max(round) from shared_a.t0"), "2000|5|5");
    CHECK_STR(rows_of(c, "select n from shared_a.v1"), "2000");
    CHECK_STR(rows_of(c, "select count(*), max(round) from shared_inc.i3"), "5|5");
    db_disconnect(c);
    db_close(d);
}

/* --- crash safety ------------------------------------------------------------ */

static const char slow_sql[] = "select count(*) from range(100000) a, range(100000) b "
                               "where (a.range * b.range) % 7 = 0";

/* Builds m in a child process and kills it with SIGKILL once the marker
 * file exists (a hook writes it from inside the transaction) and the slow
 * statement after it is running. */
static void kill_mid_build(const char *path, mat_model *m, const char *marker)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        db *d = open_db(path);
        db_conn *c = connect_db(d);
        fprintf(stderr, "child finished (it should not): %s\n", build(c, m, false, NULL));
        _exit(0);
    }
    for (int waited = 0; access(marker, F_OK) != 0 && waited < 20000; waited += 10)
        usleep(10 * 1000);
    CHECK(access(marker, F_OK) == 0);
    usleep(200 * 1000); /* into the slow statement */
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    unlink(marker);
}

static const char *marker_hook(const char *marker)
{
    return arena_printf(&A, "copy (select 1 as x) to '%s'", marker);
}

TEST(kill_during_table_swap_keeps_old_table)
{
    char *path = arena_printf(&A, "%s/killed.duckdb", scratch_dir());
    char *marker = arena_printf(&A, "%s/in-transaction.csv", scratch_dir());
    {
        db *d = open_db(path);
        db_conn *c = connect_db(d);
        mat_model m = model(MAT_TABLE, "main", "big", "select range as id from range(1000)");
        CHECK_STR(build(c, &m, false, NULL), "");
        db_disconnect(c);
        db_close(d);
    }
    /* Killed while the new table is being built... */
    mat_model slow = model(MAT_TABLE, "main", "big",
                           "select a.range as id from range(100000) a, range(100000) b "
                           "where (a.range * b.range) % 7 = 0");
    sql_list_add(&A, &slow.hooks.pre, marker_hook(marker));
    kill_mid_build(path, &slow, marker);
    /* ...and after both renames, before the commit. */
    mat_model renamed = model(MAT_TABLE, "main", "big", "select 1 as id");
    sql_list_add(&A, &renamed.hooks.post, marker_hook(marker));
    sql_list_add(&A, &renamed.hooks.post, slow_sql);
    kill_mid_build(path, &renamed, marker);

    db *d = open_db(path);
    db_conn *c = connect_db(d);
    CHECK_STR(rows_of(c, "select count(*) from big"), "1000");
    /* And the next build succeeds. */
    mat_model m = model(MAT_TABLE, "main", "big", "select range as id from range(5)");
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select count(*) from big"), "5");
    CHECK_STR(leftovers(c), "0");
    db_disconnect(c);
    db_close(d);
}

TEST(kill_during_incremental_merge_keeps_rows)
{
    char *path = arena_printf(&A, "%s/killed_inc.duckdb", scratch_dir());
    char *marker = arena_printf(&A, "%s/merged.csv", scratch_dir());
    const char *key[] = {"id"};
    {
        db *d = open_db(path);
        db_conn *c = connect_db(d);
        mat_model m = incremental("facts", "select range as id, 'old' as v from range(500)");
        m.strategy = MAT_MERGE;
        m.unique_key = key;
        m.n_unique_key = 1;
        CHECK_STR(build(c, &m, false, NULL), "");
        db_disconnect(c);
        db_close(d);
    }
    /* The merge has run inside the transaction when the marker appears;
     * the kill lands in the slow post-hook before the commit. */
    mat_model m = incremental("facts", "select range as id, 'new' as v from range(250, 750)");
    m.strategy = MAT_MERGE;
    m.unique_key = key;
    m.n_unique_key = 1;
    sql_list_add(&A, &m.hooks.post, marker_hook(marker));
    sql_list_add(&A, &m.hooks.post, slow_sql);
    kill_mid_build(path, &m, marker);

    db *d = open_db(path);
    db_conn *c = connect_db(d);
    CHECK_STR(rows_of(c, "select count(*), count(*) filter (where v = 'old') from facts"),
              "500|500");
    m.hooks.post = (sql_list){0};
    CHECK_STR(build(c, &m, false, NULL), "");
    CHECK_STR(rows_of(c, "select count(*), count(*) filter (where v = 'new') from facts"),
              "750|500");
    db_disconnect(c);
    db_close(d);
}

/* target/run/'s text: dbt's "main" block, copied only when asked for. */
static const char *main_of(db_conn *c, const mat_model *m, arena *keep)
{
    mat_exec_opts o = mat_exec_defaults();
    o.keep_main = keep;
    mat_result res;
    mlerr err = MLERR_INIT;
    bool ok = mat_execute(c, m, &o, &res, &err);
    mlerr_clear(&err);
    return ok ? res.main_sql : "(failed)";
}

TEST(main_block_is_kept_for_target_run)
{
    db *d = open_db(":memory:");
    db_conn *c = connect_db(d);
    arena keep = ARENA_INIT;
    mat_model v = model(MAT_VIEW, "main", "mv", "select 1 as id");
    CHECK(main_of(c, &v, NULL) == NULL);
    CHECK_STR(main_of(c, &v, &keep),
              "create or replace view \"main\".\"mv\" as (\nselect 1 as id\n)");
    mat_model t = model(MAT_TABLE, "main", "mt", "select 1 as id");
    CHECK_CONTAINS(main_of(c, &t, &keep), "create table \"main\".\"mt__dbt_tmp\" as (");
    mat_model e = model(MAT_EPHEMERAL, "main", "me", "select 1 as id");
    CHECK(main_of(c, &e, &keep) == NULL);

    mat_model i = incremental("mi", "select 1 as id");
    const char *key[] = {"id"};
    i.unique_key = key;
    i.n_unique_key = 1;
    CHECK_CONTAINS(main_of(c, &i, &keep), "create table");
    /* delete+insert is one block of two statements, as dbt-duckdb's */
    const char *both = main_of(c, &i, &keep);
    const char *del = "delete from \"main\".\"mi\"";
    CHECK(strncmp(both, del, strlen(del)) == 0);
    CHECK_CONTAINS(both, ";\n\ninsert into \"main\".\"mi\"");
    i.strategy = MAT_APPEND;
    CHECK(strncmp(main_of(c, &i, &keep), "insert into", 11) == 0);
    arena_free(&keep);
    db_disconnect(c);
    db_close(d);
}

int main(void)
{
    RUN(view_create_replace_and_over_table);
    RUN(main_block_is_kept_for_target_run);
    RUN(table_swap_and_failure_keeps_old);
    RUN(table_plan_statements);
    RUN(incremental_append);
    RUN(incremental_delete_insert_string_and_list_keys);
    RUN(incremental_merge);
    RUN(incremental_on_schema_change);
    RUN(incremental_over_view_and_failure);
    RUN(ephemeral_runs_nothing);
    RUN(cancel_flag_stops_between_statements);
    RUN(eight_workers_share_one_database);
    RUN(kill_during_table_swap_keeps_old_table);
    RUN(kill_during_incremental_merge_keeps_rows);
    arena_free(&A);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch_dir());
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", scratch_dir());
    return CHECK_DONE();
}
