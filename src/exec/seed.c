/* seed: CSV staging through DuckDB's reader, agate-compatible type
 * inference in SQL, and the one-transaction load (see seed.h). */
#include "exec/seed.h"

#include "exec/materialize_internal.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the spec from a node ---------------------------------------------------- */

bool seed_spec_from_node(const pnode *n, arena *a, seed_spec *s, mlerr *err)
{
    memset(s, 0, sizeof(*s));
    s->name = n->name;
    s->csv_path = n->abs_path;
    s->display_path = n->original_file_path;
    s->target = (relation){.database = n->database, .schema = n->schema, .identifier = n->alias};
    s->delimiter = ',';
    s->full_refresh_config = -1;

    jv v = jv_dict_get_str(n->config, "delimiter");
    if (v.kind == JV_STRING) {
        if (jv_str_len(v) != 1) {
            mlerr_at(err, EXIT_HANDLED, n->original_file_path, 0, 0,
                     "seed %s: delimiter must be one character, not '%s'", n->name, jv_str_ptr(v));
            return false;
        }
        s->delimiter = jv_str_ptr(v)[0];
    } else if (v.kind != JV_UNDEFINED && v.kind != JV_NONE) {
        mlerr_at(err, EXIT_HANDLED, n->original_file_path, 0, 0,
                 "seed %s: delimiter must be a string, not %s", n->name, jv_kind_name(v));
        return false;
    }

    v = jv_dict_get_str(n->config, "quote_columns");
    if (v.kind == JV_BOOL)
        s->quote_columns = v.u.b;
    else if (v.kind != JV_UNDEFINED && v.kind != JV_NONE) {
        mlerr_at(err, EXIT_HANDLED, n->original_file_path, 0, 0,
                 "seed %s: quote_columns must be true or false, not %s", n->name, jv_kind_name(v));
        return false;
    }

    v = jv_dict_get_str(n->config, "full_refresh");
    if (v.kind == JV_BOOL)
        s->full_refresh_config = v.u.b ? 1 : 0;
    else if (v.kind != JV_UNDEFINED && v.kind != JV_NONE) {
        mlerr_at(err, EXIT_HANDLED, n->original_file_path, 0, 0,
                 "seed %s: full_refresh must be true or false, not %s", n->name, jv_kind_name(v));
        return false;
    }

    v = jv_dict_get_str(n->config, "column_types");
    if (v.kind == JV_DICT) {
        size_t len = jv_dict_len(v);
        seed_column_type *types = ARENA_NEW_ARRAY(a, seed_column_type, len ? len : 1);
        for (size_t i = 0; i < len; i++) {
            jv key = jv_dict_key_at(v, i), type = jv_dict_value_at(v, i);
            if (key.kind != JV_STRING || type.kind != JV_STRING) {
                mlerr_at(err, EXIT_HANDLED, n->original_file_path, 0, 0,
                         "seed %s: column_types must map column names to type names", n->name);
                return false;
            }
            types[i] = (seed_column_type){jv_str_ptr(key), jv_str_ptr(type)};
        }
        s->column_types = types;
        s->n_column_types = len;
    } else if (v.kind != JV_UNDEFINED && v.kind != JV_NONE) {
        mlerr_at(err, EXIT_HANDLED, n->original_file_path, 0, 0,
                 "seed %s: column_types must be a dict, not %s", n->name, jv_kind_name(v));
        return false;
    }
    return true;
}

/* --- staging ----------------------------------------------------------------- */

static relation staging_relation(arena *a, const seed_spec *s)
{
    return (relation){.database = "temp",
                      .schema = "main",
                      .identifier = arena_printf(a, "%s__mallard_seed", s->target.identifier)};
}

/* DuckDB says "CSV Error on Line: 3"; the line counts the header. */
static int csv_error_line(const char *msg)
{
    const char *p = msg ? strstr(msg, "on Line: ") : NULL;
    return p ? atoi(p + 9) : 0;
}

/* The first line of DuckDB's message, its reason, and the offending row
 * ("Original Line: ..."), on one line. */
static void csv_error_text(const char *msg, strbuf *out)
{
    const char *nl = strchr(msg, '\n');
    strbuf_add(out, msg, nl ? (size_t)(nl - msg) : strlen(msg));
    const char *orig = strstr(msg, "Original Line: ");
    if (!orig)
        return;
    const char *orig_end = strchr(orig, '\n');
    if (orig_end) {
        const char *reason = orig_end + 1, *reason_end = strchr(reason, '\n');
        strbuf_adds(out, ": ");
        strbuf_add(out, reason, reason_end ? (size_t)(reason_end - reason) : strlen(reason));
    }
    strbuf_adds(out, " in row: ");
    orig += strlen("Original Line: ");
    strbuf_add(out, orig, orig_end ? (size_t)(orig_end - orig) : strlen(orig));
}

/* The header's column names, split as DuckDB splits fields (quote and
 * escape '"').  The header is read here rather than by DuckDB's sniffer
 * so that the reader runs with every option explicit: a sniffer that
 * trips over a bad row gives no line number. */
static bool read_header(arena *a, const seed_spec *s, const char ***names, size_t *n, mlerr *err)
{
    const char *shown = s->display_path ? s->display_path : s->csv_path;
    FILE *f = fopen(s->csv_path, "rb");
    if (!f) {
        mlerr_at(err, EXIT_HANDLED, shown, 0, 0, "cannot read seed %s: %s", s->name,
                 strerror(errno));
        return false;
    }
    strbuf field = STRBUF_INIT;
    size_t cap = 16;
    const char **out = arena_alloc(a, sizeof(*out) * cap);
    size_t count = 0;
    bool quoted = false, any = false;
    int ch;
    while ((ch = fgetc(f)) != EOF) {
        any = true;
        if (quoted) {
            if (ch == '"') {
                int next = fgetc(f);
                if (next == '"') {
                    strbuf_addc(&field, '"');
                    continue;
                }
                quoted = false;
                if (next == EOF)
                    break;
                ch = next;
            } else {
                strbuf_addc(&field, (char)ch);
                continue;
            }
        }
        if (ch == '"' && field.len == 0) {
            quoted = true;
        } else if (ch == s->delimiter || ch == '\n' || ch == '\r') {
            if (count == cap) {
                const char **grown = arena_alloc(a, sizeof(*grown) * cap * 2);
                memcpy(grown, out, sizeof(*out) * cap);
                out = grown;
                cap *= 2;
            }
            out[count++] = arena_strdup(a, strbuf_str(&field));
            strbuf_reset(&field);
            if (ch != s->delimiter)
                break;
        } else {
            strbuf_addc(&field, (char)ch);
        }
    }
    if (ch == EOF && any) {
        if (count == cap) {
            const char **grown = arena_alloc(a, sizeof(*grown) * (cap + 1));
            memcpy(grown, out, sizeof(*out) * cap);
            out = grown;
        }
        out[count++] = arena_strdup(a, strbuf_str(&field));
    }
    strbuf_release(&field);
    fclose(f);
    if (quoted || count == 0) {
        mlerr_at(err, EXIT_HANDLED, shown, 1, 0,
                 quoted ? "malformed CSV in seed %s: unterminated quote in the header"
                        : "seed %s is empty: the first line must name the columns",
                 s->name);
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        if (!out[i][0]) {
            mlerr_at(err, EXIT_HANDLED, shown, 1, 0,
                     "malformed CSV in seed %s: column %zu has no name in the header", s->name,
                     i + 1);
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(out[i], out[j]) == 0) {
                mlerr_at(err, EXIT_HANDLED, shown, 1, 0,
                         "malformed CSV in seed %s: column '%s' appears twice in the header",
                         s->name, out[i]);
                return false;
            }
        }
    }
    *names = out;
    *n = count;
    return true;
}

static bool stage(db_conn *c, arena *a, const seed_spec *s, const relation *staging, mlerr *err)
{
    const char **names = NULL;
    size_t n = 0;
    if (!read_header(a, s, &names, &n, err))
        return false;
    strbuf q = STRBUF_INIT;
    strbuf_adds(&q, "create or replace temporary table ");
    sql_add_ident(&q, staging->identifier);
    strbuf_adds(&q, " as select * from read_csv(");
    sql_add_literal(&q, s->csv_path);
    char delim[2] = {s->delimiter, 0};
    strbuf_adds(&q, ", auto_detect = false, header = true, delim = ");
    sql_add_literal(&q, delim);
    strbuf_adds(&q, ", quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
                    "ignore_errors = false, columns = {");
    for (size_t i = 0; i < n; i++) {
        strbuf_adds(&q, i ? ", " : "");
        sql_add_literal(&q, names[i]);
        strbuf_adds(&q, ": 'VARCHAR'");
    }
    strbuf_adds(&q, "})");
    db_error e = {0};
    bool ok = db_exec(c, strbuf_str(&q), NULL, &e);
    strbuf_release(&q);
    if (!ok) {
        strbuf text = STRBUF_INIT;
        const char *msg = e.message ? e.message : "cannot read the file";
        int line = csv_error_line(msg);
        csv_error_text(msg, &text);
        mlerr_at(err, EXIT_HANDLED, s->display_path ? s->display_path : s->csv_path, line, 0,
                 "malformed CSV in seed %s: %s", s->name, strbuf_str(&text));
        mlerr_hint(err, "fix the file; the previous %s table was left as it was", s->name);
        strbuf_release(&text);
    }
    db_error_release(&e);
    return ok;
}

/* --- inference ---------------------------------------------------------------- */

enum {
    T_INT,
    T_BIGINT,
    T_DOUBLE,
    T_DATE,
    T_TIMESTAMP,
    T_BOOL,
    T_TEXT
};
static const char *const type_names[] = {"INTEGER",   "BIGINT",  "DOUBLE", "DATE",
                                         "TIMESTAMP", "BOOLEAN", "VARCHAR"};

#define AGG_FLAGS 8

/* One flag: does every present value of the column pass `test`?  In
 * `test`, '@' stands for the trimmed value. */
static void add_flag(strbuf *q, const char *v, const char *test)
{
    strbuf_adds(q, ", bool_and(");
    for (const char *p = test; *p; p++) {
        if (p[0] == '@')
            strbuf_adds(q, v);
        else
            strbuf_addc(q, *p);
    }
    strbuf_addf(q, ") filter (where %s is not null and lower(%s) not in ('', 'null'))", v, v);
}

/* The AGG_FLAGS aggregates for one column (v = its trimmed value): the
 * count of present values (agate's nulls are NULL, '' and 'null'), then
 * one flag per type test, in agate's order.  '@' stands for v. */
static void add_column_checks(strbuf *q, const char *name)
{
    strbuf x = STRBUF_INIT;
    strbuf_adds(&x, "trim(");
    sql_add_ident(&x, name);
    strbuf_addc(&x, ')');
    const char *v = strbuf_str(&x);
    strbuf_addf(q, "count(*) filter (where %s is not null and lower(%s) not in ('', 'null'))", v,
                v);
    add_flag(q, v, "regexp_full_match(@, '[+-]?[0-9]+')");
    add_flag(q, v, "try_cast(@ as integer) is not null");
    add_flag(q, v, "try_cast(@ as bigint) is not null");
    add_flag(q, v, "regexp_full_match(@, '[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?')");
    add_flag(q, v,
             "regexp_full_match(@, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}') and "
             "try_strptime(@, '%Y-%m-%d') is not null");
    add_flag(q, v,
             "(regexp_full_match(@, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} "
             "[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}') and "
             "try_strptime(@, '%Y-%m-%d %H:%M:%S') is not null) or "
             "(regexp_full_match(@, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}"
             "(:[0-9]{2}(\\.[0-9]+)?)?') and try_cast(@ as timestamp) is not null)");
    add_flag(q, v, "lower(@) in ('true', 'false')");
    strbuf_release(&x);
}

static int infer_from_flags(duckdb_result *r, idx_t col0)
{
    long long present = duckdb_value_int64(r, col0, 0);
    if (present == 0)
        return T_INT;
    bool flag[AGG_FLAGS];
    for (int k = 1; k < AGG_FLAGS; k++)
        flag[k] = !duckdb_value_is_null(r, col0 + (idx_t)k, 0) &&
                  duckdb_value_boolean(r, col0 + (idx_t)k, 0);
    if (flag[1])
        return flag[2] ? T_INT : flag[3] ? T_BIGINT : T_DOUBLE;
    if (flag[4])
        return T_DOUBLE;
    if (flag[5])
        return T_DATE;
    if (flag[6])
        return T_TIMESTAMP;
    if (flag[7])
        return T_BOOL;
    return T_TEXT;
}

static const char *override_type(const seed_spec *s, const char *column)
{
    for (size_t i = 0; i < s->n_column_types; i++) {
        if (strcmp(s->column_types[i].column, column) == 0)
            return s->column_types[i].type;
    }
    return NULL;
}

/* Per column: the declared type, and how a staged VARCHAR becomes it. */
typedef struct seed_column {
    const char *name;
    const char *type;
    int inferred; /* T_*, or -1 for a column_types override */
} seed_column;

static bool infer_types(db_conn *c, arena *a, const seed_spec *s, const relation *staging,
                        seed_column **out, size_t *n_out, mlerr *err)
{
    column_list cols;
    db_error e = {0};
    if (!relation_columns(c, staging, a, &cols, &e)) {
        mat_fail_with(&e, err);
        db_error_release(&e);
        return false;
    }
    seed_column *sc = ARENA_NEW_ARRAY(a, seed_column, cols.n ? cols.n : 1);
    strbuf q = STRBUF_INIT;
    strbuf_adds(&q, "select ");
    for (size_t i = 0; i < cols.n; i++) {
        if (i)
            strbuf_adds(&q, ", ");
        add_column_checks(&q, cols.items[i].name);
    }
    strbuf_adds(&q, " from ");
    relation_render(&q, staging);
    duckdb_result r;
    bool ok = cols.n == 0 || db_exec(c, strbuf_str(&q), &r, &e);
    strbuf_release(&q);
    if (!ok) {
        mat_fail_with(&e, err);
        db_error_release(&e);
        return false;
    }
    for (size_t i = 0; i < cols.n; i++) {
        sc[i].name = cols.items[i].name;
        const char *forced = override_type(s, sc[i].name);
        if (forced) {
            sc[i].type = forced;
            sc[i].inferred = -1;
        } else {
            sc[i].inferred = infer_from_flags(&r, (idx_t)(i * AGG_FLAGS));
            sc[i].type = type_names[sc[i].inferred];
        }
    }
    if (cols.n)
        duckdb_destroy_result(&r);
    *out = sc;
    *n_out = cols.n;
    return true;
}

/* --- loading -------------------------------------------------------------------- */

static bool plain_identifier(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++) {
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return false;
    }
    return true;
}

static void add_column_name(strbuf *sb, const seed_spec *s, const char *name)
{
    /* dbt leaves names unquoted unless quote_columns; a name that could
     * not be written bare is quoted anyway rather than failing. */
    if (s->quote_columns || !plain_identifier(name))
        sql_add_ident(sb, name);
    else
        strbuf_adds(sb, name);
}

static void add_cast(strbuf *sb, const seed_column *col)
{
    strbuf v = STRBUF_INIT;
    sql_add_ident(&v, col->name);
    const char *raw = strbuf_str(&v);
    if (col->inferred < 0) {
        strbuf_addf(sb, "cast(%s as %s)", raw, col->type);
    } else if (col->inferred == T_TEXT) {
        strbuf_adds(sb, raw);
    } else {
        strbuf_addf(sb, "case when %s is null or lower(trim(%s)) in ('', 'null') then null else ",
                    raw, raw);
        switch (col->inferred) {
        case T_BOOL:
            strbuf_addf(sb, "lower(trim(%s)) = 'true'", raw);
            break;
        case T_DATE:
            strbuf_addf(sb, "cast(strptime(trim(%s), '%%Y-%%m-%%d') as date)", raw);
            break;
        default:
            strbuf_addf(sb, "cast(trim(%s) as %s)", raw, col->type);
            break;
        }
        strbuf_adds(sb, " end");
    }
    strbuf_release(&v);
}

bool seed_load(db_conn *c, const seed_spec *s, bool full_refresh_flag, const mat_exec_opts *o,
               arena *a, seed_result *res, mlerr *err)
{
    memset(res, 0, sizeof(*res));
    res->rows = -1;
    relation staging = staging_relation(a, s);
    if (!stage(c, a, s, &staging, err))
        return false;

    bool ok = false;
    db_error e = {0};
    seed_column *cols = NULL;
    size_t n_cols = 0;
    relation_kind existing = REL_NONE;
    if (!infer_types(c, a, s, &staging, &cols, &n_cols, err))
        goto done;
    if (!relation_probe(c, &s->target, &existing, &e)) {
        mat_fail_with(&e, err);
        goto done;
    }
    if (existing == REL_VIEW) {
        mlerr_set(err, EXIT_HANDLED, "Cannot seed to '%s', it is a view",
                  relation_str(a, &s->target));
        goto done;
    }
    bool full_refresh =
        s->full_refresh_config >= 0 ? s->full_refresh_config == 1 : full_refresh_flag;

    mat_plan plan;
    mat_plan_init(&plan);
    plan.create_schema = mat_sql_create_schema(a, &s->target);
    mat_add_hooks(a, &plan.before, &s->hooks.pre_outside);
    mat_add_hooks(a, &plan.txn, &s->hooks.pre);
    if (existing == REL_TABLE && full_refresh)
        sql_list_add(a, &plan.txn, mat_sql_drop_if_exists(a, REL_TABLE, &s->target));
    const char *create_or_truncate;
    if (existing == REL_NONE || full_refresh) {
        strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "create table ");
        relation_render(&sb, &s->target);
        strbuf_adds(&sb, " (");
        for (size_t i = 0; i < n_cols; i++) {
            strbuf_adds(&sb, i ? ", " : "");
            add_column_name(&sb, s, cols[i].name);
            strbuf_addf(&sb, " %s", cols[i].type);
        }
        strbuf_adds(&sb, ")");
        create_or_truncate = arena_strdup(a, strbuf_str(&sb));
        strbuf_release(&sb);
    } else {
        strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "delete from ");
        relation_render(&sb, &s->target);
        create_or_truncate = arena_strdup(a, strbuf_str(&sb));
        strbuf_release(&sb);
    }
    sql_list_add(a, &plan.txn, create_or_truncate);
    strbuf ins = STRBUF_INIT;
    strbuf_adds(&ins, "insert into ");
    relation_render(&ins, &s->target);
    strbuf_adds(&ins, " select ");
    for (size_t i = 0; i < n_cols; i++) {
        strbuf_adds(&ins, i ? ", " : "");
        add_cast(&ins, &cols[i]);
    }
    strbuf_adds(&ins, " from ");
    relation_render(&ins, &staging);
    mat_add_main(a, &plan, arena_strdup(a, strbuf_str(&ins)));
    /* dbt's seed "main": get_csv_sql(create_or_truncate, load) */
    res->main_sql =
        arena_printf(a, "%s;\n-- dbt seed --\n%s", create_or_truncate, strbuf_str(&ins));
    strbuf_release(&ins);
    mat_add_hooks(a, &plan.txn, &s->hooks.post);
    sql_list_add(a, &plan.after, mat_sql_drop_if_exists(a, REL_TABLE, &staging));
    mat_add_hooks(a, &plan.after, &s->hooks.post_outside);
    sql_list_add(a, &plan.on_failure, mat_sql_drop_if_exists(a, REL_TABLE, &staging));

    mat_result mr = {0};
    mlerr load_err = MLERR_INIT;
    if (!mat_run_plan(c, s->name, &plan, o, &mr, &load_err)) {
        mlerr_at(err, EXIT_HANDLED, s->display_path ? s->display_path : s->csv_path, 0, 0,
                 "seed %s could not be loaded: %s", s->name, mlerr_message(&load_err));
        mlerr_clear(&load_err);
        goto done;
    }
    res->rows = mr.rows_affected;
    res->full_refresh = full_refresh;
    res->message = arena_printf(a, "%s %lld", full_refresh ? "CREATE" : "INSERT", res->rows);
    if (!relation_columns(c, &s->target, a, &res->columns, &e)) {
        mat_fail_with(&e, err);
        goto done;
    }
    ok = true;
done:
    if (!ok) {
        db_error drop_e = {0};
        strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, mat_sql_drop_if_exists(a, REL_TABLE, &staging));
        db_exec(c, strbuf_str(&sb), NULL, &drop_e);
        db_error_release(&drop_e);
        strbuf_release(&sb);
    }
    db_error_release(&e);
    return ok;
}
