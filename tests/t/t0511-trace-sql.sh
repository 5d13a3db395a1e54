#!/usr/bin/env bash
# t0511: MALLARD_TRACE_SQL=FILE records every statement a build runs, as
# length-prefixed records; replaying them on one connection (direct_sql, the
# bench/build baseline) rebuilds the same tables.
. "$(dirname "$0")/lib.sh"

DIRECT=$MALLARD_BIN_DIR/direct_sql
[ -x "$DIRECT" ] || { echo "skip: $DIRECT not built"; exit 77; }
/usr/bin/python3 "$MALLARD_SOURCE_DIR/bench/build/gen_shop.py" "$SCRATCH/p" 30
cd "$SCRATCH/p"
q() { "$MALLARD_BIN_DIR/db_query" "$1" "$2" | tr '\t\n' ',;'; }

MALLARD_TRACE_SQL=$SCRATCH/trace.sql run_mallard build --threads 1
check "traced build exits 0" rc_is 0
check "all 28 nodes pass" out_has "PASS=28 WARN=0 ERROR=0 SKIP=0 TOTAL=28"
check "trace written" test -s "$SCRATCH/trace.sql"

# Every record's bytes= is the exact length of its statement.
check "records are well-formed" /usr/bin/python3 - "$SCRATCH/trace.sql" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
pos, n = 0, 0
while pos < len(data):
    eol = data.index(b"\n", pos)
    m = re.fullmatch(rb"-- mallard-trace conn=(\d+) bytes=(\d+)", data[pos:eol])
    assert m, data[pos:eol]
    size = int(m.group(2))
    assert data[eol + 1 + size:eol + 2 + size] == b"\n", "record %d overruns" % n
    pos = eol + 2 + size
    n += 1
assert n > 28, n
PY
check "model SQL is in the trace" grep -q 'create table "bakery"."main"."client_summary__dbt_tmp"' "$SCRATCH/trace.sql"
check "test SQL is in the trace" grep -q 'as failures' "$SCRATCH/trace.sql"

mkdir "$SCRATCH/replay"
"$DIRECT" "$SCRATCH/replay/bakery.duckdb" "$SCRATCH/trace.sql" >"$SCRATCH/direct.out" 2>&1
check "replay exits 0" test $? -eq 0
check "replay counts its statements" grep -q "^direct_sql: [0-9]* statements" "$SCRATCH/direct.out"
sql='select client_id, purchase_count, lifetime_value from client_summary order by 1'
check "replayed tables equal the built ones" \
    test "$(q bakery.duckdb "$sql")" = "$(q "$SCRATCH/replay/bakery.duckdb" "$sql")"
check "and are not empty" test "$(q bakery.duckdb 'select count(*) from client_summary')" = "30;"

# Without the variable nothing is written; an unwritable path warns and the
# build still runs.
rm -f bakery.duckdb
run_mallard build --threads 1
check "untraced build exits 0" rc_is 0
MALLARD_TRACE_SQL=$SCRATCH/no/such/dir/trace.sql run_mallard build --threads 1
check "build with an unwritable trace path exits 0" rc_is 0
check "and says it is not tracing" out_has "cannot open MALLARD_TRACE_SQL file"

# A cut-short trace is an error, not a silent partial replay.
head -c 200 "$SCRATCH/trace.sql" >"$SCRATCH/cut.sql"
rm -rf "$SCRATCH/replay2" && mkdir "$SCRATCH/replay2"
"$DIRECT" "$SCRATCH/replay2/bakery.duckdb" "$SCRATCH/cut.sql" >"$SCRATCH/direct.out" 2>&1
check "cut-short trace exits 2" test $? -eq 2
check "and says so" grep -q "cut short" "$SCRATCH/direct.out"
finish
