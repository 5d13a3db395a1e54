#!/usr/bin/env bash
# t0509: --store-failures as dbt 1.8+ prints and builds it.  Every audit
# schema is created once, before the first node (dbt counts a test that
# stores failures as relational), so twelve tests storing at once never
# conflict; the end summary lists each failure or warning with "compiled
# code at ..." and then dbt's "See test failures:" block between dashes;
# the audit tables hold the failing rows; run_results.json names them.
. "$(dirname "$0")/lib.sh"

mkdir -p "$SCRATCH/p/models" "$SCRATCH/p/seeds"
cd "$SCRATCH/p"
cat >dbt_project.yml <<'EOT'
name: audited
version: "1.0"
profile: audited
models:
  audited:
    +materialized: table
EOT
cat >profiles.yml <<'EOT'
audited:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: audited.duckdb
      schema: main
      threads: 8
EOT
printf 'id,shade\n1,red\n2,red\n3,blue\n4,\n' >seeds/tints.csv
cat >models/tints_copy.sql <<'EOT'
select * from {{ ref('tints') }}
EOT
{
  echo "version: 2"
  echo "models:"
  echo "  - name: tints_copy"
  echo "    columns:"
  echo "      - name: id"
  echo "        tests:"
  for i in $(seq 1 10); do
    echo "          - accepted_values: {values: [$(seq -s, 1 $i)], name: id_upto_$i}"
  done
  echo "      - name: shade"
  echo "        tests:"
  echo "          - unique"
  echo "          - not_null: {config: {severity: warn}}"
} >models/schema.yml
q() { "$MALLARD_BIN_DIR/db_query" audited.duckdb "$1" | tr '\t\n' ',;'; }

run_mallard build --store-failures
check "build exits 1 (tests fail)" rc_is 1
check "no conflict on the audit schema" test "$(grep -ciE 'conflict|retry' "$SCRATCH/out")" = 0
check "the block only in the summary: 4 failures, 1 warning" test "$(grep -c 'See test failures' "$SCRATCH/out")" = 5
check "summary counts" out_has "Done. PASS=9 WARN=1 ERROR=4 SKIP=0 TOTAL=14"
# the unique test's entry in the summary, as dbt prints it
sed 's/^[0-9:]*  //' "$SCRATCH/out" >plain.txt
start=$(grep -n '^  Failure in test unique_tints_copy_shade (models/schema.yml)$' plain.txt | cut -d: -f1)
check "the failure is listed" test -n "$start"
expected_block="  Failure in test unique_tints_copy_shade (models/schema.yml)
  Got 1 result, configured to fail if != 0

  compiled code at target/compiled/audited/models/schema.yml/unique_tints_copy_shade.sql

  See test failures:
  ------------------------------------------------------------------------
  select * from \"audited\".\"main_dbt_test__audit\".\"unique_tints_copy_shade\"
  ------------------------------------------------------------------------"
check "dbt's See test failures block follows the compiled path" \
  test "$(sed -n "${start:-1},$((${start:-1} + 8))p" plain.txt)" = "$expected_block"
wstart=$(grep -n '^  Warning in test not_null_tints_copy_shade (models/schema.yml)$' plain.txt | cut -d: -f1)
check "a warning gets the block too" \
  test "$(sed -n "$((${wstart:-1} + 7))p" plain.txt)" = '  select * from "audited"."main_dbt_test__audit"."not_null_tints_copy_shade"'
check "the audit table holds the failing rows" \
  test "$(q 'select * from main_dbt_test__audit.unique_tints_copy_shade')" = "red,2;"
check "a passing test stores its (empty) audit table" \
  test "$(q 'select count(*) from main_dbt_test__audit.id_upto_4')" = "0;"
check "every storing test has its audit table" \
  test "$(q "select count(*) from information_schema.tables where table_schema = 'main_dbt_test__audit'")" = "12;"
check "run_results.json names the audit relation" \
  grep -qF '"relation_name": "\"audited\".\"main_dbt_test__audit\".\"unique_tints_copy_shade\""' target/run_results.json

run_mallard test
check "without --store-failures: exits 1" rc_is 1
check "without --store-failures: no See test failures" test "$(grep -c 'See test failures' "$SCRATCH/out")" = 0
finish
