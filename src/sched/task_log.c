/* task_log: per-try log file paths (see task_log.h). */
#include "sched/task_log.h"

#include "util/fs.h"
#include "util/strbuf.h"

static char *path_component(arena *a, const char *id)
{
    strbuf sb = STRBUF_INIT;
    for (const char *p = id; *p; p++) {
        if (*p == '/')
            strbuf_adds(&sb, "%2F");
        else if (*p == '%')
            strbuf_adds(&sb, "%25");
        else
            strbuf_addc(&sb, *p);
    }
    char *out = arena_strdup(a, strbuf_str(&sb));
    strbuf_release(&sb);
    return out;
}

char *task_log_path(arena *a, const char *home, const char *dag_id, const char *run_id,
                    const char *task_id, int attempt)
{
    return arena_printf(a, "%s/logs/dag_id=%s/run_id=%s/task_id=%s/attempt=%d.log", home,
                        path_component(a, dag_id), path_component(a, run_id),
                        path_component(a, task_id), attempt);
}

bool task_log_prepare(const char *path, mlerr *err)
{
    arena a = ARENA_INIT;
    bool ok = fs_mkdir_p(fs_dirname(&a, path), err);
    arena_free(&a);
    return ok;
}
