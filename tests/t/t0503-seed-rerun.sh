#!/usr/bin/env bash
# t0503: `mallard seed` again replaces the rows with the file's current
# contents; --full-refresh recreates the table with the new columns.
. "$(dirname "$0")/lib.sh"

cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/run_orchard" "$SCRATCH/p"
cd "$SCRATCH/p"
q() { "$MALLARD_BIN_DIR/db_query" orchard.duckdb "$1" | tr '\t\n' ',;'; }

run_mallard seed
check "seed exits 0" rc_is 0
check "five trees" test "$(q 'select count(*) from trees')" = "5;"

printf 'tree_id,variety,planted,height_m\n7,fig,2022-06-01,0.9\n8,apple,2023-01-15,0.5\n' >seeds/trees.csv
run_mallard seed
check "re-seed exits 0" rc_is 0
check "rows replaced" test "$(q 'select tree_id, variety from trees order by 1')" = "7,fig;8,apple;"

printf 'tree_id,variety,planted,height_m,row_no\n9,plum,2022-06-01,1.1,1\n' >seeds/trees.csv
run_mallard seed --full-refresh
check "full-refresh seed exits 0" rc_is 0
check "new column after full refresh" test "$(q 'select tree_id, row_no from trees')" = "9,1;"
finish
