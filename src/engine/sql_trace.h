/* sql_trace: an opt-in record of every statement Mallard sends to DuckDB.
 *
 * With MALLARD_TRACE_SQL=FILE in the environment, each statement that goes
 * through db_exec is appended to FILE before it runs, so a benchmark can
 * replay exactly what Mallard executed (bench/build/direct_sql.c) and a
 * person can see what a command did.  Without the variable nothing is
 * recorded and the cost is one pthread_once check per statement.
 *
 * Format: one record per statement, a header line, the statement's bytes and
 * a newline:
 *
 *     -- mallard-trace conn=3 bytes=42
 *     create table "db"."main"."x" as (...)
 *
 * `bytes` counts the statement alone (not the trailing newline), so a reader
 * never has to guess where a statement containing the header's text ends.
 * `conn` numbers connections in the order they were opened in this process;
 * statements of several threads interleave in the order they were issued.
 *
 * Threads.  Records are written whole under trace_lock, with one write(2) on
 * a descriptor opened O_APPEND, so records of threads (and of processes
 * appending to the same file one after another) never interleave. */
#ifndef MALLARD_ENGINE_SQL_TRACE_H
#define MALLARD_ENGINE_SQL_TRACE_H

/* A fresh number for a connection, for the records' conn= field. */
unsigned sql_trace_next_conn_id(void);
/* Appends one record if tracing is on; a failed write is reported once on
 * stderr and stops tracing, never the statement. */
void sql_trace_statement(unsigned conn_id, const char *sql);

#endif
