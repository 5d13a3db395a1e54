/* sched_setup: dags folder and MALLARD_HOME resolution (see sched_setup.h). */
#include "cli/sched_setup.h"

#include "util/dotenv.h"
#include "util/fs.h"

#include <stdlib.h>
#include <string.h>

bool cli_sched_setup(arena *a, const char *dags_folder_flag, cli_sched_paths *out, mlerr *err)
{
    memset(out, 0, sizeof *out);
    const char *env_path = fs_join(a, fs_absolute(a, "."), ".env");
    bool found = false;
    if (!dotenv_load(env_path, &found, err))
        return false;
    if (found)
        out->dotenv_file = env_path;
    const char *dags = dags_folder_flag;
    if (!dags || !*dags)
        dags = getenv("MALLARD_DAGS_FOLDER");
    if (!dags || !*dags)
        dags = "dags";
    out->dags_folder = fs_absolute(a, dags);
    if (!fs_is_dir(out->dags_folder)) {
        mlerr_set(err, EXIT_SETUP, "no dags folder at %s", out->dags_folder);
        mlerr_hint(err, "create it with your DAG files (dags/my_dag.yml), or pass --dags-folder");
        return false;
    }
    const char *home = getenv("MALLARD_HOME");
    out->home = home && *home ? fs_absolute(a, home)
                              : fs_join(a, fs_dirname(a, out->dags_folder), ".mallard");
    return true;
}
