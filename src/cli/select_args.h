/* select_args: the node-selection flags every graph command takes
 * (-s/--select, -m/--models, --exclude, --selector, --indirect-selection),
 * and turning them into a selection over a loaded project. */
#ifndef MALLARD_CLI_SELECT_ARGS_H
#define MALLARD_CLI_SELECT_ARGS_H

#include "cli/cli.h"
#include "project/select.h"

typedef struct cli_selection {
    strlist select;
    strlist models; /* dbt's older -m/--models; ls also limits it to models */
    strlist exclude;
    const char *selector;
    const char *indirect; /* eager (default), cautious, buildable, empty */
} cli_selection;

/* Entries for a command's option table, pointing into a static cli_selection. */
#define CLI_SELECTION_OPTIONS(s)                                                                   \
    {"select",                                                                                     \
     's',                                                                                          \
     OPT_STRING_LIST,                                                                              \
     &(s).select,                                                                                  \
     NULL,                                                                                         \
     "SPEC...",                                                                                    \
     "the nodes to use: names, method:value, +graph operators, unions (space) and "                \
     "intersections (comma)"},                                                                     \
        {"models",                                                                                 \
         'm',                                                                                      \
         OPT_STRING_LIST,                                                                          \
         &(s).models,                                                                              \
         NULL,                                                                                     \
         "SPEC...",                                                                                \
         "the same as --select (dbt's older name)"},                                               \
        {"exclude",                                                                                \
         0,                                                                                        \
         OPT_STRING_LIST,                                                                          \
         &(s).exclude,                                                                             \
         NULL,                                                                                     \
         "SPEC...",                                                                                \
         "nodes to leave out, in the same syntax"},                                                \
        {"selector",                                                                               \
         0,                                                                                        \
         OPT_STRING,                                                                               \
         &(s).selector,                                                                            \
         NULL,                                                                                     \
         "NAME",                                                                                   \
         "a selector defined in selectors.yml (overrides --select/--exclude)"},                    \
    {                                                                                              \
        "indirect-selection", 0, OPT_STRING, &(s).indirect, "MALLARD_INDIRECT_SELECTION", "MODE",  \
            "which tests come with their selected parents: eager (default), cautious, buildable "  \
            "or empty"                                                                             \
    }

/* Loads selectors.yml and selects p's nodes as the flags ask, into *out
 * (allocated in a).  Warnings go to the log, as dbt's do. */
bool cli_select_nodes(const cli_selection *s, const project *p, arena *a, nodeset *out, mlerr *err);

#endif
