/* setup: the common start of every project command (see setup.h). */
#include "cli/setup.h"

#include "util/dotenv.h"
#include "util/fs.h"
#include "util/jobctx.h"

#include <stdlib.h>
#include <string.h>

/* A flag, else MALLARD_NAME (which .env files may also set), else DBT_NAME. */
static const char *flag_or_env(const char *flag, const char *mallard_env, const char *dbt_env)
{
    if (flag && *flag)
        return flag;
    const char *v = job_getenv(mallard_env);
    if (v && *v)
        return v;
    v = dbt_env ? job_getenv(dbt_env) : NULL;
    return v && *v ? v : NULL;
}

bool cli_setup_project(cli_globals *g, arena *a, cli_project *out, mlerr *err)
{
    memset(out, 0, sizeof(*out));
    const char *dir = flag_or_env(g->project_dir, "MALLARD_PROJECT_DIR", "DBT_PROJECT_DIR");
    const char *project_dir = fs_absolute(a, dir ? dir : ".");
    const char *cwd = fs_absolute(a, ".");

    /* The project's .env is read first, so it wins over the working
     * directory's; neither overrides the process environment. */
    const char *candidates[2] = {fs_join(a, project_dir, ".env"), NULL};
    if (strcmp(project_dir, cwd) != 0)
        candidates[1] = fs_join(a, cwd, ".env");
    for (int i = 0; i < 2 && candidates[i]; i++) {
        bool found = false;
        if (!dotenv_load(candidates[i], &found, err))
            return false;
        if (found)
            out->dotenv_files[i] = candidates[i];
    }

    if (!dbt_project_file_load(a, project_dir, &out->project, err))
        return false;
    profile_request req = {
        .project_dir = out->project.dir,
        .profiles_dir = flag_or_env(g->profiles_dir, "MALLARD_PROFILES_DIR", NULL),
        .profile_name = out->project.profile,
        .target_name = flag_or_env(g->target, "MALLARD_TARGET", "DBT_TARGET"),
    };
    return profile_resolve(a, &req, &out->target, err);
}

db_options cli_target_db_options(const dbt_target *t, double lock_timeout)
{
    return (db_options){
        .path = t->abs_path,
        .settings = t->settings,
        .n_settings = t->n_settings,
        .extensions = t->extensions,
        .n_extensions = t->n_extensions,
        .lock_timeout = lock_timeout,
        .config_file = t->profiles_file,
    };
}
