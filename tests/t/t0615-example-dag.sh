#!/usr/bin/env bash
# t0615: the README's main job on a copy of examples/velo: `mallard
# scheduler --once` runs dags/my_dag.yml (seeds, models, then one test task,
# the database path from .env), `mallard runs my_dag` shows one successful
# run, and a second --once the same day has nothing to do.
. "$(dirname "$0")/lib.sh"

cp -r "$MALLARD_SOURCE_DIR/examples/velo" "$SCRATCH/velo"
rm -rf "$SCRATCH/velo/.mallard" "$SCRATCH/velo"/*.duckdb* "$SCRATCH/velo/dbt/velo/target"
cd "$SCRATCH/velo"

run_mallard scheduler --once
check "scheduler --once runs the example DAG" rc_is 0
check "one run succeeded, on one project load" out_has "1 run(s) succeeded, 0 failed, 9 task tries, 1 dbt project load(s)"
run_mallard runs my_dag
check "runs my_dag lists it as a success" eval "rc_is 0 && [ \$(grep -c '| success |' '$SCRATCH/out') -eq 1 ]"
run_id=$(grep -o 'scheduled__[^ ]*' "$SCRATCH/out" | head -1)
run_mallard tasks my_dag "$run_id"
check "Cosmos' tasks: seeds, models and one test task after all" \
  eval "out_has raw_rides_seed && out_has stg_rides_run && out_has station_daily_run && grep -qE '^test +\\| success' '$SCRATCH/out'"
check "the database path came from .env" test -f "$SCRATCH/velo/velo.duckdb"
rows=$("$MALLARD_BIN_DIR/db_query" "$SCRATCH/velo/velo.duckdb" "select count(*) > 0 from station_daily" 2>&1)
check "the marts are built (station_daily has rows: $rows)" test "$rows" = true

run_mallard scheduler --once
check "a second --once the same day has nothing to do" \
  eval "rc_is 0 && out_has '0 run(s) succeeded, 0 failed, 0 task tries'"
run_mallard runs my_dag
check "still one run" eval "[ \$(grep -c 'scheduled__' '$SCRATCH/out') -eq 1 ]"

finish
