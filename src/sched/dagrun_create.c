/* dagrun_create: scheduled, manual and backfill run creation (see
 * dagrun_create.h). */
#include "sched/dagrun_create.h"

#include "sched/civil.h"

#include <string.h>

bool dag_next_dagrun_info(const dag_def *dag, const data_interval *last, int64_t now,
                          dagrun_info *out)
{
    time_restriction r = dag_time_restriction(dag);
    return timetable_next_dagrun_info(&dag->timetable, last, &r, now, out);
}

bool dagrun_create_due(state_store *st, const dag_def *dag, int64_t now, int *created, mlerr *err)
{
    if (created)
        *created = 0;
    bool paused;
    if (!state_dag_seen(st, dag->dag_id, dag->file, dag->is_paused_upon_creation, (double)now,
                        err) ||
        !state_dag_is_paused(st, dag->dag_id, &paused, err))
        return false;
    if (paused)
        return true;
    arena a = ARENA_INIT;
    data_interval last;
    bool has_last;
    bool ok = state_last_automated_interval(st, dag->dag_id, &last, &has_last, err);
    while (ok) {
        int active;
        dagrun_info info;
        if (!(ok = state_active_run_count(st, dag->dag_id, &active, err)))
            break;
        if (active >= dag->max_active_runs)
            break;
        if (!dag_next_dagrun_info(dag, has_last ? &last : NULL, now, &info) || info.run_after > now)
            break;
        dag_run run = {
            .dag_id = dag->dag_id,
            .run_id = state_make_run_id(&a, RUN_TYPE_SCHEDULED, info.interval.start),
            .type = RUN_TYPE_SCHEDULED,
            .state = DAGRUN_QUEUED,
            .logical_date = info.interval.start,
            .interval = info.interval,
            .conf = "{}",
            .queued_at = state_now(),
        };
        bool made;
        if (!(ok = state_run_create(st, &run, &made, err)))
            break;
        /* When the interval already has a run (a manual run at that logical
         * date, say), that run stands for it and scheduling moves on, as
         * Airflow advances next_dagrun past an existing run. */
        if (made && created)
            (*created)++;
        last = info.interval;
        has_last = true;
    }
    arena_free(&a);
    return ok;
}

bool dagrun_trigger(state_store *st, arena *a, const dag_def *dag, int64_t logical_date,
                    const char *conf, int64_t now, const char **run_id, mlerr *err)
{
    if (!state_dag_seen(st, dag->dag_id, dag->file, dag->is_paused_upon_creation, (double)now, err))
        return false;
    int64_t when = logical_date ? logical_date : now;
    dag_run run = {
        .dag_id = dag->dag_id,
        .run_id = state_make_run_id(a, RUN_TYPE_MANUAL, when),
        .type = RUN_TYPE_MANUAL,
        .state = DAGRUN_QUEUED,
        .logical_date = when,
        .interval = timetable_manual_interval(&dag->timetable, when),
        .conf = conf && *conf ? conf : "{}",
        .queued_at = state_now(),
    };
    bool made;
    if (!state_run_create(st, &run, &made, err))
        return false;
    if (!made) {
        char iso[CIVIL_ISO_MAX];
        civil_format_iso(when, 0, iso);
        mlerr_set(err, EXIT_HANDLED, "DAG '%s' already has a run with logical date %s", dag->dag_id,
                  iso);
        mlerr_hint(err, "pass another --logical-date, or clear the existing run");
        return false;
    }
    *run_id = run.run_id;
    return true;
}

/* The run holding logical_date, if any (its id in a). */
static bool run_at(state_store *st, arena *a, const char *dag_id, int64_t logical_date,
                   dag_run *out, bool *found, mlerr *err)
{
    dag_run *runs;
    size_t n;
    *found = false;
    if (!state_runs_list(st, a, dag_id, &runs, &n, err))
        return false;
    for (size_t i = 0; i < n && !*found; i++)
        if (runs[i].logical_date == logical_date) {
            *out = runs[i];
            *found = true;
        }
    return true;
}

bool dagrun_backfill(state_store *st, const dag_def *dag, int64_t start, int64_t end,
                     backfill_reprocess reprocess, backfill_result *out, mlerr *err)
{
    memset(out, 0, sizeof *out);
    if (start > end) {
        mlerr_set(err, EXIT_SETUP, "the backfill's start date is after its end date");
        return false;
    }
    if (dag->timetable.kind == SCHEDULE_NONE || dag->timetable.kind == SCHEDULE_ONCE) {
        mlerr_set(err, EXIT_SETUP, "DAG '%s' has no schedule intervals to backfill (schedule %s)",
                  dag->dag_id, dag->schedule ? dag->schedule : "null");
        return false;
    }
    if (!state_dag_seen(st, dag->dag_id, dag->file, dag->is_paused_upon_creation, state_now(), err))
        return false;
    time_restriction r = {.has_earliest = true,
                          .earliest = start,
                          .has_latest = true,
                          .latest = end,
                          .catchup = true};
    arena a = ARENA_INIT;
    bool ok = true;
    dagrun_info info;
    data_interval last;
    bool has_last = false;
    while (ok &&
           timetable_next_dagrun_info(&dag->timetable, has_last ? &last : NULL, &r, 0, &info)) {
        last = info.interval;
        has_last = true;
        dag_run run = {
            .dag_id = dag->dag_id,
            .run_id = state_make_run_id(&a, RUN_TYPE_BACKFILL, info.interval.start),
            .type = RUN_TYPE_BACKFILL,
            .state = DAGRUN_QUEUED,
            .logical_date = info.interval.start,
            .interval = info.interval,
            .conf = "{}",
            .queued_at = state_now(),
        };
        bool made;
        if (!(ok = state_run_create(st, &run, &made, err)))
            break;
        if (made) {
            out->created++;
            continue;
        }
        dag_run existing;
        bool found;
        if (!(ok = run_at(st, &a, dag->dag_id, info.interval.start, &existing, &found, err)))
            break;
        bool redo = found && (reprocess == REPROCESS_ALL ||
                              (reprocess == REPROCESS_FAILED && existing.state == DAGRUN_FAILED));
        if (!redo) {
            out->skipped++;
            continue;
        }
        int cleared;
        ok = state_clear_run(st, dag->dag_id, existing.run_id, reprocess == REPROCESS_FAILED,
                             dag->default_args.retries, &cleared, err);
        out->requeued += ok;
    }
    arena_free(&a);
    return ok;
}
