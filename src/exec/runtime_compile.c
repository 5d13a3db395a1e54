/* runtime_compile: the per-node compile hook (see runtime_compile.h). */
#include "exec/runtime_compile.h"

#include "exec/relation.h"
#include "project/compile_node.h"

#include <string.h>

/* adapter.get_relation on the worker's own connection. */
static bool probe_on_conn(void *ctx, const char *database, const char *schema,
                          const char *identifier, const char **type)
{
    db_conn *c = ctx;
    relation r = {database, schema, identifier};
    relation_kind kind = REL_NONE;
    db_error e = {0};
    bool ok = relation_probe(c, &r, &kind, &e);
    db_error_release(&e);
    if (!ok || kind == REL_NONE)
        return false;
    *type = kind == REL_VIEW ? "view" : "table";
    return true;
}

typedef struct hook_render_ctx {
    const project *p;
    const compile_probe *probe;
} hook_render_ctx;

/* One hook's text rendered in the node's context; blank output runs nothing. */
static bool render_hook(void *ctx, const pnode *n, const char *key, const char *text, arena *a,
                        const char **sql, mlerr *err)
{
    (void)key;
    const hook_render_ctx *h = ctx;
    const char *out;
    if (!project_render_in_node(h->p, (uint32_t)(n - h->p->nodes), n->original_file_path, text,
                                h->probe, a, &out, err))
        return false;
    *sql = out[strspn(out, " \t\r\n")] ? out : NULL;
    return true;
}

static bool compile_node_at_run_time(const exec_compile_ctx *x, const pnode *n, db_conn *c,
                                     arena *a, const char **sql, mat_hooks *hooks, mlerr *err)
{
    const project *p = x->p;
    uint32_t idx = (uint32_t)(n - p->nodes);
    compile_probe probe = {.fn = probe_on_conn, .ctx = c, .flags = x->flags};
    memset(hooks, 0, sizeof(*hooks));
    if (n->type == NODE_TEST && !x->tests_too) {
        *sql = n->compiled_code;
        return true;
    }
    if ((n->type == NODE_MODEL || n->type == NODE_TEST) &&
        !project_compile_node(p, idx, &probe, a, sql, err))
        return false;
    if (n->type == NODE_TEST)
        return true;
    hook_render_ctx h = {p, &probe};
    return mat_hooks_collect(n, "pre-hook", render_hook, &h, a, &hooks->pre, &hooks->pre_outside,
                             err) &&
           mat_hooks_collect(n, "post-hook", render_hook, &h, a, &hooks->post, &hooks->post_outside,
                             err);
}

bool exec_compile_at_run_time(void *ctx, const pnode *n, db_conn *c, arena *a, const char **sql,
                              mat_hooks *hooks, mlerr *err)
{
    exec_compile_ctx x = {.p = ctx};
    return compile_node_at_run_time(&x, n, c, a, sql, hooks, err);
}

bool exec_compile_in_context(void *ctx, const pnode *n, db_conn *c, arena *a, const char **sql,
                             mat_hooks *hooks, mlerr *err)
{
    return compile_node_at_run_time(ctx, n, c, a, sql, hooks, err);
}
