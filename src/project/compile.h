/* compile: rendering nodes with execute=true into the SQL dbt would run,
 * ephemeral models inlined as __dbt__cte__<name> CTEs, and writing it to
 * <target-path>/compiled/<project>/<path> where dbt writes it. */
#ifndef MALLARD_PROJECT_COMPILE_H
#define MALLARD_PROJECT_COMPILE_H

#include "project/graph.h"
#include "project/select.h"

/* Compiles the selected models, tests and analyses (NULL: all of them),
 * filling each node's compiled_code and compiled_path, and writes the
 * files when write_files is set.  Stops at the first error (file:line:col). */
bool project_compile(project *p, const nodeset *selected, bool write_files, mlerr *err);

/* Where dbt writes a node's file under <target-path>/<subdir> ("compiled"
 * or "run"), relative to the project: <target>/<subdir>/<package>/<original
 * path>, or <original path>/<path> when one file defines many nodes (a
 * schema.yml's generic tests). */
const char *project_node_write_path(arena *a, const project *p, const pnode *n, const char *subdir);

/* Splices CTEs ("__dbt__cte__x as (\n...\n)" each) into sql the way dbt's
 * inject_ctes_into_sql does.  Appends the result to out. */
void compile_inject_ctes(const char *sql, const char *const *ctes, size_t n, strbuf *out);

#endif
