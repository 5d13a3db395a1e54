/* sched_show: helpers for runs, tasks and logs (see sched_show.h). */
#include "cli/sched_show.h"

#include "sched/civil.h"
#include "sched/dagfolder.h"
#include "util/fs.h"

#include <math.h>
#include <stdio.h>

bool cli_sched_open_for_dag(arena *a, const char *dags_folder_flag, const char *dag_id,
                            cli_sched_paths *paths, state_store **st, mlerr *err)
{
    *st = NULL;
    if (!cli_sched_setup(a, dags_folder_flag, paths, err))
        return false;
    dag_folder *folder = dag_folder_new(paths->dags_folder);
    bool in_folder = dag_folder_refresh(folder, NULL, err) && dag_folder_find(folder, dag_id);
    dag_folder_free(folder);
    mlerr_clear(err);
    bool in_store = false;
    if (fs_is_file(fs_join(a, paths->home, "mallard.db"))) {
        *st = state_open(paths->home, err);
        if (!*st)
            return false;
        bool paused;
        in_store = state_dag_is_paused(*st, dag_id, &paused, err);
        mlerr_clear(err);
    }
    if (!in_folder && !in_store) {
        state_close(*st);
        *st = NULL;
        mlerr_set(err, EXIT_SETUP, "unknown dag_id '%s'", dag_id);
        mlerr_hint(err, "`mallard dags list` shows the DAGs of %s", paths->dags_folder);
        return false;
    }
    return true;
}

const char *cli_format_stamp(double t, char *buf)
{
    if (t <= 0) {
        buf[0] = 0;
        return buf;
    }
    civil_time ct;
    civil_from_seconds((int64_t)floor(t), &ct);
    snprintf(buf, 32, "%04d-%02d-%02d %02d:%02d:%02d", ct.year % 10000, ct.month, ct.day, ct.hour,
             ct.minute, ct.second);
    return buf;
}

const char *cli_format_duration(double s, char *buf)
{
    if (s <= 0 || s != s) {
        buf[0] = 0;
    } else if (s < 60) {
        snprintf(buf, 32, "%.2fs", s);
    } else if (s < 3600) {
        snprintf(buf, 32, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    } else {
        snprintf(buf, 32, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    }
    return buf;
}
