#!/usr/bin/env bash
# t0513: logs/dbt.log as dbt writes it.  Every build appends a block that
# starts with dbt's separator and invocation id (the one run_results.json
# names) and holds the node lines in dbt's debug text format with thread
# names; the file is never truncated; --log-path, DBT_LOG_PATH and
# dbt_project.yml's log-path move it; --log-level-file filters it; colour
# never reaches it; compile/ls/parse/debug write it too; it rotates at
# --log-file-max-bytes; a job routed to the database's owner writes the
# client's log, not the owner's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/route-lib.sh"

proj=$SCRATCH/proj
make_route_project "$proj"
cd "$proj"
log=logs/dbt.log
blocks() { grep -c '^============================== [0-9:.]* | [0-9a-f-]* ==============================$' "$1"; }

run_mallard build
check "build succeeds" rc_is 0
check "logs/dbt.log is written in the project" test -f $log
check "one invocation block" test "$(blocks $log)" = 1
check "it starts with two blank lines and the separator" \
  eval "head -3 $log | tr '\n' '|' | grep -qE '^\|\|=+ [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} \| [0-9a-f-]{36} =+\|$'"
check "then dbt's 'Running with' line" \
  grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} \[info \] \[MainThread\]: Running with mallard=' $log
check "the node lines, from dbt-named worker threads" \
  grep -qE '^[0-9:.]{15} \[info \] \[Thread-[12] \(\]: [0-9] of 4 OK loaded seed file main.people' $log
check "debug lines are in the file by default" \
  grep -qE '\[debug\] \[Thread-[12] \(\]: Writing runtime SQL for node "model.shop.people_up"' $log
check "each statement a node runs, under the node's name, as dbt logs them" \
  grep -qE '\[debug\] \[Thread-[12] \(\]: On model\.shop\.people_up: create table "[^"]*"\."main"\."people_up__dbt_tmp" as' $log
check "followed by its status and time" \
  eval "grep -A1 -E ': On model\.shop\.people_up: (commit|alter table)' $log | grep -qE '\]: SQL status: OK in [0-9]+\.[0-9]{3} seconds$'"
check "the run's own statements under dbt's 'master'" \
  grep -qE '\[debug\] \[MainThread\]: On master: create schema if not exists' $log
check "every statement line has a status line" \
  test "$(grep -c ']: On [a-z]' $log)" = "$(grep -c ']: SQL status: ' $log)"
check "the summary" grep -qF '[MainThread]: Done. PASS=4 WARN=0 ERROR=0 SKIP=0 TOTAL=4' $log
check "and dbt's closing line" grep -qE '\[debug\] \[MainThread\]: Command `mallard build` succeeded at' $log
id=$(sed -n 's/.*"invocation_id": *"\([0-9a-f-]*\)".*/\1/p' target/run_results.json | head -1)
check "the block's invocation id is run_results.json's ($id)" grep -qF "| $id =" $log

cp $log "$SCRATCH/first.log"
"$MALLARD" build --use-colors >/dev/null 2>&1
check "a second build appends a second block" test "$(blocks $log)" = 2
check "the first block is kept as it was (appended, not truncated)" \
  eval "head -c $(wc -c <"$SCRATCH/first.log") $log | cmp -s - '$SCRATCH/first.log'"
check "no escape sequences in the file (even with --use-colors)" eval "! grep -q $'\033' $log"

MAX_ID=1 run_mallard test
check "a failing test exits 1" rc_is 1
check "its failure is in the log" grep -qE '\[Thread-[12] \(\]: [0-9] of [0-9] FAIL 2 ids_in_range' $log
check "with the test's query" \
  eval "grep -A3 -E ']: On test\.shop\.ids_in_range: ' $log | grep -qF 'count(*) as failures'"
check "and the command's failure" grep -qF 'Command `mallard test` failed at' $log

for cmd in compile ls parse debug; do
  before=$(blocks $log)
  run_mallard $cmd
  check "$cmd writes a block too" test "$(blocks $log)" = $((before + 1))
done

run_mallard run -s people_up --log-path "$SCRATCH/elsewhere"
check "--log-path: the log goes there" grep -qF 'OK created sql table model main.people_up' "$SCRATCH/elsewhere/dbt.log"
check "and not to logs/" test "$(blocks $log)" = "$before" -o "$(blocks $log)" = $((before + 1))
before=$(blocks $log)
DBT_LOG_PATH=$SCRATCH/from-env run_mallard run -s people_up
check "DBT_LOG_PATH: the log goes there" test -f "$SCRATCH/from-env/dbt.log"
check "and logs/ gets nothing" test "$(blocks $log)" = "$before"
mkdir -p sub && (cd sub && DBT_LOG_PATH=rel "$MALLARD" run -s people_up --project-dir .. >/dev/null 2>&1)
check "a relative --log-path is taken from the working directory, as dbt does" test -f sub/rel/dbt.log
printf 'name: shop\nprofile: shop\nlog-path: mylogs\n' >dbt_project.yml
run_mallard run -s people_up
check "dbt_project.yml log-path: (relative to the project)" test -f mylogs/dbt.log
printf 'name: shop\nprofile: shop\n' >dbt_project.yml

run_mallard run -s people_up --log-level-file info --log-path "$SCRATCH/info"
check "--log-level-file info keeps info lines" grep -qF 'OK created sql table model main.people_up' "$SCRATCH/info/dbt.log"
check "and leaves out debug lines" eval "! grep -qF '[debug]' '$SCRATCH/info/dbt.log'"
run_mallard run -s people_up --log-level-file bogus
check "a bad --log-level-file is a usage error" rc_is 2
check "that names it" out_has "unknown --log-level-file 'bogus'"
run_mallard run -s people_up --log-level none --log-path "$SCRATCH/quiet"
check "--log-level none silences the console, not the file" \
  eval "[ ! -s '$SCRATCH/out' ] && grep -qF 'OK created' '$SCRATCH/quiet/dbt.log'"

# rotation: dbt.log -> dbt.log.1 ... at most 5 old files
for _ in 1 2 3 4 5 6 7; do
  "$MALLARD" run -s people_up --log-path "$SCRATCH/rot" --log-file-max-bytes 600 >/dev/null 2>&1
done
check "rotation keeps dbt.log and numbered backups" \
  eval "[ -f '$SCRATCH/rot/dbt.log' ] && [ -f '$SCRATCH/rot/dbt.log.1' ] && [ -f '$SCRATCH/rot/dbt.log.5' ]"
check "no more than 5 backups" test ! -e "$SCRATCH/rot/dbt.log.6"
check "each file stays under the limit (one line may start a file)" \
  eval "for f in '$SCRATCH'/rot/dbt.log*; do [ \$(wc -c <\"\$f\") -lt 900 ] || exit 1; done"
run_mallard run -s people_up --log-file-max-bytes lots
check "a bad --log-file-max-bytes is a usage error" rc_is 2

mkdir -p "$SCRATCH/ro" && chmod 555 "$SCRATCH/ro"
run_mallard run -s people_up --log-path "$SCRATCH/ro/logs"
if [ "$(id -u)" != 0 ]; then
  check "an unwritable log path is a warning, and the run goes on" rc_is 0
  check "the warning names the path" out_has "$SCRATCH/ro/logs"
fi
chmod 755 "$SCRATCH/ro"

# a job routed to the owner writes the client's log, once, and the owner
# writes none of the client's lines into its own
rm -rf logs target/run
check "serve starts on the profile's database" start_server --project-dir "$proj" --trust-local
run_mallard build
check "the routed build succeeds" rc_is 0
check "it was routed" out_has "Routing to the Mallard process"
check "the client's project gets logs/dbt.log" test "$(blocks $log)" = 1
check "with the node lines" grep -qF 'OK created sql table model main.people_up' $log
check "each node line once" test "$(grep -c 'OK created sql table model main.people_up' $log)" = 1
check "and the worker thread names" grep -qE '\[Thread-[12] \(\]: ' $log
check "and the statements the owner ran for it" grep -qE ']: On model\.shop\.people_up: create table' $log
check "the routed build's run/ files are in the client's project" test -f target/run/shop/models/people_up.sql
check "the owner's console did not get the client's lines" \
  eval "! grep -qs 'OK created sql table model main.people_up' '$SCRATCH/server.log'"
stop_server
check "the owner stops cleanly" server_exited_cleanly
finish
