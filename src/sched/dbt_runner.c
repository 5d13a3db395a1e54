/* dbt_runner: running a task's dbt nodes through exec (see dbt_runner.h). */
#include "sched/dbt_runner.h"

#include "engine/database.h"
#include "exec/runtime_compile.h"
#include "exec/session.h"
#include "exec/workplan.h"
#include "project/compile.h"
#include "project/dbt_context.h"
#include "project/dbt_project.h"
#include "project/graph.h"
#include "project/select.h"
#include "sched/project_cache.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds between tries to open a DAG's database that another process
 * holds. */
#define REOPEN_SECONDS 5.0

/* A DAG's database, to be opened before its tasks run (dags_seen). */
typedef struct wanted_db {
    arena a; /* target */
    dbt_target target;
    const char *dag_id, *dag_file; /* the first DAG that named it */
    double retry_at;               /* monotonic seconds */
    bool warned;                   /* its failure to open was logged */
} wanted_db;

struct dbt_runner {
    int threads;
    project_cache *projects; /* one per DAG run, shared by its tasks */
    pthread_mutex_t mu;      /* guards dbs */
    db **dbs;                /* one reference per file opened, kept until free */
    size_t ndbs;
    /* the loop thread's alone (dags_seen): DAG databases not open yet */
    wanted_db **wanted;
    size_t nwanted;
};

dbt_runner *dbt_runner_new(int threads)
{
    dbt_runner *r = xcalloc(1, sizeof *r);
    r->threads = threads > 0 ? threads : 1;
    r->projects = project_cache_new();
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

static void wanted_clear(dbt_runner *r)
{
    for (size_t i = 0; i < r->nwanted; i++) {
        arena_free(&r->wanted[i]->a);
        free(r->wanted[i]);
    }
    free(r->wanted);
    r->wanted = NULL;
    r->nwanted = 0;
}

void dbt_runner_free(dbt_runner *r)
{
    if (!r)
        return;
    wanted_clear(r);
    for (size_t i = 0; i < r->ndbs; i++)
        db_close(r->dbs[i]);
    free(r->dbs);
    project_cache_free(r->projects);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

unsigned long dbt_runner_project_loads(dbt_runner *r)
{
    return project_cache_loads(r->projects);
}

static db_options target_db_options(const dbt_target *t, double lock_timeout)
{
    return (db_options){.path = t->abs_path,
                        .settings = t->settings,
                        .n_settings = t->n_settings,
                        .extensions = t->extensions,
                        .n_extensions = t->n_extensions,
                        .lock_timeout = lock_timeout,
                        .config_file = t->profiles_file};
}

/* Keeps one reference to d (a file, not memory) for the runner's life,
 * taking it from o; true if it is kept now. */
static bool keep_db(dbt_runner *r, const db_options *o, db *d)
{
    if (db_is_memory(d))
        return false;
    pthread_mutex_lock(&r->mu);
    bool kept = false;
    for (size_t i = 0; i < r->ndbs && !kept; i++)
        kept = r->dbs[i] == d;
    if (!kept) {
        db *again = NULL;
        mlerr ignore = MLERR_INIT;
        if (db_open(o, &again, &ignore)) {
            r->dbs = xrealloc(r->dbs, (r->ndbs + 1) * sizeof *r->dbs);
            r->dbs[r->ndbs++] = again;
            kept = true;
        }
        mlerr_clear(&ignore);
    }
    pthread_mutex_unlock(&r->mu);
    return kept;
}

static bool already_kept(dbt_runner *r, const char *abs_path)
{
    pthread_mutex_lock(&r->mu);
    bool kept = false;
    for (size_t i = 0; i < r->ndbs && !kept; i++)
        kept = strcmp(db_path(r->dbs[i]), abs_path) == 0;
    pthread_mutex_unlock(&r->mu);
    return kept;
}

/* Opens the target's database (shared through db_open's registry) and
 * keeps one reference for the runner's life, so the file stays open
 * between tasks. */
static bool runner_db(dbt_runner *r, const dbt_target *t, db **out, mlerr *err)
{
    db_options o = target_db_options(t, 10);
    if (!db_open(&o, out, err))
        return false;
    keep_db(r, &o, *out);
    return true;
}

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The DAG's target, resolved as its tasks' project load will resolve it
 * (project_cache.c): the same project dir, profiles dir, profile and
 * target, in this process's environment. */
static bool dag_target(arena *a, const dag_def *dag, dbt_target *out, mlerr *err)
{
    dbt_project_file pf;
    if (!dbt_project_file_load(a, dag->dbt.project_dir_abs, &pf, err))
        return false;
    profile_request req = {.project_dir = dag->dbt.project_dir_abs,
                           .profiles_dir = dag->dbt.profiles_dir,
                           .profile_name = dag->dbt.profile ? dag->dbt.profile : pf.profile,
                           .target_name = dag->dbt.target};
    return profile_resolve(a, &req, out, err);
}

/* Lists the DAGs' database files that are not open yet. */
static void want_dbs_of(dbt_runner *r, const dag_def *const *dags, size_t n)
{
    wanted_clear(r);
    for (size_t i = 0; i < n; i++) {
        const dag_def *dag = dags[i];
        wanted_db *w = xcalloc(1, sizeof *w);
        mlerr err = MLERR_INIT;
        bool wanted = false;
        if (!dag_target(&w->a, dag, &w->target, &err)) {
            log_error("DAG %s (%s): cannot tell which database its tasks use: %s", dag->dag_id,
                      dag->file, mlerr_message(&err));
        } else if (strcmp(w->target.abs_path, ":memory:") != 0 &&
                   !already_kept(r, w->target.abs_path)) {
            wanted = true;
            for (size_t k = 0; k < r->nwanted && wanted; k++)
                wanted = strcmp(r->wanted[k]->target.abs_path, w->target.abs_path) != 0;
        }
        mlerr_clear(&err);
        if (!wanted) {
            arena_free(&w->a);
            free(w);
            continue;
        }
        w->dag_id = arena_strdup(&w->a, dag->dag_id);
        w->dag_file = arena_strdup(&w->a, dag->file);
        r->wanted = xrealloc(r->wanted, (r->nwanted + 1) * sizeof *r->wanted);
        r->wanted[r->nwanted++] = w;
    }
}

/* Tries to open one wanted database without waiting for another process's
 * lock; true when it is held now. */
static bool open_wanted(dbt_runner *r, wanted_db *w, double now)
{
    if (now < w->retry_at)
        return false;
    db_options o = target_db_options(&w->target, 0);
    db *d = NULL;
    mlerr err = MLERR_INIT;
    bool held = false;
    if (db_open(&o, &d, &err)) {
        held = keep_db(r, &o, d);
        db_close(d);
        if (held)
            log_info("Holding database %s for DAG %s from now on: `mallard build` and the other "
                     "routed commands aimed at it run here",
                     w->target.abs_path, w->dag_id);
    } else if (!w->warned) {
        /* the first line names the file and its holder; the rest is about
         * --lock-timeout, which this open does not use */
        const char *why = mlerr_message(&err);
        int first_line = (int)strcspn(why, "\n");
        log_warn("DAG %s (%s): cannot open its database yet, trying again every %.0f s: %.*s",
                 w->dag_id, w->dag_file, REOPEN_SECONDS, first_line, why);
        w->warned = true;
    }
    mlerr_clear(&err);
    w->retry_at = now + REOPEN_SECONDS;
    return held;
}

static void dbt_dags_seen(void *ud, const dag_def *const *dags, size_t n, bool changed)
{
    dbt_runner *r = ud;
    if (changed)
        want_dbs_of(r, dags, n);
    if (r->nwanted == 0)
        return;
    double now = monotonic_now();
    size_t kept = 0;
    for (size_t i = 0; i < r->nwanted; i++) {
        wanted_db *w = r->wanted[i];
        /* a task may have opened it meanwhile */
        if (already_kept(r, w->target.abs_path) || open_wanted(r, w, now)) {
            arena_free(&w->a);
            free(w);
            continue;
        }
        r->wanted[kept++] = w;
    }
    r->nwanted = kept;
}

static bool dbt_task_graph_of(void *ud, const dag_def *dag, const dag_run *run,
                              const char *vars_yaml, arena *a, dbt_task_graph *out, mlerr *err)
{
    dbt_runner *r = ud;
    project_key k = {.dag_id = run->dag_id,
                     .run_id = run->run_id,
                     .project_dir = dag->dbt.project_dir_abs,
                     .profiles_dir = dag->dbt.profiles_dir,
                     .profile = dag->dbt.profile,
                     .target = dag->dbt.target,
                     .vars_yaml = vars_yaml};
    cached_project cp;
    bool ok = project_cache_acquire(r->projects, &k, &cp, err);
    if (ok) {
        ok = dbt_tasks_build(a, cp.p, &dag->dbt, out, err);
        project_cache_release(r->projects, &cp);
    }
    if (!ok)
        mlerr_prefix(err, "DAG %s (%s)", dag->dag_id, dag->file);
    return ok;
}

static void dbt_run_ended(void *ud, const char *dag_id, const char *run_id)
{
    dbt_runner *r = ud;
    project_cache_forget(r->projects, dag_id, run_id);
}

static void cancel_session(void *arg)
{
    exec_session_cancel(arg);
}

static work_mode mode_of(dbt_task_kind k)
{
    switch (k) {
    case DBT_TASK_RUN:
        return WORK_RUN;
    case DBT_TASK_SEED:
        return WORK_SEED;
    case DBT_TASK_TEST:
        return WORK_TEST;
    case DBT_TASK_SNAPSHOT:
    case DBT_TASK_BUILD:
        return WORK_BUILD;
    }
    return WORK_BUILD;
}

static void log_report(FILE *log, const exec_report *rep)
{
    for (int i = 0; i < rep->n; i++) {
        const exec_result *x = &rep->results[i];
        fprintf(log, "%-8s %s %s in %.2fs%s%s\n", exec_status_name(x->status),
                node_type_name(x->node->type), x->node->unique_id, x->execution_time,
                x->message ? ": " : "", x->message ? x->message : "");
    }
    fprintf(log, "finished in %.2fs, exit code %d%s\n", rep->elapsed, rep->exit_code,
            rep->interrupted ? " (interrupted)" : "");
}

static task_outcome dbt_task_run(void *ud, const task_request *req, task_ctl *ctl)
{
    dbt_runner *r = ud;
    FILE *log = fopen(req->log_path, "a");
    if (!log)
        return TASK_FAILED;
    setvbuf(log, NULL, _IOLBF, 0);
    fprintf(log, "dag %s, run %s, task %s, try %d: dbt %s", req->dag_id, req->run_id, req->task_id,
            req->try_number, dbt_task_kind_name(req->kind));
    for (size_t i = 0; i < req->nnodes; i++)
        fprintf(log, " %s", req->nodes[i]);
    fprintf(log, "%s\nvars: %s\n", req->full_refresh ? " --full-refresh" : "",
            req->vars_yaml ? req->vars_yaml : "{}");

    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    db *d = NULL;
    task_outcome outcome = TASK_FAILED;
    project_key k = {.dag_id = req->dag_id,
                     .run_id = req->run_id,
                     .project_dir = req->project_dir,
                     .profiles_dir = req->profiles_dir,
                     .profile = req->profile,
                     .target = req->target,
                     .vars_yaml = req->vars_yaml};
    cached_project cp = {0};
    if (!project_cache_acquire(r->projects, &k, &cp, &err))
        goto done;
    const project *p = cp.p;
    nodeset set = nodeset_new(&a, p->n_nodes);
    for (size_t i = 0; i < req->nnodes; i++) {
        int32_t id = project_find_id(p, req->nodes[i]);
        if (id < 0) {
            mlerr_set(&err, 2, "node %s is no longer in the project", req->nodes[i]);
            goto done;
        }
        nodeset_add(&set, (uint32_t)id);
    }
    work_plan w;
    work_plan_build(p, &set, mode_of(req->kind), &a, &w);
    if (!runner_db(r, cp.target, &d, &err))
        goto done;
    /* the project is shared with the run's other tasks: this task's flags
     * go with each render, and no compiled SQL is written into its nodes */
    exec_compile_ctx cc = {
        .p = p, .flags = project_cache_flags(&cp, req->kind, req->full_refresh), .tests_too = true};
    /* no more workers than nodes: a one-node task runs on this thread */
    int threads = r->threads < (int)w.n ? r->threads : (int)w.n;
    exec_options o = {.which = dbt_task_kind_name(req->kind),
                      .threads = threads > 0 ? threads : 1,
                      .full_refresh = req->full_refresh,
                      .mat = mat_exec_defaults(),
                      .compile = exec_compile_in_context,
                      .compile_ctx = &cc,
                      .quiet = true};
    /* Each Cosmos task is a dbt process of its own, which runs the
     * project's on-run-start and on-run-end hooks around its nodes (with
     * this task's results); a project without them pays nothing */
    if (p->on_run_start.n > 0 || p->on_run_end.n > 0)
        o.run_hooks = exec_render_run_hooks_in_context;
    o.mat.full_refresh = req->full_refresh;
    exec_session *s = exec_session_new(p, &w, d, &o);
    exec_report rep = {0};
    bool ran = false;
    if (task_ctl_watch(ctl, cancel_session, s)) {
        ran = exec_session_run(s, &a, &rep, &err);
        task_ctl_unwatch(ctl);
    }
    exec_session_free(s);
    if (ran || rep.n > 0)
        log_report(log, &rep);
    if (task_ctl_cancelled(ctl))
        outcome = TASK_INTERRUPTED;
    else if (ran && rep.exit_code == 0)
        outcome = TASK_SUCCESS;
done:
    if (err.set)
        fprintf(log, "error: %s\n", mlerr_message(&err));
    fprintf(log, "outcome: %s\n",
            outcome == TASK_SUCCESS  ? "success"
            : outcome == TASK_FAILED ? "failed"
                                     : "interrupted");
    fclose(log);
    if (d)
        db_close(d);
    project_cache_release(r->projects, &cp);
    arena_free(&a);
    mlerr_clear(&err);
    return outcome;
}

task_runner dbt_runner_iface(dbt_runner *r)
{
    return (task_runner){
        .userdata = r,
        .tasks = dbt_task_graph_of,
        .run = dbt_task_run,
        .run_ended = dbt_run_ended,
        .dags_seen = dbt_dags_seen,
    };
}
