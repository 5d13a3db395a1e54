#!/usr/bin/env bash
# t0704: COPY FROM STDIN and TO STDOUT through psql, text and CSV: escapes,
# NULLs, quoted delimiters and newlines, headers, column lists, \copy, a bad
# row that rolls the whole load back, and COPY inside a transaction.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
command -v psql >/dev/null || { echo "psql is not installed"; exit 77; }

check "the server starts" start_server --database "$SCRATCH/copy.duckdb" --trust-local
q -c "CREATE TABLE items (id INTEGER, name VARCHAR, price DECIMAL(8,2), added DATE)" >/dev/null

printf '1\tplain\t1.50\t2024-01-01\n2\t\\N\t2\t\\N\n3\ttab\\there\t3\t2024-02-03\n4\tback\\\\slash\t4\t2024-02-04\n' \
  >"$SCRATCH/in.txt"
out=$(q -c "COPY items FROM STDIN" <"$SCRATCH/in.txt" 2>&1)
check "text COPY FROM STDIN loads every row" eval '[ "$out" = "COPY 4" ] || { echo "$out"; false; }'
check "text escapes and \\N arrive as values and NULLs" \
  test "$(q -c "SELECT name IS NULL, added IS NULL FROM items WHERE id = 2") $(q -c "SELECT name = 'tab' || chr(9) || 'here' FROM items WHERE id = 3") $(q -c "SELECT name FROM items WHERE id = 4")" = 't|t t back\slash'

printf 'id,name\n5,"comma, inside"\n6,""\n7,\n8,"two\nlines"\n' >"$SCRATCH/in.csv"
out=$(q -c "COPY items (id, name) FROM STDIN WITH (FORMAT csv, HEADER)" <"$SCRATCH/in.csv" 2>&1)
check "CSV with a header and a column list" eval '[ "$out" = "COPY 4" ] || { echo "$out"; false; }'
check "CSV: quoted empty string vs NULL, quoted comma and newline" \
  test "$(q -c "SELECT count(*) FILTER (name = ''), count(*) FILTER (name IS NULL AND id = 7), count(*) FILTER (name = 'comma, inside'), count(*) FILTER (name = 'two' || chr(10) || 'lines') FROM items")" = '1|1|1|1'

out=$(q -c "COPY (SELECT id, name, price FROM items WHERE id IN (1, 2, 3, 4) ORDER BY id) TO STDOUT" 2>&1)
want=$(printf '1\tplain\t1.50\n2\t\\N\t2.00\n3\ttab\\there\t3.00\n4\tback\\\\slash\t4.00')
check "text COPY TO STDOUT escapes as PostgreSQL does" eval '[ "$out" = "$want" ] || { echo "got:"; echo "$out"; false; }'
out=$(q -c "COPY (SELECT id, name FROM items WHERE id >= 5 ORDER BY id) TO STDOUT WITH CSV HEADER" 2>&1)
want=$(printf 'id,name\n5,"comma, inside"\n6,""\n7,\n8,"two\nlines"')
check "CSV COPY TO STDOUT with a header" eval '[ "$out" = "$want" ] || { echo "got:"; echo "$out"; false; }'

q -c "\\copy items TO '$SCRATCH/dump.csv' CSV" >/dev/null 2>&1
check "psql's \\copy writes every row" test "$(wc -l <"$SCRATCH/dump.csv")" = 9
q -c "CREATE TABLE items2 AS SELECT * FROM items WHERE false" >/dev/null
out=$(q -c "\\copy items2 FROM '$SCRATCH/dump.csv' CSV" 2>&1)
check "and \\copy reads it back" eval '[ "$out" = "COPY 8" ] || { echo "$out"; false; }'
check "the round trip is exact" \
  test "$(q -c "SELECT count(*) FROM (SELECT * FROM items EXCEPT SELECT * FROM items2)")" = 0

before=$(q -c "SELECT count(*) FROM items")
out=$(printf '100,ok\nnot-a-number,bad\n' | psql -X -h "$SOCK_DIR" -p "$PORT" -U tester -d db -v VERBOSITY=verbose -c "COPY items (id, name) FROM STDIN CSV" 2>&1)
check "a bad value fails the COPY with 22P02 and names the row" eval 'echo "$out" | grep -q "22P02.*row 2" || { echo "$out"; false; }'
check "and loads nothing (the load is one transaction)" test "$(q -c "SELECT count(*) FROM items")" = "$before"
out=$(printf '1,2,3,4,5\n' | q -c "COPY items FROM STDIN CSV" 2>&1)
check "too many fields is an error" eval 'echo "$out" | grep -q "5 fields"'

out=$(printf '200\tin-tx\t1\t2024-01-01\n' | q -c "BEGIN" -c "COPY items FROM STDIN" -c "ROLLBACK" 2>&1)
check "COPY inside a transaction is rolled back with it" test "$(q -c "SELECT count(*) FROM items WHERE id = 200")" = 0
out=$(q -c "COPY items FROM STDIN (FORMAT binary)" 2>&1 </dev/null)
check "binary COPY says it is not supported" eval 'echo "$out" | grep -q "not supported yet: COPY format"'
out=$(q -c "SELECT 1" 2>&1)
check "the session after all that still works" test "$out" = 1

stop_server
check "the server shuts down cleanly" server_exited_cleanly
finish
