/* properties: version-2 YAML files -- patches for models, seeds and
 * analyses, source definitions, macro docs, and the generic tests declared
 * under all of them. */
#include "project/loader.h"
#include "project/parse_pool.h"
#include "project/yaml_jv.h"
#include "util/fs.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

static bool fail_at(loader *L, const char *file, const ynode *at, const char *msg, const char *arg)
{
    mlerr_at(L->err, EXIT_SETUP, file, at ? at->line : 1, at ? at->col : 1, msg, arg);
    return false;
}

static const char *scalar_str(const ynode *n)
{
    return n && n->kind == YNODE_SCALAR && !yscalar_is_null(n) ? n->str : NULL;
}

/* An optional string key: NULL when absent, an error when not a scalar. */
static bool opt_str(loader *L, const char *file, const ynode *map, const char *key,
                    const char **out)
{
    const ynode *v = ymap_get(map, key);
    *out = NULL;
    if (yscalar_is_null(v))
        return true;
    if (v->kind != YNODE_SCALAR)
        return fail_at(L, file, v, "`%s` must be a string", key);
    *out = v->str;
    return true;
}

static bool tests_list(loader *L, const char *file, const ynode *entry, const ynode **out)
{
    const ynode *a = ymap_get(entry, "data_tests"), *b = ymap_get(entry, "tests");
    *out = NULL;
    if (!yscalar_is_null(a) && !yscalar_is_null(b))
        return fail_at(L, file, b, "use either `data_tests:` or `tests:`, not both%s", "");
    const ynode *t = !yscalar_is_null(a) ? a : b;
    if (yscalar_is_null(t))
        return true;
    if (t->kind != YNODE_SEQ)
        return fail_at(L, file, t, "`%s` must be a list of tests",
                       !yscalar_is_null(a) ? "data_tests" : "tests");
    *out = t;
    return true;
}

/* columns: -> an ordered dict of manifest column entries. */
static bool parse_columns(loader *L, const char *file, const ynode *entry, jv *out)
{
    arena *a = L->a;
    *out = jv_dict(a);
    const ynode *cols = ymap_get(entry, "columns");
    if (yscalar_is_null(cols))
        return true;
    if (cols->kind != YNODE_SEQ)
        return fail_at(L, file, cols, "`columns` must be a list%s", "");
    for (size_t i = 0; i < cols->n; i++) {
        const ynode *c = cols->items[i];
        if (c->kind != YNODE_MAP || !scalar_str(ymap_get(c, "name")))
            return fail_at(L, file, c, "each column needs a `name:`%s", "");
        const char *name = scalar_str(ymap_get(c, "name"));
        jv col = jv_dict(a);
        const char *desc = scalar_str(ymap_get(c, "description"));
        jv_dict_set_str(col, "name", jv_string(a, name));
        jv_dict_set_str(col, "description", jv_string(a, desc ? desc : ""));
        const ynode *meta = ymap_get(c, "meta");
        jv_dict_set_str(col, "meta", meta ? yaml_to_jv(a, meta) : jv_dict(a));
        const char *dt = scalar_str(ymap_get(c, "data_type"));
        jv_dict_set_str(col, "data_type", dt ? jv_string(a, dt) : jv_none());
        const ynode *cons = ymap_get(c, "constraints");
        jv_dict_set_str(col, "constraints", cons ? yaml_to_jv(a, cons) : jv_list(a));
        const ynode *quote = ymap_get(c, "quote");
        jv_dict_set_str(col, "quote", quote ? yaml_to_jv(a, quote) : jv_none());
        const ynode *tags = ymap_get(c, "tags");
        jv tj = tags ? yaml_to_jv(a, tags) : jv_list(a);
        if (tj.kind == JV_STRING) {
            jv l = jv_list(a);
            jv_list_append(l, tj);
            tj = l;
        }
        jv_dict_set_str(col, "tags", tj);
        jv_dict_set_str(col, "granularity", jv_none());
        jv_dict_set_str(*out, name, col);
    }
    return true;
}

static bool column_tests(loader *L, const char *file, lnode *target, const ynode *entry,
                         const char *version)
{
    const ynode *cols = ymap_get(entry, "columns");
    if (!cols || cols->kind != YNODE_SEQ)
        return true;
    for (size_t i = 0; i < cols->n; i++) {
        const ynode *c = cols->items[i], *tests = NULL;
        if (!tests_list(L, file, c, &tests))
            return false;
        if (!tests)
            continue;
        const char *name = scalar_str(ymap_get(c, "name"));
        jv tags = jv_list(L->a);
        const ynode *ct = ymap_get(c, "tags");
        if (ct)
            tags = yaml_to_jv(L->a, ct);
        for (size_t j = 0; j < tests->n; j++)
            if (!generic_test_build(L, target, file, tests->items[j], name, tags, version))
                return false;
    }
    return true;
}

static bool node_tests(loader *L, const char *file, lnode *target, const ynode *entry,
                       jv extra_tags)
{
    const ynode *tests = NULL;
    if (!tests_list(L, file, entry, &tests))
        return false;
    for (size_t j = 0; tests && j < tests->n; j++)
        if (!generic_test_build(L, target, file, tests->items[j], NULL, extra_tags, NULL))
            return false;
    return true;
}

/* The yml-level config of a patch: `config:`, with top-level meta, tags and
 * docs folded in as dbt folds them. */
static bool patch_config(loader *L, const char *file, const ynode *entry, jv *out)
{
    arena *a = L->a;
    jv cfg = jv_dict(a);
    const char *why = NULL;
    static const char *const folded[] = {"meta", "tags", "docs", NULL};
    for (size_t i = 0; folded[i]; i++) {
        const ynode *v = ymap_get(entry, folded[i]);
        if (!v)
            continue;
        jv one = jv_dict(a);
        jv_dict_set_str(one, folded[i], yaml_to_jv(a, v));
        if (!config_merge(a, cfg, one, &why))
            return fail_at(L, file, v, "%s", why);
    }
    const ynode *c = ymap_get(entry, "config");
    if (!yscalar_is_null(c)) {
        if (c->kind != YNODE_MAP)
            return fail_at(L, file, c, "`config:` must be a mapping%s", "");
        for (size_t i = 0; i < c->n; i++) {
            const ynode *k = YMAP_KEY(c, i), *v = YMAP_VAL(c, i);
            jv one = jv_dict(a), value = yaml_to_jv(a, v);
            if (L->render_value && !L->render_value(L, file, v ? v : k, value, &value))
                return false;
            jv_dict_set(one, yaml_to_jv(a, k), value);
            if (!config_merge(a, cfg, one, &why))
                return fail_at(L, file, v ? v : k, "%s", why);
        }
    }
    *out = cfg;
    return true;
}

static lnode *find_node(loader *L, node_type type, const char *name)
{
    char key[512];
    snprintf(key, sizeof key, "%d:%s", (int)type, name);
    int32_t i = strmap_get(&L->node_names, key);
    return i < 0 ? NULL : L->nodes.items[i];
}

static bool patch_nodes(loader *L, const yml_file *y, const ynode *list, node_type type,
                        const char *key)
{
    if (list->kind != YNODE_SEQ)
        return fail_at(L, y->rel, list, "`%s:` must be a list", key);
    for (size_t i = 0; i < list->n; i++) {
        const ynode *e = list->items[i];
        const char *name = e->kind == YNODE_MAP ? scalar_str(ymap_get(e, "name")) : NULL;
        if (!name)
            return fail_at(L, y->rel, e, "each entry under `%s:` needs a `name:`", key);
        if (ymap_get(e, "versions"))
            return fail_at(L, y->rel, ymap_get(e, "versions"),
                           "not supported yet: model versions ('%s')", name);
        lnode *ln = find_node(L, type, name);
        if (!ln) {
            log_warn("Did not find matching node for patch with name '%s' in the '%s' section "
                     "of file '%s'",
                     name, key, y->rel);
            continue;
        }
        if (ln->patch) {
            mlerr_at(L->err, EXIT_SETUP, y->rel, e->line, e->col,
                     "%s '%s' is described twice: in %s and in %s", node_type_name(type), name,
                     ln->patch_file, y->rel);
            mlerr_hint(L->err, "keep one entry for it");
            return false;
        }
        ln->patch = e;
        ln->patch_file = y->rel;
        const char *desc = NULL;
        if (!opt_str(L, y->rel, e, "description", &desc) ||
            !parse_columns(L, y->rel, e, &ln->n.columns) ||
            !patch_config(L, y->rel, e, &ln->yml_config))
            return false;
        if (desc)
            ln->n.description = desc;
        if (!node_tests(L, y->rel, ln, e, jv_list(L->a)) || !column_tests(L, y->rel, ln, e, NULL))
            return false;
    }
    return true;
}

/* fqn folders of a YAML file: its path minus the first directory and the
 * file name, as dbt computes it. */
static void yml_dirs(loader *L, const char *rel, const char ***out, uint32_t *n)
{
    const char *s = strchr(rel, '/');
    const char **items = ARENA_NEW_ARRAY(L->a, const char *, 16);
    uint32_t k = 0;
    while (s) {
        const char *start = s + 1;
        s = strchr(start, '/');
        if (s && k < 16)
            items[k++] = arena_strndup(L->a, start, (size_t)(s - start));
    }
    *out = items;
    *n = k;
}

static jv freshness_of(loader *L, const ynode *outer, const ynode *inner)
{
    arena *a = L->a;
    const ynode *f = ymap_get(inner, "freshness");
    if (!f)
        f = ymap_get(outer, "freshness");
    jv out = jv_dict(a);
    static const char *const keys[] = {"warn_after", "error_after", NULL};
    for (size_t i = 0; keys[i]; i++) {
        jv d = jv_dict(a);
        const ynode *k = f && f->kind == YNODE_MAP ? ymap_get(f, keys[i]) : NULL;
        const ynode *count = k ? ymap_get(k, "count") : NULL;
        const ynode *period = k ? ymap_get(k, "period") : NULL;
        jv_dict_set_str(d, "count", yaml_to_jv(a, count));
        jv_dict_set_str(d, "period", yaml_to_jv(a, period));
        jv_dict_set_str(out, keys[i], d);
    }
    const ynode *filter = f && f->kind == YNODE_MAP ? ymap_get(f, "filter") : NULL;
    jv_dict_set_str(out, "filter", yaml_to_jv(a, filter));
    return out;
}

static bool parse_sources(loader *L, const yml_file *y, const ynode *list)
{
    arena *a = L->a;
    if (list->kind != YNODE_SEQ)
        return fail_at(L, y->rel, list, "`sources:` must be a list%s", "");
    const char **dirs;
    uint32_t ndirs;
    yml_dirs(L, y->rel, &dirs, &ndirs);
    for (size_t i = 0; i < list->n; i++) {
        const ynode *s = list->items[i];
        const char *sname = s->kind == YNODE_MAP ? scalar_str(ymap_get(s, "name")) : NULL;
        if (!sname)
            return fail_at(L, y->rel, s, "each source needs a `name:`%s", "");
        const char *sdesc = NULL, *schema = NULL, *database = NULL, *loader_name = NULL,
                   *laf = NULL;
        if (!opt_str(L, y->rel, s, "description", &sdesc) ||
            !opt_str(L, y->rel, s, "schema", &schema) ||
            !opt_str(L, y->rel, s, "database", &database) ||
            !opt_str(L, y->rel, s, "loader", &loader_name) ||
            !opt_str(L, y->rel, s, "loaded_at_field", &laf))
            return false;
        jv source_cfg = jv_undefined(NULL);
        if (!patch_config(L, y->rel, s, &source_cfg))
            return false;
        const ynode *tables = ymap_get(s, "tables");
        if (yscalar_is_null(tables))
            continue;
        if (tables->kind != YNODE_SEQ)
            return fail_at(L, y->rel, tables, "`tables:` must be a list%s", "");
        for (size_t j = 0; j < tables->n; j++) {
            const ynode *t = tables->items[j];
            const char *tname = t->kind == YNODE_MAP ? scalar_str(ymap_get(t, "name")) : NULL;
            if (!tname)
                return fail_at(L, y->rel, t, "each source table needs a `name:`%s", "");
            lnode *ln = loader_new_node(L, NODE_SOURCE);
            pnode *n = &ln->n;
            ln->is_yml_node = true;
            ln->patch = t;
            ln->patch_file = y->rel;
            ln->resource_dir = y->resource_dir;
            n->name = tname;
            n->source_name = sname;
            n->source_description = sdesc ? sdesc : "";
            n->unique_id = arena_printf(a, "source.%s.%s.%s", L->p->name, sname, tname);
            const char **fq = ARENA_NEW_ARRAY(a, const char *, ndirs + 3);
            uint32_t k = 0;
            fq[k++] = L->p->name;
            for (uint32_t d = 0; d < ndirs; d++)
                fq[k++] = dirs[d];
            fq[k++] = sname;
            fq[k++] = tname;
            n->fqn = (str_list){fq, k};
            n->original_file_path = y->rel;
            n->path = y->rel;
            n->abs_path = y->abs;
            n->line = t->line;
            const char *tdesc = NULL, *ident = NULL, *tlaf = NULL;
            if (!opt_str(L, y->rel, t, "description", &tdesc) ||
                !opt_str(L, y->rel, t, "identifier", &ident) ||
                !opt_str(L, y->rel, t, "loaded_at_field", &tlaf) ||
                !parse_columns(L, y->rel, t, &n->columns))
                return false;
            n->description = tdesc ? tdesc : "";
            n->identifier = ident ? ident : tname;
            n->loaded_at_field = tlaf ? tlaf : laf;
            n->loader = loader_name ? loader_name : "";
            n->schema = schema ? schema : sname;
            n->database = database;
            n->freshness = freshness_of(L, s, t);
            n->source_meta = ymap_get(s, "meta") ? yaml_to_jv(a, ymap_get(s, "meta")) : jv_dict(a);
            jv quoting = jv_dict(a);
            static const char *const qk[] = {"database", "schema", "identifier", "column", NULL};
            const ynode *q = ymap_get(t, "quoting");
            if (!q)
                q = ymap_get(s, "quoting");
            for (size_t qi = 0; qk[qi]; qi++)
                jv_dict_set_str(
                    quoting, qk[qi],
                    yaml_to_jv(a, q && q->kind == YNODE_MAP ? ymap_get(q, qk[qi]) : NULL));
            n->quoting = quoting;
            /* source-level then table-level config; tags from both */
            jv tcfg = jv_dict(a);
            const char *why = NULL;
            jv table_cfg = jv_undefined(NULL);
            if (!patch_config(L, y->rel, t, &table_cfg))
                return false;
            if (!config_merge(a, tcfg, source_cfg, &why) || !config_merge(a, tcfg, table_cfg, &why))
                return fail_at(L, y->rel, t, "%s", why);
            ln->yml_config = tcfg;
            jv tags = jv_list(a);
            jv st = jv_dict_get_str(tcfg, "tags");
            for (size_t ti = 0; st.kind == JV_LIST && ti < jv_list_len(st); ti++)
                jv_list_append(tags, jv_list_get(st, ti));
            if (!node_tests(L, y->rel, ln, t, tags) || !column_tests(L, y->rel, ln, t, NULL))
                return false;
        }
    }
    return true;
}

static bool patch_macros(loader *L, const yml_file *y, const ynode *list)
{
    if (list->kind != YNODE_SEQ)
        return fail_at(L, y->rel, list, "`macros:` must be a list%s", "");
    for (size_t i = 0; i < list->n; i++) {
        const ynode *e = list->items[i];
        const char *name = e->kind == YNODE_MAP ? scalar_str(ymap_get(e, "name")) : NULL;
        if (!name)
            return fail_at(L, y->rel, e, "each macro entry needs a `name:`%s", "");
        for (uint32_t m = 0; m < L->p->n_macros; m++) {
            pmacro *mac = &L->p->macros[m];
            if (strcmp(mac->name, name) != 0)
                continue;
            const char *desc = scalar_str(ymap_get(e, "description"));
            if (desc)
                mac->description = desc;
            if (ymap_get(e, "arguments"))
                mac->arguments = yaml_to_jv(L->a, ymap_get(e, "arguments"));
            if (ymap_get(e, "meta"))
                mac->meta = yaml_to_jv(L->a, ymap_get(e, "meta"));
            mac->patch_path = y->rel;
        }
    }
    return true;
}

/* Exposures: nodes whose depends_on entries (ref('x'), source('a', 'b'))
 * are rendered like any other template to find their parents. */
static bool parse_exposures(loader *L, const yml_file *y, const ynode *list)
{
    arena *a = L->a;
    if (list->kind != YNODE_SEQ)
        return fail_at(L, y->rel, list, "`exposures:` must be a list%s", "");
    const char **dirs;
    uint32_t ndirs;
    yml_dirs(L, y->rel, &dirs, &ndirs);
    for (size_t i = 0; i < list->n; i++) {
        const ynode *e = list->items[i];
        const char *name = e->kind == YNODE_MAP ? scalar_str(ymap_get(e, "name")) : NULL;
        if (!name)
            return fail_at(L, y->rel, e, "each exposure needs a `name:`%s", "");
        lnode *ln = loader_new_node(L, NODE_EXPOSURE);
        pnode *n = &ln->n;
        ln->is_yml_node = true;
        ln->patch = e;
        ln->patch_file = y->rel;
        ln->resource_dir = y->resource_dir;
        n->name = name;
        n->unique_id = arena_printf(a, "exposure.%s.%s", L->p->name, name);
        const char **fq = ARENA_NEW_ARRAY(a, const char *, ndirs + 2);
        uint32_t k = 0;
        fq[k++] = L->p->name;
        for (uint32_t d = 0; d < ndirs; d++)
            fq[k++] = dirs[d];
        fq[k++] = name;
        n->fqn = (str_list){fq, k};
        n->original_file_path = y->rel;
        n->path = y->rel;
        n->abs_path = y->abs;
        n->line = e->line;
        const char *desc = NULL;
        if (!opt_str(L, y->rel, e, "description", &desc) ||
            !patch_config(L, y->rel, e, &ln->yml_config))
            return false;
        n->description = desc ? desc : "";
        n->exposure = yaml_to_jv(a, e);
        const ynode *deps = ymap_get(e, "depends_on");
        strbuf raw = STRBUF_INIT;
        if (deps && deps->kind == YNODE_SEQ) {
            for (size_t d = 0; d < deps->n; d++) {
                const ynode *dep = deps->items[d];
                if (dep->kind != YNODE_SCALAR) {
                    strbuf_release(&raw);
                    return fail_at(L, y->rel, dep,
                                   "exposure depends_on entries look like ref('name')%s", "");
                }
                strbuf_addf(&raw, "{{ %s }}\n", dep->str);
            }
        } else if (!yscalar_is_null(deps)) {
            strbuf_release(&raw);
            return fail_at(L, y->rel, deps, "`depends_on` must be a list%s", "");
        }
        n->raw_code = arena_strndup(a, strbuf_str(&raw), raw.len);
        strbuf_release(&raw);
    }
    return true;
}

static bool apply_file(loader *L, yml_file *y)
{
    const ynode *root = y->root;
    if (!root)
        return true;
    if (root->kind != YNODE_MAP)
        return fail_at(L, y->rel, root,
                       "a properties file must be a mapping (version: 2, "
                       "models: ...)%s",
                       "");
    for (size_t i = 0; i < root->n; i++) {
        const ynode *k = YMAP_KEY(root, i), *v = YMAP_VAL(root, i);
        const char *key = scalar_str(k);
        if (!key || yscalar_is_null(v))
            continue;
        bool ok = true;
        if (strcmp(key, "version") == 0 || strcmp(key, "groups") == 0)
            continue;
        if (strcmp(key, "exposures") == 0)
            ok = parse_exposures(L, y, v);
        else if (strcmp(key, "models") == 0)
            ok = patch_nodes(L, y, v, NODE_MODEL, key);
        else if (strcmp(key, "seeds") == 0)
            ok = patch_nodes(L, y, v, NODE_SEED, key);
        else if (strcmp(key, "analyses") == 0)
            ok = patch_nodes(L, y, v, NODE_ANALYSIS, key);
        else if (strcmp(key, "snapshots") == 0)
            ok = true; /* snapshot files themselves are refused at discovery */
        else if (strcmp(key, "sources") == 0)
            ok = parse_sources(L, y, v);
        else if (strcmp(key, "macros") == 0)
            ok = patch_macros(L, y, v);
        else if (strcmp(key, "unit_tests") == 0 || strcmp(key, "semantic_models") == 0 ||
                 strcmp(key, "metrics") == 0 || strcmp(key, "saved_queries") == 0)
            return fail_at(L, y->rel, k, "not supported yet: %s", key);
        if (!ok)
            return false;
    }
    return true;
}

static bool load_one(void *ctx, size_t i, arena *keep, mlerr *err)
{
    yml_file *y = &((loader *)ctx)->ymls[i];
    return yaml_load_file(keep, y->abs, &y->root, err);
}

bool properties_apply(loader *L)
{
    /* Files are parsed on all cores, then applied in order; a file that
     * does not parse fails the pass where the serial order reaches it. */
    mlerr load_err = MLERR_INIT;
    size_t unparsed = L->n_ymls;
    parse_pool_run(L->p, L->a, L->n_ymls, 1, load_one, L, &load_err, &unparsed);
    bool ok = true;
    for (size_t i = 0; ok && i < L->n_ymls; i++) {
        if (i == unparsed) {
            mlerr_set(L->err, load_err.exit_code, "%s", mlerr_message(&load_err));
            ok = false;
        } else {
            ok = apply_file(L, &L->ymls[i]);
        }
    }
    mlerr_clear(&load_err);
    /* the tests queued before a failure come first in file order, so one
     * of them failing is the error to report */
    return generic_tests_finish(L) && ok;
}
