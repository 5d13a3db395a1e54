/* dbt_tasks: a DAG's Cosmos-style task graph over its dbt project (see
 * dbt_tasks.h for the rendering rules). */
#include "sched/dbt_tasks.h"

#include "exec/workplan.h"
#include "project/select.h"

#include <string.h>

const char *dbt_task_kind_name(dbt_task_kind k)
{
    switch (k) {
    case DBT_TASK_RUN:
        return "run";
    case DBT_TASK_SEED:
        return "seed";
    case DBT_TASK_SNAPSHOT:
        return "snapshot";
    case DBT_TASK_TEST:
        return "test";
    case DBT_TASK_BUILD:
        return "build";
    }
    return "?";
}

long dbt_tasks_find(const dbt_task_graph *g, const char *task_id)
{
    for (size_t i = 0; i < g->n; i++) {
        if (strcmp(g->tasks[i].task_id, task_id) == 0)
            return (long)i;
    }
    return -1;
}

static bool is_task_node(const pnode *n)
{
    return n->type != NODE_TEST && work_mode_runs(WORK_BUILD, n);
}

static const char *node_label(arena *a, const pnode *n)
{
    return n->version ? arena_printf(a, "%s_v%s", n->name, n->version) : n->name;
}

/* Collects into out the nearest task-node ancestors of node `from`, walking
 * through nodes that are not tasks (dbt's subset-graph edges). */
static void nearest_task_parents(const project *p, const int32_t *node_task, uint32_t from,
                                 unsigned char *seen, uint32_t *stack, uint32_t *out, size_t *nout)
{
    size_t sp = 0;
    const pnode *start = &p->nodes[from];
    for (uint32_t k = 0; k < start->parents.n; k++)
        stack[sp++] = start->parents.items[k];
    while (sp > 0) {
        uint32_t v = stack[--sp];
        if (seen[v])
            continue;
        seen[v] = 1;
        if (node_task[v] >= 0) {
            out[(*nout)++] = v;
            continue;
        }
        const pnode *n = &p->nodes[v];
        for (uint32_t k = 0; k < n->parents.n; k++) {
            if (!seen[n->parents.items[k]])
                stack[sp++] = n->parents.items[k];
        }
    }
}

typedef struct task_builder {
    arena *a;
    dbt_task *tasks;
    size_t n;
} task_builder;

static size_t add_task(task_builder *b, const char *id, dbt_task_kind kind)
{
    dbt_task *t = &b->tasks[b->n];
    memset(t, 0, sizeof *t);
    t->task_id = id;
    t->kind = kind;
    return b->n++;
}

bool dbt_tasks_build(arena *a, const project *p, const dag_dbt *dbt, dbt_task_graph *out,
                     mlerr *err)
{
    memset(out, 0, sizeof *out);
    sel_spec *spec = NULL;
    if (!sel_parse_cli(a, dbt->select, dbt->nselect, dbt->exclude, dbt->nexclude,
                       SEL_INDIRECT_EAGER, &spec, err))
        return false;
    sel_context ctx = {.project = p, .arena = a};
    nodeset sel;
    if (!sel_evaluate(&ctx, spec, &sel, err))
        return false;

    uint32_t nn = p->n_nodes;
    /* node -> its main task (run/seed/snapshot/build) and its test task */
    int32_t *node_task = arena_alloc(a, (nn ? nn : 1) * sizeof *node_task);
    int32_t *node_tests = arena_alloc(a, (nn ? nn : 1) * sizeof *node_tests);
    /* tests per task node, for after_each and build */
    uint32_t *ntests = arena_zalloc(a, (nn ? nn : 1) * sizeof *ntests);
    size_t n_all_tests = 0;
    for (uint32_t i = 0; i < nn; i++) {
        node_task[i] = -1;
        node_tests[i] = -1;
    }
    for (uint32_t i = 0; i < nn; i++) {
        if (nodeset_has(&sel, i) && is_task_node(&p->nodes[i]))
            node_task[i] = 0; /* marked; numbered below */
    }
    for (uint32_t i = 0; i < nn; i++) {
        const pnode *n = &p->nodes[i];
        if (!nodeset_has(&sel, i) || n->type != NODE_TEST)
            continue;
        n_all_tests++;
        for (uint32_t k = 0; k < n->parents.n; k++) {
            if (node_task[n->parents.items[k]] >= 0)
                ntests[n->parents.items[k]]++;
        }
    }

    size_t cap = 2 * (size_t)nn + 2;
    task_builder b = {.a = a, .tasks = arena_alloc(a, cap * sizeof(dbt_task))};
    test_behavior tb = dbt->test_behavior;
    for (uint32_t i = 0; i < nn; i++) {
        if (node_task[i] < 0)
            continue;
        const pnode *n = &p->nodes[i];
        const char *label = node_label(a, n);
        dbt_task_kind kind = n->type == NODE_SEED       ? DBT_TASK_SEED
                             : n->type == NODE_SNAPSHOT ? DBT_TASK_SNAPSHOT
                                                        : DBT_TASK_RUN;
        if (tb == TEST_BEHAVIOR_BUILD)
            kind = DBT_TASK_BUILD;
        const char *id = arena_printf(a, "%s_%s", label, dbt_task_kind_name(kind));
        size_t t = add_task(&b, id, kind);
        node_task[i] = (int32_t)t;
        size_t nnodes = 1 + (tb == TEST_BEHAVIOR_BUILD ? ntests[i] : 0);
        b.tasks[t].nodes = arena_alloc(a, nnodes * sizeof(char *));
        b.tasks[t].nodes[b.tasks[t].nnodes++] = arena_strdup(a, n->unique_id);
        if (tb == TEST_BEHAVIOR_AFTER_EACH && ntests[i] > 0) {
            size_t tt = add_task(&b, arena_printf(a, "%s_test", label), DBT_TASK_TEST);
            node_tests[i] = (int32_t)tt;
            b.tasks[tt].nodes = arena_alloc(a, ntests[i] * sizeof(char *));
            b.tasks[tt].upstream = arena_alloc(a, sizeof(size_t));
            b.tasks[tt].upstream[b.tasks[tt].nupstream++] = t;
        }
    }
    /* Test nodes into their tasks. */
    size_t all_tests_task = (size_t)-1;
    if (tb == TEST_BEHAVIOR_AFTER_ALL && n_all_tests > 0) {
        all_tests_task = add_task(&b, "test", DBT_TASK_TEST);
        b.tasks[all_tests_task].nodes = arena_alloc(a, n_all_tests * sizeof(char *));
    }
    for (uint32_t i = 0; i < nn; i++) {
        const pnode *n = &p->nodes[i];
        if (!nodeset_has(&sel, i) || n->type != NODE_TEST)
            continue;
        if (all_tests_task != (size_t)-1) {
            dbt_task *t = &b.tasks[all_tests_task];
            t->nodes[t->nnodes++] = arena_strdup(a, n->unique_id);
            continue;
        }
        for (uint32_t k = 0; k < n->parents.n; k++) {
            uint32_t par = n->parents.items[k];
            int32_t target = tb == TEST_BEHAVIOR_AFTER_EACH ? node_tests[par]
                             : tb == TEST_BEHAVIOR_BUILD    ? node_task[par]
                                                            : -1;
            if (target < 0)
                continue;
            dbt_task *t = &b.tasks[target];
            bool dup = false;
            for (size_t j = 0; j < t->nnodes; j++)
                dup = dup || strcmp(t->nodes[j], n->unique_id) == 0;
            if (!dup)
                t->nodes[t->nnodes++] = arena_strdup(a, n->unique_id);
        }
    }

    /* Edges between main tasks; a dependant waits for the parent's tests. */
    unsigned char *seen = arena_alloc(a, nn ? nn : 1);
    /* a node is pushed once per edge into it at most */
    size_t nedges = 0;
    for (uint32_t j = 0; j < nn; j++)
        nedges += p->nodes[j].parents.n;
    uint32_t *stack = arena_alloc(a, (nedges + 1) * sizeof(uint32_t));
    uint32_t *found = arena_alloc(a, (nn ? nn : 1) * sizeof(uint32_t));
    bool *has_downstream = arena_zalloc(a, (b.n ? b.n : 1) * sizeof(bool));
    for (uint32_t i = 0; i < nn; i++) {
        if (node_task[i] < 0)
            continue;
        memset(seen, 0, nn);
        size_t nfound = 0;
        nearest_task_parents(p, node_task, i, seen, stack, found, &nfound);
        dbt_task *t = &b.tasks[node_task[i]];
        t->upstream = arena_alloc(a, (nfound ? nfound : 1) * sizeof(size_t));
        for (size_t k = 0; k < nfound; k++) {
            uint32_t par = found[k];
            size_t up = node_tests[par] >= 0 ? (size_t)node_tests[par] : (size_t)node_task[par];
            t->upstream[t->nupstream++] = up;
            has_downstream[up] = true;
        }
    }
    for (size_t i = 0; i < b.n; i++) {
        for (size_t k = 0; k < b.tasks[i].nupstream; k++)
            has_downstream[b.tasks[i].upstream[k]] = true;
    }
    if (all_tests_task != (size_t)-1) {
        dbt_task *t = &b.tasks[all_tests_task];
        t->upstream = arena_alloc(a, (b.n ? b.n : 1) * sizeof(size_t));
        for (size_t i = 0; i < b.n; i++) {
            if (i != all_tests_task && !has_downstream[i])
                t->upstream[t->nupstream++] = i;
        }
    }
    out->tasks = b.tasks;
    out->n = b.n;
    return true;
}
