/* run_sql: writing <target>/run/<package>/<path> (see run_sql.h). */
#include "exec/run_sql.h"

#include "project/compile.h"
#include "util/arena.h"
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int open_replacing(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
}

bool run_sql_write(const project *p, const pnode *n, const char *sql, mlerr *err)
{
    arena a = ARENA_INIT;
    const char *path = fs_join(&a, p->dir, project_node_write_path(&a, p, n, "run"));
    /* the directory usually exists (an earlier run, or a sibling node):
     * try the file first and make the directory only when it is missing */
    int fd = open_replacing(path);
    if (fd < 0 && errno == ENOENT && fs_mkdir_p(fs_dirname(&a, path), err))
        fd = open_replacing(path);
    bool ok = fd >= 0;
    if (!ok && !err->set)
        mlerr_set(err, EXIT_HANDLED, "%s: cannot write: %s", path, strerror(errno));
    if (ok && !fs_write_all(fd, sql, strlen(sql))) {
        mlerr_set(err, EXIT_HANDLED, "%s: cannot write: %s", path, strerror(errno));
        ok = false;
    }
    if (fd >= 0 && close(fd) != 0 && ok) {
        mlerr_set(err, EXIT_HANDLED, "%s: cannot write: %s", path, strerror(errno));
        ok = false;
    }
    arena_free(&a);
    return ok;
}
