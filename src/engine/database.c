/* database: the process-wide registry of open DuckDB databases, their
 * connections, statement execution and error mapping (see database.h). */
#include "engine/database.h"

#include "engine/advert.h"

#include "engine/lock.h"
#include "engine/sql_trace.h"
#include "util/arena.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct db {
    char *key; /* absolute path, or ":memory:" */
    duckdb_database raw;
    bool read_only;
    /* The file's identity, so a hard link to an open file finds its entry
     * too.  Guarded by registry_lock; has_id is false until the file exists. */
    bool has_id;
    dev_t dev;
    ino_t ino;
    /* Guarded by registry_lock: */
    bool opening; /* the first opener is still opening (maybe waiting for a lock) */
    int refcount;
    int connections;
    struct db *next;
};

struct db_conn {
    db *owner;
    duckdb_connection raw;
    pthread_t thread;  /* the thread that called db_connect: the only one that may use it */
    unsigned trace_id; /* names the connection in MALLARD_TRACE_SQL records */
};

/* registry_lock guards the list of open databases and each entry's
 * opening/refcount/connections; registry_changed wakes threads waiting for
 * another thread's open of the same path to finish. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t registry_changed = PTHREAD_COND_INITIALIZER;
static db *registry;

static bool is_memory_path(const char *path)
{
    return !path || !*path || strcmp(path, ":memory:") == 0;
}

/* --- open-time diagnosis ---------------------------------------------------- */

static void hint_profile(mlerr *err, const db_options *opts)
{
    if (opts->config_file)
        mlerr_hint(err, "the path comes from %s", opts->config_file);
}

/* Catches what DuckDB would report vaguely, before asking it: a missing or
 * unwritable directory, a directory where the file should be. */
static bool check_location(const char *path, bool read_only, const db_options *opts, mlerr *err)
{
    arena a = ARENA_INIT;
    char *dir = fs_dirname(&a, path);
    bool ok = false;
    struct stat st;
    if (stat(dir, &st) != 0) {
        mlerr_set(err, EXIT_SETUP, "cannot open database %s: its directory %s does not exist", path,
                  dir);
        mlerr_hint(err, "create it (mkdir -p %s) or point `path` at an existing directory", dir);
        hint_profile(err, opts);
    } else if (!S_ISDIR(st.st_mode)) {
        mlerr_set(err, EXIT_SETUP, "cannot open database %s: %s is not a directory", path, dir);
        hint_profile(err, opts);
    } else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        mlerr_set(err, EXIT_SETUP, "cannot open database %s: it is a directory, not a file", path);
        mlerr_hint(err, "point `path` at a file inside it, e.g. %s/dev.duckdb", path);
        hint_profile(err, opts);
    } else if (read_only && access(path, F_OK) != 0) {
        mlerr_set(err, EXIT_SETUP, "cannot open database %s read-only: the file does not exist",
                  path);
        mlerr_hint(err, "run a command that builds it first (e.g. mallard seed or mallard run)");
    } else if (!read_only && access(dir, W_OK | X_OK) != 0) {
        mlerr_set(err, EXIT_SETUP,
                  "cannot open database %s: its directory %s is not writable (%s), and DuckDB "
                  "writes the database and its write-ahead log there",
                  path, dir, strerror(errno));
        mlerr_hint(err,
                   "fix the directory's permissions (chmod/chown %s) or point `path` at a "
                   "writable directory",
                   dir);
        hint_profile(err, opts);
    } else if (!read_only && access(path, F_OK) == 0 && access(path, R_OK | W_OK) != 0) {
        mlerr_set(err, EXIT_SETUP, "cannot open database %s: the file is not writable (%s)", path,
                  strerror(errno));
        mlerr_hint(err, "fix its permissions (chmod/chown %s)", path);
        hint_profile(err, opts);
    } else {
        ok = true;
    }
    arena_free(&a);
    return ok;
}

/* Turns DuckDB's open failure (other than a lock conflict) into advice. */
static void explain_open_error(const char *path, const char *msg, const db_options *opts,
                               mlerr *err)
{
    if (strstr(msg, "not a valid DuckDB database file")) {
        mlerr_set(err, EXIT_SETUP, "%s is not a DuckDB database file", path);
        mlerr_hint(err, "point `path` at a DuckDB database, or move that file away so Mallard "
                        "can create a new one there");
        hint_profile(err, opts);
    } else if (strstr(msg, "version number") || strstr(msg, "storage version")) {
        mlerr_set(err, EXIT_SETUP, "%s was written by an incompatible DuckDB version: %s", path,
                  msg);
        mlerr_hint(err, "Mallard embeds DuckDB %s; export the data with the DuckDB that wrote it",
                   duckdb_library_version());
    } else if (strstr(msg, "not recognized") || strstr(msg, "setting")) {
        mlerr_set(err, EXIT_SETUP, "cannot open database %s with the profile's settings: %s", path,
                  msg);
        hint_profile(err, opts);
    } else {
        mlerr_set(err, EXIT_SETUP, "cannot open database %s: %s", path, msg);
        hint_profile(err, opts);
    }
}

static void lock_timeout_error(const char *path, const lock_holder *h, const db_options *opts,
                               double waited, mlerr *err)
{
    strbuf who = STRBUF_INIT;
    lock_holder_describe(h, &who);
    if (opts->lock_timeout > 0)
        mlerr_set(err, EXIT_SETUP,
                  "database %s is locked by another process: %s\n  waited %.1f s "
                  "(--lock-timeout %g) and it still holds the lock",
                  path, strbuf_str(&who), waited, opts->lock_timeout);
    else
        mlerr_set(err, EXIT_SETUP,
                  "database %s is locked by another process: %s\n  not waiting "
                  "(--lock-timeout 0)",
                  path, strbuf_str(&who));
    strbuf_release(&who);
    const char *exe_name = h->exe ? strrchr(h->exe, '/') : NULL;
    exe_name = exe_name ? exe_name + 1 : h->exe;
    if (h->pid > 0 && exe_name && strcmp(exe_name, "mallard") == 0)
        mlerr_hint(err,
                   "PID %ld is another Mallard process: run this job through it rather than "
                   "starting a second one, or stop it (kill %ld) if it should not be running",
                   h->pid, h->pid);
    else if (h->pid > 0)
        mlerr_hint(err,
                   "DuckDB lets one process write a database file. Stop that process if it "
                   "should not be running (kill %ld), or run this job through the Mallard "
                   "process that owns the file instead of starting another one",
                   h->pid);
    else
        mlerr_hint(err, "DuckDB lets one process write a database file. Stop the process that "
                        "has it open, or run this job through the Mallard process that owns the "
                        "file instead of starting another one");
    if (h->read_only_would_work)
        mlerr_hint(err, "the holder has it open read-only; commands that only read can share it");
    mlerr_hint(err, "to wait longer, pass --lock-timeout SECONDS (or set MALLARD_LOCK_TIMEOUT)");
}

/* --- opening -------------------------------------------------------------------- */

static bool build_config(const db_options *opts, bool read_only, duckdb_config *cfg, mlerr *err)
{
    if (duckdb_create_config(cfg) == DuckDBError) {
        mlerr_set(err, EXIT_SETUP, "cannot create a DuckDB configuration");
        duckdb_destroy_config(cfg);
        return false;
    }
    /* Without a network an automatic INSTALL would only hang until it times
     * out; the profile can still turn it back on through `settings`. */
    duckdb_set_config(*cfg, "autoinstall_known_extensions", "false");
    if (opts->threads > 0) {
        char n[32];
        snprintf(n, sizeof(n), "%d", opts->threads);
        duckdb_set_config(*cfg, "threads", n);
    }
    for (size_t i = 0; i < opts->n_settings; i++) {
        const dbt_setting *s = &opts->settings[i];
        if (duckdb_set_config(*cfg, s->key, s->value ? s->value : "") == DuckDBError) {
            mlerr_set(err, EXIT_SETUP, "DuckDB setting '%s' does not accept the value '%s'", s->key,
                      s->value ? s->value : "");
            if (opts->config_file)
                mlerr_hint(err, "fix `settings` in %s", opts->config_file);
            duckdb_destroy_config(cfg);
            return false;
        }
    }
    if (read_only)
        duckdb_set_config(*cfg, "access_mode", "READ_ONLY");
    return true;
}

static duckdb_state try_open(const char *key, const db_options *opts, bool read_only,
                             duckdb_database *raw, char **msg, mlerr *err, bool *config_failed)
{
    duckdb_config cfg;
    *config_failed = false;
    if (!build_config(opts, read_only, &cfg, err)) {
        *config_failed = true;
        return DuckDBError;
    }
    duckdb_state st = duckdb_open_ext(is_memory_path(key) ? NULL : key, raw, cfg, msg);
    duckdb_destroy_config(&cfg);
    return st;
}

/* Opens the file, waiting for another process's lock as opts asks. */
static bool open_waiting(db *d, const db_options *opts, mlerr *err)
{
    bool memory = is_memory_path(d->key);
    if (!memory && !check_location(d->key, opts->read_only, opts, err))
        return false;

    lock_backoff backoff;
    lock_backoff_init(&backoff, opts->lock_timeout);
    bool logged = false;
    lock_holder holder = {0};
    bool opened = false;
    for (;;) {
        char *msg = NULL;
        bool config_failed = false;
        duckdb_state st =
            try_open(d->key, opts, opts->read_only, &d->raw, &msg, err, &config_failed);
        if (st == DuckDBSuccess) {
            d->read_only = opts->read_only;
            opened = true;
            break;
        }
        if (config_failed)
            break;
        if (!lock_is_conflict(msg)) {
            explain_open_error(d->key, msg ? msg : "unknown error", opts, err);
            duckdb_free(msg);
            break;
        }
        lock_holder_release(&holder);
        lock_holder_from_message(&holder, msg);
        if (holder.pid == 0)
            lock_describe_pid(&holder, lock_find_holder(d->key), NULL);
        duckdb_free(msg);
        msg = NULL;

        if (!opts->read_only && opts->read_only_on_conflict && holder.read_only_would_work) {
            if (try_open(d->key, opts, true, &d->raw, &msg, err, &config_failed) == DuckDBSuccess) {
                d->read_only = true;
                opened = true;
                log_info("Database %s is open read-only in PID %ld; this command only reads, so "
                         "it opens it read-only too",
                         d->key, holder.pid);
                break;
            }
            duckdb_free(msg);
            msg = NULL;
            if (config_failed)
                break;
        }

        /* Said at the first conflict, even when that first attempt alone
         * used up the timeout (a slow open on a loaded machine). */
        if (!logged && opts->lock_timeout > 0) {
            strbuf who = STRBUF_INIT;
            lock_holder_describe(&holder, &who);
            log_warn("Database %s is locked by %s; waiting up to %g s for it (--lock-timeout)",
                     d->key, strbuf_str(&who), opts->lock_timeout);
            strbuf_release(&who);
            logged = true;
        }
        double delay = lock_backoff_next(&backoff, lock_now());
        if (delay < 0) {
            lock_timeout_error(d->key, &holder, opts, lock_now() - backoff.start, err);
            break;
        }
        lock_sleep(delay);
    }
    lock_holder_release(&holder);
    if (!opened)
        return false;
    if (logged)
        log_info("Database %s is free now; opened it after %.1f s", d->key,
                 lock_now() - backoff.start);
    return true;
}

/* LOADs the profile's extensions.  Built-in ones (json, parquet, icu) are
 * already there; others must have been INSTALLed beforehand, because an
 * INSTALL needs a network Mallard cannot count on. */
static bool load_extensions(db *d, const db_options *opts, mlerr *err)
{
    if (opts->n_extensions == 0)
        return true;
    duckdb_connection c;
    if (duckdb_connect(d->raw, &c) == DuckDBError) {
        mlerr_set(err, EXIT_SETUP, "cannot connect to %s to load extensions", d->key);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < opts->n_extensions; i++) {
        const char *name = opts->extensions[i];
        bool valid_name = *name != '\0';
        for (const char *p = name; *p; p++) {
            if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9')))
                valid_name = false;
        }
        if (!valid_name) {
            mlerr_set(err, EXIT_SETUP,
                      "extension '%s': not supported yet: extensions by path or URL", name);
            ok = false;
            break;
        }
        char sql[512];
        snprintf(sql, sizeof(sql),
                 "SELECT loaded, installed FROM duckdb_extensions() WHERE extension_name = "
                 "lower('%s') OR list_contains(aliases, lower('%s'))",
                 name, name);
        duckdb_result r;
        if (duckdb_query(c, sql, &r) == DuckDBError) {
            mlerr_set(err, EXIT_SETUP, "cannot list DuckDB's extensions: %s",
                      duckdb_result_error(&r));
            duckdb_destroy_result(&r);
            ok = false;
            break;
        }
        bool known = duckdb_row_count(&r) > 0;
        bool loaded = known && duckdb_value_boolean(&r, 0, 0);
        bool installed = known && duckdb_value_boolean(&r, 1, 0);
        duckdb_destroy_result(&r);
        if (loaded)
            continue;
        if (!installed) {
            if (known)
                mlerr_set(err, EXIT_SETUP,
                          "extension '%s' is not installed, and installing it needs network "
                          "access, which Mallard does not use",
                          name);
            else
                mlerr_set(err, EXIT_SETUP, "extension '%s' is not a DuckDB %s extension", name,
                          duckdb_library_version());
            mlerr_hint(err,
                       "install it once on a machine with network access (duckdb -c \"INSTALL "
                       "%s\") and copy ~/.duckdb/extensions, or remove it from `extensions`%s%s",
                       name, opts->config_file ? " in " : "",
                       opts->config_file ? opts->config_file : "");
            ok = false;
            break;
        }
        snprintf(sql, sizeof(sql), "LOAD %s", name);
        if (duckdb_query(c, sql, &r) == DuckDBError) {
            mlerr_set(err, EXIT_SETUP, "cannot load extension '%s': %s", name,
                      duckdb_result_error(&r));
            ok = false;
        }
        duckdb_destroy_result(&r);
    }
    duckdb_disconnect(&c);
    return ok;
}

typedef struct file_id {
    bool has_id;
    dev_t dev;
    ino_t ino;
} file_id;

static file_id file_id_of(const char *path)
{
    struct stat st;
    if (strcmp(path, ":memory:") == 0 || stat(path, &st) != 0)
        return (file_id){0};
    return (file_id){.has_id = true, .dev = st.st_dev, .ino = st.st_ino};
}

static db *registry_find(const char *key, file_id id)
{
    for (db *d = registry; d; d = d->next) {
        if (strcmp(d->key, key) == 0 ||
            (id.has_id && d->has_id && d->dev == id.dev && d->ino == id.ino))
            return d;
    }
    return NULL;
}

static void registry_remove(db *gone)
{
    for (db **p = &registry; *p; p = &(*p)->next) {
        if (*p == gone) {
            *p = gone->next;
            return;
        }
    }
}

/* The file's one name: symlinks and "a/../b" spellings of one file must
 * find the same entry, or DuckDB would open it twice in this process. */
static const char *registry_key(arena *a, const char *path)
{
    const char *abs = fs_absolute(a, path);
    char *real = realpath(abs, NULL);
    if (!real) {
        char *dir = realpath(fs_dirname(a, abs), NULL);
        const char *base = strrchr(abs, '/');
        if (dir && base)
            real = xasprintf("%s%s", strcmp(dir, "/") == 0 ? "" : dir, base);
        free(dir);
    }
    if (!real)
        return abs;
    const char *key = arena_strdup(a, real);
    free(real);
    return key;
}

static bool supported_path(const db_options *opts, mlerr *err)
{
    const char *p = opts->path;
    if (strncmp(p, "md:", 3) == 0 || strncmp(p, "motherduck:", 11) == 0 || strstr(p, "://")) {
        mlerr_set(err, EXIT_SETUP,
                  "not supported yet: database path '%s' (MotherDuck and remote databases); "
                  "Mallard runs on a local DuckDB file or :memory:",
                  p);
        hint_profile(err, opts);
        return false;
    }
    return true;
}

bool db_open(const db_options *opts, db **out, mlerr *err)
{
    *out = NULL;
    arena a = ARENA_INIT;
    if (!is_memory_path(opts->path) && !supported_path(opts, err))
        return false;
    const char *key = is_memory_path(opts->path) ? ":memory:" : registry_key(&a, opts->path);

    pthread_mutex_lock(&registry_lock);
    db *d;
    file_id id = file_id_of(key);
    while ((d = registry_find(key, id)) && d->opening)
        pthread_cond_wait(&registry_changed, &registry_lock);
    if (d) {
        if (d->read_only && !opts->read_only) {
            pthread_mutex_unlock(&registry_lock);
            mlerr_set(err, EXIT_SETUP,
                      "database %s is already open read-only in this process; it cannot also be "
                      "opened for writing until that is closed",
                      key);
            arena_free(&a);
            return false;
        }
        d->refcount++;
        pthread_mutex_unlock(&registry_lock);
        arena_free(&a);
        *out = d;
        return true;
    }
    d = xcalloc(1, sizeof(*d));
    d->key = xstrdup(key);
    d->opening = true;
    d->has_id = id.has_id;
    d->dev = id.dev;
    d->ino = id.ino;
    d->refcount = 1;
    d->next = registry;
    registry = d;
    pthread_mutex_unlock(&registry_lock);
    arena_free(&a);

    /* Other threads wanting this path wait on `opening`; those wanting other
     * paths are not held up while this one waits for a lock. */
    bool ok = open_waiting(d, opts, err);
    if (ok && !load_extensions(d, opts, err)) {
        duckdb_close(&d->raw);
        ok = false;
    }

    file_id created = ok && !id.has_id ? file_id_of(d->key) : id;
    pthread_mutex_lock(&registry_lock);
    d->opening = false;
    d->has_id = created.has_id;
    d->dev = created.dev;
    d->ino = created.ino;
    if (!ok)
        registry_remove(d);
    pthread_cond_broadcast(&registry_changed);
    pthread_mutex_unlock(&registry_lock);
    if (!ok) {
        free(d->key);
        free(d);
        return false;
    }
    if (!d->read_only && !is_memory_path(d->key))
        advert_file_opened(d->key);
    *out = d;
    return true;
}

void db_close(db *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&registry_lock);
    bool last = --d->refcount == 0;
    int open_connections = d->connections;
    if (last)
        registry_remove(d);
    pthread_mutex_unlock(&registry_lock);
    if (!last)
        return;
    if (open_connections > 0) {
        /* A caller bug: DuckDB would keep the file open behind our back. */
        fprintf(stderr, "mallard: internal error: closing %s with %d connection(s) still open\n",
                d->key, open_connections);
        abort();
    }
    /* before the lock goes: a client that still finds the advertisement
     * finds a process that still answers */
    if (!d->read_only && !is_memory_path(d->key))
        advert_file_closed(d->key);
    duckdb_close(&d->raw);
    free(d->key);
    free(d);
}

const char *db_path(const db *d)
{
    return d->key;
}

bool db_is_memory(const db *d)
{
    return strcmp(d->key, ":memory:") == 0;
}

bool db_is_read_only(const db *d)
{
    return d->read_only;
}

int db_refcount(const db *d)
{
    pthread_mutex_lock(&registry_lock);
    int n = d->refcount;
    pthread_mutex_unlock(&registry_lock);
    return n;
}

duckdb_database db_raw(db *d)
{
    return d->raw;
}

/* --- connections and statements -------------------------------------------- */

bool db_connect(db *d, db_conn **out, mlerr *err)
{
    *out = NULL;
    db_conn *c = xcalloc(1, sizeof(*c));
    if (duckdb_connect(d->raw, &c->raw) == DuckDBError) {
        mlerr_set(err, EXIT_HANDLED, "cannot open a connection to %s", d->key);
        free(c);
        return false;
    }
    c->owner = d;
    c->thread = pthread_self();
    c->trace_id = sql_trace_next_conn_id();
    pthread_mutex_lock(&registry_lock);
    d->connections++;
    pthread_mutex_unlock(&registry_lock);
    *out = c;
    return true;
}

void db_disconnect(db_conn *c)
{
    if (!c)
        return;
    duckdb_disconnect(&c->raw);
    pthread_mutex_lock(&registry_lock);
    c->owner->connections--;
    pthread_mutex_unlock(&registry_lock);
    free(c);
}

duckdb_connection db_conn_raw(db_conn *c)
{
    return c->raw;
}

static void check_owner_thread(const db_conn *c)
{
    if (!pthread_equal(c->thread, pthread_self())) {
        fprintf(stderr,
                "mallard: internal error: a connection to %s was used by a thread other "
                "than the one that opened it\n",
                c->owner->key);
        abort();
    }
}

db_error_kind db_error_kind_from_duckdb(duckdb_error_type type)
{
    switch (type) {
    case DUCKDB_ERROR_TRANSACTION:
        return DB_ERR_TRANSACTION_CONFLICT;
    case DUCKDB_ERROR_CATALOG:
    case DUCKDB_ERROR_DEPENDENCY:
        return DB_ERR_CATALOG;
    case DUCKDB_ERROR_PARSER:
    case DUCKDB_ERROR_SYNTAX:
        return DB_ERR_PARSER;
    case DUCKDB_ERROR_BINDER:
        return DB_ERR_BINDER;
    case DUCKDB_ERROR_CONSTRAINT:
        return DB_ERR_CONSTRAINT;
    case DUCKDB_ERROR_INTERRUPT:
        return DB_ERR_INTERRUPT;
    case DUCKDB_ERROR_IO:
    case DUCKDB_ERROR_PERMISSION:
        return DB_ERR_IO;
    default:
        return DB_ERR_OTHER;
    }
}

const char *db_error_kind_name(db_error_kind kind)
{
    switch (kind) {
    case DB_ERR_NONE:
        return "none";
    case DB_ERR_TRANSACTION_CONFLICT:
        return "transaction conflict";
    case DB_ERR_CATALOG:
        return "catalog";
    case DB_ERR_PARSER:
        return "parser";
    case DB_ERR_BINDER:
        return "binder";
    case DB_ERR_CONSTRAINT:
        return "constraint";
    case DB_ERR_INTERRUPT:
        return "interrupted";
    case DB_ERR_IO:
        return "IO";
    case DB_ERR_OTHER:
        break;
    }
    return "other";
}

void db_error_release(db_error *e)
{
    free(e->message);
    *e = (db_error){0};
}

void db_error_to_mlerr(const db_error *e, mlerr *err, int exit_code)
{
    mlerr_set(err, exit_code, "%s", e->message ? e->message : "unknown database error");
}

bool db_exec(db_conn *c, const char *sql, duckdb_result *out, db_error *e)
{
    check_owner_thread(c);
    sql_trace_statement(c->trace_id, sql);
    struct timespec t0 = {0};
    bool logged = log_statement_begin(sql);
    if (logged)
        clock_gettime(CLOCK_MONOTONIC, &t0);
    duckdb_result r;
    duckdb_state state = duckdb_query(c->raw, sql, &r);
    if (logged) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        log_statement_done(state != DuckDBError, (double)(t1.tv_sec - t0.tv_sec) +
                                                     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
    if (state == DuckDBError) {
        const char *msg = duckdb_result_error(&r);
        duckdb_error_type type = duckdb_result_error_type(&r);
        free(e->message);
        e->duckdb_type = (int)type;
        e->kind = db_error_kind_from_duckdb(type);
        /* DuckDB's own text for an interrupt is "INTERRUPT Error: Interrupted!";
         * the kind says enough, but keep its words for the log. */
        e->message = xstrdup(msg ? msg : "unknown database error");
        duckdb_destroy_result(&r);
        return false;
    }
    if (out)
        *out = r;
    else
        duckdb_destroy_result(&r);
    return true;
}

bool db_query_text(db_conn *c, const char *sql, char **value, db_error *e)
{
    *value = NULL;
    duckdb_result r;
    if (!db_exec(c, sql, &r, e))
        return false;
    if (duckdb_row_count(&r) > 0 && duckdb_column_count(&r) > 0 &&
        !duckdb_value_is_null(&r, 0, 0)) {
        char *v = duckdb_value_varchar(&r, 0, 0);
        *value = xstrdup(v ? v : "");
        duckdb_free(v);
    }
    duckdb_destroy_result(&r);
    return true;
}

void db_interrupt(db_conn *c)
{
    duckdb_interrupt(c->raw);
}

/* --- relation turns ------------------------------------------------------- */

/* turns_lock guards the busy list; turns_changed wakes waiters when a turn
 * ends.  The list is short (one entry per running materialization). */
typedef struct relation_turn {
    const db *d;
    char *relation;
} relation_turn;

static pthread_mutex_t turns_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turns_changed = PTHREAD_COND_INITIALIZER;
static relation_turn *turns;
static size_t n_turns, cap_turns;

static ssize_t find_turn(const db *d, const char *relation)
{
    for (size_t i = 0; i < n_turns; i++)
        if (turns[i].d == d && strcmp(turns[i].relation, relation) == 0)
            return (ssize_t)i;
    return -1;
}

void db_relation_turn_begin(db *d, const char *relation)
{
    pthread_mutex_lock(&turns_lock);
    while (find_turn(d, relation) >= 0)
        pthread_cond_wait(&turns_changed, &turns_lock);
    if (n_turns == cap_turns) {
        cap_turns = cap_turns ? 2 * cap_turns : 8;
        turns = xrealloc(turns, cap_turns * sizeof(*turns));
    }
    turns[n_turns++] = (relation_turn){d, xstrdup(relation)};
    pthread_mutex_unlock(&turns_lock);
}

void db_relation_turn_end(db *d, const char *relation)
{
    pthread_mutex_lock(&turns_lock);
    ssize_t i = find_turn(d, relation);
    if (i >= 0) {
        free(turns[i].relation);
        turns[i] = turns[--n_turns];
        if (n_turns == 0) {
            free(turns);
            turns = NULL;
            cap_turns = 0;
        }
    }
    pthread_cond_broadcast(&turns_changed);
    pthread_mutex_unlock(&turns_lock);
}
