/* cmd_build: `mallard build` -- run seeds, models and tests in dependency order (dbt build). */
#include "cli/run_common.h"

static run_args opt;

static const cli_option build_options[] = {
    RUN_COMMON_OPTIONS(opt),
    {0},
};

static int run_build(cli_globals *g, int argc, const char **argv)
{
    return run_command("build", WORK_BUILD, cli_options(&opt), g, argc, argv);
}

const cli_command cmd_build = {
    .name = "build",
    .summary = "Run seeds, models and tests in dependency order",
    .usage = "build [-s SPEC...] [--exclude SPEC...] [--selector NAME] [--threads N] [--vars YAML] "
             "[--full-refresh] [--fail-fast] [--store-failures]",
    .options = build_options,
    .run = run_build,
    .opts = &opt,
    .opts_size = sizeof opt,
    .description =
        "Seeds, models and snapshots are built and tests run right after the nodes they "
        "test, in dependency order on a pool of worker threads sharing one DuckDB "
        "database; an error-severity test failure skips everything downstream.  Exit "
        "code 0 when everything passed, 1 when a node failed, 2 on "
        "errors or when interrupted (Ctrl-C, SIGTERM).  "
        "Writes target/run_results.json, target/compiled/ and target/run/<project>/<path> (the "
        "statement that built each node), and appends to logs/dbt.log (see --log-path).",
};
