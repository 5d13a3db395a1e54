/* Tests for the parallel DAG executor on synthetic graphs: dependency
 * order, skip propagation, fail-fast, cancel, critical-path priority, and a
 * 200-node random DAG run many times on 1..16 threads. */
#include "check.h"
#include "exec/runner.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* A graph under construction: edges as (child, parent). */
typedef struct graph_builder {
    uint32_t n;
    uint32_t *start, *parents;
    uint32_t n_edges;
} graph_builder;

static void gb_init(graph_builder *g, uint32_t n, const uint32_t (*edges)[2], uint32_t n_edges)
{
    g->n = n;
    g->start = calloc(n + 1, sizeof(uint32_t));
    g->parents = calloc(n_edges ? n_edges : 1, sizeof(uint32_t));
    g->n_edges = n_edges;
    for (uint32_t e = 0; e < n_edges; e++)
        g->start[edges[e][0] + 1]++;
    for (uint32_t i = 0; i < n; i++)
        g->start[i + 1] += g->start[i];
    uint32_t *fill = calloc(n + 1, sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++)
        fill[i] = g->start[i];
    for (uint32_t e = 0; e < n_edges; e++)
        g->parents[fill[edges[e][0]]++] = edges[e][1];
    free(fill);
}

static void gb_free(graph_builder *g)
{
    free(g->start);
    free(g->parents);
}

static runner *make_runner(graph_builder *g, const double *cost)
{
    runner_graph rg = {.n = g->n, .parent_start = g->start, .parents = g->parents, .cost = cost};
    runner *r = NULL;
    mlerr err = MLERR_INIT;
    CHECK(runner_new(&rg, &r, &err));
    mlerr_clear(&err);
    return r;
}

/* The test's own record of what happened, independent of the runner's. */
typedef struct trace {
    pthread_mutex_t lock;
    uint32_t seq;
    uint32_t *start_seq, *end_seq;
    int *runs;
    bool *fail; /* which items report failure */
    atomic_int active, max_active;
    int sleep_us;
    /* Cancel test: items block until interrupted. */
    pthread_cond_t wake;
    bool *interrupted;
    int n_blocking_started;
    bool block;
    int n_started_workers, n_stopped_workers;
    uint32_t n_skip_reports;
} trace;

static void trace_init(trace *t, uint32_t n)
{
    memset(t, 0, sizeof(*t));
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    t->start_seq = calloc(n, sizeof(uint32_t));
    t->end_seq = calloc(n, sizeof(uint32_t));
    t->runs = calloc(n, sizeof(int));
    t->fail = calloc(n, sizeof(bool));
    t->interrupted = calloc(n, sizeof(bool));
}

static void trace_free(trace *t)
{
    free(t->start_seq);
    free(t->end_seq);
    free(t->runs);
    free(t->fail);
    free(t->interrupted);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->wake);
}

static runner_outcome run_item(void *ctx, uint32_t item, int worker)
{
    trace *t = ctx;
    pthread_mutex_lock(&t->lock);
    t->start_seq[item] = ++t->seq;
    t->runs[item]++;
    pthread_mutex_unlock(&t->lock);
    int now = atomic_fetch_add(&t->active, 1) + 1;
    int prev = atomic_load(&t->max_active);
    while (now > prev && !atomic_compare_exchange_weak(&t->max_active, &prev, now))
        ;
    if (t->sleep_us)
        usleep((useconds_t)(rand() % (t->sleep_us + 1)));
    if (t->block) {
        pthread_mutex_lock(&t->lock);
        t->n_blocking_started++;
        pthread_cond_broadcast(&t->wake);
        while (!t->interrupted[item])
            pthread_cond_wait(&t->wake, &t->lock);
        pthread_mutex_unlock(&t->lock);
    }
    atomic_fetch_sub(&t->active, 1);
    pthread_mutex_lock(&t->lock);
    t->end_seq[item] = ++t->seq;
    bool failed = t->fail[item] || (t->block && t->interrupted[item]);
    pthread_mutex_unlock(&t->lock);
    return failed ? RUNNER_FAILED : RUNNER_OK;
}

static void interrupt_item(void *ctx, uint32_t item, int worker)
{
    trace *t = ctx;
    pthread_mutex_lock(&t->lock);
    t->interrupted[item] = true;
    pthread_cond_broadcast(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

static bool start_worker(void *ctx, int worker, mlerr *err)
{
    trace *t = ctx;
    pthread_mutex_lock(&t->lock);
    t->n_started_workers++;
    pthread_mutex_unlock(&t->lock);
    return true;
}

static void stop_worker(void *ctx, int worker)
{
    trace *t = ctx;
    pthread_mutex_lock(&t->lock);
    t->n_stopped_workers++;
    pthread_mutex_unlock(&t->lock);
}

static void skipped_item(void *ctx, uint32_t item, const runner_result *res)
{
    trace *t = ctx;
    pthread_mutex_lock(&t->lock);
    t->n_skip_reports++;
    pthread_mutex_unlock(&t->lock);
}

static runner_callbacks callbacks(trace *t)
{
    return (runner_callbacks){.ctx = t,
                              .worker_start = start_worker,
                              .worker_stop = stop_worker,
                              .run = run_item,
                              .interrupt = interrupt_item,
                              .skipped = skipped_item};
}

/* Is `anc` an ancestor of `item`? */
static bool is_ancestor(const graph_builder *g, uint32_t anc, uint32_t item, bool *seen)
{
    for (uint32_t k = g->start[item]; k < g->start[item + 1]; k++) {
        uint32_t p = g->parents[k];
        if (p == anc)
            return true;
        if (seen[p])
            continue;
        seen[p] = true;
        if (is_ancestor(g, anc, p, seen))
            return true;
    }
    return false;
}

/* Checks every invariant of a finished run against the trace. */
static void check_run(const graph_builder *g, runner *r, trace *t, bool fail_fast, int threads)
{
    const runner_result *res = runner_results(r);
    bool any_failed = false;
    for (uint32_t i = 0; i < g->n; i++) {
        CHECK(res[i].status == RUNNER_SUCCESS || res[i].status == RUNNER_FAILURE ||
              res[i].status == RUNNER_SKIPPED);
        if (res[i].status == RUNNER_SKIPPED) {
            CHECK(t->runs[i] == 0);
            CHECK(res[i].worker == -1);
        } else {
            CHECK(t->runs[i] == 1);
            CHECK(res[i].worker >= 0 && res[i].worker < threads);
            CHECK(res[i].seconds >= 0);
            /* Every parent finished successfully before this started. */
            for (uint32_t k = g->start[i]; k < g->start[i + 1]; k++) {
                uint32_t p = g->parents[k];
                CHECK(res[p].status == RUNNER_SUCCESS);
                CHECK(t->end_seq[p] < t->start_seq[i]);
            }
            CHECK((res[i].status == RUNNER_FAILURE) == t->fail[i]);
        }
        if (res[i].status == RUNNER_FAILURE)
            any_failed = true;
    }
    for (uint32_t i = 0; i < g->n; i++) {
        if (res[i].status != RUNNER_SKIPPED)
            continue;
        if (res[i].skip_reason == RUNNER_SKIP_UPSTREAM) {
            int32_t a = res[i].failed_ancestor;
            CHECK(a >= 0 && res[a].status == RUNNER_FAILURE);
            bool *seen = calloc(g->n, sizeof(bool));
            CHECK(a >= 0 && is_ancestor(g, (uint32_t)a, i, seen));
            free(seen);
        } else {
            CHECK(fail_fast && res[i].skip_reason == RUNNER_SKIP_FAIL_FAST);
        }
    }
    if (!fail_fast) {
        /* Without fail-fast, an item runs iff no ancestor failed. */
        for (uint32_t i = 0; i < g->n; i++) {
            bool blocked = false;
            for (uint32_t a = 0; a < g->n && !blocked; a++) {
                if (res[a].status != RUNNER_FAILURE)
                    continue;
                bool *seen = calloc(g->n, sizeof(bool));
                blocked = is_ancestor(g, a, i, seen);
                free(seen);
            }
            CHECK(blocked == (res[i].status == RUNNER_SKIPPED));
        }
    }
    (void)any_failed;
    runner_summary s = runner_summarize(r);
    CHECK(s.pending == 0);
    CHECK(s.success + s.failure + s.skipped == g->n);
    CHECK(t->n_skip_reports == s.skipped);
    CHECK(t->n_started_workers == threads);
    CHECK(t->n_stopped_workers == threads);
}

TEST(dependency_order_diamond)
{
    /* 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3, 3 -> 4 */
    const uint32_t edges[][2] = {{1, 0}, {2, 0}, {3, 1}, {3, 2}, {4, 3}};
    for (int threads = 1; threads <= 4; threads++) {
        graph_builder g;
        gb_init(&g, 5, edges, 5);
        runner *r = make_runner(&g, NULL);
        trace t;
        trace_init(&t, g.n);
        runner_callbacks cb = callbacks(&t);
        runner_opts o = {.threads = threads};
        mlerr err = MLERR_INIT;
        CHECK(runner_run(r, &o, &cb, &err));
        check_run(&g, r, &t, false, threads);
        CHECK(runner_summarize(r).success == 5);
        CHECK(runner_results(r)[0].start_order == 1);
        CHECK(runner_results(r)[4].start_order == 5);
        CHECK(runner_priority(r, 0) == 4.0);
        runner_free(r);
        trace_free(&t);
        gb_free(&g);
    }
}

TEST(failure_skips_descendants_only)
{
    /* Two branches: 0 -> 1 -> 2 and 3 -> 4; 5 depends on 1 and 4. 1 fails. */
    const uint32_t edges[][2] = {{1, 0}, {2, 1}, {4, 3}, {5, 1}, {5, 4}};
    graph_builder g;
    gb_init(&g, 6, edges, 5);
    runner *r = make_runner(&g, NULL);
    trace t;
    trace_init(&t, g.n);
    t.fail[1] = true;
    runner_callbacks cb = callbacks(&t);
    runner_opts o = {.threads = 2};
    mlerr err = MLERR_INIT;
    CHECK(runner_run(r, &o, &cb, &err));
    check_run(&g, r, &t, false, 2);
    const runner_result *res = runner_results(r);
    CHECK(res[0].status == RUNNER_SUCCESS);
    CHECK(res[1].status == RUNNER_FAILURE);
    CHECK(res[2].status == RUNNER_SKIPPED && res[2].failed_ancestor == 1);
    CHECK(res[3].status == RUNNER_SUCCESS);
    CHECK(res[4].status == RUNNER_SUCCESS);
    CHECK(res[5].status == RUNNER_SKIPPED && res[5].skip_reason == RUNNER_SKIP_UPSTREAM);
    runner_free(r);
    trace_free(&t);
    gb_free(&g);
}

TEST(fail_fast_stops_everything)
{
    /* Ten independent items; with one thread and fail-fast, item 0 fails
     * (it has the highest priority tie-break) and nothing else runs. */
    graph_builder g;
    gb_init(&g, 10, NULL, 0);
    runner *r = make_runner(&g, NULL);
    trace t;
    trace_init(&t, g.n);
    t.fail[0] = true;
    runner_callbacks cb = callbacks(&t);
    runner_opts o = {.threads = 1, .fail_fast = true};
    mlerr err = MLERR_INIT;
    CHECK(runner_run(r, &o, &cb, &err));
    check_run(&g, r, &t, true, 1);
    runner_summary s = runner_summarize(r);
    CHECK(s.failure == 1 && s.skipped == 9 && s.success == 0);
    CHECK(runner_results(r)[5].skip_reason == RUNNER_SKIP_FAIL_FAST);
    CHECK(runner_cancelled(r));
    runner_free(r);
    trace_free(&t);
    gb_free(&g);
}

typedef struct cancel_arg {
    runner *r;
    trace *t;
    int wait_for;
} cancel_arg;

static void *cancel_when_busy(void *arg)
{
    cancel_arg *a = arg;
    pthread_mutex_lock(&a->t->lock);
    while (a->t->n_blocking_started < a->wait_for)
        pthread_cond_wait(&a->t->wake, &a->t->lock);
    pthread_mutex_unlock(&a->t->lock);
    runner_cancel(a->r);
    return NULL;
}

TEST(cancel_interrupts_running_and_skips_the_rest)
{
    /* 0..3 independent roots, each with a child 4..7.  Three workers block
     * in items until interrupted; cancel arrives once three are running. */
    const uint32_t edges[][2] = {{4, 0}, {5, 1}, {6, 2}, {7, 3}};
    graph_builder g;
    gb_init(&g, 8, edges, 4);
    runner *r = make_runner(&g, NULL);
    trace t;
    trace_init(&t, g.n);
    t.block = true;
    runner_callbacks cb = callbacks(&t);
    runner_opts o = {.threads = 3};
    cancel_arg ca = {.r = r, .t = &t, .wait_for = 3};
    pthread_t canceller;
    pthread_create(&canceller, NULL, cancel_when_busy, &ca);
    mlerr err = MLERR_INIT;
    CHECK(runner_run(r, &o, &cb, &err));
    pthread_join(canceller, NULL);
    const runner_result *res = runner_results(r);
    int ran = 0, skipped_cancel = 0;
    for (uint32_t i = 0; i < g.n; i++) {
        if (t.runs[i]) {
            ran++;
            CHECK(t.interrupted[i]);
            CHECK(res[i].status == RUNNER_FAILURE);
        } else {
            CHECK(res[i].status == RUNNER_SKIPPED);
            if (res[i].skip_reason == RUNNER_SKIP_CANCEL)
                skipped_cancel++;
        }
    }
    CHECK(ran == 3);
    CHECK(skipped_cancel >= 1);
    CHECK(runner_summarize(r).skipped == 5);
    CHECK(t.n_stopped_workers == 3);
    runner_free(r);
    trace_free(&t);
    gb_free(&g);
}

TEST(cancel_before_run_runs_nothing)
{
    graph_builder g;
    gb_init(&g, 3, NULL, 0);
    runner *r = make_runner(&g, NULL);
    trace t;
    trace_init(&t, g.n);
    runner_cancel(r);
    runner_callbacks cb = callbacks(&t);
    runner_opts o = {.threads = 2};
    mlerr err = MLERR_INIT;
    CHECK(runner_run(r, &o, &cb, &err));
    CHECK(runner_summarize(r).skipped == 3);
    CHECK(t.runs[0] + t.runs[1] + t.runs[2] == 0);
    runner_free(r);
    trace_free(&t);
    gb_free(&g);
}

TEST(critical_path_goes_first)
{
    /* Items 0..3 are independent singles; 4 -> 5 -> 6 -> 7 is a chain.
     * With one thread the chain's head (priority 4) must start first, even
     * though the singles have lower indexes. */
    const uint32_t edges[][2] = {{5, 4}, {6, 5}, {7, 6}};
    graph_builder g;
    gb_init(&g, 8, edges, 3);
    runner *r = make_runner(&g, NULL);
    trace t;
    trace_init(&t, g.n);
    runner_callbacks cb = callbacks(&t);
    runner_opts o = {.threads = 1};
    mlerr err = MLERR_INIT;
    CHECK(runner_run(r, &o, &cb, &err));
    const runner_result *res = runner_results(r);
    CHECK(res[4].start_order == 1);
    /* After 4 finishes, 5 (priority 3) beats the singles (priority 1). */
    CHECK(res[5].start_order == 2);
    CHECK(res[6].start_order == 3);
    /* Then the ties (all priority 1) go by index: the singles, then 7. */
    CHECK(res[0].start_order == 4);
    CHECK(res[7].start_order == 8);
    runner_free(r);
    trace_free(&t);
    gb_free(&g);

    /* Costs change the order: a single with cost 10 outranks the chain. */
    gb_init(&g, 8, edges, 3);
    double cost[8] = {1, 1, 10, 1, 1, 1, 1, 1};
    r = make_runner(&g, cost);
    trace_init(&t, g.n);
    cb = callbacks(&t);
    CHECK(runner_run(r, &o, &cb, &err));
    CHECK(runner_results(r)[2].start_order == 1);
    CHECK(runner_results(r)[4].start_order == 2);
    runner_free(r);
    trace_free(&t);
    gb_free(&g);
}

TEST(cycles_and_bad_edges_are_errors)
{
    const uint32_t cyc[][2] = {{0, 2}, {1, 0}, {2, 1}};
    graph_builder g;
    gb_init(&g, 3, cyc, 3);
    runner_graph rg = {.n = g.n, .parent_start = g.start, .parents = g.parents};
    runner *r = NULL;
    mlerr err = MLERR_INIT;
    CHECK(!runner_new(&rg, &r, &err));
    CHECK(r == NULL);
    CHECK_CONTAINS(mlerr_message(&err), "cycle");
    mlerr_clear(&err);
    gb_free(&g);

    const uint32_t bad[][2] = {{0, 7}};
    gb_init(&g, 2, bad, 1);
    rg = (runner_graph){.n = g.n, .parent_start = g.start, .parents = g.parents};
    CHECK(!runner_new(&rg, &r, &err));
    CHECK_CONTAINS(mlerr_message(&err), "invalid parent");
    mlerr_clear(&err);
    gb_free(&g);
}

TEST(empty_graph)
{
    graph_builder g;
    gb_init(&g, 0, NULL, 0);
    runner *r = make_runner(&g, NULL);
    trace t;
    trace_init(&t, 1);
    runner_callbacks cb = callbacks(&t);
    runner_opts o = {.threads = 4};
    mlerr err = MLERR_INIT;
    CHECK(runner_run(r, &o, &cb, &err));
    CHECK(t.n_stopped_workers == 4);
    runner_free(r);
    trace_free(&t);
    gb_free(&g);
}

static bool refuse_worker(void *ctx, int worker, mlerr *err)
{
    mlerr_set(err, EXIT_SETUP, "no connection for worker %d", worker);
    return false;
}

TEST(worker_start_failure_fails_the_run)
{
    graph_builder g;
    gb_init(&g, 4, NULL, 0);
    runner *r = make_runner(&g, NULL);
    trace t;
    trace_init(&t, g.n);
    runner_callbacks cb = callbacks(&t);
    cb.worker_start = refuse_worker;
    runner_opts o = {.threads = 2};
    mlerr err = MLERR_INIT;
    CHECK(!runner_run(r, &o, &cb, &err));
    CHECK_CONTAINS(mlerr_message(&err), "no connection for worker");
    CHECK(runner_summarize(r).skipped == 4);
    CHECK(t.n_stopped_workers == 0);
    mlerr_clear(&err);
    runner_free(r);
    trace_free(&t);
    gb_free(&g);
}

/* A random DAG: each node picks up to 4 parents among lower indexes, then
 * the indexes are shuffled so the order of items says nothing. */
static void random_dag(graph_builder *g, uint32_t n, unsigned seed)
{
    srand(seed);
    uint32_t *perm = malloc(sizeof(uint32_t) * n);
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)rand() % (i + 1), tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
    uint32_t(*edges)[2] = malloc(sizeof(*edges) * n * 4);
    uint32_t ne = 0;
    for (uint32_t i = 1; i < n; i++) {
        int k = rand() % 5;
        bool used[200] = {0};
        for (int e = 0; e < k; e++) {
            uint32_t p = (uint32_t)rand() % i;
            if (used[p % 200])
                continue;
            used[p % 200] = true;
            edges[ne][0] = perm[i];
            edges[ne][1] = perm[p];
            ne++;
        }
    }
    gb_init(g, n, (const uint32_t(*)[2])edges, ne);
    free(edges);
    free(perm);
}

TEST(random_dag_stress)
{
    int iterations = 0;
    for (int round = 0; round < 60; round++) {
        int threads = 1 + round % 16;
        graph_builder g;
        random_dag(&g, 200, 1000u + (unsigned)round);
        runner *r = make_runner(&g, NULL);
        trace t;
        trace_init(&t, g.n);
        bool fail_fast = round % 7 == 3;
        if (round % 3 != 0) {
            for (int f = 0; f < 1 + round % 4; f++)
                t.fail[(unsigned)rand() % g.n] = true;
        }
        t.sleep_us = round % 2 ? 50 : 0;
        runner_callbacks cb = callbacks(&t);
        runner_opts o = {.threads = threads, .fail_fast = fail_fast};
        mlerr err = MLERR_INIT;
        CHECK(runner_run(r, &o, &cb, &err));
        check_run(&g, r, &t, fail_fast, threads);
        CHECK(atomic_load(&t.max_active) <= threads);
        runner_free(r);
        trace_free(&t);
        gb_free(&g);
        iterations++;
    }
    CHECK(iterations == 60);
}

TEST(parallelism_is_real)
{
    /* 16 independent items sleeping up to 40 ms on 4 threads must overlap,
     * and never more than 4 at once. */
    graph_builder g;
    gb_init(&g, 16, NULL, 0);
    runner *r = make_runner(&g, NULL);
    trace t;
    trace_init(&t, g.n);
    t.sleep_us = 40000;
    runner_callbacks cb = callbacks(&t);
    runner_opts o = {.threads = 4};
    mlerr err = MLERR_INIT;
    CHECK(runner_run(r, &o, &cb, &err));
    CHECK(atomic_load(&t.max_active) >= 2);
    CHECK(atomic_load(&t.max_active) <= 4);
    runner_free(r);
    trace_free(&t);
    gb_free(&g);
}

int main(void)
{
    RUN(dependency_order_diamond);
    RUN(failure_skips_descendants_only);
    RUN(fail_fast_stops_everything);
    RUN(cancel_interrupts_running_and_skips_the_rest);
    RUN(cancel_before_run_runs_nothing);
    RUN(critical_path_goes_first);
    RUN(cycles_and_bad_edges_are_errors);
    RUN(empty_graph);
    RUN(worker_start_failure_fails_the_run);
    RUN(random_dag_stress);
    RUN(parallelism_is_real);
    return CHECK_DONE();
}
