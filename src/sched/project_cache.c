/* project_cache: one loaded dbt project per DAG run (see project_cache.h). */
#include "sched/project_cache.h"

#include "project/compile.h"
#include "project/dbt_context.h"
#include "project/dbt_project.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define KIND_COUNT      (DBT_TASK_BUILD + 1)
#define RESTAMP_SECONDS 1.0
#define MAX_WALK_DEPTH  32

typedef struct cache_entry {
    struct cache_entry *next;
    arena a; /* the key's copies, the target, the flags */
    project_key key;
    dbt_target target;
    project *p;
    jv flags[KIND_COUNT][2];
    uint64_t stamp;
    double stamped_at; /* monotonic seconds */
    int refs;
    bool loading;  /* being loaded by one acquirer: others wait on loaded */
    bool detached; /* out of the list: freed by its last release */
} cache_entry;

struct project_cache {
    pthread_mutex_t lock;  /* guards entries and every entry's refs/loading/stamp */
    pthread_cond_t loaded; /* an entry stopped loading */
    cache_entry *entries;
    unsigned long loads;
};

static double monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- the files' stamp ------------------------------------------------------ */

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Order-independent: readdir's order is not promised to stay the same. */
static void stamp_file(uint64_t *stamp, const char *path, const struct stat *st)
{
    uint64_t h = fnv1a(14695981039346656037ull, path, strlen(path));
    int64_t fields[3] = {(int64_t)st->st_mtim.tv_sec, (int64_t)st->st_mtim.tv_nsec,
                         (int64_t)st->st_size};
    h = fnv1a(h, fields, sizeof fields);
    *stamp += h * 0x9E3779B97F4A7C15ull + 1;
}

static void stamp_tree(uint64_t *stamp, const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        *stamp += fnv1a(7, path, strlen(path)); /* absent counts too */
        return;
    }
    stamp_file(stamp, path, &st);
    if (!S_ISDIR(st.st_mode) || depth >= MAX_WALK_DEPTH)
        return;
    DIR *d = opendir(path);
    if (!d)
        return;
    strbuf child = STRBUF_INIT;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        strbuf_reset(&child);
        strbuf_addf(&child, "%s/%s", path, e->d_name);
        stamp_tree(stamp, strbuf_str(&child), depth + 1);
    }
    strbuf_release(&child);
    closedir(d);
}

static void stamp_paths(uint64_t *stamp, arena *a, const char *dir, const str_list *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        stamp_tree(stamp, fs_join(a, dir, l->items[i]), 0);
}

/* Everything a reload would read: the project file, the profile and every
 * resource path.  Only reads the project (safe while tasks use it). */
static uint64_t project_stamp(const project *p, const dbt_target *t)
{
    arena a = ARENA_INIT;
    uint64_t stamp = 0;
    stamp_tree(&stamp, fs_join(&a, p->dir, "dbt_project.yml"), MAX_WALK_DEPTH);
    if (t->profiles_file)
        stamp_tree(&stamp, t->profiles_file, MAX_WALK_DEPTH);
    stamp_paths(&stamp, &a, p->dir, &p->model_paths);
    stamp_paths(&stamp, &a, p->dir, &p->seed_paths);
    stamp_paths(&stamp, &a, p->dir, &p->test_paths);
    stamp_paths(&stamp, &a, p->dir, &p->macro_paths);
    stamp_paths(&stamp, &a, p->dir, &p->analysis_paths);
    stamp_paths(&stamp, &a, p->dir, &p->snapshot_paths);
    arena_free(&a);
    return stamp;
}

/* --- entries --------------------------------------------------------------- */

static bool str_eq(const char *x, const char *y)
{
    return x == y || (x && y && strcmp(x, y) == 0);
}

static bool key_eq(const project_key *x, const project_key *y)
{
    return str_eq(x->dag_id, y->dag_id) && str_eq(x->run_id, y->run_id) &&
           str_eq(x->project_dir, y->project_dir) && str_eq(x->profiles_dir, y->profiles_dir) &&
           str_eq(x->profile, y->profile) && str_eq(x->target, y->target) &&
           str_eq(x->vars_yaml, y->vars_yaml);
}

static const char *dup_or_null(arena *a, const char *s)
{
    return s ? arena_strdup(a, s) : NULL;
}

static cache_entry *entry_new(const project_key *k)
{
    cache_entry *e = xcalloc(1, sizeof *e);
    e->key = (project_key){.dag_id = dup_or_null(&e->a, k->dag_id),
                           .run_id = dup_or_null(&e->a, k->run_id),
                           .project_dir = dup_or_null(&e->a, k->project_dir),
                           .profiles_dir = dup_or_null(&e->a, k->profiles_dir),
                           .profile = dup_or_null(&e->a, k->profile),
                           .target = dup_or_null(&e->a, k->target),
                           .vars_yaml = dup_or_null(&e->a, k->vars_yaml)};
    e->loading = true;
    return e;
}

static void entry_free(cache_entry *e)
{
    project_free(e->p);
    arena_free(&e->a);
    free(e);
}

/* Loads, then compiles nothing but the graph (graph.nodes): every node is
 * rendered on the worker that runs it, so a broken model fails its own task
 * and not the whole run.  Runs outside the lock; e is not yet shared. */
static bool entry_load(cache_entry *e, mlerr *err)
{
    const project_key *k = &e->key;
    dbt_project_file pf;
    if (!dbt_project_file_load(&e->a, k->project_dir, &pf, err))
        return false;
    profile_request req = {.project_dir = k->project_dir,
                           .profiles_dir = k->profiles_dir,
                           .profile_name = k->profile ? k->profile : pf.profile,
                           .target_name = k->target};
    if (!profile_resolve(&e->a, &req, &e->target, err))
        return false;
    project_load_opts lo = {
        .project_dir = k->project_dir, .target = &e->target, .vars_yaml = k->vars_yaml};
    if (!project_load(&lo, &e->p, err))
        return false;
    uint64_t stamp = project_stamp(e->p, &e->target);
    nodeset none = nodeset_new(&e->a, e->p->n_nodes);
    if (!project_compile(e->p, &none, false, err))
        return false;
    for (int kind = 0; kind < KIND_COUNT; kind++) {
        for (int fr = 0; fr < 2; fr++)
            e->flags[kind][fr] =
                dbt_flags_new(&e->a, dbt_task_kind_name((dbt_task_kind)kind), fr, false, false);
    }
    e->stamp = stamp;
    e->stamped_at = monotonic_now();
    return true;
}

static void unlink_entry(project_cache *c, cache_entry *e)
{
    for (cache_entry **p = &c->entries; *p; p = &(*p)->next) {
        if (*p == e) {
            *p = e->next;
            break;
        }
    }
    e->detached = true;
}

project_cache *project_cache_new(void)
{
    project_cache *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->loaded, NULL);
    return c;
}

void project_cache_free(project_cache *c)
{
    if (!c)
        return;
    while (c->entries) {
        cache_entry *e = c->entries;
        c->entries = e->next;
        entry_free(e);
    }
    pthread_cond_destroy(&c->loaded);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static cache_entry *find_entry(project_cache *c, const project_key *k)
{
    for (cache_entry *e = c->entries; e; e = e->next) {
        if (key_eq(&e->key, k))
            return e;
    }
    return NULL;
}

/* Under c->lock, with a reference held on e: true if e's files still match
 * (re-stamping them, outside the lock, when the last stamp is old). */
static bool entry_still_fresh(project_cache *c, cache_entry *e)
{
    double now = monotonic_now();
    if (now - e->stamped_at < RESTAMP_SECONDS)
        return true;
    e->stamped_at = now; /* one re-stamp at a time per second */
    uint64_t was = e->stamp;
    pthread_mutex_unlock(&c->lock);
    uint64_t stamp = project_stamp(e->p, &e->target);
    pthread_mutex_lock(&c->lock);
    return stamp == was;
}

bool project_cache_acquire(project_cache *c, const project_key *k, cached_project *out, mlerr *err)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&c->lock);
    for (;;) {
        cache_entry *e = find_entry(c, k);
        if (!e)
            break;
        if (e->loading) {
            pthread_cond_wait(&c->loaded, &c->lock);
            continue; /* the load may have failed: look again */
        }
        e->refs++;
        if (entry_still_fresh(c, e)) {
            pthread_mutex_unlock(&c->lock);
            *out = (cached_project){.p = e->p, .target = &e->target, .entry = e};
            return true;
        }
        if (!e->detached)
            unlink_entry(c, e); /* stale: its holders finish on it */
        if (--e->refs == 0)
            entry_free(e);
    }
    cache_entry *e = entry_new(k);
    e->next = c->entries;
    c->entries = e;
    c->loads++;
    pthread_mutex_unlock(&c->lock);

    bool ok = entry_load(e, err);

    pthread_mutex_lock(&c->lock);
    e->loading = false;
    pthread_cond_broadcast(&c->loaded);
    if (!ok) {
        if (!e->detached)
            unlink_entry(c, e);
        pthread_mutex_unlock(&c->lock);
        entry_free(e);
        return false;
    }
    e->refs++;
    pthread_mutex_unlock(&c->lock);
    *out = (cached_project){.p = e->p, .target = &e->target, .entry = e};
    return true;
}

void project_cache_release(project_cache *c, cached_project *cp)
{
    cache_entry *e = cp->entry;
    if (!e)
        return;
    pthread_mutex_lock(&c->lock);
    bool dead = --e->refs == 0 && e->detached;
    pthread_mutex_unlock(&c->lock);
    if (dead)
        entry_free(e);
    memset(cp, 0, sizeof *cp);
}

jv project_cache_flags(const cached_project *cp, dbt_task_kind kind, bool full_refresh)
{
    return cp->entry->flags[kind][full_refresh ? 1 : 0];
}

void project_cache_forget(project_cache *c, const char *dag_id, const char *run_id)
{
    pthread_mutex_lock(&c->lock);
    cache_entry **p = &c->entries;
    cache_entry *dead = NULL;
    while (*p) {
        cache_entry *e = *p;
        if (strcmp(e->key.dag_id, dag_id) == 0 && strcmp(e->key.run_id, run_id) == 0) {
            /* one still loading is freed by the release of its loader */
            *p = e->next;
            e->detached = true;
            if (e->refs == 0 && !e->loading) {
                e->next = dead;
                dead = e;
            }
            continue;
        }
        p = &e->next;
    }
    pthread_mutex_unlock(&c->lock);
    while (dead) {
        cache_entry *e = dead;
        dead = e->next;
        entry_free(e);
    }
}

unsigned long project_cache_loads(project_cache *c)
{
    pthread_mutex_lock(&c->lock);
    unsigned long n = c->loads;
    pthread_mutex_unlock(&c->lock);
    return n;
}
