#!/usr/bin/env bash
# t0102: a database path that cannot work gets a clear message naming the
# file or directory, and exit 2: a file that is not DuckDB, a missing
# directory, an unwritable directory, a directory where the file should be.
. "$(dirname "$0")/lib.sh"

proj=$SCRATCH/proj
mkdir -p "$proj"
cat >"$proj/dbt_project.yml" <<'YML'
name: ledger
profile: ledger
YML
cat >"$proj/profiles.yml" <<'YML'
ledger:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('LEDGER_DB') }}"
      threads: 2
YML
cd "$proj"

printf 'id,name\n1,not a database\n' >"$SCRATCH/ledger.csv.duckdb"
LEDGER_DB=$SCRATCH/ledger.csv.duckdb run_mallard debug
check "a file that is not DuckDB: exit 2, named" \
  eval "rc_is 2 && out_has '$SCRATCH/ledger.csv.duckdb is not a DuckDB database file' && out_has 'Database open [FAIL'"
check "...and the file is left alone" \
  eval "[ \"\$(head -1 '$SCRATCH/ledger.csv.duckdb')\" = 'id,name' ]"

LEDGER_DB=$SCRATCH/missing/dir/ledger.duckdb run_mallard debug
check "a missing directory: exit 2, names it and says to create it" \
  eval "rc_is 2 && out_has 'its directory $SCRATCH/missing/dir does not exist' && out_has 'mkdir -p $SCRATCH/missing/dir' && out_has 'the path comes from $proj/profiles.yml'"
check "...and nothing was created" test ! -e "$SCRATCH/missing"

mkdir "$SCRATCH/adir.duckdb"
LEDGER_DB=$SCRATCH/adir.duckdb run_mallard debug
check "a directory where the file should be: exit 2" \
  eval "rc_is 2 && out_has '$SCRATCH/adir.duckdb: it is a directory'"

# An unwritable directory.  root writes anywhere, so as root the test runs
# mallard as nobody (setpriv) against a directory only root may write.
mkdir "$SCRATCH/readonly"
chmod 555 "$SCRATCH/readonly"
as_user=()
if [ "$(id -u)" = 0 ]; then
  if command -v setpriv >/dev/null; then
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    chmod 755 "$SCRATCH" "$proj"
    chmod 644 "$proj"/*.yml
  else
    echo "skip: running as root without setpriv, cannot test an unwritable directory"
  fi
fi
if [ "$(id -u)" != 0 ] || [ ${#as_user[@]} -gt 0 ]; then
  set +e
  LEDGER_DB=$SCRATCH/readonly/ledger.duckdb "${as_user[@]}" "$MALLARD" debug >"$SCRATCH/out" 2>&1
  rc=$?
  set -e
  check "an unwritable directory: exit 2, names it and says to fix permissions" \
    eval "rc_is 2 && out_has 'its directory $SCRATCH/readonly is not writable' && out_has 'fix the directory' && out_has 'permissions'"
fi
chmod 755 "$SCRATCH/readonly"

LEDGER_DB=$SCRATCH/fine.duckdb run_mallard debug
check "a good path right after: exit 0" eval "rc_is 0 && out_has 'All checks passed!'"

finish
