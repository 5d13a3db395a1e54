/* select: dbt's node selection -- `-s/--select`, `--exclude`, `--selector`
 * and selectors.yml -- over a loaded project's graph.
 *
 * It is split the way dbt splits it (dbt/graph/):
 *   select_parse.c    -- one spec string ("2+tag:nightly+") and the CLI's
 *                        space-separated unions of comma-separated
 *                        intersections, into a sel_spec tree;
 *   selectors_yml.c   -- selectors.yml definitions into named sel_spec trees;
 *   select_methods.c  -- what each method (fqn, tag:, path:, config.k:, ...)
 *                        matches, node by node;
 *   select_eval.c     -- the set algebra, graph operators (+, n+, @) and the
 *                        indirect selection of tests.
 *
 * A selection is a nodeset: one bit per index of project->nodes.  The final
 * result is in index order, which is unique_id order -- the order dbt ls
 * prints in. */
#ifndef MALLARD_PROJECT_SELECT_H
#define MALLARD_PROJECT_SELECT_H

#include "project/graph.h"
#include "util/arena.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- node sets ------------------------------------------------------------ */
typedef struct nodeset {
    uint64_t *bits;
    uint32_t n; /* number of nodes the set ranges over */
} nodeset;

nodeset nodeset_new(arena *a, uint32_t n);
static inline bool nodeset_has(const nodeset *s, uint32_t i)
{
    return (s->bits[i >> 6] >> (i & 63)) & 1;
}
static inline void nodeset_add(nodeset *s, uint32_t i)
{
    s->bits[i >> 6] |= (uint64_t)1 << (i & 63);
}
uint32_t nodeset_count(const nodeset *s);

/* --- selection specs ------------------------------------------------------ */
typedef enum sel_method {
    SEL_FQN,
    SEL_TAG,
    SEL_GROUP,
    SEL_ACCESS,
    SEL_SOURCE,
    SEL_PATH,
    SEL_FILE,
    SEL_PACKAGE,
    SEL_CONFIG,
    SEL_TEST_NAME,
    SEL_TEST_TYPE,
    SEL_RESOURCE_TYPE,
    SEL_STATE,
    SEL_EXPOSURE,
    SEL_METRIC,
    SEL_RESULT,
    SEL_SOURCE_STATUS,
    SEL_VERSION,
    SEL_SEMANTIC_MODEL,
    SEL_SAVED_QUERY,
    SEL_UNIT_TEST,
    SEL_SELECTOR,
    SEL_METHOD_COUNT,
} sel_method;

/* dbt's name for a method ("fqn", "test_name", ...). */
const char *sel_method_name(sel_method m);

typedef enum sel_indirect {
    SEL_INDIRECT_EAGER, /* dbt's default: a test goes with any selected parent */
    SEL_INDIRECT_CAUTIOUS,
    SEL_INDIRECT_BUILDABLE,
    SEL_INDIRECT_EMPTY,
} sel_indirect;

/* "eager", "cautious", "buildable", "empty"; false if unknown. */
bool sel_indirect_parse(const char *name, sel_indirect *out);

typedef enum sel_kind {
    SEL_CRITERIA,
    SEL_UNION,
    SEL_INTERSECTION,
    SEL_DIFFERENCE, /* items[0] minus the union of the rest */
} sel_kind;

typedef struct sel_spec sel_spec;
struct sel_spec {
    sel_kind kind;
    const char *raw; /* as written, for messages */
    sel_indirect indirect;
    bool expect_exists; /* warn when it selects nothing (the CLI's own words) */

    /* SEL_CRITERIA */
    sel_method method;
    const char **method_args; /* config.materialized -> {"materialized"} */
    size_t n_method_args;
    const char *value;
    bool childrens_parents; /* @x */
    bool parents;           /* +x */
    bool children;          /* x+ */
    int parents_depth;      /* n+x: n; -1 for no limit */
    int children_depth;

    /* groups */
    sel_spec **items;
    size_t n_items;
};

/* One spec such as "+tag:nightly", "config.materialized:table", "@x",
 * "2+stg_orders+1".  A bare word is a path when it holds a '/', a file when
 * it ends in .sql/.py/.csv, else an fqn, as dbt decides. */
bool sel_parse_one(arena *a, const char *raw, sel_indirect indirect, sel_spec **out, mlerr *err);

/* The CLI's --select/--exclude words: each word is split on spaces into a
 * union, each part on commas into an intersection.  NULL/0 select means
 * dbt's default (every node and source).  The result is "select minus
 * exclude". */
bool sel_parse_cli(arena *a, const char *const *select, size_t n_select, const char *const *exclude,
                   size_t n_exclude, sel_indirect indirect, sel_spec **out, mlerr *err);

/* --- selectors.yml -------------------------------------------------------- */
typedef struct sel_named {
    const char *name;
    const char *description;
    bool is_default;
    sel_spec *spec;
} sel_named;

typedef struct sel_file {
    const char *path; /* absolute path of selectors.yml */
    sel_named *items;
    size_t n;
} sel_file;

/* Reads <project_dir>/selectors.yml; *out is NULL when there is none.
 * Errors name the file, line and column. */
bool sel_file_load(arena *a, const char *project_dir, sel_indirect indirect, sel_file **out,
                   mlerr *err);
/* Parses selectors.yml text (path for messages only). */
bool sel_file_parse(arena *a, const char *path, const char *text, size_t len, sel_indirect indirect,
                    sel_file **out, mlerr *err);
/* The selector with `default: true`, or NULL. */
const sel_named *sel_file_default(const sel_file *f);
const sel_named *sel_file_find(const sel_file *f, const char *name);

/* --- evaluation ----------------------------------------------------------- */
typedef struct sel_context {
    const project *project;
    const sel_file *selectors; /* for the selector: method; may be NULL */
    arena *arena;              /* scratch and result memory */
    /* Called with dbt's warnings ("The selection criterion '...' does not
     * match any enabled nodes"); NULL logs them with log_warn. */
    void (*warn)(void *userdata, const char *message);
    void *userdata;
    int depth; /* selector: nesting, to catch cycles */
} sel_context;

/* Selects the nodes spec names, with dbt's graph operators and indirect
 * test selection, into *out (allocated in ctx->arena). */
bool sel_evaluate(sel_context *ctx, const sel_spec *spec, nodeset *out, mlerr *err);

/* What a command asks for: its flags, as dbt's get_selection_spec combines
 * them.  --selector wins over -s/--exclude; with none of the three, the
 * selectors.yml default (if any) is used. */
typedef struct sel_request {
    const char *const *select;
    size_t n_select;
    const char *const *exclude;
    size_t n_exclude;
    const char *selector; /* --selector NAME, or NULL */
    sel_indirect indirect;
} sel_request;

bool sel_resolve(sel_context *ctx, const sel_request *req, nodeset *out, mlerr *err);

/* --- one node against one method (select_methods.c) ---------------------- */
/* Adds every node that the criteria's method and value match (graph
 * operators aside).  Bad values (resource_type:nonsense) fail here, when
 * the selector is used, as they do in dbt. */
bool sel_method_search(sel_context *ctx, const sel_spec *criteria, nodeset *out, mlerr *err);

/* Python's fnmatch.fnmatch on POSIX (case-sensitive, no escapes). */
bool sel_fnmatch(const char *pattern, const char *text);

#endif
