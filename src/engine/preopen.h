/* preopen: opening a database on a helper thread while the caller does
 * other work.
 *
 * Opening DuckDB costs tens of milliseconds (its catalog, buffer manager
 * and worker threads) and needs nothing but the profile's target, while a
 * build also spends that long loading and compiling the project, which
 * needs nothing from the database.  So a build starts the open first and
 * loads the project meanwhile.
 *
 * The early attempt is speculative and quiet: it never waits for another
 * process's lock and reports nothing.  When it did not succeed the caller
 * opens the normal way (db_open), which waits, diagnoses and reports as
 * always, so the outcome and the messages are those of a plain open.  When
 * the caller gives up instead (the project failed to load), a file the
 * early open created is removed again: a failed build leaves no empty
 * database behind, as it did when it never got as far as opening. */
#ifndef MALLARD_ENGINE_PREOPEN_H
#define MALLARD_ENGINE_PREOPEN_H

#include "engine/database.h"

typedef struct db_preopen db_preopen;

/* Starts opening opts->path.  opts and what it points to must outlive
 * db_preopen_take/db_preopen_abandon.  Never fails: without a thread it
 * simply has nothing to hand over. */
db_preopen *db_preopen_start(const db_options *opts);
/* Waits for the attempt and frees po.  Returns the open database, or NULL
 * when the early attempt did not succeed (then call db_open). */
db *db_preopen_take(db_preopen *po);
/* Waits for the attempt, closes what it opened (removing a file it
 * created) and frees po.  NULL is a no-op. */
void db_preopen_abandon(db_preopen *po);

#endif
