#!/usr/bin/env bash
# t0616: every scheduled dbt task runs the project's on-run-start and
# on-run-end hooks, as the dbt process Cosmos starts per task does: one
# start row and one end row per task, each with the task's own command
# (flags.WHICH) and, at the end, exactly that task's results.  A failing
# on-run-end hook fails its task.
. "$(dirname "$0")/lib.sh"

seed_style_deployment w.duckdb
mkdir -p "$proj/seeds"
cat >"$proj/dbt_project.yml" <<'YML'
name: shop
profile: shop
on-run-start:
  - "create table if not exists audit_start (which varchar, ok_marker integer)"
  - "insert into audit_start values ('{{ flags.WHICH }}', {{ var('marker', 0) }})"
on-run-end:
  - "create table if not exists audit_end (which varchar, n integer, ids varchar, statuses varchar)"
  - >-
    insert into audit_end values ('{{ flags.WHICH }}', {{ results | length }},
    '{{ results | map(attribute="node") | map(attribute="unique_id") | sort | join(",") }}',
    '{{ results | map(attribute="status") | sort | join(",") }}')
  - "{% if var('fail_end', false) %}select error('on-run-end says no'){% endif %}"
YML
printf 'id,amount\n1,10\n2,32\n' >"$proj/seeds/raw.csv"
printf "{{ config(materialized='table') }}\nselect * from {{ ref('raw') }}\n" >"$proj/models/a.sql"
printf "{{ config(materialized='table') }}\nselect sum(amount) as total from {{ ref('a') }}\n" \
  >"$proj/models/b.sql"
cat >"$proj/models/schema.yml" <<'YML'
version: 2
models:
  - name: a
    columns:
      - name: id
        tests: [not_null, unique]
YML
day=$(date -u -d "@$(( $(date -u +%s) / 86400 * 86400 - 86400 ))" +%Y-%m-%d)
# seed, a_run, a_test (two tests), b_run: four tasks, one at a time so the
# audit tables see one writer
cat >"$deploy/dags/hooked.yml" <<YML
dag_id: hooked
schedule: "@daily"
start_date: $day
max_active_tasks: 1
dbt:
  project_dir: ../dbt/shop
  test_behavior: after_each
  vars: {marker: 7}
YML
cd "$deploy"
run_mallard scheduler --once
check "the scheduled run succeeds" rc_is 0
q() { "$MALLARD_BIN_DIR/db_query" "$deploy/w.duckdb" "$1" 2>&1; }
check "four tasks ran, once each" eval "[ \$(\"$MALLARD\" tasks hooked scheduled__${day}T00:00:00+00:00 | grep -cE '\| success +\| 1/1 ') -eq 4 ]"
got=$(q "select which, ok_marker, count(*) from audit_start group by all order by which" | tr '\t\n' ',;')
check "on-run-start ran once per task with its command and the DAG's vars (got $got)" \
  eval "[ '$got' = 'run,7,2;seed,7,1;test,7,1;' ]"
got=$(q "select which, n, ids, statuses from audit_end order by ids" | tr '\t\n' ',;')
check "on-run-end ran once per task: 4 rows (got $got)" \
  eval "[ \$(q 'select count(*) from audit_end') = 4 ]"
check "each run/seed task's on-run-end saw exactly its own node" \
  eval "echo '$got' | grep -q '^run,1,model.shop.a,success;run,1,model.shop.b,success;seed,1,seed.shop.raw,success;'"
check "the test task's on-run-end saw its two tests, both pass" \
  eval "echo '$got' | grep -qE ';test,2,test\.shop\.not_null_a_id[^,]*,test\.shop\.unique_a_id[^,]*,pass,pass;\$'"

# a second run whose on-run-end fails: every task fails on its first try
cat >"$deploy/dags/broken.yml" <<YML
dag_id: broken
schedule: null
dbt:
  project_dir: ../dbt/shop
  test_behavior: none
  select: [raw]
  vars: {fail_end: true}
YML
run_mallard dags trigger broken
run_mallard scheduler --once
check "a failing on-run-end fails the run" rc_is 1
log=$(find .mallard/logs -path '*dag_id=broken*' -name 'attempt=1.log' | head -1)
check "the task's log names the failed hook" \
  eval "grep -q 'on-run-end' '$log' && grep -q 'on-run-end says no' '$log'"
check "the seed itself ran before the hook failed" \
  eval "grep -qE '^success +seed seed.shop.raw' '$log'"

finish
