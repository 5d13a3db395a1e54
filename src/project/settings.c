/* settings: the parts of dbt_project.yml beyond name and profile -- resource
 * paths with dbt's defaults, vars (with --vars over them), hooks,
 * clean-targets, and the config trees under models:, seeds:, tests: and
 * sources: (kept as YAML so errors can point into them). */
#include "project/loader.h"
#include "project/yaml_jv.h"

#include <string.h>

/* A key that holds a list of strings (or one string); defaults when absent. */
static bool string_list(loader *L, const char *key, const char *const *defaults, bool is_path,
                        str_list *out)
{
    const ynode *n = ymap_get(L->p->file.root, key);
    arena *a = L->a;
    if (yscalar_is_null(n)) {
        size_t k = 0;
        while (defaults[k])
            k++;
        const char **items = ARENA_NEW_ARRAY(a, const char *, k ? k : 1);
        for (size_t i = 0; i < k; i++)
            items[i] = defaults[i];
        *out = (str_list){items, (uint32_t)k};
        return true;
    }
    if (n->kind == YNODE_SCALAR) {
        const char **items = ARENA_NEW_ARRAY(a, const char *, 1);
        items[0] = n->str;
        *out = (str_list){items, 1};
        return true;
    }
    if (n->kind != YNODE_SEQ) {
        mlerr_at(L->err, EXIT_SETUP, L->project_path, n->line, n->col,
                 "`%s` must be a list of paths, not a %s", key, ynode_kind_name(n));
        return false;
    }
    const char **items = ARENA_NEW_ARRAY(a, const char *, n->n ? n->n : 1);
    for (size_t i = 0; i < n->n; i++) {
        const ynode *it = n->items[i];
        if (it->kind != YNODE_SCALAR) {
            mlerr_at(L->err, EXIT_SETUP, L->project_path, it->line, it->col,
                     "`%s` entries must be strings, not a %s", key, ynode_kind_name(it));
            return false;
        }
        /* "models/" and "models" are the same path */
        size_t len = it->len;
        while (is_path && len > 1 && it->str[len - 1] == '/')
            len--;
        items[i] = arena_strndup(a, it->str, len);
    }
    *out = (str_list){items, (uint32_t)n->n};
    return true;
}

/* on-run-start / on-run-end: a string or a list of SQL strings, none by
 * default. */
static bool hooks(loader *L, const char *key, str_list *out)
{
    static const char *const none[] = {NULL};
    return string_list(L, key, none, false, out);
}

static bool config_tree(loader *L, const char *key, const ynode **out)
{
    const ynode *n = ymap_get(L->p->file.root, key);
    *out = NULL;
    if (yscalar_is_null(n))
        return true;
    if (n->kind != YNODE_MAP) {
        mlerr_at(L->err, EXIT_SETUP, L->project_path, n->line, n->col,
                 "`%s:` must be a mapping of configs, not a %s", key, ynode_kind_name(n));
        return false;
    }
    *out = n;
    return true;
}

bool settings_load(loader *L, const char *vars_yaml)
{
    project *p = L->p;
    static const char *const models[] = {"models", NULL};
    static const char *const seeds[] = {"seeds", NULL};
    static const char *const tests[] = {"tests", NULL};
    static const char *const macros[] = {"macros", NULL};
    static const char *const analyses[] = {"analyses", NULL};
    static const char *const snapshots[] = {"snapshots", NULL};
    static const char *const clean[] = {"target", "dbt_packages", NULL};
    if (!string_list(L, "model-paths", models, true, &p->model_paths) ||
        !string_list(L, "seed-paths", seeds, true, &p->seed_paths) ||
        !string_list(L, "test-paths", tests, true, &p->test_paths) ||
        !string_list(L, "macro-paths", macros, true, &p->macro_paths) ||
        !string_list(L, "analysis-paths", analyses, true, &p->analysis_paths) ||
        !string_list(L, "snapshot-paths", snapshots, true, &p->snapshot_paths) ||
        !string_list(L, "clean-targets", clean, true, &p->clean_targets))
        return false;
    /* docs-paths defaults to every resource path, as in dbt. */
    {
        const str_list *all[] = {&p->model_paths, &p->seed_paths,     &p->test_paths,
                                 &p->macro_paths, &p->analysis_paths, &p->snapshot_paths};
        size_t total = 0;
        for (size_t i = 0; i < 6; i++)
            total += all[i]->n;
        const char **items = ARENA_NEW_ARRAY(L->a, const char *, total + 1);
        size_t k = 0;
        for (size_t i = 0; i < 6; i++)
            for (uint32_t j = 0; j < all[i]->n; j++)
                items[k++] = all[i]->items[j];
        items[k] = NULL;
        if (!string_list(L, "docs-paths", items, true, &p->docs_paths))
            return false;
    }
    const ynode *tp = ymap_get(p->file.root, "target-path");
    if (!yscalar_is_null(tp) && tp->kind != YNODE_SCALAR) {
        mlerr_at(L->err, EXIT_SETUP, L->project_path, tp->line, tp->col,
                 "`target-path` must be a string, not a %s", ynode_kind_name(tp));
        return false;
    }
    p->target_path = yscalar_is_null(tp) ? "target" : tp->str;
    if (!hooks(L, "on-run-start", &p->on_run_start) || !hooks(L, "on-run-end", &p->on_run_end))
        return false;

    /* require-dbt-version is accepted: Mallard follows dbt's current rules. */
    const ynode *rv = ymap_get(p->file.root, "require-dbt-version");
    if (rv && rv->kind == YNODE_MAP) {
        mlerr_at(L->err, EXIT_SETUP, L->project_path, rv->line, rv->col,
                 "`require-dbt-version` must be a version string or a list of them");
        return false;
    }

    const ynode *vars = ymap_get(p->file.root, "vars");
    if (!yscalar_is_null(vars) && vars->kind != YNODE_MAP) {
        mlerr_at(L->err, EXIT_SETUP, L->project_path, vars->line, vars->col,
                 "`vars:` must be a mapping, not a %s", ynode_kind_name(vars));
        return false;
    }
    p->vars = vars ? yaml_to_jv(L->a, vars) : jv_dict(L->a);
    if (vars_yaml && *vars_yaml) {
        ynode *cli = NULL;
        mlerr perr = MLERR_INIT;
        if (!yaml_parse(L->a, "--vars", vars_yaml, strlen(vars_yaml), &cli, &perr)) {
            mlerr_set(L->err, EXIT_SETUP, "--vars is not valid YAML: %s", mlerr_message(&perr));
            mlerr_clear(&perr);
            return false;
        }
        if (cli && cli->kind != YNODE_MAP) {
            mlerr_set(L->err, EXIT_SETUP,
                      "--vars must be a YAML dictionary, like --vars '{my_var: 1}'");
            return false;
        }
        if (cli) {
            /* --vars wins over every project var of the same name. */
            jv cv = yaml_to_jv(L->a, cli);
            for (size_t i = 0; i < jv_dict_len(cv); i++)
                jv_dict_set(p->vars, jv_dict_key_at(cv, i), jv_dict_value_at(cv, i));
            p->cli_vars = cv;
        }
    }
    if (!config_tree(L, "models", &L->cfg_models) || !config_tree(L, "seeds", &L->cfg_seeds) ||
        !config_tree(L, "sources", &L->cfg_sources) ||
        !config_tree(L, "analyses", &L->cfg_analyses))
        return false;
    const ynode *t1 = NULL, *t2 = NULL;
    if (!config_tree(L, "data_tests", &t1) || !config_tree(L, "tests", &t2))
        return false;
    L->cfg_tests = t1 ? t1 : t2;
    if ((L->cfg_models && !config_check_project_tree(L, L->cfg_models, NODE_MODEL)) ||
        (L->cfg_seeds && !config_check_project_tree(L, L->cfg_seeds, NODE_SEED)) ||
        (L->cfg_tests && !config_check_project_tree(L, L->cfg_tests, NODE_TEST)) ||
        (L->cfg_sources && !config_check_project_tree(L, L->cfg_sources, NODE_SOURCE)) ||
        (L->cfg_analyses && !config_check_project_tree(L, L->cfg_analyses, NODE_ANALYSIS)))
        return false;
    return true;
}
