/* cmd_dags: `mallard dags list | list-import-errors | pause | unpause |
 * next-execution | trigger`.
 *
 * All parse the dags folder; none needs a running scheduler.  list shows
 * whether a DAG is paused from the state store when one exists, else what
 * the file says for a new DAG.  list-import-errors exits 1 when there are
 * errors so CI can gate on it (Airflow's exits 0).  trigger queues a manual
 * run in the state store for the scheduler to start; --logical-date without
 * an offset is UTC, as Airflow's CLI reads it.  backfill queues runs as
 * Airflow 3 does (the scheduler runs them); its dates are in the DAG's zone. */
#include "cli/cli.h"
#include "cli/sched_setup.h"
#include "sched/dagfolder.h"
#include "sched/state.h"
#include "util/fs.h"

#include "sched/civil.h"
#include "sched/dagrun_create.h"
#include "sched/tz.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *dags_folder_flag, *conf_flag, *logical_date_flag;
static const char *start_date_flag, *end_date_flag, *reprocess_flag;

static const cli_option dags_options[] = {
    {"dags-folder", 0, OPT_STRING, &dags_folder_flag, "MALLARD_DAGS_FOLDER", "DIR",
     "the folder of DAG files (default: ./dags)"},
    {"conf", 'c', OPT_STRING, &conf_flag, NULL, "JSON",
     "trigger: the run's conf, a JSON object (dag_run.conf)"},
    {"logical-date", 'e', OPT_STRING, &logical_date_flag, NULL, "DATE",
     "trigger: the run's logical date (default: now; UTC unless it has an offset)"},
    {"start-date", 's', OPT_STRING, &start_date_flag, NULL, "DATE",
     "backfill: the first logical date (in the DAG's time zone unless it has an offset)"},
    {"end-date", 0, OPT_STRING, &end_date_flag, NULL, "DATE", "backfill: the last logical date"},
    {"reprocess", 0, OPT_STRING, &reprocess_flag, NULL, "failed|all",
     "backfill: also clear and rerun existing runs that failed, or all of them"},
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

static const dag_def *find_dag(dag_folder *folder, const char *dag_id, mlerr *err)
{
    const dag_def *dag = dag_folder_find(folder, dag_id);
    if (!dag) {
        mlerr_set(err, EXIT_SETUP, "unknown dag_id '%s'", dag_id);
        if (dag_folder_error_count(folder))
            mlerr_hint(err, "it may be in a file with import errors: run `mallard dags "
                            "list-import-errors`");
        else
            mlerr_hint(err, "`mallard dags list` shows the DAGs of the dags folder");
    }
    return dag;
}

static int set_paused(const cli_sched_paths *paths, const dag_def *dag, bool paused, mlerr *err)
{
    state_store *st = state_open(paths->home, err);
    if (!st ||
        !state_dag_seen(st, dag->dag_id, dag->file, dag->is_paused_upon_creation, state_now(),
                        err) ||
        !state_dag_set_paused(st, dag->dag_id, paused, err)) {
        state_close(st);
        return cli_fail(err);
    }
    state_close(st);
    printf("Dag: %s, paused: %s\n", dag->dag_id, paused ? "True" : "False");
    return EXIT_OK;
}

static int next_execution(const cli_sched_paths *paths, const dag_def *dag, mlerr *err)
{
    arena a = ARENA_INIT;
    state_store *st = NULL;
    data_interval last;
    bool has_last = false, paused = dag->is_paused_upon_creation;
    if (fs_is_file(fs_join(&a, paths->home, "mallard.db"))) {
        st = state_open(paths->home, err);
        if (!st || !state_last_automated_interval(st, dag->dag_id, &last, &has_last, err)) {
            state_close(st);
            arena_free(&a);
            return cli_fail(err);
        }
        if (!state_dag_is_paused(st, dag->dag_id, &paused, err))
            mlerr_clear(err); /* not registered yet */
    }
    state_close(st);
    arena_free(&a);
    if (paused)
        fprintf(stderr, "Please be reminded this DAG is PAUSED now.\n");
    dagrun_info info;
    if (!dag_next_dagrun_info(dag, has_last ? &last : NULL, (int64_t)state_now(), &info)) {
        printf("None\n");
        return EXIT_OK;
    }
    char iso[CIVIL_ISO_MAX];
    civil_format_iso(info.interval.start, 0, iso);
    printf("%s\n", iso);
    return EXIT_OK;
}

static int trigger(const cli_sched_paths *paths, const dag_def *dag, mlerr *err)
{
    int64_t logical = 0;
    if (logical_date_flag && *logical_date_flag) {
        civil_time ct;
        bool has_offset;
        int offset;
        if (!civil_parse_iso(logical_date_flag, &ct, &has_offset, &offset)) {
            mlerr_set(err, EXIT_SETUP,
                      "--logical-date '%s' is not a date or date-time such as 2025-01-01 or "
                      "2025-01-01T06:00:00+00:00",
                      logical_date_flag);
            return cli_fail(err);
        }
        logical = civil_to_seconds(&ct) - offset;
    }
    if (conf_flag && *conf_flag) {
        json_error_t jerr;
        json_t *conf = json_loads(conf_flag, 0, &jerr);
        bool is_object = conf && json_is_object(conf);
        json_decref(conf);
        if (!is_object) {
            mlerr_set(err, EXIT_SETUP, "--conf must be a JSON object, such as '{\"key\": 1}'%s%s",
                      conf ? "" : ": ", conf ? "" : jerr.text);
            return cli_fail(err);
        }
    }
    state_store *st = state_open(paths->home, err);
    arena a = ARENA_INIT;
    const char *run_id;
    if (!st ||
        !dagrun_trigger(st, &a, dag, logical, conf_flag, (int64_t)state_now(), &run_id, err)) {
        state_close(st);
        arena_free(&a);
        return cli_fail(err);
    }
    printf("Created run %s of DAG %s (queued: the scheduler starts it)\n", run_id, dag->dag_id);
    state_close(st);
    arena_free(&a);
    return EXIT_OK;
}

extern const cli_command cmd_dags;

/* A backfill bound: an ISO date in the DAG's zone unless it has an offset. */
static bool backfill_bound(const dag_def *dag, const char *flag, const char *text, int64_t *out,
                           mlerr *err)
{
    civil_time ct;
    bool has_offset;
    int offset;
    if (!text || !*text) {
        mlerr_set(err, EXIT_SETUP, "backfill needs --%s", flag);
        return false;
    }
    if (!civil_parse_iso(text, &ct, &has_offset, &offset)) {
        mlerr_set(err, EXIT_SETUP, "--%s '%s' is not a date or date-time such as 2025-01-01", flag,
                  text);
        return false;
    }
    int64_t local = civil_to_seconds(&ct);
    *out = has_offset ? local - offset : tz_local_to_utc(dag->timetable.zone, local);
    return true;
}

static int backfill(const cli_sched_paths *paths, const dag_def *dag, mlerr *err)
{
    int64_t start, end;
    backfill_reprocess reprocess = REPROCESS_NONE;
    if (!backfill_bound(dag, "start-date", start_date_flag, &start, err) ||
        !backfill_bound(dag, "end-date", end_date_flag, &end, err))
        return cli_fail(err);
    if (reprocess_flag && strcmp(reprocess_flag, "failed") == 0) {
        reprocess = REPROCESS_FAILED;
    } else if (reprocess_flag && strcmp(reprocess_flag, "all") == 0) {
        reprocess = REPROCESS_ALL;
    } else if (reprocess_flag && *reprocess_flag && strcmp(reprocess_flag, "none") != 0) {
        mlerr_set(err, EXIT_SETUP, "--reprocess takes failed or all, not '%s'", reprocess_flag);
        return cli_fail(err);
    }
    state_store *st = state_open(paths->home, err);
    backfill_result r;
    if (!st || !dagrun_backfill(st, dag, start, end, reprocess, &r, err)) {
        state_close(st);
        return cli_fail(err);
    }
    state_close(st);
    printf("Backfill of %s: %d run%s created, %d requeued, %d left as they were (queued: the "
           "scheduler runs them)\n",
           dag->dag_id, r.created, r.created == 1 ? "" : "s", r.requeued, r.skipped);
    return EXIT_OK;
}

static int run_dags(cli_globals *g, int argc, const char **argv)
{
    static const char *const subcommands[] = {
        "list",    "list-import-errors", "pause", "unpause", "next-execution",
        "trigger", "backfill",           NULL,
    };
    if (argc < 1) {
        fprintf(stderr, "usage: mallard %s\n", cmd_dags.usage);
        return EXIT_SETUP;
    }
    const char *sub = argv[0];
    bool known = false, needs_dag = strcmp(sub, "list") != 0 && strcmp(sub, "list-import-errors");
    for (const char *const *p = subcommands; *p; p++)
        known = known || strcmp(*p, sub) == 0;
    if (!known) {
        fprintf(stderr,
                "mallard dags: '%s' is not a dags subcommand (list, list-import-errors, pause, "
                "unpause, next-execution, trigger, backfill)\n",
                sub);
        return EXIT_SETUP;
    }
    if (argc != (needs_dag ? 2 : 1)) {
        fprintf(stderr, "usage: mallard dags %s%s\n", sub, needs_dag ? " DAG_ID" : "");
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
    const dag_def *dag = NULL;
    if (!dag_folder_refresh(folder, NULL, &err))
        rc = cli_fail(&err);
    else if (strcmp(sub, "list") == 0)
        rc = list_dags(&paths, folder);
    else if (strcmp(sub, "list-import-errors") == 0)
        rc = list_import_errors(folder);
    else if (!(dag = find_dag(folder, argv[1], &err)))
        rc = cli_fail(&err);
    else if (strcmp(sub, "pause") == 0 || strcmp(sub, "unpause") == 0)
        rc = set_paused(&paths, dag, strcmp(sub, "pause") == 0, &err);
    else if (strcmp(sub, "next-execution") == 0)
        rc = next_execution(&paths, dag, &err);
    else if (strcmp(sub, "backfill") == 0)
        rc = backfill(&paths, dag, &err);
    else
        rc = trigger(&paths, dag, &err);
    dag_folder_free(folder);
    arena_free(&a);
    mlerr_clear(&err);
    return rc;
}

const cli_command cmd_dags = {
    .name = "dags",
    .summary = "List, pause, unpause or trigger the DAGs of the dags folder",
    .usage = "dags list | list-import-errors | pause DAG | unpause DAG | next-execution DAG | "
             "trigger DAG [--conf JSON] [--logical-date D] | backfill DAG --start-date D "
             "--end-date D [--reprocess failed|all]",
    .options = dags_options,
    .run = run_dags,
    .description = "DAG files are YAML files in the dags folder (./dags, --dags-folder or "
                   "MALLARD_DAGS_FOLDER); state lives in MALLARD_HOME (.mallard beside the "
                   "dags folder). `list` shows each DAG with its schedule; "
                   "`list-import-errors` shows every invalid file with file:line:col and "
                   "exits 1 when there is one; `next-execution` prints the logical date of "
                   "the next scheduled run; `trigger` queues a manual run; `backfill` queues a "
                   "run for every interval between two dates.",
};
