/* cmd_scheduler: `mallard scheduler [--dags-folder D] [--once]` -- runs the
 * scheduler loop over the dags folder with the dbt task runner, until
 * SIGINT/SIGTERM (or, with --once, until the runs due now are done). */
#include "cli/cli.h"
#include "cli/route_server.h"
#include "cli/sched_setup.h"
#include "exec/sigwatch.h"
#include "sched/dbt_runner.h"
#include "sched/scheduler.h"
#include "util/log.h"

#include <pthread.h>
#include <stdio.h>

static const char *sched_dags_folder;
static bool sched_once;
static int sched_parallelism;
static int sched_task_threads;

static const cli_option scheduler_options[] = {
    {"dags-folder", 0, OPT_STRING, &sched_dags_folder, "MALLARD_DAGS_FOLDER", "DIR",
     "the folder of DAG files (default: ./dags)"},
    {"once", 0, OPT_FLAG, &sched_once, NULL, NULL,
     "create and run every run that is due, then exit (0 if all succeeded, 1 otherwise)"},
    {"parallelism", 0, OPT_INT, &sched_parallelism, "MALLARD_PARALLELISM", "N",
     "tasks running at once over all DAGs (default 32, Airflow's)"},
    {"task-threads", 0, OPT_INT, &sched_task_threads, "MALLARD_TASK_THREADS", "N",
     "worker threads inside one task that runs several dbt nodes (default 4)"},
    {0},
};

/* The signal watcher starts before the scheduler exists (it must precede
 * every other thread), so it reaches the scheduler through this. */
typedef struct stop_box {
    pthread_mutex_t mu; /* guards s */
    scheduler *s;
} stop_box;

static void on_signal(void *ctx, int signo)
{
    (void)signo;
    stop_box *b = ctx;
    pthread_mutex_lock(&b->mu);
    if (b->s)
        scheduler_stop(b->s);
    pthread_mutex_unlock(&b->mu);
}

static int run_scheduler(cli_globals *g, int argc, const char **argv)
{
    (void)g, (void)argv;
    if (argc != 0) {
        fprintf(stderr, "usage: mallard scheduler [--dags-folder DIR] [--once]\n");
        return EXIT_SETUP;
    }
    arena a = ARENA_INIT;
    mlerr err = MLERR_INIT;
    stop_box box = {.mu = PTHREAD_MUTEX_INITIALIZER};
    sigwatch *sw = NULL;
    cli_sched_paths paths;
    int rc = EXIT_OK;
    if (!cli_sched_setup(&a, sched_dags_folder, &paths, &err) ||
        !sigwatch_start(on_signal, &box, &sw, &err)) {
        rc = cli_fail(&err);
        arena_free(&a);
        mlerr_clear(&err);
        return rc;
    }
    /* The runner keeps the DAGs' databases open, so commands aimed at them
     * are routed here (route_server.h); after sigwatch_start, so the job
     * threads leave SIGINT/SIGTERM to the watcher. */
    route_server *jobs = NULL;
    if (!route_server_start("scheduler", &jobs, &err)) {
        log_warn("Jobs from other mallard commands cannot be taken: %s", mlerr_message(&err));
        mlerr_clear(&err);
    }
    dbt_runner *runner = dbt_runner_new(sched_task_threads > 0 ? sched_task_threads : 4);
    scheduler_opts o = {.home = paths.home,
                        .dags_folder = paths.dags_folder,
                        .once = sched_once,
                        .parallelism = sched_parallelism > 0 ? sched_parallelism : 32,
                        .runner = dbt_runner_iface(runner)};
    scheduler *s = NULL;
    scheduler_result res = {0};
    if (!scheduler_new(&o, &s, &err)) {
        rc = cli_fail(&err);
    } else {
        log_info("Scheduler started: dags folder %s, MALLARD_HOME %s%s", paths.dags_folder,
                 paths.home, sched_once ? " (--once)" : "");
        pthread_mutex_lock(&box.mu);
        box.s = s;
        pthread_mutex_unlock(&box.mu);
        if (sigwatch_received(sw))
            scheduler_stop(s);
        bool ok = scheduler_run(s, &res, &err);
        pthread_mutex_lock(&box.mu);
        box.s = NULL;
        pthread_mutex_unlock(&box.mu);
        if (!ok)
            rc = cli_fail(&err);
        else if (res.stopped)
            rc = EXIT_SETUP;
        else if (res.runs_failed > 0)
            rc = EXIT_HANDLED;
        log_info("Scheduler %s: %d run(s) succeeded, %d failed, %d task tries",
                 res.stopped ? "stopped" : "done", res.runs_succeeded, res.runs_failed,
                 res.tries_started);
    }
    scheduler_free(s);
    route_server_stop(jobs);
    dbt_runner_free(runner);
    sigwatch_stop(sw);
    arena_free(&a);
    mlerr_clear(&err);
    return rc;
}

const cli_command cmd_scheduler = {
    .name = "scheduler",
    .summary = "Run the scheduler over the dags folder",
    .usage = "scheduler [--dags-folder DIR] [--once] [--parallelism N]",
    .options = scheduler_options,
    .run = run_scheduler,
    .description =
        "Creates the DAG runs that are due (Airflow's data intervals, catchup and "
        "max_active_runs) and runs their dbt tasks, with retries and execution_timeout.  "
        "State lives in MALLARD_HOME (default .mallard beside the dags folder).  SIGINT or "
        "SIGTERM interrupts running tasks and marks them for retry.  With --once it runs what "
        "is due now and exits 0 if every run succeeded, 1 otherwise.",
};
