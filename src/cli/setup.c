/* setup: the common start of every project command (see setup.h). */
#include "cli/setup.h"

#include "util/dotenv.h"
#include "util/fs.h"
#include "util/jobctx.h"
#include "util/log.h"

#include <errno.h>

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

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

#ifndef MALLARD_VERSION
#define MALLARD_VERSION "0.0.0"
#endif

bool cli_log_start(const cli_globals *g, const cli_project *cp, mlerr *err)
{
    log_file_options o = {
        .level = LOG_DEBUG,
        .max_bytes = 10 * 1024 * 1024,
        .backups = 5,
        .version = MALLARD_VERSION,
    };
    if (g->log_level_file && !log_level_parse(g->log_level_file, &o.level)) {
        mlerr_set(err, EXIT_SETUP,
                  "unknown --log-level-file '%s' (use debug, info, warn, error or none)",
                  g->log_level_file);
        return false;
    }
    if (g->log_file_max_bytes) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(g->log_file_max_bytes, &end, 10);
        if (errno || end == g->log_file_max_bytes || *end || v < 0) {
            mlerr_set(err, EXIT_SETUP,
                      "--log-file-max-bytes '%s' is not a number of bytes (0 turns rotation off)",
                      g->log_file_max_bytes);
            return false;
        }
        o.max_bytes = v;
    }
    if (o.level == LOG_NONE)
        return true;
    arena a = ARENA_INIT;
    const char *dir = g->log_path && *g->log_path ? g->log_path : NULL;
    if (!dir) {
        const ynode *n = cp->project.root ? ymap_get(cp->project.root, "log-path") : NULL;
        const char *configured = n && n->kind == YNODE_SCALAR && n->len ? n->str : "logs";
        dir = fs_join(&a, cp->project.dir, configured);
    }
    const char *path = fs_join(&a, dir, "dbt.log");
    mlerr open_err = MLERR_INIT;
    if (!log_open_file(path, &o, &open_err))
        log_warn("No log file: %s", mlerr_message(&open_err));
    mlerr_clear(&open_err);
    arena_free(&a);
    return true;
}

void cli_log_finish(const char *command, int rc, const struct timespec *started)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs =
        (double)(now.tv_sec - started->tv_sec) + (double)(now.tv_nsec - started->tv_nsec) / 1e9;
    struct timeval tv;
    char stamp[16];
    log_clock_stamp(NULL, &tv, stamp);
    log_file_msg(LOG_DEBUG, "Command `mallard %s` %s at %s.%06ld after %.2f seconds", command,
                 rc == EXIT_OK ? "succeeded" : "failed", stamp, (long)tv.tv_usec, secs);
    log_close_file();
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
