#!/usr/bin/env bash
# t0703: authentication.  `mallard serve passwd` writes SCRAM verifiers (the
# password itself is stored and logged nowhere); psql logs in with SCRAM over
# TCP; a wrong password, no password, an unknown user and a replayed SCRAM
# exchange are refused while the server keeps serving; cleartext `password`
# mode checks against the same verifier; read-only users get 25006 on writes;
# oversized, garbage and half-open connections before login are refused
# one by one; and serving without any way to log in, or on a non-loopback address
# without users, is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
command -v psql >/dev/null || { echo "psql is not installed"; exit 77; }

auth=$SCRATCH/users.conf
secret='c0rrect horse'
printf '%s\n' "$secret" | "$MALLARD" serve passwd --auth-file "$auth" alice >"$SCRATCH/passwd.out" 2>&1
check "passwd writes a user" eval 'grep -q "^alice:SCRAM-SHA-256\$4096:" "$auth"'
printf 'readpw\n' | "$MALLARD" serve passwd --auth-file "$auth" --readonly bob >>"$SCRATCH/passwd.out" 2>&1
check "passwd adds a read-only user" eval 'grep -q "^bob:SCRAM-SHA-256.*:readonly$" "$auth"'
check "the auth file is private (0600)" test "$(stat -c %a "$auth")" = 600
check "no password is stored or printed" \
  eval '! grep -q "horse\|readpw" "$auth" "$SCRATCH/passwd.out"'
printf 'other\n' | "$MALLARD" serve passwd --auth-file "$auth" alice >/dev/null 2>&1
printf '%s\n' "$secret" | "$MALLARD" serve passwd --auth-file "$auth" alice >/dev/null 2>&1
check "passwd replaces a user's entry" test "$(grep -c '^alice:' "$auth")" = 1

check "the server starts with the auth file" start_server --database "$SCRATCH/auth.duckdb" --auth-file "$auth"
tcp() { psql -X -h 127.0.0.1 -p "$PORT" -d db -At -v ON_ERROR_STOP=1 "$@"; }

out=$(PGPASSWORD=$secret tcp -U alice -c "SELECT current_user IS NOT NULL" 2>&1)
check "psql logs in over TCP with SCRAM-SHA-256" eval '[ "$out" = t ] || { echo "$out"; false; }'
out=$(PGPASSWORD=wrong tcp -U alice -c "SELECT 1" 2>&1)
check "a wrong password is refused" eval 'echo "$out" | grep -q "password authentication failed for user \"alice\"" || { echo "$out"; false; }'
out=$(PGPASSWORD= tcp -U alice -w -c "SELECT 1" 2>&1)
check "no password is refused" eval 'echo "$out" | grep -q "no password supplied\|password authentication failed" || { echo "$out"; false; }'
out=$(PGPASSWORD=$secret tcp -U nobody -c "SELECT 1" 2>&1)
check "an unknown user is refused the same way" eval 'echo "$out" | grep -q "password authentication failed for user \"nobody\"" || { echo "$out"; false; }'
PGPASSWORD=$secret timeout 60 $PGWIRE scram "$SOCK_DIR" "$PORT" >"$SCRATCH/scram.out" 2>&1
rc=$?
sed 's/^/  /' "$SCRATCH/scram.out"
check "SCRAM by hand: replay and wrong proofs are refused" test $rc -eq 0
PGPASSWORD=$secret timeout 120 $PGWIRE hostile_auth "$SOCK_DIR" "$PORT" >"$SCRATCH/hostile.out" 2>&1
rc=$?
sed 's/^/  /' "$SCRATCH/hostile.out"
check "hostile input before login is refused, each on its own connection" test $rc -eq 0
check "the refusals are logged with the peer" grep -q 'protocol error during authentication' "$SCRATCH/server.log"
out=$(PGPASSWORD=$secret tcp -U alice -c "CREATE TABLE t (a INTEGER)" -c "INSERT INTO t VALUES (1)" -c "SELECT count(*) FROM t" 2>&1)
check "the server kept serving after the refusals" eval '[ "$(echo "$out" | tail -1)" = 1 ] || { echo "$out"; false; }'

out=$(PGPASSWORD=readpw tcp -U bob -c "SELECT count(*) FROM t" 2>&1)
check "a read-only user can read" test "$out" = 1
out=$(PGPASSWORD=readpw psql -X -h 127.0.0.1 -p "$PORT" -d db -U bob -v VERBOSITY=verbose -c "INSERT INTO t VALUES (2)" 2>&1)
check "a read-only user's write fails with 25006" eval 'echo "$out" | grep -q "ERROR:  25006" || { echo "$out"; false; }'
out=$(PGPASSWORD=readpw psql -X -h 127.0.0.1 -p "$PORT" -d db -U bob -v VERBOSITY=verbose -c "DROP TABLE t" 2>&1)
check "and so does DDL" eval 'echo "$out" | grep -q "ERROR:  25006" || { echo "$out"; false; }'
check "passwords never reach the server log" eval '! grep -q "horse\|readpw" "$SCRATCH/server.log"'
check "the Unix socket is not trusted without --trust-local" \
  eval 'psql -X -h "$SOCK_DIR" -p "$PORT" -U "$(id -un)" -d db -w -c "SELECT 1" 2>&1 | grep -q "no password supplied\|password authentication failed"'
stop_server

check "cleartext password mode starts" start_server --database "$SCRATCH/auth.duckdb" --auth-file "$auth" --auth password
out=$(PGPASSWORD=$secret tcp -U alice -c "SELECT 2" 2>&1)
check "cleartext password is checked against the SCRAM verifier" eval '[ "$out" = 2 ] || { echo "$out"; false; }'
out=$(PGPASSWORD=nope tcp -U alice -c "SELECT 2" 2>&1)
check "and a wrong one is refused" eval 'echo "$out" | grep -q "password authentication failed"'
stop_server

# md5: PostgreSQL's md5 entries (md5 of password + user) copied into the file.
"$PY" -c 'import hashlib; print("carol:md5" + hashlib.md5(b"md5pw" + b"carol").hexdigest())' >>"$auth"
check "md5 mode starts" start_server --database "$SCRATCH/auth.duckdb" --auth-file "$auth" --auth md5
out=$(PGPASSWORD=md5pw tcp -U carol -c "SELECT 3" 2>&1)
check "md5 login with a salted challenge" eval '[ "$out" = 3 ] || { echo "$out"; false; }'
out=$(PGPASSWORD=nope tcp -U carol -c "SELECT 3" 2>&1)
check "md5 with a wrong password is refused" eval 'echo "$out" | grep -q "password authentication failed"'
stop_server
check "the server shuts down cleanly" server_exited_cleanly

run_mallard serve --database "$SCRATCH/auth.duckdb" --listen 127.0.0.1:0
check "serving with no way to log in is refused" eval 'rc_is 2 && out_has "no way for clients to log in"'
run_mallard serve --database "$SCRATCH/auth.duckdb" --listen 0.0.0.0:0 --trust-local --socket-dir "$SOCK_DIR"
check "a non-loopback address without users is refused" eval 'rc_is 2 && out_has "not a loopback address"'
printf 'bob:nonsense\n' >"$SCRATCH/bad.conf"
run_mallard serve --database "$SCRATCH/auth.duckdb" --auth-file "$SCRATCH/bad.conf"
check "a malformed auth file is reported with file and line" eval 'rc_is 2 && out_has "bad.conf:1:1:"'
finish
