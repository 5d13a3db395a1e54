/* graph: the in-memory model of a loaded dbt project -- its nodes, their
 * configs and the edges between them.
 *
 * The loader (project_load) builds one `project` and then never changes it
 * again, except that compilation fills each node's compiled_code (done
 * before the project is shared).  Everything else -- selection, ls, the
 * manifest writer, the runner's workers -- only reads it, from many threads
 * at once with no lock, so every lookup structure here is built up front:
 *
 *   - nodes[] holds every ENABLED selectable node (models, seeds, tests,
 *     sources, analyses, snapshots, exposures), in a stable order
 *     (sorted by unique_id), and a node's index in it is its identity in
 *     the graph: parents[], children[] and attached_node are indexes;
 *   - disabled nodes live apart in disabled[] (dbt's manifest "disabled"),
 *     never in the graph, never selectable;
 *   - macros live apart in macros[]: they are not graph nodes (dbt's
 *     manifest keeps them in "macros"), only depends_on.macros names them.
 *
 * All memory (strings, arrays, jv values) belongs to project->arena and dies
 * with project_free().  jv values are frozen: treat them as read-only. */
#ifndef MALLARD_PROJECT_GRAPH_H
#define MALLARD_PROJECT_GRAPH_H

#include "jinja/value.h"
#include "project/dbt_project.h"
#include "project/profile.h"
#include "util/arena.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* dbt's resource types.  node_type_name() gives dbt's spelling, which is
 * also the first part of unique_id ("model.proj.name"). */
typedef enum node_type {
    NODE_MODEL,
    NODE_SEED,
    NODE_TEST,
    NODE_SOURCE,
    NODE_ANALYSIS,
    NODE_SNAPSHOT,
    NODE_EXPOSURE,
    NODE_MACRO, /* only in project->macros, never in nodes[] */
    NODE_TYPE_COUNT,
} node_type;

/* "model", "seed", "test", "source", "analysis", "snapshot", "exposure",
 * "macro". */
const char *node_type_name(node_type t);
/* Parses dbt's spelling (also "data_test" as "test"); false if unknown. */
bool node_type_parse(const char *name, node_type *out);

/* A list of node indexes into project->nodes. */
typedef struct node_ids {
    const uint32_t *items;
    uint32_t n;
} node_ids;

/* A list of strings (fqn, tags, macro ids). */
typedef struct str_list {
    const char *const *items;
    uint32_t n;
} str_list;

typedef enum test_kind {
    TEST_NONE,     /* not a test */
    TEST_SINGULAR, /* a .sql file under a test path */
    TEST_GENERIC,  /* an instance of a {% test %} block from properties YAML */
} test_kind;

/* What a test node tests (dbt's test_metadata plus attached_node and
 * column_name).  For a singular test only kind is set. */
typedef struct test_info {
    test_kind kind;
    const char *test_name;   /* generic: "unique", "accepted_values", "my_test" */
    const char *namespace_;  /* generic: "dbt_utils" style namespace, or NULL */
    jv kwargs;               /* generic: a dict of the test's arguments, including
                              * column_name and model ("{{ get_where_subquery(ref('x')) }}")
                              * as dbt records them; JV_UNDEFINED for singular */
    int32_t attached_node;   /* index of the model/seed/source it was declared
                              * under, or -1 (singular tests, or none) */
    const char *column_name; /* the column it was declared under, or NULL */
} test_info;

/* A ref() call as written: ref('name'), ref('pkg', 'name'), version=. */
typedef struct node_ref {
    int line, col;       /* where the call is, when known (0 otherwise) */
    const char *package; /* NULL when not given */
    const char *name;
    const char *version; /* NULL when not given */
} node_ref;

/* A source() call as written. */
typedef struct node_source_ref {
    const char *source_name;
    const char *table_name;
} node_source_ref;

typedef struct pnode {
    node_type type;
    uint32_t index;        /* position in project->nodes (or disabled[]) */
    const char *unique_id; /* "model.proj.name", "source.proj.src.tbl", ... */
    const char *name;      /* model/seed/test name; the TABLE name for sources */
    const char *package_name;
    const char *version; /* versioned models: "2"; else NULL */
    str_list fqn;        /* ["proj", "staging", "stg_x"]; sources: [proj, dirs..., src, tbl] */
    /* dbt's `path`: relative to the resource path (model-paths entry, ...);
     * generic tests: "<test_name>.sql" as dbt names them. */
    const char *path;
    /* Relative to the project directory: the .sql/.csv file, or for sources
     * and generic tests the properties .yml that declared them. */
    const char *original_file_path;
    const char *abs_path; /* absolute path of original_file_path */
    int line;             /* line of the declaration in the yml (sources, generic
                           * tests), or 1 for files */
    str_list tags;        /* the resolved config.tags (deduplicated, in order) */
    jv config;            /* the resolved config dict (project < yml < config()),
                           * dbt's keys: materialized, schema, alias, enabled, tags,
                           * meta, pre-hook, post-hook, ..., plus unknown keys */
    jv unrendered_config; /* the config keys the project set, without defaults */
    bool enabled;

    /* Resolved names, as the node's relation will be named. */
    const char *materialized; /* config.materialized; "seed"/"test" for those */
    const char *database;
    const char *schema;
    const char *alias;         /* the relation name (identifier for sources) */
    const char *relation_name; /* "database"."schema"."alias"; NULL for ephemeral */

    const char *description;
    const char *patch_path; /* "proj://models/schema.yml" style, or NULL */
    jv columns; /* dict: column name -> {name, description, meta, data_type, tags, ...} */
    jv meta;    /* config.meta merged as dbt does */
    jv docs;    /* {"show": true, "node_color": null} */

    const char *raw_code; /* the file's SQL (models, tests, analyses), "" else */
    const char *language; /* "sql" */
    const char *checksum; /* sha256 of the file, as dbt's checksum.checksum */

    /* Calls found by rendering with execute=false, as written. */
    const node_ref *refs;
    uint32_t n_refs;
    const node_source_ref *source_refs;
    uint32_t n_source_refs;

    /* Resolved edges.  depends_on are the unique_ids dbt lists under
     * depends_on.nodes (in call order, deduplicated); parents/children are
     * the same edges as indexes, for traversal. */
    str_list depends_on_nodes;
    str_list depends_on_macros; /* "macro.proj.name", "macro.dbt.is_incremental" */
    node_ids parents;
    node_ids children;

    test_info test;   /* type == NODE_TEST only */
    jv test_metadata; /* generic tests: {name, kwargs, namespace} as in the manifest */

    /* Sources only. */
    const char *source_name;
    const char *source_description;
    const char *identifier;
    const char *loaded_at_field;
    const char *loader; /* the source's `loader:` */
    jv source_meta;     /* the source's (not the table's) meta */
    jv freshness;       /* dict, or JV_NONE */
    jv quoting;         /* dict */

    /* Exposures only: the whole YAML entry (type, owner, url, maturity...). */
    jv exposure;

    /* Filled by compilation (project_compile); NULL until then. */
    const char *compiled_code;
    const char *compiled_path; /* target/compiled/<project>/<path>, relative to project */
} pnode;

/* A macro from the project's macro paths, a {% test %} block, or one of
 * Mallard's built-in (dbt package) macros. */
typedef struct pmacro {
    const char *unique_id;    /* "macro.proj.name", "macro.dbt.default__test_unique" */
    const char *name;         /* "name"; test blocks: "test_<name>" as dbt names them */
    const char *package_name; /* the project name, or "dbt" for built-ins */
    const char *path;         /* relative to the macro path */
    const char *original_file_path;
    const char *macro_sql; /* the {% macro %}...{% endmacro %} text */
    int line;
    const char *description;
    jv arguments; /* list of {name, type, description} from properties YAML */
    jv meta;
    str_list depends_on_macros;
    const char *patch_path; /* the properties file that described it, or NULL */
} pmacro;

/* A {% docs name %} block. */
typedef struct pdoc {
    const char *unique_id; /* "doc.proj.name" */
    const char *name;
    const char *package_name;
    const char *path;
    const char *original_file_path;
    const char *block_contents;
} pdoc;

typedef struct project {
    arena arena; /* owns everything reachable from here */

    const char *name; /* dbt_project.yml `name:` */
    const char *dir;  /* absolute project directory */
    dbt_project_file file;
    const dbt_target *target; /* borrowed from the caller of project_load */

    /* Resolved dbt_project.yml settings (defaults filled in), relative to
     * dir: model-paths, seed-paths, ... */
    str_list model_paths, seed_paths, test_paths, macro_paths, analysis_paths, snapshot_paths,
        docs_paths;
    const char *target_path; /* "target" by default (relative to dir) */
    str_list clean_targets;
    str_list on_run_start; /* raw hook SQL, rendered at run time */
    str_list on_run_end;
    jv vars;     /* project vars, with --vars applied over them */
    jv cli_vars; /* --vars alone (a dict), or JV_UNDEFINED */

    pnode *nodes; /* enabled graph nodes, sorted by unique_id */
    uint32_t n_nodes;
    pnode *disabled;
    uint32_t n_disabled;
    pmacro *macros; /* sorted by unique_id */
    uint32_t n_macros;
    pdoc *docs;
    uint32_t n_docs;

    /* Private lookup tables (hash maps over unique_id and name). */
    struct project_index *index;

    /* Filled by the loader: the time of this invocation, for the manifest's
     * metadata and run_started_at. */
    const char *invocation_id;
    const char *generated_at;   /* "2026-11-29T19:40:00.000000Z" */
    const char *run_started_at; /* "2026-11-29 19:40:00.000000+00:00" style */
    int64_t started_sec;        /* the same instant, for the run_started_at datetime */
    long started_usec;
    const char *target_database; /* target->database, or "memory" without a target */
    const char *target_schema;   /* target->schema, or "main" */
    /* The Jinja environment with the dbt context and every macro (private
     * to the project layer; see render.h). */
    struct dbt_env *env;
    /* Arenas filled by loader threads (parallel rendering), freed with the
     * project; their contents are as much the project's as arena's. */
    arena *side_arenas;
    size_t n_side_arenas;
} project;

typedef struct project_load_opts {
    const char *project_dir;  /* NULL: the current directory */
    const dbt_target *target; /* the resolved profile target; must outlive the project */
    const char *vars_yaml;    /* --vars (a YAML dict), or NULL */
} project_load_opts;

/* Loads dbt_project.yml, every properties YAML file, macro, model, seed and
 * test; resolves configs and refs (rendering each node with execute=false)
 * and builds the graph.  Any error (YAML syntax, Jinja, missing ref, cycle,
 * duplicate name, bad config type) sets err with file:line:col and returns
 * false; *out is then NULL. */
bool project_load(const project_load_opts *opts, project **out, mlerr *err);
void project_free(project *p);

/* Lookups, safe from many threads.  -1 when absent. */
int32_t project_find_id(const project *p, const char *unique_id);
/* A model, seed, snapshot or analysis by name (as ref() resolves it). */
int32_t project_find_ref(const project *p, const char *package, const char *name,
                         const char *version);
/* A source table by source and table name. */
int32_t project_find_source(const project *p, const char *source_name, const char *table_name);
const pmacro *project_find_macro(const project *p, const char *unique_id);

/* dbt's "selector" spelling of a node for `ls --output selector`:
 * fqn joined by "." ("proj.staging.stg_x"), "source:proj.src.tbl" for sources. */
const char *pnode_selector(arena *a, const pnode *n);

#endif
