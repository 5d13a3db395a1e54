#!/usr/bin/env bash
# t0713: routing runs valgrind-clean on both sides: `mallard serve` owning
# the file under valgrind takes a routed build and a routed failing test
# (the client under valgrind too), then shuts down on SIGTERM -- no invalid
# reads or writes, no definite leaks in either process.  Like t0005, only
# on a build without sanitizers (valgrind and ASan do not mix).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/route-lib.sh"

if nm "$MALLARD" 2>/dev/null | grep -q __asan_init; then
  echo "skipped: $MALLARD is built with AddressSanitizer"
  exit 77
fi
command -v valgrind >/dev/null || { echo "skipped: valgrind is not installed"; exit 77; }
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"

proj=$SCRATCH/proj
make_route_project "$proj"
cd "$proj"
$VG "$MALLARD" serve --project-dir "$proj" --listen none --socket-dir "$SCRATCH" --trust-local \
  >"$SCRATCH/server.log" 2>&1 &
owner=$!
trap 'kill -KILL $owner 2>/dev/null' EXIT
for _ in $(seq 600); do grep -q "Jobs from other mallard commands" "$SCRATCH/server.log" && break; sleep 0.1; done
check "serve starts under valgrind" grep -q "Jobs from other mallard commands" "$SCRATCH/server.log"

clean() { [ "$1" -ne 99 ] && ! grep -q '^==[0-9]*==' "$2" || { cat "$2"; return 1; }; }
$VG "$MALLARD" build >"$SCRATCH/build.out" 2>&1
brc=$?
check "a routed build exits 0" eval "[ $brc -eq 0 ] || cat '$SCRATCH/build.out'"
check "it was routed" grep -q "Routing to the Mallard process" "$SCRATCH/build.out"
check "the client is valgrind-clean" clean "$brc" "$SCRATCH/build.out"
MAX_ID=1 $VG "$MALLARD" test >"$SCRATCH/test.out" 2>&1
trc=$?
check "a routed failing test exits 1" test "$trc" -eq 1
check "that client is valgrind-clean too" clean "$trc" "$SCRATCH/test.out"

kill -TERM "$owner"
wait "$owner"
orc=$?
trap - EXIT
check "the owner exits 0 on SIGTERM, valgrind-clean (exit $orc)" clean "$orc" "$SCRATCH/server.log"
check "its advertisement is gone" test ! -e "$proj/shop.duckdb.mallard"
finish
