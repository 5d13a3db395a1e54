#!/usr/bin/env bash
# t0510: jaffle_shop parity against an independent oracle.  Skipped (77)
# unless JAFFLE_DIR points to a checkout of jaffle_shop_duckdb (never
# committed here).  The project is copied, built with `mallard build` from
# its own profile (threads: 24), then rebuilt without mallard: Debian's
# Python Jinja2 renders every model with ref() as the bare relation name,
# DuckDB's CSV reader loads the seeds, and db_query runs the SQL in
# dependency order into a second database.  Every relation is compared both
# ways with EXCEPT ALL, and by its column names.
. "$(dirname "$0")/lib.sh"

if [ -z "${JAFFLE_DIR:-}" ] || [ ! -f "${JAFFLE_DIR}/dbt_project.yml" ]; then
  echo "skip: set JAFFLE_DIR to a jaffle_shop_duckdb checkout"
  rm -rf "$SCRATCH"
  exit 77
fi
if ! /usr/bin/python3 -c 'import jinja2, yaml' 2>/dev/null; then
  echo "skip: /usr/bin/python3 lacks jinja2 or yaml"
  rm -rf "$SCRATCH"
  exit 77
fi

cp -r "$JAFFLE_DIR" "$SCRATCH/j"
cd "$SCRATCH/j"
rm -rf target logs ./*.duckdb ./*.duckdb.wal
db=$(/usr/bin/python3 -c 'import yaml,sys; p=yaml.safe_load(open("profiles.yml")); t=p[list(p)[0]]; print(t["outputs"][t["target"]]["path"])')

run_mallard build
check "mallard build exits 0" rc_is 0
check "mallard build: dbt's totals" out_has "PASS=28 WARN=0 ERROR=0 SKIP=0 TOTAL=28"
check "the profile's 24 threads" out_has "Concurrency: 24 threads"

# The oracle: plain Jinja2, refs as bare names, in dependency order.
/usr/bin/python3 - >oracle.sql <<'PY'
import glob, os, sys, yaml, jinja2
proj = yaml.safe_load(open("dbt_project.yml"))
model_paths = proj.get("model-paths", ["models"])
seed_paths = proj.get("seed-paths", ["seeds"])
vars_ = proj.get("vars", {}) or {}

models = {}
for mp in model_paths:
    for path in glob.glob(f"{mp}/**/*.sql", recursive=True):
        models[os.path.splitext(os.path.basename(path))[0]] = open(path).read()
seeds = {}
for sp in seed_paths:
    for path in glob.glob(f"{sp}/**/*.csv", recursive=True):
        seeds[os.path.splitext(os.path.basename(path))[0]] = path

env = jinja2.Environment(extensions=["jinja2.ext.do"])
def render(name, refs):
    def ref(*args, **kw):
        refs.append(args[-1])
        return args[-1]
    ctx = dict(ref=ref, source=lambda s, t: t, config=lambda *a, **k: "",
               var=lambda k, d=None: vars_.get(k, d), is_incremental=lambda: False,
               this=name, target=dict(name="dev", schema="main", type="duckdb"),
               execute=True)
    return env.from_string(models[name]).render(**ctx)

deps = {}
for name in models:
    refs = []
    render(name, refs)
    deps[name] = [r for r in refs if r in models]
order, done = [], set()
def visit(n):
    if n in done:
        return
    done.add(n)
    for d in deps[n]:
        visit(d)
    order.append(n)
for n in sorted(models):
    visit(n)

for name, path in sorted(seeds.items()):
    print(f"create table {name} as select * from read_csv('{path}', header = true);")
for name in order:
    print(f"create table {name} as (\n{render(name, [])}\n);")
print("-- relations: " + " ".join(sorted(seeds) + order))
PY
check "the oracle renders" test -s oracle.sql
"$MALLARD_BIN_DIR/db_query" -w oracle.duckdb "$(cat oracle.sql)" >/dev/null
check "the oracle's SQL runs" test $? -eq 0
relations=$(sed -n 's/^-- relations: //p' oracle.sql)
echo "# relations: $relations"

# attached under its own name, so mallard's views (which name their
# catalog) resolve
cat=$(basename "$db" .duckdb)
compared=0
for r in $relations; do
  both=$("$MALLARD_BIN_DIR/db_query" -w oracle.duckdb "attach '$db' as \"$cat\" (read_only);
    select (select count(*) from (select * from \"$cat\".main.$r except all select * from main.$r)),
           (select count(*) from (select * from main.$r except all select * from \"$cat\".main.$r)),
           (select count(*) from \"$cat\".main.$r), (select count(*) from main.$r),
           (select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_catalog = '$cat' and table_name = '$r')
             = (select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_schema = 'main' and table_name = '$r' and table_catalog = 'oracle'),
           (select string_agg(data_type, ' ' order by ordinal_position) from information_schema.columns where table_catalog = '$cat' and table_name = '$r'),
           (select string_agg(data_type, ' ' order by ordinal_position) from information_schema.columns where table_schema = 'main' and table_name = '$r' and table_catalog = 'oracle')" 2>&1 | tr '\t' ',')
  # types are reported, not compared: dbt-duckdb's agate inference (which
  # mallard follows) and DuckDB's CSV sniffer differ on purpose (INTEGER vs
  # BIGINT)
  echo "# $r: only-mallard,only-oracle,mallard-rows,oracle-rows,same-columns,mallard-types,oracle-types = $both"
  check "$r: equal both ways, same columns" test "${both%%,*}" = 0 -a "$(echo "$both" | cut -d, -f2)" = 0 -a "$(echo "$both" | cut -d, -f5)" = true
  compared=$((compared + 1))
done
check "every seed and model compared" test "$compared" -ge 8
extra=$("$MALLARD_BIN_DIR/db_query" "$db" "select table_name from information_schema.tables where table_schema = 'main' order by 1" | tr '\n' ' ')
check "mallard built nothing the oracle lacks" test "$extra" = "$(echo "$relations" | tr ' ' '\n' | sort | tr '\n' ' ')"
finish
