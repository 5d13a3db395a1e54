/* cmd_runs: `mallard runs DAG` -- the DAG's runs, newest first, with their
 * states and durations, read from the state store. */
#include "cli/cli.h"
#include "cli/sched_show.h"
#include "sched/civil.h"

#include <stdio.h>

static const char *runs_dags_folder;

static const cli_option runs_options[] = {
    {"dags-folder", 0, OPT_STRING, &runs_dags_folder, "MALLARD_DAGS_FOLDER", "DIR",
     "the folder of DAG files (default: ./dags)"},
    {0},
};

static int run_runs(cli_globals *g, int argc, const char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "usage: mallard runs DAG_ID\n");
        return EXIT_SETUP;
    }
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    cli_sched_paths paths;
    state_store *st;
    dag_run *runs = NULL;
    size_t n = 0;
    int rc = EXIT_OK;
    if (!cli_sched_open_for_dag(&a, runs_dags_folder, argv[0], &paths, &st, &err) ||
        (st && !state_runs_list(st, &a, argv[0], &runs, &n, &err))) {
        rc = cli_fail(&err);
    } else {
        printf("%-44s | %-9s | %-7s | %-25s | %-25s | %-19s | %s\n", "run_id", "run_type", "state",
               "data_interval_start", "data_interval_end", "start_date", "duration");
        for (size_t i = 0; i < n; i++) {
            char s[CIVIL_ISO_MAX], e[CIVIL_ISO_MAX], started[32], took[32];
            civil_format_iso(runs[i].interval.start, 0, s);
            civil_format_iso(runs[i].interval.end, 0, e);
            double duration = runs[i].end_date > 0 && runs[i].start_date > 0
                                  ? runs[i].end_date - runs[i].start_date
                                  : 0;
            printf("%-44s | %-9s | %-7s | %-25s | %-25s | %-19s | %s\n", runs[i].run_id,
                   run_type_name(runs[i].type), dagrun_state_name(runs[i].state), s, e,
                   cli_format_stamp(runs[i].start_date, started),
                   cli_format_duration(duration, took));
        }
        if (n == 0)
            printf("(no runs yet)\n");
    }
    state_close(st);
    arena_free(&a);
    mlerr_clear(&err);
    return rc;
}

const cli_command cmd_runs = {
    .name = "runs",
    .summary = "Show a DAG's runs with their states and durations",
    .usage = "runs DAG_ID [--dags-folder DIR]",
    .options = runs_options,
    .run = run_runs,
};
