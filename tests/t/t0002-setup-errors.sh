#!/usr/bin/env bash
# t0002: bad project set-up gets one clear message naming the file (and line
# and column where there is one) and exit code 2, as dbt uses it.
. "$(dirname "$0")/lib.sh"

proj=$SCRATCH/proj
mkdir -p "$proj"
write_project() {
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
      path: "{{ env_var('SHOP_DB', 'shop.duckdb') }}"
      threads: 2
YML
}

# No dbt_project.yml.
run_mallard debug --project-dir "$SCRATCH/nowhere"
check "no dbt_project.yml: names the expected path" \
  eval "rc_is 2 && out_has 'No dbt_project.yml found at expected path $SCRATCH/nowhere/dbt_project.yml'"

# No profiles.yml anywhere.
write_project
rm "$proj/profiles.yml"
HOME=$SCRATCH/home run_mallard debug --project-dir "$proj"
check "no profiles.yml: says where it looked" \
  eval "rc_is 2 && out_has 'profiles.yml not found: looked for $SCRATCH/home/.dbt/profiles.yml'"

# Unknown profile.
write_project
sed -i 's/^profile: shop/profile: store/' "$proj/dbt_project.yml"
run_mallard debug --project-dir "$proj"
check "unknown profile: named, with the ones that exist" \
  eval "rc_is 2 && out_has \"Could not find profile named 'store'\" && out_has 'profiles.yml has: shop'"

# Unknown target.
write_project
run_mallard debug --project-dir "$proj" --target prod
check "unknown target: named, with the valid ones" \
  eval "rc_is 2 && out_has \"does not have a target named 'prod'\" && out_has 'valid targets: dev'"

# Malformed YAML, with line and column.
write_project
printf 'name: shop\nprofile: shop\nmodels:\n  shop:\n   +materialized: [view\n' >"$proj/dbt_project.yml"
run_mallard debug --project-dir "$proj"
check "malformed dbt_project.yml: file, line and column" \
  eval "rc_is 2 && out_has '$proj/dbt_project.yml:6:1: '"

write_project
printf 'shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n     path: x\n' >"$proj/profiles.yml"
run_mallard debug --project-dir "$proj"
check "malformed profiles.yml: file, line and column" \
  eval "rc_is 2 && out_has '$proj/profiles.yml:6:'"

# A missing environment variable.
write_project
sed -i "s/env_var('SHOP_DB', 'shop.duckdb')/env_var('SHOP_DB')/" "$proj/profiles.yml"
env -u SHOP_DB "$MALLARD" debug --project-dir "$proj" >"$SCRATCH/out" 2>&1; rc=$?
check "missing env var: named, with file, line and column" \
  eval "rc_is 2 && out_has \"$proj/profiles.yml:6:17: Env var required but not provided: 'SHOP_DB'\""

# A malformed .env line.
write_project
printf 'SHOP_DB=ok.duckdb\nnot a line\n' >"$proj/.env"
run_mallard debug --project-dir "$proj"
check "malformed .env: file and line" \
  eval "rc_is 2 && out_has \"$proj/.env:2:5: expected '=' after 'not'\""
rm "$proj/.env"

# An adapter we do not run.
write_project
sed -i 's/type: duckdb/type: snowflake/' "$proj/profiles.yml"
run_mallard debug --project-dir "$proj"
check "another adapter type: plainly not supported" \
  eval "rc_is 2 && out_has \"adapter type 'snowflake' is not supported\""

finish
