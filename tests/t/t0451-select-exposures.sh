#!/bin/bash
# t0451: exposures in selection and ls, as dbt has them: graph nodes that
# depend on what they ref, selected by exposure:, reached by x+, listed by
# default and printed as exposure:package.name.
. "$(dirname "$0")/lib.sh"

P=$SCRATCH/shop
cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/select_shop" "$P"
cat >>"$P/models/marts/schema.yml" <<'YML'

exposures:
  - name: dash
    type: dashboard
    owner:
      name: Ann
      email: ann@example.com
    depends_on:
      - ref('customers')
YML

names() {
  set +e
  got=$("$MALLARD" ls --project-dir "$P" -o name "$@" 2>&1 | grep -v '^[0-9][0-9]:' | tr '\n' ' ' | sed 's/ $//')
  set -e
}
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
    check "$what" false
  fi
}

lists "exposure: selects the exposure alone" "dash" -s exposure:dash
lists "exposure: with the package" "dash" -s "exposure:shop.d*"
lists "x+ reaches the exposure" "dash customers" -s customers+ --resource-type model exposure
lists "+exposure selects its upstream" "dash customers stg_customers stg_orders" -s +exposure:dash --resource-type model exposure
lists "listed by default" "dash" -s resource_type:exposure
lists "a bare name selects an exposure too (dbt matches its fqn)" "dash" -s dash
run_mallard ls --project-dir "$P" -s exposure:dash
check "selector output is exposure:package.name" out_has "exposure:shop.dash"
run_mallard ls --project-dir "$P" -s exposure:dash --output json
check "json keys for an exposure" out_has '{"name": "dash", "resource_type": "exposure", "package_name": "shop", "original_file_path": "models/marts/schema.yml", "unique_id": "exposure.shop.dash", "tags": [], "config": {'
check "json: the exposure's depends_on" out_has '"depends_on": {"macros": [], "nodes": ["model.shop.customers"]}}'

finish
