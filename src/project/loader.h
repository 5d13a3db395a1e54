/* loader: the project loader's internal state, shared by the files that
 * fill the project model in stages (settings, discovery, properties,
 * generic tests, configs, graph).  Not for use outside src/project. */
#ifndef MALLARD_PROJECT_LOADER_H
#define MALLARD_PROJECT_LOADER_H

#include "project/graph.h"
#include "project/strmap.h"
#include "util/yaml_tree.h"

/* A node while it is being built: the public pnode plus what only the
 * loader needs. */
typedef struct lnode {
    pnode n;
    const char *resource_dir; /* the model/seed/test path it was found under */
    const ynode *patch;       /* its properties-YAML entry, or NULL */
    const char *patch_file;   /* rel path of that YAML file */
    jv yml_config;            /* the patch's config: dict, or undefined */
    jv sql_config;            /* config() calls made while rendering, or undefined */
    jv initial_tags;          /* tags that are not config tags (generic tests) */
    struct lnode *target;     /* generic tests: the node or source they test */
    const char *target_name;  /* generic tests: the model/seed name they test */
    bool is_yml_node;         /* sources and generic tests */
    pnode *final;             /* where graph_partition put it */
} lnode;

typedef struct lnode_vec {
    lnode **items;
    size_t n, cap;
} lnode_vec;

typedef struct yml_file {
    const char *rel; /* relative to the project directory */
    const char *abs;
    const char *resource_dir;
    ynode *root;
} yml_file;

/* A generic test declared in properties YAML, built after the YAML pass
 * (on all cores) into the node reserved for it. */
typedef struct test_job {
    lnode *slot;
    lnode *target;
    const char *yml_rel;
    const ynode *test;
    const char *column_name;
    jv column_tags;
    const char *version;
} test_job;

typedef struct level_entry {
    const ynode *level;
    jv configs;
} level_entry;

typedef struct loader {
    project *p;
    arena *a;
    mlerr *err;
    lnode_vec nodes; /* every node found, enabled or not */
    pmacro *macros;
    size_t n_macros, cap_macros;
    pdoc *docs;
    size_t n_docs, cap_docs;
    yml_file *ymls;
    size_t n_ymls, cap_ymls;
    test_job *test_jobs;
    size_t n_test_jobs, cap_test_jobs;
    /* dbt_project.yml config trees (NULL when absent). */
    const ynode *cfg_models, *cfg_seeds, *cfg_tests, *cfg_sources, *cfg_analyses;
    const char *project_path;     /* dbt_project.yml's absolute path, for errors */
    strmap node_names;            /* "type:name" -> index in nodes, for patches and duplicates */
    jv defaults[NODE_TYPE_COUNT]; /* config_defaults per type, built once */
    /* dbt_project.yml config levels already converted (level -> configs),
     * hashed by address; cap is a power of two. */
    level_entry *level_cache;
    size_t n_level_cache, cap_level_cache;
    /* Renders Jinja inside a YAML config value (strings holding {{ or {%),
     * as dbt renders dbt_project.yml and properties configs. */
    bool (*render_value)(struct loader *L, const char *file, const ynode *at, jv in, jv *out);
} loader;

void lnode_vec_push(lnode_vec *v, lnode *n);
lnode *loader_new_node(loader *L, node_type type);

/* settings.c: dbt_project.yml beyond name and profile. */
bool settings_load(loader *L, const char *vars_yaml);

/* discover.c: walks the resource paths. */
bool discover_files(loader *L);
/* Block extraction ({% macro %}, {% test %}, {% docs %}) as dbt's block
 * lexer does it, without rendering. */
bool discover_macro_file(loader *L, const char *package, const char *rel, const char *text,
                         const char *resource_dir);

/* properties.c: version-2 YAML files (patches, sources, generic tests). */
bool properties_apply(loader *L);

/* config.c: configs with dbt's defaults, merge rules and precedence. */
bool config_check_project_tree(loader *L, const ynode *tree, node_type type);
/* Resolves every node's config from the project tree, the yml config and
 * config() (on all cores; the first failing node's error is reported). */
bool config_resolve_all(loader *L);
/* Merges one level of config (a dict) into dst following dbt's behaviours
 * (append tags and hooks, update meta/docs/..., clobber the rest).  Returns
 * false with *why set when a value has the wrong type. */
bool config_merge(arena *a, jv dst, jv level, const char **why);
/* A config value's type check ("materialized must be a string"), NULL if fine. */
const char *config_check_value(arena *a, const char *key, jv value);
jv config_defaults(arena *a, node_type type);

/* generic_test.c: generic_test_build reserves the test's node and queues
 * it; generic_tests_finish builds the queued tests on all cores and reports
 * the first failing declaration's error, replacing any error already set
 * (every queued test was declared before whatever failed later). */
bool generic_test_build(loader *L, lnode *target, const char *yml_rel, const ynode *test,
                        const char *column_name, jv column_tags, const char *version);
bool generic_tests_finish(loader *L);

/* graph.c: the enabled/disabled split in unique_id order with lookup maps,
 * then refs to edges and the cycle check. */
bool graph_partition(loader *L);
void graph_take_macros(loader *L);
bool graph_build(loader *L);

/* Small helpers. */
str_list str_list_from_jv(arena *a, jv list);
jv str_list_to_jv(arena *a, str_list l);
const char *jv_str_or(jv v, const char *fallback);

#endif
