#!/usr/bin/env bash
# t0711: while `mallard scheduler` owns the database (its dbt task runner
# keeps the file open between tasks), `mallard build` from another shell is
# routed to it and succeeds with normal output, `mallard debug` reports that
# the owner is a Mallard process, and a failing test still exits 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/route-lib.sh"

deploy=$SCRATCH/deploy
proj=$deploy/dbt/shop
mkdir -p "$deploy/dags"
make_route_project "$proj"
# both processes must name the same file: an absolute path in the profile
sed -i "s|path: shop.duckdb|path: $deploy/shop.duckdb|" "$proj/profiles.yml"
day=$(date -u -d "@$(( $(date -u +%s) / 86400 * 86400 - 86400 ))" +%Y-%m-%d)
cat >"$deploy/dags/shop.yml" <<YML
dag_id: shop
schedule: "@daily"
start_date: $day
dbt: {project_dir: ../dbt/shop}
YML
cd "$deploy"
trap stop_sched EXIT
"$MALLARD" scheduler >"$SCRATCH/sched.log" 2>&1 &
SCHED_PID=$!
for _ in $(seq 600); do
  [ -e "$deploy/shop.duckdb.mallard" ] && grep -q "run(s)\|succeeded\|success" "$SCRATCH/sched.log" && break
  [ -e "$deploy/shop.duckdb.mallard" ] && [ -n "$(find .mallard/logs -name '*.log' 2>/dev/null | head -1)" ] && break
  sleep 0.1
done
check "the scheduler advertises the database its tasks opened" \
  eval "grep -q '\"pid\": $SCHED_PID,' '$deploy/shop.duckdb.mallard' || { cat '$SCRATCH/sched.log'; false; }"
check "as a scheduler that takes jobs" grep -q '"command": "scheduler"' "$deploy/shop.duckdb.mallard"
# let the scheduled run finish before the routed build (they would queue anyway)
for _ in $(seq 600); do
  "$MALLARD" runs shop 2>/dev/null | grep -q "| success |" && break
  sleep 0.1
done

cd "$proj"
run_mallard build
check "a build from another shell is routed to the scheduler" \
  out_has "Routing to the Mallard process that owns $deploy/shop.duckdb (PID $SCHED_PID)"
check "and succeeds" rc_is 0
check "with normal output" out_has "Done. PASS=4 WARN=0 ERROR=0 SKIP=0 TOTAL=4"
check "run_results.json in the client's target/" grep -q '"status": *"success"' "$proj/target/run_results.json"

MAX_ID=2 run_mallard test
check "a failing test exits 1 through the scheduler" rc_is 1

run_mallard debug
check "debug reports the Mallard owner" out_has "is owned by Mallard (PID $SCHED_PID"
check "with its command line" out_has "scheduler"
check "and that jobs are routed to it" out_has "jobs are routed to it"
check "its checks pass through the owner" eval 'rc_is 0 && out_has "All checks passed!"'

stop_sched
check "the scheduler stops on SIGTERM" test "$SCHED_RC" -eq 0 -o "$SCHED_RC" -eq 2
check "without sanitizer reports" eval "! grep -q 'Sanitizer\|runtime error' '$SCRATCH/sched.log' || { cat '$SCRATCH/sched.log'; false; }"
check "and removes its advertisement" test ! -e "$deploy/shop.duckdb.mallard"
finish
