/* config: node configs as dbt builds them.
 *
 * A node's config starts from its resource type's defaults, then takes the
 * project's config tree (dbt_project.yml, from the top level down the
 * node's fqn), then its properties-YAML config, then its own config() calls:
 * dbt's documented precedence.  Each level merges by dbt's per-key rules:
 * tags and hooks append, dict-valued configs (meta, docs, ...) update, and
 * everything else is replaced. */
#include "project/loader.h"
#include "project/parse_pool.h"
#include "project/yaml_jv.h"
#include "util/xalloc.h"

#include <string.h>
#include <strings.h>

const char *jv_str_or(jv v, const char *fallback)
{
    return v.kind == JV_STRING ? jv_str_ptr(v) : fallback;
}

str_list str_list_from_jv(arena *a, jv list)
{
    if (list.kind != JV_LIST)
        return (str_list){0};
    size_t n = jv_list_len(list);
    const char **items = ARENA_NEW_ARRAY(a, const char *, n ? n : 1);
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        jv it = jv_list_get(list, i);
        if (it.kind == JV_STRING)
            items[k++] = jv_str_ptr(it);
    }
    return (str_list){items, k};
}

jv str_list_to_jv(arena *a, str_list l)
{
    jv out = jv_list(a);
    for (uint32_t i = 0; i < l.n; i++)
        jv_list_append(out, jv_string(a, l.items[i]));
    return out;
}

typedef enum {
    MERGE_CLOBBER,
    MERGE_APPEND,
    MERGE_UPDATE
} merge_rule;

static merge_rule rule_for(const char *key)
{
    static const char *const append[] = {"tags", "pre-hook", "post-hook", "packages", NULL};
    static const char *const update[] = {"meta",         "docs",   "persist_docs", "quoting",
                                         "column_types", "grants", "contract",     NULL};
    for (size_t i = 0; append[i]; i++)
        if (strcmp(key, append[i]) == 0)
            return MERGE_APPEND;
    for (size_t i = 0; update[i]; i++)
        if (strcmp(key, update[i]) == 0)
            return MERGE_UPDATE;
    return MERGE_CLOBBER;
}

/* dbt accepts pre_hook for pre-hook (and the other way round in Python). */
static const char *canonical_key(const char *key)
{
    if (strcmp(key, "pre_hook") == 0)
        return "pre-hook";
    if (strcmp(key, "post_hook") == 0)
        return "post-hook";
    return key;
}

static bool is_hook_key(const char *key)
{
    return strcmp(key, "pre-hook") == 0 || strcmp(key, "post-hook") == 0;
}

static bool is_str_or_none(jv v)
{
    return v.kind == JV_STRING || v.kind == JV_NONE;
}

const char *config_check_value(arena *a, const char *key, jv v)
{
    static const char *const bools[] = {"enabled", NULL};
    static const char *const opt_bools[] = {"full_refresh", "store_failures", "quote_columns",
                                            NULL};
    static const char *const strs[] = {"materialized", "delimiter", "fail_calc",
                                       "warn_if",      "error_if",  NULL};
    static const char *const opt_strs[] = {"schema",
                                           "alias",
                                           "database",
                                           "incremental_strategy",
                                           "on_schema_change",
                                           "on_configuration_change",
                                           "where",
                                           "store_failures_as",
                                           "group",
                                           "access",
                                           "loaded_at_field",
                                           NULL};
    static const char *const dicts[] = {"meta",         "docs",   "persist_docs", "quoting",
                                        "column_types", "grants", "contract",     NULL};
    for (size_t i = 0; bools[i]; i++)
        if (strcmp(key, bools[i]) == 0 && v.kind != JV_BOOL)
            return arena_printf(a, "config `%s` must be true or false, not a %s", key,
                                jv_kind_name(v));
    for (size_t i = 0; opt_bools[i]; i++)
        if (strcmp(key, opt_bools[i]) == 0 && v.kind != JV_BOOL && v.kind != JV_NONE)
            return arena_printf(a, "config `%s` must be true or false, not a %s", key,
                                jv_kind_name(v));
    for (size_t i = 0; strs[i]; i++)
        if (strcmp(key, strs[i]) == 0 && v.kind != JV_STRING)
            return arena_printf(a, "config `%s` must be a string, not a %s", key, jv_kind_name(v));
    for (size_t i = 0; opt_strs[i]; i++)
        if (strcmp(key, opt_strs[i]) == 0 && !is_str_or_none(v))
            return arena_printf(a, "config `%s` must be a string, not a %s", key, jv_kind_name(v));
    for (size_t i = 0; dicts[i]; i++)
        if (strcmp(key, dicts[i]) == 0 && v.kind != JV_DICT)
            return arena_printf(a, "config `%s` must be a dictionary, not a %s", key,
                                jv_kind_name(v));
    if (strcmp(key, "tags") == 0) {
        if (v.kind == JV_STRING)
            return NULL;
        if (v.kind != JV_LIST)
            return arena_printf(a, "config `tags` must be a string or a list of strings, not a %s",
                                jv_kind_name(v));
        for (size_t i = 0; i < jv_list_len(v); i++)
            if (jv_list_get(v, i).kind != JV_STRING)
                return arena_printf(a, "config `tags` entries must be strings, not a %s",
                                    jv_kind_name(jv_list_get(v, i)));
    }
    if (strcmp(key, "severity") == 0) {
        if (v.kind != JV_STRING ||
            (strcasecmp(jv_str_ptr(v), "warn") != 0 && strcasecmp(jv_str_ptr(v), "error") != 0))
            return arena_printf(a, "config `severity` must be 'warn' or 'error'");
    }
    if (strcmp(key, "limit") == 0 && v.kind != JV_INT && v.kind != JV_NONE)
        return arena_printf(a, "config `limit` must be an integer, not a %s", jv_kind_name(v));
    if (strcmp(key, "unique_key") == 0 && v.kind != JV_STRING && v.kind != JV_LIST &&
        v.kind != JV_NONE)
        return arena_printf(a, "config `unique_key` must be a string or a list, not a %s",
                            jv_kind_name(v));
    if (is_hook_key(canonical_key(key))) {
        if (v.kind == JV_STRING || v.kind == JV_DICT || v.kind == JV_NONE)
            return NULL;
        if (v.kind != JV_LIST)
            return arena_printf(a, "config `%s` must be SQL or a list of SQL, not a %s", key,
                                jv_kind_name(v));
        for (size_t i = 0; i < jv_list_len(v); i++) {
            jv h = jv_list_get(v, i);
            if (h.kind != JV_STRING && h.kind != JV_DICT)
                return arena_printf(a, "config `%s` entries must be SQL strings, not a %s", key,
                                    jv_kind_name(h));
        }
    }
    return NULL;
}

/* A hook as dbt's manifest records it: {"sql", "transaction", "index"}. */
static jv hook_object(arena *a, jv h)
{
    jv d = jv_dict(a);
    if (h.kind == JV_DICT) {
        jv sql = jv_dict_get_str(h, "sql");
        jv tr = jv_dict_get_str(h, "transaction");
        jv_dict_set_str(d, "sql", sql.kind == JV_STRING ? sql : jv_string(a, ""));
        jv_dict_set_str(d, "transaction", tr.kind == JV_BOOL ? tr : jv_bool(true));
    } else {
        jv_dict_set_str(d, "sql", h);
        jv_dict_set_str(d, "transaction", jv_bool(true));
    }
    jv_dict_set_str(d, "index", jv_none());
    return d;
}

static void append_normalised(arena *a, jv out, const char *key, jv v)
{
    bool hook = is_hook_key(key);
    if (v.kind == JV_NONE)
        return;
    if (v.kind != JV_LIST) {
        jv_list_append(out, hook ? hook_object(a, v) : v);
        return;
    }
    for (size_t i = 0; i < jv_list_len(v); i++) {
        jv it = jv_list_get(v, i);
        if (!hook) {
            /* tags stay unique, in first-seen order */
            bool seen = false;
            for (size_t j = 0; j < jv_list_len(out) && !seen; j++)
                seen = jv_equal(jv_list_get(out, j), it);
            if (seen)
                continue;
        }
        jv_list_append(out, hook ? hook_object(a, it) : it);
    }
}

bool config_merge(arena *a, jv dst, jv level, const char **why)
{
    if (level.kind != JV_DICT)
        return true;
    for (size_t i = 0; i < jv_dict_len(level); i++) {
        jv k = jv_dict_key_at(level, i);
        jv v = jv_dict_value_at(level, i);
        if (k.kind != JV_STRING)
            continue;
        const char *key = canonical_key(jv_str_ptr(k));
        const char *bad = config_check_value(a, key, v);
        if (bad) {
            *why = bad;
            return false;
        }
        switch (rule_for(key)) {
        case MERGE_APPEND: {
            jv merged = jv_list(a);
            jv old = jv_dict_get_str(dst, key);
            if (old.kind == JV_LIST)
                append_normalised(a, merged, key, old);
            append_normalised(a, merged, key, v);
            jv_dict_set_str(dst, key, merged);
            break;
        }
        case MERGE_UPDATE: {
            jv merged = jv_dict_clone(a, jv_dict_get_str(dst, key));
            for (size_t j = 0; v.kind == JV_DICT && j < jv_dict_len(v); j++)
                jv_dict_set(merged, jv_dict_key_at(v, j), jv_dict_value_at(v, j));
            jv_dict_set_str(dst, key, merged);
            break;
        }
        case MERGE_CLOBBER:
            jv_dict_set_str(dst, key, v);
            break;
        }
    }
    return true;
}

jv config_defaults(arena *a, node_type type)
{
    jv c = jv_dict(a);
#define SET(k, v) jv_dict_set_str(c, k, v)
    SET("enabled", jv_bool(true));
    SET("alias", jv_none());
    SET("schema", type == NODE_TEST ? jv_string(a, "dbt_test__audit") : jv_none());
    SET("database", jv_none());
    SET("tags", jv_list(a));
    SET("meta", jv_dict(a));
    SET("group", jv_none());
    if (type == NODE_EXPOSURE) {
        jv only = jv_dict(a);
        jv_dict_set_str(only, "enabled", jv_bool(true));
        jv_dict_set_str(only, "tags", jv_list(a));
        jv_dict_set_str(only, "meta", jv_dict(a));
        return only;
    }
    if (type == NODE_SOURCE) {
        jv only = jv_dict(a);
        jv_dict_set_str(only, "enabled", jv_bool(true));
        jv_dict_set_str(only, "event_time", jv_none());
        return only;
    }
    if (type == NODE_TEST) {
        SET("materialized", jv_string(a, "test"));
        SET("severity", jv_string(a, "ERROR"));
        SET("store_failures", jv_none());
        SET("store_failures_as", jv_none());
        SET("where", jv_none());
        SET("limit", jv_none());
        SET("fail_calc", jv_string(a, "count(*)"));
        SET("warn_if", jv_string(a, "!= 0"));
        SET("error_if", jv_string(a, "!= 0"));
        return c;
    }
    SET("materialized", jv_string(a, type == NODE_SEED ? "seed" : "view"));
    SET("incremental_strategy", jv_none());
    SET("persist_docs", jv_dict(a));
    SET("post-hook", jv_list(a));
    SET("pre-hook", jv_list(a));
    SET("quoting", jv_dict(a));
    SET("column_types", jv_dict(a));
    SET("full_refresh", jv_none());
    SET("unique_key", jv_none());
    SET("on_schema_change", jv_string(a, "ignore"));
    SET("on_configuration_change", jv_string(a, "apply"));
    SET("grants", jv_dict(a));
    SET("packages", jv_list(a));
    jv docs = jv_dict(a);
    jv_dict_set_str(docs, "show", jv_bool(true));
    jv_dict_set_str(docs, "node_color", jv_none());
    SET("docs", docs);
    jv contract = jv_dict(a);
    jv_dict_set_str(contract, "enforced", jv_bool(false));
    jv_dict_set_str(contract, "alias_types", jv_bool(true));
    SET("contract", contract);
    if (type == NODE_MODEL)
        SET("access", jv_string(a, "protected"));
    if (type == NODE_SEED) {
        SET("delimiter", jv_string(a, ","));
        SET("quote_columns", jv_none());
    }
#undef SET
    return c;
}

/* One level of the project tree: its "+key" entries and its non-mapping
 * entries are configs; mapping entries without "+" are sub-folders. */
static bool level_configs(loader *L, const ynode *level, jv *out)
{
    /* Every node under a folder reads the same levels: convert each once
     * (an open-addressing map from the level's address). */
    size_t mask = L->cap_level_cache - 1;
    size_t h = L->cap_level_cache ? ((uintptr_t)level >> 4) * 0x9E3779B97F4A7C15ull : 0;
    for (size_t i = h & mask; L->cap_level_cache && L->level_cache[i].level; i = (i + 1) & mask) {
        if (L->level_cache[i].level == level) {
            *out = L->level_cache[i].configs;
            return true;
        }
    }
    arena *a = L->a;
    *out = jv_dict(a);
    for (size_t i = 0; i < level->n; i++) {
        const ynode *k = YMAP_KEY(level, i), *v = YMAP_VAL(level, i);
        if (k->kind != YNODE_SCALAR || (k->str[0] != '+' && v && v->kind == YNODE_MAP))
            continue;
        jv value = yaml_to_jv(a, v);
        if (L->render_value && !L->render_value(L, L->project_path, v ? v : k, value, &value))
            return false;
        jv_dict_set_str(*out, k->str[0] == '+' ? k->str + 1 : k->str, value);
    }
    if ((L->n_level_cache + 1) * 2 > L->cap_level_cache) {
        size_t ncap = L->cap_level_cache ? L->cap_level_cache * 2 : 64;
        level_entry *fresh = xcalloc(ncap, sizeof(*fresh));
        for (size_t i = 0; i < L->cap_level_cache; i++) {
            if (!L->level_cache[i].level)
                continue;
            size_t j =
                (((uintptr_t)L->level_cache[i].level >> 4) * 0x9E3779B97F4A7C15ull) & (ncap - 1);
            while (fresh[j].level)
                j = (j + 1) & (ncap - 1);
            fresh[j] = L->level_cache[i];
        }
        free(L->level_cache);
        L->level_cache = fresh;
        L->cap_level_cache = ncap;
    }
    size_t j = (((uintptr_t)level >> 4) * 0x9E3779B97F4A7C15ull) & (L->cap_level_cache - 1);
    while (L->level_cache[j].level)
        j = (j + 1) & (L->cap_level_cache - 1);
    L->level_cache[j].level = level;
    L->level_cache[j].configs = *out;
    L->n_level_cache++;
    return true;
}

static bool check_tree(loader *L, const ynode *level)
{
    for (size_t i = 0; i < level->n; i++) {
        const ynode *k = YMAP_KEY(level, i), *v = YMAP_VAL(level, i);
        if (k->kind != YNODE_SCALAR)
            continue;
        bool is_config = k->str[0] == '+' || !v || v->kind != YNODE_MAP;
        bool templated =
            v && v->kind == YNODE_SCALAR && (strstr(v->str, "{{") || strstr(v->str, "{%"));
        if (is_config && templated) {
            continue; /* checked once rendered, per node */
        } else if (is_config) {
            const char *key = canonical_key(k->str[0] == '+' ? k->str + 1 : k->str);
            const char *bad = config_check_value(L->a, key, yaml_to_jv(L->a, v));
            if (bad) {
                const ynode *at = v ? v : k;
                mlerr_at(L->err, EXIT_SETUP, L->project_path, at->line, at->col, "%s", bad);
                return false;
            }
        } else if (!check_tree(L, v)) {
            return false;
        }
    }
    return true;
}

bool config_check_project_tree(loader *L, const ynode *tree, node_type type)
{
    return check_tree(L, tree);
}

static const ynode *tree_for(loader *L, node_type t)
{
    switch (t) {
    case NODE_MODEL:
        return L->cfg_models;
    case NODE_SEED:
        return L->cfg_seeds;
    case NODE_TEST:
        return L->cfg_tests;
    case NODE_SOURCE:
        return L->cfg_sources;
    case NODE_ANALYSIS:
        return L->cfg_analyses;
    default:
        return NULL;
    }
}

/* One node's config.  Allocates from a and reports to err, so that it can
 * run on any thread once warm_levels has filled the level cache and the
 * defaults (it then only reads the loader). */
static bool resolve_one(loader *L, lnode *ln, arena *a, mlerr *err)
{
    pnode *n = &ln->n;
    jv base = L->defaults[n->type];
    jv cfg = jv_dict_clone(a, base);
    jv user = jv_dict(a); /* the same levels without defaults: unrendered_config */
    const char *why = NULL;
    const ynode *level = tree_for(L, n->type);
    /* dbt's fqn_search: the tree's root, then one level per fqn part while
     * the path continues. */
    for (uint32_t depth = 0; level; depth++) {
        jv here;
        if (!level_configs(L, level, &here))
            return false;
        config_merge(a, user, here, &why);
        if (!config_merge(a, cfg, here, &why)) {
            mlerr_at(err, EXIT_SETUP, L->project_path, level->line, level->col, "%s", why);
            return false;
        }
        if (depth >= n->fqn.n)
            break;
        const ynode *next = ymap_get(level, n->fqn.items[depth]);
        level = next && next->kind == YNODE_MAP ? next : NULL;
    }
    /* Generic tests: the test macro's own config() is overridden by the
     * properties YAML, because dbt appends the YAML config as a config()
     * call after the macro call. */
    bool generic = n->type == NODE_TEST && n->test.kind == TEST_GENERIC;
    jv first = generic ? ln->sql_config : ln->yml_config;
    jv second = generic ? ln->yml_config : ln->sql_config;
    const char *where = generic ? n->original_file_path : ln->patch_file;
    if (!config_merge(a, cfg, first, &why)) {
        mlerr_at(err, EXIT_SETUP, where ? where : n->original_file_path,
                 ln->patch ? ln->patch->line : n->line, ln->patch ? ln->patch->col : 0, "%s", why);
        return false;
    }
    if (!config_merge(a, cfg, second, &why)) {
        mlerr_at(err, EXIT_SETUP, n->original_file_path, n->line, 0, "%s", why);
        return false;
    }
    config_merge(a, user, first, &why);
    config_merge(a, user, second, &why);
    n->unrendered_config = user;
    /* severity is stored upper-case by dbt */
    jv sev = jv_dict_get_str(cfg, "severity");
    if (sev.kind == JV_STRING) {
        char *up = arena_strdup(a, jv_str_ptr(sev));
        for (char *c = up; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
        jv_dict_set_str(cfg, "severity", jv_string(a, up));
    }
    n->config = cfg;
    n->enabled = jv_truthy(jv_dict_get_str(cfg, "enabled"));
    n->materialized = jv_str_or(jv_dict_get_str(cfg, "materialized"), NULL);
    /* node tags: tags from outside config first, then config tags */
    jv tags = jv_list(a);
    append_normalised(a, tags, "tags", ln->initial_tags);
    append_normalised(a, tags, "tags", jv_dict_get_str(cfg, "tags"));
    n->tags = str_list_from_jv(a, tags);
    n->meta = jv_dict_get_str(cfg, "meta");
    if (n->meta.kind != JV_DICT)
        n->meta = jv_dict(a);
    jv docs = jv_dict_get_str(cfg, "docs");
    n->docs = docs.kind == JV_DICT ? docs : jv_undefined(NULL);
    return true;
}

/* Converts every project-tree level any node reads (rendering Jinja where
 * a value has it) and the defaults of every node type, in node order, as
 * resolve_one would meet them; false at the first failure. */
static bool warm_levels(loader *L)
{
    for (size_t i = 0; i < L->nodes.n; i++) {
        const pnode *n = &L->nodes.items[i]->n;
        if (L->defaults[n->type].kind != JV_DICT)
            L->defaults[n->type] = config_defaults(L->a, n->type);
        const ynode *level = tree_for(L, n->type);
        for (uint32_t depth = 0; level; depth++) {
            jv here;
            if (!level_configs(L, level, &here))
                return false;
            if (depth >= n->fqn.n)
                break;
            const ynode *next = ymap_get(level, n->fqn.items[depth]);
            level = next && next->kind == YNODE_MAP ? next : NULL;
        }
    }
    return true;
}

static bool resolve_item(void *ctx, size_t i, arena *keep, mlerr *err)
{
    loader *L = ctx;
    return resolve_one(L, L->nodes.items[i], keep, err);
}

bool config_resolve_all(loader *L)
{
    if (warm_levels(L))
        return parse_pool_run(L->p, L->a, L->nodes.n, 64, resolve_item, L, L->err, NULL);
    /* A level failed to convert: resolve in order on this thread instead,
     * so the error is the one the first failing node meets (it may be an
     * earlier node's type error rather than this one). */
    mlerr_clear(L->err);
    for (size_t i = 0; i < L->nodes.n; i++) {
        lnode *ln = L->nodes.items[i];
        if (L->defaults[ln->n.type].kind != JV_DICT)
            L->defaults[ln->n.type] = config_defaults(L->a, ln->n.type);
        if (!resolve_one(L, ln, L->a, L->err))
            return false;
    }
    return true;
}
