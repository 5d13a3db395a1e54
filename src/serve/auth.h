/* auth: who may connect, and how they prove it.
 *
 * Users come from an auth file (--auth-file), one per line:
 *
 *     # comment
 *     NAME:SCRAM-SHA-256$ITERATIONS:SALT$STOREDKEY:SERVERKEY[:OPTION...]
 *     NAME:md5HEX[:OPTION...]
 *
 * The verifier is PostgreSQL's own pg_authid format (base64 salt and keys),
 * so entries can be copied from a PostgreSQL server and `mallard serve passwd`
 * writes the same.  The only OPTION is `readonly`: that user's writes fail
 * with SQLSTATE 25006.  No password is stored or logged.
 *
 * TCP clients authenticate with the configured method (SCRAM-SHA-256 unless
 * md5 or cleartext password is chosen).  `trust` applies only to Unix-socket
 * peers running as the server's own uid, and only when enabled. */
#ifndef MALLARD_SERVE_AUTH_H
#define MALLARD_SERVE_AUTH_H

#include "util/error.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    AUTH_SCRAM = 0,
    AUTH_MD5,
    AUTH_PASSWORD, /* cleartext over the wire, checked against the verifier */
} auth_method;

typedef struct auth_user {
    char *name;
    char *scram; /* SCRAM-SHA-256$... or NULL */
    char *md5;   /* md5... or NULL */
    bool read_only;
} auth_user;

typedef struct auth_config {
    auth_method method;
    bool trust_local; /* Unix-socket peers with the server's uid need no password */
    auth_user *users;
    size_t n_users;
} auth_config;

const char *auth_method_name(auth_method m);
bool auth_method_parse(const char *s, auth_method *out);

/* Reads an auth file; errors name file and line. */
bool auth_load(const char *path, auth_config *out, mlerr *err);
void auth_release(auth_config *c);
const auth_user *auth_find(const auth_config *c, const char *name);

/* A new SCRAM-SHA-256 verifier for password (random salt, 4096 rounds). */
char *auth_scram_verifier(const char *password);
/* Whether a cleartext password matches the user's verifier. */
bool auth_check_password(const auth_user *u, const char *password);
/* Writes or replaces NAME's line in the auth file (created 0600). */
bool auth_file_set_user(const char *path, const char *name, const char *verifier, bool read_only,
                        mlerr *err);

/* The server side of one SCRAM-SHA-256 exchange (RFC 5802 / 7677). */
typedef struct scram_exchange {
    const auth_user *user; /* NULL: unknown user, the exchange runs on and then fails */
    int iterations;
    unsigned char salt[64];
    size_t salt_len;
    unsigned char stored_key[32], server_key[32];
    char *client_first_bare;
    char *server_first;
    char *nonce; /* client nonce + server nonce */
} scram_exchange;

/* From the client's SASLInitialResponse data, the server-first-message. */
bool scram_first(scram_exchange *x, const auth_user *u, const char *data, size_t len, strbuf *reply,
                 strbuf *why);
/* From the client-final-message, the server-final-message; false if the
 * proof is wrong (or anything is malformed). */
bool scram_final(scram_exchange *x, const char *data, size_t len, strbuf *reply, strbuf *why);
void scram_release(scram_exchange *x);

/* md5 password check: md5(md5(password || user) || salt) as the client sent. */
bool auth_check_md5(const auth_user *u, const unsigned char salt[4], const char *response);

#endif
