/* workplan: work items and their subset graph, with dbt's build-time test
 * edges (see workplan.h). */
#include "exec/workplan.h"

#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

bool work_mode_runs(work_mode mode, const pnode *n)
{
    bool model =
        n->type == NODE_MODEL && !(n->materialized && strcmp(n->materialized, "ephemeral") == 0);
    switch (mode) {
    case WORK_RUN:
        return model;
    case WORK_SEED:
        return n->type == NODE_SEED;
    case WORK_TEST:
        return n->type == NODE_TEST;
    case WORK_BUILD:
        return model || n->type == NODE_SEED || n->type == NODE_TEST || n->type == NODE_SNAPSHOT;
    }
    return false;
}

/* A growable list of uint32_t, heap-backed (freed by the builder). */
typedef struct u32vec {
    uint32_t *v;
    uint32_t n, cap;
} u32vec;

static void vec_push(u32vec *x, uint32_t value)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 4;
        x->v = xrealloc(x->v, sizeof(uint32_t) * x->cap);
    }
    x->v[x->n++] = value;
}

/* dbt's add_test_edges, reduced to the nearest targets: for test t with
 * parents D, the nodes strictly downstream of every d in D (tests and the
 * members of D excluded) are the candidates; t gets an edge to each
 * candidate none of whose parents is a candidate. */
static uint32_t add_test_edges(const project *p, u32vec *extra_parents)
{
    uint32_t n = p->n_nodes, added = 0;
    uint32_t *hits = xcalloc(n ? n : 1, sizeof(uint32_t));
    uint32_t *seen = xcalloc(n ? n : 1, sizeof(uint32_t)); /* stamp per BFS */
    uint32_t *queue = xmalloc(sizeof(uint32_t) * (n ? n : 1));
    u32vec touched = {0};
    uint32_t stamp = 0;
    for (uint32_t t = 0; t < n; t++) {
        const pnode *test = &p->nodes[t];
        if (test->type != NODE_TEST || test->parents.n == 0)
            continue;
        touched.n = 0;
        for (uint32_t k = 0; k < test->parents.n; k++) {
            /* One BFS down from each parent; hits counts the parents a node
             * is (strictly) below. */
            stamp++;
            uint32_t head = 0, tail = 0;
            uint32_t d = test->parents.items[k];
            if (seen[d] == stamp)
                continue; /* a parent listed twice */
            seen[d] = stamp;
            queue[tail++] = d;
            while (head < tail) {
                uint32_t x = queue[head++];
                const pnode *xn = &p->nodes[x];
                for (uint32_t c = 0; c < xn->children.n; c++) {
                    uint32_t y = xn->children.items[c];
                    if (seen[y] == stamp || p->nodes[y].type == NODE_TEST)
                        continue;
                    seen[y] = stamp;
                    queue[tail++] = y;
                    if (hits[y]++ == 0)
                        vec_push(&touched, y);
                }
            }
        }
        uint32_t need = 0;
        stamp++;
        for (uint32_t k = 0; k < test->parents.n; k++) {
            uint32_t d = test->parents.items[k];
            if (seen[d] != stamp) {
                seen[d] = stamp;
                need++;
            }
        }
        uint32_t parents_stamp = stamp;
#define CANDIDATE(y) (hits[y] == need && seen[y] != parents_stamp)
        for (uint32_t i = 0; i < touched.n; i++) {
            uint32_t y = touched.v[i];
            if (!CANDIDATE(y))
                continue;
            bool nearest = true;
            const pnode *yn = &p->nodes[y];
            for (uint32_t k = 0; k < yn->parents.n && nearest; k++) {
                uint32_t up = yn->parents.items[k];
                if (CANDIDATE(up))
                    nearest = false;
            }
            if (nearest) {
                vec_push(&extra_parents[y], t);
                added++;
            }
        }
#undef CANDIDATE
        for (uint32_t i = 0; i < touched.n; i++)
            hits[touched.v[i]] = 0;
    }
    free(touched.v);
    free(hits);
    free(seen);
    free(queue);
    return added;
}

void work_plan_build(const project *p, const nodeset *selected, work_mode mode, arena *a,
                     work_plan *out)
{
    memset(out, 0, sizeof(*out));
    uint32_t n = p->n_nodes;
    int32_t *item_of = ARENA_NEW_ARRAY(a, int32_t, n ? n : 1);
    uint32_t *node_of = ARENA_NEW_ARRAY(a, uint32_t, n ? n : 1);
    uint32_t items = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool chosen = (!selected || nodeset_has(selected, i)) && work_mode_runs(mode, &p->nodes[i]);
        item_of[i] = chosen ? (int32_t)items : -1;
        if (chosen)
            node_of[items++] = i;
    }

    u32vec *extra = xcalloc(n ? n : 1, sizeof(u32vec));
    if (mode == WORK_BUILD)
        out->n_test_edges = add_test_edges(p, extra);

    /* Nearest item ancestors of each item, walking up through non-items. */
    uint32_t *start = ARENA_NEW_ARRAY(a, uint32_t, items + 1);
    u32vec parents = {0}, stack = {0};
    uint32_t *seen = xcalloc(n ? n : 1, sizeof(uint32_t));
    for (uint32_t it = 0; it < items; it++) {
        start[it] = parents.n;
        uint32_t stamp = it + 1;
        uint32_t self = node_of[it];
        seen[self] = stamp;
        stack.n = 0;
        vec_push(&stack, self);
        while (stack.n) {
            uint32_t x = stack.v[--stack.n];
            const pnode *xn = &p->nodes[x];
            for (uint32_t pass = 0; pass < 2; pass++) {
                const uint32_t *ups = pass == 0 ? xn->parents.items : extra[x].v;
                uint32_t n_ups = pass == 0 ? xn->parents.n : extra[x].n;
                for (uint32_t k = 0; k < n_ups; k++) {
                    uint32_t up = ups[k];
                    if (seen[up] == stamp)
                        continue;
                    seen[up] = stamp;
                    if (item_of[up] >= 0)
                        vec_push(&parents, (uint32_t)item_of[up]);
                    else
                        vec_push(&stack, up);
                }
            }
        }
    }
    start[items] = parents.n;
    uint32_t *parent_arr = ARENA_NEW_ARRAY(a, uint32_t, parents.n ? parents.n : 1);
    if (parents.n)
        memcpy(parent_arr, parents.v, sizeof(uint32_t) * parents.n);
    free(parents.v);
    free(stack.v);
    free(seen);
    for (uint32_t i = 0; i < n; i++)
        free(extra[i].v);
    free(extra);

    out->n = items;
    out->node_of = node_of;
    out->item_of = item_of;
    out->graph = (runner_graph){.n = items, .parent_start = start, .parents = parent_arr};
}
