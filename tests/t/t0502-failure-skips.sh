#!/usr/bin/env bash
# t0502: a failing model is an ERROR, its children are skipped, independent
# branches still run, the exit code is 1 and the previous table survives.
. "$(dirname "$0")/lib.sh"

cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/run_orchard" "$SCRATCH/p"
cd "$SCRATCH/p"
q() { "$MALLARD_BIN_DIR/db_query" orchard.duckdb "$1" | tr '\t\n' ',;'; }

run_mallard build
check "first build exits 0" rc_is 0

run_mallard build --vars '{break_fragile: true, batch: 2}'
check "exit code 1" rc_is 1
check "fragile errors" out_has "ERROR creating sql view model main.fragile"
check "child skipped" out_has "SKIP relation main.fragile_child"
check "error listed" out_has "Database Error in model fragile (models/fragile.sql)"
check "summary" out_has "Done. PASS=11 WARN=0 ERROR=1 SKIP=1 TOTAL=13"
check "independent branch ran" test "$(q 'select max(batch) from harvest_log')" = "2;"
check "skipped child kept its table" test "$(q 'select n_pears from fragile_child')" = "2;"
check "run_results has the skip" grep -q '"status": *"skipped"' target/run_results.json

run_mallard run --fail-fast --threads 1 -s fragile fragile_child --vars '{break_fragile: true}'
check "fail-fast exit code 1" rc_is 1
finish
