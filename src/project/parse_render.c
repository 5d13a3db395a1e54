/* parse_render: rendering while loading (see parse_render.h). */
#include "project/parse_render.h"
#include "project/parse_pool.h"

#include "project/dbt_context.h"
#include "project/dbt_macros.h"
#include "project/graph_index.h"
#include "util/edit_distance.h"
#include "util/jobctx.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- what parse-time ref()/source() check against ------------------------- */

static bool lookup_ref(void *ctx, const char *name)
{
    loader *L = ctx;
    static const node_type refable[] = {NODE_MODEL, NODE_SEED, NODE_SNAPSHOT};
    for (size_t i = 0; i < 3; i++) {
        char key[512];
        snprintf(key, sizeof key, "%d:%s", (int)refable[i], name);
        if (strmap_get(&L->node_names, key) >= 0)
            return true;
    }
    return false;
}

static const char *nearest_ref(void *ctx, const char *name)
{
    loader *L = ctx;
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < L->nodes.n; i++) {
        const pnode *n = &L->nodes.items[i]->n;
        if (n->type != NODE_MODEL && n->type != NODE_SEED && n->type != NODE_SNAPSHOT)
            continue;
        size_t d = edit_distance(name, n->name);
        if (d < best_d) {
            best_d = d;
            best = n->name;
        }
    }
    return best;
}

static bool lookup_source(void *ctx, const char *source_name, const char *table_name)
{
    loader *L = ctx;
    for (size_t i = 0; i < L->nodes.n; i++) {
        const pnode *n = &L->nodes.items[i]->n;
        if (n->type == NODE_SOURCE && strcmp(n->source_name, source_name) == 0 &&
            strcmp(n->name, table_name) == 0)
            return true;
    }
    return false;
}

/* dbt renders YAML values natively: "True" becomes a bool, "3" an int. */
static jv native_value(arena *a, const char *s)
{
    if (strcmp(s, "True") == 0)
        return jv_bool(true);
    if (strcmp(s, "False") == 0)
        return jv_bool(false);
    if (strcmp(s, "None") == 0)
        return jv_none();
    char *end = NULL;
    long long i = strtoll(s, &end, 10);
    if (*s && end && !*end && !isspace((unsigned char)*s))
        return jv_int(i);
    return jv_string(a, s);
}

static bool render_value(loader *L, const char *file, const ynode *at, jv in, jv *out)
{
    *out = in;
    if (in.kind == JV_LIST) {
        jv l = jv_list(L->a);
        for (size_t i = 0; i < jv_list_len(in); i++) {
            jv item;
            if (!render_value(L, file, at, jv_list_get(in, i), &item))
                return false;
            jv_list_append(l, item);
        }
        *out = l;
        return true;
    }
    if (in.kind == JV_DICT) {
        jv d = jv_dict(L->a);
        for (size_t i = 0; i < jv_dict_len(in); i++) {
            jv item;
            if (!render_value(L, file, at, jv_dict_value_at(in, i), &item))
                return false;
            jv_dict_set(d, jv_dict_key_at(in, i), item);
        }
        *out = d;
        return true;
    }
    if (in.kind != JV_STRING || (!strstr(jv_str_ptr(in), "{{") && !strstr(jv_str_ptr(in), "{%")))
        return true;
    /* rendered outside any node: `this` and `model` describe the file */
    pnode where = {0};
    where.type = NODE_MODEL;
    where.name = "yaml";
    where.unique_id = file;
    where.original_file_path = file;
    where.columns = jv_dict(L->a);
    where.meta = jv_dict(L->a);
    where.config = jv_undefined(NULL);
    arena scratch = ARENA_INIT;
    render_state rs = {.de = L->p->env,
                       .node = &where,
                       .mode = RENDER_PARSE,
                       .a = L->a,
                       .scratch = &scratch,
                       .err = L->err};
    rs.config_calls = jv_undefined(NULL);
    rs.test_kwargs = jv_undefined(NULL);
    strbuf sb = STRBUF_INIT;
    bool ok = dbt_render(L->p->env, &rs, file, jv_str_ptr(in), jv_str_len(in), 1, &sb, L->err);
    if (ok)
        *out = native_value(L->a, strbuf_str(&sb));
    else
        mlerr_prefix(L->err, "in the YAML value at %s:%d:%d", file, at->line, at->col);
    strbuf_release(&sb);
    render_state_release(&rs);
    arena_free(&scratch);
    return ok;
}

bool parse_render_begin(loader *L)
{
    if (!discover_macro_file(L, "dbt", "mallard_builtins.sql", dbt_builtin_macros_sql, "macros"))
        return false;
    graph_take_macros(L);
    dbt_env *de = dbt_env_new(L->p, L->err);
    if (!de)
        return false;
    de->parse_ctx = L;
    de->parse_has_ref = lookup_ref;
    de->parse_nearest = nearest_ref;
    de->parse_has_source = lookup_source;
    L->p->env = de;
    L->render_value = render_value;
    return true;
}

/* --- generic-test arguments ----------------------------------------------------- */

/* dbt renders each string argument of a generic test; one that looks like
 * a function call (ref(...), source(...), var(...), env_var(...), doc(...))
 * is rendered as an expression. */
static bool looks_like_func(const char *s)
{
    static regex_t re;
    static int ready; /* only touched from the loading thread */
    if (!ready) {
        regcomp(&re, "^[[:space:]]*(env_var|ref|var|source|doc)[[:space:]]*\\(.+\\)[[:space:]]*$",
                REG_EXTENDED | REG_NOSUB);
        ready = 1;
    }
    return regexec(&re, s, 0, NULL, 0) == 0;
}

static bool render_kwarg(dbt_env *de, render_state *rs, const pnode *n, jv v, bool is_column,
                         jv *out, mlerr *err)
{
    arena *a = rs->scratch ? rs->scratch : rs->a;
    if (v.kind == JV_STRING && !is_column) {
        const char *s = jv_str_ptr(v);
        bool func = looks_like_func(s);
        if (!func && !strstr(s, "{{") && !strstr(s, "{%")) {
            *out = v;
            return true;
        }
        const char *src = func ? arena_printf(a, "{{ %s }}", s) : s;
        strbuf sb = STRBUF_INIT;
        bool ok = dbt_render(de, rs, n->original_file_path, src, strlen(src), 1, &sb, err);
        *out = jv_string_n(a, strbuf_str(&sb), sb.len);
        strbuf_release(&sb);
        return ok;
    }
    if (v.kind == JV_LIST) {
        jv l = jv_list(a);
        for (size_t i = 0; i < jv_list_len(v); i++) {
            jv item;
            if (!render_kwarg(de, rs, n, jv_list_get(v, i), false, &item, err))
                return false;
            jv_list_append(l, item);
        }
        *out = l;
        return true;
    }
    if (v.kind == JV_DICT) {
        jv d = jv_dict(a);
        for (size_t i = 0; i < jv_dict_len(v); i++) {
            jv item;
            if (!render_kwarg(de, rs, n, jv_dict_value_at(v, i), false, &item, err))
                return false;
            jv_dict_set(d, jv_dict_key_at(v, i), item);
        }
        *out = d;
        return true;
    }
    *out = v;
    return true;
}

bool dbt_test_kwargs(dbt_env *de, render_state *rs, const pnode *n, jv *out, mlerr *err)
{
    jv kw = n->test.kwargs;
    jv d = jv_dict(rs->scratch ? rs->scratch : rs->a);
    for (size_t i = 0; kw.kind == JV_DICT && i < jv_dict_len(kw); i++) {
        jv k = jv_dict_key_at(kw, i), item;
        bool is_column = jv_is_str(k, "column_name");
        if (!render_kwarg(de, rs, n, jv_dict_value_at(kw, i), is_column, &item, err))
            return false;
        jv_dict_set(d, k, item);
    }
    *out = d;
    return true;
}

/* --- macro dependencies (found statically, as dbt finds a macro's) ---------- */

static str_list macro_calls(loader *L, arena *keep, const char *code, const char *extra)
{
    dbt_env *de = L->p->env;
    const char **ids = NULL;
    size_t n = 0, cap = 0;
    const char *p = code;
    while (p && *p) {
        const char *open = strstr(p, "{");
        if (!open)
            break;
        if (open[1] != '{' && open[1] != '%') {
            p = open + 1;
            continue;
        }
        const char *close = strstr(open + 2, open[1] == '{' ? "}}" : "%}");
        if (!close)
            break;
        for (const char *c = open + 2; c < close; c++) {
            if (!(isalpha((unsigned char)*c) || *c == '_') ||
                (c > open && (isalnum((unsigned char)c[-1]) || c[-1] == '_' || c[-1] == '.')))
                continue;
            const char *e = c;
            while (e < close && (isalnum((unsigned char)*e) || *e == '_' || *e == '.'))
                e++;
            const char *q = e;
            while (q < close && *q == ' ')
                q++;
            if (q < close && *q == '(') {
                char name[256];
                size_t len = (size_t)(e - c);
                if (len < sizeof name) {
                    memcpy(name, c, len);
                    name[len] = '\0';
                    const char *dot = strrchr(name, '.');
                    const char *pkg = NULL, *mname = name;
                    if (dot) {
                        *(char *)dot = '\0';
                        pkg = name;
                        mname = dot + 1;
                    }
                    jv ns = !pkg                           ? de->root_macros
                            : strcmp(pkg, "dbt") == 0      ? de->dbt_macros
                            : strcmp(pkg, L->p->name) == 0 ? de->project_macros
                                                           : jv_undefined(NULL);
                    if (ns.kind == JV_DICT && jv_dict_get_str(ns, mname).kind == JV_CALLABLE) {
                        bool in_project =
                            jv_dict_get_str(de->project_macros, mname).kind == JV_CALLABLE &&
                            (!pkg || strcmp(pkg, "dbt") != 0);
                        const char *id = arena_printf(keep, "macro.%s.%s",
                                                      in_project ? L->p->name : "dbt", mname);
                        bool seen = false;
                        for (size_t k = 0; k < n && !seen; k++)
                            seen = strcmp(ids[k], id) == 0;
                        if (!seen) {
                            if (n == cap) {
                                cap = cap ? cap * 2 : 4;
                                ids = xrealloc(ids, cap * sizeof(char *));
                            }
                            ids[n++] = id;
                        }
                    }
                }
            }
            c = e - 1;
        }
        p = close + 2;
    }
    if (extra) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            ids = xrealloc(ids, cap * sizeof(char *));
        }
        ids[n++] = extra;
    }
    const char **items = ARENA_NEW_ARRAY(keep, const char *, n ? n : 1);
    if (n)
        memcpy(items, ids, n * sizeof(char *));
    free(ids);
    return (str_list){items, (uint32_t)n};
}

/* --- nodes ------------------------------------------------------------------- */

static bool renders(const pnode *n)
{
    return n->type == NODE_MODEL || n->type == NODE_ANALYSIS || n->type == NODE_TEST ||
           n->type == NODE_EXPOSURE;
}

static bool render_node(loader *L, lnode *ln, arena *keep, mlerr *err)
{
    dbt_env *de = L->p->env;
    pnode *n = &ln->n;
    arena scratch = ARENA_INIT;
    render_state rs = {.de = de, .node = n, .mode = RENDER_PARSE, .a = keep, .err = err};
    rs.scratch = &scratch;
    rs.config_calls = jv_undefined(NULL);
    rs.test_kwargs = jv_undefined(NULL);
    bool generic = n->type == NODE_TEST && n->test.kind == TEST_GENERIC;
    /* dbt's shortcut: unique and not_null are not rendered while parsing */
    bool shortcut =
        generic && !n->test.namespace_ &&
        (strcmp(n->test.test_name, "unique") == 0 || strcmp(n->test.test_name, "not_null") == 0);
    bool ok = true;
    /* a rendered test finds its refs in argument order (to: before model);
     * the shortcut keeps the tested node found at build time */
    if (generic && shortcut) {
        for (uint32_t i = 0; i < n->n_refs; i++)
            render_state_add_ref(&rs, n->refs[i]);
        for (uint32_t i = 0; i < n->n_source_refs; i++)
            render_state_add_source(&rs, n->source_refs[i]);
    }
    if (generic && !n->test.namespace_) {
        const char *test_macro = arena_printf(keep, "test_%s", n->test.test_name);
        if (jv_dict_get_str(de->root_macros, test_macro).kind != JV_CALLABLE) {
            mlerr_at(err, EXIT_SETUP, n->original_file_path, n->line, 0,
                     "test '%s' is not defined: there is no {%% test %s(model, column_name) %%} "
                     "block in the macro paths or tests/generic/",
                     n->test.test_name, n->test.test_name);
            render_state_release(&rs);
            arena_free(&scratch);
            return false;
        }
    } else if (generic) {
        mlerr_at(err, EXIT_SETUP, n->original_file_path, n->line, 0,
                 "not supported yet: generic tests from packages ('%s.%s')", n->test.namespace_,
                 n->test.test_name);
        render_state_release(&rs);
        arena_free(&scratch);
        return false;
    }
    if (!shortcut) {
        strbuf out = STRBUF_INIT;
        if (generic)
            ok = dbt_test_kwargs(de, &rs, n, &rs.test_kwargs, err);
        if (ok)
            ok = dbt_render(de, &rs, n->original_file_path, n->raw_code, strlen(n->raw_code), 1,
                            &out, err);
        strbuf_release(&out);
    }
    if (ok) {
        node_ref *refs = ARENA_NEW_ARRAY(keep, node_ref, rs.n_refs ? rs.n_refs : 1);
        if (rs.n_refs)
            memcpy(refs, rs.refs, rs.n_refs * sizeof(node_ref));
        n->refs = refs;
        n->n_refs = (uint32_t)rs.n_refs;
        node_source_ref *srcs =
            ARENA_NEW_ARRAY(keep, node_source_ref, rs.n_sources ? rs.n_sources : 1);
        if (rs.n_sources)
            memcpy(srcs, rs.sources, rs.n_sources * sizeof(node_source_ref));
        n->source_refs = srcs;
        n->n_source_refs = (uint32_t)rs.n_sources;
        ln->sql_config = rs.config_calls;
        const char *extra = NULL;
        if (generic) {
            const char *test_macro = arena_printf(keep, "test_%s", n->test.test_name);
            bool project_has = jv_dict_get_str(de->project_macros, test_macro).kind == JV_CALLABLE;
            const char *id = arena_printf(keep, "macro.%s.%s",
                                          n->test.namespace_ ? n->test.namespace_
                                          : project_has      ? L->p->name
                                                             : "dbt",
                                          test_macro);
            n->depends_on_macros = (str_list){0};
            const char **two = ARENA_NEW_ARRAY(keep, const char *, 2);
            two[0] = id;
            uint32_t k = 1;
            if (!shortcut)
                two[k++] = "macro.dbt.get_where_subquery";
            n->depends_on_macros = (str_list){two, k};
        } else {
            n->depends_on_macros = macro_calls(L, keep, n->raw_code, extra);
        }
    }
    render_state_release(&rs);
    arena_free(&scratch);
    return ok;
}

/* Nodes render independently, so they are shared out among threads
 * (parse_pool): each keeps what it finds in its own arena, and the reported
 * error is the one of the earliest failing node, whichever thread found it. */
enum {
    RENDER_BATCH = 32
};

static bool render_one(void *ctx, size_t i, arena *keep, mlerr *err)
{
    loader *L = ctx;
    lnode *ln = L->nodes.items[i];
    return !renders(&ln->n) || render_node(L, ln, keep, err);
}

bool parse_render_nodes(loader *L)
{
    looks_like_func(""); /* compile the shared regex before any thread uses it */
    return parse_pool_run(L->p, L->a, L->nodes.n, RENDER_BATCH, render_one, L, L->err, NULL);
}

/* --- relation names ----------------------------------------------------------- */

static const char *trimmed(arena *a, const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    return arena_strndup(a, s, len);
}

static bool invoke_name_macro(loader *L, lnode *ln, const char *macro, jv custom, const char **out)
{
    dbt_env *de = L->p->env;
    pnode *n = &ln->n;
    render_state rs = {.de = de, .node = n, .mode = RENDER_PARSE, .a = L->a, .err = L->err};
    rs.config_calls = jv_undefined(NULL);
    rs.test_kwargs = jv_undefined(NULL);
    jv fn = jv_dict_get_str(de->root_macros, macro);
    jv args[2] = {custom, dbt_node_dict(L->a, L->p, n)};
    jv ctx = jv_dict(L->a);
    jv_dict_set_str(ctx, "execute", jv_bool(false));
    jv_dict_set_str(ctx, "model", args[1]);
    jinja_render_opts o = {.context = ctx, .host = &rs, .arena = L->a};
    jv result;
    bool ok = jinja_invoke(de->env, fn, &o, args, 2, NULL, 0, &result, L->err);
    render_state_release(&rs);
    if (!ok) {
        mlerr_prefix(L->err, "%s (naming %s)", n->original_file_path, n->unique_id);
        return false;
    }
    strbuf sb = STRBUF_INIT;
    jv_to_str(result, &sb);
    *out = trimmed(L->a, strbuf_str(&sb));
    strbuf_release(&sb);
    return true;
}

bool parse_render_names(loader *L, lnode *ln)
{
    project *p = L->p;
    dbt_env *de = p->env;
    pnode *n = &ln->n;
    jv cfg = n->config;
    jv db = jv_dict_get_str(cfg, "database");
    jv schema = jv_dict_get_str(cfg, "schema");
    jv alias = jv_dict_get_str(cfg, "alias");
    if (db.kind == JV_UNDEFINED)
        db = jv_none();
    if (schema.kind == JV_UNDEFINED)
        schema = jv_none();
    if (alias.kind == JV_UNDEFINED)
        alias = jv_none();
    /* dbt's defaults, computed directly unless the project overrides them */
    if (de->custom_database_name) {
        if (!invoke_name_macro(L, ln, "generate_database_name", db, &n->database))
            return false;
    } else {
        n->database = db.kind == JV_STRING ? trimmed(L->a, jv_str_ptr(db)) : p->target_database;
    }
    if (de->custom_schema_name) {
        if (!invoke_name_macro(L, ln, "generate_schema_name", schema, &n->schema))
            return false;
    } else {
        n->schema = schema.kind == JV_STRING ? arena_printf(L->a, "%s_%s", p->target_schema,
                                                            trimmed(L->a, jv_str_ptr(schema)))
                                             : p->target_schema;
    }
    if (de->custom_alias_name) {
        if (!invoke_name_macro(L, ln, "generate_alias_name", alias, &n->alias))
            return false;
    } else {
        n->alias = jv_truthy(alias) && alias.kind == JV_STRING ? trimmed(L->a, jv_str_ptr(alias))
                   : n->version ? arena_printf(L->a, "%s_v%s", n->name, n->version)
                                : n->name;
    }
    return true;
}

/* --- after the graph ------------------------------------------------------------ */

static const char *render_description(loader *L, pnode *n, const char *text)
{
    if (!text || (!strstr(text, "{{") && !strstr(text, "{%")))
        return text;
    dbt_env *de = L->p->env;
    render_state rs = {.de = de, .node = n, .mode = RENDER_PARSE, .a = L->a, .err = L->err};
    rs.config_calls = jv_undefined(NULL);
    rs.test_kwargs = jv_undefined(NULL);
    strbuf sb = STRBUF_INIT;
    bool ok = dbt_render(de, &rs, n->patch_path ? n->patch_path : n->original_file_path, text,
                         strlen(text), 1, &sb, L->err);
    render_state_release(&rs);
    const char *out = ok ? arena_strndup(L->a, strbuf_str(&sb), sb.len) : NULL;
    strbuf_release(&sb);
    return out;
}

bool parse_render_finish(loader *L)
{
    project *p = L->p;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        pnode *n = &p->nodes[i];
        const char *d = render_description(L, n, n->description);
        if (!d)
            return false;
        n->description = d;
        for (size_t c = 0; n->columns.kind == JV_DICT && c < jv_dict_len(n->columns); c++) {
            jv col = jv_dict_value_at(n->columns, c);
            jv cd = jv_dict_get_str(col, "description");
            if (cd.kind != JV_STRING)
                continue;
            const char *r = render_description(L, n, jv_str_ptr(cd));
            if (!r)
                return false;
            if (r != jv_str_ptr(cd))
                jv_dict_set_str(col, "description", jv_string(L->a, r));
        }
    }
    for (uint32_t i = 0; i < p->n_macros; i++)
        p->macros[i].depends_on_macros = macro_calls(L, L->a, p->macros[i].macro_sql, NULL);
    return true;
}

void parse_render_free(project *p)
{
    dbt_env_free(p->env);
    p->env = NULL;
}
