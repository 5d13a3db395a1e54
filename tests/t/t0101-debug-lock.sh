#!/usr/bin/env bash
# t0101: another process (tests/helpers/lock_holder) holds the database.
# `mallard debug` names it -- PID and command line -- and either fails after
# --lock-timeout with exit 2, or waits and succeeds once the holder exits.
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
      path: ledger.duckdb
      threads: 2
YML
db=$proj/ledger.duckdb
holder_pid=

# Timing without bc: awk does the arithmetic.
elapsed_since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }'; }
between() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x < hi) }'; }

# start_holder [ARGS...]: starts lock_holder on the database and waits for
# its "ready PID" line.
start_holder() {
  "$MALLARD_BIN_DIR/lock_holder" "$db" 60 "$@" >"$SCRATCH/holder.out" 2>&1 &
  holder_pid=$!
  for _ in $(seq 1 200); do
    grep -q '^ready ' "$SCRATCH/holder.out" && return 0
    sleep 0.05
  done
  echo "lock_holder did not start:"; cat "$SCRATCH/holder.out"
  return 1
}

stop_holder() {
  if [ -n "$holder_pid" ]; then
    kill -TERM "$holder_pid" 2>/dev/null || true
    wait "$holder_pid" 2>/dev/null || true
    holder_pid=
  fi
}
trap stop_holder EXIT

check "lock_holder holds the database" start_holder
check "lock_holder prints its own PID" eval "grep -qx 'ready $holder_pid' '$SCRATCH/holder.out'"
holder_cmd="$MALLARD_BIN_DIR/lock_holder $db 60"

# --lock-timeout 1: fails within about 2 seconds, naming the holder.
cd "$proj"
start=$(date +%s.%N)
run_mallard debug --lock-timeout 1
elapsed=$(elapsed_since "$start")
check "exit 2 while another process holds the lock" rc_is 2
# "About 2 s": the wait is 1 s; start-up and the last try add a little (more
# on a loaded machine, hence the margin).
check "it waited the timeout and gave up within about 2 s (took $elapsed s)" between "$elapsed" 0.9 3
waited_one=$elapsed
check "the holder's PID is named" out_has "PID $holder_pid"
check "the holder's command line is named" out_has "command line: $holder_cmd"
check "the holder's executable and user are named" out_has "($MALLARD_BIN_DIR/lock_holder, user $(id -un))"
check "it said once that it waits, and for how long" \
  eval "[ \"\$(grep -c 'waiting up to 1 s' '$SCRATCH/out')\" = 1 ]"
check "it says what to do" \
  eval "out_has 'Stop that process if it should not be running (kill $holder_pid)' && out_has 'run this job through the Mallard process that owns the file'"
check "the lock check names the holder too" out_has "Lock holder [FAIL another process holds it]"

# --lock-timeout 0 fails at once.
start=$(date +%s.%N)
run_mallard debug --lock-timeout 0
elapsed=$(elapsed_since "$start")
check "--lock-timeout 0: exit 2 without waiting" \
  eval "rc_is 2 && out_has 'not waiting (--lock-timeout 0)' && ! grep -qF 'waiting up to' '$SCRATCH/out'"
check "--lock-timeout 0 is clearly quicker than 1 (took $elapsed s, against $waited_one s)" \
  awk -v a="$elapsed" -v b="$waited_one" 'BEGIN { exit !(a < b - 0.4) }'


# MALLARD_LOCK_TIMEOUT does the same as the flag.
MALLARD_LOCK_TIMEOUT=0 run_mallard debug
check "MALLARD_LOCK_TIMEOUT=0 works like the flag" eval "rc_is 2 && out_has 'not waiting'"

# --lock-timeout 20: the holder exits after ~2 s and debug then succeeds.
( sleep 2; kill -TERM "$holder_pid" ) &
killer=$!
start=$(date +%s.%N)
run_mallard debug --lock-timeout 20
elapsed=$(elapsed_since "$start")
wait "$killer"
wait "$holder_pid" 2>/dev/null || true
holder_pid=
check "a longer timeout succeeds once the holder exits" eval "rc_is 0 && out_has 'All checks passed!'"
check "it logged the wait and the holder" eval "out_has 'waiting up to 20 s' && out_has 'PID '"
check "it said when the file became free" out_has "is free now; opened it after"
check "it waited for the holder, not the whole timeout (took $elapsed s)" \
  between "$elapsed" 1.5 10

# A read-only holder blocks a writer too; debug names it the same way.
check "a read-only lock_holder holds the database" start_holder --read-only
run_mallard debug --lock-timeout 0
check "a read-only holder is named, and the hint says readers can share" \
  eval "rc_is 2 && out_has 'PID $holder_pid' && out_has 'the holder has it open read-only'"
stop_holder

finish
