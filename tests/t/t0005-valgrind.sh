#!/usr/bin/env bash
# t0005: the commands run valgrind-clean (no invalid reads or writes, no
# definite leaks).  Runs only on a build without sanitizers -- valgrind and
# ASan do not mix -- and reports itself skipped (77) elsewhere.
. "$(dirname "$0")/lib.sh"

if nm "$MALLARD" 2>/dev/null | grep -q __asan_init; then
  echo "skipped: $MALLARD is built with AddressSanitizer"
  exit 77
fi
command -v valgrind >/dev/null || { echo "skipped: valgrind is not installed"; exit 77; }

vg() {
  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite "$MALLARD" "$@" >"$SCRATCH/out" 2>&1
  rc=$?
  [ "$rc" -ne 99 ] || { cat "$SCRATCH/out"; return 1; }
}

check "--version" vg --version
check "help debug" vg help debug
check "a usage error" vg frobnicate

proj=$SCRATCH/proj
mkdir -p "$proj"
printf 'name: shop\nprofile: shop\n' >"$proj/dbt_project.yml"
printf 'shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: "%s/shop.duckdb"\n      threads: 2\n' "$SCRATCH" >"$proj/profiles.yml"
check "debug on a healthy project" vg debug --project-dir "$proj" --lock-timeout 0
check "debug on a missing env var" vg debug --project-dir "$SCRATCH/none"

finish
