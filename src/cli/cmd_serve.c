/* cmd_serve: `mallard serve`, the PostgreSQL-wire endpoint on a profile's
 * database (or --database PATH), and `mallard serve passwd USER`, which
 * writes a user's SCRAM verifier into the auth file. */
#include "cli/cli.h"
#include "cli/route_server.h"
#include "cli/setup.h"
#include "engine/database.h"
#include "serve/auth.h"
#include "serve/server.h"
#include "util/arena.h"
#include "util/xalloc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const char *opt_database;
static const char *opt_listen;
static const char *opt_socket_dir;
static const char *opt_auth_file;
static const char *opt_auth_method;
static bool opt_trust_local;
static bool opt_readonly;
static int opt_max_connections = 100;
static double opt_idle_timeout;
static double opt_statement_timeout;
static int opt_max_message_mb = 16;
static const char *opt_tls_cert;
static const char *opt_tls_key;

static const cli_option serve_options_table[] = {
    {"database", 0, OPT_STRING, &opt_database, "MALLARD_SERVE_DATABASE", "PATH",
     "serve this DuckDB file instead of the profile's database"},
    {"listen", 0, OPT_STRING, &opt_listen, "MALLARD_SERVE_LISTEN", "HOST:PORT",
     "TCP address (default: 127.0.0.1:5433; port 0 picks a free one; 'none' turns TCP off)"},
    {"socket-dir", 0, OPT_STRING, &opt_socket_dir, "MALLARD_SERVE_SOCKET_DIR", "DIR",
     "also listen on DIR/.s.PGSQL.<port>, so `psql -h DIR -p PORT` works"},
    {"auth-file", 0, OPT_STRING, &opt_auth_file, "MALLARD_SERVE_AUTH_FILE", "FILE",
     "users and their SCRAM verifiers (write entries with `mallard serve passwd`)"},
    {"auth", 0, OPT_STRING, &opt_auth_method, NULL, "METHOD",
     "how users prove who they are: scram-sha-256 (default), md5 or password"},
    {"trust-local", 0, OPT_FLAG, &opt_trust_local, NULL, NULL,
     "let Unix-socket clients running as this user in without a password"},
    {"max-connections", 0, OPT_INT, &opt_max_connections, NULL, "N",
     "most client sessions at once (default: 100)"},
    {"idle-timeout", 0, OPT_DOUBLE, &opt_idle_timeout, NULL, "SECONDS",
     "close sessions idle this long (default: 0, never)"},
    {"statement-timeout", 0, OPT_DOUBLE, &opt_statement_timeout, NULL, "SECONDS",
     "cancel statements running this long (default: 0, never)"},
    {"max-message-mb", 0, OPT_INT, &opt_max_message_mb, NULL, "MB",
     "largest protocol message accepted (default: 16)"},
    {"tls-cert", 0, OPT_STRING, &opt_tls_cert, "MALLARD_SERVE_TLS_CERT", "FILE",
     "PEM certificate (chain): clients asking for TLS get it"},
    {"tls-key", 0, OPT_STRING, &opt_tls_key, "MALLARD_SERVE_TLS_KEY", "FILE",
     "PEM private key for --tls-cert"},
    {"readonly", 0, OPT_FLAG, &opt_readonly, NULL, NULL,
     "with `passwd`: the user may only read (writes fail with SQLSTATE 25006)"},
    {0},
};

static server *running_server;

static void on_signal(int sig)
{
    (void)sig;
    if (running_server)
        server_request_stop(running_server);
}

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

/* Reads a password from the terminal without echo, or one line of stdin. */
static char *read_password(void)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fprintf(stderr, "Password: ");
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    return line;
}

static int run_passwd(int argc, const char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "usage: mallard serve passwd --auth-file FILE [--readonly] USER\n");
        return EXIT_SETUP;
    }
    if (!opt_auth_file) {
        fprintf(stderr, "mallard serve passwd: --auth-file FILE is required\n");
        return EXIT_SETUP;
    }
    char *pw = read_password();
    if (!pw || !*pw) {
        fprintf(stderr, "mallard serve passwd: no password given (it is read from stdin)\n");
        free(pw);
        return EXIT_SETUP;
    }
    char *verifier = auth_scram_verifier(pw);
    memset(pw, 0, strlen(pw));
    free(pw);
    mlerr err = MLERR_INIT;
    bool ok = verifier && auth_file_set_user(opt_auth_file, argv[0], verifier, opt_readonly, &err);
    free(verifier);
    if (!ok) {
        int rc = cli_fail(&err);
        mlerr_clear(&err);
        return rc;
    }
    log_info("Wrote user \"%s\"%s to %s", argv[0], opt_readonly ? " (read-only)" : "",
             opt_auth_file);
    return EXIT_OK;
}

static int run_serve(cli_globals *g, int argc, const char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "passwd") == 0)
        return run_passwd(argc - 1, argv + 1);
    if (argc > 0) {
        fprintf(stderr, "mallard serve: unexpected argument '%s'\n", argv[0]);
        fprintf(stderr, "  hint: run 'mallard help serve' for its options\n");
        return EXIT_SETUP;
    }
    char *host = NULL;
    int port = 5433;
    const char *spec = opt_listen ? opt_listen : "127.0.0.1:5433";
    if (strcmp(spec, "none") == 0) {
        host = xstrdup("");
        if (!opt_socket_dir) {
            fprintf(stderr, "mallard serve: --listen none needs --socket-dir\n");
            free(host);
            return EXIT_SETUP;
        }
    } else if (!parse_listen(spec, &host, &port)) {
        fprintf(stderr, "mallard serve: --listen '%s' is not HOST:PORT\n", spec);
        return EXIT_SETUP;
    }
    auth_config auth = {.trust_local = opt_trust_local};
    mlerr err = MLERR_INIT;
    arena a = ARENA_INIT;
    db *d = NULL;
    server *srv = NULL;
    route_server *jobs = NULL;
    int rc = EXIT_OK;
    if (opt_auth_method && !auth_method_parse(opt_auth_method, &auth.method)) {
        mlerr_set(&err, EXIT_SETUP,
                  "--auth '%s' is not a method: use scram-sha-256, md5 or password",
                  opt_auth_method);
        goto fail;
    }
    if (opt_auth_file && !auth_load(opt_auth_file, &auth, &err))
        goto fail;
    if (!opt_auth_file && !opt_trust_local) {
        mlerr_set(&err, EXIT_SETUP, "no way for clients to log in");
        mlerr_hint(&err, "give --auth-file FILE (users from `mallard serve passwd`), or "
                         "--trust-local with --socket-dir for clients running as you");
        goto fail;
    }
    db_options o = {.lock_timeout = g->lock_timeout};
    cli_project p;
    if (opt_database) {
        o.path = opt_database;
    } else {
        if (!cli_setup_project(g, &a, &p, &err))
            goto fail;
        const dbt_target *t = &p.target;
        o.path = t->abs_path;
        o.threads = t->threads;
        o.settings = t->settings;
        o.n_settings = t->n_settings;
        o.extensions = t->extensions;
        o.n_extensions = t->n_extensions;
        o.config_file = t->profiles_file;
    }
    if (!db_open(&o, &d, &err))
        goto fail;
    serve_options so = {
        .listen_host = host,
        .port = port,
        .socket_dir = opt_socket_dir,
        .max_connections = opt_max_connections,
        .idle_timeout_ms = (int)(opt_idle_timeout * 1000),
        .statement_timeout_ms = (int)(opt_statement_timeout * 1000),
        .max_message = (size_t)opt_max_message_mb << 20,
        .auth = &auth,
        .tls_cert = opt_tls_cert,
        .tls_key = opt_tls_key,
    };
    if (!server_start(d, &so, &srv, &err))
        goto fail;
    /* `mallard build` and friends aimed at this file run here (route_server.h) */
    if (!route_server_start("serve", &jobs, &err))
        goto fail;
    route_server_set_pgwire(jobs, host, server_port(srv), server_socket_path(srv));
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    running_server = srv;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    log_info("Serving %s", db_path(d));
    if (*host)
        log_info("Listening on %s:%d", host, server_port(srv));
    if (server_socket_path(srv))
        log_info("Listening on Unix socket %s", server_socket_path(srv));
    if (opt_tls_cert)
        log_info("TLS: %s", opt_tls_cert);
    log_info("Authentication: %s%s", opt_auth_file ? auth_method_name(auth.method) : "none",
             opt_trust_local ? ", trust for local Unix-socket clients of this user" : "");
    log_info("Jobs from other mallard commands: %s", route_server_socket(jobs));
    server_run(srv);
    log_info("Shutting down");
    route_server_stop(jobs);
    jobs = NULL;
    running_server = NULL;
    server_free(srv);
    srv = NULL;
    goto done;
fail:
    rc = cli_fail(&err);
    mlerr_clear(&err);
done:
    route_server_stop(jobs);
    if (srv)
        server_free(srv);
    if (d)
        db_close(d);
    auth_release(&auth);
    arena_free(&a);
    free(host);
    return rc;
}

const cli_command cmd_serve = {
    .name = "serve",
    .summary = "Serve the database to PostgreSQL clients (psql, drivers, BI tools)",
    .usage = "serve [--listen HOST:PORT] [--socket-dir DIR] [--auth-file FILE] [--database PATH]\n"
             "       mallard serve passwd --auth-file FILE [--readonly] USER",
    .options = serve_options_table,
    .run = run_serve,
    .description =
        "Opens the profile's database (or --database PATH) once and speaks the PostgreSQL\n"
        "wire protocol (v3) on it, so psql, psycopg2 and other clients share the file with\n"
        "this process instead of fighting over its lock.  Each client session gets its own\n"
        "DuckDB connection.  Clients authenticate with SCRAM-SHA-256 against the users in\n"
        "--auth-file; `mallard serve passwd USER` reads a password from stdin and writes the\n"
        "user's verifier there.  --trust-local lets Unix-socket clients running as the same\n"
        "OS user in without a password.  Stop the server with Ctrl-C or SIGTERM.",
};
