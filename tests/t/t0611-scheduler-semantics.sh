#!/usr/bin/env bash
# t0611: the scheduler against a real dbt project, as separate processes:
# retries then success, upstream_failed, two DAGs with max_active_tasks 8 on
# one DuckDB file without lock errors, a second scheduler refused naming the
# first one's PID, and kill -9 mid-run then restart with one run per interval.
. "$(dirname "$0")/lib.sh"

seed_style_deployment warehouse.duckdb
# flaky fails on its first two tries: a pre-hook outside the transaction
# counts the tries in a table that survives the failure.
cat >"$proj/models/flaky.sql" <<'SQL'
{{ config(materialized='table', pre_hook={'sql': "create table if not exists main.tries (n int); insert into main.tries values (1)", 'transaction': false}) }}
select case when (select count(*) from main.tries) < 3 then error('not yet') else 1 end as ok
SQL
printf 'select * from {{ ref("flaky") }}\n' >"$proj/models/after_flaky.sql"
printf "{{ config(materialized='table') }}\nselect error('always broken') as x\n" >"$proj/models/broken.sql"
printf 'select * from {{ ref("broken") }}\n' >"$proj/models/after_broken.sql"
for i in $(seq 1 12); do
  printf 'select %d as v, count(*) as n from range(20000)\n' "$i" >"$proj/models/wide_a$i.sql"
  printf 'select %d as v, count(*) as n from range(20000)\n' "$i" >"$proj/models/wide_b$i.sql"
done
day=$(date -u -d "@$(( $(date -u +%s) / 86400 * 86400 - 86400 ))" +%Y-%m-%d)
cat >"$deploy/dags/dags.yml" <<YML
- dag_id: retrying
  schedule: "@daily"
  start_date: $day
  default_args: {retries: 2, retry_delay: 1}
  dbt: {project_dir: ../dbt/shop, select: [flaky+], test_behavior: none}
- dag_id: failing
  schedule: "@daily"
  start_date: $day
  dbt: {project_dir: ../dbt/shop, select: [broken+], test_behavior: none}
- dag_id: wide_a
  schedule: "@daily"
  start_date: $day
  max_active_tasks: 8
  dbt: {project_dir: ../dbt/shop, select: ["wide_a*"], test_behavior: none}
- dag_id: wide_b
  schedule: "@daily"
  start_date: $day
  max_active_tasks: 8
  dbt: {project_dir: ../dbt/shop, select: ["wide_b*"], test_behavior: none}
YML

cd "$deploy"
run_mallard scheduler --once
check "--once exits 1 when a run failed" rc_is 1
check "three runs succeeded and one failed" out_has "3 run(s) succeeded, 1 failed"

run_id=scheduled__${day}T00:00:00+00:00
run_mallard tasks retrying "$run_id"
check "flaky succeeded on its third try" eval "grep -E 'flaky_run.*success' '$SCRATCH/out' | grep -q ' 3 '"
check "its dependant ran after it" eval "grep -E 'after_flaky_run.*success' '$SCRATCH/out' >/dev/null"
run_mallard logs retrying "$run_id" flaky_run --try 1
check "the first try's log has DuckDB's error" out_has "not yet"

run_mallard tasks failing "$run_id"
check "broken failed" eval "grep -E '^broken_run +\\| failed' '$SCRATCH/out' >/dev/null"
check "its dependant is upstream_failed" out_has "upstream_failed"

check "24 models over two DAGs on one DuckDB file: no lock errors in any log" \
  eval "! grep -rqi 'lock' .mallard/logs/dag_id=wide_a .mallard/logs/dag_id=wide_b"
run_mallard runs wide_b
check "wide_b succeeded" out_has "| success |"

# --- kill -9 mid-run, then restart ---------------------------------------
deploy2=$SCRATCH/deploy2
mkdir -p "$deploy2/dags"
cp -r "$deploy/dbt" "$deploy2/"
rm -f "$deploy2"/dbt/shop/models/*
printf 'DUCKDB_DATABASE_PATH=%s/slow.duckdb\n' "$deploy2" >"$deploy2/.env"
printf "{{ config(materialized='table') }}\nselect count(*) as n from range(4000000000) where range %% 7 = 3\n" \
  >"$deploy2/dbt/shop/models/slow.sql"
start=$(date -u -d "@$(( $(date -u +%s) / 86400 * 86400 - 2 * 86400 ))" +%Y-%m-%d)
cat >"$deploy2/dags/slow.yml" <<YML
dag_id: slow
schedule: "@daily"
start_date: $start
catchup: true
# both runs build the same table side by side: they take turns on it
# (db_relation_turn_begin) instead of spending their tries on DuckDB's
# write-write conflict
max_active_runs: 2
default_args: {retries: 1, retry_delay: 0}
dbt: {project_dir: ../dbt/shop, test_behavior: none}
YML
cd "$deploy2"
"$MALLARD" scheduler >"$SCRATCH/first.out" 2>&1 &
first=$!
for _ in $(seq 1 300); do
  [ -n "$(find .mallard/logs -name 'attempt=1.log' 2>/dev/null | head -1)" ] && break
  sleep 0.1
done
run_mallard scheduler --once
check "a second scheduler is refused" eval "[ $rc -ne 0 ]"
check "the refusal names the first scheduler's PID" out_has "$first"
kill -9 "$first"
wait "$first" 2>/dev/null
printf 'select 42 as n\n' >"$deploy2/dbt/shop/models/slow.sql"
run_mallard scheduler --once
check "after kill -9 a restart recovers and finishes" rc_is 0
check "it recovered the orphaned task" out_has "Recovered"
run_mallard runs slow
check "exactly one run per interval, both successful" \
  eval "[ \$(grep -c 'scheduled__' '$SCRATCH/out') -eq 2 ] && [ \$(grep -c '| success |' '$SCRATCH/out') -eq 2 ]"

finish
