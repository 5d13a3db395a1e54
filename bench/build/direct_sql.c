/* direct_sql: the baseline for bench/build -- one process, one DuckDB
 * connection, executing in order the statements of a MALLARD_TRACE_SQL file
 * (see src/engine/sql_trace.h for the record format).
 *
 *   direct_sql DATABASE TRACE_FILE
 *
 * It is deliberately nothing but DuckDB: no project loading, no threads, no
 * logging, so `mallard build` timed against it shows what Mallard adds on top
 * of the SQL it runs.  It prints how many statements ran and their wall and
 * CPU time (process-wide, DuckDB's threads included).  It stops at the first failing statement
 * (exit 1) so a broken replay is never mistaken for a fast one. */
#include <duckdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            char *bigger = realloc(buf, cap + 1);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: direct_sql DATABASE TRACE_FILE\n");
        return 2;
    }
    size_t len;
    char *trace = read_file(argv[2], &len);
    if (!trace) {
        perror(argv[2]);
        return 2;
    }
    duckdb_database db;
    duckdb_connection con;
    if (duckdb_open(argv[1], &db) == DuckDBError || duckdb_connect(db, &con) == DuckDBError) {
        fprintf(stderr, "direct_sql: cannot open %s\n", argv[1]);
        free(trace);
        return 2;
    }
    static const char header[] = "-- mallard-trace ";
    int rc = 0;
    long n_statements = 0;
    size_t pos = 0;
    double wall0 = clock_seconds(CLOCK_MONOTONIC);
    double cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    while (pos < len) {
        const char *line = trace + pos;
        const char *eol = memchr(line, '\n', len - pos);
        const char *bytes_field = eol ? strstr(line, " bytes=") : NULL;
        if (strncmp(line, header, sizeof(header) - 1) != 0 || !bytes_field || bytes_field > eol) {
            fprintf(stderr, "direct_sql: %s: byte %zu: expected a '%s... bytes=N' header line\n",
                    argv[2], pos, header);
            rc = 2;
            break;
        }
        size_t n = strtoul(bytes_field + 7, NULL, 10);
        size_t start = (size_t)(eol - trace) + 1;
        if (start + n + 1 > len || trace[start + n] != '\n') {
            fprintf(stderr, "direct_sql: %s: byte %zu: record is cut short\n", argv[2], pos);
            rc = 2;
            break;
        }
        trace[start + n] = '\0';
        duckdb_result r;
        if (duckdb_query(con, trace + start, &r) == DuckDBError) {
            fprintf(stderr, "direct_sql: statement %ld failed: %s\n%s\n", n_statements + 1,
                    duckdb_result_error(&r), trace + start);
            duckdb_destroy_result(&r);
            rc = 1;
            break;
        }
        duckdb_destroy_result(&r);
        n_statements++;
        pos = start + n + 1;
    }
    double wall = clock_seconds(CLOCK_MONOTONIC) - wall0;
    double cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    duckdb_disconnect(&con);
    duckdb_close(&db);
    free(trace);
    /* The statements' own cost (without open and close), for calibrating a
     * query's size; CPU counts DuckDB's worker threads too. */
    if (rc == 0)
        printf("direct_sql: %ld statements, %.4f s wall, %.4f s CPU\n", n_statements, wall, cpu);
    return rc;
}
