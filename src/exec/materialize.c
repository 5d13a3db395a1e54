/* materialize: view and table plans, model set-up from a node's config, and
 * the plan executor with conflict retries (see materialize.h).  The
 * incremental planners live in materialize_incremental.c. */
#include "exec/materialize.h"
#include "exec/materialize_internal.h"

#include "util/log.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void sql_list_add(arena *a, sql_list *l, const char *sql)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        const char **items = arena_alloc(a, sizeof(*items) * cap);
        if (l->n)
            memcpy(items, l->items, sizeof(*items) * l->n);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = sql;
}

bool mat_should_full_refresh(const mat_model *m, bool full_refresh_flag)
{
    return m->full_refresh_config >= 0 ? m->full_refresh_config == 1 : full_refresh_flag;
}

/* --- statements ------------------------------------------------------------- */

const char *mat_sql_create_as(arena *a, const char *what, const relation *r, const char *sql)
{
    strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "create %s ", what);
    relation_render(&sb, r);
    /* The newline keeps a trailing "-- comment" in the model from eating
     * the closing parenthesis. */
    strbuf_addf(&sb, " as (\n%s\n)", sql);
    const char *s = arena_strdup(a, strbuf_str(&sb));
    strbuf_release(&sb);
    return s;
}

static const char *kind_word(relation_kind k)
{
    return k == REL_VIEW ? "view" : "table";
}

const char *mat_sql_drop_if_exists(arena *a, relation_kind k, const relation *r)
{
    strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "drop %s if exists ", kind_word(k));
    relation_render(&sb, r);
    /* Views may hang off the table; DuckDB does not track them, so no cascade. */
    const char *s = arena_strdup(a, strbuf_str(&sb));
    strbuf_release(&sb);
    return s;
}

static const char *rename_to(arena *a, relation_kind k, const relation *from, const char *to)
{
    strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "alter %s ", kind_word(k));
    relation_render(&sb, from);
    strbuf_adds(&sb, " rename to ");
    sql_add_ident(&sb, to);
    const char *s = arena_strdup(a, strbuf_str(&sb));
    strbuf_release(&sb);
    return s;
}

const char *mat_sql_create_schema(arena *a, const relation *r)
{
    if (!r->schema)
        return NULL;
    strbuf sb = STRBUF_INIT;
    strbuf_adds(&sb, "create schema if not exists ");
    relation s = {.database = r->database, .schema = NULL, .identifier = r->schema};
    relation_render(&sb, &s);
    const char *out = arena_strdup(a, strbuf_str(&sb));
    strbuf_release(&sb);
    return out;
}

void mat_add_hooks(arena *a, sql_list *to, const sql_list *hooks)
{
    for (size_t i = 0; i < hooks->n; i++) {
        if (hooks->items[i] && hooks->items[i][strspn(hooks->items[i], " \t\r\n")])
            sql_list_add(a, to, hooks->items[i]);
    }
}

void mat_plan_init(mat_plan *p)
{
    memset(p, 0, sizeof(*p));
    p->main = -1;
    p->main_first = -1;
}

void mat_keep_main(const mat_plan *p, const mat_exec_opts *o, mat_result *res)
{
    if (!o->keep_main || p->main < 0)
        return;
    int first = p->main_first >= 0 ? p->main_first : p->main;
    strbuf sb = STRBUF_INIT;
    for (int i = first; i <= p->main; i++) {
        if (i > first)
            strbuf_adds(&sb, ";\n\n");
        strbuf_adds(&sb, p->txn.items[i]);
    }
    res->main_sql = arena_strndup(o->keep_main, strbuf_str(&sb), sb.len);
    strbuf_release(&sb);
}

void mat_add_main(arena *a, mat_plan *p, const char *sql)
{
    p->main = (int)p->txn.n;
    sql_list_add(a, &p->txn, sql);
}

void mat_plan_view(arena *a, const mat_model *m, relation_kind existing, mat_plan *out)
{
    mat_plan_init(out);
    out->create_schema = mat_sql_create_schema(a, &m->target);
    mat_add_hooks(a, &out->before, &m->hooks.pre_outside);
    mat_add_hooks(a, &out->txn, &m->hooks.pre);
    if (existing == REL_TABLE)
        sql_list_add(a, &out->txn, mat_sql_drop_if_exists(a, REL_TABLE, &m->target));
    mat_add_main(a, out, mat_sql_create_as(a, "or replace view", &m->target, m->sql));
    mat_add_hooks(a, &out->txn, &m->hooks.post);
    mat_add_hooks(a, &out->after, &m->hooks.post_outside);
}

/* Build under a new name, swap in one transaction, drop the old one after
 * the commit.  Shared by table and by incremental's full builds.
 * Leftover intermediate and backup relations (a kill between the commit
 * and the drop) are cleared first; the executor tells us their kinds. */
void mat_plan_swap(arena *a, const mat_model *m, relation_kind existing, relation_kind leftover_tmp,
                   relation_kind leftover_backup, mat_plan *out)
{
    relation tmp = relation_suffixed(a, &m->target, "__dbt_tmp");
    relation backup = relation_suffixed(a, &m->target, "__dbt_backup");
    out->create_schema = mat_sql_create_schema(a, &m->target);
    if (leftover_tmp != REL_NONE)
        sql_list_add(a, &out->before, mat_sql_drop_if_exists(a, leftover_tmp, &tmp));
    if (leftover_backup != REL_NONE)
        sql_list_add(a, &out->before, mat_sql_drop_if_exists(a, leftover_backup, &backup));
    mat_add_hooks(a, &out->before, &m->hooks.pre_outside);
    mat_add_hooks(a, &out->txn, &m->hooks.pre);
    mat_add_main(a, out, mat_sql_create_as(a, "table", &tmp, m->sql));
    if (existing != REL_NONE)
        sql_list_add(a, &out->txn, rename_to(a, existing, &m->target, backup.identifier));
    sql_list_add(a, &out->txn, rename_to(a, REL_TABLE, &tmp, m->target.identifier));
    mat_add_hooks(a, &out->txn, &m->hooks.post);
    if (existing != REL_NONE)
        sql_list_add(a, &out->after, mat_sql_drop_if_exists(a, existing, &backup));
    mat_add_hooks(a, &out->after, &m->hooks.post_outside);
}

void mat_plan_table(arena *a, const mat_model *m, relation_kind existing, mat_plan *out)
{
    mat_plan_init(out);
    mat_plan_swap(a, m, existing, REL_NONE, REL_NONE, out);
}

/* --- a model from a node's config ----------------------------------------- */

bool mat_hooks_collect(const pnode *n, const char *key, mat_hook_text_fn fn, void *ctx, arena *a,
                       sql_list *inside, sql_list *outside, mlerr *err)
{
    jv v = jv_dict_get_str(n->config, key);
    if (v.kind == JV_UNDEFINED || v.kind == JV_NONE)
        return true;
    size_t len = v.kind == JV_LIST ? jv_list_len(v) : 1;
    for (size_t i = 0; i < len; i++) {
        jv h = v.kind == JV_LIST ? jv_list_get(v, i) : v;
        bool in_txn = true;
        if (h.kind == JV_DICT) {
            jv t = jv_dict_get_str(h, "transaction");
            in_txn = t.kind != JV_BOOL || t.u.b;
            h = jv_dict_get_str(h, "sql");
        }
        if (h.kind != JV_STRING) {
            mlerr_at(err, EXIT_HANDLED, n->original_file_path, n->line, 0,
                     "%s of %s must be SQL text, not %s", key, n->name, jv_kind_name(h));
            return false;
        }
        const char *sql = NULL;
        if (!fn(ctx, n, key, jv_str_ptr(h), a, &sql, err))
            return false;
        if (sql)
            sql_list_add(a, in_txn ? inside : outside, sql);
    }
    return true;
}

/* Hook text taken as it is: Jinja here would need a compile step. */
static bool plain_hook(void *ctx, const pnode *n, const char *key, const char *text, arena *a,
                       const char **sql, mlerr *err)
{
    if (strstr(text, "{{") || strstr(text, "{%")) {
        mlerr_at(err, EXIT_HANDLED, n->original_file_path, 0, 0,
                 "not supported yet: a %s with Jinja on %s without a compile step", key, n->name);
        return false;
    }
    *sql = text;
    return true;
}

bool mat_hooks_from_config(const pnode *n, arena *a, mat_hooks *out, mlerr *err)
{
    memset(out, 0, sizeof(*out));
    return mat_hooks_collect(n, "pre-hook", plain_hook, NULL, a, &out->pre, &out->pre_outside,
                             err) &&
           mat_hooks_collect(n, "post-hook", plain_hook, NULL, a, &out->post, &out->post_outside,
                             err);
}

static bool config_string(const pnode *n, const char *key, const char **out, mlerr *err)
{
    jv v = jv_dict_get_str(n->config, key);
    *out = NULL;
    if (v.kind == JV_UNDEFINED || v.kind == JV_NONE)
        return true;
    if (v.kind != JV_STRING) {
        mlerr_at(err, EXIT_HANDLED, n->original_file_path, n->line, 0,
                 "config '%s' of %s must be a string, not %s", key, n->name, jv_kind_name(v));
        return false;
    }
    *out = jv_str_ptr(v);
    return true;
}

/* A string or a list of strings, as unique_key and predicates are given. */
static bool config_strings(const pnode *n, const char *key, arena *a, const char *const **items,
                           size_t *count, bool *is_list, mlerr *err)
{
    jv v = jv_dict_get_str(n->config, key);
    *items = NULL;
    *count = 0;
    if (is_list)
        *is_list = false;
    if (v.kind == JV_UNDEFINED || v.kind == JV_NONE)
        return true;
    if (v.kind == JV_STRING) {
        const char **one = arena_alloc(a, sizeof(*one));
        one[0] = jv_str_ptr(v);
        *items = one;
        *count = 1;
        return true;
    }
    if (v.kind == JV_LIST) {
        size_t len = jv_list_len(v);
        const char **list = arena_alloc(a, sizeof(*list) * (len ? len : 1));
        for (size_t i = 0; i < len; i++) {
            jv item = jv_list_get(v, i);
            if (item.kind != JV_STRING) {
                mlerr_at(err, EXIT_HANDLED, n->original_file_path, n->line, 0,
                         "config '%s' of %s must hold strings, not %s", key, n->name,
                         jv_kind_name(item));
                return false;
            }
            list[i] = jv_str_ptr(item);
        }
        *items = list;
        *count = len;
        if (is_list)
            *is_list = true;
        return true;
    }
    mlerr_at(err, EXIT_HANDLED, n->original_file_path, n->line, 0,
             "config '%s' of %s must be a string or a list of strings, not %s", key, n->name,
             jv_kind_name(v));
    return false;
}

bool mat_model_from_node(const pnode *n, const char *compiled_sql, arena *a, mat_model *m,
                         mlerr *err)
{
    memset(m, 0, sizeof(*m));
    m->name = n->name;
    m->sql = compiled_sql;
    m->full_refresh_config = -1;
    m->target = (relation){.database = n->database, .schema = n->schema, .identifier = n->alias};
    const char *mat = n->materialized ? n->materialized : "view";
    if (strcmp(mat, "view") == 0)
        m->kind = MAT_VIEW;
    else if (strcmp(mat, "table") == 0)
        m->kind = MAT_TABLE;
    else if (strcmp(mat, "incremental") == 0)
        m->kind = MAT_INCREMENTAL;
    else if (strcmp(mat, "ephemeral") == 0)
        m->kind = MAT_EPHEMERAL;
    else {
        mlerr_at(err, EXIT_HANDLED, n->original_file_path, n->line, 0,
                 "not supported yet: materialized='%s' (model %s); use view, table, "
                 "incremental or ephemeral",
                 mat, n->name);
        return false;
    }

    const char *strategy = NULL;
    if (!config_string(n, "incremental_strategy", &strategy, err))
        return false;
    if (!strategy || strcmp(strategy, "delete+insert") == 0)
        m->strategy = MAT_DELETE_INSERT;
    else if (strcmp(strategy, "append") == 0)
        m->strategy = MAT_APPEND;
    else if (strcmp(strategy, "merge") == 0)
        m->strategy = MAT_MERGE;
    else {
        mlerr_at(err, EXIT_HANDLED, n->original_file_path, n->line, 0,
                 "not supported yet: incremental_strategy '%s' (model %s); use append, "
                 "delete+insert or merge",
                 strategy, n->name);
        return false;
    }

    if (!config_strings(n, "unique_key", a, &m->unique_key, &m->n_unique_key,
                        &m->unique_key_is_list, err))
        return false;
    if (!config_strings(n, "incremental_predicates", a, &m->predicates, &m->n_predicates, NULL,
                        err))
        return false;
    if (m->n_predicates == 0 &&
        !config_strings(n, "predicates", a, &m->predicates, &m->n_predicates, NULL, err))
        return false;

    const char *osc = NULL;
    if (!config_string(n, "on_schema_change", &osc, err))
        return false;
    if (!osc || strcmp(osc, "ignore") == 0)
        m->on_schema_change = MAT_OSC_IGNORE;
    else if (strcmp(osc, "fail") == 0)
        m->on_schema_change = MAT_OSC_FAIL;
    else if (strcmp(osc, "append_new_columns") == 0)
        m->on_schema_change = MAT_OSC_APPEND_NEW_COLUMNS;
    else if (strcmp(osc, "sync_all_columns") == 0)
        m->on_schema_change = MAT_OSC_SYNC_ALL_COLUMNS;
    else {
        /* dbt logs a warning and falls back to ignore. */
        log_warn("Invalid value for on_schema_change (%s) specified for %s. Setting default "
                 "value of ignore.",
                 osc, n->name);
        m->on_schema_change = MAT_OSC_IGNORE;
    }

    jv fr = jv_dict_get_str(n->config, "full_refresh");
    if (fr.kind == JV_BOOL)
        m->full_refresh_config = fr.u.b ? 1 : 0;
    else if (fr.kind != JV_UNDEFINED && fr.kind != JV_NONE) {
        mlerr_at(err, EXIT_HANDLED, n->original_file_path, n->line, 0,
                 "config 'full_refresh' of %s must be true or false, not %s", n->name,
                 jv_kind_name(fr));
        return false;
    }
    return true;
}

/* --- execution ------------------------------------------------------------ */

mat_exec_opts mat_exec_defaults(void)
{
    return (mat_exec_opts){.max_retries = 5, .backoff_ms = 20};
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Runs one statement; rows is set from DuckDB's changed-rows count. */
static bool run_one(db_conn *c, const char *sql, long long *rows, db_error *e)
{
    duckdb_result r;
    if (!db_exec(c, sql, &r, e))
        return false;
    if (rows) {
        /* CREATE TABLE AS and INSERT report a single "Count" column. */
        if (duckdb_column_count(&r) == 1 && duckdb_row_count(&r) == 1 &&
            duckdb_column_type(&r, 0) == DUCKDB_TYPE_BIGINT)
            *rows = (long long)duckdb_value_int64(&r, 0, 0);
        else
            *rows = (long long)duckdb_rows_changed(&r);
    }
    duckdb_destroy_result(&r);
    return true;
}

void mat_rollback_quietly(db_conn *c)
{
    db_error e = {0};
    db_exec(c, "rollback", NULL, &e);
    db_error_release(&e);
}

void mat_run_quietly(db_conn *c, const sql_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        db_error e = {0};
        db_exec(c, l->items[i], NULL, &e);
        db_error_release(&e);
    }
}

/* Runs statements of l from index `from` in the open transaction. */
/* The cancel flag of the step mat_with_retries is running on this thread:
 * the statement loops check it without every caller passing it down. */
static _Thread_local const atomic_bool *step_cancelled;

static bool cancelled_now(db_error *e)
{
    if (!step_cancelled || !atomic_load(step_cancelled))
        return false;
    free(e->message);
    e->kind = DB_ERR_INTERRUPT;
    e->duckdb_type = 0;
    e->message = xstrdup("INTERRUPT Error: Interrupted!");
    return true;
}

bool mat_run_list(db_conn *c, const sql_list *l, size_t from, int main, long long *rows,
                  db_error *e)
{
    for (size_t i = from; i < l->n; i++) {
        if (cancelled_now(e) || !run_one(c, l->items[i], (int)i == main ? rows : NULL, e))
            return false;
    }
    return true;
}

/* A step that may hit a transaction conflict is called again (after its
 * own rollback) until it succeeds, fails otherwise, or retries run out. */
bool mat_with_retries(db_conn *c, const char *node_name, const mat_exec_opts *o,
                      mat_retry_step step, void *ctx, int *retries, db_error *e)
{
    int max = o->max_retries > 0 ? o->max_retries : 5;
    int delay = o->backoff_ms > 0 ? o->backoff_ms : 20;
    for (int attempt = 0;; attempt++) {
        const atomic_bool *outer = step_cancelled;
        step_cancelled = o->cancelled;
        bool ok = !cancelled_now(e) && step(c, ctx, e);
        step_cancelled = outer;
        if (ok)
            return true;
        if (e->kind != DB_ERR_TRANSACTION_CONFLICT || attempt >= max)
            return false;
        (*retries)++;
        /* Jitter spreads workers that collided apart (rand() is not
         * thread-safe; the clock's nanoseconds are random enough). */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int wait = delay + (int)(now.tv_nsec % (delay / 2 + 1));
        log_warn("Transaction conflict on %s (retry %d of %d in %d ms): %s", node_name, attempt + 1,
                 max, wait, e->message);
        /* A retry that succeeds must leave no error behind for the caller. */
        db_error_release(e);
        sleep_ms(wait);
        if (delay < 2000)
            delay *= 2;
    }
}

typedef struct list_ctx {
    const sql_list *list;
} list_ctx;

static bool step_autocommit_list(db_conn *c, void *ctx, db_error *e)
{
    list_ctx *l = ctx;
    return mat_run_list(c, l->list, 0, -1, NULL, e);
}

typedef struct txn_ctx {
    const mat_plan *plan;
    long long rows;
} txn_ctx;

static bool step_transaction(db_conn *c, void *ctx, db_error *e)
{
    txn_ctx *t = ctx;
    if (!db_exec(c, "begin transaction", NULL, e))
        return false;
    if (!mat_run_list(c, &t->plan->txn, 0, t->plan->main, &t->rows, e) ||
        !db_exec(c, "commit", NULL, e)) {
        mat_rollback_quietly(c);
        return false;
    }
    return true;
}

void mat_fail_with(const db_error *e, mlerr *err)
{
    mlerr_set(err, EXIT_HANDLED, "%s", e->message ? e->message : "database error");
}

bool mat_run_plan(db_conn *c, const char *node_name, const mat_plan *p, const mat_exec_opts *o,
                  mat_result *res, mlerr *err)
{
    db_error e = {0};
    list_ctx before = {.list = &p->before};
    txn_ctx txn = {.plan = p, .rows = -1};
    list_ctx after = {.list = &p->after};
    sql_list schema = {0};
    const char *one[1] = {p->create_schema};
    if (p->create_schema && !o->schemas_exist)
        schema = (sql_list){.items = one, .n = 1, .cap = 1};
    list_ctx schema_step = {.list = &schema};
    /* dbt writes the main statement out before it runs it */
    mat_keep_main(p, o, res);
    bool ok =
        mat_with_retries(c, node_name, o, step_autocommit_list, &schema_step, &res->retries, &e) &&
        mat_with_retries(c, node_name, o, step_autocommit_list, &before, &res->retries, &e);
    if (ok && p->txn.n) {
        ok = mat_with_retries(c, node_name, o, step_transaction, &txn, &res->retries, &e);
        if (!ok)
            mat_run_quietly(c, &p->on_failure);
    }
    /* After the commit the model is built: a cancel no longer stops the
     * clean-up (a leftover backup would only be dropped by the next run). */
    mat_exec_opts after_opts = *o;
    after_opts.cancelled = NULL;
    if (ok)
        ok = mat_with_retries(c, node_name, &after_opts, step_autocommit_list, &after,
                              &res->retries, &e);
    if (!ok)
        mat_fail_with(&e, err);
    else if (p->main >= 0)
        res->rows_affected = txn.rows;
    db_error_release(&e);
    return ok;
}

bool mat_plan_swap_probed(db_conn *c, arena *a, const mat_model *m, relation_kind existing,
                          mat_plan *out, db_error *e)
{
    relation tmp = relation_suffixed(a, &m->target, "__dbt_tmp");
    relation backup = relation_suffixed(a, &m->target, "__dbt_backup");
    relation_kind left_tmp = REL_NONE, left_backup = REL_NONE;
    if (!relation_probe(c, &tmp, &left_tmp, e) || !relation_probe(c, &backup, &left_backup, e))
        return false;
    mat_plan_init(out);
    mat_plan_swap(a, m, existing, left_tmp, left_backup, out);
    return true;
}

bool mat_execute(db_conn *c, const mat_model *m, const mat_exec_opts *o, mat_result *res,
                 mlerr *err)
{
    res->rows_affected = -1;
    res->retries = 0;
    res->full_refresh = false;
    res->message = "OK";
    res->main_sql = NULL;
    if (m->kind == MAT_EPHEMERAL)
        return true;

    arena a = ARENA_INIT;
    bool ok = false;
    db_error e = {0};
    relation_kind existing = REL_NONE;
    if (m->kind == MAT_INCREMENTAL) {
        ok = mat_incremental_execute(c, &a, m, o, res, err);
        goto done;
    }
    if (!relation_probe(c, &m->target, &existing, &e)) {
        mat_fail_with(&e, err);
        goto done;
    }
    mat_plan plan;
    if (m->kind == MAT_VIEW) {
        mat_plan_view(&a, m, existing, &plan);
    } else if (!mat_plan_swap_probed(c, &a, m, existing, &plan, &e)) {
        mat_fail_with(&e, err);
        goto done;
    }
    ok = mat_run_plan(c, m->name, &plan, o, res, err);
done:
    db_error_release(&e);
    arena_free(&a);
    return ok;
}
