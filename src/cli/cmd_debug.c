/* cmd_debug: `mallard debug`, the connection doctor.
 *
 * dbt's debug checks (project and profile found and valid, the connection
 * works) plus what users write lock-fix scripts for: N connections, one per
 * thread as a run uses them, write and read back their own rows at once;
 * a fresh open of the file sees every row; and who holds the file's lock.
 * Each check prints one dbt-style line, "name [OK detail]" or "name [FAIL
 * detail]", with the full error under a failure. */
#include "cli/cli.h"
#include "cli/setup.h"
#include "engine/database.h"
#include "engine/lock.h"
#include "util/arena.h"
#include "util/fs.h"
#include "util/jobctx.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MALLARD_VERSION
#define MALLARD_VERSION "0.0.0"
#endif

/* Rows each connection writes in the concurrency check, in this many
 * separate statements so the writers really interleave. */
enum {
    ROWS_PER_BATCH = 25,
    BATCHES = 4,
    ROWS_PER_THREAD = ROWS_PER_BATCH * BATCHES
};

typedef struct debug_run {
    int failed;
    int exit_code;   /* the worst so far: 1 for a failed check, 2 for a setup error */
    strbuf failures; /* "  - name: message" per failed check, for the summary */
} debug_run;

static void check_ok(const char *name, const char *detail)
{
    log_info("  %s [%sOK %s%s]", name, log_color_code(COLOR_GREEN), detail,
             log_color_code(COLOR_RESET));
}

static void check_skip(const char *name, const char *why)
{
    log_info("  %s [SKIP %s]", name, why);
}

/* Reports a failed check; message may span lines and is repeated in the
 * summary. */
static void check_fail(debug_run *run, int exit_code, const char *name, const char *detail,
                       const char *message)
{
    log_info("  %s [%sFAIL %s%s]", name, log_color_code(COLOR_RED), detail,
             log_color_code(COLOR_RESET));
    /* One log line per message line, so each gets its timestamp. */
    for (const char *line = message; line && *line;) {
        size_t len = strcspn(line, "\n");
        log_error("    %.*s", (int)len, line);
        line += len + (line[len] == '\n');
    }
    run->failed++;
    if (exit_code > run->exit_code)
        run->exit_code = exit_code;
    const char *first = message && *message ? message : detail;
    strbuf_addf(&run->failures, "\n  - %s %.*s", name, (int)strcspn(first, "\n"), first);
}

/* --- concurrent writers -------------------------------------------------------- */

typedef struct writer {
    db *database;
    const char *table; /* quoted, qualified */
    int id;
    bool ok;
    long long rows_seen;
    char *error; /* heap, when !ok */
} writer;

static void writer_fail(writer *w, const char *what, const char *why)
{
    w->ok = false;
    w->error = xasprintf("connection %d: %s: %s", w->id, what, why);
}

/* One worker thread: its own connection, its own rows, read back by itself. */
static void *write_and_read_back(void *arg)
{
    writer *w = arg;
    mlerr err = MLERR_INIT;
    db_conn *c;
    if (!db_connect(w->database, &c, &err)) {
        writer_fail(w, "connect", mlerr_message(&err));
        mlerr_clear(&err);
        return NULL;
    }
    db_error e = {0};
    w->ok = true;
    for (int b = 0; w->ok && b < BATCHES; b++) {
        char *sql = xasprintf("INSERT INTO %s SELECT %d, %d * %d + i, 'row ' || i || ' of "
                              "connection %d' FROM range(%d) t(i)",
                              w->table, w->id, b, ROWS_PER_BATCH, w->id, ROWS_PER_BATCH);
        if (!db_exec(c, sql, NULL, &e))
            writer_fail(w, "insert", e.message);
        free(sql);
    }
    if (w->ok) {
        /* Every sequence number exactly once: count and sum both match. */
        char *sql = xasprintf("SELECT count(*) * 1000000 + sum(seq) FROM %s WHERE writer = %d",
                              w->table, w->id);
        char *v = NULL;
        if (!db_query_text(c, sql, &v, &e))
            writer_fail(w, "read back", e.message);
        long long want = (long long)ROWS_PER_THREAD * 1000000 +
                         (long long)ROWS_PER_THREAD * (ROWS_PER_THREAD - 1) / 2;
        long long got = v ? atoll(v) : -1;
        w->rows_seen = got / 1000000;
        if (w->ok && got != want) {
            char *why = xasprintf("read back %lld of its %d rows (or wrong ones)", w->rows_seen,
                                  ROWS_PER_THREAD);
            writer_fail(w, "read back", why);
            free(why);
        }
        free(v);
        free(sql);
    }
    db_error_release(&e);
    db_disconnect(c);
    return NULL;
}

static void check_concurrent_writes(debug_run *run, db *database, const char *table, int n)
{
    char name[64];
    snprintf(name, sizeof(name), "Concurrent connections (%d thread%s)", n, n == 1 ? "" : "s");
    writer *w = xcalloc((size_t)n, sizeof(*w));
    pthread_t *threads = xcalloc((size_t)n, sizeof(*threads));
    bool *started = xcalloc((size_t)n, sizeof(*started));
    for (int i = 0; i < n; i++) {
        w[i] = (writer){.database = database, .table = table, .id = i + 1};
        started[i] = job_thread_create(&threads[i], NULL, write_and_read_back, &w[i]) == 0;
        if (!started[i])
            writer_fail(&w[i], "start thread", "pthread_create failed");
    }
    strbuf errors = STRBUF_INIT;
    int good = 0;
    for (int i = 0; i < n; i++) {
        if (started[i])
            pthread_join(threads[i], NULL);
        if (w[i].ok) {
            good++;
        } else {
            strbuf_addf(&errors, "%s%s", errors.len ? "\n    " : "", w[i].error);
            free(w[i].error);
        }
    }
    if (good == n) {
        char detail[128];
        snprintf(detail, sizeof(detail), "%d connection%s each wrote and read back %d rows", n,
                 n == 1 ? "" : "s", ROWS_PER_THREAD);
        check_ok(name, detail);
    } else {
        char detail[64];
        snprintf(detail, sizeof(detail), "%d of %d connections failed", n - good, n);
        check_fail(run, EXIT_HANDLED, name, detail, strbuf_str(&errors));
    }
    strbuf_release(&errors);
    free(started);
    free(threads);
    free(w);
}

/* --- the checks in order ------------------------------------------------------ */

static void check_lock_holder(debug_run *run, const char *path)
{
    const char *name = "Lock holder";
    if (job_current()) {
        /* Run for another process, in the one that owns the file: probing
         * the lock would open and close the file here, and closing any
         * descriptor of a file drops all of this process's POSIX locks on
         * it, DuckDB's included. */
        char detail[96];
        snprintf(detail, sizeof(detail), "this Mallard process (PID %ld) owns it", (long)getpid());
        check_ok(name, detail);
        return;
    }
    long pid = lock_find_holder(path);
    if (pid == 0) {
        check_ok(name, "no other process holds the lock");
        return;
    }
    lock_holder h = {0};
    lock_describe_pid(&h, pid, NULL);
    strbuf who = STRBUF_INIT;
    lock_holder_describe(&h, &who);
    char *msg = xasprintf("%s holds the lock on %s, so runs from other processes wait for it or "
                          "fail",
                          strbuf_str(&who), path);
    check_fail(run, EXIT_HANDLED, name, "another process holds it", msg);
    free(msg);
    strbuf_release(&who);
    lock_holder_release(&h);
}

static db_options target_db_options(const dbt_target *t, double lock_timeout)
{
    db_options o = cli_target_db_options(t, lock_timeout);
    o.threads = t->threads;
    return o;
}

/* After everything is closed: a new instance reads the file from disk and
 * must see every row the writers committed.  Drops the scratch table. */
static void check_fresh_open(debug_run *run, const dbt_target *t, double lock_timeout,
                             const char *table, long long want)
{
    const char *name = "Fresh open sees every row";
    db_options o = target_db_options(t, lock_timeout);
    db *d = NULL;
    mlerr err = MLERR_INIT;
    if (!db_open(&o, &d, &err)) {
        check_fail(run, err.exit_code, name, "could not reopen the file", mlerr_message(&err));
        mlerr_clear(&err);
        return;
    }
    db_conn *c = NULL;
    if (!db_connect(d, &c, &err)) {
        check_fail(run, EXIT_HANDLED, name, "could not connect", mlerr_message(&err));
        mlerr_clear(&err);
        db_close(d);
        return;
    }
    db_error e = {0};
    char *sql = xasprintf("SELECT count(*) FROM %s", table);
    char *v = NULL;
    if (!db_query_text(c, sql, &v, &e)) {
        check_fail(run, EXIT_HANDLED, name, "the rows are missing", e.message);
    } else if (!v || atoll(v) != want) {
        char *msg = xasprintf("a fresh open of %s sees %s of the %lld rows written", db_path(d),
                              v ? v : "none", want);
        check_fail(run, EXIT_HANDLED, name, "rows are missing", msg);
        free(msg);
    } else {
        char detail[128];
        snprintf(detail, sizeof(detail), "all %lld rows are in the file", want);
        check_ok(name, detail);
    }
    free(v);
    free(sql);
    sql = xasprintf("DROP TABLE IF EXISTS %s", table);
    if (!db_exec(c, sql, NULL, &e))
        check_fail(run, EXIT_HANDLED, "Scratch table removed", "could not drop it", e.message);
    free(sql);
    db_error_release(&e);
    db_disconnect(c);
    db_close(d);
}

/* Opens the database, round-trips a query, runs the writers; returns whether
 * the database opened at all. */
static bool check_database(debug_run *run, const dbt_target *t, double lock_timeout)
{
    db_options o = target_db_options(t, lock_timeout);
    db *d = NULL;
    mlerr err = MLERR_INIT;
    double start = lock_now();
    if (!db_open(&o, &d, &err)) {
        check_fail(run, err.exit_code, "Database open", "cannot open it", mlerr_message(&err));
        mlerr_clear(&err);
        return false;
    }
    char detail[128];
    snprintf(detail, sizeof(detail), "opened %s in %.2f s",
             db_is_read_only(d) ? "read-only" : "read-write", lock_now() - start);
    check_ok("Database open", detail);

    db_conn *c = NULL;
    db_error e = {0};
    char *v = NULL;
    if (!db_connect(d, &c, &err)) {
        check_fail(run, EXIT_HANDLED, "Connection test:", "cannot connect", mlerr_message(&err));
        mlerr_clear(&err);
        db_close(d);
        return true;
    }
    if (!db_query_text(c, "SELECT 6 * 7", &v, &e))
        check_fail(run, EXIT_HANDLED, "Connection test:", "query failed", e.message);
    else if (!v || strcmp(v, "42") != 0)
        check_fail(run, EXIT_HANDLED, "Connection test:", "wrong answer",
                   "SELECT 6 * 7 did not return 42");
    else
        check_ok("Connection test:", "connection ok");
    free(v);

    /* One scratch table per check -- routed debugs run side by side in one
     * process; its name says what it is, should a crash ever leave it
     * behind. */
    static atomic_uint checks;
    char table[96];
    snprintf(table, sizeof(table), "main.mallard_debug_scratch_%ld_%u", (long)getpid(),
             atomic_fetch_add(&checks, 1));
    int n = t->threads > 0 ? t->threads : 1;
    char *sql =
        xasprintf("CREATE OR REPLACE TABLE %s (writer INTEGER, seq INTEGER, note VARCHAR)", table);
    bool created = db_exec(c, sql, NULL, &e);
    free(sql);
    if (!created) {
        char name[64];
        snprintf(name, sizeof(name), "Concurrent connections (%d threads)", n);
        check_fail(run, EXIT_HANDLED, name, "cannot create a scratch table", e.message);
    } else {
        check_concurrent_writes(run, d, table, n);
    }

    bool memory = db_is_memory(d);
    if (memory && created) {
        sql = xasprintf("DROP TABLE %s", table);
        if (!db_exec(c, sql, NULL, &e))
            check_fail(run, EXIT_HANDLED, "Scratch table removed", "could not drop it", e.message);
        free(sql);
    }
    db_error_release(&e);
    db_disconnect(c);
    db_close(d);

    if (memory)
        check_skip("Fresh open sees every row", ":memory: has no file to reopen");
    else if (created)
        check_fresh_open(run, t, lock_timeout, table, (long long)n * ROWS_PER_THREAD);
    return true;
}

static int run_debug(cli_globals *g, int argc, const char **argv)
{
    if (argc > 0) {
        job_eprintf("mallard debug: unexpected argument '%s'\n", argv[0]);
        job_eprintf("  hint: run 'mallard help debug' for its options\n");
        return EXIT_SETUP;
    }
    log_info("Running with mallard=%s", MALLARD_VERSION);
    log_info("mallard version: %s", MALLARD_VERSION);
    log_info("duckdb version: %s", duckdb_library_version());

    arena a = ARENA_INIT;
    cli_project p;
    mlerr err = MLERR_INIT;
    if (!cli_setup_project(g, &a, &p, &err)) {
        log_info("Configuration:");
        /* Set-up reads the .env files first; their errors start "PATH/.env:". */
        const char *msg = mlerr_message(&err);
        const char *colon = strchr(msg, ':');
        bool dotenv_failed = colon && colon - msg >= 5 && strncmp(colon - 5, "/.env", 5) == 0;
        if (dotenv_failed) {
            log_info("  .env file [%sFAIL invalid%s]", log_color_code(COLOR_RED),
                     log_color_code(COLOR_RESET));
        } else if (p.project.name && *p.project.name) {
            log_info("  dbt_project.yml file [OK found and valid]");
            log_info("  profiles.yml file [%sFAIL not found or invalid%s]",
                     log_color_code(COLOR_RED), log_color_code(COLOR_RESET));
        } else {
            log_info("  dbt_project.yml file [%sFAIL not found or invalid%s]",
                     log_color_code(COLOR_RED), log_color_code(COLOR_RESET));
        }
        int rc = cli_fail(&err);
        mlerr_clear(&err);
        arena_free(&a);
        return rc;
    }
    if (!cli_log_start(g, &p, &err)) {
        int rc = cli_fail(&err);
        mlerr_clear(&err);
        arena_free(&a);
        return rc;
    }
    const dbt_target *t = &p.target;
    for (int i = 0; i < 2; i++) {
        if (p.dotenv_files[i])
            log_info("Using .env file at %s", p.dotenv_files[i]);
    }
    log_info("Using dbt_project.yml file at %s", p.project.path);
    log_info("Using profiles.yml file at %s", t->profiles_file);
    log_info("adapter type: %s", t->type);
    log_info("Configuration:");
    log_info("  dbt_project.yml file [OK found and valid]");
    log_info("  profiles.yml file [OK found and valid]");
    log_info("Connection:");
    log_info("  profile: %s", t->profile_name);
    log_info("  target: %s", t->target_name);
    log_info("  path: %s", t->abs_path);
    log_info("  database: %s", t->database);
    log_info("  schema: %s", t->schema);
    log_info("  threads: %d", t->threads);
    for (size_t i = 0; i < t->n_extensions; i++)
        log_info("  extension: %s", t->extensions[i]);
    for (size_t i = 0; i < t->n_settings; i++)
        log_info("  setting: %s = %s", t->settings[i].key, t->settings[i].value);

    debug_run run = {0};
    bool opened = check_database(&run, t, g->lock_timeout);
    if (strcmp(t->abs_path, ":memory:") == 0)
        check_ok("Lock holder", ":memory: has no file to lock");
    else if (!opened || fs_exists(t->abs_path))
        check_lock_holder(&run, t->abs_path);

    int rc = EXIT_OK;
    if (run.failed == 0) {
        log_info("All checks passed!");
    } else {
        log_info("%d check%s failed:%s", run.failed, run.failed == 1 ? "" : "s",
                 strbuf_str(&run.failures));
        rc = run.exit_code ? run.exit_code : EXIT_HANDLED;
    }
    strbuf_release(&run.failures);
    arena_free(&a);
    return rc;
}

const cli_command cmd_debug = {
    .name = "debug",
    .summary = "Check the project, the profile and the database (the connection doctor)",
    .usage = "debug [--project-dir DIR] [--profiles-dir DIR] [--target NAME] "
             "[--lock-timeout SECONDS]",
    .run = run_debug,
    .description =
        "Runs dbt's debug checks and the ones lock-fix scripts do: the project and profile are\n"
        "found and valid; the database opens (waiting up to --lock-timeout seconds for another\n"
        "process's lock, and naming that process); one connection round-trips a query; one\n"
        "connection per thread (the target's `threads`) writes and reads back its own rows at\n"
        "the same time; a fresh open of the file sees every row; and who holds the lock, if\n"
        "anyone. Each check prints OK or FAIL. Exit code 0 when all pass, 1 when a check\n"
        "fails, 2 when the project cannot be set up or the database cannot be opened.",
};
