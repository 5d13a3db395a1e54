#!/bin/sh
# bench/parse/run.sh: generates projects of 1k, 10k and 50k models and reports
# `mallard parse` wall time, CPU time (user+sys, steadier than wall time on
# a shared machine) and peak RSS for each (median of 3 runs).
#
#   bench/parse/run.sh MALLARD_BINARY [SIZES...]
#
# Use a release build (-DCMAKE_BUILD_TYPE=Release, no sanitizers); the target
# is 10,000 models in at most 1.0 s and 500 MB on a 2-core machine.
set -eu
MALLARD=${1:?usage: run.sh MALLARD_BINARY [SIZES...]}
shift
SIZES=${*:-1000 10000 50000}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/mallard-bench-parse}
mkdir -p "$WORK"
printf '%-8s %-8s %-8s %-8s %s\n' models wall_s cpu_s peak_MB found
for n in $SIZES; do
  dir=$WORK/p$n
  [ -f "$dir/dbt_project.yml" ] || /usr/bin/python3 "$HERE/gen_project.py" "$dir" "$n"
  times=""
  cpus=""
  rss=0
  for i in 1 2 3; do
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" timeout 600 "$MALLARD" parse --project-dir "$dir" >"$WORK/out" 2>&1
    read -r t u s m <"$WORK/time"
    times="$times $t"
    cpus="$cpus $(echo "$u $s" | awk '{printf "%.2f", $1 + $2}')"
    [ "$m" -gt "$rss" ] && rss=$m
  done
  med=$(echo $times | tr ' ' '\n' | sort -n | sed -n 2p)
  cpu=$(echo $cpus | tr ' ' '\n' | sort -n | sed -n 2p)
  found=$(grep -o 'Found .*' "$WORK/out" | head -1)
  printf '%-8s %-8s %-8s %-8s %s\n' "$n" "$med" "$cpu" "$((rss / 1024))" "$found"
done
