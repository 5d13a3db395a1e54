#!/usr/bin/env bash
# t0707: TLS.  With --tls-cert/--tls-key an SSLRequest is answered 'S' and
# psql's sslmode=require works (SCRAM runs inside TLS); without them the
# server answers 'N', so sslmode=require fails and sslmode=prefer falls back.
# Bytes sent in the clear after the SSLRequest are refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
command -v psql >/dev/null || { echo "psql is not installed"; exit 77; }
command -v openssl >/dev/null || { echo "openssl is not installed"; exit 77; }

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
  -keyout "$SCRATCH/key.pem" -out "$SCRATCH/cert.pem" >/dev/null 2>&1
printf 'tlspw\n' | "$MALLARD" serve passwd --auth-file "$SCRATCH/users" alice >/dev/null 2>&1

check "the server starts with a certificate" start_server --database "$SCRATCH/tls.duckdb" \
  --auth-file "$SCRATCH/users" --tls-cert "$SCRATCH/cert.pem" --tls-key "$SCRATCH/key.pem"
out=$(PGPASSWORD=tlspw psql -X "host=127.0.0.1 port=$PORT user=alice dbname=db sslmode=require" -At -c "SELECT 40 + 2" -c '\conninfo' 2>&1)
check "psql with sslmode=require gets TLS and runs queries" \
  eval 'echo "$out" | grep -q "^42$" && echo "$out" | grep -q "SSL connection" || { echo "$out"; false; }'
cat >"$SCRATCH/plain.py" <<'PY'
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
# SSLRequest immediately followed by a cleartext startup packet.
s.sendall(struct.pack("!II", 8, 80877103) + struct.pack("!II", 8, 196608))
data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
ok = data.startswith(b"E") and b"unencrypted data after SSL request" in data
print("ok" if ok else "got %r" % data)
sys.exit(0 if ok else 1)
PY
check "cleartext bytes after the SSLRequest are refused" "$PY" "$SCRATCH/plain.py" "$PORT"
stop_server
check "the server shuts down cleanly" server_exited_cleanly

check "the server starts without a certificate" start_server --database "$SCRATCH/tls.duckdb" --auth-file "$SCRATCH/users"
out=$(PGPASSWORD=tlspw psql -X "host=127.0.0.1 port=$PORT user=alice dbname=db sslmode=require" -At -c "SELECT 1" 2>&1)
check "sslmode=require fails: the server does not support SSL" \
  eval 'echo "$out" | grep -qi "server does not support SSL" || { echo "$out"; false; }'
out=$(PGPASSWORD=tlspw psql -X "host=127.0.0.1 port=$PORT user=alice dbname=db sslmode=prefer" -At -c "SELECT 1" 2>&1)
check "sslmode=prefer falls back to the clear" test "$out" = 1
stop_server

run_mallard serve --database "$SCRATCH/tls.duckdb" --auth-file "$SCRATCH/users" --listen 127.0.0.1:0 \
  --tls-cert "$SCRATCH/cert.pem" --tls-key "$SCRATCH/users"
check "a bad key file is a set-up error naming it" eval 'rc_is 2 && out_has "cannot load the TLS key"'
finish
