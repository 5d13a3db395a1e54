#!/usr/bin/env bash
# t0512: target/run/ as dbt writes it.  A build of a project with a view, a
# table, an incremental (built, then run again), a seed, a generic and a
# singular test and an ephemeral model leaves one file per node that ran, at
# dbt's path (<target>/run/<project>/<original path>, schema.yml's tests
# under models/schema.yml/), each holding the statement that built it; a
# second run replaces the files; compile writes no run/ files; ephemeral
# models and hooks leave none.
. "$(dirname "$0")/lib.sh"

proj=$SCRATCH/proj
mkdir -p "$proj/models" "$proj/seeds" "$proj/tests"
cat >"$proj/dbt_project.yml" <<'YML'
name: arts
profile: arts
models:
  arts:
    +post-hook: "select 'a post hook ran' as note"
YML
cat >"$proj/profiles.yml" <<'YML'
arts:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: arts.duckdb
      threads: 2
YML
printf 'id,colour\n1,red\n2,green\n' >"$proj/seeds/colours.csv"
printf "select id, upper(colour) as colour from {{ ref('colours') }}\n" >"$proj/models/colours_up.sql"
printf "{{ config(materialized='table') }}\nselect * from {{ ref('colours_up') }}\n" >"$proj/models/colours_tbl.sql"
printf "{{ config(materialized='ephemeral') }}\nselect id * 10 as id from {{ ref('colours') }}\n" >"$proj/models/tens.sql"
cat >"$proj/models/growing.sql" <<'SQL'
{{ config(materialized='incremental', unique_key='id') }}
select id from {{ ref('tens') }}
{% if is_incremental() %} where id > (select max(id) - 15 from {{ this }}) {% endif %}
SQL
cat >"$proj/models/schema.yml" <<'YML'
version: 2
models:
  - name: colours_tbl
    columns:
      - name: id
        data_tests: [not_null]
YML
printf "select * from {{ ref('colours_tbl') }} where colour = 'BLUE'\n" >"$proj/tests/no_blue.sql"
cd "$proj"

run_mallard compile
check "compile succeeds" rc_is 0
check "compile writes target/compiled" test -f target/compiled/arts/models/colours_tbl.sql
check "compile writes no target/run" test ! -e target/run

run_mallard build
check "build succeeds" rc_is 0
run=target/run/arts
ls_run() { (cd target/run && find . -type f | sort); }
cat >"$SCRATCH/want" <<'TXT'
./arts/models/colours_tbl.sql
./arts/models/colours_up.sql
./arts/models/growing.sql
./arts/models/schema.yml/not_null_colours_tbl_id.sql
./arts/seeds/colours.csv
./arts/tests/no_blue.sql
TXT
check "exactly one run/ file per node that ran, at dbt's paths (no ephemeral)" \
  eval 'ls_run | diff "$SCRATCH/want" -'

check "the view's file creates the view" \
  grep -qi 'create or replace view "arts"."main"."colours_up" as' $run/models/colours_up.sql
check "the table's file is its create table ... as (the intermediate relation)" \
  grep -qi 'create table "arts"."main"."colours_tbl__dbt_tmp" as' $run/models/colours_tbl.sql
check "with the model's compiled SELECT inside" \
  grep -qF 'select * from "arts"."main"."colours_up"' $run/models/colours_tbl.sql
check "the incremental's first build is a create table" \
  grep -qi 'create table' $run/models/growing.sql
check "the ephemeral model is inlined where it is used" \
  grep -qF '__dbt__cte__tens' $run/models/growing.sql
check "the seed's file: create table, dbt's marker, the load" \
  eval "grep -qi '^create table \"arts\".\"main\".\"colours\"' $run/seeds/colours.csv &&
        grep -qx -- '-- dbt seed --' $run/seeds/colours.csv &&
        grep -qi '^insert into \"arts\".\"main\".\"colours\"' $run/seeds/colours.csv"
check "the generic test's file is dbt's wrapper around its query" \
  eval "grep -qF 'count(*) as failures' $run/models/schema.yml/not_null_colours_tbl_id.sql &&
        grep -qF ') dbt_internal_test' $run/models/schema.yml/not_null_colours_tbl_id.sql &&
        grep -qF 'where id is null' $run/models/schema.yml/not_null_colours_tbl_id.sql"
check "the singular test's file wraps its SQL" \
  eval "grep -qF 'count(*) != 0 as should_error' $run/tests/no_blue.sql &&
        grep -qF \"where colour = 'BLUE'\" $run/tests/no_blue.sql"
check "hooks are not in run/ files" eval "! grep -rq 'a post hook ran' target/run"
check "compiled/ is still written" test -f target/compiled/arts/models/schema.yml/not_null_colours_tbl_id.sql

# the second run: the incremental merges, the seed is truncated and loaded
cp $run/models/colours_tbl.sql "$SCRATCH/tbl.first"
run_mallard build
check "the second build succeeds" rc_is 0
check "the incremental's file is now its delete+insert" \
  eval "grep -qi '^delete from \"arts\".\"main\".\"growing\"' $run/models/growing.sql &&
        grep -qi '^insert into \"arts\".\"main\".\"growing\"' $run/models/growing.sql"
check "and no longer the first build's create table" eval "! grep -qi 'create table' $run/models/growing.sql"
check "the seed's file now truncates (delete) before loading" \
  eval "grep -qi '^delete from \"arts\".\"main\".\"colours\"' $run/seeds/colours.csv &&
        ! grep -qi 'create table' $run/seeds/colours.csv"
check "a file is replaced, not appended to" cmp -s "$SCRATCH/tbl.first" $run/models/colours_tbl.sql
check "each test file holds one wrapper" \
  test "$(grep -c 'dbt_internal_test' $run/tests/no_blue.sql)" = 1
check "the same set of files" eval 'ls_run | diff "$SCRATCH/want" -'

# seed and test write theirs; run only models'
rm -rf target/run
run_mallard seed
check "seed succeeds" rc_is 0
check "seed writes the seed's run/ file only" eval '[ "$(ls_run)" = "./arts/seeds/colours.csv" ]'
run_mallard test -s no_blue
check "test writes the test's file" test -f $run/tests/no_blue.sql
run_mallard run -s colours_up
check "run writes the model's file" test -f $run/models/colours_up.sql

# a failing model still leaves the statement that failed, as dbt does
printf "select no_such_column from {{ ref('colours') }}\n" >models/broken.sql
run_mallard run -s broken
check "the broken model fails" rc_is 1
check "its run/ file holds the statement that failed" \
  grep -qF 'no_such_column' $run/models/broken.sql
rm models/broken.sql

# a target/run that cannot be written: a warning, the nodes still succeed
rm -rf target/run
mkdir -p target && : >target/run
run_mallard run -s colours_up
check "an unwritable run/ does not fail the node" rc_is 0
check "it says why" out_has "target/run"
rm -f target/run

# --target-path is honoured through dbt_project.yml's target-path
printf 'name: arts\nprofile: arts\ntarget-path: out\n' >dbt_project.yml
run_mallard run -s colours_up
check "target-path: moves run/ too" test -f out/run/arts/models/colours_up.sql
finish
