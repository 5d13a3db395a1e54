/* run_common: the shared body of build/run/seed/test (see run_common.h). */
#include "cli/run_common.h"

#include "cli/project_summary.h"
#include "cli/setup.h"
#include "engine/advert.h"
#include "engine/database.h"
#include "engine/preopen.h"
#include "exec/runtime_compile.h"
#include "exec/session.h"
#include "exec/sigwatch.h"
#include "project/compile.h"
#include "project/dbt_context.h"
#include "project/manifest.h"
#include "util/jobctx.h"
#include "util/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The session the signal watcher cancels; NULL before it exists and after
 * it is freed. */
typedef struct cancel_target {
    pthread_mutex_t lock;
    exec_session *session;
} cancel_target;

static void on_signal(void *ctx, int signo)
{
    (void)signo;
    cancel_target *t = ctx;
    pthread_mutex_lock(&t->lock);
    if (t->session)
        exec_session_cancel(t->session);
    pthread_mutex_unlock(&t->lock);
}

/* Everything a run does before it needs the database: load the project,
 * select, compile (target/compiled, every node's errors up front; models
 * are rendered again on their worker) and plan.  It runs on a helper
 * thread while the database opens, so it owns nothing the opening thread
 * touches: its own mlerr, and the arena only it uses until it returns. */
typedef struct project_phase {
    const cli_project *cp;
    const run_args *ra;
    const char *which;
    work_mode mode;
    arena *a;
    project *p;
    work_plan w;
    bool ok;
    mlerr err;
} project_phase;

static void project_phase_run(void *arg)
{
    project_phase *pp = arg;
    const run_args *ra = pp->ra;
    nodeset selected;
    if (!cli_project_load(pp->cp, ra->vars, &pp->p, &pp->err))
        return;
    cli_log_found(pp->p);
    if (!cli_select_nodes(&ra->sel, pp->p, pp->a, &selected, &pp->err))
        return;
    dbt_env_set_flags(pp->p->env, pp->which, ra->full_refresh, ra->store_failures);
    dbt_env_set_empty(pp->p->env, ra->empty);
    if (!project_compile(pp->p, &selected, true, &pp->err) || !manifest_write(pp->p, &pp->err))
        return;
    work_plan_build(pp->p, &selected, pp->mode, pp->a, &pp->w);
    pp->ok = true;
}

int run_command(const char *which, work_mode mode, const run_args *ra, cli_globals *g, int argc,
                const char **argv)
{
    if (argc > 0) {
        job_eprintf("mallard %s: unexpected argument '%s'\n", which, argv[0]);
        job_eprintf("  hint: select nodes with -s/--select, as in 'mallard %s -s %s'\n", which,
                    argv[0]);
        return EXIT_SETUP;
    }
    mlerr err = MLERR_INIT;
    /* dbt takes --empty on run and build (and compile); seed only from
     * dbt 1.12, and test not at all. */
    if (ra->empty && mode != WORK_BUILD && mode != WORK_RUN) {
        mlerr_set(&err, EXIT_SETUP,
                  "not supported yet: --empty with '%s' (dbt takes it on run and build)", which);
        int rc = cli_fail(&err);
        mlerr_clear(&err);
        return rc;
    }
    arena a = ARENA_INIT;
    cli_project cp;
    project *p = NULL;
    int rc = EXIT_OK;
    sigwatch *watch = NULL;
    db *d = NULL;
    exec_session *s = NULL;
    db_early early = {0};
    cancel_target target = {.lock = PTHREAD_MUTEX_INITIALIZER};
    /* the log file first: the project takes its invocation id */
    if (!cli_setup_project(g, &a, &cp, &err) || !cli_log_start(g, &cp, &err))
        goto fail;
    db_options dopt = cli_target_db_options(&cp.target, g->lock_timeout);
    /* others aimed at this file are told a Mallard build holds it (this
     * process takes no jobs, so they wait for the lock); a job routed to
     * us runs under its owner's advertisement */
    if (!job_current())
        advert_set_self(&(advert_self){.command = which});
    /* the project loads and compiles while DuckDB opens (engine/preopen.h) */
    project_phase pp = {
        .cp = &cp,
        .ra = ra,
        .which = which,
        .mode = mode,
        .a = &a,
        .err = MLERR_INIT,
    };
    early = db_open_beside(&dopt, project_phase_run, &pp);
    p = pp.p;
    if (!pp.ok) {
        mlerr_clear(&err);
        err = pp.err; /* the phase's error, moved */
        goto fail;
    }
    int threads = ra->threads > 0 ? ra->threads : cp.target.threads;
    if (threads < 1)
        threads = 1;
    work_plan w = pp.w;

    exec_options o = {
        .which = which,
        .threads = threads,
        .fail_fast = ra->fail_fast,
        .full_refresh = ra->full_refresh,
        .store_failures = ra->store_failures,
        .mat = mat_exec_defaults(),
        .compile = exec_compile_at_run_time,
        .compile_ctx = p,
        .run_hooks = exec_render_run_hooks,
        .write_run_results = true,
        .write_run_sql = true,
    };

    /* before db_open: DuckDB's threads must inherit the blocked signals */
    if (!sigwatch_start(on_signal, &target, &watch, &err))
        goto fail;
    d = early.d;
    early.d = NULL;
    if (!d && !db_open(&dopt, &d, &err))
        goto fail;
    log_info("Concurrency: %d threads (target='%s')", threads,
             cp.target.target_name ? cp.target.target_name : "dev");
    s = exec_session_new(p, &w, d, &o);
    pthread_mutex_lock(&target.lock);
    target.session = s;
    pthread_mutex_unlock(&target.lock);
    /* a Ctrl-C (or a routed job's cancel) that came before the session
     * existed had nothing to cancel yet */
    if (sigwatch_received(watch))
        exec_session_cancel(s);
    exec_report rep;
    memset(&rep, 0, sizeof(rep));
    bool ran = exec_session_run(s, &a, &rep, &err);
    pthread_mutex_lock(&target.lock);
    target.session = NULL;
    pthread_mutex_unlock(&target.lock);
    rc = rep.exit_code;
    if (!ran) {
        log_error("%s", err.set ? strbuf_str(&err.msg) : "the run failed");
        rc = EXIT_SETUP;
    }
    goto done;
fail:
    db_early_discard(&early);
    rc = cli_fail(&err);
done:
    if (s)
        exec_session_free(s);
    if (watch && sigwatch_stop(watch) != 0)
        rc = EXIT_SETUP;
    if (d)
        db_close(d);
    project_free(p);
    mlerr_clear(&err);
    arena_free(&a);
    return rc;
}
