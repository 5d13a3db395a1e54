/* Unit tests for DAG files (dagfile.c) and the dags folder scan
 * (dagfolder.c): every key, the three file layouts, import errors with
 * positions, and picking up changed files. */
#include "check.h"

#include "sched/civil.h"
#include "sched/dagfolder.h"
#include "sched/tz.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

static void write_file(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/mallard-dags-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(root))
        abort();
    char path[512];
    snprintf(path, sizeof path, "%s/dags", root);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/dbt", root);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/dbt/shop", root);
    mkdir(path, 0777);
    write_file("dbt/shop/dbt_project.yml", "name: shop\nprofile: shop\n");
}

static int64_t at(const char *iso)
{
    civil_time ct;
    bool has_offset;
    int offset;
    if (!civil_parse_iso(iso, &ct, &has_offset, &offset))
        abort();
    return civil_to_seconds(&ct) - offset;
}

static dag_file parse(arena *a, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/dags/test.yml", root);
    dag_file f;
    dag_file_parse(a, path, text, strlen(text), &f);
    return f;
}

static bool has_error(const dag_file *f, const char *want)
{
    for (size_t i = 0; i < f->nerrors; i++)
        if (strstr(f->errors[i], want))
            return true;
    fprintf(stderr, "no error containing \"%s\"; errors were:\n", want);
    for (size_t i = 0; i < f->nerrors; i++)
        fprintf(stderr, "  %s\n", f->errors[i]);
    return false;
}

TEST(every_key)
{
    arena a = ARENA_INIT;
    dag_file f = parse(&a, "dag_id: my_dag\n"
                           "description: Orders, daily\n"
                           "tags: [shop, dbt]\n"
                           "schedule: '0 6 * * mon-fri'\n"
                           "start_date: 2025-01-01\n"
                           "end_date: '2025-12-31T23:00:00+00:00'\n"
                           "timezone: Europe/Berlin\n"
                           "catchup: true\n"
                           "max_active_runs: 1\n"
                           "max_active_tasks: 8\n"
                           "is_paused_upon_creation: yes\n"
                           "default_args:\n"
                           "  retries: 2\n"
                           "  retry_delay: 1m30s\n"
                           "  retry_exponential_backoff: true\n"
                           "  max_retry_delay: '00:10:00'\n"
                           "  execution_timeout: 3600\n"
                           "dbt:\n"
                           "  project_dir: ../dbt/shop\n"
                           "  profiles_dir: ../dbt/shop\n"
                           "  profile: shop\n"
                           "  target: prod\n"
                           "  select: [tag:daily, 'stg_+']\n"
                           "  exclude: legacy\n"
                           "  full_refresh: false\n"
                           "  vars: {day: '{{ ds }}'}\n"
                           "  test_behavior: after_all\n");
    CHECK(f.nerrors == 0);
    for (size_t i = 0; i < f.nerrors; i++)
        fprintf(stderr, "%s\n", f.errors[i]);
    CHECK(f.ndags == 1);
    if (f.ndags != 1)
        return;
    const dag_def *d = &f.dags[0];
    CHECK_STR(d->dag_id, "my_dag");
    CHECK_STR(d->description, "Orders, daily");
    CHECK(d->ntags == 2 && strcmp(d->tags[1], "dbt") == 0);
    CHECK(d->timetable.kind == SCHEDULE_CRON);
    CHECK_STR(tz_zone_name(d->timetable.zone), "Europe/Berlin");
    CHECK(d->has_start_date && d->start_date == at("2024-12-31T23:00:00Z")); /* Berlin midnight */
    CHECK(d->has_end_date && d->end_date == at("2025-12-31T23:00:00Z"));
    CHECK(d->catchup && d->max_active_runs == 1 && d->max_active_tasks == 8);
    CHECK(d->is_paused_upon_creation);
    CHECK(d->default_args.retries == 2 && d->default_args.retry_delay == 90);
    CHECK(d->default_args.retry_exponential_backoff && d->default_args.max_retry_delay == 600);
    CHECK(d->default_args.execution_timeout == 3600);
    CHECK_STR(d->dbt.project_dir, "../dbt/shop");
    CHECK(d->dbt.project_dir_abs && strstr(d->dbt.project_dir_abs, "/dbt/shop"));
    CHECK_STR(d->dbt.target, "prod");
    CHECK(d->dbt.nselect == 2 && strcmp(d->dbt.select[1], "stg_+") == 0);
    CHECK(d->dbt.nexclude == 1 && strcmp(d->dbt.exclude[0], "legacy") == 0);
    CHECK(d->dbt.vars && d->dbt.vars->kind == YNODE_MAP);
    CHECK(d->dbt.test_behavior == TEST_BEHAVIOR_AFTER_ALL);
    time_restriction r = dag_time_restriction(d);
    CHECK(r.catchup && r.has_earliest && r.earliest == d->start_date);
    arena_free(&a);
}

TEST(defaults_and_layouts)
{
    arena a = ARENA_INIT;
    dag_file f = parse(&a, "- dag_id: a\n"
                           "  schedule: null\n"
                           "  dbt: {project_dir: ../dbt/shop}\n"
                           "- dag_id: b\n"
                           "  schedule: 6h\n"
                           "  start_date: 2025-01-01\n"
                           "  dbt: {project_dir: ../dbt/shop}\n");
    CHECK(f.nerrors == 0 && f.ndags == 2);
    if (f.ndags == 2) {
        CHECK(f.dags[0].timetable.kind == SCHEDULE_NONE && !f.dags[0].schedule);
        CHECK(!f.dags[0].catchup && f.dags[0].max_active_runs == 16);
        CHECK(f.dags[0].default_args.retry_delay == 300 && f.dags[0].default_args.retries == 0);
        CHECK(f.dags[0].dbt.test_behavior == TEST_BEHAVIOR_AFTER_EACH);
        CHECK(f.dags[1].timetable.kind == SCHEDULE_DELTA && f.dags[1].timetable.delta == 21600);
        CHECK(f.dags[1].line == 4);
    }
    f = parse(&a, "dag_id: c\nschedule: '@once'\nstart_date: 2025-01-01\n"
                  "dbt: {project_dir: ../dbt/shop}\n---\n"
                  "dag_id: d\nschedule: '@daily'\nstart_date: 2025-01-01\n"
                  "dbt: {project_dir: ../dbt/shop}\n");
    CHECK(f.nerrors == 0 && f.ndags == 2);
    arena_free(&a);
}

TEST(errors_name_file_line_and_column)
{
    arena a = ARENA_INIT;
    dag_file f = parse(&a, "dag_id: bad\n"
                           "schedul: '@daily'\n"
                           "schedule: '0 25 * * *'\n"
                           "start_date: 2025-02-01\n"
                           "end_date: 2025-01-01\n"
                           "catchup: maybe\n"
                           "timezone: Nowhere/City\n"
                           "default_args: {retries: -1, retry_delay: soon}\n"
                           "dbt:\n"
                           "  project_dir: ../dbt/missing\n"
                           "  test_behavior: sometimes\n");
    CHECK(f.ndags == 0);
    CHECK(has_error(&f, "test.yml:2:1: unknown key 'schedul' in a DAG"));
    CHECK(has_error(&f, "test.yml:7:11: unknown time zone 'Nowhere/City'"));
    CHECK(has_error(&f, "test.yml:6:10: `catchup` must be true or false"));
    CHECK(has_error(&f, ":8:25: `retries` must be a whole number of at least 0"));
    CHECK(has_error(&f, ":8:42: `retry_delay` must be a duration"));
    CHECK(has_error(&f, ":10:16: no dbt project at"));
    CHECK(has_error(&f, ":11:18: `test_behavior` must be none, after_each"));

    f = parse(&a, "dag_id: bad2\nschedule: '0 25 * * *'\nstart_date: 2025-02-01\n"
                  "end_date: 2025-01-01\ndbt: {project_dir: ../dbt/shop}\n");
    CHECK(has_error(&f, "test.yml:2:11: bad cron expression '0 25 * * *'"));
    CHECK(has_error(&f, "test.yml:4:11: start_date (2025-02-01) is after end_date (2025-01-01)"));
    f = parse(&a, "dag_id: 'no spaces please'\nschedule: '@daily'\n"
                  "dbt: {project_dir: ../dbt/shop}\n");
    CHECK(has_error(&f, "test.yml:1:9: dag_id 'no spaces please' may only contain"));
    CHECK(has_error(&f, "test.yml:1:1: the DAG has a schedule but no `start_date`"));
    f = parse(&a, "dag_id: x\nschedule: null\n");
    CHECK(has_error(&f, "the DAG has no `dbt:` block"));
    f = parse(&a, "dag_id: [x\n");
    CHECK(f.nerrors == 1 && f.ndags == 0);
    CHECK(has_error(&f, "test.yml:"));
    f = parse(&a, "# nothing here\n");
    CHECK(has_error(&f, "no DAG in this file"));
    f = parse(&a, "- {dag_id: x, schedule: null, dbt: {project_dir: ../dbt/shop}}\n"
                  "- {dag_id: x, schedule: null, dbt: {project_dir: ../dbt/shop}}\n");
    CHECK(has_error(&f, "dag_id 'x' is defined twice in this file"));
    arena_free(&a);
}

static void touch_later(const char *rel, const char *text)
{
    /* Change the size too, so the test does not depend on mtime resolution. */
    write_file(rel, text);
}

TEST(folder_scan_picks_up_changes)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/dags", root);
    write_file("dags/one.yml", "dag_id: one\nschedule: '@daily'\nstart_date: 2025-01-01\n"
                               "dbt: {project_dir: ../dbt/shop}\n");
    write_file("dags/two.yaml", "dag_id: two\nschedule: null\ndbt: {project_dir: ../dbt/shop}\n");
    write_file("dags/broken.yml", "dag_id: broken\nschedule: 'every day'\n"
                                  "start_date: 2025-01-01\ndbt: {project_dir: ../dbt/shop}\n");
    write_file("dags/notes.txt", "not a DAG");
    write_file("dags/z_dup.yml", "dag_id: one\nschedule: null\ndbt: {project_dir: ../dbt/shop}\n");
    dag_folder *f = dag_folder_new(dir);
    mlerr err = MLERR_INIT;
    bool changed;
    CHECK(dag_folder_refresh(f, &changed, &err) && changed);
    CHECK(dag_folder_dag_count(f) == 2);
    CHECK(dag_folder_find(f, "one") && dag_folder_find(f, "two"));
    CHECK_STR(dag_folder_dag(f, 0)->dag_id, "one");
    CHECK(dag_folder_error_count(f) == 2);
    CHECK(dag_folder_error_count(f) == 2 &&
          strstr(dag_folder_error(f, 0)->message, "broken.yml:2:11: bad cron expression"));
    CHECK(dag_folder_error_count(f) == 2 &&
          strstr(dag_folder_error(f, 1)->message, "dag_id 'one' is already defined in"));
    CHECK(dag_folder_parse_count(f) == 4);

    CHECK(dag_folder_refresh(f, &changed, &err) && !changed);
    CHECK(dag_folder_parse_count(f) == 4);

    touch_later("dags/broken.yml", "dag_id: broken\nschedule: '0 3 * * *'\n"
                                   "start_date: 2025-01-01\ndbt: {project_dir: ../dbt/shop}\n");
    char path[512];
    snprintf(path, sizeof path, "%s/dags/two.yaml", root);
    unlink(path);
    CHECK(dag_folder_refresh(f, &changed, &err) && changed);
    CHECK(dag_folder_parse_count(f) == 5);
    CHECK(dag_folder_find(f, "broken") && !dag_folder_find(f, "two"));
    CHECK(dag_folder_error_count(f) == 1);
    dag_folder_free(f);

    f = dag_folder_new("/nonexistent/dags");
    CHECK(!dag_folder_refresh(f, &changed, &err));
    CHECK_CONTAINS(mlerr_message(&err), "cannot read the dags folder /nonexistent/dags");
    mlerr_clear(&err);
    dag_folder_free(f);
}

int main(void)
{
    setup();
    RUN(every_key);
    RUN(defaults_and_layouts);
    RUN(errors_name_file_line_and_column);
    RUN(folder_scan_picks_up_changes);
    int rc = CHECK_DONE();
    tz_cache_clear();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (rc == 0 && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return rc;
}
