/* setup: what every project command does first -- load .env files, find
 * the project and resolve its profile target. */
#ifndef MALLARD_CLI_SETUP_H
#define MALLARD_CLI_SETUP_H

#include "cli/cli.h"
#include "engine/database.h"
#include "project/dbt_project.h"
#include "project/profile.h"

typedef struct cli_project {
    dbt_project_file project;
    dbt_target target;
    const char *dotenv_files[2]; /* the .env files that were read, or NULL */
} cli_project;

/* Loads the .env files (project directory, then the working directory; the
 * process environment always wins), dbt_project.yml and the profile target.
 * Everything is allocated in a. */
bool cli_setup_project(cli_globals *g, arena *a, cli_project *out, mlerr *err);

/* How to open the target's database: its path, settings, extensions and
 * profiles file, with the command's lock timeout.  DuckDB's own thread
 * count is left to callers (dbt's `threads` counts workers, not DuckDB's). */
db_options cli_target_db_options(const dbt_target *t, double lock_timeout);

#endif
