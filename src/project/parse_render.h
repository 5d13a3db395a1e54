/* parse_render: the loader's rendering stages -- building the dbt context,
 * rendering every node with execute=false to find its refs, sources and
 * config() calls (as dbt finds them), and naming relations through the
 * generate_*_name macros. */
#ifndef MALLARD_PROJECT_PARSE_RENDER_H
#define MALLARD_PROJECT_PARSE_RENDER_H

#include "project/loader.h"

/* Adds dbt's built-in macros, finalises macros and docs, builds p->env. */
bool parse_render_begin(loader *L);
bool parse_render_nodes(loader *L);
/* database, schema and alias of one node (config must be resolved). */
bool parse_render_names(loader *L, lnode *ln);
/* After the graph exists: descriptions with doc(), macro dependencies. */
bool parse_render_finish(loader *L);
void parse_render_free(project *p);

#endif
