/* Work plans over a hand-built project graph: which nodes each command
 * runs, edges kept through ephemeral/unselected nodes, and build's test
 * edges (a test before the nearest nodes downstream of all it tests). */
#include "check.h"
#include "exec/workplan.h"

#include <stdio.h>

static arena A;

enum {
    SEED,
    A_TABLE,
    E_EPH,
    B_VIEW,
    SRC,
    T_A,
    T_REL,
    C_TABLE,
    N
};

static project *make_project(void)
{
    project *p = ARENA_NEW(&A, project);
    p->nodes = ARENA_NEW_ARRAY(&A, pnode, N);
    p->n_nodes = N;
    struct {
        node_type t;
        const char *name, *mat;
    } spec[N] = {
        [SEED] = {NODE_SEED, "s", "seed"},        [A_TABLE] = {NODE_MODEL, "a", "table"},
        [E_EPH] = {NODE_MODEL, "e", "ephemeral"}, [B_VIEW] = {NODE_MODEL, "b", "view"},
        [SRC] = {NODE_SOURCE, "src", NULL},       [T_A] = {NODE_TEST, "t_a", "test"},
        [T_REL] = {NODE_TEST, "t_rel", "test"},   [C_TABLE] = {NODE_MODEL, "c", "table"},
    };
    for (int i = 0; i < N; i++) {
        p->nodes[i].type = spec[i].t;
        p->nodes[i].name = spec[i].name;
        p->nodes[i].materialized = spec[i].mat;
        p->nodes[i].index = (uint32_t)i;
    }
    static const int edges[][2] = {{SEED, A_TABLE}, {SRC, A_TABLE},   {A_TABLE, E_EPH},
                                   {E_EPH, B_VIEW}, {A_TABLE, T_A},   {A_TABLE, T_REL},
                                   {B_VIEW, T_REL}, {B_VIEW, C_TABLE}};
    uint32_t *par[N], *chi[N];
    for (int i = 0; i < N; i++) {
        par[i] = ARENA_NEW_ARRAY(&A, uint32_t, N);
        chi[i] = ARENA_NEW_ARRAY(&A, uint32_t, N);
        p->nodes[i].parents.items = par[i];
        p->nodes[i].children.items = chi[i];
    }
    for (size_t e = 0; e < sizeof(edges) / sizeof(edges[0]); e++) {
        int from = edges[e][0], to = edges[e][1];
        par[to][p->nodes[to].parents.n++] = (uint32_t)from;
        chi[from][p->nodes[from].children.n++] = (uint32_t)to;
    }
    return p;
}

/* "name<-parent,parent name<-..." for a plan, parents sorted by name. */
static const char *describe(const project *p, const work_plan *w)
{
    static char buf[1024];
    size_t len = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < w->n; i++) {
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "",
                                p->nodes[w->node_of[i]].name);
        const char *names[N];
        uint32_t k = 0;
        for (uint32_t e = w->graph.parent_start[i]; e < w->graph.parent_start[i + 1]; e++)
            names[k++] = p->nodes[w->node_of[w->graph.parents[e]]].name;
        for (uint32_t x = 1; x < k; x++)
            for (uint32_t y = x; y > 0 && strcmp(names[y - 1], names[y]) > 0; y--) {
                const char *t = names[y];
                names[y] = names[y - 1];
                names[y - 1] = t;
            }
        for (uint32_t x = 0; x < k; x++)
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", x ? "," : "<-", names[x]);
    }
    return buf;
}

TEST(run_keeps_paths_through_ephemeral)
{
    project *p = make_project();
    work_plan w;
    work_plan_build(p, NULL, WORK_RUN, &A, &w);
    CHECK_STR(describe(p, &w), "a b<-a c<-b");
    CHECK(w.item_of[E_EPH] == -1 && w.item_of[SEED] == -1);
}

TEST(selection_subsets_with_transitive_edges)
{
    project *p = make_project();
    nodeset sel = nodeset_new(&A, N);
    nodeset_add(&sel, A_TABLE);
    nodeset_add(&sel, C_TABLE);
    work_plan w;
    work_plan_build(p, &sel, WORK_RUN, &A, &w);
    /* b is not selected: c still waits for a. */
    CHECK_STR(describe(p, &w), "a c<-a");
}

TEST(build_adds_test_edges)
{
    project *p = make_project();
    work_plan w;
    work_plan_build(p, NULL, WORK_BUILD, &A, &w);
    CHECK_STR(describe(p, &w), "s a<-s b<-a,t_a t_a<-a t_rel<-a,b c<-b,t_rel");
    CHECK(w.n_test_edges == 2);
    /* The graph is a valid DAG for the runner. */
    runner *r = NULL;
    mlerr err = MLERR_INIT;
    CHECK(runner_new(&w.graph, &r, &err));
    runner_free(r);
}

TEST(test_and_seed_modes)
{
    project *p = make_project();
    work_plan w;
    work_plan_build(p, NULL, WORK_TEST, &A, &w);
    CHECK_STR(describe(p, &w), "t_a t_rel");
    work_plan_build(p, NULL, WORK_SEED, &A, &w);
    CHECK_STR(describe(p, &w), "s");
}

int main(void)
{
    RUN(run_keeps_paths_through_ephemeral);
    RUN(selection_subsets_with_transitive_edges);
    RUN(build_adds_test_edges);
    RUN(test_and_seed_modes);
    arena_free(&A);
    return CHECK_DONE();
}
