/* dag_vars: rendering a DAG's dbt vars per run with Airflow's macros. */
#include "sched/dag_vars.h"

#include "jinja/jinja.h"
#include "project/yaml_jv.h"
#include "sched/run_macros.h"
#include "util/strbuf.h"

#include <string.h>

typedef struct vars_render {
    arena *a;
    jinja_env *env;
    jv context;
    const char *file;
    mlerr *err;
} vars_render;

static bool has_jinja(const ynode *n)
{
    return n->kind == YNODE_SCALAR && (strstr(n->str, "{{") || strstr(n->str, "{%"));
}

static bool render_node(vars_render *r, const ynode *n, jv *out)
{
    if (!n) {
        *out = jv_none();
        return true;
    }
    if (has_jinja(n)) {
        jinja_template *t = jinja_compile(r->env, r->file, n->str, n->len, r->err);
        if (!t) {
            mlerr_prefix(r->err, "%s:%d:%d: dbt vars: ", r->file, n->line, n->col);
            return false;
        }
        strbuf sb = STRBUF_INIT;
        jinja_render_opts o = {.context = r->context, .arena = r->a};
        bool ok = jinja_render(t, &o, &sb, r->err);
        jinja_template_free(t);
        if (!ok) {
            mlerr_prefix(r->err, "%s:%d:%d: dbt vars: ", r->file, n->line, n->col);
            strbuf_release(&sb);
            return false;
        }
        *out = jv_string(r->a, strbuf_str(&sb));
        strbuf_release(&sb);
        return true;
    }
    if (n->kind == YNODE_MAP) {
        jv d = jv_dict(r->a);
        for (size_t i = 0; i < n->n; i++) {
            jv v;
            if (!render_node(r, n->items[2 * i + 1], &v))
                return false;
            jv_dict_set(d, yaml_to_jv(r->a, n->items[2 * i]), v);
        }
        *out = d;
        return true;
    }
    if (n->kind == YNODE_SEQ) {
        jv l = jv_list(r->a);
        for (size_t i = 0; i < n->n; i++) {
            jv v;
            if (!render_node(r, n->items[i], &v))
                return false;
            jv_list_append(l, v);
        }
        *out = l;
        return true;
    }
    *out = yaml_to_jv(r->a, n);
    return true;
}

bool dag_vars_render(arena *a, const dag_def *dag, const dag_run *run, const char **out, mlerr *err)
{
    *out = NULL;
    if (!dag->dbt.vars)
        return true;
    run_macros m;
    run_macros_fill(run, &m);
    jv ctx = jv_dict(a);
    jv_dict_set_str(ctx, "ds", jv_string(a, m.ds));
    jv_dict_set_str(ctx, "ds_nodash", jv_string(a, m.ds_nodash));
    jv_dict_set_str(ctx, "ts", jv_string(a, m.ts));
    jv_dict_set_str(ctx, "ts_nodash", jv_string(a, m.ts_nodash));
    jv_dict_set_str(ctx, "ts_nodash_with_tz", jv_string(a, m.ts_nodash_with_tz));
    jv_dict_set_str(ctx, "logical_date", jv_string(a, m.logical_date));
    jv_dict_set_str(ctx, "execution_date", jv_string(a, m.logical_date));
    jv_dict_set_str(ctx, "data_interval_start", jv_string(a, m.data_interval_start));
    jv_dict_set_str(ctx, "data_interval_end", jv_string(a, m.data_interval_end));
    jv_dict_set_str(ctx, "run_id", jv_string(a, m.run_id ? m.run_id : ""));
    jv_dict_set_str(ctx, "dag_id", jv_string(a, dag->dag_id));
    /* conf is a JSON object, which YAML reads as a flow mapping */
    ynode *conf = NULL;
    const char *conf_text = m.conf_json ? m.conf_json : "{}";
    if (!yaml_parse(a, "dag_run.conf", conf_text, strlen(conf_text), &conf, err))
        return false;
    jv run_obj = jv_dict(a);
    jv_dict_set_str(run_obj, "conf", conf ? yaml_to_jv(a, conf) : jv_dict(a));
    jv_dict_set_str(run_obj, "run_id", jv_string(a, m.run_id ? m.run_id : ""));
    jv_dict_set_str(ctx, "dag_run", run_obj);

    vars_render r = {.a = a, .env = jinja_env_new(), .context = ctx, .file = dag->file, .err = err};
    jv v;
    bool ok = render_node(&r, dag->dbt.vars, &v);
    if (ok) {
        strbuf sb = STRBUF_INIT;
        jv_to_json(v, &sb);
        *out = arena_strdup(a, strbuf_str(&sb));
        strbuf_release(&sb);
    }
    jinja_env_free(r.env);
    return ok;
}
