/* project_cache: the dbt project of each DAG run, loaded once and shared by
 * the run's tasks.
 *
 * A DAG run renders its vars once, so every task of the run would load the
 * same project; loading it per task costs the whole parse every time.  The
 * cache keeps one loaded project per (dag_id, run_id) -- with the profile
 * target it was resolved against and the `flags` dict of each task kind --
 * and hands it out by reference.  A cached project is read-only once it is
 * published: tasks running at the same time select, plan and render from it
 * (rendering reads the dbt_env only; each task's flags travel with its
 * renders, see exec_compile_ctx), and nothing writes into its nodes.
 *
 * An entry goes when its run ends (project_cache_forget) or when the
 * project's files change: an acquire re-stamps the project's files (mtime
 * and size of dbt_project.yml, profiles.yml and every file under its
 * resource paths) at most once a second and reloads on a difference.  An
 * entry dropped while tasks hold it dies with the last release.
 *
 * lock guards the entry list, and every entry's refs, loading and stamp
 * fields; loading and stamping happen outside it. */
#ifndef MALLARD_SCHED_PROJECT_CACHE_H
#define MALLARD_SCHED_PROJECT_CACHE_H

#include "project/graph.h"
#include "sched/dbt_tasks.h"
#include "util/error.h"

#include <stdbool.h>

typedef struct project_cache project_cache;

/* What a run's project is loaded from; entries match on every field. */
typedef struct project_key {
    const char *dag_id, *run_id;
    const char *project_dir;                     /* absolute */
    const char *profiles_dir, *profile, *target; /* NULL: the defaults */
    const char *vars_yaml;                       /* NULL: none */
} project_key;

/* A reference to a cached project; valid until project_cache_release. */
typedef struct cached_project {
    const project *p;
    const dbt_target *target;
    struct cache_entry *entry;
} cached_project;

project_cache *project_cache_new(void);
/* Every reference must have been released. */
void project_cache_free(project_cache *c);

/* The run's project, loading it (or reloading it when its files changed).
 * The error of a failed load names the file, line and column. */
bool project_cache_acquire(project_cache *c, const project_key *k, cached_project *out, mlerr *err);
void project_cache_release(project_cache *c, cached_project *cp);
/* The frozen `flags` dict for a task of this kind (flags.WHICH). */
jv project_cache_flags(const cached_project *cp, dbt_task_kind kind, bool full_refresh);
/* Drops the run's entry (its run ended); holders keep theirs until released. */
void project_cache_forget(project_cache *c, const char *dag_id, const char *run_id);

/* Loads so far (for tests and the bench: one per run, unless files change). */
unsigned long project_cache_loads(project_cache *c);

#endif
