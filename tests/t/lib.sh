# lib.sh: shared helpers for the numbered shell tests (after git's t/test-lib.sh).
#
# Each tNNNN-*.sh sources this, then calls `check "description" command...`
# for each assertion.  A test script gets a fresh scratch directory in
# $SCRATCH (removed on success), and ends with `finish`, which prints
# "N passed, N failed" and sets the exit code.
set -u
: "${MALLARD:?run through ctest, or set MALLARD to the mallard binary}"
: "${MALLARD_BIN_DIR:=$(dirname "$MALLARD")}"
: "${MALLARD_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${MALLARD_TEST_TMP:=${TMPDIR:-/tmp}}"
mkdir -p "$MALLARD_TEST_TMP"
SCRATCH=$(mktemp -d "$MALLARD_TEST_TMP/$(basename "$0" .sh).XXXXXX")
export NO_COLOR=1
unset MALLARD_PROJECT_DIR MALLARD_PROFILES_DIR MALLARD_TARGET MALLARD_LOG_LEVEL DBT_PROFILES_DIR
passed=0
failed=0

# check DESCRIPTION CMD...: CMD must succeed.
check() {
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok - $what"
  else
    failed=$((failed + 1))
    echo "FAIL - $what"
  fi
}

# run_mallard: runs $MALLARD with arguments, capturing stdout+stderr in
# $SCRATCH/out and the exit code in $rc.
run_mallard() {
  # Leave errexit as the script had it: switching it on here would end a
  # script at its next expected failure (e.g. `cmd; rc=$?`).
  local had_errexit=
  case $- in *e*) had_errexit=1 ;; esac
  set +e
  "$MALLARD" "$@" >"$SCRATCH/out" 2>&1
  rc=$?
  [ -z "$had_errexit" ] || set -e
  return 0
}

# out_has TEXT: the last run's output contains TEXT (a fixed string).
out_has() {
  grep -qF -- "$1" "$SCRATCH/out" || { echo "--- output was:"; cat "$SCRATCH/out"; echo "---"; return 1; }
}

rc_is() {
  [ "$rc" -eq "$1" ] || { echo "exit code $rc, expected $1"; cat "$SCRATCH/out"; return 1; }
}

# seed_style_deployment DB_FILE: the layout Cosmos users deploy -- $deploy
# with .env (DUCKDB_DATABASE_PATH=$deploy/DB_FILE) and dags/, and the dbt
# project "shop" at $proj whose profile reads the path through env_var.
seed_style_deployment() {
  deploy=$SCRATCH/deploy
  proj=$deploy/dbt/shop
  mkdir -p "$deploy/dags" "$proj/models"
  printf 'DUCKDB_DATABASE_PATH=%s/%s\n' "$deploy" "$1" >"$deploy/.env"
  printf 'name: shop\nprofile: shop\n' >"$proj/dbt_project.yml"
  cat >"$proj/profiles.yml" <<'YML'
shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('DUCKDB_DATABASE_PATH') }}"
YML
}

finish() {
  echo "$passed passed, $failed failed"
  if [ "$failed" -eq 0 ]; then
    rm -rf "$SCRATCH"
    exit 0
  fi
  echo "scratch kept in $SCRATCH"
  exit 1
}
