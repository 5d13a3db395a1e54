#!/usr/bin/env bash
# t0610: `mallard scheduler --once` over a small dbt project: catchup over
# three daily intervals gives three runs with the right data intervals,
# `ds` reaches the model SQL through vars, tasks are Cosmos' (seed, run,
# after_each tests), and `mallard runs` / `tasks` show the result.
. "$(dirname "$0")/lib.sh"

deploy=$SCRATCH/deploy
proj=$deploy/dbt/shop
mkdir -p "$deploy/dags" "$proj/models" "$proj/seeds"
printf 'DUCKDB_DATABASE_PATH=%s/warehouse.duckdb\n' "$deploy" >"$deploy/.env"
cat >"$proj/dbt_project.yml" <<'YML'
name: shop
profile: shop
YML
cat >"$proj/profiles.yml" <<'YML'
shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('DUCKDB_DATABASE_PATH') }}"
YML
printf 'id,amount\n1,10\n2,32\n' >"$proj/seeds/raw_orders.csv"
cat >"$proj/models/daily_orders.sql" <<'SQL'
{{ config(materialized='incremental') }}
select cast('{{ var("day") }}' as date) as day, sum(amount) as total
from {{ ref('raw_orders') }}
SQL
cat >"$proj/models/schema.yml" <<'YML'
version: 2
models:
  - name: daily_orders
    columns:
      - name: total
        tests: [not_null]
YML
# three days before today's UTC midnight
start=$(date -u -d "@$(( $(date -u +%s) / 86400 * 86400 - 3 * 86400 ))" +%Y-%m-%d)
cat >"$deploy/dags/shop.yml" <<YML
dag_id: shop_daily
schedule: "@daily"
start_date: $start
catchup: true
max_active_runs: 1
max_active_tasks: 1
dbt:
  project_dir: ../dbt/shop
  vars:
    day: "{{ ds }}"
YML

cd "$deploy"
run_mallard scheduler --once
check "scheduler --once exits 0 when every run succeeded" rc_is 0
check "it says how many runs it finished" out_has "3 run(s) succeeded, 0 failed"

run_mallard runs shop_daily
check "runs lists three successful runs" \
  eval "[ \$(grep -c '| success |' '$SCRATCH/out') -eq 3 ]"
for d in 1 2 3; do
  day=$(date -u -d "@$(( $(date -u +%s) / 86400 * 86400 - d * 86400 ))" +%Y-%m-%d)
  check "a run for the interval starting $day" out_has "scheduled__${day}T00:00:00+00:00"
done

run_id=$(grep -o 'scheduled__[^ ]*' "$SCRATCH/out" | head -1)
run_mallard tasks shop_daily "$run_id"
check "Cosmos' task ids: seed, run and the model's tests" \
  eval "out_has raw_orders_seed && out_has daily_orders_run && out_has daily_orders_test"

rows=$("$MALLARD_BIN_DIR/db_query" "$deploy/warehouse.duckdb" \
  "select string_agg(cast(day as varchar), ',' order by day) from daily_orders" 2>&1 || true)
first=$(date -u -d "@$(( $(date -u +%s) / 86400 * 86400 - 3 * 86400 ))" +%Y-%m-%d)
check "ds reached the model SQL for each of the three intervals (got: $rows)" \
  eval "case '$rows' in $first,*,*) true ;; *) false ;; esac"

run_mallard scheduler --once
check "a second --once has nothing to do" out_has "0 run(s) succeeded, 0 failed"

finish
