#!/bin/bash
# t0406: parsing on several threads gives exactly what the serial path
# gives: the same manifest bytes (node order, ids, configs, tests) and, when
# several declarations are wrong, the same first error.
. "$(dirname "$0")/lib.sh"

P=$SCRATCH/bench
/usr/bin/python3 "$MALLARD_SOURCE_DIR/bench/parse/gen_project.py" "$P" 400 >/dev/null

# generated_at and invocation_id differ between any two runs
normalized() {
  sed -E 's/"generated_at": "[^"]*"/"generated_at": "-"/; s/"invocation_id": "[^"]*"/"invocation_id": "-"/' \
    "$P/target/manifest.json" >"$1"
}
for t in 1 2 5; do
  MALLARD_PARSE_THREADS=$t run_mallard parse --project-dir "$P"
  check "parse with $t thread(s)" rc_is 0
  normalized "$SCRATCH/m$t.json"
done
check "manifest on 2 threads is byte-identical to 1 thread" cmp "$SCRATCH/m1.json" "$SCRATCH/m2.json"
check "manifest on 5 threads is byte-identical to 1 thread" cmp "$SCRATCH/m1.json" "$SCRATCH/m5.json"
check "manifest lists every node" grep -q '"test.bench.unique_l4_m49_id\.' "$SCRATCH/m1.json"

# Two models with a config() of the wrong type (found while the models
# render on all threads): the first model's error is the one reported.
first_model=$(ls "$P"/models/layer_0/f0/*.sql | head -1)
last_model=$(ls "$P"/models/layer_4/*/*.sql | tail -1)
cp "$first_model" "$SCRATCH/first.sql"
cp "$last_model" "$SCRATCH/last.sql"
printf '{{ config(materialized=["table"]) }}\n' | cat - "$SCRATCH/first.sql" >"$first_model"
printf '{{ config(enabled="yes") }}\n' | cat - "$SCRATCH/last.sql" >"$last_model"
for t in 1 4; do
  MALLARD_PARSE_THREADS=$t run_mallard parse --project-dir "$P"
  check "bad config(), $t thread(s): fails" rc_is 2
  check "bad config(), $t thread(s): the first model is named" out_has "$(basename "$first_model")"
  check "bad config(), $t thread(s): says what is wrong" out_has "materialized"
done
cp "$SCRATCH/first.sql" "$first_model"
cp "$SCRATCH/last.sql" "$last_model"

# A dbt_project.yml config whose Jinja fails: the same error on any
# thread count (configs fall back to the serial order).
Q=$SCRATCH/levels
/usr/bin/python3 "$MALLARD_SOURCE_DIR/bench/parse/gen_project.py" "$Q" 300 >/dev/null
sed -i 's/^    layer_4:$/    layer_2:\n      +meta: {owner: "{{ var('"'"'nope'"'"') }}"}\n    layer_4:/' "$Q/dbt_project.yml"
for t in 1 3; do
  MALLARD_PARSE_THREADS=$t run_mallard parse --project-dir "$Q"
  check "failing project config Jinja, $t thread(s): fails" rc_is 2
  check "failing project config Jinja, $t thread(s): named" out_has "dbt_project.yml:11:14"
done

# Two wrong test declarations far apart (an early and a late folder): every
# thread count reports the early one, the first in file order.
early=$(ls "$P"/models/layer_0/*/schema.yml | head -1)
late=$(ls "$P"/models/layer_4/*/schema.yml | tail -1)
sed -i '0,/- unique$/s//- "not a test name"/' "$early"
sed -i '0,/- not_null$/s//- "also bad"/' "$late"
for t in 1 2 5; do
  MALLARD_PARSE_THREADS=$t run_mallard parse --project-dir "$P"
  check "bad test: $t thread(s) fail" rc_is 2
  check "bad test: $t thread(s) name the first one" out_has "'not a test name' is not a valid test name"
  grep -v '^[0-9:]* *$' "$SCRATCH/out" | sed -E 's/^[0-9]{2}:[0-9]{2}:[0-9]{2} +//' >"$SCRATCH/err$t"
done
check "same error text on 1 and 5 threads" cmp "$SCRATCH/err1" "$SCRATCH/err5"

# A YAML syntax error after the bad test still reports the test (files are
# parsed in parallel but applied in order) ...
printf 'models:\n  - name: [unclosed\n' >"$(dirname "$late")/zz_broken.yml"
for t in 1 3; do
  MALLARD_PARSE_THREADS=$t run_mallard parse --project-dir "$P"
  check "later YAML error, $t thread(s): the earlier bad test is reported" \
    out_has "'not a test name' is not a valid test name"
done
# ... and one before it is reported instead.
mv "$(dirname "$late")/zz_broken.yml" "$(dirname "$early")/aa_broken.yml"
for t in 1 3; do
  MALLARD_PARSE_THREADS=$t run_mallard parse --project-dir "$P"
  check "earlier YAML error, $t thread(s): reported" out_has "aa_broken.yml:3"
done
finish
