/* preopen: opening a database while other work runs beside it.
 *
 * Opening DuckDB costs tens of milliseconds (its catalog, buffer manager
 * and worker threads) and needs nothing but the profile's target, while a
 * build also spends that long loading and compiling the project, which
 * needs nothing from the database.  So a build does both at once: the
 * project work on a helper thread, the open on the calling thread.  (That
 * way round because DuckDB's allocations at open are many and small: on
 * the main thread glibc's main arena grows them with a few brk calls, on
 * a helper thread its arena grew page by page, ~460 mprotect calls.)
 *
 * The early open is speculative and quiet: it never waits for another
 * process's lock and reports nothing.  When it did not succeed the caller
 * opens the normal way (db_open), which waits, diagnoses and reports as
 * always, so the outcome and the messages are those of a plain open.  When
 * the caller gives up instead (the project failed to load), a file the
 * early open created is removed again: a failed build leaves no empty
 * database behind, as it did when it never got as far as opening. */
#ifndef MALLARD_ENGINE_PREOPEN_H
#define MALLARD_ENGINE_PREOPEN_H

#include "engine/database.h"

typedef struct db_early {
    db *d;        /* the open database, or NULL when the early attempt failed */
    bool created; /* the attempt created the file (it was not there before) */
} db_early;

/* Runs work(arg) on a helper thread (job-aware; on this thread after the
 * open if no thread can start) while this thread tries to open
 * opts->path once, quietly.  Returns when both are done. */
db_early db_open_beside(const db_options *opts, void (*work)(void *arg), void *arg);
/* Closes an early open that will not be used, removing the file (and its
 * WAL) if the early open created it.  e->d may be NULL. */
void db_early_discard(db_early *e);

#endif
