/* Unit tests for dbt_tasks.c: Cosmos' task rendering of a dbt project for
 * each test_behavior, edges through ephemeral models, and selection. */
#include "check.h"

#include "project/graph.h"
#include "sched/dbt_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void write_file(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *fp = fopen(path, "w");
    if (!fp)
        abort();
    fputs(text, fp);
    fclose(fp);
}

/* s1 (seed) -> a -> eph (ephemeral) -> b; a, b -> c; tests on a and c, and
 * one relationships test between c and a. */
static void make_project(void)
{
    snprintf(root, sizeof root, "/tmp/mallard-tasks-XXXXXX");
    if (!mkdtemp(root))
        abort();
    char dir[128];
    snprintf(dir, sizeof dir, "%s/models", root);
    mkdir(dir, 0777);
    snprintf(dir, sizeof dir, "%s/seeds", root);
    mkdir(dir, 0777);
    write_file("dbt_project.yml", "name: p\nprofile: p\n");
    write_file("seeds/s1.csv", "id\n1\n");
    write_file("models/a.sql", "select * from {{ ref('s1') }}");
    write_file("models/eph.sql",
               "{{ config(materialized='ephemeral') }} select * from {{ ref('a') }}");
    write_file("models/b.sql", "select * from {{ ref('eph') }}");
    write_file("models/c.sql", "select * from {{ ref('a') }} join {{ ref('b') }} using (id)");
    write_file("models/schema.yml",
               "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n"
               "        tests: [not_null]\n  - name: c\n    columns:\n      - name: id\n"
               "        tests: [unique]\n");
}

static const dbt_target target = {.type = "duckdb",
                                  .path = ":memory:",
                                  .abs_path = ":memory:",
                                  .database = "memory",
                                  .schema = "main",
                                  .threads = 1};

static bool build(project *p, arena *a, test_behavior tb, const char **select, size_t nselect,
                  dbt_task_graph *g)
{
    dag_dbt dbt = {
        .project_dir_abs = root, .test_behavior = tb, .select = select, .nselect = nselect};
    mlerr err = MLERR_INIT;
    bool ok = dbt_tasks_build(a, p, &dbt, g, &err);
    if (!ok)
        fprintf(stderr, "dbt_tasks_build: %s\n", mlerr_message(&err));
    mlerr_clear(&err);
    return ok;
}

/* The sorted, comma-joined upstream task ids of a task ("" if none, "?" if
 * no such task). */
static const char *ups(arena *a, const dbt_task_graph *g, const char *task_id)
{
    long i = dbt_tasks_find(g, task_id);
    if (i < 0)
        return "?";
    const dbt_task *t = &g->tasks[i];
    const char **ids = arena_alloc(a, (t->nupstream + 1) * sizeof(char *));
    for (size_t k = 0; k < t->nupstream; k++)
        ids[k] = g->tasks[t->upstream[k]].task_id;
    for (size_t x = 1; x < t->nupstream; x++)
        for (size_t y = x; y > 0 && strcmp(ids[y - 1], ids[y]) > 0; y--) {
            const char *tmp = ids[y];
            ids[y] = ids[y - 1];
            ids[y - 1] = tmp;
        }
    char *out = arena_strdup(a, "");
    for (size_t k = 0; k < t->nupstream; k++)
        out = arena_printf(a, "%s%s%s", out, k ? "," : "", ids[k]);
    return out;
}

static size_t node_count(const dbt_task_graph *g, const char *task_id)
{
    long i = dbt_tasks_find(g, task_id);
    return i < 0 ? (size_t)-1 : g->tasks[i].nnodes;
}

TEST(behaviours)
{
    make_project();
    project_load_opts lo = {.project_dir = root, .target = &target};
    project *p = NULL;
    mlerr err = MLERR_INIT;
    CHECK(project_load(&lo, &p, &err));
    if (!p) {
        fprintf(stderr, "project_load: %s\n", mlerr_message(&err));
        mlerr_clear(&err);
        return;
    }
    arena a = ARENA_INIT;
    dbt_task_graph g;

    CHECK(build(p, &a, TEST_BEHAVIOR_NONE, NULL, 0, &g));
    CHECK(g.n == 4);
    CHECK_STR(ups(&a, &g, "s1_seed"), "");
    CHECK_STR(ups(&a, &g, "a_run"), "s1_seed");
    CHECK_STR(ups(&a, &g, "b_run"), "a_run"); /* through the ephemeral model */
    CHECK_STR(ups(&a, &g, "c_run"), "a_run,b_run");
    CHECK(dbt_tasks_find(&g, "eph_run") < 0);

    CHECK(build(p, &a, TEST_BEHAVIOR_AFTER_EACH, NULL, 0, &g));
    CHECK(g.n == 6);
    CHECK_STR(ups(&a, &g, "a_test"), "a_run");
    CHECK_STR(ups(&a, &g, "b_run"), "a_test");
    CHECK_STR(ups(&a, &g, "c_run"), "a_test,b_run");
    CHECK_STR(ups(&a, &g, "c_test"), "c_run");
    CHECK(node_count(&g, "a_test") == 1 && node_count(&g, "c_test") == 1);
    CHECK(g.tasks[dbt_tasks_find(&g, "a_test")].kind == DBT_TASK_TEST);

    CHECK(build(p, &a, TEST_BEHAVIOR_AFTER_ALL, NULL, 0, &g));
    CHECK(g.n == 5);
    CHECK_STR(ups(&a, &g, "test"), "c_run");
    CHECK(node_count(&g, "test") == 2);

    CHECK(build(p, &a, TEST_BEHAVIOR_BUILD, NULL, 0, &g));
    CHECK(g.n == 4);
    CHECK_STR(ups(&a, &g, "c_build"), "a_build,b_build");
    CHECK(node_count(&g, "a_build") == 2 && node_count(&g, "b_build") == 1);
    CHECK(g.tasks[dbt_tasks_find(&g, "s1_build")].kind == DBT_TASK_BUILD);

    /* select a and what follows: the seed is not a task, so a has no upstream */
    const char *sel[] = {"a+"};
    CHECK(build(p, &a, TEST_BEHAVIOR_NONE, sel, 1, &g));
    CHECK(g.n == 3);
    CHECK_STR(ups(&a, &g, "a_run"), "");
    CHECK(dbt_tasks_find(&g, "s1_seed") < 0);

    /* a bad selector is an error, not an empty DAG */
    const char *bad[] = {"resource_type:nonsense"};
    dag_dbt dbt = {.project_dir_abs = root, .select = bad, .nselect = 1};
    CHECK(!dbt_tasks_build(&a, p, &dbt, &g, &err));
    mlerr_clear(&err);

    arena_free(&a);
    project_free(p);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

int main(void)
{
    RUN(behaviours);
    return CHECK_DONE();
}
