/* run_common: what `mallard build`, `run`, `seed` and `test` share -- their
 * flags, and loading, selecting, compiling and executing the project on one
 * database with Ctrl-C/SIGTERM turned into a clean cancel. */
#ifndef MALLARD_CLI_RUN_COMMON_H
#define MALLARD_CLI_RUN_COMMON_H

#include "cli/cli.h"
#include "cli/select_args.h"
#include "exec/workplan.h"

typedef struct run_args {
    cli_selection sel;
    const char *vars;
    int threads; /* 0: the profile's */
    bool full_refresh;
    bool fail_fast;
    bool store_failures;
    bool empty;
} run_args;

/* The option table entries every run command takes, pointing into a. */
#define RUN_COMMON_OPTIONS(a)                                                                      \
    CLI_SELECTION_OPTIONS((a).sel),                                                                \
        {"vars", 0, OPT_STRING, &(a).vars, NULL, "YAML", "project variables, as a YAML dict"},     \
        {"threads",                                                                                \
         0,                                                                                        \
         OPT_INT,                                                                                  \
         &(a).threads,                                                                             \
         NULL,                                                                                     \
         "N",                                                                                      \
         "worker threads (default: the profile's threads)"},                                       \
        {"full-refresh",                                                                           \
         0,                                                                                        \
         OPT_FLAG,                                                                                 \
         &(a).full_refresh,                                                                        \
         NULL,                                                                                     \
         NULL,                                                                                     \
         "rebuild incremental models and reload seeds from scratch"},                              \
        {"fail-fast",                                                                              \
         'x',                                                                                      \
         OPT_FLAG,                                                                                 \
         &(a).fail_fast,                                                                           \
         NULL,                                                                                     \
         NULL,                                                                                     \
         "stop at the first failure (running nodes are interrupted)"},                             \
        {"store-failures",                                                                         \
         0,                                                                                        \
         OPT_FLAG,                                                                                 \
         &(a).store_failures,                                                                      \
         NULL,                                                                                     \
         NULL,                                                                                     \
         "store the rows of failing tests in <schema>_dbt_test__audit"},                           \
    {                                                                                              \
        "empty", 0, OPT_FLAG, &(a).empty, NULL, NULL,                                              \
            "run and build: ref() and source() read no rows (where false limit 0)"                 \
    }

/* Runs the command end to end; returns the exit code (0, 1 or 2). */
int run_command(const char *which, work_mode mode, const run_args *a, cli_globals *g, int argc,
                const char **argv);

#endif
