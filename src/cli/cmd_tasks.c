/* cmd_tasks: `mallard tasks DAG RUN_ID` -- a run's task instances (state,
 * try, duration, host:pid) and then every try, read from the state store. */
#include "cli/cli.h"
#include "cli/sched_show.h"

#include <stdio.h>

static const char *tasks_dags_folder;

static const cli_option tasks_options[] = {
    {"dags-folder", 0, OPT_STRING, &tasks_dags_folder, "MALLARD_DAGS_FOLDER", "DIR",
     "the folder of DAG files (default: ./dags)"},
    {0},
};

static int run_tasks(cli_globals *g, int argc, const char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mallard tasks DAG_ID RUN_ID\n");
        return EXIT_SETUP;
    }
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    cli_sched_paths paths;
    state_store *st;
    dag_run run;
    bool found = false;
    task_instance *tis;
    task_try *tries;
    size_t n = 0, ntries = 0;
    int rc = EXIT_OK;
    if (!cli_sched_open_for_dag(&a, tasks_dags_folder, argv[0], &paths, &st, &err) ||
        (st && !state_run_get(st, &a, argv[0], argv[1], &run, &found, &err))) {
        rc = cli_fail(&err);
    } else if (!found) {
        mlerr_set(&err, EXIT_SETUP, "unknown run_id '%s' for DAG '%s'", argv[1], argv[0]);
        mlerr_hint(&err, "`mallard runs %s` lists its runs", argv[0]);
        rc = cli_fail(&err);
    } else if (!state_tis_list(st, &a, argv[0], argv[1], &tis, &n, &err) ||
               !state_tries_list(st, &a, argv[0], argv[1], &tries, &ntries, &err)) {
        rc = cli_fail(&err);
    } else {
        printf("run %s: %s\n\n", run.run_id, dagrun_state_name(run.state));
        printf("%-40s | %-15s | %-5s | %-19s | %-9s | %s\n", "task_id", "state", "try",
               "start_date", "duration", "host:pid");
        for (size_t i = 0; i < n; i++) {
            char started[32], took[32], attempt[32];
            snprintf(attempt, sizeof attempt, "%d/%d", tis[i].try_number, tis[i].max_tries + 1);
            printf("%-40s | %-15s | %-5s | %-19s | %-9s | %s:%d\n", tis[i].task_id,
                   ti_state_name(tis[i].state), attempt,
                   cli_format_stamp(tis[i].start_date, started),
                   cli_format_duration(tis[i].duration, took),
                   tis[i].hostname ? tis[i].hostname : "", tis[i].pid);
        }
        if (ntries) {
            printf("\n%-40s | %-3s | %-15s | %-19s | %s\n", "task_id", "try", "state", "start_date",
                   "duration");
            for (size_t i = 0; i < ntries; i++) {
                char started[32], took[32];
                printf("%-40s | %-3d | %-15s | %-19s | %s\n", tries[i].task_id, tries[i].try_number,
                       ti_state_name(tries[i].state),
                       cli_format_stamp(tries[i].start_date, started),
                       cli_format_duration(tries[i].duration, took));
            }
        }
    }
    state_close(st);
    arena_free(&a);
    mlerr_clear(&err);
    return rc;
}

const cli_command cmd_tasks = {
    .name = "tasks",
    .summary = "Show a DAG run's task instances and their tries",
    .usage = "tasks DAG_ID RUN_ID [--dags-folder DIR]",
    .options = tasks_options,
    .run = run_tasks,
};
