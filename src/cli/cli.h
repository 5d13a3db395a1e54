/* cli: command dispatch and option parsing, shared by every command.
 *
 * Like git's builtin/, each command lives in its own file (cmd_NAME.c) and is
 * listed once in commands.c.  Options are declared as tables (after git's
 * parse-options): dbt's global flags are accepted by every command, before
 * or after the command name, and each table entry may name the environment
 * variable that sets it when the flag is absent. */
#ifndef MALLARD_CLI_CLI_H
#define MALLARD_CLI_CLI_H

#include "util/error.h"
#include "util/log.h"

#include <stdbool.h>

typedef enum {
    OPT_END = 0,
    OPT_FLAG,        /* bool, set to true */
    OPT_FLAG_FALSE,  /* bool, set to false (--no-...) */
    OPT_STRING,      /* const char * */
    OPT_DOUBLE,      /* double */
    OPT_INT,         /* int */
    OPT_STRING_LIST, /* strlist: takes every following word up to the next option */
} opt_type;

typedef struct strlist {
    const char **items;
    int n;
} strlist;

typedef struct cli_option {
    const char *long_name; /* without the leading "--" */
    char short_name;       /* 0 for none */
    opt_type type;
    void *dest;
    const char *env;     /* environment variable used when the flag is absent */
    const char *metavar; /* for help: "DIR", "SECONDS", ... */
    const char *help;
} cli_option;

/* dbt's global flags, valid for every command. */
typedef struct cli_globals {
    const char *project_dir;
    const char *profiles_dir;
    const char *target;
    const char *log_level;
    bool color; /* false after --no-color / --no-use-colors */
    double lock_timeout;
    bool no_route;                  /* --no-route: never send the job to the database's owner */
    const char *log_path;           /* --log-path: the log file's directory */
    const char *log_level_file;     /* --log-level-file */
    const char *log_file_max_bytes; /* --log-file-max-bytes (parsed by cli_log_start) */
} cli_globals;

typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *usage;         /* the synopsis after "mallard " */
    const cli_option *options; /* command-specific options, OPT_END-terminated */
    int (*run)(cli_globals *g, int argc, const char **argv);
    const char *description; /* a paragraph for `mallard help NAME` */
    /* The one struct the options' dests point into (opts_size bytes), or
     * NULL.  With it, jobs of the command can run on several threads at
     * once: each parses into a copy of its own (cli_options_bind) and the
     * run reads cli_options(storage). */
    void *opts;
    size_t opts_size;
} cli_command;

int cli_main(int argc, char **argv);
const cli_command *cli_find_command(const char *name);
extern const cli_command *const cli_commands[];

/* Parses the command's options (and the globals) from argv, leaving the
 * positional words in *argc and *argv.  Prints a usage error and returns false
 * on a bad flag. */
bool cli_parse(const cli_command *cmd, cli_globals *g, int *argc, const char ***argv);
void cli_print_help(const cli_command *cmd);

/* Gives the calling thread a copy of cmd's option struct (cmd->opts, as
 * initialised), which cli_parse fills and cli_options returns on this
 * thread, until cli_options_release.  Used by routed jobs, which run side
 * by side in one process. */
void cli_options_bind(const cli_command *cmd);
/* Frees the thread's copy (lists grown by the parse too) and the words
 * cli_parse kept for this thread. */
void cli_options_release(void);
/* storage (a command's option struct), or the calling thread's copy of it. */
void *cli_options(void *storage);
/* Prints an error the way every command does and returns its exit code. */
int cli_fail(const mlerr *err);

#endif
