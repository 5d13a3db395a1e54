#!/usr/bin/env bash
# t0504: SIGTERM or SIGINT during a build interrupts the running query,
# skips what had not started, writes run_results.json and exits 2; the
# table that was being replaced is left as it was.
. "$(dirname "$0")/lib.sh"

cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/run_orchard" "$SCRATCH/p"
cd "$SCRATCH/p"
q() { "$MALLARD_BIN_DIR/db_query" orchard.duckdb "$1" | tr '\t\n' ',;'; }

run_mallard run -s slow
check "slow model built small" test "$(q 'select s from slow')" = "0;"

interrupt_with() {
  local sig=$1
  rm -f target/run_results.json
  "$MALLARD" run -s slow+ stg_trees+ --threads 1 --vars '{slow_n: 3000000}' >"$SCRATCH/out" 2>&1 &
  local pid=$! i
  for i in $(seq 1 300); do
    grep -q "START sql table model main.slow" "$SCRATCH/out" && break
    sleep 0.1
  done
  sleep 0.5
  kill -"$sig" "$pid"
  rc=0
  wait "$pid" || rc=$?
}

for sig in TERM INT; do
  interrupt_with $sig
  check "SIG$sig: exit code 2" rc_is 2
  check "SIG$sig: run_results.json written" test -s target/run_results.json
  check "SIG$sig: something was skipped" grep -q '"status": *"skipped"' target/run_results.json
  check "SIG$sig: the old slow table is intact" test "$(q 'select s from slow')" = "0;"
  check "SIG$sig: no intermediate left" test "$(q "select count(*) from information_schema.tables where table_name like '%__dbt_%'")" = "0;"
done

run_mallard build
check "next build succeeds" rc_is 0
finish
