#!/usr/bin/env bash
# t0701: the wire protocol byte by byte (tests/t/pgwire.py): start-up
# parameters, simple-query tags and transaction status, the extended
# protocol (named statements, row-limited Execute, binary formats, skip until
# Sync), CancelRequest, and hostile input -- garbage, an oversized message, a
# half-open connection -- each ending only its own connection.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
[ -x "$PY" ] || { echo "$PY is missing"; exit 77; }

check "the server starts" start_server --database "$SCRATCH/wire.duckdb" --trust-local

for scenario in simple extended cancel hostile; do
  timeout 120 $PGWIRE $scenario "$SOCK_DIR" "$PORT" >"$SCRATCH/$scenario.out" 2>&1
  rc=$?
  sed 's/^/  /' "$SCRATCH/$scenario.out"
  check "protocol scenario: $scenario" test $rc -eq 0
done

check "the server survived all of it" kill -0 "$SERVER_PID"
check "protocol errors are logged with the peer" grep -q 'protocol error' "$SCRATCH/server.log"
stop_server
check "the server shuts down cleanly" server_exited_cleanly
finish
