/* dbt_project: finding and reading a project's dbt_project.yml.
 *
 * This is the part every command needs before anything else: where the
 * project is, its name and its profile.  The full project model (paths,
 * configs, nodes) is built on top of this by the project loader. */
#ifndef MALLARD_PROJECT_DBT_PROJECT_H
#define MALLARD_PROJECT_DBT_PROJECT_H

#include "util/arena.h"
#include "util/error.h"
#include "util/yaml_tree.h"

typedef struct dbt_project_file {
    const char *dir;     /* absolute project directory */
    const char *path;    /* absolute path of dbt_project.yml */
    const char *name;    /* `name:` */
    const char *profile; /* `profile:`, or the name when absent */
    ynode *root;         /* the whole parsed file */
} dbt_project_file;

/* Reads <project_dir>/dbt_project.yml (project_dir NULL: the current
 * directory).  A missing file is an error that says where it looked. */
bool dbt_project_file_load(arena *a, const char *project_dir, dbt_project_file *out, mlerr *err);

#endif
