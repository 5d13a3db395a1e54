/* dagfolder: folder scan with per-file caching by (mtime, size).  Each
 * cached file owns an arena with its parse; the derived DAG and error lists
 * live in the folder's view arena, rebuilt on every refresh that changed
 * something. */
#include "sched/dagfolder.h"

#include "util/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct cached_file {
    char *path;
    struct timespec mtime;
    off_t size;
    arena a;
    dag_file parsed;
    bool seen; /* found by the current scan */
} cached_file;

struct dag_folder {
    char *dir;
    cached_file *files;
    size_t nfiles, cap;
    size_t parses;
    arena view; /* dags and errors below */
    const dag_def **dags;
    size_t ndags;
    dag_import_error *errors;
    size_t nerrors;
};

dag_folder *dag_folder_new(const char *dir)
{
    dag_folder *f = xcalloc(1, sizeof *f);
    f->dir = xstrdup(dir);
    return f;
}

static void cached_file_free(cached_file *cf)
{
    free(cf->path);
    arena_free(&cf->a);
}

void dag_folder_free(dag_folder *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nfiles; i++)
        cached_file_free(&f->files[i]);
    free(f->files);
    arena_free(&f->view);
    free(f->dir);
    free(f);
}

static bool is_dag_file(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".yaml") == 0);
}

static cached_file *find_file(dag_folder *f, const char *path)
{
    for (size_t i = 0; i < f->nfiles; i++)
        if (strcmp(f->files[i].path, path) == 0)
            return &f->files[i];
    return NULL;
}

static bool scan_dir(dag_folder *f, const char *dir, bool *changed, mlerr *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        mlerr_set(err, EXIT_SETUP, "cannot read the dags folder %s: %s", dir, strerror(errno));
        return false;
    }
    struct dirent *e;
    bool ok = true;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) {
            free(path);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            /* An unreadable subfolder is skipped rather than hiding every DAG. */
            mlerr sub = MLERR_INIT;
            scan_dir(f, path, changed, &sub);
            mlerr_clear(&sub);
            free(path);
            continue;
        }
        if (!S_ISREG(st.st_mode) || !is_dag_file(e->d_name)) {
            free(path);
            continue;
        }
        cached_file *cf = find_file(f, path);
        if (cf && cf->mtime.tv_sec == st.st_mtim.tv_sec &&
            cf->mtime.tv_nsec == st.st_mtim.tv_nsec && cf->size == st.st_size) {
            cf->seen = true;
            free(path);
            continue;
        }
        if (!cf) {
            if (f->nfiles == f->cap) {
                f->cap = f->cap ? 2 * f->cap : 16;
                f->files = xrealloc(f->files, f->cap * sizeof *f->files);
            }
            cf = &f->files[f->nfiles++];
            memset(cf, 0, sizeof *cf);
            cf->path = path;
        } else {
            arena_free(&cf->a);
            free(path);
        }
        cf->mtime = st.st_mtim;
        cf->size = st.st_size;
        cf->seen = true;
        dag_file_load(&cf->a, cf->path, &cf->parsed);
        f->parses++;
        *changed = true;
    }
    closedir(d);
    return ok;
}

static int by_path(const void *x, const void *y)
{
    return strcmp(((const cached_file *)x)->path, ((const cached_file *)y)->path);
}

static int by_dag_id(const void *x, const void *y)
{
    return strcmp((*(const dag_def *const *)x)->dag_id, (*(const dag_def *const *)y)->dag_id);
}

static void rebuild_view(dag_folder *f)
{
    arena_free(&f->view);
    size_t max_dags = 0, max_errors = 0;
    for (size_t i = 0; i < f->nfiles; i++) {
        max_dags += f->files[i].parsed.ndags;
        max_errors += f->files[i].parsed.nerrors + 1;
    }
    f->dags = ARENA_NEW_ARRAY(&f->view, const dag_def *, max_dags + 1);
    f->errors = ARENA_NEW_ARRAY(&f->view, dag_import_error, max_errors + 1);
    f->ndags = f->nerrors = 0;
    for (size_t i = 0; i < f->nfiles; i++) {
        const dag_file *pf = &f->files[i].parsed;
        for (size_t k = 0; k < pf->nerrors; k++)
            f->errors[f->nerrors++] = (dag_import_error){pf->path, pf->errors[k]};
        /* A dag_id already defined by an earlier file fails this whole file. */
        const dag_def *dup = NULL, *first = NULL;
        for (size_t k = 0; k < pf->ndags && !dup; k++)
            for (size_t j = 0; j < f->ndags && !dup; j++)
                if (strcmp(f->dags[j]->dag_id, pf->dags[k].dag_id) == 0) {
                    dup = &pf->dags[k];
                    first = f->dags[j];
                }
        if (dup) {
            f->errors[f->nerrors++] = (dag_import_error){
                pf->path,
                arena_printf(&f->view, "%s:%d:%d: dag_id '%s' is already defined in %s:%d",
                             pf->path, dup->line, dup->col, dup->dag_id, first->file, first->line)};
            continue;
        }
        for (size_t k = 0; k < pf->ndags; k++)
            f->dags[f->ndags++] = &pf->dags[k];
    }
    qsort(f->dags, f->ndags, sizeof *f->dags, by_dag_id);
}

bool dag_folder_refresh(dag_folder *f, bool *changed, mlerr *err)
{
    bool any = false;
    for (size_t i = 0; i < f->nfiles; i++)
        f->files[i].seen = false;
    if (!scan_dir(f, f->dir, &any, err))
        return false;
    size_t kept = 0;
    for (size_t i = 0; i < f->nfiles; i++) {
        if (f->files[i].seen) {
            f->files[kept++] = f->files[i];
        } else {
            cached_file_free(&f->files[i]);
            any = true;
        }
    }
    f->nfiles = kept;
    if (any || !f->dags) {
        qsort(f->files, f->nfiles, sizeof *f->files, by_path);
        rebuild_view(f);
    }
    if (changed)
        *changed = any;
    return true;
}

size_t dag_folder_dag_count(const dag_folder *f)
{
    return f->ndags;
}

const dag_def *dag_folder_dag(const dag_folder *f, size_t i)
{
    return i < f->ndags ? f->dags[i] : NULL;
}

const dag_def *dag_folder_find(const dag_folder *f, const char *dag_id)
{
    for (size_t i = 0; i < f->ndags; i++)
        if (strcmp(f->dags[i]->dag_id, dag_id) == 0)
            return f->dags[i];
    return NULL;
}

size_t dag_folder_error_count(const dag_folder *f)
{
    return f->nerrors;
}

const dag_import_error *dag_folder_error(const dag_folder *f, size_t i)
{
    return i < f->nerrors ? &f->errors[i] : NULL;
}

size_t dag_folder_parse_count(const dag_folder *f)
{
    return f->parses;
}
