/* materialize_internal: what materialize.c shares with
 * materialize_incremental.c and nobody else. */
#ifndef MALLARD_EXEC_MATERIALIZE_INTERNAL_H
#define MALLARD_EXEC_MATERIALIZE_INTERNAL_H

#include "exec/materialize.h"

void mat_plan_init(mat_plan *p);
/* "create <what> <relation> as (\n<sql>\n)" */
const char *mat_sql_create_as(arena *a, const char *what, const relation *r, const char *sql);
/* "create schema if not exists ..." for r's schema, or NULL without one. */
const char *mat_sql_create_schema(arena *a, const relation *r);
const char *mat_sql_drop_if_exists(arena *a, relation_kind k, const relation *r);
void mat_add_hooks(arena *a, sql_list *to, const sql_list *hooks);
/* Copies the plan's main block into res->main_sql (o->keep_main), if kept. */
void mat_keep_main(const mat_plan *p, const mat_exec_opts *o, mat_result *res);
/* Marks sql as the plan's main statement and appends it to txn. */
void mat_add_main(arena *a, mat_plan *p, const char *sql);
/* The table swap (see materialize.c), also incremental's full build. */
void mat_plan_swap(arena *a, const mat_model *m, relation_kind existing, relation_kind leftover_tmp,
                   relation_kind leftover_backup, mat_plan *out);

/* Execution helpers. */
typedef bool (*mat_retry_step)(db_conn *c, void *ctx, db_error *e);
bool mat_with_retries(db_conn *c, const char *node_name, const mat_exec_opts *o,
                      mat_retry_step step, void *ctx, int *retries, db_error *e);
bool mat_run_list(db_conn *c, const sql_list *l, size_t from, int main, long long *rows,
                  db_error *e);
void mat_run_quietly(db_conn *c, const sql_list *l);
void mat_rollback_quietly(db_conn *c);
void mat_fail_with(const db_error *e, mlerr *err);
/* Probes the target, its intermediate and its backup, and plans the swap. */
bool mat_plan_swap_probed(db_conn *c, arena *a, const mat_model *m, relation_kind existing,
                          mat_plan *out, db_error *e);
bool mat_incremental_execute(db_conn *c, arena *a, const mat_model *m, const mat_exec_opts *o,
                             mat_result *res, mlerr *err);

#endif
