/* Tests for sigwatch: a real SIGINT/SIGTERM sent to the process reaches the
 * callback on the watcher thread, which cancels a real runner in flight. */
#include "check.h"
#include "exec/runner.h"
#include "exec/sigwatch.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

typedef struct state {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    runner *r;
    int running;
    bool stop[4];
    int signals;
} state;

static void on_signal(void *ctx, int signo)
{
    state *s = ctx;
    pthread_mutex_lock(&s->lock);
    s->signals++;
    runner *r = s->r;
    pthread_mutex_unlock(&s->lock);
    if (r)
        runner_cancel(r);
}

static runner_outcome run_until_stopped(void *ctx, uint32_t item, int worker)
{
    state *s = ctx;
    pthread_mutex_lock(&s->lock);
    s->running++;
    pthread_cond_broadcast(&s->wake);
    while (!s->stop[item])
        pthread_cond_wait(&s->wake, &s->lock);
    pthread_mutex_unlock(&s->lock);
    return RUNNER_FAILED;
}

static void interrupt_item(void *ctx, uint32_t item, int worker)
{
    state *s = ctx;
    pthread_mutex_lock(&s->lock);
    s->stop[item] = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

static void *send_sigterm_when_running(void *arg)
{
    state *s = arg;
    pthread_mutex_lock(&s->lock);
    while (s->running < 1)
        pthread_cond_wait(&s->wake, &s->lock);
    pthread_mutex_unlock(&s->lock);
    kill(getpid(), SIGTERM);
    return NULL;
}

TEST(sigterm_cancels_a_run)
{
    state s = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};
    sigwatch *w = NULL;
    mlerr err = MLERR_INIT;
    CHECK(sigwatch_start(on_signal, &s, &w, &err));

    /* 0 -> 1 -> 2 -> 3: one item runs, the rest wait on it. */
    uint32_t start[5] = {0, 0, 1, 2, 3}, parents[3] = {0, 1, 2};
    runner_graph g = {.n = 4, .parent_start = start, .parents = parents};
    runner *r = NULL;
    CHECK(runner_new(&g, &r, &err));
    pthread_mutex_lock(&s.lock);
    s.r = r;
    pthread_mutex_unlock(&s.lock);

    pthread_t killer;
    pthread_create(&killer, NULL, send_sigterm_when_running, &s);
    runner_callbacks cb = {.ctx = &s, .run = run_until_stopped, .interrupt = interrupt_item};
    runner_opts o = {.threads = 2};
    CHECK(runner_run(r, &o, &cb, &err));
    pthread_join(killer, NULL);

    CHECK(sigwatch_received(w) == SIGTERM);
    CHECK(sigwatch_stop(w) == SIGTERM);
    CHECK(runner_results(r)[0].status == RUNNER_FAILURE);
    CHECK(runner_results(r)[3].status == RUNNER_SKIPPED);
    CHECK(runner_cancelled(r));
    CHECK(s.signals == 1);
    runner_free(r);
}

TEST(stop_without_signal)
{
    state s = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};
    sigwatch *w = NULL;
    mlerr err = MLERR_INIT;
    CHECK(sigwatch_start(on_signal, &s, &w, &err));
    CHECK(sigwatch_stop(w) == 0);
    CHECK(s.signals == 0);
}

int main(void)
{
    RUN(sigterm_cancels_a_run);
    RUN(stop_without_signal);
    return CHECK_DONE();
}
