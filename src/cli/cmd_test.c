/* cmd_test: `mallard test` -- run the data tests (dbt test). */
#include "cli/run_common.h"

static run_args opt;

static const cli_option test_options[] = {
    RUN_COMMON_OPTIONS(opt),
    {0},
};

static int run_test(cli_globals *g, int argc, const char **argv)
{
    return run_command("test", WORK_TEST, cli_options(&opt), g, argc, argv);
}

const cli_command cmd_test = {
    .name = "test",
    .summary = "Run the data tests",
    .usage = "test [-s SPEC...] [--exclude SPEC...] [--selector NAME] [--threads N] [--vars YAML] "
             "[--full-refresh] [--fail-fast] [--store-failures]",
    .options = test_options,
    .run = run_test,
    .opts = &opt,
    .opts_size = sizeof opt,
    .description =
        "Runs each selected data test and reports PASS, WARN or FAIL with the number of failing "
        "rows, as dbt does.  Exit code 0 when everything passed, 1 when a node failed, 2 on "
        "errors or when interrupted (Ctrl-C, SIGTERM).  "
        "Writes target/run_results.json, target/compiled/ and target/run/<project>/<path> (the "
        "statement that built each node), and appends to logs/dbt.log (see --log-path).",
};
