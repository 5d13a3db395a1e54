/* yaml_jv: YAML trees as jv values, typed the way PyYAML's safe_load types
 * them (so configs, vars and meta look to templates as they do in dbt). */
#ifndef MALLARD_PROJECT_YAML_JV_H
#define MALLARD_PROJECT_YAML_JV_H

#include "jinja/value.h"
#include "util/yaml_tree.h"

/* A NULL node becomes None. */
jv yaml_to_jv(arena *a, const ynode *n);

#endif
