/* run_sql: <target>/run/, dbt's record of the statement that built each
 * node.
 *
 * dbt's `statement('main')` writes the SQL it is about to run to
 * target/run/<package>/<path> (the same layout as target/compiled): a
 * model's DDL/DML (create ... as, insert into, merge), a seed's
 * create-or-truncate and load, a test's wrapped `select count(*) as
 * failures ...`.  Ephemeral models run nothing and get no file; hooks are
 * not recorded.  Each write replaces the file.  It is done by the worker
 * that ran the node, with the SQL it has in hand, and skipped when the file
 * already holds that SQL (fs_write_if_changed); no fsync. */
#ifndef MALLARD_EXEC_RUN_SQL_H
#define MALLARD_EXEC_RUN_SQL_H

#include "project/graph.h"
#include "util/error.h"

/* Writes sql as n's file under <target>/run/; false (with err naming the
 * path) when the file cannot be written. */
bool run_sql_write(const project *p, const pnode *n, const char *sql, mlerr *err);

#endif
