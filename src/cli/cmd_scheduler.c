/* cmd_scheduler: `mallard scheduler [--dags-folder D] [--once]` -- runs the
 * scheduler loop over the dags folder with the dbt task runner, until
 * SIGINT/SIGTERM (or, with --once, until the runs due now are done). */
#include "cli/cli.h"
#include "cli/route_server.h"
#include "cli/sched_setup.h"
#include "cli/serve_setup.h"
#include "cli/setup.h"
#include "exec/sigwatch.h"
#include "sched/dbt_runner.h"
#include "sched/scheduler.h"
#include "util/log.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char *sched_dags_folder;
static bool sched_once;
static int sched_parallelism;
static int sched_task_threads;
static bool sched_serve;
static const char *sched_database;
static int sched_routed_jobs;
static serve_flags sched_serve_flags = SERVE_FLAGS_INIT;

static const cli_option scheduler_options[] = {
    {"dags-folder", 0, OPT_STRING, &sched_dags_folder, "MALLARD_DAGS_FOLDER", "DIR",
     "the folder of DAG files (default: ./dags)"},
    {"once", 0, OPT_FLAG, &sched_once, NULL, NULL,
     "create and run every run that is due, then exit (0 if all succeeded, 1 otherwise)"},
    {"parallelism", 0, OPT_INT, &sched_parallelism, "MALLARD_PARALLELISM", "N",
     "tasks running at once over all DAGs (default 32, Airflow's)"},
    {"task-threads", 0, OPT_INT, &sched_task_threads, "MALLARD_TASK_THREADS", "N",
     "worker threads inside one task that runs several dbt nodes (default 4)"},
    {"serve", 0, OPT_FLAG, &sched_serve, NULL, NULL,
     "also serve the database to PostgreSQL clients, as `mallard serve` does"},
    {"database", 0, OPT_STRING, &sched_database, "MALLARD_SERVE_DATABASE", "PATH",
     "open this DuckDB file from the start (default with --serve: the profile's database of "
     "--project-dir)"},
    SERVE_FLAG_OPTIONS(sched_serve_flags),
    ROUTED_JOBS_OPTION(sched_routed_jobs),
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

/* The database the scheduler holds from the start (--database, or with
 * --serve the profile's), and its pgwire endpoint on a thread of its own. */
typedef struct held_db {
    db *d;
    serve_endpoint ep;
    pthread_t thread;
    bool serving;
} held_db;

static void *serve_main(void *arg)
{
    server_run(arg);
    return NULL;
}

static bool hold_database(cli_globals *g, arena *a, route_server *jobs, held_db *h, mlerr *err)
{
    memset(h, 0, sizeof(*h));
    if (!sched_serve && !sched_database)
        return true;
    if (sched_serve && !serve_flags_check(&sched_serve_flags, err))
        return false;
    db_options o = {.path = sched_database, .lock_timeout = g->lock_timeout};
    cli_project p;
    if (!sched_database) {
        if (!cli_setup_project(g, a, &p, err))
            return false;
        o = cli_target_db_options(&p.target, g->lock_timeout);
        o.threads = p.target.threads;
    }
    if (!db_open(&o, &h->d, err))
        return false;
    if (!sched_serve)
        return true;
    if (!serve_endpoint_start(&sched_serve_flags, h->d, &h->ep, err))
        return false;
    signal(SIGPIPE, SIG_IGN);
    if (pthread_create(&h->thread, NULL, serve_main, h->ep.srv) != 0) {
        mlerr_set(err, EXIT_SETUP, "cannot start the pgwire endpoint's thread");
        return false;
    }
    h->serving = true;
    if (jobs)
        route_server_set_pgwire(jobs, h->ep.host, server_port(h->ep.srv),
                                server_socket_path(h->ep.srv));
    return true;
}

static void release_database(held_db *h)
{
    if (h->serving) {
        server_request_stop(h->ep.srv);
        pthread_join(h->thread, NULL);
    }
    serve_endpoint_free(&h->ep);
    if (h->d)
        db_close(h->d);
    memset(h, 0, sizeof(*h));
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
    /* A long-running process that allocates and frees per tick and per
     * task: keep freed memory instead of handing it back to the kernel at
     * once.  Each munmap/madvise makes the kernel flush the TLB of every
     * CPU running one of our threads, which cost more than the loop's own
     * work on a busy VM (bench/sched). */
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    /* The runner keeps the DAGs' databases open, so commands aimed at them
     * are routed here (route_server.h); after sigwatch_start, so the job
     * threads leave SIGINT/SIGTERM to the watcher. */
    route_server *jobs = NULL;
    if (!route_server_start("scheduler", sched_routed_jobs, &jobs, &err)) {
        log_warn("Jobs from other mallard commands cannot be taken: %s", mlerr_message(&err));
        mlerr_clear(&err);
    }
    held_db held;
    if (!hold_database(g, &a, jobs, &held, &err)) {
        rc = cli_fail(&err);
        release_database(&held);
        route_server_stop(jobs);
        sigwatch_stop(sw);
        arena_free(&a);
        mlerr_clear(&err);
        return rc;
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
        log_info("Scheduler %s: %d run(s) succeeded, %d failed, %d task tries, %lu dbt project "
                 "load(s), loop CPU %.2fs",
                 res.stopped ? "stopped" : "done", res.runs_succeeded, res.runs_failed,
                 res.tries_started, dbt_runner_project_loads(runner), res.loop_cpu_seconds);
    }
    scheduler_free(s);
    route_server_stop(jobs);
    release_database(&held);
    dbt_runner_free(runner);
    sigwatch_stop(sw);
    arena_free(&a);
    mlerr_clear(&err);
    return rc;
}

const cli_command cmd_scheduler = {
    .name = "scheduler",
    .summary = "Run the scheduler over the dags folder",
    .usage = "scheduler [--dags-folder DIR] [--once] [--parallelism N] [--routed-jobs N] [--serve "
             "[--database PATH] "
             "[--listen HOST:PORT] [--socket-dir DIR] [--auth-file FILE]]",
    .options = scheduler_options,
    .run = run_scheduler,
    .description =
        "Creates the DAG runs that are due (Airflow's data intervals, catchup and "
        "max_active_runs) and runs their dbt tasks, with retries and execution_timeout.  "
        "State lives in MALLARD_HOME (default .mallard beside the dags folder).  SIGINT or "
        "SIGTERM interrupts running tasks, which fail as Airflow's do on SIGTERM (up_for_retry "
        "when retries are left).  With --once it runs what "
        "is due now and exits 0 if every run succeeded, 1 otherwise.  From start-up (and whenever "
        "a DAG file changes) it opens each DAG's profile database and keeps it open; a DAG whose "
        "profile cannot be resolved is logged and skipped, a file another process holds is tried "
        "again every 5 s.  `mallard build|run|seed|test|debug|show` aimed at these files are sent "
        "here and run side by side, up to --routed-jobs at once (README: Sharing the "
        "database).  With --serve it also serves the database (--database, "
        "else "
        "the profile's) to PostgreSQL clients, with `mallard serve`'s options.",
};
