/* generic_test: instances of generic tests declared in properties YAML,
 * named and identified exactly as dbt names them.
 *
 * dbt's rules (parser/generic_test_builders.py): the test's arguments are
 * flattened in sorted key order (dict values, list items, scalars), each
 * printed as Python's str() and cleaned of characters outside [0-9a-zA-Z_],
 * and joined with "__" after "<test>_<target>_".  A name of 64 characters or
 * more is shortened for the file name and alias to its first 30 identifying
 * characters plus the md5 of the full name.  The unique_id ends with the last
 * 10 hex digits of md5(name + repr(sorted test metadata)). */
#include "project/digest.h"
#include "project/loader.h"
#include "project/parse_pool.h"
#include "project/yaml_jv.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

static const char *const config_args[] = {
    "severity",   "tags",     "enabled",   "where",          "limit",
    "warn_if",    "error_if", "fail_calc", "store_failures", "store_failures_as",
    "sql_header", "meta",     "database",  "schema",         "alias",
    NULL,
};

static void clean_into(strbuf *sb, const char *s)
{
    bool in_run = false;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        bool ok = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
                  (*c >= 'A' && *c <= 'Z') || *c == '_';
        if (ok) {
            strbuf_addc(sb, (char)*c);
            in_run = false;
        } else if (!in_run) {
            strbuf_addc(sb, '_');
            in_run = true;
        }
    }
}

static void add_part(strbuf *unique, bool *first, jv part)
{
    strbuf s = STRBUF_INIT;
    jv_to_str(part, &s);
    if (!*first)
        strbuf_adds(unique, "__");
    *first = false;
    clean_into(unique, strbuf_str(&s));
    strbuf_release(&s);
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted string keys of a dict (test args always have string keys). */
static const char **sorted_keys(arena *a, jv d, size_t *n)
{
    size_t len = jv_dict_len(d);
    const char **keys = ARENA_NEW_ARRAY(a, const char *, len ? len : 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        jv key = jv_dict_key_at(d, i);
        if (key.kind == JV_STRING)
            keys[k++] = jv_str_ptr(key);
    }
    qsort(keys, k, sizeof(char *), cmp_cstr);
    *n = k;
    return keys;
}

/* repr() of dbt's get_hashable_md(v): dicts with sorted keys, lists kept,
 * everything else as str(); printed directly rather than built first. */
static void hashable_repr(arena *a, jv v, strbuf *out)
{
    if (v.kind == JV_DICT) {
        size_t n;
        const char **keys = sorted_keys(a, v, &n);
        strbuf_addc(out, '{');
        for (size_t i = 0; i < n; i++) {
            if (i)
                strbuf_add(out, ", ", 2);
            jv_repr_string(keys[i], strlen(keys[i]), out);
            strbuf_add(out, ": ", 2);
            hashable_repr(a, jv_dict_get_str(v, keys[i]), out);
        }
        strbuf_addc(out, '}');
        return;
    }
    if (v.kind == JV_LIST && !(v.flags & JV_FLAG_TUPLE)) {
        strbuf_addc(out, '[');
        for (size_t i = 0; i < jv_list_len(v); i++) {
            if (i)
                strbuf_add(out, ", ", 2);
            hashable_repr(a, jv_list_get(v, i), out);
        }
        strbuf_addc(out, ']');
        return;
    }
    strbuf s = STRBUF_INIT;
    jv_to_str(v, &s);
    jv_repr_string(strbuf_str(&s), s.len, out);
    strbuf_release(&s);
}

static bool valid_ident(const char *s, size_t n)
{
    if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static bool fail(mlerr *err, const char *file, const ynode *at, const char *msg)
{
    mlerr_at(err, EXIT_SETUP, file, at->line, at->col, "%s", msg);
    return false;
}

/* Fills in the test node reserved for one declaration.  Runs on any thread:
 * it reads the loader and the target node, and allocates only from a. */
static bool build_test(const loader *L, const test_job *job, arena *a, mlerr *err)
{
    lnode *target = job->target;
    const char *yml_rel = job->yml_rel;
    const ynode *test = job->test;
    const char *column_name = job->column_name;
    jv column_tags = job->column_tags;
    const char *version = job->version;
    const char *test_name = NULL;
    jv args;
    /* The three spellings: "unique", {unique: {...}}, {test_name: unique, ...} */
    if (test->kind == YNODE_SCALAR) {
        test_name = test->str;
        args = jv_dict(a);
    } else if (test->kind == YNODE_MAP && ymap_get(test, "test_name")) {
        const ynode *tn = ymap_get(test, "test_name");
        if (tn->kind != YNODE_SCALAR)
            return fail(err, yml_rel, tn, "test_name must be a string");
        test_name = tn->str;
        args = jv_dict(a);
        for (size_t i = 0; i < test->n; i++) {
            const ynode *k = YMAP_KEY(test, i);
            if (k->kind == YNODE_SCALAR && strcmp(k->str, "test_name") == 0)
                continue;
            jv_dict_set(args, yaml_to_jv(a, k), yaml_to_jv(a, YMAP_VAL(test, i)));
        }
    } else if (test->kind == YNODE_MAP && test->n == 1) {
        const ynode *k = YMAP_KEY(test, 0), *v = YMAP_VAL(test, 0);
        if (k->kind != YNODE_SCALAR)
            return fail(err, yml_rel, k, "a test's name must be a string");
        test_name = k->str;
        if (!yscalar_is_null(v) && v->kind != YNODE_MAP)
            return fail(err, yml_rel, v,
                        "a test's arguments must be a mapping (for example  values: [a, b])");
        args = v && v->kind == YNODE_MAP ? yaml_to_jv(a, v) : jv_dict(a);
    } else {
        return fail(err, yml_rel, test,
                    "a test must be a name, or a mapping with exactly one test name as its key");
    }
    /* arguments: {...} holds the test's keyword arguments (dbt 1.10+) */
    jv arguments = jv_dict_get_str(args, "arguments");
    if (arguments.kind == JV_DICT) {
        jv_dict_remove(args, jv_string(a, "arguments"));
        for (size_t i = 0; i < jv_dict_len(arguments); i++)
            jv_dict_set(args, jv_dict_key_at(arguments, i), jv_dict_value_at(arguments, i));
    }
    if (column_name)
        jv_dict_set_str(args, "column_name", jv_string(a, column_name));
    if (jv_dict_has(args, jv_string(a, "model")))
        return fail(err, yml_rel, test, "a test cannot take an argument named `model`");

    /* namespace.name */
    const char *dot = strchr(test_name, '.');
    const char *ns = NULL, *name = test_name;
    if (dot) {
        ns = arena_strndup(a, test_name, (size_t)(dot - test_name));
        name = dot + 1;
    }
    if ((ns && !valid_ident(ns, strlen(ns))) || !valid_ident(name, strlen(name)))
        return fail(
            err, yml_rel, test,
            arena_printf(a, "'%s' is not a valid test name: use name or package.name", test_name));

    /* configs given as arguments, then `config:` */
    jv cfg = jv_dict(a);
    jv nested = jv_dict_get_str(args, "config");
    if (nested.kind != JV_UNDEFINED && nested.kind != JV_DICT)
        return fail(err, yml_rel, test, "a test's `config:` must be a mapping");
    for (size_t i = 0; config_args[i]; i++) {
        /* looked up by C string: a key value is made only to remove or set */
        jv v = jv_dict_get_str(args, config_args[i]);
        if (v.kind != JV_UNDEFINED) {
            jv key = jv_string(a, config_args[i]);
            jv_dict_remove(args, key);
            if (nested.kind == JV_DICT && jv_dict_has(nested, key) && jv_truthy(v))
                return fail(err, yml_rel, test,
                            arena_printf(a,
                                         "test config `%s` is given twice: as an argument and "
                                         "under config:",
                                         config_args[i]));
        }
        if (!jv_truthy(v) && nested.kind == JV_DICT) {
            v = jv_dict_get_str(nested, config_args[i]);
            if (v.kind != JV_UNDEFINED)
                jv_dict_remove(nested, jv_string(a, config_args[i]));
        }
        if (v.kind != JV_UNDEFINED && v.kind != JV_NONE)
            jv_dict_set_str(cfg, config_args[i], v);
    }
    if (nested.kind == JV_DICT) {
        jv_dict_remove(args, jv_string(a, "config"));
        for (size_t i = 0; i < jv_dict_len(nested); i++)
            if (jv_dict_value_at(nested, i).kind != JV_NONE)
                jv_dict_set(cfg, jv_dict_key_at(nested, i), jv_dict_value_at(nested, i));
    }
    for (size_t i = 0; i < jv_dict_len(cfg); i++) {
        jv k = jv_dict_key_at(cfg, i);
        const char *bad = k.kind == JV_STRING
                              ? config_check_value(a, jv_str_ptr(k), jv_dict_value_at(cfg, i))
                              : NULL;
        if (bad)
            return fail(err, yml_rel, test, bad);
    }
    const char *description = "";
    jv d = jv_dict_get_str(args, "description");
    if (d.kind != JV_UNDEFINED) {
        description = jv_str_or(d, "");
        jv_dict_remove(args, jv_string(a, "description"));
    }

    bool is_source = target->n.type == NODE_SOURCE;
    const char *target_name =
        is_source ? arena_printf(a, "%s_%s", target->n.source_name, target->n.name)
                  : (version ? arena_printf(a, "%s_v%s", target->n.name, version) : target->n.name);
    const char *model_str =
        is_source ? arena_printf(a, "{{ get_where_subquery(source('%s', '%s')) }}",
                                 target->n.source_name, target->n.name)
        : version ? arena_printf(a, "{{ get_where_subquery(ref('%s', version='%s')) }}",
                                 target->n.name, version)
                  : arena_printf(a, "{{ get_where_subquery(ref('%s')) }}", target->n.name);

    /* names */
    const char *short_name, *full_name;
    jv given = jv_dict_get_str(args, "name");
    if (given.kind == JV_STRING) {
        short_name = full_name = jv_str_ptr(given);
        jv_dict_remove(args, jv_string(a, "name"));
    } else {
        const char *type_part = is_source ? arena_printf(a, "source_%s", name) : name;
        if (ns)
            type_part = arena_printf(a, "%s_%s", ns, type_part);
        strbuf unique = STRBUF_INIT;
        bool first = true;
        size_t nk;
        const char **keys = sorted_keys(a, args, &nk);
        for (size_t i = 0; i < nk; i++) {
            jv v = jv_dict_get_str(args, keys[i]);
            if (v.kind == JV_DICT) {
                for (size_t j = 0; j < jv_dict_len(v); j++)
                    add_part(&unique, &first, jv_dict_value_at(v, j));
            } else if (v.kind == JV_LIST) {
                for (size_t j = 0; j < jv_list_len(v); j++)
                    add_part(&unique, &first, jv_list_get(v, j));
            } else {
                add_part(&unique, &first, v);
            }
        }
        const char *ident = arena_printf(a, "%s_%s", type_part, target_name);
        full_name = arena_printf(a, "%s_%s", ident, strbuf_str(&unique));
        strbuf_release(&unique);
        if (strlen(full_name) >= 64) {
            char md5[33];
            digest_md5_hex(full_name, strlen(full_name), md5);
            short_name = arena_printf(a, "%.30s_%s", ident, md5);
        } else {
            short_name = full_name;
        }
        if (strcmp(short_name, full_name) != 0 && !jv_dict_has(cfg, jv_string(a, "alias")))
            jv_dict_set_str(cfg, "alias", jv_string(a, short_name));
    }
    jv_dict_set_str(args, "model", jv_string(a, model_str));

    /* test_metadata and the id hash */
    jv meta = jv_dict(a);
    jv_dict_set_str(meta, "name", jv_string(a, name));
    jv_dict_set_str(meta, "kwargs", args);
    jv_dict_set_str(meta, "namespace", ns ? jv_string(a, ns) : jv_none());
    strbuf hs = STRBUF_INIT;
    strbuf_adds(&hs, full_name);
    hashable_repr(a, meta, &hs);
    char md5[33];
    digest_md5_hex(hs.buf, hs.len, md5);
    strbuf_release(&hs);

    lnode *ln = job->slot;
    pnode *n = &ln->n;
    ln->is_yml_node = true;
    ln->target = target;
    ln->target_name = target->n.name;
    ln->resource_dir = target->resource_dir;
    ln->patch_file = yml_rel;
    ln->yml_config = cfg;
    n->name = full_name;
    n->unique_id = arena_printf(a, "test.%s.%s.%s", L->p->name, full_name, md5 + 22);
    n->path = arena_printf(a, "%s.sql", short_name);
    n->original_file_path = yml_rel;
    n->abs_path = target->n.abs_path && !is_source ? NULL : target->n.abs_path;
    n->line = test->line;
    n->description = description;
    n->checksum = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    /* fqn: the YAML file's folders below its first path part */
    {
        const char *s = strchr(yml_rel, '/');
        const char **fq = ARENA_NEW_ARRAY(a, const char *, 18);
        uint32_t k = 0;
        fq[k++] = L->p->name;
        while (s && k < 16) {
            const char *start = s + 1;
            s = strchr(start, '/');
            if (s)
                fq[k++] = arena_strndup(a, start, (size_t)(s - start));
        }
        fq[k++] = full_name;
        n->fqn = (str_list){fq, k};
    }
    /* raw_code, with the YAML config as a trailing config() call as dbt does */
    strbuf raw = STRBUF_INIT;
    strbuf_addf(&raw, "{{ %s%stest_%s(**_dbt_generic_test_kwargs) }}", ns ? ns : "", ns ? "." : "",
                name);
    if (jv_dict_len(cfg) > 0) {
        strbuf_adds(&raw, "{{ config(");
        for (size_t i = 0; i < jv_dict_len(cfg); i++) {
            jv k = jv_dict_key_at(cfg, i), v = jv_dict_value_at(cfg, i);
            if (i)
                strbuf_addc(&raw, ',');
            strbuf_addf(&raw, "%s=", jv_str_or(k, "?"));
            if (v.kind == JV_STRING) {
                strbuf_addc(&raw, '"');
                for (const char *c = jv_str_ptr(v); *c; c++) {
                    if (*c == '"')
                        strbuf_addc(&raw, '\\');
                    strbuf_addc(&raw, *c);
                }
                strbuf_addc(&raw, '"');
            } else {
                jv_to_str(v, &raw);
            }
        }
        strbuf_adds(&raw, ") }}");
    }
    n->raw_code = arena_strndup(a, raw.buf, raw.len);
    strbuf_release(&raw);
    n->test.kind = TEST_GENERIC;
    n->test.test_name = name;
    n->test.namespace_ = ns;
    n->test.kwargs = args;
    n->test.column_name = column_name;
    n->test_metadata = meta;

    /* tags outside config: sorted, unique (column tags + the test's tags) */
    jv tags = jv_list(a);
    jv all[2] = {column_tags, jv_dict_get_str(cfg, "tags")};
    for (int t = 0; t < 2; t++) {
        jv src = all[t];
        if (src.kind == JV_STRING) {
            jv one = jv_list(a);
            jv_list_append(one, src);
            src = one;
        }
        for (size_t i = 0; src.kind == JV_LIST && i < jv_list_len(src); i++)
            jv_list_append(tags, jv_list_get(src, i));
    }
    size_t nt = jv_list_len(tags);
    const char **ts = ARENA_NEW_ARRAY(a, const char *, nt ? nt : 1);
    size_t k = 0;
    for (size_t i = 0; i < nt; i++) {
        jv t = jv_list_get(tags, i);
        if (t.kind == JV_STRING)
            ts[k++] = jv_str_ptr(t);
    }
    qsort(ts, k, sizeof(char *), cmp_cstr);
    jv sorted = jv_list(a);
    for (size_t i = 0; i < k; i++)
        if (i == 0 || strcmp(ts[i], ts[i - 1]) != 0)
            jv_list_append(sorted, jv_string(a, ts[i]));
    ln->initial_tags = sorted;

    /* The tested node is a dependency; refs inside the arguments are found
     * when the test is rendered. */
    if (is_source) {
        node_source_ref *sr = ARENA_NEW(a, node_source_ref);
        sr->source_name = target->n.source_name;
        sr->table_name = target->n.name;
        n->source_refs = sr;
        n->n_source_refs = 1;
    } else {
        node_ref *r = ARENA_NEW(a, node_ref);
        r->name = target->n.name;
        r->version = version;
        n->refs = r;
        n->n_refs = 1;
    }
    return true;
}

bool generic_test_build(loader *L, lnode *target, const char *yml_rel, const ynode *test,
                        const char *column_name, jv column_tags, const char *version)
{
    if (L->n_test_jobs == L->cap_test_jobs) {
        L->cap_test_jobs = L->cap_test_jobs ? L->cap_test_jobs * 2 : 256;
        L->test_jobs = xrealloc(L->test_jobs, L->cap_test_jobs * sizeof(test_job));
    }
    /* the node's place in the node list is taken now, in declaration order */
    test_job *job = &L->test_jobs[L->n_test_jobs++];
    *job = (test_job){
        loader_new_node(L, NODE_TEST), target, yml_rel, test, column_name, column_tags, version};
    return true;
}

static bool build_one(void *ctx, size_t i, arena *keep, mlerr *err)
{
    const loader *L = ctx;
    return build_test(L, &L->test_jobs[i], keep, err);
}

bool generic_tests_finish(loader *L)
{
    bool ok = parse_pool_run(L->p, L->a, L->n_test_jobs, 64, build_one, L, L->err, NULL);
    L->n_test_jobs = 0;
    return ok;
}
