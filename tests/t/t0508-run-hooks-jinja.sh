#!/usr/bin/env bash
# t0508: on-run-start and on-run-end hooks are Jinja, rendered at run time
# in the project's context as dbt renders them: on-run-start sees flags,
# vars and target; on-run-end also `results` (one per node: node, status,
# message, adapter_response, failures, thread_id, execution_time...),
# `schemas` and `database_schemas` (where nodes that did not fail built).
# Here an on-run-end hook inserts one row per result.
. "$(dirname "$0")/lib.sh"

mkdir -p "$SCRATCH/p/models" "$SCRATCH/p/seeds"
cd "$SCRATCH/p"
cat >dbt_project.yml <<'EOT'
name: hooked
version: "1.0"
profile: hooked
models:
  hooked:
    +materialized: table
    extra:
      +schema: extra
on-run-start:
  - "create table if not exists run_log (command varchar, batch integer, target_schema varchar)"
  - "insert into run_log values ('{{ flags.WHICH }}', {{ var('batch', 0) }}, '{{ target.schema }}')"
  - "{# blank once rendered: runs nothing #}"
on-run-end:
  - >-
    create table if not exists result_log (batch integer, hook varchar, unique_id varchar,
    name varchar, resource_type varchar, status varchar, message varchar, rows_affected bigint,
    failures bigint, ran boolean)
  - >-
    {% for r in results %}
    insert into result_log values ({{ var('batch', 0) }}, '{{ this.name }}',
    '{{ r.node.unique_id }}', '{{ r.node.name }}', '{{ r.node.resource_type }}', '{{ r.status }}',
    {% if r.status == 'error' %}'an error'{% else %}'{{ r.message }}'{% endif %},
    {{ r.adapter_response.rows_affected if r.adapter_response.rows_affected is defined else 'null' }},
    {{ 'null' if r.failures is none else r.failures }},
    {{ r.thread_id.startswith('Thread-') and r.execution_time >= 0 and r.timing | length > 0 }});
    {% endfor %}
  - >-
    create or replace table schema_log as
    select {{ var('batch', 0) }} as batch,
    '{{ schemas | sort | join(",") }}' as schemas,
    '{% for d, s in database_schemas | sort %}{{ d }}.{{ s }};{% endfor %}' as pairs
EOT
cat >profiles.yml <<'EOT'
hooked:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: hooked.duckdb
      schema: main
      threads: 2
EOT
printf 'id,colour\n1,red\n2,green\n3,red\n' >seeds/paint.csv
cat >models/reds.sql <<'EOT'
select * from {{ ref('paint') }} where colour = 'red'
EOT
mkdir models/extra
cat >models/extra/counted.sql <<'EOT'
select colour, count(*) as n from {{ ref('paint') }} group by all
EOT
cat >models/broken.sql <<'EOT'
select * from {{ ref('reds') }} where no_such_column = 1
EOT
cat >models/below_broken.sql <<'EOT'
select * from {{ ref('broken') }}
EOT
cat >models/schema.yml <<'EOT'
version: 2
models:
  - name: reds
    columns:
      - name: id
        tests:
          - unique
          - accepted_values:
              values: [1]
              config:
                severity: warn
EOT
q() { "$MALLARD_BIN_DIR/db_query" hooked.duckdb "$1" | tr '\t\n' ',;'; }

run_mallard build --vars '{batch: 7}'
check "build exits 1 (broken fails)" rc_is 1
check "dbt's hook lines" out_has "Running 2 on-run-start hooks"
check "on-run-end announced" out_has "2 of 3 START hook: hooked.on-run-end.1"
check "on-run-start rendered flags, vars and target" test "$(q 'select * from run_log')" = "build,7,main;"
check "one result row per node, with dbt's fields" test "$(q "select regexp_replace(unique_id, '\\.[0-9a-f]{10}\$', '') as id, name, resource_type, status, message, rows_affected, failures, ran from result_log order by id")" = \
"model.hooked.below_broken,below_broken,model,skipped,None,NULL,NULL,false;\
model.hooked.broken,broken,model,error,an error,NULL,NULL,true;\
model.hooked.counted,counted,model,success,OK,2,NULL,true;\
model.hooked.reds,reds,model,success,OK,2,NULL,true;\
seed.hooked.paint,paint,seed,success,INSERT 3,3,NULL,true;\
test.hooked.accepted_values_reds_id__1,accepted_values_reds_id__1,test,warn,Got 1 result, configured to warn if != 0,NULL,1,true;\
test.hooked.unique_reds_id,unique_reds_id,test,pass,None,NULL,0,true;"
check "the hook renders as its operation node" test "$(q 'select distinct hook from result_log')" = "hooked-on-run-end-1;"
check "schemas and database_schemas list where nodes built" test "$(q 'select schemas, pairs from schema_log')" = "main,main_extra,hooked.main;hooked.main_extra;;"

run_mallard run -s reds --vars '{batch: 8}'
check "run exits 0" rc_is 0
check "on-run-end sees only this run's results" test "$(q 'select count(*), min(unique_id) from result_log where batch = 8')" = "1,model.hooked.reds;"
check "flags.WHICH is the command" test "$(q 'select command from run_log where batch = 8')" = "run;"

cat >>dbt_project.yml <<'EOT'
  - "select {{ no_such_macro() }}"
EOT
run_mallard run -s reds
check "a hook that fails to render exits 2" rc_is 2
check "its error names dbt_project.yml" out_has "dbt_project.yml"
finish
