/* cmd_clear: `mallard clear DAG RUN_ID [-t TASK_REGEX] [--downstream]
 * [--only-failed]` -- Airflow's `tasks clear` for one run.
 *
 * Cleared task instances go back to state none with their retries renewed
 * (try numbers carry on), and the run goes back to queued, so the scheduler
 * -- running or the next one started -- runs them again.  A task instance
 * that is running becomes restarting, as Airflow's clear makes it: the
 * scheduler running it interrupts the try and starts the next one, which
 * costs no retry (state_clear_tasks).  -t picks task ids
 * by a POSIX extended regex matched anywhere in the id (Airflow's re search);
 * --downstream adds every task downstream of those picked, which needs the
 * run's task graph, so the DAG's dbt project is loaded for it; --only-failed
 * keeps only failed and upstream_failed ones.  The store takes writes while
 * a scheduler runs (state.h), so this never waits for the scheduler. */
#include "cli/cli.h"
#include "cli/sched_setup.h"
#include "sched/dag_vars.h"
#include "sched/dagfolder.h"
#include "sched/dbt_runner.h"
#include "sched/state.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *clear_dags_folder, *clear_task_regex;
static bool clear_downstream, clear_only_failed;

static const cli_option clear_options[] = {
    {"dags-folder", 0, OPT_STRING, &clear_dags_folder, "MALLARD_DAGS_FOLDER", "DIR",
     "the folder of DAG files (default: ./dags)"},
    {"task-regex", 't', OPT_STRING, &clear_task_regex, NULL, "REGEX",
     "clear only the tasks whose id matches (POSIX extended regex, searched)"},
    {"downstream", 'd', OPT_FLAG, &clear_downstream, NULL, NULL,
     "also clear every task downstream of those matched"},
    {"only-failed", 'f', OPT_FLAG, &clear_only_failed, NULL, NULL,
     "clear only failed and upstream_failed tasks"},
    {0},
};

/* The run's task graph, rendered as the scheduler renders it. */
static bool run_task_graph(arena *a, const dag_def *dag, const dag_run *run, dbt_task_graph *g,
                           mlerr *err)
{
    const char *vars = NULL;
    if (!dag_vars_render(a, dag, run, &vars, err))
        return false;
    dbt_runner *r = dbt_runner_new(1);
    task_runner tr = dbt_runner_iface(r);
    bool ok = tr.tasks(tr.userdata, dag, run, vars, a, g, err);
    tr.run_ended(tr.userdata, run->dag_id, run->run_id);
    dbt_runner_free(r);
    return ok;
}

/* Marks every task downstream of a marked one (the graph is small: a
 * fixed point over the upstream lists). */
static void mark_downstream(const dbt_task_graph *g, bool *marked)
{
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t i = 0; i < g->n; i++) {
            if (marked[i])
                continue;
            for (size_t u = 0; u < g->tasks[i].nupstream && !marked[i]; u++)
                marked[i] = marked[g->tasks[i].upstream[u]];
            grew |= marked[i];
        }
    }
}

static bool is_failed(ti_state s)
{
    return s == TI_FAILED || s == TI_UPSTREAM_FAILED;
}

/* The task ids -t (and --downstream, --only-failed) pick among the run's. */
static bool pick_tasks(arena *a, const dag_def *dag, const dag_run *run, const task_instance *tis,
                       size_t nti, const char ***ids, size_t *nids, mlerr *err)
{
    regex_t re;
    int rc = regcomp(&re, clear_task_regex, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[256];
        regerror(rc, &re, msg, sizeof msg);
        mlerr_set(err, EXIT_SETUP, "bad --task-regex '%s': %s", clear_task_regex, msg);
        return false;
    }
    *ids = arena_alloc(a, (nti ? nti : 1) * sizeof(char *));
    *nids = 0;
    bool ok = true;
    if (!clear_downstream) {
        for (size_t i = 0; i < nti; i++) {
            if (regexec(&re, tis[i].task_id, 0, NULL, 0) == 0 &&
                (!clear_only_failed || is_failed(tis[i].state)))
                (*ids)[(*nids)++] = tis[i].task_id;
        }
    } else {
        dbt_task_graph g;
        ok = run_task_graph(a, dag, run, &g, err);
        bool *marked = ok ? xcalloc(g.n ? g.n : 1, sizeof(bool)) : NULL;
        for (size_t i = 0; ok && i < g.n; i++)
            marked[i] = regexec(&re, g.tasks[i].task_id, 0, NULL, 0) == 0;
        if (ok)
            mark_downstream(&g, marked);
        for (size_t i = 0; ok && i < nti; i++) {
            long k = dbt_tasks_find(&g, tis[i].task_id);
            if (k >= 0 && marked[k] && (!clear_only_failed || is_failed(tis[i].state)))
                (*ids)[(*nids)++] = tis[i].task_id;
        }
        free(marked);
    }
    regfree(&re);
    return ok;
}

static int run_clear(cli_globals *gl, int argc, const char **argv)
{
    (void)gl;
    if (argc != 2) {
        fprintf(stderr, "usage: mallard clear DAG_ID RUN_ID [-t TASK_REGEX] [--downstream] "
                        "[--only-failed]\n");
        return EXIT_SETUP;
    }
    const char *dag_id = argv[0], *run_id = argv[1];
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    cli_sched_paths paths;
    dag_folder *folder = NULL;
    state_store *st = NULL;
    const dag_def *dag = NULL;
    dag_run run;
    bool found = false;
    int cleared = 0;
    int rc = EXIT_OK;
    if (!cli_sched_setup(&a, clear_dags_folder, &paths, &err))
        goto fail;
    folder = dag_folder_new(paths.dags_folder);
    if (!dag_folder_refresh(folder, NULL, &err))
        goto fail;
    dag = dag_folder_find(folder, dag_id);
    if (!dag) {
        mlerr_set(&err, EXIT_SETUP, "unknown dag_id '%s'", dag_id);
        mlerr_hint(&err, "`mallard dags list` shows the DAGs of %s", paths.dags_folder);
        goto fail;
    }
    if (!fs_is_file(fs_join(&a, paths.home, "mallard.db"))) {
        mlerr_set(&err, EXIT_SETUP, "unknown run_id '%s' for DAG '%s' (nothing has run yet)",
                  run_id, dag_id);
        goto fail;
    }
    st = state_open(paths.home, &err);
    if (!st || !state_run_get(st, &a, dag_id, run_id, &run, &found, &err))
        goto fail;
    if (!found) {
        mlerr_set(&err, EXIT_SETUP, "unknown run_id '%s' for DAG '%s'", run_id, dag_id);
        mlerr_hint(&err, "`mallard runs %s` lists its runs", dag_id);
        goto fail;
    }
    int retries = dag->default_args.retries;
    if (!clear_task_regex) {
        if (!state_clear_run(st, dag_id, run_id, clear_only_failed, retries, &cleared, &err))
            goto fail;
    } else {
        task_instance *tis = NULL;
        size_t nti = 0, nids = 0;
        const char **ids = NULL;
        if (!state_tis_list(st, &a, dag_id, run_id, &tis, &nti, &err) ||
            !pick_tasks(&a, dag, &run, tis, nti, &ids, &nids, &err) ||
            (nids > 0 &&
             !state_clear_tasks(st, dag_id, run_id, ids, nids, retries, &cleared, &err)))
            goto fail;
    }
    printf("Cleared %d task instance(s) of %s %s\n", cleared, dag_id, run_id);
    goto out;
fail:
    rc = cli_fail(&err);
out:
    state_close(st);
    dag_folder_free(folder);
    arena_free(&a);
    mlerr_clear(&err);
    return rc;
}

const cli_command cmd_clear = {
    .name = "clear",
    .summary = "Clear a DAG run's task instances so the scheduler runs them again",
    .usage = "clear DAG_ID RUN_ID [-t TASK_REGEX] [--downstream] [--only-failed] "
             "[--dags-folder DIR]",
    .options = clear_options,
    .run = run_clear,
};
