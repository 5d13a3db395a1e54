/* compile_node: one node's execute=true render at run time (see
 * compile_node.h), with its ephemeral CTEs, in the caller's arena. */
#include "project/compile_node.h"

#include "project/compile.h"
#include "util/xalloc.h"

#include <string.h>

typedef struct rendered {
    uint32_t node;
    const char *sql;
    const uint32_t *ephemerals;
    size_t n_ephemerals;
} rendered;

typedef struct node_compiler {
    const project *p;
    const compile_probe *probe;
    arena *a;
    mlerr *err;
    rendered *done; /* ephemerals rendered so far (a node is rendered once) */
    size_t n_done, cap_done;
    uint32_t *busy; /* the chain being gathered, to catch cycles */
    size_t n_busy, cap_busy;
} node_compiler;

/* extra: a dict of further names for this render (on-run-end's results),
 * or undefined. */
static bool render_text(const project *p, const pnode *node, const char *name, const char *text,
                        jv extra, const compile_probe *probe, arena *a, const char **out,
                        rendered *meta, mlerr *err)
{
    pnode *n = (pnode *)node; /* render_state wants it mutable; compile only reads */
    uint32_t idx = node->index;
    arena scratch = ARENA_INIT;
    render_state rs = {.de = p->env, .node = n, .mode = RENDER_COMPILE, .a = a, .err = err};
    rs.scratch = &scratch;
    rs.config_calls = jv_undefined(NULL);
    rs.test_kwargs = jv_undefined(NULL);
    rs.extra = extra;
    if (probe) {
        rs.probe_relation = probe->fn;
        rs.probe_ctx = probe->ctx;
        rs.flags = probe->flags;
    }
    bool ok = true;
    if (n->type == NODE_TEST && n->test.kind == TEST_GENERIC)
        ok = dbt_test_kwargs(p->env, &rs, n, &rs.test_kwargs, err);
    strbuf sb = STRBUF_INIT;
    if (ok)
        ok = dbt_render(p->env, &rs, name, text, strlen(text), 1, &sb, err);
    if (ok) {
        *out = arena_strndup(a, strbuf_str(&sb), sb.len);
        if (meta) {
            uint32_t *e = ARENA_NEW_ARRAY(a, uint32_t, rs.n_ephemerals ? rs.n_ephemerals : 1);
            if (rs.n_ephemerals)
                memcpy(e, rs.ephemerals, rs.n_ephemerals * sizeof(uint32_t));
            meta->node = idx;
            meta->sql = *out;
            meta->ephemerals = e;
            meta->n_ephemerals = rs.n_ephemerals;
        }
    }
    strbuf_release(&sb);
    render_state_release(&rs);
    arena_free(&scratch);
    return ok;
}

static const rendered *find_done(const node_compiler *C, uint32_t idx)
{
    for (size_t i = 0; i < C->n_done; i++)
        if (C->done[i].node == idx)
            return &C->done[i];
    return NULL;
}

/* dbt's _recursively_prepend_ctes: an ephemeral's own ephemerals come
 * before it, each CTE once. */
static bool gather(node_compiler *C, const rendered *r, const char ***ctes, size_t *n, size_t *cap,
                   uint32_t **seen, size_t *n_seen)
{
    for (size_t i = 0; i < r->n_ephemerals; i++) {
        uint32_t e = r->ephemerals[i];
        bool already = false;
        for (size_t k = 0; k < *n_seen && !already; k++)
            already = (*seen)[k] == e;
        if (already)
            continue;
        for (size_t k = 0; k < C->n_busy; k++) {
            if (C->busy[k] == e) {
                mlerr_set(C->err, EXIT_SETUP,
                          "ephemeral models refer to each other in a cycle at %s",
                          C->p->nodes[e].unique_id);
                return false;
            }
        }
        const rendered *er = find_done(C, e);
        if (!er) {
            rendered meta;
            const char *sql;
            const pnode *en = &C->p->nodes[e];
            if (!render_text(C->p, en, en->original_file_path, en->raw_code, jv_undefined(NULL),
                             C->probe, C->a, &sql, &meta, C->err))
                return false;
            if (C->n_done == C->cap_done) {
                C->cap_done = C->cap_done ? C->cap_done * 2 : 4;
                C->done = xrealloc(C->done, C->cap_done * sizeof(rendered));
            }
            C->done[C->n_done++] = meta;
            er = &C->done[C->n_done - 1];
        }
        rendered copy = *er; /* C->done may move while gathering */
        if (C->n_busy == C->cap_busy) {
            C->cap_busy = C->cap_busy ? C->cap_busy * 2 : 4;
            C->busy = xrealloc(C->busy, C->cap_busy * sizeof(uint32_t));
        }
        C->busy[C->n_busy++] = e;
        bool ok = gather(C, &copy, ctes, n, cap, seen, n_seen);
        C->n_busy--;
        if (!ok)
            return false;
        *seen = xrealloc(*seen, (*n_seen + 1) * sizeof(uint32_t));
        (*seen)[(*n_seen)++] = e;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 4;
            *ctes = xrealloc(*ctes, *cap * sizeof(char *));
        }
        (*ctes)[(*n)++] =
            arena_printf(C->a, " __dbt__cte__%s as (\n%s\n)", C->p->nodes[e].alias, copy.sql);
    }
    return true;
}

/* Renders n (a project node, or the inline one) with its ephemeral CTEs. */
static bool compile_with_ctes(const project *p, const pnode *n, uint32_t idx,
                              const compile_probe *probe, arena *a, const char **sql, mlerr *err)
{
    rendered top;
    const char *body;
    if (!render_text(p, n, n->original_file_path, n->raw_code, jv_undefined(NULL), probe, a, &body,
                     &top, err))
        return false;
    node_compiler C = {.p = p, .probe = probe, .a = a, .err = err};
    const char **ctes = NULL;
    uint32_t *seen = NULL;
    size_t k = 0, cap = 0, n_seen = 0;
    C.busy = xmalloc(sizeof(uint32_t));
    C.cap_busy = 1;
    C.busy[C.n_busy++] = idx;
    bool ok = gather(&C, &top, &ctes, &k, &cap, &seen, &n_seen);
    if (ok) {
        strbuf sb = STRBUF_INIT;
        compile_inject_ctes(body, ctes, k, &sb);
        *sql = arena_strndup(a, strbuf_str(&sb), sb.len);
        strbuf_release(&sb);
    }
    free(ctes);
    free(seen);
    free(C.done);
    free(C.busy);
    return ok;
}

bool project_compile_node(const project *p, uint32_t idx, const compile_probe *probe, arena *a,
                          const char **sql, mlerr *err)
{
    const pnode *n = &p->nodes[idx];
    if (!p->env || !n->raw_code) {
        mlerr_set(err, EXIT_SETUP, "%s cannot be compiled at run time", n->unique_id);
        return false;
    }
    return compile_with_ctes(p, n, idx, probe, a, sql, err);
}

bool project_compile_inline(const project *p, const char *sql, const compile_probe *probe, arena *a,
                            const char **out, mlerr *err)
{
    /* dbt's inline_query node: the context of one of the root project's
     * models (its config, database and schema), with its own name and SQL. */
    const pnode *model = NULL;
    for (uint32_t i = 0; i < p->n_nodes && !model; i++) {
        const pnode *n = &p->nodes[i];
        if (n->type == NODE_MODEL && n->package_name && p->name &&
            strcmp(n->package_name, p->name) == 0)
            model = n;
    }
    if (!p->env || !model) {
        mlerr_set(err, EXIT_SETUP,
                  "not supported yet: --inline in a project without models of its own");
        return false;
    }
    pnode *n = ARENA_NEW(a, pnode);
    *n = *model;
    n->type = NODE_ANALYSIS;
    n->index = UINT32_MAX;
    n->name = "inline_query";
    n->unique_id = arena_printf(a, "sql_operation.%s.inline_query", p->name);
    n->path = "inline_query.sql";
    n->original_file_path = "inline_query";
    n->alias = "inline_query";
    n->relation_name = NULL;
    n->raw_code = sql;
    n->refs = NULL;
    n->n_refs = 0;
    n->source_refs = NULL;
    n->n_source_refs = 0;
    return compile_with_ctes(p, n, UINT32_MAX, probe, a, out, err);
}

bool project_render_operation(const project *p, const char *name, const char *tmpl, jv extra,
                              const compile_probe *probe, arena *a, const char **out, mlerr *err)
{
    if (!p->env) {
        mlerr_set(err, EXIT_SETUP, "%s cannot be rendered: the project has no dbt context", name);
        return false;
    }
    /* dbt renders a hook as an operation node of the root project; the
     * node type nearest to it here is an analysis (never materialized) */
    pnode *n = ARENA_NEW(a, pnode);
    memset(n, 0, sizeof(*n));
    n->type = NODE_ANALYSIS;
    n->index = UINT32_MAX;
    n->name = name;
    n->unique_id = arena_printf(a, "operation.%s.%s", p->name, name);
    n->package_name = p->name;
    n->path = arena_printf(a, "hooks/%s.sql", name);
    n->original_file_path = "./dbt_project.yml";
    n->database = p->target_database;
    n->schema = p->target_schema;
    n->alias = name;
    n->raw_code = tmpl;
    n->config = jv_dict(a);
    n->meta = jv_dict(a);
    n->columns = jv_dict(a);
    return render_text(p, n, "dbt_project.yml", tmpl, extra, probe, a, out, NULL, err);
}

bool project_render_in_node(const project *p, uint32_t idx, const char *what, const char *tmpl,
                            const compile_probe *probe, arena *a, const char **out, mlerr *err)
{
    return render_text(p, &p->nodes[idx], what, tmpl, jv_undefined(NULL), probe, a, out, NULL, err);
}
