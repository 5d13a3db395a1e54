# serve-lib.sh: starting and stopping a real `mallard serve` for the t07NN
# tests.  Source after lib.sh.  start_server ARGS... runs it in the
# background on a free port (port 0) with its Unix socket in $SCRATCH/sock,
# waits (bounded) until it listens, and sets $PORT, $SOCK_DIR and $SERVER_PID;
# an EXIT trap stops it.  Every wait here is bounded in count and time.
SOCK_DIR=$SCRATCH/sock
mkdir -p "$SOCK_DIR"
SERVER_PID=
PORT=
PY=/usr/bin/python3
PGWIRE="$PY $MALLARD_SOURCE_DIR/tests/t/pgwire.py"
export PGCONNECT_TIMEOUT=60

SERVER_RC=
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  if [ -n "$SERVER_PID" ]; then
    wait "$SERVER_PID" 2>/dev/null
    SERVER_RC=$?
  fi
  SERVER_PID=
}

# server_exited_cleanly: after stop_server, the server shut down on SIGTERM
# with exit 0 and no sanitizer report (leaks included) in its log.
server_exited_cleanly() {
  [ "$SERVER_RC" = 0 ] && ! grep -q 'Sanitizer\|runtime error' "$SCRATCH/server.log" ||
    { echo "exit code $SERVER_RC"; cat "$SCRATCH/server.log"; return 1; }
}
trap stop_server EXIT

# start_server ARGS...: the server's output goes to $SCRATCH/server.log.
start_server() {
  : >"$SCRATCH/server.log"
  "$MALLARD" serve --listen 127.0.0.1:0 --socket-dir "$SOCK_DIR" "$@" >"$SCRATCH/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do
    if grep -q 'Listening on Unix socket' "$SCRATCH/server.log"; then
      PORT=$(sed -n 's/.*Listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$SCRATCH/server.log" | head -1)
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "server did not start:"
  cat "$SCRATCH/server.log"
  return 1
}

# q SQL...: runs psql over the Unix socket (trust), unaligned, tuples only.
q() {
  psql -X -h "$SOCK_DIR" -p "$PORT" -U tester -d db -v ON_ERROR_STOP=1 -At "$@"
}
