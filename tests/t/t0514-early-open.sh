#!/usr/bin/env bash
# t0514: build/run/seed/test open DuckDB on a helper thread while the
# project loads (engine/preopen.h).  What must not change: a project that
# fails to load leaves no database file that was not there before and
# leaves an existing one untouched; a file held by another process is
# still waited for, naming the holder, and the build then succeeds.
. "$(dirname "$0")/lib.sh"

cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/run_orchard" "$SCRATCH/p"
cd "$SCRATCH/p"
q() { "$MALLARD_BIN_DIR/db_query" orchard.duckdb "$1" | tr '\t\n' ',;'; }

# A Jinja error in one model: the load fails before anything runs.
mv models/stg_trees.sql "$SCRATCH/stg_trees.sql"
printf 'select {{ 1 + }} as broken\n' >models/stg_trees.sql
for cmd in build run seed test; do
  run_mallard $cmd
  check "$cmd: a broken project exits 2" rc_is 2
  check "$cmd: names the file" out_has "models/stg_trees.sql"
  check "$cmd: no database file is left behind" test ! -e orchard.duckdb
  check "$cmd: no WAL is left behind" test ! -e orchard.duckdb.wal
  check "$cmd: no advertisement is left behind" test ! -e orchard.duckdb.mallard
done
mv "$SCRATCH/stg_trees.sql" models/stg_trees.sql

run_mallard build
check "the repaired project builds" rc_is 0
before=$(q 'select count(*) from trees')
check "the seed has rows" test "$before" != "0;"

printf 'select {{ 1 + }} as broken\n' >models/broken.sql
run_mallard build
check "broken again: exit 2" rc_is 2
check "an existing database stays" test -e orchard.duckdb
check "and keeps its rows" test "$(q 'select count(*) from trees')" = "$before"
rm models/broken.sql

# A foreign holder: the early open gives way to the normal wait.
"$MALLARD_BIN_DIR/lock_holder" "$SCRATCH/p/orchard.duckdb" 3 >"$SCRATCH/holder.out" 2>&1 &
holder=$!
for _ in $(seq 1 200); do
  grep -q '^ready ' "$SCRATCH/holder.out" && break
  sleep 0.05
done
check "lock_holder holds the database" grep -q '^ready ' "$SCRATCH/holder.out"
run_mallard build --lock-timeout 60
wait "$holder" 2>/dev/null || true
check "the build waited for the holder and succeeded" rc_is 0
check "it named the holder" out_has "is locked by PID $holder"
check "it said when the file was free" out_has "is free now"
check "every node passed" out_has "ERROR=0 SKIP=0"

run_mallard build --lock-timeout 0 >/dev/null
check "unlocked, no waiting needed" rc_is 0
finish
