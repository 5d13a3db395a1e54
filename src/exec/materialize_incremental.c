/* materialize_incremental: the incremental materialization -- full builds,
 * staging into a temporary table, on_schema_change and the append,
 * delete+insert and merge strategies (see materialize.h). */
#include "exec/materialize.h"
#include "exec/materialize_internal.h"

#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

relation mat_incremental_temp(arena *a, const mat_model *m)
{
    return (relation){.database = "temp",
                      .schema = "main",
                      .identifier = arena_printf(a, "%s__dbt_tmp", m->target.identifier)};
}

static const char *sb_done(arena *a, strbuf *sb)
{
    const char *s = arena_strdup(a, strbuf_str(sb));
    strbuf_release(sb);
    return s;
}

bool mat_plan_incremental_build(arena *a, const mat_model *m, relation_kind existing,
                                bool full_refresh_flag, mat_plan *out)
{
    mat_plan_init(out);
    if (existing == REL_NONE) {
        out->create_schema = mat_sql_create_schema(a, &m->target);
        mat_add_hooks(a, &out->before, &m->hooks.pre_outside);
        mat_add_hooks(a, &out->txn, &m->hooks.pre);
        mat_add_main(a, out, mat_sql_create_as(a, "table", &m->target, m->sql));
        mat_add_hooks(a, &out->txn, &m->hooks.post);
        mat_add_hooks(a, &out->after, &m->hooks.post_outside);
        return true;
    }
    if (existing == REL_VIEW || mat_should_full_refresh(m, full_refresh_flag)) {
        mat_plan_swap(a, m, existing, REL_NONE, REL_NONE, out);
        return true;
    }
    /* Stage: the temporary table is per connection, so two workers never
     * see each other's; a leftover from a failed run on this connection
     * is dropped first. */
    relation tmp = mat_incremental_temp(a, m);
    const char *drop = mat_sql_drop_if_exists(a, REL_TABLE, &tmp);
    sql_list_add(a, &out->before, drop);
    mat_add_hooks(a, &out->before, &m->hooks.pre_outside);
    mat_add_hooks(a, &out->txn, &m->hooks.pre);
    relation bare = {.identifier = tmp.identifier};
    sql_list_add(a, &out->txn, mat_sql_create_as(a, "temporary table", &bare, m->sql));
    sql_list_add(a, &out->after, drop);
    mat_add_hooks(a, &out->after, &m->hooks.post_outside);
    sql_list_add(a, &out->on_failure, drop);
    return false;
}

/* --- schema changes ----------------------------------------------------------- */

static const column_info *find_column(const column_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcasecmp(l->items[i].name, name) == 0)
            return &l->items[i];
    }
    return NULL;
}

static void add_names(strbuf *sb, const column_list *cols, const column_list *missing_from,
                      bool types_differ)
{
    bool first = true;
    for (size_t i = 0; i < cols->n; i++) {
        const column_info *other = find_column(missing_from, cols->items[i].name);
        bool listed =
            types_differ ? (other && strcasecmp(other->type, cols->items[i].type) != 0) : !other;
        if (!listed)
            continue;
        strbuf_addf(sb, "%s%s", first ? "" : ", ", cols->items[i].name);
        if (types_differ)
            strbuf_addf(sb, " (%s -> %s)", other->type, cols->items[i].type);
        first = false;
    }
    if (first)
        strbuf_adds(sb, "none");
}

static void add_column_csv(strbuf *sb, const column_list *cols, const char *prefix)
{
    for (size_t i = 0; i < cols->n; i++) {
        if (i)
            strbuf_adds(sb, ", ");
        if (prefix)
            strbuf_addf(sb, "%s.", prefix);
        sql_add_ident(sb, cols->items[i].name);
    }
}

/* dbt's process_schema_changes: returns the columns the strategy writes. */
static bool plan_schema_changes(arena *a, const mat_model *m, const column_list *target,
                                const column_list *source, mat_plan *out, const column_list **dest,
                                mlerr *err)
{
    bool added = false, removed = false, retyped = false;
    for (size_t i = 0; i < source->n; i++) {
        const column_info *t = find_column(target, source->items[i].name);
        if (!t)
            added = true;
        else if (strcasecmp(t->type, source->items[i].type) != 0)
            retyped = true;
    }
    for (size_t i = 0; i < target->n; i++) {
        if (!find_column(source, target->items[i].name))
            removed = true;
    }
    *dest = target;
    if (m->on_schema_change == MAT_OSC_IGNORE || !(added || removed || retyped))
        return true;
    if (m->on_schema_change == MAT_OSC_FAIL) {
        strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb,
                    "The source and target schemas on this incremental model (%s) are out of "
                    "sync!\n  Source columns not in target: ",
                    m->name);
        add_names(&sb, source, target, false);
        strbuf_adds(&sb, "\n  Target columns not in source: ");
        add_names(&sb, target, source, false);
        strbuf_adds(&sb, "\n  New column types: ");
        add_names(&sb, source, target, true);
        mlerr_set(err, EXIT_HANDLED, "%s", strbuf_str(&sb));
        mlerr_hint(err, "set on_schema_change to append_new_columns or sync_all_columns, or "
                        "re-run with --full-refresh");
        strbuf_release(&sb);
        return false;
    }
    for (size_t i = 0; i < source->n; i++) {
        if (find_column(target, source->items[i].name))
            continue;
        strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "alter table ");
        relation_render(&sb, &m->target);
        strbuf_adds(&sb, " add column ");
        sql_add_ident(&sb, source->items[i].name);
        strbuf_addf(&sb, " %s", source->items[i].type);
        sql_list_add(a, &out->txn, sb_done(a, &sb));
    }
    if (m->on_schema_change == MAT_OSC_SYNC_ALL_COLUMNS) {
        for (size_t i = 0; i < target->n; i++) {
            if (find_column(source, target->items[i].name))
                continue;
            strbuf sb = STRBUF_INIT;
            strbuf_adds(&sb, "alter table ");
            relation_render(&sb, &m->target);
            strbuf_adds(&sb, " drop column ");
            sql_add_ident(&sb, target->items[i].name);
            sql_list_add(a, &out->txn, sb_done(a, &sb));
        }
        for (size_t i = 0; i < source->n; i++) {
            const column_info *t = find_column(target, source->items[i].name);
            if (!t || strcasecmp(t->type, source->items[i].type) == 0)
                continue;
            strbuf sb = STRBUF_INIT;
            strbuf_adds(&sb, "alter table ");
            relation_render(&sb, &m->target);
            strbuf_adds(&sb, " alter column ");
            sql_add_ident(&sb, t->name);
            strbuf_addf(&sb, " type %s", source->items[i].type);
            sql_list_add(a, &out->txn, sb_done(a, &sb));
        }
    }
    /* After the changes the target holds every source column. */
    *dest = source;
    return true;
}

/* --- strategies --------------------------------------------------------------- */

static const char *insert_from(arena *a, const mat_model *m, const relation *src,
                               const column_list *cols)
{
    strbuf sb = STRBUF_INIT;
    strbuf_adds(&sb, "insert into ");
    relation_render(&sb, &m->target);
    strbuf_adds(&sb, " (");
    add_column_csv(&sb, cols, NULL);
    strbuf_adds(&sb, ")\n    (select ");
    add_column_csv(&sb, cols, NULL);
    strbuf_adds(&sb, " from ");
    relation_render(&sb, src);
    strbuf_adds(&sb, ")");
    return sb_done(a, &sb);
}

static void add_predicates(strbuf *sb, const mat_model *m)
{
    for (size_t i = 0; i < m->n_predicates; i++)
        strbuf_addf(sb, "\n        and %s", m->predicates[i]);
}

/* dbt's delete+insert: a list key joins on every column; a string key (an
 * expression as written) deletes by tuple membership. */
static const char *delete_matching(arena *a, const mat_model *m, const relation *src)
{
    strbuf sb = STRBUF_INIT;
    strbuf_adds(&sb, "delete from ");
    relation_render(&sb, &m->target);
    if (m->unique_key_is_list) {
        strbuf_adds(&sb, " as DBT_INCREMENTAL_TARGET\n    using ");
        relation_render(&sb, src);
        strbuf_adds(&sb, "\n    where (");
        for (size_t i = 0; i < m->n_unique_key; i++) {
            strbuf_addf(&sb, "%s\n        ", i ? " and" : "");
            relation_render(&sb, src);
            strbuf_addf(&sb, ".%s = DBT_INCREMENTAL_TARGET.%s", m->unique_key[i], m->unique_key[i]);
        }
        add_predicates(&sb, m);
        strbuf_adds(&sb, "\n    )");
    } else {
        strbuf_addf(&sb, "\n    where (%s) in (select (%s) from ", m->unique_key[0],
                    m->unique_key[0]);
        relation_render(&sb, src);
        strbuf_adds(&sb, ")");
        add_predicates(&sb, m);
    }
    return sb_done(a, &sb);
}

static const char *merge_into(arena *a, const mat_model *m, const relation *src,
                              const column_list *cols)
{
    strbuf sb = STRBUF_INIT;
    strbuf_adds(&sb, "merge into ");
    relation_render(&sb, &m->target);
    strbuf_adds(&sb, " as DBT_INTERNAL_DEST\n    using ");
    relation_render(&sb, src);
    strbuf_adds(&sb, " as DBT_INTERNAL_SOURCE\n    on (");
    size_t n_conditions = 0;
    for (size_t i = 0; i < m->n_predicates; i++)
        strbuf_addf(&sb, "%s%s", n_conditions++ ? " and " : "", m->predicates[i]);
    for (size_t i = 0; i < m->n_unique_key; i++)
        strbuf_addf(&sb, "%sDBT_INTERNAL_SOURCE.%s = DBT_INTERNAL_DEST.%s",
                    n_conditions++ ? " and " : "", m->unique_key[i], m->unique_key[i]);
    if (n_conditions == 0)
        strbuf_adds(&sb, "FALSE");
    strbuf_adds(&sb, ")\n");
    if (m->n_unique_key) {
        strbuf_adds(&sb, "    when matched then update set ");
        for (size_t i = 0; i < cols->n; i++) {
            if (i)
                strbuf_adds(&sb, ", ");
            sql_add_ident(&sb, cols->items[i].name);
            strbuf_adds(&sb, " = DBT_INTERNAL_SOURCE.");
            sql_add_ident(&sb, cols->items[i].name);
        }
        strbuf_addc(&sb, '\n');
    }
    strbuf_adds(&sb, "    when not matched then insert (");
    add_column_csv(&sb, cols, NULL);
    strbuf_adds(&sb, ")\n    values (");
    add_column_csv(&sb, cols, "DBT_INTERNAL_SOURCE");
    strbuf_adds(&sb, ")");
    return sb_done(a, &sb);
}

bool mat_plan_incremental_apply(arena *a, const mat_model *m, const column_list *target_cols,
                                const column_list *temp_cols, mat_plan *out, mlerr *err)
{
    const column_list *dest = NULL;
    if (!plan_schema_changes(a, m, target_cols, temp_cols, out, &dest, err))
        return false;
    relation tmp = mat_incremental_temp(a, m);
    switch (m->strategy) {
    case MAT_APPEND:
        mat_add_main(a, out, insert_from(a, m, &tmp, dest));
        break;
    case MAT_DELETE_INSERT: {
        /* dbt-duckdb's delete+insert is one "main" block: both statements */
        int first = (int)out->txn.n;
        if (m->n_unique_key)
            sql_list_add(a, &out->txn, delete_matching(a, m, &tmp));
        mat_add_main(a, out, insert_from(a, m, &tmp, dest));
        out->main_first = first;
        break;
    }
    case MAT_MERGE:
        mat_add_main(a, out, merge_into(a, m, &tmp, dest));
        break;
    }
    mat_add_hooks(a, &out->txn, &m->hooks.post);
    return true;
}

/* --- execution ------------------------------------------------------------------ */

typedef struct incr_ctx {
    arena *a;
    const mat_model *m;
    mat_plan *plan;
    size_t staged; /* txn statements of the build step (before apply adds) */
    const mat_exec_opts *o;
    mat_result *res;
    long long rows;
    mlerr *err;
    bool plan_failed; /* apply refused (on_schema_change=fail): not retryable */
} incr_ctx;

static bool step_stage_and_apply(db_conn *c, void *ctx, db_error *e)
{
    incr_ctx *x = ctx;
    x->plan->txn.n = x->staged; /* a retry plans the apply afresh */
    x->plan->main = -1;
    x->plan->main_first = -1;
    if (!db_exec(c, "begin transaction", NULL, e))
        return false;
    if (!mat_run_list(c, &x->plan->txn, 0, -1, NULL, e))
        goto rollback;
    relation tmp = mat_incremental_temp(x->a, x->m);
    column_list target_cols, temp_cols;
    if (!relation_columns(c, &x->m->target, x->a, &target_cols, e) ||
        !relation_columns(c, &tmp, x->a, &temp_cols, e))
        goto rollback;
    if (!mat_plan_incremental_apply(x->a, x->m, &target_cols, &temp_cols, x->plan, x->err)) {
        x->plan_failed = true;
        e->kind = DB_ERR_OTHER;
        goto rollback;
    }
    mat_keep_main(x->plan, x->o, x->res);
    if (!mat_run_list(c, &x->plan->txn, x->staged, x->plan->main, &x->rows, e) ||
        !db_exec(c, "commit", NULL, e))
        goto rollback;
    return true;
rollback:
    mat_rollback_quietly(c);
    return false;
}

typedef struct list_ctx {
    const sql_list *list;
} list_ctx;

static bool step_list(db_conn *c, void *ctx, db_error *e)
{
    return mat_run_list(c, ((list_ctx *)ctx)->list, 0, -1, NULL, e);
}

bool mat_incremental_execute(db_conn *c, arena *a, const mat_model *m, const mat_exec_opts *o,
                             mat_result *res, mlerr *err)
{
    db_error e = {0};
    relation_kind existing = REL_NONE;
    mat_plan plan;
    bool ok = false;
    if (!relation_probe(c, &m->target, &existing, &e))
        goto fail;
    bool full_build = mat_plan_incremental_build(a, m, existing, o->full_refresh, &plan);
    if (full_build) {
        res->full_refresh = true;
        if (existing != REL_NONE && !mat_plan_swap_probed(c, a, m, existing, &plan, &e))
            goto fail;
        ok = mat_run_plan(c, m->name, &plan, o, res, err);
        db_error_release(&e);
        return ok;
    }
    list_ctx before = {.list = &plan.before};
    if (!mat_with_retries(c, m->name, o, step_list, &before, &res->retries, &e))
        goto fail;
    incr_ctx x = {.a = a,
                  .m = m,
                  .plan = &plan,
                  .staged = plan.txn.n,
                  .o = o,
                  .res = res,
                  .rows = -1,
                  .err = err};
    if (!mat_with_retries(c, m->name, o, step_stage_and_apply, &x, &res->retries, &e)) {
        mat_run_quietly(c, &plan.on_failure);
        if (x.plan_failed) {
            db_error_release(&e);
            return false;
        }
        goto fail;
    }
    list_ctx after = {.list = &plan.after};
    mat_exec_opts after_opts = *o; /* committed: a cancel no longer stops the clean-up */
    after_opts.cancelled = NULL;
    if (!mat_with_retries(c, m->name, &after_opts, step_list, &after, &res->retries, &e))
        goto fail;
    res->rows_affected = x.rows;
    db_error_release(&e);
    return true;
fail:
    mat_fail_with(&e, err);
    db_error_release(&e);
    return false;
}
