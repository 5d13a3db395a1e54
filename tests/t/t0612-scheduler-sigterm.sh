#!/usr/bin/env bash
# t0612: SIGTERM stops the scheduler gracefully: the running queries are
# interrupted at once and each interrupted try fails as Airflow's SIGTERMed
# task does (AirflowTaskTerminated -> handle_failure): up_for_retry where a
# retry is left, failed where none is -- never left running.  A restart
# finishes the retried run and fails the other.
. "$(dirname "$0")/lib.sh"

seed_style_deployment w.duckdb
printf "{{ config(materialized='table') }}\nselect count(*) as n from range(100000000000) where range %% 7 = 3\n" \
  >"$proj/models/slow.sql"
day=$(date -u -d "@$(( $(date -u +%s) / 86400 * 86400 - 86400 ))" +%Y-%m-%d)
cat >"$deploy/dags/slow.yml" <<YML
dag_id: slow
schedule: "@daily"
start_date: $day
default_args: {retries: 1, retry_delay: 0}
dbt: {project_dir: ../dbt/shop, test_behavior: none, select: [slow]}
YML
printf "{{ config(materialized='table') }}\nselect count(*) as n from range(100000000000) where range %% 5 = 3\n" \
  >"$proj/models/slow_no_retry.sql"
cat >"$deploy/dags/slow_no_retry.yml" <<YML
dag_id: slow_no_retry
schedule: "@daily"
start_date: $day
dbt: {project_dir: ../dbt/shop, test_behavior: none, select: [slow_no_retry]}
YML
cd "$deploy"
"$MALLARD" scheduler >"$SCRATCH/first.out" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  [ "$(find .mallard/logs -name 'attempt=1.log' 2>/dev/null | wc -l)" -eq 2 ] && break
  sleep 0.1
done
sleep 0.5
t0=$(date +%s.%N)
kill -TERM "$pid"
wait "$pid"
stop_rc=$?
took=$(echo "$(date +%s.%N) - $t0" | bc)
check "SIGTERM ends the scheduler with exit code 2" eval "[ $stop_rc -eq 2 ]"
check "within five seconds (took ${took}s)" eval "[ \$(echo '$took < 5' | bc) -eq 1 ]"
check "it says it interrupted the two running tasks" \
  eval "grep -q 'interrupting 2 running task' '$SCRATCH/first.out' || { cat '$SCRATCH/first.out'; false; }"

run_id=scheduled__${day}T00:00:00+00:00
run_mallard tasks slow "$run_id"
check "the interrupted task with a retry left is up_for_retry" out_has "up_for_retry"
run_mallard tasks slow_no_retry "$run_id"
check "the interrupted task without retries failed" \
  eval "grep -E '^slow_no_retry_run +\| failed +\| 1/1 ' '$SCRATCH/out'"
run_mallard runs slow
check "the run is still running" out_has "| running |"

printf 'select 1 as n\n' >"$proj/models/slow.sql"
run_mallard scheduler --once
check "a restart finishes both runs, one of them failed" \
  eval "[ $rc -eq 1 ] && out_has '1 run(s) succeeded, 1 failed'"
check "nothing needed recovery: the state was consistent" eval "! grep -q Recovered '$SCRATCH/out'"
run_mallard tasks slow "$run_id"
check "the task succeeded on its second try" eval "grep -E 'slow_run .*success' '$SCRATCH/out' | grep -q ' 2'"
run_mallard tasks slow_no_retry "$run_id"
check "the one without retries did not run again" eval "grep -E '^slow_no_retry_run +\| failed +\| 1/1 ' '$SCRATCH/out'"

finish
