#!/usr/bin/env bash
# t0601: `mallard dags list` and `list-import-errors` read the dags folder:
# every layout loads, invalid files are import errors with file:line:col and
# never hide the other DAGs, and edits show up on the next command.
. "$(dirname "$0")/lib.sh"

deploy=$SCRATCH/deploy
mkdir -p "$deploy/dags/team" "$deploy/dbt/shop"
printf 'name: shop\nprofile: shop\n' >"$deploy/dbt/shop/dbt_project.yml"
cat >"$deploy/dags/my_dag.yml" <<'YML'
dag_id: my_dag
description: the shop, daily
tags: [shop]
schedule: "@daily"
start_date: 2025-01-01
max_active_runs: 1
max_active_tasks: 1
dbt:
  project_dir: ../dbt/shop
  select: ["*"]
  test_behavior: after_all
YML
cat >"$deploy/dags/team/two.yaml" <<'YML'
- dag_id: hourly_berlin
  schedule: "15 * * * *"
  timezone: Europe/Berlin
  start_date: 2025-01-01T00:00:00
  is_paused_upon_creation: true
  dbt: {project_dir: ../../dbt/shop}
- dag_id: manual_only
  schedule: null
  dbt: {project_dir: ../../dbt/shop}
YML
cat >"$deploy/dags/broken.yml" <<'YML'
dag_id: broken
schedule: "61 * * * *"
start_date: 2025-03-01
end_date: 2025-02-01
retries: 3
dbt:
  project_dir: ../dbt/nowhere
YML
printf 'not: [a DAG\n' >"$deploy/dags/garbled.yml"

cd "$deploy"
run_mallard dags list
check "dags list exits 0 despite import errors" rc_is 0
check "the single-mapping DAG is listed" out_has "my_dag"
check "the DAGs of a list file in a subfolder are listed" \
  eval "out_has 'hourly_berlin' && out_has 'team/two.yaml' && out_has 'manual_only'"
check "schedules are shown as written" eval "out_has '15 * * * *' && out_has 'null'"
check "is_paused_upon_creation shows for a new DAG" eval "grep -q 'hourly_berlin.*| True' '$SCRATCH/out'"
check "the broken file's DAG is not listed" eval "! grep -q '^broken' '$SCRATCH/out'"
check "import errors are announced" out_has "2 DAG files with import errors"

run_mallard dags list-import-errors
check "list-import-errors exits 1 when there are errors" rc_is 1
check "an unknown key names file, line and column" out_has "dags/broken.yml:5:1: unknown key 'retries' in a DAG"
check "a bad cron expression names its position" out_has "broken.yml:2:11: bad cron expression '61 * * * *'"
check "start_date after end_date is an error" out_has "broken.yml:4:11: start_date (2025-03-01) is after end_date (2025-02-01)"
check "a missing dbt project is an error" out_has "broken.yml:7:16: no dbt project at"
check "a YAML syntax error names the file" out_has "garbled.yml:"

# A fixed file is picked up by the next command; no restart, no cache to clear.
cat >"$deploy/dags/broken.yml" <<'YML'
dag_id: broken
schedule: "59 * * * *"
start_date: 2025-01-01
dbt: {project_dir: ../dbt/shop}
YML
rm "$deploy/dags/garbled.yml"
run_mallard dags list-import-errors
check "no import errors once fixed" eval "rc_is 0 && out_has 'No import errors'"
run_mallard dags list
check "the fixed DAG is listed" eval "grep -q '^broken' '$SCRATCH/out'"

# .env and --dags-folder choose the folder.
mkdir -p "$SCRATCH/elsewhere"
cd "$SCRATCH/elsewhere"
printf 'MALLARD_DAGS_FOLDER=%s/dags\n' "$deploy" >.env
run_mallard dags list
check ".env sets MALLARD_DAGS_FOLDER" eval "rc_is 0 && out_has my_dag"
rm .env
run_mallard dags list
check "a missing dags folder is a clear error" eval "rc_is 2 && out_has 'no dags folder at'"
run_mallard dags list --dags-folder "$deploy/dags"
check "--dags-folder chooses the folder" eval "rc_is 0 && out_has my_dag"
run_mallard dags clear my_dag --dags-folder "$deploy/dags"
check "an unknown subcommand is a clear error" eval "rc_is 2 && out_has 'is not a dags subcommand'"
finish
