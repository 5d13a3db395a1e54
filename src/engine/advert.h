/* advert: telling other processes that this Mallard process owns a database
 * file, and finding out whether another one does.
 *
 * DuckDB lets one process write a file.  When that process is Mallard (a
 * `mallard serve`, a scheduler), other `mallard` commands should not wait
 * for its lock: they send their job to it (cli/route_client.c).  So the
 * owner writes "<db file>.mallard" next to the file, a small JSON object:
 *   {"pid": 4242, "start_time": 123456, "version": "0.1.0",
 *    "command": "serve", "database": "/abs/dev.duckdb",
 *    "job_socket": "/run/user/1000/mallard/job-4242.sock",
 *    "pg_host": "127.0.0.1", "pg_port": 5433, "pg_socket": "/tmp/.s.PGSQL.5433"}
 * written to a temporary file and renamed into place, so a reader never sees
 * half of it.  start_time is field 22 of /proc/<pid>/stat (clock ticks since
 * boot), so a reader can tell the owner from a later process that got the
 * same PID.  A file whose process is gone, or whose PID now belongs to a
 * process started at another time, is stale: readers ignore it, and the next
 * owner replaces it.
 *
 * Which files: every file this process has open read-write through
 * db_open, once the process has said who it is (advert_set_self); the
 * engine's registry calls advert_file_opened/closed at the first open and
 * the last close.  The files are removed when the database closes, when
 * advert_clear_self is called, and at exit(); only a process killed outright
 * (SIGKILL, a crash) leaves one behind, which is then stale.
 *
 * Locks: advert_lock guards the process's own description and the list of
 * published files. */
#ifndef MALLARD_ENGINE_ADVERT_H
#define MALLARD_ENGINE_ADVERT_H

#include <stdbool.h>

/* What this process tells others about itself. */
typedef struct advert_self {
    const char *command;    /* "serve", "scheduler", "build", ... */
    const char *job_socket; /* NULL: this process takes no jobs */
    const char *pg_host;    /* pgwire endpoint, or NULL */
    int pg_port;
    const char *pg_socket; /* the Unix socket path, or NULL */
} advert_self;

/* Starts advertising (copies s) and (re)writes the file of every database
 * open read-write now. */
void advert_set_self(const advert_self *s);
/* Stops advertising and removes every file this process wrote. */
void advert_clear_self(void);

/* Called by the engine's registry (path absolute, opened read-write). */
void advert_file_opened(const char *db_path);
void advert_file_closed(const char *db_path);

/* What a reader found. */
typedef struct advert {
    long pid;
    unsigned long long start_time; /* 0 when not known */
    char *version, *command, *database, *job_socket, *pg_host, *pg_socket;
    int pg_port;
} advert;

typedef enum advert_state {
    ADVERT_NONE,  /* no file, or not one we can read */
    ADVERT_LIVE,  /* a running Mallard process owns the database */
    ADVERT_STALE, /* the process is gone (the file is ignored) */
} advert_state;

/* Reads db_path's advertisement; *out is filled for LIVE and STALE and must
 * be released with advert_release.  An advertisement naming this very
 * process counts as NONE. */
advert_state advert_read(const char *db_path, advert *out);
void advert_release(advert *a);

/* "<db_path>.mallard" (heap). */
char *advert_file_of(const char *db_path);
/* Field 22 of /proc/<pid>/stat, or 0 if it cannot be read. */
unsigned long long advert_start_time(long pid);

#endif
