#!/usr/bin/env bash
# t0613: trigger and clear from other processes while a scheduler runs.
# Each takes effect within a second, no command meets a lock error, and
# clear follows Airflow: cleared task instances go back to none and run
# again with their try numbers carrying on (-t, --downstream,
# --only-failed); the run goes back to queued and finishes again.
. "$(dirname "$0")/lib.sh"

seed_style_deployment w.duckdb
# b fails while ctl.csv says so; the test flips the file between runs.
printf 'ok\n0\n' >"$deploy/ctl.csv"
printf "{{ config(materialized='table') }}\nselect 1 as id, '{{ flags.WHICH }}' as which\n" \
  >"$proj/models/a.sql"
cat >"$proj/models/b.sql" <<SQL
{{ config(materialized='table') }}
select id, case when (select ok from read_csv_auto('$deploy/ctl.csv')) = 1 then 1
  else error('ctl.csv says fail') end as fine from {{ ref('a') }}
SQL
printf "{{ config(materialized='table') }}\nselect * from {{ ref('b') }}\n" >"$proj/models/c.sql"
printf "{{ config(materialized='table') }}\nselect * from {{ ref('a') }}\n" >"$proj/models/d.sql"
cat >"$deploy/dags/m.yml" <<'YML'
dag_id: m
schedule: null
# runs of one DAG rebuild the same tables: side by side they would meet
# DuckDB's write-write conflicts (retried, but not forever)
max_active_runs: 1
max_active_tasks: 4
dbt: {project_dir: ../dbt/shop, test_behavior: none}
YML

cd "$deploy"
"$MALLARD" scheduler >"$SCRATCH/sched.out" 2>&1 &
sched=$!
trap 'kill $sched 2>/dev/null' EXIT
for _ in $(seq 1 100); do [ -f .mallard/mallard.db ] && break; sleep 0.05; done

# state_of TASK: the task instance's "state try" in run $run_id.
state_of() {
  "$MALLARD" tasks m "$run_id" 2>&1 | awk -F'|' -v t="$1" \
    '{gsub(/ /, "", $1)} $1 == t {gsub(/ /, "", $2); gsub(/ /, "", $3); print $2, $3; exit}'
}
# wait_for TASK "STATE TRY" SECONDS: polls until it holds.
wait_for() {
  local t0 now
  t0=$(date +%s.%N)
  while :; do
    [ "$(state_of "$1")" = "$2" ] && return 0
    now=$(date +%s.%N)
    [ "$(echo "$now - $t0 > $3" | bc)" -eq 1 ] && { echo "$1 is $(state_of "$1")"; return 1; }
    sleep 0.05
  done
}
# started_after TASK TRY T: seconds from T to that try's start, from the
# store's own timestamps (so polling costs do not count).
started_after() {
  "$MALLARD_BIN_DIR/sched_state" .mallard tries m "$run_id" |
    awk -v t="$1" -v n="$2" -v since="$3" '$1 == t && $2 == n {printf "%.3f", $4 - since}'
}
# within SECS VALUE
within() {
  [ -n "$2" ] && [ "$(echo "$2 <= $1" | bc)" -eq 1 ]
}
run_state() {
  "$MALLARD" runs m 2>&1 | grep -F "$run_id" | awk -F'|' '{gsub(/ /, "", $3); print $3}'
}
wait_run() {
  for _ in $(seq 1 60); do [ "$(run_state)" = "$1" ] && return 0; sleep 0.05; done
  echo "run is $(run_state), expected $1"
  return 1
}

run_mallard dags trigger m
t=$(date +%s.%N)
check "trigger while the scheduler runs" rc_is 0
run_id=$(grep -o 'manual__[^ ]*' "$SCRATCH/out" | head -1)
check "the triggered run's first task runs" wait_for a_run "success 1/1" 20
took=$(started_after a_run 1 "$t")
check "it started within a second of the trigger (${took}s)" within 1.0 "$took"
check "the run fails: b failed" wait_run failed
check "b failed on its one try" eval "[ \"\$(state_of b_run)\" = 'failed 1/1' ]"
check "c is upstream_failed and never tried" eval "[ \"\$(state_of c_run)\" = 'upstream_failed 0/1' ]"

# --only-failed: b and c go again, a and d stay
printf 'ok\n1\n' >"$deploy/ctl.csv"
run_mallard clear m "$run_id" --only-failed
t=$(date +%s.%N)
check "clear --only-failed succeeds while the scheduler runs" rc_is 0
check "it clears b and c" out_has "Cleared 2 task instance(s)"
check "b's second try succeeds (retries renewed)" wait_for b_run "success 2/2" 10
took=$(started_after b_run 2 "$t")
check "it started within a second of the clear (${took}s)" within 1.0 "$took"
check "c ran its first try" wait_for c_run "success 1/1" 10
check "the run succeeds again" wait_run success
check "a was not cleared" eval "[ \"\$(state_of a_run)\" = 'success 1/1' ]"
check "d was not cleared" eval "[ \"\$(state_of d_run)\" = 'success 1/1' ]"

# -t with --downstream: b and what depends on it (c), not a or d
run_mallard clear m "$run_id" -t '^b_' --downstream
t=$(date +%s.%N)
check "clear -t ^b_ --downstream clears b and c" out_has "Cleared 2 task instance(s)"
check "c runs again as try 2" wait_for c_run "success 2/2" 10
took=$(started_after b_run 3 "$t")
check "b's third try started within a second of the clear (${took}s)" within 1.0 "$took"
check "b ran as try 3" eval "[ \"\$(state_of b_run)\" = 'success 3/3' ]"
check "a still has one try" eval "[ \"\$(state_of a_run)\" = 'success 1/1' ]"
check "the run succeeds again after -t" wait_run success

# -t alone: only the matches
run_mallard clear m "$run_id" -t 'd_run'
check "clear -t d_run clears d alone" out_has "Cleared 1 task instance(s)"
check "d runs as try 2" wait_for d_run "success 2/2" 10
check "c was left alone" eval "[ \"\$(state_of c_run)\" = 'success 2/2' ]"

# the whole run
check "the run is success before clearing all" wait_run success
run_mallard clear m "$run_id"
check "clear of the whole run clears its four tasks" out_has "Cleared 4 task instance(s)"
check "a runs again as try 2" wait_for a_run "success 2/2" 10
check "and the run ends in success" wait_run success

# many commands at once against the live scheduler: no lock errors
for i in $(seq 1 6); do
  ( "$MALLARD" dags trigger m --logical-date "2025-01-0${i}T00:00:00Z" >"$SCRATCH/par$i.trigger" 2>&1; echo $? >>"$SCRATCH/par$i.trigger"
    "$MALLARD" clear m "$run_id" -t a_run >"$SCRATCH/par$i.clear" 2>&1; echo $? >>"$SCRATCH/par$i.clear"
    "$MALLARD" runs m >"$SCRATCH/par$i.runs" 2>&1; echo $? >>"$SCRATCH/par$i.runs"
    "$MALLARD" tasks m "$run_id" >"$SCRATCH/par$i.tasks" 2>&1; echo $? >>"$SCRATCH/par$i.tasks" ) &
done
wait_pids=$(jobs -p | grep -v "^$sched\$" || true)
for p in $wait_pids; do [ "$p" = "$sched" ] || wait "$p"; done
check "24 concurrent commands all exit 0" \
  eval "[ \$(tail -qn1 '$SCRATCH'/par*.* | grep -cx 0) -eq 24 ]"
check "none saw a lock or busy error" eval "! grep -qiE 'lock|busy' '$SCRATCH'/par*.*"
check "seven manual runs now exist" \
  eval "[ \$(\"$MALLARD\" runs m | grep -c 'manual__') -eq 7 ]"
deadline=$(( $(date +%s) + 240 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  "$MALLARD" runs m | grep -qE '\| (queued|running) +\|' || break
  sleep 0.2
done
run_mallard runs m
check "all of them finish successfully" eval "[ \$(grep -c '| success |' '$SCRATCH/out') -eq 7 ]"

# bad input
run_mallard clear nope "$run_id"
check "unknown dag_id: exit 2" rc_is 2
check "unknown dag_id is named" out_has "unknown dag_id 'nope'"
run_mallard clear m manual__1999-01-01T00:00:00+00:00
check "unknown run_id: exit 2" rc_is 2
check "unknown run_id is named" out_has "unknown run_id 'manual__1999-01-01T00:00:00+00:00'"
run_mallard clear m "$run_id" -t '(unclosed'
check "a bad regex is refused" eval "[ $rc -eq 2 ] && out_has 'bad --task-regex'"

kill -TERM "$sched"
wait "$sched"
check "the scheduler never logged a lock error" eval "! grep -qiE 'database is locked|busy' '$SCRATCH/sched.out'"
trap - EXIT
# the tasks shared one project per run, each rendering its own flags
which=$("$MALLARD_BIN_DIR/db_query" "$deploy/w.duckdb" "select which from a" 2>&1)
check "a model rendered flags.WHICH as run (got: $which)" eval "[ '$which' = run ]"

finish
