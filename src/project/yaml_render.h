/* yaml_render: Jinja inside YAML values (profiles.yml, dbt_project.yml).
 *
 * dbt renders string values such as  path: "{{ env_var('DB_PATH', 'x.duckdb') }}"
 * before using them.  Every YAML value that dbt renders goes through this one
 * interface, so the renderer behind it can grow without its callers changing.
 *
 * Today's renderer understands the expressions that profiles use:
 * env_var('NAME') and env_var('NAME', default), optionally piped through
 * int, as_number, as_text, as_bool, trim, lower or upper.  Any other
 * expression is refused with a "not supported yet" error naming its
 * position, never passed through as text. */
#ifndef MALLARD_PROJECT_YAML_RENDER_H
#define MALLARD_PROJECT_YAML_RENDER_H

#include "util/arena.h"
#include "util/error.h"
#include "util/yaml_tree.h"

/* Renders a scalar node's text.  file names the YAML file in errors, and
 * positions inside the value are reported from the node's line and column. */
bool yaml_render_scalar(arena *a, const char *file, const ynode *n, const char **out, mlerr *err);

#endif
