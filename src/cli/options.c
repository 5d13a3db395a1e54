/* options: table-driven parsing of dbt's global flags and each command's. */
#include "cli/cli.h"

#include "util/jobctx.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Filled by cli_parse so the table can point at the caller's struct; one
 * per thread, as routed jobs parse side by side. */
static _Thread_local cli_option global_options[] = {
    {"project-dir", 0, OPT_STRING, NULL, "MALLARD_PROJECT_DIR", "DIR",
     "the dbt project (default: the current directory)"},
    {"profiles-dir", 0, OPT_STRING, NULL, "MALLARD_PROFILES_DIR", "DIR",
     "where profiles.yml is (default: the project directory if it has one, else "
     "$DBT_PROFILES_DIR, else ~/.dbt)"},
    {"target", 't', OPT_STRING, NULL, "MALLARD_TARGET", "NAME",
     "the profile target (default: the profile's `target`)"},
    {"log-level", 0, OPT_STRING, NULL, "MALLARD_LOG_LEVEL", "LEVEL",
     "debug, info, warn, error or none (default: info)"},
    {"no-color", 0, OPT_FLAG_FALSE, NULL, "MALLARD_NO_COLOR", NULL,
     "never colour the output (colour is used only on a terminal without NO_COLOR)"},
    {"no-use-colors", 0, OPT_FLAG_FALSE, NULL, NULL, NULL, "the same as --no-color (dbt's name)"},
    {"use-colors", 0, OPT_FLAG, NULL, NULL, NULL, "colour the output on a terminal"},
    {"lock-timeout", 0, OPT_DOUBLE, NULL, "MALLARD_LOCK_TIMEOUT", "SECONDS",
     "how long to wait for another process's lock on the database (default: 30; 0 fails at "
     "once)"},
    {"no-route", 0, OPT_FLAG, NULL, "MALLARD_NO_ROUTE", NULL,
     "run here even when a Mallard process owns the database (default: send the job to it)"},
    {"log-path", 0, OPT_STRING, NULL, "DBT_LOG_PATH", "DIR",
     "where dbt.log is written (default: `log-path` in dbt_project.yml, else logs/ in the "
     "project)"},
    {"log-level-file", 0, OPT_STRING, NULL, "DBT_LOG_LEVEL_FILE", "LEVEL",
     "the least severe lines dbt.log gets: debug, info, warn, error or none (default: debug)"},
    {"log-file-max-bytes", 0, OPT_STRING, NULL, "DBT_LOG_FILE_MAX_BYTES", "BYTES",
     "rotate dbt.log at this size, keeping 5 old files (default: 10485760; 0: never)"},
    {0},
};

static void bind_globals(cli_globals *g)
{
    global_options[0].dest = &g->project_dir;
    global_options[1].dest = &g->profiles_dir;
    global_options[2].dest = &g->target;
    global_options[3].dest = &g->log_level;
    global_options[4].dest = &g->color;
    global_options[5].dest = &g->color;
    global_options[6].dest = &g->color;
    global_options[7].dest = &g->lock_timeout;
    global_options[8].dest = &g->no_route;
    global_options[9].dest = &g->log_path;
    global_options[10].dest = &g->log_level_file;
    global_options[11].dest = &g->log_file_max_bytes;
}

/* The option struct this thread parses into instead of its command's
 * static one (cli_options_bind). */
static _Thread_local const cli_command *bound_cmd;
static _Thread_local char *bound_copy;
/* The positional words of this thread's last parse: they are its argv. */
static _Thread_local const char **kept;

void cli_options_bind(const cli_command *cmd)
{
    if (!cmd->opts)
        return;
    bound_cmd = cmd;
    bound_copy = xmalloc(cmd->opts_size);
    memcpy(bound_copy, cmd->opts, cmd->opts_size);
}

/* Where opt's value goes on this thread. */
static void *dest_of(const cli_option *opt)
{
    if (!opt->dest || !bound_copy)
        return opt->dest;
    uintptr_t base = (uintptr_t)bound_cmd->opts, d = (uintptr_t)opt->dest;
    if (d >= base && d < base + bound_cmd->opts_size)
        return bound_copy + (d - base);
    return opt->dest;
}

void *cli_options(void *storage)
{
    return bound_copy && bound_cmd->opts == storage ? bound_copy : storage;
}

void cli_options_release(void)
{
    if (bound_copy) {
        for (const cli_option *o = bound_cmd->options; o && o->long_name; o++) {
            if (o->type == OPT_STRING_LIST && o->dest)
                free(((strlist *)dest_of(o))->items);
        }
        free(bound_copy);
    }
    bound_copy = NULL;
    bound_cmd = NULL;
    free(kept);
    kept = NULL;
}

static const cli_option *find_long(const cli_option *opts, const char *name, size_t len)
{
    for (; opts && opts->long_name; opts++) {
        if (strlen(opts->long_name) == len && strncmp(opts->long_name, name, len) == 0)
            return opts;
    }
    return NULL;
}

static const cli_option *find_short(const cli_option *opts, char c)
{
    for (; opts && opts->long_name; opts++) {
        if (opts->short_name == c)
            return opts;
    }
    return NULL;
}

static bool is_true_word(const char *v)
{
    return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0;
}

static void strlist_push(strlist *l, const char *s)
{
    l->items = xrealloc(l->items, sizeof(char *) * (size_t)(l->n + 1));
    l->items[l->n++] = s;
}

/* Stores value into opt's destination; value is NULL for flags. */
static bool store(const char *cmd, const cli_option *opt, const char *value, const char *source)
{
    char *end = NULL;
    switch (opt->type) {
    case OPT_FLAG:
    case OPT_FLAG_FALSE: {
        bool on = value ? is_true_word(value) : true;
        *(bool *)dest_of(opt) = opt->type == OPT_FLAG ? on : !on;
        return true;
    }
    case OPT_STRING:
        *(const char **)dest_of(opt) = value;
        return true;
    case OPT_STRING_LIST:
        strlist_push(dest_of(opt), value);
        return true;
    case OPT_DOUBLE:
        errno = 0;
        *(double *)dest_of(opt) = strtod(value, &end);
        if (errno || end == value || *end || *(double *)dest_of(opt) < 0)
            break;
        return true;
    case OPT_INT: {
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < 0 || v > 1000000)
            break;
        *(int *)dest_of(opt) = (int)v;
        return true;
    }
    default:
        break;
    }
    job_eprintf("mallard %s: %s: '%s' is not a valid %s for --%s\n", cmd, source, value,
                opt->type == OPT_INT ? "whole number" : "number", opt->long_name);
    return false;
}

static bool apply_env(const char *cmd, const cli_option *opts)
{
    for (; opts && opts->long_name; opts++) {
        const char *v = opts->env ? job_getenv(opts->env) : NULL;
        if (!v || !*v || !opts->dest)
            continue;
        if (opts->type == OPT_STRING_LIST) {
            strlist_push(dest_of(opts), v);
            continue;
        }
        if (!store(cmd, opts, v, opts->env))
            return false;
    }
    return true;
}

bool cli_parse(const cli_command *cmd, cli_globals *g, int *argc, const char ***argv)
{
    bind_globals(g);
    if (!apply_env(cmd->name, global_options) || !apply_env(cmd->name, cmd->options))
        return false;

    int n = *argc;
    const char **in = *argv;
    const char **positional = xcalloc((size_t)n + 1, sizeof(char *));
    int npos = 0;
    bool only_positional = false;
    for (int i = 0; i < n; i++) {
        const char *arg = in[i];
        if (only_positional || arg[0] != '-' || arg[1] == '\0') {
            positional[npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = true;
            continue;
        }
        const cli_option *opt = NULL;
        const char *inline_value = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            opt = find_long(cmd->options, name, len);
            if (!opt)
                opt = find_long(global_options, name, len);
            inline_value = eq ? eq + 1 : NULL;
        } else {
            opt = find_short(cmd->options, arg[1]);
            if (!opt)
                opt = find_short(global_options, arg[1]);
            if (opt && arg[2])
                inline_value = arg + 2;
        }
        if (!opt) {
            if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
                cli_print_help(cmd);
                exit(EXIT_OK);
            }
            job_eprintf("mallard %s: unknown option '%s'\n", cmd->name, arg);
            job_eprintf("  hint: run 'mallard help %s' for the options it takes\n", cmd->name);
            free(positional);
            return false;
        }
        if (opt->type == OPT_FLAG || opt->type == OPT_FLAG_FALSE) {
            if (!store(cmd->name, opt, inline_value, arg)) {
                free(positional);
                return false;
            }
            continue;
        }
        if (opt->type == OPT_STRING_LIST) {
            /* dbt's "-s a b c": every following word up to the next option. */
            if (inline_value)
                strlist_push(dest_of(opt), inline_value);
            while (i + 1 < n && in[i + 1][0] != '-')
                strlist_push(dest_of(opt), in[++i]);
            if (!inline_value && ((strlist *)dest_of(opt))->n == 0) {
                job_eprintf("mallard %s: --%s needs a value\n", cmd->name, opt->long_name);
                free(positional);
                return false;
            }
            continue;
        }
        const char *value = inline_value;
        if (!value) {
            if (i + 1 >= n) {
                job_eprintf("mallard %s: --%s needs a value%s%s\n", cmd->name, opt->long_name,
                            opt->metavar ? " " : "", opt->metavar ? opt->metavar : "");
                free(positional);
                return false;
            }
            value = in[++i];
        }
        if (!store(cmd->name, opt, value, arg)) {
            free(positional);
            return false;
        }
    }
    /* The parsed words outlive this call: they are the command's argv. */
    free(kept);
    kept = positional;
    *argc = npos;
    *argv = positional;
    return true;
}

static void print_options(const cli_option *opts)
{
    for (; opts && opts->long_name; opts++) {
        char left[64];
        if (opts->short_name)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", opts->short_name, opts->long_name,
                     opts->metavar ? " " : "", opts->metavar ? opts->metavar : "");
        else
            snprintf(left, sizeof(left), "    --%s%s%s", opts->long_name, opts->metavar ? " " : "",
                     opts->metavar ? opts->metavar : "");
        printf("  %-28s %s", left, opts->help ? opts->help : "");
        if (opts->env)
            printf(" [env: %s]", opts->env);
        printf("\n");
    }
}

void cli_print_help(const cli_command *cmd)
{
    printf("usage: mallard %s\n\n%s\n", cmd->usage, cmd->summary);
    if (cmd->description)
        printf("\n%s\n", cmd->description);
    if (cmd->options && cmd->options->long_name) {
        printf("\nOptions:\n");
        print_options(cmd->options);
    }
    printf("\nGlobal options:\n");
    print_options(global_options);
}

int cli_fail(const mlerr *err)
{
    job_eprintf("%sError:%s %s\n", log_color_code(COLOR_RED), log_color_code(COLOR_RESET),
                mlerr_message(err));
    return err->exit_code ? err->exit_code : EXIT_SETUP;
}
