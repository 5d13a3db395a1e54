/* A whole run on a hand-built project against a real DuckDB file: seeds,
 * views, tables, tests, a failing model whose descendants are skipped, a
 * failing error-severity test that skips what is below its model, a warn
 * test that does not, the results and run_results.json; and a cancel in
 * the middle of a slow table swap that leaves the old table intact. */
#include "check.h"
#include "exec/session.h"
#include "exec_db.h"

#include <jansson.h>
#include <pthread.h>

static arena A;

typedef struct builder {
    project *p;
    uint32_t n;
    uint32_t cap;
    uint32_t **par, **chi;
} builder;

static void b_init(builder *b, const char *dir, uint32_t cap)
{
    b->cap = cap;
    b->par = ARENA_NEW_ARRAY(&A, uint32_t *, cap);
    b->chi = ARENA_NEW_ARRAY(&A, uint32_t *, cap);
    b->p = ARENA_NEW(&A, project);
    b->p->nodes = ARENA_NEW_ARRAY(&A, pnode, cap);
    b->p->dir = dir;
    b->p->target_path = "target";
    b->p->invocation_id = "test-invocation";
    b->n = 0;
}

static pnode *b_node(builder *b, node_type t, const char *name, const char *mat, const char *sql)
{
    uint32_t i = b->n++;
    pnode *n = &b->p->nodes[i];
    memset(n, 0, sizeof(*n));
    n->type = t;
    n->index = i;
    n->name = name;
    n->alias = name;
    n->materialized = mat;
    n->language = "sql";
    n->database = NULL;
    n->schema = t == NODE_TEST ? "main_dbt_test__audit" : t == NODE_SEED ? "raw" : "main";
    n->unique_id = arena_printf(&A, "%s.shop.%s", node_type_name(t), name);
    n->original_file_path = arena_printf(&A, "models/%s.sql", name);
    n->relation_name = arena_printf(&A, "\"%s\".\"%s\"", n->schema, name);
    n->compiled_code = sql;
    n->config = jv_dict(&A);
    b->par[i] = ARENA_NEW_ARRAY(&A, uint32_t, b->cap);
    b->chi[i] = ARENA_NEW_ARRAY(&A, uint32_t, b->cap);
    n->parents.items = b->par[i];
    n->children.items = b->chi[i];
    b->p->n_nodes = b->n;
    return n;
}

static void b_edge(builder *b, const pnode *from, const pnode *to)
{
    pnode *f = &b->p->nodes[from->index], *t = &b->p->nodes[to->index];
    b->par[t->index][t->parents.n++] = f->index;
    b->chi[f->index][f->children.n++] = t->index;
}

static const exec_result *find(const exec_report *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->results[i].node->name, name) == 0)
            return &r->results[i];
    return NULL;
}

TEST(build_a_small_project)
{
    const char *dir = scratch_dir();
    char *csv = arena_printf(&A, "%s/raw_people.csv", dir);
    FILE *f = fopen(csv, "w");
    fputs("id,name,joined\n1,Ann,2024-01-02\n2,Bo,2024-02-03\n3,,2024-03-04\n", f);
    fclose(f);

    builder b;
    b_init(&b, dir, 16);
    pnode *seed = b_node(&b, NODE_SEED, "raw_people", "seed", NULL);
    seed->abs_path = csv;
    seed->original_file_path = "seeds/raw_people.csv";
    pnode *stg = b_node(&b, NODE_MODEL, "stg_people", "view", "select * from raw.raw_people");
    pnode *people =
        b_node(&b, NODE_MODEL, "people", "table", "select id, upper(name) as name from stg_people");
    jv_dict_set_str(people->config, "post-hook",
                    jv_string(&A, "create or replace table main.hook_ran as select 1 as ok"));
    pnode *broken = b_node(&b, NODE_MODEL, "broken", "table",
                           "select error('broken on purpose') as x from stg_people");
    pnode *below = b_node(&b, NODE_MODEL, "below_broken", "view", "select * from broken");
    pnode *warn_t =
        b_node(&b, NODE_TEST, "warn_names", "test", "select * from stg_people where name is null");
    jv_dict_set_str(warn_t->config, "severity", jv_string(&A, "warn"));
    pnode *fail_t = b_node(&b, NODE_TEST, "unique_people_name", "test",
                           "select name from people group by name having count(*) > 0");
    pnode *pass_t = b_node(&b, NODE_TEST, "not_null_people_id", "test",
                           "select * from people where id is null");
    pnode *after =
        b_node(&b, NODE_MODEL, "after_people", "table", "select count(*) as n from people");
    b_edge(&b, seed, stg);
    b_edge(&b, stg, people);
    b_edge(&b, stg, broken);
    b_edge(&b, broken, below);
    b_edge(&b, stg, warn_t);
    b_edge(&b, people, fail_t);
    b_edge(&b, people, pass_t);
    b_edge(&b, people, after);

    char *path = arena_printf(&A, "%s/session.duckdb", dir);
    db *d = open_db(path);
    work_plan w;
    work_plan_build(b.p, NULL, WORK_BUILD, &A, &w);
    exec_options o = {.which = "build",
                      .threads = 4,
                      .mat = mat_exec_defaults(),
                      .quiet = getenv("EXEC_VERBOSE") == NULL, /* EXEC_VERBOSE=1 prints the lines */
                      .write_run_results = true};
    exec_session *s = exec_session_new(b.p, &w, d, &o);
    exec_report rep;
    mlerr err = MLERR_INIT;
    CHECK(exec_session_run(s, &A, &rep, &err));
    exec_session_free(s);
    CHECK(rep.n == 9);
    CHECK(rep.exit_code == 1);
    CHECK(find(&rep, "raw_people")->status == EXEC_SUCCESS);
    CHECK_STR(find(&rep, "raw_people")->message, "INSERT 3");
    CHECK(find(&rep, "stg_people")->status == EXEC_SUCCESS);
    CHECK(find(&rep, "people")->status == EXEC_SUCCESS);
    CHECK(find(&rep, "broken")->status == EXEC_ERROR);
    CHECK_CONTAINS(find(&rep, "broken")->message, "broken on purpose");
    CHECK(find(&rep, "below_broken")->status == EXEC_SKIPPED);
    CHECK(find(&rep, "warn_names")->status == EXEC_WARN);
    CHECK(find(&rep, "warn_names")->failures == 1);
    CHECK(find(&rep, "unique_people_name")->status == EXEC_FAIL);
    CHECK(find(&rep, "unique_people_name")->failures == 3);
    CHECK(find(&rep, "not_null_people_id")->status == EXEC_PASS);
    /* The failing error-severity test on people skips what is below it. */
    CHECK(find(&rep, "after_people")->status == EXEC_SKIPPED);
    /* The warn test on stg_people skipped nothing: people ran. */
    CHECK(find(&rep, "people")->execute.started_at.tv_sec > 0);

    db_conn *c = connect_db(d);
    CHECK_STR(rows_of(c, "select string_agg(coalesce(name, '-'), ',' order by id) from people"),
              "ANN,BO,-");
    CHECK_STR(rows_of(c, "select ok from hook_ran"), "1");
    CHECK_STR(rows_of(c, "select count(*) from information_schema.tables where table_name in "
                         "('broken', 'below_broken', 'after_people')"),
              "0");
    db_disconnect(c);
    db_close(d);

    /* run_results.json lists every node. */
    json_error_t jerr;
    json_t *root = json_load_file(arena_printf(&A, "%s/target/run_results.json", dir), 0, &jerr);
    CHECK(root != NULL);
    if (root) {
        json_t *results = json_object_get(root, "results");
        CHECK(json_array_size(results) == 9);
        int skipped = 0;
        for (size_t i = 0; i < json_array_size(results); i++) {
            const char *st =
                json_string_value(json_object_get(json_array_get(results, i), "status"));
            skipped += st && strcmp(st, "skipped") == 0;
        }
        CHECK(skipped == 2);
        json_decref(root);
    }
    mlerr_clear(&err);
}

/* --- cancel ----------------------------------------------------------------------- */

typedef struct cancel_state {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool slow_started;
    exec_session *s;
} cancel_state;

static bool compile_and_signal(void *ctx, const pnode *n, db_conn *c, arena *a, const char **sql,
                               mat_hooks *hooks, mlerr *err)
{
    cancel_state *cs = ctx;
    *sql = n->compiled_code;
    if (strcmp(n->name, "slow") == 0) {
        pthread_mutex_lock(&cs->lock);
        cs->slow_started = true;
        pthread_cond_broadcast(&cs->cond);
        pthread_mutex_unlock(&cs->lock);
    }
    return true;
}

static void *cancel_later(void *arg)
{
    cancel_state *cs = arg;
    pthread_mutex_lock(&cs->lock);
    while (!cs->slow_started)
        pthread_cond_wait(&cs->cond, &cs->lock);
    pthread_mutex_unlock(&cs->lock);
    usleep(300 * 1000); /* well inside the slow CREATE TABLE AS */
    exec_session_cancel(cs->s);
    return NULL;
}

TEST(cancel_leaves_old_table)
{
    builder b;
    b_init(&b, scratch_dir(), 16);
    pnode *slow = b_node(&b, NODE_MODEL, "slow", "table",
                         "select a.range as id from range(100000) a, range(100000) b "
                         "where (a.range * b.range) % 7 = 0");
    pnode *child = b_node(&b, NODE_MODEL, "child", "view", "select * from slow");
    b_edge(&b, slow, child);
    char *path = arena_printf(&A, "%s/cancel.duckdb", scratch_dir());
    db *d = open_db(path);
    db_conn *c = connect_db(d);
    sql_ok(c, "create table slow as select range as id from range(42)");

    work_plan w;
    work_plan_build(b.p, NULL, WORK_RUN, &A, &w);
    cancel_state cs = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    exec_options o = {.which = "run",
                      .threads = 2,
                      .mat = mat_exec_defaults(),
                      .quiet = true,
                      .compile = compile_and_signal,
                      .compile_ctx = &cs};
    exec_session *s = exec_session_new(b.p, &w, d, &o);
    cs.s = s;
    pthread_t t;
    pthread_create(&t, NULL, cancel_later, &cs);
    exec_report rep;
    mlerr err = MLERR_INIT;
    CHECK(exec_session_run(s, &A, &rep, &err));
    pthread_join(t, NULL);
    exec_session_free(s);
    CHECK(rep.interrupted);
    CHECK(rep.exit_code == 2);
    CHECK(find(&rep, "slow")->status == EXEC_ERROR);
    CHECK_CONTAINS(find(&rep, "slow")->message, "nterrupt");
    CHECK(find(&rep, "child")->status == EXEC_SKIPPED);
    CHECK(rep.elapsed < 30);
    CHECK_STR(rows_of(c, "select count(*) from slow"), "42");
    CHECK_STR(rows_of(c, "select count(*) from information_schema.tables where table_name like "
                         "'slow__dbt%'"),
              "0");
    db_disconnect(c);
    db_close(d);
    mlerr_clear(&err);
}

/* --- 200 models, 8 threads, repeated --------------------------------------------- */

TEST(two_hundred_models_eight_threads)
{
    enum {
        N = 200,
        MOD = 1000003
    };
    builder b;
    b_init(&b, scratch_dir(), N);
    long long expect[N];
    int parents[N][3], n_par[N];
    srand(7);
    static const char *const kinds[] = {"view", "table", "incremental"};
    for (int i = 0; i < N; i++) {
        n_par[i] = i < 10 ? 0 : 1 + rand() % 3;
        for (int k = 0; k < n_par[i]; k++)
            parents[i][k] = i - 1 - rand() % (i < 30 ? i : 30);
        strbuf sql = STRBUF_INIT;
        strbuf_addf(&sql, "select 1 as id, (%d", i);
        long long v = i;
        for (int k = 0; k < n_par[i]; k++) {
            strbuf_addf(&sql, " + (select sum(v) from %s.m%03d)",
                        parents[i][k] % 5 == 0 ? "other" : "main", parents[i][k]);
            v += expect[parents[i][k]];
        }
        strbuf_addf(&sql, ") %% %d as v", MOD);
        expect[i] = v % MOD;
        const char *kind = kinds[i % 3];
        pnode *n = b_node(&b, NODE_MODEL, arena_printf(&A, "m%03d", i), kind,
                          arena_strdup(&A, strbuf_str(&sql)));
        strbuf_release(&sql);
        if (i % 3 == 2)
            jv_dict_set_str(n->config, "unique_key", jv_string(&A, "id"));
        if (i % 5 == 0)
            n->schema = "other";
        n->relation_name = arena_printf(&A, "\"%s\".\"%s\"", n->schema, n->name);
    }
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < n_par[i]; k++) {
            const pnode *to = &b.p->nodes[i], *from = &b.p->nodes[parents[i][k]];
            bool dup = false;
            for (uint32_t x = 0; x < to->parents.n; x++)
                dup |= to->parents.items[x] == from->index;
            if (!dup)
                b_edge(&b, from, to);
        }
    }
    char *path = arena_printf(&A, "%s/wide.duckdb", scratch_dir());
    db *d = open_db(path);
    db_conn *c = connect_db(d);
    work_plan w;
    work_plan_build(b.p, NULL, WORK_RUN, &A, &w);
    int failures = 0;
    for (int round = 0; round < 4; round++) {
        exec_options o = {.which = "run", .threads = 8, .mat = mat_exec_defaults(), .quiet = true};
        exec_session *s = exec_session_new(b.p, &w, d, &o);
        exec_report rep;
        mlerr err = MLERR_INIT;
        CHECK(exec_session_run(s, &A, &rep, &err));
        exec_session_free(s);
        for (int i = 0; i < rep.n; i++) {
            if (rep.results[i].status != EXEC_SUCCESS) {
                if (!failures++)
                    fprintf(stderr, "%s: %s\n", rep.results[i].node->name,
                            rep.results[i].message ? rep.results[i].message : "?");
            }
        }
        CHECK(rep.exit_code == 0);
        mlerr_clear(&err);
    }
    CHECK(failures == 0);
    int wrong = 0;
    for (int i = 0; i < N; i++) {
        char q[128], want[64];
        snprintf(q, sizeof(q), "select count(*), sum(v) from %s.m%03d", i % 5 ? "main" : "other",
                 i);
        snprintf(want, sizeof(want), "1|%lld", expect[i]);
        const char *got = rows_of(c, q);
        if (strcmp(got, want) != 0 && wrong++ < 3)
            fprintf(stderr, "m%03d: got %s want %s\n", i, got, want);
    }
    CHECK(wrong == 0);
    db_disconnect(c);
    db_close(d);
}

int main(void)
{
    RUN(build_a_small_project);
    RUN(cancel_leaves_old_table);
    RUN(two_hundred_models_eight_threads);
    arena_free(&A);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch_dir());
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", scratch_dir());
    return CHECK_DONE();
}
