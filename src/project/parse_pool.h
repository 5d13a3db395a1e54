/* parse_pool: runs one loader step over many independent items on all
 * cores (MALLARD_PARSE_THREADS overrides the count; 1 is the serial path).
 *
 * Each thread allocates what it keeps in its own arena: the calling thread
 * uses the loader's arena, the others get arenas that the project owns
 * (p->side_arenas), so results live as long as the project.  Items are
 * handed out in index order in batches and every batch that was started is
 * finished, so when items fail the reported error is always the one of the
 * lowest failing index, however the threads were scheduled. */
#ifndef MALLARD_PROJECT_PARSE_POOL_H
#define MALLARD_PROJECT_PARSE_POOL_H

#include "project/graph.h"
#include "util/arena.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>

/* One item: allocate results in keep, report a failure in err. */
typedef bool (*parse_pool_fn)(void *ctx, size_t item, arena *keep, mlerr *err);

/* Threads to use for n items of which a thread takes batch at a time. */
int parse_pool_threads(size_t n, size_t batch);

/* Runs fn over items [0, n).  On failure returns false with the lowest
 * failing item's error in *err (replacing anything already there) and its
 * index in *failed_at (when not NULL). */
bool parse_pool_run(project *p, arena *main_arena, size_t n, size_t batch, parse_pool_fn fn,
                    void *ctx, mlerr *err, size_t *failed_at);

#endif
