#!/usr/bin/env bash
# t0100: `mallard debug` on a healthy project: every check OK, exit 0, and
# the scratch table its writers used is gone from the file afterwards.
. "$(dirname "$0")/lib.sh"

proj=$SCRATCH/proj
mkdir -p "$proj/data"
cat >"$proj/dbt_project.yml" <<'YML'
name: ledger
profile: ledger
YML
cat >"$proj/profiles.yml" <<'YML'
ledger:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('LEDGER_DB', 'data/ledger.duckdb') }}"
      threads: 4
      extensions: [json, parquet]
      settings:
        memory_limit: 1GB
    mem:
      type: duckdb
      path: ":memory:"
      threads: 3
    one:
      type: duckdb
      path: data/one.duckdb
      threads: 1
YML
db=$proj/data/ledger.duckdb

cd "$proj"
run_mallard debug
check "healthy project: exit 0, all checks passed" eval "rc_is 0 && out_has 'All checks passed!'"
check "project and profile are reported OK" \
  eval "out_has 'dbt_project.yml file [OK found and valid]' && out_has 'profiles.yml file [OK found and valid]'"
check "the database path is shown" eval "out_has 'path: $db'"
check "the database opens" eval "out_has 'Database open [OK opened read-write'"
check "one connection round-trips a query" eval "out_has 'Connection test: [OK connection ok]'"
check "four connections write and read back their rows" \
  eval "out_has 'Concurrent connections (4 threads) [OK 4 connections each wrote and read back 100 rows]'"
check "a fresh open sees all of them" eval "out_has 'Fresh open sees every row [OK all 400 rows are in the file]'"
check "nobody else holds the lock" eval "out_has 'Lock holder [OK no other process holds the lock]'"
check "no check failed" eval "! grep -q FAIL '$SCRATCH/out'"
check "the database file exists" test -f "$db"

"$MALLARD_BIN_DIR/db_query" "$db" \
  "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'mallard_debug_scratch%'" \
  >"$SCRATCH/tables" 2>&1
check "the scratch table is gone afterwards" eval "[ \"\$(cat '$SCRATCH/tables')\" = 0 ]"

# Run twice: the second run finds the file as the first left it.
run_mallard debug
check "a second run passes too" eval "rc_is 0 && out_has 'All checks passed!'"

run_mallard debug --target one
check "one thread: one writer" \
  eval "rc_is 0 && out_has 'Concurrent connections (1 thread) [OK 1 connection each wrote'"

run_mallard debug --target mem
check ":memory: target passes, with the file checks skipped" \
  eval "rc_is 0 && out_has 'path: :memory:' && out_has 'Fresh open sees every row [SKIP :memory: has no file to reopen]' && out_has 'All checks passed!'"

# A settings value DuckDB refuses is a setup error naming it.
sed -i 's/memory_limit: 1GB/memory_limit: plenty/' profiles.yml
run_mallard debug
check "a bad setting: exit 2, named with the profiles.yml" \
  eval "rc_is 2 && out_has \"DuckDB setting 'memory_limit' does not accept the value 'plenty'\" && out_has '$proj/profiles.yml'"
sed -i 's/memory_limit: plenty/memory_limit: 1GB/' profiles.yml

# An extension that needs a download is refused plainly.
sed -i 's/extensions: \[json, parquet\]/extensions: [json, spatial]/' profiles.yml
run_mallard debug
check "an extension that is not installed: exit 2, says why" \
  eval "rc_is 2 && out_has \"extension 'spatial' is not installed\" && out_has 'network'"

# Set-up failures say which file failed, then exit 2.
run_mallard debug --project-dir "$SCRATCH/nowhere"
check "no project: the dbt_project.yml check fails (exit 2)" \
  eval "rc_is 2 && out_has 'dbt_project.yml file [FAIL'"
run_mallard debug --target nope
check "bad target: the project is OK, the profiles.yml check fails (exit 2)" \
  eval "rc_is 2 && out_has 'dbt_project.yml file [OK found and valid]' && out_has 'profiles.yml file [FAIL'"
printf 'LEDGER_DB\n' >.env
run_mallard debug
check "bad .env: the .env check fails (exit 2)" eval "rc_is 2 && out_has '.env file [FAIL invalid]'"
rm .env

run_mallard debug extra-word
check "debug takes no arguments (exit 2)" eval "rc_is 2 && out_has \"unexpected argument 'extra-word'\""

finish
