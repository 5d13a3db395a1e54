/* select_parse: selector strings into sel_spec trees, as dbt reads them.
 *
 * One spec follows dbt's RAW_SELECTOR_PATTERN:
 *   [@] [N+] [method[.arg...]:] value [+[N]]
 * where the value is matched lazily, so a trailing "+" or "+N" is always the
 * children operator.  The CLI's words are unions of intersections
 * ("a b,c" is a OR (b AND c)), and the whole is select minus exclude. */
#include "project/select.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[SEL_METHOD_COUNT] = {
    [SEL_FQN] = "fqn",
    [SEL_TAG] = "tag",
    [SEL_GROUP] = "group",
    [SEL_ACCESS] = "access",
    [SEL_SOURCE] = "source",
    [SEL_PATH] = "path",
    [SEL_FILE] = "file",
    [SEL_PACKAGE] = "package",
    [SEL_CONFIG] = "config",
    [SEL_TEST_NAME] = "test_name",
    [SEL_TEST_TYPE] = "test_type",
    [SEL_RESOURCE_TYPE] = "resource_type",
    [SEL_STATE] = "state",
    [SEL_EXPOSURE] = "exposure",
    [SEL_METRIC] = "metric",
    [SEL_RESULT] = "result",
    [SEL_SOURCE_STATUS] = "source_status",
    [SEL_VERSION] = "version",
    [SEL_SEMANTIC_MODEL] = "semantic_model",
    [SEL_SAVED_QUERY] = "saved_query",
    [SEL_UNIT_TEST] = "unit_test",
    [SEL_SELECTOR] = "selector",
};

const char *sel_method_name(sel_method m)
{
    return (unsigned)m < SEL_METHOD_COUNT ? method_names[m] : "?";
}

static bool method_parse(const char *name, size_t len, sel_method *out)
{
    for (int m = 0; m < SEL_METHOD_COUNT; m++) {
        if (strlen(method_names[m]) == len && memcmp(method_names[m], name, len) == 0) {
            *out = (sel_method)m;
            return true;
        }
    }
    return false;
}

bool sel_indirect_parse(const char *name, sel_indirect *out)
{
    static const char *const names[] = {"eager", "cautious", "buildable", "empty"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (sel_indirect)i;
            return true;
        }
    }
    return false;
}

/* Python's \w for the ASCII range; any non-ASCII byte counts as a word
 * character, as most non-ASCII letters do in Python. */
static bool is_word(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

static bool all_digits(const char *s)
{
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return false;
    }
    return true;
}

/* dbt turns "" into no depth; digits into a depth (clamped, as no graph is
 * deeper than INT_MAX). */
static int depth_of(const char *digits, size_t len)
{
    if (len == 0)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        v = v * 10 + (digits[i] - '0');
        if (v > INT_MAX)
            return INT_MAX;
    }
    return (int)v;
}

static void method_list(strbuf *sb)
{
    for (int m = 0; m < SEL_METHOD_COUNT; m++)
        strbuf_addf(sb, "%s%s", m ? ", " : "", method_names[m]);
}

/* A bare word: dbt's default_method. */
static sel_method default_method(const char *value)
{
    if (strchr(value, '/'))
        return SEL_PATH;
    size_t len = strlen(value);
    static const char *const exts[] = {".sql", ".py", ".csv"};
    for (int i = 0; i < 3; i++) {
        size_t el = strlen(exts[i]);
        if (len >= el && strcasecmp(value + len - el, exts[i]) == 0)
            return SEL_FILE;
    }
    return SEL_FQN;
}

/* Checks that apply to specs from the CLI and from selectors.yml alike. */
static bool check_criteria(const sel_spec *s, mlerr *err)
{
    if (s->children && s->childrens_parents) {
        mlerr_set(err, EXIT_SETUP,
                  "invalid selector '%s': the \"@\" prefix and the \"+\" suffix cannot be "
                  "combined",
                  s->raw);
        mlerr_hint(err,
                   "use '@%s' (the node, its descendants and their ancestors) or "
                   "'%s+' (the node and its descendants)",
                   s->value, s->value);
        return false;
    }
    if (s->method == SEL_CONFIG && s->n_method_args == 0) {
        mlerr_set(err, EXIT_SETUP,
                  "invalid selector '%s': config needs a key, as in "
                  "'config.materialized:table'",
                  s->raw);
        return false;
    }
    if (s->method != SEL_CONFIG && s->n_method_args > 0) {
        mlerr_set(err, EXIT_SETUP,
                  "invalid selector '%s': the %s method takes no '.%s' (only config does, as in "
                  "'config.%s:...')",
                  s->raw, sel_method_name(s->method), s->method_args[0], s->method_args[0]);
        return false;
    }
    /* A '+' or '@' left inside a name cannot match any dbt node name: it is
     * a misplaced graph operator ("a++", "+@a"), not a name. */
    if (s->method == SEL_FQN && strpbrk(s->value, "+@")) {
        mlerr_set(err, EXIT_SETUP,
                  "invalid selector '%s': bad graph operator -- '%s' is not a node name", s->raw,
                  s->value);
        mlerr_hint(err, "graph operators are '+name', 'N+name', 'name+', 'name+N' and '@name'");
        return false;
    }
    return true;
}

bool sel_parse_one(arena *a, const char *raw, sel_indirect indirect, sel_spec **out, mlerr *err)
{
    if (strchr(raw, '\n') || strchr(raw, '\r')) {
        mlerr_set(err, EXIT_SETUP, "invalid selector spec \"%s\": it spans lines", raw);
        return false;
    }
    sel_spec *s = ARENA_NEW(a, sel_spec);
    s->kind = SEL_CRITERIA;
    s->raw = arena_strdup(a, raw);
    s->indirect = indirect;
    s->parents_depth = s->children_depth = -1;

    const char *p = raw;
    if (*p == '@') {
        s->childrens_parents = true;
        p++;
    }
    const char *d = p;
    while (isdigit((unsigned char)*d))
        d++;
    if (*d == '+') {
        s->parents = true;
        s->parents_depth = depth_of(p, (size_t)(d - p));
        p = d + 1;
    }
    const char *m = p;
    while (*m && (is_word((unsigned char)*m) || *m == '.'))
        m++;
    bool has_method = m > p && *m == ':';
    if (has_method) {
        /* "config.meta.owner" -> method "config", arguments ["meta", "owner"]. */
        const char *dot = memchr(p, '.', (size_t)(m - p));
        size_t name_len = dot ? (size_t)(dot - p) : (size_t)(m - p);
        if (!method_parse(p, name_len, &s->method)) {
            strbuf valid = STRBUF_INIT;
            method_list(&valid);
            mlerr_set(err, EXIT_SETUP, "invalid selector '%s': '%.*s' is not a valid method name",
                      raw, (int)name_len, p);
            mlerr_hint(err, "valid methods: %s", strbuf_str(&valid));
            strbuf_release(&valid);
            return false;
        }
        if (dot) {
            size_t cap = 1;
            for (const char *q = dot; q < m; q++)
                cap += *q == '.';
            s->method_args = ARENA_NEW_ARRAY(a, const char *, cap);
            const char *start = dot + 1;
            for (const char *q = start;; q++) {
                if (q == m || *q == '.') {
                    s->method_args[s->n_method_args++] =
                        arena_strndup(a, start, (size_t)(q - start));
                    if (q == m)
                        break;
                    start = q + 1;
                }
            }
        }
        p = m + 1;
    }
    /* The value is lazy: the first '+' followed only by digits ends it. */
    size_t len = strlen(p);
    size_t value_len = len;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '+' && all_digits(p + i + 1)) {
            value_len = i;
            s->children = true;
            s->children_depth = depth_of(p + i + 1, len - i - 1);
            break;
        }
    }
    s->value = arena_strndup(a, p, value_len);
    if (!has_method)
        s->method = default_method(s->value);
    if (!check_criteria(s, err))
        return false;
    *out = s;
    return true;
}

static sel_spec *group_new(arena *a, sel_kind kind, const char *raw, size_t cap)
{
    sel_spec *g = ARENA_NEW(a, sel_spec);
    g->kind = kind;
    g->raw = raw;
    g->items = ARENA_NEW_ARRAY(a, sel_spec *, cap ? cap : 1);
    g->parents_depth = g->children_depth = -1;
    return g;
}

/* dbt's parse_union: ["a b", "c,d"] -> union(isect(a), isect(b), isect(c, d)). */
static bool parse_union(arena *a, const char *const *words, size_t n, bool expect_exists,
                        sel_indirect indirect, sel_spec **out, mlerr *err)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        cap++;
        for (const char *c = words[i]; *c; c++)
            cap += *c == ' ';
    }
    sel_spec *u = group_new(a, SEL_UNION, n ? words[0] : "", cap);
    u->indirect = indirect;
    for (size_t i = 0; i < n; i++) {
        const char *w = words[i];
        while (*w) {
            const char *end = strchr(w, ' ');
            size_t len = end ? (size_t)(end - w) : strlen(w);
            if (len > 0) {
                char *part = arena_strndup(a, w, len);
                size_t nparts = 1;
                for (const char *c = part; *c; c++)
                    nparts += *c == ',';
                sel_spec *isect = group_new(a, SEL_INTERSECTION, part, nparts);
                isect->indirect = indirect;
                isect->expect_exists = expect_exists;
                const char *start = part;
                for (const char *c = part;; c++) {
                    if (*c == ',' || *c == '\0') {
                        char *one = arena_strndup(a, start, (size_t)(c - start));
                        sel_spec *crit;
                        if (!sel_parse_one(a, one, indirect, &crit, err))
                            return false;
                        isect->items[isect->n_items++] = crit;
                        if (!*c)
                            break;
                        start = c + 1;
                    }
                }
                u->items[u->n_items++] = isect;
            }
            w += len;
            while (*w == ' ')
                w++;
        }
    }
    *out = u;
    return true;
}

bool sel_parse_cli(arena *a, const char *const *select, size_t n_select, const char *const *exclude,
                   size_t n_exclude, sel_indirect indirect, sel_spec **out, mlerr *err)
{
    /* dbt's DEFAULT_INCLUDES, for the resource types Mallard loads. */
    static const char *const default_includes[] = {"fqn:*", "source:*", "exposure:*"};
    sel_spec *included, *excluded;
    bool ok = n_select ? parse_union(a, select, n_select, true, indirect, &included, err)
                       : parse_union(a, default_includes, 3, false, indirect, &included, err);
    if (!ok || !parse_union(a, exclude, n_exclude, n_exclude > 0, indirect, &excluded, err))
        return false;
    sel_spec *diff = group_new(a, SEL_DIFFERENCE, "", 2);
    diff->indirect = SEL_INDIRECT_EAGER; /* dbt leaves the difference at its default */
    diff->items[0] = included;
    diff->items[1] = excluded;
    diff->n_items = 2;
    *out = diff;
    return true;
}
