#!/usr/bin/env bash
# t0500: `mallard build` on the orchard fixture: every node passes, in
# dependency order, and the tables hold what the SQL says; hooks rendered
# with Jinja ran; run_results.json and target/compiled are written.
. "$(dirname "$0")/lib.sh"

cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/run_orchard" "$SCRATCH/p"
cd "$SCRATCH/p"
q() { "$MALLARD_BIN_DIR/db_query" orchard.duckdb "$1"; }

run_mallard build
check "build exits 0" rc_is 0
check "build summary" out_has "Done. PASS=13 WARN=0 ERROR=0 SKIP=0 TOTAL=13"
check "completed" out_has "Completed successfully"
check "seed line" out_has "OK loaded seed file main.trees"
check "incremental line" out_has "OK created sql incremental model main.harvest_log"
check "test line" out_has "PASS unique_stg_trees_tree_id"
check "variety_counts contents" test "$(q 'select variety, n_trees, avg_height from variety_counts order by 1' | tr '\t\n' ',;')" = "apple,2,2.15;pear,2,3.0;plum,1,1.2;"
check "seed column_types applied" test "$(q "select data_type from information_schema.columns where table_name='trees' and column_name='planted'")" = "DATE"
check "first incremental build is a full build" test "$(q "select built_as, count(*) from harvest_log group by all")" = "$(printf 'full\t5')"
check "post-hook rendered {{ this }} and ran" test "$(q 'select what from hook_log')" = "variety_counts built"
check "ephemeral inlined as a CTE" test "$(q 'select variety, n_tall from tall_summary order by 1' | tr '\t\n' ',;')" = "apple,1;pear,2;"
check "compiled SQL has the CTE" grep -q "__dbt__cte__tall_trees" target/compiled/orchard/models/tall_summary.sql
check "fragile_child counted pears" test "$(q 'select n_pears from fragile_child')" = "2"
check "run_results.json written" grep -q '"status": *"success"' target/run_results.json
check "compiled SQL written" test -s target/compiled/orchard/models/variety_counts.sql

# seeds only, tests only
run_mallard seed
check "seed exits 0" rc_is 0
check "seed summary" out_has "Done. PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1"
run_mallard test
check "test exits 0" rc_is 0
check "test summary" out_has "Done. PASS=4 WARN=0 ERROR=0 SKIP=0 TOTAL=4"
run_mallard test --store-failures -s stg_trees
check "test --store-failures exits 0" rc_is 0
check "failures stored in <schema>_dbt_test__audit" test "$(q 'select count(*) from main_dbt_test__audit.unique_stg_trees_tree_id')" = "0"
run_mallard test --empty
check "test --empty says not supported" out_has "not supported yet: --empty with 'test'"
check "test --empty exits 2" rc_is 2
run_mallard run stg_trees
check "a stray argument exits 2" rc_is 2
finish
