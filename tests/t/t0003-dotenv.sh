#!/usr/bin/env bash
# t0003: .env files set profile values; the project's .env wins over the
# working directory's, and the process environment wins over both.
. "$(dirname "$0")/lib.sh"

deploy=$SCRATCH/deploy
proj=$deploy/dbt/shop
mkdir -p "$proj"
cat >"$proj/dbt_project.yml" <<'YML'
name: shop
profile: shop
YML
cat >"$proj/profiles.yml" <<'YML'
shop:
  target: "{{ env_var('SHOP_TARGET', 'dev') }}"
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('DUCKDB_DATABASE_PATH', 'default.duckdb') }}"
      threads: 2
    other:
      type: duckdb
      path: other.duckdb
      threads: 1
YML
printf '# deployment settings\nexport DUCKDB_DATABASE_PATH="%s/from-cwd.duckdb"\n' "$deploy" >"$deploy/.env"

cd "$deploy"
unset DUCKDB_DATABASE_PATH SHOP_TARGET
run_mallard debug --project-dir dbt/shop
check "the working directory's .env sets the database path" \
  eval "rc_is 0 && out_has '$deploy/from-cwd.duckdb'"

printf "DUCKDB_DATABASE_PATH='%s/from-project.duckdb'\n" "$deploy" >"$proj/.env"
run_mallard debug --project-dir dbt/shop
check "the project's .env wins over the working directory's" \
  eval "rc_is 0 && out_has '$deploy/from-project.duckdb'"

DUCKDB_DATABASE_PATH=$deploy/from-process.duckdb run_mallard debug --project-dir dbt/shop
check "the process environment wins over both" \
  eval "rc_is 0 && out_has '$deploy/from-process.duckdb'"

printf 'SHOP_TARGET=other\n' >>"$proj/.env"
run_mallard debug --project-dir dbt/shop
check ".env can choose the target through env_var in target:" \
  eval "rc_is 0 && out_has 'other.duckdb'"

MALLARD_TARGET=dev run_mallard debug --project-dir dbt/shop
check "MALLARD_TARGET picks the target like --target" \
  eval "rc_is 0 && out_has '$deploy/from-project.duckdb'"

finish
