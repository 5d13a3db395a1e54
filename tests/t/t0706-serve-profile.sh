#!/usr/bin/env bash
# t0706: `mallard serve` on a dbt project's profile database (--project-dir,
# the profile's path through env_var), and what the file shows afterwards;
# while it serves, another process's open of the file meets its lock.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
command -v psql >/dev/null || { echo "psql is not installed"; exit 77; }

proj=$SCRATCH/proj
mkdir -p "$proj/data"
cat >"$proj/dbt_project.yml" <<'YML'
name: shop
profile: shop
YML
cat >"$proj/profiles.yml" <<'YML'
shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('SHOP_DB', 'data/shop.duckdb') }}"
      threads: 2
YML
cd "$proj" # dbt resolves a relative path from where it runs
check "serve starts on the profile's database" start_server --project-dir "$proj" --trust-local
check "it serves the file the profile names" grep -q "Serving $proj/data/shop.duckdb" "$SCRATCH/server.log"
q -c "CREATE TABLE visits AS SELECT range AS id FROM range(10)" >/dev/null
check "clients write through it" test "$(q -c 'SELECT count(*) FROM visits')" = 10
out=$("$MALLARD_BIN_DIR/db_query" "$proj/data/shop.duckdb" "SELECT 1" 2>&1)
check "another process cannot open the file meanwhile (the server owns it)" \
  eval 'echo "$out" | grep -qi "lock" || { echo "$out"; false; }'
stop_server
check "the server shuts down cleanly" server_exited_cleanly
check "the rows are in the profile's file" \
  test "$("$MALLARD_BIN_DIR/db_query" "$proj/data/shop.duckdb" "SELECT count(*) FROM visits")" = 10

SHOP_DB=$SCRATCH/other.duckdb
export SHOP_DB
check "env_var in the profile picks the file" start_server --project-dir "$proj" --trust-local
check "the other file is served" grep -q "Serving $SCRATCH/other.duckdb" "$SCRATCH/server.log"
stop_server
unset SHOP_DB

rm "$proj/profiles.yml"
run_mallard serve --project-dir "$proj" --trust-local --listen 127.0.0.1:0
check "a missing profile is a set-up error naming it" eval 'rc_is 2 && out_has "profiles.yml"'
finish
