#!/usr/bin/env bash
# t0506: concurrency.  A generated 200-model project (four layers wired by
# ref(), tables, views, ephemerals and every incremental strategy, with
# data tests) is built with 8 threads, WIDE_REPEATS (default 20) times in a
# row: never a lock error, a conflict or a failure, and after every build
# each relation holds exactly the rows a Python oracle computes from the
# same generator.
. "$(dirname "$0")/lib.sh"

repeats=${WIDE_REPEATS:-20}
cd "$SCRATCH"
mkdir p
/usr/bin/python3 - p <<'EOF'
import os, random, sys
root = sys.argv[1]
rng = random.Random(200)
os.makedirs(f"{root}/models", exist_ok=True)
os.makedirs(f"{root}/seeds", exist_ok=True)
open(f"{root}/dbt_project.yml", "w").write(
    "name: wide\nversion: '1.0'\nprofile: wide\n"
    "models:\n  wide:\n    +materialized: view\n")
open(f"{root}/profiles.yml", "w").write(
    "wide:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
    "      path: wide.duckdb\n      schema: main\n      threads: 1\n")
# the seed: k, w for k in 0..49
with open(f"{root}/seeds/weights.csv", "w") as f:
    f.write("k,w\n")
    for k in range(50):
        f.write(f"{k},{(k * 7) % 13}\n")

ROWS = 50
layers = [20, 60, 60, 60]
names, rows = [], {}      # rows[name] = {k: v}
kinds = {}
tests = []
n = 0
for depth, width in enumerate(layers):
    layer = []
    for _ in range(width):
        name = f"m{n:03d}"
        n += 1
        if depth == 0:
            parents = []
        else:
            pool = [x for x in names if kinds[x] != "ephemeral" or rng.random() < 0.5]
            parents = rng.sample(pool, rng.randint(1, 3))
        kind = rng.choice(["table", "view", "incremental_di", "incremental_merge",
                           "incremental_append", "table", "view"] +
                          (["ephemeral"] if depth < 3 else []))
        kinds[name] = kind
        own = n * 3
        if depth == 0:
            body = (f"select s.k, s.w + {own} as v from {{{{ ref('weights') }}}} s")
            vals = {k: (k * 7) % 13 + own for k in range(ROWS)}
        else:
            joins = " ".join(f"join {{{{ ref('{p}') }}}} p{i} on p{i}.k = p0.k"
                             for i, p in enumerate(parents) if i)
            total = " + ".join(f"p{i}.v" for i in range(len(parents)))
            body = (f"select p0.k, {total} + {own} as v from {{{{ ref('{parents[0]}') }}}} p0 "
                    + joins)
            vals = {k: sum(rows[p][k] for p in parents) + own for k in range(ROWS)}
        rows[name] = vals
        if kind == "table":
            cfg = "{{ config(materialized='table') }}\n"
        elif kind == "view":
            cfg = ""
        elif kind == "ephemeral":
            cfg = "{{ config(materialized='ephemeral') }}\n"
        elif kind == "incremental_di":
            cfg = "{{ config(materialized='incremental', unique_key='k') }}\n"
        elif kind == "incremental_merge":
            cfg = ("{{ config(materialized='incremental', incremental_strategy='merge', "
                   "unique_key='k') }}\n")
        else:
            cfg = ("{{ config(materialized='incremental', incremental_strategy='append') }}\n")
        sql = cfg + f"select * from ({body}) x\n"
        if kind == "incremental_append":
            sql += ("{% if is_incremental() %}\nwhere k > (select coalesce(max(k), -1) "
                    "from {{ this }})\n{% endif %}\n")
        open(f"{root}/models/{name}.sql", "w").write(sql)
        names.append(name)
        if kind != "ephemeral" and rng.random() < 0.4:
            tests.append(name)

with open(f"{root}/models/schema.yml", "w") as f:
    f.write("version: 2\nmodels:\n")
    for t in tests:
        f.write(f"  - name: {t}\n    columns:\n      - name: k\n"
                "        tests: [unique, not_null]\n      - name: v\n        tests: [not_null]\n")
# the oracle: one line per relation, as the check query prints it
with open(f"{root}/expected.txt", "w") as f:
    for name in names:
        if kinds[name] == "ephemeral":
            continue
        vals = rows[name]
        f.write(f"{name}\t{len(vals)}\t{sum(vals.values())}\t{sum(k * v for k, v in vals.items())}\n")
with open(f"{root}/check.sql", "w") as f:
    f.write(" union all ".join(
        f"select '{x}', count(*), sum(v), sum(k * v) from {x}"
        for x in names if kinds[x] != "ephemeral") + " order by 1")
models = sum(1 for x in names)
with open(f"{root}/counts.txt", "w") as f:
    f.write(f"{models} {len(tests) * 3} "
            f"{sum(1 for x in names if kinds[x] != 'ephemeral')}\n")
EOF
cd p
read -r n_models n_tests n_relations <counts.txt
check "the generator made 200 models" test "$n_models" = 200
# seeds + non-ephemeral models + tests
total=$((1 + n_relations + n_tests))

slowest=0
failures=0
started=$(date +%s)
for i in $(seq 1 "$repeats"); do
  t0=$(date +%s%3N)
  run_mallard build --threads 8
  t1=$(date +%s%3N)
  [ $((t1 - t0)) -gt "$slowest" ] && slowest=$((t1 - t0))
  check "build $i exits 0" rc_is 0
  check "build $i: every node passed" out_has "PASS=$total WARN=0 ERROR=0 SKIP=0 TOTAL=$total"
  check "build $i: 8 threads" out_has "Concurrency: 8 threads"
  # a retried conflict is logged; none may happen, nor any lock error
  if grep -qiE "conflict|lock|could not set lock" "$SCRATCH/out"; then
    failures=$((failures + 1))
    check "build $i: no conflict or lock message" false
    grep -iE "conflict|lock" "$SCRATCH/out" | head -5
  fi
  "$MALLARD_BIN_DIR/db_query" wide.duckdb "$(cat check.sql)" >got.txt
  check "build $i: every relation holds exactly the expected rows" diff expected.txt got.txt
done
echo "# $repeats builds of $total nodes in $(($(date +%s) - started)) s (slowest ${slowest} ms)"
check "no build logged a conflict or a lock error" test "$failures" -eq 0
finish
