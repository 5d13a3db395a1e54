#!/bin/bash
# t0450: `mallard ls` over the select_shop fixture -- every selection method,
# graph and set operator, indirect selection mode, selectors.yml and the
# output formats.  Expected sets follow dbt's documented selection semantics
# for this graph:
#   raw_shop_orders -> stg_orders -> customers -> explore (analysis)
#   raw.customers -> stg_customers -> customers;  stg_orders -> orders
#   tests: not_null_customers_id (customers), relationships (customers, stg_orders),
#          assert_positive (orders), source_not_null_raw_customers_id (raw.customers)
. "$(dirname "$0")/lib.sh"

P=$SCRATCH/shop
cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/select_shop" "$P"
NN=not_null_customers_id
REL=relationships_customers_id__customer_id__ref_stg_orders_
SNN=source_not_null_raw_customers_id

# names ARGS...: the names `mallard ls -o name` prints, space separated, in $got.
names() {
  set +e
  got=$("$MALLARD" ls --project-dir "$P" -o name "$@" 2>"$SCRATCH/err" | grep -v '^[0-9][0-9]:' | tr '\n' ' ' | sed 's/ $//')
  set -e
}

# lists "description" "expected names" ARGS...
lists() {
  local what=$1 want=$2
  shift 2
  names "$@"
  if [ "$got" = "$want" ]; then
    check "$what" true
  else
    echo "  mallard ls $*"
    echo "  got:  $got"
    echo "  want: $want"
    cat "$SCRATCH/err"
    check "$what" false
  fi
}

ALL="customers orders stg_customers stg_orders raw_shop_orders raw.customers assert_positive $NN $REL $SNN"
lists "default: every node but analyses" "$ALL"
lists "a model brings its tests" "customers $NN $REL" -s customers
lists "+x: ancestors" "customers stg_customers stg_orders raw_shop_orders raw.customers $NN $REL $SNN" -s +customers
lists "x+: descendants" "customers $NN $REL" -s customers+
lists "n+x: ancestors to a depth" "customers stg_customers stg_orders $NN $REL" -s 1+customers
lists "x+n: descendants to a depth" "customers orders stg_orders assert_positive $NN $REL" -s stg_orders+1
lists "@x: descendants and their ancestors" "customers stg_customers stg_orders raw_shop_orders raw.customers $NN $REL $SNN" -s @stg_customers
lists "union of several -s words" "customers orders assert_positive $NN $REL" -s customers orders
lists "union inside one word" "customers orders assert_positive $NN $REL" -s "customers orders"
lists "intersection" "customers $NN $REL" -s tag:nightly,config.materialized:table
lists "exclude drops the node and its tests" "stg_orders" -s tag:nightly --exclude customers
lists "tag:" "customers stg_orders $NN $REL" -s tag:nightly
lists "tag: with a wildcard" "stg_customers stg_orders $REL" -s "tag:stag*"
lists "path: a folder" "stg_customers stg_orders raw.customers $REL $SNN" -s path:models/staging
lists "a bare path" "stg_customers stg_orders raw.customers $REL $SNN" -s models/staging
lists "path: a glob" "stg_customers stg_orders $REL" -s "path:models/*/stg_*.sql"
lists "path: a properties file selects what it describes" "customers $NN $REL" -s path:models/marts/schema.yml
lists "file:" "stg_orders $REL" -s file:stg_orders.sql
lists "file: without the extension" "stg_orders $REL" -s file:stg_orders
lists "a bare file name" "stg_orders $REL" -s stg_orders.sql
lists "a folder name" "stg_customers stg_orders $REL $SNN" -s staging
lists "fqn: with a wildcard" "stg_customers stg_orders $REL $SNN" -s "fqn:shop.staging.*"
lists "package:" "$ALL" -s package:shop
lists "resource_type:" "assert_positive $NN $REL $SNN" -s resource_type:test
lists "source:" "raw.customers $SNN" -s source:raw
lists "source: with a table" "raw.customers $SNN" -s source:raw.customers
lists "+source: graph operators on a source" "customers stg_customers raw.customers $NN $REL $SNN" -s source:raw+1 source:raw+2
lists "test_type:singular" "assert_positive" -s test_type:singular
lists "test_type:generic" "$NN $REL $SNN" -s test_type:generic
lists "test_name:" "$NN $SNN" -s test_name:not_null
lists "config.materialized:" "orders assert_positive" -s config.materialized:incremental
lists "config.<nested key>:" "customers $NN $REL" -s config.meta.owner:ann
lists "config.<list>: membership" "stg_customers stg_orders $REL" -s config.tags:staging
lists "indirect selection: cautious" "customers $NN" -s customers --indirect-selection cautious
lists "indirect selection: buildable" "customers $NN $REL" -s customers --indirect-selection buildable
lists "indirect selection: empty" "customers" -s customers --indirect-selection empty
lists "--selector with union and exclude" "customers orders assert_positive $NN" --selector nightly_marts
lists "--selector with parents_depth and cautious" "customers stg_customers stg_orders $NN $REL" --selector upstream
lists "--selector with an intersection" "stg_orders $REL" --selector staged_nightly
lists "--selector referring to a selector" "orders stg_orders assert_positive $REL" --selector with_orders
lists "selector: method on the command line" "stg_orders $REL" -s selector:staged_nightly
lists "--selector wins over --select" "stg_orders $REL" --selector staged_nightly -s customers
lists "--resource-type" "customers orders stg_customers stg_orders" --resource-type model
lists "--resource-type, several" "customers orders stg_customers stg_orders raw_shop_orders" --resource-type model seed
lists "--resource-type all adds analyses" "explore customers orders stg_customers stg_orders raw_shop_orders raw.customers assert_positive $NN $REL $SNN" --resource-type all
lists "--resource-type with a selection" "explore customers" -s customers+ --resource-type analysis model
lists "--exclude-resource-type" "customers orders stg_customers stg_orders raw_shop_orders raw.customers" --exclude-resource-type test
lists "-m limits to models" "customers" -m customers+

# No match: dbt's warning, nothing listed, still exit 0.
run_mallard ls --project-dir "$P" -s nosuch
check "no match exits 0" rc_is 0
check "no match warns about the criterion" out_has "The selection criterion 'nosuch' does not match any enabled nodes"
check "no match says no nodes were selected" out_has "No nodes selected!"

# Output formats.
run_mallard ls --project-dir "$P" -s stg_customers+ --resource-type model
check "selector output is the fqn" out_has "shop.staging.stg_customers"
check "selector output lists descendants" out_has "shop.marts.customers"
run_mallard ls --project-dir "$P" -s source:raw --exclude test_type:generic
check "sources print as source:package.source.table" out_has "source:shop.raw.customers"
run_mallard ls --project-dir "$P" -s stg_orders --resource-type model --output path
check "path output" out_has "models/staging/stg_orders.sql"
run_mallard ls --project-dir "$P" -s stg_customers --resource-type model --output json
check "json: dbt's keys, in dbt's order" out_has '{"name": "stg_customers", "resource_type": "model", "package_name": "shop", "original_file_path": "models/staging/stg_customers.sql", "unique_id": "model.shop.stg_customers", "alias": "stg_customers", "config": {'
check "json: tags and depends_on last" out_has '"tags": ["staging"], "depends_on": {"macros": [], "nodes": ["source.shop.raw.customers"]}}'
check "json: the resolved config" out_has '"materialized": "view"'
run_mallard ls --project-dir "$P" -s source:raw --resource-type source --output json
check "json: a source has source_name, tags and config" out_has '"unique_id": "source.shop.raw.customers", "source_name": "raw", "tags": ["pii"], "config": {'
run_mallard ls --project-dir "$P" -s stg_orders --resource-type model --output json --output-keys name config.materialized tags
check "json with --output-keys" out_has '{"name": "stg_orders", "config.materialized": "view", "tags": ["staging", "nightly"]}'
check "ls writes target/manifest.json" test -s "$P/target/manifest.json"
run_mallard list --project-dir "$P" -s orders --resource-type model
check "list is ls" out_has "shop.marts.orders"

# Bad input: one clear error, exit 2.
run_mallard ls --project-dir "$P" -s bogus:x
check "unknown method: exit 2" rc_is 2
check "unknown method: named" out_has "'bogus' is not a valid method name"
run_mallard ls --project-dir "$P" -s @customers+
check "@ and + together" out_has "cannot be combined"
run_mallard ls --project-dir "$P" -s customers++
check "a stray operator" out_has "bad graph operator"
run_mallard ls --project-dir "$P" -s resource_type:table
check "bad resource_type value" out_has 'invalid resource_type selector "table"'
run_mallard ls --project-dir "$P" --selector nope
check "unknown selector: exit 2" rc_is 2
check "unknown selector: lists the known ones" out_has "could not find selector named 'nope'"
check "unknown selector: names one" out_has "'nightly_marts'"
run_mallard ls --project-dir "$P" --output xml
check "bad --output" out_has "invalid value for --output: 'xml'"
run_mallard ls --project-dir "$P" --resource-type table
check "bad --resource-type" out_has "invalid value for --resource-type: 'table'"
run_mallard ls --project-dir "$P" --indirect-selection wild
check "bad --indirect-selection" out_has "invalid value for --indirect-selection: 'wild'"
run_mallard ls --project-dir "$P" -m customers -s orders
check "-m with -s" rc_is 2

# selectors.yml: a default selector, and a malformed file.
cp "$P/selectors.yml" "$SCRATCH/selectors.orig"
cat >>"$P/selectors.yml" <<'YML'
  - name: everyday
    default: true
    definition: tag:staging
YML
lists "a default selector applies without -s" "stg_customers stg_orders $REL"
lists "-s overrides the default selector" "orders assert_positive" -s orders
printf 'selectors:\n  - name: a\n    definition:\n      - tag:x\n' >"$P/selectors.yml"
run_mallard ls --project-dir "$P"
check "malformed selectors.yml: exit 2" rc_is 2
check "malformed selectors.yml: file, line and column" out_has "selectors.yml:4:7: a selector definition cannot be a list"
printf 'selectors:\n  - name: a\n    definition: {method: tagg, value: x}\n' >"$P/selectors.yml"
run_mallard ls --project-dir "$P" -s orders
check "bad method in selectors.yml: file, line and column" out_has "selectors.yml:3:26: invalid selector method 'tagg'"
printf 'selectors:\n  - name: a\n    definition: [\n' >"$P/selectors.yml"
run_mallard ls --project-dir "$P" -s orders
check "YAML syntax error in selectors.yml" out_has "selectors.yml:"
cp "$SCRATCH/selectors.orig" "$P/selectors.yml"

finish
