/* fs: files, paths and descriptors, with errors that name the path. */
#ifndef MALLARD_UTIL_FS_H
#define MALLARD_UTIL_FS_H

#include "util/arena.h"
#include "util/error.h"
#include "util/strbuf.h"

#include <stdbool.h>

/* Appends the whole file to out. */
bool fs_read_file(const char *path, strbuf *out, mlerr *err);
bool fs_exists(const char *path);
bool fs_is_dir(const char *path);
bool fs_is_file(const char *path);
/* mkdir -p; mode 0777 before umask. */
bool fs_mkdir_p(const char *path, mlerr *err);
/* dir + "/" + name, or name alone when it is absolute or dir is empty. */
char *fs_join(arena *a, const char *dir, const char *name);
/* The directory part of path ("." when there is none). */
char *fs_dirname(arena *a, const char *path);
/* An absolute, normalised form of path (it need not exist). */
char *fs_absolute(arena *a, const char *path);
/* write()/read() until len bytes are through, retrying on EINTR; false on
 * an error or (reading) an early end of file. */
bool fs_write_all(int fd, const void *data, size_t len);
bool fs_read_all(int fd, void *data, size_t len);
/* Waits until fd is readable (true) or stop_fd is, or poll fails (false):
 * the loop of every thread that serves one descriptor until told to stop. */
bool fs_wait_readable(int fd, int stop_fd);
/* Writes data to path through a temporary file and rename(2), so readers
 * see the old file or the new one, never half of either. */
bool fs_write_atomic(const char *path, const void *data, size_t len, mlerr *err);
/* fs_write_atomic, skipped when path already holds exactly data, and making
 * path's directory when it is missing.  For the per-node files under
 * target/, which are mostly the same from one run to the next: replacing a
 * file that has blocks on disk costs ext4 about 0.3 ms (rename over it,
 * unlink or truncate it alike), reading and comparing it about 0.02 ms.  An
 * unchanged file keeps its modification time. */
bool fs_write_if_changed(const char *path, const void *data, size_t len, mlerr *err);

#endif
