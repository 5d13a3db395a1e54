/* route_server: accepting jobs from other mallard processes and running
 * them here (see route_server.h). */
#include "cli/route_server.h"

#include "cli/cli.h"
#include "cli/route_wire.h"
#include "cli/setup.h"
#include "engine/advert.h"
#include "util/arena.h"
#include "util/fs.h"
#include "util/jobctx.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
    MAX_JOBS = 64,          /* connections at once; more are turned away */
    REQUEST_TIMEOUT_S = 10, /* to send the request after connecting */
    CLIENT_STALL_S = 60,    /* a client that reads nothing this long is gone */
};

typedef struct job job;

struct route_server {
    char *command;
    char *socket_path;
    int listen_fd;
    int stop_fd; /* eventfd: wakes the accept thread */
    pthread_t accept_thread;
    bool accept_started;

    pthread_mutex_t jobs_lock; /* guards jobs, active, stopping, running */
    pthread_cond_t jobs_done;
    pthread_cond_t slot_free; /* running went down */
    job *jobs;
    int active;
    bool stopping;
    int running;     /* jobs running a command now */
    int max_running; /* at most this many; the others wait their turn */

    /* held by a job whose command keeps its options in static tables only
     * (no cli_command.opts), so it cannot run beside another such job */
    pthread_mutex_t static_options_lock;
};

struct job {
    route_server *rs;
    job *next; /* in rs->jobs */
    int fd;
    long peer_pid;
    job_ctx *ctx;   /* NULL until the request is read */
    bool dead;      /* the client stopped reading; guarded by the ctx's sink lock */
    int watch_stop; /* eventfd: wakes the watcher */
};

/* --- the job's console: every log line and error goes to the client ------- */

static void job_sink(void *ud, int stream, const char *data, size_t len)
{
    job *j = ud;
    if (j->dead)
        return;
    if (!route_send(j->fd, stream == JOB_STDERR ? 'E' : 'O', data, len)) {
        /* the watcher sees the socket close and cancels the job */
        j->dead = true;
        shutdown(j->fd, SHUT_RDWR);
    }
}

/* Reads the client's messages while the job runs: a cancel, or the end of
 * the connection (the client went away), both cancel the job. */
static void *watch_client(void *arg)
{
    job *j = arg;
    while (fs_wait_readable(j->fd, j->watch_stop)) {
        char type;
        char *payload = NULL;
        size_t len;
        if (!route_recv(j->fd, &type, &payload, &len, 0) || type != 'C') {
            free(payload);
            job_cancel(j->ctx); /* gone, or talking nonsense */
            break;
        }
        free(payload);
        job_cancel(j->ctx);
    }
    return NULL;
}

/* --- running a command with its option tables saved and restored --------- */

typedef union opt_value {
    bool b;
    const char *s;
    double d;
    int i;
    strlist l;
} opt_value;

static size_t count_options(const cli_option *o)
{
    size_t n = 0;
    for (; o && o->long_name; o++)
        n++;
    return n;
}

/* How many bytes an option of this type keeps at its dest. */
static size_t option_size(opt_type type)
{
    switch (type) {
    case OPT_FLAG:
    case OPT_FLAG_FALSE:
        return sizeof(bool);
    case OPT_STRING:
        return sizeof(const char *);
    case OPT_DOUBLE:
        return sizeof(double);
    case OPT_INT:
        return sizeof(int);
    case OPT_STRING_LIST:
        return sizeof(strlist);
    default:
        return 0;
    }
}

static void save_options(const cli_option *o, opt_value *saved)
{
    for (size_t k = 0; o && o->long_name; o++, k++)
        if (o->dest)
            memcpy(&saved[k], o->dest, option_size(o->type));
}

static void restore_options(const cli_option *o, const opt_value *saved)
{
    for (size_t k = 0; o && o->long_name; o++, k++) {
        if (!o->dest)
            continue;
        if (o->type == OPT_STRING_LIST) {
            /* the job's parse grew its own list */
            strlist *l = o->dest;
            if (l->items != saved[k].l.items)
                free(l->items);
        }
        memcpy(o->dest, &saved[k], option_size(o->type));
    }
}

/* Parses the job's words and runs the command, options and all. */
static int parse_and_run(const cli_command *cmd, const route_request *req)
{
    const char **args = xcalloc((size_t)req->argc + 1, sizeof(char *));
    memcpy(args, req->argv, sizeof(char *) * (size_t)req->argc);
    int argc = req->argc;
    const char **argv = args;
    cli_globals g = {.color = true, .lock_timeout = 30.0};
    int rc;
    if (!cli_parse(cmd, &g, &argc, &argv)) {
        rc = EXIT_SETUP;
    } else {
        log_level level = LOG_INFO;
        if (g.log_level && !log_level_parse(g.log_level, &level)) {
            job_eprintf(
                "mallard %s: unknown log level '%s' (use debug, info, warn, error or none)\n",
                cmd->name, g.log_level);
            rc = EXIT_SETUP;
        } else {
            log_set_level(level);
            log_set_color(g.color);
            struct timespec started;
            clock_gettime(CLOCK_MONOTONIC, &started);
            rc = cmd->run(&g, argc, argv);
            /* the job's logs/dbt.log, in the client's project */
            cli_log_finish(cmd->name, rc, &started);
        }
    }
    free(args);
    return rc;
}

/* Runs the request's command as cli_main would, in the job's context. */
static int run_job_command(route_server *rs, const route_request *req)
{
    const cli_command *cmd = cli_find_command(req->command);
    if (!cmd || !route_routable(req->command)) {
        job_eprintf("mallard: '%s' cannot be sent to the process that owns the database\n",
                    req->command);
        return EXIT_SETUP;
    }
    for (int i = 0; i < req->argc; i++) {
        /* help exits the process: the client prints its own */
        if (strcmp(req->argv[i], "-h") == 0 || strcmp(req->argv[i], "--help") == 0) {
            job_eprintf("mallard %s: --help is not sent to another process\n", cmd->name);
            return EXIT_SETUP;
        }
    }
    /* the job's own working directory, shared with the threads it starts */
    if (unshare(CLONE_FS) != 0 || chdir(req->cwd) != 0) {
        job_eprintf("mallard: the process that owns the database cannot work in %s: %s\n", req->cwd,
                    strerror(errno));
        return EXIT_SETUP;
    }
    int rc;
    if (cmd->opts || !cmd->options || !cmd->options->long_name) {
        /* this thread parses into a copy of its own (cli_options_bind) */
        cli_options_bind(cmd);
        rc = parse_and_run(cmd, req);
    } else {
        pthread_mutex_lock(&rs->static_options_lock);
        size_t nopt = count_options(cmd->options);
        opt_value *saved = xcalloc(nopt + 1, sizeof(opt_value));
        save_options(cmd->options, saved);
        rc = parse_and_run(cmd, req);
        restore_options(cmd->options, saved);
        free(saved);
        pthread_mutex_unlock(&rs->static_options_lock);
    }
    cli_options_release();
    return rc;
}

/* Waits for one of the max_running places, giving up when the job is
 * cancelled. */
static bool take_turn(job *j)
{
    route_server *rs = j->rs;
    bool said = false;
    pthread_mutex_lock(&rs->jobs_lock);
    while (rs->running >= rs->max_running) {
        if (job_cancelled(j->ctx)) {
            pthread_mutex_unlock(&rs->jobs_lock);
            return false;
        }
        if (!said) {
            int running = rs->running;
            pthread_mutex_unlock(&rs->jobs_lock);
            /* the job's sink writes to the socket: not under jobs_lock */
            log_info("Waiting: the owning process already runs %d job(s) from other mallard "
                     "commands, its limit (--routed-jobs)",
                     running);
            said = true;
            pthread_mutex_lock(&rs->jobs_lock);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&rs->slot_free, &rs->jobs_lock, &until);
    }
    rs->running++;
    pthread_mutex_unlock(&rs->jobs_lock);
    if (said)
        log_info("Running now");
    return true;
}

static void end_turn(route_server *rs)
{
    pthread_mutex_lock(&rs->jobs_lock);
    rs->running--;
    pthread_cond_broadcast(&rs->slot_free);
    pthread_mutex_unlock(&rs->jobs_lock);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void serve_job(job *j)
{
    struct timeval tv = {.tv_sec = REQUEST_TIMEOUT_S};
    setsockopt(j->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char type = 0;
    char *payload = NULL;
    size_t len = 0;
    arena a = ARENA_INIT;
    route_request req;
    if (!route_recv(j->fd, &type, &payload, &len, ROUTE_MAX_MESSAGE) || type != 'J' ||
        !route_request_decode(&a, payload, len, &req)) {
        log_warn("Job channel: PID %ld sent no valid job request; connection closed", j->peer_pid);
        free(payload);
        arena_free(&a);
        return;
    }
    tv.tv_sec = 0;
    setsockopt(j->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    tv.tv_sec = CLIENT_STALL_S;
    setsockopt(j->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

    strbuf line = STRBUF_INIT;
    for (int i = 0; i < req.argc; i++)
        strbuf_addf(&line, " %s", req.argv[i]);
    log_info("Job from PID %ld: mallard %s%s", j->peer_pid, req.command, strbuf_str(&line));
    double start = now_seconds();

    job_ctx *ctx = job_ctx_new(req.env, req.nenv, req.tty, job_sink, j);
    pthread_mutex_lock(&j->rs->jobs_lock);
    j->ctx = ctx;
    bool stopping = j->rs->stopping;
    pthread_mutex_unlock(&j->rs->jobs_lock);
    if (stopping)
        job_cancel(ctx);
    j->watch_stop = eventfd(0, EFD_CLOEXEC);
    pthread_t watcher;
    bool watching = j->watch_stop >= 0 && pthread_create(&watcher, NULL, watch_client, j) == 0;

    job_bind(ctx);
    int rc = EXIT_SETUP;
    if (!watching)
        job_eprintf("mallard: the owning process cannot watch this job's connection\n");
    else if (take_turn(j)) {
        rc = run_job_command(j->rs, &req);
        end_turn(j->rs);
    } else {
        log_error("Cancelled while waiting for another job");
    }
    uint8_t code[4] = {(uint8_t)(rc >> 24), (uint8_t)(rc >> 16), (uint8_t)(rc >> 8), (uint8_t)rc};
    bool cancelled = job_cancelled(ctx); /* before the client hangs up on the exit code */
    if (!j->dead)
        route_send(j->fd, 'X', code, sizeof(code));
    job_bind(NULL);

    if (watching) {
        uint64_t one = 1;
        ssize_t wrote = write(j->watch_stop, &one, sizeof(one));
        (void)wrote;
        pthread_join(watcher, NULL);
    }
    if (j->watch_stop >= 0)
        close(j->watch_stop);
    log_info("Job from PID %ld finished with exit code %d in %.2fs%s", j->peer_pid, rc,
             now_seconds() - start, cancelled ? " (cancelled)" : "");
    pthread_mutex_lock(&j->rs->jobs_lock);
    j->ctx = NULL;
    pthread_mutex_unlock(&j->rs->jobs_lock);
    job_ctx_free(ctx);
    strbuf_release(&line);
    free(payload);
    arena_free(&a);
}

static void *job_thread(void *arg)
{
    job *j = arg;
    route_server *rs = j->rs;
    serve_job(j);
    close(j->fd);
    pthread_mutex_lock(&rs->jobs_lock);
    for (job **p = &rs->jobs; *p; p = &(*p)->next) {
        if (*p == j) {
            *p = j->next;
            break;
        }
    }
    free(j);
    if (--rs->active == 0)
        pthread_cond_broadcast(&rs->jobs_done);
    pthread_mutex_unlock(&rs->jobs_lock);
    return NULL;
}

/* --- accepting ------------------------------------------------------------- */

static void turn_away(int fd, const char *why)
{
    route_send(fd, 'E', why, strlen(why));
    uint8_t code[4] = {0, 0, 0, EXIT_SETUP};
    route_send(fd, 'X', code, sizeof(code));
    close(fd);
}

static void take_connection(route_server *rs, int fd)
{
    struct ucred cred;
    socklen_t clen = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 || cred.uid != geteuid()) {
        close(fd); /* only our own user may run jobs in this process */
        return;
    }
    pthread_mutex_lock(&rs->jobs_lock);
    if (rs->stopping || rs->active >= MAX_JOBS) {
        bool stopping = rs->stopping;
        pthread_mutex_unlock(&rs->jobs_lock);
        turn_away(fd, stopping ? "mallard: the process that owns the database is shutting down\n"
                               : "mallard: the process that owns the database has too many "
                                 "jobs waiting; try again later\n");
        return;
    }
    job *j = xcalloc(1, sizeof *j);
    j->rs = rs;
    j->fd = fd;
    j->peer_pid = (long)cred.pid;
    j->watch_stop = -1;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    if (pthread_create(&t, &attr, job_thread, j) != 0) {
        pthread_mutex_unlock(&rs->jobs_lock);
        pthread_attr_destroy(&attr);
        free(j);
        turn_away(fd, "mallard: the process that owns the database cannot start a thread\n");
        return;
    }
    pthread_attr_destroy(&attr);
    j->next = rs->jobs;
    rs->jobs = j;
    rs->active++;
    pthread_mutex_unlock(&rs->jobs_lock);
}

static void *accept_main(void *arg)
{
    route_server *rs = arg;
    while (fs_wait_readable(rs->listen_fd, rs->stop_fd)) {
        int fd = accept4(rs->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            take_connection(rs, fd);
    }
    return NULL;
}

/* A private directory for the socket: ours, mode 0700. */
static bool private_dir(const char *dir, mlerr *err)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        mlerr_set(err, EXIT_SETUP, "cannot create %s for the job socket: %s", dir, strerror(errno));
        return false;
    }
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) != 0) {
        mlerr_set(err, EXIT_SETUP,
                  "%s is not a private directory of this user, so no job socket is put there", dir);
        mlerr_hint(err, "remove it, or set XDG_RUNTIME_DIR to a directory only you can use");
        return false;
    }
    return true;
}

static char *socket_dir(mlerr *err)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char *dir = NULL;
    struct stat st;
    if (xdg && *xdg == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) && strlen(xdg) < 60) {
        dir = xasprintf("%s/mallard", xdg);
    } else {
        dir = xasprintf("/tmp/mallard-%ld", (long)geteuid());
    }
    if (!private_dir(dir, err)) {
        free(dir);
        return NULL;
    }
    return dir;
}

bool route_server_start(const char *command, int max_running, route_server **out, mlerr *err)
{
    *out = NULL;
    char *dir = socket_dir(err);
    if (!dir)
        return false;
    route_server *rs = xcalloc(1, sizeof *rs);
    rs->command = xstrdup(command);
    rs->socket_path = xasprintf("%s/job-%ld.sock", dir, (long)getpid());
    free(dir);
    rs->listen_fd = -1;
    rs->stop_fd = -1;
    pthread_mutex_init(&rs->jobs_lock, NULL);
    pthread_cond_init(&rs->jobs_done, NULL);
    pthread_cond_init(&rs->slot_free, NULL);
    pthread_mutex_init(&rs->static_options_lock, NULL);
    rs->max_running = max_running > 0 ? max_running : ROUTE_DEFAULT_JOBS;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(rs->socket_path) >= sizeof(addr.sun_path)) {
        mlerr_set(err, EXIT_SETUP, "the job socket path %s is too long", rs->socket_path);
        goto fail;
    }
    strcpy(addr.sun_path, rs->socket_path);
    unlink(rs->socket_path); /* a previous process with our PID */
    rs->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (rs->listen_fd < 0 || bind(rs->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(rs->listen_fd, 16) != 0) {
        mlerr_set(err, EXIT_SETUP, "cannot listen for jobs on %s: %s", rs->socket_path,
                  strerror(errno));
        goto fail;
    }
    rs->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (rs->stop_fd < 0 || pthread_create(&rs->accept_thread, NULL, accept_main, rs) != 0) {
        mlerr_set(err, EXIT_SETUP, "cannot start the job channel: %s", strerror(errno));
        goto fail;
    }
    rs->accept_started = true;
    advert_set_self(&(advert_self){.command = command, .job_socket = rs->socket_path});
    *out = rs;
    return true;
fail:
    route_server_stop(rs);
    return false;
}

void route_server_set_pgwire(route_server *rs, const char *host, int port, const char *socket_path)
{
    advert_set_self(&(advert_self){.command = rs->command,
                                   .job_socket = rs->socket_path,
                                   .pg_host = host && *host ? host : NULL,
                                   .pg_port = port,
                                   .pg_socket = socket_path});
}

const char *route_server_socket(const route_server *rs)
{
    return rs->socket_path;
}

void route_server_stop(route_server *rs)
{
    if (!rs)
        return;
    if (rs->accept_started) {
        uint64_t one = 1;
        ssize_t wrote = write(rs->stop_fd, &one, sizeof(one));
        (void)wrote;
        pthread_join(rs->accept_thread, NULL);
        advert_clear_self();
    }
    pthread_mutex_lock(&rs->jobs_lock);
    rs->stopping = true;
    for (job *j = rs->jobs; j; j = j->next) {
        if (j->ctx)
            job_cancel(j->ctx);
    }
    while (rs->active > 0)
        pthread_cond_wait(&rs->jobs_done, &rs->jobs_lock);
    pthread_mutex_unlock(&rs->jobs_lock);
    if (rs->listen_fd >= 0) {
        close(rs->listen_fd);
        unlink(rs->socket_path);
    }
    if (rs->stop_fd >= 0)
        close(rs->stop_fd);
    pthread_mutex_destroy(&rs->jobs_lock);
    pthread_cond_destroy(&rs->jobs_done);
    pthread_cond_destroy(&rs->slot_free);
    pthread_mutex_destroy(&rs->static_options_lock);
    free(rs->command);
    free(rs->socket_path);
    free(rs);
}
