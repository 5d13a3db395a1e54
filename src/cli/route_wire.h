/* route_wire: the messages between a `mallard` client and the process that
 * owns its database (route_client.c, route_server.c), over a Unix socket.
 *
 * Every message is one type byte, a 4-byte big-endian payload length and
 * the payload; lengths are bounded (ROUTE_MAX_MESSAGE), and anything
 * malformed ends that connection.
 *   client -> owner   'J' job: NUL-terminated strings
 *                        "mallard-job-1", cwd, "0"/"1" (stdout is a TTY),
 *                        the command name, argc, argc words, envc, envc
 *                        "KEY=VALUE" words -- nothing after the last
 *                     'C' cancel (Ctrl-C), empty
 *   owner -> client   'O' bytes for stdout, 'E' bytes for stderr
 *                     'X' the exit code, 4 bytes big-endian; the owner
 *                        closes the connection after it
 * A client that closes its end cancels its job. */
#ifndef MALLARD_CLI_ROUTE_WIRE_H
#define MALLARD_CLI_ROUTE_WIRE_H

#include "util/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    ROUTE_MAX_MESSAGE = 8 << 20,
    ROUTE_MAX_WORDS = 65536, /* argc and envc, each */
};

#define ROUTE_MAGIC "mallard-job-1"

typedef struct route_request {
    const char *cwd;
    bool tty;
    const char *command;
    int argc;
    const char **argv;
    size_t nenv;
    const char **env;
} route_request;

/* The commands a job may carry: the ones that open the database. */
bool route_routable(const char *command);

/* Sends one message; false when the peer is gone (never raises SIGPIPE). */
bool route_send(int fd, char type, const void *data, size_t len);
/* Reads one message into *payload (heap, NUL-terminated, freed by the
 * caller); false on EOF, error, or a length over max. */
bool route_recv(int fd, char *type, char **payload, size_t *len, size_t max);

/* Encodes a request into one 'J' payload (heap). */
char *route_request_encode(const route_request *r, size_t *len);
/* Decodes a payload; the strings point into payload, the arrays are in a.
 * False if it is not exactly a well-formed request. */
bool route_request_decode(arena *a, const char *payload, size_t len, route_request *out);

#endif
