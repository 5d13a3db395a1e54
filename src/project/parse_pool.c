/* parse_pool: the loader's fork-join work pool (see parse_pool.h). */
#include "project/parse_pool.h"

#include "util/jobctx.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

enum {
    POOL_MAX_THREADS = 8
};

int parse_pool_threads(size_t n, size_t batch)
{
    long want = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("MALLARD_PARSE_THREADS");
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == '\0' && v >= 1)
            want = v;
    }
    if (want > POOL_MAX_THREADS)
        want = POOL_MAX_THREADS;
    /* a thread costs more than a few batches of work */
    if (want < 2 || n < 2 * batch)
        return 1;
    return (int)want;
}

typedef struct pool {
    size_t n, batch;
    parse_pool_fn fn;
    void *ctx;
    atomic_size_t next;
    atomic_bool stop;
} pool;

typedef struct worker {
    pool *pool;
    arena *keep;
    mlerr err;
    size_t failed_at; /* SIZE_MAX while nothing failed */
    pthread_t tid;
    bool started;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    pool *pl = w->pool;
    for (;;) {
        size_t start = atomic_fetch_add(&pl->next, pl->batch);
        if (start >= pl->n || atomic_load(&pl->stop))
            return NULL;
        size_t end = start + pl->batch < pl->n ? start + pl->batch : pl->n;
        for (size_t i = start; i < end; i++) {
            if (!pl->fn(pl->ctx, i, w->keep, &w->err)) {
                w->failed_at = i;
                atomic_store(&pl->stop, true);
                return NULL;
            }
        }
    }
}

bool parse_pool_run(project *p, arena *main_arena, size_t n, size_t batch, parse_pool_fn fn,
                    void *ctx, mlerr *err, size_t *failed_at)
{
    if (batch == 0)
        batch = 1;
    int nthreads = parse_pool_threads(n, batch);
    pool pl = {.n = n, .batch = batch, .fn = fn, .ctx = ctx};
    atomic_init(&pl.next, 0);
    atomic_init(&pl.stop, false);
    worker *w = xcalloc((size_t)nthreads, sizeof(worker));
    if (nthreads > 1)
        p->side_arenas =
            xrealloc(p->side_arenas, (p->n_side_arenas + (size_t)nthreads - 1) * sizeof(arena));
    for (int t = 0; t < nthreads; t++) {
        w[t].pool = &pl;
        w[t].failed_at = SIZE_MAX;
        if (t == 0) {
            w[t].keep = main_arena;
        } else {
            w[t].keep = &p->side_arenas[p->n_side_arenas++];
            *w[t].keep = (arena)ARENA_INIT;
        }
    }
    for (int t = 1; t < nthreads; t++)
        w[t].started = job_thread_create(&w[t].tid, NULL, work, &w[t]) == 0;
    /* the calling thread works until the items run out, so a thread that
     * could not start only leaves more for it */
    work(&w[0]);
    for (int t = 1; t < nthreads; t++)
        if (w[t].started)
            pthread_join(w[t].tid, NULL);
    int worst = -1;
    for (int t = 0; t < nthreads; t++)
        if (w[t].failed_at != SIZE_MAX && (worst < 0 || w[t].failed_at < w[worst].failed_at))
            worst = t;
    if (worst >= 0) {
        mlerr_clear(err);
        mlerr_set(err, w[worst].err.exit_code, "%s", mlerr_message(&w[worst].err));
        if (failed_at)
            *failed_at = w[worst].failed_at;
    }
    for (int t = 0; t < nthreads; t++)
        mlerr_clear(&w[t].err);
    free(w);
    return worst < 0;
}
