/* jobctx: a job's environment, output sink and cancel hook, bound to the
 * threads that run it (see jobctx.h). */
#include "util/jobctx.h"

#include "util/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct job_ctx {
    pthread_mutex_t env_lock;    /* guards env, nenv, cap */
    pthread_mutex_t sink_lock;   /* held across sink calls, so lines never interleave */
    pthread_mutex_t cancel_lock; /* guards on_cancel, cancel_ud, cancelled */
    char **env;                  /* "KEY=VALUE", owned */
    size_t nenv, cap;
    bool tty;
    job_sink_fn sink;
    void *sink_ud;
    int level;
    bool color;
    void (*on_cancel)(void *ud);
    void *cancel_ud;
    bool cancelled;
    void *log_file; /* log.c's; read and written only under log.c's log_lock */
};

static _Thread_local job_ctx *bound;

job_ctx *job_ctx_new(const char *const *env, size_t nenv, bool tty, job_sink_fn sink, void *ud)
{
    job_ctx *j = xcalloc(1, sizeof *j);
    pthread_mutex_init(&j->env_lock, NULL);
    pthread_mutex_init(&j->sink_lock, NULL);
    pthread_mutex_init(&j->cancel_lock, NULL);
    j->cap = nenv + 16;
    j->env = xcalloc(j->cap, sizeof(char *));
    for (size_t i = 0; i < nenv; i++)
        j->env[j->nenv++] = xstrdup(env[i]);
    j->tty = tty;
    j->sink = sink;
    j->sink_ud = ud;
    j->level = 1; /* LOG_INFO */
    return j;
}

void job_ctx_free(job_ctx *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->nenv; i++)
        free(j->env[i]);
    free(j->env);
    pthread_mutex_destroy(&j->env_lock);
    pthread_mutex_destroy(&j->sink_lock);
    pthread_mutex_destroy(&j->cancel_lock);
    free(j);
}

job_ctx *job_current(void)
{
    return bound;
}

void job_bind(job_ctx *j)
{
    bound = j;
}

typedef struct trampoline {
    void *(*fn)(void *);
    void *arg;
    job_ctx *job;
} trampoline;

static void *start_in_job(void *p)
{
    trampoline t = *(trampoline *)p;
    free(p);
    bound = t.job;
    return t.fn(t.arg);
}

int job_thread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    if (!bound)
        return pthread_create(t, attr, fn, arg);
    trampoline *tr = xmalloc(sizeof *tr);
    *tr = (trampoline){.fn = fn, .arg = arg, .job = bound};
    int rc = pthread_create(t, attr, start_in_job, tr);
    if (rc != 0)
        free(tr);
    return rc;
}

/* The value of name in j's environment; the caller holds j->env_lock. */
static const char *lookup(const job_ctx *j, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < j->nenv; i++) {
        if (strncmp(j->env[i], name, len) == 0 && j->env[i][len] == '=')
            return j->env[i] + len + 1;
    }
    return NULL;
}

const char *job_getenv(const char *name)
{
    job_ctx *j = bound;
    if (!j)
        return getenv(name);
    pthread_mutex_lock(&j->env_lock);
    const char *v = lookup(j, name);
    pthread_mutex_unlock(&j->env_lock);
    return v;
}

void job_setenv_default(const char *name, const char *value)
{
    job_ctx *j = bound;
    if (!j) {
        setenv(name, value, 0);
        return;
    }
    pthread_mutex_lock(&j->env_lock);
    if (!lookup(j, name)) {
        if (j->nenv == j->cap) {
            j->cap *= 2;
            j->env = xrealloc(j->env, j->cap * sizeof(char *));
        }
        j->env[j->nenv++] = xasprintf("%s=%s", name, value);
    }
    pthread_mutex_unlock(&j->env_lock);
}

bool job_write(int stream, const char *data, size_t len)
{
    job_ctx *j = bound;
    if (!j)
        return false;
    pthread_mutex_lock(&j->sink_lock);
    if (j->sink)
        j->sink(j->sink_ud, stream, data, len);
    pthread_mutex_unlock(&j->sink_lock);
    return true;
}

void job_eprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!bound) {
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        return;
    }
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n >= 0) {
        job_write(JOB_STDERR, text, (size_t)n);
        free(text);
    }
}

bool job_tty(const job_ctx *j)
{
    return j->tty;
}

int job_log_level(const job_ctx *j)
{
    return j->level;
}

void job_set_log_level(job_ctx *j, int level)
{
    j->level = level;
}

void *job_log_file(const job_ctx *j)
{
    return j->log_file;
}

void job_set_log_file(job_ctx *j, void *f)
{
    j->log_file = f;
}

bool job_color(const job_ctx *j)
{
    return j->color;
}

void job_set_color(job_ctx *j, bool on)
{
    j->color = on;
}

void job_on_cancel(job_ctx *j, void (*fn)(void *ud), void *ud)
{
    pthread_mutex_lock(&j->cancel_lock);
    j->on_cancel = fn;
    j->cancel_ud = ud;
    pthread_mutex_unlock(&j->cancel_lock);
}

void job_cancel(job_ctx *j)
{
    pthread_mutex_lock(&j->cancel_lock);
    j->cancelled = true;
    if (j->on_cancel)
        j->on_cancel(j->cancel_ud);
    pthread_mutex_unlock(&j->cancel_lock);
}

bool job_cancelled(job_ctx *j)
{
    pthread_mutex_lock(&j->cancel_lock);
    bool c = j->cancelled;
    pthread_mutex_unlock(&j->cancel_lock);
    return c;
}
