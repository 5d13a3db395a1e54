/* relation: how a node's relation is named in SQL, and what the database
 * already holds under that name.
 *
 * Names are always rendered fully quoted ("db"."schema"."name") so that
 * any alias or schema a project uses survives DuckDB's parser; dbt-duckdb
 * quotes the same way.  The catalog probes run on the caller's connection
 * (inside its transaction, if one is open) so they see its own changes. */
#ifndef MALLARD_EXEC_RELATION_H
#define MALLARD_EXEC_RELATION_H

#include "engine/database.h"
#include "util/arena.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct relation {
    const char *database; /* DuckDB catalog ("dev" for dev.duckdb); NULL: the current one */
    const char *schema;   /* NULL: the current schema */
    const char *identifier;
} relation;

typedef enum relation_kind {
    REL_NONE = 0, /* nothing by that name */
    REL_TABLE,
    REL_VIEW,
} relation_kind;

typedef struct column_info {
    const char *name;
    const char *type; /* DuckDB's spelling: INTEGER, VARCHAR, DECIMAL(18,3), ... */
} column_info;

typedef struct column_list {
    column_info *items;
    size_t n;
} column_list;

/* Appends "name" with embedded quotes doubled. */
void sql_add_ident(strbuf *sb, const char *name);
/* Appends 'text' with embedded quotes doubled. */
void sql_add_literal(strbuf *sb, const char *text);
/* Appends the relation as "db"."schema"."name" (parts that are NULL are
 * left out). */
void relation_render(strbuf *sb, const relation *r);
const char *relation_str(arena *a, const relation *r);
/* The same relation with a suffix on its identifier: dbt's intermediate
 * (__dbt_tmp) and backup (__dbt_backup) relations. */
relation relation_suffixed(arena *a, const relation *r, const char *suffix);

/* What the database holds under r's name (case-insensitively, as DuckDB
 * resolves unquoted names).  Temporary tables are found in database "temp". */
bool relation_probe(db_conn *c, const relation *r, relation_kind *kind, db_error *e);
/* The columns of r in table order (arena-allocated). */
bool relation_columns(db_conn *c, const relation *r, arena *a, column_list *out, db_error *e);

#endif
