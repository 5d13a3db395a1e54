#!/usr/bin/env bash
# t0700: `mallard serve` with psql as the client, over the Unix socket and
# TCP: queries, PostgreSQL's text formats for DuckDB's types, command tags,
# errors with their SQLSTATE, transactions, and the catalog commands psql
# runs for \dt, \d, \dn and \l.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
command -v psql >/dev/null || { echo "psql is not installed"; exit 77; }

db=$SCRATCH/shop.duckdb
check "the server starts on a free port" start_server --database "$db" --trust-local
check "it reports the database and both listeners" \
  eval "grep -q 'Serving $db' '$SCRATCH/server.log' && grep -q 'Listening on 127.0.0.1:$PORT' '$SCRATCH/server.log'"

out=$(q -c "SELECT 6 * 7")
check "a query round-trips over the Unix socket" test "$out" = 42

# Types, as PostgreSQL prints them.
out=$(q -F '|' -c "SELECT true, false, 1::TINYINT, 2::SMALLINT, 3::INTEGER, 4::BIGINT, 1.5::FLOAT, 0.1::DOUBLE, 12.340::DECIMAL(10,3), 'héllo'::VARCHAR, from_hex('01ff'), DATE '2024-01-02', TIME '03:04:05.25', TIMESTAMP '2024-01-02 03:04:05', TIMESTAMPTZ '2024-01-02 03:04:05+00', INTERVAL '1 year 2 months 3 days 04:05:06', UUID '6ba7b810-9dad-11d1-80b4-00c04fd430c8', [1, 2, NULL], ['a b', 'c'], NULL::INTEGER")
want='t|f|1|2|3|4|1.5|0.1|12.340|héllo|\x01ff|2024-01-02|03:04:05.25|2024-01-02 03:04:05|2024-01-02 03:04:05+00|1 year 2 mons 3 days 04:05:06|6ba7b810-9dad-11d1-80b4-00c04fd430c8|{1,2,NULL}|{"a b",c}|'
check "every type prints as PostgreSQL prints it" eval '[ "$out" = "$want" ] || { echo "got:  $out"; echo "want: $want"; false; }'

out=$(q -c "SELECT '{\"a\": 1}'::JSON, 1::HUGEINT, -1.5e300::DOUBLE, 'infinity'::DOUBLE, DATE '0044-03-15' - INTERVAL 100 YEAR" -F '|')
check "json, hugeint, big and infinite floats, BC dates" \
  eval '[ "$out" = "{\"a\": 1}|1|-1.5e+300|Infinity|0057-03-15 00:00:00 BC" ] || { echo "got: $out"; false; }'

# Command tags.
out=$(q -c "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer VARCHAR NOT NULL, amount DECIMAL(10,2))" \
        -c "INSERT INTO orders VALUES (1, 'ann', 10.50), (2, 'bob', 20), (3, 'cy', 3.25)" \
        -c "UPDATE orders SET amount = amount + 1 WHERE id > 1" \
        -c "DELETE FROM orders WHERE id = 3" \
        -c "CREATE VIEW big AS SELECT * FROM orders WHERE amount > 15" \
        -c "DROP VIEW big" 2>&1)
want='CREATE TABLE
INSERT 0 3
UPDATE 2
DELETE 1
CREATE VIEW
DROP VIEW'
check "command tags as PostgreSQL gives them" eval '[ "$out" = "$want" ] || { echo "got: $out"; false; }'

# Errors carry their SQLSTATE (VERBOSITY verbose prints it).
err() { psql -X -h "$SOCK_DIR" -p "$PORT" -U tester -d db -v VERBOSITY=verbose -c "$1" 2>&1; }
check "unknown table is 42P01" eval 'err "SELECT * FROM nowhere" | grep -q "ERROR:  42P01"'
check "unknown column is 42703" eval 'err "SELECT nothing FROM orders" | grep -q "ERROR:  42703"'
check "syntax error is 42601" eval 'err "SELEC 1" | grep -q "ERROR:  42601"'
check "duplicate key is 23505" eval 'err "INSERT INTO orders VALUES (1, '"'x'"', 1)" | grep -q "ERROR:  23505"'
check "NOT NULL is 23502" eval 'err "INSERT INTO orders VALUES (9, NULL, 1)" | grep -q "ERROR:  23502"'
check "a value out of range is 22003" eval 'err "SELECT 300::TINYINT" | grep -q "ERROR:  22003"'

# Transactions: a rolled-back block leaves nothing; ON_ERROR_ROLLBACK off.
q -c "BEGIN" -c "INSERT INTO orders VALUES (10, 'tx', 1)" -c "ROLLBACK" >/dev/null
check "ROLLBACK discards the block" test "$(q -c 'SELECT count(*) FROM orders WHERE id = 10')" = 0
q -c "BEGIN" -c "INSERT INTO orders VALUES (11, 'tx', 1)" -c "COMMIT" >/dev/null
check "COMMIT keeps it" test "$(q -c 'SELECT count(*) FROM orders WHERE id = 11')" = 1

# psql's catalog commands.
out=$(q -c '\dt' 2>&1)
check "\\dt lists the table" eval 'echo "$out" | grep -q "orders" || { echo "$out"; false; }'
out=$(q -c '\d orders' 2>&1)
check "\\d shows the columns and types" \
  eval 'echo "$out" | grep -q "customer" && echo "$out" | grep -qi "numeric(10,2)\|decimal(10,2)" || { echo "$out"; false; }'
out=$(psql -X -h "$SOCK_DIR" -p "$PORT" -U tester -d db -c '\d orders' 2>&1)
check "\\d names types as PostgreSQL does and lists the primary key" \
  eval 'echo "$out" | grep -q "| integer .*| not null" && echo "$out" | grep -q "\"orders_pkey\" PRIMARY KEY, btree (id)" || { echo "$out"; false; }'
out=$(q -c '\dn' 2>&1)
check "\\dn lists the main schema" eval 'echo "$out" | grep -q "main" || { echo "$out"; false; }'
out=$(q -c '\l' 2>&1)
check "\\l lists the database" eval 'echo "$out" | grep -q "shop" || { echo "$out"; false; }'
out=$(q -c '\x on' -c "SELECT 1 AS a, 2 AS b" 2>&1)
check "\\x shows records vertically" eval 'echo "$out" | grep -q "^a|1" || { echo "$out"; false; }'

# TCP needs a password: trust is only for the Unix socket.
out=$(psql -X -h 127.0.0.1 -p "$PORT" -U tester -d db -w -c "SELECT 1" 2>&1)
check "TCP clients are not trusted without users" eval 'echo "$out" | grep -q "no users are configured" || { echo "$out"; false; }'

# The data is in the file: stop the server and read it directly.
stop_server
check "the server shuts down cleanly on SIGTERM" server_exited_cleanly
check "the server stopped and removed its socket" test ! -e "$SOCK_DIR/.s.PGSQL.$PORT"
check "the rows are in the DuckDB file" \
  eval '[ "$("$MALLARD_BIN_DIR/db_query" "$db" "SELECT count(*) FROM orders" 2>&1)" = 3 ] || "$MALLARD_BIN_DIR/db_query" "$db" "SELECT count(*) FROM orders"'
finish
