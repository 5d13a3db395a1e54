/* route_client: handing a command to the database's owner and relaying
 * its output (see route_client.h). */
#include "cli/route_client.h"

#include "cli/route_wire.h"
#include "cli/setup.h"
#include "engine/advert.h"
#include "engine/lock.h"
#include "util/arena.h"
#include "util/fs.h"
#include "util/jobctx.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

/* The signal handler's only way out: a byte in this pipe. */
static int signal_pipe[2] = {-1, -1};

static void on_signal(int signo)
{
    int saved = errno;
    unsigned char b = (unsigned char)signo;
    ssize_t wrote = write(signal_pipe[1], &b, 1);
    (void)wrote;
    errno = saved;
}

static int connect_to(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The command line with the directory flags made absolute, so they mean
 * what they mean here whatever the owner's directory. */
static const char **absolute_args(arena *a, int nargs, const char **args)
{
    static const char *const dir_flags[] = {"--project-dir", "--profiles-dir", NULL};
    const char **out = arena_alloc(a, sizeof(char *) * ((size_t)nargs + 1));
    for (int i = 0; i < nargs; i++) {
        out[i] = args[i];
        for (const char *const *f = dir_flags; *f; f++) {
            size_t n = strlen(*f);
            if (strcmp(args[i], *f) == 0 && i + 1 < nargs) {
                out[i + 1] = fs_absolute(a, args[i + 1]);
                i++;
                break;
            }
            if (strncmp(args[i], *f, n) == 0 && args[i][n] == '=') {
                out[i] = arena_printf(a, "%s=%s", *f, fs_absolute(a, args[i] + n + 1));
                break;
            }
        }
    }
    out[nargs] = NULL;
    return out;
}

/* Copies the owner's output until its exit code arrives; Ctrl-C and
 * SIGTERM become cancel messages. */
static int relay(int fd)
{
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    bool piped = pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) == 0;
    if (piped) {
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
    }
    int rc = -1;
    struct pollfd fds[2] = {{.fd = fd, .events = POLLIN},
                            {.fd = piped ? signal_pipe[0] : -1, .events = POLLIN}};
    while (rc < 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents & POLLIN) {
            unsigned char b[16];
            while (read(signal_pipe[0], b, sizeof(b)) > 0) {
            }
            route_send(fd, 'C', NULL, 0);
        }
        if (!fds[0].revents)
            continue;
        char type;
        char *payload = NULL;
        size_t len;
        if (!route_recv(fd, &type, &payload, &len, ROUTE_MAX_MESSAGE))
            break;
        if (type == 'O') {
            fs_write_all(STDOUT_FILENO, payload, len);
        } else if (type == 'E') {
            fs_write_all(STDERR_FILENO, payload, len);
        } else if (type == 'X' && len == 4) {
            const unsigned char *u = (const unsigned char *)payload;
            rc = (int)(((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | ((uint32_t)u[2] << 8) |
                       u[3]);
        } else {
            free(payload);
            break;
        }
        free(payload);
    }
    if (piped) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        close(signal_pipe[0]);
        close(signal_pipe[1]);
        signal_pipe[0] = signal_pipe[1] = -1;
    }
    if (rc < 0) {
        fprintf(stderr, "mallard: the process that owns the database closed the connection "
                        "before the job finished\n");
        return EXIT_SETUP;
    }
    return rc;
}

bool route_client_try(const cli_command *cmd, cli_globals *g, int nargs, const char **args, int *rc)
{
    if (g->no_route || job_current() || !route_routable(cmd->name))
        return false;
    arena a = ARENA_INIT;
    cli_project cp;
    mlerr err = MLERR_INIT;
    bool routed = false;
    advert ad = {0};
    advert_state state = ADVERT_NONE;
    if (!cli_setup_project(g, &a, &cp, &err) || !cp.target.abs_path ||
        strcmp(cp.target.abs_path, ":memory:") == 0)
        goto done;
    /* the owner advertises under the file's real path */
    char real[PATH_MAX];
    const char *path = realpath(cp.target.abs_path, real) ? real : cp.target.abs_path;
    state = advert_read(path, &ad);
    if (state == ADVERT_STALE)
        log_debug("Ignoring %s.mallard: its process (PID %ld) is gone", path, ad.pid);
    if (state != ADVERT_LIVE)
        goto done;
    lock_holder h = {0};
    lock_describe_pid(&h, ad.pid, NULL);
    const char *cmdline = h.cmdline ? h.cmdline : (ad.command ? ad.command : "mallard");
    if (!ad.job_socket) {
        log_info("%s is owned by Mallard (PID %ld, %s), which takes no jobs: waiting for it", path,
                 ad.pid, cmdline);
        lock_holder_release(&h);
        goto done;
    }
    int fd = connect_to(ad.job_socket);
    if (fd < 0) {
        log_warn("Cannot reach the Mallard process that owns %s (PID %ld) at %s: %s; running "
                 "here",
                 path, ad.pid, ad.job_socket, strerror(errno));
        lock_holder_release(&h);
        goto done;
    }
    if (strcmp(cmd->name, "debug") == 0)
        log_info("Database %s is owned by Mallard (PID %ld, %s), jobs are routed to it", path,
                 ad.pid, cmdline);
    log_info("Routing to the Mallard process that owns %s (PID %ld)", path, ad.pid);
    lock_holder_release(&h);

    char cwd[PATH_MAX];
    size_t nenv = 0;
    while (environ && environ[nenv])
        nenv++;
    route_request req = {
        .cwd = getcwd(cwd, sizeof(cwd)) ? cwd : "/",
        .tty = isatty(STDOUT_FILENO),
        .command = cmd->name,
        .argc = nargs,
        .argv = absolute_args(&a, nargs, args),
        .nenv = nenv,
        .env = (const char **)environ,
    };
    size_t len;
    char *payload = route_request_encode(&req, &len);
    fflush(stdout);
    if (!route_send(fd, 'J', payload, len)) {
        fprintf(stderr, "mallard: could not send the job to PID %ld: %s\n", ad.pid,
                strerror(errno));
        *rc = EXIT_SETUP;
    } else {
        *rc = relay(fd);
    }
    free(payload);
    close(fd);
    routed = true;
done:
    if (state != ADVERT_NONE)
        advert_release(&ad);
    mlerr_clear(&err);
    arena_free(&a);
    return routed;
}
