/* sched_state: drives the scheduler's state store the way the scheduler
 * loop will, so integration tests can exercise runs/tasks/logs, the
 * instance lock and crash recovery with real processes before the loop
 * exists.
 *   sched_state HOME tis DAG RUN TASK[:RETRIES]...   create task instances
 *   sched_state HOME try DAG RUN TASK STATE [TEXT]   run one try: log TEXT,
 *                                                    end success/failed/up_for_retry
 *   sched_state HOME hold DAG RUN TASK               take the scheduler lock,
 *                                                    start a try, print "ready", wait
 *   sched_state HOME recover                         take the lock, recover orphans
 *   sched_state HOME tries DAG RUN                   every try: "task try state start end"
 *                                                    (UTC seconds, microseconds)
 *   sched_state HOME runs DAG                        every run: "run_id state start end" */
#include "sched/instance_lock.h"
#include "sched/state.h"
#include "sched/task_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(mlerr *err)
{
    fprintf(stderr, "sched_state: %s\n", mlerr_message(err));
    mlerr_clear(err);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: sched_state HOME tis|try|hold|recover ...\n");
        return 2;
    }
    const char *home = argv[1], *cmd = argv[2];
    mlerr err = MLERR_INIT;
    instance_lock lock = {.fd = -1};
    if ((strcmp(cmd, "hold") == 0 || strcmp(cmd, "recover") == 0) &&
        !instance_lock_acquire(home, &lock, &err))
        return fail(&err);
    state_store *st = state_open(home, &err);
    if (!st)
        return fail(&err);
    int rc = 0;
    arena a = ARENA_INIT;
    if (strcmp(cmd, "tis") == 0 && argc >= 6) {
        for (int i = 5; i < argc && rc == 0; i++) {
            char *task = arena_strdup(&a, argv[i]);
            char *colon = strchr(task, ':');
            int retries = colon ? atoi(colon + 1) : 0;
            if (colon)
                *colon = 0;
            const char *ids[] = {task};
            if (!state_tis_create(st, argv[3], argv[4], ids, &retries, 1, &err))
                rc = fail(&err);
        }
    } else if ((strcmp(cmd, "try") == 0 && argc >= 7) || (strcmp(cmd, "hold") == 0 && argc == 6)) {
        int attempt;
        ti_state end = TI_SUCCESS;
        if (strcmp(cmd, "try") == 0 && !ti_state_parse(argv[6], &end)) {
            fprintf(stderr, "sched_state: bad state %s\n", argv[6]);
            rc = 2;
        } else if (!state_run_set_state(st, argv[3], argv[4], DAGRUN_RUNNING, state_now(), &err) ||
                   !state_ti_begin_try(st, argv[3], argv[4], argv[5], state_now(), &attempt, NULL,
                                       &err)) {
            rc = fail(&err);
        } else {
            const char *path = task_log_path(&a, home, argv[3], argv[4], argv[5], attempt);
            FILE *log = task_log_prepare(path, &err) ? fopen(path, "w") : NULL;
            if (log) {
                fprintf(log, "try %d of %s: %s\n", attempt, argv[5], argc > 7 ? argv[7] : "");
                fclose(log);
            }
            if (strcmp(cmd, "hold") == 0) {
                printf("ready\n");
                fflush(stdout);
                for (;;)
                    pause();
            }
            if (!state_ti_end_try(st, argv[3], argv[4], argv[5], end, state_now() + 0.25,
                                  state_now() + 60, NULL, &err))
                rc = fail(&err);
        }
    } else if (strcmp(cmd, "tries") == 0 && argc == 5) {
        task_try *tries;
        size_t n;
        if (!state_tries_list(st, &a, argv[3], argv[4], &tries, &n, &err))
            rc = fail(&err);
        for (size_t i = 0; rc == 0 && i < n; i++)
            printf("%s %d %s %.6f %.6f\n", tries[i].task_id, tries[i].try_number,
                   ti_state_name(tries[i].state), tries[i].start_date, tries[i].end_date);
    } else if (strcmp(cmd, "runs") == 0 && argc == 4) {
        dag_run *runs;
        size_t n;
        if (!state_runs_list(st, &a, argv[3], &runs, &n, &err))
            rc = fail(&err);
        for (size_t i = 0; rc == 0 && i < n; i++)
            printf("%s %s %.6f %.6f\n", runs[i].run_id, dagrun_state_name(runs[i].state),
                   runs[i].start_date, runs[i].end_date);
    } else if (strcmp(cmd, "recover") == 0) {
        orphan_counts rec;
        if (!state_recover_orphans(st, state_now(), NULL, NULL, &rec, &err))
            rc = fail(&err);
        else
            printf("recovered: %d up_for_retry, %d failed\n", rec.up_for_retry, rec.failed);
    } else {
        fprintf(stderr, "sched_state: bad arguments\n");
        rc = 2;
    }
    arena_free(&a);
    state_close(st);
    instance_lock_release(&lock);
    return rc;
}
