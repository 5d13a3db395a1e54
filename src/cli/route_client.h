/* route_client: sending a command to the Mallard process that owns its
 * database, instead of waiting for that process's lock.
 *
 * `mallard build|run|seed|test|debug|show` first resolve their target database
 * (the .env files, dbt_project.yml and the profile, as a local run does).
 * If "<db>.mallard" names a live Mallard process with a job socket
 * (engine/advert.h), the command is sent there (route_server.h): the
 * words of the command line (--project-dir and --profiles-dir made
 * absolute), the working directory, the whole environment (after the .env
 * files were read here -- the owner reads them again with the same result,
 * since a .env file never overrides a variable that is set) and whether
 * stdout is a terminal.  The owner's output is copied to our stdout and
 * stderr as it arrives and its exit code becomes ours.  Ctrl-C or SIGTERM
 * sends a cancel; the owner cancels the job as a local run would be.
 *
 * Not routed: --no-route / MALLARD_NO_ROUTE=1, a project that does not set
 * up (the local run reports why), ":memory:", no advertisement, a stale
 * one (its process is gone), an owner that takes no jobs (then DuckDB's
 * lock applies: the foundation's diagnosis names the holder and waits), an
 * owner whose socket does not answer (said once, then run here). */
#ifndef MALLARD_CLI_ROUTE_CLIENT_H
#define MALLARD_CLI_ROUTE_CLIENT_H

#include "cli/cli.h"

#include <stdbool.h>

/* Sends the command to the database's owner if there is one; true (and
 * *rc set to the job's exit code) when it did.  args are the words after
 * the program name, the command's name left out. */
bool route_client_try(const cli_command *cmd, cli_globals *g, int nargs, const char **args,
                      int *rc);

#endif
