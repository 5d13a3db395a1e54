/* scheduler: the scheduler loop (see scheduler.h).  The loop thread owns
 * the dags folder, the per-run task graphs and the list of running tasks;
 * each running task is handed to a pool of worker threads (at most
 * `parallelism`, started as needed and kept: starting a thread per task
 * cost milliseconds on the loop thread), whose workers only prepare the
 * try's log, call the runner and report back through s->mu / s->wake. */
#include "sched/scheduler.h"

#include "sched/dag_vars.h"
#include "sched/dagfolder.h"
#include "sched/dagrun_create.h"
#include "sched/dagrun_plan.h"
#include "sched/instance_lock.h"
#include "sched/retry.h"
#include "sched/task_log.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum {
    CANCEL_NONE,
    CANCEL_TIMEOUT,
    CANCEL_SHUTDOWN,
    CANCEL_CLEARED /* cleared while running: the store says restarting */
} cancel_reason;

/* One task try in flight.  The loop thread owns it; the worker that runs
 * it reads req and writes outcome/done/finished_at (under s->mu). */
typedef struct running_task {
    struct running_task *next;
    struct running_task *next_queued; /* s->queue, under s->mu */
    arena a;                          /* req and the ids */
    task_request req;
    task_ctl ctl;
    struct scheduler *s;
    task_outcome outcome;
    bool done;
    double finished_at; /* when the runner returned: the try's end_date */
    cancel_reason cancel;
    double deadline; /* execution_timeout, 0 = none */
    retry_policy policy;
    int max_tries; /* the store's, renewed by clears */
} running_task;

/* The task graph of a run in progress, rendered when the run starts. */
typedef struct run_graph {
    struct run_graph *next;
    arena a;
    const char *dag_id, *run_id;
    const char *vars_yaml;
    dbt_task_graph g;
    size_t *by_id; /* task indices sorted by task_id */
    bool seen;     /* still active this tick */
} run_graph;

struct scheduler {
    scheduler_opts o;
    instance_lock lock;
    state_store *st;
    dag_folder *folder;
    run_graph *graphs;
    running_task *running;
    int nrunning;
    pthread_mutex_t mu;  /* guards stop, the queue and pool fields, and every
                          * running task's outcome/done/finished_at */
    pthread_cond_t wake; /* a task finished, or stop */
    pthread_cond_t work; /* the queue has a task, or the pool stops */
    running_task *queue, *queue_tail;
    pthread_t *workers;
    int nworkers, idle_workers;
    bool pool_stop;
    bool stop;
    int64_t once_now;    /* with once: the time the due runs are reckoned at */
    bool dags_announced; /* the runner's dags_seen has been called (loop thread only) */
    scheduler_result res;
};

static void say(scheduler *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(scheduler *s, const char *fmt, ...)
{
    if (s->o.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_info("%s", buf);
}

static retry_policy dag_retry_policy(const dag_def *dag)
{
    return (retry_policy){.retries = dag->default_args.retries,
                          .retry_delay = dag->default_args.retry_delay,
                          .exponential_backoff = dag->default_args.retry_exponential_backoff,
                          .max_retry_delay = dag->default_args.max_retry_delay};
}

/* A try found running at start-up died with the previous scheduler: its
 * next try waits its DAG's retry delay, as Airflow's handle_failure of a
 * heartbeat-timed-out task instance makes it.  A DAG no longer in the
 * folder waits Airflow's default retry_delay. */
static int64_t orphan_retry_delay(void *ctx, const char *dag_id, const char *run_id,
                                  const char *task_id, int try_number)
{
    scheduler *s = ctx;
    const dag_def *dag = dag_folder_find(s->folder, dag_id);
    retry_policy p = {.retry_delay = 300};
    if (dag)
        p = dag_retry_policy(dag);
    return retry_delay_seconds(&p, dag_id, task_id, run_id, try_number);
}

bool scheduler_new(const scheduler_opts *opts, scheduler **out, mlerr *err)
{
    *out = NULL;
    scheduler *s = xcalloc(1, sizeof *s);
    s->o = *opts;
    if (s->o.parallelism < 1)
        s->o.parallelism = 1;
    s->lock.fd = -1;
    if (!instance_lock_acquire(opts->home, &s->lock, err)) {
        free(s);
        return false;
    }
    s->st = state_open(opts->home, err);
    if (!s->st) {
        instance_lock_release(&s->lock);
        free(s);
        return false;
    }
    /* the DAGs first: an orphan's retry_delay is its DAG's */
    s->folder = dag_folder_new(opts->dags_folder);
    orphan_counts rec = {0};
    if (!dag_folder_refresh(s->folder, NULL, err) ||
        !state_recover_orphans(s->st, state_now(), orphan_retry_delay, s, &rec, err)) {
        dag_folder_free(s->folder);
        state_close(s->st);
        instance_lock_release(&s->lock);
        free(s);
        return false;
    }
    if (rec.up_for_retry + rec.failed + rec.restarted > 0)
        say(s,
            "Recovered %d task instance(s) left running by a previous scheduler: %d up_for_retry, "
            "%d failed, %d cleared while running (restarted)",
            rec.up_for_retry + rec.failed + rec.restarted, rec.up_for_retry, rec.failed,
            rec.restarted);
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&s->work, NULL);
    *out = s;
    return true;
}

static void graph_free(run_graph *g)
{
    arena_free(&g->a);
    free(g);
}

/* Frees a graph the loop is done with, telling the runner the run is over. */
static void graph_forget(scheduler *s, run_graph *g)
{
    if (s->o.runner.run_ended)
        s->o.runner.run_ended(s->o.runner.userdata, g->dag_id, g->run_id);
    graph_free(g);
}

void scheduler_free(scheduler *s)
{
    if (!s)
        return;
    while (s->graphs) {
        run_graph *g = s->graphs;
        s->graphs = g->next;
        graph_free(g);
    }
    pthread_mutex_lock(&s->mu);
    s->pool_stop = true;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < s->nworkers; i++)
        pthread_join(s->workers[i], NULL);
    free(s->workers);
    dag_folder_free(s->folder);
    state_close(s->st);
    instance_lock_release(&s->lock);
    pthread_cond_destroy(&s->work);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void scheduler_stop(scheduler *s)
{
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->mu);
}

static bool stopping(scheduler *s)
{
    pthread_mutex_lock(&s->mu);
    bool v = s->stop;
    pthread_mutex_unlock(&s->mu);
    return v;
}

/* --- task graphs per run ------------------------------------------------- */

static const dbt_task_graph *sort_ctx_graph;
static int cmp_task_id(const void *x, const void *y)
{
    const dbt_task_graph *g = sort_ctx_graph;
    return strcmp(g->tasks[*(const size_t *)x].task_id, g->tasks[*(const size_t *)y].task_id);
}

static long graph_find(const run_graph *rg, const char *task_id)
{
    size_t lo = 0, hi = rg->g.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(rg->g.tasks[rg->by_id[mid]].task_id, task_id);
        if (c == 0)
            return (long)rg->by_id[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static run_graph *graph_lookup(scheduler *s, const char *dag_id, const char *run_id)
{
    for (run_graph *g = s->graphs; g; g = g->next) {
        if (strcmp(g->dag_id, dag_id) == 0 && strcmp(g->run_id, run_id) == 0)
            return g;
    }
    return NULL;
}

/* Renders the run's task graph and makes sure its task instances exist. */
static run_graph *graph_load(scheduler *s, const dag_def *dag, const dag_run *run, mlerr *err)
{
    run_graph *g = xcalloc(1, sizeof *g);
    g->dag_id = arena_strdup(&g->a, run->dag_id);
    g->run_id = arena_strdup(&g->a, run->run_id);
    if (!dag_vars_render(&g->a, dag, run, &g->vars_yaml, err) ||
        !s->o.runner.tasks(s->o.runner.userdata, dag, run, g->vars_yaml, &g->a, &g->g, err)) {
        graph_free(g);
        return NULL;
    }
    g->by_id = arena_alloc(&g->a, (g->g.n ? g->g.n : 1) * sizeof(size_t));
    for (size_t i = 0; i < g->g.n; i++)
        g->by_id[i] = i;
    sort_ctx_graph = &g->g; /* loop thread only */
    qsort(g->by_id, g->g.n, sizeof(size_t), cmp_task_id);
    for (size_t i = 1; i < g->g.n; i++) {
        if (strcmp(g->g.tasks[g->by_id[i - 1]].task_id, g->g.tasks[g->by_id[i]].task_id) == 0) {
            mlerr_set(err, 2, "DAG %s: two tasks are both named %s", dag->dag_id,
                      g->g.tasks[g->by_id[i]].task_id);
            graph_forget(s, g);
            return NULL;
        }
    }
    const char **ids = arena_alloc(&g->a, (g->g.n ? g->g.n : 1) * sizeof(char *));
    int *tries = arena_alloc(&g->a, (g->g.n ? g->g.n : 1) * sizeof(int));
    for (size_t i = 0; i < g->g.n; i++) {
        ids[i] = g->g.tasks[i].task_id;
        tries[i] = dag->default_args.retries;
    }
    if (!state_tis_create(s->st, run->dag_id, run->run_id, ids, tries, g->g.n, err)) {
        graph_forget(s, g);
        return NULL;
    }
    g->next = s->graphs;
    s->graphs = g;
    return g;
}

static void graph_drop(scheduler *s, run_graph *g)
{
    for (run_graph **p = &s->graphs; *p; p = &(*p)->next) {
        if (*p == g) {
            *p = g->next;
            graph_forget(s, g);
            return;
        }
    }
}

/* --- running tasks --------------------------------------------------------- */

/* One try, on a worker: its log first (a try that cannot log fails as a
 * try), then the runner. */
static task_outcome run_try(scheduler *s, running_task *t)
{
    mlerr lerr = MLERR_INIT;
    if (!task_log_prepare(t->req.log_path, &lerr)) {
        log_error("%s", mlerr_message(&lerr));
        mlerr_clear(&lerr);
        return TASK_FAILED;
    }
    return s->o.runner.run(s->o.runner.userdata, &t->req, &t->ctl);
}

static void *worker_main(void *arg)
{
    scheduler *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->queue && !s->pool_stop) {
            s->idle_workers++;
            pthread_cond_wait(&s->work, &s->mu);
            s->idle_workers--;
        }
        running_task *t = s->queue;
        if (!t)
            break; /* pool_stop with nothing left */
        s->queue = t->next_queued;
        if (!s->queue)
            s->queue_tail = NULL;
        pthread_mutex_unlock(&s->mu);
        task_outcome o = run_try(s, t);
        double finished_at = state_now();
        pthread_mutex_lock(&s->mu);
        t->outcome = o;
        t->finished_at = finished_at;
        t->done = true;
        pthread_cond_broadcast(&s->wake);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Queues t for a worker, starting one when none is idle (up to
 * parallelism, which bounds the tasks running at once anyway).  False when
 * no worker exists and none can be started. */
static bool task_dispatch(scheduler *s, running_task *t)
{
    pthread_mutex_lock(&s->mu);
    if (s->queue_tail)
        s->queue_tail->next_queued = t;
    else
        s->queue = t;
    s->queue_tail = t;
    int queued = 0;
    for (running_task *q = s->queue; q; q = q->next_queued)
        queued++;
    bool ok = true;
    if (queued > s->idle_workers && s->nworkers < s->o.parallelism) {
        s->workers = xrealloc(s->workers, (size_t)(s->nworkers + 1) * sizeof *s->workers);
        if (pthread_create(&s->workers[s->nworkers], NULL, worker_main, s) == 0)
            s->nworkers++;
        else if (s->nworkers == 0)
            ok = false;
    }
    if (!ok) {
        s->queue = s->queue_tail = NULL;
    }
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static bool task_is_running(scheduler *s, const char *dag_id, const char *run_id,
                            const char *task_id)
{
    for (running_task *t = s->running; t; t = t->next) {
        if (strcmp(t->req.dag_id, dag_id) == 0 && strcmp(t->req.run_id, run_id) == 0 &&
            strcmp(t->req.task_id, task_id) == 0)
            return true;
    }
    return false;
}

static bool task_start(scheduler *s, const dag_def *dag, const run_graph *rg, size_t ti, mlerr *err)
{
    const dbt_task *task = &rg->g.tasks[ti];
    double now = state_now();
    int try_number = 0, max_tries = 0;
    if (!state_ti_begin_try(s->st, rg->dag_id, rg->run_id, task->task_id, now, &try_number,
                            &max_tries, err))
        return false;
    running_task *t = xcalloc(1, sizeof *t);
    arena *a = &t->a;
    task_request *r = &t->req;
    r->dag_id = arena_strdup(a, rg->dag_id);
    r->run_id = arena_strdup(a, rg->run_id);
    r->task_id = arena_strdup(a, task->task_id);
    r->try_number = try_number;
    r->kind = task->kind;
    const char **nodes = arena_alloc(a, (task->nnodes ? task->nnodes : 1) * sizeof(char *));
    for (size_t i = 0; i < task->nnodes; i++)
        nodes[i] = arena_strdup(a, task->nodes[i]);
    r->nodes = nodes;
    r->nnodes = task->nnodes;
    r->project_dir = dag->dbt.project_dir_abs ? arena_strdup(a, dag->dbt.project_dir_abs) : NULL;
    r->profiles_dir = dag->dbt.profiles_dir ? arena_strdup(a, dag->dbt.profiles_dir) : NULL;
    r->profile = dag->dbt.profile ? arena_strdup(a, dag->dbt.profile) : NULL;
    r->target = dag->dbt.target ? arena_strdup(a, dag->dbt.target) : NULL;
    r->vars_yaml = rg->vars_yaml ? arena_strdup(a, rg->vars_yaml) : NULL;
    r->full_refresh = dag->dbt.full_refresh;
    r->log_path = task_log_path(a, s->o.home, r->dag_id, r->run_id, r->task_id, try_number);
    t->s = s;
    t->deadline = dag->default_args.execution_timeout > 0
                      ? now + (double)dag->default_args.execution_timeout
                      : 0;
    t->policy = dag_retry_policy(dag);
    t->max_tries = max_tries;
    task_ctl_init(&t->ctl);
    if (!task_dispatch(s, t)) {
        log_error("cannot start a thread for task %s", r->task_id);
        t->outcome = TASK_FAILED;
        t->done = true;
    }
    t->next = s->running;
    s->running = t;
    s->nrunning++;
    s->res.tries_started++;
    say(s, "%s %s %s: try %d started", r->dag_id, r->run_id, r->task_id, try_number);
    return true;
}

/* Records a finished try and forgets it, waiting for its worker first. */
static bool task_reap(scheduler *s, running_task *t, mlerr *err)
{
    pthread_mutex_lock(&s->mu);
    while (!t->done)
        pthread_cond_wait(&s->wake, &s->mu);
    pthread_mutex_unlock(&s->mu);
    /* the try ended when its runner returned, not when the loop noticed:
     * the store's end_date -> next start_date gap is then the loop's real
     * hand-over latency (bench/sched measures it) */
    double now = t->finished_at > 0 ? t->finished_at : state_now();
    ti_state st;
    double next_retry_at = 0;
    const char *why = "";
    if (t->outcome == TASK_SUCCESS) {
        st = TI_SUCCESS;
    } else {
        /* A try the scheduler's shutdown interrupted fails like any other:
         * Airflow's task runner turns SIGTERM into AirflowTaskTerminated,
         * which handle_failure treats as a failure -- up_for_retry after
         * retry_delay while tries are left, else failed.  A cleared one is
         * left to the store, which puts it back to none (restarting). */
        if (t->cancel == CANCEL_TIMEOUT)
            why = " (execution_timeout)";
        else if (t->cancel == CANCEL_SHUTDOWN)
            why = " (interrupted: scheduler stopping)";
        st = retry_after_failure(&t->policy, t->req.dag_id, t->req.task_id, t->req.run_id,
                                 t->req.try_number, t->max_tries, now, &next_retry_at);
    }
    ti_state recorded = st;
    bool ok = state_ti_end_try(s->st, t->req.dag_id, t->req.run_id, t->req.task_id, st, now,
                               next_retry_at, &recorded, err);
    if (ok && recorded == TI_NONE)
        why = " (cleared while running: restarting)";
    say(s, "%s %s %s: try %d %s%s", t->req.dag_id, t->req.run_id, t->req.task_id, t->req.try_number,
        ti_state_name(recorded), why);
    task_ctl_destroy(&t->ctl);
    arena_free(&t->a);
    free(t);
    s->nrunning--;
    return ok;
}

/* Interrupts the running tries whose task instances were cleared
 * (restarting): Airflow's scheduler has the executor kill such a try. */
static bool tasks_interrupt_cleared(scheduler *s, mlerr *err)
{
    arena a = ARENA_INIT;
    ti_key *keys = NULL;
    size_t n = 0;
    bool ok = state_restarting_list(s->st, &a, &keys, &n, err);
    for (size_t i = 0; ok && i < n; i++) {
        for (running_task *t = s->running; t; t = t->next) {
            if (t->cancel == CANCEL_NONE && strcmp(t->req.task_id, keys[i].task_id) == 0 &&
                strcmp(t->req.run_id, keys[i].run_id) == 0 &&
                strcmp(t->req.dag_id, keys[i].dag_id) == 0) {
                t->cancel = CANCEL_CLEARED;
                say(s, "%s %s %s: try %d cleared while running: interrupting it", t->req.dag_id,
                    t->req.run_id, t->req.task_id, t->req.try_number);
                task_ctl_cancel(&t->ctl);
            }
        }
    }
    arena_free(&a);
    return ok;
}

/* Ends finished tries and interrupts those past their deadline or
 * cleared.  The earliest deadline left is folded into *wake_at. */
static bool tasks_collect(scheduler *s, double *wake_at, mlerr *err)
{
    if (s->running && !tasks_interrupt_cleared(s, err))
        return false;
    double now = state_now();
    running_task **p = &s->running;
    while (*p) {
        running_task *t = *p;
        pthread_mutex_lock(&s->mu);
        bool done = t->done;
        pthread_mutex_unlock(&s->mu);
        if (done) {
            *p = t->next;
            if (!task_reap(s, t, err))
                return false;
            continue;
        }
        if (t->deadline > 0 && t->cancel == CANCEL_NONE) {
            if (now >= t->deadline) {
                t->cancel = CANCEL_TIMEOUT;
                task_ctl_cancel(&t->ctl);
            } else if (*wake_at == 0 || t->deadline < *wake_at) {
                *wake_at = t->deadline;
            }
        }
        p = &t->next;
    }
    return true;
}

/* --- runs ----------------------------------------------------------------- */

typedef struct tick_state {
    arena *a;
    int free_slots;
    double wake_at;
    int active_runs; /* queued or running runs of loaded, unpaused DAGs */
    bool progress;   /* a run was created or finished: look again before idling */
} tick_state;

static bool run_finish(scheduler *s, tick_state *ts, const dag_run *run, bool failed, run_graph *g,
                       mlerr *err)
{
    ts->progress = true;
    if (!state_run_set_state(s->st, run->dag_id, run->run_id,
                             failed ? DAGRUN_FAILED : DAGRUN_SUCCESS, state_now(), err))
        return false;
    if (failed)
        s->res.runs_failed++;
    else
        s->res.runs_succeeded++;
    say(s, "%s %s: %s", run->dag_id, run->run_id, failed ? "failed" : "success");
    if (g)
        graph_drop(s, g);
    return true;
}

static bool run_advance(scheduler *s, tick_state *ts, const dag_def *dag, const dag_run *run,
                        mlerr *err)
{
    run_graph *g = graph_lookup(s, run->dag_id, run->run_id);
    if (!g) {
        mlerr gerr = {0};
        g = graph_load(s, dag, run, &gerr);
        if (!g) {
            /* A run whose tasks cannot be rendered (missing project, bad
             * selection) fails as a whole; the DAG's other runs go on. */
            log_error("%s %s: %s", run->dag_id, run->run_id, mlerr_message(&gerr));
            mlerr_clear(&gerr);
            return run_finish(s, ts, run, true, NULL, err);
        }
    }
    g->seen = true;
    task_instance *tis = NULL;
    size_t nti = 0;
    if (!state_tis_list(s->st, ts->a, run->dag_id, run->run_id, &tis, &nti, err))
        return false;
    plan_task *pt = arena_zalloc(ts->a, (g->g.n ? g->g.n : 1) * sizeof *pt);
    for (size_t i = 0; i < g->g.n; i++) {
        pt[i].upstream = g->g.tasks[i].upstream;
        pt[i].nupstream = g->g.tasks[i].nupstream;
        pt[i].state = TI_NONE;
    }
    for (size_t i = 0; i < nti; i++) {
        long k = graph_find(g, tis[i].task_id);
        if (k < 0)
            continue; /* a task the DAG no longer has */
        ti_state st = tis[i].state;
        /* restarting is running until its try ends (tasks_collect) */
        if (st == TI_RESTARTING)
            st = TI_RUNNING;
        /* A task instance marked running that this process does not run
         * (left over) is not in flight: retry it. */
        if (st == TI_RUNNING && !task_is_running(s, run->dag_id, run->run_id, tis[i].task_id))
            st = TI_UP_FOR_RETRY;
        pt[k].state = st;
        pt[k].next_retry_at = tis[i].next_retry_at;
    }
    dagrun_plan plan;
    double now = state_now();
    dagrun_plan_make(ts->a, pt, g->g.n, dag->max_active_tasks, ts->free_slots, now, &plan);
    for (size_t i = 0; i < plan.nupstream_failed; i++) {
        if (!state_ti_set_state(s->st, run->dag_id, run->run_id,
                                g->g.tasks[plan.to_upstream_failed[i]].task_id, TI_UPSTREAM_FAILED,
                                err))
            return false;
    }
    for (size_t i = 0; i < plan.nskip; i++) {
        if (!state_ti_set_state(s->st, run->dag_id, run->run_id,
                                g->g.tasks[plan.to_skip[i]].task_id, TI_SKIPPED, err))
            return false;
    }
    if (plan.finished) {
        if (plan.deadlocked)
            log_error("%s %s: deadlocked (unfinished tasks can never run)", run->dag_id,
                      run->run_id);
        return run_finish(s, ts, run, plan.failed, g, err);
    }
    for (size_t i = 0; i < plan.nstart; i++) {
        if (!task_start(s, dag, g, plan.to_start[i], err))
            return false;
        ts->free_slots--;
    }
    if (plan.next_wake_at > 0 && (ts->wake_at == 0 || plan.next_wake_at < ts->wake_at))
        ts->wake_at = plan.next_wake_at;
    ts->active_runs++;
    return true;
}

static bool dag_tick(scheduler *s, tick_state *ts, const dag_def *dag, mlerr *err)
{
    int64_t now = s->o.once ? s->once_now : (int64_t)state_now();
    int created = 0;
    if (!dagrun_create_due(s->st, dag, now, &created, err))
        return false;
    if (created > 0)
        ts->progress = true;
    bool paused = false;
    if (!state_dag_is_paused(s->st, dag->dag_id, &paused, err))
        return false;
    if (paused)
        return true;
    dag_run *runs = NULL;
    size_t n = 0;
    if (!state_runs_list(s->st, ts->a, dag->dag_id, &runs, &n, err))
        return false;
    int running = 0;
    for (size_t i = 0; i < n; i++)
        running += runs[i].state == DAGRUN_RUNNING;
    /* oldest first: the list is newest first */
    for (size_t j = n; j-- > 0;) {
        dag_run *r = &runs[j];
        if (r->state == DAGRUN_QUEUED) {
            if (running >= dag->max_active_runs) {
                ts->active_runs++;
                continue;
            }
            if (!state_run_set_state(s->st, r->dag_id, r->run_id, DAGRUN_RUNNING, state_now(), err))
                return false;
            r->state = DAGRUN_RUNNING;
            running++;
            say(s, "%s %s: running (data interval %lld..%lld)", r->dag_id, r->run_id,
                (long long)r->interval.start, (long long)r->interval.end);
        }
        if (r->state == DAGRUN_RUNNING && !run_advance(s, ts, dag, r, err))
            return false;
    }
    return true;
}

static bool tick(scheduler *s, arena *a, tick_state *ts, mlerr *err)
{
    memset(ts, 0, sizeof *ts);
    ts->a = a;
    if (!tasks_collect(s, &ts->wake_at, err))
        return false;
    bool changed = false;
    if (!dag_folder_refresh(s->folder, &changed, err))
        return false;
    if (s->o.runner.dags_seen) {
        size_t n = dag_folder_dag_count(s->folder);
        const dag_def **dags = arena_alloc(a, (n + 1) * sizeof *dags);
        for (size_t i = 0; i < n; i++)
            dags[i] = dag_folder_dag(s->folder, i);
        s->o.runner.dags_seen(s->o.runner.userdata, dags, n, changed || !s->dags_announced);
        s->dags_announced = true;
    }
    ts->free_slots = s->o.parallelism - s->nrunning;
    for (run_graph *g = s->graphs; g; g = g->next)
        g->seen = false;
    for (size_t i = 0; i < dag_folder_dag_count(s->folder); i++) {
        if (!dag_tick(s, ts, dag_folder_dag(s->folder, i), err))
            return false;
    }
    /* graphs of runs that ended elsewhere (cleared, deleted DAG) */
    run_graph **p = &s->graphs;
    while (*p) {
        run_graph *g = *p;
        bool busy = false;
        for (running_task *t = s->running; t && !busy; t = t->next)
            busy = strcmp(t->req.dag_id, g->dag_id) == 0 && strcmp(t->req.run_id, g->run_id) == 0;
        if (!g->seen && !busy) {
            *p = g->next;
            graph_forget(s, g);
        } else {
            p = &g->next;
        }
    }
    return true;
}

/* Sleeps until a task ends, stop, wake_at or one second. */
static void wait_for_work(scheduler *s, double wake_at)
{
    double now = state_now();
    double wait = 1.0;
    if (wake_at > 0 && wake_at - now < wait)
        wait = wake_at - now;
    if (wait <= 0)
        return;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    double secs = (double)until.tv_sec + until.tv_nsec / 1e9 + wait;
    until.tv_sec = (time_t)secs;
    until.tv_nsec = (long)((secs - (double)until.tv_sec) * 1e9);
    pthread_mutex_lock(&s->mu);
    bool any_done = false;
    for (running_task *t = s->running; t && !any_done; t = t->next)
        any_done = t->done;
    while (!s->stop && !any_done) {
        if (pthread_cond_timedwait(&s->wake, &s->mu, &until) == ETIMEDOUT)
            break;
        for (running_task *t = s->running; t && !any_done; t = t->next)
            any_done = t->done;
    }
    pthread_mutex_unlock(&s->mu);
}

/* Interrupts every running task and records them for retry. */
static bool shutdown_tasks(scheduler *s, mlerr *err)
{
    if (s->running)
        say(s, "Stopping: interrupting %d running task(s)", s->nrunning);
    for (running_task *t = s->running; t; t = t->next) {
        if (t->cancel == CANCEL_NONE)
            t->cancel = CANCEL_SHUTDOWN;
        task_ctl_cancel(&t->ctl);
    }
    bool ok = true;
    while (s->running) {
        running_task *t = s->running;
        s->running = t->next;
        /* waits for its worker, which ends once the runner sees the cancel */
        if (!task_reap(s, t, err))
            ok = false;
    }
    return ok;
}

static double thread_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool scheduler_run(scheduler *s, scheduler_result *out, mlerr *err)
{
    double cpu0 = thread_cpu_now();
    memset(&s->res, 0, sizeof s->res);
    s->once_now = (int64_t)state_now();
    bool ok = true;
    for (;;) {
        if (stopping(s)) {
            s->res.stopped = true;
            break;
        }
        arena a = {0};
        tick_state ts;
        ok = tick(s, &a, &ts, err);
        arena_free(&a);
        if (!ok)
            break;
        if (s->o.once && ts.active_runs == 0 && s->nrunning == 0 && !ts.progress)
            break;
        if (!ts.progress)
            wait_for_work(s, ts.wake_at);
    }
    mlerr later = MLERR_INIT; /* the first failure is already in err */
    if (!shutdown_tasks(s, ok ? err : &later))
        ok = false;
    mlerr_clear(&later);
    s->res.loop_cpu_seconds = thread_cpu_now() - cpu0;
    *out = s->res;
    return ok;
}
