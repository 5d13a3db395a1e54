/* graph: lookups over a loaded project, and building the node graph from
 * the loader's nodes (ordering, edges, the disabled split, cycles). */
#include "project/graph_index.h"
#include "project/loader.h"
#include "util/edit_distance.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[NODE_TYPE_COUNT] = {
    "model", "seed", "test", "source", "analysis", "snapshot", "exposure", "macro",
};

const char *node_type_name(node_type t)
{
    return (unsigned)t < NODE_TYPE_COUNT ? type_names[t] : "unknown";
}

bool node_type_parse(const char *name, node_type *out)
{
    if (strcmp(name, "data_test") == 0) {
        *out = NODE_TEST;
        return true;
    }
    for (int i = 0; i < NODE_TYPE_COUNT; i++) {
        if (strcmp(name, type_names[i]) == 0) {
            *out = (node_type)i;
            return true;
        }
    }
    return false;
}

static bool refable(node_type t)
{
    return t == NODE_MODEL || t == NODE_SEED || t == NODE_SNAPSHOT;
}

int32_t project_find_id(const project *p, const char *unique_id)
{
    return p->index ? strmap_get(&p->index->by_id, unique_id) : -1;
}

int32_t project_find_ref(const project *p, const char *package, const char *name,
                         const char *version)
{
    (void)version;
    if (!p->index || (package && strcmp(package, p->name) != 0))
        return -1;
    return strmap_get(&p->index->by_ref_name, name);
}

int32_t project_find_source(const project *p, const char *source_name, const char *table_name)
{
    if (!p->index)
        return -1;
    char key[1024];
    snprintf(key, sizeof key, "%s\x1f%s", source_name, table_name);
    return strmap_get(&p->index->by_source, key);
}

const pmacro *project_find_macro(const project *p, const char *unique_id)
{
    if (!p->index)
        return NULL;
    int32_t i = strmap_get(&p->index->macros_by_id, unique_id);
    return i < 0 ? NULL : &p->macros[i];
}

const char *pnode_selector(arena *a, const pnode *n)
{
    strbuf sb = STRBUF_INIT;
    if (n->type == NODE_SOURCE)
        strbuf_adds(&sb, "source:");
    else if (n->type == NODE_EXPOSURE)
        strbuf_adds(&sb, "exposure:");
    for (uint32_t i = 0; i < n->fqn.n; i++) {
        if (i)
            strbuf_addc(&sb, '.');
        strbuf_adds(&sb, n->fqn.items[i]);
    }
    char *out = arena_strndup(a, strbuf_str(&sb), sb.len);
    strbuf_release(&sb);
    return out;
}

void project_index_free(struct project_index *ix)
{
    if (!ix)
        return;
    strmap_free(&ix->by_id);
    strmap_free(&ix->by_ref_name);
    strmap_free(&ix->by_source);
    strmap_free(&ix->disabled_names);
    strmap_free(&ix->macros_by_id);
    strmap_free(&ix->macros_by_name);
    free(ix);
}

const char *project_nearest_name(const project *p, const char *name, bool sources)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        const pnode *n = &p->nodes[i];
        if (sources ? n->type != NODE_SOURCE : !refable(n->type))
            continue;
        size_t d = edit_distance(name, n->name);
        if (d < best_d) {
            best_d = d;
            best = n->name;
        }
    }
    return best;
}

static int cmp_lnode(const void *a, const void *b)
{
    const lnode *x = *(lnode *const *)a, *y = *(lnode *const *)b;
    return strcmp(x->n.unique_id, y->n.unique_id);
}

static int cmp_macro(const void *a, const void *b)
{
    return strcmp(((const pmacro *)a)->unique_id, ((const pmacro *)b)->unique_id);
}

/* Fills p->nodes (enabled) and p->disabled from the loader's nodes, sorted
 * by unique_id, and builds the lookup maps over them. */
bool graph_partition(loader *L)
{
    project *p = L->p;
    /* a test whose node is disabled is disabled too, as dbt skips it */
    for (size_t i = 0; i < L->nodes.n; i++) {
        lnode *ln = L->nodes.items[i];
        if (ln->target && !ln->target->n.enabled)
            ln->n.enabled = false;
    }
    qsort(L->nodes.items, L->nodes.n, sizeof(lnode *), cmp_lnode);
    size_t n_en = 0;
    for (size_t i = 0; i < L->nodes.n; i++)
        n_en += L->nodes.items[i]->n.enabled;
    p->nodes = ARENA_NEW_ARRAY(L->a, pnode, n_en ? n_en : 1);
    p->disabled = ARENA_NEW_ARRAY(L->a, pnode, L->nodes.n - n_en + 1);
    struct project_index *ix = xcalloc(1, sizeof(*ix));
    p->index = ix;
    for (size_t i = 0; i < L->nodes.n; i++) {
        lnode *ln = L->nodes.items[i];
        pnode *dst = ln->n.enabled ? &p->nodes[p->n_nodes] : &p->disabled[p->n_disabled];
        ln->n.index = ln->n.enabled ? p->n_nodes++ : p->n_disabled++;
        *dst = ln->n;
        ln->final = dst;
        if (!ln->n.enabled)
            continue;
        int32_t old;
        if (strmap_put(&ix->by_id, dst->unique_id, (int32_t)dst->index, &old)) {
            const pnode *o = &p->nodes[old];
            mlerr_at(L->err, EXIT_SETUP, dst->original_file_path, dst->line, 0,
                     "dbt found two %ss with the name \"%s\": %s and %s", node_type_name(dst->type),
                     dst->name, o->original_file_path, dst->original_file_path);
            mlerr_hint(L->err, "rename or disable one of them");
            return false;
        }
        if (refable(dst->type)) {
            if (strmap_put(&ix->by_ref_name, dst->name, (int32_t)dst->index, &old)) {
                const pnode *o = &p->nodes[old];
                mlerr_at(L->err, EXIT_SETUP, dst->original_file_path, 1, 1,
                         "dbt found two resources with the name \"%s\": %s and %s", dst->name,
                         o->original_file_path, dst->original_file_path);
                mlerr_hint(L->err, "names of models, seeds and snapshots must be unique: "
                                   "rename or disable one of them");
                return false;
            }
        }
        if (dst->type == NODE_SOURCE)
            strmap_put(&ix->by_source, arena_printf(L->a, "%s\x1f%s", dst->source_name, dst->name),
                       (int32_t)dst->index, NULL);
    }
    for (size_t i = 0; i < L->nodes.n; i++) {
        lnode *ln = L->nodes.items[i];
        if (!ln->n.enabled && refable(ln->n.type))
            strmap_put(&ix->disabled_names, ln->n.name, (int32_t)ln->n.index, NULL);
    }
    for (uint32_t i = 0; i < p->n_macros; i++) {
        strmap_put(&ix->macros_by_id, p->macros[i].unique_id, (int32_t)i, NULL);
        strmap_put(&ix->macros_by_name, p->macros[i].name, (int32_t)i, NULL);
    }
    return true;
}

/* Macros and docs are final before anything renders: sorted by unique_id
 * and moved into the project. */
void graph_take_macros(loader *L)
{
    project *p = L->p;
    qsort(L->macros, L->n_macros, sizeof(pmacro), cmp_macro);
    p->macros = ARENA_NEW_ARRAY(L->a, pmacro, L->n_macros + 1);
    memcpy(p->macros, L->macros, L->n_macros * sizeof(pmacro));
    p->n_macros = (uint32_t)L->n_macros;
    p->docs = ARENA_NEW_ARRAY(L->a, pdoc, L->n_docs + 1);
    if (L->n_docs)
        memcpy(p->docs, L->docs, L->n_docs * sizeof(pdoc));
    p->n_docs = (uint32_t)L->n_docs;
}

/* Resolves refs and sources to edges.  Refs were checked while rendering,
 * but tests' implicit refs and disabled targets are checked here. */
static bool resolve_edges(loader *L)
{
    project *p = L->p;
    arena *a = L->a;
    uint32_t *child_count = xcalloc(p->n_nodes + 1, sizeof(uint32_t));
    uint32_t *tmp = xmalloc((size_t)(p->n_nodes + 1) * sizeof(uint32_t));
    bool ok = true;
    for (uint32_t i = 0; ok && i < p->n_nodes; i++) {
        pnode *n = &p->nodes[i];
        uint32_t k = 0;
        for (uint32_t r = 0; ok && r < n->n_refs; r++) {
            const node_ref *ref = &n->refs[r];
            int32_t t = project_find_ref(p, ref->package, ref->name, ref->version);
            if (t < 0) {
                bool disabled = strmap_get(&p->index->disabled_names, ref->name) >= 0;
                if (disabled)
                    mlerr_at(L->err, EXIT_SETUP, n->original_file_path, ref->line ? ref->line : 1,
                             ref->col, "%s '%s' depends on a node named '%s' which is disabled",
                             node_type_name(n->type), n->unique_id, ref->name);
                else {
                    const char *near = project_nearest_name(p, ref->name, false);
                    mlerr_at(L->err, EXIT_SETUP, n->original_file_path, ref->line ? ref->line : 1,
                             ref->col, "%s '%s' depends on a node named '%s' which was not found",
                             node_type_name(n->type), n->unique_id, ref->name);
                    if (near)
                        mlerr_hint(L->err, "did you mean '%s'?", near);
                }
                ok = false;
                break;
            }
            tmp[k++] = (uint32_t)t;
        }
        for (uint32_t s = 0; ok && s < n->n_source_refs; s++) {
            const node_source_ref *sr = &n->source_refs[s];
            int32_t t = project_find_source(p, sr->source_name, sr->table_name);
            if (t < 0) {
                mlerr_at(L->err, EXIT_SETUP, n->original_file_path, 1, 0,
                         "%s '%s' depends on a source named '%s.%s' which was not found",
                         node_type_name(n->type), n->unique_id, sr->source_name, sr->table_name);
                ok = false;
                break;
            }
            tmp[k++] = (uint32_t)t;
        }
        /* dedupe, keeping call order */
        uint32_t *parents = ARENA_NEW_ARRAY(a, uint32_t, k ? k : 1);
        const char **ids = ARENA_NEW_ARRAY(a, const char *, k ? k : 1);
        uint32_t m = 0;
        for (uint32_t x = 0; x < k; x++) {
            bool seen = false;
            for (uint32_t y = 0; y < m && !seen; y++)
                seen = parents[y] == tmp[x];
            if (seen)
                continue;
            parents[m] = tmp[x];
            ids[m++] = p->nodes[tmp[x]].unique_id;
            child_count[tmp[x]]++;
        }
        n->parents = (node_ids){parents, m};
        n->depends_on_nodes = (str_list){ids, m};
    }
    if (ok) {
        uint32_t **kids = xcalloc(p->n_nodes + 1, sizeof(uint32_t *));
        for (uint32_t i = 0; i < p->n_nodes; i++) {
            kids[i] = ARENA_NEW_ARRAY(a, uint32_t, child_count[i] ? child_count[i] : 1);
            p->nodes[i].children.items = kids[i];
            p->nodes[i].children.n = 0;
        }
        /* children in unique_id order, since parents are walked in order */
        for (uint32_t i = 0; i < p->n_nodes; i++) {
            const pnode *n = &p->nodes[i];
            for (uint32_t j = 0; j < n->parents.n; j++) {
                pnode *par = &p->nodes[n->parents.items[j]];
                kids[par->index][par->children.n++] = i;
            }
        }
        free(kids);
    }
    free(child_count);
    free(tmp);
    return ok;
}

/* Finds a cycle with an iterative DFS and reports it as dbt does. */
static bool check_cycles(loader *L)
{
    project *p = L->p;
    uint8_t *state = xcalloc(p->n_nodes + 1, 1); /* 0 new, 1 on stack, 2 done */
    uint32_t *stack = xmalloc((size_t)(p->n_nodes + 1) * sizeof(uint32_t));
    uint32_t *edge = xmalloc((size_t)(p->n_nodes + 1) * sizeof(uint32_t));
    bool ok = true;
    for (uint32_t root = 0; ok && root < p->n_nodes; root++) {
        if (state[root])
            continue;
        size_t sp = 0;
        stack[sp] = root;
        edge[sp++] = 0;
        state[root] = 1;
        while (sp && ok) {
            uint32_t v = stack[sp - 1];
            const pnode *n = &p->nodes[v];
            if (edge[sp - 1] < n->children.n) {
                uint32_t w = n->children.items[edge[sp - 1]++];
                if (state[w] == 1) {
                    strbuf sb = STRBUF_INIT;
                    size_t from = sp;
                    while (from > 0 && stack[from - 1] != w)
                        from--;
                    for (size_t k = from - 1; k < sp; k++)
                        strbuf_addf(&sb, "%s --> ", p->nodes[stack[k]].unique_id);
                    strbuf_adds(&sb, p->nodes[w].unique_id);
                    const pnode *first = &p->nodes[w];
                    mlerr_at(L->err, EXIT_SETUP, first->original_file_path, 1, 1,
                             "Found a cycle: %s", strbuf_str(&sb));
                    mlerr_hint(L->err, "remove one of these ref() calls to break the cycle");
                    strbuf_release(&sb);
                    ok = false;
                } else if (state[w] == 0) {
                    state[w] = 1;
                    stack[sp] = w;
                    edge[sp++] = 0;
                }
            } else {
                state[v] = 2;
                sp--;
            }
        }
    }
    free(state);
    free(stack);
    free(edge);
    return ok;
}

bool graph_build(loader *L)
{
    if (!resolve_edges(L) || !check_cycles(L))
        return false;
    project *p = L->p;
    for (uint32_t i = 0; i < p->n_nodes; i++) {
        pnode *n = &p->nodes[i];
        if (n->type == NODE_TEST && n->test.kind == TEST_GENERIC)
            n->test.attached_node = -1;
    }
    for (size_t j = 0; j < L->nodes.n; j++) {
        lnode *ln = L->nodes.items[j];
        if (ln->n.enabled && ln->target && ln->target->n.type != NODE_SOURCE &&
            ln->target->n.enabled)
            ln->final->test.attached_node = (int32_t)ln->target->final->index;
    }
    return true;
}
