/* graph_index: the private lookup tables behind project_find_* (hash maps
 * built once by the loader, then only read). */
#ifndef MALLARD_PROJECT_GRAPH_INDEX_H
#define MALLARD_PROJECT_GRAPH_INDEX_H

#include "project/graph.h"
#include "project/strmap.h"

struct project_index {
    strmap by_id;          /* unique_id -> node index */
    strmap by_ref_name;    /* model/seed/snapshot name -> node index */
    strmap by_source;      /* "source\x1ftable" -> node index */
    strmap disabled_names; /* refable names of disabled nodes -> disabled index */
    strmap macros_by_id;   /* unique_id -> macro index */
    strmap macros_by_name; /* name -> macro index */
};

void project_index_free(struct project_index *ix);
/* The enabled model/seed/snapshot (or, with sources, source table) name
 * closest to name, for "did you mean" hints; NULL when there is none. */
const char *project_nearest_name(const project *p, const char *name, bool sources);

#endif
