#!/usr/bin/env bash
# t0602: pause, unpause, next-execution, trigger and backfill write the state store in
# MALLARD_HOME (.mallard beside the dags folder); many CLI processes write it
# at once without lock errors, and one logical date never gets two runs.
. "$(dirname "$0")/lib.sh"

deploy=$SCRATCH/deploy
mkdir -p "$deploy/dags" "$deploy/dbt/shop"
printf 'name: shop\nprofile: shop\n' >"$deploy/dbt/shop/dbt_project.yml"
cat >"$deploy/dags/my_dag.yml" <<'YML'
dag_id: my_dag
schedule: "@daily"
start_date: 2025-01-01
catchup: true
dbt: {project_dir: ../dbt/shop}
YML
cat >"$deploy/dags/later.yml" <<'YML'
dag_id: later
schedule: "30 6 * * *"
timezone: America/New_York
start_date: 2999-01-01
dbt: {project_dir: ../dbt/shop}
YML
cd "$deploy"
unset MALLARD_HOME MALLARD_DAGS_FOLDER

run_mallard dags next-execution my_dag
check "next-execution with catchup starts at start_date" \
  eval "rc_is 0 && out_has '2025-01-01T00:00:00+00:00'"
run_mallard dags next-execution later
check "next-execution honours the DAG's time zone" \
  eval "rc_is 0 && out_has '2999-01-01T11:30:00+00:00'"
check "reading does not create the state store" test ! -e "$deploy/.mallard/mallard.db"

run_mallard dags pause my_dag
check "pause" eval "rc_is 0 && out_has 'Dag: my_dag, paused: True'"
check "the state store lives in .mallard beside the dags folder" test -f "$deploy/.mallard/mallard.db"
run_mallard dags list
check "list shows the paused state" eval "grep -q 'my_dag .*| True' '$SCRATCH/out'"
run_mallard dags next-execution my_dag
check "next-execution reminds that the DAG is paused" out_has "PAUSED"
run_mallard dags unpause my_dag
check "unpause" eval "rc_is 0 && out_has 'paused: False'"
run_mallard dags pause nope
check "an unknown dag_id is a clear error" eval "rc_is 2 && out_has \"unknown dag_id 'nope'\""

run_mallard dags trigger my_dag --logical-date 2025-02-01T12:00:00Z --conf '{"day": "x"}'
check "trigger queues a manual run" \
  eval "rc_is 0 && out_has 'Created run manual__2025-02-01T12:00:00+00:00 of DAG my_dag'"
run_mallard dags trigger my_dag --logical-date 2025-02-01T12:00:00Z
check "a second run at the same logical date is refused" \
  eval "rc_is 1 && out_has 'already has a run with logical date 2025-02-01T12:00:00+00:00'"
run_mallard dags trigger my_dag --conf '[1, 2]'
check "--conf must be a JSON object" eval "rc_is 2 && out_has '--conf must be a JSON object'"
run_mallard dags trigger my_dag --logical-date yesterday
check "a bad --logical-date is a clear error" eval "rc_is 2 && out_has \"--logical-date 'yesterday'\""

# 24 processes trigger at once: 12 distinct logical dates, each twice.
for i in $(seq 1 24); do
  d=$(( (i % 12) + 1 ))
  "$MALLARD" dags trigger my_dag --logical-date "$(printf '2025-03-%02dT00:00:00Z' "$d")" \
    >"$SCRATCH/trigger.$i" 2>&1 &
done
wait
created=$(cat "$SCRATCH"/trigger.* | grep -c 'Created run')
refused=$(cat "$SCRATCH"/trigger.* | grep -c 'already has a run')
check "concurrent triggers: one run per logical date (created $created)" test "$created" -eq 12
check "concurrent triggers: the duplicates are refused (refused $refused)" test "$refused" -eq 12
check "concurrent triggers: no lock errors" eval "! grep -il 'locked\|busy' '$SCRATCH'/trigger.*"
rows=$(sqlite3 "$deploy/.mallard/mallard.db" "select count(*) from dag_runs where dag_id='my_dag'" 2>/dev/null || echo skip)
if [ "$rows" != skip ]; then
  check "the store holds 13 runs ($rows)" test "$rows" -eq 13
  mode=$(sqlite3 "$deploy/.mallard/mallard.db" "pragma journal_mode")
  check "the store is in WAL mode ($mode)" test "$mode" = wal
fi

run_mallard dags backfill my_dag --start-date 2024-12-01 --end-date 2024-12-03
check "backfill queues one run per interval" eval "rc_is 0 && out_has '3 runs created, 0 requeued, 0 left'"
run_mallard dags backfill my_dag --start-date 2024-12-01 --end-date 2024-12-04
check "backfill leaves existing runs alone" eval "rc_is 0 && out_has '1 run created, 0 requeued, 3 left'"
run_mallard dags backfill my_dag --start-date 2024-12-01 --end-date 2024-12-02 --reprocess all
check "--reprocess all requeues them" eval "rc_is 0 && out_has '0 runs created, 2 requeued'"
run_mallard runs my_dag
check "backfill runs are listed as such" \
  eval "grep -q 'backfill__2024-12-01T00:00:00+00:00 .*| backfill .*| queued' '$SCRATCH/out'"
run_mallard dags backfill my_dag --start-date 2024-12-05 --end-date 2024-12-01
check "reversed backfill dates are an error" eval "rc_is 2 && out_has 'start date is after its end date'"
run_mallard dags backfill my_dag --start-date 2024-12-05
check "backfill needs both dates" eval "rc_is 2 && out_has 'backfill needs --end-date'"
run_mallard dags backfill my_dag --start-date 2024-12-01 --end-date 2024-12-02 --reprocess some
check "a bad --reprocess is an error" eval "rc_is 2 && out_has '--reprocess takes failed or all'"
finish
