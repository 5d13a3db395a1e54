/* profile: resolving profiles.yml to the one target a run uses.
 *
 * dbt's rules: the profile's name comes from dbt_project.yml, the target from
 * --target or the profile's own `target:`, and values may use env_var().
 * Only `type: duckdb` is supported; any other adapter is refused by name. */
#ifndef MALLARD_PROJECT_PROFILE_H
#define MALLARD_PROJECT_PROFILE_H

#include "util/arena.h"
#include "util/error.h"

#include <stddef.h>

typedef struct dbt_setting {
    const char *key;
    const char *value; /* as text, the way DuckDB's config takes it */
} dbt_setting;

typedef struct dbt_target {
    const char *profiles_file; /* the profiles.yml that was used (absolute) */
    const char *profile_name;
    const char *target_name;
    const char *type;     /* always "duckdb" */
    const char *path;     /* as written (after env_var), ":memory:" by default */
    const char *abs_path; /* path made absolute against the working directory,
                           * or ":memory:" */
    const char *database; /* dbt-duckdb's name for it: the file's stem, or "memory" */
    const char *schema;   /* "main" by default */
    int threads;          /* 1 by default */
    const char **extensions;
    size_t n_extensions;
    dbt_setting *settings;
    size_t n_settings;
} dbt_target;

typedef struct profile_request {
    const char *project_dir;  /* absolute */
    const char *profiles_dir; /* --profiles-dir, or NULL for the default search */
    const char *profile_name; /* from dbt_project.yml */
    const char *target_name;  /* --target, or NULL for the profile's default */
} profile_request;

/* Where profiles.yml is looked for when no --profiles-dir is given: the
 * project directory if it holds one, else $DBT_PROFILES_DIR, else ~/.dbt. */
const char *profile_default_dir(arena *a, const char *project_dir);
bool profile_resolve(arena *a, const profile_request *req, dbt_target *out, mlerr *err);

#endif
