/* compile_node: rendering one node at run time, on a worker thread, with
 * the database at hand -- so is_incremental() and adapter.get_relation see
 * what the database holds when the node runs, not when the project was
 * loaded.  Everything is allocated in the caller's arena; the project and
 * its dbt_env are only read, so workers may call this concurrently. */
#ifndef MALLARD_PROJECT_COMPILE_NODE_H
#define MALLARD_PROJECT_COMPILE_NODE_H

#include "project/dbt_context.h"
#include "project/graph.h"

/* What a run-time render sees of the run around it. */
typedef struct compile_probe {
    dbt_relation_probe_fn fn; /* NULL: adapter.get_relation answers none */
    void *ctx;
    jv flags; /* a dbt_flags_new dict, or zero: the env's global flags */
} compile_probe;

/* Renders node idx with execute=true and inlines its ephemeral models as
 * __dbt__cte__ CTEs (rendered the same way), as project_compile does.
 * p must have been compiled once (project_compile builds the graph). */
bool project_compile_node(const project *p, uint32_t idx, const compile_probe *probe, arena *a,
                          const char **sql, mlerr *err);

/* Renders sql (dbt show --inline) as dbt's inline_query node would be, in
 * the context of one of the root project's models, with the ephemeral
 * models it refers to inlined as CTEs. */
bool project_compile_inline(const project *p, const char *sql, const compile_probe *probe, arena *a,
                            const char **out, mlerr *err);

/* Renders a snippet (a hook) in node idx's context with execute=true. */
bool project_render_in_node(const project *p, uint32_t idx, const char *what, const char *tmpl,
                            const compile_probe *probe, arena *a, const char **out, mlerr *err);

/* Renders an on-run-start / on-run-end hook (dbt's operation node `name`,
 * "<project>-on-run-end-0") with execute=true in the project's context,
 * plus the names in `extra` (a dict, or undefined for none). */
bool project_render_operation(const project *p, const char *name, const char *tmpl, jv extra,
                              const compile_probe *probe, arena *a, const char **out, mlerr *err);

#endif
