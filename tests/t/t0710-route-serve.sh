#!/usr/bin/env bash
# t0710: while `mallard serve` owns the database, `mallard build|run|test|
# debug` from another process are routed to it: normal dbt output, the same
# exit codes (0, and 1 for a failing test), run_results.json in the
# client's target/, env_var() from the client's environment and .env,
# Ctrl-C cancels the remote job (exit 2) and the owner keeps serving;
# --no-route runs locally (and meets the lock); a stale advertisement (the
# owner killed with SIGKILL) is ignored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/route-lib.sh"
command -v psql >/dev/null || { echo "psql is not installed"; exit 77; }

proj=$SCRATCH/proj
make_route_project "$proj"
printf 'GREETING=from-the-dotenv\n' >"$proj/.env"
cd "$proj"
check "serve starts on the profile's database" start_server --project-dir "$proj" --trust-local
check "it advertises itself next to the file" \
  grep -q "\"pid\": $SERVER_PID," "$proj/shop.duckdb.mallard"

# the owner read GREETING=from-the-dotenv into its own environment; the
# routed job must see the client's .env as it is now
printf 'GREETING=changed-after-the-owner-started\n' >"$proj/.env"
CLIENT_TAG=tag-of-the-client run_mallard build
check "a routed build exits 0" rc_is 0
check "it says where it went" out_has "Routing to the Mallard process that owns $proj/shop.duckdb (PID $SERVER_PID)"
check "normal dbt output streams back" out_has "OK loaded seed file main.people"
check "with the summary" out_has "Done. PASS=4 WARN=0 ERROR=0 SKIP=0 TOTAL=4"
check "run_results.json is in the client's target/" grep -q '"status": *"success"' "$proj/target/run_results.json"
check "the owner logged the job" grep -q "Job from PID .*: mallard build" "$SCRATCH/server.log"
check "env_var sees the client's environment" \
  test "$(q -c 'SELECT tag FROM greeting')" = "tag-of-the-client"
check "env_var sees the client's .env, not the owner's environment" \
  test "$(q -c 'SELECT greeting FROM greeting')" = "changed-after-the-owner-started"
check "the seed is in the served database" test "$(q -c 'SELECT count(*) FROM people_up')" = 3

MAX_ID=1 run_mallard test
check "a failing test exits 1 through the owner" rc_is 1
check "and says which" out_has "FAIL 2 ids_in_range"

run_mallard run -s people_up --project-dir .
check "relative --project-dir works from the client's directory" rc_is 0
check "run output" out_has "Done. PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1"

run_mallard debug
check "debug through the owner exits 0" rc_is 0
check "debug names the Mallard owner" out_has "is owned by Mallard (PID $SERVER_PID"
check "and says jobs are routed to it" out_has "jobs are routed to it"
check "its checks ran through the owner" out_has "All checks passed!"

# Ctrl-C on the client cancels the job in the owner
"$MALLARD" build --vars '{slow_n: 2000000}' >"$SCRATCH/slow.out" 2>&1 &
client=$!
for _ in $(seq 300); do grep -q "START sql table model main.slow" "$SCRATCH/slow.out" && break; sleep 0.1; done
sleep 0.3
kill -INT "$client"
wait "$client"
slow_rc=$?
check "Ctrl-C on the client: exit code 2 (was $slow_rc)" test "$slow_rc" -eq 2
check "the remote run was interrupted" \
  eval "grep -q 'Exited because of keyboard interrupt\|interrupt' '$SCRATCH/slow.out' || { cat '$SCRATCH/slow.out'; false; }"
check "the owner cancelled the job" grep -q "finished with exit code 2 .*(cancelled)" "$SCRATCH/server.log"
check "the owner keeps serving" test "$(q -c 'SELECT 41 + 1')" = 42
run_mallard build -s people_up
check "and keeps taking jobs" eval 'rc_is 0 && out_has "TOTAL=2"'
run_mallard build
check "a job's flags do not stick to the next job (no -s, no --vars)" out_has "Done. PASS=4 WARN=0 ERROR=0 SKIP=0 TOTAL=4"

# a client that disappears cancels its job too
"$MALLARD" build --vars '{slow_n: 2000000}' >"$SCRATCH/gone.out" 2>&1 &
client=$!
for _ in $(seq 300); do grep -q "START sql table model main.slow" "$SCRATCH/gone.out" && break; sleep 0.1; done
kill -KILL "$client"
wait "$client" 2>/dev/null
for _ in $(seq 100); do [ "$(grep -c 'finished with exit code 2' "$SCRATCH/server.log")" -ge 2 ] && break; sleep 0.1; done
check "a vanished client's job is cancelled" test "$(grep -c 'finished with exit code 2 .*(cancelled)' "$SCRATCH/server.log")" -ge 2

# hostile input on the job socket ends that connection, never the owner
jobsock=$(sed -n 's/.*"job_socket": "\(.*\)".*/\1/p' "$proj/shop.duckdb.mallard")
check "the advertisement names the job socket" test -S "$jobsock"
"$PY" - "$jobsock" <<'PY' >"$SCRATCH/hostile.out" 2>&1
import socket, struct, sys
def talk(data, wait=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.settimeout(20)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        got += b"<timeout>"
    except ConnectionResetError:
        pass  # closed with our bytes unread: the same as closed
    s.close()
    return got
print("garbage", talk(b"\x00garbage that is not a frame" * 3))
print("huge", talk(b"J" + struct.pack(">I", 0x7fffffff)))
print("badjob", talk(b"J" + struct.pack(">I", 5) + b"hello"))
job = b"\0".join([b"mallard-job-1", b"/", b"0", b"serve", b"0", b"0"]) + b"\0"
print("notroutable", talk(b"J" + struct.pack(">I", len(job)) + job))
PY
check "garbage, an oversized frame and a bad request are closed without an answer" \
  eval "grep -q \"garbage b''\" '$SCRATCH/hostile.out' && grep -q \"huge b''\" '$SCRATCH/hostile.out' && grep -q \"badjob b''\" '$SCRATCH/hostile.out' || { cat '$SCRATCH/hostile.out'; false; }"
check "a command that cannot be routed is refused with exit 2" \
  eval "grep -q 'notroutable.*cannot be sent to the process that owns the database' '$SCRATCH/hostile.out' || { cat '$SCRATCH/hostile.out'; false; }"
run_mallard run -s people_up
check "the owner still takes jobs after hostile input" rc_is 0

run_mallard build --no-route --lock-timeout 0
check "--no-route runs here and meets the owner's lock" eval 'rc_is 2 && out_has "locked by"'
MALLARD_NO_ROUTE=1 run_mallard build --lock-timeout 0
check "so does MALLARD_NO_ROUTE=1" eval 'rc_is 2 && out_has "locked by"'

# two jobs at once: the second runs beside the first, without waiting
# (t0716 proves the overlap and the limit)
"$MALLARD" build --vars '{slow_n: 30000}' >"$SCRATCH/first.out" 2>&1 &
first=$!
for _ in $(seq 300); do grep -q "START sql table model main.slow" "$SCRATCH/first.out" && break; sleep 0.1; done
run_mallard run -s people_up
check "a second job runs beside the first" eval 'rc_is 0 && ! out_has "Waiting"'
wait "$first"
check "and the first finishes normally" test $? -eq 0

# SIGTERM to the owner while it runs a job: the job is cancelled (its
# client exits 2), then the owner shuts down cleanly
"$MALLARD" build --vars '{slow_n: 2000000}' >"$SCRATCH/term.out" 2>&1 &
client=$!
for _ in $(seq 300); do grep -q "START sql table model main.slow" "$SCRATCH/term.out" && break; sleep 0.1; done
stop_server
wait "$client"
check "the owner's SIGTERM cancels the running job (client exit 2)" test $? -eq 2
check "the server shuts down cleanly" server_exited_cleanly
check "the advertisement is removed on exit" test ! -e "$proj/shop.duckdb.mallard"

# a stale advertisement: the owner is killed outright
check "serve starts again" start_server --project-dir "$proj" --trust-local
dead=$SERVER_PID
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
check "SIGKILL leaves the advertisement behind" test -e "$proj/shop.duckdb.mallard"
run_mallard build --log-level debug
check "a stale advertisement is ignored: the build runs here" eval 'rc_is 0 && ! grep -q "Routing to" "$SCRATCH/out"'
check "and says why at debug level" out_has "(PID $dead) is gone"
check "serve replaces the stale advertisement" start_server --project-dir "$proj" --trust-local
check "with its own PID" grep -q "\"pid\": $SERVER_PID," "$proj/shop.duckdb.mallard"
stop_server

# a local build holds the file and takes no jobs: another build is told so
# and waits for the lock, then runs
"$MALLARD" build --vars '{slow_n: 30000}' >"$SCRATCH/local.out" 2>&1 &
first=$!
for _ in $(seq 300); do grep -q "START sql table model main.slow" "$SCRATCH/local.out" && break; sleep 0.1; done
check "a local build advertises itself" grep -q '"command": "build"' "$proj/shop.duckdb.mallard"
check "without a job socket" eval "! grep -q job_socket '$proj/shop.duckdb.mallard'"
run_mallard run -s people_up --lock-timeout 120
check "another build says a Mallard build holds the file and waits" \
  eval 'out_has "is owned by Mallard (PID $first" && out_has "which takes no jobs: waiting for it"'
check "then runs once the lock is free" rc_is 0
wait "$first"
check "the first build was not disturbed" test $? -eq 0
check "and removed its advertisement" test ! -e "$proj/shop.duckdb.mallard"
finish
