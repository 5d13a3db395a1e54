/* task_ctl: the cancellation token of one running task (task_runner.h). */
#include "sched/task_runner.h"

void task_ctl_init(task_ctl *c)
{
    pthread_mutex_init(&c->lock, NULL);
    c->cancelled = false;
    c->on_cancel = NULL;
    c->arg = NULL;
}

void task_ctl_destroy(task_ctl *c)
{
    pthread_mutex_destroy(&c->lock);
}

void task_ctl_cancel(task_ctl *c)
{
    pthread_mutex_lock(&c->lock);
    if (!c->cancelled) {
        c->cancelled = true;
        if (c->on_cancel)
            c->on_cancel(c->arg);
    }
    pthread_mutex_unlock(&c->lock);
}

bool task_ctl_cancelled(task_ctl *c)
{
    pthread_mutex_lock(&c->lock);
    bool v = c->cancelled;
    pthread_mutex_unlock(&c->lock);
    return v;
}

bool task_ctl_watch(task_ctl *c, void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&c->lock);
    bool ok = !c->cancelled;
    if (ok) {
        c->on_cancel = fn;
        c->arg = arg;
    }
    pthread_mutex_unlock(&c->lock);
    return ok;
}

void task_ctl_unwatch(task_ctl *c)
{
    pthread_mutex_lock(&c->lock);
    c->on_cancel = NULL;
    c->arg = NULL;
    pthread_mutex_unlock(&c->lock);
}
