#!/usr/bin/env bash
# t0716: routed jobs run side by side.  One scheduler (no --database, a DAG
# on the file that is not due) owns the file with --routed-jobs 3.  Three
# `mallard build`s of different selections, from three projects, are sent to
# it at once.  Each builds a model that reads a named pipe of its own, and
# the test feeds the pipes only once all three jobs are reading them -- so
# the builds must run at the same time (one at a time, only one pipe would
# ever get a reader).  A fourth build, beyond the limit, is told it waits
# and runs once a place frees.  All four succeed, each with its own
# selection's tables, environment and run_results.json.  Then Ctrl-C on one
# of two clients cancels its job only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/route-lib.sh"
PY=/usr/bin/python3

deploy=$SCRATCH/deploy
db=$deploy/shared.duckdb
mkdir -p "$deploy/dags" "$deploy/etl/models"
printf 'name: etl\nprofile: etl\n' >"$deploy/etl/dbt_project.yml"
printf 'etl:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: %s\n' "$db" \
  >"$deploy/etl/profiles.yml"
printf "select 1 as one\n" >"$deploy/etl/models/one.sql"
cat >"$deploy/dags/etl.yml" <<'YML'
dag_id: etl
schedule: "@daily"
start_date: 2099-01-01
dbt: {project_dir: ../etl}
YML

# client projects a, b, c, d: the route project in a schema of their own,
# plus `feed`, which reads the pipe that $FEED names
for c in a b c d; do
  make_route_project "$SCRATCH/$c"
  sed -i "s|path: shop.duckdb|path: $db\n      schema: $c|" "$SCRATCH/$c/profiles.yml"
  printf "{{ config(materialized='table') }}\nselect * from read_csv('{{ env_var(\"FEED\") }}', header=true, columns={'x': 'INTEGER'})\n" \
    >"$SCRATCH/$c/models/feed.sql"
  mkfifo "$SCRATCH/$c.pipe"
done

cd "$deploy"
GATE_PID=
stop_all() {
  [ -n "$GATE_PID" ] && kill "$GATE_PID" 2>/dev/null
  # a job still reading a pipe (the test failed) gets end of file, so the
  # owner can cancel it: a read blocked in open() does not see a cancel
  for p in "$SCRATCH"/*.pipe; do exec 3<>"$p"; exec 3>&-; done
  stop_sched
}
trap stop_all EXIT
"$MALLARD" scheduler --routed-jobs 3 >"$SCRATCH/sched.log" 2>&1 &
SCHED_PID=$!
wait_advertised "$db"
check "the scheduler owns the file from start-up" \
  eval "grep -qs '\"pid\": $SCHED_PID,' '$db.mallard' || { cat '$SCRATCH/sched.log'; false; }"

# the gate: waits (up to 120 s) until every pipe named has a reader, says
# how many have one, then on "$SCRATCH/release" writes each pipe its rows
cat >"$SCRATCH/gate.py" <<'PY'
import errno, os, sys, time
release, rows, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
fds, deadline = {}, time.time() + 120
while len(fds) < len(paths) and time.time() < deadline:
    for p in paths:
        if p not in fds:
            try:
                fds[p] = os.open(p, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as e:
                if e.errno != errno.ENXIO:
                    raise
    time.sleep(0.05)
print("readers", len(fds), flush=True)
while not os.path.exists(release):
    time.sleep(0.05)
for fd in fds.values():
    os.set_blocking(fd, True)
    os.write(fd, ("x\n" + rows.replace(",", "\n") + "\n").encode())
    os.close(fd)
PY
"$PY" "$SCRATCH/gate.py" "$SCRATCH/release" 1,2,3 "$SCRATCH/a.pipe" "$SCRATCH/b.pipe" \
  "$SCRATCH/c.pipe" >"$SCRATCH/gate.out" 2>&1 &
GATE_PID=$!

# routed_build NAME ARGS...: a build in project NAME, in the background
routed_build() {
  local c=$1
  shift
  (cd "$SCRATCH/$c" && FEED=$SCRATCH/$c.pipe CLIENT_TAG=$c "$MALLARD" build "$@" \
    >"$SCRATCH/$c.out" 2>&1; echo $? >"$SCRATCH/$c.rc") &
}
routed_build a -s +people_up feed
routed_build b -s greeting feed
routed_build c -s people feed
for _ in $(seq 1300); do grep -q '^readers' "$SCRATCH/gate.out" && break; sleep 0.1; done
check "the three routed builds read their pipes at the same time" \
  eval "grep -q '^readers 3' '$SCRATCH/gate.out' || { cat '$SCRATCH/gate.out' '$SCRATCH'/[abc].out; false; }"

# a fourth, beyond --routed-jobs 3: told it waits while the three hold their places
routed_build d -s greeting feed
for _ in $(seq 600); do grep -q 'Waiting' "$SCRATCH/d.out" 2>/dev/null && break; sleep 0.1; done
check "a fourth build is told it waits for a place" \
  eval "grep -q 'Waiting: the owning process already runs 3 job(s)' '$SCRATCH/d.out' || { cat '$SCRATCH/d.out'; false; }"
check "and has not started" eval "! grep -q 'START' '$SCRATCH/d.out'"

touch "$SCRATCH/release"
wait "$GATE_PID"
GATE_PID=
# d runs now: feed its pipe once it reads it
rm -f "$SCRATCH/release"
"$PY" "$SCRATCH/gate.py" "$SCRATCH/release" 7 "$SCRATCH/d.pipe" >"$SCRATCH/gate-d.out" 2>&1 &
GATE_PID=$!
touch "$SCRATCH/release"
for c in a b c d; do
  for _ in $(seq 1200); do [ -s "$SCRATCH/$c.rc" ] && break; sleep 0.1; done
done
wait "$GATE_PID"
GATE_PID=
for c in a b c d; do
  check "build $c was routed" grep -q "Routing to the Mallard process that owns $db (PID $SCHED_PID)" "$SCRATCH/$c.out"
  check "build $c exited 0" eval "[ \"\$(cat '$SCRATCH/$c.rc' 2>/dev/null)\" = 0 ] || { cat '$SCRATCH/$c.out'; false; }"
done
check "d ran once a place was free" grep -q "Running now" "$SCRATCH/d.out"
check "a's output is its own" \
  eval "grep -q 'Done. PASS=4 WARN=0 ERROR=0 SKIP=0 TOTAL=4' '$SCRATCH/a.out' && ! grep -q greeting '$SCRATCH/a.out'"
check "b's output is its own" grep -q 'Done. PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2' "$SCRATCH/b.out"

# their run_results.json, before the jobs below replace them
for c in a b c; do cp "$SCRATCH/$c/target/run_results.json" "$SCRATCH/$c.results.json"; done

# Ctrl-C on one client cancels its job only: e (a slow model) is
# interrupted while f, beside it, is still reading its pipe; f then
# finishes normally
rm -f "$SCRATCH/release" "$SCRATCH/c.rc"
"$PY" "$SCRATCH/gate.py" "$SCRATCH/release" 5 "$SCRATCH/c.pipe" >"$SCRATCH/gate-f.out" 2>&1 &
GATE_PID=$!
(cd "$SCRATCH/a" && FEED=$SCRATCH/a.pipe exec "$MALLARD" build -s slow --vars '{slow_n: 2000000}') >"$SCRATCH/e.out" 2>&1 &
e_pid=$!
routed_build c -s feed
for _ in $(seq 600); do grep -q "START sql table model a.slow" "$SCRATCH/e.out" && break; sleep 0.1; done
for _ in $(seq 600); do grep -q '^readers' "$SCRATCH/gate-f.out" && break; sleep 0.1; done
check "e runs its slow model while f reads its pipe" \
  eval "{ grep -q 'START sql table model a.slow' '$SCRATCH/e.out' && grep -q '^readers 1' '$SCRATCH/gate-f.out'; } || { cat '$SCRATCH/e.out' '$SCRATCH/c.out'; false; }"
kill -INT "$e_pid"
wait "$e_pid"
check "Ctrl-C on e's client ends it with exit 2" test $? -eq 2
check "f is still running" test ! -e "$SCRATCH/c.rc"
touch "$SCRATCH/release"
wait "$GATE_PID"
GATE_PID=
for _ in $(seq 1200); do [ -s "$SCRATCH/c.rc" ] && break; sleep 0.1; done
check "and then finishes normally" eval "[ \"\$(cat '$SCRATCH/c.rc' 2>/dev/null)\" = 0 ] || { cat '$SCRATCH/c.out'; false; }"
check "the owner logged e's job as cancelled" grep -q "finished with exit code 2 .*(cancelled)" "$SCRATCH/sched.log"

stop_all
q() { "$MALLARD_BIN_DIR/db_query" "$db" "$1"; }
check "a built its selection" test "$(q 'SELECT count(*) FROM a.people_up') $(q 'SELECT sum(x) FROM a.feed')" = "3 6"
check "b built its selection with its own environment" \
  test "$(q 'SELECT tag FROM b.greeting') $(q 'SELECT sum(x) FROM b.feed')" = "b 6"
check "c built its selection (f rebuilt its feed)" test "$(q 'SELECT count(*) FROM c.people') $(q 'SELECT sum(x) FROM c.feed')" = "3 5"
check "d built its selection" test "$(q 'SELECT tag FROM d.greeting') $(q 'SELECT sum(x) FROM d.feed')" = "d 7"
check "and nothing outside the selections" \
  test "$(q "SELECT count(*) FROM duckdb_tables() WHERE schema_name IN ('b', 'd') AND table_name LIKE 'people%'")" = 0
results() { "$PY" -c 'import json,sys; print(" ".join(sorted(r["unique_id"] for r in json.load(open(sys.argv[1]))["results"])))' "$SCRATCH/$1.results.json"; }
check "a's run_results.json holds a's nodes" \
  test "$(results a)" = "model.shop.feed model.shop.people_up seed.shop.people test.shop.ids_in_range"
check "b's holds b's" test "$(results b)" = "model.shop.feed model.shop.greeting"
check "c's holds c's" test "$(results c)" = "model.shop.feed seed.shop.people"
check "the scheduler stopped cleanly" \
  eval "! grep -q 'Sanitizer\|runtime error' '$SCRATCH/sched.log' || { cat '$SCRATCH/sched.log'; false; }"
finish
