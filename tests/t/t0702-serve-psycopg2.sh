#!/usr/bin/env bash
# t0702: psycopg2 (Debian's python3-psycopg2, on /usr/bin/python3) against
# `mallard serve`: connect, parameters, Python types back from PostgreSQL
# OIDs, transactions, rollback after an error, cancel(), and server-side
# (named) cursors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
"$PY" -c 'import psycopg2' 2>/dev/null || { echo "python3-psycopg2 is not installed"; exit 77; }

check "the server starts" start_server --database "$SCRATCH/py.duckdb" --trust-local

cat >"$SCRATCH/client.py" <<'PY'
import datetime, decimal, sys, threading, time, uuid
import psycopg2, psycopg2.errors, psycopg2.extras

sock, port = sys.argv[1], int(sys.argv[2])
failed = 0
def check(cond, what):
    global failed
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        failed += 1

conn = psycopg2.connect(host=sock, port=port, user="tester", dbname="db")
check(conn.server_version >= 150000, "server_version parses as 15.x (%d)" % conn.server_version)
cur = conn.cursor()

cur.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
            "born DATE, balance DECIMAL(12,2), tags VARCHAR[], photo BLOB)")
conn.commit()

# Parameters, quoted by psycopg2 on the client.
rows = [(1, "O'Brien", datetime.date(1980, 5, 17), decimal.Decimal("12.50"), ["a", "b"], b"\x00\xff"),
        (2, "Zoë", None, decimal.Decimal("-3.25"), ["x y"], b""),
        (3, "back\\slash", datetime.date(2001, 1, 1), None, None, None)]
cur.executemany("INSERT INTO people VALUES (%s, %s, %s, %s, %s, %s)", rows)
check(cur.rowcount == 3, "executemany: the INSERTs report three rows")
conn.commit()

cur.execute("SELECT id, name, born, balance, tags, photo FROM people ORDER BY id")
got = cur.fetchall()
check([r[:4] for r in got] == [r[:4] for r in rows], "ints, strings with quotes and unicode, dates, "
      "decimals and NULLs round-trip exactly")
check(got[0][4] == ["a", "b"] and got[1][4] == ["x y"], "VARCHAR[] comes back as a Python list")
check(bytes(got[0][5]) == b"\x00\xff", "BLOB comes back as bytes (bytea)")
check(cur.description[0].type_code == 23 and cur.description[3].type_code == 1700,
      "column type OIDs: int4 and numeric")

cur.execute("SELECT %s::INTEGER + 1, %s, TIMESTAMP '2024-01-02 03:04:05.5', "
            "TIMESTAMPTZ '2024-01-02 03:04:05+00', INTERVAL '1 day 2 hours', true, 1.5::DOUBLE, "
            "UUID 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", (41, "x"))
r = cur.fetchone()
check(r[0] == 42 and r[1] == "x", "parameters in expressions")
check(r[2] == datetime.datetime(2024, 1, 2, 3, 4, 5, 500000), "timestamp -> datetime")
check(r[3] == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
      "timestamptz -> aware datetime in UTC")
check(r[4] == datetime.timedelta(days=1, hours=2), "interval -> timedelta")
check(r[5] is True and r[6] == 1.5, "bool and float8")
check(r[7] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "uuid text")

# Rollback after an error.
try:
    cur.execute("INSERT INTO people VALUES (1, 'dup', NULL, NULL, NULL, NULL)")
    check(False, "a duplicate key fails")
except psycopg2.errors.UniqueViolation:
    check(True, "a duplicate key raises UniqueViolation (23505)")
try:
    cur.execute("SELECT 1")
    check(False, "statements in a failed transaction fail")
except psycopg2.errors.InFailedSqlTransaction:
    check(True, "the failed transaction refuses more statements (25P02)")
conn.rollback()
cur.execute("SELECT count(*) FROM people")
check(cur.fetchone()[0] == 3, "after rollback the session works and nothing changed")

# A transaction that is rolled back leaves nothing behind.
cur.execute("INSERT INTO people VALUES (10, 'temp', NULL, NULL, NULL, NULL)")
conn.rollback()
cur.execute("SELECT count(*) FROM people WHERE id = 10")
check(cur.fetchone()[0] == 0, "rollback discards an insert")
conn.commit()

try:
    cur.execute("SELECT * FROM no_such_table")
except psycopg2.errors.UndefinedTable as e:
    check(e.pgcode == "42P01", "an unknown table raises UndefinedTable")
conn.rollback()

# cancel() from another thread interrupts a long query.
conn.autocommit = True
def cancel_later():
    time.sleep(0.8)
    conn.cancel()
t = threading.Thread(target=cancel_later)
t.start()
start = time.time()
try:
    cur.execute("SELECT count(*) FROM range(100000000000) a")
    check(False, "the long query was cancelled")
except psycopg2.errors.QueryCanceled:
    check(time.time() - start < 30, "cancel() raises QueryCanceled (57014) promptly")
t.join()
cur.execute("SELECT 1")
check(cur.fetchone() == (1,), "the connection works after a cancel")
conn.autocommit = False

# Server-side cursors (DECLARE / FETCH / CLOSE).
cur.execute("CREATE TABLE big AS SELECT range AS i FROM range(5000)")
conn.commit()
named = conn.cursor(name="walker")
named.itersize = 1000
named.execute("SELECT i FROM big ORDER BY i")
total, count = 0, 0
for (i,) in named:
    total += i
    count += 1
check(count == 5000 and total == sum(range(5000)), "a named cursor streams every row once")
first = conn.cursor(name="few")
first.execute("SELECT i FROM big ORDER BY i")
check(first.fetchmany(3) == [(0,), (1,), (2,)] and first.fetchone() == (3,),
      "fetchmany/fetchone on a named cursor")
first.close()
named.close()
conn.commit()

# Dict cursors read the column names.
dc = conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor)
dc.execute("SELECT 1 AS one, 'b' AS two")
check(dc.fetchone() == {"one": 1, "two": "b"}, "column names reach the client")
conn.close()
sys.exit(1 if failed else 0)
PY
timeout 120 "$PY" "$SCRATCH/client.py" "$SOCK_DIR" "$PORT" >"$SCRATCH/client.out" 2>&1
rc=$?
sed 's/^/  /' "$SCRATCH/client.out"
check "psycopg2 client checks" test $rc -eq 0
stop_server
check "the server shuts down cleanly" server_exited_cleanly
finish
