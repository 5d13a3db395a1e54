/* project_summary: loading a project for a command and dbt's one-line
 * summary of what was found ("Found 3 models, 2 seeds, ..."). */
#ifndef MALLARD_CLI_PROJECT_SUMMARY_H
#define MALLARD_CLI_PROJECT_SUMMARY_H

#include "cli/setup.h"
#include "project/graph.h"

/* cli_setup_project + project_load with --vars; *out is owned by the caller
 * (project_free). */
bool cli_load_project(cli_globals *g, arena *a, const char *vars, cli_project *cp, project **out,
                      mlerr *err);
/* project_load of an already set-up project with --vars (the second half
 * of cli_load_project, for callers that do other work in between). */
bool cli_project_load(const cli_project *cp, const char *vars, project **out, mlerr *err);
/* Logs "Found N models, N seeds, ..." as dbt does. */
void cli_log_found(const project *p);

#endif
