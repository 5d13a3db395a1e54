/* database: the one object that owns each DuckDB database in the process.
 *
 * DuckDB allows one read-write process per database file, and inside that
 * process the file must be opened once: two duckdb_open calls on one file
 * would be two independent instances writing the same pages.  So every open
 * goes through a process-wide registry keyed by the file -- its real path,
 * and its device and inode once it exists, so symlinks and hard links find
 * the same entry (":memory:" is a key of its own): the first db_open opens
 * the file, later ones for the same file share that handle, and the last
 * db_close closes it.
 *
 * Threads.  A db is shared by every thread that opened it.  A db_conn is not:
 * each worker thread takes its own with db_connect and uses it only from that
 * thread (DuckDB's transactions are per connection, so sharing one would mix
 * two threads' statements in one transaction).  The one call that may come
 * from another thread is db_interrupt, which cancels the statement the owning
 * thread is running; the caller must keep the connection alive meanwhile.
 *
 * Owners.  Once the process has said who it is (advert_set_self), every
 * file it holds open read-write is advertised next to the file, so other
 * mallard commands send their work here instead of waiting for the lock
 * (engine/advert.h); the first open writes the advertisement, the last
 * close removes it.
 *
 * Errors.  Opening fails with an mlerr (exit code 2) that says what to do:
 * who holds the lock, which directory is missing, which file is not a DuckDB
 * database.  Statements fail with a db_error: a kind the caller can act on
 * (retry a transaction conflict, report a catalog error) and DuckDB's text. */
#ifndef MALLARD_ENGINE_DATABASE_H
#define MALLARD_ENGINE_DATABASE_H

#include "project/profile.h"
#include "util/error.h"

#include <duckdb.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct db db;
typedef struct db_conn db_conn;

typedef struct db_options {
    const char *path; /* a file path (made absolute here), ":memory:" or NULL for memory */
    int threads;      /* DuckDB's worker threads; 0 leaves DuckDB's default */
    const dbt_setting *settings; /* DuckDB config options, applied at open */
    size_t n_settings;
    const char *const *extensions; /* loaded after open; must be built in or installed */
    size_t n_extensions;
    bool read_only; /* open read-only: for commands that only read */
    /* For commands that only read: if a read-write open conflicts with another
     * process that holds the file read-only, open read-only instead of waiting. */
    bool read_only_on_conflict;
    double lock_timeout;     /* seconds to wait for another process's lock; 0 fails at once */
    const char *config_file; /* named in hints (e.g. the profiles.yml), or NULL */
} db_options;

/* Opens (or shares) the database.  A file held by another process is retried
 * with backoff for opts->lock_timeout seconds, logging the holder once. */
bool db_open(const db_options *opts, db **out, mlerr *err);
/* Drops this reference; the last one closes DuckDB.  Every db_conn taken
 * from it must have been disconnected first. */
void db_close(db *d);

const char *db_path(const db *d); /* absolute path, or ":memory:" */
bool db_is_memory(const db *d);
bool db_is_read_only(const db *d);
/* How many db_open references this handle has (for tests and diagnostics). */
int db_refcount(const db *d);
/* The DuckDB handle, for layers that need the raw C API. */
duckdb_database db_raw(db *d);

/* Relation turns.  Sessions of this process that write the same relation
 * at once (two runs of one DAG building one model, say) would meet DuckDB's
 * write-write conflict and could use up their retries while the other's
 * build runs; instead they take turns.  Blocks until no other thread holds
 * (d, relation); one relation at a time per thread, so turns cannot
 * deadlock. */
void db_relation_turn_begin(db *d, const char *relation);
void db_relation_turn_end(db *d, const char *relation);

/* A new connection for the calling thread (see "Threads" above). */
bool db_connect(db *d, db_conn **out, mlerr *err);
void db_disconnect(db_conn *c);
duckdb_connection db_conn_raw(db_conn *c);

typedef enum db_error_kind {
    DB_ERR_NONE = 0,
    DB_ERR_TRANSACTION_CONFLICT, /* another transaction changed the same rows or catalog */
    DB_ERR_CATALOG,              /* no such table/schema, or it already exists */
    DB_ERR_PARSER,
    DB_ERR_BINDER,     /* names and types that do not resolve */
    DB_ERR_CONSTRAINT, /* NOT NULL, UNIQUE, PRIMARY KEY, CHECK, FOREIGN KEY */
    DB_ERR_INTERRUPT,  /* cancelled through db_interrupt */
    DB_ERR_IO,
    DB_ERR_OTHER,
} db_error_kind;

typedef struct db_error {
    db_error_kind kind;
    int duckdb_type; /* DuckDB's duckdb_error_type, for the rare caller that needs it */
    char *message;   /* heap; freed by db_error_release */
} db_error;

db_error_kind db_error_kind_from_duckdb(duckdb_error_type type);
const char *db_error_kind_name(db_error_kind kind);
void db_error_release(db_error *e);
/* Moves e's text into err (if not already set), with the given exit code. */
void db_error_to_mlerr(const db_error *e, mlerr *err, int exit_code);

/* Runs one or more statements.  On success *out (if not NULL) holds the last
 * statement's result, which the caller frees with duckdb_destroy_result; on
 * failure *e says why and nothing needs freeing but e.  With MALLARD_TRACE_SQL
 * set, the text is first appended to that file (sql_trace.h). */
bool db_exec(db_conn *c, const char *sql, duckdb_result *out, db_error *e);
/* Runs a query and returns the first column of its first row as text (heap,
 * NULL for SQL NULL or no rows). */
bool db_query_text(db_conn *c, const char *sql, char **value, db_error *e);
/* Cancels the statement running on c, if any; safe from any thread. */
void db_interrupt(db_conn *c);

#endif
