/* selectors_yml: a project's selectors.yml into named selection specs.
 *
 * The file's shape is dbt's (dbt/graph/cli.py, parse_from_definition):
 *   selectors:
 *     - name: nightly
 *       description: ...
 *       default: true
 *       definition: <a spec string, a {method: value} mapping, a mapping with
 *                    method/value/parents/children/..._depth/
 *                    childrens_parents/indirect_selection/exclude, or
 *                    {union: [...]} / {intersection: [...]} whose items may
 *                    include one {exclude: [...]}>
 * Every error names the file, line and column of the offending node. */
#include "project/select.h"

#include "project/yaml_render.h"
#include "util/fs.h"
#include "util/yaml_tree.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct yctx {
    arena *a;
    const char *path;
    sel_indirect indirect;
    mlerr *err;
} yctx;

static bool fail_at(yctx *y, const ynode *n, const char *msg)
{
    mlerr_at(y->err, EXIT_SETUP, y->path, n ? n->line : 0, n ? n->col : 0, "%s", msg);
    return false;
}

static bool is_str(const ynode *n)
{
    return n && n->kind == YNODE_SCALAR && !yscalar_is_null(n);
}

/* A scalar's value as dbt would see it: rendered when it holds Jinja (dbt
 * renders selectors.yml, for env_var()), and with booleans printed as
 * true/false so that config.enabled: true compares as dbt compares it. */
static bool scalar_text(yctx *y, const ynode *n, const char **out)
{
    bool b;
    if (n->plain && yscalar_bool(n, &b)) {
        *out = b ? "true" : "false";
        return true;
    }
    if (strstr(n->str, "{{") || strstr(n->str, "{%"))
        return yaml_render_scalar(y->a, y->path, n, out, y->err);
    *out = n->str;
    return true;
}

static bool parse_definition(yctx *y, const ynode *def, bool root, sel_spec **out);

static sel_spec *group_new(arena *a, sel_kind kind, const char *raw, size_t cap)
{
    sel_spec *g = ARENA_NEW(a, sel_spec);
    g->kind = kind;
    g->raw = raw;
    g->items = ARENA_NEW_ARRAY(a, sel_spec *, cap ? cap : 1);
    g->parents_depth = g->children_depth = -1;
    return g;
}

/* The items under `exclude:`, as one spec (a union when there are several). */
static bool parse_exclusions(yctx *y, const ynode *list, sel_spec **out)
{
    if (!list || list->kind != YNODE_SEQ)
        return fail_at(y, list, "invalid value for key \"exclude\": expected a list");
    sel_spec *u = group_new(y->a, SEL_UNION, "exclude", list->n);
    for (size_t i = 0; i < list->n; i++) {
        sel_spec *s;
        if (!parse_definition(y, list->items[i], false, &s))
            return false;
        u->items[u->n_items++] = s;
    }
    *out = u->n_items == 1 ? u->items[0] : u;
    return true;
}

static sel_spec *difference(arena *a, sel_spec *base, sel_spec *minus)
{
    sel_spec *d = group_new(a, SEL_DIFFERENCE, base->raw, 2);
    d->items[0] = base;
    d->items[1] = minus;
    d->n_items = 2;
    return d;
}

/* {union: [...]} or {intersection: [...]}. */
static bool parse_set(yctx *y, const ynode *list, const char *key, sel_kind kind, sel_spec **out)
{
    if (!list || list->kind != YNODE_SEQ) {
        char *msg = arena_printf(y->a, "invalid value for key \"%s\": expected a list", key);
        return fail_at(y, list, msg);
    }
    sel_spec *g = group_new(y->a, kind, key, list->n);
    sel_spec *excluded = NULL;
    for (size_t i = 0; i < list->n; i++) {
        const ynode *item = list->items[i];
        if (item->kind != YNODE_SCALAR && item->kind != YNODE_MAP) {
            char *msg = arena_printf(y->a,
                                     "invalid item in \"%s\": expected a mapping or a string, "
                                     "got a %s",
                                     key, ynode_kind_name(item));
            return fail_at(y, item, msg);
        }
        if (item->kind == YNODE_MAP && ymap_get(item, "exclude")) {
            if (excluded)
                return fail_at(y, item,
                               "only one exclude is allowed in the same union or intersection");
            if (!parse_exclusions(y, ymap_get(item, "exclude"), &excluded))
                return false;
            continue;
        }
        sel_spec *s;
        if (!parse_definition(y, item, false, &s))
            return false;
        g->items[g->n_items++] = s;
    }
    *out = excluded ? difference(y->a, g, excluded) : g;
    return true;
}

static bool depth_value(yctx *y, const ynode *n, const char *key, int *out)
{
    *out = -1;
    if (!n || yscalar_is_null(n))
        return true;
    int64_t v;
    if (n->kind != YNODE_SCALAR || !yscalar_int(n, &v) || v < 0 || v > 1000000) {
        char *msg = arena_printf(y->a, "invalid %s: expected a whole number", key);
        return fail_at(y, n, msg);
    }
    /* dbt treats a depth of 0 as no depth at all. */
    *out = v == 0 ? -1 : (int)v;
    return true;
}

static bool flag_value(yctx *y, const ynode *n, const char *key, bool *out)
{
    *out = false;
    if (!n || yscalar_is_null(n))
        return true;
    if (n->kind != YNODE_SCALAR || !yscalar_bool(n, out)) {
        char *msg = arena_printf(y->a, "invalid %s: expected true or false", key);
        return fail_at(y, n, msg);
    }
    return true;
}

static const char *const criteria_keys[] = {
    "method",         "value",         "children",          "parents",
    "children_depth", "parents_depth", "childrens_parents", "indirect_selection",
    "exclude",
};

/* {tag: nightly}, or {method: tag, value: nightly, parents: true, ...}. */
static bool parse_criteria_map(yctx *y, const ynode *def, sel_spec **out)
{
    const ynode *method, *value;
    const ynode *exclude = NULL;
    if (def->n == 1) {
        method = YMAP_KEY(def, 0);
        value = YMAP_VAL(def, 0);
    } else {
        method = ymap_get(def, "method");
        value = ymap_get(def, "value");
        if (!method || !value)
            return fail_at(y, def,
                           "a selector definition needs either one key ({method: value}) or "
                           "both \"method\" and \"value\"");
        for (size_t i = 0; i < def->n; i++) {
            const char *k = YMAP_KEY(def, i)->str;
            bool known = false;
            for (size_t j = 0; j < sizeof(criteria_keys) / sizeof(*criteria_keys); j++)
                known = known || strcmp(k, criteria_keys[j]) == 0;
            if (!known) {
                char *msg = arena_printf(y->a,
                                         "unknown key \"%s\" in a selector definition (known: "
                                         "method, value, parents, parents_depth, children, "
                                         "children_depth, childrens_parents, "
                                         "indirect_selection, exclude)",
                                         k);
                return fail_at(y, YMAP_KEY(def, i), msg);
            }
        }
        exclude = ymap_get(def, "exclude");
    }
    if (!is_str(method))
        return fail_at(y, method, "a selector method must be a string");
    if (!value || value->kind != YNODE_SCALAR || yscalar_is_null(value))
        return fail_at(y, value ? value : def,
                       "a selector value must be a string (the search value is missing)");
    const char *value_text;
    if (!scalar_text(y, value, &value_text))
        return false;
    const char *raw = arena_printf(y->a, "%s:%s", method->str, value_text);
    sel_indirect indirect = y->indirect;
    const ynode *ind = def->n > 1 ? ymap_get(def, "indirect_selection") : NULL;
    if (ind && (!is_str(ind) || !sel_indirect_parse(ind->str, &indirect)))
        return fail_at(y, ind,
                       "invalid indirect_selection: expected eager, cautious, buildable or empty");
    sel_spec *s = ARENA_NEW(y->a, sel_spec);
    s->kind = SEL_CRITERIA;
    s->raw = raw;
    s->indirect = indirect;
    s->parents_depth = s->children_depth = -1;
    {
        /* The method part alone goes through the CLI parser for its checks. */
        sel_spec *probe;
        const char *probe_raw = arena_printf(y->a, "%s:x", method->str);
        mlerr inner = MLERR_INIT;
        if (!sel_parse_one(y->a, probe_raw, indirect, &probe, &inner) ||
            strcmp(probe->value, "x") != 0 || probe->parents || probe->childrens_parents) {
            char *msg = arena_printf(y->a, "invalid selector method '%s'%s%s", method->str,
                                     inner.set ? ": " : "", inner.set ? mlerr_message(&inner) : "");
            mlerr_clear(&inner);
            return fail_at(y, method, msg);
        }
        s->method = probe->method;
        s->method_args = probe->method_args;
        s->n_method_args = probe->n_method_args;
    }
    s->value = value_text;
    if (def->n > 1) {
        if (!flag_value(y, ymap_get(def, "parents"), "parents", &s->parents) ||
            !flag_value(y, ymap_get(def, "children"), "children", &s->children) ||
            !flag_value(y, ymap_get(def, "childrens_parents"), "childrens_parents",
                        &s->childrens_parents) ||
            !depth_value(y, ymap_get(def, "parents_depth"), "parents_depth", &s->parents_depth) ||
            !depth_value(y, ymap_get(def, "children_depth"), "children_depth", &s->children_depth))
            return false;
        if (s->children && s->childrens_parents)
            return fail_at(y, def,
                           "\"childrens_parents\" (@) and \"children\" (+) cannot be combined");
    }
    if (exclude) {
        sel_spec *ex;
        if (!parse_exclusions(y, exclude, &ex))
            return false;
        *out = difference(y->a, s, ex);
        return true;
    }
    *out = s;
    return true;
}

static bool parse_definition(yctx *y, const ynode *def, bool root, sel_spec **out)
{
    if (!def || yscalar_is_null(def))
        return fail_at(y, def, "a selector definition is empty");
    if (def->kind == YNODE_SCALAR) {
        const char *text;
        if (!scalar_text(y, def, &text))
            return false;
        mlerr inner = MLERR_INIT;
        if (!sel_parse_one(y->a, text, y->indirect, out, &inner)) {
            fail_at(y, def, mlerr_message(&inner));
            mlerr_clear(&inner);
            return false;
        }
        return true;
    }
    if (def->kind == YNODE_SEQ)
        return fail_at(y, def,
                       "a selector definition cannot be a list: use a string, a mapping, "
                       "{union: [...]} or {intersection: [...]}");
    const ynode *u = ymap_get(def, "union");
    const ynode *i = ymap_get(def, "intersection");
    if ((u || i) && root && def->n > 1)
        return fail_at(y, def,
                       "only a single 'union' or 'intersection' key is allowed in a root level "
                       "selector definition");
    if (u)
        return parse_set(y, u, "union", SEL_UNION, out);
    if (i)
        return parse_set(y, i, "intersection", SEL_INTERSECTION, out);
    return parse_criteria_map(y, def, out);
}

/* `default:` is a boolean, or Jinja that renders to one
 * ("{{ env_var('CI', 'false') }}"), as dbt renders the file first. */
static bool default_value(yctx *y, const ynode *n, bool *out)
{
    *out = false;
    if (yscalar_is_null(n))
        return true;
    if (n->kind == YNODE_SCALAR && yscalar_bool(n, out))
        return true;
    const char *text;
    if (n->kind == YNODE_SCALAR && (strstr(n->str, "{{") || strstr(n->str, "{%"))) {
        if (!scalar_text(y, n, &text))
            return false;
        if (strcasecmp(text, "true") == 0 || strcasecmp(text, "false") == 0) {
            *out = strcasecmp(text, "true") == 0;
            return true;
        }
    }
    return fail_at(y, n, "`default:` must be true or false");
}

bool sel_file_parse(arena *a, const char *path, const char *text, size_t len, sel_indirect indirect,
                    sel_file **out, mlerr *err)
{
    yctx y = {a, path, indirect, err};
    ynode *root;
    if (!yaml_parse(a, path, text, len, &root, err))
        return false;
    sel_file *f = ARENA_NEW(a, sel_file);
    f->path = path;
    *out = f;
    if (!root)
        return true;
    if (root->kind != YNODE_MAP)
        return fail_at(&y, root, "selectors.yml must be a mapping with a `selectors:` list");
    const ynode *list = ymap_get(root, "selectors");
    if (!list || yscalar_is_null(list))
        return fail_at(&y, root, "selectors.yml has no `selectors:` list");
    if (list->kind != YNODE_SEQ)
        return fail_at(&y, list, "`selectors:` must be a list of selectors");
    f->items = ARENA_NEW_ARRAY(a, sel_named, list->n ? list->n : 1);
    for (size_t k = 0; k < list->n; k++) {
        const ynode *item = list->items[k];
        if (item->kind != YNODE_MAP)
            return fail_at(&y, item, "each selector must be a mapping with name and definition");
        const ynode *name = ymap_get(item, "name");
        const ynode *def = ymap_get(item, "definition");
        const ynode *desc = ymap_get(item, "description");
        const ynode *dflt = ymap_get(item, "default");
        if (!is_str(name))
            return fail_at(&y, name ? name : item, "a selector needs a `name:` string");
        if (!def)
            return fail_at(&y, item,
                           arena_printf(a, "selector '%s' has no `definition:`", name->str));
        for (size_t j = 0; j < item->n; j++) {
            const char *key = YMAP_KEY(item, j)->str;
            if (strcmp(key, "name") && strcmp(key, "definition") && strcmp(key, "description") &&
                strcmp(key, "default"))
                return fail_at(&y, YMAP_KEY(item, j),
                               arena_printf(a,
                                            "unknown key \"%s\" in selector '%s' (expected "
                                            "name, description, default, definition)",
                                            key, name->str));
        }
        for (size_t j = 0; j < f->n; j++) {
            if (strcmp(f->items[j].name, name->str) == 0)
                return fail_at(&y, name,
                               arena_printf(a, "selector '%s' is defined twice", name->str));
        }
        sel_named *s = &f->items[f->n];
        s->name = name->str;
        s->description = is_str(desc) ? desc->str : NULL;
        if (dflt && !default_value(&y, dflt, &s->is_default))
            return false;
        if (s->is_default) {
            for (size_t j = 0; j < f->n; j++) {
                if (f->items[j].is_default)
                    return fail_at(&y, dflt,
                                   arena_printf(a,
                                                "found multiple selectors with `default: true`: "
                                                "'%s' and '%s'",
                                                f->items[j].name, s->name));
            }
        }
        if (!parse_definition(&y, def, true, &s->spec))
            return false;
        f->n++;
    }
    return true;
}

bool sel_file_load(arena *a, const char *project_dir, sel_indirect indirect, sel_file **out,
                   mlerr *err)
{
    *out = NULL;
    const char *path = fs_join(a, project_dir, "selectors.yml");
    if (!fs_is_file(path))
        return true;
    strbuf text = STRBUF_INIT;
    if (!fs_read_file(path, &text, err)) {
        strbuf_release(&text);
        return false;
    }
    bool ok = sel_file_parse(a, path, strbuf_str(&text), text.len, indirect, out, err);
    strbuf_release(&text);
    return ok;
}

const sel_named *sel_file_default(const sel_file *f)
{
    for (size_t i = 0; f && i < f->n; i++) {
        if (f->items[i].is_default)
            return &f->items[i];
    }
    return NULL;
}

const sel_named *sel_file_find(const sel_file *f, const char *name)
{
    for (size_t i = 0; f && i < f->n; i++) {
        if (strcmp(f->items[i].name, name) == 0)
            return &f->items[i];
    }
    return NULL;
}
