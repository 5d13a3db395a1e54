/* preopen: the speculative early open of a build's database (see preopen.h). */
#include "engine/preopen.h"

#include "util/arena.h"
#include "util/fs.h"
#include "util/jobctx.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct db_preopen {
    db_options opts; /* the caller's, with lock_timeout 0 */
    pthread_t thread;
    bool started;
    char *abs_path; /* the file as db_open resolves it, or NULL for memory */
    bool existed;   /* the file was there before the attempt */
    db *d;          /* what the attempt opened, or NULL */
};

static void *preopen_main(void *arg)
{
    db_preopen *po = arg;
    const char *path = po->opts.path;
    struct stat st;
    po->existed = true;
    if (path && *path && strcmp(path, ":memory:") != 0) {
        arena a = ARENA_INIT;
        po->abs_path = xstrdup(fs_absolute(&a, path));
        arena_free(&a);
        po->existed = stat(po->abs_path, &st) == 0;
    }
    mlerr err = MLERR_INIT;
    if (!db_open(&po->opts, &po->d, &err))
        po->d = NULL;
    mlerr_clear(&err);
    return NULL;
}

db_preopen *db_preopen_start(const db_options *opts)
{
    db_preopen *po = xcalloc(1, sizeof(*po));
    po->opts = *opts;
    po->opts.lock_timeout = 0;
    /* DuckDB's worker threads start inside this open and inherit the
     * opening thread's signal mask: SIGINT and SIGTERM must stay with the
     * thread that watches for them (exec/sigwatch.h), as they do when
     * db_open runs after the watcher blocked them. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    po->started = job_thread_create(&po->thread, NULL, preopen_main, po) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return po;
}

static db *wait_for(db_preopen *po)
{
    if (po->started)
        pthread_join(po->thread, NULL);
    return po->d;
}

db *db_preopen_take(db_preopen *po)
{
    db *d = wait_for(po);
    free(po->abs_path);
    free(po);
    return d;
}

void db_preopen_abandon(db_preopen *po)
{
    if (!po)
        return;
    db *d = wait_for(po);
    if (d) {
        /* Only the last reference closes the file: a database this process
         * already had open (a routed job) is left as it was. */
        bool created = !po->existed && po->abs_path && db_refcount(d) == 1 &&
                       strcmp(db_path(d), po->abs_path) == 0;
        db_close(d);
        if (created) {
            char *wal = xasprintf("%s.wal", po->abs_path);
            unlink(po->abs_path);
            unlink(wal);
            free(wal);
        }
    }
    free(po->abs_path);
    free(po);
}
