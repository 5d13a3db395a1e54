#!/usr/bin/env bash
# t0715: a scheduler started without --database owns its DAGs' database
# files from start-up, before any task ran: it resolves each DAG's profile
# target the way the DAG's tasks will (here through .env and env_var), opens
# the file and advertises it, so `mallard build` from another project on the
# same file is routed to it at once.  A DAG whose profile cannot be resolved
# is logged with its file and does not stop the scheduler; a file another
# process holds at start-up is named with its holder and opened later, once
# the holder lets go; a DAG file added later gets its file owned too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/route-lib.sh"

seed_style_deployment shop.duckdb
db=$deploy/shop.duckdb
printf "{{ config(materialized='table') }}\nselect 1 as one\n" >"$proj/models/one.sql"
# no run is due before 2099: no task will open anything
cat >"$deploy/dags/shop.yml" <<'YML'
dag_id: shop
schedule: "@daily"
start_date: 2099-01-01
dbt: {project_dir: ../dbt/shop}
YML
# a DAG whose profile names a target that does not exist
broken=$deploy/dbt/broken
mkdir -p "$broken/models"
printf 'name: broken\nprofile: broken\n' >"$broken/dbt_project.yml"
printf 'broken:\n  target: prod\n  outputs:\n    dev:\n      type: duckdb\n      path: broken.duckdb\n' \
  >"$broken/profiles.yml"
cat >"$deploy/dags/broken.yml" <<'YML'
dag_id: broken
schedule: "@daily"
start_date: 2099-01-01
dbt: {project_dir: ../dbt/broken}
YML
# a DAG whose file another process holds when the scheduler starts
held=$deploy/held.duckdb
mkdir -p "$deploy/dbt/held/models"
printf 'name: held\nprofile: held\n' >"$deploy/dbt/held/dbt_project.yml"
printf 'held:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: %s\n' "$held" \
  >"$deploy/dbt/held/profiles.yml"
cat >"$deploy/dags/held.yml" <<'YML'
dag_id: held
schedule: "@daily"
start_date: 2099-01-01
dbt: {project_dir: ../dbt/held}
YML
"$MALLARD_BIN_DIR/lock_holder" "$held" 120 >"$SCRATCH/holder.out" 2>&1 &
holder_pid=$!
for _ in $(seq 200); do grep -q '^ready ' "$SCRATCH/holder.out" && break; sleep 0.05; done

# the client: another project (another shell) whose profile names the file
client=$SCRATCH/client
make_route_project "$client"
sed -i "s|path: shop.duckdb|path: $db|" "$client/profiles.yml"

cd "$deploy"
stop_all() {
  [ -n "$holder_pid" ] && kill "$holder_pid" 2>/dev/null
  stop_sched
}
trap stop_all EXIT
"$MALLARD" scheduler >"$SCRATCH/sched.log" 2>&1 &
SCHED_PID=$!
wait_advertised "$db"
check "the scheduler advertises its DAG's database before any task ran" \
  eval "grep -q '\"pid\": $SCHED_PID,' '$db.mallard' || { cat '$SCRATCH/sched.log'; false; }"
check "with its job socket" grep -q '"job_socket"' "$db.mallard"
check "no task has run" test -z "$(find .mallard/logs -name '*.log' 2>/dev/null | head -1)"
check "the scheduler process holds the file" \
  eval "ls -l /proc/$SCHED_PID/fd 2>/dev/null | grep -q ' -> $db\$'"

cd "$client"
run_mallard build
check "a build from another project is routed to the scheduler" \
  out_has "Routing to the Mallard process that owns $db (PID $SCHED_PID)"
check "and succeeds with normal output" \
  eval 'rc_is 0 && out_has "Done. PASS=4 WARN=0 ERROR=0 SKIP=0 TOTAL=4"'
check "the owner logged the job" grep -q "Job from PID .*: mallard build" "$SCRATCH/sched.log"
check "nothing met a lock" eval "! grep -qi 'locked by\|could not set lock' '$SCRATCH/out'"
run_mallard debug
check "debug names the scheduler as the owner" out_has "is owned by Mallard (PID $SCHED_PID"
check "and its checks pass through it" eval 'rc_is 0 && out_has "All checks passed!"'

check "the unresolvable DAG is logged with its file" \
  eval "grep -q 'DAG broken ($deploy/dags/broken.yml): cannot tell which database' '$SCRATCH/sched.log' || { cat '$SCRATCH/sched.log'; false; }"
check "the held file's holder is named" \
  eval "grep -q 'DAG held ($deploy/dags/held.yml): cannot open its database yet.*PID $holder_pid' '$SCRATCH/sched.log' || { cat '$SCRATCH/sched.log'; false; }"
check "the scheduler runs on" kill -0 "$SCHED_PID"
check "the held file is not advertised by the scheduler yet" \
  eval "! grep -qs '\"pid\": $SCHED_PID,' '$held.mallard'"
kill "$holder_pid"
wait "$holder_pid" 2>/dev/null
holder_pid=
wait_advertised "$held"
check "once the holder lets go, the scheduler opens and advertises the file" \
  eval "grep -qs '\"pid\": $SCHED_PID,' '$held.mallard' || { cat '$SCRATCH/sched.log'; false; }"
check "and says so" grep -q "Holding database $held for DAG held" "$SCRATCH/sched.log"

# a DAG file added while the scheduler runs: its database is owned at once too
late=$deploy/late.duckdb
mkdir -p "$deploy/dbt/late/models"
printf 'name: late\nprofile: late\n' >"$deploy/dbt/late/dbt_project.yml"
printf 'late:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: %s\n' "$late" \
  >"$deploy/dbt/late/profiles.yml"
printf 'dag_id: late\nschedule: "@daily"\nstart_date: 2099-01-01\ndbt: {project_dir: ../dbt/late}\n' \
  >"$deploy/dags/late.yml"
wait_advertised "$late"
check "a DAG added later gets its database opened and advertised" \
  eval "grep -qs '\"pid\": $SCHED_PID,' '$late.mallard' || { cat '$SCRATCH/sched.log'; false; }"

cd "$deploy"
stop_sched
check "the scheduler stops on SIGTERM" test "$SCHED_RC" -eq 0 -o "$SCHED_RC" -eq 2
check "without sanitizer reports" \
  eval "! grep -q 'Sanitizer\|runtime error' '$SCRATCH/sched.log' || { cat '$SCRATCH/sched.log'; false; }"
check "and removes its advertisements" \
  eval "[ ! -e '$db.mallard' ] && [ ! -e '$held.mallard' ] && [ ! -e '$late.mallard' ]"
finish
