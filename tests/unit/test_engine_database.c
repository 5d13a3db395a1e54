/* test_engine_database: opening and sharing databases, error mapping, one
 * connection per thread, interrupts, and the open-failure messages. */
#include "check.h"
#include "engine/database.h"
#include "util/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[256];

static const char *scratch_path(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof(buf), "%s/%s", scratch, name);
    return buf;
}

TEST(error_kind_mapping)
{
    CHECK(db_error_kind_from_duckdb(DUCKDB_ERROR_TRANSACTION) == DB_ERR_TRANSACTION_CONFLICT);
    CHECK(db_error_kind_from_duckdb(DUCKDB_ERROR_CATALOG) == DB_ERR_CATALOG);
    CHECK(db_error_kind_from_duckdb(DUCKDB_ERROR_PARSER) == DB_ERR_PARSER);
    CHECK(db_error_kind_from_duckdb(DUCKDB_ERROR_BINDER) == DB_ERR_BINDER);
    CHECK(db_error_kind_from_duckdb(DUCKDB_ERROR_CONSTRAINT) == DB_ERR_CONSTRAINT);
    CHECK(db_error_kind_from_duckdb(DUCKDB_ERROR_INTERRUPT) == DB_ERR_INTERRUPT);
    CHECK(db_error_kind_from_duckdb(DUCKDB_ERROR_IO) == DB_ERR_IO);
    CHECK(db_error_kind_from_duckdb(DUCKDB_ERROR_CONVERSION) == DB_ERR_OTHER);
    CHECK_STR(db_error_kind_name(DB_ERR_TRANSACTION_CONFLICT), "transaction conflict");
    CHECK_STR(db_error_kind_name(DB_ERR_OTHER), "other");
}

/* Each statement that fails must come back with the kind its DuckDB error
 * has, not just "failed". */
TEST(statement_errors_are_structured)
{
    db_options o = {.path = ":memory:"};
    db *d;
    mlerr err = MLERR_INIT;
    CHECK(db_open(&o, &d, &err));
    db_conn *c;
    CHECK(db_connect(d, &c, &err));
    db_error e = {0};
    CHECK(!db_exec(c, "SELECT * FROM no_such_table", NULL, &e));
    CHECK(e.kind == DB_ERR_CATALOG);
    CHECK_CONTAINS(e.message, "no_such_table");
    CHECK(!db_exec(c, "SELEC 1", NULL, &e));
    CHECK(e.kind == DB_ERR_PARSER);
    CHECK(!db_exec(c, "SELECT no_such_column", NULL, &e));
    CHECK(e.kind == DB_ERR_BINDER);
    CHECK(db_exec(c, "CREATE TABLE k (id INTEGER PRIMARY KEY)", NULL, &e));
    CHECK(!db_exec(c, "INSERT INTO k VALUES (1), (1)", NULL, &e));
    CHECK(e.kind == DB_ERR_CONSTRAINT);
    CHECK(!db_exec(c, "COPY k TO '/nonexistent-dir/x.csv'", NULL, &e));
    CHECK(e.kind == DB_ERR_IO);
    CHECK(!db_exec(c, "SELECT 'a'::INTEGER", NULL, &e));
    CHECK(e.kind == DB_ERR_OTHER);
    mlerr m = MLERR_INIT;
    db_error_to_mlerr(&e, &m, EXIT_HANDLED);
    CHECK(m.exit_code == EXIT_HANDLED);
    CHECK_CONTAINS(mlerr_message(&m), "Conversion Error");
    mlerr_clear(&m);
    db_error_release(&e);

    char *v;
    CHECK(db_query_text(c, "SELECT 40 + 2", &v, &e));
    CHECK_STR(v, "42");
    free(v);
    CHECK(db_query_text(c, "SELECT NULL", &v, &e));
    CHECK(v == NULL);
    db_disconnect(c);
    db_close(d);
}

TEST(transaction_conflict)
{
    db_options o = {.path = ":memory:"};
    db *d;
    mlerr err = MLERR_INIT;
    CHECK(db_open(&o, &d, &err));
    db_conn *a = NULL, *b = NULL;
    CHECK(db_connect(d, &a, &err) && db_connect(d, &b, &err));
    db_error e = {0};
    CHECK(db_exec(a, "CREATE TABLE t AS SELECT 1 AS x", NULL, &e));
    CHECK(db_exec(a, "BEGIN; UPDATE t SET x = 2", NULL, &e));
    CHECK(db_exec(b, "BEGIN", NULL, &e));
    bool second = db_exec(b, "UPDATE t SET x = 3", NULL, &e);
    CHECK(!second);
    CHECK(e.kind == DB_ERR_TRANSACTION_CONFLICT);
    db_exec(b, "ROLLBACK", NULL, &e);
    db_exec(a, "COMMIT", NULL, &e);
    db_error_release(&e);
    db_disconnect(a);
    db_disconnect(b);
    db_close(d);
}

TEST(registry_shares_one_handle_per_file)
{
    db_options o = {.path = scratch_path("shared.duckdb"), .threads = 2};
    db *d1, *d2;
    mlerr err = MLERR_INIT;
    CHECK(db_open(&o, &d1, &err));
    /* The same file by another spelling of its path is the same database. */
    char other[600];
    snprintf(other, sizeof(other), "%s/./shared.duckdb", scratch);
    db_options o2 = {.path = other};
    CHECK(db_open(&o2, &d2, &err));
    CHECK(d1 == d2);
    CHECK(db_refcount(d1) == 2);
    CHECK(!db_is_memory(d1));
    CHECK_STR(db_path(d1), scratch_path("shared.duckdb"));

    db_conn *c;
    CHECK(db_connect(d1, &c, &err));
    char *v = NULL;
    db_error e = {0};
    CHECK(db_query_text(c, "SELECT current_setting('threads')", &v, &e));
    CHECK_STR(v, "2");
    free(v);
    db_disconnect(c);

    /* And through a symlink to its directory. */
    char dir_link[600];
    snprintf(dir_link, sizeof(dir_link), "%s/link", scratch);
    CHECK(symlink(scratch, dir_link) == 0);
    snprintf(other, sizeof(other), "%s/link/shared.duckdb", scratch);
    db *d3;
    CHECK(db_open(&o2, &d3, &err));
    CHECK(d3 == d1);
    CHECK(db_refcount(d1) == 3);
    db_close(d3);

    /* And through a hard link. */
    snprintf(other, sizeof(other), "%s/hardlink.duckdb", scratch);
    CHECK(link(scratch_path("shared.duckdb"), other) == 0);
    CHECK(db_open(&o2, &d3, &err));
    CHECK(d3 == d1);
    db_close(d3);

    db_close(d2);
    CHECK(db_refcount(d1) == 1);
    db_close(d1);

    /* Closed for real: a fresh open is a new handle that still sees the file. */
    CHECK(db_open(&o, &d1, &err));
    CHECK(db_refcount(d1) == 1);
    db_close(d1);
    CHECK(!err.set);
    mlerr_clear(&err);
}

TEST(settings_and_bad_settings)
{
    dbt_setting good[] = {{"memory_limit", "512MB"}, {"default_order", "DESC"}};
    db_options o = {.path = ":memory:", .settings = good, .n_settings = 2};
    db *d;
    mlerr err = MLERR_INIT;
    CHECK(db_open(&o, &d, &err));
    db_conn *c;
    CHECK(db_connect(d, &c, &err));
    char *v = NULL;
    db_error e = {0};
    CHECK(db_query_text(c, "SELECT current_setting('default_order')", &v, &e));
    CHECK(v && strcasecmp(v, "desc") == 0);
    free(v);
    db_disconnect(c);
    db_close(d);

    dbt_setting bad_value[] = {{"memory_limit", "lots"}};
    db_options ob = {.path = ":memory:",
                     .settings = bad_value,
                     .n_settings = 1,
                     .config_file = "/p/profiles.yml"};
    CHECK(!db_open(&ob, &d, &err));
    CHECK(err.exit_code == EXIT_SETUP);
    CHECK_CONTAINS(mlerr_message(&err), "memory_limit");
    CHECK_CONTAINS(mlerr_message(&err), "lots");
    CHECK_CONTAINS(mlerr_message(&err), "/p/profiles.yml");
    mlerr_clear(&err);

    dbt_setting unknown[] = {{"no_such_option", "1"}};
    db_options ou = {.path = ":memory:", .settings = unknown, .n_settings = 1};
    CHECK(!db_open(&ou, &d, &err));
    CHECK_CONTAINS(mlerr_message(&err), "no_such_option");
    mlerr_clear(&err);
}

TEST(extensions)
{
    const char *builtin[] = {"json", "parquet", "icu"};
    db_options o = {.path = ":memory:", .extensions = builtin, .n_extensions = 3};
    db *d;
    mlerr err = MLERR_INIT;
    CHECK(db_open(&o, &d, &err));
    if (err.set)
        fprintf(stderr, "%s\n", mlerr_message(&err));
    mlerr_clear(&err);
    if (d)
        db_close(d);

    const char *missing[] = {"json", "spatial"};
    db_options om = {.path = ":memory:", .extensions = missing, .n_extensions = 2};
    CHECK(!db_open(&om, &d, &err));
    CHECK(err.exit_code == EXIT_SETUP);
    CHECK_CONTAINS(mlerr_message(&err), "extension 'spatial' is not installed");
    CHECK_CONTAINS(mlerr_message(&err), "network");
    mlerr_clear(&err);

    const char *bogus[] = {"no_such_ext"};
    db_options ob = {.path = ":memory:", .extensions = bogus, .n_extensions = 1};
    CHECK(!db_open(&ob, &d, &err));
    CHECK_CONTAINS(mlerr_message(&err), "'no_such_ext' is not a DuckDB");
    mlerr_clear(&err);

    const char *injection[] = {"json'; DROP TABLE x; --"};
    db_options oi = {.path = ":memory:", .extensions = injection, .n_extensions = 1};
    CHECK(!db_open(&oi, &d, &err));
    CHECK_CONTAINS(mlerr_message(&err), "not supported yet");
    mlerr_clear(&err);
}

TEST(open_failures_say_what_to_do)
{
    db *d;
    mlerr err = MLERR_INIT;
    db_options missing_dir = {.path = scratch_path("no/such/dir/x.duckdb"),
                              .config_file = "profiles.yml"};
    CHECK(!db_open(&missing_dir, &d, &err));
    CHECK(err.exit_code == EXIT_SETUP);
    CHECK_CONTAINS(mlerr_message(&err), "does not exist");
    CHECK_CONTAINS(mlerr_message(&err), "no/such/dir");
    CHECK_CONTAINS(mlerr_message(&err), "mkdir -p");
    mlerr_clear(&err);

    FILE *f = fopen(scratch_path("text.duckdb"), "w");
    fputs("this is not a database\n", f);
    fclose(f);
    db_options not_db = {.path = scratch_path("text.duckdb")};
    CHECK(!db_open(&not_db, &d, &err));
    CHECK(err.exit_code == EXIT_SETUP);
    CHECK_CONTAINS(mlerr_message(&err), "text.duckdb is not a DuckDB database file");
    mlerr_clear(&err);

    db_options remote = {.path = "md:my_db"};
    CHECK(!db_open(&remote, &d, &err));
    CHECK_CONTAINS(mlerr_message(&err), "not supported yet: database path 'md:my_db'");
    mlerr_clear(&err);
    db_options s3 = {.path = "s3://bucket/x.duckdb"};
    CHECK(!db_open(&s3, &d, &err));
    CHECK_CONTAINS(mlerr_message(&err), "not supported yet");
    mlerr_clear(&err);

    db_options is_dir = {.path = scratch};
    CHECK(!db_open(&is_dir, &d, &err));
    CHECK_CONTAINS(mlerr_message(&err), "is a directory");
    mlerr_clear(&err);

    db_options ro_missing = {.path = scratch_path("absent.duckdb"), .read_only = true};
    CHECK(!db_open(&ro_missing, &d, &err));
    CHECK_CONTAINS(mlerr_message(&err), "does not exist");
    mlerr_clear(&err);
    /* A failed open leaves nothing registered behind. */
    db_options ok = {.path = scratch_path("text2.duckdb")};
    CHECK(db_open(&ok, &d, &err));
    db_close(d);
}

TEST(read_only_open)
{
    mlerr err = MLERR_INIT;
    db *d;
    db_options rw = {.path = scratch_path("ro.duckdb")};
    CHECK(db_open(&rw, &d, &err));
    db_conn *c;
    db_error e = {0};
    CHECK(db_connect(d, &c, &err));
    CHECK(db_exec(c, "CREATE TABLE t AS SELECT 7 AS x", NULL, &e));
    db_disconnect(c);
    db_close(d);

    db_options ro = {.path = scratch_path("ro.duckdb"), .read_only = true};
    CHECK(db_open(&ro, &d, &err));
    CHECK(db_is_read_only(d));
    /* A writer cannot join a read-only handle in the same process. */
    db *w;
    CHECK(!db_open(&rw, &w, &err));
    CHECK_CONTAINS(mlerr_message(&err), "already open read-only");
    mlerr_clear(&err);
    CHECK(db_connect(d, &c, &err));
    char *v;
    CHECK(db_query_text(c, "SELECT x FROM t", &v, &e));
    CHECK_STR(v, "7");
    free(v);
    CHECK(!db_exec(c, "INSERT INTO t VALUES (8)", NULL, &e));
    CHECK_CONTAINS(e.message, "read-only");
    db_error_release(&e);
    db_disconnect(c);
    db_close(d);
}

typedef struct opener {
    const char *path;
    db *got;
} opener;

static void *open_it(void *arg)
{
    opener *o = arg;
    db_options opts = {.path = o->path, .threads = 1};
    mlerr err = MLERR_INIT;
    if (!db_open(&opts, &o->got, &err))
        o->got = NULL;
    mlerr_clear(&err);
    return NULL;
}

TEST(concurrent_opens_share_one_handle)
{
    enum {
        N = 6
    };
    opener o[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        o[i] = (opener){.path = scratch_path("race.duckdb")};
        pthread_create(&t[i], NULL, open_it, &o[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++)
        CHECK(o[i].got && o[i].got == o[0].got);
    if (o[0].got)
        CHECK(db_refcount(o[0].got) == N);
    for (int i = 0; i < N; i++)
        db_close(o[i].got);
}

/* --- threads ---------------------------------------------------------------- */

typedef struct worker {
    db *d;
    int id;
    int rows_seen;
    bool ok;
} worker;

static void *insert_own_rows(void *arg)
{
    worker *w = arg;
    mlerr err = MLERR_INIT;
    db_conn *c;
    if (!db_connect(w->d, &c, &err))
        return NULL;
    db_error e = {0};
    char sql[256];
    w->ok = true;
    for (int i = 0; i < 50; i++) {
        snprintf(sql, sizeof(sql), "INSERT INTO rows_by_thread VALUES (%d, %d)", w->id, i);
        w->ok = w->ok && db_exec(c, sql, NULL, &e);
    }
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM rows_by_thread WHERE thread = %d", w->id);
    char *v = NULL;
    w->ok = w->ok && db_query_text(c, sql, &v, &e);
    w->rows_seen = v ? atoi(v) : -1;
    free(v);
    db_error_release(&e);
    db_disconnect(c);
    return NULL;
}

TEST(one_connection_per_thread)
{
    db_options o = {.path = scratch_path("threads.duckdb"), .threads = 4};
    db *d;
    mlerr err = MLERR_INIT;
    CHECK(db_open(&o, &d, &err));
    db_conn *c;
    db_error e = {0};
    CHECK(db_connect(d, &c, &err));
    CHECK(db_exec(c, "CREATE TABLE rows_by_thread (thread INTEGER, i INTEGER)", NULL, &e));
    enum {
        N = 4
    };
    worker w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker){.d = d, .id = i};
        pthread_create(&t[i], NULL, insert_own_rows, &w[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        CHECK(w[i].ok);
        CHECK(w[i].rows_seen == 50);
    }
    char *v;
    CHECK(db_query_text(c, "SELECT count(DISTINCT thread) * 1000 + count(*) FROM rows_by_thread",
                        &v, &e));
    CHECK_STR(v, "4200");
    free(v);
    db_disconnect(c);
    db_close(d);
}

typedef struct long_query {
    db *d;
    pthread_mutex_t lock; /* guards conn and started */
    pthread_cond_t cond;
    db_conn *conn;
    db_error_kind kind;
    bool finished;
} long_query;

static void *run_long_query(void *arg)
{
    long_query *q = arg;
    mlerr err = MLERR_INIT;
    db_conn *c;
    if (!db_connect(q->d, &c, &err))
        return NULL;
    pthread_mutex_lock(&q->lock);
    q->conn = c;
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->lock);
    db_error e = {0};
    bool ok = db_exec(c, "SELECT sum(a.range * b.range) FROM range(100000000) a, range(1000) b",
                      NULL, &e);
    pthread_mutex_lock(&q->lock);
    q->kind = ok ? DB_ERR_NONE : e.kind;
    q->finished = true;
    pthread_mutex_unlock(&q->lock);
    db_error_release(&e);
    /* Keep the connection until main has stopped interrupting it. */
    pthread_mutex_lock(&q->lock);
    q->conn = NULL;
    pthread_mutex_unlock(&q->lock);
    db_disconnect(c);
    return NULL;
}

TEST(interrupt_from_another_thread)
{
    db_options o = {.path = ":memory:", .threads = 2};
    db *d;
    mlerr err = MLERR_INIT;
    CHECK(db_open(&o, &d, &err));
    long_query q = {.d = d, .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    pthread_t t;
    pthread_create(&t, NULL, run_long_query, &q);
    pthread_mutex_lock(&q.lock);
    while (!q.conn)
        pthread_cond_wait(&q.cond, &q.lock);
    pthread_mutex_unlock(&q.lock);
    /* Interrupt repeatedly until the query notices: the first may land
     * before the statement starts. */
    for (int i = 0; i < 200; i++) {
        usleep(50 * 1000);
        pthread_mutex_lock(&q.lock);
        bool done = q.finished;
        if (!done && q.conn)
            db_interrupt(q.conn);
        pthread_mutex_unlock(&q.lock);
        if (done)
            break;
    }
    pthread_join(t, NULL);
    CHECK(q.finished);
    CHECK(q.kind == DB_ERR_INTERRUPT);
    db_close(d);
}

/* Two threads wanting one relation take turns; another relation, or the
 * same name on another database, does not wait. */
typedef struct turn_taker {
    db *d;
    const char *relation;
    atomic_bool got;
} turn_taker;

static void *take_turn(void *arg)
{
    turn_taker *t = arg;
    db_relation_turn_begin(t->d, t->relation);
    atomic_store(&t->got, true);
    db_relation_turn_end(t->d, t->relation);
    return NULL;
}

TEST(relation_turns)
{
    /* scratch_path reuses one buffer: open each before naming the next */
    db *d1, *d2;
    mlerr err = MLERR_INIT;
    db_options o1 = {.path = scratch_path("turns1.duckdb")};
    CHECK(db_open(&o1, &d1, &err));
    db_options o2 = {.path = scratch_path("turns2.duckdb")};
    CHECK(db_open(&o2, &d2, &err));
    CHECK(d1 != d2);
    db_relation_turn_begin(d1, "\"main\".\"orders\"");
    turn_taker same = {d1, "\"main\".\"orders\"", false};
    turn_taker other = {d1, "\"main\".\"customers\"", false};
    turn_taker elsewhere = {d2, "\"main\".\"orders\"", false};
    pthread_t ts, to, te;
    CHECK(pthread_create(&ts, NULL, take_turn, &same) == 0);
    CHECK(pthread_create(&to, NULL, take_turn, &other) == 0);
    CHECK(pthread_create(&te, NULL, take_turn, &elsewhere) == 0);
    pthread_join(to, NULL);
    pthread_join(te, NULL);
    CHECK(atomic_load(&other.got));
    CHECK(atomic_load(&elsewhere.got));
    usleep(50 * 1000); /* the waiter had every chance to run */
    CHECK(!atomic_load(&same.got));
    db_relation_turn_end(d1, "\"main\".\"orders\"");
    pthread_join(ts, NULL);
    CHECK(atomic_load(&same.got));
    db_close(d1);
    db_close(d2);
    mlerr_clear(&err);
}

int main(void)
{
    const char *tmp = getenv("MALLARD_TEST_TMP");
    snprintf(scratch, sizeof(scratch), "%s/test_engine_database-XXXXXX", tmp ? tmp : "/tmp");
    mkdir(tmp ? tmp : "/tmp", 0777);
    if (!mkdtemp(scratch)) {
        perror("mkdtemp");
        return 1;
    }
    log_set_level(LOG_WARN);
    RUN(error_kind_mapping);
    RUN(statement_errors_are_structured);
    RUN(transaction_conflict);
    RUN(registry_shares_one_handle_per_file);
    RUN(settings_and_bad_settings);
    RUN(extensions);
    RUN(open_failures_say_what_to_do);
    RUN(read_only_open);
    RUN(concurrent_opens_share_one_handle);
    RUN(one_connection_per_thread);
    RUN(interrupt_from_another_thread);
    RUN(relation_turns);
    int rc = CHECK_DONE();
    if (rc == 0) {
        char cmd[400];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
        if (system(cmd) != 0)
            rc = 1;
    }
    return rc;
}
