#!/usr/bin/env bash
# t0712: the issue's concurrency proof.  One `mallard scheduler --serve`
# owns the file; on it, at the same time: 16 psycopg2 clients writing
# (each transaction inserts a row and bumps one shared counter, so they
# conflict), a scheduled DAG catching up over twelve hourly runs, and a
# `mallard build` of another project routed from another shell.  Then: zero
# lock errors anywhere, conflicts surfaced only as SQLSTATE 40001 (and were
# retried), and the counts are exact -- no lost and no duplicated rows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/route-lib.sh"
"$PY" -c 'import psycopg2' 2>/dev/null || { echo "python3-psycopg2 is not installed"; exit 77; }

deploy=$SCRATCH/deploy
db=$deploy/shared.duckdb
mkdir -p "$deploy/dags" "$deploy/etl/models"
# the DAG's project: each run appends one row to dag_log and rebuilds a table
printf 'name: etl\nprofile: etl\n' >"$deploy/etl/dbt_project.yml"
printf 'etl:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: %s\n      threads: 2\n' \
  "$db" >"$deploy/etl/profiles.yml"
cat >"$deploy/etl/models/dag_log.sql" <<'SQL'
{{ config(materialized='incremental') }}
select '{{ var("ds") }}'::varchar as ds, '{{ var("ts") }}'::varchar as ts
SQL
cat >"$deploy/etl/models/dag_work.sql" <<'SQL'
{{ config(materialized='table') }}
select count(*) as n, sum(a.range * b.range) as s from range(1500) a, range(1500) b
SQL
start=$(date -u -d "@$(( $(date -u +%s) / 3600 * 3600 - 12 * 3600 ))" +%Y-%m-%dT%H:%M:%S)
cat >"$deploy/dags/etl.yml" <<YML
dag_id: etl
schedule: "@hourly"
start_date: "$start"
catchup: true
max_active_runs: 1
dbt:
  project_dir: ../etl
  test_behavior: none
  vars: {ds: "{{ ds }}", ts: "{{ ts }}"}
YML
# the routed build's project, on the same file
proj=$SCRATCH/proj
make_route_project "$proj"
sed -i "s|path: shop.duckdb|path: $db|" "$proj/profiles.yml"

cd "$deploy"
trap stop_sched EXIT
"$MALLARD" scheduler --serve --database "$db" --listen 127.0.0.1:0 --socket-dir "$SOCK_DIR" \
  --trust-local >"$SCRATCH/sched.log" 2>&1 &
SCHED_PID=$!
for _ in $(seq 300); do grep -q 'Listening on Unix socket' "$SCRATCH/sched.log" && break; sleep 0.1; done
PORT=$(sed -n 's/.*Listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$SCRATCH/sched.log" | head -1)
check "the scheduler serves the database (port $PORT)" test -n "$PORT"
check "and advertises it from the start" grep -q "\"pid\": $SCHED_PID," "$db.mallard"
check "with its pgwire endpoint" grep -q "\"pg_port\": $PORT" "$db.mallard"
q -c "CREATE TABLE events (client INTEGER, seq INTEGER)" -c "CREATE TABLE counters (id INTEGER PRIMARY KEY, n BIGINT)" -c "INSERT INTO counters VALUES (1, 0)" >/dev/null

cat >"$SCRATCH/writers.py" <<'PY'
import json, sys, threading
import psycopg2
sock, port, clients, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lock = threading.Lock()
stats = {"committed": 0, "conflicts": 0, "other_errors": []}
def writer(c):
    conn = psycopg2.connect(host=sock, port=port, user="tester", dbname="db")
    cur = conn.cursor()
    for i in range(per):
        for attempt in range(1000):
            try:
                cur.execute("INSERT INTO events VALUES (%s, %s)", (c, i))
                cur.execute("UPDATE counters SET n = n + 1 WHERE id = 1")
                conn.commit()
                with lock:
                    stats["committed"] += 1
                break
            except psycopg2.Error as e:
                conn.rollback()
                with lock:
                    if e.pgcode == "40001":
                        stats["conflicts"] += 1
                    else:
                        stats["other_errors"].append("%s %s" % (e.pgcode, str(e).strip()))
                if e.pgcode != "40001":
                    return
    conn.close()
ts = [threading.Thread(target=writer, args=(c,)) for c in range(clients)]
for t in ts: t.start()
for t in ts: t.join()
print(json.dumps(stats))
PY
(cd "$proj" && "$MALLARD" build >"$SCRATCH/build.out" 2>&1; echo $? >"$SCRATCH/build.rc") &
build_pid=$!
"$PY" "$SCRATCH/writers.py" "$SOCK_DIR" "$PORT" 16 40 >"$SCRATCH/writers.json" 2>"$SCRATCH/writers.err"
wait "$build_pid"
cat "$SCRATCH/writers.json"
for _ in $(seq 1200); do
  [ "$("$MALLARD" runs etl 2>/dev/null | grep -c '| success |')" -ge 12 ] && break
  "$MALLARD" runs etl 2>/dev/null | grep -q '| failed |' && break
  sleep 0.1
done

stat() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$SCRATCH/writers.json" "$1"; }
check "every writer transaction committed (640)" test "$(stat committed)" = 640
check "no error but 40001 reached a client" test "$(stat other_errors)" = "[]"
check "conflicts surfaced as 40001 and were retried ($(stat conflicts) of them)" test "$(stat conflicts)" -ge 0
check "no lost or duplicated rows: 640 events" test "$(q -c 'SELECT count(*) FROM events')" = 640
check "each (client, seq) exactly once" test "$(q -c 'SELECT count(*) FROM (SELECT DISTINCT client, seq FROM events)')" = 640
check "the shared counter saw every commit once" test "$(q -c 'SELECT n FROM counters')" = 640
check "the routed build was routed" grep -q "Routing to the Mallard process that owns $db (PID $SCHED_PID)" "$SCRATCH/build.out"
check "and exited 0" eval "[ \"\$(cat '$SCRATCH/build.rc')\" = 0 ] || { cat '$SCRATCH/build.out'; false; }"
check "its models are in the file" test "$(q -c 'SELECT count(*) FROM people_up')" = 3
check "all twelve scheduled runs succeeded" \
  eval "[ \$('$MALLARD' runs etl | grep -c '| success |') -eq 12 ] || '$MALLARD' runs etl"
check "each run appended its row once" test "$(q -c 'SELECT count(*), count(DISTINCT ts) FROM dag_log')" = "12|12"
check "zero lock errors anywhere" \
  eval "! grep -rqi 'could not set lock\|conflicting lock' '$SCRATCH/sched.log' '$SCRATCH/build.out' '$SCRATCH/writers.err' .mallard/logs"
stop_sched
check "the scheduler stops cleanly" eval "! grep -q 'Sanitizer\|runtime error' '$SCRATCH/sched.log' || { cat '$SCRATCH/sched.log'; false; }"
check "and withdraws its advertisement" test ! -e "$db.mallard"
finish
