/* commands: the list of every mallard command, one line each. */
#include "cli/cli.h"

#include <string.h>

extern const cli_command cmd_build;
extern const cli_command cmd_clear;
extern const cli_command cmd_compile;
extern const cli_command cmd_dags;
extern const cli_command cmd_debug;
extern const cli_command cmd_help;
extern const cli_command cmd_jinja;
extern const cli_command cmd_list;
extern const cli_command cmd_logs;
extern const cli_command cmd_ls;
extern const cli_command cmd_parse;
extern const cli_command cmd_run;
extern const cli_command cmd_runs;
extern const cli_command cmd_scheduler;
extern const cli_command cmd_seed;
extern const cli_command cmd_serve;
extern const cli_command cmd_show;
extern const cli_command cmd_tasks;
extern const cli_command cmd_test;

/* One line per command, so branches that add commands merge cleanly. */
/* clang-format off */
const cli_command *const cli_commands[] = {
    &cmd_build,
    &cmd_clear,
    &cmd_compile,
    &cmd_dags,
    &cmd_debug,
    &cmd_help,
    &cmd_jinja,
    &cmd_list,
    &cmd_logs,
    &cmd_ls,
    &cmd_parse,
    &cmd_run,
    &cmd_runs,
    &cmd_scheduler,
    &cmd_seed,
    &cmd_serve,
    &cmd_show,
    &cmd_tasks,
    &cmd_test,
    NULL,
};
/* clang-format on */

const cli_command *cli_find_command(const char *name)
{
    for (const cli_command *const *c = cli_commands; *c; c++) {
        if (strcmp((*c)->name, name) == 0)
            return *c;
    }
    return NULL;
}
