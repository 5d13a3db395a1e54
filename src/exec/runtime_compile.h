/* runtime_compile: the compile hook every executor of a loaded project
 * uses (`mallard build/run/seed/test` and the scheduler's dbt tasks).
 *
 * A model is rendered again on its worker, right before it runs, with that
 * worker's connection at hand: is_incremental() and adapter.get_relation
 * must see the database as it is now, not as it was when the project was
 * compiled up front.  Tests keep the SQL compiled up front; pre- and
 * post-hooks of models and seeds are rendered in the node's context. */
#ifndef MALLARD_EXEC_RUNTIME_COMPILE_H
#define MALLARD_EXEC_RUNTIME_COMPILE_H

#include "exec/session.h"

/* An exec_compile_fn; ctx is the (const) project the session runs. */
bool exec_compile_at_run_time(void *ctx, const pnode *n, db_conn *c, arena *a, const char **sql,
                              mat_hooks *hooks, mlerr *err);

/* An exec_run_hooks_fn; ctx is the project.  on-run-start hooks see the
 * project context; on-run-end hooks also `results`, `schemas` and
 * `database_schemas`, as dbt hands them. */
bool exec_render_run_hooks(void *ctx, bool at_end, const exec_result *results, int n, db_conn *c,
                           arena *a, sql_list *out, mlerr *err);

/* For sessions that share their project with other sessions running at the
 * same time (the scheduler's tasks): the command's flags come with each
 * render instead of from the env, and tests are rendered on the worker too,
 * since no session may write compiled_code into the shared nodes. */
typedef struct exec_compile_ctx {
    const project *p;
    jv flags;       /* dbt_flags_new's dict for this session's command */
    bool tests_too; /* render tests at run time as well */
} exec_compile_ctx;

/* An exec_compile_fn; ctx is an exec_compile_ctx that outlives the session. */
bool exec_compile_in_context(void *ctx, const pnode *n, db_conn *c, arena *a, const char **sql,
                             mat_hooks *hooks, mlerr *err);
/* An exec_run_hooks_fn; ctx is an exec_compile_ctx: the hooks render with
 * its flags, so tasks sharing one project each see their own command. */
bool exec_render_run_hooks_in_context(void *ctx, bool at_end, const exec_result *results, int n,
                                      db_conn *c, arena *a, sql_list *out, mlerr *err);

#endif
