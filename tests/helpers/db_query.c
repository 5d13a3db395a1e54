/* db_query: lets shell tests look inside a DuckDB file without a duckdb CLI.
 * `db_query FILE SQL` opens FILE read-only, runs SQL and prints each row with
 * tab-separated values (NULL as "NULL"); exit 1 with DuckDB's message on
 * failure.  `db_query -w FILE SQL` opens it read-write instead (for oracle
 * databases a test builds itself); SQL may then hold several statements. */
#include <duckdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    bool writable = argc == 4 && strcmp(argv[1], "-w") == 0;
    if (writable) {
        argv++;
        argc--;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: db_query [-w] FILE SQL\n");
        return 2;
    }
    duckdb_config cfg;
    duckdb_create_config(&cfg);
    duckdb_set_config(cfg, "access_mode", writable ? "READ_WRITE" : "READ_ONLY");
    duckdb_database db;
    char *err = NULL;
    if (duckdb_open_ext(argv[1], &db, cfg, &err) == DuckDBError) {
        fprintf(stderr, "db_query: %s\n", err ? err : "open failed");
        duckdb_free(err);
        duckdb_destroy_config(&cfg);
        return 1;
    }
    duckdb_destroy_config(&cfg);
    duckdb_connection con;
    duckdb_result r;
    int rc = 0;
    if (duckdb_connect(db, &con) == DuckDBError) {
        fprintf(stderr, "db_query: cannot connect\n");
        duckdb_close(&db);
        return 1;
    }
    if (duckdb_query(con, argv[2], &r) == DuckDBError) {
        fprintf(stderr, "db_query: %s\n", duckdb_result_error(&r));
        rc = 1;
    } else {
        for (idx_t row = 0; row < duckdb_row_count(&r); row++) {
            for (idx_t col = 0; col < duckdb_column_count(&r); col++) {
                char *v =
                    duckdb_value_is_null(&r, col, row) ? NULL : duckdb_value_varchar(&r, col, row);
                printf("%s%s", col ? "\t" : "", v ? v : "NULL");
                duckdb_free(v);
            }
            printf("\n");
        }
    }
    duckdb_destroy_result(&r);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return rc;
}
