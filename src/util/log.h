/* log: console and log-file output, shaped like dbt's.
 *
 * Info lines go to stdout as "HH:MM:SS  message", the way dbt prints them, so
 * people and tools reading dbt output read ours.  Warnings and errors go to
 * stdout too (dbt does the same); only usage errors before logging starts go
 * to stderr.  Every call takes the log lock, so lines from worker threads
 * never interleave.
 *
 * The log file (dbt's logs/dbt.log) gets every line at or above its own
 * level (debug by default) in dbt's debug text format, without colour:
 *
 *     (two blank lines)
 *     ============================== 01:23:45.678901 | <invocation id>
 * ============================== 01:23:45.678901 [info ] [MainThread]: Running with mallard=0.1.0
 *     01:23:45.712000 [info ] [Thread-1 (]: 1 of 3 START sql view model main.a ....
 *
 * (the thread name cut to 10 characters, as dbt does).  Lines are appended,
 * never truncated; when the file would reach max_bytes it is rotated like
 * Python's RotatingFileHandler (dbt.log -> dbt.log.1 ... dbt.log.<backups>).
 * Lines are kept in a buffer and written whole with one write(2) on an
 * O_APPEND descriptor -- when the buffer fills, for every warning or error,
 * and at close -- so processes sharing the file never split each other's
 * lines and a run does not pay a system call per line.
 *
 * Inside a routed job (util/jobctx.h) the open file is the job's: its lines
 * go to the client's project, never to the owning process's own file. */
#ifndef MALLARD_UTIL_LOG_H
#define MALLARD_UTIL_LOG_H

#include "util/error.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/time.h>

typedef enum {
    LOG_DEBUG,
    LOG_INFO,
    LOG_WARN,
    LOG_ERROR,
    LOG_NONE,
} log_level;

typedef enum {
    COLOR_RESET,
    COLOR_RED,
    COLOR_GREEN,
    COLOR_YELLOW,
    COLOR_BLUE,
    COLOR_CYAN,
    COLOR_BOLD,
} log_color;

/* Parses "debug", "info", "warn", "error", "none"; false if unknown. */
bool log_level_parse(const char *name, log_level *out);
void log_set_level(log_level level);
log_level log_get_level(void);
/* Colour is used only when wanted, stdout is a TTY and NO_COLOR is unset. */
void log_set_color(bool wanted);
bool log_color_enabled(void);
/* The escape sequence for c, or "" when colour is off. */
const char *log_color_code(log_color c);
typedef struct log_file_options {
    log_level level;     /* lines below it are left out (dbt's default: debug) */
    long long max_bytes; /* rotate before the file reaches this; 0: never */
    int backups;         /* rotated files kept (dbt: 5) */
    const char *version; /* for the first line: "Running with mallard=<version>" */
} log_file_options;

/* Opens path for appending (creating its directory) as the current job's
 * log file, or the process's outside a job, replacing any open one, and
 * starts an invocation block: the separator with a fresh invocation id and
 * the "Running with" line.  False (with err naming the path) if it cannot
 * be opened; logging to the console goes on either way. */
bool log_open_file(const char *path, const log_file_options *o, mlerr *err);
/* Writes what is buffered and closes the current job's (or the process's)
 * log file; nothing if none is open. */
void log_close_file(void);
/* The open log file's invocation id (into out); false when none is open. */
bool log_invocation_id(char out[37]);
/* The calling thread's name in log-file lines (dbt's "Thread-1 (worker)");
 * NULL restores the default, "MainThread". */
void log_set_thread_name(const char *name);
/* The node (its unique_id, or "master" for the run's own statements) whose
 * SQL the calling thread runs; the string must live until the owner is
 * set again.  NULL, the default, keeps the thread's statements out of the
 * log file: a serve client's queries are its own business. */
void log_set_statement_owner(const char *owner);
const char *log_statement_owner(void);
/* dbt's debug lines around each statement: "On <owner>: <sql>" before it
 * runs (log_statement_begin returns whether it wrote one, i.e. the thread
 * has an owner and the log file takes debug lines), then "SQL status: OK in
 * 0.012 seconds" (or ERROR) after it. */
bool log_statement_begin(const char *sql);
void log_statement_done(bool ok, double seconds);
/* tv's local wall-clock time as dbt's console prints it, "HH:MM:SS" (into
 * stamp); tv NULL means now, and then *now_out (if given) gets the time used. */
void log_clock_stamp(const struct timeval *tv, struct timeval *now_out, char stamp[16]);
/* A line for the log file only, as dbt's debug-level events are. */
void log_file_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
