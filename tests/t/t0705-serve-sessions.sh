#!/usr/bin/env bash
# t0705: session limits and concurrency.  --statement-timeout cancels with
# 57014, --idle-timeout closes idle sessions with 57P05, --max-connections
# refuses the next client with 53300 (and admits one again when a slot
# frees).  Then 16 clients at once: pgbench (libpq, extended protocol with a
# custom script) inserting, and 16 psycopg2 threads incrementing one counter
# in transactions -- every row and every increment accounted for exactly, and
# conflicts surface only as 40001.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
command -v psql >/dev/null || { echo "psql is not installed"; exit 77; }
"$PY" -c 'import psycopg2' 2>/dev/null || { echo "python3-psycopg2 is not installed"; exit 77; }

db=$SCRATCH/sessions.duckdb
check "the server starts with limits" \
  start_server --database "$db" --trust-local --max-connections 3 --statement-timeout 1

start=$(date +%s)
out=$(psql -X -h "$SOCK_DIR" -p "$PORT" -U tester -d db -v VERBOSITY=verbose -c "SELECT count(*) FROM range(100000000000) a" 2>&1)
elapsed=$(( $(date +%s) - start ))
check "a statement over the timeout is cancelled with 57014" \
  eval 'echo "$out" | grep -q "57014.*statement timeout" || { echo "$out"; false; }'
check "and promptly (${elapsed}s)" test "$elapsed" -lt 20

# Separate servers, so a slow start of the held sessions cannot let one of
# them idle out and free a slot.
cat >"$SCRATCH/limits.py" <<'PY'
import struct, sys, time
sys.path.insert(0, sys.argv[4])
from pgwire import Conn, fields, check
d, port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if what == "idle":
    idle = Conn(d, port)
    idle.startup()
    time.sleep(3.5)
    t, p = idle.read()
    check(t == b"E" and fields(p)["C"] == "57P05", "an idle session is closed with 57P05")
else:
    held = []
    for i in range(3):
        c = Conn(d, port)
        c.startup()
        held.append(c)
    extra = Conn(d, port)
    try:
        extra.startup()
        check(False, "a fourth session is refused")
    except RuntimeError as e:
        check("53300" in str(e), "a fourth session is refused with 53300")
    held.pop().msg(b"X")
    time.sleep(0.5)
    again = Conn(d, port)
    again.startup()
    r = again.query("SELECT 1")
    check(r[-1][0] == b"Z", "a freed slot admits a new session")
PY
timeout 60 "$PY" "$SCRATCH/limits.py" "$SOCK_DIR" "$PORT" max "$MALLARD_SOURCE_DIR/tests/t" >"$SCRATCH/limits.out" 2>&1
rc=$?
sed 's/^/  /' "$SCRATCH/limits.out"
check "max connections" test $rc -eq 0
stop_server
check "the server shuts down cleanly" server_exited_cleanly

check "the server starts with an idle timeout" start_server --database "$db" --trust-local --idle-timeout 2
timeout 60 "$PY" "$SCRATCH/limits.py" "$SOCK_DIR" "$PORT" idle "$MALLARD_SOURCE_DIR/tests/t" >"$SCRATCH/idle.out" 2>&1
rc=$?
sed 's/^/  /' "$SCRATCH/idle.out"
check "idle timeout" test $rc -eq 0
stop_server

check "the server starts for the concurrency run" start_server --database "$db" --trust-local
q -c "CREATE TABLE events (client INTEGER, n INTEGER, note VARCHAR)" -c "CREATE TABLE counter (id INTEGER PRIMARY KEY, v BIGINT)" -c "INSERT INTO counter VALUES (1, 0)" >/dev/null
if command -v pgbench >/dev/null; then
  cat >"$SCRATCH/insert.sql" <<'SQL'
\set n random(1, 1000000)
INSERT INTO events VALUES (:client_id, :n, 'pgbench');
SELECT count(*) FROM events WHERE client = :client_id;
SQL
  timeout 300 pgbench -n -h "$SOCK_DIR" -p "$PORT" -U tester -M prepared -c 16 -j 4 -t 25 \
    -f "$SCRATCH/insert.sql" db >"$SCRATCH/pgbench.out" 2>&1
  rc=$?
  check "pgbench: 16 clients, 25 transactions each, none failed" \
    eval '[ $rc -eq 0 ] && grep -q "number of failed transactions: 0" "$SCRATCH/pgbench.out" || cat "$SCRATCH/pgbench.out"'
  check "every pgbench insert is there exactly once (400 rows, 25 per client)" \
    test "$(q -c "SELECT sum(c) || '/' || count(DISTINCT client) || '/' || max(c) || '/' || min(c) FROM (SELECT client, count(*) c FROM events WHERE note = 'pgbench' GROUP BY client)")" = '400/16/25/25'
else
  echo "pgbench is not installed: skipping its part"
fi

cat >"$SCRATCH/counter.py" <<'PY'
import sys, threading, psycopg2, psycopg2.errors
sock, port = sys.argv[1], int(sys.argv[2])
N_THREADS, PER_THREAD = 16, 20
done = [0] * N_THREADS
conflicts, other = [], []
def worker(i):
    conn = psycopg2.connect(host=sock, port=port, user="tester", dbname="db")
    cur = conn.cursor()
    while done[i] < PER_THREAD:
        try:
            cur.execute("UPDATE counter SET v = v + 1 WHERE id = 1")
            cur.execute("INSERT INTO events VALUES (%s, %s, 'counter')", (i, done[i]))
            conn.commit()
            done[i] += 1
        except psycopg2.Error as e:
            (conflicts if e.pgcode == "40001" else other).append(e.pgcode)
            conn.rollback()
    conn.close()
threads = [threading.Thread(target=worker, args=(i,)) for i in range(N_THREADS)]
for t in threads: t.start()
for t in threads: t.join()
conn = psycopg2.connect(host=sock, port=port, user="tester", dbname="db")
cur = conn.cursor()
cur.execute("SELECT v FROM counter")
v = cur.fetchone()[0]
cur.execute("SELECT count(*), count(DISTINCT (client, n)) FROM events WHERE note = 'counter'")
rows, distinct = cur.fetchone()
print("increments %d, rows %d (distinct %d), conflicts %d, other errors %r"
      % (v, rows, distinct, len(conflicts), other))
ok = v == N_THREADS * PER_THREAD and rows == v and distinct == v and not other
sys.exit(0 if ok else 1)
PY
timeout 300 "$PY" "$SCRATCH/counter.py" "$SOCK_DIR" "$PORT" >"$SCRATCH/counter.out" 2>&1
rc=$?
sed 's/^/  /' "$SCRATCH/counter.out"
check "16 writers on one row: every committed increment counted once, conflicts only as 40001" test $rc -eq 0
check "no lock errors in the server log" eval '! grep -qi "could not set lock" "$SCRATCH/server.log"'
stop_server
check "the server shuts down cleanly" server_exited_cleanly
check "the file holds every row after shutdown" \
  test "$("$MALLARD_BIN_DIR/db_query" "$db" "SELECT count(*) FROM events")" = $(( 400 + 320 ))
finish
