/* cmd_serve: `mallard serve`, the PostgreSQL-wire endpoint on a profile's
 * database (or --database PATH), and `mallard serve passwd USER`, which
 * writes a user's SCRAM verifier into the auth file. */
#include "cli/cli.h"
#include "cli/route_server.h"
#include "cli/serve_setup.h"
#include "cli/setup.h"
#include "engine/database.h"
#include "serve/auth.h"
#include "serve/openssl_api.h"
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
static serve_flags flags = SERVE_FLAGS_INIT;
static bool opt_readonly;
static int opt_routed_jobs;

static const cli_option serve_options_table[] = {
    {"database", 0, OPT_STRING, &opt_database, "MALLARD_SERVE_DATABASE", "PATH",
     "serve this DuckDB file instead of the profile's database"},
    SERVE_FLAG_OPTIONS(flags),
    {"readonly", 0, OPT_FLAG, &opt_readonly, NULL, NULL,
     "with `passwd`: the user may only read (writes fail with SQLSTATE 25006)"},
    ROUTED_JOBS_OPTION(opt_routed_jobs),
    {0},
};

static server *running_server;

static void on_signal(int sig)
{
    (void)sig;
    if (running_server)
        server_request_stop(running_server);
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
    if (!flags.auth_file) {
        fprintf(stderr, "mallard serve passwd: --auth-file FILE is required\n");
        return EXIT_SETUP;
    }
    mlerr err = MLERR_INIT;
    if (!openssl_api_load(&err)) {
        int rc = cli_fail(&err);
        mlerr_clear(&err);
        return rc;
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
    bool ok =
        verifier && auth_file_set_user(flags.auth_file, argv[0], verifier, opt_readonly, &err);
    free(verifier);
    if (!ok) {
        int rc = cli_fail(&err);
        mlerr_clear(&err);
        return rc;
    }
    log_info("Wrote user \"%s\"%s to %s", argv[0], opt_readonly ? " (read-only)" : "",
             flags.auth_file);
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
    mlerr err = MLERR_INIT;
    arena a = ARENA_INIT;
    db *d = NULL;
    serve_endpoint ep = {0};
    route_server *jobs = NULL;
    int rc = EXIT_OK;
    if (!serve_flags_check(&flags, &err))
        goto fail;
    db_options o = {.lock_timeout = g->lock_timeout};
    cli_project p;
    if (opt_database) {
        o.path = opt_database;
    } else {
        if (!cli_setup_project(g, &a, &p, &err))
            goto fail;
        o = cli_target_db_options(&p.target, o.lock_timeout);
        o.threads = p.target.threads;
    }
    if (!db_open(&o, &d, &err) || !serve_endpoint_start(&flags, d, &ep, &err))
        goto fail;
    /* `mallard build` and friends aimed at this file run here (route_server.h) */
    if (!route_server_start("serve", opt_routed_jobs, &jobs, &err))
        goto fail;
    route_server_set_pgwire(jobs, ep.host, server_port(ep.srv), server_socket_path(ep.srv));
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    running_server = ep.srv;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    log_info("Jobs from other mallard commands: %s", route_server_socket(jobs));
    server_run(ep.srv);
    log_info("Shutting down");
    running_server = NULL;
    goto done;
fail:
    rc = cli_fail(&err);
    mlerr_clear(&err);
done:
    route_server_stop(jobs);
    serve_endpoint_free(&ep);
    if (d)
        db_close(d);
    arena_free(&a);
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
