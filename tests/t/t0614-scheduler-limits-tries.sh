#!/usr/bin/env bash
# t0614: limits and try counting against a real scheduler process, checked
# from the store's own timestamps:
#  - max_active_runs: 1 over a 3-interval catchup: no two runs overlap, and
#    max_active_tasks: 2 is never exceeded inside a run;
#  - kill -9 mid-try, then restart: as Airflow's heartbeat timeout, a task
#    with a retry left goes up_for_retry (try 1 failed, try 2 runs), one
#    without goes failed (its dependant upstream_failed, the run failed).
. "$(dirname "$0")/lib.sh"

seed_style_deployment w.duckdb
for i in 1 2 3 4 5; do
  printf "{{ config(materialized='table') }}\nselect '{{ var(\"day\", \"none\") }}' as day, count(*) as n from range(3000000) where range %% 7 = %d\n" \
    "$i" >"$proj/models/lim_$i.sql"
done
start=$(date -u -d "@$(( $(date -u +%s) / 86400 * 86400 - 3 * 86400 ))" +%Y-%m-%d)
cat >"$deploy/dags/limits.yml" <<YML
dag_id: limits
schedule: "@daily"
start_date: $start
catchup: true
max_active_runs: 1
max_active_tasks: 2
dbt:
  project_dir: ../dbt/shop
  select: ["lim_*"]
  test_behavior: none
  vars: {day: "{{ ds }}"}
YML

cd "$deploy"
run_mallard scheduler --once
check "three catchup runs succeed" eval "rc_is 0 && out_has '3 run(s) succeeded, 0 failed'"
check "one dbt project load per run" out_has "3 dbt project load(s)"
state=$MALLARD_BIN_DIR/sched_state
"$state" .mallard runs limits | sort -k3 -n >"$SCRATCH/runs"
check "three runs recorded" eval "[ \$(wc -l <'$SCRATCH/runs') -eq 3 ]"
check "max_active_runs 1: each run starts after the previous one ended" \
  eval "awk 'NR > 1 && \$3 < prev_end { bad = 1 } { prev_end = \$4 } END { exit bad }' '$SCRATCH/runs' || { cat '$SCRATCH/runs'; false; }"
peak=0
while read -r run_id _; do
  # the most tries of one run running at the same instant
  p=$("$state" .mallard tries limits "$run_id" |
      awk '{ print $4, 1; print $5, -1 }' | sort -k1,1n -k2,2n |
      awk '{ n += $2; if (n > m) m = n } END { print m + 0 }')
  [ "$p" -gt "$peak" ] && peak=$p
done <"$SCRATCH/runs"
check "max_active_tasks 2: at most two tries of a run at once (peak $peak)" eval "[ $peak -le 2 ] && [ $peak -ge 1 ]"

# --- kill -9 mid-try -------------------------------------------------------
rm -rf "$deploy/dags/limits.yml"
printf "{{ config(materialized='table') }}\nselect count(*) as n from range(4000000000) where range %% 7 = 3\n" \
  >"$proj/models/slow_a.sql"
cp "$proj/models/slow_a.sql" "$proj/models/slow_b.sql"
printf "select * from {{ ref('slow_b') }}\n" >"$proj/models/after_b.sql"
day=$(date -u -d "@$(( $(date -u +%s) / 86400 * 86400 - 86400 ))" +%Y-%m-%d)
cat >"$deploy/dags/crash.yml" <<YML
- dag_id: with_retry
  schedule: "@daily"
  start_date: $day
  default_args: {retries: 1, retry_delay: 0}
  dbt: {project_dir: ../dbt/shop, select: [slow_a], test_behavior: none}
- dag_id: no_retry
  schedule: "@daily"
  start_date: $day
  dbt: {project_dir: ../dbt/shop, select: [slow_b+], test_behavior: none}
YML
"$MALLARD" scheduler >"$SCRATCH/first.out" 2>&1 &
first=$!
for _ in $(seq 1 400); do
  [ "$(find .mallard/logs/dag_id=with_retry .mallard/logs/dag_id=no_retry -name 'attempt=1.log' 2>/dev/null | wc -l)" -eq 2 ] && break
  sleep 0.1
done
sleep 0.3
kill -9 "$first"
wait "$first" 2>/dev/null
run_id=scheduled__${day}T00:00:00+00:00
# the restart finds the tries orphaned; slow_a's fixed SQL runs as try 2
printf 'select 1 as n\n' >"$proj/models/slow_a.sql"
printf 'select 1 as n\n' >"$proj/models/slow_b.sql"
run_mallard scheduler --once
check "the restart recovers both orphaned task instances" \
  out_has "Recovered 2 task instance(s) left running by a previous scheduler: 1 up_for_retry, 1 failed"
check "with_retry succeeds, no_retry fails" out_has "1 run(s) succeeded, 1 failed"
"$state" .mallard tries with_retry "$run_id" >"$SCRATCH/tries_a"
check "with_retry: try 1 failed (the heartbeat timeout), try 2 succeeded" \
  eval "grep -q '^slow_a_run 1 failed ' '$SCRATCH/tries_a' && grep -q '^slow_a_run 2 success ' '$SCRATCH/tries_a' && [ \$(wc -l <'$SCRATCH/tries_a') -eq 2 ] || { cat '$SCRATCH/tries_a'; false; }"
check "each try has its own log" \
  eval "[ -f '.mallard/logs/dag_id=with_retry/run_id=$run_id/task_id=slow_a_run/attempt=1.log' ] && [ -f '.mallard/logs/dag_id=with_retry/run_id=$run_id/task_id=slow_a_run/attempt=2.log' ]"
run_mallard tasks no_retry "$run_id"
check "no_retry: its task failed after one try" eval "grep -E '^slow_b_run +\\| failed +\\| 1/1' '$SCRATCH/out' >/dev/null || { cat '$SCRATCH/out'; false; }"
check "no_retry: its dependant is upstream_failed" eval "grep -E '^after_b_run +\\| upstream_failed' '$SCRATCH/out' >/dev/null"
run_mallard runs no_retry
check "no_retry: the run failed, and it is the only run" \
  eval "[ \$(grep -c 'scheduled__' '$SCRATCH/out') -eq 1 ] && out_has '| failed  |'"
run_mallard runs with_retry
check "with_retry: one run, successful" \
  eval "[ \$(grep -c 'scheduled__' '$SCRATCH/out') -eq 1 ] && out_has '| success |'"

finish
