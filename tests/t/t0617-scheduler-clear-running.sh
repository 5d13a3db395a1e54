#!/usr/bin/env bash
# t0617: `mallard clear` of a running task instance, as Airflow's
# clear_task_instances: it becomes restarting, the scheduler interrupts its
# DuckDB query within a second or so, and the next try starts at once with
# the try number carrying on -- the killed try costs no retry (the DAG has
# retries: 0, yet try 2 runs).  Both clear -t and a whole-run clear.
. "$(dirname "$0")/lib.sh"

seed_style_deployment w.duckdb
slow_sql="{{ config(materialized='table') }}
select count(*) as n from range(100000000000) where range % 7 = 3"
printf '%s\n' "$slow_sql" >"$proj/models/slow.sql"
printf "{{ config(materialized='table') }}\nselect n + 1 as m from {{ ref('slow') }}\n" \
  >"$proj/models/after.sql"
cat >"$deploy/dags/c.yml" <<'YML'
dag_id: c
schedule: null
max_active_runs: 1
dbt: {project_dir: ../dbt/shop, test_behavior: none}
YML

cd "$deploy"
"$MALLARD" scheduler >"$SCRATCH/sched.out" 2>&1 &
sched=$!
trap 'kill $sched 2>/dev/null' EXIT
for _ in $(seq 1 100); do [ -f .mallard/mallard.db ] && break; sleep 0.05; done

state_of() {
  "$MALLARD" tasks c "$run_id" 2>&1 | awk -F'|' -v t="$1" \
    '{gsub(/ /, "", $1)} $1 == t {gsub(/ /, "", $2); gsub(/ /, "", $3); print $2, $3; exit}'
}
wait_for() {
  for _ in $(seq 1 $(( $3 * 20 ))); do
    [ "$(state_of "$1")" = "$2" ] && return 0
    sleep 0.05
  done
  echo "$1 is $(state_of "$1"), expected $2"
  return 1
}
try_state() {
  "$MALLARD_BIN_DIR/sched_state" .mallard tries c "$run_id" | awk -v t="$1" -v n="$2" '$1 == t && $2 == n {print $3}'
}
run_state() {
  "$MALLARD" runs c 2>&1 | grep -F "$run_id" | awk -F'|' '{gsub(/ /, "", $3); print $3}'
}

# --- clear -t of the running task --------------------------------------------
run_mallard dags trigger c
run_id=$(grep -o 'manual__[^ ]*' "$SCRATCH/out" | head -1)
check "slow_run is running its first try" wait_for slow_run "running 1/1" 30
sleep 0.5
# the next try finds a quick model
printf "{{ config(materialized='table') }}\nselect 1 as n\n" >"$proj/models/slow.sql"
run_mallard clear c "$run_id" -t '^slow_run$'
check "clearing the running task counts it" out_has "Cleared 1 task instance(s)"
check "the scheduler interrupts it and runs try 2 to success, though retries is 0" \
  wait_for slow_run "success 2/2" 30
check "try 1 is recorded as restarting, not failed" eval "[ \"\$(try_state slow_run 1)\" = restarting ]"
check "try 2 succeeded" eval "[ \"\$(try_state slow_run 2)\" = success ]"
check "after_run waited for slow_run and ran once" wait_for after_run "success 1/1" 30
for _ in $(seq 1 60); do [ "$(run_state)" = success ] && break; sleep 0.05; done
check "the run succeeds" eval "[ \"\$(run_state)\" = success ]"
check "the scheduler said why it interrupted the try" \
  eval "grep -q 'slow_run: try 1 cleared while running: interrupting it' '$SCRATCH/sched.out'"
check "and recorded it as restarting, not as a failure" \
  eval "grep -q 'slow_run: try 1 none (cleared while running: restarting)' '$SCRATCH/sched.out'"
log1=$(find .mallard/logs -path "*run_id=$run_id*" -path '*task_id=slow_run*' -name 'attempt=1.log')
check "try 1's log says its query was interrupted" eval "grep -q 'outcome: interrupted' '$log1'"
q() { "$MALLARD_BIN_DIR/db_query" "$deploy/w.duckdb" "$1" 2>&1; }

# --- a whole-run clear while a task runs ---------------------------------------
printf '%s\n' "$slow_sql" >"$proj/models/slow.sql"
run_mallard dags trigger c --logical-date 2025-01-01T00:00:00Z
run_id=$(grep -o 'manual__[^ ]*' "$SCRATCH/out" | head -1)
check "the second run's slow_run is running" wait_for slow_run "running 1/1" 30
sleep 0.5
printf "{{ config(materialized='table') }}\nselect 41 as n\n" >"$proj/models/slow.sql"
run_mallard clear c "$run_id"
check "a whole-run clear counts the running task and the waiting one" \
  out_has "Cleared 2 task instance(s)"
check "slow_run restarts as try 2" wait_for slow_run "success 2/2" 30
check "after_run runs once" wait_for after_run "success 1/1" 30
for _ in $(seq 1 60); do [ "$(run_state)" = success ] && break; sleep 0.05; done
check "the second run succeeds" eval "[ \"\$(run_state)\" = success ]"

kill -TERM "$sched"
wait "$sched"
trap - EXIT
check "the tables hold what the second tries built" \
  eval "[ \"\$(q 'select m from after')\" = 42 ]"

finish
