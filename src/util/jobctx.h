/* jobctx: the thread-bound context of a job that another process sent us.
 *
 * A process that owns a database runs CLI commands on behalf of other
 * `mallard` processes (see cli/route_server.c).  Such a job must behave as
 * if it ran in the client: its console output goes to the client, its
 * environment is the client's (env_var(), .env files, MALLARD_* options),
 * and Ctrl-C on the client cancels it.  The code that runs the job is the
 * same code as a local run; it consults this context at the few places
 * that touch process-wide state:
 *   - log.c writes a job's lines, at the job's level and colour, to the
 *     job's sink instead of stdout (job_write for stderr-style text), and
 *     to the job's own log file, never the owner's;
 *   - job_getenv / job_setenv_default stand in for getenv / setenv(.., 0);
 *   - sigwatch registers its callback with job_on_cancel instead of
 *     blocking signals.
 * Threads that a job starts inherit the context through job_thread_create.
 * Outside a job (job_current() == NULL) every call falls back to the
 * process: getenv, stdout, stderr.
 *
 * Locks: each job_ctx has env_lock (its environment), sink_lock (held
 * across a sink call, so lines never interleave) and cancel_lock (the
 * cancel hook).  They are never nested, so a cancel callback may log and a
 * sink may read the environment.  Nothing else in a job_ctx changes after
 * creation except the log level and colour, which only the job's own
 * thread sets, before it starts workers. */
#ifndef MALLARD_UTIL_JOBCTX_H
#define MALLARD_UTIL_JOBCTX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct job_ctx job_ctx;

enum {
    JOB_STDOUT = 1,
    JOB_STDERR = 2
};

/* Where a job's output goes: stream is JOB_STDOUT or JOB_STDERR.  Called
 * with sink_lock held, from any of the job's threads; it must not cancel
 * the job itself (the cancel callback may log). */
typedef void (*job_sink_fn)(void *ud, int stream, const char *data, size_t len);

/* env: "KEY=VALUE" strings (copied); the job sees exactly these variables. */
job_ctx *job_ctx_new(const char *const *env, size_t nenv, bool tty, job_sink_fn sink, void *ud);
void job_ctx_free(job_ctx *j);

/* The calling thread's job, or NULL. */
job_ctx *job_current(void);
/* Binds j (or NULL) to the calling thread. */
void job_bind(job_ctx *j);
/* pthread_create whose new thread runs in the caller's job (if any). */
int job_thread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);

/* getenv in the current job's environment, else the process's.  The
 * returned text stays valid while the job lives (values are never
 * replaced, only added). */
const char *job_getenv(const char *name);
/* setenv(name, value, 0): the job's environment inside a job. */
void job_setenv_default(const char *name, const char *value);

/* Writes to the current job's stream; false (and nothing written) outside
 * a job. */
bool job_write(int stream, const char *data, size_t len);
/* printf to the job's stderr, or the process's stderr outside a job. */
void job_eprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The job's console settings (log.c keeps the process's own). */
bool job_tty(const job_ctx *j);
int job_log_level(const job_ctx *j);
void job_set_log_level(job_ctx *j, int level);
bool job_color(const job_ctx *j);
void job_set_color(job_ctx *j, bool on);
/* The job's log file (logs/dbt.log of the client's project): an opaque
 * pointer that log.c owns and guards with its log lock; the job's command
 * closes it before the job ends. */
void *job_log_file(const job_ctx *j);
void job_set_log_file(job_ctx *j, void *f);

/* Cancelling: the job's runner registers fn (NULL to unregister); job_cancel
 * calls it (once per job_cancel, under cancel_lock, so unregistering waits
 * for a call in progress) and remembers that the job was cancelled. */
void job_on_cancel(job_ctx *j, void (*fn)(void *ud), void *ud);
void job_cancel(job_ctx *j);
bool job_cancelled(job_ctx *j);

#endif
