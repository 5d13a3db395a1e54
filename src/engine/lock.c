/* lock: recognising DuckDB's lock conflict, naming the holder from /proc and
 * pacing the retries (see lock.h). */
#include "engine/lock.h"

#include "util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

bool lock_is_conflict(const char *msg)
{
    return msg && strstr(msg, "Could not set lock on file") != NULL;
}

void lock_parse_message(const char *msg, long *pid, char **exe)
{
    *pid = 0;
    *exe = NULL;
    if (!msg)
        return;
    const char *pid_at = strstr(msg, "(PID ");
    if (pid_at) {
        char *end = NULL;
        long v = strtol(pid_at + 5, &end, 10);
        if (end != pid_at + 5 && v > 0)
            *pid = v;
    }
    /* "Conflicting lock is held in EXE (PID N)": the executable path may
     * itself contain spaces, so it runs up to the " (PID". */
    static const char held_in[] = "Conflicting lock is held in ";
    const char *exe_at = strstr(msg, held_in);
    if (exe_at) {
        exe_at += sizeof(held_in) - 1;
        const char *stop = pid_at && pid_at > exe_at ? pid_at : exe_at + strcspn(exe_at, "\n");
        while (stop > exe_at && stop[-1] == ' ')
            stop--;
        if (stop > exe_at)
            *exe = xstrndup(exe_at, (size_t)(stop - exe_at));
    }
}

long lock_parse_proc_locks(const char *text, dev_t dev, ino_t ino)
{
    /* "1: POSIX  ADVISORY  WRITE 6549 fe:00:10953068 0 EOF" */
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char buf[512];
        if (len < sizeof(buf)) {
            memcpy(buf, line, len);
            buf[len] = '\0';
            char kind[16], mode[16], access[16];
            long pid;
            unsigned maj, min;
            unsigned long long inode;
            if (!strstr(buf, "->") &&
                sscanf(buf, "%*[^:]: %15s %15s %15s %ld %x:%x:%llu", kind, mode, access, &pid, &maj,
                       &min, &inode) == 7 &&
                strcmp(kind, "POSIX") == 0 && pid > 0 && maj == major(dev) && min == minor(dev) &&
                inode == (unsigned long long)ino)
                return pid;
        }
        line = eol ? eol + 1 : NULL;
    }
    return 0;
}

long lock_find_holder(const char *path)
{
    long pid = 0;
    /* F_GETLK needs the file open; without read permission /proc/locks,
     * which needs only stat, may still know. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
        if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0)
            pid = fl.l_pid;
        close(fd);
    }
    struct stat st;
    if (pid == 0 && stat(path, &st) == 0) {
        FILE *f = fopen("/proc/locks", "re");
        if (f) {
            strbuf text = STRBUF_INIT;
            char buf[4096];
            size_t n;
            while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                strbuf_add(&text, buf, n);
            fclose(f);
            long found = lock_parse_proc_locks(strbuf_str(&text), st.st_dev, st.st_ino);
            if (found != getpid())
                pid = found;
            strbuf_release(&text);
        }
    }
    return pid;
}

/* Reads a small /proc file whole; NULL when it cannot. */
static char *read_small_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    strbuf sb = STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len < 65536)
        strbuf_add(&sb, buf, n);
    bool failed = ferror(f);
    fclose(f);
    if (failed || sb.len == 0) {
        strbuf_release(&sb);
        return NULL;
    }
    *len_out = sb.len;
    return strbuf_detach(&sb);
}

void lock_describe_pid(lock_holder *h, long pid, const char *proc_root)
{
    if (pid <= 0)
        return;
    if (!proc_root)
        proc_root = "/proc";
    h->pid = pid;
    char path[4096];

    snprintf(path, sizeof(path), "%s/%ld/exe", proc_root, pid);
    char target[4096];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n > 0) {
        target[n] = '\0';
        free(h->exe);
        h->exe = xstrdup(target);
    }

    snprintf(path, sizeof(path), "%s/%ld/cmdline", proc_root, pid);
    size_t len = 0;
    char *cmd = read_small_file(path, &len);
    if (cmd) {
        while (len > 0 && cmd[len - 1] == '\0')
            len--;
        for (size_t i = 0; i < len; i++) {
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        }
        cmd[len] = '\0';
        free(h->cmdline);
        h->cmdline = len ? cmd : NULL;
        if (!len)
            free(cmd);
    }

    snprintf(path, sizeof(path), "%s/%ld/status", proc_root, pid);
    char *status = read_small_file(path, &len);
    if (status) {
        const char *uid_line = strstr(status, "\nUid:");
        long uid = -1;
        if (uid_line)
            uid = strtol(uid_line + 5, NULL, 10);
        if (uid >= 0) {
            struct passwd pw, *found = NULL;
            char pwbuf[4096];
            free(h->user);
            if (getpwuid_r((uid_t)uid, &pw, pwbuf, sizeof(pwbuf), &found) == 0 && found)
                h->user = xstrdup(found->pw_name);
            else
                h->user = xasprintf("uid %ld", uid);
        }
        free(status);
    }
}

void lock_holder_from_message(lock_holder *h, const char *msg)
{
    long pid = 0;
    char *exe = NULL;
    lock_parse_message(msg, &pid, &exe);
    h->exe = exe;
    h->read_only_would_work = msg && strstr(msg, "read-only mode") != NULL;
    lock_describe_pid(h, pid, NULL);
}

void lock_holder_describe(const lock_holder *h, strbuf *out)
{
    if (h->pid > 0)
        strbuf_addf(out, "PID %ld", h->pid);
    else
        strbuf_adds(out, "an unknown process");
    if (h->exe || h->user) {
        strbuf_adds(out, " (");
        if (h->exe)
            strbuf_adds(out, h->exe);
        if (h->user)
            strbuf_addf(out, "%suser %s", h->exe ? ", " : "", h->user);
        strbuf_adds(out, ")");
    }
    if (h->cmdline)
        strbuf_addf(out, ", command line: %s", h->cmdline);
    else if (h->pid > 0)
        strbuf_adds(out, ", command line unknown (/proc is not readable for it)");
}

void lock_holder_release(lock_holder *h)
{
    free(h->exe);
    free(h->cmdline);
    free(h->user);
    *h = (lock_holder){0};
}

double lock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void lock_sleep(double seconds)
{
    if (seconds <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)seconds,
                          .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void lock_backoff_init(lock_backoff *b, double timeout)
{
    b->timeout = timeout < 0 ? 0 : timeout;
    b->start = lock_now();
    b->next_delay = 0.05;
}

double lock_backoff_next(lock_backoff *b, double now)
{
    double remaining = b->start + b->timeout - now;
    if (remaining <= 0)
        return -1;
    double delay = b->next_delay < remaining ? b->next_delay : remaining;
    b->next_delay *= 2;
    if (b->next_delay > 1.0)
        b->next_delay = 1.0;
    return delay;
}
