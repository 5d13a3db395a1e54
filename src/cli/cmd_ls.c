/* cmd_ls: `mallard ls` / `mallard list`, dbt's list task.
 *
 * It loads the project, selects nodes as dbt does, keeps the resource types
 * asked for (by default everything but analyses), and prints one line per
 * node in unique_id order: the selector (default), the name, the file path,
 * or a JSON object per line with the keys dbt's ls prints -- or, with
 * --output-keys, exactly the keys named (dotted keys reach into dicts).
 * The lines carry no timestamps, so the output pipes as dbt's does. */
#include "cli/cli.h"
#include "cli/select_args.h"
#include "cli/setup.h"

#include "jinja/value.h"
#include "project/graph.h"
#include "project/manifest.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

static struct {
    cli_selection sel;
    strlist resource_types;
    strlist exclude_resource_types;
    const char *output;
    strlist output_keys;
    const char *vars;
} ls;

static const cli_option ls_options[] = {
    CLI_SELECTION_OPTIONS(ls.sel),
    {"resource-type", 0, OPT_STRING_LIST, &ls.resource_types, NULL, "TYPE...",
     "list only these resource types: model, seed, test, source, snapshot, analysis, exposure, "
     "..., default or all (repeatable)"},
    {"exclude-resource-type", 0, OPT_STRING_LIST, &ls.exclude_resource_types, NULL, "TYPE...",
     "leave these resource types out"},
    {"output", 'o', OPT_STRING, &ls.output, NULL, "FORMAT",
     "selector (default), name, path or json"},
    {"output-keys", 0, OPT_STRING_LIST, &ls.output_keys, NULL, "KEY...",
     "with --output json: the keys to print (config.materialized reaches into config)"},
    {"vars", 0, OPT_STRING, &ls.vars, NULL, "YAML", "project variables, as a YAML dict"},
    {0},
};

/* dbt's --resource-type choices. */
static const char *const resource_choices[] = {
    "metric",    "semantic_model", "saved_query", "source", "analysis", "model",   "test",
    "unit_test", "exposure",       "snapshot",    "seed",   "function", "default", "all",
};
/* dbt's ListTask.DEFAULT_RESOURCE_VALUES; "all" adds analysis. */
static const char *const default_types[] = {
    "model",  "snapshot",    "seed",           "test",      "source",   "exposure",
    "metric", "saved_query", "semantic_model", "unit_test", "function",
};

typedef struct type_set {
    bool on[sizeof(resource_choices) / sizeof(*resource_choices)];
} type_set;

static int choice_index(const char *name)
{
    for (size_t i = 0; i < sizeof(resource_choices) / sizeof(*resource_choices); i++) {
        if (strcmp(resource_choices[i], name) == 0)
            return (int)i;
    }
    return -1;
}

static void add_type(type_set *t, const char *name)
{
    int i = choice_index(name);
    if (i >= 0)
        t->on[i] = true;
}

/* Each word may itself hold several types ("model seed"), as dbt splits them. */
static bool parse_types(const strlist *words, type_set *out, const char *flag, arena *a, mlerr *err)
{
    for (int w = 0; w < words->n; w++) {
        char *copy = arena_strdup(a, words->items[w]);
        for (char *save = NULL, *tok = strtok_r(copy, " ,", &save); tok;
             tok = strtok_r(NULL, " ,", &save)) {
            if (choice_index(tok) < 0) {
                mlerr_set(err, EXIT_SETUP,
                          "invalid value for --%s: '%s' is not one of metric, semantic_model, "
                          "saved_query, source, analysis, model, test, unit_test, exposure, "
                          "snapshot, seed, function, default, all",
                          flag, tok);
                return false;
            }
            if (strcmp(tok, "default") == 0 || strcmp(tok, "all") == 0) {
                for (size_t i = 0; i < sizeof(default_types) / sizeof(*default_types); i++)
                    add_type(out, default_types[i]);
                if (strcmp(tok, "all") == 0)
                    add_type(out, "analysis");
            } else {
                add_type(out, tok);
            }
        }
    }
    return true;
}

/* The first part of the unique_id is dbt's resource type. */
static const char *resource_type(arena *a, const pnode *n)
{
    const char *dot = strchr(n->unique_id, '.');
    return dot ? arena_strndup(a, n->unique_id, (size_t)(dot - n->unique_id)) : n->unique_id;
}

static jv str_or_none(arena *a, const char *s)
{
    return s ? jv_string(a, s) : jv_none();
}

static jv str_list_jv(arena *a, const str_list *l)
{
    jv out = jv_list(a);
    for (uint32_t i = 0; i < l->n; i++)
        jv_list_append(out, jv_string(a, l->items[i]));
    return out;
}

static jv or_empty_dict(arena *a, jv v)
{
    return v.kind == JV_UNDEFINED ? jv_dict(a) : v;
}

/* The node as dbt's to_dict() has it, keys in dbt's field order, for the
 * fields Mallard's model holds. */
static jv node_dict(arena *a, const pnode *n)
{
    jv d = jv_dict(a);
    const char *type = resource_type(a, n);
#define SET(k, v) jv_dict_set_str(d, k, v)
    if (n->type != NODE_EXPOSURE) {
        SET("database", str_or_none(a, n->database));
        SET("schema", str_or_none(a, n->schema));
    }
    SET("name", jv_string(a, n->name));
    SET("resource_type", jv_string(a, type));
    SET("package_name", jv_string(a, n->package_name));
    SET("path", str_or_none(a, n->path));
    SET("original_file_path", str_or_none(a, n->original_file_path));
    SET("unique_id", jv_string(a, n->unique_id));
    SET("fqn", str_list_jv(a, &n->fqn));

    jv depends_on = jv_dict(a);
    jv_dict_set_str(depends_on, "macros", str_list_jv(a, &n->depends_on_macros));
    if (n->type != NODE_SEED)
        jv_dict_set_str(depends_on, "nodes", str_list_jv(a, &n->depends_on_nodes));

    if (n->type == NODE_SOURCE) {
        SET("source_name", jv_string(a, n->source_name));
        SET("source_description", jv_string(a, n->source_description ? n->source_description : ""));
        SET("identifier", str_or_none(a, n->identifier));
        SET("quoting", or_empty_dict(a, n->quoting));
        SET("loaded_at_field", str_or_none(a, n->loaded_at_field));
        SET("freshness", n->freshness.kind == JV_UNDEFINED ? jv_none() : n->freshness);
        SET("description", jv_string(a, n->description ? n->description : ""));
        SET("columns", or_empty_dict(a, n->columns));
        SET("meta", or_empty_dict(a, n->meta));
        SET("tags", str_list_jv(a, &n->tags));
        SET("config", or_empty_dict(a, n->config));
        SET("relation_name", str_or_none(a, n->relation_name));
        return d;
    }
    if (n->type == NODE_EXPOSURE) {
        SET("description", jv_string(a, n->description ? n->description : ""));
        SET("meta", or_empty_dict(a, n->meta));
        SET("tags", str_list_jv(a, &n->tags));
        SET("config", or_empty_dict(a, n->config));
        SET("depends_on", depends_on);
        return d;
    }
    SET("alias", str_or_none(a, n->alias));
    if (n->checksum) {
        jv checksum = jv_dict(a);
        jv_dict_set_str(checksum, "name", jv_string(a, "sha256"));
        jv_dict_set_str(checksum, "checksum", jv_string(a, n->checksum));
        SET("checksum", checksum);
    }
    SET("config", or_empty_dict(a, n->config));
    SET("tags", str_list_jv(a, &n->tags));
    SET("description", jv_string(a, n->description ? n->description : ""));
    SET("columns", or_empty_dict(a, n->columns));
    SET("meta", or_empty_dict(a, n->meta));
    if (n->docs.kind != JV_UNDEFINED)
        SET("docs", n->docs);
    SET("relation_name", str_or_none(a, n->relation_name));
    SET("raw_code", jv_string(a, n->raw_code ? n->raw_code : ""));
    SET("language", jv_string(a, n->language ? n->language : "sql"));
    if (n->type != NODE_SEED) {
        jv refs = jv_list(a);
        for (uint32_t i = 0; i < n->n_refs; i++) {
            jv r = jv_dict(a);
            jv_dict_set_str(r, "name", jv_string(a, n->refs[i].name));
            jv_dict_set_str(r, "package", str_or_none(a, n->refs[i].package));
            jv_dict_set_str(r, "version", str_or_none(a, n->refs[i].version));
            jv_list_append(refs, r);
        }
        SET("refs", refs);
        jv sources = jv_list(a);
        for (uint32_t i = 0; i < n->n_source_refs; i++) {
            jv pair = jv_list(a);
            jv_list_append(pair, jv_string(a, n->source_refs[i].source_name));
            jv_list_append(pair, jv_string(a, n->source_refs[i].table_name));
            jv_list_append(sources, pair);
        }
        SET("sources", sources);
    }
    SET("depends_on", depends_on);
    if (n->type == NODE_TEST) {
        SET("column_name", str_or_none(a, n->test.column_name));
        if (n->test.kind == TEST_GENERIC) {
            jv meta = jv_dict(a);
            jv_dict_set_str(meta, "name", str_or_none(a, n->test.test_name));
            jv_dict_set_str(meta, "kwargs", or_empty_dict(a, n->test.kwargs));
            jv_dict_set_str(meta, "namespace", str_or_none(a, n->test.namespace_));
            SET("test_metadata", meta);
        }
    }
#undef SET
    return d;
}

/* dbt's ALLOWED_KEYS for ls --output json. */
static bool allowed_key(const char *k)
{
    static const char *const keys[] = {
        "alias",  "name",          "package_name", "depends_on",         "tags",
        "config", "resource_type", "source_name",  "original_file_path", "unique_id",
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
        if (strcmp(keys[i], k) == 0)
            return true;
    }
    return false;
}

/* dbt's _get_nested_value: None when any step is missing. */
static jv nested(jv d, const char *path, arena *a)
{
    char *copy = arena_strdup(a, path);
    jv cur = d;
    for (char *save = NULL, *k = strtok_r(copy, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
        if (cur.kind != JV_DICT || !jv_dict_has(cur, jv_string(a, k)))
            return jv_undefined(NULL);
        cur = jv_dict_get_str(cur, k);
    }
    return cur;
}

static void print_json(const pnode *n, arena *a, strbuf *out)
{
    jv d = node_dict(a, n);
    jv result = jv_dict(a);
    if (ls.output_keys.n) {
        for (int i = 0; i < ls.output_keys.n; i++) {
            /* Each word may list several keys, space separated. */
            char *copy = arena_strdup(a, ls.output_keys.items[i]);
            for (char *save = NULL, *key = strtok_r(copy, " ", &save); key;
                 key = strtok_r(NULL, " ", &save)) {
                jv v = strchr(key, '.') ? nested(d, key, a) : jv_dict_get_str(d, key);
                /* dbt drops a nested key whose value is None. */
                if (v.kind == JV_UNDEFINED || (strchr(key, '.') && v.kind == JV_NONE))
                    continue;
                jv_dict_set_str(result, key, v);
            }
        }
    } else {
        for (size_t i = 0; i < jv_dict_len(d); i++) {
            jv k = jv_dict_key_at(d, i);
            if (allowed_key(jv_str_ptr(k)))
                jv_dict_set(result, k, jv_dict_value_at(d, i));
        }
    }
    jv_json_opts opts = {
        .indent = -1, .sort_keys = false, .html_safe = false, .ensure_ascii = true};
    jv_to_json_opts(result, &opts, out);
}

/* dbt's `selector` output: the fqn, or method:package.name for sources and
 * exposures, which fqn does not select. */
static void print_selector(const pnode *n, strbuf *out)
{
    if (n->type == NODE_SOURCE) {
        strbuf_addf(out, "source:%s.%s.%s", n->package_name, n->source_name, n->name);
        return;
    }
    if (n->type == NODE_EXPOSURE) {
        strbuf_addf(out, "exposure:%s.%s", n->package_name, n->name);
        return;
    }
    for (uint32_t i = 0; i < n->fqn.n; i++)
        strbuf_addf(out, "%s%s", i ? "." : "", n->fqn.items[i]);
}

/* dbt's search_name: sources are source_name.table, versioned models name.vN. */
static void print_name(const pnode *n, strbuf *out)
{
    if (n->type == NODE_SOURCE)
        strbuf_addf(out, "%s.%s", n->source_name, n->name);
    else if (n->version)
        strbuf_addf(out, "%s.v%s", n->name, n->version);
    else
        strbuf_adds(out, n->name);
}

static int run_ls(cli_globals *g, int argc, const char **argv)
{
    mlerr err = MLERR_INIT;
    if (argc > 0) {
        fprintf(stderr, "mallard ls: unexpected argument '%s'\n", argv[0]);
        fprintf(stderr, "  hint: select nodes with -s/--select, as in 'mallard ls -s %s'\n",
                argv[0]);
        return EXIT_SETUP;
    }
    const char *output = ls.output ? ls.output : "selector";
    if (strcmp(output, "selector") && strcmp(output, "name") && strcmp(output, "path") &&
        strcmp(output, "json")) {
        fprintf(stderr,
                "mallard ls: invalid value for --output: '%s' (choose from json, name, path, "
                "selector)\n",
                output);
        return EXIT_SETUP;
    }
    if (ls.sel.models.n && ls.sel.select.n) {
        fprintf(stderr, "mallard ls: \"models\" and \"select\" are mutually exclusive\n");
        return EXIT_SETUP;
    }
    if (ls.sel.models.n && ls.resource_types.n) {
        fprintf(stderr, "mallard ls: \"models\" and \"resource_type\" are mutually exclusive\n");
        return EXIT_SETUP;
    }

    arena a = ARENA_INIT;
    cli_project cp;
    project *p = NULL;
    int rc = EXIT_OK;
    type_set types = {0}, excluded = {0};
    if (ls.sel.models.n) {
        add_type(&types, "model");
    } else if (ls.resource_types.n) {
        if (!parse_types(&ls.resource_types, &types, "resource-type", &a, &err))
            goto fail;
    } else {
        for (size_t i = 0; i < sizeof(default_types) / sizeof(*default_types); i++)
            add_type(&types, default_types[i]);
    }
    if (!parse_types(&ls.exclude_resource_types, &excluded, "exclude-resource-type", &a, &err))
        goto fail;
    if (!cli_setup_project(g, &a, &cp, &err) || !cli_log_start(g, &cp, &err))
        goto fail;
    project_load_opts opts = {
        .project_dir = cp.project.dir,
        .target = &cp.target,
        .vars_yaml = ls.vars,
    };
    /* Like every command that reads the project, ls leaves its manifest. */
    if (!project_load(&opts, &p, &err) || !manifest_write(p, &err))
        goto fail;

    nodeset selected;
    if (!cli_select_nodes(&ls.sel, p, &a, &selected, &err))
        goto fail;

    strbuf out = STRBUF_INIT;
    uint32_t listed = 0;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        if (!nodeset_has(&selected, i))
            continue;
        const pnode *n = &p->nodes[i];
        int t = choice_index(resource_type(&a, n));
        if (t < 0 || !types.on[t] || excluded.on[t])
            continue;
        arena scratch = ARENA_INIT;
        if (strcmp(output, "selector") == 0)
            print_selector(n, &out);
        else if (strcmp(output, "name") == 0)
            print_name(n, &out);
        else if (strcmp(output, "path") == 0)
            strbuf_adds(&out, n->original_file_path ? n->original_file_path : "");
        else
            print_json(n, &scratch, &out);
        arena_free(&scratch);
        strbuf_addc(&out, '\n');
        listed++;
    }
    fwrite(strbuf_str(&out), 1, out.len, stdout);
    fflush(stdout);
    strbuf_release(&out);
    if (listed == 0)
        log_warn("No nodes selected!");
    goto done;

fail:
    rc = cli_fail(&err);
done:
    if (p)
        project_free(p);
    mlerr_clear(&err);
    arena_free(&a);
    return rc;
}

const cli_command cmd_ls = {
    .name = "ls",
    .summary = "List the project's nodes, as dbt ls does",
    .usage = "ls [-s SPEC...] [--exclude SPEC...] [--selector NAME] [--resource-type TYPE...] "
             "[--output selector|name|path|json] [--output-keys KEY...]",
    .options = ls_options,
    .run = run_ls,
    .description =
        "Prints the selected nodes one per line, in unique_id order.  Selection works as in "
        "dbt: 'mallard ls -s +orders,tag:nightly --exclude stg_orders'.  By default every "
        "resource type but analyses is listed.",
};

const cli_command cmd_list = {
    .name = "list",
    .summary = "The same as ls",
    .usage = "list [OPTIONS]",
    .options = ls_options,
    .run = run_ls,
};
