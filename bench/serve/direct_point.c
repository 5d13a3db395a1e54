/* direct_point: the floor under bench/serve's point selects -- the same
 * prepared lookup run straight on DuckDB's C API by N threads, one
 * connection each: no server, no wire protocol, no client process.
 *
 *   direct_point DATABASE ROWS THREADS SECONDS [DUCKDB_THREADS]
 *
 * It builds run.sh's `accounts` table (the same SQL: ROWS rows, `id` the
 * primary key) in DATABASE, a fresh file, and checkpoints.  Then each
 * thread prepares `SELECT grp, amount, note FROM accounts WHERE id = $1`
 * once and executes it with random ids, bound as INTEGER (the prepared
 * type, as mallard serve binds them), reading the row's three values as
 * text as a server must, until SECONDS have passed.  DUCKDB_THREADS sets
 * DuckDB's pool (default: DuckDB's own, all cores).  It prints
 * "tps = N" and exits 1 if a lookup fails or finds no row, so a broken run
 * is never mistaken for a fast one.  Whatever a server adds, it cannot
 * answer faster than this. */
#include <duckdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static duckdb_database db;
static long rows;
static double deadline;
static const char *failure; /* the first error; read after the threads end */
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *why)
{
    pthread_mutex_lock(&failure_lock);
    if (!failure)
        failure = strdup(why ? why : "unknown error");
    pthread_mutex_unlock(&failure_lock);
}

static void *lookups(void *arg)
{
    long *done = arg;
    unsigned seed = (unsigned)(uintptr_t)arg ^ (unsigned)time(NULL);
    duckdb_connection con;
    duckdb_prepared_statement stmt;
    if (duckdb_connect(db, &con) != DuckDBSuccess) {
        fail("cannot connect");
        return NULL;
    }
    if (duckdb_prepare(con, "SELECT grp, amount, note FROM accounts WHERE id = $1", &stmt) !=
        DuckDBSuccess) {
        fail(duckdb_prepare_error(stmt));
        duckdb_destroy_prepare(&stmt);
        duckdb_disconnect(&con);
        return NULL;
    }
    while (now() < deadline) {
        int32_t id = (int32_t)(1 + rand_r(&seed) % rows);
        duckdb_result r;
        if (duckdb_bind_int32(stmt, 1, id) != DuckDBSuccess ||
            duckdb_execute_prepared(stmt, &r) != DuckDBSuccess) {
            fail(duckdb_result_error(&r));
            duckdb_destroy_result(&r);
            break;
        }
        if (duckdb_row_count(&r) != 1) {
            fail("a lookup found no row");
            duckdb_destroy_result(&r);
            break;
        }
        for (idx_t col = 0; col < 3; col++) {
            char *text = duckdb_value_varchar(&r, col, 0);
            duckdb_free(text);
        }
        duckdb_destroy_result(&r);
        (*done)++;
    }
    duckdb_destroy_prepare(&stmt);
    duckdb_disconnect(&con);
    return NULL;
}

static int run_sql(duckdb_connection con, const char *sql)
{
    duckdb_result r;
    if (duckdb_query(con, sql, &r) != DuckDBSuccess) {
        fprintf(stderr, "direct_point: %s\n", duckdb_result_error(&r));
        duckdb_destroy_result(&r);
        return 1;
    }
    duckdb_destroy_result(&r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: direct_point DATABASE ROWS THREADS SECONDS [DUCKDB_THREADS]\n");
        return 2;
    }
    rows = atol(argv[2]);
    int nthreads = atoi(argv[3]);
    double seconds = atof(argv[4]);
    if (rows < 1 || nthreads < 1 || nthreads > 256 || seconds <= 0) {
        fprintf(stderr, "direct_point: ROWS, THREADS and SECONDS must be positive\n");
        return 2;
    }
    char *err = NULL;
    if (duckdb_open_ext(argv[1], &db, NULL, &err) != DuckDBSuccess) {
        fprintf(stderr, "direct_point: %s: %s\n", argv[1], err ? err : "cannot open");
        duckdb_free(err);
        return 1;
    }
    duckdb_connection con;
    duckdb_connect(db, &con);
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO accounts SELECT i, i %% 1000, ((i * 7919) %% 100000) / 100.0, "
             "'note ' || i FROM range(1, %ld + 1) AS g(i)",
             rows);
    int rc = run_sql(con, "CREATE TABLE accounts (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, "
                          "amount DECIMAL(12,2) NOT NULL, note VARCHAR NOT NULL)") ||
             run_sql(con, sql) || run_sql(con, "CHECKPOINT");
    if (!rc && argc == 6) {
        snprintf(sql, sizeof sql, "SET threads = %d", atoi(argv[5]));
        rc = run_sql(con, sql);
    }
    duckdb_disconnect(&con);
    if (rc) {
        duckdb_close(&db);
        return 1;
    }
    pthread_t *tids = calloc((size_t)nthreads, sizeof *tids);
    long *done = calloc((size_t)nthreads, sizeof *done);
    double start = now();
    deadline = start + seconds;
    for (int i = 0; i < nthreads; i++)
        pthread_create(&tids[i], NULL, lookups, &done[i]);
    long total = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(tids[i], NULL);
        total += done[i];
    }
    double elapsed = now() - start;
    free(tids);
    free(done);
    duckdb_close(&db);
    if (failure) {
        fprintf(stderr, "direct_point: %s\n", failure);
        return 1;
    }
    printf("tps = %.1f\n", (double)total / elapsed);
    return 0;
}
