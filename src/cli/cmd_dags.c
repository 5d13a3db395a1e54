/* cmd_dags: `mallard dags list` and `mallard dags list-import-errors`.
 *
 * Both parse the dags folder (no scheduler needed).  list shows whether a
 * DAG is paused from the state store when one exists, else what the file
 * says for a new DAG.  list-import-errors exits 1 when there are errors so
 * CI can gate on it (Airflow's exits 0). */
#include "cli/cli.h"
#include "cli/sched_setup.h"
#include "sched/dagfolder.h"
#include "sched/state.h"
#include "util/fs.h"

#include <stdio.h>
#include <string.h>

static const char *dags_folder_flag;

static const cli_option dags_options[] = {
    {"dags-folder", 0, OPT_STRING, &dags_folder_flag, "MALLARD_DAGS_FOLDER", "DIR",
     "the folder of DAG files (default: ./dags)"},
    {0},
};

static const char *relative_to(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (strncmp(path, dir, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

static int list_dags(const cli_sched_paths *paths, dag_folder *folder)
{
    mlerr err = MLERR_INIT;
    state_store *st = NULL;
    arena a = ARENA_INIT;
    if (fs_is_file(fs_join(&a, paths->home, "mallard.db"))) {
        st = state_open(paths->home, &err);
        if (!st) {
            arena_free(&a);
            return cli_fail(&err);
        }
    }
    size_t n = dag_folder_dag_count(folder);
    printf("%-30s | %-26s | %-18s | %-6s | %s\n", "dag_id", "fileloc", "schedule", "paused",
           "tags");
    for (size_t i = 0; i < n; i++) {
        const dag_def *d = dag_folder_dag(folder, i);
        bool paused = d->is_paused_upon_creation;
        if (st && !state_dag_is_paused(st, d->dag_id, &paused, &err)) {
            mlerr_clear(&err); /* never scheduled yet: the file's setting */
            paused = d->is_paused_upon_creation;
        }
        char tags[256] = "";
        for (size_t t = 0; t < d->ntags; t++) {
            size_t used = strlen(tags);
            snprintf(tags + used, sizeof tags - used, "%s%s", t ? ", " : "", d->tags[t]);
        }
        printf("%-30s | %-26s | %-18s | %-6s | %s\n", d->dag_id,
               relative_to(d->file, paths->dags_folder), d->schedule ? d->schedule : "null",
               paused ? "True" : "False", tags);
    }
    /* Airflow counts import errors by file. */
    size_t nfiles = 0;
    for (size_t i = 0; i < dag_folder_error_count(folder); i++)
        if (i == 0 ||
            strcmp(dag_folder_error(folder, i)->file, dag_folder_error(folder, i - 1)->file) != 0)
            nfiles++;
    if (nfiles)
        fprintf(stderr,
                "%zu DAG file%s with import errors: run `mallard dags list-import-errors`\n",
                nfiles, nfiles == 1 ? "" : "s");
    state_close(st);
    arena_free(&a);
    return EXIT_OK;
}

static int list_import_errors(dag_folder *folder)
{
    size_t n = dag_folder_error_count(folder);
    if (n == 0) {
        printf("No import errors\n");
        return EXIT_OK;
    }
    for (size_t i = 0; i < n; i++)
        printf("%s\n", dag_folder_error(folder, i)->message);
    return EXIT_HANDLED;
}

static int run_dags(cli_globals *g, int argc, const char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: mallard dags list | list-import-errors\n");
        return EXIT_SETUP;
    }
    const char *sub = argv[0];
    if (strcmp(sub, "list") != 0 && strcmp(sub, "list-import-errors") != 0) {
        fprintf(stderr,
                "mallard dags: '%s' is not supported yet (this build has list and "
                "list-import-errors)\n",
                sub);
        return EXIT_SETUP;
    }
    if (argc > 1) {
        fprintf(stderr, "mallard dags %s: unexpected argument '%s'\n", sub, argv[1]);
        return EXIT_SETUP;
    }
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    cli_sched_paths paths;
    int rc;
    if (!cli_sched_setup(&a, dags_folder_flag, &paths, &err)) {
        rc = cli_fail(&err);
        arena_free(&a);
        mlerr_clear(&err);
        return rc;
    }
    dag_folder *folder = dag_folder_new(paths.dags_folder);
    if (!dag_folder_refresh(folder, NULL, &err))
        rc = cli_fail(&err);
    else if (strcmp(sub, "list") == 0)
        rc = list_dags(&paths, folder);
    else
        rc = list_import_errors(folder);
    dag_folder_free(folder);
    arena_free(&a);
    mlerr_clear(&err);
    return rc;
}

const cli_command cmd_dags = {
    .name = "dags",
    .summary = "List the DAGs of the dags folder, or its import errors",
    .usage = "dags list | list-import-errors [--dags-folder DIR]",
    .options = dags_options,
    .run = run_dags,
    .description = "DAG files are YAML files in the dags folder (./dags, --dags-folder or "
                   "MALLARD_DAGS_FOLDER). `list` shows each DAG with its schedule; "
                   "`list-import-errors` shows every invalid file with file:line:col and "
                   "exits 1 when there is one.",
};
