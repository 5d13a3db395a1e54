#!/usr/bin/env bash
# t0520: `mallard show`, dbt show's preview.  A model with an ephemeral
# parent is compiled with the CTE inlined and previewed under its LIMIT;
# --inline resolves ref(); --output json wraps the rows as dbt does.  The
# table and JSON layouts are checked against agate itself (Debian's
# python3-agate, the library dbt prints with) on the same values.
. "$(dirname "$0")/lib.sh"

cp -r "$MALLARD_SOURCE_DIR/tests/fixtures/run_orchard" "$SCRATCH/p"
cd "$SCRATCH/p"
run_mallard build
check "the fixture builds" rc_is 0

run_mallard show -s tall_summary
check "show exits 0" rc_is 0
check "it names the node as dbt does" out_has "Previewing node 'tall_summary':"
check "the ephemeral parent is inlined and the rows are right" \
  eval 'grep -A4 "Previewing node" "$SCRATCH/out" | tail -4 | sort | tr -d " " | grep -qx "|apple|1|" && grep -q "| variety | n_tall |" "$SCRATCH/out"'
check "the compiled SQL has the CTE" grep -q "__dbt__cte__tall_trees" target/compiled/orchard/models/tall_summary.sql

run_mallard show -s stg_trees --limit 2
check "--limit bounds the rows" test "$(grep -c '^| *[0-9]' "$SCRATCH/out")" = 2
run_mallard show -s stg_trees --limit -1
check "a negative --limit shows every row" test "$(grep -c '^| *[0-9]' "$SCRATCH/out")" = 5

run_mallard show --inline "select tree_id from {{ ref('stg_trees') }} where variety = 'pear' order by 1"
check "--inline resolves ref()" eval 'out_has "Previewing inline node:" && out_has "|       3 |" && out_has "|       5 |"'

# The layout, against agate on the same values.
inline="select 1 as id, 'abc' as name, 1234.50::DECIMAL(10,2) as amt, true as ok, DATE '2024-01-02' as d, \
TIMESTAMP '2024-01-02 03:04:05.5' as ts, 3.14159::DOUBLE as pi \
union all select 22, 'Zoë', -0.25, false, NULL, TIMESTAMP '2024-01-02 03:04:05', NULL \
union all select 1000000, 'a long name that is clipped', NULL, NULL, DATE '1999-12-31', NULL, 2.5 order by 1"
run_mallard show --inline "$inline" --limit 10
check "inline preview exits 0" rc_is 0
sed -n '/Previewing inline node:/,$p' "$SCRATCH/out" | tail -n +2 >"$SCRATCH/ours.txt"
run_mallard show --inline "$inline" --limit 10 --output json
sed -n '/{$/,$p' "$SCRATCH/out" | sed '1s/^.*{$/{/' >"$SCRATCH/ours.json"
run_mallard show -s variety_counts --output json
sed -n '/{$/,$p' "$SCRATCH/out" | sed '1s/^.*{$/{/' >"$SCRATCH/node.json"

if /usr/bin/python3 -c 'import agate' 2>/dev/null; then
  /usr/bin/python3 - "$SCRATCH" <<'PY'
import agate, datetime, decimal, io, json, sys
d = sys.argv[1]
D = decimal.Decimal
rows = [
    [1, 'abc', D('1234.50'), True, datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, 5, 500000), 3.14159],
    [22, 'Zoë', D('-0.25'), False, None, datetime.datetime(2024, 1, 2, 3, 4, 5), None],
    [1000000, 'a long name that is clipped', None, None, datetime.date(1999, 12, 31), None, 2.5],
]
t = agate.Table(rows, ['id', 'name', 'amt', 'ok', 'd', 'ts', 'pi'],
                [agate.Number(), agate.Text(), agate.Number(), agate.Boolean(), agate.Date(),
                 agate.DateTime(), agate.Number()])
out = io.StringIO()
t.print_table(output=out, max_rows=None)
with open(d + '/agate.txt', 'w') as f:
    f.write(out.getvalue())
out = io.StringIO()
t.to_json(out)
with open(d + '/agate.json', 'w') as f:
    f.write(json.dumps({"show": json.loads(out.getvalue())}, indent=2) + "\n")
PY
  check "the text table is agate's print_table, cell for cell" diff "$SCRATCH/agate.txt" "$SCRATCH/ours.txt"
  check "the JSON is dbt's {\"show\": agate to_json}" diff "$SCRATCH/agate.json" "$SCRATCH/ours.json"
else
  echo "# python3-agate is not installed (scripts/install-deps): layout not compared"
fi
check "a node's JSON names it" eval '/usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert j[\"node\"] == \"variety_counts\" and len(j[\"show\"]) == 3 and sorted(r[\"variety\"] for r in j[\"show\"]) == [\"apple\", \"pear\", \"plum\"]" "$SCRATCH/node.json"'

run_mallard show
check "show without --select or --inline is refused" eval 'rc_is 2 && out_has "Either --select or --inline must be passed to show"'
run_mallard show -s trees
check "a seed says it is not supported yet" eval 'rc_is 2 && out_has "not supported yet: previewing seed.orchard.trees"'
run_mallard show --inline "select * from no_such_table"
check "a failing query exits 1 with DuckDB's message" eval 'rc_is 1 && out_has "no_such_table"'
run_mallard show -s stg_trees --output yaml
check "a bad --output is refused" eval 'rc_is 2 && out_has "--output must be text or json"'
finish
