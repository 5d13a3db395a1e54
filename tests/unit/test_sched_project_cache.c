/* Unit tests for project_cache.c: one load per DAG run however many tasks
 * (and threads) ask, per-task flags in renders of the shared project,
 * reload when the project's files change, drop when the run ends. */
#include "check.h"

#include "project/compile_node.h"
#include "sched/project_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void make_project(void)
{
    snprintf(root, sizeof root, "/tmp/mallard-pcache-XXXXXX");
    if (!mkdtemp(root))
        abort();
    char dir[128];
    snprintf(dir, sizeof dir, "%s/models", root);
    mkdir(dir, 0777);
    write_file("dbt_project.yml", "name: p\nprofile: p\n");
    write_file("profiles.yml", "p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
                               "      path: ':memory:'\n");
    write_file("models/which.sql", "select '{{ flags.WHICH }}' as w, '{{ var(\"day\") }}' as d");
}

static project_key key_of(const char *run_id)
{
    return (project_key){
        .dag_id = "d", .run_id = run_id, .project_dir = root, .vars_yaml = "{day: '2025-01-01'}"};
}

/* The model rendered as a task of this kind would render it. */
static const char *render_as(arena *a, const cached_project *cp, dbt_task_kind kind,
                             bool with_flags)
{
    int32_t id = project_find_id(cp->p, "model.p.which");
    if (id < 0)
        return "?";
    compile_probe probe = {.flags = with_flags ? project_cache_flags(cp, kind, false) : (jv){0}};
    const char *sql = NULL;
    mlerr err = MLERR_INIT;
    if (!project_compile_node(cp->p, (uint32_t)id, &probe, a, &sql, &err)) {
        fprintf(stderr, "compile: %s\n", mlerr_message(&err));
        sql = "?";
    }
    mlerr_clear(&err);
    return sql;
}

TEST(one_load_per_run)
{
    project_cache *c = project_cache_new();
    mlerr err = MLERR_INIT;
    arena a = ARENA_INIT;
    project_key k = key_of("r1");
    cached_project x, y, z;
    CHECK(project_cache_acquire(c, &k, &x, &err));
    CHECK(project_cache_acquire(c, &k, &y, &err));
    CHECK(x.p == y.p);
    CHECK(project_cache_loads(c) == 1);
    CHECK_CONTAINS(render_as(&a, &x, DBT_TASK_TEST, true), "'test' as w, '2025-01-01' as d");
    CHECK_CONTAINS(render_as(&a, &y, DBT_TASK_SEED, true), "'seed' as w");
    /* no per-render flags: the env's own, which nobody set */
    CHECK_CONTAINS(render_as(&a, &y, DBT_TASK_RUN, false), "'compile' as w");

    /* other vars are another project */
    project_key k2 = k;
    k2.vars_yaml = "{day: '2025-01-02'}";
    CHECK(project_cache_acquire(c, &k2, &z, &err));
    CHECK(z.p != x.p);
    CHECK(project_cache_loads(c) == 2);
    CHECK_CONTAINS(render_as(&a, &z, DBT_TASK_RUN, true), "'run' as w, '2025-01-02' as d");
    project_cache_release(c, &z);

    /* forgetting the run while a task holds it: the holder keeps a live
     * project, the next acquire loads anew */
    project_cache_forget(c, "d", "r1");
    CHECK(x.p->n_nodes == 1);
    cached_project w;
    CHECK(project_cache_acquire(c, &k, &w, &err));
    CHECK(w.p != x.p);
    CHECK(project_cache_loads(c) == 3);
    project_cache_release(c, &w);
    project_cache_release(c, &x);
    project_cache_release(c, &y);
    project_cache_free(c);
    arena_free(&a);
    mlerr_clear(&err);
}

typedef struct racer {
    project_cache *c;
    const project *got;
    bool ok;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    project_key k = key_of("r2");
    cached_project cp;
    mlerr err = MLERR_INIT;
    r->ok = project_cache_acquire(r->c, &k, &cp, &err);
    if (r->ok) {
        r->got = cp.p;
        arena a = ARENA_INIT;
        r->ok = strstr(render_as(&a, &cp, DBT_TASK_BUILD, true), "'build' as w") != NULL;
        arena_free(&a);
        project_cache_release(r->c, &cp);
    }
    mlerr_clear(&err);
    return NULL;
}

TEST(concurrent_tasks_share_one_load)
{
    project_cache *c = project_cache_new();
    enum {
        N = 8
    };
    racer r[N];
    pthread_t t[N];
    /* one holder keeps the entry alive, as the running run's graph would */
    mlerr err = MLERR_INIT;
    project_key k = key_of("r2");
    cached_project keep;
    CHECK(project_cache_acquire(c, &k, &keep, &err));
    for (int i = 0; i < N; i++) {
        r[i] = (racer){.c = c};
        pthread_create(&t[i], NULL, race, &r[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        CHECK(r[i].ok);
        CHECK(r[i].got == keep.p);
    }
    CHECK(project_cache_loads(c) == 1);
    project_cache_release(c, &keep);
    project_cache_free(c);
    mlerr_clear(&err);
}

TEST(reload_when_files_change)
{
    project_cache *c = project_cache_new();
    mlerr err = MLERR_INIT;
    arena a = ARENA_INIT;
    project_key k = key_of("r3");
    cached_project x, y;
    CHECK(project_cache_acquire(c, &k, &x, &err));
    write_file("models/which.sql", "select 'edited' as w");
    write_file("models/more.sql", "select 1 as one");
    sleep(1); /* files are re-stamped at most once a second */
    usleep(200 * 1000);
    CHECK(project_cache_acquire(c, &k, &y, &err));
    CHECK(project_cache_loads(c) == 2);
    CHECK(y.p != x.p);
    CHECK(y.p->n_nodes == 2);
    CHECK_CONTAINS(render_as(&a, &y, DBT_TASK_RUN, true), "'edited' as w");
    /* the old holder still renders its own, unchanged project */
    CHECK_CONTAINS(render_as(&a, &x, DBT_TASK_RUN, true), "'run' as w");
    project_cache_release(c, &x);
    project_cache_release(c, &y);

    /* a broken project: the error names the file, and nothing is cached */
    write_file("dbt_project.yml", "name: [p\n");
    sleep(1);
    usleep(200 * 1000);
    CHECK(!project_cache_acquire(c, &k, &x, &err));
    CHECK_CONTAINS(mlerr_message(&err), "dbt_project.yml");
    mlerr_clear(&err);
    write_file("dbt_project.yml", "name: p\nprofile: p\n");
    CHECK(project_cache_acquire(c, &k, &x, &err));
    project_cache_release(c, &x);
    project_cache_free(c);
    arena_free(&a);
    mlerr_clear(&err);
}

int main(void)
{
    make_project();
    RUN(one_load_per_run);
    RUN(concurrent_tasks_share_one_load);
    RUN(reload_when_files_change);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return CHECK_DONE();
}
