/* runtime_compile: the per-node compile hook (see runtime_compile.h). */
#include "exec/runtime_compile.h"

#include "exec/relation.h"
#include "exec/run_results.h"
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

/* dbt's is_relational: the node types that become relations. */
static bool is_relational(const pnode *n)
{
    return n->type == NODE_MODEL || n->type == NODE_SEED || n->type == NODE_SNAPSHOT;
}

static bool listed(jv list, jv item)
{
    for (size_t i = 0; i < jv_list_len(list); i++)
        if (jv_equal(jv_list_get(list, i), item))
            return true;
    return false;
}

/* What dbt's after_run hands on-run-end: `results` (RunResult objects,
 * here dicts of the run_results.json fields plus `node`), and the schemas
 * (and (database, schema) pairs) that nodes which did not fail built in. */
static jv run_end_context(const project *p, const exec_result *results, int n, arena *a)
{
    jv extra = jv_dict(a);
    jv list = jv_list(a), schemas = jv_list(a), pairs = jv_list(a);
    for (int i = 0; i < n; i++) {
        const exec_result *r = &results[i];
        jv entry = run_results_entry(a, r);
        jv_dict_set_str(entry, "node", dbt_node_dict(a, p, r->node));
        jv_list_append(list, entry);
        if (!is_relational(r->node) || r->status == EXEC_ERROR || r->status == EXEC_FAIL ||
            r->status == EXEC_SKIPPED || !r->node->schema)
            continue;
        jv schema = jv_string(a, r->node->schema);
        jv pair_items[2] = {r->node->database ? jv_string(a, r->node->database) : jv_none(),
                            schema};
        jv pair = jv_tuple(a, pair_items, 2);
        if (!listed(schemas, schema))
            jv_list_append(schemas, schema);
        if (!listed(pairs, pair))
            jv_list_append(pairs, pair);
    }
    jv_dict_set_str(extra, "results", list);
    jv_dict_set_str(extra, "schemas", schemas);
    jv_dict_set_str(extra, "database_schemas", pairs);
    return extra;
}

static bool render_run_hooks(const project *p, jv flags, bool at_end, const exec_result *results,
                             int n, db_conn *c, arena *a, sql_list *out, mlerr *err)
{
    const str_list *hooks = at_end ? &p->on_run_end : &p->on_run_start;
    if (hooks->n == 0)
        return true;
    compile_probe probe = {.fn = probe_on_conn, .ctx = c, .flags = flags};
    jv extra = at_end ? run_end_context(p, results, n, a) : jv_undefined(NULL);
    for (uint32_t i = 0; i < hooks->n; i++) {
        const char *name =
            arena_printf(a, "%s-%s-%u", p->name, at_end ? "on-run-end" : "on-run-start", i);
        const char *sql;
        if (!project_render_operation(p, name, hooks->items[i], extra, &probe, a, &sql, err))
            return false;
        if (sql[strspn(sql, " \t\r\n")])
            sql_list_add(a, out, sql);
    }
    return true;
}

bool exec_render_run_hooks(void *ctx, bool at_end, const exec_result *results, int n, db_conn *c,
                           arena *a, sql_list *out, mlerr *err)
{
    jv env_flags = {0}; /* zero: the env's global flags */
    return render_run_hooks(ctx, env_flags, at_end, results, n, c, a, out, err);
}

bool exec_render_run_hooks_in_context(void *ctx, bool at_end, const exec_result *results, int n,
                                      db_conn *c, arena *a, sql_list *out, mlerr *err)
{
    const exec_compile_ctx *x = ctx;
    return render_run_hooks(x->p, x->flags, at_end, results, n, c, a, out, err);
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
