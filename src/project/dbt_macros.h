/* dbt_macros: Mallard's own implementation of the macros dbt ships in its
 * internal "dbt" package that plain projects rely on: the generate_*_name
 * family, the built-in generic tests, get_where_subquery, is_incremental
 * and friends.  The SQL they produce is the SQL dbt-duckdb produces. */
#ifndef MALLARD_PROJECT_DBT_MACROS_H
#define MALLARD_PROJECT_DBT_MACROS_H

/* The text of the package's one macro file. */
extern const char dbt_builtin_macros_sql[];
/* The path it is reported under (as dbt reports its internal macros). */
#define DBT_BUILTIN_MACROS_PATH "macros/mallard_builtins.sql"

#endif
