/* log: timestamped, lock-protected console lines (see log.h). */
#include "util/log.h"

#include "util/jobctx.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* log_lock guards every field below and the stdout/log-file streams. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static log_level current_level = LOG_INFO;
static bool color_on = false;
static FILE *log_file = NULL;

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

bool log_open_file(const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f)
        return false;
    pthread_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = f;
    pthread_mutex_unlock(&log_lock);
    return true;
}

void log_close_file(void)
{
    pthread_mutex_lock(&log_lock);
    if (log_file)
        fclose(log_file);
    log_file = NULL;
    pthread_mutex_unlock(&log_lock);
}

/* The log file gets the text without colour: escape sequences are for terminals. */
static void write_without_color(FILE *f, const char *msg)
{
    for (const char *p = msg; *p; p++) {
        if (p[0] == '\033' && p[1] == '[') {
            p += 2;
            while (*p && !(*p >= '@' && *p <= '~'))
                p++;
            if (!*p)
                break;
            continue;
        }
        fputc(*p, f);
    }
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

void log_msg(log_level level, const char *fmt, ...)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char stamp[16];
    strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);

    char buf[4096];
    char *msg = buf;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(buf)) {
        msg = malloc((size_t)n + 1);
        if (!msg)
            return;
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }

    job_ctx *j = job_current();
    if (j) {
        /* the client's console only: the owner's log file is the owner's */
        log_level job_level = (log_level)job_log_level(j);
        if (level >= job_level && job_level != LOG_NONE) {
            char *line = NULL;
            int len = asprintf(&line, "%s  %s\n", stamp, msg);
            if (len >= 0)
                job_write(JOB_STDOUT, line, (size_t)len);
            free(line);
        }
        if (msg != buf)
            free(msg);
        return;
    }
    pthread_mutex_lock(&log_lock);
    if (level >= current_level && current_level != LOG_NONE) {
        fprintf(stdout, "%s  %s\n", stamp, msg);
        fflush(stdout);
    }
    if (log_file) {
        fprintf(log_file, "%s.%06ld [%-5s]: ", stamp, (long)tv.tv_usec, level_name(level));
        write_without_color(log_file, msg);
        fputc('\n', log_file);
        fflush(log_file);
    }
    pthread_mutex_unlock(&log_lock);
    if (msg != buf)
        free(msg);
}
