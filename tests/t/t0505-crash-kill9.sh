#!/usr/bin/env bash
# t0505: crash safety, SQLite-style.  `mallard build` is killed with
# SIGKILL at random moments (before, during and after a table swap and two
# large incremental merges) again and again.  After every kill the
# database must open, every table that existed before must still hold its
# rows (the swapped table exactly its old or its new rows; the incremental
# tables all committed keys, each once), and the next build must succeed
# and leave no intermediate relation behind.
#
# CRASH_ITERATIONS (default 15) sets the number of kills.
. "$(dirname "$0")/lib.sh"

iterations=${CRASH_ITERATIONS:-15}
table_rows=600000
delta=150000
overlap=1000

mkdir -p "$SCRATCH/p/models"
cd "$SCRATCH/p"
cat >dbt_project.yml <<'EOF'
name: crashy
version: "1.0"
profile: crashy
models:
  crashy:
    +materialized: view
EOF
cat >profiles.yml <<'EOF'
crashy:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: crashy.duckdb
      schema: main
      threads: 4
EOF
# Slow enough to be caught mid-way: every build rewrites all of it.
cat >models/big_table.sql <<'EOF'
{{ config(materialized='table') }}
select i.range as id, {{ var('batch', 0) }} as batch, hash(i.range, {{ var('batch', 0) }}) as h
from range({{ var('table_rows') }}) i
EOF
# Each run appends `delta` new keys after the current maximum and rewrites
# the last `overlap` ones: the keys stay 0..n-1, each exactly once.
cat >models/inc_merge.sql <<'EOF'
{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id') }}
{% if is_incremental() %}
select i.range as id, {{ var('batch', 0) }} as batch, hash(i.range) as h
from range((select greatest(coalesce(max(id) + 1, 0) - {{ var('overlap') }}, 0) from {{ this }}),
           (select coalesce(max(id) + 1, 0) + {{ var('delta') }} from {{ this }})) i
{% else %}
select i.range as id, {{ var('batch', 0) }} as batch, hash(i.range) as h
from range({{ var('delta') }}) i
{% endif %}
EOF
sed "s/'merge'/'delete+insert'/" models/inc_merge.sql >models/inc_delins.sql
cat >models/batch_counts.sql <<'EOF'
select batch, count(*) as n from {{ ref('big_table') }} group by all
EOF
cat >models/schema.yml <<'EOF'
version: 2
models:
  - name: inc_merge
    columns:
      - name: id
        tests: [unique, not_null]
  - name: inc_delins
    columns:
      - name: id
        tests: [unique]
EOF

q() { "$MALLARD_BIN_DIR/db_query" crashy.duckdb "$1" | tr '\t\n' ',;'; }
vars() { echo "{batch: $1, table_rows: $table_rows, delta: $delta, overlap: $overlap}"; }
now_ms() { date +%s%3N; }

t0=$(now_ms)
run_mallard build --vars "$(vars 1)"
t1=$(now_ms)
check "first build exits 0" rc_is 0
build_ms=$((t1 - t0))
echo "# a whole build takes ${build_ms} ms"
check "first build: big_table" test "$(q 'select count(*), min(batch), max(batch) from big_table')" = "$table_rows,1,1;"
check "first build: inc_merge" test "$(q 'select count(*) from inc_merge')" = "$delta;"

# committed state before a kill: table -> row count
declare -A before
snapshot() {
  before=()
  local name
  for name in $("$MALLARD_BIN_DIR/db_query" crashy.duckdb \
    "select table_name from information_schema.tables where table_type = 'BASE TABLE'"); do
    before[$name]=$(q "select count(*) from \"$name\"" | tr -d ',;')
  done
}

# incremental invariants: keys 0..n-1 each once, n >= the committed count
incremental_ok() {
  local t=$1 min=$2 got
  got=$(q "select count(*) = count(distinct id) and min(id) = 0 and max(id) + 1 = count(*)
           and count(*) >= $min from $t")
  [ "$got" = "true;" ] || { echo "$t after the kill: $(q "select count(*), count(distinct id), min(id), max(id) from $t")"; return 1; }
}

before_kill=0
during=0
after_build=0
prev_batch=1
for i in $(seq 1 "$iterations"); do
  batch=$((i + 1))
  snapshot
  # Delays cover the whole build and a little beyond it, so some kills hit
  # the start-up, most a statement or a commit, some the end.
  delay_ms=$(((RANDOM * 32768 + RANDOM) % (build_ms * 11 / 10 + 1)))
  "$MALLARD" build --vars "$(vars $batch)" >"$SCRATCH/out" 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  in_flight=
  for m in big_table inc_merge inc_delins; do
    grep -q "START sql .* model main.$m " "$SCRATCH/out" &&
      ! grep -q "OK created sql .* model main.$m " "$SCRATCH/out" && in_flight="$in_flight $m"
  done
  if ! grep -q "START sql" "$SCRATCH/out"; then
    before_kill=$((before_kill + 1)); phase="before the first model"
  elif [ -n "$in_flight" ]; then
    during=$((during + 1)); phase="while building$in_flight"
  else
    after_build=$((after_build + 1)); phase="after the models"
  fi
  echo "# kill $i after ${delay_ms} ms ($phase)"

  check "kill $i: the database opens" test "$(q 'select 42')" = "42;"
  lost=
  for name in "${!before[@]}"; do
    n=$(q "select count(*) from \"$name\"" | tr -d ',;')
    if [ -z "$n" ] || [ "$n" -lt "${before[$name]}" ]; then
      lost="$lost $name(${before[$name]}->${n:-missing})"
    fi
  done
  check "kill $i: no table lost rows${lost:+:$lost}" test -z "$lost"
  got=$(q "select count(*), min(batch) = max(batch), max(batch) in ($prev_batch, $batch) from big_table")
  check "kill $i: big_table holds exactly one whole build" test "$got" = "$table_rows,true,true;"
  check "kill $i: inc_merge kept every key once" incremental_ok inc_merge "${before[inc_merge]}"
  check "kill $i: inc_delins kept every key once" incremental_ok inc_delins "${before[inc_delins]}"

  merge_n=$(q 'select count(*) from inc_merge' | tr -d ',;')
  delins_n=$(q 'select count(*) from inc_delins' | tr -d ',;')
  run_mallard build --vars "$(vars $batch)"
  check "kill $i: the next build succeeds" rc_is 0
  check "kill $i: the next build ran everything" out_has "PASS=7 WARN=0 ERROR=0 SKIP=0 TOTAL=7"
  check "kill $i: big_table rebuilt" test "$(q 'select count(*), min(batch), max(batch) from big_table')" = "$table_rows,$batch,$batch;"
  check "kill $i: inc_merge grew by one delta" test "$(q 'select count(*) from inc_merge')" = "$((merge_n + delta));"
  check "kill $i: inc_delins grew by one delta" test "$(q 'select count(*) from inc_delins')" = "$((delins_n + delta));"
  check "kill $i: no intermediate relation left" test "$(q "select count(*) from information_schema.tables where table_name like '%__dbt_%'")" = "0;"
  prev_batch=$batch
done
echo "# kills: $before_kill before the first model, $during while models were building, $after_build after"
check "some kills landed while models were building" test "$during" -gt 0
finish
