/* dbt_project: locating dbt_project.yml and reading its identity keys. */
#include "project/dbt_project.h"

#include "project/yaml_render.h"
#include "util/fs.h"

#include <string.h>

/* A required string key: rendered, and an error naming the key otherwise. */
static bool string_key(arena *a, const char *path, const ynode *root, const char *key,
                       const char **out, mlerr *err)
{
    const ynode *n = ymap_get(root, key);
    *out = NULL;
    if (yscalar_is_null(n))
        return true;
    if (n->kind != YNODE_SCALAR) {
        mlerr_at(err, EXIT_SETUP, path, n->line, n->col, "`%s` must be a string, not a %s", key,
                 ynode_kind_name(n));
        return false;
    }
    return yaml_render_scalar(a, path, n, out, err);
}

bool dbt_project_file_load(arena *a, const char *project_dir, dbt_project_file *out, mlerr *err)
{
    memset(out, 0, sizeof(*out));
    out->dir = fs_absolute(a, project_dir && *project_dir ? project_dir : ".");
    out->path = fs_join(a, out->dir, "dbt_project.yml");
    if (!fs_is_file(out->path)) {
        mlerr_set(err, EXIT_SETUP, "No dbt_project.yml found at expected path %s", out->path);
        if (!fs_is_dir(out->dir))
            mlerr_hint(err, "the project directory %s does not exist", out->dir);
        else
            mlerr_hint(err, "run mallard from a dbt project, or point --project-dir at one");
        return false;
    }
    if (!yaml_load_file(a, out->path, &out->root, err))
        return false;
    if (!out->root || out->root->kind != YNODE_MAP) {
        int line = out->root ? out->root->line : 1, col = out->root ? out->root->col : 1;
        mlerr_at(err, EXIT_SETUP, out->path, line, col,
                 "dbt_project.yml must be a mapping of keys (name:, profile:, ...)");
        return false;
    }
    if (!string_key(a, out->path, out->root, "name", &out->name, err) ||
        !string_key(a, out->path, out->root, "profile", &out->profile, err))
        return false;
    if (!out->name || !*out->name) {
        mlerr_at(err, EXIT_SETUP, out->path, 1, 1, "dbt_project.yml has no `name:`");
        mlerr_hint(err, "add a line such as  name: my_project");
        return false;
    }
    return true;
}
