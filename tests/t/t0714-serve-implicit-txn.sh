#!/usr/bin/env bash
# t0714: a simple Query with several statements runs as one implicit
# transaction, as PostgreSQL 15 does: an error undoes the string's earlier
# statements, COMMIT/ROLLBACK inside the string end the block early (with
# PostgreSQL's "no transaction in progress" warning), BEGIN inside it makes
# the block the client's own, and an explicit transaction is left to the
# client.  The expected lines below are what PostgreSQL 15.18 printed for the
# same psql commands (error texts aside, which are DuckDB's).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
command -v psql >/dev/null || { echo "psql is not installed"; exit 77; }

check "the server starts" start_server --database "$SCRATCH/it.duckdb" --trust-local
P() { psql -X -h "$SOCK_DIR" -p "$PORT" -U tester -d db "$@" 2>&1 | grep -v '^ERROR\|^LINE\|^ *^\|^Did you\|^$'; }
rows() { psql -X -h "$SOCK_DIR" -p "$PORT" -U tester -d db -At -c "SELECT coalesce(string_agg(a::VARCHAR, ',' ORDER BY a), '-') FROM it"; }
same() { [ "$1" = "$2" ] || { printf 'got:\n%s\nwant:\n%s\n' "$1" "$2"; false; }; }
q -c "CREATE TABLE it (a INTEGER)" >/dev/null

out=$(P -c "INSERT INTO it VALUES (1); INSERT INTO it VALUES (2); SELECT 'x'::INTEGER")
check "a failing string reports its earlier statements" same "$out" $'INSERT 0 1\nINSERT 0 1'
check "and rolls them back" same "$(rows)" "-"

out=$(P -c "INSERT INTO it VALUES (3); COMMIT; INSERT INTO it VALUES (4); SELECT * FROM nosuch")
check "COMMIT inside the string warns as PostgreSQL does" \
  same "$out" $'WARNING:  there is no transaction in progress\nINSERT 0 1\nCOMMIT\nINSERT 0 1'
check "and keeps what came before it; the rest is rolled back" same "$(rows)" "3"

out=$(P -c "INSERT INTO it VALUES (5); INSERT INTO it VALUES (6)")
check "a string that succeeds commits" same "$(rows)" "3,5,6"

out=$(P -c "INSERT INTO it VALUES (7); BEGIN; INSERT INTO it VALUES (8)" -c "ROLLBACK")
check "BEGIN in the string makes the block the client's" same "$out" $'INSERT 0 1\nBEGIN\nINSERT 0 1\nROLLBACK'
check "so its ROLLBACK undoes the statements before BEGIN too" same "$(rows)" "3,5,6"

out=$(P -c "BEGIN" -c "INSERT INTO it VALUES (9); SELECT 'x'::INTEGER" -c "ROLLBACK")
check "inside an explicit transaction the string is the client's" same "$out" $'BEGIN\nINSERT 0 1\nROLLBACK'
check "and its ROLLBACK decides" same "$(rows)" "3,5,6"

out=$(P -c "INSERT INTO it VALUES (10); ROLLBACK; INSERT INTO it VALUES (11)")
check "ROLLBACK inside the string undoes what came before it" \
  same "$out"$'\n'"$(rows)" $'WARNING:  there is no transaction in progress\nINSERT 0 1\nROLLBACK\nINSERT 0 1\n3,5,6,11'

out=$(P -v ON_ERROR_STOP=1 -c "INSERT INTO it VALUES (12)" -c "SELECT count(*) FROM it")
check "single statements still autocommit" same "$(rows)" "3,5,6,11,12"
out=$(P -At -c "INSERT INTO it VALUES (13); SELECT 1" -c "COMMIT")
check "after the string the session is idle again (COMMIT finds no transaction)" \
  same "$out" $'INSERT 0 1\n1\nWARNING:  there is no transaction in progress\nCOMMIT'
stop_server
check "the server shuts down cleanly" server_exited_cleanly
finish
