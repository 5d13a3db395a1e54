/* cmd_logs: `mallard logs DAG RUN_ID TASK [--try N]` -- prints the log file
 * of one try (the latest by default) from
 * MALLARD_HOME/logs/dag_id=<d>/run_id=<r>/task_id=<t>/attempt=<n>.log. */
#include "cli/cli.h"
#include "cli/sched_show.h"
#include "sched/task_log.h"
#include "util/fs.h"

#include <stdio.h>
#include <string.h>

static const char *logs_dags_folder;
static int logs_try;

static const cli_option logs_options[] = {
    {"dags-folder", 0, OPT_STRING, &logs_dags_folder, "MALLARD_DAGS_FOLDER", "DIR",
     "the folder of DAG files (default: ./dags)"},
    {"try", 0, OPT_INT, &logs_try, NULL, "N", "the try to show (default: the latest)"},
    {0},
};

static int run_logs(cli_globals *g, int argc, const char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mallard logs DAG_ID RUN_ID TASK_ID [--try N]\n");
        return EXIT_SETUP;
    }
    const char *dag_id = argv[0], *run_id = argv[1], *task_id = argv[2];
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    cli_sched_paths paths;
    state_store *st;
    task_instance *tis = NULL;
    size_t n = 0;
    int rc = EXIT_OK;
    dag_run run;
    bool found = false;
    if (!cli_sched_open_for_dag(&a, logs_dags_folder, dag_id, &paths, &st, &err) ||
        (st && !state_run_get(st, &a, dag_id, run_id, &run, &found, &err)) ||
        (found && !state_tis_list(st, &a, dag_id, run_id, &tis, &n, &err))) {
        rc = cli_fail(&err);
        goto done;
    }
    if (!found) {
        mlerr_set(&err, EXIT_SETUP, "unknown run_id '%s' for DAG '%s'", run_id, dag_id);
        rc = cli_fail(&err);
        goto done;
    }
    const task_instance *ti = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(tis[i].task_id, task_id) == 0)
            ti = &tis[i];
    if (!ti) {
        mlerr_set(&err, EXIT_SETUP, "unknown task '%s' in run '%s' of DAG '%s'", task_id, run_id,
                  dag_id);
        mlerr_hint(&err, "`mallard tasks %s %s` lists its tasks", dag_id, run_id);
        rc = cli_fail(&err);
        goto done;
    }
    int attempt = logs_try > 0 ? logs_try : ti->try_number;
    if (attempt < 1 || attempt > ti->try_number) {
        mlerr_set(&err, EXIT_SETUP, "task '%s' has %s", task_id,
                  ti->try_number ? "fewer tries" : "not run yet");
        if (ti->try_number)
            mlerr_hint(&err, "its tries are 1 to %d", ti->try_number);
        rc = cli_fail(&err);
        goto done;
    }
    const char *path = task_log_path(&a, paths.home, dag_id, run_id, task_id, attempt);
    strbuf text = STRBUF_INIT;
    if (!fs_read_file(path, &text, &err)) {
        rc = cli_fail(&err);
    } else {
        fwrite(text.buf ? text.buf : "", 1, text.len, stdout);
    }
    strbuf_release(&text);
done:
    state_close(st);
    arena_free(&a);
    mlerr_clear(&err);
    return rc;
}

const cli_command cmd_logs = {
    .name = "logs",
    .summary = "Print the log of a task's try",
    .usage = "logs DAG_ID RUN_ID TASK_ID [--try N] [--dags-folder DIR]",
    .options = logs_options,
    .run = run_logs,
};
