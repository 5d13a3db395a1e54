/* cmd_seed: `mallard seed` -- load the seed CSV files into tables (dbt seed). */
#include "cli/run_common.h"

static run_args opt;

static const cli_option seed_options[] = {
    RUN_COMMON_OPTIONS(opt),
    {0},
};

static int run_seed(cli_globals *g, int argc, const char **argv)
{
    return run_command("seed", WORK_SEED, cli_options(&opt), g, argc, argv);
}

const cli_command cmd_seed = {
    .name = "seed",
    .summary = "Load the seed CSV files into tables",
    .usage = "seed [-s SPEC...] [--exclude SPEC...] [--selector NAME] [--threads N] [--vars YAML] "
             "[--full-refresh] [--fail-fast] [--store-failures]",
    .options = seed_options,
    .run = run_seed,
    .opts = &opt,
    .opts_size = sizeof opt,
    .description =
        "Loads each selected seed through DuckDB's CSV reader into its table; a re-run "
        "replaces the rows, --full-refresh drops and recreates the table.  Exit code 0 "
        "when everything passed, 1 when a node failed, 2 on "
        "errors or when interrupted (Ctrl-C, SIGTERM).  "
        "Writes target/run_results.json, target/compiled/ and target/run/<project>/<path> (the "
        "statement that built each node), and appends to logs/dbt.log (see --log-path).",
};
