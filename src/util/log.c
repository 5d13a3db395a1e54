/* log: timestamped, lock-protected console lines and the log file (see log.h). */
#include "util/log.h"

#include "util/fs.h"
#include "util/jobctx.h"
#include "util/strbuf.h"
#include "util/uuid.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* log_lock guards every field below, stdout, every log_file (the process's
 * and the jobs') and the jobs' log-file pointers. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static log_level current_level = LOG_INFO;
static bool color_on = false;
static struct log_file *process_file = NULL; /* outside jobs */

bool log_level_parse(const char *name, log_level *out)
{
    static const struct {
        const char *name;
        log_level level;
    } names[] = {{"debug", LOG_DEBUG},
                 {"info", LOG_INFO},
                 {"warn", LOG_WARN},
                 {"error", LOG_ERROR},
                 {"none", LOG_NONE}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].level;
            return true;
        }
    }
    return false;
}

/* Inside a job sent by another process (util/jobctx.h) the level, colour
 * and stdout are the job's: the client's flags and terminal, not ours. */
void log_set_level(log_level level)
{
    job_ctx *j = job_current();
    if (j) {
        job_set_log_level(j, (int)level);
        return;
    }
    pthread_mutex_lock(&log_lock);
    current_level = level;
    pthread_mutex_unlock(&log_lock);
}

log_level log_get_level(void)
{
    job_ctx *j = job_current();
    if (j)
        return (log_level)job_log_level(j);
    pthread_mutex_lock(&log_lock);
    log_level l = current_level;
    pthread_mutex_unlock(&log_lock);
    return l;
}

void log_set_color(bool wanted)
{
    const char *no_color = job_getenv("NO_COLOR");
    job_ctx *j = job_current();
    bool on = wanted && (j ? job_tty(j) : isatty(STDOUT_FILENO)) && !(no_color && *no_color);
    if (j) {
        job_set_color(j, on);
        return;
    }
    pthread_mutex_lock(&log_lock);
    color_on = on;
    pthread_mutex_unlock(&log_lock);
}

bool log_color_enabled(void)
{
    job_ctx *j = job_current();
    if (j)
        return job_color(j);
    pthread_mutex_lock(&log_lock);
    bool on = color_on;
    pthread_mutex_unlock(&log_lock);
    return on;
}

const char *log_color_code(log_color c)
{
    static const char *codes[] = {"\033[0m",  "\033[31m", "\033[32m", "\033[33m",
                                  "\033[34m", "\033[36m", "\033[1m"};
    if (!log_color_enabled())
        return "";
    return codes[c];
}

/* --- the log file ------------------------------------------------------------ */

enum {
    FILE_BUFFER = 32 * 1024
};

typedef struct log_file {
    int fd;
    char *path;
    strbuf pending;     /* whole lines not yet written */
    long long size;     /* bytes in the file, counting pending */
    log_file_options o; /* o.version is not kept */
    char invocation_id[37];
} log_file;

static _Thread_local char thread_name[32];
static _Thread_local const char *statement_owner;

void log_set_thread_name(const char *name)
{
    snprintf(thread_name, sizeof thread_name, "%s", name ? name : "");
}

/* The current job's file, or the process's outside a job; call both with
 * log_lock held. */
static log_file *current_file(void)
{
    job_ctx *j = job_current();
    return j ? job_log_file(j) : process_file;
}

static void set_current_file(log_file *f)
{
    job_ctx *j = job_current();
    if (j)
        job_set_log_file(j, f);
    else
        process_file = f;
}

static void flush_file(log_file *f)
{
    if (f->pending.len && f->fd >= 0)
        fs_write_all(f->fd, f->pending.buf, f->pending.len);
    strbuf_reset(&f->pending);
}

static int open_append(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
}

/* dbt.log.<backups-1> -> .<backups>, ..., dbt.log -> dbt.log.1, as
 * Python's RotatingFileHandler does, then a fresh dbt.log. */
static void rotate(log_file *f)
{
    flush_file(f);
    if (f->fd >= 0)
        close(f->fd);
    size_t len = strlen(f->path) + 16;
    char *from = xmalloc(len), *to = xmalloc(len);
    for (int i = f->o.backups - 1; i >= 1; i--) {
        snprintf(from, len, "%s.%d", f->path, i);
        snprintf(to, len, "%s.%d", f->path, i + 1);
        rename(from, to);
    }
    if (f->o.backups > 0) {
        snprintf(to, len, "%s.1", f->path);
        rename(f->path, to);
    } else {
        unlink(f->path);
    }
    free(from);
    free(to);
    f->fd = open_append(f->path);
    f->size = 0;
}

/* The text without colour: escape sequences are for terminals. */
static void add_without_color(strbuf *sb, const char *msg)
{
    const char *run = msg;
    for (const char *p = msg; *p; p++) {
        if (p[0] != '\033' || p[1] != '[')
            continue;
        strbuf_add(sb, run, (size_t)(p - run));
        p += 2;
        while (*p && !(*p >= '@' && *p <= '~'))
            p++;
        if (!*p) {
            run = p;
            break;
        }
        run = p + 1;
    }
    strbuf_adds(sb, run);
}

static const char *level_name(log_level level);

void log_clock_stamp(const struct timeval *tv, struct timeval *now_out, char stamp[16])
{
    struct timeval now;
    if (!tv) {
        gettimeofday(&now, NULL);
        tv = &now;
        if (now_out)
            *now_out = now;
    }
    struct tm tm;
    localtime_r(&tv->tv_sec, &tm);
    strftime(stamp, 16, "%H:%M:%S", &tm);
}

/* Appends one line in dbt's debug text format; call with log_lock held. */
static void file_line(log_file *f, const struct timeval *tv, log_level level, const char *prefix,
                      const char *msg)
{
    if (level < f->o.level || f->o.level == LOG_NONE)
        return;
    char stamp[16];
    log_clock_stamp(tv, NULL, stamp);
    size_t before = f->pending.len;
    if (prefix)
        strbuf_adds(&f->pending, prefix);
    strbuf_addf(&f->pending, "%s.%06ld [%-5s] [%-10.10s]: ", stamp, (long)tv->tv_usec,
                level_name(level), thread_name[0] ? thread_name : "MainThread");
    add_without_color(&f->pending, msg);
    strbuf_addc(&f->pending, '\n');
    size_t added = f->pending.len - before;
    if (f->o.max_bytes > 0 && f->size > 0 && f->size + (long long)added >= f->o.max_bytes) {
        /* the new line starts the next file */
        char *line = xmalloc(added);
        memcpy(line, f->pending.buf + before, added);
        f->pending.len = before;
        rotate(f);
        strbuf_add(&f->pending, line, added);
        free(line);
    }
    f->size += (long long)added;
    if (f->pending.len >= FILE_BUFFER || level >= LOG_WARN)
        flush_file(f);
}

static void free_file(log_file *f)
{
    if (!f)
        return;
    flush_file(f);
    if (f->fd >= 0)
        close(f->fd);
    strbuf_release(&f->pending);
    free(f->path);
    free(f);
}

bool log_open_file(const char *path, const log_file_options *o, mlerr *err)
{
    arena a = ARENA_INIT;
    bool made = fs_mkdir_p(fs_dirname(&a, path), err);
    arena_free(&a);
    if (!made)
        return false;
    int fd = open_append(path);
    if (fd < 0) {
        mlerr_set(err, EXIT_SETUP, "cannot open the log file %s: %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    log_file *f = xcalloc(1, sizeof(*f));
    f->fd = fd;
    f->path = xstrdup(path);
    f->size = fstat(fd, &st) == 0 ? (long long)st.st_size : 0;
    f->o = *o;
    f->o.version = NULL;
    uuid4_string(f->invocation_id);

    struct timeval tv;
    char stamp[16];
    log_clock_stamp(NULL, &tv, stamp);
    char separator[160];
    snprintf(separator, sizeof separator,
             "\n\n============================== %s.%06ld | %s ==============================\n",
             stamp, (long)tv.tv_usec, f->invocation_id);
    char *running = NULL;
    if (asprintf(&running, "Running with mallard=%s", o->version ? o->version : "unknown") < 0)
        running = NULL;

    pthread_mutex_lock(&log_lock);
    free_file(current_file());
    set_current_file(f);
    /* the block's header goes in whatever the file level: it says which run
     * the lines below belong to */
    log_level level = f->o.level;
    f->o.level = LOG_DEBUG;
    file_line(f, &tv, LOG_INFO, separator, running ? running : "Running with mallard");
    f->o.level = level;
    pthread_mutex_unlock(&log_lock);
    free(running);
    return true;
}

void log_close_file(void)
{
    pthread_mutex_lock(&log_lock);
    free_file(current_file());
    set_current_file(NULL);
    pthread_mutex_unlock(&log_lock);
}

bool log_invocation_id(char out[37])
{
    pthread_mutex_lock(&log_lock);
    log_file *f = current_file();
    if (f)
        memcpy(out, f->invocation_id, 37);
    pthread_mutex_unlock(&log_lock);
    return f != NULL;
}

static const char *level_name(log_level level)
{
    switch (level) {
    case LOG_DEBUG:
        return "debug";
    case LOG_INFO:
        return "info";
    case LOG_WARN:
        return "warn";
    case LOG_ERROR:
        return "error";
    default:
        return "";
    }
}

static char *format_message(char *buf, size_t size, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(buf, size, fmt, ap);
    char *msg = buf;
    if (n >= (int)size) {
        msg = xmalloc((size_t)n + 1);
        vsnprintf(msg, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    return n < 0 ? NULL : msg;
}

void log_msg(log_level level, const char *fmt, ...)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    char *msg = format_message(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!msg)
        return;
    char stamp[16];
    log_clock_stamp(&tv, NULL, stamp);

    job_ctx *j = job_current();
    if (j) {
        /* the client's console: the owner's stdout and log file are the owner's */
        log_level job_level = (log_level)job_log_level(j);
        if (level >= job_level && job_level != LOG_NONE) {
            char *line = NULL;
            int len = asprintf(&line, "%s  %s\n", stamp, msg);
            if (len >= 0)
                job_write(JOB_STDOUT, line, (size_t)len);
            free(line);
        }
    }
    pthread_mutex_lock(&log_lock);
    if (!j && level >= current_level && current_level != LOG_NONE) {
        fprintf(stdout, "%s  %s\n", stamp, msg);
        fflush(stdout);
    }
    log_file *f = current_file();
    if (f)
        file_line(f, &tv, level, NULL, msg);
    pthread_mutex_unlock(&log_lock);
    if (msg != buf)
        free(msg);
}

void log_set_statement_owner(const char *owner)
{
    statement_owner = owner;
}

const char *log_statement_owner(void)
{
    return statement_owner;
}

/* Whether the current log file takes lines of level (file_line's filter),
 * asked before formatting one. */
static bool file_wants(log_level level)
{
    pthread_mutex_lock(&log_lock);
    log_file *f = current_file();
    bool wanted = f && f->o.level != LOG_NONE && level >= f->o.level;
    pthread_mutex_unlock(&log_lock);
    return wanted;
}

bool log_statement_begin(const char *sql)
{
    if (!statement_owner || !file_wants(LOG_DEBUG))
        return false;
    log_file_msg(LOG_DEBUG, "On %s: %s", statement_owner, sql);
    return true;
}

void log_statement_done(bool ok, double seconds)
{
    log_file_msg(LOG_DEBUG, "SQL status: %s in %.3f seconds", ok ? "OK" : "ERROR", seconds);
}

void log_file_msg(log_level level, const char *fmt, ...)
{
    if (!file_wants(level))
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    char *msg = format_message(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!msg)
        return;
    pthread_mutex_lock(&log_lock);
    log_file *f = current_file();
    if (f)
        file_line(f, &tv, level, NULL, msg);
    pthread_mutex_unlock(&log_lock);
    if (msg != buf)
        free(msg);
}
