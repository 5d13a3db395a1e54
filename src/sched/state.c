/* state: the SQLite state store (see state.h).
 *
 * Concurrency: WAL lets readers proceed while one writer writes.  Writers
 * take the write lock up front (BEGIN IMMEDIATE) so a transaction never has
 * to upgrade a read snapshot, which is the case SQLite's busy handler cannot
 * wait out; busy_wait waits for the lock and st_begin retries
 * past that until WRITE_PATIENCE_SECONDS.  synchronous=NORMAL: a killed
 * process loses nothing committed (the WAL is in the OS cache); only a power
 * cut can drop the last commits.
 *
 * Migrations: schema_version holds one row; migrations[N] takes the schema
 * from version N to N + 1 inside the same transaction as the version bump,
 * so a crash mid-migration leaves the old version intact. */
#include "sched/state.h"

#include "sched/civil.h"
#include "sched/sqlite_api.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum {
    BUSY_TIMEOUT_MS = 5000,
    WRITE_PATIENCE_SECONDS = 60
};

enum {
    STMT_CACHE_SIZE = 48
};

struct state_store {
    sqlite3 *db;
    char *home, *path;
    pthread_mutex_t lock; /* serialises use of db and the statement cache */
    /* Prepared statements, keyed by their SQL text's address (every query is
     * a string literal): preparing costs more than running these. */
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
    } cache[STMT_CACHE_SIZE];
    size_t ncached;
};

double state_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static bool db_fail(state_store *st, mlerr *err, const char *what)
{
    mlerr_set(err, EXIT_HANDLED, "state store %s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
    return false;
}

/* SQLite's default busy handler backs off to 100 ms sleeps; task hand-offs
 * are meant to take milliseconds, so poll every half millisecond instead. */
static int busy_wait(void *unused, int attempts)
{
    if (attempts * 0.5 > BUSY_TIMEOUT_MS)
        return 0;
    usleep(500);
    return 1;
}

static bool is_busy(int rc)
{
    return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

static bool st_exec(state_store *st, const char *sql, mlerr *err)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_fail(st, err, sql);
    return true;
}

/* BEGIN IMMEDIATE, waiting for other writers however long they take (up to
 * WRITE_PATIENCE_SECONDS in all). */
static bool st_begin(state_store *st, mlerr *err)
{
    double deadline = state_now() + WRITE_PATIENCE_SECONDS;
    for (;;) {
        int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return true;
        if (!is_busy(rc) || state_now() > deadline)
            return db_fail(st, err, "cannot start a write transaction");
        usleep(2000);
    }
}

static bool st_commit(state_store *st, mlerr *err)
{
    double deadline = state_now() + WRITE_PATIENCE_SECONDS;
    for (;;) {
        int rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return true;
        if (!is_busy(rc) || state_now() > deadline) {
            db_fail(st, err, "cannot commit");
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return false;
        }
        usleep(2000);
    }
}

static void st_rollback(state_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static sqlite3_stmt *st_prepare(state_store *st, const char *sql, mlerr *err)
{
    for (size_t i = 0; i < st->ncached; i++)
        if (st->cache[i].sql == sql)
            return st->cache[i].stmt;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) {
        db_fail(st, err, "cannot prepare a statement");
        return NULL;
    }
    if (st->ncached < STMT_CACHE_SIZE) {
        st->cache[st->ncached].sql = sql;
        st->cache[st->ncached++].stmt = stmt;
    }
    return stmt;
}

/* Done with a statement from st_prepare: reset a cached one for reuse,
 * finalize one the full cache could not keep. */
static void st_done(state_store *st, sqlite3_stmt *stmt)
{
    for (size_t i = 0; i < st->ncached; i++)
        if (st->cache[i].stmt == stmt) {
            sqlite3_reset(stmt);
            sqlite3_clear_bindings(stmt);
            return;
        }
    sqlite3_finalize(stmt);
}

static void bind_text(sqlite3_stmt *stmt, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, i);
}

static void bind_time(sqlite3_stmt *stmt, int i, double t)
{
    if (t != 0)
        sqlite3_bind_double(stmt, i, t);
    else
        sqlite3_bind_null(stmt, i);
}

/* Runs a statement that returns no rows; *changes gets the rows touched. */
static bool st_step_done(state_store *st, sqlite3_stmt *stmt, int *changes, mlerr *err)
{
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        db_fail(st, err, "statement failed");
        st_done(st, stmt);
        return false;
    }
    if (changes)
        *changes = sqlite3_changes(st->db);
    st_done(st, stmt);
    return true;
}

static const char *col_text(arena *a, sqlite3_stmt *stmt, int i)
{
    const unsigned char *s = sqlite3_column_text(stmt, i);
    return s ? arena_strdup(a, (const char *)s) : NULL;
}

/* --- schema and migrations ------------------------------------------------ */

static const char *const migrations[] = {
    /* 0 -> 1: the first schema. */
    "CREATE TABLE dags ("
    "  dag_id TEXT PRIMARY KEY,"
    "  is_paused INTEGER NOT NULL DEFAULT 0,"
    "  fileloc TEXT,"
    "  last_parsed REAL"
    ");"
    "CREATE TABLE dag_runs ("
    "  dag_id TEXT NOT NULL,"
    "  run_id TEXT NOT NULL,"
    "  logical_date INTEGER NOT NULL,"
    "  data_interval_start INTEGER NOT NULL,"
    "  data_interval_end INTEGER NOT NULL,"
    "  run_type TEXT NOT NULL CHECK (run_type IN ('scheduled', 'manual', 'backfill')),"
    "  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'success', 'failed')),"
    "  conf TEXT NOT NULL DEFAULT '{}',"
    "  queued_at REAL, start_date REAL, end_date REAL,"
    "  PRIMARY KEY (dag_id, run_id),"
    "  UNIQUE (dag_id, logical_date)"
    ");"
    "CREATE INDEX dag_runs_by_state ON dag_runs (dag_id, state);"
    "CREATE TABLE task_instances ("
    "  dag_id TEXT NOT NULL,"
    "  run_id TEXT NOT NULL,"
    "  task_id TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('none', 'scheduled', 'queued', 'running', 'success',"
    "    'failed', 'up_for_retry', 'upstream_failed', 'skipped')),"
    "  try_number INTEGER NOT NULL DEFAULT 0,"
    "  max_tries INTEGER NOT NULL DEFAULT 0,"
    "  start_date REAL, end_date REAL, duration REAL,"
    "  hostname TEXT, pid INTEGER,"
    "  next_retry_at REAL,"
    "  PRIMARY KEY (dag_id, run_id, task_id),"
    "  FOREIGN KEY (dag_id, run_id) REFERENCES dag_runs (dag_id, run_id) ON DELETE CASCADE"
    ");"
    "CREATE INDEX task_instances_by_state ON task_instances (state);"
    "CREATE TABLE task_tries ("
    "  dag_id TEXT NOT NULL,"
    "  run_id TEXT NOT NULL,"
    "  task_id TEXT NOT NULL,"
    "  try_number INTEGER NOT NULL,"
    "  state TEXT NOT NULL,"
    "  start_date REAL, end_date REAL, duration REAL,"
    "  hostname TEXT, pid INTEGER,"
    "  PRIMARY KEY (dag_id, run_id, task_id, try_number),"
    "  FOREIGN KEY (dag_id, run_id, task_id)"
    "    REFERENCES task_instances (dag_id, run_id, task_id) ON DELETE CASCADE"
    ");",
    /* 1 -> 2: Airflow's restarting -- a running task instance that was
     * cleared, which its scheduler interrupts and runs again.  It stays
     * 'running' underneath (what owns and ends a try does not change);
     * readers see the flag as state restarting.  The partial index keeps
     * the scheduler's per-tick look for such flags O(flagged). */
    "ALTER TABLE task_instances ADD COLUMN restarting INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX task_instances_restarting ON task_instances (restarting)"
    "  WHERE restarting = 1;",
};

_Static_assert(sizeof migrations / sizeof *migrations == STATE_SCHEMA_VERSION,
               "one migration per schema version");

static bool read_version(state_store *st, int *version, mlerr *err)
{
    *version = 0;
    sqlite3_stmt *stmt = st_prepare(st, "SELECT version FROM schema_version", err);
    if (!stmt)
        return false;
    if (sqlite3_step(stmt) == SQLITE_ROW)
        *version = sqlite3_column_int(stmt, 0);
    st_done(st, stmt);
    return true;
}

static bool migrate(state_store *st, mlerr *err)
{
    if (!st_begin(st, err))
        return false;
    int version;
    if (!st_exec(st, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", err) ||
        !read_version(st, &version, err)) {
        st_rollback(st);
        return false;
    }
    if (version > STATE_SCHEMA_VERSION) {
        st_rollback(st);
        mlerr_set(err, EXIT_SETUP,
                  "state store %s has schema version %d, newer than this mallard knows (%d)",
                  st->path, version, STATE_SCHEMA_VERSION);
        mlerr_hint(err, "upgrade mallard, or point MALLARD_HOME elsewhere");
        return false;
    }
    for (; version < STATE_SCHEMA_VERSION; version++) {
        if (!st_exec(st, migrations[version], err)) {
            st_rollback(st);
            mlerr_prefix(err, "migrating the state store to version %d", version + 1);
            return false;
        }
    }
    char sql[128];
    snprintf(sql, sizeof sql,
             "DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES (%d)",
             STATE_SCHEMA_VERSION);
    if (!st_exec(st, sql, err)) {
        st_rollback(st);
        return false;
    }
    return st_commit(st, err);
}

state_store *state_open(const char *home, mlerr *err)
{
    if (!sqlite_api_load(err) || !fs_mkdir_p(home, err))
        return NULL;
    state_store *st = xcalloc(1, sizeof *st);
    st->home = xstrdup(home);
    st->path = xasprintf("%s/mallard.db", home);
    pthread_mutex_init(&st->lock, NULL);
    int rc =
        sqlite3_open_v2(st->path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK) {
        mlerr_set(err, EXIT_SETUP, "cannot open the state store %s: %s", st->path,
                  st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        state_close(st);
        return NULL;
    }
    sqlite3_busy_handler(st->db, busy_wait, NULL);
    if (!st_exec(st, "PRAGMA journal_mode = WAL", err) ||
        !st_exec(st, "PRAGMA synchronous = NORMAL", err) ||
        !st_exec(st, "PRAGMA foreign_keys = ON", err) || !migrate(st, err)) {
        state_close(st);
        return NULL;
    }
    return st;
}

void state_close(state_store *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->ncached; i++)
        sqlite3_finalize(st->cache[i].stmt);
    if (st->db)
        sqlite3_close(st->db);
    pthread_mutex_destroy(&st->lock);
    free(st->home);
    free(st->path);
    free(st);
}

const char *state_home(const state_store *st)
{
    return st->home;
}

int state_schema_version(state_store *st)
{
    mlerr err = MLERR_INIT;
    int version = -1;
    pthread_mutex_lock(&st->lock);
    if (!read_version(st, &version, &err))
        version = -1;
    pthread_mutex_unlock(&st->lock);
    mlerr_clear(&err);
    return version;
}

/* --- DAGs ----------------------------------------------------------------- */

bool state_dag_seen(state_store *st, const char *dag_id, const char *fileloc,
                    bool paused_upon_creation, double now, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    bool ok = false;
    sqlite3_stmt *stmt;
    if (st_begin(st, err) &&
        (stmt = st_prepare(st,
                           "INSERT INTO dags (dag_id, is_paused, fileloc, last_parsed) "
                           "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (dag_id) DO UPDATE SET "
                           "fileloc = excluded.fileloc, last_parsed = excluded.last_parsed",
                           err))) {
        bind_text(stmt, 1, dag_id);
        sqlite3_bind_int(stmt, 2, paused_upon_creation);
        bind_text(stmt, 3, fileloc);
        bind_time(stmt, 4, now);
        ok = st_step_done(st, stmt, NULL, err) && st_commit(st, err);
    }
    if (!ok)
        st_rollback(st);
    pthread_mutex_unlock(&st->lock);
    return ok;
}

static void unknown_dag(mlerr *err, const char *dag_id)
{
    mlerr_set(err, EXIT_SETUP, "unknown dag_id '%s'", dag_id);
    mlerr_hint(err, "`mallard dags list` shows the DAGs the scheduler knows");
}

bool state_dag_set_paused(state_store *st, const char *dag_id, bool paused, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    bool ok = false;
    int changes = 0;
    sqlite3_stmt *stmt;
    if (st_begin(st, err) &&
        (stmt = st_prepare(st, "UPDATE dags SET is_paused = ?2 WHERE dag_id = ?1", err))) {
        bind_text(stmt, 1, dag_id);
        sqlite3_bind_int(stmt, 2, paused);
        ok = st_step_done(st, stmt, &changes, err) && st_commit(st, err);
    }
    if (!ok)
        st_rollback(st);
    pthread_mutex_unlock(&st->lock);
    if (ok && changes == 0) {
        unknown_dag(err, dag_id);
        return false;
    }
    return ok;
}

bool state_dag_is_paused(state_store *st, const char *dag_id, bool *paused, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    sqlite3_stmt *stmt = st_prepare(st, "SELECT is_paused FROM dags WHERE dag_id = ?1", err);
    bool ok = false, found = false;
    if (stmt) {
        bind_text(stmt, 1, dag_id);
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            *paused = sqlite3_column_int(stmt, 0) != 0;
            found = ok = true;
        } else if (rc == SQLITE_DONE) {
            ok = true;
        } else {
            db_fail(st, err, "cannot read dags");
        }
        st_done(st, stmt);
    }
    pthread_mutex_unlock(&st->lock);
    if (ok && !found) {
        unknown_dag(err, dag_id);
        return false;
    }
    return ok;
}

/* --- DAG runs ------------------------------------------------------------- */

char *state_make_run_id(arena *a, run_type type, int64_t logical_date)
{
    char iso[CIVIL_ISO_MAX];
    civil_format_iso(logical_date, 0, iso);
    return arena_printf(a, "%s__%s", run_type_name(type), iso);
}

bool state_run_create(state_store *st, const dag_run *run, bool *created, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    bool ok = false;
    int changes = 0;
    sqlite3_stmt *stmt;
    if (st_begin(st, err) &&
        (stmt = st_prepare(
             st,
             "INSERT INTO dag_runs (dag_id, run_id, logical_date, data_interval_start, "
             "data_interval_end, run_type, state, conf, queued_at, start_date, end_date) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING",
             err))) {
        bind_text(stmt, 1, run->dag_id);
        bind_text(stmt, 2, run->run_id);
        sqlite3_bind_int64(stmt, 3, run->logical_date);
        sqlite3_bind_int64(stmt, 4, run->interval.start);
        sqlite3_bind_int64(stmt, 5, run->interval.end);
        bind_text(stmt, 6, run_type_name(run->type));
        bind_text(stmt, 7, dagrun_state_name(run->state));
        bind_text(stmt, 8, run->conf ? run->conf : "{}");
        bind_time(stmt, 9, run->queued_at);
        bind_time(stmt, 10, run->start_date);
        bind_time(stmt, 11, run->end_date);
        ok = st_step_done(st, stmt, &changes, err) && st_commit(st, err);
    }
    if (!ok)
        st_rollback(st);
    pthread_mutex_unlock(&st->lock);
    *created = ok && changes > 0;
    return ok;
}

#define RUN_COLUMNS                                                                                \
    "dag_id, run_id, logical_date, data_interval_start, data_interval_end, run_type, state, "      \
    "conf, queued_at, start_date, end_date"

static void read_run(arena *a, sqlite3_stmt *stmt, dag_run *r)
{
    memset(r, 0, sizeof *r);
    r->dag_id = col_text(a, stmt, 0);
    r->run_id = col_text(a, stmt, 1);
    r->logical_date = sqlite3_column_int64(stmt, 2);
    r->interval.start = sqlite3_column_int64(stmt, 3);
    r->interval.end = sqlite3_column_int64(stmt, 4);
    run_type_parse((const char *)sqlite3_column_text(stmt, 5), &r->type);
    dagrun_state_parse((const char *)sqlite3_column_text(stmt, 6), &r->state);
    r->conf = col_text(a, stmt, 7);
    r->queued_at = sqlite3_column_double(stmt, 8);
    r->start_date = sqlite3_column_double(stmt, 9);
    r->end_date = sqlite3_column_double(stmt, 10);
}

bool state_run_get(state_store *st, arena *a, const char *dag_id, const char *run_id, dag_run *out,
                   bool *found, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    *found = false;
    bool ok = false;
    sqlite3_stmt *stmt = st_prepare(
        st, "SELECT " RUN_COLUMNS " FROM dag_runs WHERE dag_id = ?1 AND run_id = ?2", err);
    if (stmt) {
        bind_text(stmt, 1, dag_id);
        bind_text(stmt, 2, run_id);
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            read_run(a, stmt, out);
            *found = ok = true;
        } else if (rc == SQLITE_DONE) {
            ok = true;
        } else {
            db_fail(st, err, "cannot read dag_runs");
        }
        st_done(st, stmt);
    }
    pthread_mutex_unlock(&st->lock);
    return ok;
}

bool state_runs_list(state_store *st, arena *a, const char *dag_id, dag_run **out, size_t *n,
                     mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    bool ok = false;
    sqlite3_stmt *stmt = st_prepare(
        st, "SELECT " RUN_COLUMNS " FROM dag_runs WHERE dag_id = ?1 ORDER BY logical_date DESC",
        err);
    if (stmt) {
        bind_text(stmt, 1, dag_id);
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 16;
                dag_run *grown = ARENA_NEW_ARRAY(a, dag_run, cap);
                if (*n)
                    memcpy(grown, *out, *n * sizeof **out);
                *out = grown;
            }
            read_run(a, stmt, &(*out)[(*n)++]);
        }
        ok = rc == SQLITE_DONE || db_fail(st, err, "cannot read dag_runs");
        st_done(st, stmt);
    }
    pthread_mutex_unlock(&st->lock);
    return ok;
}

bool state_run_set_state(state_store *st, const char *dag_id, const char *run_id,
                         dagrun_state state, double now, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    bool ok = false;
    int changes = 0;
    sqlite3_stmt *stmt;
    if (st_begin(st, err) &&
        (stmt = st_prepare(st,
                           "UPDATE dag_runs SET state = ?3,"
                           " start_date = CASE WHEN ?3 = 'running' AND start_date IS NULL"
                           "   THEN ?4 ELSE start_date END,"
                           " end_date = CASE WHEN ?3 IN ('success', 'failed') THEN ?4"
                           "   WHEN ?3 IN ('queued', 'running') THEN NULL ELSE end_date END"
                           " WHERE dag_id = ?1 AND run_id = ?2",
                           err))) {
        bind_text(stmt, 1, dag_id);
        bind_text(stmt, 2, run_id);
        bind_text(stmt, 3, dagrun_state_name(state));
        sqlite3_bind_double(stmt, 4, now);
        ok = st_step_done(st, stmt, &changes, err) && st_commit(st, err);
    }
    if (!ok)
        st_rollback(st);
    pthread_mutex_unlock(&st->lock);
    if (ok && changes == 0) {
        mlerr_set(err, EXIT_SETUP, "unknown run_id '%s' for DAG '%s'", run_id, dag_id);
        return false;
    }
    return ok;
}

bool state_last_automated_interval(state_store *st, const char *dag_id, data_interval *out,
                                   bool *found, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    *found = false;
    bool ok = false;
    sqlite3_stmt *stmt = st_prepare(st,
                                    "SELECT data_interval_start, data_interval_end FROM dag_runs "
                                    "WHERE dag_id = ?1 AND run_type IN ('scheduled', 'backfill') "
                                    "ORDER BY logical_date DESC LIMIT 1",
                                    err);
    if (stmt) {
        bind_text(stmt, 1, dag_id);
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            out->start = sqlite3_column_int64(stmt, 0);
            out->end = sqlite3_column_int64(stmt, 1);
            *found = true;
        }
        ok = rc == SQLITE_ROW || rc == SQLITE_DONE || db_fail(st, err, "cannot read dag_runs");
        st_done(st, stmt);
    }
    pthread_mutex_unlock(&st->lock);
    return ok;
}

bool state_active_run_count(state_store *st, const char *dag_id, int *n, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    bool ok = false;
    sqlite3_stmt *stmt = st_prepare(st,
                                    "SELECT count(*) FROM dag_runs WHERE dag_id = ?1 AND "
                                    "state IN ('queued', 'running')",
                                    err);
    if (stmt) {
        bind_text(stmt, 1, dag_id);
        ok = sqlite3_step(stmt) == SQLITE_ROW || db_fail(st, err, "cannot read dag_runs");
        *n = ok ? sqlite3_column_int(stmt, 0) : 0;
        st_done(st, stmt);
    }
    pthread_mutex_unlock(&st->lock);
    return ok;
}

/* --- task instances ------------------------------------------------------- */

bool state_tis_create(state_store *st, const char *dag_id, const char *run_id,
                      const char *const *task_ids, const int *max_tries, size_t n, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    bool ok = st_begin(st, err);
    for (size_t i = 0; ok && i < n; i++) {
        sqlite3_stmt *stmt = st_prepare(st,
                                        "INSERT INTO task_instances (dag_id, run_id, task_id, "
                                        "state, max_tries) VALUES (?1, ?2, ?3, 'none', ?4) "
                                        "ON CONFLICT DO NOTHING",
                                        err);
        if (!stmt) {
            ok = false;
            break;
        }
        bind_text(stmt, 1, dag_id);
        bind_text(stmt, 2, run_id);
        bind_text(stmt, 3, task_ids[i]);
        sqlite3_bind_int(stmt, 4, max_tries ? max_tries[i] : 0);
        ok = st_step_done(st, stmt, NULL, err);
    }
    ok = ok && st_commit(st, err);
    if (!ok)
        st_rollback(st);
    pthread_mutex_unlock(&st->lock);
    return ok;
}

bool state_tis_list(state_store *st, arena *a, const char *dag_id, const char *run_id,
                    task_instance **out, size_t *n, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    bool ok = false;
    sqlite3_stmt *stmt = st_prepare(
        st,
        "SELECT dag_id, run_id, task_id, state, try_number, max_tries, start_date, end_date, "
        "duration, hostname, pid, next_retry_at, restarting FROM task_instances "
        "WHERE dag_id = ?1 AND run_id = ?2 ORDER BY task_id",
        err);
    if (stmt) {
        bind_text(stmt, 1, dag_id);
        bind_text(stmt, 2, run_id);
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 32;
                task_instance *grown = ARENA_NEW_ARRAY(a, task_instance, cap);
                if (*n)
                    memcpy(grown, *out, *n * sizeof **out);
                *out = grown;
            }
            task_instance *ti = &(*out)[(*n)++];
            ti->dag_id = col_text(a, stmt, 0);
            ti->run_id = col_text(a, stmt, 1);
            ti->task_id = col_text(a, stmt, 2);
            ti_state_parse((const char *)sqlite3_column_text(stmt, 3), &ti->state);
            ti->try_number = sqlite3_column_int(stmt, 4);
            ti->max_tries = sqlite3_column_int(stmt, 5);
            ti->start_date = sqlite3_column_double(stmt, 6);
            ti->end_date = sqlite3_column_double(stmt, 7);
            ti->duration = sqlite3_column_double(stmt, 8);
            ti->hostname = col_text(a, stmt, 9);
            ti->pid = sqlite3_column_int(stmt, 10);
            ti->next_retry_at = sqlite3_column_double(stmt, 11);
            if (ti->state == TI_RUNNING && sqlite3_column_int(stmt, 12))
                ti->state = TI_RESTARTING;
        }
        ok = rc == SQLITE_DONE || db_fail(st, err, "cannot read task_instances");
        st_done(st, stmt);
    }
    pthread_mutex_unlock(&st->lock);
    return ok;
}

static void unknown_ti(mlerr *err, const char *dag_id, const char *run_id, const char *task_id)
{
    mlerr_set(err, EXIT_SETUP, "unknown task '%s' in run '%s' of DAG '%s'", task_id, run_id,
              dag_id);
}

bool state_ti_set_state(state_store *st, const char *dag_id, const char *run_id,
                        const char *task_id, ti_state state, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    bool ok = false;
    int changes = 0;
    sqlite3_stmt *stmt;
    if (st_begin(st, err) &&
        (stmt = st_prepare(st,
                           "UPDATE task_instances SET state = ?4,"
                           " next_retry_at = CASE WHEN ?4 = 'up_for_retry' THEN next_retry_at"
                           "   ELSE NULL END,"
                           " end_date = CASE WHEN ?4 = 'none' THEN NULL ELSE end_date END"
                           " WHERE dag_id = ?1 AND run_id = ?2 AND task_id = ?3",
                           err))) {
        bind_text(stmt, 1, dag_id);
        bind_text(stmt, 2, run_id);
        bind_text(stmt, 3, task_id);
        bind_text(stmt, 4, ti_state_name(state));
        ok = st_step_done(st, stmt, &changes, err) && st_commit(st, err);
    }
    if (!ok)
        st_rollback(st);
    pthread_mutex_unlock(&st->lock);
    if (ok && changes == 0) {
        unknown_ti(err, dag_id, run_id, task_id);
        return false;
    }
    return ok;
}

bool state_ti_begin_try(state_store *st, const char *dag_id, const char *run_id,
                        const char *task_id, double now, int *try_number, int *max_tries,
                        mlerr *err)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    pthread_mutex_lock(&st->lock);
    bool ok = false;
    int changes = 0;
    sqlite3_stmt *stmt;
    if (st_begin(st, err) &&
        (stmt = st_prepare(st,
                           "UPDATE task_instances SET state = 'running',"
                           " try_number = try_number + 1, start_date = ?4, end_date = NULL,"
                           " duration = NULL, hostname = ?5, pid = ?6, next_retry_at = NULL,"
                           " restarting = 0"
                           " WHERE dag_id = ?1 AND run_id = ?2 AND task_id = ?3"
                           " RETURNING max_tries",
                           err))) {
        bind_text(stmt, 1, dag_id);
        bind_text(stmt, 2, run_id);
        bind_text(stmt, 3, task_id);
        sqlite3_bind_double(stmt, 4, now);
        bind_text(stmt, 5, host);
        sqlite3_bind_int(stmt, 6, (int)getpid());
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            changes = 1;
            if (max_tries)
                *max_tries = sqlite3_column_int(stmt, 0);
            rc = sqlite3_step(stmt);
        }
        ok = rc == SQLITE_DONE || db_fail(st, err, "cannot start the try");
        st_done(st, stmt);
    }
    if (ok && changes == 0) {
        st_rollback(st);
        pthread_mutex_unlock(&st->lock);
        unknown_ti(err, dag_id, run_id, task_id);
        return false;
    }
    if (ok && (stmt = st_prepare(st,
                                 "INSERT OR REPLACE INTO task_tries (dag_id, run_id, task_id,"
                                 " try_number, state, start_date, hostname, pid)"
                                 " SELECT dag_id, run_id, task_id, try_number, 'running',"
                                 " start_date, hostname, pid FROM task_instances"
                                 " WHERE dag_id = ?1 AND run_id = ?2 AND task_id = ?3"
                                 " RETURNING try_number",
                                 err))) {
        bind_text(stmt, 1, dag_id);
        bind_text(stmt, 2, run_id);
        bind_text(stmt, 3, task_id);
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW)
            *try_number = sqlite3_column_int(stmt, 0);
        ok = rc == SQLITE_ROW || db_fail(st, err, "cannot record the try");
        st_done(st, stmt);
    } else {
        ok = false;
    }
    ok = ok && st_commit(st, err);
    if (!ok)
        st_rollback(st);
    pthread_mutex_unlock(&st->lock);
    return ok;
}

/* Closes the running try of one task instance (inside a transaction).
 * A restarting one (cleared while running) goes back to none whatever the
 * try's outcome, as Airflow's scheduler sets a terminated restarting task
 * instance to None: its retries were renewed by the clear, so the next try
 * starts at once and the ended try costs no retry.  *ended_as is the state
 * recorded. */
static bool end_try_locked(state_store *st, const char *dag_id, const char *run_id,
                           const char *task_id, ti_state state, double now, double next_retry_at,
                           int *changes, ti_state *ended_as, mlerr *err)
{
    sqlite3_stmt *stmt = st_prepare(
        st,
        "UPDATE task_instances SET state = CASE WHEN restarting = 1 THEN 'none' ELSE ?4 END,"
        " end_date = ?5, duration = ?5 - start_date,"
        " next_retry_at = CASE WHEN restarting = 1 THEN NULL ELSE ?6 END, restarting = 0"
        " WHERE dag_id = ?1 AND run_id = ?2 AND task_id = ?3 AND state = 'running'"
        " RETURNING state",
        err);
    if (!stmt)
        return false;
    bind_text(stmt, 1, dag_id);
    bind_text(stmt, 2, run_id);
    bind_text(stmt, 3, task_id);
    bind_text(stmt, 4, ti_state_name(state));
    sqlite3_bind_double(stmt, 5, now);
    bind_time(stmt, 6, state == TI_UP_FOR_RETRY ? next_retry_at : 0);
    *changes = 0;
    *ended_as = state;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *changes = 1;
        ti_state_parse((const char *)sqlite3_column_text(stmt, 0), ended_as);
        rc = sqlite3_step(stmt);
    }
    bool ok = rc == SQLITE_DONE || db_fail(st, err, "cannot end the try");
    st_done(st, stmt);
    if (!ok || *changes == 0)
        return ok;
    bool restarted = *ended_as == TI_NONE;
    /* The try itself failed when the task goes on to retry. */
    stmt = st_prepare(st,
                      "UPDATE task_tries SET state = ?4, end_date = ?5,"
                      " duration = ?5 - start_date WHERE (dag_id, run_id, task_id, try_number) ="
                      " (SELECT dag_id, run_id, task_id, try_number FROM task_instances"
                      "  WHERE dag_id = ?1 AND run_id = ?2 AND task_id = ?3)",
                      err);
    if (!stmt)
        return false;
    bind_text(stmt, 1, dag_id);
    bind_text(stmt, 2, run_id);
    bind_text(stmt, 3, task_id);
    bind_text(stmt, 4,
              ti_state_name(restarted                  ? TI_RESTARTING
                            : state == TI_UP_FOR_RETRY ? TI_FAILED
                                                       : state));
    sqlite3_bind_double(stmt, 5, now);
    return st_step_done(st, stmt, NULL, err);
}

bool state_ti_end_try(state_store *st, const char *dag_id, const char *run_id, const char *task_id,
                      ti_state state, double now, double next_retry_at, ti_state *ended_as,
                      mlerr *err)
{
    ti_state recorded = state;
    if (state != TI_SUCCESS && state != TI_FAILED && state != TI_UP_FOR_RETRY) {
        mlerr_set(err, EXIT_HANDLED, "a try cannot end in state %s", ti_state_name(state));
        return false;
    }
    pthread_mutex_lock(&st->lock);
    int changes = 0;
    bool ok = st_begin(st, err) && end_try_locked(st, dag_id, run_id, task_id, state, now,
                                                  next_retry_at, &changes, &recorded, err);
    ok = ok && st_commit(st, err);
    if (!ok)
        st_rollback(st);
    pthread_mutex_unlock(&st->lock);
    if (ok && changes == 0) {
        mlerr_set(err, EXIT_HANDLED, "task '%s' in run '%s' of DAG '%s' is not running", task_id,
                  run_id, dag_id);
        return false;
    }
    if (ended_as)
        *ended_as = recorded;
    return ok;
}

bool state_restarting_list(state_store *st, arena *a, ti_key **out, size_t *n, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    bool ok = false;
    sqlite3_stmt *stmt = st_prepare(st,
                                    "SELECT dag_id, run_id, task_id FROM task_instances"
                                    " WHERE restarting = 1 AND state = 'running'",
                                    err);
    if (stmt) {
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 8;
                ti_key *grown = ARENA_NEW_ARRAY(a, ti_key, cap);
                if (*n)
                    memcpy(grown, *out, *n * sizeof **out);
                *out = grown;
            }
            ti_key *k = &(*out)[(*n)++];
            k->dag_id = col_text(a, stmt, 0);
            k->run_id = col_text(a, stmt, 1);
            k->task_id = col_text(a, stmt, 2);
        }
        ok = rc == SQLITE_DONE || db_fail(st, err, "cannot read task_instances");
        st_done(st, stmt);
    }
    pthread_mutex_unlock(&st->lock);
    return ok;
}

bool state_tries_list(state_store *st, arena *a, const char *dag_id, const char *run_id,
                      task_try **out, size_t *n, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    bool ok = false;
    sqlite3_stmt *stmt = st_prepare(st,
                                    "SELECT task_id, try_number, state, start_date, end_date,"
                                    " duration, hostname, pid FROM task_tries"
                                    " WHERE dag_id = ?1 AND run_id = ?2"
                                    " ORDER BY task_id, try_number",
                                    err);
    if (stmt) {
        bind_text(stmt, 1, dag_id);
        bind_text(stmt, 2, run_id);
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 32;
                task_try *grown = ARENA_NEW_ARRAY(a, task_try, cap);
                if (*n)
                    memcpy(grown, *out, *n * sizeof **out);
                *out = grown;
            }
            task_try *t = &(*out)[(*n)++];
            t->task_id = col_text(a, stmt, 0);
            t->try_number = sqlite3_column_int(stmt, 1);
            ti_state_parse((const char *)sqlite3_column_text(stmt, 2), &t->state);
            t->start_date = sqlite3_column_double(stmt, 3);
            t->end_date = sqlite3_column_double(stmt, 4);
            t->duration = sqlite3_column_double(stmt, 5);
            t->hostname = col_text(a, stmt, 6);
            t->pid = sqlite3_column_int(stmt, 7);
        }
        ok = rc == SQLITE_DONE || db_fail(st, err, "cannot read task_tries");
        st_done(st, stmt);
    }
    pthread_mutex_unlock(&st->lock);
    return ok;
}

/* Airflow's clear_task_instances for one task instance: back to none with
 * its retries renewed (max_tries = try_number + retries, ?4), or, when it
 * is running, restarting -- its retries renewed the same way, counting the
 * running try, which its scheduler interrupts (end_try_locked). */
#define CLEAR_SET                                                                                  \
    "UPDATE task_instances SET max_tries = try_number + ?4, next_retry_at = NULL,"                 \
    " restarting = CASE WHEN state = 'running' THEN 1 ELSE restarting END,"                        \
    " end_date = CASE WHEN state = 'running' THEN end_date ELSE NULL END,"                         \
    " state = CASE WHEN state = 'running' THEN 'running' ELSE 'none' END"

bool state_clear_tasks(state_store *st, const char *dag_id, const char *run_id,
                       const char *const *task_ids, size_t n, int retries, int *cleared, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    int count = 0;
    bool ok = st_begin(st, err), unknown = false;
    for (size_t i = 0; ok && !unknown && i < n; i++) {
        sqlite3_stmt *stmt = st_prepare(st,
                                        CLEAR_SET " WHERE dag_id = ?1 AND run_id = ?2"
                                                  " AND task_id = ?3",
                                        err);
        if (!stmt) {
            ok = false;
            break;
        }
        bind_text(stmt, 1, dag_id);
        bind_text(stmt, 2, run_id);
        bind_text(stmt, 3, task_ids[i]);
        sqlite3_bind_int(stmt, 4, retries);
        int changes = 0;
        ok = st_step_done(st, stmt, &changes, err);
        count += changes;
        if (ok && changes == 0) {
            stmt = st_prepare(st,
                              "SELECT 1 FROM task_instances WHERE dag_id = ?1 AND run_id = ?2"
                              " AND task_id = ?3",
                              err);
            if (!stmt) {
                ok = false;
                break;
            }
            bind_text(stmt, 1, dag_id);
            bind_text(stmt, 2, run_id);
            bind_text(stmt, 3, task_ids[i]);
            unknown = sqlite3_step(stmt) != SQLITE_ROW;
            st_done(st, stmt);
            if (unknown)
                unknown_ti(err, dag_id, run_id, task_ids[i]);
        }
    }
    sqlite3_stmt *stmt;
    if (ok && !unknown && count > 0 &&
        (stmt = st_prepare(st,
                           "UPDATE dag_runs SET state = 'queued', end_date = NULL"
                           " WHERE dag_id = ?1 AND run_id = ?2",
                           err))) {
        bind_text(stmt, 1, dag_id);
        bind_text(stmt, 2, run_id);
        ok = st_step_done(st, stmt, NULL, err);
    }
    ok = ok && !unknown && st_commit(st, err);
    if (!ok)
        st_rollback(st);
    pthread_mutex_unlock(&st->lock);
    if (cleared)
        *cleared = ok ? count : 0;
    return ok;
}

bool state_clear_run(state_store *st, const char *dag_id, const char *run_id, bool only_failed,
                     int retries, int *cleared, mlerr *err)
{
    pthread_mutex_lock(&st->lock);
    int count = 0, runs = 0;
    bool ok = st_begin(st, err);
    sqlite3_stmt *stmt;
    if (ok &&
        (stmt = st_prepare(st,
                           CLEAR_SET " WHERE dag_id = ?1 AND run_id = ?2"
                                     " AND (?3 = 0 OR state IN ('failed', 'upstream_failed'))",
                           err))) {
        bind_text(stmt, 1, dag_id);
        bind_text(stmt, 2, run_id);
        sqlite3_bind_int(stmt, 3, only_failed);
        sqlite3_bind_int(stmt, 4, retries);
        ok = st_step_done(st, stmt, &count, err);
    } else {
        ok = false;
    }
    if (ok && (stmt = st_prepare(st,
                                 "UPDATE dag_runs SET state = CASE WHEN state IN ('success',"
                                 " 'failed') AND (?3 > 0 OR ?4 = 0) THEN 'queued' ELSE state END,"
                                 " end_date = CASE WHEN state IN ('success', 'failed')"
                                 " AND (?3 > 0 OR ?4 = 0) THEN NULL ELSE end_date END"
                                 " WHERE dag_id = ?1 AND run_id = ?2",
                                 err))) {
        bind_text(stmt, 1, dag_id);
        bind_text(stmt, 2, run_id);
        sqlite3_bind_int(stmt, 3, count);
        sqlite3_bind_int(stmt, 4, only_failed);
        ok = st_step_done(st, stmt, &runs, err);
    } else {
        ok = false;
    }
    bool unknown = ok && runs == 0;
    ok = ok && !unknown && st_commit(st, err);
    if (!ok)
        st_rollback(st);
    pthread_mutex_unlock(&st->lock);
    if (unknown)
        mlerr_set(err, EXIT_SETUP, "unknown run_id '%s' for DAG '%s'", run_id, dag_id);
    if (cleared)
        *cleared = ok ? count : 0;
    return ok;
}

bool state_recover_orphans(state_store *st, double now, state_retry_delay_fn delay, void *ctx,
                           orphan_counts *counts, mlerr *err)
{
    orphan_counts n = {0};
    arena a = ARENA_INIT;
    typedef struct orphan {
        const char *dag_id, *run_id, *task_id;
        int try_number, max_tries;
    } orphan;
    orphan *list = NULL;
    size_t norphans = 0, cap = 0;
    pthread_mutex_lock(&st->lock);
    bool ok = st_begin(st, err);
    sqlite3_stmt *stmt = NULL;
    if (ok && (stmt = st_prepare(st,
                                 "SELECT dag_id, run_id, task_id, try_number, max_tries"
                                 " FROM task_instances WHERE state = 'running'",
                                 err))) {
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            if (norphans == cap) {
                cap = cap ? 2 * cap : 16;
                orphan *grown = ARENA_NEW_ARRAY(&a, orphan, cap);
                if (norphans)
                    memcpy(grown, list, norphans * sizeof *list);
                list = grown;
            }
            orphan *o = &list[norphans++];
            o->dag_id = col_text(&a, stmt, 0);
            o->run_id = col_text(&a, stmt, 1);
            o->task_id = col_text(&a, stmt, 2);
            o->try_number = sqlite3_column_int(stmt, 3);
            o->max_tries = sqlite3_column_int(stmt, 4);
        }
        ok = rc == SQLITE_DONE || db_fail(st, err, "cannot read task_instances");
        st_done(st, stmt);
    } else {
        ok = false;
    }
    for (size_t i = 0; ok && i < norphans; i++) {
        const orphan *o = &list[i];
        /* handle_failure's rule, with the failure detected now: another
         * try while tries are left, not before retry_delay from now */
        ti_state state = o->try_number <= o->max_tries ? TI_UP_FOR_RETRY : TI_FAILED;
        double next_retry_at = 0;
        if (state == TI_UP_FOR_RETRY)
            next_retry_at =
                now +
                (delay ? (double)delay(ctx, o->dag_id, o->run_id, o->task_id, o->try_number) : 0);
        int changes = 0;
        ti_state recorded = state;
        ok = end_try_locked(st, o->dag_id, o->run_id, o->task_id, state, now, next_retry_at,
                            &changes, &recorded, err);
        if (recorded == TI_NONE)
            n.restarted++;
        else if (recorded == TI_UP_FOR_RETRY)
            n.up_for_retry++;
        else
            n.failed++;
    }
    ok = ok && st_commit(st, err);
    if (!ok)
        st_rollback(st);
    pthread_mutex_unlock(&st->lock);
    arena_free(&a);
    if (counts)
        *counts = ok ? n : (orphan_counts){0};
    return ok;
}
