#!/bin/bash
# t0405: bench/parse's synthetic project generator makes projects mallard
# parses and compiles (layers of refs through loops and macros, YAML tests,
# seeds), so the benchmark measures a working parse.
. "$(dirname "$0")/lib.sh"

P=$SCRATCH/bench
/usr/bin/python3 "$MALLARD_SOURCE_DIR/bench/parse/gen_project.py" "$P" 300
run_mallard parse --project-dir "$P"
check "parse" rc_is 0
# 5 layers of 60 models; the first 50 of each layer are described, with
# unique + not_null + accepted_values, and relationships after layer 0
check "node counts" out_has "Found 300 models, 6 seeds, 950 data tests"
run_mallard compile --project-dir "$P" -s l4_m0
check "compile a top-layer model" rc_is 0
check "its refs became relations" out_has 'from "bench"."main"."l3_m'
finish
