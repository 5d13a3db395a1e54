/* run_sql: writing <target>/run/<package>/<path> (see run_sql.h). */
#include "exec/run_sql.h"

#include "project/compile.h"
#include "util/arena.h"
#include "util/fs.h"

#include <string.h>

bool run_sql_write(const project *p, const pnode *n, const char *sql, mlerr *err)
{
    arena a = ARENA_INIT;
    const char *path = fs_join(&a, p->dir, project_node_write_path(&a, p, n, "run"));
    bool ok = fs_write_if_changed(path, sql, strlen(sql), err);
    if (!ok)
        err->exit_code = EXIT_HANDLED; /* the node fails, the run goes on */
    arena_free(&a);
    return ok;
}
