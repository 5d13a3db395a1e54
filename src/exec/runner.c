/* runner: the parallel DAG executor (see runner.h). */
#include "exec/runner.h"

#include "util/jobctx.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct runner {
    uint32_t n;
    uint32_t *parent_start, *parents; /* copies of the caller's CSR */
    uint32_t *child_start, *children; /* the reverse edges */
    double *priority;                 /* critical path, computed once */

    /* `lock` guards everything below it, the results included; `changed`
     * is signalled when an item becomes ready or the run completes. */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    runner_result *results;
    uint32_t *waiting_on; /* parents not yet succeeded */
    uint32_t *heap;       /* ready items, max-heap on (priority, -index) */
    uint32_t heap_len;
    uint32_t unfinished; /* items neither finished nor skipped */
    uint32_t started;    /* for start_order */
    int *running_worker; /* per item: the worker running it, or -1 */
    bool cancelled;
    bool ran;
    const runner_callbacks *cb;
    bool setup_failed;
    mlerr setup_err;
};

const char *runner_status_name(runner_status s)
{
    switch (s) {
    case RUNNER_PENDING:
        return "pending";
    case RUNNER_RUNNING:
        return "running";
    case RUNNER_SUCCESS:
        return "success";
    case RUNNER_FAILURE:
        return "failure";
    case RUNNER_SKIPPED:
        return "skipped";
    }
    return "?";
}

/* --- graph set-up ----------------------------------------------------------- */

/* Kahn's algorithm over the reverse edges gives a topological order; any
 * item left over lies on (or below) a cycle. */
static bool topo_order(const runner *r, uint32_t *order, uint32_t *first_unordered)
{
    uint32_t *indeg = xcalloc(r->n ? r->n : 1, sizeof(uint32_t));
    uint32_t head = 0, tail = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        indeg[i] = r->parent_start[i + 1] - r->parent_start[i];
        if (indeg[i] == 0)
            order[tail++] = i;
    }
    while (head < tail) {
        uint32_t i = order[head++];
        for (uint32_t k = r->child_start[i]; k < r->child_start[i + 1]; k++) {
            uint32_t c = r->children[k];
            if (--indeg[c] == 0)
                order[tail++] = c;
        }
    }
    bool ok = tail == r->n;
    if (!ok) {
        for (uint32_t i = 0; i < r->n; i++) {
            if (indeg[i] != 0) {
                *first_unordered = i;
                break;
            }
        }
    }
    free(indeg);
    return ok;
}

bool runner_new(const runner_graph *g, runner **out, mlerr *err)
{
    *out = NULL;
    uint32_t n = g->n;
    runner *r = xcalloc(1, sizeof(*r));
    r->n = n;
    uint32_t n_edges = g->parent_start[n];
    r->parent_start = xmalloc(sizeof(uint32_t) * (n + 1));
    memcpy(r->parent_start, g->parent_start, sizeof(uint32_t) * (n + 1));
    r->parents = xmalloc(sizeof(uint32_t) * (n_edges ? n_edges : 1));
    if (n_edges)
        memcpy(r->parents, g->parents, sizeof(uint32_t) * n_edges);

    r->child_start = xcalloc(n + 1, sizeof(uint32_t));
    r->children = xmalloc(sizeof(uint32_t) * (n_edges ? n_edges : 1));
    for (uint32_t i = 0; i < n; i++) {
        if (r->parent_start[i] > r->parent_start[i + 1] || r->parent_start[i + 1] > n_edges) {
            mlerr_set(err, EXIT_SETUP, "runner: bad parent_start for item %u", i);
            runner_free(r);
            return false;
        }
        for (uint32_t k = r->parent_start[i]; k < r->parent_start[i + 1]; k++) {
            uint32_t p = r->parents[k];
            if (p >= n || p == i) {
                mlerr_set(err, EXIT_SETUP, "runner: item %u has an invalid parent %u", i, p);
                runner_free(r);
                return false;
            }
            r->child_start[p + 1]++;
        }
    }
    for (uint32_t i = 0; i < n; i++)
        r->child_start[i + 1] += r->child_start[i];
    uint32_t *fill = xmalloc(sizeof(uint32_t) * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++)
        fill[i] = r->child_start[i];
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t k = r->parent_start[i]; k < r->parent_start[i + 1]; k++)
            r->children[fill[r->parents[k]]++] = i;
    free(fill);

    uint32_t *order = xmalloc(sizeof(uint32_t) * (n ? n : 1));
    uint32_t bad = 0;
    if (!topo_order(r, order, &bad)) {
        mlerr_set(err, EXIT_SETUP, "runner: the graph has a cycle through item %u", bad);
        free(order);
        runner_free(r);
        return false;
    }
    /* Longest remaining path: walk the topological order backwards so every
     * child's priority is final before its parents read it. */
    r->priority = xcalloc(n ? n : 1, sizeof(double));
    for (uint32_t k = n; k-- > 0;) {
        uint32_t i = order[k];
        double below = 0;
        for (uint32_t e = r->child_start[i]; e < r->child_start[i + 1]; e++) {
            double p = r->priority[r->children[e]];
            if (p > below)
                below = p;
        }
        r->priority[i] = (g->cost ? g->cost[i] : 1.0) + below;
    }
    free(order);

    r->results = xcalloc(n ? n : 1, sizeof(runner_result));
    r->waiting_on = xcalloc(n ? n : 1, sizeof(uint32_t));
    r->heap = xmalloc(sizeof(uint32_t) * (n ? n : 1));
    r->running_worker = xmalloc(sizeof(int) * (n ? n : 1));
    for (uint32_t i = 0; i < n; i++) {
        r->results[i].failed_ancestor = -1;
        r->results[i].worker = -1;
        r->waiting_on[i] = r->parent_start[i + 1] - r->parent_start[i];
        r->running_worker[i] = -1;
    }
    r->unfinished = n;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->changed, NULL);
    *out = r;
    return true;
}

void runner_free(runner *r)
{
    if (!r)
        return;
    if (r->results) { /* fully constructed: the lock exists */
        pthread_mutex_destroy(&r->lock);
        pthread_cond_destroy(&r->changed);
    }
    free(r->parent_start);
    free(r->parents);
    free(r->child_start);
    free(r->children);
    free(r->priority);
    free(r->results);
    free(r->waiting_on);
    free(r->heap);
    free(r->running_worker);
    mlerr_clear(&r->setup_err);
    free(r);
}

/* --- the ready queue (caller holds r->lock) -------------------------------- */

static bool heap_before(const runner *r, uint32_t a, uint32_t b)
{
    if (r->priority[a] != r->priority[b])
        return r->priority[a] > r->priority[b];
    return a < b;
}

static void heap_push(runner *r, uint32_t item)
{
    uint32_t i = r->heap_len++;
    r->heap[i] = item;
    while (i > 0) {
        uint32_t up = (i - 1) / 2;
        if (!heap_before(r, r->heap[i], r->heap[up]))
            break;
        uint32_t t = r->heap[i];
        r->heap[i] = r->heap[up];
        r->heap[up] = t;
        i = up;
    }
}

static uint32_t heap_pop(runner *r)
{
    uint32_t top = r->heap[0];
    r->heap[0] = r->heap[--r->heap_len];
    uint32_t i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, rt = l + 1, best = i;
        if (l < r->heap_len && heap_before(r, r->heap[l], r->heap[best]))
            best = l;
        if (rt < r->heap_len && heap_before(r, r->heap[rt], r->heap[best]))
            best = rt;
        if (best == i)
            break;
        uint32_t t = r->heap[i];
        r->heap[i] = r->heap[best];
        r->heap[best] = t;
        i = best;
    }
    return top;
}

/* --- state changes (caller holds r->lock) ---------------------------------- */

/* A list of items whose skip the caller reports after unlocking. */
typedef struct skip_list {
    uint32_t *items;
    uint32_t n, cap;
} skip_list;

static void skip_list_add(skip_list *s, uint32_t item)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->items = xrealloc(s->items, sizeof(uint32_t) * s->cap);
    }
    s->items[s->n++] = item;
}

static void mark_skipped(runner *r, uint32_t item, runner_skip_reason why, int32_t ancestor,
                         skip_list *out)
{
    runner_result *res = &r->results[item];
    res->status = RUNNER_SKIPPED;
    res->skip_reason = why;
    res->failed_ancestor = ancestor;
    r->unfinished--;
    skip_list_add(out, item);
}

/* Every pending descendant of `failed` is skipped.  Descendants cannot be
 * queued or running: each waits (transitively) on the failed item. */
static void skip_descendants(runner *r, uint32_t failed, skip_list *out)
{
    uint32_t *stack = xmalloc(sizeof(uint32_t) * (r->n ? r->n : 1));
    uint32_t top = 0;
    stack[top++] = failed;
    uint32_t first = out->n;
    while (top > 0) {
        uint32_t i = stack[--top];
        for (uint32_t e = r->child_start[i]; e < r->child_start[i + 1]; e++) {
            uint32_t c = r->children[e];
            if (r->results[c].status != RUNNER_PENDING)
                continue;
            mark_skipped(r, c, RUNNER_SKIP_UPSTREAM, (int32_t)failed, out);
            stack[top++] = c;
        }
    }
    free(stack);
    /* Report in index order, which callers keep as dependency order. */
    uint32_t *items = out->items + first;
    uint32_t n = out->n - first;
    for (uint32_t a = 1; a < n; a++) {
        uint32_t v = items[a], b = a;
        for (; b > 0 && items[b - 1] > v; b--)
            items[b] = items[b - 1];
        items[b] = v;
    }
}

/* Stops handing out work: every item not yet started is skipped, every
 * running one is asked to stop. */
static void cancel_locked(runner *r, runner_skip_reason why, skip_list *out)
{
    if (r->cancelled)
        return;
    r->cancelled = true;
    r->heap_len = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->results[i].status == RUNNER_PENDING)
            mark_skipped(r, i, why, -1, out);
    }
    if (r->cb && r->cb->interrupt) {
        for (uint32_t i = 0; i < r->n; i++) {
            if (r->results[i].status == RUNNER_RUNNING)
                r->cb->interrupt(r->cb->ctx, i, r->running_worker[i]);
        }
    }
    pthread_cond_broadcast(&r->changed);
}

static void report_skips(runner *r, const runner_callbacks *cb, skip_list *s)
{
    if (cb && cb->skipped) {
        for (uint32_t k = 0; k < s->n; k++)
            cb->skipped(cb->ctx, s->items[k], &r->results[s->items[k]]);
    }
    free(s->items);
    s->items = NULL;
    s->n = s->cap = 0;
}

/* --- workers ---------------------------------------------------------------- */

typedef struct worker_arg {
    runner *r;
    const runner_opts *opts;
    int id;
} worker_arg;

static double elapsed(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void *worker_main(void *arg)
{
    worker_arg *w = arg;
    runner *r = w->r;
    const runner_callbacks *cb = r->cb;

    if (cb->worker_start) {
        mlerr err = MLERR_INIT;
        if (!cb->worker_start(cb->ctx, w->id, &err)) {
            skip_list skips = {0};
            pthread_mutex_lock(&r->lock);
            if (!r->setup_failed) {
                r->setup_failed = true;
                mlerr_set(&r->setup_err, err.set ? err.exit_code : EXIT_SETUP, "%s",
                          err.set ? mlerr_message(&err) : "a worker could not start");
            }
            cancel_locked(r, RUNNER_SKIP_CANCEL, &skips);
            pthread_mutex_unlock(&r->lock);
            report_skips(r, cb, &skips);
            mlerr_clear(&err);
            return NULL;
        }
    }

    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (r->heap_len == 0 && r->unfinished > 0 && !r->cancelled)
            pthread_cond_wait(&r->changed, &r->lock);
        if (r->heap_len == 0)
            break; /* all done, or cancelled with nothing left to start */
        uint32_t item = heap_pop(r);
        runner_result *res = &r->results[item];
        res->status = RUNNER_RUNNING;
        res->worker = w->id;
        res->start_order = ++r->started;
        r->running_worker[item] = w->id;
        pthread_mutex_unlock(&r->lock);

        struct timespec t0, t1;
        clock_gettime(CLOCK_REALTIME, &res->started_at);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        runner_outcome outcome = cb->run(cb->ctx, item, w->id);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        clock_gettime(CLOCK_REALTIME, &res->finished_at);

        skip_list skips = {0};
        pthread_mutex_lock(&r->lock);
        r->running_worker[item] = -1;
        res->seconds = elapsed(&t0, &t1);
        r->unfinished--;
        if (outcome == RUNNER_OK) {
            res->status = RUNNER_SUCCESS;
            for (uint32_t e = r->child_start[item]; e < r->child_start[item + 1]; e++) {
                uint32_t c = r->children[e];
                if (--r->waiting_on[c] == 0 && r->results[c].status == RUNNER_PENDING &&
                    !r->cancelled)
                    heap_push(r, c);
            }
        } else {
            res->status = RUNNER_FAILURE;
            skip_descendants(r, item, &skips);
            if (w->opts->fail_fast)
                cancel_locked(r, RUNNER_SKIP_FAIL_FAST, &skips);
        }
        /* One broadcast covers new ready items and the end of the run. */
        pthread_cond_broadcast(&r->changed);
        if (skips.n) {
            pthread_mutex_unlock(&r->lock);
            report_skips(r, cb, &skips);
            pthread_mutex_lock(&r->lock);
        }
        free(skips.items);
    }
    pthread_mutex_unlock(&r->lock);

    if (cb->worker_stop)
        cb->worker_stop(cb->ctx, w->id);
    return NULL;
}

bool runner_run(runner *r, const runner_opts *opts, const runner_callbacks *cb, mlerr *err)
{
    int threads = opts->threads < 1 ? 1 : opts->threads;
    skip_list skips = {0};

    pthread_mutex_lock(&r->lock);
    if (r->ran) {
        pthread_mutex_unlock(&r->lock);
        mlerr_set(err, EXIT_SETUP, "runner: a runner runs once");
        return false;
    }
    r->ran = true;
    r->cb = cb;
    if (!r->cancelled) {
        for (uint32_t i = 0; i < r->n; i++)
            if (r->waiting_on[i] == 0)
                heap_push(r, i);
    } else {
        /* Cancelled before the start: nothing runs. */
        r->cancelled = false;
        cancel_locked(r, RUNNER_SKIP_CANCEL, &skips);
    }
    pthread_mutex_unlock(&r->lock);
    report_skips(r, cb, &skips);

    pthread_t *tids = xcalloc((size_t)threads, sizeof(pthread_t));
    worker_arg *args = xcalloc((size_t)threads, sizeof(worker_arg));
    int started = 0;
    if (threads == 1) {
        /* One worker runs on the calling thread: starting a thread costs
         * milliseconds on some VMs, which the scheduler's one-node tasks
         * would pay every time. */
        args[0] = (worker_arg){.r = r, .opts = opts, .id = 0};
        worker_main(&args[0]);
        threads = 0;
    }
    for (int t = 0; t < threads; t++) {
        args[t] = (worker_arg){.r = r, .opts = opts, .id = t};
        int rc = job_thread_create(&tids[t], NULL, worker_main, &args[t]);
        if (rc != 0) {
            pthread_mutex_lock(&r->lock);
            if (!r->setup_failed) {
                r->setup_failed = true;
                mlerr_set(&r->setup_err, EXIT_SETUP, "cannot start worker thread %d: %s", t + 1,
                          strerror(rc));
            }
            /* Workers already started finish the run; with none, cancel. */
            if (started == 0)
                cancel_locked(r, RUNNER_SKIP_CANCEL, &skips);
            pthread_mutex_unlock(&r->lock);
            report_skips(r, cb, &skips);
            break;
        }
        started++;
    }
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    free(tids);
    free(args);

    pthread_mutex_lock(&r->lock);
    bool ok = !r->setup_failed;
    if (!ok)
        mlerr_set(err, r->setup_err.exit_code, "%s", mlerr_message(&r->setup_err));
    pthread_mutex_unlock(&r->lock);
    return ok;
}

void runner_cancel(runner *r)
{
    skip_list skips = {0};
    pthread_mutex_lock(&r->lock);
    const runner_callbacks *cb = r->cb;
    if (!r->ran)
        r->cancelled = true; /* runner_run sees it and runs nothing */
    else
        cancel_locked(r, RUNNER_SKIP_CANCEL, &skips);
    pthread_mutex_unlock(&r->lock);
    report_skips(r, cb, &skips);
}

bool runner_cancelled(runner *r)
{
    pthread_mutex_lock(&r->lock);
    bool c = r->cancelled;
    pthread_mutex_unlock(&r->lock);
    return c;
}

const runner_result *runner_results(const runner *r)
{
    return r->results;
}

uint32_t runner_count(const runner *r)
{
    return r->n;
}

double runner_priority(const runner *r, uint32_t item)
{
    return item < r->n ? r->priority[item] : 0;
}

runner_summary runner_summarize(const runner *r)
{
    runner_summary s = {0};
    for (uint32_t i = 0; i < r->n; i++) {
        switch (r->results[i].status) {
        case RUNNER_SUCCESS:
            s.success++;
            break;
        case RUNNER_FAILURE:
            s.failure++;
            break;
        case RUNNER_SKIPPED:
            s.skipped++;
            break;
        default:
            s.pending++;
            break;
        }
    }
    return s;
}
