/* sched_setup: what every scheduler command does first -- load the working
 * directory's .env, then find the dags folder and MALLARD_HOME.
 *
 * dags folder: --dags-folder, else $MALLARD_DAGS_FOLDER, else ./dags.
 * MALLARD_HOME: $MALLARD_HOME, else .mallard beside the dags folder.
 * (.env may set both variables; the process environment wins over it.) */
#ifndef MALLARD_CLI_SCHED_SETUP_H
#define MALLARD_CLI_SCHED_SETUP_H

#include "util/arena.h"
#include "util/error.h"

typedef struct cli_sched_paths {
    const char *dags_folder; /* absolute */
    const char *home;        /* absolute */
    const char *dotenv_file; /* the .env that was read, or NULL */
} cli_sched_paths;

bool cli_sched_setup(arena *a, const char *dags_folder_flag, cli_sched_paths *out, mlerr *err);

#endif
