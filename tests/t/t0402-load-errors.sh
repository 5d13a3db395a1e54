#!/bin/bash
# t0402: every way a project can fail to load gives one clear error naming
# file, line and column (exit 2), never a crash or silently wrong output.
. "$(dirname "$0")/lib.sh"

P=$SCRATCH/shop
reset() { rm -rf "$P"; cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/p1_shop" "$P"; }
fails() { # fails DESCRIPTION EXPECTED-TEXT: parse must fail with exit 2 saying that
  run_mallard parse --project-dir "$P"
  check "$1: exit 2" rc_is 2
  check "$1: message" out_has "$2"
  check "$1: no crash" bash -c "! grep -q 'AddressSanitizer\|runtime error' '$SCRATCH/out'"
}

reset; echo "select * from {{ ref('stg_peple') }}" >"$P/models/bad.sql"
fails "missing ref" "models/bad.sql:1:18: Model 'model.mallard_shop.bad' depends on a node named 'stg_peple' which was not found (did you mean 'stg_people'?)"

reset; echo "select * from {{ source('shop_raw', 'vists') }}" >"$P/models/bad.sql"
fails "missing source" "models/bad.sql:1:18: Model 'model.mallard_shop.bad' depends on a source named 'shop_raw.vists' which was not found"

reset; printf 'select 1\n{%% if %%}\n' >"$P/models/bad.sql"
fails "Jinja syntax" "models/bad.sql:2:"

reset; printf 'select {{ 1 + }}\n' >"$P/models/bad.sql"
fails "Jinja expression" "models/bad.sql:1:"

reset
echo "select * from {{ ref('cyc_b') }}" >"$P/models/cyc_a.sql"
echo "select * from {{ ref('cyc_a') }}" >"$P/models/cyc_b.sql"
fails "cycle" "Found a cycle: model.mallard_shop.cyc_a --> model.mallard_shop.cyc_b --> model.mallard_shop.cyc_a"

reset; echo "select 1" >"$P/models/marts/stg_people.sql"
fails "duplicate name" 'dbt found two models with the name "stg_people": models/marts/stg_people.sql and models/staging/stg_people.sql'

reset; echo "select 1" >"$P/seeds/stg_people.csv"
fails "model and seed share a name" 'dbt found two resources with the name "stg_people"'

reset; printf 'version: 2\nmodels:\n  - name: x\n   bad: [\n' >"$P/models/bad.yml"
fails "YAML syntax" "models/bad.yml:4:4:"

reset; echo "{{ config(materialized=3) }} select 1" >"$P/models/bad.sql"
fails "config() of the wrong type" "models/bad.sql:1:4: config \`materialized\` must be a string, not a int"

reset; printf 'version: 2\nmodels:\n  - name: stg_people\n    config:\n      enabled: maybe\n' >"$P/models/bad.yml"
fails "YAML config of the wrong type" "models/bad.yml:5:16: config \`enabled\` must be true or false, not a str"

reset; sed -i 's/+materialized: table/+materialized: [table]/' "$P/dbt_project.yml"
fails "project config of the wrong type" "dbt_project.yml:18:22: config \`materialized\` must be a string, not a list"

reset; echo "select '{{ env_var('MALLARD_T0402_UNSET') }}'" >"$P/models/bad.sql"
fails "missing env var" "Env var required but not provided: 'MALLARD_T0402_UNSET'"

reset; echo "select {{ var('nope') }}" >"$P/models/bad.sql"
fails "missing var" "models/bad.sql:1:11: Required var 'nope' not found in config"

reset; echo "{{ exceptions.raise_compiler_error('stop here') }}" >"$P/models/bad.sql"
fails "raise_compiler_error" "models/bad.sql:1:15: Compilation Error: stop here"

reset; echo "def model(dbt, session): return None" >"$P/models/bad.py"
fails "Python model" "models/bad.py:1:1: not supported yet: Python models"

reset; mkdir -p "$P/snapshots"; printf '{%% snapshot snap %%}\nselect 1\n{%% endsnapshot %%}\n' >"$P/snapshots/s.sql"
fails "snapshot" "snapshots/s.sql:1:1: not supported yet: snapshots"

reset; printf 'packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.1.1\n' >"$P/packages.yml"
fails "packages" "not supported yet: packages"

reset; printf 'version: 2\nmodels:\n  - name: stg_people\n    data_tests:\n      - no_such_test\n' >"$P/models/bad.yml"
fails "unknown generic test" "test 'no_such_test' is not defined"

reset; printf '{%% macro to_units(x) %%}{{ x }}{%% endmacro %%}\n' >"$P/macros/again.sql"
fails "duplicate macro" 'dbt found two macros named "to_units"'

reset; printf 'version: 2\nmodels:\n  - name: stg_people\n  - name: stg_people\n' >"$P/models/bad.yml"
fails "model described twice" "model 'stg_people' is described twice"

finish
