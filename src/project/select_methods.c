/* select_methods: what each selection method matches, node by node.
 *
 * Each method follows dbt's selector_methods.py, including which kinds of
 * node it looks at (fqn: never sources; config: models, seeds, tests and
 * sources but not exposures; test_name: generic tests only) and where it
 * takes fnmatch wildcards (tag, path, file, package, source, test_name,
 * group) and where it compares exactly (config, access). */
#include "project/select.h"

#include "util/xalloc.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool sel_fnmatch(const char *pattern, const char *text)
{
    return fnmatch(pattern, text, FNM_NOESCAPE) == 0;
}

static bool has_wildcard(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == ']')
            return true;
    }
    return false;
}

/* --- fqn ------------------------------------------------------------------ */

/* A piece of a string, so that matching 50k fqns allocates nothing. */
typedef struct view {
    const char *s;
    size_t len;
} view;

typedef struct views {
    view *items;
    size_t n, cap;
} views;

static void views_push(views *v, const char *s, size_t len)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 16;
        v->items = xrealloc(v->items, v->cap * sizeof(view));
    }
    v->items[v->n].s = s;
    v->items[v->n].len = len;
    v->n++;
}

/* Appends s split on '.' to v. */
static void split_dots_into(views *v, const char *s)
{
    const char *start = s;
    for (const char *c = s;; c++) {
        if (*c == '.' || !*c) {
            views_push(v, start, (size_t)(c - start));
            if (!*c)
                return;
            start = c + 1;
        }
    }
}

/* Splits s on '.' into arena strings (source:/exposure: values). */
static size_t split_dots(arena *a, const char *s, const char ***out)
{
    views v = {0};
    split_dots_into(&v, s);
    const char **parts = ARENA_NEW_ARRAY(a, const char *, v.n);
    for (size_t i = 0; i < v.n; i++)
        parts[i] = arena_strndup(a, v.items[i].s, v.items[i].len);
    size_t n = v.n;
    free(v.items);
    *out = parts;
    return n;
}

static bool views_equal(view a, view b)
{
    return a.len == b.len && memcmp(a.s, b.s, a.len) == 0;
}

static void join_views(strbuf *sb, const view *v, size_t n, char sep)
{
    strbuf_reset(sb);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addc(sb, sep);
        strbuf_add(sb, v[i].s, v[i].len);
    }
}

typedef struct fqn_matcher {
    const char *sel;
    views sel_parts;
    views flat; /* the node's fqn, split on dots too */
    strbuf a, b;
} fqn_matcher;

/* dbt's is_selected_node: the selector is the node's name, or a prefix of
 * its dotted fqn, where the first wildcard part matches the rest of the fqn
 * with fnmatch. */
static bool fqn_matches(fqn_matcher *m, const char *const *fqn, size_t n, bool versioned)
{
    if (n == 0)
        return false;
    const view *sp = m->sel_parts.items;
    size_t n_sel = m->sel_parts.n;
    if (versioned) {
        if (n >= 2 && strcmp(fqn[n - 2], m->sel) == 0)
            return true;
        /* The last two parts may match on either "." or "_". */
        if (n >= 2) {
            strbuf_reset(&m->a);
            strbuf_addf(&m->a, "%s_%s", fqn[n - 2], fqn[n - 1]);
            size_t from = n_sel >= 2 ? n_sel - 2 : 0;
            join_views(&m->b, sp + from, n_sel - from, '_');
            if (strcmp(strbuf_str(&m->a), strbuf_str(&m->b)) == 0)
                return true;
        }
    } else if (strcmp(fqn[n - 1], m->sel) == 0) {
        return true;
    }
    /* Dots inside fqn parts (versioned names) split them too. */
    m->flat.n = 0;
    for (size_t i = 0; i < n; i++)
        split_dots_into(&m->flat, fqn[i]);
    const view *flat = m->flat.items;
    size_t n_flat = m->flat.n;
    if (n_flat < n_sel)
        return false;
    for (size_t i = 0; i < n_sel; i++) {
        if (has_wildcard(sp[i].s, sp[i].len)) {
            join_views(&m->a, flat + i, n_flat - i, '.');
            join_views(&m->b, sp + i, n_sel - i, '.');
            return sel_fnmatch(strbuf_str(&m->b), strbuf_str(&m->a));
        }
        if (!views_equal(flat[i], sp[i]))
            return false;
    }
    return true;
}

static bool search_fqn(sel_context *ctx, const char *value, nodeset *out)
{
    const project *p = ctx->project;
    fqn_matcher m = {.sel = value};
    split_dots_into(&m.sel_parts, value);
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        const pnode *node = &p->nodes[i];
        if (node->type == NODE_SOURCE)
            continue;
        bool versioned = node->version != NULL;
        const char *const *fqn = node->fqn.items;
        size_t n = node->fqn.n;
        /* Also without the package, to match across packages. */
        if (fqn_matches(&m, fqn, n, versioned) ||
            (n > 1 && fqn_matches(&m, fqn + 1, n - 1, versioned)))
            nodeset_add(out, i);
    }
    free(m.sel_parts.items);
    free(m.flat.items);
    strbuf_release(&m.a);
    strbuf_release(&m.b);
    return true;
}

/* --- path and file -------------------------------------------------------- */

/* A path as pathlib sees it: empty and "." segments dropped. */
static void path_segments(views *v, const char *path)
{
    v->n = 0;
    const char *start = path;
    for (const char *c = path;; c++) {
        if (*c == '/' || !*c) {
            size_t len = (size_t)(c - start);
            if (len > 0 && !(len == 1 && *start == '.'))
                views_push(v, start, len);
            if (!*c)
                return;
            start = c + 1;
        }
    }
}

/* fnmatch on a segment that is not NUL-terminated. */
static bool segment_matches(const char *pattern, view seg, strbuf *tmp)
{
    strbuf_reset(tmp);
    strbuf_add(tmp, seg.s, seg.len);
    return sel_fnmatch(pattern, strbuf_str(tmp));
}

/* pathlib's glob: each pattern segment matches one path segment with
 * fnmatch, and "**" matches any number of them. */
static bool glob_segments(const char *const *pat, size_t n_pat, const view *path, size_t n_path,
                          strbuf *tmp)
{
    if (n_pat == 0)
        return n_path == 0;
    if (strcmp(pat[0], "**") == 0) {
        for (size_t k = 0; k <= n_path; k++) {
            if (glob_segments(pat + 1, n_pat - 1, path + k, n_path - k, tmp))
                return true;
        }
        return false;
    }
    if (n_path == 0 || !segment_matches(pat[0], path[0], tmp))
        return false;
    return glob_segments(pat + 1, n_pat - 1, path + 1, n_path - 1, tmp);
}

/* dbt globs the selector under the project directory and selects nodes whose
 * file, or any directory above it, is among the matches.  Every node's file
 * exists, so matching the pattern against the file and its parent
 * directories gives the same set without touching the disk. */
static bool search_path(sel_context *ctx, const char *value, nodeset *out)
{
    const project *p = ctx->project;
    const char *rel = value;
    /* An absolute path inside the project is taken relative to it. */
    size_t dl = strlen(p->dir);
    if (value[0] == '/' && strncmp(value, p->dir, dl) == 0 &&
        (value[dl] == '/' || value[dl] == '\0'))
        rel = value + dl;
    views pv = {0}, file = {0};
    path_segments(&pv, rel);
    const char **pat = ARENA_NEW_ARRAY(ctx->arena, const char *, pv.n + 1);
    for (size_t k = 0; k < pv.n; k++)
        pat[k] = arena_strndup(ctx->arena, pv.items[k].s, pv.items[k].len);
    /* A trailing "**" yields directories only (pathlib before Python 3.13,
     * which dbt runs on), so it never names a file itself. */
    bool dirs_only = pv.n > 0 && strcmp(pat[pv.n - 1], "**") == 0;
    strbuf tmp = STRBUF_INIT;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        const pnode *node = &p->nodes[i];
        if (!node->original_file_path)
            continue;
        bool hit = pv.n == 0; /* "path:." is the whole project */
        path_segments(&file, node->original_file_path);
        size_t longest = dirs_only && file.n > 0 ? file.n - 1 : file.n;
        for (size_t len = 1; !hit && len <= longest; len++)
            hit = glob_segments(pat, pv.n, file.items, len, &tmp);
        /* The properties file that patched the node counts too, but only
         * itself, not its directories. */
        const char *patch = node->patch_path ? strstr(node->patch_path, "://") : NULL;
        if (!hit && patch && !dirs_only) {
            path_segments(&file, patch + 3);
            hit = glob_segments(pat, pv.n, file.items, file.n, &tmp);
        }
        if (hit)
            nodeset_add(out, i);
    }
    free(pv.items);
    free(file.items);
    strbuf_release(&tmp);
    return true;
}

static bool search_file(sel_context *ctx, const char *value, nodeset *out)
{
    const project *p = ctx->project;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        const char *ofp = p->nodes[i].original_file_path;
        if (!ofp)
            continue;
        const char *base = strrchr(ofp, '/');
        base = base ? base + 1 : ofp;
        bool hit = sel_fnmatch(value, base);
        if (!hit) {
            /* pathlib's stem: the name without its last suffix. */
            const char *dot = strrchr(base, '.');
            if (dot && dot != base) {
                char stem[4096];
                size_t len = (size_t)(dot - base);
                if (len < sizeof(stem)) {
                    memcpy(stem, base, len);
                    stem[len] = '\0';
                    hit = sel_fnmatch(value, stem);
                }
            } else {
                hit = false;
            }
        }
        if (hit)
            nodeset_add(out, i);
    }
    return true;
}

/* --- config ----------------------------------------------------------------
 * dbt reads config.<a>.<b> with getattr, then [] for dicts, and compares the
 * value to the selector string exactly: a list matches when it holds the
 * string, "true"/"false" (any case) match booleans, and severity compares
 * without case.  Numbers never equal the selector string in Python, so
 * config.limit:5 matches nothing there and here. */

static jv config_descend(jv value, const char *key)
{
    if (value.kind != JV_DICT)
        return jv_undefined(NULL);
    jv v = jv_dict_get_str(value, key);
    if (v.kind == JV_UNDEFINED && strchr(key, '_')) {
        /* pre_hook / post_hook are dbt's attribute names for pre-hook / post-hook. */
        char alt[256];
        size_t len = strlen(key);
        if (len < sizeof(alt)) {
            for (size_t i = 0; i <= len; i++)
                alt[i] = key[i] == '_' ? '-' : key[i];
            v = jv_dict_get_str(value, alt);
        }
    }
    return v;
}

static bool py_equals_selector(jv v, const char *sel, bool case_insensitive)
{
    if (v.kind == JV_STRING) {
        return case_insensitive ? strcasecmp(jv_str_ptr(v), sel) == 0
                                : strcmp(jv_str_ptr(v), sel) == 0;
    }
    return false;
}

/* Python's `True in value` is also true for 1 (True == 1). */
static bool py_is_bool(jv v, bool want, bool membership)
{
    if (v.kind == JV_BOOL)
        return v.u.b == want;
    if (membership && v.kind == JV_INT)
        return v.u.i == (want ? 1 : 0);
    if (membership && v.kind == JV_FLOAT)
        return v.u.f == (want ? 1.0 : 0.0);
    return false;
}

static bool config_value_matches(jv value, const char *sel, bool case_insensitive)
{
    bool want_true = strcasecmp(sel, "true") == 0;
    bool want_false = strcasecmp(sel, "false") == 0;
    if (value.kind == JV_LIST) {
        size_t n = jv_list_len(value);
        for (size_t i = 0; i < n; i++) {
            jv item = jv_list_get(value, i);
            if (py_equals_selector(item, sel, case_insensitive))
                return true;
            if ((want_true && py_is_bool(item, true, true)) ||
                (want_false && py_is_bool(item, false, true)))
                return true;
        }
        return false;
    }
    if (py_equals_selector(value, sel, case_insensitive))
        return true;
    return (want_true && py_is_bool(value, true, false)) ||
           (want_false && py_is_bool(value, false, false));
}

static bool search_config(sel_context *ctx, const sel_spec *c, nodeset *out)
{
    const project *p = ctx->project;
    bool severity = c->n_method_args == 1 && strcmp(c->method_args[0], "severity") == 0;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        const pnode *node = &p->nodes[i];
        if (node->type == NODE_EXPOSURE)
            continue;
        jv v = node->config;
        for (size_t k = 0; k < c->n_method_args && v.kind != JV_UNDEFINED; k++)
            v = config_descend(v, c->method_args[k]);
        if (v.kind != JV_UNDEFINED && config_value_matches(v, c->value, severity))
            nodeset_add(out, i);
    }
    return true;
}

/* --- the rest ------------------------------------------------------------- */

/* dbt's NodeType values: anything else is an invalid resource_type. */
static const char *const dbt_node_types[] = {
    "model",          "analysis",  "test",          "snapshot", "operation",
    "seed",           "rpc",       "sql_operation", "doc",      "source",
    "macro",          "exposure",  "metric",        "group",    "saved_query",
    "semantic_model", "unit_test", "fixture",       "function",
};

/* A node's resource type is the first part of its unique_id, as dbt builds it. */
static bool type_is(const pnode *node, const char *type)
{
    size_t len = strlen(type);
    return strncmp(node->unique_id, type, len) == 0 && node->unique_id[len] == '.';
}

static bool search_resource_type(sel_context *ctx, const char *value, nodeset *out, mlerr *err)
{
    bool known = false;
    for (size_t i = 0; i < sizeof(dbt_node_types) / sizeof(*dbt_node_types); i++)
        known = known || strcmp(dbt_node_types[i], value) == 0;
    if (!known) {
        mlerr_set(err, EXIT_SETUP, "invalid resource_type selector \"%s\"", value);
        mlerr_hint(err, "resource types: model, seed, test, source, snapshot, analysis, "
                        "exposure, ...");
        return false;
    }
    const project *p = ctx->project;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        if (type_is(&p->nodes[i], value))
            nodeset_add(out, i);
    }
    return true;
}

static bool search_source(sel_context *ctx, const char *value, nodeset *out, mlerr *err)
{
    const char **parts;
    size_t n = split_dots(ctx->arena, value, &parts);
    const char *pkg = "*", *src, *tbl = "*";
    if (n == 1) {
        src = parts[0];
    } else if (n == 2) {
        src = parts[0];
        tbl = parts[1];
    } else if (n == 3) {
        pkg = parts[0];
        src = parts[1];
        tbl = parts[2];
    } else {
        mlerr_set(err, EXIT_SETUP,
                  "invalid source selector value \"%s\": sources must be of the form "
                  "source_name, source_name.table_name or package_name.source_name.table_name",
                  value);
        return false;
    }
    const project *p = ctx->project;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        const pnode *node = &p->nodes[i];
        if (node->type != NODE_SOURCE)
            continue;
        if (sel_fnmatch(pkg, node->package_name) && sel_fnmatch(src, node->source_name) &&
            sel_fnmatch(tbl, node->name))
            nodeset_add(out, i);
    }
    return true;
}

static bool search_exposure(sel_context *ctx, const char *value, nodeset *out, mlerr *err)
{
    const char **parts;
    size_t n = split_dots(ctx->arena, value, &parts);
    const char *pkg = "*", *name;
    if (n == 1) {
        name = parts[0];
    } else if (n == 2) {
        pkg = parts[0];
        name = parts[1];
    } else {
        mlerr_set(err, EXIT_SETUP,
                  "invalid exposure selector value \"%s\": exposures must be of the form "
                  "exposure_name or package_name.exposure_name",
                  value);
        return false;
    }
    const project *p = ctx->project;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        const pnode *node = &p->nodes[i];
        if (node->type == NODE_EXPOSURE && sel_fnmatch(pkg, node->package_name) &&
            sel_fnmatch(name, node->name))
            nodeset_add(out, i);
    }
    return true;
}

static bool search_test_type(sel_context *ctx, const char *value, nodeset *out, mlerr *err)
{
    /* dbt tests `selector in ("data")` -- a substring test on a string, so
     * any part of "data", "singular" or "unit" is accepted as that word. */
    bool generic = false, singular = false;
    if (strcmp(value, "generic") == 0 || strcmp(value, "schema") == 0) {
        generic = true;
    } else if (strstr("data", value)) {
        generic = singular = true;
    } else if (strstr("singular", value)) {
        singular = true;
    } else if (strstr("unit", value)) {
        return true; /* unit tests are not loaded, so none are selected */
    } else {
        mlerr_set(err, EXIT_SETUP,
                  "invalid test type selector \"%s\": expected \"generic\", \"singular\", "
                  "\"unit\" or \"data\"",
                  value);
        return false;
    }
    const project *p = ctx->project;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        const pnode *node = &p->nodes[i];
        if (node->type != NODE_TEST)
            continue;
        if ((generic && node->test.kind == TEST_GENERIC) ||
            (singular && node->test.kind == TEST_SINGULAR))
            nodeset_add(out, i);
    }
    return true;
}

static const char *config_string(jv config, const char *key)
{
    jv v = config.kind == JV_DICT ? jv_dict_get_str(config, key) : jv_undefined(NULL);
    return v.kind == JV_STRING ? jv_str_ptr(v) : NULL;
}

static bool search_selector(sel_context *ctx, const char *value, nodeset *out, mlerr *err)
{
    if (!ctx->selectors) {
        mlerr_set(err, EXIT_SETUP,
                  "cannot use the selector: method without a selectors.yml in the project");
        return false;
    }
    /* Matched in name order, so a cycle is always reported from the same end. */
    const sel_file *f = ctx->selectors;
    size_t *order = ARENA_NEW_ARRAY(ctx->arena, size_t, f->n ? f->n : 1);
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (!sel_fnmatch(value, f->items[i].name))
            continue;
        size_t at = n++;
        while (at > 0 && strcmp(f->items[order[at - 1]].name, f->items[i].name) > 0) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = i;
    }
    if (n == 0) {
        mlerr_set(err, EXIT_SETUP, "selector '%s' did not match any selector in %s", value,
                  f->path);
        return false;
    }
    if (ctx->depth >= 64) {
        mlerr_set(err, EXIT_SETUP, "circular dependency detected in selector '%s' (%s)", value,
                  f->path);
        return false;
    }
    ctx->depth++;
    bool ok = true;
    for (size_t k = 0; k < n && ok; k++) {
        nodeset got;
        ok = sel_evaluate(ctx, f->items[order[k]].spec, &got, err);
        for (size_t w = 0; ok && w < (got.n + 63) / 64; w++)
            out->bits[w] |= got.bits[w];
    }
    ctx->depth--;
    return ok;
}

bool sel_method_search(sel_context *ctx, const sel_spec *c, nodeset *out, mlerr *err)
{
    const project *p = ctx->project;
    const char *v = c->value;
    switch (c->method) {
    case SEL_FQN:
        return search_fqn(ctx, v, out);
    case SEL_TAG:
        for (uint32_t i = 0; i < p->n_nodes; i++) {
            const str_list *tags = &p->nodes[i].tags;
            for (uint32_t t = 0; t < tags->n; t++) {
                if (sel_fnmatch(v, tags->items[t])) {
                    nodeset_add(out, i);
                    break;
                }
            }
        }
        return true;
    case SEL_GROUP:
        for (uint32_t i = 0; i < p->n_nodes; i++) {
            const pnode *node = &p->nodes[i];
            if (node->type == NODE_SOURCE || node->type == NODE_EXPOSURE)
                continue;
            const char *group = config_string(node->config, "group");
            if (group && *group && sel_fnmatch(v, group))
                nodeset_add(out, i);
        }
        return true;
    case SEL_ACCESS:
        for (uint32_t i = 0; i < p->n_nodes; i++) {
            const pnode *node = &p->nodes[i];
            if (node->type != NODE_MODEL)
                continue;
            const char *access = config_string(node->config, "access");
            if (strcmp(access ? access : "protected", v) == 0)
                nodeset_add(out, i);
        }
        return true;
    case SEL_SOURCE:
        return search_source(ctx, v, out, err);
    case SEL_EXPOSURE:
        return search_exposure(ctx, v, out, err);
    case SEL_PATH:
        return search_path(ctx, v, out);
    case SEL_FILE:
        return search_file(ctx, v, out);
    case SEL_PACKAGE: {
        const char *pkg = strcmp(v, "this") == 0 && p->name ? p->name : v;
        for (uint32_t i = 0; i < p->n_nodes; i++) {
            if (sel_fnmatch(pkg, p->nodes[i].package_name))
                nodeset_add(out, i);
        }
        return true;
    }
    case SEL_CONFIG:
        return search_config(ctx, c, out);
    case SEL_TEST_NAME:
        for (uint32_t i = 0; i < p->n_nodes; i++) {
            const pnode *node = &p->nodes[i];
            if (node->type == NODE_TEST && node->test.kind == TEST_GENERIC &&
                node->test.test_name && sel_fnmatch(v, node->test.test_name))
                nodeset_add(out, i);
        }
        return true;
    case SEL_TEST_TYPE:
        return search_test_type(ctx, v, out, err);
    case SEL_RESOURCE_TYPE:
        return search_resource_type(ctx, v, out, err);
    case SEL_SELECTOR:
        return search_selector(ctx, v, out, err);
    case SEL_STATE:
    case SEL_RESULT:
    case SEL_SOURCE_STATUS:
    case SEL_VERSION:
    case SEL_METRIC:
    case SEL_SEMANTIC_MODEL:
    case SEL_SAVED_QUERY:
    case SEL_UNIT_TEST:
    default:
        mlerr_set(err, EXIT_SETUP, "not supported yet: the '%s:' selection method (in '%s')",
                  sel_method_name(c->method), c->raw);
        return false;
    }
}
