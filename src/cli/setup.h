/* setup: what every project command does first -- load .env files, find
 * the project and resolve its profile target. */
#ifndef MALLARD_CLI_SETUP_H
#define MALLARD_CLI_SETUP_H

#include "cli/cli.h"
#include "engine/database.h"
#include "project/dbt_project.h"
#include "project/profile.h"

#include <time.h>

typedef struct cli_project {
    dbt_project_file project;
    dbt_target target;
    const char *dotenv_files[2]; /* the .env files that were read, or NULL */
} cli_project;

/* Loads the .env files (project directory, then the working directory; the
 * process environment always wins), dbt_project.yml and the profile target.
 * Everything is allocated in a. */
bool cli_setup_project(cli_globals *g, arena *a, cli_project *out, mlerr *err);

/* Opens the command's log file, as dbt does for every command that reads a
 * project: <project>/logs/dbt.log, or --log-path / DBT_LOG_PATH (as given,
 * relative to the working directory), or `log-path:` in dbt_project.yml
 * (relative to the project); at --log-level-file (default debug), rotated at
 * --log-file-max-bytes.  Inside a routed job the file is the job's, in the
 * client's project.  cli_main (and the routing server) close it after the
 * command.  A bad flag value is an error; a file that cannot be opened is a
 * warning, and the command goes on without it. */
bool cli_log_start(const cli_globals *g, const cli_project *cp, mlerr *err);

/* The log file's last line for a command, dbt's "Command `mallard build`
 * succeeded at 01:23:45.678901 after 1.23 seconds", then closes the file
 * (nothing if the command opened none).  started: CLOCK_MONOTONIC. */
void cli_log_finish(const char *command, int rc, const struct timespec *started);

/* How to open the target's database: its path, settings, extensions and
 * profiles file, with the command's lock timeout.  DuckDB's own thread
 * count is left to callers (dbt's `threads` counts workers, not DuckDB's). */
db_options cli_target_db_options(const dbt_target *t, double lock_timeout);

#endif
