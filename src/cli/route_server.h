/* route_server: the job channel of a process that owns databases (`mallard
 * serve`, `mallard scheduler`).
 *
 * Other `mallard build|run|seed|test|debug|show` processes aimed at a database
 * this process owns send their command here instead of failing on DuckDB's
 * lock (route_client.c; the messages are in route_wire.h).  The channel is
 * a Unix socket in a private directory ($XDG_RUNTIME_DIR/mallard, else
 * /tmp/mallard-<uid>, mode 0700), named in the database's advertisement
 * (engine/advert.h); only peers running as our uid are accepted
 * (SO_PEERCRED).
 *
 * Each job runs on its own thread through the very code of a local run
 * (the command's run function), with a job context (util/jobctx.h): the
 * client's environment, its console (log lines stream back as they are
 * written, from the job's worker threads too), its working directory
 * (unshare(CLONE_FS) gives the job thread, and the workers it starts, a
 * cwd of their own), and its Ctrl-C (a cancel message, or the client
 * closing the socket, reaches exec_session_cancel through sigwatch).
 * db_open in the job finds this process's open handle in the engine's
 * registry, so the file is never opened twice.
 *
 * Jobs run side by side, up to max_running at once (`--routed-jobs`); each
 * is an exec session of its own on the shared database handle, with its own
 * connections, and relation turns (engine/database.h) order two jobs'
 * writes of one relation.  A job parses its options into a copy of its
 * command's option struct (cli_options_bind), so no job sees another's.  A
 * job beyond the limit tells its client it is waiting, and runs when a
 * place frees.
 *
 * Locks: jobs_lock guards the list of connected jobs, the count that
 * route_server_stop waits on and the count of running jobs (it is taken
 * before a job's cancel_lock, never after);
 * static_options_lock is held by a job whose command has no option struct
 * of its own (none of the routable ones today). */
#ifndef MALLARD_CLI_ROUTE_SERVER_H
#define MALLARD_CLI_ROUTE_SERVER_H

#include "util/error.h"

#include <stdbool.h>

typedef struct route_server route_server;

/* Routed jobs that run at once when no limit is given. */
#define ROUTE_DEFAULT_JOBS 4

/* The option of the commands that take jobs (serve, scheduler). */
#define ROUTED_JOBS_OPTION(var)                                                                    \
    {                                                                                              \
        "routed-jobs", 0, OPT_INT, &(var), "MALLARD_ROUTED_JOBS", "N",                             \
            "jobs sent by other mallard commands that run here at once (default 4; more wait "     \
            "their "                                                                               \
            "turn)"                                                                                \
    }

/* Listens for jobs and advertises this process (as `command`) on every
 * database it has open read-write, now and later.  At most max_running
 * jobs run at once (<= 0: ROUTE_DEFAULT_JOBS).  Threads started here
 * inherit the caller's signal mask. */
bool route_server_start(const char *command, int max_running, route_server **out, mlerr *err);
/* Adds the pgwire endpoint to the advertisement. */
void route_server_set_pgwire(route_server *rs, const char *host, int port, const char *socket_path);
/* Stops accepting, cancels the running jobs and waits for them, withdraws
 * the advertisements and frees rs.  Call before closing the databases. */
void route_server_stop(route_server *rs);
/* The job socket's path. */
const char *route_server_socket(const route_server *rs);

#endif
