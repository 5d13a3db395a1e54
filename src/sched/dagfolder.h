/* dagfolder: the dags folder, rescanned without a restart.
 *
 * Every *.yml and *.yaml file under the folder (recursively, skipping names
 * that start with '.') is a DAG file.  A refresh re-reads only the files
 * whose modification time or size changed, forgets deleted ones, and
 * rebuilds the list of DAGs and import errors.  A dag_id defined in two
 * files is an import error in the later file (by path).  A folder is not
 * thread-safe: one thread (the scheduler loop) owns it; the dag_def it hands
 * out are read-only and stay valid until that thread's next refresh. */
#ifndef MALLARD_SCHED_DAGFOLDER_H
#define MALLARD_SCHED_DAGFOLDER_H

#include "sched/dagfile.h"
#include "util/error.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct dag_folder dag_folder;

typedef struct dag_import_error {
    const char *file;
    const char *message; /* "file:line:col: message" */
} dag_import_error;

dag_folder *dag_folder_new(const char *dir);
void dag_folder_free(dag_folder *f);
/* Rescans.  *changed (optional) says whether any file was added, changed or
 * removed.  Fails only when the folder itself cannot be read. */
bool dag_folder_refresh(dag_folder *f, bool *changed, mlerr *err);
/* The DAGs of files without errors, by dag_id.  Valid until the next refresh. */
size_t dag_folder_dag_count(const dag_folder *f);
const dag_def *dag_folder_dag(const dag_folder *f, size_t i);
const dag_def *dag_folder_find(const dag_folder *f, const char *dag_id);
size_t dag_folder_error_count(const dag_folder *f);
const dag_import_error *dag_folder_error(const dag_folder *f, size_t i);
/* How many files were parsed (not just checked) by all refreshes so far. */
size_t dag_folder_parse_count(const dag_folder *f);

#endif
