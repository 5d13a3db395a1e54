/* session: a work plan executed on a worker pool against one database
 * (see session.h). */
#include "exec/session.h"

#include "exec/console.h"
#include "exec/datatest.h"
#include "exec/materialize_internal.h"
#include "exec/run_results.h"
#include "exec/run_sql.h"
#include "exec/runner.h"
#include "exec/seed.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct exec_session {
    const project *p;
    const work_plan *w;
    db *d;
    exec_options o;
    int threads;
    runner *r;
    arena *worker_arenas; /* one per worker, used only by that worker */
    exec_result *results; /* per item; an item's entry is written by the one
                           * thread that runs or skips it */

    /* `lock` guards everything below. */
    pthread_mutex_t lock;
    db_conn **conns; /* per worker, set and cleared by that worker */
    int started;     /* "N of M": numbered as nodes start or are skipped */
    uint32_t *order; /* items in completion order */
    uint32_t n_order;
    bool cancelled;
    atomic_bool stop; /* read by the workers' statement loops (no lock) */
};

exec_session *exec_session_new(const project *p, const work_plan *w, db *d, const exec_options *o)
{
    exec_session *s = xcalloc(1, sizeof(*s));
    s->p = p;
    s->w = w;
    s->d = d;
    s->o = *o;
    s->o.mat.full_refresh = o->full_refresh;
    atomic_init(&s->stop, false);
    s->o.mat.cancelled = &s->stop;
    s->threads = o->threads > 0 ? o->threads : 1;
    s->worker_arenas = xcalloc((size_t)s->threads, sizeof(arena));
    s->results = xcalloc(w->n ? w->n : 1, sizeof(exec_result));
    s->conns = xcalloc((size_t)s->threads, sizeof(db_conn *));
    s->order = xmalloc(sizeof(uint32_t) * (w->n ? w->n : 1));
    pthread_mutex_init(&s->lock, NULL);
    mlerr err = MLERR_INIT;
    if (!runner_new(&w->graph, &s->r, &err)) {
        /* A work plan comes from an acyclic project graph; a cycle here
         * is a bug upstream, said plainly. */
        log_error("internal error: %s", mlerr_message(&err));
        mlerr_clear(&err);
    }
    for (uint32_t i = 0; i < w->n; i++) {
        exec_result *r = &s->results[i];
        r->node = &p->nodes[w->node_of[i]];
        r->status = EXEC_SKIPPED;
        r->thread = -1;
        r->rows_affected = -1;
        r->failures = -1;
    }
    return s;
}

void exec_session_free(exec_session *s)
{
    if (!s)
        return;
    runner_free(s->r);
    for (int i = 0; i < s->threads; i++)
        arena_free(&s->worker_arenas[i]);
    free(s->worker_arenas);
    free(s->results);
    free(s->conns);
    free(s->order);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void exec_session_cancel(exec_session *s)
{
    pthread_mutex_lock(&s->lock);
    s->cancelled = true;
    pthread_mutex_unlock(&s->lock);
    atomic_store(&s->stop, true);
    if (s->r)
        runner_cancel(s->r);
}

/* --- worker callbacks ---------------------------------------------------------- */

static bool on_worker_start(void *ctx, int worker, mlerr *err)
{
    exec_session *s = ctx;
    db_conn *c = NULL;
    /* dbt's worker threads, as its log file names them */
    char name[32];
    snprintf(name, sizeof name, "Thread-%d (worker)", worker + 1);
    log_set_thread_name(name);
    if (!db_connect(s->d, &c, err))
        return false;
    pthread_mutex_lock(&s->lock);
    s->conns[worker] = c;
    pthread_mutex_unlock(&s->lock);
    return true;
}

static void on_worker_stop(void *ctx, int worker)
{
    exec_session *s = ctx;
    pthread_mutex_lock(&s->lock);
    db_conn *c = s->conns[worker];
    s->conns[worker] = NULL;
    pthread_mutex_unlock(&s->lock);
    db_disconnect(c);
    log_set_thread_name(NULL);
}

/* Called with the runner's lock held while the item runs on `worker`, so
 * its connection is alive. */
static void on_interrupt(void *ctx, uint32_t item, int worker)
{
    exec_session *s = ctx;
    /* Interrupts come only from a cancel or --fail-fast, which stop every
     * node: also stop the ones between two statements. */
    atomic_store(&s->stop, true);
    pthread_mutex_lock(&s->lock);
    db_conn *c = s->conns[worker];
    pthread_mutex_unlock(&s->lock);
    if (c)
        db_interrupt(c);
}

static int next_index(exec_session *s)
{
    pthread_mutex_lock(&s->lock);
    int i = ++s->started;
    pthread_mutex_unlock(&s->lock);
    return i;
}

static void finished(exec_session *s, uint32_t item)
{
    pthread_mutex_lock(&s->lock);
    s->order[s->n_order++] = item;
    pthread_mutex_unlock(&s->lock);
}

static void on_skipped(void *ctx, uint32_t item, const runner_result *rr)
{
    exec_session *s = ctx;
    exec_result *r = &s->results[item];
    r->status = EXEC_SKIPPED;
    r->fail_fast_skip = rr->skip_reason == RUNNER_SKIP_FAIL_FAST;
    r->relation_name = r->node->relation_name;
    finished(s, item);
    /* dbt prints a SKIP line for nodes below a failure, not for the ones a
     * cancel or --fail-fast left behind. */
    if (rr->skip_reason == RUNNER_SKIP_UPSTREAM && !s->o.quiet) {
        arena a = ARENA_INIT;
        log_info("%s",
                 console_result_line(&a, r, next_index(s), (int)s->w->n, log_color_enabled()));
        arena_free(&a);
    }
}

static void set_error(exec_result *r, arena *a, const mlerr *err)
{
    r->status = EXEC_ERROR;
    r->message = arena_strdup(a, err->set ? mlerr_message(err) : "failed");
}

/* Copies the result's strings that may point into the item's scratch arena. */
static void keep_result_strings(exec_result *r, arena *keep)
{
    r->message = r->message ? arena_strdup(keep, r->message) : NULL;
    r->adapter_message = r->adapter_message ? arena_strdup(keep, r->adapter_message) : NULL;
    r->compiled_code = r->compiled_code ? arena_strdup(keep, r->compiled_code) : NULL;
    /* a test's audit table is named in the scratch arena */
    r->relation_name = r->relation_name ? arena_strdup(keep, r->relation_name) : NULL;
}

/* target/run/: a file that cannot be written is worth a warning, not the
 * node (it ran). */
static void write_run_sql(exec_session *s, const pnode *n, const char *sql)
{
    log_file_msg(LOG_DEBUG, "Writing runtime SQL for node \"%s\"", n->unique_id);
    mlerr err = MLERR_INIT;
    if (!run_sql_write(s->p, n, sql, &err))
        log_warn("%s", mlerr_message(&err));
    mlerr_clear(&err);
}

static runner_outcome run_item(void *ctx, uint32_t item, int worker)
{
    exec_session *s = ctx;
    exec_result *r = &s->results[item];
    const pnode *n = r->node;
    /* The node's compile (a whole Jinja render) and execution allocate into
     * a scratch arena freed at the end; only the result's strings move to
     * the worker's arena, which lives until the report.  Otherwise every
     * render stayed until the end: ~40 KB a model, hundreds of MB at 10k. */
    arena scratch = ARENA_INIT;
    arena *a = &scratch;
    pthread_mutex_lock(&s->lock);
    db_conn *c = s->conns[worker];
    pthread_mutex_unlock(&s->lock);
    r->thread = worker;
    r->relation_name = n->type == NODE_TEST ? NULL : n->relation_name;
    int index = next_index(s);
    bool color = log_color_enabled();
    if (!s->o.quiet)
        log_info("%s", console_start_line(a, n, index, (int)s->w->n, color));
    log_file_msg(LOG_DEBUG, "Began running node %s", n->unique_id);
    const char *outer_owner = log_statement_owner();
    log_set_statement_owner(n->unique_id);
    /* the main statement is copied into the scratch arena for target/run/ */
    mat_exec_opts mo = s->o.mat;
    mo.keep_main = a;
    const char *main_sql = NULL;

    mlerr err = MLERR_INIT;
    const char *sql = n->compiled_code;
    mat_hooks hooks = {0};
    clock_gettime(CLOCK_REALTIME, &r->compile.started_at);
    bool ok = true;
    if (n->type == NODE_MODEL || n->type == NODE_TEST) {
        if (s->o.compile)
            ok = s->o.compile(s->o.compile_ctx, n, c, a, &sql, &hooks, &err);
        else
            ok = mat_hooks_from_config(n, a, &hooks, &err);
        if (ok && !sql) {
            mlerr_at(&err, EXIT_HANDLED, n->original_file_path, 0, 0, "%s %s was not compiled",
                     node_type_name(n->type), n->name);
            ok = false;
        }
    } else if (n->type == NODE_SEED) {
        ok = s->o.compile ? s->o.compile(s->o.compile_ctx, n, c, a, &sql, &hooks, &err)
                          : mat_hooks_from_config(n, a, &hooks, &err);
    }
    clock_gettime(CLOCK_REALTIME, &r->compile.completed_at);
    r->compiled_code = sql;

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_REALTIME, &r->execute.started_at);
    if (!ok) {
        set_error(r, a, &err);
    } else if (n->type == NODE_MODEL) {
        mat_model m;
        mat_result mr;
        if (!mat_model_from_node(n, sql, a, &m, &err)) {
            set_error(r, a, &err);
        } else {
            m.hooks = hooks;
            bool turn = n->relation_name != NULL;
            if (turn)
                db_relation_turn_begin(s->d, n->relation_name);
            bool built = mat_execute(c, &m, &mo, &mr, &err);
            main_sql = mr.main_sql;
            if (turn)
                db_relation_turn_end(s->d, n->relation_name);
            if (built) {
                r->status = EXEC_SUCCESS;
                r->message = mr.message;
                r->adapter_message = mr.message;
                r->rows_affected = mr.rows_affected;
            } else {
                set_error(r, a, &err);
            }
        }
    } else if (n->type == NODE_SEED) {
        seed_spec spec;
        seed_result sr;
        if (!seed_spec_from_node(n, a, &spec, &err)) {
            set_error(r, a, &err);
        } else {
            spec.hooks = hooks;
            bool turn = n->relation_name != NULL;
            if (turn)
                db_relation_turn_begin(s->d, n->relation_name);
            bool loaded = seed_load(c, &spec, s->o.full_refresh, &mo, a, &sr, &err);
            main_sql = sr.main_sql;
            if (turn)
                db_relation_turn_end(s->d, n->relation_name);
            if (loaded) {
                r->status = EXEC_SUCCESS;
                r->message = sr.message;
                r->adapter_message = sr.message;
                r->rows_affected = sr.rows;
            } else {
                set_error(r, a, &err);
            }
        }
    } else if (n->type == NODE_TEST) {
        test_config tc;
        test_outcome to;
        to.main_sql = NULL;
        if (!test_config_from_node(n, s->o.store_failures, &tc, &err) ||
            !test_execute(c, n->name, sql, &tc, &mo, a, &to, &err)) {
            set_error(r, a, &err);
        } else {
            main_sql = to.main_sql;
            static const exec_status map[] = {EXEC_PASS, EXEC_WARN, EXEC_FAIL, EXEC_ERROR};
            r->status = map[to.status];
            r->message = to.message;
            r->failures = to.status == TEST_ERROR ? -1 : to.failures;
            /* dbt names the audit table as the test's relation; the end
             * summary points at it ("See test failures") */
            r->relation_name = to.stored_in;
        }
    } else {
        mlerr_at(&err, EXIT_HANDLED, n->original_file_path, 0, 0, "not supported yet: %ss (%s)",
                 node_type_name(n->type), n->name);
        set_error(r, a, &err);
    }
    clock_gettime(CLOCK_REALTIME, &r->execute.completed_at);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->execution_time = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    mlerr_clear(&err);
    if (main_sql && s->o.write_run_sql)
        write_run_sql(s, n, main_sql);
    if (!s->o.quiet)
        log_info("%s", console_result_line(a, r, index, (int)s->w->n, color));
    log_set_statement_owner(outer_owner);
    log_file_msg(LOG_DEBUG, "Finished running node %s", n->unique_id);
    keep_result_strings(r, &s->worker_arenas[worker]);
    arena_free(&scratch);
    finished(s, item);
    return r->status == EXEC_ERROR || r->status == EXEC_FAIL ? RUNNER_FAILED : RUNNER_OK;
}

/* --- the run ------------------------------------------------------------------- */

static bool run_statements(db_conn *c, const sql_list *stmts, const char *what, mlerr *err)
{
    for (size_t i = 0; i < stmts->n; i++) {
        db_error e = {0};
        bool ok = db_exec(c, stmts->items[i], NULL, &e);
        if (!ok)
            mlerr_set(err, EXIT_HANDLED, "%s statement %zu failed: %s", what, i + 1, e.message);
        db_error_release(&e);
        if (!ok)
            return false;
    }
    return true;
}

static bool run_hooks(exec_session *s, const sql_list *hooks, const char *what, mlerr *err)
{
    if (hooks->n == 0)
        return true;
    db_conn *c = NULL;
    if (!db_connect(s->d, &c, err))
        return false;
    bool ok = run_statements(c, hooks, what, err);
    db_disconnect(c);
    return ok;
}

/* on-run-start (results NULL) or on-run-end: the given SQL and the
 * project's rendered hooks, each announced as dbt does ("Running 1
 * on-run-end hook", then START and OK lines per hook). */
static bool run_project_hooks(exec_session *s, bool at_end, const exec_result *results, int n,
                              mlerr *err)
{
    const sql_list *given = at_end ? &s->o.on_run_end : &s->o.on_run_start;
    const char *what = at_end ? "on-run-end" : "on-run-start";
    if (given->n == 0 && !s->o.run_hooks)
        return true;
    db_conn *c = NULL;
    if (!db_connect(s->d, &c, err))
        return false;
    arena a = ARENA_INIT;
    sql_list stmts = {0};
    for (size_t i = 0; i < given->n; i++)
        sql_list_add(&a, &stmts, given->items[i]);
    bool ok =
        !s->o.run_hooks || s->o.run_hooks(s->o.compile_ctx, at_end, results, n, c, &a, &stmts, err);
    if (ok && stmts.n && !s->o.quiet) {
        log_info("Running %zu %s hook%s", stmts.n, what, stmts.n == 1 ? "" : "s");
        for (size_t i = 0; i < stmts.n && ok; i++) {
            const char *name = arena_printf(&a, "%s.%s.%zu", s->p->name, what, i);
            const char *start = arena_printf(&a, "START hook: %s", name);
            log_info("%s", console_fancy_line(&a, start, "RUN", (int)i + 1, (int)stmts.n, -1));
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            db_error e = {0};
            ok = db_exec(c, stmts.items[i], NULL, &e);
            if (!ok)
                mlerr_set(err, EXIT_HANDLED, "%s hook %s failed: %s", what, name, e.message);
            db_error_release(&e);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
            const char *end = arena_printf(&a, "%s hook: %s", ok ? "OK" : "ERROR", name);
            log_info("%s", console_fancy_line(&a, end, ok ? "OK" : "ERROR", (int)i + 1,
                                              (int)stmts.n, secs));
        }
        log_info("%s", "");
    } else if (ok) {
        ok = run_statements(c, &stmts, what, err);
    }
    arena_free(&a);
    db_disconnect(c);
    return ok;
}

/* dbt creates every schema the run writes to before the first node, on
 * one connection: done in parallel, "create schema if not exists" from
 * several workers collides in DuckDB's catalog (and is retried). */
static bool create_schemas(exec_session *s, mlerr *err)
{
    arena a = ARENA_INIT;
    sql_list stmts = {0};
    for (uint32_t i = 0; i < s->w->n; i++) {
        const pnode *n = s->results[i].node;
        relation r = {.database = n->database, .schema = n->schema, .identifier = n->alias};
        if (n->type == NODE_TEST) {
            /* dbt counts a test that stores its failures as relational:
             * its audit schema is made here too, not by racing tests */
            test_config tc;
            mlerr terr = MLERR_INIT;
            bool stores =
                test_config_from_node(n, s->o.store_failures, &tc, &terr) && tc.store_failures;
            mlerr_clear(&terr); /* a bad config is the test's own error, later */
            if (!stores)
                continue;
            r = tc.audit;
        } else if (n->type != NODE_MODEL && n->type != NODE_SEED && n->type != NODE_SNAPSHOT) {
            continue;
        }
        const char *sql = mat_sql_create_schema(&a, &r);
        bool seen = !sql;
        for (size_t k = 0; k < stmts.n && !seen; k++)
            seen = strcmp(stmts.items[k], sql) == 0;
        if (!seen)
            sql_list_add(&a, &stmts, sql);
    }
    bool ok = run_hooks(s, &stmts, "create schema", err);
    arena_free(&a);
    /* Workers skip their own "create schema if not exists" from now on. */
    s->o.mat.schemas_exist = ok;
    return ok;
}

static exec_result *copy_results(exec_session *s, arena *a, int *n_out)
{
    uint32_t n = s->w->n;
    exec_result *out = ARENA_NEW_ARRAY(a, exec_result, n ? n : 1);
    bool *listed = xcalloc(n ? n : 1, sizeof(bool));
    int k = 0;
    for (uint32_t i = 0; i < s->n_order; i++) {
        out[k++] = s->results[s->order[i]];
        listed[s->order[i]] = true;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!listed[i])
            out[k++] = s->results[i];
    }
    free(listed);
    for (int i = 0; i < k; i++) {
        exec_result *r = &out[i];
        r->message = r->message ? arena_strdup(a, r->message) : NULL;
        r->adapter_message = r->adapter_message ? arena_strdup(a, r->adapter_message) : NULL;
        r->compiled_code = r->compiled_code ? arena_strdup(a, r->compiled_code) : NULL;
        r->relation_name = r->relation_name ? arena_strdup(a, r->relation_name) : NULL;
    }
    *n_out = k;
    return out;
}

bool exec_session_run(exec_session *s, arena *a, exec_report *out, mlerr *err)
{
    memset(out, 0, sizeof(*out));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool ok = s->r != NULL;
    if (!ok)
        mlerr_set(err, EXIT_SETUP, "internal error: the work plan is not a DAG");
    /* dbt's name for the connection of the run's own statements */
    const char *outer_owner = log_statement_owner();
    log_set_statement_owner("master");
    if (ok)
        ok = create_schemas(s, err) && run_project_hooks(s, false, NULL, 0, err);
    if (ok) {
        runner_opts ro = {.threads = s->threads, .fail_fast = s->o.fail_fast};
        runner_callbacks cb = {.ctx = s,
                               .worker_start = on_worker_start,
                               .worker_stop = on_worker_stop,
                               .run = run_item,
                               .interrupt = on_interrupt,
                               .skipped = on_skipped};
        ok = runner_run(s->r, &ro, &cb, err);
    }
    pthread_mutex_lock(&s->lock);
    bool interrupted = s->cancelled;
    pthread_mutex_unlock(&s->lock);
    out->results = copy_results(s, a, &out->n);
    if (ok && !interrupted)
        ok = run_project_hooks(s, true, out->results, out->n, err);
    log_set_statement_owner(outer_owner);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    out->elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    out->interrupted = interrupted;
    out->exit_code = 0;
    for (int i = 0; i < out->n; i++) {
        if (out->results[i].status == EXEC_ERROR || out->results[i].status == EXEC_FAIL)
            out->exit_code = 1;
    }
    if (interrupted || !ok)
        out->exit_code = 2;
    if (!s->o.quiet)
        console_print_run_end(out->results, out->n, out->elapsed, interrupted);
    if (s->o.write_run_results) {
        mlerr werr = MLERR_INIT;
        if (!run_results_write(s->p, out->results, out->n, out->elapsed, s->o.which, s->threads,
                               &werr)) {
            log_error("%s", mlerr_message(&werr));
            if (ok) {
                mlerr_set(err, EXIT_SETUP, "%s", mlerr_message(&werr));
                ok = false;
                out->exit_code = 2;
            }
        }
        mlerr_clear(&werr);
    }
    return ok;
}
