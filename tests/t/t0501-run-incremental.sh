#!/usr/bin/env bash
# t0501: a second `mallard run` of incremental models sees is_incremental()
# true (the model is rendered on its worker against the database): append
# adds the new batch, delete+insert replaces rows by unique_key, and
# --full-refresh rebuilds from scratch.
. "$(dirname "$0")/lib.sh"

cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/run_orchard" "$SCRATCH/p"
cd "$SCRATCH/p"
q() { "$MALLARD_BIN_DIR/db_query" orchard.duckdb "$1" | tr '\t\n' ',;'; }

run_mallard seed
run_mallard run
check "first run exits 0" rc_is 0
check "first run: full build" test "$(q 'select batch, built_as, count(*) from harvest_log group by all order by 1')" = "1,full,5;"

run_mallard run --threads 2 --vars '{batch: 2, latest_upto: 3}'
check "second run exits 0" rc_is 0
check "second run used 2 threads" out_has "Concurrency: 2 threads"
check "append added batch 2 as incremental" test "$(q 'select batch, built_as, count(*) from harvest_log group by all order by 1')" = "1,full,5;2,incremental,5;"
check "delete+insert replaced keys 1-3 only" test "$(q 'select tree_id, batch, built_as from latest_harvest order by 1')" = "1,2,incremental;2,2,incremental;3,2,incremental;4,1,full;5,1,full;"

run_mallard run -s harvest_log --vars '{batch: 2}'
check "same batch again appends nothing" test "$(q 'select count(*) from harvest_log')" = "10;"

run_mallard run -s harvest_log latest_harvest --full-refresh --vars '{batch: 3}'
check "full refresh exits 0" rc_is 0
check "full refresh rebuilt harvest_log" test "$(q 'select batch, built_as, count(*) from harvest_log group by all order by 1')" = "3,full,5;"
check "full refresh rebuilt latest_harvest" test "$(q 'select distinct batch, built_as from latest_harvest')" = "3,full;"
finish
