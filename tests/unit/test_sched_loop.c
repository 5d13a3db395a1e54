/* Unit tests for the scheduler loop (scheduler.c) with a fake task runner:
 * catchup over three daily intervals with max_active_runs 1 and templated
 * vars, retries then success, upstream_failed, execution_timeout, a stop
 * that leaves tasks up_for_retry, a second scheduler refused, and kill -9
 * then restart with exactly one run per interval. */
#include "check.h"

#include "sched/instance_lock.h"
#include "sched/scheduler.h"
#include "sched/task_log.h"
#include "util/fs.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- the fake runner ------------------------------------------------------ */

#define MAX_CALLS 256

typedef struct fake_call {
    char run_id[128], task_id[64], vars[256];
    int try_number;
} fake_call;

typedef struct fake {
    pthread_mutex_t mu;
    /* behaviour */
    const char *flaky_task; /* fails its first flaky_failures tries */
    int flaky_failures;
    const char *failing_task;   /* always fails */
    const char *blocking_task;  /* runs until cancelled */
    const char *started_marker; /* a file written when blocking_task starts */
    /* observations */
    fake_call calls[MAX_CALLS];
    int ncalls;
    char active_runs[8][128]; /* run ids with a task running */
    int active_count[8];
    int max_concurrent_runs;
    int blocked_started;
} fake;

static bool fake_tasks(void *ud, const dag_def *dag, const dag_run *run, const char *vars_yaml,
                       arena *a, dbt_task_graph *out, mlerr *err)
{
    (void)ud, (void)dag, (void)run, (void)vars_yaml, (void)err;
    /* a_seed -> b_run -> c_run */
    static const char *ids[] = {"a_seed", "b_run", "c_run"};
    out->n = 3;
    out->tasks = arena_zalloc(a, 3 * sizeof(dbt_task));
    for (size_t i = 0; i < 3; i++) {
        out->tasks[i].task_id = ids[i];
        out->tasks[i].kind = i == 0 ? DBT_TASK_SEED : DBT_TASK_RUN;
        if (i > 0) {
            out->tasks[i].upstream = arena_alloc(a, sizeof(size_t));
            out->tasks[i].upstream[0] = i - 1;
            out->tasks[i].nupstream = 1;
        }
    }
    return true;
}

static void wake_blocked(void *arg)
{
    (void)arg; /* the blocked task polls its ctl */
}

static void track_run(fake *f, const char *run_id, int delta)
{
    int free_slot = -1;
    for (int i = 0; i < 8; i++) {
        if (f->active_count[i] > 0 && strcmp(f->active_runs[i], run_id) == 0) {
            f->active_count[i] += delta;
            goto counted;
        }
        if (f->active_count[i] == 0 && free_slot < 0)
            free_slot = i;
    }
    if (delta > 0 && free_slot >= 0) {
        snprintf(f->active_runs[free_slot], sizeof f->active_runs[free_slot], "%s", run_id);
        f->active_count[free_slot] = delta;
    }
counted:;
    int distinct = 0;
    for (int i = 0; i < 8; i++)
        distinct += f->active_count[i] > 0;
    if (distinct > f->max_concurrent_runs)
        f->max_concurrent_runs = distinct;
}

static task_outcome fake_run(void *ud, const task_request *req, task_ctl *ctl)
{
    fake *f = ud;
    pthread_mutex_lock(&f->mu);
    if (f->ncalls < MAX_CALLS) {
        fake_call *c = &f->calls[f->ncalls++];
        snprintf(c->run_id, sizeof c->run_id, "%s", req->run_id);
        snprintf(c->task_id, sizeof c->task_id, "%s", req->task_id);
        snprintf(c->vars, sizeof c->vars, "%s", req->vars_yaml ? req->vars_yaml : "");
        c->try_number = req->try_number;
    }
    track_run(f, req->run_id, +1);
    pthread_mutex_unlock(&f->mu);

    FILE *log = fopen(req->log_path, "w");
    if (log) {
        fprintf(log, "fake %s try %d\n", req->task_id, req->try_number);
        fclose(log);
    }
    task_outcome o = TASK_SUCCESS;
    if (f->blocking_task && strcmp(req->task_id, f->blocking_task) == 0) {
        if (f->started_marker) {
            FILE *m = fopen(f->started_marker, "w");
            if (m)
                fclose(m);
        }
        pthread_mutex_lock(&f->mu);
        f->blocked_started++;
        pthread_mutex_unlock(&f->mu);
        task_ctl_watch(ctl, wake_blocked, NULL);
        while (!task_ctl_cancelled(ctl))
            usleep(5000);
        task_ctl_unwatch(ctl);
        o = TASK_INTERRUPTED;
    } else {
        usleep(20000); /* long enough for runs to overlap if allowed */
        if (f->failing_task && strcmp(req->task_id, f->failing_task) == 0)
            o = TASK_FAILED;
        if (f->flaky_task && strcmp(req->task_id, f->flaky_task) == 0 &&
            req->try_number <= f->flaky_failures)
            o = TASK_FAILED;
    }
    pthread_mutex_lock(&f->mu);
    track_run(f, req->run_id, -1);
    pthread_mutex_unlock(&f->mu);
    return o;
}

static fake *fake_new(void)
{
    fake *f = calloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    return f;
}

static void fake_free(fake *f)
{
    pthread_mutex_destroy(&f->mu);
    free(f);
}

/* --- a scratch deployment -------------------------------------------------- */

typedef struct deploy {
    char root[256], dags[300], home[300];
} deploy;

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        abort();
    fputs(text, fp);
    fclose(fp);
}

/* A deployment with one DAG file; extra is YAML appended to the DAG. */
static void deploy_new(deploy *d, const char *extra)
{
    snprintf(d->root, sizeof d->root, "/tmp/mallard-loop-XXXXXX");
    if (!mkdtemp(d->root))
        abort();
    snprintf(d->dags, sizeof d->dags, "%s/dags", d->root);
    snprintf(d->home, sizeof d->home, "%s/home", d->root);
    char path[512];
    snprintf(path, sizeof path, "%s/proj", d->root);
    mkdir(path, 0777);
    mkdir(d->dags, 0777);
    snprintf(path, sizeof path, "%s/proj/dbt_project.yml", d->root);
    write_file(path, "name: proj\nprofile: proj\n");
    /* start three days before today's UTC midnight */
    time_t now = time(NULL);
    time_t start = now - now % 86400 - 3 * 86400;
    struct tm tm;
    gmtime_r(&start, &tm);
    char text[2048];
    snprintf(text, sizeof text,
             "dag_id: d\nschedule: '@daily'\nstart_date: '%04d-%02d-%02d'\n"
             "dbt:\n  project_dir: ../proj\n  vars:\n    day: '{{ ds }}'\n%s",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, extra);
    snprintf(path, sizeof path, "%s/d.yml", d->dags);
    write_file(path, text);
}

static void deploy_free(deploy *d)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", d->root);
}

static scheduler_opts opts_for(deploy *d, fake *f, bool once, int parallelism)
{
    return (scheduler_opts){.home = d->home,
                            .dags_folder = d->dags,
                            .once = once,
                            .parallelism = parallelism,
                            .runner = {.userdata = f, .tasks = fake_tasks, .run = fake_run},
                            .quiet = true};
}

static bool run_once(deploy *d, fake *f, int parallelism, scheduler_result *res)
{
    mlerr err = MLERR_INIT;
    scheduler *s = NULL;
    scheduler_opts o = opts_for(d, f, true, parallelism);
    bool ok = scheduler_new(&o, &s, &err) && scheduler_run(s, res, &err);
    if (!ok)
        fprintf(stderr, "scheduler: %s\n", mlerr_message(&err));
    scheduler_free(s);
    mlerr_clear(&err);
    return ok;
}

static const task_instance *find_ti(task_instance *tis, size_t n, const char *task_id)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(tis[i].task_id, task_id) == 0)
            return &tis[i];
    }
    return NULL;
}

/* --- tests ------------------------------------------------------------------ */

TEST(catchup_three_daily_runs_one_at_a_time)
{
    deploy d;
    deploy_new(&d, "catchup: true\nmax_active_runs: 1\n");
    fake *f = fake_new();
    scheduler_result res;
    CHECK(run_once(&d, f, 8, &res));
    CHECK(res.runs_succeeded == 3 && res.runs_failed == 0);
    CHECK(f->ncalls == 9);
    CHECK(f->max_concurrent_runs == 1);

    mlerr err = MLERR_INIT;
    state_store *st = state_open(d.home, &err);
    arena a = ARENA_INIT;
    dag_run *runs = NULL;
    size_t n = 0;
    CHECK(st && state_runs_list(st, &a, "d", &runs, &n, &err) && n == 3);
    time_t now = time(NULL);
    int64_t midnight = (int64_t)(now - now % 86400);
    for (size_t i = 0; i < n; i++) {
        /* newest first: [m-1d, m], [m-2d, m-1d], [m-3d, m-2d] */
        CHECK(runs[i].state == DAGRUN_SUCCESS);
        CHECK(runs[i].interval.end == midnight - (int64_t)i * 86400);
        CHECK(runs[i].interval.start == midnight - (int64_t)(i + 1) * 86400);
        CHECK(runs[i].logical_date == runs[i].interval.start);
        /* ds reached the task's vars */
        time_t ld = (time_t)runs[i].logical_date;
        struct tm tm;
        gmtime_r(&ld, &tm);
        char want[64];
        snprintf(want, sizeof want, "{\"day\": \"%04d-%02d-%02d\"}", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday);
        bool seen = false;
        for (int c = 0; c < f->ncalls; c++)
            seen = seen || (strcmp(f->calls[c].run_id, runs[i].run_id) == 0 &&
                            strcmp(f->calls[c].vars, want) == 0);
        CHECK(seen);
        if (!seen)
            fprintf(stderr, "  no call with vars %s for %s (first: %s)\n", want, runs[i].run_id,
                    f->ncalls ? f->calls[0].vars : "");
    }
    arena_free(&a);
    state_close(st);
    mlerr_clear(&err);

    /* a second --once finds nothing new to do */
    fake *g = fake_new();
    CHECK(run_once(&d, g, 8, &res));
    CHECK(g->ncalls == 0 && res.runs_succeeded == 0);
    fake_free(g);
    fake_free(f);
    deploy_free(&d);
}

TEST(retries_then_success)
{
    deploy d;
    deploy_new(&d, "default_args:\n  retries: 2\n  retry_delay: 0\n");
    fake *f = fake_new();
    f->flaky_task = "b_run";
    f->flaky_failures = 2;
    scheduler_result res;
    CHECK(run_once(&d, f, 4, &res));
    CHECK(res.runs_succeeded == 1 && res.runs_failed == 0); /* catchup false: the latest only */
    mlerr err = MLERR_INIT;
    state_store *st = state_open(d.home, &err);
    arena a = ARENA_INIT;
    dag_run *runs = NULL;
    size_t n = 0;
    CHECK(st && state_runs_list(st, &a, "d", &runs, &n, &err) && n == 1);
    if (n == 1) {
        task_instance *tis = NULL;
        size_t nti = 0;
        CHECK(state_tis_list(st, &a, "d", runs[0].run_id, &tis, &nti, &err));
        const task_instance *b = find_ti(tis, nti, "b_run");
        CHECK(b && b->state == TI_SUCCESS && b->try_number == 3);
        const task_instance *c = find_ti(tis, nti, "c_run");
        CHECK(c && c->state == TI_SUCCESS && c->try_number == 1);
        task_try *tries = NULL;
        size_t ntries = 0;
        CHECK(state_tries_list(st, &a, "d", runs[0].run_id, &tries, &ntries, &err));
        CHECK(ntries == 5); /* a, b x3, c */
        char *log = task_log_path(&a, d.home, "d", runs[0].run_id, "b_run", 2);
        CHECK(fs_is_file(log));
    }
    arena_free(&a);
    state_close(st);
    mlerr_clear(&err);
    fake_free(f);
    deploy_free(&d);
}

TEST(failure_sends_downstream_to_upstream_failed)
{
    deploy d;
    deploy_new(&d, "");
    fake *f = fake_new();
    f->failing_task = "b_run";
    scheduler_result res;
    CHECK(run_once(&d, f, 4, &res));
    CHECK(res.runs_failed == 1 && res.runs_succeeded == 0);
    mlerr err = MLERR_INIT;
    state_store *st = state_open(d.home, &err);
    arena a = ARENA_INIT;
    dag_run *runs = NULL;
    size_t n = 0;
    CHECK(st && state_runs_list(st, &a, "d", &runs, &n, &err) && n == 1);
    if (n == 1) {
        CHECK(runs[0].state == DAGRUN_FAILED);
        task_instance *tis = NULL;
        size_t nti = 0;
        CHECK(state_tis_list(st, &a, "d", runs[0].run_id, &tis, &nti, &err));
        const task_instance *b = find_ti(tis, nti, "b_run");
        const task_instance *c = find_ti(tis, nti, "c_run");
        CHECK(b && b->state == TI_FAILED);
        CHECK(c && c->state == TI_UPSTREAM_FAILED && c->try_number == 0);
    }
    arena_free(&a);
    state_close(st);
    mlerr_clear(&err);
    fake_free(f);
    deploy_free(&d);
}

TEST(execution_timeout_interrupts_the_task)
{
    deploy d;
    deploy_new(&d, "default_args:\n  execution_timeout: 1\n");
    fake *f = fake_new();
    f->blocking_task = "b_run";
    scheduler_result res;
    double t0 = state_now();
    CHECK(run_once(&d, f, 4, &res));
    double took = state_now() - t0;
    CHECK(took >= 1.0 && took < 4.0);
    CHECK(res.runs_failed == 1);
    CHECK(f->blocked_started == 1);
    fake_free(f);
    deploy_free(&d);
}

typedef struct loop_thread {
    scheduler *s;
    scheduler_result res;
    bool ok;
    mlerr err;
} loop_thread;

static void *loop_main(void *arg)
{
    loop_thread *lt = arg;
    lt->ok = scheduler_run(lt->s, &lt->res, &lt->err);
    return NULL;
}

/* A stop interrupts the running tries, which fail as Airflow's SIGTERMed
 * tasks do: up_for_retry here, where a retry is left (t0612 covers the
 * retries: 0 case, where they fail). */
TEST(stop_leaves_tasks_up_for_retry_and_a_second_scheduler_is_refused)
{
    deploy d;
    deploy_new(&d, "catchup: true\ndefault_args:\n  retries: 1\n  retry_delay: 0\n");
    fake *f = fake_new();
    f->blocking_task = "b_run";
    mlerr err = MLERR_INIT;
    scheduler_opts o = opts_for(&d, f, false, 8);
    loop_thread lt = {.err = MLERR_INIT};
    CHECK(scheduler_new(&o, &lt.s, &err));
    if (!lt.s)
        return;
    pthread_t th;
    pthread_create(&th, NULL, loop_main, &lt);
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&f->mu);
        int started = f->blocked_started;
        pthread_mutex_unlock(&f->mu);
        if (started == 3)
            break;
        usleep(10000);
    }
    CHECK(f->blocked_started == 3);

    /* a second scheduler on the same home names the first one's PID */
    scheduler *other = NULL;
    fake *g = fake_new();
    scheduler_opts o2 = opts_for(&d, g, true, 1);
    CHECK(!scheduler_new(&o2, &other, &err));
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    CHECK_CONTAINS(mlerr_message(&err), pid);
    mlerr_clear(&err);

    scheduler_stop(lt.s);
    pthread_join(th, NULL);
    CHECK(lt.ok && lt.res.stopped);
    scheduler_free(lt.s);

    state_store *st = state_open(d.home, &err);
    arena a = ARENA_INIT;
    dag_run *runs = NULL;
    size_t n = 0;
    CHECK(st && state_runs_list(st, &a, "d", &runs, &n, &err) && n == 3);
    for (size_t i = 0; i < n; i++) {
        CHECK(runs[i].state == DAGRUN_RUNNING);
        task_instance *tis = NULL;
        size_t nti = 0;
        CHECK(state_tis_list(st, &a, "d", runs[i].run_id, &tis, &nti, &err));
        const task_instance *b = find_ti(tis, nti, "b_run");
        CHECK(b && b->state == TI_UP_FOR_RETRY);
    }
    state_close(st);

    /* restart: the interrupted tasks run again and every run finishes once */
    scheduler_result res;
    CHECK(run_once(&d, g, 8, &res));
    CHECK(res.runs_succeeded == 3);
    int b_calls = 0;
    for (int c = 0; c < g->ncalls; c++)
        b_calls += strcmp(g->calls[c].task_id, "b_run") == 0;
    CHECK(b_calls == 3 && g->ncalls == 6);
    arena_free(&a);
    mlerr_clear(&err);
    mlerr_clear(&lt.err);
    fake_free(g);
    fake_free(f);
    deploy_free(&d);
}

TEST(kill_9_then_restart_runs_each_interval_once)
{
    deploy d;
    /* the retry after the crash waits retry_delay from its detection */
    deploy_new(&d, "catchup: true\nmax_active_runs: 3\ndefault_args:\n  retries: 1\n  "
                   "retry_delay: 2\n");
    char marker[400];
    snprintf(marker, sizeof marker, "%s/started", d.root);
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        fake *f = fake_new();
        f->blocking_task = "c_run";
        f->started_marker = marker;
        scheduler_result res;
        run_once(&d, f, 8, &res);
        _exit(0);
    }
    for (int i = 0; i < 1000 && !fs_is_file(marker); i++)
        usleep(10000);
    CHECK(fs_is_file(marker));
    usleep(100000);
    kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));

    fake *f = fake_new();
    scheduler_result res;
    CHECK(run_once(&d, f, 8, &res));
    CHECK(res.runs_succeeded == 3 && res.runs_failed == 0);
    mlerr err = MLERR_INIT;
    state_store *st = state_open(d.home, &err);
    arena a = ARENA_INIT;
    dag_run *runs = NULL;
    size_t n = 0;
    CHECK(st && state_runs_list(st, &a, "d", &runs, &n, &err) && n == 3);
    int n_killed = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(runs[i].state == DAGRUN_SUCCESS);
        for (size_t j = i + 1; j < n; j++)
            CHECK(runs[i].logical_date != runs[j].logical_date);
        task_try *tries = NULL;
        size_t ntries = 0;
        CHECK(state_tries_list(st, &a, "d", runs[i].run_id, &tries, &ntries, &err));
        const task_try *killed = NULL, *retried = NULL;
        for (size_t k = 0; k < ntries; k++) {
            if (strcmp(tries[k].task_id, "c_run") == 0 && tries[k].try_number == 1)
                killed = &tries[k];
            if (strcmp(tries[k].task_id, "c_run") == 0 && tries[k].try_number == 2)
                retried = &tries[k];
        }
        if (!killed || killed->state != TI_FAILED)
            continue; /* this run's c_run had not started when the kill came */
        n_killed++;
        CHECK(retried && retried->state == TI_SUCCESS);
        /* the killed try ended when the restart detected it; the retry
         * waited the DAG's retry_delay from there */
        CHECK(retried && retried->start_date >= killed->end_date + 2.0);
    }
    CHECK(n_killed >= 1);
    /* every c_run ran again after the crash; a and b did not */
    int a_calls = 0;
    for (int c = 0; c < f->ncalls; c++)
        a_calls += strcmp(f->calls[c].task_id, "a_seed") == 0;
    CHECK(a_calls == 0);
    arena_free(&a);
    state_close(st);
    mlerr_clear(&err);
    fake_free(f);
    deploy_free(&d);
}

int main(void)
{
    RUN(catchup_three_daily_runs_one_at_a_time);
    RUN(retries_then_success);
    RUN(failure_sends_downstream_to_upstream_failed);
    RUN(execution_timeout_interrupts_the_task);
    RUN(stop_leaves_tasks_up_for_retry_and_a_second_scheduler_is_refused);
    RUN(kill_9_then_restart_runs_each_interval_once);
    return CHECK_DONE();
}
