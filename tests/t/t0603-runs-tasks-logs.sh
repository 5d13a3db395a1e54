#!/usr/bin/env bash
# t0603: runs, tasks and logs read what the scheduler writes; a second
# scheduler on the same MALLARD_HOME refuses to start naming the first's PID;
# after kill -9 the next one starts and sends the orphaned try to
# up_for_retry (tries left) or failed (none left).  The scheduler's side is
# played by the sched_state helper, which uses the same state layer.
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
cd "$deploy"
unset MALLARD_HOME MALLARD_DAGS_FOLDER
home=$deploy/.mallard
helper=$MALLARD_BIN_DIR/sched_state
run=manual__2025-01-02T00:00:00+00:00

run_mallard runs my_dag
check "runs before anything ran" eval "rc_is 0 && out_has '(no runs yet)'"
run_mallard runs nope
check "runs of an unknown DAG" eval "rc_is 2 && out_has \"unknown dag_id 'nope'\""

"$MALLARD" dags trigger my_dag --logical-date 2025-01-02T00:00:00Z >/dev/null
"$helper" "$home" tis my_dag "$run" raw_orders_seed stg_orders_run:1 orders_run:0
"$helper" "$home" try my_dag "$run" raw_orders_seed success "seeded 3 rows"
"$helper" "$home" try my_dag "$run" stg_orders_run up_for_retry "first attempt failed"
"$helper" "$home" try my_dag "$run" stg_orders_run success "second attempt worked"

run_mallard runs my_dag
check "runs lists the triggered run" eval "rc_is 0 && out_has '$run' && out_has 'manual'"
check "runs shows the run's data interval" out_has "2025-01-01T00:00:00+00:00 | 2025-01-02T00:00:00+00:00"
run_mallard tasks my_dag "$run"
check "tasks shows states and tries" \
  eval "rc_is 0 && grep -q 'stg_orders_run .*| success .*| 2/2' '$SCRATCH/out'"
check "tasks lists every try" eval "grep -q 'stg_orders_run .*| 1 .*| failed' '$SCRATCH/out'"
run_mallard tasks my_dag nope
check "tasks of an unknown run" eval "rc_is 2 && out_has \"unknown run_id 'nope'\""
run_mallard logs my_dag "$run" stg_orders_run
check "logs shows the latest try" eval "rc_is 0 && out_has 'try 2 of stg_orders_run: second attempt worked'"
run_mallard logs my_dag "$run" stg_orders_run --try 1
check "logs --try shows an earlier try" out_has "first attempt failed"
check "the log path is Airflow's layout" \
  test -f "$home/logs/dag_id=my_dag/run_id=$run/task_id=stg_orders_run/attempt=1.log"
run_mallard logs my_dag "$run" orders_run
check "logs of a task that has not run" eval "rc_is 2 && out_has 'has not run yet'"
run_mallard logs my_dag "$run" nope
check "logs of an unknown task" eval "rc_is 2 && out_has \"unknown task 'nope'\""

# A "scheduler" holds the lock with orders_run (no retries) running.
"$helper" "$home" hold my_dag "$run" orders_run >"$SCRATCH/hold.out" 2>&1 &
holder=$!
for _ in $(seq 1 100); do grep -q ready "$SCRATCH/hold.out" && break; sleep 0.05; done
second_rc=0
"$helper" "$home" recover >"$SCRATCH/second.out" 2>&1 || second_rc=$?
check "a second scheduler refuses to start" test "$second_rc" -eq 2
check "... naming the first one's PID" \
  grep -q "another scheduler is already running on MALLARD_HOME $home (pid $holder)" "$SCRATCH/second.out"
run_mallard tasks my_dag "$run"
check "the CLI reads while the scheduler holds the lock" \
  eval "rc_is 0 && grep -q 'orders_run .*| running' '$SCRATCH/out'"
kill -9 "$holder"
wait "$holder" 2>/dev/null || true
"$helper" "$home" recover >"$SCRATCH/recover.out" 2>&1
check "after kill -9 the next scheduler starts and recovers the orphan" \
  grep -q "recovered: 0 up_for_retry, 1 failed" "$SCRATCH/recover.out"
run_mallard tasks my_dag "$run"
check "the orphaned task is failed (no retries left)" \
  eval "grep -q 'orders_run .*| failed .*| 1/1' '$SCRATCH/out'"
finish
