/* fs: file and path helpers (see fs.h). */
#include "util/fs.h"

#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool fs_read_file(const char *path, strbuf *out, mlerr *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot open: %s", path, strerror(errno));
        return false;
    }
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            mlerr_set(err, EXIT_SETUP, "%s: cannot read: %s", path, strerror(errno));
            close(fd);
            return false;
        }
        if (n == 0)
            break;
        strbuf_add(out, buf, (size_t)n);
    }
    strbuf_grow(out, 0);
    close(fd);
    return true;
}

bool fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fs_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool fs_mkdir_p(const char *path, mlerr *err)
{
    /* The common case, a directory made by an earlier write (a build writes
     * one file per node): one stat instead of a mkdir per component. */
    if (fs_is_dir(path))
        return true;
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            mlerr_set(err, EXIT_SETUP, "%s: cannot create directory: %s", p, strerror(errno));
            free(p);
            return false;
        }
        *s = '/';
    }
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot create directory: %s", p, strerror(errno));
        free(p);
        return false;
    }
    free(p);
    if (!fs_is_dir(path)) {
        mlerr_set(err, EXIT_SETUP, "%s: exists and is not a directory", path);
        return false;
    }
    return true;
}

char *fs_join(arena *a, const char *dir, const char *name)
{
    if (!dir || !*dir || name[0] == '/')
        return arena_strdup(a, name);
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    return arena_printf(a, "%.*s/%s", (int)dl, dir, name);
}

char *fs_dirname(arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return arena_strdup(a, ".");
    if (slash == path)
        return arena_strdup(a, "/");
    return arena_strndup(a, path, (size_t)(slash - path));
}

char *fs_absolute(arena *a, const char *path)
{
    strbuf in = STRBUF_INIT;
    if (path[0] != '/') {
        char *cwd = getcwd(NULL, 0);
        strbuf_adds(&in, cwd ? cwd : ".");
        free(cwd);
        strbuf_addc(&in, '/');
    }
    strbuf_adds(&in, path);

    /* Normalise "." and ".." lexically: the path may not exist yet. */
    const char **parts = xmalloc(sizeof(char *) * (in.len + 1));
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(in.buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        if (strcmp(tok, ".") == 0)
            continue;
        if (strcmp(tok, "..") == 0) {
            if (n > 0)
                n--;
            continue;
        }
        parts[n++] = tok;
    }
    strbuf out = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        strbuf_addc(&out, '/');
        strbuf_adds(&out, parts[i]);
    }
    if (n == 0)
        strbuf_addc(&out, '/');
    char *result = arena_strdup(a, out.buf);
    strbuf_release(&out);
    strbuf_release(&in);
    free(parts);
    return result;
}

bool fs_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool fs_read_all(int fd, void *data, size_t len)
{
    char *p = data;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

bool fs_wait_readable(int fd, int stop_fd)
{
    struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        if (fds[1].revents)
            return false;
        if (fds[0].revents)
            return true;
    }
}

/* Whether path holds exactly data (false on any error: the caller writes). */
static bool file_holds(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len;
    char chunk[16384];
    for (size_t off = 0; same && off < len;) {
        size_t want = len - off < sizeof chunk ? len - off : sizeof chunk;
        same = fs_read_all(fd, chunk, want) && memcmp(chunk, data + off, want) == 0;
        off += want;
    }
    close(fd);
    return same;
}

bool fs_write_if_changed(const char *path, const void *data, size_t len, mlerr *err)
{
    if (file_holds(path, data, len))
        return true;
    /* the directory usually exists (an earlier run, or a sibling file):
     * make it only when the write finds it missing */
    mlerr first = {0};
    if (fs_write_atomic(path, data, len, &first))
        return true;
    arena a = ARENA_INIT;
    bool ok = fs_mkdir_p(fs_dirname(&a, path), err) && fs_write_atomic(path, data, len, err);
    arena_free(&a);
    mlerr_clear(&first);
    return ok;
}

bool fs_write_atomic(const char *path, const void *data, size_t len, mlerr *err)
{
    /* per thread: jobs routed to one process may write the same file at once */
    char *tmp = xasprintf("%s.tmp.%ld.%ld", path, (long)getpid(), (long)gettid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot write: %s", tmp, strerror(errno));
        free(tmp);
        return false;
    }
    if (!fs_write_all(fd, data, len)) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot write: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return false;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot write: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return false;
    }
    free(tmp);
    return true;
}
