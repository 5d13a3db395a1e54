/* serve_setup: the pgwire endpoint's flags and start-up, shared by `mallard
 * serve` and `mallard scheduler --serve` (one parser for --listen, one
 * place that refuses a server nobody can log in to). */
#ifndef MALLARD_CLI_SERVE_SETUP_H
#define MALLARD_CLI_SERVE_SETUP_H

#include "cli/cli.h"
#include "engine/database.h"
#include "serve/auth.h"
#include "serve/server.h"

typedef struct serve_flags {
    const char *listen;
    const char *socket_dir;
    const char *auth_file;
    const char *auth_method;
    bool trust_local;
    int max_connections;
    double idle_timeout;
    double statement_timeout;
    int max_message_mb;
    const char *tls_cert;
    const char *tls_key;
} serve_flags;

#define SERVE_FLAGS_INIT                                                                           \
    {                                                                                              \
        .max_connections = 100, .max_message_mb = 16                                               \
    }

/* The option table entries of the endpoint, pointing into f. */
#define SERVE_FLAG_OPTIONS(f)                                                                      \
    {"listen",                                                                                     \
     0,                                                                                            \
     OPT_STRING,                                                                                   \
     &(f).listen,                                                                                  \
     "MALLARD_SERVE_LISTEN",                                                                       \
     "HOST:PORT",                                                                                  \
     "TCP address (default: 127.0.0.1:5433; port 0 picks a free one; 'none' turns TCP off)"},      \
        {"socket-dir",                                                                             \
         0,                                                                                        \
         OPT_STRING,                                                                               \
         &(f).socket_dir,                                                                          \
         "MALLARD_SERVE_SOCKET_DIR",                                                               \
         "DIR",                                                                                    \
         "also listen on DIR/.s.PGSQL.<port>, so `psql -h DIR -p PORT` works"},                    \
        {"auth-file",                                                                              \
         0,                                                                                        \
         OPT_STRING,                                                                               \
         &(f).auth_file,                                                                           \
         "MALLARD_SERVE_AUTH_FILE",                                                                \
         "FILE",                                                                                   \
         "users and their SCRAM verifiers (write entries with `mallard serve passwd`)"},           \
        {"auth",                                                                                   \
         0,                                                                                        \
         OPT_STRING,                                                                               \
         &(f).auth_method,                                                                         \
         NULL,                                                                                     \
         "METHOD",                                                                                 \
         "how users prove who they are: scram-sha-256 (default), md5 or password"},                \
        {"trust-local",                                                                            \
         0,                                                                                        \
         OPT_FLAG,                                                                                 \
         &(f).trust_local,                                                                         \
         NULL,                                                                                     \
         NULL,                                                                                     \
         "let Unix-socket clients running as this user in without a password"},                    \
        {"max-connections",                                                                        \
         0,                                                                                        \
         OPT_INT,                                                                                  \
         &(f).max_connections,                                                                     \
         NULL,                                                                                     \
         "N",                                                                                      \
         "most client sessions at once (default: 100)"},                                           \
        {"idle-timeout",                                                                           \
         0,                                                                                        \
         OPT_DOUBLE,                                                                               \
         &(f).idle_timeout,                                                                        \
         NULL,                                                                                     \
         "SECONDS",                                                                                \
         "close sessions idle this long (default: 0, never)"},                                     \
        {"statement-timeout",                                                                      \
         0,                                                                                        \
         OPT_DOUBLE,                                                                               \
         &(f).statement_timeout,                                                                   \
         NULL,                                                                                     \
         "SECONDS",                                                                                \
         "cancel statements running this long (default: 0, never)"},                               \
        {"max-message-mb",                                                                         \
         0,                                                                                        \
         OPT_INT,                                                                                  \
         &(f).max_message_mb,                                                                      \
         NULL,                                                                                     \
         "MB",                                                                                     \
         "largest protocol message accepted (default: 16)"},                                       \
        {"tls-cert",                                                                               \
         0,                                                                                        \
         OPT_STRING,                                                                               \
         &(f).tls_cert,                                                                            \
         "MALLARD_SERVE_TLS_CERT",                                                                 \
         "FILE",                                                                                   \
         "PEM certificate (chain): clients asking for TLS get it"},                                \
    {                                                                                              \
        "tls-key", 0, OPT_STRING, &(f).tls_key, "MALLARD_SERVE_TLS_KEY", "FILE",                   \
            "PEM private key for --tls-cert"                                                       \
    }

typedef struct serve_endpoint {
    server *srv;
    auth_config auth;
    char *host; /* "" when TCP is off */
} serve_endpoint;

/* Checks the flags (before anything is opened): the listen address and a
 * way to log in.  who names the command in usage errors. */
bool serve_flags_check(const serve_flags *f, mlerr *err);
/* Loads the users, binds the listeners on d and logs where it listens. */
bool serve_endpoint_start(const serve_flags *f, db *d, serve_endpoint *out, mlerr *err);
/* Frees the server (after server_run returned, or if it never ran). */
void serve_endpoint_free(serve_endpoint *e);

#endif
