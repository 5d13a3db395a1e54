/* lock: telling the user who holds a DuckDB database file, and waiting for it.
 *
 * DuckDB takes a POSIX fcntl lock on the database file: one writer process, or
 * any number of read-only ones.  When another process holds it, DuckDB's open
 * fails with
 *   IO Error: Could not set lock on file "/x/db.duckdb": Conflicting lock is
 *   held in /usr/bin/python3.12 (PID 53)
 * which is the first thing dbt-on-Airflow users hit.  This file recognises that
 * message, finds the holder (from the message, from fcntl(F_GETLK) and from
 * /proc/locks), describes it from /proc/PID (executable, command line, user),
 * and paces the retries.  Every /proc read may fail (another PID namespace,
 * hidepid, no /proc at all): the description then says less, never errs. */
#ifndef MALLARD_ENGINE_LOCK_H
#define MALLARD_ENGINE_LOCK_H

#include "util/strbuf.h"

#include <stdbool.h>
#include <sys/types.h>

typedef struct lock_holder {
    long pid;                  /* 0 when unknown */
    char *exe;                 /* from /proc/PID/exe, else from DuckDB's message, else NULL */
    char *cmdline;             /* /proc/PID/cmdline with NULs as spaces, or NULL */
    char *user;                /* the owner's login name, "uid N", or NULL */
    bool read_only_would_work; /* DuckDB says the holder is a reader */
} lock_holder;

/* Whether msg is DuckDB's "could not set lock" error (an open that another
 * process's lock refused). */
bool lock_is_conflict(const char *msg);

/* Pulls the holder's PID and executable out of DuckDB's lock message.  Either
 * may be missing (pid 0, exe NULL); exe is heap-allocated. */
void lock_parse_message(const char *msg, long *pid, char **exe);

/* The PID holding a POSIX lock on (dev, ino) in the text of /proc/locks, or 0.
 * Waiters ("->" lines) and OFD locks (PID -1) are skipped. */
long lock_parse_proc_locks(const char *text, dev_t dev, ino_t ino);

/* The PID of another process that holds a lock conflicting with a write lock
 * on path, or 0 if none (or the file cannot be opened).  Asks the kernel with
 * F_GETLK first and falls back to /proc/locks.  Locks held by this process
 * never show: POSIX locks do not conflict with their own process.  Never
 * call it on a file this process has open in DuckDB: closing the probe's
 * descriptor drops every POSIX lock this process holds on the file. */
long lock_find_holder(const char *path);

/* Fills h->exe, h->cmdline and h->user from <proc_root>/<pid>/ (proc_root
 * NULL means "/proc").  Fields that cannot be read are left as they are. */
void lock_describe_pid(lock_holder *h, long pid, const char *proc_root);

/* Everything we can learn about the holder from DuckDB's message and /proc. */
void lock_holder_from_message(lock_holder *h, const char *msg);

/* "PID 53 (/usr/bin/python3.12, user alice), command line: python3 x.py"; the
 * parts that are unknown are left out or said to be unknown. */
void lock_holder_describe(const lock_holder *h, strbuf *out);
void lock_holder_release(lock_holder *h);

/* Bounded exponential backoff: 50 ms, doubling, capped at 1 s, never past the
 * deadline.  timeout 0 gives no retries at all. */
typedef struct lock_backoff {
    double timeout;    /* seconds */
    double start;      /* monotonic seconds */
    double next_delay; /* seconds */
} lock_backoff;

void lock_backoff_init(lock_backoff *b, double timeout);
/* How long to sleep before the next try, or a negative number when the
 * deadline has passed.  now is monotonic seconds (lock_now()). */
double lock_backoff_next(lock_backoff *b, double now);
double lock_now(void);
void lock_sleep(double seconds);

#endif
