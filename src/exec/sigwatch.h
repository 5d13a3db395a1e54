/* sigwatch: turns SIGINT/SIGTERM into a callback on an ordinary thread.
 *
 * A signal handler may not take locks, and cancelling a run has to (it
 * marks items skipped under the runner's lock and interrupts DuckDB).  So
 * the signals are blocked in the process's threads and read from a
 * signalfd by one watcher thread, which calls on_signal like any other
 * code.  sigwatch_start must run before any other thread exists -- before
 * db_open too, since DuckDB starts its own threads there -- because threads
 * inherit the blocked mask from the thread that creates them, and a thread
 * that does not block the signals would take them with the default action.
 *
 * In a job that another process routed to us (util/jobctx.h) no signal is
 * touched: the signals belong to this process, and the job's cancel (its
 * client's Ctrl-C, or the client going away) calls on_signal with SIGINT. */
#ifndef MALLARD_EXEC_SIGWATCH_H
#define MALLARD_EXEC_SIGWATCH_H

#include "util/error.h"

#include <stdbool.h>

typedef struct sigwatch sigwatch;

/* Blocks SIGINT and SIGTERM in the calling thread and starts the watcher.
 * on_signal(ctx, signo) runs on the watcher thread for every signal that
 * arrives until sigwatch_stop. */
bool sigwatch_start(void (*on_signal)(void *ctx, int signo), void *ctx, sigwatch **out, mlerr *err);
/* Stops the watcher, restores the calling thread's signal mask, and frees w.
 * Returns the first signal received (0 if none) so the caller can exit 2. */
int sigwatch_stop(sigwatch *w);
/* The first signal received so far, 0 if none; safe from any thread. */
int sigwatch_received(sigwatch *w);

#endif
