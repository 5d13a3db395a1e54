/* sigwatch: SIGINT/SIGTERM read from a signalfd on a watcher thread (see
 * sigwatch.h).  The watcher sleeps in poll() on the signalfd and an
 * eventfd that sigwatch_stop writes to, so it never spins. */
#include "exec/sigwatch.h"

#include "util/fs.h"
#include "util/jobctx.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct sigwatch {
    void (*on_signal)(void *ctx, int signo);
    void *ctx;
    job_ctx *job; /* set when watching a routed job's cancel instead of signals */
    int sig_fd, stop_fd;
    sigset_t old_mask;
    pthread_t thread;
    atomic_int first_signal;
};

static void *watch_main(void *arg)
{
    sigwatch *w = arg;
    while (fs_wait_readable(w->sig_fd, w->stop_fd)) {
        struct signalfd_siginfo si;
        ssize_t got = read(w->sig_fd, &si, sizeof(si));
        if (got != (ssize_t)sizeof(si))
            continue;
        int expected = 0;
        atomic_compare_exchange_strong(&w->first_signal, &expected, (int)si.ssi_signo);
        w->on_signal(w->ctx, (int)si.ssi_signo);
    }
    return NULL;
}

/* A routed job's cancel (the client's Ctrl-C, or the client going away)
 * arrives as if it were SIGINT. */
static void on_job_cancel(void *arg)
{
    sigwatch *w = arg;
    int expected = 0;
    atomic_compare_exchange_strong(&w->first_signal, &expected, SIGINT);
    w->on_signal(w->ctx, SIGINT);
}

bool sigwatch_start(void (*on_signal)(void *ctx, int signo), void *ctx, sigwatch **out, mlerr *err)
{
    *out = NULL;
    sigwatch *w = xcalloc(1, sizeof(*w));
    w->on_signal = on_signal;
    w->ctx = ctx;
    atomic_init(&w->first_signal, 0);
    /* In a job run for another process, the signals belong to the owning
     * process (its own shutdown); the job's cancel comes from its client. */
    w->job = job_current();
    if (w->job) {
        if (job_cancelled(w->job))
            atomic_store(&w->first_signal, SIGINT);
        job_on_cancel(w->job, on_job_cancel, w);
        *out = w;
        return true;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int rc = pthread_sigmask(SIG_BLOCK, &set, &w->old_mask);
    if (rc != 0) {
        mlerr_set(err, EXIT_SETUP, "cannot block SIGINT/SIGTERM: %s", strerror(rc));
        free(w);
        return false;
    }
    w->sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
    w->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (w->sig_fd < 0 || w->stop_fd < 0) {
        mlerr_set(err, EXIT_SETUP, "cannot watch for SIGINT/SIGTERM: %s", strerror(errno));
        goto fail;
    }
    rc = pthread_create(&w->thread, NULL, watch_main, w);
    if (rc != 0) {
        mlerr_set(err, EXIT_SETUP, "cannot start the signal watcher: %s", strerror(rc));
        goto fail;
    }
    *out = w;
    return true;
fail:
    if (w->sig_fd >= 0)
        close(w->sig_fd);
    if (w->stop_fd >= 0)
        close(w->stop_fd);
    pthread_sigmask(SIG_SETMASK, &w->old_mask, NULL);
    free(w);
    return false;
}

int sigwatch_received(sigwatch *w)
{
    return atomic_load(&w->first_signal);
}

int sigwatch_stop(sigwatch *w)
{
    if (!w)
        return 0;
    if (w->job) {
        job_on_cancel(w->job, NULL, NULL);
        int first = atomic_load(&w->first_signal);
        free(w);
        return first;
    }
    uint64_t one = 1;
    ssize_t wrote = write(w->stop_fd, &one, sizeof(one));
    (void)wrote;
    pthread_join(w->thread, NULL);
    close(w->sig_fd);
    close(w->stop_fd);
    /* A signal that arrived after the watcher stopped is still pending;
     * restoring the mask would deliver it with the default action (death),
     * so record it instead. */
    sigset_t pending;
    sigpending(&pending);
    int first = atomic_load(&w->first_signal);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM)) {
        int signo = 0;
        struct timespec zero = {0, 0};
        while ((signo = sigtimedwait(&set, NULL, &zero)) > 0) {
            if (!first)
                first = signo;
        }
    }
    pthread_sigmask(SIG_SETMASK, &w->old_mask, NULL);
    free(w);
    return first;
}
