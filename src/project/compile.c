/* compile: execute=true rendering, ephemeral CTEs and compiled files. */
#include "project/compile.h"

#include "project/dbt_context.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <string.h>

typedef struct compiled {
    bool done, busy;
    const char *sql;      /* rendered, before CTE injection */
    uint32_t *ephemerals; /* direct ephemeral refs */
    size_t n_ephemerals;
} compiled;

typedef struct compiler {
    project *p;
    compiled *c;
    mlerr *err;
} compiler;

static bool compiles(const pnode *n)
{
    return n->type == NODE_MODEL || n->type == NODE_TEST || n->type == NODE_ANALYSIS;
}

static bool render_one(compiler *C, uint32_t idx)
{
    project *p = C->p;
    compiled *c = &C->c[idx];
    if (c->done)
        return true;
    pnode *n = &p->nodes[idx];
    arena *a = &p->arena;
    arena scratch = ARENA_INIT;
    render_state rs = {.de = p->env, .node = n, .mode = RENDER_COMPILE, .a = a, .err = C->err};
    rs.scratch = &scratch;
    rs.config_calls = jv_undefined(NULL);
    rs.test_kwargs = jv_undefined(NULL);
    bool ok = true;
    if (n->type == NODE_TEST && n->test.kind == TEST_GENERIC)
        ok = dbt_test_kwargs(p->env, &rs, n, &rs.test_kwargs, C->err);
    strbuf out = STRBUF_INIT;
    if (ok)
        ok = dbt_render(p->env, &rs, n->original_file_path, n->raw_code, strlen(n->raw_code), 1,
                        &out, C->err);
    if (ok) {
        c->sql = arena_strndup(a, strbuf_str(&out), out.len);
        c->ephemerals = ARENA_NEW_ARRAY(a, uint32_t, rs.n_ephemerals ? rs.n_ephemerals : 1);
        if (rs.n_ephemerals)
            memcpy(c->ephemerals, rs.ephemerals, rs.n_ephemerals * sizeof(uint32_t));
        c->n_ephemerals = rs.n_ephemerals;
        c->done = true;
    }
    strbuf_release(&out);
    render_state_release(&rs);
    arena_free(&scratch);
    return ok;
}

/* dbt's _recursively_prepend_ctes: an ephemeral's own ephemerals come
 * before it, each CTE once. */
static bool gather_ctes(compiler *C, uint32_t idx, uint32_t **order, size_t *n, size_t *cap)
{
    compiled *c = &C->c[idx];
    for (size_t i = 0; i < c->n_ephemerals; i++) {
        uint32_t e = c->ephemerals[i];
        bool seen = false;
        for (size_t k = 0; k < *n && !seen; k++)
            seen = (*order)[k] == e;
        if (seen)
            continue;
        if (C->c[e].busy) {
            mlerr_set(C->err, EXIT_SETUP, "ephemeral models refer to each other in a cycle at %s",
                      C->p->nodes[e].unique_id);
            return false;
        }
        if (!render_one(C, e))
            return false;
        C->c[e].busy = true;
        bool ok = gather_ctes(C, e, order, n, cap);
        C->c[e].busy = false;
        if (!ok)
            return false;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 4;
            *order = xrealloc(*order, *cap * sizeof(uint32_t));
        }
        (*order)[(*n)++] = e;
    }
    return true;
}

const char *project_node_write_path(arena *a, const project *p, const pnode *n, const char *subdir)
{
    const char *b1 = strrchr(n->path, '/'), *b2 = strrchr(n->original_file_path, '/');
    b1 = b1 ? b1 + 1 : n->path;
    b2 = b2 ? b2 + 1 : n->original_file_path;
    const char *path = strcmp(b1, b2) == 0
                           ? n->original_file_path
                           : arena_printf(a, "%s/%s", n->original_file_path, n->path);
    return arena_printf(a, "%s/%s/%s/%s", p->target_path, subdir, n->package_name, path);
}

static bool finish_node(compiler *C, uint32_t idx, bool write_files)
{
    project *p = C->p;
    pnode *n = &p->nodes[idx];
    if (!render_one(C, idx))
        return false;
    uint32_t *order = NULL;
    size_t k = 0, cap = 0;
    C->c[idx].busy = true;
    bool ok = gather_ctes(C, idx, &order, &k, &cap);
    C->c[idx].busy = false;
    if (ok) {
        const char **ctes = xmalloc((k ? k : 1) * sizeof(char *));
        for (size_t i = 0; i < k; i++)
            ctes[i] = arena_printf(&p->arena, " __dbt__cte__%s as (\n%s\n)",
                                   p->nodes[order[i]].alias, C->c[order[i]].sql);
        strbuf sb = STRBUF_INIT;
        compile_inject_ctes(C->c[idx].sql, ctes, k, &sb);
        n->compiled_code = arena_strndup(&p->arena, strbuf_str(&sb), sb.len);
        n->compiled_path = project_node_write_path(&p->arena, p, n, "compiled");
        free(ctes);
        if (write_files) {
            arena a = ARENA_INIT;
            const char *abs = fs_join(&a, p->dir, n->compiled_path);
            ok = fs_write_if_changed(abs, sb.buf ? sb.buf : "", sb.len, C->err);
            arena_free(&a);
        }
        strbuf_release(&sb);
    }
    free(order);
    return ok;
}

/* graph.nodes and graph.sources, built only when some template reads them. */
static void build_graph(project *p)
{
    dbt_env *de = p->env;
    bool used = false;
    for (uint32_t i = 0; i < p->n_macros && !used; i++)
        used = strstr(p->macros[i].macro_sql, "graph") != NULL;
    for (uint32_t i = 0; i < p->n_nodes && !used; i++)
        used = p->nodes[i].raw_code && strstr(p->nodes[i].raw_code, "graph") != NULL;
    if (!used)
        return;
    arena *a = &p->arena;
    jv g = jv_dict(a), nodes = jv_dict(a), sources = jv_dict(a);
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        const pnode *n = &p->nodes[i];
        jv_dict_set_str(n->type == NODE_SOURCE ? sources : nodes, n->unique_id,
                        dbt_node_dict(a, p, n));
    }
    jv_dict_set_str(g, "nodes", nodes);
    jv_dict_set_str(g, "sources", sources);
    jv_dict_set_str(g, "exposures", jv_dict(a));
    jv_dict_set_str(g, "groups", jv_dict(a));
    jv_dict_set_str(g, "metrics", jv_dict(a));
    jv_freeze(g);
    de->graph = g;
}

bool project_compile(project *p, const nodeset *selected, bool write_files, mlerr *err)
{
    if (!p->env) {
        mlerr_set(err, EXIT_SETUP, "the project was not loaded for compiling");
        return false;
    }
    build_graph(p);
    compiler C = {p, xcalloc(p->n_nodes + 1, sizeof(compiled)), err};
    bool ok = true;
    for (uint32_t i = 0; ok && i < p->n_nodes; i++) {
        const pnode *n = &p->nodes[i];
        if (!compiles(n) || (selected && !nodeset_has(selected, i)))
            continue;
        ok = finish_node(&C, i, write_files);
    }
    free(C.c);
    return ok;
}
