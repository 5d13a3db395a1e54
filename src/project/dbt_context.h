/* dbt_context: the Jinja environment dbt templates run in -- ref, source,
 * config, var, env_var, target, this, adapter, exceptions, modules and the
 * rest -- plus every macro of the project and of the built-in dbt package.
 *
 * One dbt_env serves a whole project and is read-only once built, so nodes
 * can be rendered on several threads at once.  Everything that differs
 * between renders (the node, parse or compile mode, what the render found)
 * lives in a render_state handed to the natives as the render's host. */
#ifndef MALLARD_PROJECT_DBT_CONTEXT_H
#define MALLARD_PROJECT_DBT_CONTEXT_H

#include "jinja/jinja.h"
#include "project/graph.h"

typedef enum {
    RENDER_PARSE,   /* execute=false: collect ref/source/config calls */
    RENDER_COMPILE, /* execute=true: refs resolve to relations */
} render_mode;

typedef struct dbt_env {
    jinja_env *env;
    project *p;
    jinja_template **templates; /* macro templates, freed with the env */
    size_t n_templates, cap_templates;
    jv root_macros;    /* name -> callable: project macros over dbt's */
    jv dbt_macros;     /* the "dbt" namespace */
    jv project_macros; /* the project's own namespace */
    bool custom_schema_name, custom_alias_name, custom_database_name;
    jv graph; /* graph.nodes / graph.sources for compile renders */
    /* While parsing, refs and sources are checked against the files found
     * (the graph does not exist yet); the loader supplies these. */
    void *parse_ctx;
    bool (*parse_has_ref)(void *ctx, const char *name);
    const char *(*parse_nearest)(void *ctx, const char *name);
    bool (*parse_has_source)(void *ctx, const char *source_name, const char *table_name);
    jv flags;   /* the `flags` global: see dbt_env_set_flags */
    bool empty; /* --empty: ref() and source() render limited to no rows */
} dbt_env;

/* What the database holds under a name, for adapter.get_relation at run
 * time: false if nothing; otherwise *type is "table" or "view". */
typedef bool (*dbt_relation_probe_fn)(void *ctx, const char *database, const char *schema,
                                      const char *identifier, const char **type);

/* One render's state (the host of its native calls). */
typedef struct render_state {
    dbt_env *de;
    pnode *node;
    render_mode mode;
    arena *a;       /* where results that outlive the render go (refs, configs) */
    arena *scratch; /* the render's own values, or NULL to use a */
    /* parse: what the template called */
    node_ref *refs;
    size_t n_refs, cap_refs;
    node_source_ref *sources;
    size_t n_sources, cap_sources;
    jv config_calls; /* dict of merged config() arguments */
    jv test_kwargs;  /* generic tests: _dbt_generic_test_kwargs, rendered */
    /* compile: ephemeral models this render referenced (node indexes) */
    uint32_t *ephemerals;
    size_t n_ephemerals, cap_ephemerals;
    mlerr *err;
    /* compile at run time: adapter.get_relation asks this (on the worker's
     * connection); NULL answers none, as a compile without a database does */
    dbt_relation_probe_fn probe_relation;
    void *probe_ctx;
    /* a dict of further names for this render (on-run-end's results,
     * schemas...); anything else adds none */
    jv extra;
    /* a dict shadowing the env's `flags` for this render only (so tasks
     * sharing one project can render as run, seed or test at once);
     * anything else leaves the env's flags visible */
    jv flags;
} render_state;

/* Builds the environment: globals, natives, and every macro (compiled and
 * gathered into namespaces).  p->macros must be final. */
dbt_env *dbt_env_new(project *p, mlerr *err);
void dbt_env_free(dbt_env *de);
/* Sets flags.WHICH, flags.FULL_REFRESH and flags.STORE_FAILURES for the
 * command being run.  Call before any render starts (not thread-safe). */
void dbt_env_set_flags(dbt_env *de, const char *which, bool full_refresh, bool store_failures);
/* The same dict, built in a for a render_state's flags (frozen). */
jv dbt_flags_new(arena *a, const char *which, bool full_refresh, bool store_failures, bool empty);

/* --empty: from now on ref() and source() render as dbt's render_limited
 * does with limit 0 (a subquery "where false limit 0"), and flags.EMPTY is
 * set.  Call before any render starts (not thread-safe). */
void dbt_env_set_empty(dbt_env *de, bool empty);

/* Renders source as node's template (name: its original file path).  The
 * output is appended to out; refs etc. are collected in rs. */
bool dbt_render(dbt_env *de, render_state *rs, const char *name, const char *source, size_t len,
                int first_line, strbuf *out, mlerr *err);
/* A relation object as ref()/source()/this return it. */
jv dbt_relation(arena *a, const char *database, const char *schema, const char *identifier,
                const char *type);
/* The same with dbt's Relation.limit: -1 is None, 0 is --empty's. */
jv dbt_relation_limited(arena *a, const char *database, const char *schema, const char *identifier,
                        const char *type, int limit);
/* The dict a template sees as `model` (and graph.nodes entries). */
jv dbt_node_dict(arena *a, const project *p, const pnode *n);
/* The same fields as an object built attribute by attribute (for `model`). */
jv dbt_node_object(arena *a, const pnode *n);
void render_state_release(render_state *rs);
/* Records a ref()/source() call (deduplicated, in call order). */
bool render_state_add_ref(render_state *rs, node_ref r);
void render_state_add_source(render_state *rs, node_source_ref s);
/* _dbt_generic_test_kwargs: a generic test's arguments, each string
 * rendered as dbt renders it (parse_render.c). */
bool dbt_test_kwargs(dbt_env *de, render_state *rs, const pnode *n, jv *out, mlerr *err);

#endif
