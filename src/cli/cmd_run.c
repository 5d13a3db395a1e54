/* cmd_run: `mallard run` -- build the selected models (dbt run). */
#include "cli/run_common.h"

static run_args opt;

static const cli_option run_options[] = {
    RUN_COMMON_OPTIONS(opt),
    {0},
};

static int run_run(cli_globals *g, int argc, const char **argv)
{
    return run_command("run", WORK_RUN, cli_options(&opt), g, argc, argv);
}

const cli_command cmd_run = {
    .name = "run",
    .summary = "Build the selected models",
    .usage = "run [-s SPEC...] [--exclude SPEC...] [--selector NAME] [--threads N] [--vars YAML] "
             "[--full-refresh] [--fail-fast] [--store-failures]",
    .options = run_options,
    .run = run_run,
    .opts = &opt,
    .opts_size = sizeof opt,
    .description =
        "Builds each selected model as its materialization says (view, table, incremental; "
        "ephemeral models are inlined), in dependency order on a pool of worker threads sharing "
        "one DuckDB database.  Exit code 0 when everything passed, 1 when a node failed, 2 on "
        "errors or when interrupted (Ctrl-C, SIGTERM).  "
        "Writes target/run_results.json, target/compiled/ and target/run/<project>/<path> (the "
        "statement that built each node), and appends to logs/dbt.log (see --log-path).",
};
