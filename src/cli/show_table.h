/* show_table: a query result as `dbt show` prints it -- agate's
 * print_table (text: numbers right-aligned with thousands separators and at
 * most three decimals, at most six columns and twenty characters a cell) or
 * agate's to_json wrapped in dbt's {"node": ..., "show": [...]}. */
#ifndef MALLARD_CLI_SHOW_TABLE_H
#define MALLARD_CLI_SHOW_TABLE_H

#include "util/strbuf.h"

#include <duckdb.h>

/* Appends the materialized result r as agate's print_table does. */
void show_table_text(duckdb_result *r, strbuf *out);
/* Appends dbt's JSON preview: {"node": node_name, "show": rows} with an
 * indent of 2, or {"show": rows} when node_name is NULL (--inline). */
void show_table_json(duckdb_result *r, const char *node_name, strbuf *out);

#endif
