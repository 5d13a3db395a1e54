#!/bin/bash
# t0403: Jinja inside YAML configs (dbt_project.yml and properties files),
# rendered natively as dbt renders them; var() precedence (--vars over
# project vars, project-scoped vars); disabled nodes leave the graph and
# show up under "disabled" in the manifest.
. "$(dirname "$0")/lib.sh"

P=$SCRATCH/shop
cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/p1_shop" "$P"
cd "$P"
cat >>profiles.yml <<'YML'
    prod:
      type: duckdb
      path: prod.duckdb
      schema: analytics
YML
sed -i "s/      +schema: stg/      +schema: \"{{ env_var('T0403_STG', 'stg') }}\"\n      stg_visits:\n        +enabled: \"{{ target.name == 'dev' }}\"/" dbt_project.yml
sed -i "s/      materialized: table/      materialized: \"{{ 'table' if var('min_amount') > 5 else 'view' }}\"/" models/marts/schema.yml
cat >>dbt_project.yml <<'YML'
  mallard_shop:
    scoped_var: from_project_scope
YML
sed -i 's/^vars:/vars:\n  mallard_shop:\n    scoped_var: from_project_scope/' dbt_project.yml
sed -i '$d' dbt_project.yml; sed -i '$d' dbt_project.yml
echo "select '{{ var('scoped_var') }}' as s, {{ var('min_amount') }} as m, '{{ var('absent', 'fallback') }}' as f" >models/vars_probe.sql

manifest() { /usr/bin/python3 -c "import json,sys; m=json.load(open('target/manifest.json')); $1"; }

T0403_STG=from_env run_mallard compile -s vars_probe
check "compile with env in YAML" rc_is 0
check "env_var in project config" manifest "assert m['nodes']['model.mallard_shop.stg_people']['schema'] == 'main_from_env'"
check "Jinja in properties config" manifest "assert m['nodes']['model.mallard_shop.spend_by_person']['config']['materialized'] == 'table'"
check "rendered boolean keeps the node" manifest "assert 'model.mallard_shop.stg_visits' in m['nodes']"
check "project-scoped var, project var and default" grep -qF "select 'from_project_scope' as s, 10 as m, 'fallback' as f" target/compiled/mallard_shop/models/vars_probe.sql

run_mallard compile -s vars_probe --vars '{min_amount: 3, scoped_var: from_cli}'
check "--vars wins" grep -qF "select 'from_cli' as s, 3 as m" target/compiled/mallard_shop/models/vars_probe.sql
check "--vars reaches YAML configs" manifest "assert m['nodes']['model.mallard_shop.spend_by_person']['config']['materialized'] == 'view'"

run_mallard parse --target prod
check "parse for prod" rc_is 0
check "target-dependent enabled: false disables" manifest "assert 'model.mallard_shop.stg_visits' not in m['nodes'] and 'model.mallard_shop.stg_visits' in m['disabled']"
check "prod schema" manifest "assert m['nodes']['model.mallard_shop.stg_people']['schema'] == 'analytics_stg'"
check "prod database" manifest "assert m['nodes']['model.mallard_shop.stg_people']['database'] == 'prod'"

echo "select * from {{ ref('stg_visits') }}" >models/needs_visits.sql
run_mallard parse --target prod
check "ref to a disabled model fails" rc_is 2
check "and says it is disabled" out_has "depends on a node named 'stg_visits' which is disabled"

# a var whose value is Jinja is rendered when read, as dbt renders it
sed -i "s/  shop_label: corner shop/  shop_label: \"{{ env_var('T0403_LABEL', 'none') }}-{{ target.name }}\"/" dbt_project.yml
rm -f models/needs_visits.sql
echo "select '{{ var('shop_label') }}' as l" >models/label_probe.sql
T0403_LABEL=corner run_mallard compile -s label_probe
check "Jinja in a var value" grep -qF "select 'corner-dev' as l" target/compiled/mallard_shop/models/label_probe.sql

finish
