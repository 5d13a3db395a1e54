/* dagfile: YAML DAG files to dag_def (see dagfile.h).  Each check that fails
 * appends an error and parsing goes on, so a user fixes a file in one pass. */
#include "sched/dagfile.h"

#include "sched/civil.h"
#include "util/fs.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

typedef struct parse_ctx {
    arena *a;
    const char *path;
    dag_file *file;
    size_t errors_cap;
    long *error_pos; /* line * 100000 + col of each error, for sorting */
} parse_ctx;

static void add_error(parse_ctx *c, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_error_at(parse_ctx *c, long pos, const char *text)
{
    dag_file *f = c->file;
    if (f->nerrors == c->errors_cap) {
        c->errors_cap = c->errors_cap ? 2 * c->errors_cap : 8;
        const char **grown = ARENA_NEW_ARRAY(c->a, const char *, c->errors_cap);
        long *grown_pos = ARENA_NEW_ARRAY(c->a, long, c->errors_cap);
        if (f->nerrors) {
            memcpy(grown, f->errors, f->nerrors * sizeof *grown);
            memcpy(grown_pos, c->error_pos, f->nerrors * sizeof *grown_pos);
        }
        f->errors = grown;
        c->error_pos = grown_pos;
    }
    c->error_pos[f->nerrors] = pos;
    f->errors[f->nerrors++] = text;
}

static void add_error_text(parse_ctx *c, const char *text)
{
    add_error_at(c, 0, text);
}

/* Errors in file order, whatever order the checks ran in (stable). */
static void sort_errors(parse_ctx *c)
{
    dag_file *f = c->file;
    for (size_t i = 1; i < f->nerrors; i++)
        for (size_t j = i; j > 0 && c->error_pos[j - 1] > c->error_pos[j]; j--) {
            long p = c->error_pos[j];
            c->error_pos[j] = c->error_pos[j - 1];
            c->error_pos[j - 1] = p;
            const char *e = f->errors[j];
            f->errors[j] = f->errors[j - 1];
            f->errors[j - 1] = e;
        }
}

static void add_error(parse_ctx *c, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = arena_vprintf(c->a, fmt, ap);
    va_end(ap);
    add_error_at(c, (long)line * 100000 + col,
                 arena_printf(c->a, "%s:%d:%d: %s", c->path, line, col, msg));
}

static const char *const test_behavior_names[] = {"none", "after_each", "after_all", "build"};

const char *test_behavior_name(test_behavior b)
{
    return (size_t)b < 4 ? test_behavior_names[b] : "?";
}

/* --- typed values --------------------------------------------------------- */

static bool get_string(parse_ctx *c, const ynode *n, const char *key, const char **out)
{
    if (n->kind != YNODE_SCALAR || yscalar_is_null(n)) {
        add_error(c, n->line, n->col, "`%s` must be a string, not %s", key,
                  n->kind == YNODE_SCALAR ? "null" : ynode_kind_name(n));
        return false;
    }
    *out = n->str;
    return true;
}

static bool get_bool(parse_ctx *c, const ynode *n, const char *key, bool *out)
{
    if (!yscalar_bool(n, out)) {
        add_error(c, n->line, n->col, "`%s` must be true or false, not '%s'", key,
                  n->kind == YNODE_SCALAR ? n->str : ynode_kind_name(n));
        return false;
    }
    return true;
}

static bool get_int(parse_ctx *c, const ynode *n, const char *key, int min, int *out)
{
    int64_t v;
    if (!yscalar_int(n, &v) || v < min || v > 1000000) {
        add_error(c, n->line, n->col, "`%s` must be a whole number of at least %d, not '%s'", key,
                  min, n->kind == YNODE_SCALAR ? n->str : ynode_kind_name(n));
        return false;
    }
    *out = (int)v;
    return true;
}

/* Seconds: a number, or a duration string (5m, 1h30m, 00:05:00).  null
 * leaves *out alone (no limit). */
static bool get_duration(parse_ctx *c, const ynode *n, const char *key, int64_t *out)
{
    if (yscalar_is_null(n))
        return true;
    if (n->kind == YNODE_SCALAR) {
        yscalar_type t = yscalar_resolve(n);
        double d;
        if ((t == YSCALAR_INT || t == YSCALAR_FLOAT) && yscalar_float(n, &d) && d >= 0 &&
            d < 1e10) {
            *out = (int64_t)(d + 0.5);
            return true;
        }
        int64_t s;
        if (t == YSCALAR_STR && duration_parse(n->str, &s)) {
            *out = s;
            return true;
        }
    }
    add_error(c, n->line, n->col,
              "`%s` must be a duration: seconds (300) or a string such as 5m, 1h30m or "
              "00:05:00, not '%s'",
              key, n->kind == YNODE_SCALAR ? n->str : ynode_kind_name(n));
    return false;
}

static bool get_string_list(parse_ctx *c, const ynode *n, const char *key, const char ***out,
                            size_t *count)
{
    *out = NULL;
    *count = 0;
    if (yscalar_is_null(n))
        return true;
    if (n->kind == YNODE_SCALAR) {
        *out = ARENA_NEW_ARRAY(c->a, const char *, 1);
        (*out)[0] = n->str;
        *count = 1;
        return true;
    }
    if (n->kind != YNODE_SEQ) {
        add_error(c, n->line, n->col, "`%s` must be a string or a list of strings, not a %s", key,
                  ynode_kind_name(n));
        return false;
    }
    *out = ARENA_NEW_ARRAY(c->a, const char *, n->n ? n->n : 1);
    bool ok = true;
    for (size_t i = 0; i < n->n; i++) {
        const ynode *item = n->items[i];
        if (item->kind != YNODE_SCALAR || yscalar_is_null(item)) {
            add_error(c, item->line, item->col, "`%s` items must be strings, not %s", key,
                      item->kind == YNODE_SCALAR ? "null" : ynode_kind_name(item));
            ok = false;
            continue;
        }
        (*out)[(*count)++] = item->str;
    }
    return ok;
}

/* start_date/end_date: in the DAG's zone unless the text gives an offset. */
static bool get_date(parse_ctx *c, const ynode *n, const char *key, const tz_zone *zone,
                     int64_t *out)
{
    civil_time ct;
    bool has_offset;
    int offset;
    if (n->kind != YNODE_SCALAR || !civil_parse_iso(n->str, &ct, &has_offset, &offset)) {
        add_error(c, n->line, n->col,
                  "`%s` must be a date or date-time such as 2025-01-01 or 2025-01-01T06:00:00, "
                  "not '%s'",
                  key, n->kind == YNODE_SCALAR ? n->str : ynode_kind_name(n));
        return false;
    }
    int64_t local = civil_to_seconds(&ct);
    *out = has_offset ? local - offset : tz_local_to_utc(zone, local);
    return true;
}

/* --- keys ----------------------------------------------------------------- */

static const char *const dag_keys[] = {
    "dag_id",
    "description",
    "tags",
    "schedule",
    "schedule_interval",
    "start_date",
    "end_date",
    "timezone",
    "catchup",
    "max_active_runs",
    "max_active_tasks",
    "is_paused_upon_creation",
    "default_args",
    "dbt",
    NULL,
};
static const char *const default_args_keys[] = {
    "retries",         "retry_delay",       "retry_exponential_backoff",
    "max_retry_delay", "execution_timeout", NULL,
};
static const char *const dbt_keys[] = {
    "project_dir", "profiles_dir", "profile", "target",        "select",
    "exclude",     "full_refresh", "vars",    "test_behavior", NULL,
};

static bool known(const char *const *keys, const char *key)
{
    for (; *keys; keys++)
        if (strcmp(*keys, key) == 0)
            return true;
    return false;
}

/* Every key of map must be in keys; reports each one that is not. */
static bool check_keys(parse_ctx *c, const ynode *map, const char *const *keys, const char *where)
{
    bool ok = true;
    for (size_t i = 0; i < map->n; i++) {
        const ynode *k = YMAP_KEY(map, i);
        if (k->kind == YNODE_SCALAR && known(keys, k->str))
            continue;
        strbuf list = STRBUF_INIT;
        for (const char *const *p = keys; *p; p++)
            strbuf_addf(&list, "%s%s", p == keys ? "" : ", ", *p);
        add_error(c, k->line, k->col, "unknown key '%s' in %s (known keys: %s)",
                  k->kind == YNODE_SCALAR ? k->str : ynode_kind_name(k), where, strbuf_str(&list));
        strbuf_release(&list);
        ok = false;
    }
    return ok;
}

static bool valid_dag_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 250)
        return false;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
            return false;
    return true;
}

static void parse_default_args(parse_ctx *c, const ynode *n, dag_default_args *out)
{
    if (yscalar_is_null(n))
        return;
    if (n->kind != YNODE_MAP) {
        add_error(c, n->line, n->col, "`default_args` must be a mapping, not a %s",
                  ynode_kind_name(n));
        return;
    }
    check_keys(c, n, default_args_keys, "default_args");
    const ynode *v;
    if ((v = ymap_get(n, "retries")) && !yscalar_is_null(v))
        get_int(c, v, "retries", 0, &out->retries);
    if ((v = ymap_get(n, "retry_delay")))
        get_duration(c, v, "retry_delay", &out->retry_delay);
    if ((v = ymap_get(n, "retry_exponential_backoff")) && !yscalar_is_null(v))
        get_bool(c, v, "retry_exponential_backoff", &out->retry_exponential_backoff);
    if ((v = ymap_get(n, "max_retry_delay")))
        get_duration(c, v, "max_retry_delay", &out->max_retry_delay);
    if ((v = ymap_get(n, "execution_timeout")))
        get_duration(c, v, "execution_timeout", &out->execution_timeout);
}

static void parse_dbt(parse_ctx *c, const ynode *dag_node, const ynode *n, dag_dbt *out)
{
    out->test_behavior = TEST_BEHAVIOR_AFTER_EACH;
    if (!n) {
        add_error(c, dag_node->line, dag_node->col,
                  "the DAG has no `dbt:` block (it needs at least dbt: {project_dir: ...})");
        return;
    }
    if (n->kind != YNODE_MAP) {
        add_error(c, n->line, n->col, "`dbt` must be a mapping, not a %s", ynode_kind_name(n));
        return;
    }
    check_keys(c, n, dbt_keys, "dbt");
    const ynode *v;
    if (!(v = ymap_get(n, "project_dir")) || yscalar_is_null(v)) {
        add_error(c, n->line, n->col, "`dbt` needs `project_dir` (the dbt project's folder)");
    } else if (get_string(c, v, "project_dir", &out->project_dir)) {
        out->project_dir_abs =
            fs_absolute(c->a, fs_join(c->a, fs_dirname(c->a, c->path), out->project_dir));
        if (!fs_is_file(fs_join(c->a, out->project_dir_abs, "dbt_project.yml")))
            add_error(c, v->line, v->col, "no dbt project at %s (no dbt_project.yml there)",
                      out->project_dir_abs);
    }
    if ((v = ymap_get(n, "profiles_dir")) && !yscalar_is_null(v))
        get_string(c, v, "profiles_dir", &out->profiles_dir);
    if ((v = ymap_get(n, "profile")) && !yscalar_is_null(v))
        get_string(c, v, "profile", &out->profile);
    if ((v = ymap_get(n, "target")) && !yscalar_is_null(v))
        get_string(c, v, "target", &out->target);
    if ((v = ymap_get(n, "select")))
        get_string_list(c, v, "select", &out->select, &out->nselect);
    if ((v = ymap_get(n, "exclude")))
        get_string_list(c, v, "exclude", &out->exclude, &out->nexclude);
    if ((v = ymap_get(n, "full_refresh")) && !yscalar_is_null(v))
        get_bool(c, v, "full_refresh", &out->full_refresh);
    if ((v = ymap_get(n, "vars")) && !yscalar_is_null(v)) {
        if (v->kind != YNODE_MAP)
            add_error(c, v->line, v->col, "`vars` must be a mapping, not a %s", ynode_kind_name(v));
        else
            out->vars = v;
    }
    if ((v = ymap_get(n, "test_behavior")) && !yscalar_is_null(v)) {
        const char *s;
        if (get_string(c, v, "test_behavior", &s)) {
            bool found = false;
            for (int i = 0; i < 4; i++)
                if (strcmp(s, test_behavior_names[i]) == 0) {
                    out->test_behavior = (test_behavior)i;
                    found = true;
                }
            if (!found)
                add_error(c, v->line, v->col,
                          "`test_behavior` must be none, after_each, after_all or build, not "
                          "'%s'",
                          s);
        }
    }
}

static void parse_dag(parse_ctx *c, const ynode *n, dag_def *d)
{
    memset(d, 0, sizeof *d);
    d->file = c->path;
    d->line = n->line;
    d->col = n->col;
    d->timezone = "UTC";
    d->max_active_runs = 16;
    d->max_active_tasks = 16;
    d->default_args.retry_delay = 300;
    check_keys(c, n, dag_keys, "a DAG");

    const ynode *v = ymap_get(n, "dag_id");
    if (!v || yscalar_is_null(v)) {
        add_error(c, n->line, n->col, "the DAG has no `dag_id`");
    } else if (get_string(c, v, "dag_id", &d->dag_id) && !valid_dag_id(d->dag_id)) {
        add_error(c, v->line, v->col,
                  "dag_id '%s' may only contain letters, digits, '_', '.' and '-' (at most 250)",
                  d->dag_id);
    }
    if ((v = ymap_get(n, "description")) && !yscalar_is_null(v))
        get_string(c, v, "description", &d->description);
    if ((v = ymap_get(n, "tags")))
        get_string_list(c, v, "tags", &d->tags, &d->ntags);

    const tz_zone *zone = NULL;
    mlerr err = MLERR_INIT;
    if ((v = ymap_get(n, "timezone")) && !yscalar_is_null(v) &&
        get_string(c, v, "timezone", &d->timezone)) {
        zone = tz_get(d->timezone, &err);
        if (!zone) {
            add_error(c, v->line, v->col, "%s", mlerr_message(&err));
            mlerr_clear(&err);
        }
    } else {
        zone = tz_get("UTC", &err);
    }

    const ynode *sched = ymap_get(n, "schedule");
    const ynode *legacy = ymap_get(n, "schedule_interval");
    if (sched && legacy) {
        add_error(c, legacy->line, legacy->col,
                  "give `schedule` or its old name `schedule_interval`, not both");
    } else if (!sched) {
        sched = legacy;
    }
    if (sched && !yscalar_is_null(sched)) {
        if (sched->kind != YNODE_SCALAR) {
            add_error(c, sched->line, sched->col, "`schedule` must be a string, not a %s",
                      ynode_kind_name(sched));
        } else {
            d->schedule = sched->str;
        }
    }
    if (zone && (d->schedule || !sched)) {
        if (!sched) {
            /* Airflow 2's default schedule is timedelta(days=1). */
            d->schedule = "1d";
        }
        if (!timetable_parse(d->schedule, zone, &d->timetable, &err)) {
            const ynode *at = sched ? sched : n;
            add_error(c, at->line, at->col, "%s", mlerr_message(&err));
            mlerr_clear(&err);
        }
    } else if (zone) {
        timetable_parse(NULL, zone, &d->timetable, &err);
    }

    const ynode *start = ymap_get(n, "start_date"), *end = ymap_get(n, "end_date");
    if (zone && start && !yscalar_is_null(start))
        d->has_start_date = get_date(c, start, "start_date", zone, &d->start_date);
    else if (d->schedule && d->timetable.kind != SCHEDULE_NONE && !start)
        add_error(c, n->line, n->col,
                  "the DAG has a schedule but no `start_date` (add e.g. start_date: 2025-01-01)");
    if (zone && end && !yscalar_is_null(end))
        d->has_end_date = get_date(c, end, "end_date", zone, &d->end_date);
    if (d->has_start_date && d->has_end_date && d->start_date > d->end_date)
        add_error(c, end->line, end->col, "start_date (%s) is after end_date (%s)", start->str,
                  end->str);

    if ((v = ymap_get(n, "catchup")) && !yscalar_is_null(v))
        get_bool(c, v, "catchup", &d->catchup);
    if ((v = ymap_get(n, "max_active_runs")) && !yscalar_is_null(v))
        get_int(c, v, "max_active_runs", 1, &d->max_active_runs);
    if ((v = ymap_get(n, "max_active_tasks")) && !yscalar_is_null(v))
        get_int(c, v, "max_active_tasks", 1, &d->max_active_tasks);
    if ((v = ymap_get(n, "is_paused_upon_creation")) && !yscalar_is_null(v))
        get_bool(c, v, "is_paused_upon_creation", &d->is_paused_upon_creation);
    parse_default_args(c, ymap_get(n, "default_args"), &d->default_args);
    parse_dbt(c, n, ymap_get(n, "dbt"), &d->dbt);
}

static void add_dag(parse_ctx *c, const ynode *n, size_t *cap)
{
    dag_file *f = c->file;
    if (n->kind != YNODE_MAP) {
        add_error(c, n->line, n->col, "a DAG must be a mapping with dag_id:, not a %s",
                  ynode_kind_name(n));
        return;
    }
    if (f->ndags == *cap) {
        *cap = *cap ? 2 * *cap : 4;
        dag_def *grown = ARENA_NEW_ARRAY(c->a, dag_def, *cap);
        if (f->ndags)
            memcpy(grown, f->dags, f->ndags * sizeof *grown);
        f->dags = grown;
    }
    parse_dag(c, n, &f->dags[f->ndags]);
    for (size_t i = 0; i < f->ndags; i++)
        if (f->dags[f->ndags].dag_id && f->dags[i].dag_id &&
            strcmp(f->dags[i].dag_id, f->dags[f->ndags].dag_id) == 0)
            add_error(c, n->line, n->col,
                      "dag_id '%s' is defined twice in this file (first at "
                      "line %d)",
                      f->dags[i].dag_id, f->dags[i].line);
    f->ndags++;
}

void dag_file_parse(arena *a, const char *path, const char *text, size_t len, dag_file *out)
{
    memset(out, 0, sizeof *out);
    out->path = arena_strdup(a, path);
    parse_ctx c = {.a = a, .path = out->path, .file = out};
    ynode **docs;
    size_t ndocs;
    mlerr err = MLERR_INIT;
    if (!yaml_parse_all(a, out->path, text, len, &docs, &ndocs, &err)) {
        add_error_text(&c, arena_strdup(a, mlerr_message(&err)));
        mlerr_clear(&err);
        return;
    }
    size_t cap = 0;
    for (size_t i = 0; i < ndocs; i++) {
        const ynode *doc = docs[i];
        if (!doc)
            continue;
        if (doc->kind == YNODE_SEQ) {
            for (size_t j = 0; j < doc->n; j++)
                add_dag(&c, doc->items[j], &cap);
        } else {
            add_dag(&c, doc, &cap);
        }
    }
    if (out->ndags == 0 && out->nerrors == 0)
        add_error(&c, 1, 1, "no DAG in this file (write a mapping with dag_id:)");
    sort_errors(&c);
    if (out->nerrors) {
        out->dags = NULL;
        out->ndags = 0;
    }
}

void dag_file_load(arena *a, const char *path, dag_file *out)
{
    strbuf text = STRBUF_INIT;
    mlerr err = MLERR_INIT;
    if (!fs_read_file(path, &text, &err)) {
        memset(out, 0, sizeof *out);
        out->path = arena_strdup(a, path);
        out->errors = ARENA_NEW_ARRAY(a, const char *, 1);
        out->errors[0] = arena_strdup(a, mlerr_message(&err));
        out->nerrors = 1;
        mlerr_clear(&err);
    } else {
        dag_file_parse(a, path, text.buf ? text.buf : "", text.len, out);
    }
    strbuf_release(&text);
}

time_restriction dag_time_restriction(const dag_def *dag)
{
    time_restriction r = {
        .has_earliest = dag->has_start_date,
        .earliest = dag->start_date,
        .has_latest = dag->has_end_date,
        .latest = dag->end_date,
        .catchup = dag->catchup,
    };
    return r;
}
