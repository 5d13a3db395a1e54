/* server: the PostgreSQL-wire endpoint of a process that owns a database.
 *
 * It listens on TCP and on a Unix socket (libpq's .s.PGSQL.<port> naming)
 * and runs one thread per client session, each with its own db_conn on the
 * owner's single db handle, up to max_connections.  The server keeps the
 * table of live sessions (for CancelRequest and the statement timeout) under
 * one lock, sessions_lock; nothing else is shared between session threads. */
#ifndef MALLARD_SERVE_SERVER_H
#define MALLARD_SERVE_SERVER_H

#include "engine/database.h"
#include "serve/auth.h"
#include "util/error.h"

#include <stdbool.h>

typedef struct serve_options {
    const char *listen_host; /* NULL: 127.0.0.1; "" turns TCP off */
    int port;                /* 0 picks a free port (see server_port) */
    const char *socket_dir;  /* NULL: no Unix socket */
    int max_connections;
    int idle_timeout_ms;      /* 0: none */
    int statement_timeout_ms; /* 0: none */
    size_t max_message;       /* 0: PG_DEFAULT_MAX_MESSAGE */
    const auth_config *auth;
    const char *tls_cert; /* PEM files; both set: SSLRequest gets TLS, else 'N' */
    const char *tls_key;
    /* No listeners at all: sessions arrive through server_serve_fd (the
     * fuzzer and tests drive the protocol over a socketpair this way). */
    bool detached;
} serve_options;

typedef struct server server;

/* Binds the listeners; fails with an mlerr naming the address. */
bool server_start(db *d, const serve_options *o, server **out, mlerr *err);
/* Serves until server_request_stop (async-signal-safe) is called. */
void server_run(server *s);
void server_request_stop(server *s);
/* Closes every session and listener and frees s. */
void server_free(server *s);
/* Runs one session on an already-connected socket in the calling thread and
 * closes it; false if every slot is busy. */
bool server_serve_fd(server *s, int fd, bool unix_socket, bool same_uid);
int server_port(const server *s);
/* The TLS context when --tls-cert/--tls-key were given, else NULL (an
 * SSL_CTX *, shared read-only by the sessions). */
void *server_tls_context(const server *s);
/* The Unix socket's path, or NULL. */
const char *server_socket_path(const server *s);

#endif
