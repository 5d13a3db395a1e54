/* lock_holder: a second process that holds a DuckDB database, for the lock
 * tests.  `lock_holder FILE [SECONDS] [--read-only]` opens FILE (read-write
 * unless --read-only), creates a table when writable, prints "ready PID"
 * (flushed) once it holds the lock, then sleeps SECONDS (default 60) or until
 * SIGTERM/SIGINT, closes the database and exits 0. */
#include <duckdb.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

int main(int argc, char **argv)
{
    const char *file = NULL;
    double seconds = 60;
    bool read_only = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--read-only") == 0)
            read_only = true;
        else if (!file)
            file = argv[i];
        else
            seconds = atof(argv[i]);
    }
    if (!file) {
        fprintf(stderr, "usage: lock_holder FILE [SECONDS] [--read-only]\n");
        return 2;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    duckdb_config cfg;
    duckdb_create_config(&cfg);
    if (read_only)
        duckdb_set_config(cfg, "access_mode", "READ_ONLY");
    duckdb_database db;
    char *err = NULL;
    if (duckdb_open_ext(file, &db, cfg, &err) == DuckDBError) {
        fprintf(stderr, "lock_holder: %s\n", err ? err : "open failed");
        duckdb_free(err);
        duckdb_destroy_config(&cfg);
        return 1;
    }
    duckdb_destroy_config(&cfg);
    duckdb_connection con;
    if (duckdb_connect(db, &con) == DuckDBError) {
        fprintf(stderr, "lock_holder: cannot connect\n");
        duckdb_close(&db);
        return 1;
    }
    if (!read_only) {
        duckdb_result r;
        if (duckdb_query(con, "CREATE TABLE IF NOT EXISTS lock_holder_was_here AS SELECT 1 AS x",
                         &r) == DuckDBError) {
            fprintf(stderr, "lock_holder: %s\n", duckdb_result_error(&r));
            duckdb_destroy_result(&r);
            duckdb_disconnect(&con);
            duckdb_close(&db);
            return 1;
        }
        duckdb_destroy_result(&r);
    }
    printf("ready %ld\n", (long)getpid());
    fflush(stdout);

    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!stop_requested) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed =
            (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
        if (elapsed >= seconds)
            break;
        struct timespec tick = {0, 20 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return 0;
}
