#!/bin/bash
# t0401: `mallard compile` writes each model, test and analysis to
# target/compiled/<project>/<path> as dbt does, inlines ephemeral models as
# __dbt__cte__ CTEs (chains in dependency order, into an existing WITH or a
# new one), resolves refs and sources to relations, and applies --vars.
. "$(dirname "$0")/lib.sh"

P=$SCRATCH/shop
cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/p1_shop" "$P"
cd "$P"
run_mallard compile
check "compile succeeds" rc_is 0
C=target/compiled/mallard_shop
for f in models/staging/stg_people.sql models/staging/stg_purchases.sql \
  models/staging/paid_purchases.sql models/marts/spend_by_person.sql analyses/top_spenders.sql \
  tests/assert_no_negative_spend.sql models/marts/schema.yml/unique_spend_by_person_person_id.sql \
  models/marts/schema.yml/accepted_values_spend_by_perso_42d0fbaf7c68e92e8cd40bacbcd4454f.sql \
  models/staging/sources.yml/source_unique_shop_raw_visits_visit_id.sql; do
  check "compiled $f" test -f "$C/$f"
done
check "seeds are not compiled" test ! -e "$C/seeds"

check "ref to a seed" grep -qF 'from "shop"."main"."raw_people"' $C/models/staging/stg_people.sql
check "source() to its identifier" grep -qF '"shop"."landing"."visit_log"' $C/models/staging/stg_visits.sql
check "macro and var" grep -qF '(amount_cents / 100)::decimal(16, 2) as amount' $C/models/staging/stg_purchases.sql
check "no Jinja left" bash -c "! grep -rq '{{\|{%' $C"

# The ephemeral chain: stg_purchases -> paid_purchases (has its own WITH) -> spend_by_person.
/usr/bin/python3 - "$C" <<'PY' >"$SCRATCH/eph" 2>&1
import sys
c = sys.argv[1]
spend = open(f"{c}/models/marts/spend_by_person.sql").read()
paid = open(f"{c}/models/staging/paid_purchases.sql").read()
stg = open(f"{c}/models/staging/stg_purchases.sql").read()
body = lambda s: s  # an ephemeral's CTE body is its own SQL, without injected CTEs
want_spend = ("\n\nwith __dbt__cte__stg_purchases as (\n" + stg + "\n),  __dbt__cte__paid_purchases as (\n"
              + "\n\nwith base as (\n    select * from __dbt__cte__stg_purchases\n)\nselect * from base where status = 'paid'"
              + "\n) select")
assert spend.startswith(want_spend), repr(spend[:400])
assert "left join __dbt__cte__paid_purchases s on" in spend
assert paid.startswith("\n\nwith __dbt__cte__stg_purchases as (\n" + stg + "\n),  base as ("), repr(paid[:300])
PY
check "ephemeral CTEs injected as dbt injects them" test ! -s "$SCRATCH/eph" || { cat "$SCRATCH/eph"; false; }

check "generic test SQL" grep -qF "where value_field not in (
    'Ada','Brian','Chloe','a name long enough to push this test past the limit'
)" $C/models/marts/schema.yml/accepted_values_spend_by_perso_42d0fbaf7c68e92e8cd40bacbcd4454f.sql
check "relationships test uses to:" grep -qF 'from "shop"."main_stg"."stg_people"' \
  $C/models/marts/schema.yml/relationships_spend_by_person_9735454380bfc3d17b5ec89fdbdcdc89.sql
check "custom generic test argument" grep -qF 'where paid_amount < 0' \
  $C/models/marts/schema.yml/positive_spend_by_person_True__paid_amount.sql

run_mallard compile --vars '{min_amount: 99}' -s stg_purchases
check "--vars over project vars" grep -qF 'amount_cents >= 99' $C/models/staging/stg_purchases.sql
check "one selected node is printed" out_has "Compiled node 'stg_purchases' is:"
check "manifest records compiled code" /usr/bin/python3 -c "
import json; m = json.load(open('target/manifest.json'))
n = m['nodes']['model.mallard_shop.stg_purchases']
assert 'amount_cents >= 99' in n['compiled_code'] and n['compiled_path'].endswith('stg_purchases.sql')"

finish
