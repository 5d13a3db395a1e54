/* dispatch: finds the command in argv and runs it, git style.
 *
 * Global flags may come before the command name ("mallard --project-dir x
 * debug") or after it ("mallard debug --project-dir x", as dbt users type
 * them); either way they are handed to the command's parser. */
#include "cli/cli.h"

#include "cli/route_client.h"
#include "cli/setup.h"

#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef MALLARD_VERSION
#define MALLARD_VERSION "0.0.0"
#endif

/* Global flags that take a value, so the command name is not mistaken for one. */
static bool takes_value(const char *arg)
{
    static const char *const valued[] = {"--project-dir",
                                         "--profiles-dir",
                                         "--target",
                                         "-t",
                                         "--log-level",
                                         "--lock-timeout",
                                         "--log-path",
                                         "--log-level-file",
                                         "--log-file-max-bytes",
                                         NULL};
    if (strchr(arg, '='))
        return false;
    for (const char *const *v = valued; *v; v++) {
        if (strcmp(arg, *v) == 0)
            return true;
    }
    return false;
}

static void print_usage(FILE *out)
{
    fprintf(out, "usage: mallard [--version] [--help] COMMAND [ARGS]\n\n"
                 "Runs dbt projects on DuckDB: in parallel, in one process that owns the "
                 "database.\n\nCommands:\n");
    for (const cli_command *const *c = cli_commands; *c; c++)
        fprintf(out, "  %-12s %s\n", (*c)->name, (*c)->summary);
    fprintf(out, "\nRun 'mallard help COMMAND' for a command's options.\n"
                 "\nCommands that read a project append to logs/dbt.log in it (--log-path DIR,\n"
                 "--log-level-file LEVEL, --log-file-max-bytes BYTES); build, run, seed and test\n"
                 "also write target/compiled/, target/run/ and target/run_results.json.\n");
}

int cli_main(int argc, char **argv)
{
    int cmd_index = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("mallard %s\n", MALLARD_VERSION);
            return EXIT_OK;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_usage(stdout);
            return EXIT_OK;
        }
        if (a[0] != '-') {
            cmd_index = i;
            break;
        }
        if (takes_value(a))
            i++;
    }
    if (cmd_index < 0) {
        print_usage(stderr);
        return EXIT_SETUP;
    }
    const cli_command *cmd = cli_find_command(argv[cmd_index]);
    if (!cmd) {
        fprintf(stderr, "mallard: '%s' is not a mallard command\n", argv[cmd_index]);
        fprintf(stderr, "  hint: run 'mallard --help' for the list of commands\n");
        return EXIT_SETUP;
    }

    /* The command sees every word but its own name. */
    const char **args = xcalloc((size_t)argc, sizeof(char *));
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (i != cmd_index)
            args[nargs++] = argv[i];
    }
    cli_globals g = {.color = true, .lock_timeout = 30.0};
    int parsed_argc = nargs;
    const char **parsed_argv = args;
    int rc;
    if (!cli_parse(cmd, &g, &parsed_argc, &parsed_argv)) {
        rc = EXIT_SETUP;
    } else {
        log_level level = LOG_INFO;
        if (g.log_level && !log_level_parse(g.log_level, &level)) {
            fprintf(stderr,
                    "mallard %s: unknown log level '%s' (use debug, info, warn, error or none)\n",
                    cmd->name, g.log_level);
            free(args);
            return EXIT_SETUP;
        }
        log_set_level(level);
        log_set_color(g.color);
        /* a database another Mallard process owns: the job goes there */
        struct timespec started;
        clock_gettime(CLOCK_MONOTONIC, &started);
        if (!route_client_try(cmd, &g, nargs, args, &rc))
            rc = cmd->run(&g, parsed_argc, parsed_argv);
        /* the command's logs/dbt.log, if it opened one */
        cli_log_finish(cmd->name, rc, &started);
    }
    free(args);
    return rc;
}
