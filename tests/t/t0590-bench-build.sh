#!/usr/bin/env bash
# t0590: bench/build/run.sh runs end to end on tiny sizes and prints each
# figure's ratio line.  No timing is asserted: this only keeps the bench
# from rotting.
. "$(dirname "$0")/lib.sh"

[ -x "$MALLARD_BIN_DIR/direct_sql" ] || { echo "skip: direct_sql not built"; exit 77; }
"$MALLARD_SOURCE_DIR/bench/build/run.sh" "$MALLARD" --direct "$MALLARD_BIN_DIR/direct_sql" \
    --work "$SCRATCH/work" --reps 1 --shop-rows 10 --wide 4 --model-ms 1 --big 30 --ceiling-seconds 0.3 \
    >"$SCRATCH/out" 2>&1
rc=$?
check "bench exits 0" rc_is 0
check "figure 1: build against direct SQL" out_has "ratio build/direct:"
check "figure 1: every node passed" out_has "PASS=28 WARN=0 ERROR=0 SKIP=0 TOTAL=28"
check "figure 2: threads speed-up" out_has "ratio speed-up threads=2 over threads=1:"
check "figure 2: with DuckDB at one thread" out_has "DuckDB threads=1"
check "figure 2: with DuckDB's default pool" out_has "DuckDB threads: DuckDB's default"
check "figure 2: machine ceiling" out_has "machine ceiling: 2 busy processes got"
check "figure 3: process per node" out_has "ratio per-node/build:"
check "figure 4: shop RSS" out_has "shop build:"
check "figure 4: large project RSS" out_has "30-model build without tests"
check "load average reported" out_has "load average at start:"
finish
