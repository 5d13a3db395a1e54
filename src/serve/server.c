/* server: listeners, the accept loop, one thread per session, and the table
 * of live connections that CancelRequest and the statement timeout use. */
#include "serve/server.h"

#include "serve/openssl_api.h"
#include "serve/session.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
    EXTRA_SLOTS = 8, /* beyond max_connections: cancel requests and "too many clients" answers */
    TICK_MS = 50,    /* how often the statement timeout is checked */
};

typedef struct conn_slot {
    bool in_use;
    int fd; /* -1 once the session thread closed it */
    bool registered;
    int32_t pid, secret;
    db_conn *conn;
    bool executing;
    bool timed_out;
    double started;
} conn_slot;

struct server {
    db *database;
    serve_options opts;
    int tcp_fd, unix_fd;
    int port;
    char *socket_path;
    int wake[2];
    volatile sig_atomic_t stop;
    SSL_CTX *tls; /* set up before any session starts, read-only after */

    pthread_mutex_t sessions_lock; /* guards everything below */
    pthread_cond_t slot_freed;
    conn_slot *slots;
    int n_slots;
    int active;     /* threads running */
    int registered; /* sessions past start-up */
    int32_t next_pid;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return false;
}

static bool listen_tcp(server *s, const char *host, int port, mlerr *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char port_text[16];
    snprintf(port_text, sizeof(port_text), "%d", port);
    int rc = getaddrinfo(host, port_text, &hints, &res);
    if (rc != 0) {
        mlerr_set(err, EXIT_SETUP, "cannot listen on %s:%d: %s", host, port, gai_strerror(rc));
        return false;
    }
    bool users = s->opts.auth && s->opts.auth->n_users > 0;
    if (!is_loopback(res->ai_addr) && !users) {
        mlerr_set(err, EXIT_SETUP,
                  "refusing to listen on %s, which is not a loopback address, without "
                  "authentication",
                  host);
        mlerr_hint(err, "give --auth-file with users (see `mallard serve passwd`), or listen on "
                        "127.0.0.1");
        freeaddrinfo(res);
        return false;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        mlerr_set(err, EXIT_SETUP, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (errno == EADDRINUSE)
            mlerr_hint(err, "another server uses that port: stop it or pick another with "
                            "--listen HOST:PORT");
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return false;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &len);
    s->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                            : ((struct sockaddr_in6 *)&ss)->sin6_port);
    s->tcp_fd = fd;
    return true;
}

static bool listen_unix(server *s, const char *dir, mlerr *err)
{
    char *path = xasprintf("%s/.s.PGSQL.%d", dir, s->port);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        mlerr_set(err, EXIT_SETUP, "socket path %s is too long for a Unix socket", path);
        mlerr_hint(err, "pick a shorter --socket-dir");
        free(path);
        return false;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* A socket file nobody answers on is left over from a crash. */
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        mlerr_set(err, EXIT_SETUP, "another server is already listening on %s", path);
        close(fd);
        free(path);
        return false;
    }
    if (fd >= 0) {
        close(fd);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 128) != 0) {
        mlerr_set(err, EXIT_SETUP, "cannot listen on %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(path);
        return false;
    }
    chmod(path, 0777); /* as PostgreSQL: who may log in is auth's business */
    s->unix_fd = fd;
    s->socket_path = path;
    return true;
}

static bool setup_tls(server *s, const serve_options *o, mlerr *err)
{
    if (!o->tls_cert && !o->tls_key)
        return true;
    if (!o->tls_cert || !o->tls_key) {
        mlerr_set(err, EXIT_SETUP, "TLS needs both --tls-cert and --tls-key");
        return false;
    }
    s->tls = SSL_CTX_new(TLS_server_method());
    if (!s->tls) {
        mlerr_set(err, EXIT_SETUP, "cannot set up TLS");
        return false;
    }
    SSL_CTX_set_min_proto_version(s->tls, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(s->tls, o->tls_cert) != 1) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot load the TLS certificate (PEM): %s", o->tls_cert,
                  ERR_reason_error_string(ERR_get_error()));
        return false;
    }
    if (SSL_CTX_use_PrivateKey_file(s->tls, o->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(s->tls) != 1) {
        mlerr_set(err, EXIT_SETUP, "%s: cannot load the TLS key, or it does not match %s: %s",
                  o->tls_key, o->tls_cert, ERR_reason_error_string(ERR_get_error()));
        return false;
    }
    return true;
}

void *server_tls_context(const server *s)
{
    return s->tls;
}

bool server_start(db *d, const serve_options *o, server **out, mlerr *err)
{
    /* every session needs it (cancel keys, SCRAM), TLS or not */
    if (!openssl_api_load(err))
        return false;
    server *s = xcalloc(1, sizeof(*s));
    s->database = d;
    s->opts = *o;
    if (s->opts.max_connections <= 0)
        s->opts.max_connections = 100;
    s->tcp_fd = s->unix_fd = -1;
    s->wake[0] = s->wake[1] = -1;
    s->port = o->port;
    pthread_mutex_init(&s->sessions_lock, NULL);
    pthread_cond_init(&s->slot_freed, NULL);
    s->n_slots = s->opts.max_connections + EXTRA_SLOTS;
    s->slots = xcalloc((size_t)s->n_slots, sizeof(conn_slot));
    s->next_pid = 1000;
    const char *host = o->detached ? "" : o->listen_host ? o->listen_host : "127.0.0.1";
    bool ok = pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) == 0;
    if (!ok)
        mlerr_set(err, EXIT_SETUP, "cannot create a pipe: %s", strerror(errno));
    if (ok)
        ok = setup_tls(s, o, err);
    if (ok && *host)
        ok = listen_tcp(s, host, o->port, err);
    if (ok && o->socket_dir && !o->detached) {
        if (!*host && o->port == 0) {
            mlerr_set(err, EXIT_SETUP, "a Unix socket needs a port number for its name");
            ok = false;
        } else {
            ok = listen_unix(s, o->socket_dir, err);
        }
    }
    if (ok && s->tcp_fd < 0 && s->unix_fd < 0 && !o->detached) {
        mlerr_set(err, EXIT_SETUP, "nothing to listen on: give --listen or --socket-dir");
        ok = false;
    }
    if (!ok) {
        server_free(s);
        return false;
    }
    *out = s;
    return true;
}

int server_port(const server *s)
{
    return s->port;
}

const char *server_socket_path(const server *s)
{
    return s->socket_path;
}

void server_request_stop(server *s)
{
    s->stop = 1;
    if (s->wake[1] >= 0) {
        ssize_t n = write(s->wake[1], "x", 1);
        (void)n;
    }
}

bool server_stopping(server *s)
{
    return s->stop != 0;
}

/* --- the session table ---------------------------------------------------------- */

bool server_register_session(server *s, int slot, db_conn *c, int32_t *pid, int32_t *secret)
{
    uint32_t r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        return false;
    pthread_mutex_lock(&s->sessions_lock);
    bool ok = s->registered < s->opts.max_connections;
    if (ok) {
        conn_slot *cs = &s->slots[slot];
        cs->registered = true;
        cs->pid = s->next_pid++;
        if (s->next_pid <= 0)
            s->next_pid = 1000;
        cs->secret = (int32_t)r;
        cs->conn = c;
        *pid = cs->pid;
        *secret = cs->secret;
        s->registered++;
    }
    pthread_mutex_unlock(&s->sessions_lock);
    return ok;
}

void server_unregister_session(server *s, int slot)
{
    pthread_mutex_lock(&s->sessions_lock);
    conn_slot *cs = &s->slots[slot];
    if (cs->registered) {
        cs->registered = false;
        cs->conn = NULL;
        cs->executing = false;
        s->registered--;
    }
    pthread_mutex_unlock(&s->sessions_lock);
}

void server_statement_begin(server *s, int slot)
{
    pthread_mutex_lock(&s->sessions_lock);
    s->slots[slot].executing = true;
    s->slots[slot].timed_out = false;
    s->slots[slot].started = now_seconds();
    pthread_mutex_unlock(&s->sessions_lock);
}

bool server_statement_end(server *s, int slot)
{
    pthread_mutex_lock(&s->sessions_lock);
    s->slots[slot].executing = false;
    bool timed_out = s->slots[slot].timed_out;
    pthread_mutex_unlock(&s->sessions_lock);
    return timed_out;
}

void server_cancel(server *s, int32_t pid, int32_t secret)
{
    pthread_mutex_lock(&s->sessions_lock);
    for (int i = 0; i < s->n_slots; i++) {
        conn_slot *cs = &s->slots[i];
        if (cs->in_use && cs->registered && cs->pid == pid) {
            /* Compare in constant time: the secret is all that authorises this. */
            if (CRYPTO_memcmp(&cs->secret, &secret, sizeof(secret)) == 0 && cs->executing)
                db_interrupt(cs->conn);
            break;
        }
    }
    pthread_mutex_unlock(&s->sessions_lock);
}

static void check_timeouts(server *s)
{
    if (s->opts.statement_timeout_ms <= 0)
        return;
    double limit = s->opts.statement_timeout_ms / 1000.0, now = now_seconds();
    pthread_mutex_lock(&s->sessions_lock);
    for (int i = 0; i < s->n_slots; i++) {
        conn_slot *cs = &s->slots[i];
        if (cs->in_use && cs->registered && cs->executing && !cs->timed_out &&
            now - cs->started > limit) {
            cs->timed_out = true;
            db_interrupt(cs->conn);
        }
    }
    pthread_mutex_unlock(&s->sessions_lock);
}

/* --- threads ---------------------------------------------------------------------------- */

typedef struct session_start {
    server *srv;
    session_peer peer;
} session_start;

static void *session_thread(void *arg)
{
    session_start *st = arg;
    server *s = st->srv;
    session_run(s, s->database, &s->opts, &st->peer);
    pthread_mutex_lock(&s->sessions_lock);
    conn_slot *cs = &s->slots[st->peer.slot];
    cs->fd = -1;
    cs->in_use = false;
    s->active--;
    pthread_cond_broadcast(&s->slot_freed);
    pthread_mutex_unlock(&s->sessions_lock);
    close(st->peer.fd);
    free(st);
    return NULL;
}

static void accept_one(server *s, int listen_fd, bool unix_socket)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    session_start *st = xcalloc(1, sizeof(*st));
    st->srv = s;
    st->peer.fd = fd;
    st->peer.unix_socket = unix_socket;
    if (unix_socket) {
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0) {
            st->peer.same_uid = cred.uid == getuid();
            snprintf(st->peer.addr, sizeof(st->peer.addr), "unix socket (pid %d, uid %d)",
                     (int)cred.pid, (int)cred.uid);
        } else {
            snprintf(st->peer.addr, sizeof(st->peer.addr), "unix socket");
        }
    } else {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        char host[64] = "?";
        int port = 0;
        if (ss.ss_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
        snprintf(st->peer.addr, sizeof(st->peer.addr), "%s:%d", host, port);
    }
    pthread_mutex_lock(&s->sessions_lock);
    int slot = -1;
    for (int i = 0; i < s->n_slots && slot < 0; i++) {
        if (!s->slots[i].in_use)
            slot = i;
    }
    if (slot >= 0) {
        s->slots[slot] = (conn_slot){.in_use = true, .fd = fd};
        s->active++;
    }
    pthread_mutex_unlock(&s->sessions_lock);
    if (slot < 0) {
        /* Every slot busy, even the spares: PostgreSQL's words, then close. */
        static const char msg[] = "EXXXXSFATAL\0C53300\0Msorry, too many clients already\0\0";
        unsigned char buf[sizeof(msg)];
        memcpy(buf, msg, sizeof(msg));
        uint32_t n = (uint32_t)sizeof(msg) - 2; /* without 'E'; the trailing NUL ends it */
        buf[1] = (unsigned char)(n >> 24);
        buf[2] = (unsigned char)(n >> 16);
        buf[3] = (unsigned char)(n >> 8);
        buf[4] = (unsigned char)n;
        ssize_t w = send(fd, buf, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)w;
        close(fd);
        free(st);
        return;
    }
    st->peer.slot = slot;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&(pthread_t){0}, &attr, session_thread, st) != 0) {
        pthread_mutex_lock(&s->sessions_lock);
        s->slots[slot].in_use = false;
        s->active--;
        pthread_mutex_unlock(&s->sessions_lock);
        close(fd);
        free(st);
    }
    pthread_attr_destroy(&attr);
}

bool server_serve_fd(server *s, int fd, bool unix_socket, bool same_uid)
{
    session_start *st = xcalloc(1, sizeof(*st));
    st->srv = s;
    st->peer.fd = fd;
    st->peer.unix_socket = unix_socket;
    st->peer.same_uid = same_uid;
    snprintf(st->peer.addr, sizeof(st->peer.addr), "in-process socket");
    pthread_mutex_lock(&s->sessions_lock);
    int slot = -1;
    for (int i = 0; i < s->n_slots && slot < 0; i++) {
        if (!s->slots[i].in_use)
            slot = i;
    }
    if (slot >= 0) {
        s->slots[slot] = (conn_slot){.in_use = true, .fd = fd};
        s->active++;
    }
    pthread_mutex_unlock(&s->sessions_lock);
    if (slot < 0) {
        close(fd);
        free(st);
        return false;
    }
    st->peer.slot = slot;
    session_thread(st);
    return true;
}

void server_run(server *s)
{
    while (!s->stop) {
        struct pollfd p[3];
        int n = 0;
        p[n++] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        int tcp_at = -1, unix_at = -1;
        if (s->tcp_fd >= 0) {
            tcp_at = n;
            p[n++] = (struct pollfd){.fd = s->tcp_fd, .events = POLLIN};
        }
        if (s->unix_fd >= 0) {
            unix_at = n;
            p[n++] = (struct pollfd){.fd = s->unix_fd, .events = POLLIN};
        }
        int rc = poll(p, (nfds_t)n, TICK_MS);
        check_timeouts(s);
        if (rc <= 0)
            continue;
        if (tcp_at >= 0 && (p[tcp_at].revents & POLLIN))
            accept_one(s, s->tcp_fd, false);
        if (unix_at >= 0 && (p[unix_at].revents & POLLIN))
            accept_one(s, s->unix_fd, true);
    }
}

void server_free(server *s)
{
    if (!s)
        return;
    s->stop = 1;
    if (s->tcp_fd >= 0)
        close(s->tcp_fd);
    if (s->unix_fd >= 0)
        close(s->unix_fd);
    if (s->socket_path)
        unlink(s->socket_path);
    /* End every session: wake its reads, interrupt its statement, wait. */
    pthread_mutex_lock(&s->sessions_lock);
    while (s->active > 0) {
        for (int i = 0; i < s->n_slots; i++) {
            conn_slot *cs = &s->slots[i];
            if (!cs->in_use)
                continue;
            if (cs->fd >= 0)
                shutdown(cs->fd, SHUT_RDWR);
            if (cs->registered && cs->executing)
                db_interrupt(cs->conn);
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&s->slot_freed, &s->sessions_lock, &until);
    }
    pthread_mutex_unlock(&s->sessions_lock);
    if (s->wake[0] >= 0)
        close(s->wake[0]);
    if (s->wake[1] >= 0)
        close(s->wake[1]);
    pthread_mutex_destroy(&s->sessions_lock);
    pthread_cond_destroy(&s->slot_freed);
    free(s->slots);
    free(s->socket_path);
    if (s->tls)
        SSL_CTX_free(s->tls);
    free(s);
}
