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
  # 99 is a memory error; any "==PID==" line is valgrind complaining (about
  # unreadable debug info, say), which would make this check blind.
  if [ "$rc" -eq 99 ] || grep -q '^==[0-9]*==' "$SCRATCH/out"; then
    cat "$SCRATCH/out"
    return 1
  fi
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
mkdir -p "$proj/models"
printf "{{ config(materialized='ephemeral') }}\nselect 1 as a, 'x' as b\n" >"$proj/models/base.sql"
printf "select a + 1 as a, b, 2.5 as c from {{ ref('base') }}\n" >"$proj/models/top.sql"
check "show previews a model with an ephemeral parent" vg show -s top --project-dir "$proj"
check "show --inline with JSON output" \
  vg show --inline "select * from {{ ref('base') }}" --output json --project-dir "$proj"

finish
