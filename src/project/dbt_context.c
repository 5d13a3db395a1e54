/* dbt_context: the dbt Jinja context (see dbt_context.h). */
#include "project/dbt_context.h"

#include "project/dbt_macros.h"
#include "project/dbt_modules.h"
#include "project/digest.h"
#include "project/graph_index.h"
#include "project/loader.h"
#include "util/jobctx.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NATIVE(fn)                                                                                 \
    static jinja_status fn(jinja_call *call, void *ud, const jv *args, size_t nargs,               \
                           const jv_kwarg *kwargs, size_t nkwargs, jv *result)

static jv kwarg(const jv_kwarg *kwargs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kwargs[i].name, name) == 0)
            return kwargs[i].value;
    return jv_undefined(name);
}

/* An argument by position, else by keyword. */
static jv arg(const jv *args, size_t nargs, size_t pos, const jv_kwarg *kwargs, size_t nkwargs,
              const char *name)
{
    if (pos < nargs)
        return args[pos];
    return kwarg(kwargs, nkwargs, name);
}

static render_state *state(jinja_call *call)
{
    return jinja_call_host(call);
}

/* --- relations ----------------------------------------------------------- */

typedef struct relation {
    const char *database, *schema, *identifier, *type;
    bool quote_identifier;
    /* dbt's Relation.limit: -1 (None) renders the name; 0 (--empty) or more
     * renders a limited subquery in its place, as render_limited does */
    int limit;
} relation;

static void relation_render_plain(const relation *r, strbuf *out)
{
    bool first = true;
    const char *parts[3] = {r->database, r->schema, r->identifier};
    for (int i = 0; i < 3; i++) {
        if (!parts[i])
            continue;
        if (!first)
            strbuf_addc(out, '.');
        first = false;
        bool quote = i < 2 || r->quote_identifier;
        if (quote)
            strbuf_addc(out, '"');
        strbuf_adds(out, parts[i]);
        if (quote)
            strbuf_addc(out, '"');
    }
}

static void relation_str(void *self, strbuf *out)
{
    const relation *r = self;
    if (r->limit < 0) {
        relation_render_plain(r, out);
        return;
    }
    /* dbt-adapters' BaseRelation.render_limited; dbt-duckdb sets
     * require_alias false, so no alias follows and a model's own alias, as
     * in "from {{ ref('x') }} x", still parses */
    strbuf_adds(out, "(select * from ");
    relation_render_plain(r, out);
    if (r->limit == 0)
        strbuf_adds(out, " where false limit 0)");
    else
        strbuf_addf(out, " limit %d)", r->limit);
}

static jv str_or_none(arena *a, const char *s)
{
    return s ? jv_string(a, s) : jv_none();
}

static const jv_class relation_class;

static jv relation_new(arena *a, const relation *src)
{
    relation *r = ARENA_NEW(a, relation);
    *r = *src;
    return jv_object(a, &relation_class, r);
}

NATIVE(rel_render)
{
    strbuf sb = STRBUF_INIT;
    relation_render_plain(ud, &sb);
    *result = jv_string_n(jinja_call_arena(call), strbuf_str(&sb), sb.len);
    strbuf_release(&sb);
    return JINJA_OK;
}

NATIVE(rel_include)
{
    relation r = *(relation *)ud;
    jv d = arg(args, nargs, 0, kwargs, nkwargs, "database");
    jv s = arg(args, nargs, 1, kwargs, nkwargs, "schema");
    jv i = arg(args, nargs, 2, kwargs, nkwargs, "identifier");
    if (d.kind != JV_UNDEFINED && !jv_truthy(d))
        r.database = NULL;
    if (s.kind != JV_UNDEFINED && !jv_truthy(s))
        r.schema = NULL;
    if (i.kind != JV_UNDEFINED && !jv_truthy(i))
        r.identifier = NULL;
    *result = relation_new(jinja_call_arena(call), &r);
    return JINJA_OK;
}

NATIVE(rel_same)
{
    *result = relation_new(jinja_call_arena(call), (relation *)ud);
    return JINJA_OK;
}

NATIVE(rel_incorporate)
{
    relation r = *(relation *)ud;
    arena *a = jinja_call_arena(call);
    jv path = kwarg(kwargs, nkwargs, "path");
    if (path.kind == JV_DICT) {
        jv v;
        if ((v = jv_dict_get_str(path, "database")).kind == JV_STRING)
            r.database = jv_str_ptr(v);
        if ((v = jv_dict_get_str(path, "schema")).kind == JV_STRING)
            r.schema = jv_str_ptr(v);
        if ((v = jv_dict_get_str(path, "identifier")).kind == JV_STRING)
            r.identifier = jv_str_ptr(v);
    }
    jv type = kwarg(kwargs, nkwargs, "type");
    if (type.kind == JV_STRING)
        r.type = arena_strdup(a, jv_str_ptr(type));
    *result = relation_new(a, &r);
    return JINJA_OK;
}

static jv relation_getattr(jinja_call *call, void *self, const char *attr)
{
    relation *r = self;
    arena *a = jinja_call_arena(call);
    if (strcmp(attr, "database") == 0)
        return str_or_none(a, r->database);
    if (strcmp(attr, "schema") == 0)
        return str_or_none(a, r->schema);
    if (strcmp(attr, "identifier") == 0 || strcmp(attr, "name") == 0 || strcmp(attr, "table") == 0)
        return str_or_none(a, r->identifier);
    if (strcmp(attr, "type") == 0)
        return str_or_none(a, r->type);
    if (strcmp(attr, "limit") == 0)
        return r->limit < 0 ? jv_none() : jv_int(r->limit);
    if (strcmp(attr, "is_table") == 0)
        return jv_bool(r->type && strcmp(r->type, "table") == 0);
    if (strcmp(attr, "is_view") == 0)
        return jv_bool(r->type && strcmp(r->type, "view") == 0);
    if (strcmp(attr, "is_cte") == 0)
        return jv_bool(r->type && strcmp(r->type, "cte") == 0);
    if (strcmp(attr, "render") == 0)
        return jinja_native(a, "render", rel_render, r);
    if (strcmp(attr, "include") == 0)
        return jinja_native(a, "include", rel_include, r);
    if (strcmp(attr, "quote") == 0 || strcmp(attr, "replace_path") == 0)
        return jinja_native(a, attr, rel_same, r);
    if (strcmp(attr, "incorporate") == 0)
        return jinja_native(a, "incorporate", rel_incorporate, r);
    return jv_undefined(attr);
}

static const jv_class relation_class = {
    .name = "DuckDBRelation",
    .getattr = relation_getattr,
    .str = relation_str,
};

jv dbt_relation_limited(arena *a, const char *database, const char *schema, const char *identifier,
                        const char *type, int limit)
{
    relation r = {database, schema, identifier, type, true, limit};
    return relation_new(a, &r);
}

jv dbt_relation(arena *a, const char *database, const char *schema, const char *identifier,
                const char *type)
{
    relation r = {database, schema, identifier, type, true, -1};
    return relation_new(a, &r);
}

/* --- node dicts ------------------------------------------------------------ */

static const char *const node_fields[] = {
    "unique_id",   "name",     "resource_type", "package_name", "path",       "original_file_path",
    "fqn",         "database", "schema",        "alias",        "identifier", "relation_name",
    "description", "raw_code", "raw_sql",       "language",     "version",    "source_name",
    "config",      "tags",     "meta",          "columns",      "depends_on", "compiled_code",
    NULL,
};

/* One attribute of a node as templates see it (model.x, graph.nodes[...].x). */
static jv node_field(arena *a, const pnode *n, const char *f)
{
    switch (f[0]) {
    case 'a':
        if (strcmp(f, "alias") == 0)
            return str_or_none(a, n->alias);
        break;
    case 'c':
        if (strcmp(f, "config") == 0)
            return n->config.kind == JV_DICT ? n->config : jv_dict(a);
        if (strcmp(f, "columns") == 0)
            return n->columns;
        if (strcmp(f, "compiled_code") == 0)
            return str_or_none(a, n->compiled_code);
        break;
    case 'd':
        if (strcmp(f, "database") == 0)
            return str_or_none(a, n->database);
        if (strcmp(f, "description") == 0)
            return str_or_none(a, n->description);
        if (strcmp(f, "depends_on") == 0) {
            jv dep = jv_dict(a);
            jv_dict_set_str(dep, "nodes", str_list_to_jv(a, n->depends_on_nodes));
            jv_dict_set_str(dep, "macros", str_list_to_jv(a, n->depends_on_macros));
            return dep;
        }
        break;
    case 'f':
        if (strcmp(f, "fqn") == 0)
            return str_list_to_jv(a, n->fqn);
        break;
    case 'i':
        if (strcmp(f, "identifier") == 0)
            return str_or_none(a, n->type == NODE_SOURCE ? n->identifier : n->alias);
        break;
    case 'l':
        if (strcmp(f, "language") == 0)
            return str_or_none(a, n->language);
        break;
    case 'm':
        if (strcmp(f, "meta") == 0)
            return n->meta;
        break;
    case 'n':
        if (strcmp(f, "name") == 0)
            return str_or_none(a, n->name);
        break;
    case 'o':
        if (strcmp(f, "original_file_path") == 0)
            return str_or_none(a, n->original_file_path);
        break;
    case 'p':
        if (strcmp(f, "path") == 0)
            return str_or_none(a, n->path);
        if (strcmp(f, "package_name") == 0)
            return str_or_none(a, n->package_name);
        break;
    case 'r':
        if (strcmp(f, "resource_type") == 0)
            return str_or_none(a, node_type_name(n->type));
        if (strcmp(f, "relation_name") == 0)
            return str_or_none(a, n->relation_name);
        if (strcmp(f, "raw_code") == 0 || strcmp(f, "raw_sql") == 0)
            return str_or_none(a, n->raw_code);
        break;
    case 's':
        if (strcmp(f, "schema") == 0)
            return str_or_none(a, n->schema);
        if (strcmp(f, "source_name") == 0)
            return str_or_none(a, n->source_name);
        break;
    case 't':
        if (strcmp(f, "tags") == 0)
            return str_list_to_jv(a, n->tags);
        break;
    case 'u':
        if (strcmp(f, "unique_id") == 0)
            return str_or_none(a, n->unique_id);
        break;
    case 'v':
        if (strcmp(f, "version") == 0)
            return str_or_none(a, n->version);
        break;
    }
    return jv_undefined(f);
}

jv dbt_node_dict(arena *a, const project *p, const pnode *n)
{
    (void)p;
    jv d = jv_dict(a);
    for (size_t i = 0; node_fields[i]; i++) {
        if (strcmp(node_fields[i], "compiled_code") == 0 && !n->compiled_code)
            continue;
        jv_dict_set_str(d, node_fields[i], node_field(a, n, node_fields[i]));
    }
    return d;
}

/* `model` is built on demand: most templates read one or two fields. */
static jv node_getattr(jinja_call *call, void *self, const char *attr)
{
    return node_field(jinja_call_arena(call), self, attr);
}

static void node_str(void *self, strbuf *out)
{
    const pnode *n = self;
    strbuf_addf(out, "<%s %s>", node_type_name(n->type), n->unique_id);
}

static const jv_class node_class = {
    .name = "Node",
    .getattr = node_getattr,
    .str = node_str,
};

jv dbt_node_object(arena *a, const pnode *n)
{
    return jv_object(a, &node_class, (void *)n);
}

/* --- ref, source, config ----------------------------------------------------- */

bool render_state_add_ref(render_state *rs, node_ref r)
{
    for (size_t i = 0; i < rs->n_refs; i++)
        if (strcmp(rs->refs[i].name, r.name) == 0 &&
            ((!rs->refs[i].package && !r.package) ||
             (rs->refs[i].package && r.package && strcmp(rs->refs[i].package, r.package) == 0)))
            return true;
    if (rs->n_refs == rs->cap_refs) {
        rs->cap_refs = rs->cap_refs ? rs->cap_refs * 2 : 8;
        rs->refs = xrealloc(rs->refs, rs->cap_refs * sizeof(node_ref));
    }
    rs->refs[rs->n_refs++] = r;
    return true;
}

void render_state_add_source(render_state *rs, node_source_ref s)
{
    for (size_t i = 0; i < rs->n_sources; i++)
        if (strcmp(rs->sources[i].source_name, s.source_name) == 0 &&
            strcmp(rs->sources[i].table_name, s.table_name) == 0)
            return;
    if (rs->n_sources == rs->cap_sources) {
        rs->cap_sources = rs->cap_sources ? rs->cap_sources * 2 : 4;
        rs->sources = xrealloc(rs->sources, rs->cap_sources * sizeof(node_source_ref));
    }
    rs->sources[rs->n_sources++] = s;
}

static void push_ephemeral(render_state *rs, uint32_t idx)
{
    for (size_t i = 0; i < rs->n_ephemerals; i++)
        if (rs->ephemerals[i] == idx)
            return;
    if (rs->n_ephemerals == rs->cap_ephemerals) {
        rs->cap_ephemerals = rs->cap_ephemerals ? rs->cap_ephemerals * 2 : 4;
        rs->ephemerals = xrealloc(rs->ephemerals, rs->cap_ephemerals * sizeof(uint32_t));
    }
    rs->ephemerals[rs->n_ephemerals++] = idx;
}

static const char *type_label(const pnode *n)
{
    static const char *const labels[] = {"Model",    "Seed",     "Test",     "Source",
                                         "Analysis", "Snapshot", "Exposure", "Macro"};
    return (unsigned)n->type < 8 ? labels[n->type] : "Node";
}

NATIVE(fn_ref)
{
    render_state *rs = state(call);
    dbt_env *de = ud;
    arena *a = jinja_call_arena(call);
    if (nargs < 1 || nargs > 2 || args[0].kind != JV_STRING ||
        (nargs == 2 && args[1].kind != JV_STRING))
        return jinja_call_error(call, "ref() takes a model name, or a package and a model name, "
                                      "as strings");
    const char *pkg = nargs == 2 ? jv_str_ptr(args[0]) : NULL;
    const char *name = jv_str_ptr(args[nargs - 1]);
    jv ver = kwarg(kwargs, nkwargs, "version");
    if (ver.kind == JV_UNDEFINED)
        ver = kwarg(kwargs, nkwargs, "v");
    const char *version = NULL;
    if (ver.kind != JV_UNDEFINED && ver.kind != JV_NONE) {
        strbuf vs = STRBUF_INIT;
        jv_to_str(ver, &vs);
        version = arena_strdup(a, strbuf_str(&vs));
        strbuf_release(&vs);
    }
    project *p = de->p;
    if (pkg && strcmp(pkg, p->name) != 0 && strcmp(pkg, "dbt") != 0)
        return jinja_call_error(call, "not supported yet: ref() into package '%s'", pkg);
    if (rs->mode == RENDER_PARSE) {
        if (!de->parse_has_ref || !de->parse_has_ref(de->parse_ctx, name)) {
            const char *near = de->parse_nearest ? de->parse_nearest(de->parse_ctx, name) : NULL;
            return jinja_call_error(
                call, "%s '%s' depends on a node named '%s' which was not found%s%s%s",
                type_label(rs->node), rs->node->unique_id, name, near ? " (did you mean '" : "",
                near ? near : "", near ? "'?)" : "");
        }
        node_ref r = {0, 0, pkg ? arena_strdup(rs->a, pkg) : NULL, arena_strdup(rs->a, name),
                      version ? arena_strdup(rs->a, version) : NULL};
        render_state_add_ref(rs, r);
        *result = dbt_relation(a, p->target_database, p->target_schema, name, "table");
        return JINJA_OK;
    }
    int32_t t = project_find_ref(p, pkg, name, version);
    if (t < 0)
        return jinja_call_error(call, "%s '%s' depends on a node named '%s' which was not found",
                                type_label(rs->node), rs->node->unique_id, name);
    const pnode *tn = &p->nodes[t];
    if (tn->materialized && strcmp(tn->materialized, "ephemeral") == 0) {
        push_ephemeral(rs, (uint32_t)t);
        relation r = {NULL,  NULL,  arena_printf(a, "__dbt__cte__%s", tn->alias),
                      "cte", false, de->empty ? 0 : -1};
        *result = relation_new(a, &r);
        return JINJA_OK;
    }
    const char *type = tn->materialized && strcmp(tn->materialized, "view") == 0 ? "view" : "table";
    *result =
        dbt_relation_limited(a, tn->database, tn->schema, tn->alias, type, de->empty ? 0 : -1);
    return JINJA_OK;
}

NATIVE(fn_source)
{
    render_state *rs = state(call);
    dbt_env *de = ud;
    arena *a = jinja_call_arena(call);
    if (nargs != 2 || args[0].kind != JV_STRING || args[1].kind != JV_STRING)
        return jinja_call_error(call, "source() takes a source name and a table name, as strings");
    const char *sname = jv_str_ptr(args[0]), *tname = jv_str_ptr(args[1]);
    project *p = de->p;
    if (rs->mode == RENDER_PARSE) {
        if (!de->parse_has_source || !de->parse_has_source(de->parse_ctx, sname, tname))
            return jinja_call_error(call,
                                    "%s '%s' depends on a source named '%s.%s' which was not found",
                                    type_label(rs->node), rs->node->unique_id, sname, tname);
        render_state_add_source(
            rs, (node_source_ref){arena_strdup(rs->a, sname), arena_strdup(rs->a, tname)});
        *result = dbt_relation(a, p->target_database, sname, tname, "table");
        return JINJA_OK;
    }
    int32_t t = project_find_source(p, sname, tname);
    if (t < 0)
        return jinja_call_error(call,
                                "%s '%s' depends on a source named '%s.%s' which was not found",
                                type_label(rs->node), rs->node->unique_id, sname, tname);
    const pnode *s = &p->nodes[t];
    *result =
        dbt_relation_limited(a, s->database, s->schema, s->identifier, "table", de->empty ? 0 : -1);
    return JINJA_OK;
}

static jinja_status config_call(jinja_call *call, const jv *args, size_t nargs,
                                const jv_kwarg *kwargs, size_t nkwargs, jv *result)
{
    render_state *rs = state(call);
    arena *a = jinja_call_arena(call);
    *result = jv_string(a, "");
    if (rs->mode != RENDER_PARSE)
        return JINJA_OK;
    jv level = jv_dict(rs->a);
    if (nargs == 1 && args[0].kind == JV_DICT) {
        for (size_t i = 0; i < jv_dict_len(args[0]); i++)
            jv_dict_set(level, jv_copy(rs->a, jv_dict_key_at(args[0], i)),
                        jv_copy(rs->a, jv_dict_value_at(args[0], i)));
    } else if (nargs > 0) {
        return jinja_call_error(call, "config() takes keyword arguments, or one dictionary");
    }
    for (size_t i = 0; i < nkwargs; i++)
        jv_dict_set_str(level, arena_strdup(rs->a, kwargs[i].name),
                        jv_copy(rs->a, kwargs[i].value));
    if (rs->config_calls.kind != JV_DICT)
        rs->config_calls = jv_dict(rs->a);
    const char *why = NULL;
    if (!config_merge(rs->a, rs->config_calls, level, &why))
        return jinja_call_error(call, "%s", why);
    return JINJA_OK;
}

static jv config_lookup(render_state *rs, const char *name)
{
    jv v = jv_undefined(name);
    if (rs->config_calls.kind == JV_DICT)
        v = jv_dict_get_str(rs->config_calls, name);
    if (v.kind == JV_UNDEFINED && rs->node && rs->node->config.kind == JV_DICT)
        v = jv_dict_get_str(rs->node->config, name);
    return v;
}

NATIVE(fn_config_get)
{
    render_state *rs = state(call);
    if (nargs < 1 || args[0].kind != JV_STRING)
        return jinja_call_error(call, "config.get() takes a config name");
    jv def = arg(args, nargs, 1, kwargs, nkwargs, "default");
    jv v = config_lookup(rs, jv_str_ptr(args[0]));
    if (v.kind == JV_UNDEFINED || (v.kind == JV_NONE && def.kind != JV_UNDEFINED))
        v = def.kind == JV_UNDEFINED ? jv_none() : def;
    *result = v;
    return JINJA_OK;
}

NATIVE(fn_config_require)
{
    render_state *rs = state(call);
    if (nargs < 1 || args[0].kind != JV_STRING)
        return jinja_call_error(call, "config.require() takes a config name");
    jv v = config_lookup(rs, jv_str_ptr(args[0]));
    if (v.kind == JV_UNDEFINED) {
        if (rs->mode == RENDER_PARSE) {
            *result = jv_none();
            return JINJA_OK;
        }
        return jinja_call_error(call, "missing config: \"%s\" for %s", jv_str_ptr(args[0]),
                                rs->node->unique_id);
    }
    *result = v;
    return JINJA_OK;
}

NATIVE(fn_config)
{
    return config_call(call, args, nargs, kwargs, nkwargs, result);
}

/* --- var, env_var ------------------------------------------------------------ */

NATIVE(fn_var)
{
    render_state *rs = state(call);
    dbt_env *de = ud;
    if (nargs < 1 || args[0].kind != JV_STRING)
        return jinja_call_error(call, "var() takes a variable name");
    const char *name = jv_str_ptr(args[0]);
    jv v = jv_dict_get_str(de->p->vars, name);
    if (v.kind == JV_UNDEFINED) {
        /* vars scoped to the project: vars: {proj: {name: ...}} */
        jv scoped = jv_dict_get_str(de->p->vars, de->p->name);
        if (scoped.kind == JV_DICT)
            v = jv_dict_get_str(scoped, name);
    }
    if (v.kind == JV_STRING && (strstr(jv_str_ptr(v), "{{") || strstr(jv_str_ptr(v), "{%"))) {
        /* dbt renders a var's value when it is read (vars: {x: "{{ env_var('X') }}"}) */
        strbuf sb = STRBUF_INIT;
        mlerr err = MLERR_INIT;
        const char *where = arena_printf(jinja_call_arena(call), "var('%s')", name);
        bool ok = dbt_render(de, rs, where, jv_str_ptr(v), jv_str_len(v), 1, &sb, &err);
        jinja_status st = JINJA_OK;
        if (ok)
            *result = jv_string_n(jinja_call_arena(call), strbuf_str(&sb), sb.len);
        else
            st = jinja_call_error(call, "%s", mlerr_message(&err));
        strbuf_release(&sb);
        mlerr_clear(&err);
        return st;
    }
    if (v.kind != JV_UNDEFINED) {
        *result = v;
        return JINJA_OK;
    }
    jv def = arg(args, nargs, 1, kwargs, nkwargs, "default");
    if (def.kind != JV_UNDEFINED) {
        *result = def;
        return JINJA_OK;
    }
    return jinja_call_error(
        call, "Required var '%s' not found in config:\nVars supplied to %s = %s", name,
        rs->node ? rs->node->name : "<project>", jv_dict_len(de->p->vars) ? "{...}" : "{}");
}

NATIVE(fn_env_var)
{
    arena *a = jinja_call_arena(call);
    if (nargs < 1 || args[0].kind != JV_STRING)
        return jinja_call_error(call, "env_var() takes an environment variable name");
    const char *v = job_getenv(jv_str_ptr(args[0]));
    if (v) {
        *result = jv_string(a, v);
        return JINJA_OK;
    }
    jv def = arg(args, nargs, 1, kwargs, nkwargs, "default");
    if (def.kind != JV_UNDEFINED) {
        *result = def;
        return JINJA_OK;
    }
    return jinja_call_error(call, "Env var required but not provided: '%s'", jv_str_ptr(args[0]));
}

/* --- return, log, print, exceptions ----------------------------------------- */

NATIVE(fn_return)
{
    return jinja_call_return(call, nargs ? args[0] : jv_none());
}

NATIVE(fn_log)
{
    strbuf sb = STRBUF_INIT;
    if (nargs)
        jv_to_str(args[0], &sb);
    jv info = arg(args, nargs, 1, kwargs, nkwargs, "info");
    if (jv_truthy(info))
        log_info("%s", strbuf_str(&sb));
    else
        log_debug("%s", strbuf_str(&sb));
    strbuf_release(&sb);
    *result = jv_string(jinja_call_arena(call), "");
    return JINJA_OK;
}

NATIVE(fn_print)
{
    strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < nargs; i++) {
        if (i)
            strbuf_addc(&sb, ' ');
        jv_to_str(args[i], &sb);
    }
    log_info("%s", strbuf_str(&sb));
    strbuf_release(&sb);
    *result = jv_string(jinja_call_arena(call), "");
    return JINJA_OK;
}

NATIVE(fn_raise_compiler_error)
{
    strbuf sb = STRBUF_INIT;
    if (nargs)
        jv_to_str(args[0], &sb);
    jinja_status st = jinja_call_error(call, "Compilation Error: %s", strbuf_str(&sb));
    strbuf_release(&sb);
    return st;
}

NATIVE(fn_raise_not_implemented)
{
    strbuf sb = STRBUF_INIT;
    if (nargs)
        jv_to_str(args[0], &sb);
    jinja_status st = jinja_call_error(call, "not implemented: %s", strbuf_str(&sb));
    strbuf_release(&sb);
    return st;
}

NATIVE(fn_warn)
{
    strbuf sb = STRBUF_INIT;
    if (nargs)
        jv_to_str(args[0], &sb);
    log_warn("%s", strbuf_str(&sb));
    strbuf_release(&sb);
    *result = jv_string(jinja_call_arena(call), "");
    return JINJA_OK;
}

/* --- json, zip, set, md5 ------------------------------------------------------ */

NATIVE(fn_tojson)
{
    if (nargs < 1)
        return jinja_call_error(call, "tojson() takes a value");
    jv sort = arg(args, nargs, 1, kwargs, nkwargs, "sort_keys");
    jv_json_opts o = {.indent = -1, .sort_keys = jv_truthy(sort), .ensure_ascii = true};
    strbuf sb = STRBUF_INIT;
    jv_to_json_opts(args[0], &o, &sb);
    *result = jv_string_n(jinja_call_arena(call), strbuf_str(&sb), sb.len);
    strbuf_release(&sb);
    return JINJA_OK;
}

NATIVE(fn_fromjson)
{
    if (nargs < 1 || args[0].kind != JV_STRING)
        return jinja_call_error(call, "fromjson() takes a string");
    if (!jv_from_json(jinja_call_arena(call), jv_str_ptr(args[0]), jv_str_len(args[0]), result,
                      NULL)) {
        jv def = arg(args, nargs, 1, kwargs, nkwargs, "default");
        *result = def.kind == JV_UNDEFINED ? jv_none() : def;
    }
    return JINJA_OK;
}

static bool as_items(jv v, size_t *n)
{
    if (v.kind == JV_LIST) {
        *n = jv_list_len(v);
        return true;
    }
    if (v.kind == JV_DICT) {
        *n = jv_dict_len(v);
        return true;
    }
    return false;
}

static jv item_at(arena *a, jv v, size_t i)
{
    if (v.kind == JV_LIST)
        return jv_list_get(v, i);
    if (v.kind == JV_DICT)
        return jv_dict_key_at(v, i);
    (void)a;
    return jv_none();
}

NATIVE(fn_zip)
{
    arena *a = jinja_call_arena(call);
    size_t n = (size_t)-1;
    for (size_t i = 0; i < nargs; i++) {
        size_t len;
        if (!as_items(args[i], &len)) {
            *result = jv_none(); /* dbt's zip returns None for non-iterables */
            return JINJA_OK;
        }
        if (len < n)
            n = len;
    }
    jv out = jv_list(a);
    if (nargs == 0)
        n = 0;
    jv *row = xmalloc((nargs ? nargs : 1) * sizeof(jv));
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < nargs; i++)
            row[i] = item_at(a, args[i], k);
        jv_list_append(out, jv_tuple(a, row, nargs));
    }
    free(row);
    *result = out;
    return JINJA_OK;
}

NATIVE(fn_set)
{
    arena *a = jinja_call_arena(call);
    size_t n;
    if (nargs < 1 || !as_items(args[0], &n)) {
        *result = jv_none();
        return JINJA_OK;
    }
    jv out = jv_list(a);
    for (size_t i = 0; i < n; i++) {
        jv it = item_at(a, args[0], i);
        bool seen = false;
        for (size_t j = 0; j < jv_list_len(out) && !seen; j++)
            seen = jv_equal(jv_list_get(out, j), it);
        if (!seen)
            jv_list_append(out, it);
    }
    *result = out;
    return JINJA_OK;
}

NATIVE(fn_local_md5)
{
    if (nargs < 1)
        return jinja_call_error(call, "local_md5() takes a string");
    strbuf sb = STRBUF_INIT;
    jv_to_str(args[0], &sb);
    char hex[33];
    digest_md5_hex(sb.buf ? sb.buf : "", sb.len, hex);
    strbuf_release(&sb);
    *result = jv_string(jinja_call_arena(call), hex);
    return JINJA_OK;
}

/* --- adapter ----------------------------------------------------------------- */

static jv find_in(jv ns, const char *name)
{
    return ns.kind == JV_DICT ? jv_dict_get_str(ns, name) : jv_undefined(name);
}

NATIVE(fn_dispatch)
{
    dbt_env *de = ud;
    arena *a = jinja_call_arena(call);
    jv name = arg(args, nargs, 0, kwargs, nkwargs, "macro_name");
    jv ns = arg(args, nargs, 1, kwargs, nkwargs, "macro_namespace");
    if (name.kind != JV_STRING)
        return jinja_call_error(call, "adapter.dispatch() takes a macro name");
    const char *mname = jv_str_ptr(name);
    if (strchr(mname, '.'))
        return jinja_call_error(call,
                                "adapter.dispatch(): the macro name '%s' must not contain a dot; "
                                "pass the namespace as macro_namespace",
                                mname);
    /* search order: the project, then the namespace's package (dbt last) */
    jv packages[2];
    size_t np = 0;
    if (ns.kind == JV_STRING && strcmp(jv_str_ptr(ns), "dbt") != 0 &&
        strcmp(jv_str_ptr(ns), de->p->name) != 0)
        return jinja_call_error(call, "not supported yet: macro_namespace '%s' (packages)",
                                jv_str_ptr(ns));
    packages[np++] = de->project_macros;
    packages[np++] = de->dbt_macros;
    static const char *const prefixes[] = {"duckdb", "default"};
    for (size_t i = 0; i < np; i++) {
        for (size_t k = 0; k < 2; k++) {
            char full[512];
            snprintf(full, sizeof full, "%s__%s", prefixes[k], mname);
            jv m = find_in(packages[i], full);
            if (m.kind == JV_CALLABLE) {
                *result = m;
                return JINJA_OK;
            }
        }
    }
    (void)a;
    return jinja_call_error(call,
                            "In dispatch: No macro named '%s' found within namespace: '%s'\n"
                            "    Searched for: '%s.duckdb__%s', '%s.default__%s', "
                            "'dbt.duckdb__%s', 'dbt.default__%s'",
                            mname, ns.kind == JV_STRING ? jv_str_ptr(ns) : de->p->name, de->p->name,
                            mname, de->p->name, mname, mname, mname);
}

NATIVE(fn_quote)
{
    strbuf sb = STRBUF_INIT;
    strbuf_addc(&sb, '"');
    if (nargs)
        jv_to_str(args[0], &sb);
    strbuf_addc(&sb, '"');
    *result = jv_string_n(jinja_call_arena(call), strbuf_str(&sb), sb.len);
    strbuf_release(&sb);
    return JINJA_OK;
}

/* adapter.get_relation(database, schema, identifier): none unless the
 * render was given a probe (run time), which asks the database. */
NATIVE(fn_get_relation)
{
    (void)ud;
    render_state *rs = state(call);
    *result = jv_none();
    if (!rs->probe_relation || rs->mode != RENDER_COMPILE)
        return JINJA_OK;
    const char *names[3] = {"database", "schema", "identifier"};
    const char *parts[3] = {NULL, NULL, NULL};
    arena *a = jinja_call_arena(call);
    for (size_t i = 0; i < 3; i++) {
        jv v = i < nargs ? args[i] : kwarg(kwargs, nkwargs, names[i]);
        if (v.kind == JV_UNDEFINED || v.kind == JV_NONE)
            continue;
        strbuf sb = STRBUF_INIT;
        jv_to_str(v, &sb);
        parts[i] = arena_strdup(a, strbuf_str(&sb));
        strbuf_release(&sb);
    }
    if (!parts[2])
        return jinja_call_error(call, "adapter.get_relation() needs an identifier");
    const char *type = NULL;
    if (rs->probe_relation(rs->probe_ctx, parts[0], parts[1], parts[2], &type))
        *result = dbt_relation(a, parts[0], parts[1], parts[2], type);
    return JINJA_OK;
}

NATIVE(fn_empty_list)
{
    *result = jv_list(jinja_call_arena(call));
    return JINJA_OK;
}

NATIVE(fn_run_query)
{
    render_state *rs = state(call);
    if (rs->mode == RENDER_PARSE) {
        *result = jv_none();
        return JINJA_OK;
    }
    return jinja_call_error(call, "not supported yet: run_query() while compiling");
}

NATIVE(fn_doc)
{
    dbt_env *de = ud;
    if (nargs < 1 || args[0].kind != JV_STRING)
        return jinja_call_error(call, "doc() takes a docs block name");
    const char *name = jv_str_ptr(args[nargs - 1]);
    for (uint32_t i = 0; i < de->p->n_docs; i++)
        if (strcmp(de->p->docs[i].name, name) == 0) {
            *result = jv_string(jinja_call_arena(call), de->p->docs[i].block_contents);
            return JINJA_OK;
        }
    return jinja_call_error(call, "Documentation for '%s' was not found", name);
}

/* --- environment ------------------------------------------------------------- */

static void keep_template(dbt_env *de, jinja_template *t)
{
    if (de->n_templates == de->cap_templates) {
        de->cap_templates = de->cap_templates ? de->cap_templates * 2 : 64;
        de->templates = xrealloc(de->templates, de->cap_templates * sizeof(*de->templates));
    }
    de->templates[de->n_templates++] = t;
}

/* dbt's `config` is both callable (config(materialized='table')) and an
 * object (config.get('x')).  A Jinja value here is one or the other, so the
 * two method calls are renamed to plain functions before compiling. */
static void rewrite_config_methods(const char *s, size_t len, strbuf *out)
{
    static const struct {
        const char *from, *to;
    } renames[] = {{"config.get(", "__dbt_config_get("},
                   {"config.require(", "__dbt_config_require("}};
    size_t i = 0, copied = 0;
    while (i < len) {
        /* both names start with "config." */
        const char *hit = memmem(s + i, len - i, "config.", 7);
        if (!hit)
            break;
        i = (size_t)(hit - s);
        bool boundary =
            i == 0 ||
            !((s[i - 1] >= 'a' && s[i - 1] <= 'z') || (s[i - 1] >= 'A' && s[i - 1] <= 'Z') ||
              (s[i - 1] >= '0' && s[i - 1] <= '9') || s[i - 1] == '_' || s[i - 1] == '.');
        bool done = false;
        for (size_t k = 0; boundary && !done && k < 2; k++) {
            size_t fl = strlen(renames[k].from);
            if (i + fl <= len && memcmp(s + i, renames[k].from, fl) == 0) {
                strbuf_add(out, s + copied, i - copied);
                strbuf_adds(out, renames[k].to);
                i += fl;
                copied = i;
                done = true;
            }
        }
        if (!done)
            i++;
    }
    strbuf_add(out, s + copied, len - copied);
}

/* {% test x(...) %} ... {% endtest %} is {% macro test_x(...) %} ... {% endmacro %}. */
static void macro_source(const pmacro *m, strbuf *out)
{
    for (int i = 1; i < m->line; i++)
        strbuf_addc(out, '\n');
    const char *s = m->macro_sql;
    const char *w = s + 2;
    if (*w == '-' || *w == '+')
        w++;
    while (*w == ' ' || *w == '\t' || *w == '\n' || *w == '\r')
        w++;
    if (strncmp(w, "test", 4) == 0) {
        strbuf_add(out, s, (size_t)(w - s));
        strbuf_adds(out, "macro test_");
        const char *after = w + 4;
        while (*after == ' ' || *after == '\t')
            after++;
        const char *end = strstr(after, "endtest");
        const char *last = NULL;
        while (end) {
            last = end;
            end = strstr(end + 7, "endtest");
        }
        if (last) {
            strbuf_add(out, after, (size_t)(last - after));
            strbuf_adds(out, "endmacro");
            strbuf_adds(out, last + 7);
        } else {
            strbuf_adds(out, after);
        }
        return;
    }
    strbuf_adds(out, s);
}

static bool add_macros(dbt_env *de, const char *package, jv ns, mlerr *err)
{
    project *p = de->p;
    arena *ea = jinja_env_arena(de->env);
    for (uint32_t i = 0; i < p->n_macros; i++) {
        const pmacro *m = &p->macros[i];
        if (strcmp(m->package_name, package) != 0)
            continue;
        strbuf raw = STRBUF_INIT, src = STRBUF_INIT;
        macro_source(m, &raw);
        rewrite_config_methods(strbuf_str(&raw), raw.len, &src);
        strbuf_release(&raw);
        jinja_template *t =
            jinja_compile(de->env, m->original_file_path, strbuf_str(&src), src.len, err);
        strbuf_release(&src);
        if (!t)
            return false;
        keep_template(de, t);
        jinja_render_opts o = {.context = jv_undefined(NULL), .arena = ea};
        jv module;
        if (!jinja_module(t, &o, &module, err))
            return false;
        jv fn = jv_dict_get_str(module, m->name);
        if (fn.kind != JV_CALLABLE) {
            mlerr_at(err, EXIT_SETUP, m->original_file_path, m->line, 1,
                     "macro '%s' could not be loaded", m->name);
            return false;
        }
        jv_dict_set_str(ns, m->name, fn);
    }
    return true;
}

dbt_env *dbt_env_new(project *p, mlerr *err)
{
    dbt_env *de = xcalloc(1, sizeof(dbt_env));
    de->p = p;
    de->env = jinja_env_new();
    jinja_env *env = de->env;
    arena *ea = jinja_env_arena(env);
    de->dbt_macros = jv_dict(ea);
    de->project_macros = jv_dict(ea);
    de->root_macros = jv_dict(ea);
    de->graph = jv_undefined(NULL);

    jinja_env_add_function(env, "ref", fn_ref, de);
    jinja_env_add_function(env, "source", fn_source, de);
    jinja_env_add_function(env, "var", fn_var, de);
    jinja_env_add_function(env, "env_var", fn_env_var, de);
    jinja_env_add_function(env, "return", fn_return, de);
    jinja_env_add_function(env, "log", fn_log, de);
    jinja_env_add_function(env, "print", fn_print, de);
    jinja_env_add_function(env, "tojson", fn_tojson, de);
    jinja_env_add_function(env, "fromjson", fn_fromjson, de);
    jinja_env_add_function(env, "zip", fn_zip, de);
    jinja_env_add_function(env, "set", fn_set, de);
    jinja_env_add_function(env, "local_md5", fn_local_md5, de);
    jinja_env_add_function(env, "run_query", fn_run_query, de);
    jinja_env_add_function(env, "doc", fn_doc, de);
    jinja_env_add_function(env, "config", fn_config, de);
    /* config.get / config.require: see rewrite_config_methods */
    jinja_env_add_function(env, "__dbt_config_get", fn_config_get, de);
    jinja_env_add_function(env, "__dbt_config_require", fn_config_require, de);

    jv exceptions = jv_dict(ea);
    jv_dict_set_str(exceptions, "raise_compiler_error",
                    jinja_native(ea, "raise_compiler_error", fn_raise_compiler_error, de));
    jv_dict_set_str(exceptions, "raise_not_implemented",
                    jinja_native(ea, "raise_not_implemented", fn_raise_not_implemented, de));
    jv_dict_set_str(exceptions, "warn", jinja_native(ea, "warn", fn_warn, de));
    jinja_env_add_global(env, "exceptions", exceptions);

    jv adapter = jv_dict(ea);
    jv_dict_set_str(adapter, "dispatch", jinja_native(ea, "dispatch", fn_dispatch, de));
    jv_dict_set_str(adapter, "quote", jinja_native(ea, "quote", fn_quote, de));
    jv_dict_set_str(adapter, "get_relation", jinja_native(ea, "get_relation", fn_get_relation, de));
    jv_dict_set_str(adapter, "get_columns_in_relation",
                    jinja_native(ea, "get_columns_in_relation", fn_empty_list, de));
    jv_dict_set_str(adapter, "type", jinja_native(ea, "type", fn_quote, de));
    jinja_env_add_global(env, "adapter", adapter);

    jv target = jv_dict(ea);
    const dbt_target *t = p->target;
    jv_dict_set_str(target, "name", jv_string(ea, t && t->target_name ? t->target_name : "dev"));
    jv_dict_set_str(target, "schema", jv_string(ea, p->target_schema));
    jv_dict_set_str(target, "type", jv_string(ea, "duckdb"));
    jv_dict_set_str(target, "threads", jv_int(t ? t->threads : 1));
    jv_dict_set_str(target, "database", jv_string(ea, p->target_database));
    jv_dict_set_str(target, "path", jv_string(ea, t && t->path ? t->path : ":memory:"));
    jv_dict_set_str(target, "profile_name",
                    jv_string(ea, t && t->profile_name ? t->profile_name
                                  : p->file.profile    ? p->file.profile
                                                       : p->name));
    jinja_env_add_global(env, "target", target);

    jv flags = jv_dict(ea);
    jv_dict_set_str(flags, "FULL_REFRESH", jv_bool(false));
    jv_dict_set_str(flags, "STORE_FAILURES", jv_bool(false));
    jv_dict_set_str(flags, "WHICH", jv_string(ea, "compile"));
    jv_dict_set_str(flags, "EMPTY", jv_bool(false));
    jinja_env_add_global(env, "flags", flags);
    de->flags = flags;

    jinja_env_add_global(env, "run_started_at",
                         dbt_datetime(ea, p->started_sec, p->started_usec, true));
    jinja_env_add_global(env, "modules", dbt_modules(ea));
    jinja_env_add_global(env, "invocation_id", jv_string(ea, p->invocation_id));
    jinja_env_add_global(env, "project_name", jv_string(ea, p->name));
    jinja_env_add_global(env, "dbt_version", jv_string(ea, "1.9.0"));
    jinja_env_add_global(env, "database", jv_string(ea, p->target_database));
    jinja_env_add_global(env, "schema", jv_string(ea, p->target_schema));

    jv builtins = jv_dict(ea);
    jv_dict_set_str(builtins, "ref", jinja_native(ea, "ref", fn_ref, de));
    jv_dict_set_str(builtins, "source", jinja_native(ea, "source", fn_source, de));
    jv_dict_set_str(builtins, "config", jinja_native(ea, "config", fn_config, de));
    jinja_env_add_global(env, "builtins", builtins);

    if (!add_macros(de, "dbt", de->dbt_macros, err) ||
        !add_macros(de, p->name, de->project_macros, err)) {
        dbt_env_free(de);
        return NULL;
    }
    for (size_t i = 0; i < jv_dict_len(de->dbt_macros); i++)
        jv_dict_set(de->root_macros, jv_dict_key_at(de->dbt_macros, i),
                    jv_dict_value_at(de->dbt_macros, i));
    for (size_t i = 0; i < jv_dict_len(de->project_macros); i++)
        jv_dict_set(de->root_macros, jv_dict_key_at(de->project_macros, i),
                    jv_dict_value_at(de->project_macros, i));
    for (size_t i = 0; i < jv_dict_len(de->root_macros); i++) {
        jv k = jv_dict_key_at(de->root_macros, i);
        jinja_env_add_global(env, jv_str_ptr(k), jv_dict_value_at(de->root_macros, i));
    }
    de->custom_schema_name = jv_dict_has(de->project_macros, jv_string(ea, "generate_schema_name"));
    de->custom_alias_name = jv_dict_has(de->project_macros, jv_string(ea, "generate_alias_name"));
    de->custom_database_name =
        jv_dict_has(de->project_macros, jv_string(ea, "generate_database_name"));
    jinja_env_add_global(env, "dbt", de->dbt_macros);
    if (strcmp(p->name, "dbt") != 0)
        jinja_env_add_global(env, p->name, de->project_macros);
    jv_freeze(p->vars);
    return de;
}

jv dbt_flags_new(arena *a, const char *which, bool full_refresh, bool store_failures, bool empty)
{
    jv flags = jv_dict(a);
    jv_dict_set_str(flags, "FULL_REFRESH", jv_bool(full_refresh));
    jv_dict_set_str(flags, "STORE_FAILURES", jv_bool(store_failures));
    jv_dict_set_str(flags, "WHICH", jv_string(a, which));
    jv_dict_set_str(flags, "EMPTY", jv_bool(empty));
    jv_freeze(flags);
    return flags;
}

void dbt_env_set_flags(dbt_env *de, const char *which, bool full_refresh, bool store_failures)
{
    /* globals are frozen once added: replace the dict rather than edit it */
    jv flags =
        dbt_flags_new(jinja_env_arena(de->env), which, full_refresh, store_failures, de->empty);
    jinja_env_add_global(de->env, "flags", flags);
    de->flags = flags;
}

void dbt_env_set_empty(dbt_env *de, bool empty)
{
    arena *ea = jinja_env_arena(de->env);
    jv flags = jv_dict(ea);
    for (size_t i = 0; i < jv_dict_len(de->flags); i++)
        jv_dict_set(flags, jv_dict_key_at(de->flags, i), jv_dict_value_at(de->flags, i));
    jv_dict_set_str(flags, "EMPTY", jv_bool(empty));
    jinja_env_add_global(de->env, "flags", flags);
    de->flags = flags;
    de->empty = empty;
}

void dbt_env_free(dbt_env *de)
{
    if (!de)
        return;
    for (size_t i = 0; i < de->n_templates; i++)
        jinja_template_free(de->templates[i]);
    free(de->templates);
    jinja_env_free(de->env);
    free(de);
}

void render_state_release(render_state *rs)
{
    free(rs->refs);
    free(rs->sources);
    free(rs->ephemerals);
    rs->refs = NULL;
    rs->sources = NULL;
    rs->ephemerals = NULL;
    rs->n_refs = rs->n_sources = rs->n_ephemerals = 0;
    rs->cap_refs = rs->cap_sources = rs->cap_ephemerals = 0;
}

bool dbt_render(dbt_env *de, render_state *rs, const char *name, const char *source, size_t len,
                int first_line, strbuf *out, mlerr *err)
{
    strbuf padded = STRBUF_INIT;
    for (int i = 1; i < first_line; i++)
        strbuf_addc(&padded, '\n');
    rewrite_config_methods(source, len, &padded);
    jinja_template *t = jinja_compile(de->env, name, strbuf_str(&padded), padded.len, err);
    strbuf_release(&padded);
    if (!t)
        return false;
    arena *a = rs->scratch ? rs->scratch : rs->a;
    jv ctx = jv_dict(a);
    jv_dict_set_str(ctx, "execute", jv_bool(rs->mode == RENDER_COMPILE));
    pnode *n = rs->node;
    const project *p = de->p;
    if (rs->mode == RENDER_COMPILE && n->type != NODE_TEST) {
        relation r = {
            n->database, n->schema,
            n->alias,    n->materialized && strcmp(n->materialized, "view") == 0 ? "view" : "table",
            true,        -1};
        jv_dict_set_str(ctx, "this", relation_new(a, &r));
    } else {
        jv_dict_set_str(ctx, "this",
                        dbt_relation(a, n->database ? n->database : p->target_database,
                                     n->schema ? n->schema : p->target_schema,
                                     n->alias ? n->alias : n->name, "table"));
    }
    jv_dict_set_str(ctx, "model", dbt_node_object(a, n));
    jv graph = de->graph;
    if (graph.kind != JV_DICT) {
        graph = jv_dict(a);
        jv_dict_set_str(graph, "nodes", jv_dict(a));
        jv_dict_set_str(graph, "sources", jv_dict(a));
        jv_dict_set_str(graph, "exposures", jv_dict(a));
        jv_dict_set_str(graph, "groups", jv_dict(a));
    }
    jv_dict_set_str(ctx, "graph", graph);
    if (n->type == NODE_TEST && n->test.kind == TEST_GENERIC && rs->test_kwargs.kind == JV_DICT)
        jv_dict_set_str(ctx, "_dbt_generic_test_kwargs", rs->test_kwargs);
    if (rs->extra.kind == JV_DICT) {
        for (size_t i = 0; i < jv_dict_len(rs->extra); i++)
            jv_dict_set(ctx, jv_dict_key_at(rs->extra, i), jv_dict_value_at(rs->extra, i));
    }
    if (rs->flags.kind == JV_DICT)
        jv_dict_set_str(ctx, "flags", rs->flags);
    jinja_render_opts o = {.context = ctx, .host = rs, .arena = a};
    bool ok = jinja_render(t, &o, out, err);
    jinja_template_free(t);
    return ok;
}
