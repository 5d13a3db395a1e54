#!/usr/bin/env bash
# t0507: --empty, as dbt 1.8+ does it: every ref() and source() renders as
# "(select * from <relation> where false limit 0)" (dbt-duckdb adds no
# alias), so models build with their columns and no rows, while {{ this }}
# and relation.render() stay plain and flags.EMPTY is true.  Seeds still
# load in full under build (dbt's seed takes --empty only from 1.12); seed
# and test refuse the flag.
. "$(dirname "$0")/lib.sh"

mkdir -p "$SCRATCH/p/models" "$SCRATCH/p/seeds"
cd "$SCRATCH/p"
cat >dbt_project.yml <<'EOT'
name: hollow
version: "1.0"
profile: hollow
models:
  hollow:
    +materialized: table
EOT
cat >profiles.yml <<'EOT'
hollow:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: hollow.duckdb
      schema: main
      threads: 2
EOT
printf 'id,name\n1,ann\n2,bob\n3,cy\n' >seeds/people.csv
cat >models/constants.sql <<'EOT'
select 10 as n
EOT
cat >models/people_x.sql <<'EOT'
select p.id, p.name, c.n, '{{ flags.EMPTY }}' as empty_flag,
       '{{ ref("people").render() }}' as rendered
from {{ ref('people') }} p cross join {{ ref('constants') }} c
EOT
cat >models/only_people.sql <<'EOT'
{{ config(materialized='ephemeral') }}
select id from {{ ref('people') }}
EOT
cat >models/via_ephemeral.sql <<'EOT'
{{ config(materialized='view') }}
select * from {{ ref('only_people') }}
EOT
cat >models/from_source.sql <<'EOT'
select * from {{ source('raw', 'people') }}
EOT
cat >models/grows.sql <<'EOT'
{{ config(materialized='incremental', unique_key='id') }}
select id, name from {{ ref('people') }}
{% if is_incremental() %}where id > (select coalesce(max(id), 0) from {{ this }}){% endif %}
EOT
cat >models/schema.yml <<'EOT'
version: 2
sources:
  - name: raw
    schema: main
    tables:
      - name: people
models:
  - name: people_x
    columns:
      - name: id
        tests: [not_null, unique]
EOT
q() { "$MALLARD_BIN_DIR/db_query" hollow.duckdb "$1" | tr '\t\n' ',;'; }
counts() { q "select (select count(*) from people), (select count(*) from people_x),
  (select count(*) from via_ephemeral), (select count(*) from from_source),
  (select count(*) from grows), (select count(*) from constants)"; }

run_mallard seed
check "seed loads" rc_is 0
run_mallard build --empty
check "build --empty exits 0" rc_is 0
check "build --empty: every node passed" out_has "PASS=8 WARN=0 ERROR=0 SKIP=0 TOTAL=8"
check "seed loaded in full, models empty (a model without refs keeps its row)" \
  test "$(counts)" = "3,0,0,0,0,1;"
check "the empty model has the model's columns" \
  test "$(q "select string_agg(column_name || ':' || data_type, ' ' order by ordinal_position) from information_schema.columns where table_name = 'people_x'")" \
  = "id:INTEGER name:VARCHAR n:INTEGER empty_flag:VARCHAR rendered:VARCHAR;"
compiled=target/compiled/hollow/models/people_x.sql
check "ref() renders limited, with no alias" \
  grep -qF 'from (select * from "hollow"."main"."people" where false limit 0) p cross join (select * from "hollow"."main"."constants" where false limit 0) c' "$compiled"
check "flags.EMPTY is true" grep -qF "'True' as empty_flag" "$compiled"
check ".render() is the plain name" grep -qF "'\"hollow\".\"main\".\"people\"' as rendered" "$compiled"
check "source() renders limited" \
  grep -qF '(select * from "hollow"."main"."people" where false limit 0)' target/compiled/hollow/models/from_source.sql
check "an ephemeral is limited as dbt limits its CTE" \
  grep -qF '(select * from __dbt__cte__only_people where false limit 0)' target/compiled/hollow/models/via_ephemeral.sql

run_mallard build
check "a plain build exits 0" rc_is 0
check "a plain build fills every model" test "$(counts)" = "3,3,3,3,3,1;"
check "flags.EMPTY is false without the flag" test "$(q 'select distinct empty_flag from people_x')" = "False;"
printf '4,dee\n' >>seeds/people.csv
run_mallard seed
run_mallard run --empty -s grows
check "run --empty on an incremental exits 0" rc_is 0
check "run --empty adds nothing to an incremental" test "$(q 'select count(*) from grows')" = "3;"
run_mallard run -s grows
check "a plain run then adds the new row" test "$(q 'select count(*) from grows')" = "4;"

for cmd in seed test; do
  run_mallard $cmd --empty
  check "$cmd --empty is refused" rc_is 2
  check "$cmd --empty says why" out_has "not supported yet: --empty with '$cmd'"
done
finish
