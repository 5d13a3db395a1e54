/* datatest: dbt's test wrapper, store_failures and classification (see
 * datatest.h). */
#include "exec/datatest.h"

#include "exec/materialize_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

test_config test_config_defaults(void)
{
    return (test_config){.severity = TEST_SEVERITY_ERROR,
                         .fail_calc = "count(*)",
                         .warn_if = "!=0",
                         .error_if = "!=0"};
}

static bool string_config(const pnode *n, const char *key, const char **out, mlerr *err)
{
    jv v = jv_dict_get_str(n->config, key);
    if (v.kind == JV_UNDEFINED || v.kind == JV_NONE)
        return true;
    if (v.kind == JV_STRING) {
        *out = jv_str_ptr(v);
        return true;
    }
    mlerr_at(err, EXIT_HANDLED, n->original_file_path, n->line, 0,
             "test %s: config '%s' must be a string, not %s", n->name, key, jv_kind_name(v));
    return false;
}

bool test_config_from_node(const pnode *n, bool store_failures_flag, test_config *out, mlerr *err)
{
    *out = test_config_defaults();
    const char *severity = NULL;
    if (!string_config(n, "severity", &severity, err) ||
        !string_config(n, "warn_if", &out->warn_if, err) ||
        !string_config(n, "error_if", &out->error_if, err) ||
        !string_config(n, "fail_calc", &out->fail_calc, err))
        return false;
    if (severity) {
        if (strcasecmp(severity, "error") == 0)
            out->severity = TEST_SEVERITY_ERROR;
        else if (strcasecmp(severity, "warn") == 0)
            out->severity = TEST_SEVERITY_WARN;
        else {
            mlerr_at(err, EXIT_HANDLED, n->original_file_path, n->line, 0,
                     "test %s: severity must be 'error' or 'warn', not '%s'", n->name, severity);
            return false;
        }
    }
    jv limit = jv_dict_get_str(n->config, "limit");
    if (limit.kind == JV_INT) {
        out->has_limit = true;
        out->limit = limit.u.i;
    } else if (limit.kind != JV_UNDEFINED && limit.kind != JV_NONE) {
        mlerr_at(err, EXIT_HANDLED, n->original_file_path, n->line, 0,
                 "test %s: limit must be an integer, not %s", n->name, jv_kind_name(limit));
        return false;
    }
    jv store = jv_dict_get_str(n->config, "store_failures");
    out->store_failures = store.kind == JV_BOOL ? store.u.b : store_failures_flag;
    out->audit = (relation){.database = n->database, .schema = n->schema, .identifier = n->alias};
    return true;
}

const char *test_wrap_sql(arena *a, const char *main_sql, const test_config *c)
{
    strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb,
                "select\n      %s as failures,\n      %s %s as should_warn,\n      %s %s as "
                "should_error\n    from (\n      %s\n      ",
                c->fail_calc, c->fail_calc, c->warn_if, c->fail_calc, c->error_if, main_sql);
    if (c->has_limit)
        strbuf_addf(&sb, "limit %lld", c->limit);
    strbuf_adds(&sb, "\n    ) dbt_internal_test");
    const char *s = arena_strdup(a, strbuf_str(&sb));
    strbuf_release(&sb);
    return s;
}

const char *test_where_subquery(arena *a, const char *relation_sql, const char *where)
{
    if (!where || !*where)
        return relation_sql;
    return arena_printf(a, "(select * from %s where %s) dbt_subquery", relation_sql, where);
}

const char *test_status_name(test_status s)
{
    static const char *const names[] = {"pass", "warn", "fail", "error"};
    return names[s];
}

void test_classify(arena *a, const test_config *c, long long failures, bool should_warn,
                   bool should_error, test_outcome *out)
{
    const char *plural = failures == 1 ? "" : "s";
    out->failures = failures;
    out->message = NULL;
    if (c->severity == TEST_SEVERITY_ERROR && should_error) {
        out->status = TEST_FAIL;
        out->message = arena_printf(a, "Got %lld result%s, configured to fail if %s", failures,
                                    plural, c->error_if);
    } else if (should_warn) {
        out->status = TEST_WARN;
        out->message = arena_printf(a, "Got %lld result%s, configured to warn if %s", failures,
                                    plural, c->warn_if);
    } else {
        out->status = TEST_PASS;
    }
}

static void set_error(arena *a, test_outcome *out, const char *message)
{
    out->status = TEST_ERROR;
    out->failures = 0;
    out->message = arena_strdup(a, message ? message : "database error");
}

typedef struct store_ctx {
    arena *a;
    const test_config *c;
    const char *sql;
} store_ctx;

/* Replace the audit table with the test's failing rows, in one transaction. */
static bool step_store(db_conn *conn, void *ctx, db_error *e)
{
    store_ctx *s = ctx;
    sql_list l = {0};
    sql_list_add(s->a, &l, mat_sql_drop_if_exists(s->a, REL_TABLE, &s->c->audit));
    sql_list_add(s->a, &l, mat_sql_create_as(s->a, "table", &s->c->audit, s->sql));
    if (!db_exec(conn, "begin transaction", NULL, e))
        return false;
    if (!mat_run_list(conn, &l, 0, -1, NULL, e) || !db_exec(conn, "commit", NULL, e)) {
        mat_rollback_quietly(conn);
        return false;
    }
    return true;
}

typedef struct schema_ctx {
    const char *sql;
} schema_ctx;

static bool step_schema(db_conn *conn, void *ctx, db_error *e)
{
    return db_exec(conn, ((schema_ctx *)ctx)->sql, NULL, e);
}

bool test_execute(db_conn *conn, const char *test_name, const char *compiled_sql,
                  const test_config *c, const mat_exec_opts *o, arena *a, test_outcome *out,
                  mlerr *err)
{
    memset(out, 0, sizeof(*out));
    db_error e = {0};
    int retries = 0;
    const char *main_sql = compiled_sql;
    if (c->store_failures) {
        /* the session makes every audit schema up front (o->schemas_exist) */
        const char *schema = o->schemas_exist ? NULL : mat_sql_create_schema(a, &c->audit);
        schema_ctx sc = {.sql = schema};
        store_ctx st = {.a = a, .c = c, .sql = compiled_sql};
        if ((schema && !mat_with_retries(conn, test_name, o, step_schema, &sc, &retries, &e)) ||
            !mat_with_retries(conn, test_name, o, step_store, &st, &retries, &e)) {
            set_error(a, out, e.message);
            db_error_release(&e);
            return true;
        }
        out->stored_in = relation_str(a, &c->audit);
        main_sql = arena_printf(a, "select * from %s", out->stored_in);
    }
    duckdb_result r;
    out->main_sql = test_wrap_sql(a, main_sql, c);
    if (!db_exec(conn, out->main_sql, &r, &e)) {
        set_error(a, out, e.message);
        db_error_release(&e);
        return true;
    }
    idx_t rows = duckdb_row_count(&r);
    if (rows != 1 || duckdb_column_count(&r) < 3) {
        set_error(a, out,
                  arena_printf(a,
                               "dbt internally failed to execute %s: Returned %llu rows, but "
                               "expected 1 row",
                               test_name, (unsigned long long)rows));
    } else {
        long long failures =
            duckdb_value_is_null(&r, 0, 0) ? 0 : (long long)duckdb_value_int64(&r, 0, 0);
        bool warn = !duckdb_value_is_null(&r, 1, 0) && duckdb_value_boolean(&r, 1, 0);
        bool error = !duckdb_value_is_null(&r, 2, 0) && duckdb_value_boolean(&r, 2, 0);
        test_classify(a, c, failures, warn, error, out);
    }
    duckdb_destroy_result(&r);
    (void)err;
    return true;
}
