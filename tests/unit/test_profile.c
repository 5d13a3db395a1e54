/* Unit tests for dbt_project.yml and profiles.yml resolution (project/). */
#include "check.h"
#include "project/dbt_project.h"
#include "project/profile.h"
#include "util/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/mallard-profile-XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static const char *project_yml = "name: shop\nprofile: shop\n";

static bool resolve(arena *a, const char *target, dbt_target *t, mlerr *err)
{
    dbt_project_file p;
    if (!dbt_project_file_load(a, dir, &p, err))
        return false;
    profile_request req = {.project_dir = p.dir, .profile_name = p.profile, .target_name = target};
    return profile_resolve(a, &req, t, err);
}

TEST(defaults_and_env_var)
{
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    write_file("dbt_project.yml", project_yml);
    write_file("profiles.yml",
               "shop:\n"
               "  target: dev\n"
               "  outputs:\n"
               "    dev:\n"
               "      type: duckdb\n"
               "      path: '{{ env_var(\"MALLARD_T_PATH\", \"x/shop.duckdb\") }}'\n"
               "      threads: \"{{ env_var('MALLARD_T_THREADS', 3) | int }}\"\n"
               "      extensions: [json, parquet]\n"
               "      settings:\n"
               "        memory_limit: 1GB\n"
               "    mem:\n"
               "      type: duckdb\n");
    unsetenv("MALLARD_T_PATH");
    unsetenv("MALLARD_T_THREADS");
    dbt_target t;
    CHECK(resolve(&a, NULL, &t, &err));
    CHECK_STR(t.target_name, "dev");
    CHECK_STR(t.path, "x/shop.duckdb");
    CHECK(t.abs_path[0] == '/');
    CHECK_CONTAINS(t.abs_path, "/x/shop.duckdb");
    CHECK_STR(t.database, "shop");
    CHECK_STR(t.schema, "main");
    CHECK(t.threads == 3);
    CHECK(t.n_extensions == 2);
    CHECK_STR(t.extensions[1], "parquet");
    CHECK(t.n_settings == 1);
    CHECK_STR(t.settings[0].key, "memory_limit");
    CHECK_STR(t.settings[0].value, "1GB");

    setenv("MALLARD_T_PATH", "/data/wh.duckdb", 1);
    setenv("MALLARD_T_THREADS", "24", 1);
    CHECK(resolve(&a, NULL, &t, &err));
    CHECK_STR(t.path, "/data/wh.duckdb");
    CHECK_STR(t.database, "wh");
    CHECK(t.threads == 24);

    CHECK(resolve(&a, "mem", &t, &err));
    CHECK_STR(t.path, ":memory:");
    CHECK_STR(t.database, "memory");
    CHECK(t.threads == 1);
    CHECK(!err.set);
    arena_free(&a);
}

TEST(errors)
{
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    dbt_target t;
    write_file("dbt_project.yml", project_yml);

    write_file("profiles.yml", "shop:\n  outputs:\n    dev:\n      type: duckdb\n"
                               "      path: \"{{ env_var('MALLARD_T_MISSING') }}\"\n");
    unsetenv("MALLARD_T_MISSING");
    CHECK(!resolve(&a, "dev", &t, &err));
    CHECK_CONTAINS(mlerr_message(&err), "profiles.yml:5:17: Env var required but not provided: "
                                        "'MALLARD_T_MISSING'");
    CHECK(err.exit_code == EXIT_SETUP);
    mlerr_clear(&err);

    CHECK(!resolve(&a, "prod", &t, &err));
    CHECK_CONTAINS(mlerr_message(&err), "does not have a target named 'prod'");
    CHECK_CONTAINS(mlerr_message(&err), "valid targets: dev");
    mlerr_clear(&err);

    write_file("profiles.yml", "other:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n");
    CHECK(!resolve(&a, NULL, &t, &err));
    CHECK_CONTAINS(mlerr_message(&err), "Could not find profile named 'shop'");
    CHECK_CONTAINS(mlerr_message(&err), "profiles.yml has: other");
    mlerr_clear(&err);

    write_file("profiles.yml",
               "shop:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n");
    CHECK(!resolve(&a, NULL, &t, &err));
    CHECK_CONTAINS(mlerr_message(&err),
                   "profiles.yml:5:13: adapter type 'postgres' is not supported");
    mlerr_clear(&err);

    write_file("profiles.yml", "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
                               "      threads: many\n");
    CHECK(!resolve(&a, NULL, &t, &err));
    CHECK_CONTAINS(mlerr_message(&err), "profiles.yml:6:16: `threads` must be a whole number");
    mlerr_clear(&err);

    write_file("profiles.yml", "shop:\n  target: dev\n  outputs:\n    dev: [oops\n");
    CHECK(!resolve(&a, NULL, &t, &err));
    CHECK_CONTAINS(mlerr_message(&err), "profiles.yml:5:1: ");
    mlerr_clear(&err);

    write_file("profiles.yml", "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
                               "      path: \"{{ var('x') }}\"\n");
    CHECK(!resolve(&a, NULL, &t, &err));
    CHECK_CONTAINS(mlerr_message(&err), "profiles.yml:6:17: not supported yet");
    mlerr_clear(&err);

    write_file("dbt_project.yml", "name: [shop\n");
    CHECK(!resolve(&a, NULL, &t, &err));
    CHECK_CONTAINS(mlerr_message(&err), "dbt_project.yml:2:1: ");
    mlerr_clear(&err);

    char missing[600];
    snprintf(missing, sizeof(missing), "%s/dbt_project.yml", dir);
    unlink(missing);
    CHECK(!resolve(&a, NULL, &t, &err));
    CHECK_CONTAINS(mlerr_message(&err), "No dbt_project.yml found at expected path");
    CHECK_CONTAINS(mlerr_message(&err), missing);
    mlerr_clear(&err);
    arena_free(&a);
}

TEST(profiles_dir_search_order)
{
    arena a = ARENA_INIT;
    char empty[] = "/tmp/mallard-profile-empty-XXXXXX";
    CHECK(mkdtemp(empty) != NULL);
    write_file("profiles.yml", "x: 1\n");
    setenv("DBT_PROFILES_DIR", "/somewhere/profiles", 1);
    CHECK_STR(profile_default_dir(&a, dir), dir);
    CHECK_STR(profile_default_dir(&a, empty), "/somewhere/profiles");
    unsetenv("DBT_PROFILES_DIR");
    setenv("HOME", "/home/someone", 1);
    CHECK_STR(profile_default_dir(&a, empty), "/home/someone/.dbt");
    rmdir(empty);
    arena_free(&a);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(defaults_and_env_var);
    RUN(errors);
    RUN(profiles_dir_search_order);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return CHECK_DONE();
}
