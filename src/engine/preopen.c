/* preopen: the speculative early open of a build's database, beside the
 * project work (see preopen.h). */
#include "engine/preopen.h"

#include "util/jobctx.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct beside_work {
    void (*fn)(void *arg);
    void *arg;
} beside_work;

static void *work_main(void *arg)
{
    beside_work *w = arg;
    w->fn(w->arg);
    return NULL;
}

static bool is_file_path(const char *path)
{
    return path && *path && strcmp(path, ":memory:") != 0;
}

db_early db_open_beside(const db_options *opts, void (*work)(void *arg), void *arg)
{
    beside_work w = {.fn = work, .arg = arg};
    pthread_t helper;
    bool threaded = job_thread_create(&helper, NULL, work_main, &w) == 0;

    db_early e = {0};
    db_options quiet = *opts;
    quiet.lock_timeout = 0;
    bool existed = true;
    if (is_file_path(opts->path)) {
        struct stat st;
        existed = stat(opts->path, &st) == 0;
    }
    /* DuckDB's worker threads start inside this open and inherit this
     * thread's signal mask: SIGINT and SIGTERM must stay with the thread
     * that watches for them (exec/sigwatch.h), as they do when db_open
     * runs after the watcher blocked them. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    mlerr err = MLERR_INIT;
    if (!db_open(&quiet, &e.d, &err))
        e.d = NULL;
    mlerr_clear(&err);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    /* Only a file this process did not already have open is ours to
     * remove: a routed job shares its owner's handle. */
    e.created = e.d && !existed && db_refcount(e.d) == 1;

    if (threaded)
        pthread_join(helper, NULL);
    else
        work(arg);
    return e;
}

void db_early_discard(db_early *e)
{
    if (!e->d)
        return;
    char *path = e->created ? xstrdup(db_path(e->d)) : NULL;
    db_close(e->d);
    e->d = NULL;
    if (path) {
        char *wal = xasprintf("%s.wal", path);
        unlink(path);
        unlink(wal);
        free(wal);
        free(path);
    }
}
