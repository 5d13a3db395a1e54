/* session: one client connection, from the startup packet to Terminate --
 * authentication, the simple and extended query protocols, transaction
 * status, COPY.  It runs on its own thread with its own db_conn.
 *
 * The server side that sessions call back into (the table of live sessions
 * for CancelRequest and the statement timeout) is declared here too, since
 * only server.c and session.c meet there. */
#ifndef MALLARD_SERVE_SESSION_H
#define MALLARD_SERVE_SESSION_H

#include "engine/database.h"
#include "serve/server.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct session_peer {
    int fd;
    bool unix_socket;
    bool same_uid; /* a Unix-socket peer running as the server's uid */
    char addr[80]; /* for the log */
    int slot;      /* the server's table entry for this connection */
} session_peer;

/* Runs the whole session; the caller closes peer->fd. */
void session_run(server *srv, db *database, const serve_options *o, const session_peer *peer);

/* --- implemented by server.c --------------------------------------------------- */

/* Enters the session's connection into the cancel table and draws its
 * BackendKeyData (process id and a random secret). */
bool server_register_session(server *s, int slot, db_conn *c, int32_t *pid, int32_t *secret);
void server_unregister_session(server *s, int slot);
/* Brackets each statement, so a cancel or the statement timeout interrupts
 * only running work. */
void server_statement_begin(server *s, int slot);
/* Returns whether the statement was cancelled by the timeout (not a client). */
bool server_statement_end(server *s, int slot);
/* A CancelRequest: interrupts pid's running statement if secret matches. */
void server_cancel(server *s, int32_t pid, int32_t secret);
/* Whether the server is shutting down (sessions end at their next message). */
bool server_stopping(server *s);

#endif
