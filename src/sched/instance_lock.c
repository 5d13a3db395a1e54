/* instance_lock: the scheduler's pid file with flock (see instance_lock.h). */
#include "sched/instance_lock.h"

#include "util/fs.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The PID written in the file; 0 if it is empty (the holder may be about to
 * write it: retry briefly) or unreadable. */
static pid_t read_pid(int fd)
{
    for (int attempt = 0; attempt < 50; attempt++) {
        char buf[32] = "";
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
            long pid = strtol(buf, NULL, 10);
            if (pid > 0)
                return (pid_t)pid;
        }
        usleep(2000);
    }
    return 0;
}

bool instance_lock_acquire(const char *home, instance_lock *out, mlerr *err)
{
    out->fd = -1;
    out->path = NULL;
    if (!fs_mkdir_p(home, err))
        return false;
    char *path = xasprintf("%s/scheduler.pid", home);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot open: %s", path, strerror(errno));
        free(path);
        return false;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int saved = errno;
        if (saved == EWOULDBLOCK) {
            pid_t holder = read_pid(fd);
            if (holder)
                mlerr_set(err, EXIT_SETUP,
                          "another scheduler is already running on MALLARD_HOME %s (pid %ld)", home,
                          (long)holder);
            else
                mlerr_set(err, EXIT_SETUP,
                          "another scheduler is already running on MALLARD_HOME %s", home);
            mlerr_hint(err, "stop it first, or give this one another MALLARD_HOME");
        } else {
            mlerr_set(err, EXIT_SETUP, "%s: cannot lock: %s", path, strerror(saved));
        }
        close(fd);
        free(path);
        return false;
    }
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot write: %s", path, strerror(errno));
        close(fd);
        free(path);
        return false;
    }
    out->fd = fd;
    out->path = path;
    return true;
}

void instance_lock_release(instance_lock *lock)
{
    if (lock->fd >= 0) {
        /* Empty the file before unlocking so nobody reads our PID as live. */
        if (ftruncate(lock->fd, 0) != 0) {
            /* Harmless: the lock, not the content, says who runs. */
        }
        close(lock->fd);
    }
    free(lock->path);
    lock->fd = -1;
    lock->path = NULL;
}

pid_t instance_lock_holder(const char *home)
{
    char *path = xasprintf("%s/scheduler.pid", home);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return 0;
    pid_t holder = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK)
        holder = read_pid(fd);
    close(fd);
    return holder;
}
