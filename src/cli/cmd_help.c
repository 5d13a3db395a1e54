/* cmd_help: `mallard help [COMMAND]`. */
#include "cli/cli.h"

#include <stdio.h>

static int run_help(cli_globals *g, int argc, const char **argv)
{
    if (argc == 0) {
        printf("usage: mallard [--version] [--help] COMMAND [ARGS]\n\nCommands:\n");
        for (const cli_command *const *c = cli_commands; *c; c++)
            printf("  %-12s %s\n", (*c)->name, (*c)->summary);
        printf("\nRun 'mallard help COMMAND' for a command's options.\n");
        return EXIT_OK;
    }
    const cli_command *cmd = cli_find_command(argv[0]);
    if (!cmd) {
        fprintf(stderr, "mallard help: '%s' is not a mallard command\n", argv[0]);
        return EXIT_SETUP;
    }
    cli_print_help(cmd);
    return EXIT_OK;
}

const cli_command cmd_help = {
    .name = "help",
    .summary = "Show the commands, or one command's options",
    .usage = "help [COMMAND]",
    .run = run_help,
};
