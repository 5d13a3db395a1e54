/* serve_setup: --listen parsing, authentication set-up and the start of the
 * pgwire endpoint (see serve_setup.h). */
#include "cli/serve_setup.h"

#include "util/log.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* "HOST:PORT", "[V6]:PORT", ":PORT" or "HOST". */
static bool parse_listen(const char *spec, char **host, int *port)
{
    *port = 5433;
    const char *colon = NULL;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close)
            return false;
        *host = xstrndup(spec + 1, (size_t)(close - spec - 1));
        colon = close[1] == ':' ? close + 1 : NULL;
        if (close[1] && !colon)
            return false;
    } else {
        colon = strrchr(spec, ':');
        *host = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
    }
    if (!**host) {
        free(*host);
        *host = xstrdup("127.0.0.1");
    }
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || *end || p < 0 || p > 65535) {
            free(*host);
            *host = NULL;
            return false;
        }
        *port = (int)p;
    }
    return true;
}

/* The TCP host ("" for none) and port the flags ask for. */
static bool listen_address(const serve_flags *f, char **host, int *port, mlerr *err)
{
    const char *spec = f->listen ? f->listen : "127.0.0.1:5433";
    *host = NULL;
    *port = 5433;
    if (strcmp(spec, "none") == 0) {
        if (!f->socket_dir) {
            mlerr_set(err, EXIT_SETUP, "--listen none needs --socket-dir");
            return false;
        }
        *host = xstrdup("");
        return true;
    }
    if (!parse_listen(spec, host, port)) {
        mlerr_set(err, EXIT_SETUP, "--listen '%s' is not HOST:PORT", spec);
        return false;
    }
    return true;
}

bool serve_flags_check(const serve_flags *f, mlerr *err)
{
    char *host = NULL;
    int port;
    if (!listen_address(f, &host, &port, err))
        return false;
    free(host);
    auth_method m;
    if (f->auth_method && !auth_method_parse(f->auth_method, &m)) {
        mlerr_set(err, EXIT_SETUP,
                  "--auth '%s' is not a method: use scram-sha-256, md5 or password",
                  f->auth_method);
        return false;
    }
    if (!f->auth_file && !f->trust_local) {
        mlerr_set(err, EXIT_SETUP, "no way for clients to log in");
        mlerr_hint(err, "give --auth-file FILE (users from `mallard serve passwd`), or "
                        "--trust-local with --socket-dir for clients running as you");
        return false;
    }
    return true;
}

bool serve_endpoint_start(const serve_flags *f, db *d, serve_endpoint *out, mlerr *err)
{
    memset(out, 0, sizeof(*out));
    out->auth.trust_local = f->trust_local;
    int port;
    if (!serve_flags_check(f, err) || !listen_address(f, &out->host, &port, err))
        return false;
    if (f->auth_method)
        auth_method_parse(f->auth_method, &out->auth.method);
    if (f->auth_file && !auth_load(f->auth_file, &out->auth, err))
        return false;
    serve_options so = {
        .listen_host = out->host,
        .port = port,
        .socket_dir = f->socket_dir,
        .max_connections = f->max_connections,
        .idle_timeout_ms = (int)(f->idle_timeout * 1000),
        .statement_timeout_ms = (int)(f->statement_timeout * 1000),
        .max_message = (size_t)f->max_message_mb << 20,
        .auth = &out->auth,
        .tls_cert = f->tls_cert,
        .tls_key = f->tls_key,
    };
    if (!server_start(d, &so, &out->srv, err))
        return false;
    log_info("Serving %s", db_path(d));
    if (*out->host)
        log_info("Listening on %s:%d", out->host, server_port(out->srv));
    if (server_socket_path(out->srv))
        log_info("Listening on Unix socket %s", server_socket_path(out->srv));
    if (f->tls_cert)
        log_info("TLS: %s", f->tls_cert);
    log_info("Authentication: %s%s", f->auth_file ? auth_method_name(out->auth.method) : "none",
             f->trust_local ? ", trust for local Unix-socket clients of this user" : "");
    return true;
}

void serve_endpoint_free(serve_endpoint *e)
{
    if (e->srv)
        server_free(e->srv);
    auth_release(&e->auth);
    free(e->host);
    memset(e, 0, sizeof(*e));
}
